// SPDX-License-Identifier: MIT
/*
 * The ptrace host's load-time wedge.
 *
 * Patched (the default): every 64-bit site becomes 'jmp rel32' (5 bytes,
 * like a call) to its own thunk in the wedge window, and the thunk
 * leaves with a 'jmp' to a constant, the end of its site, or (slow
 * path) wherever the emulation says.  Nothing is pushed: the mechanism
 * never touches the guest's stack (only the instruction's own semantics
 * do, for pushf and popf), so a site works on any stack, the user's one
 * at the syscall entry included, which this process does not map.
 * Hence swapgs, sysret, sysexit and the site at the entry point are
 * patched too.  A thunk is
 *
 *  - slow (every kind): store rsp and the site index in struct
 *    wedge_data and jump through the literal in front of the thunks
 *    (read-only) to ptrace_thunk_common (entry.S), which switches to the wedge stack, saves the registers
 *    as a struct afb_frame and lets run.c emulate the pre-decoded
 *    instruction with the core; ptrace_resume then jumps wherever the
 *    frame says;
 *
 *  - fast, in front of the slow one (cli, sti, pushf and popf with a
 *    64-bit operand; --no-fast turns them off): a few instructions on
 *    the mirror of the vCPU's rflags and pending bitmap in wedge_data
 *    (struct wedge_fast), RIP-relative,
 *    that keep every register and arithmetic flag the original
 *    instruction keeps (lahf/seto and sahf, or the real flags pushf
 *    itself puts on the stack), and fall into the slow thunk whenever
 *    the core has more to do: something pending when IF is or becomes
 *    set, a popf value with TF, AC or NT.  They follow vcpu.h's "Fast
 *    paths" contract.  A fast path makes one guest memory access (the
 *    stack slot of pushf/popf), before it changes anything but its rax
 *    scratch: a fault there (trap.c) restores rax and emulates the site
 *    the slow way, which delivers the #PF.
 *
 * Left native: sites not in 64-bit code (the PVH entry, never run here),
 * and rdtsc/rdtscp (the guest's TSC is the host's: native is correct).
 *
 * --no-patch, the trap-and-emulate ("virt") baseline: nothing calls the
 * wedge.  Sensitive instructions that trap at CPL3 on Linux (privileged
 * ones, I/O with IOPL 0, ...) are left as they are and emulated from the
 * SIGSEGV/SIGILL their execution raises.  Those that do not trap at CPL3
 * (pushf, popf, cpuid, segment register moves, far transfers, lar/lsl,
 * ...) silently do the wrong thing there; as the seeds' "virt" column
 * does, their first bytes become ud2, and the SIGILL at a known site is
 * emulated from the site's original instruction.  --no-patch=pure leaves
 * even those alone (to see what goes wrong; see the man page).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "emit.h"
#include "ptrace.h"

/* Kinds that raise #GP or #UD at CPL3 (IOPL 0) on a Linux host. */
bool wedge__traps_at_cpl3(unsigned int kind)
{
	switch (kind) {
	case AFB_KIND_CLI: case AFB_KIND_STI: case AFB_KIND_STI_HLT:
	case AFB_KIND_STI_MWAIT:
	case AFB_KIND_HLT: case AFB_KIND_IN: case AFB_KIND_OUT:
	case AFB_KIND_INS: case AFB_KIND_OUTS: case AFB_KIND_MOV_CR:
	case AFB_KIND_MOV_DR: case AFB_KIND_LGDT: case AFB_KIND_LIDT:
	case AFB_KIND_LLDT: case AFB_KIND_LTR: case AFB_KIND_LMSW:
	case AFB_KIND_CLTS: case AFB_KIND_INVLPG: case AFB_KIND_INVPCID:
	case AFB_KIND_INVD: case AFB_KIND_WBINVD: case AFB_KIND_RDMSR:
	case AFB_KIND_WRMSR: case AFB_KIND_SWAPGS: case AFB_KIND_SYSRET:
	case AFB_KIND_SYSEXIT: case AFB_KIND_MONITOR: case AFB_KIND_MWAIT:
	case AFB_KIND_STAC: case AFB_KIND_CLAC: case AFB_KIND_XSETBV:
	case AFB_KIND_XSAVES: case AFB_KIND_XRSTORS:
		return true;
	}
	return false;
}

