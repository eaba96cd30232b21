// SPDX-License-Identifier: MIT
/*
 * An i386 guest's sites (the load-time wedge of boot32.c's image).
 *
 * Patched: every 32-bit site becomes 'jmp rel32' to its exit thunk in the
 * wedge area, compat_thunk_write()'s 'movl $index, slot; ljmp $0x33, $pad'
 * (compat.h): the landing pad reaches compat_exit, which saves the 32-bit
 * registers and calls thunk32__exit(), which emulates the site's
 * instruction with the core and resumes wherever the frame then says.
 * The area (memory32.c pins it at its virtual address): page 0 struct
 * wedge_data (the slot is its index, the fast paths' vCPU mirror),
 * page 1 the landing pad, then the thunks.  In front of the exit thunks
 * of cli, sti, pushf and popf, fast paths (below; not with --no-fast).
 *
 * --no-patch: as for a 64-bit guest (thunk.c), sites that do not trap at
 * CPL3 become ud2, the others trap as they are.
 *
 * The code that may run at its physical address (with paging off, or on
 * in the early identity mapping: boot32.c) is trapped in both modes (the
 * signal gives the address it ran at); rdtsc/rdtscp stay native.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "ptrace.h"

#define SLOT_OFF	offsetof(struct wedge_data, index)
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

/* Sites planned so far, of the image's: room for every exit is kept. */
static size_t planned, nsites_image;

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

/* ---- Fast paths: 32-bit code on the vCPU mirror (struct wedge_fast) ----
 *
 * The same paths as thunk.c's for a 64-bit guest (vcpu.h, "Fast paths"),
 * in 32-bit code: cli, sti, and pushf/popf with a 32-bit operand work on
 * the wedge_data at the start of the area (absolute addresses: the area
 * is pinned at its virtual address) and fall into the exit thunk
 * whenever the core has more to do.  The one guest-memory access of
 * pushf/popf (the stack slot) comes first; a fault there (trap32.c)
 * restores eax and emulates the site the slow way.  The counters of
 * wedge_data.fast[] count in their low 32 bits.
 */
#define WD32(field)	(h->area_va + offsetof(struct wedge_data, field))
#define VF32(field)	(WD32(vf) + offsetof(struct wedge_fast, field))
#define IF_BYTE32	(VF32(rflags) + 1)
#define IF_IN_BYTE	(AFB_RFLAGS_IF >> 8)

/* @op (ending in a ModRM with mod 00, rm 101: disp32), the address, imm. */
#define ABS(e, addr, imm, immlen, ...) do {				\
	E((e), __VA_ARGS__);						\
	e_le((e), (addr), 4);						\
	e_le((e), (imm), (immlen));					\
} while (0)

static void e_jmp(struct emit *e, uint64_t target)
{
	E(e, 0xe9);
	e_le(e, (uint32_t)(target - (e->at + e->n + 4)), 4);
}


static void save_eax(struct host *h, struct emit *e) { ABS(e, WD32(rax), 0, 0, 0x89, 0x05); }
static void load_eax(struct host *h, struct emit *e) { ABS(e, WD32(rax), 0, 0, 0x8b, 0x05); }
static void save_ecx(struct host *h, struct emit *e) { ABS(e, WD32(rcx), 0, 0, 0x89, 0x0d); }
static void load_ecx(struct host *h, struct emit *e) { ABS(e, WD32(rcx), 0, 0, 0x8b, 0x0d); }
/* lahf; seto %al / addb $0x7f, %al; sahf */
static void flags_to_ax(struct emit *e)	{ E(e, 0x9f, 0x0f, 0x90, 0xc0); }
static void flags_from_ax(struct emit *e) { E(e, 0x04, 0x7f, 0x9e); }

/* Any vector pending?  cmpl $0 on each half word; jnz @label. */
static void if_pending(struct host *h, struct emit *e, int label)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		ABS(e, VF32(pending) + 4 * i, 0, 1, 0x83, 0x3d);
		e_jlabel(e, JNZ, label);
	}
}

static void count_fast(struct host *h, struct emit *e, unsigned int kind)
{
	ABS(e, WD32(fast) + 8 * kind, 0, 0, 0xff, 0x05);		/* incl */
}

