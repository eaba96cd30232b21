// SPDX-License-Identifier: MIT
/*
 * The guest page-table walker.  Long mode, 4 levels, 4 KiB pages and PS
 * leaves at the PDPT (1 GiB) and PD (2 MiB) levels.  Writable and user
 * are the AND of every level, as the CPU checks them; NX, PAT and
 * protection keys are ignored (the guests of this host use none).
 */
#include <errno.h>
#include <string.h>

#include "pagetable.h"

#define LEVELS		4
#define ENTRIES		512

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* The entry @index of the table at physical @table, or false. */
static bool entry_read(const struct pt_phys *phys, uint64_t table,
		       unsigned int index, uint64_t *pte)
{
	uint64_t pa = (table & PT_ADDR) + 8ULL * index;

	if (pa + 8 > phys->size || pa + 8 < pa)
		return false;
	memcpy(pte, phys->base + pa, 8);
	return true;
}

static unsigned int shift_of(int level)	/* level 3 = PML4 ... 0 = PT */
{
	return 12 + 9 * level;
}

int pt_translate(const struct pt_phys *phys, uint64_t root, uint64_t gva,
		 struct pt_map *map)
{
	unsigned int flags = PT_W | PT_U;
	uint64_t table = root, pte = 0;
	int level;

	if (!canonical(gva))
		return -EINVAL;
	for (level = LEVELS - 1; level >= 0; level--) {
		unsigned int index = (gva >> shift_of(level)) & (ENTRIES - 1);

		if (!entry_read(phys, table, index, &pte) || !(pte & PT_P))
			return -EFAULT;
		flags &= pte & (PT_W | PT_U);
		if (level == 3 && (pte & PT_PS))
			return -EINVAL;		/* reserved at the PML4 */
		if (level == 0 || (level <= 2 && (pte & PT_PS)))
			break;
		table = pte & PT_ADDR;
	}
	if (level < 0)
		level = 0;
	map->page_size = 1ULL << shift_of(level);
	map->pa = (pte & PT_ADDR & ~(map->page_size - 1)) |
		  (gva & (map->page_size - 1));
	map->flags = flags | (pte & PT_G);
	return 0;
}

bool pt_access_ok(const struct pt_map *map, unsigned int access, bool wp)
{
	bool user = access & 4, write = access & 2;

	if (user && !(map->flags & PT_U))
		return false;
	if (write && !(map->flags & PT_W) && (user || wp))
		return false;
	return true;
}

/* ---- Extents ---------------------------------------------------------- */

struct walk {
	const struct pt_phys *phys;
	uint64_t start, end;
	pt_extent_fn fn;
	void *ctx;
	struct pt_extent cur;	/* being grown; len 0: none */
};

static int emit(struct walk *w, uint64_t va, uint64_t pa, uint64_t len,
		unsigned int flags)
{
	struct pt_extent *c = &w->cur;
	int ret;

	if (c->len && c->va + c->len == va && c->pa + c->len == pa &&
	    c->flags == flags) {
		c->len += len;
		return 0;
	}
	if (c->len && (ret = w->fn(w->ctx, c)))
		return ret;
	c->va = va;
	c->pa = pa;
	c->len = len;
	c->flags = flags;
	return 0;
}

/* Sign-extend a 48-bit address. */
static uint64_t sext(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16);
}

static int walk_level(struct walk *w, uint64_t table, int level, uint64_t base,
		      unsigned int flags)
{
	uint64_t span = 1ULL << shift_of(level);
	unsigned int i;
	int ret;

	for (i = 0; i < ENTRIES; i++) {
		uint64_t va = sext(base + i * span), lo, hi, pte;
		unsigned int f;

		if (va + span <= w->start || va >= w->end)
			continue;
		if (!entry_read(w->phys, table, i, &pte) || !(pte & PT_P))
			continue;
		f = flags & (pte & (PT_W | PT_U));
		if (level == 0 || (level <= 2 && (pte & PT_PS))) {
			uint64_t pa = pte & PT_ADDR & ~(span - 1);

			lo = va < w->start ? w->start : va;
			hi = va + span > w->end ? w->end : va + span;
			ret = emit(w, lo, pa + (lo - va), hi - lo,
				   f | (pte & PT_G));
		} else if (level == 3 && (pte & PT_PS)) {
			continue;
		} else {
			ret = walk_level(w, pte & PT_ADDR, level - 1,
					 base + i * span, f);
		}
		if (ret)
			return ret;
	}
	return 0;
}

int pt_extents(const struct pt_phys *phys, uint64_t root, uint64_t start,
	       uint64_t end, pt_extent_fn fn, void *ctx)
{
	struct walk w = { phys, start, end, fn, ctx, { 0, 0, 0, 0 } };
	int ret;

	if (start >= end || (start | end) & (PT_PAGE_4K - 1) ||
	    !canonical(start) || !canonical(end - 1))
		return -EINVAL;
	ret = walk_level(&w, root, LEVELS - 1, 0, PT_W | PT_U);
	if (!ret && w.cur.len)
		ret = fn(ctx, &w.cur);
	return ret;
}
