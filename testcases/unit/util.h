/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the libafterburn unit tests: where the sources are,
 * a scratch directory, running GNU as and ld, reading files and sections.
 * Every helper fails the running cmocka test on error.
 */
#ifndef AFB_TEST_UTIL_H
#define AFB_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <afterburn/afterburn.h>

const char *util_srcdir(void);		/* $top_srcdir or "." */
const char *util_fixtures(void);	/* testcases/unit/fixtures */
const char *util_tmpdir(void);		/* made once, removed at exit */

/* Run a shell command; returns its exit status. */
int util_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write @text to <tmp>/<name>.s and assemble it; returns the .o path. */
char *util_assemble_text(const char *name, const char *text,
			 const char *as_flags);
/* Assemble the fixture <fixtures>/<file>; returns the .o path. */
char *util_assemble_fixture(const char *file, const char *as_flags);
/* Link @obj with ld and @ld_flags; returns the output path. */
char *util_link(const char *obj, const char *out_name, const char *ld_flags);

void *util_read_file(const char *path, size_t *size);
void util_write_file(const char *path, const void *buf, size_t size);
/* The bytes of section @name of @path (malloc'd); fails if missing. */
uint8_t *util_section(const char *path, const char *name, size_t *size,
		      uint64_t *addr, uint64_t *offset);
/*
 * Load the PT_LOAD segments of the linked image @path as a loader would:
 * @mem covers them all (zero-filled, malloc'd base); *@copy (malloc'd)
 * holds the same bytes, to check later that @mem is untouched.
 */
void util_load_segments(const char *path, struct afb_memory *mem, uint8_t **copy);

#endif
