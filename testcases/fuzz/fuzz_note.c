// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the bytes are both one note section (parsed with 4-
 * and 8-byte alignment) and a whole ELF file (opened, validated, its site
 * bytes decoded, and its sites patched in a memory copy as a loader
 * would).  Nothing may crash, read out of bounds, leak or do anything
 * undefined.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

#define PATCH_SPAN_MAX (1u << 20)	/* largest memory copy we patch */

/* A wedge that writes "call rel32" to address 0 for every site. */
static int call_wedge(void *ctx, const struct afb_site *site,
		      const struct afb_insn *insn, uint8_t *buf, size_t cap)
{
	int32_t rel = (int32_t)(0 - (site->addr + 5));

	(void)ctx;
	(void)insn;
	if (cap < 5)
		return 0;
	buf[0] = 0xe8;
	memcpy(buf + 1, &rel, 4);
	return 5;
}

/*
 * Copy the sites' bytes into a memory image that spans them (as a loader
 * would have loaded them) and patch it.
 */
static void fuzz_patch(const struct afb_image *img, const struct afb_site *s,
		       size_t n)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	struct afb_memory mem;
	struct afb_error err;
	const uint8_t *bytes;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!afb_image_site_bytes(img, &s[i]) || s[i].addr + s[i].len < s[i].addr)
			return;
		lo = s[i].addr < lo ? s[i].addr : lo;
		hi = s[i].addr + s[i].len > hi ? s[i].addr + s[i].len : hi;
	}
	if (!n || hi - lo > PATCH_SPAN_MAX)
		return;
	mem = (struct afb_memory){ calloc(1, hi - lo), lo, hi - lo };
	if (!mem.base)
		return;
	for (i = 0; i < n; i++) {
		bytes = afb_image_site_bytes(img, &s[i]);
		memcpy(mem.base + (s[i].addr - lo), bytes, s[i].len);
	}
	afb_patch_apply(img, &mem, call_wedge, NULL, NULL, &err);
	free(mem.base);
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
	if (!afb_image_is_relocatable(img))
		fuzz_patch(img, sites, n);
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
