/* SPDX-License-Identifier: MIT */
/*
 * Parsing the Afterburn notes of one note section (doc/notes.md).  Pure:
 * it reads a byte buffer and calls back; it knows nothing of libelf, so
 * it can be fuzzed on its own.
 */
#ifndef AFB_LOADER_NOTE_H
#define AFB_LOADER_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include <afterburn/afterburn.h>

/* One checked Afterburn note entry. */
struct afb_note_entry {
	size_t offset;			/* of the note header in the section */
	size_t field;			/* of desc (the PC-relative field) */
	uint32_t type;			/* AFB_NT_* */
	union {
		struct afb_note_site site;	/* type AFB_NT_SITE */
		struct afb_note_mode mode;	/* type AFB_NT_MODE */
		struct afb_note_object object;	/* type AFB_NT_OBJECT */
		struct afb_note_data data;	/* type AFB_NT_DATA */
		struct afb_note_area area;	/* type AFB_NT_AREA */
	};
};

/*
 * Called for every valid Afterburn entry; a nonzero return (a negative
 * errno, with @err filled) stops the walk and is passed up.
 */
typedef int (*afb_note_fn)(void *ctx, const struct afb_note_entry *entry,
			   struct afb_error *err);

int afb_note_parse(const uint8_t *buf, size_t size, size_t align,
		   const char *section, afb_note_fn fn, void *ctx,
		   struct afb_error *err);

#endif
