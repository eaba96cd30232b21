// SPDX-License-Identifier: MIT
/* The thunks' code emitter (emit.h). */
#include <string.h>

#include "emit.h"

/* An empty buffer for code that will run at guest address @at. */
void e_init(struct emit *e, uint64_t at)
{
	unsigned int i;

	memset(e, 0, sizeof(*e));
	e->at = at;
	for (i = 0; i < L_NLABELS; i++)
		e->label[i] = SIZE_MAX;
}

void e_bytes(struct emit *e, const void *p, size_t n)
{
	if (e->n + n > sizeof(e->b)) {
		e->bad = true;
		return;
	}
	memcpy(e->b + e->n, p, n);
	e->n += n;
}

void e_le(struct emit *e, uint64_t v, size_t n)
{
	uint8_t b[8];
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	e_bytes(e, b, n);
}

/* jcc rel32 (@cc: JZ, JNZ) or jmp rel32 (@cc < 0) to @label. */
void e_jlabel(struct emit *e, int cc, int label)
{
	if (cc < 0)
		E(e, 0xe9);
	else
		E(e, 0x0f, (uint8_t)(0x80 | cc));
	if (e->nfix == sizeof(e->fix) / sizeof(e->fix[0])) {
		e->bad = true;
		return;
	}
	e->fix[e->nfix].at = e->n;
	e->fix[e->nfix++].label = label;
	e_le(e, 0, 4);
}

void e_label(struct emit *e, int label)
{
	e->label[label] = e->n;
}

/* Fill in the jumps to labels; one never set makes the code bad. */
void e_resolve(struct emit *e)
{
	unsigned int i;

	for (i = 0; i < e->nfix; i++) {
		size_t to = e->label[e->fix[i].label];
		int32_t rel;

		if (to == SIZE_MAX) {
			e->bad = true;
			continue;
		}
		rel = (int32_t)((int64_t)to - (int64_t)(e->fix[i].at + 4));
		memcpy(e->b + e->fix[i].at, &rel, 4);
	}
}
