/* SPDX-License-Identifier: MIT */
/*
 * The guest's page tables, read from guest-physical memory as the host
 * holds it: x86-64 (4 levels), and for a 32-bit guest 2-level (4 KiB
 * pages, 4 MiB ones with CR4.PSE) and PAE (3 levels, 2 MiB pages, NX
 * with EFER.NXE).  No host state: the walker sees a buffer, so the unit
 * tests (testcases/unit/test_ptrace_pagetable.c) drive it on tables they
 * lay out themselves.
 */
#ifndef AFB_PTRACE_PAGETABLE_H
#define AFB_PTRACE_PAGETABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_P		0x001ULL
#define PT_W		0x002ULL
#define PT_U		0x004ULL
#define PT_PS		0x080ULL
#define PT_G		0x100ULL
#define PT_NX		(1ULL << 63)	/* PAE and long-mode entries, with NXE */
#define PT_ADDR		0x000ffffffffff000ULL

/* In pt_map.flags and pt_extent.flags only (not an entry bit): no
   execute, an NX bit at some level of the walk (with nxe). */
#define PT_XD		0x8000u

#define PT_PAGE_4K	0x1000ULL
#define PT_PAGE_2M	0x200000ULL
#define PT_PAGE_1G	0x40000000ULL
#define PT_PAGE_4M	0x400000ULL

/* The format of the tables a walk reads: what CR4 and EFER say. */
enum pt_format {
	PT_FMT_LONG,		/* x86-64, 4 levels (EFER.LMA) */
	PT_FMT_32,		/* 32-bit, 2 levels of 1024 4-byte entries */
	PT_FMT_PAE,		/* 32-bit PAE (CR4.PAE), 3 levels */
};

struct pt_paging {
	enum pt_format format;
	bool pse;		/* CR4.PSE: 4 MiB pages in PT_FMT_32 */
	bool nxe;		/* EFER.NXE: bit 63 is NX (PAE, long mode) */
};

/* Guest-physical memory: @size bytes at @base; tables beyond it are
   treated as not present. */
struct pt_phys {
	const uint8_t *base;
	uint64_t size;
};

/* One translation. */
struct pt_map {
	uint64_t pa;		/* physical address of the virtual address */
	uint64_t page_size;	/* of the leaf: 4 KiB, 2 MiB or 1 GiB */
	unsigned int flags;	/* PT_W, PT_U: set only if set at every level;
				   PT_G from the leaf; PT_XD if NX at any */
};

/* A run of virtual pages mapped to contiguous physical ones with the
   same flags. */
struct pt_extent {
	uint64_t va, pa, len;
	unsigned int flags;
};

/* The paging format of a CPU whose CR4 and EFER are @cr4 and @efer. */
void pt_paging_of(struct pt_paging *pg, uint64_t cr4, uint64_t efer);

/*
 * pt_walk - walk @root (CR3) in format @pg for @gva.  Returns 0, -EFAULT
 * if a level is not present (or lies outside @phys), -EINVAL if @gva is
 * not canonical (long mode) or above 4 GiB (32-bit formats), or an entry
 * has reserved bits that make it invalid (a PS bit where no large page
 * exists, a PAE PDPT entry with reserved bits, bit 63 in a PAE entry
 * without NXE, bit 21 of a 4 MiB entry).  A long-mode walk without nxe
 * ignores bit 63, as pt_translate() always has.
 */
int pt_walk(const struct pt_phys *phys, const struct pt_paging *pg,
	    uint64_t root, uint64_t gva, struct pt_map *map);

/* pt_walk() in long mode without NXE (the x86-64 guest's walk). */
int pt_translate(const struct pt_phys *phys, uint64_t root, uint64_t gva,
		 struct pt_map *map);

/*
 * pt_access_ok - may an access with @access (AFB_ACCESS_WRITE,
 * AFB_ACCESS_USER bits: 2 and 4) use @map?  @wp: CR0.WP (supervisor
 * writes honour read-only pages).
 */
bool pt_access_ok(const struct pt_map *map, unsigned int access, bool wp);

typedef int (*pt_extent_fn)(void *ctx, const struct pt_extent *e);

/*
 * pt_extents_of - call @fn for every maximal extent mapped in [@start,
 * @end) (both page aligned, canonical in long mode, at most 4 GiB in the
 * 32-bit formats, @start < @end), in address order, in format @pg.
 * Entries pt_walk() calls invalid are skipped.  Stops at the first
 * non-zero return of @fn and returns it; 0 when done.
 */
int pt_extents_of(const struct pt_phys *phys, const struct pt_paging *pg,
		  uint64_t root, uint64_t start, uint64_t end, pt_extent_fn fn,
		  void *ctx);

/* pt_extents_of() in long mode without NXE. */
int pt_extents(const struct pt_phys *phys, uint64_t root, uint64_t start,
	       uint64_t end, pt_extent_fn fn, void *ctx);

#endif
