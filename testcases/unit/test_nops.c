// SPDX-License-Identifier: MIT
/*
 * Padding: afb_fill_nops() writes nops objdump agrees are nops in every
 * mode, and the checker (afb_nops_valid) accepts what GAS's .nops writes
 * for 1..15 bytes in .code16/.code32/.code64 under --32 and --64, and
 * rejects what is not a nop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "image.h"

static const unsigned int modes[] = { 16, 32, 64 };

static void test_fill_valid(void **state)
{
	uint8_t buf[300];
	size_t len, i;

	(void)state;
	for (i = 0; i < 3; i++)
		for (len = 0; len <= 255; len++) {
			memset(buf, 0xcc, sizeof(buf));
			afb_fill_nops(buf, len, modes[i]);
			assert_true(afb_nops_valid(buf, len, modes[i]));
			assert_int_equal(buf[len], 0xcc);	/* no overrun */
		}
}

/* objdump -b binary on the fills: nothing but nop, xchg and lea. */
static void test_fill_objdump(void **state)
{
	char path[512], line[1024];
	uint8_t buf[4096];
	size_t len, used, i;
	FILE *p;

	(void)state;
	for (i = 0; i < 3; i++) {
		used = 0;
		for (len = 1; len <= 40; len++) {
			afb_fill_nops(buf + used, len, modes[i]);
			used += len;
		}
		snprintf(path, sizeof(path), "%s/fill%u.bin", util_tmpdir(), modes[i]);
		util_write_file(path, buf, used);
		snprintf(line, sizeof(line), "objdump -D -w -b binary -m %s '%s'",
			 modes[i] == 16 ? "i8086" : modes[i] == 32 ? "i386" : "i386:x86-64",
			 path);
		p = popen(line, "r");
		assert_non_null(p);
		while (fgets(line, sizeof(line), p)) {
			char *insn = strrchr(line, '\t');

			if (!strstr(line, ":\t") || !insn)
				continue;
			if (strncmp(insn + 1, "nop", 3) && strncmp(insn + 1, "xchg", 4) &&
			    strncmp(insn + 1, "lea", 3))
				fail_msg("%u-bit fill: %s", modes[i], line);
			if (!strncmp(insn + 1, "lea", 3) && modes[i] != 16)
				fail_msg("%u-bit fill uses lea: %s", modes[i], line);
		}
		pclose(p);
	}
}

/* What GAS's .nops N writes, in every mode and object class. */
static void check_gas(const char *as_flags, unsigned int mode)
{
	char text[4096], name[64];
	size_t used = 0, size, off = 0;
	unsigned int n;
	uint8_t *bytes;
	char *obj;

	used += snprintf(text + used, sizeof(text) - used, "\t.code%u\n", mode);
	for (n = 1; n <= 15; n++)
		used += snprintf(text + used, sizeof(text) - used, "\t.nops %u\n", n);
	snprintf(name, sizeof(name), "nops%u%s", mode, as_flags + 2);
	obj = util_assemble_text(name, text, as_flags);
	bytes = util_section(obj, ".text", &size, NULL, NULL);
	assert_int_equal(size, 15 * 16 / 2);
	for (n = 1; n <= 15; n++) {
		if (!afb_nops_valid(bytes + off, n, mode))
			fail_msg("%s .code%u: .nops %u rejected", as_flags, mode, n);
		off += n;
	}
	free(bytes);
	free(obj);
}

static void test_gas_nops(void **state)
{
	(void)state;
	check_gas("--64", 64);
	check_gas("--64", 32);
	check_gas("--64", 16);
	check_gas("--32", 32);
	check_gas("--32", 16);
	check_gas("--32 -march=i686", 32);
	check_gas("--32 -march=i686", 16);
}

#define BAD(mode, ...) do {						\
	static const uint8_t b[] = { __VA_ARGS__ };			\
	assert_false(afb_nops_valid(b, sizeof(b), mode));		\
} while (0)

#define GOOD(mode, ...) do {						\
	static const uint8_t b[] = { __VA_ARGS__ };			\
	assert_true(afb_nops_valid(b, sizeof(b), mode));		\
} while (0)

static void test_checker(void **state)
{
	(void)state;
	GOOD(64, 0x90);
	GOOD(64, 0x48, 0x90);			/* rex.W nop */
	GOOD(64, 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0);
	GOOD(64, 0x0f, 0x1f, 0x05, 1, 2, 3, 4);	/* nopl rip-relative */
	GOOD(16, 0x0f, 0x1f, 0x06, 0x34, 0x12);	/* nopw 0x1234 */
	GOOD(32, 0x89, 0xf6);			/* mov %esi,%esi */
	GOOD(16, 0xeb, 0x02, 0x66, 0x90);	/* jmp over a nop */
	GOOD(64, 0x67, 0x0f, 0x1f, 0x00);
	BAD(64, 0xcc);
	BAD(64, 0xf3, 0x90);			/* pause */
	BAD(64, 0xf0, 0x90);			/* lock: #UD */
	BAD(64, 0x41, 0x90);			/* xchg %eax,%r8d */
	BAD(64, 0x8d, 0x74, 0x26, 0x00);	/* lea in 64-bit clobbers */
	BAD(64, 0x89, 0xf6);			/* mov %esi,%esi zero-extends */
	BAD(32, 0x8d, 0x76, 0x01);		/* lea 1(%esi),%esi */
	BAD(32, 0x8d, 0x74, 0x4e, 0x00);	/* has an index */
	BAD(16, 0x8d, 0x76, 0x00);		/* lea 0(%bp),%si */
	BAD(32, 0x0f, 0x1f, 0xc8);		/* 0f 1f /1 */
	BAD(64, 0x0f, 0x1f, 0x44, 0x00);	/* cut short */
	BAD(64, 0x0f, 0x1f);
	BAD(16, 0xeb, 0x05, 0x90);		/* jumps past the end */
	BAD(16, 0xeb, 0x01, 0x66, 0x90);	/* into an instruction */
	BAD(32, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90);	/* 16 bytes */
	assert_true(afb_nops_valid(NULL, 0, 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_valid),
		cmocka_unit_test(test_fill_objdump),
		cmocka_unit_test(test_gas_nops),
		cmocka_unit_test(test_checker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
