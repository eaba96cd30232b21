// SPDX-License-Identifier: MIT
/*
 * afb_patch_apply(): patching every site of an image for a wedge, all or
 * nothing (doc/design.md, decision 5).
 *
 * The order is that of Linux's apply_alternatives(), in two passes so that
 * nothing is written before everything is known to be good:
 *
 *   1. validate the image (afb_image_validate());
 *   2. check that every site lies inside @mem and still holds the file's
 *      bytes, so that a wedge is never asked about an image that will be
 *      refused anyway;
 *   3. for every site: decode it, ask the wedge for its replacement into a
 *      staging buffer and pad that with nops;
 *   4. only when every site has passed steps 2 and 3, write the staged
 *      bytes with afb_poke(), the one write primitive.
 *
 * A failure in steps 1 to 3 leaves @mem exactly as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "image.h"
#include "table.h"

/* What pass 2 decided for one site. */
struct staged {
	uint8_t *buf;			/* site->len replacement bytes */
	bool patch;			/* write them; false: leave native */
};

/*
 * afb_poke - the only place that writes guest code.  Every caller has
 * checked that [@addr, @addr + @len) lies inside @mem.  The caller of
 * afb_patch_apply() guarantees no CPU runs this code meanwhile, so a plain
 * copy is enough; a live patcher would need Linux's text_poke_bp() dance.
 */
static void afb_poke(struct afb_memory *mem, uint64_t addr,
		     const uint8_t *bytes, size_t len)
{
	memcpy(mem->base + (addr - mem->vaddr), bytes, len);
}

static int site_error(struct afb_error *err, int code,
		      const struct afb_image *img, const struct afb_site *s,
		      const char *why, int detail)
{
	return afb_error_set(err, code,
			     "%s: section %s, address 0x%llx, %s site: %s (%d)",
			     img->name, s->section, (unsigned long long)s->addr,
			     afb_kinds[s->kind].name, why, detail);
}

/* The site's bytes lie inside @mem and equal the file's. */
static int site_in_memory(const struct afb_image *img,
			  const struct afb_memory *mem,
			  const struct afb_site *s, struct afb_error *err)
{
	const uint8_t *file = afb_image_site_bytes(img, s);
	uint64_t off = s->addr - mem->vaddr;

	if (s->addr < mem->vaddr || off > mem->size || s->len > mem->size - off)
		return afb_error_set(err, -ERANGE,
			"%s: section %s, address 0x%llx, %s site: outside the memory image 0x%llx-0x%llx",
			img->name, s->section, (unsigned long long)s->addr,
			afb_kinds[s->kind].name, (unsigned long long)mem->vaddr,
			(unsigned long long)(mem->vaddr + mem->size));
	if (!file || memcmp(mem->base + off, file, s->len))
		return afb_error_set(err, -ESTALE,
			"%s: section %s, address 0x%llx, %s site: the bytes in memory differ from the file (patched already, or another image?)",
			img->name, s->section, (unsigned long long)s->addr,
			afb_kinds[s->kind].name);
	return 0;
}