static void clear_shadow(struct host *h, struct emit *e)
{
	ABS(e, VF32(shadow), 0, 1, 0xc6, 0x05);			/* movb $0 */
}

static void fast_cli(struct host *h, struct emit *e, uint64_t end)
{
	save_eax(h, e);
	flags_to_ax(e);
	ABS(e, IF_BYTE32, (uint8_t)~IF_IN_BYTE, 1, 0x80, 0x25);	/* andb */
	clear_shadow(h, e);
	count_fast(h, e, AFB_KIND_CLI);
	flags_from_ax(e);
	load_eax(h, e);
	e_jmp(e, end);
}

static void fast_sti(struct host *h, struct emit *e, uint64_t end)
{
	save_eax(h, e);
	flags_to_ax(e);
	if_pending(h, e, L_RESTORE);
	ABS(e, IF_BYTE32, IF_IN_BYTE, 1, 0xf6, 0x05);		/* testb */
	e_jlabel(e, JZ, L_DONE);
	clear_shadow(h, e);					/* already on */
	e_jlabel(e, -1, L_RESTORE2);
	e_label(e, L_DONE);
	ABS(e, IF_BYTE32, IF_IN_BYTE, 1, 0x80, 0x0d);		/* orb */
	ABS(e, VF32(shadow), 1, 1, 0xc6, 0x05);			/* movb $1 */
	ABS(e, VF32(shadow_rip), (uint32_t)end, 4, 0xc7, 0x05);	/* movl */
	ABS(e, VF32(shadow_rip) + 4, 0, 4, 0xc7, 0x05);
	e_label(e, L_RESTORE2);
	count_fast(h, e, AFB_KIND_STI);
	flags_from_ax(e);
	load_eax(h, e);
	e_jmp(e, end);
	e_label(e, L_RESTORE);
	flags_from_ax(e);
	load_eax(h, e);
}

/* pushfl, then the merged value in its slot (thunk.c's fast_pushf). */
static void fast_pushf(struct host *h, struct emit *e, uint64_t end,
		       uint64_t *fault_rip)
{
	save_eax(h, e);
	*fault_rip = e->at + e->n;
	E(e, 0x9c);						/* pushfl */
	clear_shadow(h, e);
	ABS(e, IF_BYTE32, IF_IN_BYTE, 1, 0xf6, 0x05);		/* testb */
	e_jlabel(e, JZ, L_DONE);
	if_pending(h, e, L_RESTORE);
	e_label(e, L_DONE);
	E(e, 0x8b, 0x04, 0x24);					/* mov (%esp),%eax */
	E(e, 0x25);						/* andl $REAL */
	e_le(e, AFB_RFLAGS_REAL, 4);
	ABS(e, VF32(rflags), 0, 0, 0x0b, 0x05);			/* orl rflags */
	E(e, 0x25);						/* andl */
	e_le(e, (AFB_RFLAGS_REAL | AFB_RFLAGS_VIRT) &
		~(uint64_t)(AFB_RFLAGS_RF | AFB_RFLAGS_VM), 4);
	E(e, 0x83, 0xc8, AFB_RFLAGS_FIXED);			/* orl $2 */
	count_fast(h, e, AFB_KIND_PUSHF);
	E(e, 0x9d);						/* popfl */
	E(e, 0x89, 0x44, 0x24, 0xfc);				/* mov %eax,-4(%esp) */
	E(e, 0x8d, 0x64, 0x24, 0xfc);				/* lea -4(%esp),%esp */
	load_eax(h, e);
	e_jmp(e, end);
	e_label(e, L_RESTORE);
	E(e, 0x9d);						/* popfl: undo */
	load_eax(h, e);
}

