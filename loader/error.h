/* SPDX-License-Identifier: MIT */
/*
 * Internal helpers of libafterburn: symbol visibility and error reports.
 */
#ifndef AFB_LOADER_ERROR_H
#define AFB_LOADER_ERROR_H

#include <afterburn/afterburn.h>

/*
 * The library is built with -fvisibility=hidden; every function of the
 * public API (include/afterburn/afterburn.h) is defined with AFB_EXPORT.
 */
#define AFB_EXPORT __attribute__((visibility("default")))

int afb_error_set(struct afb_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int afb_error_prefix(struct afb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void afb_error_clear(struct afb_error *err);

#endif
