// SPDX-License-Identifier: MIT
/*
 * The load-time wedge interface (include/afterburn/wedge.h) on a memory
 * copy of linked fixtures: afb_wedge_apply() with a test wedge that writes
 * thunks, all or nothing (a wedge that refuses the third site, an area
 * that fills up: memory, area bytes and area->used as before), the thunk
 * emitter, call range limits, the RIP- and EIP-relative fix-up of
 * afb_wedge_copy_insn(), and the thunks of the native wedge.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <afterburn/wedge.h>

#include "util.h"
#include "image.h"
#include "../../wedge/wedges.h"

#define TEXT_ADDR	0x1000000ULL
#define AREA_ADDR	0x2000000ULL	/* 16 MiB above the text */
#define AREA_SIZE	4096
#define AREA_FILL	0xa5		/* what the area held before */

/* Sites in this order: cli at _start (the entry), a RIP-relative lidt, an
 * EIP-relative lgdt, invlpg, the fused "sti; hlt", swapgs. */
static const char fixture_text[] =
	"\t.include \"sites.inc\"\n"
	"\t.text\n\t.globl _start\n_start:\n"
	"\tsite .text, 1, 7, 64, cli\n"
	"\tnop\n"
	"\tsite .text, 16, 5, 64, lidt 0x10(%rip)\n"
	"\tsite .text, 15, 5, 64, lgdt 0x100(%eip)\n"
	"\tsite .text, 26, 5, 64, invlpg (%rax)\n"
	"\tsite .text, 64, 5, 64, .byte 0xfb, 0xf4\n"
	"\tsite .text, 38, 5, 64, swapgs\n"
	"\tret\n";

struct loaded {
	struct afb_memory mem;
	uint8_t *copy;			/* mem as it was */
	struct afb_image *img;
	struct afb_wedge_area area;
	uint8_t *area_copy;
};

static void load_segments(struct loaded *l, const char *path)
{
	util_load_segments(path, &l->mem, &l->copy);
}

/* Load @path; the area holds AREA_FILL and has @used bytes taken. */
static void load(struct loaded *l, const char *path, size_t used)
{
	struct afb_error err;

	memset(l, 0, sizeof(*l));
	load_segments(l, path);
	assert_int_equal(afb_image_open(path, &l->img, &err), 0);
	l->area.base = malloc(AREA_SIZE);
	l->area_copy = malloc(AREA_SIZE);
	assert_non_null(l->area.base);
	assert_non_null(l->area_copy);
	memset(l->area.base, AREA_FILL, AREA_SIZE);
	memset(l->area_copy, AREA_FILL, AREA_SIZE);
	l->area.vaddr = AREA_ADDR;
	l->area.size = AREA_SIZE;
	l->area.used = used;
}

static void unload(struct loaded *l)
{
	afb_image_close(l->img);
	free(l->mem.base);
	free(l->copy);
	free(l->area.base);
	free(l->area_copy);
}

static char *linked(const char *name, const char *text)
{
	char *obj = util_assemble_text(name, text, "--64");
	char *exe = util_link(obj, name, "-Ttext=0x1000000");

	free(obj);
	return exe;
}

static char *linked_good64(void)
{
	char *obj = util_assemble_fixture("good64.s", "--64");
	char *exe = util_link(obj, "wedge64", "-Ttext=0x1000000");

	free(obj);
	return exe;
}

/* ---- A test wedge: one 8-byte thunk per 64-bit site ------------------- */

static int refuse_at = -1;		/* refuse the call with this index */
static int refuse_code;
static unsigned int plan_calls;

static int test_plan(const struct afb_wedge *wedge, const struct afb_image *image,
		     struct afb_wedge_area *area, const struct afb_site *site,
		     const struct afb_insn *insn, struct afb_site_patch *patch)
{
	uint8_t thunk[8] = { 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xc3 };
	unsigned int call = plan_calls++;
	uint64_t at;

	(void)wedge;
	assert_non_null(image);
	assert_int_equal(insn->kind, site->kind);
	assert_int_equal(patch->len, 0);
	if ((int)call == refuse_at)
		return refuse_code;
	if (site->mode != 64)
		return 0;
	thunk[0] = (uint8_t)call;
	at = afb_wedge_emit_thunk(area, thunk, sizeof(thunk));
	if (!at)
		return -ENOSPC;
	return afb_wedge_call(patch, site, at);
}