/* popfl: IF and IOPL into the vCPU, the real bits by a real popfl. */
static void fast_popf(struct host *h, struct emit *e, uint64_t end,
		      uint64_t *fault_rip)
{
	uint32_t keep = ~(uint32_t)(AFB_RFLAGS_IF | AFB_RFLAGS_IOPL |
				   AFB_RFLAGS_NT | AFB_RFLAGS_AC |
				   AFB_RFLAGS_RF);

	save_eax(h, e);
	*fault_rip = e->at + e->n;
	E(e, 0x8b, 0x04, 0x24);					/* mov (%esp),%eax */
	E(e, 0xa9);						/* testl */
	e_le(e, AFB_RFLAGS_TF | AFB_RFLAGS_AC | AFB_RFLAGS_NT, 4);
	e_jlabel(e, JNZ, L_RESTORE);
	save_ecx(h, e);
	ABS(e, VF32(rflags), 0, 0, 0x8b, 0x0d);			/* mov rflags,%ecx */
	E(e, 0x81, 0xe1);					/* andl $keep,%ecx */
	e_le(e, keep, 4);
	E(e, 0x25);						/* andl $(IF|IOPL) */
	e_le(e, AFB_RFLAGS_IF | AFB_RFLAGS_IOPL, 4);
	E(e, 0x09, 0xc1);					/* orl %eax,%ecx */
	ABS(e, VF32(rflags), 0, 0, 0x89, 0x0d);			/* mov %ecx,rflags */
	clear_shadow(h, e);
	E(e, 0xa9);						/* testl $IF */
	e_le(e, AFB_RFLAGS_IF, 4);
	e_jlabel(e, JZ, L_DONE);
	if_pending(h, e, L_RESTORE2);
	e_label(e, L_DONE);
	count_fast(h, e, AFB_KIND_POPF);
	load_ecx(h, e);
	load_eax(h, e);
	E(e, 0x9d);						/* popfl */
	e_jmp(e, end);
	e_label(e, L_RESTORE2);
	load_ecx(h, e);
	e_label(e, L_RESTORE);
	load_eax(h, e);
}

static bool has_fast_path(const struct afb_insn *insn)
{
	switch (insn->kind) {
	case AFB_KIND_CLI: case AFB_KIND_STI:
		return true;
	case AFB_KIND_PUSHF: case AFB_KIND_POPF:
		return insn->opsize == 4;
	}
	return false;
}

/* The fast path of @insn then its exit thunk, in @e; false if none. */
static bool fast_thunk(struct host *h, struct emit *e, const struct afb_insn *insn,
		       uint64_t end, uint32_t index, uint64_t *fault_rip)
{
	struct compat_layout l = layout_of(h);

	if (!h->fast || !has_fast_path(insn))
		return false;
	switch (insn->kind) {
	case AFB_KIND_CLI: fast_cli(h, e, end); break;
	case AFB_KIND_STI: fast_sti(h, e, end); break;
	case AFB_KIND_PUSHF: fast_pushf(h, e, end, fault_rip); break;
	case AFB_KIND_POPF: fast_popf(h, e, end, fault_rip); break;
	}
	if (e->n + COMPAT_THUNK_SIZE > sizeof(e->b))
		e->bad = true;
	else
		e->n += compat_thunk_write(e->b + e->n, &l, index);
	e_resolve(e);
	return !e->bad;
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
	uint64_t thunk, fault_rip = 0;
	struct emit e;
	size_t len;
	int32_t rel;
	int ret;

	(void)wedge;
	if (!planned++)
		nsites_image = afb_image_sites(image, &(const struct afb_site *){ 0 });
	if (left_native(site))
		return 0;
	if (wedge32__early(h, site->addr))	/* may run at its physical address */
		return plan_ud2(h, site, insn, patch);
	if (site->len < 5)
		return -EINVAL;
	/* The fast path where the area has room for it, else the exit. */
	e_init(&e, area->vaddr + area->used);
	if (fast_thunk(h, &e, insn, site->addr + site->len, index, &fault_rip) &&
	    area->size - area->used >= e.n + (nsites_image - planned) *
					  COMPAT_THUNK_SIZE) {
		thunk = afb_wedge_emit_thunk(area, e.b, e.n);
		len = e.n;
	} else {
		fault_rip = 0;
		len = compat_thunk_write(code, &l, index);
		thunk = afb_wedge_emit_thunk(area, code, len);
	}
	if (!thunk)
		return -ENOSPC;
	ret = wedge__site_add(h, site, insn, false);
	if (ret)
		return ret;
	h->sites[index].thunk = thunk;
	h->sites[index].thunk_end = thunk + len;
	h->sites[index].fault_rip = fault_rip;
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
	h->wd = (struct wedge_data *)(h->phys + h->area_pa);	/* fast paths */
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
	wedge__pull(h);
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

_Static_assert(sizeof(struct wedge_data) <= 0x1000,
	       "struct wedge_data does not fit the area's first page");
