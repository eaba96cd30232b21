// Kernel tunables.
#ifndef KERNEL_PARAM_H
#define KERNEL_PARAM_H

#include "syscall.h"

#define NPROC       16          // process table size
#define NOFILE      8           // open files per process
#define NFILE       64          // open files in the system
#define KSTACKSIZE  16384       // kernel stack per process
#define HZ          TICK_HZ     // timer interrupts per second (syscall.h)
#define CMDLINE_MAX 256         // kernel command line bytes kept
#define NMEMMAP     32          // memory map entries kept from hvm_start_info
#define PIPESIZE    512

#endif
