// SPDX-License-Identifier: MIT
/*
 * afb_image_validate(): checking every site against the image before
 * anything is patched (doc/design.md, decision 5; doc/notes.md "What a reader
 * checks").  The checks run in the order a reader would ask: where is the
 * site, does it collide with another, is it what the note says, is it
 * long enough, is the rest padding.
 */
#include <errno.h>
#include <stdio.h>

#include "error.h"
#include "image.h"
#include "table.h"

#define WHY_MAX 200

/* "fa 0f 1f 00" for messages. */
static const char *hex(const uint8_t *p, size_t n, char *buf, size_t size)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used + 4 < size; i++)
		used += snprintf(buf + used, size - used, i ? " %02x" : "%02x", p[i]);
	return buf;
}

static bool range_in(uint64_t addr, uint64_t len, uint64_t start, uint64_t size)
{
	return addr >= start && addr - start <= size && len <= size - (addr - start);
}

/* The site lies inside an executable section, with bytes in the file. */
static bool check_section(const struct afb_image *img, size_t i, char *why)
{
	const struct afb_site *s = &img->sites[i];
	GElf_Shdr sh;

	if (!img->shnum)
		return true;
	if (!img->site_scn[i] || !gelf_getshdr(elf_getscn(img->elf, img->site_scn[i]), &sh)) {
		snprintf(why, WHY_MAX, "it is not inside any section");
		return false;
	}
	if (!(sh.sh_flags & SHF_EXECINSTR))
		snprintf(why, WHY_MAX, "section %s is not executable", s->section);
	else if (!range_in(s->addr, s->len, img->relocatable ? 0 : sh.sh_addr, sh.sh_size))
		snprintf(why, WHY_MAX, "its %u bytes run past the end of section %s",
			 s->len, s->section);
	else if (sh.sh_type == SHT_NOBITS)
		snprintf(why, WHY_MAX, "section %s has no bytes in the file (SHT_NOBITS)",
			 s->section);
	else
		return true;
	return false;
}

/* In a linked image, the site lies inside an executable PT_LOAD. */
static bool check_segment(const struct afb_image *img, const struct afb_site *s,
			  char *why)
{
	size_t i, phnum;
	GElf_Phdr ph;

	if (img->relocatable)
		return true;
	if (!elf_getphdrnum(img->elf, &phnum)) {
		for (i = 0; i < phnum; i++)
			if (gelf_getphdr(img->elf, i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_flags & PF_X) &&
			    range_in(s->addr, s->len, ph.p_vaddr, ph.p_filesz))
				return true;
	}
	snprintf(why, WHY_MAX, "it is not inside an executable PT_LOAD segment");
	return false;
}

/* Sites are sorted by section and address: only neighbours can overlap. */
static bool check_overlap(const struct afb_image *img, size_t i, char *why)
{
	const struct afb_site *prev = &img->sites[i - 1], *s = &img->sites[i];

	if (!i || img->site_scn[i - 1] != img->site_scn[i] ||
	    prev->addr + prev->len <= s->addr)
		return true;
	snprintf(why, WHY_MAX, "it overlaps the %s site at 0x%llx (%u bytes)",
		 afb_kinds[prev->kind].name, (unsigned long long)prev->addr,
		 prev->len);
	return false;
}

/* The bytes decode to the recorded kind and length; the rest is nops. */
static bool check_bytes(const struct afb_site *s, const uint8_t *p, char *why)
{
	struct afb_insn insn;
	char buf[64];
	int n = afb_decode(p, s->len, s->mode, &insn);

	if (n < 0)
		snprintf(why, WHY_MAX, "bytes %s are no sensitive instruction in %u-bit code",
			 hex(p, s->insn_len, buf, sizeof(buf)), s->mode);
	else if (insn.kind != s->kind)
		snprintf(why, WHY_MAX, "bytes %s decode to %s, not %s",
			 hex(p, n, buf, sizeof(buf)), afb_kinds[insn.kind].name,
			 afb_kinds[s->kind].name);
	else if ((unsigned int)n != s->insn_len)
		snprintf(why, WHY_MAX, "it decodes to a %d-byte instruction (%s), the note says %u",
			 n, hex(p, n, buf, sizeof(buf)), s->insn_len);
	else if (!afb_nops_valid(p + n, s->len - n, s->mode))
		snprintf(why, WHY_MAX, "its padding %s is not nops",
			 hex(p + n, s->len - n, buf, sizeof(buf)));
	else
		return true;
	return false;
}

/* The site is long enough for its kind's patched form. */
static bool check_length(const struct afb_site *s, char *why)
{
	unsigned int min = afb_kinds[s->kind].site_len;

	if (s->len >= s->insn_len && s->len >= min)
		return true;
	snprintf(why, WHY_MAX, "it is %u bytes, shorter than %u", s->len,
		 s->insn_len > min ? s->insn_len : min);
	return false;
}

static int site_error(const struct afb_image *img, const struct afb_site *s,
		      const char *why, struct afb_error *err)
{
	return afb_error_set(err, -EINVAL, "%s: section %s, %s 0x%llx, %s site: %s",
			     img->name, s->section,
			     img->relocatable ? "offset" : "address",
			     (unsigned long long)s->addr,
			     afb_kinds[s->kind].name, why);
}

/* Pass 1: where the site is, and that it collides with no other. */
static int check_place(const struct afb_image *img, size_t i,
		       struct afb_error *err)
{
	const struct afb_site *s = &img->sites[i];
	char why[WHY_MAX];

	if (!check_section(img, i, why) || !check_segment(img, s, why) ||
	    !check_overlap(img, i, why) || !check_length(s, why))
		return site_error(img, s, why, err);
	if (!afb_image_site_bytes(img, s))
		return site_error(img, s, "its bytes are not in the file", err);
	return 0;
}

/* Pass 2: what the site holds. */
static int check_contents(const struct afb_image *img, size_t i,
			  struct afb_error *err)
{
	const struct afb_site *s = &img->sites[i];
	char why[WHY_MAX];

	if (!check_bytes(s, afb_image_site_bytes(img, s), why))
		return site_error(img, s, why, err);
	return 0;
}

/**
 * afb_image_validate - check every site of @image before it is patched
 * @image: an open image
 * @err:   describes the first bad site: file, section, address, kind, why
 *
 * Each site must lie inside an executable section (and, in a linked image,
 * an executable PT_LOAD segment) with its bytes in the file, overlap no
 * other site, be at least as long as its kind needs, decode to its
 * recorded kind and instruction length, and be padded with nops only.
 * Placement and overlaps are checked for all sites before any site's bytes
 * are, so that two overlapping sites are reported as such.  Returns 0, or
 * -EINVAL at the first site that fails.
 */
AFB_EXPORT int afb_image_validate(const struct afb_image *image,
				  struct afb_error *err)
{
	size_t i;
	int ret;

	afb_error_clear(err);
	if (!image)
		return afb_error_set(err, -EINVAL, "afb_image_validate: no image");
	for (i = 0; i < image->nr_sites; i++) {
		ret = check_place(image, i, err);
		if (ret)
			return ret;
	}
	for (i = 0; i < image->nr_sites; i++) {
		ret = check_contents(image, i, err);
		if (ret)
			return ret;
	}
	return 0;
}
