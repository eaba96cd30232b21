// SPDX-License-Identifier: MIT
/*
 * The ptrace host's load-time wedge.
 *
 * Patched (the default): every 64-bit site becomes 'call rel32' to its
 * own thunk in the wedge window,
 *
 *	push $index		the site's entry in the_host.sites
 *	jmp *common(%rip)	ptrace_thunk_common (entry.S), through the
 *				pointer at the start of the window
 *
 * and ptrace_thunk_common switches to the wedge stack, saves the guest's
 * registers as a struct afb_frame and calls run__site() with the site's
 * pre-decoded instruction.  Left native (they trap and are emulated by
 * decoding, like any unpatched site):
 *  - swapgs and sysret/sysexit: they run on the user's stack, which is
 *    not even mapped in this process (user pages live in the stubs);
 *  - the site at the ELF entry point: entered with any %rsp;
 *  - sites not in 64-bit code (the PVH entry, never run here);
 *  - rdtsc and rdtscp: the guest's TSC is the host's, so the native
 *    instruction is already the correct emulation, at native speed.
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
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ptrace.h"

/* Kinds that raise #GP or #UD at CPL3 (IOPL 0) on a Linux host. */
static bool traps_at_cpl3(unsigned int kind)
{
	switch (kind) {
	case AFB_KIND_CLI: case AFB_KIND_STI: case AFB_KIND_STI_HLT:
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

static int site_add(struct host *h, const struct afb_site *site,
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

static int thunk_plan(const struct afb_wedge *wedge,
		      const struct afb_image *image,
		      struct afb_wedge_area *area, const struct afb_site *site,
		      const struct afb_insn *insn, struct afb_site_patch *patch)
{
	struct host *h = &the_host;
	uint8_t code[11];
	uint64_t at, thunk;
	int64_t rel;
	uint32_t index = (uint32_t)h->nsites;
	int ret;

	(void)wedge;
	if (site->mode != 64 || site->kind == AFB_KIND_SWAPGS ||
	    site->kind == AFB_KIND_SYSRET || site->kind == AFB_KIND_SYSEXIT ||
	    site->addr == afb_image_entry(image) || native_is_correct(site->kind))
		return 0;
	if (area->used + sizeof(code) > area->size)
		return -ENOSPC;
	at = area->vaddr + area->used;
	code[0] = 0x68;				/* push $index */
	memcpy(code + 1, &index, 4);
	code[5] = 0xff;				/* jmp *common(%rip) */
	code[6] = 0x25;
	rel = (int64_t)(GUEST_WEDGE_BASE + WEDGE_SLOT_COMMON) -
	      (int64_t)(at + sizeof(code));
	if (rel < INT32_MIN || rel > INT32_MAX)
		return -ERANGE;
	memcpy(code + 7, &(int32_t){ (int32_t)rel }, 4);
	thunk = afb_wedge_emit_thunk(area, code, sizeof(code));
	if (!thunk)
		return -ENOSPC;
	ret = site_add(h, site, insn, false);
	return ret ? ret : afb_wedge_call(patch, site, thunk);
}

static int trap_plan(const struct afb_wedge *wedge,
		     const struct afb_image *image,
		     struct afb_wedge_area *area, const struct afb_site *site,
		     const struct afb_insn *insn, struct afb_site_patch *patch)
{
	struct host *h = &the_host;

	(void)wedge, (void)image, (void)area;
	if (site->mode != 64 || h->pure_trap || traps_at_cpl3(site->kind) ||
	    native_is_correct(site->kind))
		return 0;
	if (site->len < 2)
		return -EINVAL;
	patch->bytes[0] = 0x0f;			/* ud2 */
	patch->bytes[1] = 0x0b;
	patch->len = 2;
	return site_add(h, site, insn, true);
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

/* Map the wedge window's first part: the pointer slot and the thunks. */
int wedge__init(struct host *h)
{
	void *p = mmap((void *)GUEST_WEDGE_BASE, WEDGE_SIZE,
		       PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	h->wedge = p;
	*(uint64_t *)(h->wedge + WEDGE_SLOT_COMMON) =
		(uint64_t)(uintptr_t)ptrace_thunk_common;
	return 0;
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
		.base = h->wedge + WEDGE_THUNKS,
		.vaddr = GUEST_WEDGE_BASE + WEDGE_THUNKS,
		.size = WEDGE_SIZE - WEDGE_THUNKS,
	};
	struct afb_error err = { 0 };
	int ret;

	ret = afb_image_open(h->image_path, &h->image, &err);
	if (ret)
		host_die("%s", err.message);
	ret = afb_wedge_apply(h->image, &mem,
			      h->patch ? &ptrace_wedge : &ptrace_trap_wedge,
			      &area, &h->patch_stats, &err);
	if (ret)
		host_die("patching %s: %s", h->image_path, err.message);
	if (mprotect(h->wedge, WEDGE_SIZE, PROT_READ | PROT_EXEC) < 0)
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
