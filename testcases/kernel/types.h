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
typedef signed char s8;
typedef short s16;
typedef int s32;
#ifdef __x86_64__
typedef unsigned long u64;
typedef long s64;
#else
typedef unsigned long long u64;
typedef long long s64;
#endif

// Register-sized: addresses, lengths, register values (32 or 64 bits,
// the width of the kernel's own registers). `long` is that on both
// i386 and x86-64, and %lx / %lu print it everywhere.
typedef unsigned long uintptr;
typedef __SIZE_TYPE__ size_t;

// An entry at any level of the page tables: 64-bit entries in x86-64's
// four levels, 32-bit ones in i386's two (mmu.h has the geometry).
#ifdef __x86_64__
typedef u64 pte_t;
#else
typedef u32 pte_t;
#endif

#define NULL ((void *)0)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#endif
