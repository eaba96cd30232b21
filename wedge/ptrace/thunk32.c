// SPDX-License-Identifier: MIT
/*
 * An i386 guest's sites (the load-time wedge of boot32.c's image).
 *
 * Patched: every 32-bit site becomes 'jmp rel32' to its exit thunk in the
 * wedge area, compat_thunk_write()'s 'movl $index, slot; ljmp $0x33, $pad'
 * (compat.h): the landing pad reaches compat_exit, which saves the 32-bit
 * registers and calls thunk32__exit(), which emulates the site's
 * instruction with the core and resumes wherever the frame then says.
 * The area (memory32.c pins it at its virtual address): page 0 the slot,
 * page 1 the landing pad, then the thunks.  No fast paths yet: cli, sti,
 * pushf and popf exit like every other site.
 *
 * --no-patch: as for a 64-bit guest (thunk.c), sites that do not trap at
 * CPL3 become ud2, the others trap as they are.
 *
 * The code that may run at its physical address (with paging off, or on
 * in the early identity mapping: boot32.c) is trapped in both modes (the
 * signal gives the address it ran at); rdtsc/rdtscp stay native.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptrace.h"

#define SLOT_OFF	0x0
#define PAD_OFF		0x1000
#define FIRST_THUNK	(PAD_OFF + COMPAT_PAD_SIZE)

bool wedge32__early(const struct host *h, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < h->nearly; i++)
		if (addr >= h->early[i].start && addr < h->early[i].end)
			return true;
	return false;
}

static bool left_native(const struct afb_site *site)
{
	return site->mode != 32 || site->kind == AFB_KIND_RDTSC ||
	       site->kind == AFB_KIND_RDTSCP;
}

/* Patched: the early code's ud2'd sites, sorted (--no-patch: in sites). */
static struct site_info *early_sites;
static size_t nearly_sites;

