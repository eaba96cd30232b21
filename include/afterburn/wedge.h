/* SPDX-License-Identifier: MIT */
/*
 * What a wedge is.  A wedge is the part of a host that the patched sites
 * of an afterburnt guest call.  It has two halves:
 *
 *  1. At load time, a struct afb_wedge decides, site by site, what the
 *     site becomes: left native, an inline replacement, or a call into a
 *     thunk that the wedge writes into its own code area (the "wedge
 *     window" of doc/guest-contract.md, or wherever the host maps it).
 *     afb_wedge_apply() drives that for every site, all or nothing.
 *
 *  2. At run time, a hosted wedge (one whose guest kernel runs
 *     deprivileged, like the ptrace host) emulates each site's instruction
 *     against a virtual CPU: struct afb_vcpu and the shared core in
 *     wedge/core/.  The host supplies the few services the core cannot
 *     provide itself through struct afb_host_ops.
 *
 * A new port is one file: a struct afb_wedge and, for a hosted wedge, a
 * struct afb_host_ops.  See doc/porting.md and wedge/template.c.
 */
#ifndef AFTERBURN_WEDGE_H
#define AFTERBURN_WEDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <afterburn/afterburn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Load time: what each site becomes ------------------------------ */

/* The wedge's code area: thunks are written here. */
struct afb_wedge_area {
	uint8_t *base;		/* where the host holds the area's bytes */
	uint64_t vaddr;		/* where the guest sees them */
	size_t size;		/* bytes available */
	size_t used;		/* bytes taken by thunks so far */
};

/* One site's plan: what afb_wedge_apply() writes. */
struct afb_site_patch {
	uint8_t bytes[16];	/* the site's new bytes; the rest become nops */
	uint8_t len;		/* 0: leave the site native */
};

struct afb_wedge {
	const char *name;	/* --wedge=NAME */
	const char *summary;	/* one line for --help */

	/*
	 * plan - decide what @site of @image becomes.  A wedge that calls a
	 * thunk writes it with afb_wedge_emit_thunk() (copying the original
	 * instruction with afb_wedge_copy_insn(), which needs @image) and
	 * the call with afb_wedge_call().  @patch arrives zeroed: leaving it
	 * so leaves the site native.  Returns 0, or a negative errno to
	 * refuse the whole image (-ENOSPC: the area is full).
	 */
	int (*plan)(const struct afb_wedge *wedge, const struct afb_image *image,
		    struct afb_wedge_area *area, const struct afb_site *site,
		    const struct afb_insn *insn, struct afb_site_patch *patch);
};

/*
 * afb_wedge_apply - patch every site of @image in @mem for @wedge, writing
 * thunks into @area.  All or nothing: on failure neither @mem nor the
 * area's bytes below its initial 'used' mark have changed, and 'used' is
 * back at that mark (bytes above it may hold abandoned thunks).
 */
int afb_wedge_apply(const struct afb_image *image, struct afb_memory *mem,
		    const struct afb_wedge *wedge, struct afb_wedge_area *area,
		    struct afb_patch_stats *stats, struct afb_error *err);

/*
 * afb_wedge_emit_thunk - append @len bytes of code to @area; returns the
 * guest address of the copy, or 0 if the area is full.
 */
uint64_t afb_wedge_emit_thunk(struct afb_wedge_area *area, const void *code,
			      size_t len);

/*
 * Make @patch a 'call rel32' (pushes a return address on the guest's
 * stack) or a 'jmp rel32' (touches no stack: for a per-site thunk that
 * jumps back to the site's end) from @site to @target; -ERANGE if too far.
 */
int afb_wedge_call(struct afb_site_patch *patch, const struct afb_site *site,
		   uint64_t target);
int afb_wedge_jmp(struct afb_site_patch *patch, const struct afb_site *site,
		  uint64_t target);

/*
 * afb_wedge_copy_insn - copy the site's original instruction (@insn, at
 * @site) to @to_vaddr as @out (at least 15 bytes), fixing up a
 * RIP-relative displacement.  Returns its length or -ERANGE.
 */
int afb_wedge_copy_insn(const struct afb_image *image,
			const struct afb_site *site,
			const struct afb_insn *insn, uint64_t to_vaddr,
			uint8_t *out);

#ifdef __cplusplus
}
#endif

#endif
