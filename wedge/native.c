// SPDX-License-Identifier: MIT
/*
 * The "native" wedge: every patched site jumps to a thunk that runs the
 * site's original instruction.  It emulates nothing.  An image patched
 * with it boots on bare metal (or QEMU) and must behave exactly like the
 * unpatched one, which is what makes it a test of the whole patch path on
 * real CPU semantics: site decoding, the all-or-nothing patcher, the
 * branch from the site, RIP-relative fix-ups, and that nothing on the way
 * changes a register, a flag or the stack.
 *
 * Per site, in the wedge area:
 *
 *	<original insn>		copied, RIP-relative displacement fixed up
 *	jmp rel32		back to the end of the site
 *
 * and the site becomes 'jmp rel32 <thunk>' plus nops.  Jumps, not calls:
 * the thunk belongs to one site and knows where to return, so the guest's
 * stack is never touched, and swapgs and sysret on a user's stack, or the
 * site at an entry point that runs before there is any stack, are patched
 * like every other site.  An instruction that pushes a return address
 * itself (int n, a far call) pushes the thunk's, and its handler returns
 * into the thunk, which then jumps back.
 *
 * Not patched: sites not in 64-bit mode.  The test kernel's 32-bit PVH
 * entry runs before paging, where the thunk's address is not mapped.
 *
 * 'sti; hlt' keeps sti's one-instruction interrupt shadow: afterburn-as
 * makes the pair one site of kind sti_hlt, so its thunk runs both.
 */
#include <errno.h>
#include <string.h>

#include "wedges.h"

#define THUNK_MAX	20	/* insn (<= 15) + jmp (5) */

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
	size_t len;
	int n;

	n = afb_wedge_copy_insn(image, site, insn, at, code);
	if (n < 0)
		return n;
	len = n;
	n = put_jmp(code, &len, at, site->addr + site->len);
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
	if (site->mode != 64)
		return 0;
	/* Room first: an area that is too small (or absent) is -ENOSPC,
	 * whatever its address. */
	len = insn->len + 5;
	if (area->used > area->size || (size_t)len > area->size - area->used)
		return -ENOSPC;
	at = area->vaddr + area->used;
	len = build_thunk(site, image, insn, at, code);
	if (len < 0)
		return len;
	thunk = afb_wedge_emit_thunk(area, code, len);
	if (!thunk)
		return -ENOSPC;
	return afb_wedge_jmp(patch, site, thunk);
}

const struct afb_wedge afb_wedge_native = {
	.name = "native",
	.summary = "thunks run the original instruction (bare metal, tests the patch path)",
	.plan = native_plan,
};