/* Step 2: every site is inside @mem and holds the file's bytes. */
static int check_memory(const struct afb_image *img,
			const struct afb_memory *mem, struct afb_error *err)
{
	size_t i;
	int ret;

	for (i = 0; i < img->nr_sites; i++) {
		ret = site_in_memory(img, mem, &img->sites[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

/* Step 3 for one site: stage the wedge's replacement. */
static int stage_site(const struct afb_image *img, const struct afb_memory *mem,
		      const struct afb_site *s, afb_patch_fn fn, void *ctx,
		      struct staged *st, struct afb_error *err)
{
	uint8_t *orig = mem->base + (s->addr - mem->vaddr);
	struct afb_insn insn;
	int n;

	n = afb_decode(orig, s->len, s->mode, &insn);
	if (n != s->insn_len)
		return site_error(err, -EINVAL, img, s, "does not decode", n);
	memcpy(st->buf, orig, s->len);
	n = fn(ctx, s, &insn, st->buf, s->len);
	if (n < 0)
		return site_error(err, n, img, s, "the wedge refused it, error", n);
	if (n > s->len)
		return site_error(err, -ERANGE, img, s,
				  "the wedge's replacement is longer than the site, bytes", n);
	st->patch = n > 0;
	if (st->patch)
		afb_fill_nops(st->buf + n, s->len - n, s->mode);
	else
		memcpy(st->buf, orig, s->len);
	return 0;
}

static void count(struct afb_patch_stats *stats, const struct afb_site *s,
		  bool patched)
{
	if (patched) {
		stats->patched[s->kind]++;
		stats->total_patched++;
	} else {
		stats->native[s->kind]++;
		stats->total_native++;
	}
}

/* Step 4: write every staged replacement. */
static void commit(const struct afb_image *img, struct afb_memory *mem,
		   const struct staged *st, struct afb_patch_stats *stats)
{
	size_t i;

	for (i = 0; i < img->nr_sites; i++) {
		count(stats, &img->sites[i], st[i].patch);
		if (st[i].patch)
			afb_poke(mem, img->sites[i].addr, st[i].buf,
				 img->sites[i].len);
	}
}

static int check_args(const struct afb_image *img, const struct afb_memory *mem,
		      afb_patch_fn fn, struct afb_error *err)
{
	if (!img || !mem || !mem->base || !fn)
		return afb_error_set(err, -EINVAL,
				     "afb_patch_apply: no image, memory or wedge");
	if (img->relocatable)
		return afb_error_set(err, -EINVAL,
			"%s: a relocatable object cannot be patched: link it first",
			img->name);
	return afb_image_validate(img, err);
}

/* Allocate the staging area: one buffer for every site's bytes. */
static struct staged *stage_alloc(const struct afb_image *img, uint8_t **bytes)
{
	struct staged *st = calloc(img->nr_sites ? img->nr_sites : 1, sizeof(*st));
	size_t i, off = 0;

	*bytes = malloc(img->nr_sites * 255 + 1);
	if (!st || !*bytes) {
		free(st);
		free(*bytes);
		return NULL;
	}
	for (i = 0; i < img->nr_sites; i++) {
		st[i].buf = *bytes + off;
		off += img->sites[i].len;
	}
	return st;
}

/**
 * afb_patch_apply - patch every site of @image in @mem, all or nothing
 * @image: a linked image (not a relocatable object)
 * @mem:   the loaded image: @mem->size bytes at @mem->base hold the guest's
 *         addresses @mem->vaddr onwards
 * @fn:    the wedge: called once per site, in site order, to write its
 *         replacement into a staging buffer (never into @mem)
 * @ctx:   passed to @fn
 * @stats: filled on success, zeroed on failure; may be NULL
 * @err:   describes a failure
 *
 * Validates @image, checks that every site lies inside @mem and holds the
 * file's bytes, and stages every replacement before it writes anything:
 * any failure (a bad site, a mismatch, @fn refusing or overrunning) leaves
 * @mem untouched.  The caller must ensure that no CPU runs the code in
 * @mem while it is patched, and must flush instruction caches/pipelines as
 * its platform requires before running it.
 *
 * Returns 0, -EINVAL (bad arguments or image), -ERANGE (a site outside
 * @mem, a replacement longer than its site), -ESTALE (memory differs from
 * the file), -ENOMEM, or the negative errno @fn returned.
 */
AFB_EXPORT int afb_patch_apply(const struct afb_image *image,
			       struct afb_memory *mem, afb_patch_fn fn,
			       void *ctx, struct afb_patch_stats *stats,
			       struct afb_error *err)
{
	struct afb_patch_stats local;
	struct staged *st = NULL;
	uint8_t *bytes = NULL;
	size_t i;
	int ret;

	memset(&local, 0, sizeof(local));
	ret = check_args(image, mem, fn, err);
	if (!ret)
		ret = check_memory(image, mem, err);
	if (ret)
		goto out;
	st = stage_alloc(image, &bytes);
	if (!st) {
		ret = afb_error_set(err, -ENOMEM, "%s: out of memory", image->name);
		goto out;
	}
	for (i = 0; i < image->nr_sites && !ret; i++)
		ret = stage_site(image, mem, &image->sites[i], fn, ctx, &st[i], err);
	if (!ret)
		commit(image, mem, st, &local);
out:
	if (stats && ret)
		memset(stats, 0, sizeof(*stats));
	else if (stats)
		*stats = local;
	free(bytes);
	free(st);
	return ret;
}
