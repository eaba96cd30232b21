// SPDX-License-Identifier: MIT
/*
 * afterburn-sites: the site listing (default command) and --stats, as an
 * aligned table or as TSV.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sites.h"

/* Column widths of the table: the widest entry of each column. */
struct list_widths {
	int addr, kind, section;
};

void sites__print_bytes(FILE *out, const struct afb_image *image,
			const struct afb_site *site)
{
	const uint8_t *bytes = afb_image_site_bytes(image, site);
	unsigned int i;

	if (!bytes) {
		fputc('-', out);
		return;
	}
	for (i = 0; i < site->insn_len; i++)
		fprintf(out, "%s%02x", i ? " " : "", bytes[i]);
}

static const char *kind_name(unsigned int kind)
{
	const char *name = afb_kind_name(kind);

	return name ? name : "?";
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static void measure(const struct afb_site *sites, size_t n,
		    struct list_widths *w)
{
	char buf[32];
	size_t i;

	w->addr = strlen("ADDRESS");
	w->kind = strlen("KIND");
	w->section = strlen("SECTION");
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "0x%" PRIx64, sites[i].addr);
		w->addr = max_int(w->addr, strlen(buf));
		w->kind = max_int(w->kind, strlen(kind_name(sites[i].kind)));
		w->section = max_int(w->section, strlen(sites[i].section));
	}
}

/* The sites of one file as a table with a heading line. */
static void list_table(const char *path, const struct afb_image *image,
		       const struct afb_site *sites, size_t n,
		       const struct sites_opts *opts)
{
	struct list_widths w;
	char addr[32];
	size_t i;

	if (opts->several)
		printf("%s:\n", path);
	if (!n && !afb_image_note_count(image)) {
		printf("no sites (no Afterburn notes: not built with afterburn-as)\n");
		return;
	}
	if (!n) {
		printf("no sites\n");
		return;
	}
	measure(sites, n, &w);
	printf("%-*s  LEN  %-*s  %-*s  INSN  MODE  BYTES\n", w.addr, "ADDRESS",
	       w.kind, "KIND", w.section, "SECTION");
	for (i = 0; i < n; i++) {
		const struct afb_site *s = &sites[i];

		snprintf(addr, sizeof(addr), "0x%" PRIx64, s->addr);
		printf("%-*s  %3u  %-*s  %-*s  %4u  %4u  ", w.addr, addr,
		       s->len, w.kind, kind_name(s->kind), w.section,
		       s->section, s->insn_len, s->mode);
		sites__print_bytes(stdout, image, s);
		putchar('\n');
	}
}

/* The TSV header goes out once, before the first file's lines. */
static void tsv_header(const char *columns, const struct sites_opts *opts)
{
	static bool done;

	if (done)
		return;
	done = true;
	printf("#%s%s\n", columns, opts->several ? "\tfile" : "");
}

static void tsv_end(const char *path, const struct sites_opts *opts)
{
	if (opts->several)
		printf("\t%s", path);
	putchar('\n');
}

static void list_tsv(const char *path, const struct afb_image *image,
		     const struct afb_site *sites, size_t n,
		     const struct sites_opts *opts)
{
	size_t i;

	tsv_header("address\tlen\tkind\tsection\tinsn_len\tmode\tbytes", opts);
	for (i = 0; i < n; i++) {
		const struct afb_site *s = &sites[i];

		printf("0x%" PRIx64 "\t%u\t%s\t%s\t%u\t%u\t", s->addr, s->len,
		       kind_name(s->kind), s->section, s->insn_len, s->mode);
		sites__print_bytes(stdout, image, s);
		tsv_end(path, opts);
	}
}

/*
 * sites__list - print every site of @image: address (section offset in
 * a relocatable object), length, kind, section, instruction length,
 * mode and the original instruction's bytes.
 */