static bool native_is_correct(unsigned int kind)
{
	return kind == AFB_KIND_RDTSC || kind == AFB_KIND_RDTSCP;
}

int wedge__site_add(struct host *h, const struct afb_site *site,
		     const struct afb_insn *insn, bool trapping)
{
	if (h->nsites == h->sites_cap) {
		size_t cap = h->sites_cap ? 2 * h->sites_cap : 256;
		struct site_info *s = realloc(h->sites, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		h->sites = s;
		h->sites_cap = cap;
	}
	h->sites[h->nsites++] = (struct site_info){
		.addr = site->addr, .end = site->addr + site->len,
		.insn = *insn, .trapping = trapping,
	};
	return 0;
}

/* ---- A little x86-64 emitter for the thunks --------------------------- */

#define WD_ADDR(field)	(GUEST_WEDGE_BASE + offsetof(struct wedge_data, field))
#define VCPU_ADDR(field) (WD_ADDR(vf) + offsetof(struct wedge_fast, field))
#define ENTRY_ADDR	(GUEST_WEDGE_BASE + WEDGE_THUNKS)
/* The byte of vcpu->rflags that holds IF (bit 9), with IOPL and NT. */
#define VCPU_IF_BYTE	(VCPU_ADDR(rflags) + 1)
#define IF_IN_BYTE	(AFB_RFLAGS_IF >> 8)

static void e_rel32(struct emit *e, uint64_t target, size_t after)
{
	int64_t rel = (int64_t)(target - (e->at + e->n + 4 + after));

	if (rel < INT32_MIN || rel > INT32_MAX)
		e->bad = true;
	e_le(e, (uint64_t)rel, 4);
}

/* @op (ending in a ModRM with mod 00, rm 101), disp32 to @target, imm. */
static void e_rip(struct emit *e, const uint8_t *op, size_t oplen,
		  uint64_t target, uint64_t imm, size_t immlen)
{
	e_bytes(e, op, oplen);
	e_rel32(e, target, immlen);
	e_le(e, imm, immlen);
}

#define RIP(e, target, imm, immlen, ...) \
	e_rip((e), (const uint8_t[]){ __VA_ARGS__ }, \
	      sizeof((const uint8_t[]){ __VA_ARGS__ }), (target), (imm), (immlen))

static void e_jmp(struct emit *e, uint64_t target)
{
	E(e, 0xe9);
	e_rel32(e, target, 0);
}


static void save_rax(struct emit *e)	{ RIP(e, WD_ADDR(rax), 0, 0, 0x48, 0x89, 0x05); }
static void load_rax(struct emit *e)	{ RIP(e, WD_ADDR(rax), 0, 0, 0x48, 0x8b, 0x05); }
static void save_rcx(struct emit *e)	{ RIP(e, WD_ADDR(rcx), 0, 0, 0x48, 0x89, 0x0d); }
static void load_rcx(struct emit *e)	{ RIP(e, WD_ADDR(rcx), 0, 0, 0x48, 0x8b, 0x0d); }

/* lahf; seto %al: the arithmetic flags into %ax (rax saved first) */
static void flags_to_ax(struct emit *e)	{ E(e, 0x9f, 0x0f, 0x90, 0xc0); }
/* addb $0x7f, %al (OF back); sahf (the rest) */
static void flags_from_ax(struct emit *e) { E(e, 0x04, 0x7f, 0x9e); }

/* Any vector pending?  cmpq $0 on each word; jnz @label. */
static void if_pending(struct emit *e, int label)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		RIP(e, VCPU_ADDR(pending) + 8 * i, 0, 1, 0x48, 0x83, 0x3d);
		e_jlabel(e, JNZ, label);
	}
}

