// SPDX-License-Identifier: MIT
/*
 * Images that lie, for the shell tests (crafted.sh):
 *
 *   mkimage DIR               write every crafted image of
 *                             testcases/unit/craft.h to DIR/<name>
 *   mkimage --split IN OUT    copy the linked ELF64 image IN to OUT with a
 *                             copy of its .text appended and .text's
 *                             section header naming the copy: the
 *                             section and segment views disagree
 *
 * Exit status 0, or 1 after a message.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "craft.h"

static int write_file(const char *path, const uint8_t *buf, size_t size)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(buf, 1, size, f) == size;

	if (f && fclose(f))
		ok = 0;
	if (!ok)
		fprintf(stderr, "mkimage: %s: %s\n", path, strerror(errno));
	return ok ? 0 : 1;
}

static int write_crafted(const char *dir, enum craft_variant v)
{
	char path[4096];
	size_t size = 0;
	uint8_t *buf = craft_image(v, &size);
	int ret;

	if (!buf) {
		fprintf(stderr, "mkimage: out of memory\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, craft_name(v));
	ret = write_file(path, buf, size);
	free(buf);
	return ret;
}

/* The whole of @path, with room for @extra more bytes. */
static uint8_t *read_file(const char *path, size_t *size, size_t extra)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n = -1;

	if (f && !fseek(f, 0, SEEK_END))
		n = ftell(f);
	if (n >= 0 && !fseek(f, 0, SEEK_SET))
		buf = calloc(1, n + extra);
	if (!buf || fread(buf, 1, n, f) != (size_t)n) {
		fprintf(stderr, "mkimage: %s: cannot read\n", path);
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	*size = n;
	return buf;
}

/* The section header of .text in the ELF64 image @buf, or NULL. */
static Elf64_Shdr *find_text(uint8_t *buf, size_t size)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Shdr *sh, *str;
	size_t i;

	if (size < sizeof(*eh) || memcmp(buf, ELFMAG, SELFMAG) ||
	    buf[EI_CLASS] != ELFCLASS64 || !eh->e_shoff ||
	    eh->e_shstrndx >= eh->e_shnum ||
	    eh->e_shoff + eh->e_shnum * sizeof(*sh) > size)
		return NULL;
	sh = (Elf64_Shdr *)(buf + eh->e_shoff);
	str = &sh[eh->e_shstrndx];
	for (i = 1; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_PROGBITS &&
		    str->sh_offset + sh[i].sh_name + sizeof(".text") <= size &&
		    !memcmp(buf + str->sh_offset + sh[i].sh_name, ".text",
			    sizeof(".text")) &&
		    sh[i].sh_offset + sh[i].sh_size <= size)
			return &sh[i];
	return NULL;
}

static int split(const char *in, const char *out)
{
	size_t size, at;
	uint8_t *buf = read_file(in, &size, 0);
	Elf64_Shdr *text = buf ? find_text(buf, size) : NULL;
	int ret;

	if (!text) {
		fprintf(stderr, "mkimage: %s: no ELF64 .text section\n", in);
		free(buf);
		return 1;
	}
	at = (size + 15) & ~(size_t)15;
	buf = realloc(buf, at + text->sh_size);
	if (!buf) {
		fprintf(stderr, "mkimage: out of memory\n");
		return 1;
	}
	text = find_text(buf, size);
	memset(buf + size, 0, at - size);
	memcpy(buf + at, buf + text->sh_offset, text->sh_size);
	text->sh_offset = at;
	ret = write_file(out, buf, at + text->sh_size);
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	int v, status = 0;

	if (argc == 4 && !strcmp(argv[1], "--split"))
		return split(argv[2], argv[3]);
	if (argc != 2) {
		fprintf(stderr, "usage: mkimage DIR | mkimage --split IN OUT\n");
		return 1;
	}
	for (v = 0; v < CRAFT_NR_VARIANTS; v++)
		status |= write_crafted(argv[1], v);
	return status;
}
