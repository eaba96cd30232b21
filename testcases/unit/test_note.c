// SPDX-License-Identifier: MIT
/*
 * The note section parser (afb_note_parse): good notes, other owners
 * skipped, truncated and overflowing notes, every field check of
 * doc/notes.md "What a reader checks", alignment and unaligned buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "note.h"

/* A note section under construction. */
struct sec {
	uint8_t buf[1024];
	size_t len;
};

static void put32(struct sec *s, uint32_t v)
{
	s->buf[s->len++] = v;
	s->buf[s->len++] = v >> 8;
	s->buf[s->len++] = v >> 16;
	s->buf[s->len++] = v >> 24;
}

static void put_bytes(struct sec *s, const void *p, size_t n, size_t align)
{
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	while (s->len % align)
		s->buf[s->len++] = 0;
}

static void put_note(struct sec *s, const char *name, uint32_t type,
		     const void *desc, uint32_t descsz, size_t align)
{
	put32(s, strlen(name) + 1);
	put32(s, descsz);
	put32(s, type);
	put_bytes(s, name, strlen(name) + 1, align);
	put_bytes(s, desc, descsz, align);
}

static void put_site(struct sec *s, int32_t rel, uint8_t kind, uint8_t len,
		     uint8_t insn_len, uint8_t mode)
{
	uint8_t d[12] = { rel, rel >> 8, rel >> 16, (uint32_t)rel >> 24,
			  AFB_NOTE_VERSION, kind, len, insn_len, mode, 0, 0, 0 };

	put_note(s, AFB_NOTE_NAME, AFB_NT_SITE, d, sizeof(d), 4);
}

/* Collects what the parser reports. */
struct seen {
	struct afb_note_entry e[16];
	size_t n;
	int stop_at;		/* return -EINTR at this entry, or -1 */
};

static int collect(void *ctx, const struct afb_note_entry *e,
		   struct afb_error *err)
{
	struct seen *seen = ctx;

	(void)err;
	if ((int)seen->n == seen->stop_at)
		return -EINTR;
	assert_true(seen->n < 16);
	seen->e[seen->n++] = *e;
	return 0;
}

static int parse(const struct sec *s, size_t align, struct seen *seen,
		 struct afb_error *err)
{
	memset(seen, 0, sizeof(*seen));
	seen->stop_at = -1;
	memset(err, 0, sizeof(*err));
	return afb_note_parse(s->buf, s->len, align, ".note.afterburn.text",
			      collect, seen, err);
}

static void test_good(void **state)
{
	struct afb_error err;
	struct seen seen;
	struct sec s = { .len = 0 };
	uint8_t mode[8] = { 0x10, 0, 0, 0, 1, 32, 0, 0 };

	(void)state;
	put_site(&s, -0x18, AFB_KIND_CLI, 7, 1, 64);
	put_note(&s, AFB_NOTE_NAME, AFB_NT_MODE, mode, 8, 4);
	put_site(&s, 0x12345678, AFB_KIND_LIDT, 7, 7, 16);
	assert_int_equal(parse(&s, 4, &seen, &err), 0);
	assert_int_equal(seen.n, 3);
	assert_int_equal(seen.e[0].offset, 0);
	assert_int_equal(seen.e[0].field, 0x18);
	assert_int_equal(seen.e[0].type, AFB_NT_SITE);
	assert_int_equal(seen.e[0].site.site, -0x18);
	assert_int_equal(seen.e[0].site.kind, AFB_KIND_CLI);
	assert_int_equal(seen.e[0].site.len, 7);
	assert_int_equal(seen.e[0].site.insn_len, 1);
	assert_int_equal(seen.e[0].site.mode, 64);
	assert_int_equal(seen.e[1].type, AFB_NT_MODE);
	assert_int_equal(seen.e[1].offset, 0x24);
	assert_int_equal(seen.e[1].mode.at, 0x10);
	assert_int_equal(seen.e[1].mode.mode, 32);
	assert_int_equal(seen.e[2].offset, 0x44);
	assert_int_equal(seen.e[2].site.site, 0x12345678);
	/* empty section */
	s.len = 0;
	assert_int_equal(parse(&s, 4, &seen, &err), 0);
	assert_int_equal(seen.n, 0);
}

