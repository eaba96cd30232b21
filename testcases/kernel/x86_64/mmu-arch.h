// x86-64: the GDT layout and the four-level paging geometry (mmu.h
// includes this). Usable from C and assembly.
#ifndef KERNEL_MMU_ARCH_H
#define KERNEL_MMU_ARCH_H

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

#define HUGEPGSIZE    0x200000     // a PTE_PS page in a page directory

// Index of the entry for virtual address va at each level.
#define PML4X(va)     (((va) >> 39) & 0x1ff)
#define PDPTX(va)     (((va) >> 30) & 0x1ff)
#define PDX(va)       (((va) >> 21) & 0x1ff)
#define PTX(va)       (((va) >> 12) & 0x1ff)

// The geometry vm.c walks: PT_LEVELS levels of NPTENTRIES entries,
// level PT_LEVELS - 1 the root (the PML4), level 0 the page tables.
#define PT_LEVELS     4
#define NPTENTRIES    512
#define PTIDX(va, level) (((va) >> (PGSHIFT + 9 * (level))) & 0x1ff)
#define TOPX(va)      PML4X(va)
#define PTE_ADDR(pte) ((pte) & 0x000ffffffffff000)

#endif
