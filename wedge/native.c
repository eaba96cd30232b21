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
 * Which sites: those in the image's own code size, 64-bit code in an
 * x86-64 image and 32-bit code in an i386 one.  Thunks are built in the
 * site's code size (afb_thunk_begin_for()): the copied instruction keeps
 * its bytes (32-bit code has no RIP-relative operand to fix up) and the
 * jumps are the same e9 rel32, which wraps at 4 GiB in 32-bit code.  Not patched: the 32-bit
 * PVH entry of an x86-64 kernel, which runs before paging at physical
 * addresses that a rel32 from its link address cannot describe, and
 * 16-bit code; and sites in .altinstr_replacement, which Linux copies
 * into place at boot, where a rel32 from the copy no longer reaches the
 * thunk (Linux fixes up only a jmp or call that begins a replacement).
 * An i386 kernel's code that runs before paging (Linux's
 * PVH entry and startup_32) runs at its physical address, and reaches
 * its thunk there too when the area keeps the kernel's virtual-physical
 * offset: afterburn-patch requires that of an area for such a kernel.
 *
 * 'sti; hlt' keeps sti's one-instruction interrupt shadow: afterburn-as
 * makes the pair one site of kind sti_hlt, so its thunk runs both.
 */
#include <errno.h>
#include <string.h>

#include "wedges.h"

static int native_plan(const struct afb_wedge *wedge,
		       const struct afb_image *image,
		       struct afb_wedge_area *area, const struct afb_site *site,
		       const struct afb_insn *insn, struct afb_site_patch *patch)
{
	struct afb_thunk t;

	(void)wedge;
	if (site->mode != afb_image_default_mode(image) ||
	    (site->section && !strcmp(site->section, ".altinstr_replacement")))
		return 0;
	/* Room first: an area that is too small (or absent) is -ENOSPC,
	 * whatever its address. */
	if (area->used > area->size ||
	    (size_t)insn->len + 5 > area->size - area->used)
		return -ENOSPC;
	afb_thunk_begin_for(&t, area, site);
	afb_thunk_original(&t, image, site, insn);
	afb_thunk_return(&t, site);
	return afb_thunk_finish(&t, area, site, patch);
}

const struct afb_wedge afb_wedge_native = {
	.name = "native",
	.summary = "thunks run the original instruction (bare metal, tests the patch path)",
	.plan = native_plan,
};
