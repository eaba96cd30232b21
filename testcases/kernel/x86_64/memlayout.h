// The guest's virtual and physical memory layout: the numbers
// doc/guest-contract.md promises to hosts. Usable from C and assembly.
//
// Everything lives in the lower canonical half so that a host can run the
// whole guest kernel inside an ordinary Linux process (the "ptrace" host):
// Linux puts a PIE at 0x55..., libraries, stack and vDSO at 0x7f..., and
// non-PIE programs at 0x400000; all of those stay clear of the ranges below.
//
//   0x0000000010000000 .. 0x000000007fffffff   user processes (PML4 slot 0)
//   0x00000fffc0000000 .. 0x00000fffffffffff   wedge window: never mapped or
//                                              touched by the guest (slot 31)
//   0x0000100000000000 .. +4 GiB               direct map of physical memory
//                                              (slot 32), kernel image inside
//                                              it at KERNEL_BASE + 1 MiB
#ifndef KERNEL_MEMLAYOUT_H
#define KERNEL_MEMLAYOUT_H

#ifdef __ASSEMBLER__
#define _UL(x) x
#else
#define _UL(x) x##UL
#endif

#define KERNEL_BASE   _UL(0x0000100000000000)  // virt = phys + KERNEL_BASE
#define KERNEL_PHYS   _UL(0x100000)            // the image loads at 1 MiB
#define KERNEL_LINK   (KERNEL_BASE + KERNEL_PHYS)
#define DIRECTMAP_SIZE _UL(0x100000000)        // 4 GiB of physical space

// A host may map its wedge here; the kernel leaves this range (and the
// rest of PML4 slot 31) empty in every page table it builds. It ends where
// kernel text begins, so a `call rel32` from any kernel site reaches it.
#define WEDGE_BASE    (KERNEL_BASE - _UL(0x40000000))
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
