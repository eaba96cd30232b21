// SPDX-License-Identifier: MIT
/*
 * afterburn-sites --verify: check the sites of an ELF file against an
 * independent disassembly by GNU objdump (doc/design.md, decision 3, "nothing
 * is missed silently").
 *
 * Three kinds of problem are reported:
 *
 *  missed    objdump shows a sensitive instruction (afb_classify_text)
 *            of an expected kind that is not the start of a site;
 *  mismatch  a site whose bytes do not decode to its kind and length
 *            (afb_decode), that objdump sees starting mid-instruction or
 *            as another instruction, whose padding is not nops, or that
 *            is not in executable code;
 *  off       as missed, but for a kind that is not expected to be a site
 *            (off by default in sensitive.tbl, or --disable): counted per
 *            kind for the summary (a vmlinux has millions of linker-fill
 *            int3), listed one by one only with --verbose; not a problem.
 *
 * The disassembly is streamed line by line: objdump runs once over the
 * whole file in its default mode, and once per address range that the
 * mode notes (.code16/.code32 parts) put in another mode.  Sites are
 * found by binary search in per-section arrays sorted by address, so a
 * vmlinux with 3.3 M instructions costs little more than objdump itself.
 *
 * objdump does not know every instruction of the table (binutils 2.40
 * prints erets as "repnz clac" and stops at lkgs with a 3-byte "(bad)",
 * then decodes from inside it).  Where objdump shows a prefix that may
 * be a mandatory one, or gives up, the decoder, which reads prefixes as
 * the CPU does, tells the instruction and its length; if that length is
 * not objdump's, objdump is run again from the end of the instruction,
 * a point both agree on (reconcile()).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sites.h"

extern char **environ;

/* An address range of one section and the code size it holds. */
struct vrange {
	uint64_t start, end;
	unsigned int mode;
};

/* A site and what the verification learnt about it. */
struct vsite {
	const struct afb_site *site;
	size_t sec;		/* index into verify.secs, or NO_SECTION */
	bool seen;		/* objdump printed an instruction starting here */
	bool bad;		/* a mismatch has been reported */
};

struct objdump_run;

/* A section of the ELF file (all of them, in section header order). */
struct vsection {
	char *name;
	uint64_t addr, size;
	uint64_t offset;	/* sh_offset: where objdump reads its bytes */
	bool alloc;		/* SHF_ALLOC: a loader maps it */
	bool exec;		/* SHF_EXECINSTR with contents: disassembled */
	struct vrange *ranges;	/* mode ranges (mode 0: data, skipped);
				   NULL if all default mode */
	size_t nr_ranges;
	struct vsite *sites;	/* this section's sites, sorted by address */
	size_t nr_sites;
};

enum problem_type {
	PROBLEM_MISMATCH,
	PROBLEM_MISSED,
	PROBLEM_OFF,
};

static const char *const problem_names[] = {
	[PROBLEM_MISMATCH] = "mismatch",
	[PROBLEM_MISSED] = "missed",
	[PROBLEM_OFF] = "off",
};

struct problem {
	enum problem_type type;
	size_t sec;		/* section index, or NO_SECTION */
	uint64_t addr;
	unsigned int kind;
	size_t seq;		/* report order, to keep the sort stable */
	char *text;		/* disassembly (missed, off) or detail */
};

#define NO_SECTION ((size_t)-1)

/* A PT_LOAD segment of a linked image: what a loader maps. */
struct vload {
	uint64_t vaddr, memsz, offset, filesz;
};

struct verify {
	const char *path;
	struct afb_image *image;
	const struct sites_opts *opts;
	bool relocatable;
	unsigned int default_mode;
	struct vsection *secs;
	size_t nr_secs;
	struct vload *loads;	/* PT_LOAD segments, in program header order */
	size_t nr_loads;
	size_t *by_name;	/* section indices sorted by name */
	struct vsite *vsites;	/* sorted by section index, then address */
	size_t nr_vsites;
	struct problem *problems;
	size_t nr_problems;
	size_t counts[3];	/* problems per enum problem_type */
	size_t off[AFB_KIND_MAX + 1];	/* 'off' instructions per kind */
	size_t sensitive;	/* sensitive instructions objdump showed */
	uint64_t data_bytes;	/* bytes of data in code, not disassembled */
	size_t warnings;	/* sites__check_layout() */
	int fd;			/* @path, for the bytes reconcile() decodes */
	struct objdump_run *resumes;	/* objdump runs still to do */
	size_t nr_resumes;
};

/* What one objdump run covers. */
struct objdump_run {
	unsigned int mode;
	const struct vsection *sec;	/* NULL: all default-mode sections */
	uint64_t start, end;		/* range of @sec */
};

/* One parsed line of objdump -d -w output. */
struct insn_line {
	uint64_t addr;
	unsigned int len;	/* bytes objdump consumed */
	const char *text;	/* "rep insb (%dx),%es:(%rdi)", trimmed */
	char mnemonic[32];	/* prefixes stripped */
	const char *operands;
	unsigned int kind;	/* afb_classify_text() */
};

/* ---- Problems ------------------------------------------------------ */

