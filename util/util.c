// SPDX-License-Identifier: MIT
/*
 * Messages, die() and allocation for Afterburner's programs (util.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const struct util_program default_program = { "afterburner", 1, NULL, NULL };
static const struct util_program *program = &default_program;

void util__init(const struct util_program *prog)
{
	program = prog;
}

const char *util__name(void)
{
	return program->name;
}

void pr_vmessage(const char *level, const char *fmt, va_list ap)
{
	fflush(stdout);
	if (program->before_message)
		program->before_message();
	fprintf(stderr, "%s: %s", program->name, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pr_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_vmessage("error: ", fmt, ap);
	va_end(ap);
}

void pr_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_vmessage("warning: ", fmt, ap);
	va_end(ap);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_vmessage("", fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_vmessage("error: ", fmt, ap);
	va_end(ap);
	if (program->before_exit)
		program->before_exit();
	exit(program->die_status);
}

void *xrealloc(void *ptr, size_t size)
{
	ptr = realloc(ptr, size ? size : 1);
	if (!ptr)
		die("out of memory");
	return ptr;
}

char *xstrdup(const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		die("out of memory");
	return copy;
}