static const struct afb_wedge test_wedge = {
	.name = "test", .summary = "unit test", .plan = test_plan,
};

static void reset_wedge(void)
{
	refuse_at = -1;
	plan_calls = 0;
}

/* Where the site's 'call rel32' or 'jmp rel32' leads. */
static uint64_t call_target(const struct loaded *l, const struct afb_site *s)
{
	const uint8_t *p = l->mem.base + (s->addr - l->mem.vaddr);
	int32_t rel;

	assert_true(p[0] == 0xe8 || p[0] == 0xe9);
	memcpy(&rel, p + 1, 4);
	return s->addr + 5 + rel;
}

static void test_apply(void **state)
{
	char *exe = linked_good64();
	struct afb_patch_stats stats;
	const struct afb_site *s;
	struct afb_error err;
	struct loaded l;
	size_t n, i, k = 0;
	uint64_t t;

	(void)state;
	reset_wedge();
	load(&l, exe, 16);
	assert_int_equal(afb_wedge_apply(l.img, &l.mem, &test_wedge, &l.area,
					 &stats, &err), 0);
	n = afb_image_sites(l.img, &s);
	assert_int_equal(plan_calls, n);
	for (i = 0; i < n; i++) {
		if (s[i].mode != 64)
			continue;
		t = call_target(&l, &s[i]);
		assert_int_equal(t, AREA_ADDR + 16 + 8 * k);
		assert_int_equal(l.area.base[t - AREA_ADDR], i);
		k++;
	}
	assert_int_equal(l.area.used, 16 + 8 * k);
	assert_int_equal(stats.total_patched, k);
	assert_int_equal(stats.total_native, n - k);
	assert_memory_equal(l.area.base, l.area_copy, 16);
	unload(&l);
	free(exe);
}

/* Fail with @code "...@msg...": memory, area and stats as before. */
static void expect_untouched(struct loaded *l, int code, const char *msg)
{
	size_t used = l->area.used;
	struct afb_patch_stats stats;
	struct afb_error err;
	int ret;

	memset(&stats, 0xff, sizeof(stats));
	ret = afb_wedge_apply(l->img, &l->mem, &test_wedge, &l->area, &stats, &err);
	if (ret != code || !strstr(err.message, msg))
		fail_msg("got %d \"%s\", want %d \"%s\"", ret, err.message, code, msg);
	assert_memory_equal(l->mem.base, l->copy, l->mem.size);
	assert_int_equal(l->area.used, used);
	assert_memory_equal(l->area.base, l->area_copy, used);
	assert_int_equal(stats.total_patched, 0);
}

static void test_refuse_third(void **state)
{
	char *exe = linked_good64();
	struct loaded l;

	(void)state;
	reset_wedge();
	load(&l, exe, 24);
	refuse_at = 2;
	refuse_code = -EOPNOTSUPP;
	expect_untouched(&l, -EOPNOTSUPP, "wedge test: ");
	assert_int_equal(plan_calls, 3);
	/* thunks of the abandoned attempt sit above the mark: documented */
	assert_int_equal(l.area.base[24], 0);
	unload(&l);
	free(exe);
}

static void test_area_full(void **state)
{
	char *exe = linked_good64();
	struct loaded l;

	(void)state;
	reset_wedge();
	load(&l, exe, AREA_SIZE - 20);	/* room for two thunks */
	expect_untouched(&l, -ENOSPC, "is full");
	l.area.used = 0;
	l.area.size = 0;
	expect_untouched(&l, -ENOSPC, "wedge test: its area (0x0 bytes");
	l.area.size = 10;
	l.area.used = 11;
	expect_untouched(&l, -EINVAL, "bad area");
	unload(&l);
	free(exe);
}

/* Thunks are written while staging: the area may not share @mem's bytes. */
static void test_area_overlap(void **state)
{
	char *exe = linked_good64();
	uint8_t *own;
	struct loaded l;

	(void)state;
	reset_wedge();
	load(&l, exe, 0);
	own = l.area.base;
	l.area.base = l.mem.base + l.mem.size - 8;
	l.area.size = 16;
	expect_untouched(&l, -EINVAL, "overlaps the image's memory");
	assert_int_equal(plan_calls, 0);
	l.area.base = own;
	unload(&l);
	free(exe);
}