static void __attribute__((format(printf, 6, 7)))
problem_add(struct verify *v, enum problem_type type, size_t sec,
	    uint64_t addr, unsigned int kind, const char *fmt, ...)
{
	struct problem *p;
	va_list ap;

	v->problems = xrealloc(v->problems,
			       (v->nr_problems + 1) * sizeof(*v->problems));
	p = &v->problems[v->nr_problems];
	p->type = type;
	p->sec = sec;
	p->addr = addr;
	p->kind = kind;
	p->seq = v->nr_problems++;
	va_start(ap, fmt);
	if (vasprintf(&p->text, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	v->counts[type]++;
}

/* Report a mismatch for @vs, once per site. */
static void __attribute__((format(printf, 3, 4)))
site_mismatch(struct verify *v, struct vsite *vs, const char *fmt, ...)
{
	char *detail;
	va_list ap;

	if (vs->bad)
		return;
	vs->bad = true;
	va_start(ap, fmt);
	if (vasprintf(&detail, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	problem_add(v, PROBLEM_MISMATCH, vs->sec, vs->site->addr,
		    vs->site->kind, "%s", detail);
	free(detail);
}

static int problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const char *kind_name(unsigned int kind)
{
	const char *name = afb_kind_name(kind);

	return name ? name : "-";
}

static void print_problem_tsv(const struct verify *v, const struct problem *p)
{
	const struct vsection *s = p->sec == NO_SECTION ? NULL : &v->secs[p->sec];

	printf("%s\t%s\t0x%" PRIx64 "\t%s\t%s", problem_names[p->type],
	       s ? s->name : "-", s ? p->addr - s->addr : 0,
	       kind_name(p->kind), p->text);
	if (v->opts->several)
		printf("\t%s", v->path);
	putchar('\n');
}

static void print_problem_human(const struct verify *v,
				const struct problem *p)
{
	const struct vsection *s = p->sec == NO_SECTION ? NULL : &v->secs[p->sec];

	if (!s) {
		printf("%s: %s: %s\n", v->path, problem_names[p->type], p->text);
		return;
	}
	printf("%s: %s+0x%" PRIx64, v->path, s->name, p->addr - s->addr);
	if (!v->relocatable)
		printf(" [0x%" PRIx64 "]", p->addr);
	printf(": %s: %s: %s\n", problem_names[p->type], kind_name(p->kind),
	       p->text);
}

static void print_problems(struct verify *v)
{
	static bool header_done;
	size_t i;

	if (v->nr_problems)
		qsort(v->problems, v->nr_problems, sizeof(*v->problems),
		      problem_cmp);
	if (v->opts->format == SITES_FORMAT_TSV && !header_done) {
		printf("#type\tsection\toffset\tkind\tdetail%s\n",
		       v->opts->several ? "\tfile" : "");
		header_done = true;
	}
	for (i = 0; i < v->nr_problems; i++) {
		if (v->opts->format == SITES_FORMAT_TSV)
			print_problem_tsv(v, &v->problems[i]);
		else
			print_problem_human(v, &v->problems[i]);
	}
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

/* In TSV: one "off-count" line per kind not expected to be a site. */
static void print_off_tsv(const struct verify *v)
{
	unsigned int k;

	for (k = 1; k <= AFB_KIND_MAX; k++) {
		if (!v->off[k])
			continue;
		printf("off-count\t-\t-\t%s\t%zu", kind_name(k), v->off[k]);
		if (v->opts->several)
			printf("\t%s", v->path);
		putchar('\n');
	}
}

/* ", N not expected to be sites: int3 2945362, verw 3" */
static void print_off_human(const struct verify *v)
{
	size_t total = 0;
	unsigned int k;
	const char *sep = ": ";

	for (k = 1; k <= AFB_KIND_MAX; k++)
		total += v->off[k];
	if (!total)
		return;
	printf(", %zu not expected to be site%s", total, plural(total));
	for (k = 1; k <= AFB_KIND_MAX; k++) {
		if (!v->off[k])
			continue;
		printf("%s%s %zu", sep, kind_name(k), v->off[k]);
		sep = ", ";
	}
}

/*
 * " (1 site holds two: sti; hlt)": a fused site is one site, and objdump
 * shows its two instructions (doc/notes.md).
 */
static void print_fused(const struct verify *v)
{
	size_t i, fused = 0;

	for (i = 0; i < v->nr_vsites; i++)
		fused += v->vsites[i].site->kind == AFB_KIND_STI_HLT ||
			 v->vsites[i].site->kind == AFB_KIND_STI_MWAIT;
	if (fused)
		printf(" (%zu site%s hold%s two: sti; hlt or sti; mwait)",
		       fused, plural(fused), fused == 1 ? "s" : "");
}

/*
 * The summary: sites, sensitive instructions, problems, the sensitive
 * instructions of kinds not expected to be sites counted per kind, data
 * in code.  Not with --quiet.
 */
static void print_summary(const struct verify *v)
{
	size_t problems = v->counts[PROBLEM_MISSED] + v->counts[PROBLEM_MISMATCH];

	if (v->opts->quiet)
		return;
	if (v->opts->format == SITES_FORMAT_TSV) {
		print_off_tsv(v);
		return;
	}
	printf("%s: %zu site%s, %zu sensitive instruction%s", v->path,
	       v->nr_vsites, plural(v->nr_vsites), v->sensitive,
	       plural(v->sensitive));
	print_fused(v);
	printf(", %zu problem%s (%zu missed, %zu mismatched)", problems,
	       plural(problems), v->counts[PROBLEM_MISSED],
	       v->counts[PROBLEM_MISMATCH]);
	print_off_human(v);
	if (v->warnings)
		printf("; %zu warning%s", v->warnings, plural(v->warnings));
	if (v->data_bytes)
		printf("; %" PRIu64 " byte%s of data in code not disassembled",
		       v->data_bytes, plural(v->data_bytes));
	putchar('\n');
}

/* ---- Sections and sites -------------------------------------------- */

static int by_name_cmp(const void *a, const void *b, void *arg)
{
	const struct verify *v = arg;
	const struct vsection *x = &v->secs[*(const size_t *)a];
	const struct vsection *y = &v->secs[*(const size_t *)b];
	int r = strcmp(x->name, y->name);

	/* Of equally named sections, the executable one is found first. */
	if (!r && x->exec != y->exec)
		return x->exec ? -1 : 1;
	return r ? r : (x < y ? -1 : x > y);
}

/* The index of the section named @name (an executable one if any). */
static size_t section_find(const struct verify *v, const char *name)
{
	size_t lo = 0, hi = v->nr_secs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v->secs[v->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < v->nr_secs && !strcmp(v->secs[v->by_name[lo]].name, name))
		return v->by_name[lo];
	return NO_SECTION;
}

static void section_add(struct verify *v, const char *name, const GElf_Shdr *sh)
{
	struct vsection *s;

	v->secs = xrealloc(v->secs, (v->nr_secs + 1) * sizeof(*v->secs));
	s = &v->secs[v->nr_secs++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->addr = sh->sh_addr;
	s->size = sh->sh_size;
	s->offset = sh->sh_offset;
	s->alloc = sh->sh_flags & SHF_ALLOC;
	s->exec = (sh->sh_flags & SHF_EXECINSTR) && sh->sh_type != SHT_NOBITS &&
		  sh->sh_size;
}

/* The PT_LOAD segments of a linked image, as a loader sees them. */
static void load_segments(struct verify *v, Elf *elf)
{
	size_t i, phnum;
	GElf_Phdr ph;

	if (v->relocatable || elf_getphdrnum(elf, &phnum))
		return;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		v->loads = xrealloc(v->loads, (v->nr_loads + 1) * sizeof(*v->loads));
		v->loads[v->nr_loads++] = (struct vload){
			ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz,
		};
	}
}

/*
 * Read the section headers of @v->path with libelf (the image API only
 * names sections), and the PT_LOAD segments of a linked image, and build
 * the by-name index.  Returns 0 or -1 after
 * printing why.
 */
static int load_sections(struct verify *v)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx, i;
	GElf_Shdr sh;
	int fd, ret = -1;
	Elf *elf;

	elf_version(EV_CURRENT);
	fd = open(v->path, O_RDONLY);
	if (fd < 0) {
		pr_err("%s: %s", v->path, strerror(errno));
		return -1;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		pr_err("%s: cannot read the section headers: %s", v->path,
		       elf_errmsg(-1));
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		section_add(v, name ? name : "", &sh);
	}
	load_segments(v, elf);
	v->by_name = xrealloc(NULL, v->nr_secs * sizeof(*v->by_name));
	for (i = 0; i < v->nr_secs; i++)
		v->by_name[i] = i;
	qsort_r(v->by_name, v->nr_secs, sizeof(*v->by_name), by_name_cmp, v);
	ret = 0;
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return ret;
}

static int vsite_cmp(const void *a, const void *b)
{
	const struct vsite *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->site->addr != y->site->addr)
		return x->site->addr < y->site->addr ? -1 : 1;
	return 0;
}

/* Sort the image's sites by section and address; hang them on sections. */
static void load_sites(struct verify *v)
{
	const struct afb_site *sites;
	size_t n = afb_image_sites(v->image, &sites), i;

	v->nr_vsites = n;
	v->vsites = xrealloc(NULL, n * sizeof(*v->vsites));
	for (i = 0; i < n; i++) {
		v->vsites[i] = (struct vsite){
			.site = &sites[i],
			.sec = section_find(v, sites[i].section),
		};
	}
	qsort(v->vsites, n, sizeof(*v->vsites), vsite_cmp);
	for (i = 0; i < n; i++) {
		struct vsite *vs = &v->vsites[i];

		if (vs->sec == NO_SECTION)
			continue;
		if (!v->secs[vs->sec].nr_sites)
			v->secs[vs->sec].sites = vs;
		v->secs[vs->sec].nr_sites++;
	}
}

/* Append [@start, @end) in @mode to @s's ranges, merging with the last. */
static void range_add(struct vsection *s, uint64_t start, uint64_t end,
		      unsigned int mode)
{
	struct vrange *last = s->nr_ranges ? &s->ranges[s->nr_ranges - 1] : NULL;

	if (start >= end)
		return;
	if (last && last->mode == mode && last->end == start) {
		last->end = end;
		return;
	}
	s->ranges = xrealloc(s->ranges, (s->nr_ranges + 1) * sizeof(*s->ranges));
	s->ranges[s->nr_ranges++] = (struct vrange){ start, end, mode };
}

/*
 * Mode switches by section and address; at one address the later note
 * wins (note order): an object's end-of-section note (AFB_MODE_END) comes
 * after its own notes, and a link keeps objects' notes in code order.
 * (The end note cannot simply lose a tie: an object whose section ends in
 * a mode switch with no code after it has both notes at its end.)
 */
static int switch_cmp(const void *a, const void *b)
{
	const struct afb_mode_switch *x = *(const struct afb_mode_switch *const *)a;
	const struct afb_mode_switch *y = *(const struct afb_mode_switch *const *)b;
	int r = strcmp(x->section, y->section);

	if (r)
		return r;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Build the mode ranges of every section that has mode switches. */
static void load_modes(struct verify *v)
{
	const struct afb_mode_switch *sw, **order;
	size_t n = afb_image_mode_switches(v->image, &sw), i, sec;

	order = xrealloc(NULL, n * sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = &sw[i];
	qsort(order, n, sizeof(*order), switch_cmp);
	for (i = 0; i < n; i++) {
		struct vsection *s;
		struct vrange *last;

		sec = section_find(v, order[i]->section);
		if (sec == NO_SECTION || !v->secs[sec].exec)
			continue;
		s = &v->secs[sec];
		if (!s->nr_ranges)
			range_add(s, s->addr, s->addr + s->size, v->default_mode);
		last = &s->ranges[s->nr_ranges - 1];
		if (order[i]->addr < last->start || order[i]->addr >= last->end)
			continue;	/* at the very end, or out of order */
		if (order[i]->addr == last->start) {
			last->mode = order[i]->mode;
		} else {
			uint64_t end = last->end;

			last->end = order[i]->addr;
			range_add(s, order[i]->addr, end, order[i]->mode);
		}
	}
	free(order);
	/* A section that stays in the default mode needs no ranges. */
	for (sec = 0; sec < v->nr_secs; sec++) {
		struct vsection *s = &v->secs[sec];

		if (s->nr_ranges == 1 && s->ranges[0].mode == v->default_mode) {
			free(s->ranges);
			s->ranges = NULL;
			s->nr_ranges = 0;
		}
	}
}

/*
 * Mark [@start, @end) of @s as data (mode 0, never disassembled),
 * splitting the mode range it falls in.
 */
static void range_cut_data(struct vsection *s, uint64_t start, uint64_t end)
{
	struct vrange *old = s->ranges;
	size_t n = s->nr_ranges, i;

	s->ranges = NULL;
	s->nr_ranges = 0;
	for (i = 0; i < n; i++) {
		struct vrange r = old[i];

		if (r.end <= start || r.start >= end) {
			range_add(s, r.start, r.end, r.mode);
			continue;
		}
		range_add(s, r.start, start > r.start ? start : r.start, r.mode);
		range_add(s, start > r.start ? start : r.start,
			  end < r.end ? end : r.end, 0);
		range_add(s, end < r.end ? end : r.end, r.end, r.mode);
	}
	free(old);
}

/* Cut [@start, @end) of section @name out of the disassembly. */
static void data_cut(struct verify *v, const char *name, uint64_t start,
		     uint64_t end)
{
	size_t sec = section_find(v, name);
	struct vsection *s;

	if (sec == NO_SECTION || !v->secs[sec].exec || start >= end)
		return;
	s = &v->secs[sec];
	if (!s->nr_ranges)
		range_add(s, s->addr, s->addr + s->size, v->default_mode);
	range_cut_data(s, start, end);
	v->data_bytes += end - start;
}

static int data_cmp(const void *a, const void *b)
{
	const struct afb_data_range *x = a, *y = b;
	int r = strcmp(x->section, y->section);

	if (r)
		return r;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * The AFB_NT_DATA ranges: bytes of data directives inside code, cut out
 * of the disassembly (adjacent ones merged: a table is one cut).
 */
static void load_data(struct verify *v)
{
	const struct afb_data_range *d;
	struct afb_data_range *sorted;
	size_t n = afb_image_data_ranges(v->image, &d), i, sec;
	uint64_t start, end;

	if (!n)
		return;
	sorted = xrealloc(NULL, n * sizeof(*sorted));
	memcpy(sorted, d, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), data_cmp);
	for (i = 0; i < n; i = sec) {
		start = sorted[i].addr;
		end = start + sorted[i].size;
		for (sec = i + 1; sec < n && !strcmp(sorted[sec].section,
						     sorted[i].section) &&
		     sorted[sec].addr <= end; sec++)
			if (sorted[sec].addr + sorted[sec].size > end)
				end = sorted[sec].addr + sorted[sec].size;
		data_cut(v, sorted[i].section, start, end);
	}
	free(sorted);
}

/* ---- Checking each site's bytes ------------------------------------ */

static void hex_bytes(char *buf, size_t cap, const uint8_t *bytes, size_t n)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n && off + 4 < cap; i++)
		off += snprintf(buf + off, cap - off, "%s%02x", i ? " " : "",
				bytes[i]);
}

/*
 * Check where site @vs is: in executable code, inside its section, not
 * overlapping @prev (the site before it), long enough for its kind.
 * Returns false after reporting a mismatch.
 */
static bool check_site_place(struct verify *v, struct vsite *vs,
			     const struct vsite *prev)
{
	const struct afb_site *s = vs->site;
	const struct vsection *sec = vs->sec == NO_SECTION ? NULL : &v->secs[vs->sec];

	if (!sec || !sec->exec)
		site_mismatch(v, vs, "section %s is not executable code",
			      s->section);
	else if (s->addr < sec->addr || s->addr + s->len > sec->addr + sec->size)
		site_mismatch(v, vs, "the site runs past the end of %s",
			      s->section);
	else if (prev && prev->sec == vs->sec &&
		 prev->site->addr + prev->site->len > s->addr)
		site_mismatch(v, vs, "overlaps the site at %s+0x%" PRIx64,
			      s->section, prev->site->addr - sec->addr);
	else if (s->len < afb_kind_site_len(s->kind))
		site_mismatch(v, vs, "%u bytes long, %s needs %u", s->len,
			      kind_name(s->kind), afb_kind_site_len(s->kind));
	return !vs->bad;
}

/* Check that the bytes of @vs decode (afb_decode) to its kind and length. */
static void check_site_decode(struct verify *v, struct vsite *vs)
{
	const struct afb_site *s = vs->site;
	const uint8_t *bytes = afb_image_site_bytes(v->image, s);
	struct afb_insn insn;
	char hex[64];
	int ret;

	if (!bytes) {
		site_mismatch(v, vs, "its bytes are not in the file");
		return;
	}
	hex_bytes(hex, sizeof(hex), bytes, s->insn_len);
	ret = afb_decode(bytes, s->len, s->mode, &insn);
	if (ret < 0)
		site_mismatch(v, vs, "bytes %s are not a sensitive instruction "
			      "in %u-bit code", hex, s->mode);
	else if (insn.kind != s->kind)
		site_mismatch(v, vs, "bytes %s decode to %s", hex,
			      kind_name(insn.kind));
	else if ((unsigned int)ret != s->insn_len)
		site_mismatch(v, vs, "the instruction is %d bytes, the note "
			      "says insn_len %u", ret, s->insn_len);
}

static int vsite_addr_cmp(const void *a, const void *b)
{
	const struct vsite *x = *(const struct vsite *const *)a;
	const struct vsite *y = *(const struct vsite *const *)b;

	if (x->site->addr != y->site->addr)
		return x->site->addr < y->site->addr ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * In a linked image, sites of different sections that share addresses
 * (executable sections may overlap): check_site_place() compares only
 * neighbours within a section.
 */
static void check_cross_overlaps(struct verify *v)
{
	struct vsite **order;
	const struct vsite *far;
	size_t i;

	if (v->relocatable || v->nr_vsites < 2)
		return;
	order = xrealloc(NULL, v->nr_vsites * sizeof(*order));
	for (i = 0; i < v->nr_vsites; i++)
		order[i] = &v->vsites[i];
	qsort(order, v->nr_vsites, sizeof(*order), vsite_addr_cmp);
	far = order[0];
	for (i = 1; i < v->nr_vsites; i++) {
		const struct afb_site *s = order[i]->site, *f = far->site;

		if (s->addr - f->addr < f->len && order[i]->sec != far->sec)
			site_mismatch(v, order[i], "overlaps the site at 0x%" PRIx64
				      " in section %s", f->addr, f->section);
		if (s->addr + s->len > f->addr + f->len)
			far = order[i];
	}
	free(order);
}

/* What can be checked without objdump, for every site. */
static void check_all_site_bytes(struct verify *v)
{
	size_t i;

	for (i = 0; i < v->nr_vsites; i++)
		if (check_site_place(v, &v->vsites[i],
				     i ? &v->vsites[i - 1] : NULL))
			check_site_decode(v, &v->vsites[i]);
	check_cross_overlaps(v);
}

/*
 * Section @sec and PT_LOAD @ld share the addresses [@lo, @hi): do both
 * put the same file bytes there?  objdump reads a section through its
 * header, a loader through the program headers.
 */
static void check_view(struct verify *v, size_t sec, size_t ld,
		       uint64_t lo, uint64_t hi)
{
	const struct vsection *s = &v->secs[sec];
	const struct vload *l = &v->loads[ld];
	uint64_t sec_off = s->offset + (lo - s->addr);
	uint64_t seg_off = l->offset + (lo - l->vaddr);

	if (hi - l->vaddr > l->filesz)
		problem_add(v, PROBLEM_MISMATCH, sec, lo, AFB_KIND_NONE,
			    "the section and segment views disagree: %s has "
			    "bytes in the file up to 0x%" PRIx64 ", PT_LOAD "
			    "segment %zu zero-fills from 0x%" PRIx64, s->name,
			    hi, ld, l->vaddr + l->filesz);
	else if (sec_off != seg_off)
		problem_add(v, PROBLEM_MISMATCH, sec, lo, AFB_KIND_NONE,
			    "the section and segment views disagree: %s has "
			    "its bytes at file offset 0x%" PRIx64 ", PT_LOAD "
			    "segment %zu (what a loader maps) at 0x%" PRIx64
			    "; objdump checked other bytes than a loader runs",
			    s->name, sec_off, ld, seg_off);
}

/*
 * Every executable section of a linked image must be where its PT_LOAD
 * segments put it in the file, or objdump verifies code that no loader
 * runs (and misses what it does run).
 */
static void check_views(struct verify *v)
{
	size_t i, j;

	for (i = 0; i < v->nr_secs; i++) {
		const struct vsection *s = &v->secs[i];

		if (!s->exec || !s->alloc)
			continue;
		for (j = 0; j < v->nr_loads; j++) {
			const struct vload *l = &v->loads[j];
			uint64_t lo = s->addr > l->vaddr ? s->addr : l->vaddr;
			uint64_t s_end = s->addr + s->size, l_end = l->vaddr + l->memsz;
			uint64_t hi = s_end < l_end ? s_end : l_end;

			if (lo < hi)
				check_view(v, i, j, lo, hi);
		}
	}
}

/* ---- Parsing objdump's output -------------------------------------- */

static const char *const prefixes[] = {
	"rep", "repz", "repe", "repnz", "repne", "lock", "cs", "ds", "es",
	"fs", "gs", "ss", "data16", "data32", "addr16", "addr32", "notrack",
	"bnd", "xacquire", "xrelease",
};

/* Is @word (@len chars) a prefix that objdump prints before a mnemonic? */
static bool is_prefix(const char *word, size_t len)
{
	size_t i;

	if ((len >= 3 && !strncmp(word, "rex", 3)) || *word == '{')
		return true;	/* rex, rex.W, rex.WRB, {vex}, {evex} ... */
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strlen(prefixes[i]) == len && !strncmp(word, prefixes[i], len))
			return true;
	return false;
}

/*
 * Split @li->text into mnemonic and operands, skipping the prefixes
 * objdump prints in front of the mnemonic ("rep insb", "cs cli",
 * "data16 lret").  A prefix that stands alone is its own mnemonic.
 */
static void split_insn(struct insn_line *li)
{
	const char *p = li->text, *word;
	size_t len;

	for (;;) {
		word = p;
		while (*p && *p != ' ')
			p++;
		len = p - word;
		while (*p == ' ')
			p++;
		if (!*p || !is_prefix(word, len))
			break;
	}
	if (len >= sizeof(li->mnemonic))
		len = sizeof(li->mnemonic) - 1;
	memcpy(li->mnemonic, word, len);
	li->mnemonic[len] = '\0';
	li->operands = p;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Collapse blanks and tabs in @s to single spaces, in place; trim. */
static void squeeze_blanks(char *s)
{
	char *out = s, *in = s;
	bool blank = false;

	while (*in == ' ' || *in == '\t')
		in++;
	for (; *in && *in != '\n'; in++) {
		if (*in == ' ' || *in == '\t') {
			blank = true;
			continue;
		}
		if (blank)
			*out++ = ' ';
		blank = false;
		*out++ = *in;
	}
	*out = '\0';
}

/*
 * Parse one line "  1f:\t64 48 8b 04 25 28 00 00 00 \tmov %fs:0x28,%rax"
 * of objdump -d -w (changing @line).  Returns false for every other line
 * (headers, symbol labels, blank lines).
 */
static bool parse_insn_line(char *line, struct insn_line *li)
{
	char *p = line;
	int d;

	while (*p == ' ')
		p++;
	if (hex_digit(*p) < 0)
		return false;
	for (li->addr = 0; (d = hex_digit(*p)) >= 0; p++)
		li->addr = li->addr << 4 | d;
	if (p[0] != ':' || p[1] != '\t')
		return false;
	p += 2;
	for (li->len = 0; hex_digit(p[0]) >= 0 && hex_digit(p[1]) >= 0;
	     li->len++) {
		p += 2;
		if (*p == ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	if (!li->len || *p != '\t')
		return false;
	squeeze_blanks(++p);
	li->text = p;
	split_insn(li);
	return true;
}

/* "Disassembly of section .text:" -> the section's index. */
static bool parse_section_line(const struct verify *v, char *line,
			       size_t *sec)
{
	static const char head[] = "Disassembly of section ";
	char *end;

	if (strncmp(line, head, sizeof(head) - 1))
		return false;
	line += sizeof(head) - 1;
	end = line + strlen(line);
	while (end > line && (end[-1] == '\n' || end[-1] == ':'))
		*--end = '\0';
	*sec = section_find(v, line);
	return true;
}

/* ---- Comparing objdump's instructions with the sites ---------------- */

/*
 * The index in @s->sites of the first site that starts after @addr
 * (s->nr_sites if none); the site before it, if any, is the only one
 * that can contain @addr.
 */
static size_t site_after(const struct vsection *s, uint64_t addr)
{
	size_t lo = 0, hi = s->nr_sites;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->sites[mid].site->addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Is the register name at @p (after '%') the same as at @q? */
static bool same_reg(const char *p, const char *q)
{
	while (*p && *p == *q && *p != ',' && *p != ')') {
		p++;
		q++;
	}
	return (!*p || *p == ',' || *p == ')') && (!*q || *q == ',' || *q == ')');
}

/*
 * Is @li one of the nops GAS's .nops and the common nop tables use:
 * nop/nopw/nopl, xchg %ax,%ax, mov %reg,%reg, lea 0x0(%reg[,%eiz,1]),%reg
 * (the 16- and 32-bit forms), or a jmp to the end of the padding?
 */
static bool is_padding_nop(const struct insn_line *li, uint64_t site_end)
{
	const char *m = li->mnemonic, *o = li->operands, *dst;

	if (!strncmp(m, "nop", 3))
		return true;
	if (!strcmp(m, "jmp"))
		return strtoull(o, NULL, 16) == site_end;
	dst = strrchr(o, ',');
	if (!dst || dst[1] != '%')
		return false;
	if (!strcmp(m, "xchg") || !strcmp(m, "mov"))
		return o[0] == '%' && same_reg(o + 1, dst + 2);
	if (strcmp(m, "lea"))
		return false;
	if (!strncmp(o, "0x0(", 4))
		o += 3;
	if (o[0] != '(' || o[1] != '%' || !same_reg(o + 2, dst + 2))
		return false;
	o = strpbrk(o, ",)");
	return *o == ')' || !strncmp(o, ",%eiz,1)", 8) ||
	       !strncmp(o, ",%riz,1)", 8);
}

/* objdump's instruction @li starts where site @vs starts. */
/*
 * Is objdump's @li one part of a fused site's original instruction (kind
 * sti_hlt is "sti; hlt": objdump shows two instructions)?  The part must
 * lie inside the original and decode on its own to the sensitive kind
 * objdump names; check_site_decode() has checked that the whole original
 * decodes to the recorded kind, so the parts cannot be just anything.
 */
static bool part_of_original(const struct verify *v, const struct vsite *vs,
			     const struct insn_line *li)
{
	const struct afb_site *s = vs->site;
	const uint8_t *bytes = afb_image_site_bytes(v->image, s);
	uint64_t off = li->addr - s->addr;
	struct afb_insn insn;

	if (!bytes || !li->kind || off + li->len > s->insn_len)
		return false;
	return afb_decode(bytes + off, li->len, s->mode, &insn) == (int)li->len &&
	       insn.kind == li->kind;
}

static void check_site_start(struct verify *v, struct vsite *vs,
			     const struct insn_line *li, unsigned int mode)
{
	const struct afb_site *s = vs->site;

	vs->seen = true;
	if (mode != s->mode)
		site_mismatch(v, vs, "recorded as %u-bit code, but the mode "
			      "notes make it %u-bit", s->mode, mode);
	else if (li->len < s->insn_len && part_of_original(v, vs, li))
		return;
	else if (li->len != s->insn_len)
		site_mismatch(v, vs, "objdump reads a %u-byte '%s', the note "
			      "says insn_len %u", li->len, li->text,
			      s->insn_len);
	else if (li->kind != s->kind)
		site_mismatch(v, vs, "objdump reads '%s' (%s)", li->text,
			      li->kind ? kind_name(li->kind) : "not sensitive");
}

/* objdump's instruction @li starts inside site @vs, after its start. */
static void check_site_inside(struct verify *v, struct vsite *vs,
			      const struct insn_line *li)
{
	const struct afb_site *s = vs->site;
	uint64_t off = li->addr - s->addr, end = s->addr + s->len;

	if (off < s->insn_len && part_of_original(v, vs, li))
		return;
	if (off < s->insn_len)
		site_mismatch(v, vs, "objdump starts '%s' at +%" PRIu64
			      ", inside the original instruction", li->text,
			      off);
	else if (li->addr + li->len > end)
		site_mismatch(v, vs, "padding '%s' at +%" PRIu64 " runs past "
			      "the end of the site", li->text, off);
	else if (!is_padding_nop(li, end))
		site_mismatch(v, vs, "padding at +%" PRIu64 " is '%s', not a "
			      "nop", off, li->text);
}

/* A sensitive instruction outside every site. */
static void report_unsited(struct verify *v, size_t sec,
			   const struct insn_line *li)
{
	if (v->opts->expect[li->kind]) {
		problem_add(v, PROBLEM_MISSED, sec, li->addr, li->kind, "%s",
			    li->text);
		return;
	}
	v->off[li->kind]++;
	if (v->opts->verbose && !v->opts->quiet)
		problem_add(v, PROBLEM_OFF, sec, li->addr, li->kind, "%s",
			    li->text);
}

/* Up to @n bytes of section @s at @addr into @buf; returns how many. */
static size_t read_bytes(struct verify *v, const struct vsection *s,
			 uint64_t addr, uint8_t *buf, size_t n)
{
	uint64_t off = addr - s->addr;
	ssize_t got;

	if (addr < s->addr || off >= s->size)
		return 0;
	if (n > s->size - off)
		n = s->size - off;
	if (v->fd < 0)
		v->fd = open(v->path, O_RDONLY | O_CLOEXEC);
	got = v->fd < 0 ? -1 : pread(v->fd, buf, n, s->offset + off);
	return got < 0 ? 0 : (size_t)got;
}

/*
 * Does objdump's @li need the decoder's word?  Yes if objdump gave up
 * ("(bad)") or printed an f2, f3 or 66 prefix: for the instructions it
 * does not know, that prefix is a mandatory one ("repz clac" is eretu).
 */
static bool doubtful(const struct insn_line *li)
{
	static const char *const mandatory[] = {
		"rep", "repz", "repe", "repnz", "repne", "data16",
	};
	const char *p = li->text, *word;
	size_t len, i;

	if (!strcmp(li->mnemonic, "(bad)"))
		return true;
	for (;;) {
		for (word = p; *p && *p != ' '; p++)
			;
		len = p - word;
		if (!*p || !is_prefix(word, len))
			return false;
		for (i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++)
			if (strlen(mandatory[i]) == len &&
			    !strncmp(word, mandatory[i], len))
				return true;
		while (*p == ' ')
			p++;
	}
}

/*
 * Classify objdump's @li (sets @li->kind) and return the length of the
 * instruction as the CPU decodes it: objdump's, unless doubtful() and the
 * decoder reads a sensitive instruction there.
 */
static unsigned int reconcile(struct verify *v, size_t sec,
			      struct insn_line *li, unsigned int mode)
{
	uint8_t buf[15];	/* the architectural limit */
	struct afb_insn insn;
	size_t n;
	int len;

	li->kind = afb_classify_text(li->mnemonic, li->operands, mode);
	if (!doubtful(li))
		return li->len;
	n = read_bytes(v, &v->secs[sec], li->addr, buf, sizeof(buf));
	len = afb_decode(buf, n, mode, &insn);
	if (len <= 0)
		return li->len;
	li->kind = insn.kind;
	return len;
}

/*
 * Compare one instruction of objdump, in section @sec disassembled as
 * @mode, with the sites: the heart of --verify.  Returns false if
 * objdump's next instruction does not start where this one ends (see
 * reconcile()).
 */
static bool check_insn(struct verify *v, size_t sec, struct insn_line *li,
		       unsigned int mode)
{
	struct vsection *s = &v->secs[sec];
	struct vsite *vs = NULL, *next = NULL;
	size_t i = site_after(s, li->addr);
	unsigned int len = reconcile(v, sec, li, mode);
	bool in_step = len == li->len;

	li->len = len;
	if (li->kind)
		v->sensitive++;
	if (i > 0 && li->addr < s->sites[i - 1].site->addr +
				s->sites[i - 1].site->len)
		vs = &s->sites[i - 1];
	if (i < s->nr_sites)
		next = &s->sites[i];

	if (vs && vs->site->addr == li->addr) {
		/* Two notes for one site are an overlap; see both here. */
		while (i > 0 && s->sites[i - 1].site->addr == li->addr)
			check_site_start(v, &s->sites[--i], li, mode);
	} else if (vs) {
		check_site_inside(v, vs, li);
	} else if (li->kind) {
		report_unsited(v, sec, li);
	}

	if (next && next->site->addr < li->addr + li->len)
		site_mismatch(v, next, "starts inside objdump's '%s' at "
			      "%s+0x%" PRIx64, li->text, s->name,
			      li->addr - s->addr);
	return in_step;
}

/*
 * objdump lost the instruction boundary in section @sec at @addr: run it
 * again there, to the end of what @run covers.
 */
static void resume_at(struct verify *v, const struct objdump_run *run,
		      size_t sec, uint64_t addr)
{
	const struct vsection *s = &v->secs[sec];
	uint64_t end = run->sec ? run->end : s->addr + s->size;

	if (addr >= end)
		return;
	v->resumes = xrealloc(v->resumes,
			      (v->nr_resumes + 1) * sizeof(*v->resumes));
	v->resumes[v->nr_resumes++] = (struct objdump_run){
		.mode = run->mode, .sec = s, .start = addr, .end = end,
	};
}

/* Parse objdump's output on @in for @run and check every instruction. */
static void read_disassembly(struct verify *v, FILE *in,
			     const struct objdump_run *run)
{
	size_t sec = NO_SECTION, cap = 0, lost_sec = NO_SECTION;
	uint64_t lost_at = 0;
	struct insn_line li;
	char *line = NULL;

	while (getline(&line, &cap, in) > 0) {
		if (parse_section_line(v, line, &sec))
			continue;
		if (sec == NO_SECTION || !parse_insn_line(line, &li))
			continue;
		if (run->sec && (li.addr < run->start || li.addr >= run->end))
			continue;
		if (!run->sec && v->secs[sec].nr_ranges)
			continue;	/* covered by its own range runs */
		if (sec == lost_sec && li.addr > lost_at)
			continue;	/* out of step: a resumed run reads it */
		if (!check_insn(v, sec, &li, run->mode)) {
			lost_sec = sec;
			lost_at = li.addr;
			resume_at(v, run, sec, li.addr + li.len);
		}
	}
	free(line);
}

/* ---- Running objdump ----------------------------------------------- */

struct argv_buf {
	char **argv;
	size_t argc;
};

static void arg_add(struct argv_buf *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void arg_add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *arg;

	va_start(ap, fmt);
	if (vasprintf(&arg, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	a->argv = xrealloc(a->argv, (a->argc + 2) * sizeof(*a->argv));
	a->argv[a->argc++] = arg;
	a->argv[a->argc] = NULL;
}

static void arg_free(struct argv_buf *a)
{
	size_t i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
}

static const char *objdump_machine(unsigned int mode)
{
	return mode == 16 ? "i8086" : mode == 32 ? "i386" : "x86-64";
}

/*
 * The objdump command line for @run: -d -w -z in @run->mode, for one
 * range of one section, or for every section without mode switches.
 */
static void build_argv(const struct verify *v, const struct objdump_run *run,
		       struct argv_buf *a)
{
	bool any_ranges = false;
	size_t i;

	arg_add(a, "%s", v->opts->objdump);
	arg_add(a, "-d");
	arg_add(a, "-w");
	arg_add(a, "-z");
	arg_add(a, "-M");
	arg_add(a, "%s", objdump_machine(run->mode));
	if (run->sec) {
		arg_add(a, "-j");
		arg_add(a, "%s", run->sec->name);
		arg_add(a, "--start-address=0x%" PRIx64, run->start);
		arg_add(a, "--stop-address=0x%" PRIx64, run->end);
	} else {
		for (i = 0; i < v->nr_secs; i++)
			any_ranges |= v->secs[i].nr_ranges > 0;
		for (i = 0; any_ranges && i < v->nr_secs; i++) {
			if (!v->secs[i].exec || v->secs[i].nr_ranges)
				continue;
			arg_add(a, "-j");
			arg_add(a, "%s", v->secs[i].name);
		}
	}
	arg_add(a, "--");
	arg_add(a, "%s", v->path);
}

static void objdump_missing(const struct verify *v, int err)
{
	pr_err("%s: cannot run '%s': %s", v->path, v->opts->objdump,
	       strerror(err));
	pr_err("--verify needs GNU objdump: install binutils (apt-get install "
	       "binutils), or name it with --objdump=PATH or AFTERBURN_OBJDUMP");
}

/* Wait for objdump @pid; returns 0 if it exited with status 0. */
static int objdump_wait(const struct verify *v, pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			pr_err("waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		objdump_missing(v, ENOENT);
	else
		pr_err("%s: %s failed (%s %d)", v->path, v->opts->objdump,
		       WIFEXITED(status) ? "exit status" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) :
					   WTERMSIG(status));
	return -1;
}

/*
 * Run objdump for @run with its standard output on a pipe, and check
 * what it prints.  Returns 0, or -1 after saying why objdump failed.
 */
static int run_objdump(struct verify *v, const struct objdump_run *run)
{
	posix_spawn_file_actions_t fa;
	struct argv_buf a = { 0 };
	int fds[2], err, ret;
	FILE *in;
	pid_t pid;

	build_argv(v, run, &a);
	setenv("LC_ALL", "C", 1);	/* we parse its English headers */
	if (pipe2(fds, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	err = posix_spawnp(&pid, a.argv[0], &fa, NULL, a.argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	arg_free(&a);
	if (err) {
		close(fds[0]);
		objdump_missing(v, err);
		return -1;
	}
	in = fdopen(fds[0], "r");
	if (!in)
		die("fdopen: %s", strerror(errno));
	read_disassembly(v, in, run);
	fclose(in);
	ret = objdump_wait(v, pid);
	return ret;
}

/*
 * Disassemble every executable section: one run for all sections that
 * are wholly in the default mode, one per mode range of the others.
 */
static int disassemble(struct verify *v)
{
	struct objdump_run run = { .mode = v->default_mode };
	bool any_plain = false;
	size_t i, r;

	for (i = 0; i < v->nr_secs; i++)
		any_plain |= v->secs[i].exec && !v->secs[i].nr_ranges;
	if (any_plain && run_objdump(v, &run))
		return -1;
	for (i = 0; i < v->nr_secs; i++) {
		for (r = 0; r < v->secs[i].nr_ranges; r++) {
			if (!v->secs[i].ranges[r].mode)
				continue;	/* data */
			run = (struct objdump_run){
				.mode = v->secs[i].ranges[r].mode,
				.sec = &v->secs[i],
				.start = v->secs[i].ranges[r].start,
				.end = v->secs[i].ranges[r].end,
			};
			if (run_objdump(v, &run))
				return -1;
		}
	}
	while (v->nr_resumes) {
		run = v->resumes[--v->nr_resumes];
		if (run_objdump(v, &run))
			return -1;
	}
	return 0;
}

/* Sites that objdump never showed an instruction start for. */
static void check_unseen(struct verify *v)
{
	size_t i;

	for (i = 0; i < v->nr_vsites; i++)
		if (!v->vsites[i].seen)
			site_mismatch(v, &v->vsites[i], "objdump shows no "
				      "instruction starting at the site");
}

/*
 * libafterburn's own validation (what the patcher will run) as a last
 * net: if it refuses the image although nothing above was found, say so.
 */
static void check_library(struct verify *v)
{
	struct afb_error err = { 0 };

	if (afb_image_validate(v->image, &err) == 0)
		return;
	if (v->counts[PROBLEM_MISMATCH])
		return;
	problem_add(v, PROBLEM_MISMATCH, NO_SECTION, 0, AFB_KIND_NONE,
		    "afb_image_validate: %s", err.message);
}

static void verify_free(struct verify *v)
{
	size_t i;

	for (i = 0; i < v->nr_secs; i++) {
		free(v->secs[i].name);
		free(v->secs[i].ranges);
	}
	for (i = 0; i < v->nr_problems; i++)
		free(v->problems[i].text);
	free(v->secs);
	free(v->loads);
	free(v->by_name);
	free(v->vsites);
	free(v->problems);
	free(v->resumes);
	if (v->fd >= 0)
		close(v->fd);
}

/*
 * sites__verify - check @image against objdump's disassembly of @path.
 * Prints every problem and, in table format, a summary line.  Returns
 * SITES_OK if there is none, SITES_PROBLEMS if there are, SITES_ERROR if
 * the file or objdump could not be read.
 */
int sites__verify(const char *path, struct afb_image *image,
		  const struct sites_opts *opts)
{
	struct verify v = {
		.path = path,
		.image = image,
		.opts = opts,
		.relocatable = afb_image_is_relocatable(image),
		.default_mode = afb_image_default_mode(image),
		.fd = -1,
	};
	int status = SITES_ERROR;

	if (load_sections(&v))
		goto out;
	load_sites(&v);
	load_modes(&v);
	check_views(&v);
	load_data(&v);
	check_all_site_bytes(&v);
	if (disassemble(&v))
		goto out;
	check_unseen(&v);
	check_library(&v);
	print_problems(&v);
	if (!v.relocatable && !opts->quiet)
		v.warnings = sites__check_layout(path, opts);
	print_summary(&v);
	status = v.counts[PROBLEM_MISSED] || v.counts[PROBLEM_MISMATCH] ?
		 SITES_PROBLEMS : SITES_OK;
out:
	verify_free(&v);
	return status;
}
