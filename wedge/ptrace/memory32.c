// SPDX-License-Identifier: MIT
/*
 * An i386 guest's memory in this process's low 4 GiB, where guest-virtual
 * equals host-virtual (compat.c reserved them PROT_NONE).
 *
 * Guest pages are mirrored lazily: a SIGSEGV of 32-bit guest code at an
 * address the guest can reach (paging off: its RAM at VA = PA; paging
 * on: what its 2-level or PAE tables map, with the access allowed) maps
 * the memfd page there with the guest's protection (writable if the
 * entry is, or if CR0.WP is clear; not executable under NX), a whole
 * large page at once (minus the wedge area), and the instruction runs
 * again.  An access the guest's tables refuse is its #PF (trap32.c).
 * Which 4 MiB regions hold mirrored pages, and which hold non-global ones,
 * is kept in two bitmaps.  A CR3 load drops the regions with non-global
 * pages (with CR4.PGE, the guest kernel's global pages stay: no refaults
 * after a context switch); a paging switch (CR0.PG, CR4.PSE, PAE, PGE) or
 * a global flush drops every region; invlpg drops the region around the
 * page (a large page may hold it, or its table was changed).  Each drop
 * is one mmap per run of adjacent regions.  Accessed and dirty bits are
 * not set.
 *
 * Each time a root is loaded again, the user pages the guest kernel
 * faulted on last under it (the last RECENT_PAGES, for the last
 * RECENT_ROOTS roots) are mapped again at once, as their faults would
 * map them: Linux copying to and from the same buffers of a process
 * after each switch to it (a pipe's reader and writer) takes no signal
 * for them.
 *
 * Pinned, whatever the guest's tables say: the wedge area at its virtual
 * address (boot32.c): its first page (the exit index slot) read-write,
 * the rest (the landing pad, the thunks) read-execute.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "ptrace.h"

#define PAGE		0x1000ULL
#define CHUNK_OFF	0x10000ULL	/* paging off: map 64 KiB at a time */

static struct pt_paging paging_of(const struct host *h)
{
	struct pt_paging pg;

	pt_paging_of(&pg, h->vcpu->cr4, h->vcpu->efer);
	return pg;
}

static bool paging_on(const struct host *h)
{
	return h->vcpu->cr0 & AFB_CR0_PG;
}

int memory32__init(struct host *h)
{
	int ret = compat_map(h->area_va, PAGE, PROT_READ | PROT_WRITE, h->memfd,
			     (off_t)h->area_pa);

	if (!ret)
		ret = compat_map(h->area_va + PAGE, h->area_size - PAGE,
				 PROT_READ | PROT_EXEC, h->memfd,
				 (off_t)(h->area_pa + PAGE));
	memset(h->mapped, 0, sizeof(h->mapped));
	memset(h->mapped_ng, 0, sizeof(h->mapped_ng));
	return ret;
}

/*
 * The guest-physical address of [gva, gva + len) (one page at most) for
 * an access with @access, or an errno of the core's memory ops.
 */
int memory32__translate(struct host *h, uint64_t gva, size_t len,
			unsigned int access, uint64_t *pa)
{
	struct pt_paging pg;
	struct pt_map map;
	int ret;

	if (!paging_on(h)) {
		*pa = gva & 0xffffffffULL;
		return *pa + len <= h->mem_size ? 0 : -EFAULT;
	}
	pg = paging_of(h);
	ret = pt_walk(&h->pt, &pg, h->vcpu->cr3, gva, &map);
	if (ret == -EINVAL)
		ret = -EFAULT;
	if (ret)
		return ret;
	if (!pt_access_ok(&map, access, h->vcpu->cr0 & AFB_CR0_WP))
		return -EACCES;
	if (map.pa + len > h->mem_size)
		return -EFAULT;
	*pa = map.pa;
	return 0;
}

static bool pinned(const struct host *h, uint64_t va)
{
	return va >= h->area_va && va < h->area_va + h->area_size;
}

#define REGION		PT_PAGE_4M
#define NREGIONS	(COMPAT_TOP / REGION)

static void set_bit32(uint64_t *map, uint64_t i)
{
	map[i / 64] |= 1ULL << (i % 64);
}

