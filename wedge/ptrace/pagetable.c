// SPDX-License-Identifier: MIT
/*
 * The guest page-table walker, for the three formats of x86 paging:
 *
 *   long mode  4 levels of 512 8-byte entries; PS leaves at the PDPT
 *              (1 GiB) and PD (2 MiB) levels
 *   32-bit     2 levels of 1024 4-byte entries; with CR4.PSE a PS entry
 *              in the page directory maps 4 MiB (PSE-36: physical bits
 *              32-39 in entry bits 13-20)
 *   PAE        a 4-entry PDPT (32-byte aligned, in CR3), then page
 *              directories and tables of 512 8-byte entries; PS leaves
 *              in the page directory (2 MiB)
 *
 * Writable and user are the AND of every level, as the CPU checks them
 * (PAE PDPT entries have neither bit: they restrict nothing).  With NXE
 * an NX bit at any level makes the page not executable (PT_XD).  PAT and
 * protection keys are ignored.
 */
#include <errno.h>
#include <string.h>

#include "pagetable.h"

/* One format; levels count from the page table (0) up to the root. */
struct fmt {
	int levels;
	unsigned int esize;		/* bytes per entry */
	unsigned int shift[4];		/* of the span of an entry, by level */
	unsigned int entries[4];	/* per table, by level */
	bool wide;			/* 64-bit addresses (canonical) */
};

static const struct fmt fmts[] = {
	[PT_FMT_LONG] = { 4, 8, { 12, 21, 30, 39 }, { 512, 512, 512, 512 }, true },
	[PT_FMT_32] = { 2, 4, { 12, 22 }, { 1024, 1024 }, false },
	[PT_FMT_PAE] = { 3, 8, { 12, 21, 30 }, { 512, 512, 4 }, false },
};

#define ADDR_32		0xfffff000ULL	/* a 4-byte entry's table or page */
#define PDPT_ALIGN	0xffffffe0ULL	/* CR3 in PAE mode */
#define PDPTE_RSVD	0x1e6ULL	/* bits 1, 2, 5-8 of a PAE PDPT entry */
#define PDE4M_RSVD	(1ULL << 21)
#define LIMIT_32	(1ULL << 32)

#define CR4_PSE		0x10
#define CR4_PAE		0x20
#define EFER_LMA	0x400
#define EFER_NXE	0x800

enum entry { E_NONE, E_BAD, E_TABLE, E_LEAF };

void pt_paging_of(struct pt_paging *pg, uint64_t cr4, uint64_t efer)
{
	if (efer & EFER_LMA)
		pg->format = PT_FMT_LONG;
	else
		pg->format = cr4 & CR4_PAE ? PT_FMT_PAE : PT_FMT_32;
	pg->pse = cr4 & CR4_PSE;
	pg->nxe = efer & EFER_NXE;
}

static bool canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* The physical base of the table an entry (or CR3) at @level names. */
static uint64_t table_base(const struct pt_paging *pg, uint64_t entry,
			   int level)
{
	if (pg->format == PT_FMT_PAE && level == 2)
		return entry & PDPT_ALIGN;
	return pg->format == PT_FMT_32 ? entry & ADDR_32 : entry & PT_ADDR;
}

/* The entry @index of the table at physical @table, or false. */
static bool entry_read(const struct pt_phys *phys, const struct fmt *f,
		       uint64_t table, unsigned int index, uint64_t *pte)
{
	uint64_t pa = table + (uint64_t)f->esize * index;

	if (pa + f->esize > phys->size || pa + f->esize < pa)
		return false;
	*pte = 0;
	memcpy(pte, phys->base + pa, f->esize);
	return true;
}

/* Not present, invalid (reserved bits), a table or a leaf. */
static enum entry classify(const struct pt_paging *pg, int level, uint64_t pte)
{
	if (!(pte & PT_P))
		return E_NONE;
	if (pg->format == PT_FMT_PAE && (pte & PT_NX) && !pg->nxe)
		return E_BAD;
	if (level == 0)
		return E_LEAF;
	switch (pg->format) {
	case PT_FMT_LONG:
		if (!(pte & PT_PS))
			return E_TABLE;
		return level == 3 ? E_BAD : E_LEAF;
	case PT_FMT_PAE:
		if (level == 2)
			return pte & (PDPTE_RSVD | PT_NX) ? E_BAD : E_TABLE;
		return pte & PT_PS ? E_LEAF : E_TABLE;
	case PT_FMT_32:
		if (!(pte & PT_PS) || !pg->pse)
			return E_TABLE;
		return pte & PDE4M_RSVD ? E_BAD : E_LEAF;
	}
	return E_BAD;
}

/* What the entry lets through: W and U (none in a PAE PDPT entry), and
   PT_XD for NX with NXE. */
