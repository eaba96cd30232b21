// SPDX-License-Identifier: MIT
/*
 * Load-time half of a wedge (include/afterburn/wedge.h): afb_wedge_apply()
 * asks a struct afb_wedge what each site becomes and hands the answers to
 * afb_patch_apply(), which stages every replacement before it writes one.
 * The helpers below are what a wedge's plan() uses to build thunks: append
 * code to the wedge area, make a site a 'call rel32', copy a site's
 * original instruction elsewhere.
 *
 * The area and all-or-nothing: plan() writes its thunks straight into the
 * area, above area->used, while afb_patch_apply() is still staging.  If
 * the image is refused after that, afb_wedge_apply() puts area->used back
 * where it was; the thunks already written stay in the area's bytes above
 * that mark, unreferenced, and are overwritten by the next user.  Nothing
 * below the old mark is ever written, and the guest's memory (@mem) is
 * untouched, so a refused image cannot reach an abandoned thunk.
 */
#include <errno.h>
#include <string.h>

#include <afterburn/wedge.h>

#include "error.h"
#include "image.h"

#define CALL_REL32_LEN	5	/* e8 rel32 */

/* What the afb_patch_fn adapter needs to reach the wedge. */
struct apply_ctx {
	const struct afb_image *image;
	const struct afb_wedge *wedge;
	struct afb_wedge_area *area;
	int plan_err;		/* the errno plan() refused with, 0 if none */
};

/* The afb_patch_fn that afb_patch_apply() calls: asks wedge->plan. */
static int plan_site(void *arg, const struct afb_site *site,
		     const struct afb_insn *insn, uint8_t *buf, size_t cap)
{
	struct apply_ctx *c = arg;
	struct afb_site_patch patch;
	int ret;

	memset(&patch, 0, sizeof(patch));
	ret = c->wedge->plan(c->wedge, c->image, c->area, site, insn, &patch);
	if (ret) {
		c->plan_err = ret < 0 ? ret : -EINVAL;
		return c->plan_err;
	}
	if (patch.len > sizeof(patch.bytes)) {
		c->plan_err = -EOVERFLOW;
		return c->plan_err;
	}
	if (patch.len > cap)
		return patch.len;	/* afb_patch_apply reports it */
	memcpy(buf, patch.bytes, patch.len);
	return patch.len;
}

/* Say which wedge refused, and why when the reason is the area. */
static int apply_error(const struct apply_ctx *c, struct afb_error *err)
{
	const struct afb_wedge_area *a = c->area;

	if (c->plan_err == -ENOSPC)
		return afb_error_prefix(err,
			"wedge %s: its area (0x%zx bytes at 0x%llx) is full, make it larger: ",
			c->wedge->name, a->size, (unsigned long long)a->vaddr);
	if (c->plan_err == -ERANGE)
		return afb_error_prefix(err,
			"wedge %s: its area at 0x%llx is out of rel32 reach (2 GiB) of the site or its operand, move it closer: ",
			c->wedge->name, (unsigned long long)a->vaddr);
	return afb_error_prefix(err, "wedge %s: ", c->wedge->name);
}

/* Host buffers [a, a + alen) and [b, b + blen) share a byte. */
static bool buffers_overlap(const uint8_t *a, size_t alen, const uint8_t *b,
			    size_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return alen && blen && x < y + blen && y < x + alen;
}

static int check_area(const struct afb_wedge *wedge,
		      const struct afb_wedge_area *area,
		      const struct afb_memory *mem, struct afb_error *err)
{
	if (!wedge || !wedge->plan || !area)
		return afb_error_set(err, -EINVAL,
				     "afb_wedge_apply: no wedge, plan() or area");
	if ((area->size && !area->base) || area->used > area->size)
		return afb_error_set(err, -EINVAL,
			"wedge %s: bad area (base %p, 0x%zx of 0x%zx bytes used)",
			wedge->name, (void *)area->base, area->used, area->size);
	if (area->size && area->vaddr + area->size < area->vaddr)
		return afb_error_set(err, -EINVAL,
			"wedge %s: area at 0x%llx wraps around the address space",
			wedge->name, (unsigned long long)area->vaddr);
	/* plan() writes thunks before the patcher knows the image is good */
	if (mem && buffers_overlap(area->base, area->size, mem->base, mem->size))
		return afb_error_set(err, -EINVAL,
			"wedge %s: the area's buffer overlaps the image's memory",
			wedge->name);
	return 0;
}

/**
 * afb_wedge_data - the wedge's data in its area (see wedge.h)
 * @area: the area
 * @size: bytes wanted; the same (or fewer) on every call
 *
 * Returns the guest address of the zeroed, 64-byte aligned data (the
 * area's bytes are zero until written), or 0 if it does not fit.
 */
