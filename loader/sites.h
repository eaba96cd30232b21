/* SPDX-License-Identifier: MIT */
/*
 * afterburn-sites: what the command files (afterburn-sites.c,
 * sites-list.c, sites-verify.c) share.  Only the tool prints and exits;
 * libafterburn never does.
 */
#ifndef AFB_SITES_H
#define AFB_SITES_H

#include <stdbool.h>
#include <stdio.h>

#include <afterburn/afterburn.h>

#include "util.h"

/* Exit status of the tool, also what each command returns per file. */
enum {
	SITES_OK = 0,		/* listed, or verified clean */
	SITES_PROBLEMS = 1,	/* --verify found missed or mismatched sites */
	SITES_ERROR = 2,	/* bad usage, unreadable file, objdump failed */
};

enum sites_format {
	SITES_FORMAT_TABLE,	/* aligned columns for people */
	SITES_FORMAT_TSV,	/* tab-separated, '#' header, for scripts */
};

struct sites_opts {
	enum sites_format format;
	bool several;		/* more than one FILE: name the file */
	bool quiet;		/* --verify: problems only, no summary */
	bool verbose;		/* --verify: list each 'off' instruction */
	const char *objdump;	/* objdump to run for --verify */
	bool expect[AFB_KIND_MAX + 1];	/* kinds that must be sites */
};

/*
 * One command: @path is the file, @image its opened image.  Returns a
 * SITES_* status for this file.
 */
struct sites_cmd {
	const char *name;
	int (*run)(const char *path, struct afb_image *image,
		   const struct sites_opts *opts);
};

int sites__list(const char *path, struct afb_image *image,
		const struct sites_opts *opts);
int sites__stats(const char *path, struct afb_image *image,
		 const struct sites_opts *opts);
int sites__verify(const char *path, struct afb_image *image,
		  const struct sites_opts *opts);

/* sites-layout.c: warn about notes far from their code; returns how many. */
size_t sites__check_layout(const char *path, const struct sites_opts *opts);

/* Print the original instruction bytes of @site as "0f 01 f8". */
void sites__print_bytes(FILE *out, const struct afb_image *image,
			const struct afb_site *site);

#endif
