// SPDX-License-Identifier: MIT
/*
 * afb_image_*() and afb_image_validate() on objects that GNU as builds at
 * test time from fixtures whose notes are written by hand (sites.inc),
 * linked with ld in the ways a kernel is linked, and on corrupt images:
 * each must give a clear error, never a crash.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "craft.h"
#include "util.h"

/* A site as a test expects it. */
struct want {
	const char *section;
	uint64_t addr;
	unsigned int kind, len, insn_len, mode;
};

static struct afb_image *open_ok(const char *path)
{
	struct afb_image *img = NULL;
	struct afb_error err;
	int ret = afb_image_open(path, &img, &err);

	if (ret)
		fail_msg("%s: %s", path, err.message);
	ret = afb_image_validate(img, &err);
	if (ret)
		fail_msg("validate %s: %s", path, err.message);
	return img;
}

static void check_sites(const struct afb_image *img, const struct want *w,
			size_t n, uint64_t base)
{
	const struct afb_site *s;
	size_t i;

	assert_int_equal(afb_image_sites(img, &s), n);
	for (i = 0; i < n; i++) {
		assert_string_equal(s[i].section, w[i].section);
		assert_int_equal(s[i].addr, w[i].addr + base);
		assert_int_equal(s[i].kind, w[i].kind);
		assert_int_equal(s[i].len, w[i].len);
		assert_int_equal(s[i].insn_len, w[i].insn_len);
		assert_int_equal(s[i].mode, w[i].mode);
		assert_non_null(afb_image_site_bytes(img, &s[i]));
	}
}

static const struct want good64[] = {
	{ ".text", 0x02, AFB_KIND_CLI, 7, 1, 64 },
	{ ".text", 0x0c, AFB_KIND_STI, 5, 1, 64 },
	{ ".text", 0x11, AFB_KIND_MOV_CR, 5, 3, 64 },
	{ ".text", 0x16, AFB_KIND_LIDT, 7, 7, 64 },
	{ ".text", 0x1d, AFB_KIND_INT, 5, 2, 64 },
	{ ".text", 0x22, AFB_KIND_CPUID, 5, 2, 64 },
	{ ".text", 0x28, AFB_KIND_IN, 5, 2, 32 },
	{ ".text", 0x2d, AFB_KIND_FAR_CALL, 7, 7, 32 },
	{ ".text", 0x34, AFB_KIND_MOV_SEG, 5, 2, 16 },
	{ ".text", 0x39, AFB_KIND_CLI, 7, 1, 16 },
	{ ".text", 0x40, AFB_KIND_FAR_JMP, 5, 5, 16 },
	{ ".text", 0x45, AFB_KIND_HLT, 5, 1, 64 },
	{ ".init.text", 0x01, AFB_KIND_WRMSR, 5, 2, 64 },
	{ ".init.text", 0x06, AFB_KIND_SWAPGS, 5, 3, 64 },
};

