// Processes, the per-CPU area and the frames the trap path builds.
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include "types.h"
#include "param.h"
#include "frame.h"           // struct trapframe, struct context (per arch)

// The per-CPU area. On x86-64 KERNEL_GS_BASE points at it while user
// code runs, so the syscall entry finds its stack with swapgs. Offsets
// are used by x86_64/trapasm.S (CPU_KSTACK, CPU_USTASH): keep the first
// two fields first.
struct cpu {
	uintptr kstack_top;      // esp0/rsp0 of the running process
	uintptr user_rsp;        // scratch for the x86-64 syscall entry
	struct context *scheduler;   // swtch() here to enter the scheduler
	struct proc *proc;       // running process or NULL
	uintptr cr3;             // the page table root now loaded
};

enum procstate { UNUSED, EMBRYO, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
	enum procstate state;
	int pid;
	struct proc *parent;
	pte_t *pgdir;            // page table root (kernel virtual address)
	uintptr brk;             // program break: end of the heap
	uintptr heapbase;        // the break can shrink back to here
	char *kstack;            // bottom of the kernel stack
	struct trapframe *tf;    // user registers, at the top of kstack
	struct context *context; // where swtch() resumes it
	void *chan;              // what it sleeps on, if SLEEPING
	int xstatus;             // exit status for wait()
	struct file *ofile[NOFILE];
	char name[16];
};

extern struct cpu cpu;

static inline struct proc *myproc(void) { return cpu.proc; }

#endif