static void count_fast(struct emit *e, unsigned int kind)
{
	RIP(e, WD_ADDR(fast) + 8 * kind, 0, 0, 0x48, 0xff, 0x05);	/* incq */
}

static void clear_shadow(struct emit *e)
{
	RIP(e, VCPU_ADDR(shadow), 0, 1, 0xc6, 0x05);		/* movb $0 */
}

/*
 * The slow thunk: rsp and the index into wedge_data, then
 * ptrace_thunk_common through the read-only literal in front of the
 * thunks.  No flag changes.
 */
static void slow_path(struct emit *e, uint32_t index)
{
	e_label(e, L_SLOW);
	RIP(e, WD_ADDR(guest_rsp), 0, 0, 0x48, 0x89, 0x25);	/* mov %rsp */
	RIP(e, WD_ADDR(index), index, 4, 0xc7, 0x05);		/* movl $index */
	RIP(e, ENTRY_ADDR, 0, 0, 0xff, 0x25);			/* jmp *entry */
}

/* cli: IF off.  Nothing to deliver after it. */
static void fast_cli(struct emit *e, uint64_t end)
{
	save_rax(e);
	flags_to_ax(e);
	RIP(e, VCPU_IF_BYTE, (uint8_t)~IF_IN_BYTE, 1, 0x80, 0x25);	/* andb */
	clear_shadow(e);
	count_fast(e, AFB_KIND_CLI);
	flags_from_ax(e);
	load_rax(e);
	e_jmp(e, end);
}

/*
 * sti: anything pending goes to the core (its shadow rules decide when
 * it is delivered).  Else IF on, and, if it was off, the shadow over the
 * next instruction, as em_sti() sets it.
 */
static void fast_sti(struct emit *e, uint64_t end)
{
	save_rax(e);
	flags_to_ax(e);
	if_pending(e, L_RESTORE);
	RIP(e, VCPU_IF_BYTE, IF_IN_BYTE, 1, 0xf6, 0x05);		/* testb */
	e_jlabel(e, JZ, L_DONE);
	clear_shadow(e);					/* already on */
	e_jlabel(e, -1, L_RESTORE2);
	e_label(e, L_DONE);
	RIP(e, VCPU_IF_BYTE, IF_IN_BYTE, 1, 0x80, 0x0d);		/* orb */
	RIP(e, VCPU_ADDR(shadow), 1, 1, 0xc6, 0x05);		/* movb $1 */
	RIP(e, VCPU_ADDR(shadow_rip), (uint32_t)end, 4, 0xc7, 0x05);
	RIP(e, VCPU_ADDR(shadow_rip) + 4, (uint32_t)(end >> 32), 4, 0xc7, 0x05);
	e_label(e, L_RESTORE2);
	count_fast(e, AFB_KIND_STI);
	flags_from_ax(e);
	load_rax(e);
	e_jmp(e, end);
	e_label(e, L_RESTORE);
	flags_from_ax(e);
	load_rax(e);
}

/*
 * pushfq: the real one puts the real flags where the guest's pushf puts
 * its value (and saves them for us); merge in the virtual bits as
 * afb_vcpu_rflags() does, then popfq (the real flags back), store the
 * merged value in the same slot and take the slot with lea.
 */
