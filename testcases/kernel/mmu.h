// x86 architecture constants: flags, control registers, MSRs, page
// table bits and trap numbers. Usable from C and assembly. What differs
// between i386 and x86-64 (the GDT layout, the paging geometry) is in
// the arch's mmu-arch.h, included at the end.
#ifndef KERNEL_MMU_H
#define KERNEL_MMU_H

// EFLAGS
#define FL_IF         0x200        // interrupt enable
#define FL_TF         0x100        // trap flag
#define FL_DF         0x400        // direction flag
#define FL_IOPL_MASK  0x3000
#define FL_AC         0x40000      // alignment check

// Control registers
#define CR0_PE        0x00000001
#define CR0_WP        0x00010000   // ring 0 honours read-only pages
#define CR0_PG        0x80000000
#define CR4_PSE       0x00000010   // 4 MiB pages in 32-bit paging
#define CR4_PAE       0x00000020
#define CR4_PGE       0x00000080   // global pages survive CR3 loads

// MSRs
#define MSR_EFER      0xc0000080
#define EFER_SCE      0x001        // syscall/sysret enable
#define EFER_LME      0x100        // long mode enable
#define MSR_STAR      0xc0000081   // syscall/sysret selectors
#define MSR_LSTAR     0xc0000082   // 64-bit syscall entry
#define MSR_SFMASK    0xc0000084   // rflags bits cleared on syscall
#define MSR_FS_BASE   0xc0000100
#define MSR_GS_BASE   0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102  // swapped with GS_BASE by swapgs

// Page table entry bits
#define PTE_P         0x001        // present
#define PTE_W         0x002        // writable
#define PTE_U         0x004        // user
#define PTE_PS        0x080        // a large page (2 MiB or 4 MiB, mmu-arch.h)
#define PTE_G         0x100        // global
#define PTE_FLAGS     0xfff

// Exceptions and interrupt vectors
#define T_DE          0            // divide error
#define T_DB          1
#define T_NMI         2
#define T_BP          3
#define T_UD          6            // invalid opcode
#define T_DF          8            // double fault
#define T_GP          13           // general protection
#define T_PF          14           // page fault
#define T_IRQ0        32           // the 8259 PIC is remapped here
#define T_NVEC        48           // vectors with a handler: 32 exceptions, 16 IRQs
#define T_SYSCALL     0x100        // trapno recorded in syscall frames

#define IRQ_TIMER     0
#define IRQ_SLAVE     2
#define IRQ_COM1      4
#define IRQ_SPURIOUS  7

#define PGSIZE        4096
#define PGSHIFT       12
#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

#include "mmu-arch.h"

#endif