AFB_EXPORT uint64_t afb_wedge_data(struct afb_wedge_area *area, size_t size)
{
	size_t at;

	if (!area || !size)
		return 0;
	if (area->data_vaddr)
		return size <= area->data_size ? area->data_vaddr : 0;
	at = (area->used + 63) & ~(size_t)63;
	if (at > area->size || size > area->size - at)
		return 0;
	if (area->base)
		memset(area->base + area->used, 0, at + size - area->used);
	area->used = at + size;
	area->data_vaddr = area->vaddr + at;
	area->data_size = size;
	return area->data_vaddr;
}

/**
 * afb_wedge_apply - patch every site of an image for a wedge, all or nothing
 * @image: a linked image
 * @mem:   the loaded image (see afb_patch_apply())
 * @wedge: decides what each site becomes (wedge->plan, once per site, in
 *         site order)
 * @area:  the wedge's code area: thunks are appended at area->used; its
 *         buffer must not overlap @mem's
 * @stats: filled on success, zeroed on failure; may be NULL
 * @err:   describes a failure, naming the wedge and the site
 *
 * On success every planned replacement is in @mem and area->used covers
 * every thunk.  On failure @mem is untouched, area->used is what it was,
 * and the area's bytes below that mark are untouched; bytes above it may
 * hold thunks of the abandoned attempt (harmless: nothing refers to them).
 * The caller must ensure that no CPU runs the code in @mem or the area
 * while they are written.
 *
 * Returns 0, or what afb_patch_apply() returns (including the negative
 * errno that plan() refused with; -ENOSPC when the area is full).
 */
AFB_EXPORT int afb_wedge_apply(const struct afb_image *image,
			       struct afb_memory *mem,
			       const struct afb_wedge *wedge,
			       struct afb_wedge_area *area,
			       struct afb_patch_stats *stats,
			       struct afb_error *err)
{
	struct apply_ctx c = { .image = image, .wedge = wedge, .area = area };
	size_t used, data_size;
	uint64_t data_vaddr;
	int ret;

	ret = check_area(wedge, area, mem, err);
	if (ret) {
		if (stats)
			memset(stats, 0, sizeof(*stats));
		return ret;
	}
	used = area->used;
	data_vaddr = area->data_vaddr;
	data_size = area->data_size;
	ret = afb_patch_apply(image, mem, plan_site, &c, stats, err);
	if (ret) {
		area->used = used;
		area->data_vaddr = data_vaddr;
		area->data_size = data_size;
		if (c.plan_err)
			apply_error(&c, err);
	}
	return ret;
}

/**
 * afb_wedge_emit_thunk - append code to a wedge area
 * @area: the area; area->used grows by @len
 * @code: the bytes, already relocated for the address this returns (the
 *        caller computes that address as area->vaddr + area->used)
 * @len:  how many
 *
 * Returns the guest address of the copy, or 0 if the area has no room
 * (or @area, @code or @len is bad); nothing is written then.
 */
AFB_EXPORT uint64_t afb_wedge_emit_thunk(struct afb_wedge_area *area,
					 const void *code, size_t len)
{
	uint64_t vaddr;

	if (!area || !area->base || !code || !len || area->used > area->size ||
	    len > area->size - area->used)
		return 0;
	vaddr = area->vaddr + area->used;
	memcpy(area->base + area->used, code, len);
	area->used += len;
	return vaddr;
}

/* @target - (@from_end) as a rel32, or -ERANGE. */
static int rel32(uint64_t target, uint64_t from_end, int32_t *rel)
{
	int64_t d = (int64_t)(target - from_end);

	if (d < INT32_MIN || d > INT32_MAX)
		return -ERANGE;
	*rel = (int32_t)d;
	return 0;
}

/*
 * The same for a branch in @mode code: in 32-bit code EIP wraps at 4 GiB,
 * so between two 32-bit addresses every rel32 reaches.
 */
static int branch_rel(unsigned int mode, uint64_t target, uint64_t from_end,
		      int32_t *rel)
{
	if (mode == 32 && target <= UINT32_MAX && from_end <= UINT32_MAX) {
		*rel = (int32_t)(uint32_t)(target - from_end);
		return 0;
	}
	return rel32(target, from_end, rel);
}

/* The site becomes @opcode rel32 to @target (5 bytes; nops follow). */
static int branch_rel32(struct afb_site_patch *patch,
			const struct afb_site *site, uint8_t opcode,
			uint64_t target)
{
	int32_t rel;
	int ret;

	if (!patch || !site || site->len < CALL_REL32_LEN)
		return -EINVAL;
	ret = branch_rel(site->mode, target, site->addr + CALL_REL32_LEN, &rel);
	if (ret)
		return ret;
	patch->bytes[0] = opcode;
	memcpy(patch->bytes + 1, &rel, sizeof(rel));
	patch->len = CALL_REL32_LEN;
	return 0;
}

