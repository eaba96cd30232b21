// i386: the guest's virtual and physical memory layout, the numbers
// doc/guest-contract.md promises to hosts. Usable from C and assembly.
//
//   0x10000000 .. 0x7fffffff   user processes (as on x86-64)
//   0xbfc00000 .. 0xbfffffff   wedge window: never mapped or touched by
//                              the guest (page directory slot 767)
//   0xc0000000 .. 0xffffffff   direct map of the first 1 GiB of physical
//                              memory, kernel image inside it at
//                              KERNEL_BASE + 1 MiB
#ifndef KERNEL_MEMLAYOUT_H
#define KERNEL_MEMLAYOUT_H

#ifdef __ASSEMBLER__
#define _UL(x) x
#else
#define _UL(x) x##UL
#endif

#define KERNEL_BASE   _UL(0xc0000000)          // virt = phys + KERNEL_BASE
#define KERNEL_PHYS   _UL(0x100000)            // the image loads at 1 MiB
#define KERNEL_LINK   (KERNEL_BASE + KERNEL_PHYS)
#define DIRECTMAP_SIZE _UL(0x40000000)         // 1 GiB: up to the top of 4 GiB

// A host may map its wedge here: one page-directory slot that the kernel
// leaves empty in every page directory it builds.
#define WEDGE_BASE    (KERNEL_BASE - _UL(0x400000))
#define WEDGE_END     KERNEL_BASE

#define USER_BASE     _UL(0x10000000)          // user programs are linked here
#define USER_TOP      _UL(0x80000000)          // first address above user space
#define USTACK_PAGES  8                        // fixed-size user stack, 32 KiB
#define USTACK_BOTTOM (USER_TOP - USTACK_PAGES * 4096)
#define UHEAP_LIMIT   (USTACK_BOTTOM - 4096)   // sbrk stops one guard page short

#ifndef __ASSEMBLER__
#define V2P(a) (((uintptr)(a)) - KERNEL_BASE)
#define P2V(a) ((void *)(((uintptr)(a)) + KERNEL_BASE))
#endif
#define V2P_WO(x) ((x) - KERNEL_BASE)          // for assembler expressions

#endif
