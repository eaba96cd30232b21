/* SPDX-License-Identifier: MIT */
/*
 * What a wedge is.  A wedge is the part of a host that the patched sites
 * of an afterburnt guest call.  It has two halves:
 *
 *  1. At load time, a struct afb_wedge decides, site by site, what the
 *     site becomes: left native, an inline replacement, or a jmp to a
 *     thunk of its own that the wedge writes into its code area (the
 *     "wedge window" of doc/guest-contract.md, or wherever the host maps
 *     it) and that jumps back to the site's end.  afb_wedge_apply()
 *     drives that for every site, all or nothing.
 *
 *  2. At run time, a hosted wedge (one whose guest kernel runs
 *     deprivileged, like the ptrace host) emulates each site's instruction
 *     against a virtual CPU: struct afb_vcpu and the shared core in
 *     wedge/core/.  The host supplies the few services the core cannot
 *     provide itself through struct afb_host_ops.
 *
 * A wedge built out of tree is one file: it defines a struct afb_wedge,
 * exports it with AFB_WEDGE_EXPORT(), is compiled against the installed
 * headers into a shared object, and afterburn-patch --wedge=PATH.so
 * loads it.  In tree it is that file plus its line in wedge/wedges.c,
 * wedge/wedges.h and Makefile.am.  See doc/porting.md and
 * wedge/template.c.
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
	uint64_t data_vaddr;	/* afb_wedge_data(): the wedge's data, 0 if none */
	size_t data_size;	/* its bytes */
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
 * afb_wedge_data - the wedge's data: @size zeroed bytes in the area,
 * 64-byte aligned, that every thunk of the wedge may read and write
 * (counters, a console buffer, a virtual interrupt flag).  The first call
 * reserves them; later calls return the same address and may not ask for
 * more.  The host must map the area writable as well as executable
 * (afterburn-patch then makes its PT_LOAD RWX).  Returns the guest
 * address, or 0 if the area is full or @size grew.
 */
uint64_t afb_wedge_data(struct afb_wedge_area *area, size_t size);

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

/* ---- Writing thunks ------------------------------------------------ */

#define AFB_THUNK_MAX	256

/*
 * A thunk being written: code for guest address @at.  Every afb_thunk_*
 * call appends; the first error (-ENOSPC: more than AFB_THUNK_MAX bytes,
 * -ERANGE: a target out of rel32 reach) sticks in @error and
 * afb_thunk_finish() returns it.
 */
struct afb_thunk {
	uint8_t code[AFB_THUNK_MAX];
	size_t len;
	uint64_t at;
	int error;
	unsigned int mode;	/* code size: 64 or 32 */
};

/* Start a 64-bit thunk at the next free byte of @area. */
void afb_thunk_begin(struct afb_thunk *t, const struct afb_wedge_area *area);

/*
 * Start a thunk for @site at the next free byte of @area, in the site's
 * code size: 32-bit code for a site in 32-bit code (an i386 kernel), else
 * 64-bit; -EINVAL sticks for a 16-bit site.  In 32-bit code the
 * afb_thunk_rip() operand is an absolute disp32 (no RIP-relative
 * addressing there) and the wedge's own opcodes must be 32-bit ones.
 */
void afb_thunk_begin_for(struct afb_thunk *t, const struct afb_wedge_area *area,
			 const struct afb_site *site);

/* Append raw bytes (an instruction of the wedge's own). */
void afb_thunk_bytes(struct afb_thunk *t, const void *bytes, size_t len);

/*
 * Append an instruction whose last bytes are a RIP-relative disp32:
 * @opcode (prefixes, opcode, a ModRM with mod 00 and r/m 101), then the
 * displacement that makes it address @target (in a 32-bit thunk the same
 * ModRM takes @target itself, which must be below 4 GiB).  For example
 * { 0xc6, 0x05 } with an imm8 after it is "movb $imm8, target(%rip)":
 * give the immediate with afb_thunk_bytes() right after.
 */
void afb_thunk_rip(struct afb_thunk *t, const void *opcode, size_t len,
		   uint64_t target, size_t imm_len);

/* Append the site's original instruction (afb_wedge_copy_insn()). */
void afb_thunk_original(struct afb_thunk *t, const struct afb_image *image,
			const struct afb_site *site,
			const struct afb_insn *insn);

/*
 * Add 1 to the 64-bit counter at @counter without touching the flags or
 * the stack: %rax is saved at @scratch (8 bytes of afb_wedge_data()),
 * incremented with lea, and restored.  Not atomic: use it where nothing
 * else runs the same sequence meanwhile (interrupts off, one CPU).  A
 * 32-bit thunk does the same with %eax on the counter's low 32 bits (lea
 * has no carry to give the high half).
 */
void afb_thunk_count(struct afb_thunk *t, uint64_t counter, uint64_t scratch);

/*
 * Add 1 to the counter at @counter with "lock incq": atomic, but it
 * changes OF, SF, ZF, AF and PF.  Only where the flags are dead, or
 * restored next (before the site's popf).  A 32-bit thunk uses "lock addl
 * $1" on the low half and "lock adcl $0" on the high half: every
 * increment lands, and changes CF too.
 */
void afb_thunk_count_locked(struct afb_thunk *t, uint64_t counter);

/* Append "jmp rel32" to @target; afb_thunk_return() jumps to @site's end. */
void afb_thunk_jmp(struct afb_thunk *t, uint64_t target);
void afb_thunk_return(struct afb_thunk *t, const struct afb_site *site);

/*
 * afb_thunk_finish - write the thunk into @area at the address it was
 * begun for, and make @patch a jmp from @site to it.  Returns 0 or the
 * first error (-ENOSPC also when the area is full).
 */
int afb_thunk_finish(struct afb_thunk *t, struct afb_wedge_area *area,
		     const struct afb_site *site, struct afb_site_patch *patch);

/* ---- Wedges in shared objects (afterburn-patch --wedge=PATH.so) ---- */

#define AFB_WEDGE_ABI		2	/* bumped when struct afb_wedge or afb_thunk changes */
#define AFB_WEDGE_SYMBOL	"afterburn_wedge"
#define AFB_WEDGE_ABI_SYMBOL	"afterburn_wedge_abi"

/* In the wedge's one file: AFB_WEDGE_EXPORT(my_wedge); */
#define AFB_WEDGE_EXPORT(w)						\
	__attribute__((visibility("default")))				\
	const struct afb_wedge *const afterburn_wedge = &(w);		\
	__attribute__((visibility("default")))				\
	const unsigned int afterburn_wedge_abi = AFB_WEDGE_ABI

#ifdef __cplusplus
}
#endif

#endif
