/* SPDX-License-Identifier: MIT */
/*
 * What Afterburner's programs share for talking to their user: messages
 * on stderr that start with the program's name, die() for the errors that
 * end the program, and allocation that cannot fail.  Only programs use
 * this; libafterburn never prints or exits.
 */
#ifndef AFB_UTIL_H
#define AFB_UTIL_H

#include <stdarg.h>
#include <stddef.h>

struct util_program {
	const char *name;		/* prefix of every message */
	int die_status;			/* exit status of die() */
	void (*before_message)(void);	/* e.g. flush the guest console, or NULL */
	void (*before_exit)(void);	/* e.g. print statistics, or NULL */
};

/* Set once, first thing in main(); @prog must stay valid. */
void util__init(const struct util_program *prog);
const char *util__name(void);

/* "name: LEVEL message\n" on stderr, after flushing stdout. */
void pr_vmessage(const char *level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void pr_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pr_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* pr_err(), then before_exit and exit(die_status). */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* realloc and strdup that die on exhaustion. */
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);

#endif