int sites__list(const char *path, struct afb_image *image,
		const struct sites_opts *opts)
{
	const struct afb_site *sites;
	size_t n = afb_image_sites(image, &sites);

	if (opts->format == SITES_FORMAT_TSV)
		list_tsv(path, image, sites, n, opts);
	else
		list_table(path, image, sites, n, opts);
	return SITES_OK;
}

/* ---- --stats ------------------------------------------------------- */

struct section_count {
	const char *name;
	size_t sites;
};

struct stats {
	size_t per_kind[AFB_KIND_MAX + 1];
	struct section_count *sections;
	size_t nr_sections;
	size_t total;
};

/* Count @sites (sorted by section) per kind and per section. */
static void count_sites(const struct afb_site *sites, size_t n,
			struct stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < n; i++) {
		const struct afb_site *s = &sites[i];

		if (s->kind <= AFB_KIND_MAX)
			st->per_kind[s->kind]++;
		if (!st->nr_sections ||
		    strcmp(st->sections[st->nr_sections - 1].name, s->section)) {
			st->sections = xrealloc(st->sections,
				(st->nr_sections + 1) * sizeof(*st->sections));
			st->sections[st->nr_sections].name = s->section;
			st->sections[st->nr_sections].sites = 0;
			st->nr_sections++;
		}
		st->sections[st->nr_sections - 1].sites++;
		st->total++;
	}
}

static int stats_width(const struct stats *st)
{
	int w = strlen("SECTION");
	unsigned int kind;
	size_t i;

	for (kind = 1; kind <= AFB_KIND_MAX; kind++)
		if (st->per_kind[kind])
			w = max_int(w, strlen(kind_name(kind)));
	for (i = 0; i < st->nr_sections; i++)
		w = max_int(w, strlen(st->sections[i].name));
	return w;
}

static void stats_table(const char *path, const struct stats *st,
			const struct sites_opts *opts)
{
	int w = stats_width(st);
	unsigned int kind;
	size_t i;

	if (opts->several)
		printf("%s:\n", path);
	printf("%-*s  %8s\n", w, "KIND", "SITES");
	for (kind = 1; kind <= AFB_KIND_MAX; kind++)
		if (st->per_kind[kind])
			printf("%-*s  %8zu\n", w, kind_name(kind),
			       st->per_kind[kind]);
	printf("%-*s  %8zu\n\n", w, "total", st->total);
	printf("%-*s  %8s\n", w, "SECTION", "SITES");
	for (i = 0; i < st->nr_sections; i++)
		printf("%-*s  %8zu\n", w, st->sections[i].name,
		       st->sections[i].sites);
	if (opts->several)
		putchar('\n');
}

static void stats_tsv(const char *path, const struct stats *st,
		      const struct sites_opts *opts)
{
	unsigned int kind;
	size_t i;

	tsv_header("scope\tname\tsites", opts);
	for (kind = 1; kind <= AFB_KIND_MAX; kind++) {
		if (!st->per_kind[kind])
			continue;
		printf("kind\t%s\t%zu", kind_name(kind), st->per_kind[kind]);
		tsv_end(path, opts);
	}
	for (i = 0; i < st->nr_sections; i++) {
		printf("section\t%s\t%zu", st->sections[i].name,
		       st->sections[i].sites);
		tsv_end(path, opts);
	}
	printf("total\t-\t%zu", st->total);
	tsv_end(path, opts);
}

/*
 * sites__stats - print how many sites @image has per kind, in total and
 * per section.
 */
int sites__stats(const char *path, struct afb_image *image,
		 const struct sites_opts *opts)
{
	const struct afb_site *sites;
	size_t n = afb_image_sites(image, &sites);
	struct stats st;

	count_sites(sites, n, &st);
	if (opts->format == SITES_FORMAT_TSV)
		stats_tsv(path, &st, opts);
	else
		stats_table(path, &st, opts);
	free(st.sections);
	return SITES_OK;
}