static void fast_pushf(struct emit *e, uint64_t end, uint64_t *fault_rip)
{
	save_rax(e);
	*fault_rip = e->at + e->n;
	E(e, 0x9c);						/* pushfq */
	clear_shadow(e);
	RIP(e, VCPU_IF_BYTE, IF_IN_BYTE, 1, 0xf6, 0x05);		/* testb */
	e_jlabel(e, JZ, L_DONE);
	if_pending(e, L_RESTORE);
	e_label(e, L_DONE);
	E(e, 0x48, 0x8b, 0x04, 0x24);				/* mov (%rsp),%rax */
	E(e, 0x25);						/* andl $REAL,%eax */
	e_le(e, AFB_RFLAGS_REAL, 4);
	RIP(e, VCPU_ADDR(rflags), 0, 0, 0x48, 0x0b, 0x05);	/* orq rflags,%rax */
	E(e, 0x48, 0x25);					/* andq $..., %rax */
	e_le(e, (AFB_RFLAGS_REAL | AFB_RFLAGS_VIRT) &
		~(uint64_t)(AFB_RFLAGS_RF | AFB_RFLAGS_VM), 4);
	E(e, 0x48, 0x83, 0xc8, AFB_RFLAGS_FIXED);		/* orq $2, %rax */
	count_fast(e, AFB_KIND_PUSHF);
	E(e, 0x9d);						/* popfq */
	E(e, 0x48, 0x89, 0x44, 0x24, 0xf8);			/* mov %rax,-8(%rsp) */
	E(e, 0x48, 0x8d, 0x64, 0x24, 0xf8);			/* lea -8(%rsp),%rsp */
	load_rax(e);
	e_jmp(e, end);
	e_label(e, L_RESTORE);
	E(e, 0x9d);						/* popfq: undo */
	load_rax(e);
}

/*
 * popfq: the value's IF and IOPL into the vCPU (what a CPL0 popf may
 * change of the virtual bits, NT and AC being zero here; RF cleared),
 * then the real popfq loads the real bits and takes the slot.  A value
 * with TF, AC or NT, or IF on with something pending, goes to the core,
 * which may run popf again from the start: its result depends only on
 * the value at CPL0.
 */
static void fast_popf(struct emit *e, uint64_t end, uint64_t *fault_rip)
{
	uint64_t keep = ~(uint64_t)(AFB_RFLAGS_IF | AFB_RFLAGS_IOPL |
				   AFB_RFLAGS_NT | AFB_RFLAGS_AC |
				   AFB_RFLAGS_RF);

	save_rax(e);
	*fault_rip = e->at + e->n;
	E(e, 0x48, 0x8b, 0x04, 0x24);				/* mov (%rsp),%rax */
	E(e, 0xa9);						/* testl */
	e_le(e, AFB_RFLAGS_TF | AFB_RFLAGS_AC | AFB_RFLAGS_NT, 4);
	e_jlabel(e, JNZ, L_RESTORE);
	save_rcx(e);
	RIP(e, VCPU_ADDR(rflags), 0, 0, 0x48, 0x8b, 0x0d);	/* mov rflags,%rcx */
	E(e, 0x48, 0x81, 0xe1);					/* andq $keep,%rcx */
	e_le(e, keep, 4);
	E(e, 0x25);						/* andl $(IF|IOPL),%eax */
	e_le(e, AFB_RFLAGS_IF | AFB_RFLAGS_IOPL, 4);
	E(e, 0x48, 0x09, 0xc1);					/* orq %rax,%rcx */
	RIP(e, VCPU_ADDR(rflags), 0, 0, 0x48, 0x89, 0x0d);	/* mov %rcx,rflags */
	clear_shadow(e);
	E(e, 0xa9);						/* testl $IF,%eax */
	e_le(e, AFB_RFLAGS_IF, 4);
	e_jlabel(e, JZ, L_DONE);
	if_pending(e, L_RESTORE2);
	e_label(e, L_DONE);
	count_fast(e, AFB_KIND_POPF);
	load_rcx(e);
	load_rax(e);
	E(e, 0x9d);						/* popfq */
	e_jmp(e, end);
	e_label(e, L_RESTORE2);
	load_rcx(e);
	e_label(e, L_RESTORE);
	load_rax(e);
}

static bool has_fast_path(const struct afb_insn *insn)
{
	switch (insn->kind) {
	case AFB_KIND_CLI: case AFB_KIND_STI:
		return true;
	case AFB_KIND_PUSHF: case AFB_KIND_POPF:
		return insn->opsize == 8;
	}
	return false;
}

