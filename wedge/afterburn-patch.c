// SPDX-License-Identifier: MIT
/*
 * afterburn-patch: patch the sites of a linked x86-64 or i386 ELF image offline for
 * a built-in wedge and write the result as a new ELF file.
 *
 *   afterburn-patch IMAGE -o OUT --wedge=NAME [--area=VADDR,PADDR,SIZE]
 *
 * The steps: read IMAGE; copy its executable PT_LOAD segments into one
 * memory image at their virtual addresses; afb_wedge_apply() patches the
 * sites there and writes thunks into a zeroed wedge area; the output is
 * IMAGE with the patched site bytes, plus (when the wedge wrote thunks)
 * the area as a new R+X PT_LOAD segment at VADDR/PADDR and a section
 * .afterburn.wedge over it.  The program header table grows in place when
 * the bytes after it are unused, else it moves to the end of the file;
 * the section headers and their string table move to the end.  Everything
 * else, notes included, stays where it was.  OUT is written to a
 * temporary file and renamed; IMAGE is only read.  See afterburn-patch(1).
 */
#include <config.h>

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "patch-elf.h"
#include "util.h"
#include "wedges.h"

#define PAGE_SIZE	4096
#define MEM_MAX		(1ULL << 30)	/* largest executable span we copy */
#define AREA_MAX	(1ULL << 30)	/* largest wedge area */
#define WEDGE_SECTION	".afterburn.wedge"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const struct util_program patch_program = {
	.name = "afterburn-patch",
	.die_status = EXIT_FAIL,
};

struct area_opt {
	bool given;
	uint64_t vaddr, paddr, size;
};

struct opts {
	const char *in, *out;
	const struct afb_wedge *wedge;
	struct area_opt area;
	bool stats;
};

/* The output file being built. */
struct out {
	uint8_t *buf;
	size_t size, cap;
};

/* ---- Messages ---------------------------------------------------------- */

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_vmessage("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", util__name());
	exit(EXIT_USAGE);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

/* ---- Options ----------------------------------------------------------- */

enum { OPT_WEDGE = 256, OPT_AREA, OPT_STATS, OPT_VERSION };

static const struct option long_options[] = {
	{ "output",	required_argument,	NULL, 'o' },
	{ "wedge",	required_argument,	NULL, OPT_WEDGE },
	{ "area",	required_argument,	NULL, OPT_AREA },
	{ "stats",	no_argument,		NULL, OPT_STATS },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, OPT_VERSION },
	{ NULL,		0,			NULL, 0 },
};

static const char usage_text[] =
"Usage: %s IMAGE -o OUT --wedge=NAME [--area=VADDR,PADDR,SIZE] [--stats]\n"
"Patch the Afterburn sites of a linked x86-64 or i386 ELF image for a wedge\n"
"and write the patched image to OUT.  IMAGE is never modified.\n"
"\n"
"  -o, --output=OUT     where to write the patched image (required)\n"
"      --wedge=NAME     the wedge that decides what each site becomes:\n"
"                       a built-in one, or a wedge built out of tree as a\n"
"                       shared object, given as a path (./counter.so)\n"
"      --area=VADDR,PADDR,SIZE\n"
"                       the wedge area for thunks: a new R+X PT_LOAD at\n"
"                       guest virtual VADDR and physical PADDR (both page\n"
"                       aligned), SIZE bytes (numbers in C syntax: 0x..);\n"
"                       default: the area the image declares (an Afterburn\n"
"                       area note); needed when the wedge writes thunks\n"
"      --stats          print patched and native sites per kind\n"
"  -h, --help           show this help and exit\n"
"      --version        show the version and exit\n"
"\n"
"Wedges:\n";

static void __attribute__((noreturn)) help(void)
{
	printf(usage_text, util__name());
	wedges_list(stdout);
	printf("\nExit status: 0 on success, 1 if the image cannot be patched or\n"
	       "written, 2 on a usage error.\n");
	exit(EXIT_OK);
}

/* One number of --area; *end is where it stopped. */
static bool parse_u64(const char *s, char **end, uint64_t *v)
{
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	x = strtoull(s, end, 0);
	if (errno || *end == s)
		return false;
	*v = x;
	return true;
}

