// SPDX-License-Identifier: MIT
/*
 * The template wedge: copy this file to start a port to a new host.
 *
 * What it does, so that it is a working wedge and not a stub: it patches
 * the 64-bit 'cpuid' sites (the first instruction most ports take over,
 * because the host decides which CPU features the guest sees) and leaves
 * every other site native.  Each patched site jumps to a thunk that, for
 * now, runs cpuid itself; an image patched with it boots wherever the
 * unpatched one does (`afterburn-patch IMAGE -o OUT --wedge=template
 * --area=...`, then boot OUT), and `--stats` shows the cpuid sites as
 * patched.
 *
 * Porting, step by step:
 *
 *  1. Copy this file to wedge/<host>.c, rename the struct and its .name,
 *     and add it to wedges.c and wedges.h.  Add the file to
 *     afterburn_patch_SOURCES in Makefile.am.  (Out of tree, the file is
 *     all: end it with AFB_WEDGE_EXPORT(), build it as a shared object
 *     against the installed headers and load it with afterburn-patch
 *     --wedge=PATH.so; testcases/wedge-ext/counter.c, doc/porting.md.)
 *  2. Decide which sites your host needs (patched_kind()).  Leave native
 *     what stays correct unpatched (doc/design.md, decision 6) and what your
 *     thunks cannot run: code that runs where the wedge area is not
 *     mapped (here: anything not 64-bit, like a 32-bit boot path).
 *  3. Write the thunk for each kind (build_thunk(), or struct afb_thunk
 *     from <afterburn/wedge.h>, which also counts flag- and stack-safely).  A thunk is entered
 *     by the site's 'jmp rel32' and leaves with a jmp to the site's end:
 *     a per-site thunk knows where it returns, so it never touches the
 *     guest's stack (which may be a user's, or none at an entry point).
 *     It must preserve every register and flag the original instruction
 *     does not define.  Replace the copied instruction with your host's
 *     emulation: read or write the virtual CPU, batch into a shared page,
 *     make one hypercall.  (A thunk shared by many sites needs the site's
 *     'call' and a 'ret', and then a kernel stack at every such site.)
 *  4. Where the wedge area lives is the host's business: give it with
 *     afterburn-patch --area, or have your VMM pass a struct
 *     afb_wedge_area to afb_wedge_apply().  It must be mapped at the same
 *     virtual address in every page table the guest loads
 *     (doc/guest-contract.md).
 *  5. Test: patch the test kernel and boot it (testcases/kernel), and add
 *     a unit test next to testcases/unit/test_wedge.c.
 */
#include <errno.h>
#include <string.h>

#include "wedges.h"

/* Step 2: the sites this wedge takes over. */
static bool patched_kind(const struct afb_image *image,
			 const struct afb_site *site)
{
	(void)image;
	return site->kind == AFB_KIND_CPUID && site->mode == 64;
}

/*
 * Step 3: the thunk for @site, to run at @at.  Here: the original
 * instruction, then jmp back to the end of the site.
 */
static int build_thunk(const struct afb_image *image,
		       const struct afb_site *site, const struct afb_insn *insn,
		       uint64_t at, uint8_t *code)
{
	int64_t rel;
	int len;

	len = afb_wedge_copy_insn(image, site, insn, at, code);
	if (len < 0)
		return len;
	rel = (int64_t)(site->addr + site->len - (at + len + 5));
	if (rel < INT32_MIN || rel > INT32_MAX)
		return -ERANGE;
	code[len] = 0xe9;		/* jmp rel32 */
	memcpy(code + len + 1, &(int32_t){ (int32_t)rel }, 4);
	return len + 5;
}

/*
 * The plan: called once per site, in order, before anything is written.
 * Returning an error refuses the whole image; leaving @patch alone leaves
 * the site native.
 */
static int template_plan(const struct afb_wedge *wedge,
			 const struct afb_image *image,
			 struct afb_wedge_area *area,
			 const struct afb_site *site,
			 const struct afb_insn *insn,
			 struct afb_site_patch *patch)
{
	uint8_t code[32];
	uint64_t at, thunk;
	int len;

	(void)wedge;
	if (!patched_kind(image, site))
		return 0;
	/* insn + jmp must fit: -ENOSPC asks for a larger area */
	if (area->used > area->size || area->size - area->used < 5U + insn->len)
		return -ENOSPC;
	at = area->vaddr + area->used;	/* where emit_thunk will put it */
	len = build_thunk(image, site, insn, at, code);
	if (len < 0)
		return len;
	thunk = afb_wedge_emit_thunk(area, code, len);
	if (!thunk)
		return -ENOSPC;		/* the area is full */
	return afb_wedge_jmp(patch, site, thunk);
}

const struct afb_wedge afb_wedge_template = {
	.name = "template",
	.summary = "porting template: cpuid sites jump to a thunk, all others stay native",
	.plan = template_plan,
};