static int thunk_plan(const struct afb_wedge *wedge,
		      const struct afb_image *image,
		      struct afb_wedge_area *area, const struct afb_site *site,
		      const struct afb_insn *insn, struct afb_site_patch *patch)
{
	struct host *h = &the_host;
	struct emit e;
	uint64_t end = site->addr + site->len, fault_rip = 0, thunk;
	uint32_t index = (uint32_t)h->nsites;
	int ret;

	(void)wedge, (void)image;
	if (site->mode != 64 || native_is_correct(site->kind))
		return 0;
	if (site->len < 5)
		return -EINVAL;
	e_init(&e, area->vaddr + area->used);
	if (h->fast && has_fast_path(insn)) {
		switch (insn->kind) {
		case AFB_KIND_CLI: fast_cli(&e, end); break;
		case AFB_KIND_STI: fast_sti(&e, end); break;
		case AFB_KIND_PUSHF: fast_pushf(&e, end, &fault_rip); break;
		case AFB_KIND_POPF: fast_popf(&e, end, &fault_rip); break;
		}
	}
	slow_path(&e, index);
	e_resolve(&e);
	if (e.bad)
		return -ERANGE;
	if (area->used + e.n > area->size)
		return -ENOSPC;
	thunk = afb_wedge_emit_thunk(area, e.b, e.n);
	if (!thunk)
		return -ENOSPC;
	ret = wedge__site_add(h, site, insn, false);
	if (ret)
		return ret;
	h->sites[index].thunk = thunk;
	h->sites[index].thunk_end = thunk + e.n;
	h->sites[index].fault_rip = fault_rip;
	/* jmp rel32 to the thunk */
	{
		int64_t rel = (int64_t)(thunk - (site->addr + 5));

		if (rel < INT32_MIN || rel > INT32_MAX)
			return -ERANGE;
		patch->bytes[0] = 0xe9;
		memcpy(patch->bytes + 1, &(int32_t){ (int32_t)rel }, 4);
		patch->len = 5;
	}
	return 0;
}

static int trap_plan(const struct afb_wedge *wedge,
		     const struct afb_image *image,
		     struct afb_wedge_area *area, const struct afb_site *site,
		     const struct afb_insn *insn, struct afb_site_patch *patch)
{
	struct host *h = &the_host;

	(void)wedge, (void)image, (void)area;
	if (site->mode != 64 || h->pure_trap || wedge__traps_at_cpl3(site->kind) ||
	    native_is_correct(site->kind))
		return 0;
	if (site->len < 2)
		return -EINVAL;
	patch->bytes[0] = 0x0f;			/* ud2 */
	patch->bytes[1] = 0x0b;
	patch->len = 2;
	return wedge__site_add(h, site, insn, true);
}

static const struct afb_wedge ptrace_wedge = {
	.name = "ptrace",
	.summary = "afterburn-ptrace: per-site thunks into the hosted vCPU",
	.plan = thunk_plan,
};

static const struct afb_wedge ptrace_trap_wedge = {
	.name = "ptrace-trap",
	.summary = "afterburn-ptrace --no-patch: ud2 where CPL3 does not trap",
	.plan = trap_plan,
};

/*
 * Map the wedge window (memfd pages after the stub's): wedge_data, then
 * the thunks.  The host writes both through its own view (h->wedge).
 */
int wedge__init(struct host *h)
{
	void *p = mmap((void *)GUEST_WEDGE_BASE, WEDGE_SIZE,
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, h->memfd,
		       (off_t)(h->mem_size + STUB_SIZE));

	if (p == MAP_FAILED)
		return -errno;
	h->wd = (struct wedge_data *)h->wedge;	/* our view of it */
	*(uint64_t *)(h->wedge + WEDGE_THUNKS) =
		(uint64_t)(uintptr_t)ptrace_thunk_common;
	return 0;
}