static bool test_bit32(const uint64_t *map, uint64_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

/* Map [va, va + len) from guest-physical @pa, around the pinned area. */
static int map_range(struct host *h, uint64_t va, uint64_t pa, uint64_t len,
		     int prot, bool global)
{
	uint64_t r;

	uint64_t a_lo = h->area_va, a_hi = h->area_va + h->area_size;
	int ret = 0;

	if (va < a_hi && a_lo < va + len) {
		if (va < a_lo)
			ret = map_range(h, va, pa, a_lo - va, prot, global);
		if (!ret && va + len > a_hi)
			ret = map_range(h, a_hi, pa + (a_hi - va),
					va + len - a_hi, prot, global);
		return ret;
	}
	ret = compat_map(va, len, prot, h->memfd, (off_t)pa);
	if (ret)
		return ret;
	for (r = va / REGION; r <= (va + len - 1) / REGION; r++) {
		set_bit32(h->mapped, r);
		if (!global)
			set_bit32(h->mapped_ng, r);
	}
	h->st.kernel_maps++;
	return 0;
}

/* Clip [*va, *va + *len) mapping *pa.. to low memory above
   mmap_min_addr (the page @addr lies in) and to the guest's RAM. */
static void clip(const struct host *h, uint64_t addr, uint64_t *va,
		 uint64_t *pa, uint64_t *len)
{
	uint64_t lo = addr & ~(PAGE - 1), min = 0x10000;

	if (*va < min && lo >= min) {
		*pa += min - *va;
		*len -= min - *va;
		*va = min;
	}
	if (*pa + *len > h->mem_size)
		*len = h->mem_size > *pa ? (h->mem_size - *pa) & ~(PAGE - 1) : 0;
	if (*va + *len > COMPAT_TOP)
		*len = COMPAT_TOP - *va;
	if (lo < *va || lo >= *va + *len) {	/* keep at least the page */
		*pa += lo - *va;
		*va = lo;
		*len = PAGE;
	}
}

static struct recent_root *recent_of(struct host *h, uint64_t root,
				     bool make)
{
	struct recent_root *r;
	unsigned int i;

	for (i = 0; i < RECENT_ROOTS; i++)	/* (root 0: unused) */
		if (h->recent[i].root == root && root)
			return &h->recent[i];
	if (!make)
		return NULL;
	r = &h->recent[h->recent_next++ % RECENT_ROOTS];
	r->root = root;
	r->n = 0;
	return r;
}

/* A user page of the current root was mirrored at a kernel fault. */
static void remember(struct host *h, uint64_t addr)
{
	struct recent_root *r = recent_of(h, h->vcpu->cr3, true);
	uint32_t va = (uint32_t)(addr & ~(PAGE - 1));
	unsigned int i;

	for (i = 0; i < r->n && r->va[i] != va; i++)
		;
	if (i == r->n && r->n < RECENT_PAGES)
		r->n++;
	if (i == RECENT_PAGES)
		i--;
	memmove(&r->va[1], &r->va[0], i * sizeof(r->va[0]));
	r->va[0] = va;
}

/*
 * A SIGSEGV of guest code at @addr: mirror the page if the guest can
 * access it so.  False if not (the guest's #PF, whose error code has
 * the P bit in *@present: the guest maps the page, but not for this
 * access), or if it is mirrored already (a protection the guest's
 * tables refuse).  The host's own SEGV_ACCERR or SEGV_MAPERR says
 * nothing of that: the reservation below 4 GiB is PROT_NONE.
 */
bool memory32__fault(struct host *h, uint64_t addr, bool write, bool fetch,
		     uint32_t *present)
{
	uint64_t va, pa, len;
	int prot = PROT_READ | PROT_EXEC;
	bool global = false;

	*present = pinned(h, addr) ? AFB_PF_PRESENT : 0;
	if (addr >= COMPAT_TOP || addr < 0x10000 || pinned(h, addr))
		return false;
	if (!paging_on(h)) {
		if (addr >= h->mem_size)
			return false;
		va = addr & ~(CHUNK_OFF - 1);
		pa = va;
		len = CHUNK_OFF;
		prot |= PROT_WRITE;
	} else {
		struct pt_paging pg = paging_of(h);
		struct pt_map map;

		if (pt_walk(&h->pt, &pg, h->vcpu->cr3, addr, &map))
			return false;
		*present = AFB_PF_PRESENT;
		if (!pt_access_ok(&map, write ? AFB_ACCESS_WRITE : 0,
				  h->vcpu->cr0 & AFB_CR0_WP) ||
		    (fetch && (map.flags & PT_XD)))
			return false;
		len = map.page_size;
		va = addr & ~(len - 1);
		pa = map.pa - (addr - va);
		if ((map.flags & PT_W) || !(h->vcpu->cr0 & AFB_CR0_WP))
			prot |= PROT_WRITE;
		if (map.flags & PT_XD)
			prot &= ~PROT_EXEC;
		global = (map.flags & PT_G) && (h->vcpu->cr4 & AFB_CR4_PGE);
	}
	if (pa + (addr - va) >= h->mem_size)
		return false;
	clip(h, addr, &va, &pa, &len);
	if (map_range(h, va, pa, len, prot, global))
		return false;
	if (paging_on(h) && !global)
		remember(h, addr);
	return true;
}

/* Give [lo, hi) back to the reservation, the pinned area excepted. */
static void unmap_range(struct host *h, uint64_t lo, uint64_t hi)
{
	uint64_t a_lo = h->area_va, a_hi = h->area_va + h->area_size;
	int ret = 0;

	if (lo >= hi)
		return;
	if (lo < a_hi && a_lo < hi) {
		unmap_range(h, lo, a_lo < lo ? lo : a_lo);
		unmap_range(h, a_hi > hi ? hi : a_hi, hi);
		return;
	}
	ret = compat_unmap(lo, hi - lo);
	if (ret)
		die("unmapping guest pages 0x%lx-0x%lx: %s", (unsigned long)lo,
		    (unsigned long)hi, strerror(-ret));
}

/* Drop every region marked in @which (and its marks). */
static void drop_regions(struct host *h, const uint64_t *which)
{
	uint64_t r = 0, start;
	uint64_t marks[16];

	memcpy(marks, which, sizeof(marks));
	while (r < NREGIONS) {
		if (!test_bit32(marks, r)) {
			r++;
			continue;
		}
		start = r;
		while (r < NREGIONS && test_bit32(marks, r)) {
			h->mapped[r / 64] &= ~(1ULL << (r % 64));
			h->mapped_ng[r / 64] &= ~(1ULL << (r % 64));
			r++;
		}
		unmap_range(h, start * REGION < 0x10000 ? 0x10000 : start * REGION,
			    r * REGION);
	}
}

void memory32__drop_all(struct host *h)
{
	drop_regions(h, h->mapped);
}

/*
 * A root was activated (set_cr3): after a CR3 load only the non-global
 * pages go; after a switch of the paging mode, everything.
 */
void memory32__new_root(struct host *h)
{
	const struct afb_vcpu *v = h->vcpu;
	uint64_t mode = (v->cr0 & AFB_CR0_PG) |
			(v->cr4 & (AFB_CR4_PSE | AFB_CR4_PAE | AFB_CR4_PGE));
	struct recent_root *r;
	uint32_t va[RECENT_PAGES], present;
	unsigned int i, n;

	if (mode != h->paging_mode) {
		h->paging_mode = mode;
		drop_regions(h, h->mapped);
		memset(h->recent, 0, sizeof(h->recent));
		return;
	}
	drop_regions(h, h->mapped_ng);
	r = recent_of(h, v->cr3, false);
	if (!r)
		return;
	n = r->n;
	memcpy(va, r->va, sizeof(va));
	r->n = 0;		/* what maps again is remembered again */
	for (i = n; i-- > 0;)	/* oldest first: the list keeps its order */
		if (memory32__fault(h, va[i], false, false, &present))
			h->st.kernel_premaps++;
}

void memory32__drop_page(struct host *h, uint64_t gva)
{
	uint64_t one[16] = { 0 };

	if (gva >= COMPAT_TOP)
		return;
	set_bit32(one, gva / REGION);
	if (test_bit32(h->mapped, gva / REGION))
		drop_regions(h, one);
}
