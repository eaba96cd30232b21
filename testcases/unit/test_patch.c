// SPDX-License-Identifier: MIT
/*
 * afb_patch_apply() on a memory copy of a linked image: a test wedge that
 * writes "call rel32" for most sites, leaves cli native, and checks what
 * it is given; statistics; and every failure leaves memory untouched
 * (compared byte for byte with a copy): a refusing wedge, an overlong
 * replacement, memory that differs from the file, a site outside memory,
 * a relocatable object, a bad image.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "craft.h"
#include "util.h"
#include "image.h"

/* The loaded image: every PT_LOAD copied to its address. */
struct loaded {
	struct afb_memory mem;
	uint8_t *copy;			/* mem as it was, to compare */
	struct afb_image *img;
	char *path;
};

static void load(struct loaded *l, const char *path)
{
	struct afb_error err;

	util_load_segments(path, &l->mem, &l->copy);
	assert_int_equal(afb_image_open(path, &l->img, &err), 0);
	l->path = strdup(path);
}

static void unload(struct loaded *l)
{
	afb_image_close(l->img);
	free(l->mem.base);
	free(l->copy);
	free(l->path);
}

static void assert_untouched(const struct loaded *l)
{
	assert_memory_equal(l->mem.base, l->copy, l->mem.size);
}

/* The test wedge and what it saw. */
struct wedge {
	uint64_t target;		/* where its calls go */
	unsigned int calls;
	uint64_t last_addr;		/* sites come in order */
	int fail_at;			/* return fail_code at this call, or -1 */
	int fail_code;
	int overlong_at;		/* return cap + 1 at this call, or -1 */
};

static void check_insn(const struct afb_site *site, const struct afb_insn *insn)
{
	assert_int_equal(insn->kind, site->kind);
	assert_int_equal(insn->len, site->insn_len);
	assert_int_equal(insn->mode, site->mode);
	if (site->kind == AFB_KIND_IN) {
		assert_true(insn->has_imm);
		assert_int_equal(insn->imm, 0x60);
	}
	if (site->kind == AFB_KIND_MOV_CR)
		assert_int_equal(insn->reg, site->mode == 64 ? 3 : 0);
	if (site->kind == AFB_KIND_FAR_JMP && site->mode == 16)
		assert_int_equal(insn->selector, 8);
}

static int test_wedge(void *ctx, const struct afb_site *site,
		      const struct afb_insn *insn, uint8_t *buf, size_t cap)
{
	struct wedge *w = ctx;
	int32_t rel = (int32_t)(w->target - (site->addr + 5));
	unsigned int call = w->calls++;

	assert_int_equal(cap, site->len);
	assert_true(site->addr > w->last_addr || !call);
	w->last_addr = site->addr;
	check_insn(site, insn);
	if ((int)call == w->fail_at)
		return w->fail_code;
	if ((int)call == w->overlong_at)
		return cap + 1;
	if (site->kind == AFB_KIND_CLI)
		return 0;		/* leave it native */
	buf[0] = 0xe8;
	memcpy(buf + 1, &rel, 4);
	return 5;
}

static struct wedge new_wedge(void)
{
	struct wedge w = { .target = 0x1000000, .fail_at = -1,
			   .overlong_at = -1 };

	return w;
}

static char *linked_good64(void)
{
	char *obj = util_assemble_fixture("good64.s", "--64");
	char *exe = util_link(obj, "patch64", "-Ttext=0x1000000");

	free(obj);
	return exe;
}