/*
 * The fast paths' state (struct wedge_fast) and the vCPU.  Pull when the
 * guest kernel enters the host (a slow thunk, a trap, a signal in guest
 * code): take what a fast path may have changed, as a CPL0 popf could
 * change it, and nothing else, since the guest kernel can write the page
 * itself.  Push before it runs again.  Without fast paths the page is
 * not used, and nothing is taken from it.
 */
#define PULLED_FLAGS	(AFB_RFLAGS_IF | AFB_RFLAGS_IOPL | AFB_RFLAGS_NT | \
			 AFB_RFLAGS_AC)

void wedge__pull(struct host *h)
{
	const struct wedge_fast *f = &h->wd->vf;
	struct afb_vcpu *v = h->vcpu;

	if (!h->patch || !h->fast || v->cpl)
		return;
	v->rflags = (v->rflags & ~(uint64_t)PULLED_FLAGS) |
		    (f->rflags & PULLED_FLAGS);
	if (!(f->rflags & AFB_RFLAGS_RF))
		v->rflags &= ~(uint64_t)AFB_RFLAGS_RF;
	v->shadow = f->shadow & 1;
	v->shadow_rip = f->shadow_rip;
}

void wedge__push_pending(struct host *h)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		h->wd->vf.pending[i] = h->vcpu->pending[i];
}

void wedge__push(struct host *h)
{
	struct wedge_fast *f = &h->wd->vf;
	const struct afb_vcpu *v = h->vcpu;

	f->rflags = v->rflags;
	f->shadow = v->shadow;
	f->shadow_rip = v->shadow_rip;
	wedge__push_pending(h);
}

static int site_cmp(const void *a, const void *b)
{
	const struct site_info *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int wedge__apply(struct host *h)
{
	struct afb_memory mem = {
		.base = h->phys, .vaddr = GUEST_KERNEL_BASE, .size = h->mem_size,
	};
	struct afb_wedge_area area = {
		.base = h->wedge + WEDGE_FIRST_THUNK,
		.vaddr = GUEST_WEDGE_BASE + WEDGE_FIRST_THUNK,
		.size = WEDGE_SIZE - WEDGE_FIRST_THUNK,
	};
	struct afb_error err = { 0 };
	int ret;

	ret = afb_image_open(h->image_path, &h->image, &err);
	if (ret)
		die("%s", err.message);
	ret = afb_wedge_apply(h->image, &mem,
			      h->patch ? &ptrace_wedge : &ptrace_trap_wedge,
			      &area, &h->patch_stats, &err);
	if (ret)
		die("patching %s: %s", h->image_path, err.message);
	if (mprotect((void *)(GUEST_WEDGE_BASE + WEDGE_THUNKS),
		     WEDGE_SIZE - WEDGE_THUNKS, PROT_READ | PROT_EXEC) < 0)
		return -errno;
	if (!h->patch)
		qsort(h->sites, h->nsites, sizeof(*h->sites), site_cmp);
	return 0;
}

/* --no-patch: the ud2'd site at @addr, or NULL. */
const struct site_info *wedge__find_site(struct host *h, uint64_t addr)
{
	struct site_info key = { .addr = addr };

	if (h->patch || !h->nsites)
		return NULL;
	return bsearch(&key, h->sites, h->nsites, sizeof(*h->sites), site_cmp);
}

static int thunk_cmp(const void *a, const void *b)
{
	const struct site_info *x = a, *y = b;

	if (x->thunk < y->thunk)
		return x->thunk_end <= y->thunk ? -1 : 0;
	return x->thunk >= y->thunk_end;
}

/* Patched: the site whose thunk holds @rip, or NULL. */
const struct site_info *wedge__find_thunk(struct host *h, uint64_t rip)
{
	struct site_info key = { .thunk = rip, .thunk_end = rip + 1 };

	if (!h->patch || !h->nsites)
		return NULL;
	return bsearch(&key, h->sites, h->nsites, sizeof(*h->sites), thunk_cmp);
}
