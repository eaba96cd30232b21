// x86-64 architecture constants: control registers, MSRs, paging and
// segmentation. Usable from C and assembly.
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

// GDT layout. The order of the user segments is fixed by sysret, which
// loads SS from STAR[63:48] + 8 and CS from STAR[63:48] + 16.
#define SEG_KCODE     1
#define SEG_KDATA     2
#define SEG_UCODE32   3            // unused, only anchors the sysret pair
#define SEG_UDATA     4
#define SEG_UCODE     5
#define SEG_TSS       6            // 16 bytes: occupies slots 6 and 7
#define NSEGS         8

#define KCODE_SEL     (SEG_KCODE << 3)
#define KDATA_SEL     (SEG_KDATA << 3)
#define UDATA_SEL     ((SEG_UDATA << 3) | 3)
#define UCODE_SEL     ((SEG_UCODE << 3) | 3)
#define TSS_SEL       (SEG_TSS << 3)

// Page table entry bits
#define PTE_P         0x001        // present
#define PTE_W         0x002        // writable
#define PTE_U         0x004        // user
#define PTE_PS        0x080        // 2 MiB page (in a page directory)
#define PTE_G         0x100        // global
#define PTE_FLAGS     0xfff

#define PGSIZE        4096
#define PGSHIFT       12
#define HUGEPGSIZE    0x200000

// Index of the entry for virtual address va at each level.
#define PML4X(va)     (((va) >> 39) & 0x1ff)
#define PDPTX(va)     (((va) >> 30) & 0x1ff)
#define PDX(va)       (((va) >> 21) & 0x1ff)
#define PTX(va)       (((va) >> 12) & 0x1ff)

#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))
#define PTE_ADDR(pte)  ((pte) & 0x000ffffffffff000)

// Exceptions and interrupt vectors
#define T_DE          0            // divide error
#define T_DB          1
#define T_NMI         2
#define T_BP          3
#define T_UD          6            // invalid opcode
#define T_DF          8            // double fault (runs on IST1)
#define T_GP          13           // general protection
#define T_PF          14           // page fault
#define T_IRQ0        32           // the 8259 PIC is remapped here
#define T_NVEC        48           // vectors with a handler: 32 exceptions, 16 IRQs
#define T_SYSCALL     0x100        // trapno recorded in syscall frames

#define IRQ_TIMER     0
#define IRQ_SLAVE     2
#define IRQ_SPURIOUS  7

#endif