static void parse_area(const char *arg, struct area_opt *a)
{
	uint64_t *v[] = { &a->vaddr, &a->paddr, &a->size };
	const char *s = arg;
	char *end;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!parse_u64(s, &end, v[i]) || *end != (i < 2 ? ',' : '\0'))
			usage_error("bad --area '%s': want VADDR,PADDR,SIZE, three numbers such as 0x100000090000,0x90000,0xf000",
				    arg);
		s = end + 1;
	}
	a->given = true;
}

/*
 * A wedge built out of tree: a shared object that exports it with
 * AFB_WEDGE_EXPORT() (include/afterburn/wedge.h).  It stays loaded until
 * the program ends.
 */
static const struct afb_wedge *load_wedge(const char *path)
{
	const struct afb_wedge *const *w;
	const unsigned int *abi;
	void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!so) {
		pr_err("--wedge=%s: cannot load it: %s", path, dlerror());
		exit(EXIT_USAGE);
	}
	w = dlsym(so, AFB_WEDGE_SYMBOL);
	abi = dlsym(so, AFB_WEDGE_ABI_SYMBOL);
	if (!w || !abi || !*w) {
		pr_err("--wedge=%s: no wedge in it: build it with AFB_WEDGE_EXPORT() from <afterburn/wedge.h>",
		       path);
		exit(EXIT_USAGE);
	}
	if (*abi != AFB_WEDGE_ABI) {
		pr_err("--wedge=%s: built for wedge ABI %u, this afterburn-patch has %u: rebuild it against the installed headers",
		       path, *abi, AFB_WEDGE_ABI);
		exit(EXIT_USAGE);
	}
	if (!(*w)->name || !(*w)->plan) {
		pr_err("--wedge=%s: its struct afb_wedge has no name or plan()", path);
		exit(EXIT_USAGE);
	}
	return *w;
}

static const struct afb_wedge *find_wedge(const char *name)
{
	const struct afb_wedge *w;

	if (strchr(name, '/'))
		return load_wedge(name);
	w = wedges_find(name);
	if (!w) {
		pr_err("no wedge called '%s'; the wedges are:", name);
		wedges_list(stderr);
		fprintf(stderr, "  or a wedge built out of tree: --wedge=PATH.so (a path with a '/')\n");
		exit(EXIT_USAGE);
	}
	return w;
}