static void test_patch(void **state)
{
	char *exe = linked_good64();
	struct afb_patch_stats stats;
	const struct afb_site *s;
	struct afb_error err;
	struct wedge w = new_wedge();
	struct loaded l;
	size_t n, i;
	uint8_t *p;
	int32_t rel;

	(void)state;
	load(&l, exe);
	assert_int_equal(afb_patch_apply(l.img, &l.mem, test_wedge, &w, &stats, &err), 0);
	n = afb_image_sites(l.img, &s);
	assert_int_equal(w.calls, n);
	for (i = 0; i < n; i++) {
		p = l.mem.base + (s[i].addr - l.mem.vaddr);
		if (s[i].kind == AFB_KIND_CLI) {
			assert_memory_equal(p, afb_image_site_bytes(l.img, &s[i]), s[i].len);
			continue;
		}
		assert_int_equal(p[0], 0xe8);
		memcpy(&rel, p + 1, 4);
		assert_int_equal(s[i].addr + 5 + rel, w.target);
		assert_true(afb_nops_valid(p + 5, s[i].len - 5, s[i].mode));
	}
	assert_int_equal(stats.total_patched, n - 2);
	assert_int_equal(stats.total_native, 2);
	assert_int_equal(stats.native[AFB_KIND_CLI], 2);
	assert_int_equal(stats.patched[AFB_KIND_STI], 1);
	assert_int_equal(stats.patched[AFB_KIND_CLI], 0);
	/* bytes outside the sites are unchanged */
	for (i = 0; i < n; i++)
		memcpy(l.mem.base + (s[i].addr - l.mem.vaddr),
		       l.copy + (s[i].addr - l.mem.vaddr), s[i].len);
	assert_untouched(&l);
	unload(&l);
	free(exe);
}

/* Patch, fail, and check that memory and stats are as before. */
static void expect_untouched(struct loaded *l, struct wedge *w, int code,
			     const char *msg)
{
	struct afb_patch_stats stats;
	struct afb_error err;
	int ret;

	memset(&stats, 0xff, sizeof(stats));
	ret = afb_patch_apply(l->img, &l->mem, test_wedge, w, &stats, &err);
	if (ret != code || !strstr(err.message, msg))
		fail_msg("got %d \"%s\", want %d \"%s\"", ret, err.message, code, msg);
	assert_untouched(l);
	assert_int_equal(stats.total_patched, 0);
	assert_int_equal(stats.patched[AFB_KIND_STI], 0);
}

static void test_wedge_refuses(void **state)
{
	char *exe = linked_good64();
	struct wedge w = new_wedge();
	struct loaded l;

	(void)state;
	load(&l, exe);
	w.fail_at = 9;			/* late: most sites already staged */
	w.fail_code = -EOPNOTSUPP;
	expect_untouched(&l, &w, -EOPNOTSUPP, "the wedge refused it");
	w = new_wedge();
	w.overlong_at = 3;
	expect_untouched(&l, &w, -ERANGE, "longer than the site");
	unload(&l);
	free(exe);
}

static void test_memory_mismatch(void **state)
{
	char *exe = linked_good64();
	const struct afb_site *s;
	struct wedge w = new_wedge();
	struct loaded l;
	size_t n;

	(void)state;
	load(&l, exe);
	n = afb_image_sites(l.img, &s);
	/* the last site differs from the file: nothing may be written */
	l.mem.base[s[n - 1].addr - l.mem.vaddr] = 0xf4;
	l.copy[s[n - 1].addr - l.mem.vaddr] = 0xf4;
	expect_untouched(&l, &w, -ESTALE, "differ from the file");
	unload(&l);
	free(exe);
}

static void test_patch_twice(void **state)
{
	char *exe = linked_good64();
	struct wedge w = new_wedge();
	struct afb_error err;
	struct loaded l;

	(void)state;
	load(&l, exe);
	assert_int_equal(afb_patch_apply(l.img, &l.mem, test_wedge, &w, NULL, &err), 0);
	memcpy(l.copy, l.mem.base, l.mem.size);
	w = new_wedge();
	expect_untouched(&l, &w, -ESTALE, "patched already");
	unload(&l);
	free(exe);
}

static void test_outside_memory(void **state)
{
	char *exe = linked_good64();
	const struct afb_site *s;
	struct wedge w = new_wedge();
	struct loaded l;
	size_t n;

	(void)state;
	load(&l, exe);
	n = afb_image_sites(l.img, &s);
	l.mem.size = s[n - 1].addr - l.mem.vaddr + 2;	/* cuts the last site */
	expect_untouched(&l, &w, -ERANGE, "outside the memory image");
	l.mem.size = l.mem.size + 1000;
	l.mem.vaddr = s[0].addr + 1;			/* the first site below */
	expect_untouched(&l, &w, -ERANGE, "outside the memory image");
	assert_int_equal(w.calls, 0);
	unload(&l);
	free(exe);
}

