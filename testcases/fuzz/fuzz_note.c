// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the bytes are both one note section (parsed with 4-
 * and 8-byte alignment) and a whole ELF file (opened, validated, its site
 * bytes decoded).  Nothing may crash, read out of bounds or leak.
 */
#include <stddef.h>
#include <stdint.h>

#include <afterburn/afterburn.h>

#include "note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_entry(void *ctx, const struct afb_note_entry *e,
		       struct afb_error *err)
{
	(void)err;
	*(size_t *)ctx += e->type;
	return 0;
}

static void fuzz_image(const uint8_t *data, size_t size)
{
	const struct afb_site *sites;
	struct afb_image *img;
	struct afb_error err;
	struct afb_insn insn;
	const uint8_t *bytes;
	size_t i, n;

	if (afb_image_open_memory(data, size, "fuzz", &img, &err))
		return;
	afb_image_validate(img, &err);
	n = afb_image_sites(img, &sites);
	for (i = 0; i < n; i++) {
		bytes = afb_image_site_bytes(img, &sites[i]);
		if (bytes)
			afb_decode(bytes, sites[i].len, sites[i].mode, &insn);
	}
	afb_image_close(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct afb_error err;
	size_t seen = 0;

	afb_note_parse(data, size, 4, "fuzz", count_entry, &seen, &err);
	afb_note_parse(data, size, 8, "fuzz", count_entry, &seen, &err);
	fuzz_image(data, size);
	return 0;
}