static void parse_options(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'o': o->out = optarg; break;
		case OPT_WEDGE: o->wedge = find_wedge(optarg); break;
		case OPT_AREA: parse_area(optarg, &o->area); break;
		case OPT_STATS: o->stats = true; break;
		case 'h': help();
		case OPT_VERSION:
			printf("afterburn-patch (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(EXIT_OK);
		case ':': usage_error("option '%s' needs an argument", argv[optind - 1]);
		default: usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error("no IMAGE given");
	if (argc - optind > 1)
		usage_error("one IMAGE at a time ('%s' is extra)", argv[optind + 1]);
	o->in = argv[optind];
	if (!o->out)
		usage_error("no output file: give -o OUT");
	if (!o->wedge)
		usage_error("no wedge: give --wedge=NAME (--help lists them)");
}

/* ---- Reading IMAGE ------------------------------------------------------ */

/* An image we patched already has our section; its sites are calls now. */
static void refuse_patched(const struct elf_in *in)
{
	const GElf_Shdr *str = in->shnum ? &in->sh[in->eh.e_shstrndx] : NULL;
	size_t i;

	for (i = 0; str && i < in->shnum; i++)
		if (in->sh[i].sh_name < str->sh_size &&
		    !strncmp((const char *)in->buf + str->sh_offset + in->sh[i].sh_name,
			     WEDGE_SECTION, str->sh_size - in->sh[i].sh_name))
			die("%s: patched already (it has a %s section): patch the image afterburn-as built",
			    in->path, WEDGE_SECTION);
}

/* ---- The memory image and the wedge area -------------------------------- */

static bool is_exec_load(const GElf_Phdr *p)
{
	return p->p_type == PT_LOAD && (p->p_flags & PF_X) && p->p_memsz;
}

/* Does @p map the first byte of a site of @img? */
static bool holds_site(const GElf_Phdr *p, const struct afb_image *img)
{
	const struct afb_site *s;
	size_t n = afb_image_sites(img, &s), i;

	for (i = 0; i < n; i++)
		if (s[i].addr >= p->p_vaddr && s[i].addr - p->p_vaddr < p->p_memsz)
			return true;
	return false;
}

/* The segments load_memory() copies: the executable ones and any with sites. */
static bool is_code_load(const GElf_Phdr *p, const struct afb_image *img)
{
	return is_exec_load(p) ||
	       (p->p_type == PT_LOAD && p->p_memsz && holds_site(p, img));
}

/*
 * Every executable PT_LOAD, and every other one with sites (an i386
 * kernel's .init.text is in its RW segment), at its virtual address, in
 * one buffer: sites live only there (afb_image_validate() checks), and a
 * kernel's data segments can be far away (Linux's per-CPU segment sits at
 * 0).
 */
static void load_memory(const struct elf_in *in, const struct afb_image *img,
			struct afb_memory *mem)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	const GElf_Phdr *p;
	size_t i;

	for (i = 0; i < in->phnum; i++) {
		p = &in->ph[i];
		if (!is_code_load(p, img))
			continue;
		if (p->p_vaddr + p->p_memsz < p->p_vaddr)
			die("%s: PT_LOAD segment %zu wraps around", in->path, i);
		lo = p->p_vaddr < lo ? p->p_vaddr : lo;
		hi = p->p_vaddr + p->p_memsz > hi ? p->p_vaddr + p->p_memsz : hi;
	}
	if (lo > hi)
		die("%s: no executable PT_LOAD segment: nothing to patch", in->path);
	if (hi - lo > MEM_MAX)
		die("%s: the executable segments span 0x%llx bytes, more than %llu MiB",
		    in->path, (unsigned long long)(hi - lo), MEM_MAX >> 20);
	mem->vaddr = lo;
	mem->size = hi - lo;
	mem->base = xcalloc(1, mem->size);
	for (i = 0; i < in->phnum; i++) {
		p = &in->ph[i];
		if (is_code_load(p, img))
			memcpy(mem->base + (p->p_vaddr - lo), in->buf + p->p_offset,
			       p->p_filesz);
	}
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* --area is sane and clear of every PT_LOAD, virtually and physically. */
static void check_area(const struct elf_in *in, const struct area_opt *a)
{
	const GElf_Phdr *p;
	size_t i;

	if (!a->size || a->size > AREA_MAX)
		die("--area: size 0x%llx: want 1 byte to %llu MiB",
		    (unsigned long long)a->size, AREA_MAX >> 20);
	if (a->vaddr % PAGE_SIZE || a->paddr % PAGE_SIZE)
		die("--area: addresses 0x%llx,0x%llx are not page (4 KiB) aligned",
		    (unsigned long long)a->vaddr, (unsigned long long)a->paddr);
	if (a->vaddr + a->size < a->vaddr || a->paddr + a->size < a->paddr)
		die("--area: 0x%llx bytes at 0x%llx,0x%llx wrap around",
		    (unsigned long long)a->size, (unsigned long long)a->vaddr,
		    (unsigned long long)a->paddr);
	for (i = 0; i < in->phnum; i++) {
		p = &in->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (overlaps(a->vaddr, a->size, p->p_vaddr, p->p_memsz) ||
		    overlaps(a->paddr, a->size, p->p_paddr, p->p_memsz))
			die("--area: 0x%llx-0x%llx (physical 0x%llx-0x%llx) overlaps PT_LOAD segment %zu at 0x%llx (physical 0x%llx), 0x%llx bytes",
			    (unsigned long long)a->vaddr,
			    (unsigned long long)(a->vaddr + a->size),
			    (unsigned long long)a->paddr,
			    (unsigned long long)(a->paddr + a->size), i,
			    (unsigned long long)p->p_vaddr,
			    (unsigned long long)p->p_paddr,
			    (unsigned long long)p->p_memsz);
	}
}

#define TOP_2G		0xffffffff80000000ULL
#define LOW_AREA_START	0x10000		/* the BIOS's first 64 KiB below */
#define LOW_AREA_END	0xa0000		/* 640 KiB: EBDA, VGA, ROMs above */
#define LOW_AREA_EXAMPLE 0x90000		/* what QEMU's firmware leaves alone */
#define LOW_AREA_EXAMPLE_SIZE 0xf000

/* Is @a inside the declared area @d, with the same virtual-physical offset? */
static bool area_within(const struct area_opt *a, const struct afb_area *d)
{
	return a->vaddr >= d->vaddr && a->size <= d->size &&
	       a->vaddr - d->vaddr <= d->size - a->size &&
	       a->paddr - a->vaddr == d->paddr - d->vaddr;
}

/* Does every executable PT_LOAD lie in the top 2 GiB (Linux's layout)? */
static bool linked_top_2g(const struct elf_in *in)
{
	bool any = false;
	size_t i;

	for (i = 0; i < in->phnum; i++) {
		if (!is_exec_load(&in->ph[i]))
			continue;
		if (in->ph[i].p_vaddr < TOP_2G)
			return false;
		any = true;
	}
	return any;
}

/*
 * The one virtual-physical offset of every executable PT_LOAD, if they
 * share one that is not 0: a kernel that runs where it maps physical
 * memory (Linux i386 at PAGE_OFFSET).
 */
static bool kernel_offset(const struct elf_in *in, uint64_t *off)
{
	bool any = false;
	size_t i;

	*off = 0;
	for (i = 0; i < in->phnum; i++) {
		const GElf_Phdr *p = &in->ph[i];

		if (!is_exec_load(p))
			continue;
		if (any && p->p_vaddr - p->p_paddr != *off)
			return false;
		*off = p->p_vaddr - p->p_paddr;
		any = true;
	}
	return any && *off;
}

/*
 * An i386 kernel linked @off above its physical addresses, as Linux is at
 * PAGE_OFFSET, maps all low physical memory at that offset, executable
 * without PAE, but keeps for itself only its own image and the first MiB
 * (x86 Linux reserves it whole since 5.13 and never hands it out); the
 * BIOS owns the first 64 KiB and everything from 640 KiB.  So the area
 * must keep the offset, which also lets the code that runs before paging
 * (at physical addresses) reach its thunks, and lie in [64 KiB, 640 KiB).
 */
static void check_direct_map(const struct elf_in *in, const struct area_opt *a,
			     uint64_t off)
{
	const char *why = NULL;

	if (a->vaddr - a->paddr != off)
		why = "not at that offset";
	else if (a->paddr < LOW_AREA_START || a->paddr > LOW_AREA_END ||
		 a->size > LOW_AREA_END - a->paddr)
		why = "outside the low memory it keeps for itself";
	if (!why)
		return;
	die("--area 0x%llx,0x%llx,0x%llx: %s is a 32-bit kernel linked 0x%llx above its physical addresses (Linux's PAGE_OFFSET) that declares no wedge area, and this area is %s: such a kernel maps executable only its image and its map of physical memory at that offset, and of the latter keeps only [0x%x, 0x%x) from other uses; give VADDR = PADDR + 0x%llx with PADDR..PADDR+SIZE inside that range (for example --area=0x%llx,0x%x,0x%x), or have the kernel declare an area (doc/guest-contract.md)",
	    (unsigned long long)a->vaddr, (unsigned long long)a->paddr,
	    (unsigned long long)a->size, in->path, (unsigned long long)off, why,
	    LOW_AREA_START, LOW_AREA_END, (unsigned long long)off,
	    (unsigned long long)(off + LOW_AREA_EXAMPLE), LOW_AREA_EXAMPLE,
	    LOW_AREA_EXAMPLE_SIZE);
}

/*
 * The area must be memory the image maps executable.  An image that
 * declares its areas (AFB_NT_AREA notes, doc/guest-contract.md) gets its
 * first one as the default, and a given --area must lie inside one of
 * them.  A kernel linked in the top 2 GiB that declares none is Linux's
 * x86-64 layout: it maps executable only its own text, so no area can
 * work.  A 32-bit kernel linked above its physical addresses is Linux's
 * i386 layout: check_direct_map().
 */
static void choose_area(const struct elf_in *in, const struct afb_image *img,
			struct area_opt *a)
{
	const struct afb_area *d;
	size_t n = afb_image_areas(img, &d), i;
	uint64_t off = 0;

	if (!a->given && n) {
		*a = (struct area_opt){ true, d[0].vaddr, d[0].paddr, d[0].size };
		return;
	}
	if (!a->given)
		return;
	for (i = 0; i < n; i++)
		if (area_within(a, &d[i]))
			return;
	if (n)
		die("--area 0x%llx,0x%llx,0x%llx: %s does not map it executable: it maps 0x%llx-0x%llx (physical 0x%llx) for a wedge area (its Afterburn area note); leave --area out to use that",
		    (unsigned long long)a->vaddr, (unsigned long long)a->paddr,
		    (unsigned long long)a->size, in->path,
		    (unsigned long long)d[0].vaddr,
		    (unsigned long long)(d[0].vaddr + d[0].size),
		    (unsigned long long)d[0].paddr);
	if (in->elfclass == ELFCLASS32 && kernel_offset(in, &off)) {
		check_direct_map(in, a, off);
		return;
	}
	if (linked_top_2g(in))
		die("--area 0x%llx,0x%llx,0x%llx: %s is linked in the top 2 GiB and declares no wedge area: a kernel laid out like Linux maps executable only its own text, so the patched image would jump into unmapped memory; patch it at load time (afterburn-kvm) or have the kernel declare an area (doc/guest-contract.md)",
		    (unsigned long long)a->vaddr, (unsigned long long)a->paddr,
		    (unsigned long long)a->size, in->path);
	pr_warning("%s declares no wedge area (no Afterburn area note): the kernel must map 0x%llx-0x%llx executable in every page table it uses, or the patched image will not run",
		   in->path, (unsigned long long)a->vaddr,
		   (unsigned long long)(a->vaddr + a->size));
}

/* Patch @mem for the wedge, thunks into @area; dies on failure. */
static void patch(const struct opts *o, struct afb_image *img,
		  struct afb_memory *mem, struct afb_wedge_area *area,
		  struct afb_patch_stats *stats)
{
	struct afb_error err = { 0 };
	int ret;

	area->vaddr = o->area.vaddr;
	area->size = o->area.given ? o->area.size : 0;
	area->base = o->area.given ? xcalloc(1, area->size) : NULL;
	ret = afb_wedge_apply(img, mem, o->wedge, area, stats, &err);
	if (ret == -ENOSPC && !o->area.given)
		die("%s: wedge %s writes thunks: give it a wedge area with --area=VADDR,PADDR,SIZE (see afterburn-patch(1))",
		    o->in, o->wedge->name);
	if (ret)
		die("%s", err.message);
}

/* ---- Building OUT -------------------------------------------------------- */

static size_t out_reserve(struct out *o, size_t len, size_t align)
{
	size_t at = (o->size + align - 1) / align * align;

	if (at + len > o->cap) {
		o->cap = (at + len) * 2;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			die("out of memory");
	}
	memset(o->buf + o->size, 0, at + len - o->size);
	o->size = at + len;
	return at;
}

static size_t out_append(struct out *o, const void *p, size_t len, size_t align)
{
	size_t at = out_reserve(o, len, align);

	memcpy(o->buf + at, p, len);
	return at;
}

/* Copy every site's patched bytes to its place in the file. */
static void put_sites(const struct afb_image *img, const struct afb_memory *mem,
		      struct out *o)
{
	const struct afb_site *s;
	size_t n, i;

	n = afb_image_sites(img, &s);
	for (i = 0; i < n; i++) {
		if (s[i].file_offset == UINT64_MAX ||
		    s[i].file_offset + s[i].len > o->size)
			die("site at 0x%llx (section %s) has no bytes in the file",
			    (unsigned long long)s[i].addr, s[i].section);
		memcpy(o->buf + s[i].file_offset,
		       mem->base + (s[i].addr - mem->vaddr), s[i].len);
	}
}

/* The new program header table: the area's PT_LOAD in vaddr order. */
static GElf_Phdr *new_phdrs(const struct elf_in *in, const GElf_Phdr *area)
{
	GElf_Phdr *ph = xcalloc(in->phnum + 1, sizeof(*ph));
	size_t i, j = 0, at = in->phnum;

	for (i = 0; i < in->phnum; i++)
		if (in->ph[i].p_type == PT_LOAD) {
			at = i + 1;
			if (in->ph[i].p_vaddr > area->p_vaddr) {
				at = i;
				break;
			}
		}
	for (i = 0; i <= in->phnum; i++)
		ph[i] = i == at ? *area : in->ph[j++];
	return ph;
}

/* No section, segment or header uses the file bytes [off, off + len). */
static bool file_range_free(const struct elf_in *in, uint64_t off, uint64_t len)
{
	const GElf_Ehdr *eh = &in->eh;
	size_t i;

	if (!elf_in__in_file(in, off, len) ||
	    overlaps(0, elf_in__ehdr_size(in), off, len))
		return false;
	if (in->shnum && overlaps(eh->e_shoff, in->shnum * elf_in__shdr_size(in),
				  off, len))
		return false;
	for (i = 0; i < in->shnum; i++)
		if (in->sh[i].sh_type != SHT_NOBITS && in->sh[i].sh_type != SHT_NULL &&
		    overlaps(in->sh[i].sh_offset, in->sh[i].sh_size, off, len))
			return false;
	for (i = 0; i < in->phnum; i++)
		if (in->ph[i].p_type != PT_PHDR &&
		    overlaps(in->ph[i].p_offset, in->ph[i].p_filesz, off, len))
			return false;
	return true;
}

/*
 * Write the program headers with the area's PT_LOAD: in place when the
 * bytes after the table are free, else at the end of the file.  A
 * PT_PHDR segment describes the table in memory; it can only grow in
 * place.
 */
static void put_phdrs(const struct elf_in *in, const GElf_Phdr *area,
		      struct out *o, GElf_Ehdr *eh)
{
	size_t n = in->phnum + 1, ent = elf_in__phdr_size(in), len = n * ent, i;
	GElf_Phdr *ph = new_phdrs(in, area);
	bool in_place = file_range_free(in, in->eh.e_phoff + len - ent, ent);

	for (i = 0; i < n; i++) {
		if (ph[i].p_type != PT_PHDR)
			continue;
		if (!in_place)
			die("%s: no room for one more program header, and the table cannot move: PT_PHDR maps it",
			    in->path);
		ph[i].p_filesz = ph[i].p_memsz = len;
	}
	eh->e_phoff = in_place ? in->eh.e_phoff : out_reserve(o, len, 8);
	elf_in__put_phdrs(in, ph, n, o->buf + eh->e_phoff);
	eh->e_phnum = n;
	free(ph);
}

/* New .shstrtab (the old one plus our name) and section headers, at the end. */
static void put_shdrs(const struct elf_in *in, const GElf_Phdr *area,
		      struct out *o, GElf_Ehdr *eh)
{
	GElf_Shdr *sh = xcalloc(in->shnum + 1, sizeof(*sh));
	GElf_Shdr *str = &sh[in->eh.e_shstrndx];
	size_t name_off;

	memcpy(sh, in->sh, in->shnum * sizeof(*sh));
	name_off = str->sh_size;
	str->sh_offset = out_append(o, in->buf + str->sh_offset, str->sh_size, 1);
	out_append(o, WEDGE_SECTION, sizeof(WEDGE_SECTION), 1);
	str->sh_size += sizeof(WEDGE_SECTION);
	sh[in->shnum] = (GElf_Shdr){
		.sh_name = name_off,
		.sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC | SHF_EXECINSTR |
			    (area->p_flags & PF_W ? SHF_WRITE : 0),
		.sh_addr = area->p_vaddr,
		.sh_offset = area->p_offset,
		.sh_size = area->p_filesz,
		.sh_addralign = 16,
	};
	eh->e_shoff = out_reserve(o, (in->shnum + 1) * elf_in__shdr_size(in), 8);
	elf_in__put_shdrs(in, sh, in->shnum + 1, o->buf + eh->e_shoff);
	eh->e_shnum = in->shnum + 1;
	free(sh);
}

/* The area's bytes at the end of the file, and its PT_LOAD. */
static GElf_Phdr put_area(const struct opts *opt, const struct afb_wedge_area *a,
			   struct out *o)
{
	GElf_Phdr ph = {
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_X | (a->data_size ? PF_W : 0),
		.p_vaddr = a->vaddr,
		.p_paddr = opt->area.paddr,
		.p_filesz = a->used,
		.p_memsz = a->size,
		.p_align = PAGE_SIZE,
	};

	ph.p_offset = out_append(o, a->base, a->used, PAGE_SIZE);
	return ph;
}

static void build_out(const struct opts *opt, const struct elf_in *in,
		      const struct afb_image *img, const struct afb_memory *mem,
		      const struct afb_wedge_area *area, struct out *o)
{
	GElf_Ehdr eh = in->eh;
	GElf_Phdr ph;

	out_append(o, in->buf, in->size, 1);
	put_sites(img, mem, o);
	if (area->used) {
		ph = put_area(opt, area, o);
		put_phdrs(in, &ph, o, &eh);
		if (in->shnum)
			put_shdrs(in, &ph, o, &eh);
	}
	elf_in__put_ehdr(in, &eh, o->buf);
}

/* OUT must still read as an image with the same sites. */
static void check_out(const struct opts *opt, const struct afb_image *img,
		      const struct out *o)
{
	const struct afb_site *a, *b;
	struct afb_error err = { 0 };
	struct afb_image *out;
	size_t n, i;

	if (afb_image_open_memory(o->buf, o->size, opt->out, &out, &err))
		die("internal error: the patched image does not read back: %s",
		    err.message);
	n = afb_image_sites(img, &a);
	if (afb_image_sites(out, &b) != n)
		die("internal error: the patched image lost sites");
	for (i = 0; i < n; i++)
		if (a[i].addr != b[i].addr || a[i].kind != b[i].kind)
			die("internal error: site %zu moved in the patched image", i);
	afb_image_close(out);
}

/* ---- Writing OUT ------------------------------------------------------- */

static void refuse_same_file(const struct opts *o)
{
	struct stat a, b;

	if (!stat(o->in, &a) && !stat(o->out, &b) && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		die("%s: OUT is IMAGE: write the patched image to another file",
		    o->out);
}

static bool write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* Write @o to a temporary file next to OUT and rename it over OUT. */
static void write_out(const struct opts *opt, const struct elf_in *in,
		      const struct out *o)
{
	size_t len = strlen(opt->out) + 16;
	char *tmp = xcalloc(1, len);
	int fd, saved;

	snprintf(tmp, len, "%s.tmp-XXXXXX", opt->out);
	fd = mkstemp(tmp);
	if (fd < 0)
		die("%s: cannot create a temporary file next to it: %s",
		    opt->out, strerror(errno));
	if (fchmod(fd, in->mode & 0777) || !write_all(fd, o->buf, o->size) ||
	    fsync(fd) || close(fd) || rename(tmp, opt->out)) {
		saved = errno;
		unlink(tmp);
		die("%s: write error: %s", opt->out, strerror(saved));
	}
	free(tmp);
}

/* ---- Statistics and main ------------------------------------------------ */

static void print_stats(const struct opts *o, const struct afb_patch_stats *s,
			const struct afb_wedge_area *a)
{
	unsigned int k;

	printf("%-14s %8s %8s\n", "KIND", "PATCHED", "NATIVE");
	for (k = 1; k <= AFB_KIND_MAX; k++)
		if (s->patched[k] || s->native[k])
			printf("%-14s %8u %8u\n", afb_kind_name(k), s->patched[k],
			       s->native[k]);
	printf("%-14s %8u %8u\n", "total", s->total_patched, s->total_native);
	if (o->area.given)
		printf("wedge %s: area 0x%llx (physical 0x%llx): 0x%zx of 0x%zx bytes used\n",
		       o->wedge->name, (unsigned long long)a->vaddr,
		       (unsigned long long)o->area.paddr, a->used, a->size);
}

static struct afb_image *open_image(const struct elf_in *in)
{
	struct afb_error err = { 0 };
	struct afb_image *img;

	if (afb_image_open_memory(in->buf, in->size, in->path, &img, &err))
		die("%s", err.message);
	return img;
}

int main(int argc, char **argv)
{
	struct opts opt = { 0 };
	struct elf_in in = { 0 };
	struct afb_wedge_area area = { 0 };
	struct afb_patch_stats stats;
	struct afb_memory mem;
	struct afb_image *img;
	struct out o = { 0 };

	util__init(&patch_program);
	parse_options(argc, argv, &opt);
	refuse_same_file(&opt);
	in.path = opt.in;
	elf_in__read_file(&in);
	img = open_image(&in);	/* first: it names what a truncated file lacks */
	elf_in__read_headers(&in);
	refuse_patched(&in);
	if (opt.area.given)
		check_area(&in, &opt.area);
	choose_area(&in, img, &opt.area);
	if (opt.area.given)
		check_area(&in, &opt.area);	/* also the declared one */
	load_memory(&in, img, &mem);
	patch(&opt, img, &mem, &area, &stats);
	build_out(&opt, &in, img, &mem, &area, &o);
	check_out(&opt, img, &o);
	write_out(&opt, &in, &o);
	if (opt.stats)
		print_stats(&opt, &stats, &area);
	afb_image_close(img);
	free(o.buf);
	free(area.base);
	free(mem.base);
	elf_in__free(&in);
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("write error on standard output: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