static const struct want good32[] = {
	{ ".text", 0x01, AFB_KIND_CLI, 7, 1, 32 },
	{ ".text", 0x08, AFB_KIND_PUSHF, 5, 1, 32 },
	{ ".text", 0x0d, AFB_KIND_MOV_CR, 5, 3, 32 },
	{ ".text", 0x12, AFB_KIND_OUT, 5, 2, 32 },
	{ ".text", 0x17, AFB_KIND_IRET, 5, 1, 32 },
	{ ".text", 0x1c, AFB_KIND_LOAD_FAR_PTR, 5, 2, 32 },
	{ ".text", 0x21, AFB_KIND_CPUID, 5, 2, 16 },
	{ ".text", 0x26, AFB_KIND_LGDT, 5, 5, 16 },
	{ ".init.text", 0x00, AFB_KIND_HLT, 5, 1, 32 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_relocatable_64(void **state)
{
	char *obj = util_assemble_fixture("good64.s", "--64");
	const struct afb_mode_switch *sw;
	struct afb_image *img = open_ok(obj);

	(void)state;
	assert_true(afb_image_is_relocatable(img));
	assert_int_equal(afb_image_default_mode(img), 64);
	check_sites(img, good64, N(good64), 0);
	assert_int_equal(afb_image_mode_switches(img, &sw), 3);
	assert_int_equal(sw[0].addr, 0x28);
	assert_int_equal(sw[0].mode, 32);
	assert_int_equal(sw[1].mode, 16);
	assert_int_equal(sw[2].addr, 0x45);
	assert_int_equal(sw[2].mode, 64);
	assert_string_equal(sw[2].section, ".text");
	afb_image_close(img);
	free(obj);
}

static void test_relocatable_32(void **state)
{
	char *obj = util_assemble_fixture("good32.s", "--32");
	struct afb_image *img = open_ok(obj);

	(void)state;
	assert_true(afb_image_is_relocatable(img));
	assert_int_equal(afb_image_default_mode(img), 32);
	check_sites(img, good32, N(good32), 0);
	assert_int_equal(afb_image_mode_switches(img, NULL), 2);
	afb_image_close(img);
	free(obj);
}

/* The address of section @name in linked image @path. */
static uint64_t section_addr(const char *path, const char *name)
{
	uint64_t addr;
	size_t size;

	free(util_section(path, name, &size, &addr, NULL));
	return addr;
}

static void check_linked(const char *path, const struct want *w, size_t n)
{
	struct afb_image *img = open_ok(path);
	uint64_t text = section_addr(path, ".text");
	uint64_t init = section_addr(path, ".init.text");
	const struct afb_site *s;
	size_t i;

	assert_false(afb_image_is_relocatable(img));
	assert_int_equal(afb_image_sites(img, &s), n);
	for (i = 0; i < n; i++) {
		assert_string_equal(s[i].section, w[i].section);
		assert_int_equal(s[i].addr, w[i].addr +
				 (strcmp(w[i].section, ".text") ? init : text));
		assert_int_equal(s[i].kind, w[i].kind);
	}
	afb_image_close(img);
}

static void test_linked_64(void **state)
{
	char *obj = util_assemble_fixture("good64.s", "--64");
	char *exe = util_link(obj, "good64", "-Ttext=0x1000000");
	char *pie = util_link(obj, "good64.pie", "-pie --no-dynamic-linker");

	(void)state;
	check_linked(exe, good64, N(good64));
	check_linked(pie, good64, N(good64));
	free(obj);
	free(exe);
	free(pie);
}

static void test_linked_32(void **state)
{
	char *obj = util_assemble_fixture("good32.s", "--32");
	char *exe = util_link(obj, "good32", "-m elf_i386");

	(void)state;
	check_linked(exe, good32, N(good32));
	free(obj);
	free(exe);
}

/*
 * A kernel-style link (doc/design.md, decision 1): .note.* gathered into .notes
 * with the kernel's own notes, .exit.text discarded with its sites, and
 * --gc-sections dropping an unused section's notes with it.
 */
static const char kernel_lds[] =
	"SECTIONS {\n"
	"  . = 0xffffffff81000000;\n"
	"  .text : { *(.text) *(.text.*) }\n"
	"  .init.text : { *(.init.text) }\n"
	"  /DISCARD/ : { *(.exit.text) *(.note.gnu.property) }\n"
	"  .notes : { *(.note.*) }\n"
	"  .data : { *(.data) }\n"
	"}\n";

static const char kernel_s[] =
	"	.include \"sites.inc\"\n"
	"	.section .note.Xen,\"a\",@note\n"
	"	.balign 4\n"
	"	.long 4, 4, 18\n"
	"	.asciz \"Xen\"\n"
	"	.long 0x1000000\n"
	"	.text\n"
	"	.globl _start\n"
	"_start: site .text, 2, 5, 64, sti\n"
	"	call used\n"
	"	ret\n"
	"	.section .exit.text,\"ax\",@progbits\n"
	"	site .exit.text, 1, 7, 64, cli\n"
	"	.section .text.used,\"ax\",@progbits\n"
	"used:	site .text.used, 35, 5, 64, cpuid\n"
	"	ret\n"
	"	.section .text.unused,\"ax\",@progbits\n"
	"	site .text.unused, 5, 5, 64, hlt\n"
	"	ret\n";

static void test_kernel_link(void **state)
{
	char lds[1024], flags[1200];
	char *obj = util_assemble_text("kernel", kernel_s, "--64");
	const struct afb_site *s;
	struct afb_image *img;
	char *exe;

	(void)state;
	snprintf(lds, sizeof(lds), "%s/kernel.lds", util_tmpdir());
	util_write_file(lds, kernel_lds, strlen(kernel_lds));
	snprintf(flags, sizeof(flags), "-T '%s' --gc-sections -e _start", lds);
	exe = util_link(obj, "vmlinux", flags);
	img = open_ok(exe);
	assert_int_equal(afb_image_sites(img, &s), 2);
	assert_string_equal(s[0].section, ".text");
	assert_int_equal(s[0].kind, AFB_KIND_STI);
	assert_int_equal(s[0].addr, 0xffffffff81000000ull);
	assert_int_equal(s[1].kind, AFB_KIND_CPUID);
	assert_int_equal(afb_image_site_bytes(img, &s[1])[0], 0x0f);
	afb_image_close(img);
	free(obj);
	free(exe);
}

/* An image without section headers: the notes come from PT_NOTE. */
static void test_no_section_headers(void **state)
{
	char *obj = util_assemble_fixture("good64.s", "--64");
	char *exe = util_link(obj, "good64.nosh", "-Ttext=0x1000000");
	uint64_t text = section_addr(exe, ".text");
	const struct afb_site *s;
	struct afb_image *img;
	struct afb_error err;
	size_t size;
	uint8_t *buf = util_read_file(exe, &size);

	(void)state;
	memset(buf + 0x28, 0, 8);	/* e_shoff */
	memset(buf + 0x3c, 0, 4);	/* e_shnum, e_shstrndx */
	assert_int_equal(afb_image_open_memory(buf, size, "nosh", &img, &err), 0);
	assert_int_equal(afb_image_validate(img, &err), 0);
	assert_int_equal(afb_image_sites(img, &s), N(good64));
	assert_int_equal(s[0].addr, text + good64[0].addr);
	assert_string_equal(s[0].section, "(no section headers)");
	afb_image_close(img);
	free(buf);
	free(obj);
	free(exe);
}

/* The file is only read: same bytes, same mtime. */
static void test_read_only(void **state)
{
	char *obj = util_assemble_fixture("good64.s", "--64");
	struct stat before, after;
	size_t n1, n2;
	void *b1 = util_read_file(obj, &n1), *b2;
	struct afb_image *img;

	(void)state;
	assert_int_equal(stat(obj, &before), 0);
	img = open_ok(obj);
	afb_image_close(img);
	assert_int_equal(stat(obj, &after), 0);
	b2 = util_read_file(obj, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(b1, b2, n1);
	assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
	free(b1);
	free(b2);
	free(obj);
}

/* ---- Bad images: a clear error each ------------------------------- */

/* Assemble @body after the site macros; expect @phase to fail with @msg. */
static void expect_bad(const char *name, const char *body, const char *as_flags,
		       const char *ld_flags, int code, const char *msg)
{
	char text[4096];
	char *obj, *path;
	struct afb_image *img = NULL;
	struct afb_error err;
	int ret;

	snprintf(text, sizeof(text), "\t.include \"sites.inc\"\n%s", body);
	obj = util_assemble_text(name, text, as_flags);
	path = ld_flags ? util_link(obj, name, ld_flags) : obj;
	ret = afb_image_open(path, &img, &err);
	if (!ret) {
		ret = afb_image_validate(img, &err);
		afb_image_close(img);
	}
	if (ret != code || !strstr(err.message, msg) || !strstr(err.message, path))
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", name, ret,
			 err.message, code, msg);
	if (path != obj)
		free(path);
	free(obj);
}

static void test_overlap(void **state)
{
	(void)state;
	expect_bad("overlap", "\t.text\ns: cli\n\t.nops 6\n"
		   "\trawsite .text, s, 1, 7, 1, 64\n\trawsite .text, s, 1, 7, 1, 64\n",
		   "--64", NULL, -EINVAL, "overlaps the cli site at 0x0");
	expect_bad("overlap2", "\t.text\ns: sti\n\t.nops 4\nt: sti\n\t.nops 4\n"
		   "\trawsite .text, t, 2, 5, 1, 64\n\trawsite .text, s, 2, 6, 1, 64\n",
		   "--64", "-e 0", -EINVAL, "overlaps the sti site");
}

static const char readonly_lds[] =
	"PHDRS { text PT_LOAD FLAGS(4); }\n"
	"SECTIONS {\n"
	"  . = 0x10000;\n"
	"  .text : { *(.text) } :text\n"
	"  .notes : { *(.note.*) } :text\n"
	"}\n";

static void test_not_executable(void **state)
{
	char lds[1024], flags[1200];

	(void)state;
	expect_bad("data", "\t.data\nd: cli\n\t.nops 6\n"
		   "\trawsite .data, d, 1, 7, 1, 64\n",
		   "--64", NULL, -EINVAL, "section .data is not executable");
	/* executable section in a segment the program headers make R only */
	snprintf(lds, sizeof(lds), "%s/readonly.lds", util_tmpdir());
	util_write_file(lds, readonly_lds, strlen(readonly_lds));
	snprintf(flags, sizeof(flags), "-e 0 -T '%s'", lds);
	expect_bad("segment", "\t.text\ns: cli\n\t.nops 6\n"
		   "\trawsite .text, s, 1, 7, 1, 64\n",
		   "--64", flags, -EINVAL, "not inside an executable PT_LOAD");
}

static void test_wrong_kind(void **state)
{
	(void)state;
	expect_bad("kind", "\t.text\n\tsite .text, 2, 7, 64, cli\n",
		   "--64", NULL, -EINVAL, "decode to cli, not sti");
	expect_bad("notsens", "\t.text\n\tsite .text, 2, 5, 64, nop\n",
		   "--64", NULL, -EINVAL, "bytes 90 are no sensitive instruction");
	expect_bad("mode", "\t.text\n\tsite .text, 38, 5, 32, swapgs\n",
		   "--64", NULL, -EINVAL, "no sensitive instruction in 32-bit code");
	expect_bad("insnlen", "\t.text\ns: cli\n\t.nops 6\n"
		   "\trawsite .text, s, 1, 7, 2, 64\n",
		   "--64", NULL, -EINVAL, "decodes to a 1-byte instruction (fa), the note says 2");
}

static void test_too_short(void **state)
{
	(void)state;
	expect_bad("short", "\t.text\ns: cli\n\t.nops 4\n"
		   "\trawsite .text, s, 1, 5, 1, 64\n",
		   "--64", NULL, -EINVAL, "length 5 is below the kind's minimum of 7");
	expect_bad("pastend", "\t.text\n\tnop\ns: cli\n"
		   "\trawsite .text, s, 1, 7, 1, 64\n",
		   "--64", NULL, -EINVAL, "run past the end of section .text");
}

static void test_bad_padding(void **state)
{
	(void)state;
	expect_bad("padding", "\t.text\ns: cli\n\tint3\n\t.nops 5\n"
		   "\trawsite .text, s, 1, 7, 1, 64\n",
		   "--64", NULL, -EINVAL, "padding cc 0f 1f 44 00 00 is not nops");
	expect_bad("padding16", "\t.text\n\t.code16\ns: cli\n\t.byte 0x8d, 0x76, 0\n\t.nops 3\n"
		   "\trawsite .text, s, 1, 7, 1, 16\n",
		   "--32", NULL, -EINVAL, "padding 8d 76 00");
}

static void test_bad_relocation(void **state)
{
	(void)state;
	expect_bad("norel", "\t.text\n\tcli\n\t.nops 6\n"
		   "\t.section .note.afterburn.text,\"a\",@note\n"
		   "\t.long 10, 12, 1\n\t.asciz \"Afterburn\"\n\t.balign 4\n"
		   "\t.long 0\n\t.byte 1, 1, 7, 1, 64, 0\n\t.short 0\n",
		   "--64", NULL, -EINVAL, "no relocation for its address field");
	expect_bad("undef", "\t.text\n\tcli\n\t.nops 6\n"
		   "\trawsite .text, elsewhere, 1, 7, 1, 64\n",
		   "--32", NULL, -EINVAL, "not defined in a section");
}

static void test_not_x86(void **state)
{
	char *obj = util_assemble_fixture("good64.s", "--64");
	struct afb_image *img;
	struct afb_error err;
	size_t size;
	uint8_t *buf = util_read_file(obj, &size);

	(void)state;
	buf[18] = 183;		/* EM_AARCH64 */
	assert_int_equal(afb_image_open_memory(buf, size, "arm.o", &img, &err), -ENOEXEC);
	assert_non_null(strstr(err.message, "arm.o: ELF machine 183"));
	buf[18] = 62;
	buf[5] = 2;		/* big-endian */
	assert_int_equal(afb_image_open_memory(buf, size, "be.o", &img, &err), -ENOEXEC);
	assert_non_null(strstr(err.message, "big-endian"));
	assert_int_equal(afb_image_open_memory("hello", 5, "txt", &img, &err), -ENOEXEC);
	assert_non_null(strstr(err.message, "txt: not an ELF file"));
	assert_int_equal(afb_image_open("/nonexistent/x.o", &img, &err), -ENOENT);
	assert_non_null(strstr(err.message, "/nonexistent/x.o: cannot open"));
	assert_int_equal(afb_image_open(util_tmpdir(), &img, &err), -ENOEXEC);
	free(buf);
	free(obj);
}

/* ---- Images that lie (crafted, craft.h) ---------------------------- */

/* Open crafted image @v from memory; *@buf is its bytes (to free). */
static int open_crafted(enum craft_variant v, uint8_t **buf,
			struct afb_image **img, struct afb_error *err)
{
	size_t size;

	*buf = craft_image(v, &size);
	assert_non_null(*buf);
	return afb_image_open_memory(*buf, size, craft_name(v), img, err);
}

/* Crafted image @v opens, and validation refuses it with @msg. */
static void expect_crafted_invalid(enum craft_variant v, const char *msg)
{
	struct afb_image *img;
	struct afb_error err;
	uint8_t *buf;

	assert_int_equal(open_crafted(v, &buf, &img, &err), 0);
	if (afb_image_validate(img, &err) != -EINVAL || !strstr(err.message, msg))
		fail_msg("%s: got \"%s\", want \"%s\"", craft_name(v), err.message, msg);
	afb_image_close(img);
	free(buf);
}

static void test_crafted_good(void **state)
{
	const struct afb_site *s;
	struct afb_image *img;
	struct afb_error err;
	uint8_t *buf;

	(void)state;
	assert_int_equal(open_crafted(CRAFT_GOOD, &buf, &img, &err), 0);
	assert_int_equal(afb_image_validate(img, &err), 0);
	assert_int_equal(afb_image_sites(img, &s), 2);
	assert_int_equal(s[0].addr, CRAFT_TEXT);
	assert_int_equal(s[0].kind, AFB_KIND_CLI);
	assert_int_equal(s[0].file_offset, CRAFT_TEXT_OFF);
	assert_int_equal(s[1].addr, CRAFT_TEXT + 7);
	assert_int_equal(s[1].kind, AFB_KIND_OUT);
	afb_image_close(img);
	free(buf);
}

/*
 * .text's section header names a copy at the end of the file: the sites
 * are read where the PT_LOAD maps them (what a loader runs), and the
 * image is refused.
 */
static void test_split_views(void **state)
{
	const struct afb_site *s;
	struct afb_image *img;
	struct afb_error err;
	uint8_t *buf;

	(void)state;
	assert_int_equal(open_crafted(CRAFT_SPLIT_HIDDEN, &buf, &img, &err), 0);
	assert_int_equal(afb_image_sites(img, &s), 2);
	assert_int_equal(s[0].file_offset, CRAFT_TEXT_OFF);
	assert_ptr_equal(afb_image_site_bytes(img, &s[0]), buf + CRAFT_TEXT_OFF);
	afb_image_close(img);
	free(buf);
	expect_crafted_invalid(CRAFT_SPLIT,
		"split: section .text, address 0x400100, cli site: the section and segment views disagree: "
		"section .text has its bytes at file offset 0x200, PT_LOAD segment 0 (what a loader maps) at 0x100");
	expect_crafted_invalid(CRAFT_SPLIT_HIDDEN, "the section and segment views disagree");
}

/* Two overlapping executable sections, one site in each, sharing bytes. */
static void test_overlap_across_sections(void **state)
{
	const struct afb_site *s;
	struct afb_image *img;
	struct afb_error err;
	uint8_t *buf;
	size_t i, n;
	bool alt = false;

	(void)state;
	assert_int_equal(open_crafted(CRAFT_OVERLAP, &buf, &img, &err), 0);
	n = afb_image_sites(img, &s);
	for (i = 0; i < n; i++)
		alt |= s[i].addr == CRAFT_TEXT + 0x11 && !strcmp(s[i].section, ".alt");
	assert_true(alt);
	afb_image_close(img);
	free(buf);
	expect_crafted_invalid(CRAFT_OVERLAP,
		"overlap: section .alt, address 0x400111, cli site: it overlaps the out site at 0x400110 (7 bytes) in section .text");
}

/* Two PT_LOADs map the same file bytes, each with its own sites. */
static void test_alias_segments(void **state)
{
	(void)state;
	expect_crafted_invalid(CRAFT_ALIAS,
		"alias: section .text2, address 0x600100, cli site: its bytes at file offset 0x100 overlap those of the cli site at 0x400100 (7 bytes) in section .text");
}

/* A relocatable object whose .init.text header names .text's bytes. */
static void test_sections_share_bytes(void **state)
{
	char *obj = util_assemble_fixture("good64.s", "--64");
	uint64_t text_off, init_off;
	struct afb_image *img;
	struct afb_error err;
	Elf64_Shdr *sh;
	Elf64_Ehdr *eh;
	uint8_t *buf;
	size_t size, i;

	(void)state;
	free(util_section(obj, ".text", &size, NULL, &text_off));
	free(util_section(obj, ".init.text", &size, NULL, &init_off));
	buf = util_read_file(obj, &size);
	eh = (Elf64_Ehdr *)buf;
	sh = (Elf64_Shdr *)(buf + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_offset == init_off && (sh[i].sh_flags & SHF_EXECINSTR))
			sh[i].sh_offset = text_off;
	assert_int_equal(afb_image_open_memory(buf, size, "share.o", &img, &err), 0);
	assert_int_equal(afb_image_validate(img, &err), -EINVAL);
	if (!strstr(err.message, "share.o: section .text, offset 0x2, cli site: its bytes at file offset") ||
	    !strstr(err.message, "overlap those of the wrmsr site at 0x1 (5 bytes) in section .init.text"))
		fail_msg("got \"%s\"", err.message);
	afb_image_close(img);
	free(buf);
	free(obj);
}

/* Open @size bytes of @buf; expect -EINVAL and @msg. */
static void expect_cut(const uint8_t *buf, size_t size, const char *name,
		       const char *msg)
{
	struct afb_image *img = NULL;
	struct afb_error err;
	int ret = afb_image_open_memory(buf, size, name, &img, &err);

	if (ret != -EINVAL || !strstr(err.message, msg) ||
	    strncmp(err.message, name, strlen(name)))
		fail_msg("%s: got %d \"%s\", want \"%s\"", name, ret,
			 ret ? err.message : "", msg);
	afb_image_close(img);
}

/* Open @buf (a crafted image, edited); validation must say @msg. */
static void expect_edited_invalid(const uint8_t *buf, size_t size,
				  const char *name, const char *msg)
{
	struct afb_image *img;
	struct afb_error err;

	assert_int_equal(afb_image_open_memory(buf, size, name, &img, &err), 0);
	if (afb_image_validate(img, &err) != -EINVAL || !strstr(err.message, msg))
		fail_msg("%s: got \"%s\", want \"%s\"", name, err.message, msg);
	afb_image_close(img);
}

/* A linked image's site must be in one executable PT_LOAD, all in the file. */
static void test_segment_checks(void **state)
{
	size_t size;
	uint8_t *buf = craft_image(CRAFT_GOOD, &size);
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));
	Elf64_Phdr orig[2];

	(void)state;
	assert_non_null(buf);
	memcpy(orig, ph, sizeof(orig));
	/* the note segment made a second PT_LOAD over .text */
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
			      .p_offset = CRAFT_TEXT_OFF, .p_vaddr = CRAFT_TEXT,
			      .p_filesz = 4, .p_memsz = 4, .p_align = 1 };
	expect_edited_invalid(buf, size, "twice",
		"twice: section .text, address 0x400100, cli site: PT_LOAD segments 0 and 1 both map it");
	memcpy(ph, orig, sizeof(orig));
	ph[0].p_flags = PF_R;
	expect_edited_invalid(buf, size, "noexec",
		"noexec: section .text, address 0x400100, cli site: it is not inside an executable PT_LOAD segment (segment 0 is not executable)");
	memcpy(ph, orig, sizeof(orig));
	ph[0].p_filesz = CRAFT_TEXT_OFF + 3;	/* the rest zero-filled */
	expect_edited_invalid(buf, size, "zerofill",
		"zerofill: section .text, address 0x400100, cli site: PT_LOAD segment 0 has only part of it in the file");
	memcpy(ph, orig, sizeof(orig));
	ph[0].p_filesz = ph[0].p_memsz + 1;
	expect_cut(buf, size, "filesz", "corrupt image: PT_LOAD segment 0 has 0x189 bytes in the file but 0x188 in memory");
	free(buf);
}

