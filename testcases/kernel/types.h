// Fixed-width types for the kernel. The kernel is freestanding: no libc
// headers, so these are spelled out once here.
#ifndef KERNEL_TYPES_H
#define KERNEL_TYPES_H

// Every kernel symbol is local to the one static image. Saying so (also
// for declarations, which -fvisibility=hidden does not cover) lets -fpie
// code reach them %rip-relative instead of through a GOT.
#pragma GCC visibility push(hidden)

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long s64;
typedef unsigned long uintptr;
typedef unsigned long size_t;

typedef u64 pte_t;              // an entry at any level of the page tables

#define NULL ((void *)0)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