static void test_other_owners(void **state)
{
	struct afb_error err;
	struct seen seen;
	struct sec s = { .len = 0 };
	uint8_t d[12] = { 0 };

	(void)state;
	put_note(&s, "GNU", 3, "\x01\x02\x03\x04\x05", 5, 4);
	put_note(&s, "Xen", 18, d, 8, 4);
	put_note(&s, "Afterburner", AFB_NT_SITE, d, 12, 4);	/* not ours */
	put_note(&s, "Afterbur", AFB_NT_SITE, d, 12, 4);
	put_note(&s, "", 0, d, 0, 4);
	put_site(&s, 0, AFB_KIND_STI, 5, 1, 32);
	assert_int_equal(parse(&s, 4, &seen, &err), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.e[0].site.kind, AFB_KIND_STI);
}

/* Parse @s and expect -EINVAL naming @offset and saying @msg. */
static void expect_bad(const struct sec *s, size_t offset, const char *msg)
{
	char want[64];
	struct afb_error err;
	struct seen seen;
	int ret = parse(s, 4, &seen, &err);

	snprintf(want, sizeof(want), "section .note.afterburn.text, offset 0x%zx:",
		 offset);
	if (ret != -EINVAL || err.code != -EINVAL || !strstr(err.message, want) ||
	    !strstr(err.message, msg))
		fail_msg("got %d \"%s\", want \"%s ... %s\"", ret, err.message,
			 want, msg);
}

static void test_truncated(void **state)
{
	struct sec good = { .len = 0 }, s;
	size_t cut;

	(void)state;
	put_site(&good, 0, AFB_KIND_STI, 5, 1, 64);
	put_site(&good, 0, AFB_KIND_CLI, 7, 1, 64);
	for (cut = 1; cut < 36; cut++) {
		s = good;
		s.len = 36 + cut;	/* the second note, cut short */
		expect_bad(&s, 36, "runs past the end of the section");
	}
	s = good;
	s.len = 36 + 5;
	expect_bad(&s, 36, "runs past");
}

static void test_overflow(void **state)
{
	static const uint32_t sizes[][2] = {
		{ 0xffffffff, 12 }, { 10, 0xffffffff }, { 0xfffffffc, 0xfffffffc },
		{ 0x7fffffff, 0x7fffffff }, { 10, 0xfffffff0 }, { 1000, 0 },
	};
	struct sec s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		s.len = 0;
		put32(&s, sizes[i][0]);
		put32(&s, sizes[i][1]);
		put32(&s, AFB_NT_SITE);
		put_bytes(&s, "Afterburn", 10, 4);
		put_bytes(&s, "\0\0\0\0\1\1\7\1\100\0\0\0", 12, 4);
		expect_bad(&s, 0, "runs past the end");
	}
}

static void test_bad_fields(void **state)
{
	uint8_t d[12] = { 0, 0, 0, 0, 1, AFB_KIND_CLI, 7, 1, 64, 0, 0, 0 };
	uint8_t m[8] = { 0, 0, 0, 0, 1, 64, 0, 0 };
	struct sec s;

	(void)state;
#define CASE(field, value, msg) do {					\
		uint8_t x[12];						\
		memcpy(x, d, 12);					\
		x[field] = value;					\
		s.len = 0;						\
		put_site(&s, 0, AFB_KIND_STI, 5, 1, 64);		\
		put_note(&s, AFB_NOTE_NAME, AFB_NT_SITE, x, 12, 4);	\
		expect_bad(&s, 36, msg);				\
	} while (0)
	CASE(4, 2, "version 2 (this reader knows 1)");
	CASE(4, 0, "version 0");
	CASE(5, 0, "unknown kind 0");
	CASE(5, 250, "unknown kind 250");
	CASE(8, 8, "cli site: mode 8 is not 16, 32 or 64");
	CASE(8, 0, "mode 0");
	CASE(7, 0, "instruction length 0 is not 1..15");
	CASE(7, 16, "instruction length 16");
	CASE(6, 0, "length 0 is shorter than its instruction (1)");
	CASE(6, 6, "length 6 is below the kind's minimum of 7");