static void test_emit_thunk(void **state)
{
	uint8_t buf[16], code[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	struct afb_wedge_area a = { .base = buf, .vaddr = 0x5000, .size = sizeof(buf) };

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(afb_wedge_emit_thunk(&a, code, 10), 0x5000);
	assert_int_equal(a.used, 10);
	assert_memory_equal(buf, code, 10);
	assert_int_equal(afb_wedge_emit_thunk(&a, code, 7), 0);	/* 6 left */
	assert_int_equal(a.used, 10);
	assert_int_equal(afb_wedge_emit_thunk(&a, code, 6), 0x500a);
	assert_int_equal(a.used, 16);
	assert_int_equal(afb_wedge_emit_thunk(&a, code, 1), 0);
	assert_int_equal(afb_wedge_emit_thunk(&a, code, 0), 0);
	assert_int_equal(afb_wedge_emit_thunk(NULL, code, 1), 0);
	a.used = 0;
	assert_int_equal(afb_wedge_emit_thunk(&a, NULL, 1), 0);
}

static void test_call_range(void **state)
{
	struct afb_site site = { .addr = 0x100000000ULL, .len = 5, .mode = 64,
				 .kind = AFB_KIND_CPUID, .insn_len = 2 };
	struct afb_site_patch p;
	uint64_t end = site.addr + 5;
	int32_t rel;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(afb_wedge_call(&p, &site, end + INT32_MAX), 0);
	assert_int_equal(p.len, 5);
	assert_int_equal(p.bytes[0], 0xe8);
	memcpy(&rel, p.bytes + 1, 4);
	assert_int_equal(rel, INT32_MAX);
	assert_int_equal(afb_wedge_call(&p, &site, end - 0x80000000ULL), 0);
	memcpy(&rel, p.bytes + 1, 4);
	assert_int_equal(rel, INT32_MIN);
	assert_int_equal(afb_wedge_jmp(&p, &site, end + 16), 0);
	assert_int_equal(p.bytes[0], 0xe9);
	memcpy(&rel, p.bytes + 1, 4);
	assert_int_equal(rel, 16);
	memset(&p, 0, sizeof(p));
	assert_int_equal(afb_wedge_call(&p, &site, end + INT32_MAX + 1ULL), -ERANGE);
	assert_int_equal(afb_wedge_jmp(&p, &site, end + INT32_MAX + 1ULL), -ERANGE);
	assert_int_equal(afb_wedge_call(&p, &site, end - 0x80000001ULL), -ERANGE);
	assert_int_equal(p.len, 0);
	site.len = 4;
	assert_int_equal(afb_wedge_call(&p, &site, end), -EINVAL);
}

/* The site of @kind in @l, and its decoded instruction. */
static const struct afb_site *find_site(const struct loaded *l,
					unsigned int kind, struct afb_insn *insn)
{
	const struct afb_site *s;
	size_t n, i;

	n = afb_image_sites(l->img, &s);
	for (i = 0; i < n; i++)
		if (s[i].kind == kind) {
			assert_int_equal(afb_decode(afb_image_site_bytes(l->img, &s[i]),
						    s[i].len, s[i].mode, insn),
					 s[i].insn_len);
			return &s[i];
		}
	fail_msg("no %s site", afb_kind_name(kind));
	return NULL;
}

/* Copy @kind's instruction to @to; the copy addresses what the site did. */
static void check_copy(const struct loaded *l, unsigned int kind, uint64_t to,
		       uint64_t mask)
{
	struct afb_insn insn, copy;
	const struct afb_site *s = find_site(l, kind, &insn);
	uint8_t out[16];
	uint64_t want, got;

	assert_true(insn.mem.rip_relative);
	assert_int_equal(afb_wedge_copy_insn(l->img, s, &insn, to, out), insn.len);
	assert_int_equal(afb_decode(out, insn.len, 64, &copy), insn.len);
	assert_int_equal(copy.kind, kind);
	assert_memory_equal(out, afb_image_site_bytes(l->img, s), insn.len - 4);
	want = (s->addr + insn.len + insn.mem.disp) & mask;
	got = (to + insn.len + copy.mem.disp) & mask;
	assert_int_equal(got, want);
}

static void test_copy_insn(void **state)
{
	char *exe = linked("copy64", fixture_text);
	struct afb_insn insn;
	const struct afb_site *s;
	struct loaded l;
	uint8_t out[16];

	(void)state;
	load(&l, exe, 0);
	check_copy(&l, AFB_KIND_LIDT, AREA_ADDR, UINT64_MAX);
	check_copy(&l, AFB_KIND_LIDT, TEXT_ADDR - 0x7fff0000ULL, UINT64_MAX);
	/* EIP-relative (0x67): wraps at 4 GiB, so any distance works */
	check_copy(&l, AFB_KIND_LGDT, 0x7f0000000000ULL, 0xffffffffULL);
	s = find_site(&l, AFB_KIND_LIDT, &insn);
	assert_int_equal(afb_wedge_copy_insn(l.img, s, &insn, 0x7f0000000000ULL, out),
			 -ERANGE);
	/* no memory operand, or not RIP-relative: copied as is */
	s = find_site(&l, AFB_KIND_INVLPG, &insn);
	assert_int_equal(afb_wedge_copy_insn(l.img, s, &insn, AREA_ADDR, out), 3);
	assert_memory_equal(out, "\x0f\x01\x38", 3);
	s = find_site(&l, AFB_KIND_SWAPGS, &insn);
	assert_int_equal(afb_wedge_copy_insn(l.img, s, &insn, 0x7f0000000000ULL, out), 3);
	assert_memory_equal(out, "\x0f\x01\xf8", 3);
	insn.len = 2;			/* does not match the site */
	assert_int_equal(afb_wedge_copy_insn(l.img, s, &insn, AREA_ADDR, out), -EINVAL);
	unload(&l);
	free(exe);
}

/* ---- The native wedge ---------------------------------------------------- */

/* The site jumps to its thunk: @insn_bytes; jmp @back. */
static void check_thunk(const struct loaded *l, const struct afb_site *s,
			const void *insn_bytes, size_t len, uint64_t back)
{
	const uint8_t *site = l->mem.base + (s->addr - l->mem.vaddr);
	uint64_t t = call_target(l, s);
	const uint8_t *p = l->area.base + (t - AREA_ADDR);
	int32_t rel;

	assert_int_equal(site[0], 0xe9);
	assert_memory_equal(p, insn_bytes, len);
	assert_int_equal(p[len], 0xe9);
	memcpy(&rel, p + 1 + len, 4);
	assert_int_equal(t + 5 + len + rel, back);
}

static void test_native(void **state)
{
	char *exe = linked("native64", fixture_text);
	struct afb_patch_stats stats;
	const struct afb_site *s;
	struct afb_error err;
	struct loaded l;
	size_t n;

	(void)state;
	load(&l, exe, 0);
	assert_int_equal(afb_wedge_apply(l.img, &l.mem, &afb_wedge_native, &l.area,
					 &stats, &err), 0);
	n = afb_image_sites(l.img, &s);
	assert_int_equal(n, 6);
	/* Jumps touch no stack: the entry point's cli and swapgs (which
	 * runs on a user's stack) are patched like the rest. */
	assert_int_equal(stats.total_native, 0);
	assert_int_equal(stats.total_patched, 6);
	check_thunk(&l, &s[0], "\xfa", 1, s[0].addr + s[0].len);
	check_thunk(&l, &s[3], "\x0f\x01\x38", 3, s[3].addr + s[3].len);
	check_thunk(&l, &s[5], "\x0f\x01\xf8", 3, s[5].addr + s[5].len);
	/* sti; hlt: one site, one thunk, so sti's shadow still reaches hlt */
	check_thunk(&l, &s[4], "\xfb\xf4", 2, s[4].addr + s[4].len);
	assert_true(afb_nops_valid(l.mem.base + (s[1].addr - l.mem.vaddr) + 5,
				   s[1].len - 5, 64));
	unload(&l);
	free(exe);
}

/* The site of @kind in @mode code. */
static const struct afb_site *site_of(const struct loaded *l, unsigned int kind,
				      unsigned int mode)
{
	const struct afb_site *s;
	size_t n = afb_image_sites(l->img, &s), i;

	for (i = 0; i < n; i++)
		if (s[i].kind == kind && s[i].mode == mode)
			return &s[i];
	fail_msg("no %u-bit site of kind %u", mode, kind);
	return NULL;
}

/* An i386 image: its 32-bit sites get 32-bit thunks, its 16-bit ones stay. */
static void test_native_32(void **state)
{
	char *obj = util_assemble_fixture("good32.s", "--32");
	char *exe = util_link(obj, "native32", "-m elf_i386");
	struct afb_patch_stats stats;
	const struct afb_site *s;
	struct afb_error err;
	struct loaded l;

	(void)state;
	load(&l, exe, 0);
	assert_int_equal(afb_wedge_apply(l.img, &l.mem, &afb_wedge_native, &l.area,
					 &stats, &err), 0);
	assert_int_equal(stats.total_patched, 7);
	assert_int_equal(stats.total_native, 2);
	s = site_of(&l, AFB_KIND_CLI, 32);
	check_thunk(&l, s, "\xfa", 1, s->addr + s->len);
	s = site_of(&l, AFB_KIND_LOAD_FAR_PTR, 32);
	check_thunk(&l, s, "\xc5\x30", 2, s->addr + s->len);
	s = site_of(&l, AFB_KIND_HLT, 32);	/* .init.text */
	check_thunk(&l, s, "\xf4", 1, s->addr + s->len);
	s = site_of(&l, AFB_KIND_CPUID, 16);
	assert_memory_equal(l.mem.base + (s->addr - l.mem.vaddr),
			    l.copy + (s->addr - l.mem.vaddr), s->len);
	unload(&l);
	free(obj);
	free(exe);
}

/* A 32-bit thunk: absolute operands, no REX, rel32 that wraps. */
static void test_thunk_32(void **state)
{
	static const uint8_t want[] = {
		0x89, 0x05, 0x08, 0x10, 0x09, 0xc0,	/* mov %eax,scratch */
		0x8b, 0x05, 0x00, 0x10, 0x09, 0xc0,	/* mov counter,%eax */
		0x8d, 0x40, 0x01,			/* lea 1(%eax),%eax */
		0x89, 0x05, 0x00, 0x10, 0x09, 0xc0,	/* mov %eax,counter */
		0x8b, 0x05, 0x08, 0x10, 0x09, 0xc0,	/* mov scratch,%eax */
		0xf0, 0x83, 0x05, 0x00, 0x10, 0x09, 0xc0, 0x01,	/* lock addl $1 */
		0xf0, 0x83, 0x15, 0x04, 0x10, 0x09, 0xc0, 0x00,	/* lock adcl $0 */
		0xe9, 0xd5, 0xff, 0xf6, 0x00,		/* jmp 0xc1000005 */
	};
	static uint8_t buf[4096];
	struct afb_wedge_area area = { .base = buf, .vaddr = 0xc0090000,
				       .size = sizeof(buf) };
	struct afb_site site = { .addr = 0xc1000000, .len = 5, .insn_len = 1,
				 .mode = 32, .kind = AFB_KIND_CLI };
	struct afb_site_patch patch = { 0 };
	struct afb_thunk t;

	(void)state;
	afb_thunk_begin_for(&t, &area, &site);
	assert_int_equal(t.mode, 32);
	afb_thunk_count(&t, 0xc0091000, 0xc0091008);
	afb_thunk_count_locked(&t, 0xc0091000);
	afb_thunk_return(&t, &site);
	assert_int_equal(t.error, 0);
	assert_int_equal(t.len, sizeof(want));
	assert_memory_equal(t.code, want, sizeof(want));
	assert_int_equal(afb_thunk_finish(&t, &area, &site, &patch), 0);
	assert_int_equal(patch.bytes[0], 0xe9);	/* the site jumps back down */
	/* an operand above 4 GiB cannot be a 32-bit absolute address */
	afb_thunk_begin_for(&t, &area, &site);
	afb_thunk_rip(&t, want, 2, 0x100000000ULL, 0);
	assert_int_equal(t.error, -ERANGE);
	/* 16-bit code gets no thunk */
	site.mode = 16;
	afb_thunk_begin_for(&t, &area, &site);
	assert_int_equal(afb_thunk_finish(&t, &area, &site, &patch), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_refuse_third),
		cmocka_unit_test(test_area_full),
		cmocka_unit_test(test_area_overlap),
		cmocka_unit_test(test_emit_thunk),
		cmocka_unit_test(test_call_range),
		cmocka_unit_test(test_copy_insn),
		cmocka_unit_test(test_native),
		cmocka_unit_test(test_native_32),
		cmocka_unit_test(test_thunk_32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
