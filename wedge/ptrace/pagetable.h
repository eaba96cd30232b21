/* SPDX-License-Identifier: MIT */
/*
 * The guest's x86-64 page tables (4 levels), read from guest-physical
 * memory as the host holds it.  No host state: the walker sees a buffer,
 * so the unit tests (testcases/unit/test_ptrace_pagetable.c) drive it on
 * tables they lay out themselves.
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
#define PT_ADDR		0x000ffffffffff000ULL

#define PT_PAGE_4K	0x1000ULL
#define PT_PAGE_2M	0x200000ULL
#define PT_PAGE_1G	0x40000000ULL

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
				   PT_G from the leaf */
};

/* A run of virtual pages mapped to contiguous physical ones with the
   same flags. */
struct pt_extent {
	uint64_t va, pa, len;
	unsigned int flags;
};

/*
 * pt_translate - walk @root for @gva.  Returns 0, -EFAULT if a level is
 * not present (or lies outside @phys), -EINVAL if @gva is not canonical
 * or an entry has reserved bits that make it invalid.
 */
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
 * pt_extents - call @fn for every maximal extent mapped in [@start, @end)
 * (both page aligned, canonical, @start < @end), in address order.
 * Stops at the first non-zero return of @fn and returns it; 0 when done.
 */
int pt_extents(const struct pt_phys *phys, uint64_t root, uint64_t start,
	       uint64_t end, pt_extent_fn fn, void *ctx);

#endif
