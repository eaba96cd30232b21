/* SPDX-License-Identifier: MIT */
/*
 * A little x86 code emitter for the wedge's thunks: bytes, little-endian
 * values, and forward jumps to labels resolved at the end.  thunk.c
 * writes 64-bit thunks with it, thunk32.c 32-bit ones; what differs
 * between the modes (addressing, the jump to an absolute target) stays
 * in those files.
 */
#ifndef AFB_PTRACE_EMIT_H
#define AFB_PTRACE_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The labels a thunk's code jumps to. */
enum { L_SLOW, L_RESTORE, L_RESTORE2, L_DONE, L_NLABELS };

#define JZ	0x4	/* condition codes for e_jlabel() */
#define JNZ	0x5

struct emit {
	uint8_t b[256];
	size_t n;
	uint64_t at;			/* guest address of b[0] */
	bool bad;			/* overflow, out of reach, a label unset */
	size_t label[L_NLABELS];	/* offsets, or SIZE_MAX */
	struct { size_t at; int label; } fix[16];
	unsigned int nfix;
};

void e_init(struct emit *e, uint64_t at);
void e_bytes(struct emit *e, const void *p, size_t n);
void e_le(struct emit *e, uint64_t v, size_t n);
void e_jlabel(struct emit *e, int cc, int label);
void e_label(struct emit *e, int label);
void e_resolve(struct emit *e);

#define E(e, ...) e_bytes((e), (const uint8_t[]){ __VA_ARGS__ }, \
			  sizeof((const uint8_t[]){ __VA_ARGS__ }))

#endif