#undef CASE
	s.len = 0;
	put_note(&s, AFB_NOTE_NAME, AFB_NT_SITE, d, 8, 4);
	expect_bad(&s, 0, "descriptor of type 1 is 8 bytes, not 12");
	s.len = 0;
	put_note(&s, AFB_NOTE_NAME, AFB_NT_MODE, d, 12, 4);
	expect_bad(&s, 0, "descriptor of type 2 is 12 bytes, not 8");
	s.len = 0;
	put_note(&s, AFB_NOTE_NAME, 9, d, 12, 4);
	expect_bad(&s, 0, "unknown note type 9");
	s.len = 0;
	put_note(&s, AFB_NOTE_NAME, AFB_NT_OBJECT, d, 12, 4);
	expect_bad(&s, 0, "descriptor of type 3 is 12 bytes, not 8");
	s.len = 0;
	put_note(&s, AFB_NOTE_NAME, AFB_NT_AREA, d, 12, 4);
	expect_bad(&s, 0, "descriptor of type 5 is 12 bytes, not 32");
	s.len = 0;
	m[5] = 48;
	put_note(&s, AFB_NOTE_NAME, AFB_NT_MODE, m, 8, 4);
	expect_bad(&s, 0, "mode switch to 48");
	s.len = 0;
	m[5] = 64;
	m[4] = 9;
	put_note(&s, AFB_NOTE_NAME, AFB_NT_MODE, m, 8, 4);
	expect_bad(&s, 0, "version 9");
}

static void test_alignment(void **state)
{
	uint8_t d[12] = { 0, 0, 0, 0, 1, AFB_KIND_STI, 5, 1, 64, 0, 0, 0 };
	struct afb_error err;
	struct seen seen;
	struct sec s = { .len = 0 };
	uint8_t *copy;

	(void)state;
	put_note(&s, "GNU", 5, "\1\2\3\4\5\6\7", 7, 8);
	put_note(&s, AFB_NOTE_NAME, AFB_NT_SITE, d, 12, 8);
	assert_int_equal(parse(&s, 8, &seen, &err), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.e[0].offset, 0x18);
	assert_int_equal(seen.e[0].field, 0x30);	/* name ends at 0x2e */
	/* an unaligned buffer, and a last note without tail padding */
	s.len = 0;
	put_site(&s, 0x100, AFB_KIND_STI, 5, 1, 64);
	copy = malloc(s.len + 1);
	assert_non_null(copy);
	memcpy(copy + 1, s.buf, s.len);
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = -1;
	assert_int_equal(afb_note_parse(copy + 1, s.len, 4, "x", collect, &seen, &err), 0);
	assert_int_equal(seen.e[0].site.site, 0x100);
	free(copy);
}

static void test_callback_stops(void **state)
{
	struct afb_error err;
	struct seen seen;
	struct sec s = { .len = 0 };

	(void)state;
	put_site(&s, 0, AFB_KIND_STI, 5, 1, 64);
	put_site(&s, 0, AFB_KIND_STI, 5, 1, 64);
	memset(&seen, 0, sizeof(seen));
	seen.stop_at = 1;
	assert_int_equal(afb_note_parse(s.buf, s.len, 4, "x", collect, &seen, &err),
			 -EINTR);
	assert_int_equal(seen.n, 1);
}

/* Random sections: the parser returns, reporting only in-bounds entries. */
static int in_bounds(void *ctx, const struct afb_note_entry *e,
		     struct afb_error *err)
{
	size_t size = *(size_t *)ctx;

	(void)err;
	assert_true(e->field + (e->type == AFB_NT_SITE ? 12 : 8) <= size);
	return 0;
}

static void test_random(void **state)
{
	struct afb_error err;
	struct sec good = { .len = 0 };
	uint8_t buf[256];
	unsigned int seed = 3, i, k;
	size_t size;

	(void)state;
	put_site(&good, 0, AFB_KIND_STI, 5, 1, 64);
	put_note(&good, "GNU", 1, "abcd", 4, 4);
	put_site(&good, 0, AFB_KIND_CLI, 7, 1, 64);
	for (i = 0; i < 100000; i++) {
		memcpy(buf, good.buf, good.len);
		for (k = 0; k < 1 + i % 8; k++)
			buf[rand_r(&seed) % good.len] = rand_r(&seed);
		size = rand_r(&seed) % (good.len + 1);
		afb_note_parse(buf, size, i & 1 ? 8 : 4, "r", in_bounds, &size, &err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_other_owners),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