/* Truncated images are refused with the reason, never read as less. */
static void test_truncated(void **state)
{
	static const struct { enum craft_variant v; const char *msg; } cuts[] = {
		{ CRAFT_CUT_PHDRS, "truncated or corrupt image: the program header table (2 entries of 56 bytes at offset 0x40) runs past the end of the file (84 bytes)" },
		{ CRAFT_CUT_SEGMENT, "truncated or corrupt image: segment 0 (PT_LOAD, 0x188 bytes at file offset 0x0) runs past the end of the file (288 bytes)" },
		{ CRAFT_CUT_SHDRS, "truncated or corrupt image: the section header table (4 entries of 64 bytes at offset 0x280) runs past the end of the file" },
		{ CRAFT_CUT_SECTION, "truncated or corrupt image: section .comment (0x10 bytes at file offset 0x3c0) runs past the end of the file" },
	};
	char *obj = util_assemble_fixture("good64.s", "--64");
	char *exe = util_link(obj, "cut64", "-Ttext=0x1000000");
	uint64_t text_off;
	Elf64_Ehdr eh;
	uint8_t *buf;
	size_t size, i;

	(void)state;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		buf = craft_image(cuts[i].v, &size);
		assert_non_null(buf);
		expect_cut(buf, size, craft_name(cuts[i].v), cuts[i].msg);
		free(buf);
	}
	/* what ld wrote: cut in the program headers, in .text, at the end */
	free(util_section(exe, ".text", &size, NULL, &text_off));
	buf = util_read_file(exe, &size);
	memcpy(&eh, buf, sizeof(eh));
	expect_cut(buf, eh.e_phoff + 10, "ld-phdrs", "the program header table");
	expect_cut(buf, text_off + 4, "ld-text", "(PT_LOAD,");
	expect_cut(buf, size - 1, "ld-shdrs", "the section header table");
	expect_cut(buf, 60, "ld-ehdr", "the ELF header runs past the end of the file (60 bytes)");
	free(buf);
	buf = util_read_file(obj, &size);
	expect_cut(buf, size - 1, "obj-shdrs", "the section header table");
	free(buf);
	free(exe);
	free(obj);
}

