// SPDX-License-Identifier: MIT
/* The registry of built-in wedges (wedges.h). */
#include <string.h>

#include "wedges.h"

static const struct afb_wedge *const wedges[] = {
	&afb_wedge_native,
	&afb_wedge_template,
	NULL,
};

const struct afb_wedge *wedges_find(const char *name)
{
	size_t i;

	for (i = 0; name && wedges[i]; i++)
		if (!strcmp(wedges[i]->name, name))
			return wedges[i];
	return NULL;
}

const struct afb_wedge *const *wedges_all(void)
{
	return wedges;
}

void wedges_list(FILE *f)
{
	size_t i;

	for (i = 0; wedges[i]; i++)
		fprintf(f, "  %-10s %s\n", wedges[i]->name, wedges[i]->summary);
}