static void test_refuses_bad_images(void **state)
{
	char *obj = util_assemble_fixture("good64.s", "--64");
	struct afb_error err;
	struct afb_image *img;
	struct wedge w = new_wedge();
	uint8_t buf[64] = { 0 };
	struct afb_memory mem = { .base = buf, .vaddr = 0, .size = sizeof(buf) };
	char *bad, *exe;

	(void)state;
	assert_int_equal(afb_image_open(obj, &img, &err), 0);
	assert_int_equal(afb_patch_apply(img, &mem, test_wedge, &w, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.message, "relocatable object cannot be patched"));
	afb_image_close(img);
	bad = util_assemble_text("badkind", "\t.include \"sites.inc\"\n\t.text\n"
				 "\t.globl _start\n_start:\n"
				 "\tsite .text, 2, 7, 64, cli\n", "--64");
	exe = util_link(bad, "badkind", "");
	assert_int_equal(afb_image_open(exe, &img, &err), 0);
	assert_int_equal(afb_patch_apply(img, &mem, test_wedge, &w, NULL, &err), -EINVAL);
	assert_non_null(strstr(err.message, "decode to cli, not sti"));
	assert_int_equal(w.calls, 0);
	assert_int_equal(afb_patch_apply(NULL, &mem, test_wedge, &w, NULL, &err), -EINVAL);
	assert_int_equal(afb_patch_apply(img, &mem, NULL, &w, NULL, &err), -EINVAL);
	afb_image_close(img);
	free(obj);
	free(bad);
	free(exe);
}

/* Crafted image @v written to a file, loaded from its PT_LOAD segments. */
static void load_crafted(struct loaded *l, enum craft_variant v)
{
	char path[512];
	size_t size;
	uint8_t *buf = craft_image(v, &size);

	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/%s", util_tmpdir(), craft_name(v));
	util_write_file(path, buf, size);
	free(buf);
	load(l, path);
}

/*
 * Images that lie (craft.h) are refused before the wedge is asked about
 * a site, and memory stays as the loader left it; the good image of the
 * same shape patches the bytes the loader mapped.
 */
static void test_lying_images(void **state)
{
	static const struct { enum craft_variant v; const char *msg; } bad[] = {
		{ CRAFT_SPLIT, "section .text, address 0x400100, cli site: the section and segment views disagree" },
		{ CRAFT_SPLIT_HIDDEN, "the section and segment views disagree" },
		{ CRAFT_OVERLAP, "section .alt, address 0x400111, cli site: it overlaps the out site at 0x400110" },
		{ CRAFT_ALIAS, "section .text2, address 0x600100, cli site: its bytes at file offset 0x100 overlap" },
	};
	struct wedge w = new_wedge();
	struct afb_error err;
	struct loaded l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		w = new_wedge();
		load_crafted(&l, bad[i].v);
		expect_untouched(&l, &w, -EINVAL, bad[i].msg);
		assert_int_equal(w.calls, 0);
		unload(&l);
	}
	w = new_wedge();
	load_crafted(&l, CRAFT_GOOD);
	assert_int_equal(afb_patch_apply(l.img, &l.mem, test_wedge, &w, NULL, &err), 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(l.mem.base[CRAFT_TEXT + 7 - l.mem.vaddr], 0xe8);
	unload(&l);
}

/* i386 too: a 32-bit linked image patches with the same wedge. */
static void test_patch_32(void **state)
{
	char *obj = util_assemble_fixture("good32.s", "--32");
	char *exe = util_link(obj, "patch32", "-m elf_i386");
	struct afb_patch_stats stats;
	struct wedge w = new_wedge();
	struct afb_error err;
	struct loaded l;

	(void)state;
	load(&l, exe);
	assert_int_equal(afb_patch_apply(l.img, &l.mem, test_wedge, &w, &stats, &err), 0);
	assert_int_equal(stats.total_native, 1);
	assert_int_equal(stats.total_patched, 8);
	unload(&l);
	free(obj);
	free(exe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch),
		cmocka_unit_test(test_wedge_refuses),
		cmocka_unit_test(test_lying_images),
		cmocka_unit_test(test_memory_mismatch),
		cmocka_unit_test(test_patch_twice),
		cmocka_unit_test(test_outside_memory),
		cmocka_unit_test(test_refuses_bad_images),
		cmocka_unit_test(test_patch_32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
