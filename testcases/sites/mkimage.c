// SPDX-License-Identifier: MIT
/*
 * mkimage DIR: write every crafted image of testcases/unit/craft.h to
 * DIR/<name> (good, split, split-hidden, overlap, cut-phdrs, ...), for
 * the shell tests of images that lie (crafted.sh).  Exit status 0, or 1
 * after a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "craft.h"

static int write_image(const char *dir, enum craft_variant v)
{
	char path[4096];
	size_t size = 0;
	uint8_t *buf = craft_image(v, &size);
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, craft_name(v));
	f = buf ? fopen(path, "wb") : NULL;
	ok = f && fwrite(buf, 1, size, f) == size;
	if (f && fclose(f))
		ok = 0;
	if (!ok)
		fprintf(stderr, "mkimage: %s: %s\n", path,
			buf ? strerror(errno) : "out of memory");
	free(buf);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	int v, status = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mkimage DIR\n");
		return 1;
	}
	for (v = 0; v < CRAFT_NR_VARIANTS; v++)
		status |= write_image(argv[1], v);
	return status;
}
