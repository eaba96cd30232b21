// SPDX-License-Identifier: MIT
/*
 * afb_image_validate(): checking every site against the image before
 * anything is patched (doc/design.md, decision 5; doc/notes.md "What a reader
 * checks").  The checks run in the order a reader would ask: where is the
 * site (in a linked image, where a loader maps it: its PT_LOAD segment,
 * which must agree with its section header), is it long enough, does it
 * collide with another, is it what the note says, is the rest padding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "image.h"
#include "table.h"

#define WHY_MAX 300

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

/* [a, a + alen) and [b, b + blen) share a byte. */
static bool ranges_meet(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a >= b ? a - b < blen : b - a < alen;
}

/*
 * The one PT_LOAD segment of a linked image that maps any byte of site
 * @s: its index in *@idx, its header in *@ph.  Returns false, with the
 * reason in @why, if none or several do.
 */
static bool find_load(const struct afb_image *img, const struct afb_site *s,
		      size_t *idx, GElf_Phdr *ph, char *why)
{
	size_t i, phnum, found = SIZE_MAX;
	GElf_Phdr p;

	if (elf_getphdrnum(img->elf, &phnum))
		phnum = 0;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(img->elf, i, &p) || p.p_type != PT_LOAD ||
		    !ranges_meet(s->addr, s->len, p.p_vaddr, p.p_memsz))
			continue;
		if (found != SIZE_MAX) {
			snprintf(why, WHY_MAX,
				 "PT_LOAD segments %zu and %zu both map it", found, i);
			return false;
		}
		found = i;
		*ph = p;
	}
	if (found == SIZE_MAX) {
		snprintf(why, WHY_MAX, "it is not inside an executable PT_LOAD segment");
		return false;
	}
	*idx = found;
	return true;
}

/*
 * In a linked image, the site lies inside one PT_LOAD with all its bytes
 * in the file, executable in an x86-64 image, and those are the bytes its
 * section header names: what a loader maps is what is checked, listed and
 * verified.
 */
static bool check_segment(const struct afb_image *img, size_t i, char *why)
{
	const struct afb_site *s = &img->sites[i];
	uint64_t sec_off, seg_off;
	GElf_Phdr ph = { 0 };
	GElf_Shdr sh;
	size_t idx;

	if (img->relocatable)
		return true;
	if (!find_load(img, s, &idx, &ph, why))
		return false;
	/*
	 * An i386 kernel's segment flags say nothing about what it runs:
	 * without PAE no x86 page is non-executable, and Linux i386 links
	 * .init.text into its RW segment.  There the executable section
	 * (check_section(); an image without section headers has none) is
	 * what counts.
	 */
	if (!(ph.p_flags & PF_X) && !(img->default_mode == 32 && img->shnum)) {
		snprintf(why, WHY_MAX,
			 "it is not inside an executable PT_LOAD segment (segment %zu is not executable)",
			 idx);
		return false;
	}
	if (!range_in(s->addr, s->len, ph.p_vaddr, ph.p_filesz)) {
		snprintf(why, WHY_MAX,
			 "PT_LOAD segment %zu has only part of it in the file", idx);
		return false;
	}
	if (!img->shnum || !img->site_scn[i] ||
	    !gelf_getshdr(elf_getscn(img->elf, img->site_scn[i]), &sh))
		return true;
	sec_off = sh.sh_offset + (s->addr - sh.sh_addr);
	seg_off = ph.p_offset + (s->addr - ph.p_vaddr);
	if (sec_off == seg_off)
		return true;
	snprintf(why, WHY_MAX,
		 "the section and segment views disagree: section %s has its bytes at file offset 0x%llx, PT_LOAD segment %zu (what a loader maps) at 0x%llx",
		 s->section, (unsigned long long)sec_off, idx,
		 (unsigned long long)seg_off);
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

/* Pass 1: where the site is. */
static int check_place(const struct afb_image *img, size_t i,
		       struct afb_error *err)
{
	const struct afb_site *s = &img->sites[i];
	char why[WHY_MAX];

	if (!check_section(img, i, why) || !check_segment(img, i, why) ||
	    !check_length(s, why))
		return site_error(img, s, why, err);
	if (!afb_image_site_bytes(img, s))
		return site_error(img, s, "its bytes are not in the file", err);
	return 0;
}

/* ---- Pass 2: no two sites share a byte ------------------------------ */

/* Where one site starts and ends, in addresses or in file offsets. */
struct span {
	uint64_t start, end;
	size_t site;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->site > y->site) - (x->site < y->site);
}