/**
 * afb_wedge_call - make a site plan a 'call rel32'
 * @patch:  filled with e8 rel32 (5 bytes); the patcher pads the site with
 *          nops
 * @site:   the site: the call sits at its start
 * @target: the guest address to call
 *
 * The call pushes its return address on the guest's stack: only for a
 * thunk shared by many sites, and only where that stack is the kernel's.
 * Returns 0, -ERANGE if @target is more than 2 GiB away from the site's
 * call, -EINVAL if the site is shorter than a call (never for a valid
 * site: every kind's minimum site length is at least 5).
 */
AFB_EXPORT int afb_wedge_call(struct afb_site_patch *patch,
			      const struct afb_site *site, uint64_t target)
{
	return branch_rel32(patch, site, 0xe8, target);
}

/**
 * afb_wedge_jmp - make a site plan a 'jmp rel32'
 * @patch:  filled with e9 rel32 (5 bytes)
 * @site:   the site: the jump sits at its start
 * @target: the guest address of the site's own thunk
 *
 * A thunk made for one site knows where to return (the site's end), so
 * the site can jump to it and the thunk jump back: the guest's stack is
 * never touched, which is what sites that run on a user's stack (swapgs
 * on syscall entry, sysret) or on no stack at all (an entry point) need.
 * Returns as afb_wedge_call().
 */
AFB_EXPORT int afb_wedge_jmp(struct afb_site_patch *patch,
			     const struct afb_site *site, uint64_t target)
{
	return branch_rel32(patch, site, 0xe9, target);
}

/*
 * Where the disp32 of a RIP-relative operand sits in @insn: ModRM with
 * mod 00 and r/m 101 is followed by the displacement (never a SIB), and
 * only an immediate can follow that.  No sensitive instruction with a
 * memory operand has an immediate; refuse one rather than guess.
 */
static int rip_disp_offset(const struct afb_insn *insn, const uint8_t *bytes)
{
	int32_t disp;
	int off;

	if (insn->has_imm || insn->len < 6)
		return -EINVAL;
	off = insn->len - 4;
	memcpy(&disp, bytes + off, sizeof(disp));
	return disp == insn->mem.disp ? off : -EINVAL;
}

/*
 * The new displacement for the copy at @to: the operand's target stays.
 * With a 0x67 prefix the address is EIP-relative and wraps at 4 GiB, so
 * any displacement modulo 2^32 reaches it.
 */
static int rip_new_disp(const struct afb_site *site,
			const struct afb_insn *insn, uint64_t to, int32_t *disp)
{
	uint64_t target = site->addr + insn->len + (uint64_t)insn->mem.disp;
	uint64_t end = to + insn->len;

	if (insn->addrsize == 4) {
		*disp = (int32_t)(uint32_t)(target - end);
		return 0;
	}
	return rel32(target, end, disp);
}

/**
 * afb_wedge_copy_insn - copy a site's original instruction to a thunk
 * @image:    the image @site belongs to: the bytes come from its file
 * @site:     the site
 * @insn:     its decoded instruction (as plan() receives it)
 * @to_vaddr: the guest address the copy will run at
 * @out:      at least 15 bytes; receives the instruction
 *
 * A RIP-relative memory operand is rewritten so that the copy at
 * @to_vaddr addresses the same memory as the original.  Nothing else is
 * position dependent in a sensitive instruction (none is a relative
 * branch), but the copy's own RIP differs: an instruction that pushes it
 * (int, far call) returns into the copy, not to the site.
 *
 * Returns the instruction's length, -ERANGE if the operand is out of
 * rel32 reach of @to_vaddr, -ENODATA if the site's bytes are not in the
 * file, -EINVAL for bad arguments or bytes that do not match @insn.
 */
AFB_EXPORT int afb_wedge_copy_insn(const struct afb_image *image,
				   const struct afb_site *site,
				   const struct afb_insn *insn,
				   uint64_t to_vaddr, uint8_t *out)
{
	const uint8_t *bytes;
	int32_t disp;
	int off, ret;

	if (!image || !site || !insn || !out || !insn->len ||
	    insn->len > AFB_INSN_MAX || insn->len != site->insn_len)
		return -EINVAL;
	bytes = afb_image_site_bytes(image, site);
	if (!bytes)
		return -ENODATA;
	memcpy(out, bytes, insn->len);
	if (!insn->has_mem || !insn->mem.rip_relative)
		return insn->len;
	off = rip_disp_offset(insn, bytes);
	if (off < 0)
		return off;
	ret = rip_new_disp(site, insn, to_vaddr, &disp);
	if (ret)
		return ret;
	memcpy(out + off, &disp, sizeof(disp));
	return insn->len;
}