/* Every truncation and many bit flips of good images: no crash. */
static void mangle(const uint8_t *orig, size_t size)
{
	uint8_t *buf = malloc(size);
	struct afb_image *img;
	struct afb_error err;
	unsigned int seed = 7;
	size_t n, i;

	assert_non_null(buf);
	for (n = 0; n < size; n++) {
		memcpy(buf, orig, n);
		if (!afb_image_open_memory(buf, n, "cut", &img, &err)) {
			afb_image_validate(img, &err);
			afb_image_close(img);
		} else {
			assert_true(err.code < 0 && err.message[0]);
		}
	}
	for (i = 0; i < 20000; i++) {
		memcpy(buf, orig, size);
		for (n = 0; n < 1 + i % 4; n++)
			buf[rand_r(&seed) % size] ^= 1 << (rand_r(&seed) % 8);
		if (!afb_image_open_memory(buf, size, "flip", &img, &err)) {
			afb_image_validate(img, &err);
			afb_image_close(img);
		}
	}
	free(buf);
}

static void test_corrupt(void **state)
{
	const char *flags[] = { "--64", "--32" };
	char *obj, *exe;
	uint8_t *buf;
	size_t size;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		obj = util_assemble_fixture(i ? "good32.s" : "good64.s", flags[i]);
		buf = util_read_file(obj, &size);
		mangle(buf, size);
		free(buf);
		exe = util_link(obj, i ? "c32" : "c64", i ? "-m elf_i386" : "");
		buf = util_read_file(exe, &size);
		mangle(buf, size);
		free(buf);
		free(exe);
		free(obj);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relocatable_64),
		cmocka_unit_test(test_relocatable_32),
		cmocka_unit_test(test_linked_64),
		cmocka_unit_test(test_linked_32),
		cmocka_unit_test(test_kernel_link),
		cmocka_unit_test(test_no_section_headers),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_not_executable),
		cmocka_unit_test(test_wrong_kind),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_bad_padding),
		cmocka_unit_test(test_bad_relocation),
		cmocka_unit_test(test_not_x86),
		cmocka_unit_test(test_crafted_good),
		cmocka_unit_test(test_split_views),
		cmocka_unit_test(test_overlap_across_sections),
		cmocka_unit_test(test_alias_segments),
		cmocka_unit_test(test_sections_share_bytes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_segment_checks),
		cmocka_unit_test(test_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
