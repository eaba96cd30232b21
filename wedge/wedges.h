/* SPDX-License-Identifier: MIT */
/*
 * The wedges built into the tools: afterburn-patch --wedge=NAME looks them
 * up here.  A new built-in wedge is one file defining a struct afb_wedge
 * and one line in wedges.c.
 */
#ifndef AFB_WEDGE_WEDGES_H
#define AFB_WEDGE_WEDGES_H

#include <stdio.h>

#include <afterburn/wedge.h>

extern const struct afb_wedge afb_wedge_native;	/* native.c */
extern const struct afb_wedge afb_wedge_template;	/* template.c */

/* The wedge called @name, or NULL. */
const struct afb_wedge *wedges_find(const char *name);

/* The built-in wedges, NULL-terminated. */
const struct afb_wedge *const *wedges_all(void);

/* Print "  NAME  SUMMARY" for every wedge to @f. */
void wedges_list(FILE *f);

#endif