static unsigned int entry_flags(const struct pt_paging *pg, int level,
				uint64_t pte)
{
	unsigned int f = PT_W | PT_U;

	if (!(pg->format == PT_FMT_PAE && level == 2))
		f = pte & (PT_W | PT_U);
	if (pg->nxe && pg->format != PT_FMT_32 && (pte & PT_NX))
		f |= PT_XD;
	return f;
}

/* Combine the flags above with an entry's: W, U and-ed, XD or-ed. */
static unsigned int combine(unsigned int above, unsigned int entry)
{
	return ((above & entry) & (PT_W | PT_U)) | ((above | entry) & PT_XD);
}

/* The physical address a leaf of @size at @level maps. */
static uint64_t leaf_pa(const struct pt_paging *pg, int level, uint64_t pte,
			uint64_t size)
{
	if (pg->format != PT_FMT_32)
		return pte & PT_ADDR & ~(size - 1);
	if (level == 0)
		return pte & ADDR_32;
	return (pte & 0xffc00000ULL) | ((pte >> 13) & 0xff) << 32;
}

static bool va_ok(const struct fmt *f, uint64_t va)
{
	return f->wide ? canonical(va) : va < LIMIT_32;
}

int pt_walk(const struct pt_phys *phys, const struct pt_paging *pg,
	    uint64_t root, uint64_t gva, struct pt_map *map)
{
	const struct fmt *f = &fmts[pg->format];
	unsigned int flags = PT_W | PT_U;
	int level = f->levels - 1;
	uint64_t table = table_base(pg, root, level), pte;

	if (!va_ok(f, gva))
		return -EINVAL;
	for (;; level--) {
		unsigned int index = (gva >> f->shift[level]) &
				     (f->entries[level] - 1);
		enum entry e;

		if (!entry_read(phys, f, table, index, &pte))
			return -EFAULT;
		e = classify(pg, level, pte);
		if (e == E_NONE)
			return -EFAULT;
		if (e == E_BAD)
			return -EINVAL;
		flags = combine(flags, entry_flags(pg, level, pte));
		if (e == E_LEAF)
			break;
		table = table_base(pg, pte, level - 1);
	}
	map->page_size = 1ULL << f->shift[level];
	map->pa = leaf_pa(pg, level, pte, map->page_size) |
		  (gva & (map->page_size - 1));
	map->flags = flags | (pte & PT_G);
	return 0;
}

int pt_translate(const struct pt_phys *phys, uint64_t root, uint64_t gva,
		 struct pt_map *map)
{
	static const struct pt_paging long_mode = { PT_FMT_LONG, false, false };

	return pt_walk(phys, &long_mode, root, gva, map);
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
	const struct pt_paging *pg;
	const struct fmt *f;
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
	uint64_t span = 1ULL << w->f->shift[level];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < w->f->entries[level] && !ret; i++) {
		uint64_t va = base + i * span, lo, hi, pte;
		unsigned int fl;
		enum entry e;

		if (w->f->wide)
			va = sext(va);
		if (va + span <= w->start || va >= w->end)
			continue;
		if (!entry_read(w->phys, w->f, table, i, &pte))
			continue;
		e = classify(w->pg, level, pte);
		if (e == E_NONE || e == E_BAD)
			continue;
		fl = combine(flags, entry_flags(w->pg, level, pte));
		if (e == E_TABLE) {
			ret = walk_level(w, table_base(w->pg, pte, level - 1),
					 level - 1, base + i * span, fl);
			continue;
		}
		lo = va < w->start ? w->start : va;
		hi = va + span > w->end ? w->end : va + span;
		ret = emit(w, lo, leaf_pa(w->pg, level, pte, span) + (lo - va),
			   hi - lo, fl | (pte & PT_G));
	}
	return ret;
}

int pt_extents_of(const struct pt_phys *phys, const struct pt_paging *pg,
		  uint64_t root, uint64_t start, uint64_t end, pt_extent_fn fn,
		  void *ctx)
{
	const struct fmt *f = &fmts[pg->format];
	struct walk w = { phys, pg, f, start, end, fn, ctx, { 0, 0, 0, 0 } };
	int ret;

	if (start >= end || (start | end) & (PT_PAGE_4K - 1) ||
	    !va_ok(f, start) || (f->wide ? !canonical(end - 1) : end > LIMIT_32))
		return -EINVAL;
	ret = walk_level(&w, table_base(pg, root, f->levels - 1),
			 f->levels - 1, 0, PT_W | PT_U);
	if (!ret && w.cur.len)
		ret = fn(ctx, &w.cur);
	return ret;
}

int pt_extents(const struct pt_phys *phys, uint64_t root, uint64_t start,
	       uint64_t end, pt_extent_fn fn, void *ctx)
{
	static const struct pt_paging long_mode = { PT_FMT_LONG, false, false };

	return pt_extents_of(phys, &long_mode, root, start, end, fn, ctx);
}