/*
 * Sort @n spans by start; return the index of the first span that
 * begins before an earlier one ends, and that earlier one in *@other;
 * or SIZE_MAX if no two meet.
 */
static size_t first_overlap(struct span *spans, size_t n, size_t *other)
{
	size_t i, far = 0;

	qsort(spans, n, sizeof(*spans), cmp_span);
	for (i = 1; i < n; i++) {
		if (spans[i].start < spans[far].end) {
			*other = spans[far].site;
			return spans[i].site;
		}
		if (spans[i].end > spans[far].end)
			far = i;
	}
	return SIZE_MAX;
}

static uint64_t span_end(uint64_t start, unsigned int len)
{
	return start + len < start ? UINT64_MAX : start + len;
}

static int overlap_error(const struct afb_image *img, size_t i, size_t j,
			 bool in_file, struct afb_error *err)
{
	const struct afb_site *s = &img->sites[i], *o = &img->sites[j];
	char why[WHY_MAX];

	if (in_file && (!img->relocatable || img->site_scn[i] != img->site_scn[j]))
		snprintf(why, WHY_MAX,
			 "its bytes at file offset 0x%llx overlap those of the %s site at 0x%llx (%u bytes) in section %s",
			 (unsigned long long)s->file_offset, afb_kinds[o->kind].name,
			 (unsigned long long)o->addr, o->len, o->section);
	else
		snprintf(why, WHY_MAX, "it overlaps the %s site at 0x%llx (%u bytes) in section %s",
			 afb_kinds[o->kind].name, (unsigned long long)o->addr,
			 o->len, o->section);
	return site_error(img, s, why, err);
}

/*
 * No two sites share a byte: in a linked image by address, whatever
 * section each was found in (executable sections may overlap), and in
 * every image by file offset (segments or sections may map the same file
 * bytes twice, and the patched file can hold only one of them).
 */
static int check_overlaps(const struct afb_image *img, struct afb_error *err)
{
	size_t i, n = img->nr_sites, hit, other = 0;
	struct span *spans;
	int pass, ret = 0;

	if (n < 2)
		return 0;
	spans = calloc(n, sizeof(*spans));
	if (!spans)
		return afb_error_set(err, -ENOMEM, "%s: out of memory", img->name);
	for (pass = img->relocatable; pass < 2 && !ret; pass++) {
		for (i = 0; i < n; i++) {
			const struct afb_site *s = &img->sites[i];
			uint64_t start = pass ? s->file_offset : s->addr;

			spans[i] = (struct span){ start, span_end(start, s->len), i };
		}
		hit = first_overlap(spans, n, &other);
		if (hit != SIZE_MAX)
			ret = overlap_error(img, hit, other, pass, err);
	}
	free(spans);
	return ret;
}

/* Pass 3: what the site holds. */
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
 * Each site must lie inside an executable section and, in a linked image,
 * inside exactly one PT_LOAD segment, executable, that holds its bytes in
 * the file at the offset the section header gives (the section and
 * segment views agree); it must be at least as long as its kind needs,
 * share no byte with another site (by address across all sections, and
 * by file offset), decode to its recorded kind and instruction length,
 * and be padded with nops only.  Placement and overlaps are checked for
 * all sites before any site's bytes are, so that two overlapping sites
 * are reported as such.  Returns 0, -EINVAL at the first site that fails,
 * or -ENOMEM.
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
	ret = check_overlaps(image, err);
	if (ret)
		return ret;
	for (i = 0; i < image->nr_sites; i++) {
		ret = check_contents(image, i, err);
		if (ret)
			return ret;
	}
	return 0;
}