static int site_cmp(const void *a, const void *b)
{
	const struct site_info *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* ud2 where CPL3 does not trap (the other sites trap as they are). */
static int plan_ud2(struct host *h, const struct afb_site *site,
		    const struct afb_insn *insn, struct afb_site_patch *patch)
{
	struct site_info *n;

	if (h->pure_trap || wedge__traps_at_cpl3(site->kind))
		return 0;
	if (site->len < 2)
		return -EINVAL;
	patch->bytes[0] = 0x0f;			/* ud2 */
	patch->bytes[1] = 0x0b;
	patch->len = 2;
	if (!h->patch)
		return wedge__site_add(h, site, insn, true);
	n = realloc(early_sites, (nearly_sites + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	early_sites = n;
	early_sites[nearly_sites++] = (struct site_info){
		.addr = site->addr, .end = site->addr + site->len,
		.insn = *insn, .trapping = true,
	};
	return 0;
}

/*
 * The ud2'd site that trapped at @eip: its address, or with paging off
 * (or on, in the early code's identity mapping) its physical one.
 */
const struct site_info *wedge32__find_trap(struct host *h, uint64_t eip)
{
	struct site_info key = { .addr = eip };
	const struct site_info *s;

	for (;;) {
		if (h->patch)
			s = nearly_sites ? bsearch(&key, early_sites, nearly_sites,
						   sizeof(*s), site_cmp) : NULL;
		else
			s = wedge__find_site(h, key.addr);
		if ((s && s->trapping) || key.addr >= h->load_delta)
			return s && s->trapping ? s : NULL;
		key.addr += h->load_delta;
	}
}

static struct compat_layout layout_of(const struct host *h)
{
	return (struct compat_layout){
		.pad = (uint32_t)(h->area_va + PAD_OFF),
		.slot = (uint32_t)(h->area_va + SLOT_OFF),
	};
}

static int thunk32_plan(const struct afb_wedge *wedge,
			const struct afb_image *image,
			struct afb_wedge_area *area, const struct afb_site *site,
			const struct afb_insn *insn, struct afb_site_patch *patch)
{
	struct host *h = &the_host;
	struct compat_layout l = layout_of(h);
	uint8_t code[COMPAT_THUNK_SIZE];
	uint32_t index = (uint32_t)h->nsites;
	uint64_t thunk;
	int32_t rel;
	int ret;

	(void)wedge, (void)image;
	if (left_native(site))
		return 0;
	if (wedge32__early(h, site->addr))	/* may run at its physical address */
		return plan_ud2(h, site, insn, patch);
	if (site->len < 5)
		return -EINVAL;
	compat_thunk_write(code, &l, index);
	thunk = afb_wedge_emit_thunk(area, code, sizeof(code));
	if (!thunk)
		return -ENOSPC;
	ret = wedge__site_add(h, site, insn, false);
	if (ret)
		return ret;
	h->sites[index].thunk = thunk;
	h->sites[index].thunk_end = thunk + sizeof(code);
	rel = (int32_t)(uint32_t)(thunk - (site->addr + 5));
	patch->bytes[0] = 0xe9;
	memcpy(patch->bytes + 1, &rel, 4);
	patch->len = 5;
	return 0;
}

static int trap32_plan(const struct afb_wedge *wedge,
		       const struct afb_image *image,
		       struct afb_wedge_area *area, const struct afb_site *site,
		       const struct afb_insn *insn, struct afb_site_patch *patch)
{
	(void)wedge, (void)image, (void)area;
	if (left_native(site))
		return 0;
	return plan_ud2(&the_host, site, insn, patch);
}

static const struct afb_wedge ptrace32_wedge = {
	.name = "ptrace32",
	.summary = "afterburn-ptrace, i386 guest: exit thunks into the vCPU",
	.plan = thunk32_plan,
};

static const struct afb_wedge ptrace32_trap_wedge = {
	.name = "ptrace32-trap",
	.summary = "afterburn-ptrace --no-patch, i386 guest: ud2 where CPL3 does not trap",
	.plan = trap32_plan,
};

/*
 * Patch the image in guest RAM: its loaded bytes are guest-physical
 * [image_start, image_end) at virtual + load_delta, the area's bytes at
 * its physical address.  Then the landing pad and the exits' target.
 */
int wedge32__apply(struct host *h)
{
	struct afb_memory mem = {
		.base = h->phys + 0x100000,
		.vaddr = 0x100000 + h->load_delta,
		.size = h->mem_size - 0x100000,
	};
	struct afb_wedge_area area = {
		.base = h->phys + h->area_pa + FIRST_THUNK,
		.vaddr = h->area_va + FIRST_THUNK,
		.size = h->area_size - FIRST_THUNK,
	};
	struct compat_layout l = layout_of(h);
	struct afb_error err = { 0 };
	int ret;

	memset(h->phys + h->area_pa, 0, h->area_size);
	ret = afb_wedge_apply(h->image, &mem,
			      h->patch ? &ptrace32_wedge : &ptrace32_trap_wedge,
			      &area, &h->patch_stats, &err);
	if (ret)
		die("patching %s: %s", h->image_path, err.message);
	compat_pad_write(h->phys + h->area_pa + PAD_OFF,
			 (uint64_t)(uintptr_t)compat_exit);
	if (!h->patch)
		qsort(h->sites, h->nsites, sizeof(*h->sites), site_cmp);
	else if (nearly_sites)
		qsort(early_sites, nearly_sites, sizeof(*early_sites), site_cmp);
	return compat_init(&l, thunk32__exit, COMPAT_FS_EAGER);
}

/*
 * From compat_exit: a thunk of a patched site.  Its index comes from
 * guest-writable memory: checked.  With paging off, the site ran at its
 * physical address.
 */
int thunk32__exit(struct compat_regs *r)
{
	struct host *h = &the_host;
	uint32_t index = r->index;
	const struct site_info *s;
	uint64_t off = 0;

	h->state = RUN_HOST;
	if (index >= h->nsites)
		guest_crash("the guest kernel entered the wedge with site index %u "
			    "(%zu sites): it wrote the wedge's slot", index,
			    h->nsites);
	s = &h->sites[index];
	if (!(h->vcpu->cr0 & AFB_CR0_PG))
		off = h->load_delta;
	r->frame.rip = s->addr - off;
	r->frame.next_rip = s->end - off;
	h->st.thunk_calls++;
	if (h->verbose > 1)
		fprintf(stderr, "afterburn-ptrace: exit %s at 0x%lx\n",
			afb_kind_name(s->insn.kind), (unsigned long)r->frame.rip);
	run__site(&r->frame, &s->insn);
	r->fs = h->sel32[COMPAT_FS];
	r->gs = h->sel32[COMPAT_GS];
	h->state = RUN_GUEST;
	return COMPAT_RESUME;
}
