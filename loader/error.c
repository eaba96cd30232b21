// SPDX-License-Identifier: MIT
/*
 * Filling struct afb_error.  Every failing library call describes its
 * failure here and returns the same negative errno, so callers can write
 * "return afb_error_set(err, -EINVAL, ...);".  @err may be NULL: the
 * caller then only gets the code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/**
 * afb_error_set - record a failure
 * @err:  where to record it, or NULL
 * @code: negative errno value
 * @fmt:  printf-style message; it names the file, section and site
 *
 * Returns @code.
 */
int afb_error_set(struct afb_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

/**
 * afb_error_prefix - put context in front of a recorded message
 * @err: a struct afb_error that afb_error_set() filled, or NULL
 * @fmt: printf-style prefix, for example the file name and ": "
 *
 * Returns err->code (0 if @err is NULL), so a caller can pass a failure
 * up with one more layer of context.
 */
int afb_error_prefix(struct afb_error *err, const char *fmt, ...)
{
	char old[sizeof(err->message)];
	va_list ap;
	int n;

	if (!err)
		return 0;
	memcpy(old, err->message, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(err->message))
		snprintf(err->message + n, sizeof(err->message) - n, "%s", old);
	return err->code;
}

/* Reset @err (may be NULL) to "no error". */
void afb_error_clear(struct afb_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->message[0] = '\0';
}
