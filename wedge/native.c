// SPDX-License-Identifier: MIT
/*
 * The "native" wedge: every patched site calls a thunk that runs the
 * site's original instruction.  It emulates nothing.  An image patched
 * with it boots on bare metal (or QEMU) and must behave exactly like the
 * unpatched one, which is what makes it a test of the whole patch path on
 * real CPU semantics: site decoding, the all-or-nothing patcher, the call
 * from the site, RIP-relative fix-ups, and that nothing on the way
 * changes a register or a flag.
 *
 * Per site, in the wedge area:
 *
 *	lea 8(%rsp), %rsp	drop the return address the site's call pushed;
 *				lea leaves the flags alone, and the address is
 *				a per-site constant, so nothing needs saving
 *	<original insn>		copied, RIP-relative displacement fixed up;
 *				it runs on the stack the site had
 *	jmp rel32		back to the end of the site
 *
 * and the site becomes 'call rel32 <thunk>' plus nops.
 *
 * Not patched (left native, counted as such):
 *  - sites not in 64-bit mode: the test kernel's 32-bit PVH entry runs
 *    before paging, where the thunk's address is not mapped, and a call
 *    from 32-bit code could not reach it anyway;
 *  - swapgs, sysret and sysexit: they may run on a user-controlled stack
 *    (Linux's syscall entry and the test kernel's run swapgs before they
 *    switch stacks, and sysret/sysexit run after %rsp is the user's): the
 *    site's call would push into user memory, which may be unmapped or
 *    hold the user's red zone;
 *  - the site at the ELF entry point: the guest contract lets a host enter
 *    there with any %rsp (and PVH leaves %esp undefined), so its call
 *    could push anywhere.  A guest that runs more sites before it sets up
 *    a stack must say so in its contract.
 *
 * 'sti; hlt' keeps sti's one-instruction interrupt shadow: afterburn-as
 * makes the pair one site of kind sti_hlt, so its thunk runs both.
 */
#include <errno.h>
#include <string.h>

#include "wedges.h"

#define THUNK_MAX	32	/* lea (5) + insn (<= 15) + jmp (5) */

static const uint8_t lea_rsp_8[] = { 0x48, 0x8d, 0x64, 0x24, 0x08 };

/* The kinds that may run on a user-controlled stack (see above). */
static bool user_stack_kind(unsigned int kind)
{
	return kind == AFB_KIND_SWAPGS || kind == AFB_KIND_SYSRET ||
	       kind == AFB_KIND_SYSEXIT;
}

static bool leave_native(const struct afb_image *image,
			 const struct afb_site *site)
{
	return site->mode != 64 || user_stack_kind(site->kind) ||
	       site->addr == afb_image_entry(image);
}

/* Append 'jmp rel32' to @to at @code[*len], the code being at @at. */
static int put_jmp(uint8_t *code, size_t *len, uint64_t at, uint64_t to)
{
	int64_t rel = (int64_t)(to - (at + *len + 5));

	if (rel < INT32_MIN || rel > INT32_MAX)
		return -ERANGE;
	code[(*len)++] = 0xe9;
	memcpy(code + *len, &(int32_t){ (int32_t)rel }, 4);
	*len += 4;
	return 0;
}

/* Build the thunk for @site as it will sit at @at; returns its length. */
static int build_thunk(const struct afb_site *site,
		       const struct afb_image *image,
		       const struct afb_insn *insn, uint64_t at, uint8_t *code)
{
	uint64_t back = site->addr + site->len;
	size_t len = sizeof(lea_rsp_8);
	int n;

	memcpy(code, lea_rsp_8, len);
	n = afb_wedge_copy_insn(image, site, insn, at + len, code + len);
	if (n < 0)
		return n;
	len += n;
	n = put_jmp(code, &len, at, back);
	return n ? n : (int)len;
}

static int native_plan(const struct afb_wedge *wedge,
		       const struct afb_image *image,
		       struct afb_wedge_area *area, const struct afb_site *site,
		       const struct afb_insn *insn, struct afb_site_patch *patch)
{
	uint8_t code[THUNK_MAX];
	uint64_t at, thunk;
	int len;

	(void)wedge;
	if (leave_native(image, site))
		return 0;
	/* Room first: an area that is too small (or absent) is -ENOSPC,
	 * whatever its address. */
	len = sizeof(lea_rsp_8) + insn->len + 5;
	if (area->used > area->size || (size_t)len > area->size - area->used)
		return -ENOSPC;
	at = area->vaddr + area->used;
	len = build_thunk(site, image, insn, at, code);
	if (len < 0)
		return len;
	thunk = afb_wedge_emit_thunk(area, code, len);
	if (!thunk)
		return -ENOSPC;
	return afb_wedge_call(patch, site, thunk);
}

const struct afb_wedge afb_wedge_native = {
	.name = "native",
	.summary = "thunks run the original instruction (bare metal, tests the patch path)",
	.plan = native_plan,
};
