// i386: the GDT layout and the two-level (non-PAE) paging geometry
// (mmu.h includes this). Usable from C and assembly.
#ifndef KERNEL_MMU_ARCH_H
#define KERNEL_MMU_ARCH_H

// GDT layout: flat 4 GiB segments, the TSS last.
#define SEG_KCODE     1
#define SEG_KDATA     2
#define SEG_UCODE     3
#define SEG_UDATA     4
#define SEG_TSS       5
#define NSEGS         6

#define KCODE_SEL     (SEG_KCODE << 3)
#define KDATA_SEL     (SEG_KDATA << 3)
#define UCODE_SEL     ((SEG_UCODE << 3) | 3)
#define UDATA_SEL     ((SEG_UDATA << 3) | 3)
#define TSS_SEL       (SEG_TSS << 3)

#define BIGPGSIZE     0x400000     // a PTE_PS page in the page directory (CR4.PSE)

// Index of the entry for virtual address va at each level.
#define PDX(va)       (((va) >> 22) & 0x3ff)
#define PTX(va)       (((va) >> 12) & 0x3ff)

// The geometry vm.c walks: PT_LEVELS levels of NPTENTRIES entries,
// level 1 the root (the page directory), level 0 the page tables.
#define PT_LEVELS     2
#define NPTENTRIES    1024
#define PTIDX(va, level) (((va) >> (PGSHIFT + 10 * (level))) & 0x3ff)
#define TOPX(va)      PDX(va)
#define PTE_ADDR(pte) ((pte) & 0xfffff000)

#endif
