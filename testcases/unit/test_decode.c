// SPDX-License-Identifier: MIT
/*
 * afb_decode(): every kind in every mode against GNU as (the fixtures
 * decode{16,32,64}.s record each instruction's length and kind), objdump
 * agreeing on the boundaries, operand fields, prefixes and REX, the 15-byte
 * limit, truncated input, and bytes that are no sensitive instruction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* One instruction of a fixture: where it is and what GAS says it is. */
struct fixture_insn {
	size_t offset;			/* in .text */
	unsigned int len;		/* bytes, from GAS */
	int kind;			/* expected kind, 0 for "none" */
};

struct fixture {
	char *obj;			/* the assembled object */
	uint8_t *text;			/* its .text */
	size_t text_size;
	struct fixture_insn insn[512];
	size_t nr;
	unsigned int mode;
};

static void load_fixture(struct fixture *f, const char *file,
			 const char *as_flags, unsigned int mode)
{
	size_t lens_size, pos = 0, off = 0;
	uint8_t *lens;
	const char *name;

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->obj = util_assemble_fixture(file, as_flags);
	f->text = util_section(f->obj, ".text", &f->text_size, NULL, NULL);
	lens = util_section(f->obj, ".lens", &lens_size, NULL, NULL);
	while (pos < lens_size) {
		assert_true(f->nr < 512);
		f->insn[f->nr].offset = off;
		f->insn[f->nr].len = lens[pos++];
		name = (const char *)lens + pos;
		pos += strlen(name) + 1;
		f->insn[f->nr].kind = strcmp(name, "none") ? afb_kind_from_name(name) : 0;
		if (f->insn[f->nr].kind < 0)
			fail_msg("%s: unknown kind %s", file, name);
		off += f->insn[f->nr++].len;
	}
	assert_int_equal(off, f->text_size);
	free(lens);
}

static void free_fixture(struct fixture *f)
{
	free(f->obj);
	free(f->text);
}

static void dump(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

/* Decode one fixture instruction; check length, kind, truncation. */
static void check_insn(const struct fixture *f, const struct fixture_insn *fi)
{
	const uint8_t *p = f->text + fi->offset;
	struct afb_insn insn;
	unsigned int k;
	int n = afb_decode(p, f->text_size - fi->offset, f->mode, &insn);

	if (!fi->kind) {
		if (n != -EILSEQ) {
			fprintf(stderr, "%u-bit: not sensitive, decoded as %d:", f->mode, n);
			dump(p, fi->len);
		}
		assert_int_equal(n, -EILSEQ);
		return;
	}
	if (n != (int)fi->len || (int)insn.kind != fi->kind) {
		fprintf(stderr, "%u-bit %s: got %d kind %u, want %u:", f->mode,
			afb_kind_name(fi->kind), n, n > 0 ? insn.kind : 0, fi->len);
		dump(p, fi->len);
	}
	assert_int_equal(n, fi->len);
	assert_int_equal(insn.kind, fi->kind);
	assert_int_equal(insn.len, fi->len);
	assert_int_equal(insn.mode, f->mode);
	/* Cut short, it is incomplete; only a fused kind (sti_hlt) can
	 * leave a shorter instruction (sti) of another kind behind. */
	for (k = 0; k < fi->len; k++) {
		int r = afb_decode(p, k, f->mode, &insn);

		if (r != -ENODATA) {
			assert_in_range(r, 1, k);
			assert_int_not_equal(insn.kind, fi->kind);
		}
	}
}

/* Kinds of the Linux 6.12 additions that exist in 64-bit code only. */
static bool only_64(unsigned int kind)
{
	static const unsigned int kinds[] = {
		AFB_KIND_ERETS, AFB_KIND_ERETU, AFB_KIND_LKGS,
		AFB_KIND_RDMSRLIST, AFB_KIND_WRMSRLIST, AFB_KIND_SEAMCALL,
		AFB_KIND_SEAMRET, AFB_KIND_SEAMOPS, AFB_KIND_UIRET,
		AFB_KIND_SENDUIPI, AFB_KIND_CLUI, AFB_KIND_STUI,
		AFB_KIND_TESTUI, AFB_KIND_RMPADJUST, AFB_KIND_RMPUPDATE,
		AFB_KIND_PSMASH,
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i] == kind)
			return true;
	return false;
}

/* ... and in 32-bit and 64-bit code, not in 16-bit code. */
static bool only_32_64(unsigned int kind)
{
	return kind == AFB_KIND_TDCALL || kind == AFB_KIND_SETSSBSY ||
	       kind == AFB_KIND_CLRSSBSY || kind == AFB_KIND_WRUSS ||
	       kind == AFB_KIND_ENQCMDS;
}

/* Every kind that exists in @mode appears in the fixture. */
static void check_coverage(const struct fixture *f)
{
	bool seen[AFB_KIND_MAX + 1] = { false };
	struct afb_insn insn;
	unsigned int kind;
	size_t i;

	for (i = 0; i < f->nr; i++)
		seen[f->insn[i].kind] = true;
	for (kind = 1; kind <= AFB_KIND_MAX; kind++) {
		if (seen[kind] || !afb_kind_name(kind))
			continue;
		/* Kinds missing from a mode's fixture must not exist there. */
		if ((f->mode == 64 && (kind == AFB_KIND_INTO ||
				       kind == AFB_KIND_ARPL)) ||
		    (f->mode != 64 && kind >= AFB_KIND_RDFSBASE &&
		     kind <= AFB_KIND_WRGSBASE) ||
		    (f->mode != 64 && kind == AFB_KIND_SWAPGS) ||
		    (f->mode == 16 && (kind == AFB_KIND_INVPCID ||
				       kind == AFB_KIND_SYSRET ||
				       kind == AFB_KIND_SYSEXIT ||
				       kind == AFB_KIND_XSAVES ||
				       kind == AFB_KIND_XRSTORS)) ||
		    (f->mode != 64 && only_64(kind)) ||
		    (f->mode == 16 && only_32_64(kind)))
			continue;
		fail_msg("%u-bit fixture lacks kind %s", f->mode, afb_kind_name(kind));
	}
	(void)insn;
}

/* objdump -d must see the same instruction boundaries. */
static void check_objdump(const struct fixture *f)
{
	char cmd[2048], line[512];
	size_t i = 0, addr;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "objdump -d -w -j .text %s '%s'",
		 f->mode == 16 ? "-Mi8086" : f->mode == 32 ? "-Mi386" : "", f->obj);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, " %zx:\t", &addr) != 1 || !strchr(line, '\t'))
			continue;
		while (i < f->nr && f->insn[i].offset < addr)
			i++;
		/* objdump may split an instruction (prefix lines), never merge. */
		if (i < f->nr && f->insn[i].offset == addr)
			i++;
	}
	pclose(p);
	assert_int_equal(i, f->nr);
}

static void run_fixture(const char *file, const char *flags, unsigned int mode)
{
	struct fixture f;
	size_t i;

	load_fixture(&f, file, flags, mode);
	for (i = 0; i < f.nr; i++)
		check_insn(&f, &f.insn[i]);
	check_coverage(&f);
	check_objdump(&f);
	free_fixture(&f);
}

static void test_fixture_64(void **state)
{
	(void)state;
	run_fixture("decode64.s", "--64", 64);
}

static void test_fixture_32(void **state)
{
	(void)state;
	run_fixture("decode32.s", "--32", 32);
}

static void test_fixture_16(void **state)
{
	(void)state;
	run_fixture("decode16.s", "--32", 16);
}

static struct afb_insn decode_ok(const char *bytes, size_t n, unsigned int mode,
				 unsigned int kind)
{
	struct afb_insn insn;
	int ret = afb_decode((const uint8_t *)bytes, n, mode, &insn);

	if (ret != (int)n)
		dump((const uint8_t *)bytes, n);
	assert_int_equal(ret, n);
	assert_int_equal(insn.kind, kind);
	return insn;
}

static void decode_bad(const char *bytes, size_t n, unsigned int mode, int want)
{
	struct afb_insn insn;

	assert_int_equal(afb_decode((const uint8_t *)bytes, n, mode, &insn), want);
}

static void test_ports(void **state)
{
	struct afb_insn i;

	(void)state;
	i = decode_ok("\xe4\x60", 2, 64, AFB_KIND_IN);
	assert_true(i.has_imm);
	assert_int_equal(i.imm, 0x60);
	assert_int_equal(i.opsize, 1);
	i = decode_ok("\x66\xed", 2, 32, AFB_KIND_IN);
	assert_int_equal(i.opsize, 2);
	assert_false(i.has_imm);
	i = decode_ok("\xed", 1, 16, AFB_KIND_IN);
	assert_int_equal(i.opsize, 2);
	i = decode_ok("\x48\xef", 2, 64, AFB_KIND_OUT);
	assert_int_equal(i.opsize, 4);	/* REX.W does not widen port I/O */
	i = decode_ok("\xf3\x6c", 2, 32, AFB_KIND_INS);
	assert_int_equal(i.rep, 0xf3);
	assert_int_equal(i.opsize, 1);
	i = decode_ok("\xf3\x67\x6f", 3, 64, AFB_KIND_OUTS);
	assert_int_equal(i.addrsize, 4);
	assert_int_equal(i.opsize, 4);
	i = decode_ok("\xcd\x80", 2, 32, AFB_KIND_INT);
	assert_int_equal(i.imm, 0x80);
}

static void test_control_registers(void **state)
{
	struct afb_insn i;

	(void)state;
	i = decode_ok("\x0f\x22\xd8", 3, 32, AFB_KIND_MOV_CR);	/* %eax -> %cr3 */
	assert_int_equal(i.reg, 3);
	assert_int_equal(i.rm, 0);
	assert_int_equal(i.opsize, 4);
	assert_false(i.has_mem);
	i = decode_ok("\x44\x0f\x20\xc7", 4, 64, AFB_KIND_MOV_CR); /* %cr8 -> %rdi */
	assert_int_equal(i.reg, 8);
	assert_int_equal(i.rm, 7);
	assert_int_equal(i.opsize, 8);
	assert_int_equal(i.rex, 0x44);
	/* mod is ignored: 0f 20 00 is mov %cr0,%eax, no displacement */
	i = decode_ok("\x0f\x20\x40", 3, 32, AFB_KIND_MOV_CR);
	assert_false(i.has_mem);
	i = decode_ok("\x41\x0f\x23\xfb", 4, 64, AFB_KIND_MOV_DR); /* %r11 -> %db7 */
	assert_int_equal(i.reg, 7);
	assert_int_equal(i.rm, 11);
	decode_bad("\x0f\x20\xc8", 3, 32, -EILSEQ);	/* %cr1 */
	decode_bad("\x0f\x22\xe8", 3, 64, -EILSEQ);	/* %cr5 */
	decode_bad("\x44\x0f\x21\xc0", 4, 64, -EILSEQ);	/* %db8 */
	decode_bad("\x8e\xc8", 2, 32, -EILSEQ);		/* mov %eax,%cs */
	decode_bad("\x8c\xf0", 2, 32, -EILSEQ);		/* segment register 6 */
}

static void test_memory_operands(void **state)
{
	struct afb_insn i;

	(void)state;
	i = decode_ok("\x0f\x01\x15\x10\x00\x00\x00", 7, 64, AFB_KIND_LGDT);
	assert_true(i.has_mem);
	assert_true(i.mem.rip_relative);
	assert_int_equal(i.mem.base, -1);
	assert_int_equal(i.mem.disp, 0x10);
	i = decode_ok("\x0f\x01\x15\x10\x00\x00\x00", 7, 32, AFB_KIND_LGDT);
	assert_false(i.mem.rip_relative);	/* absolute in 32-bit code */
	i = decode_ok("\x0f\x01\x54\x8b\xf0", 5, 32, AFB_KIND_LGDT);
	assert_int_equal(i.mem.base, 3);
	assert_int_equal(i.mem.index, 1);
	assert_int_equal(i.mem.scale, 4);
	assert_int_equal(i.mem.disp, -16);
	i = decode_ok("\x43\x0f\x01\x3c\x6e", 5, 64, AFB_KIND_INVLPG); /* (%r14,%r13,2) */
	assert_int_equal(i.mem.base, 14);
	assert_int_equal(i.mem.index, 13);
	assert_int_equal(i.mem.scale, 2);
	i = decode_ok("\x0f\x01\x3c\x25\x00\x10\x00\x00", 8, 64, AFB_KIND_INVLPG);
	assert_int_equal(i.mem.base, -1);	/* SIB without base: disp32 */
	assert_int_equal(i.mem.index, -1);
	assert_int_equal(i.mem.disp, 0x1000);
	i = decode_ok("\x0f\x01\x16\x34\x12", 5, 16, AFB_KIND_LGDT);
	assert_int_equal(i.addrsize, 2);
	assert_int_equal(i.mem.base, -1);
	assert_int_equal(i.mem.disp, 0x1234);
	i = decode_ok("\x0f\x01\x50\xfe", 4, 16, AFB_KIND_LGDT); /* -2(%bx,%si) */
	assert_int_equal(i.mem.base, 3);
	assert_int_equal(i.mem.index, 6);
	assert_int_equal(i.mem.disp, -2);
	i = decode_ok("\x67\x0f\x01\x10", 4, 16, AFB_KIND_LGDT); /* (%eax) */
	assert_int_equal(i.addrsize, 4);
	assert_int_equal(i.mem.base, 0);
	i = decode_ok("\x64\x0f\x01\x38", 4, 64, AFB_KIND_INVLPG);
	assert_int_equal(i.mem.segment, 4);
	i = decode_ok("\x26\x0f\x01\x38", 4, 64, AFB_KIND_INVLPG);
	assert_int_equal(i.mem.segment, -1);	/* es: means nothing in 64-bit */
	i = decode_ok("\x26\x0f\x01\x38", 4, 32, AFB_KIND_INVLPG);
	assert_int_equal(i.mem.segment, 0);
	decode_bad("\x0f\x01\xd6", 3, 64, -EILSEQ);	/* lgdt needs memory */
}

static void test_far_pointers(void **state)
{
	struct afb_insn i;

	(void)state;
	i = decode_ok("\xea\x78\x56\x34\x12\x08\x00", 7, 32, AFB_KIND_FAR_JMP);
	assert_int_equal(i.imm, 0x12345678);
	assert_int_equal(i.selector, 8);
	i = decode_ok("\xea\x34\x12\x08\x00", 5, 16, AFB_KIND_FAR_JMP);
	assert_int_equal(i.imm, 0x1234);
	i = decode_ok("\x66\xea\x78\x56\x34\x12\x10\x00", 8, 16, AFB_KIND_FAR_JMP);
	assert_int_equal(i.selector, 0x10);
	decode_bad("\xea\x78\x56\x34\x12\x08\x00", 7, 64, -EILSEQ);
	decode_bad("\x9a\x78\x56\x34\x12\x08\x00", 7, 64, -EILSEQ);
	i = decode_ok("\xca\x08\x00", 3, 64, AFB_KIND_FAR_RET);
	assert_int_equal(i.imm, 8);
	assert_int_equal(i.opsize, 4);
}

static void test_operand_size(void **state)
{
	struct afb_insn i;

	(void)state;
	assert_int_equal(decode_ok("\xcf", 1, 64, AFB_KIND_IRET).opsize, 4);
	assert_int_equal(decode_ok("\x48\xcf", 2, 64, AFB_KIND_IRET).opsize, 8);
	assert_int_equal(decode_ok("\x66\xcf", 2, 64, AFB_KIND_IRET).opsize, 2);
	assert_int_equal(decode_ok("\xcf", 1, 16, AFB_KIND_IRET).opsize, 2);
	assert_int_equal(decode_ok("\x66\xcf", 2, 16, AFB_KIND_IRET).opsize, 4);
	assert_int_equal(decode_ok("\x9c", 1, 64, AFB_KIND_PUSHF).opsize, 8);
	assert_int_equal(decode_ok("\x66\x9c", 2, 64, AFB_KIND_PUSHF).opsize, 2);
	assert_int_equal(decode_ok("\x0f\xa0", 2, 64, AFB_KIND_PUSH_SEG).opsize, 8);
	assert_int_equal(decode_ok("\x66\x0f\xa9", 3, 64, AFB_KIND_POP_SEG).opsize, 2);
	assert_int_equal(decode_ok("\x0f\xa0", 2, 32, AFB_KIND_PUSH_SEG).opsize, 4);
	assert_int_equal(decode_ok("\xff\x28", 2, 64, AFB_KIND_FAR_JMP).opsize, 4);
	assert_int_equal(decode_ok("\x48\xff\x28", 3, 64, AFB_KIND_FAR_JMP).opsize, 8);
	assert_int_equal(decode_ok("\x48\x0f\x07", 3, 64, AFB_KIND_SYSRET).opsize, 8);
	assert_int_equal(decode_ok("\x0f\x07", 2, 64, AFB_KIND_SYSRET).opsize, 4);
	/* a REX followed by a legacy prefix is ignored */
	i = decode_ok("\x48\x66\xcf", 3, 64, AFB_KIND_IRET);
	assert_int_equal(i.rex, 0);
	assert_int_equal(i.opsize, 2);
	/* 0x48 is dec %eax in 32-bit code, not a REX */
	decode_bad("\x48\xcf", 2, 32, -EILSEQ);
	/* invpcid's 66 is mandatory, not an operand size override */
	i = decode_ok("\x66\x0f\x38\x82\x18", 5, 64, AFB_KIND_INVPCID);
	assert_int_equal(i.opsize, 8);
	assert_int_equal(i.opcode_len, 3);
}

static void test_prefix_limit(void **state)
{
	uint8_t buf[32];
	struct afb_insn i;

	(void)state;
	memset(buf, 0x2e, sizeof(buf));
	buf[14] = 0xfa;		/* 14 prefixes + cli = 15 bytes */
	assert_int_equal(afb_decode(buf, 15, 32, &i), 15);
	assert_int_equal(afb_decode(buf, sizeof(buf), 64, &i), 15);
	memset(buf, 0x66, sizeof(buf));
	buf[15] = 0xfa;		/* 16 bytes: #GP, not an instruction */
	assert_int_equal(afb_decode(buf, sizeof(buf), 32, &i), -EILSEQ);
	memset(buf, 0x40, sizeof(buf));	/* REX only, past the limit */
	assert_int_equal(afb_decode(buf, sizeof(buf), 64, &i), -EILSEQ);
	memset(buf, 0x66, sizeof(buf));
	buf[12] = 0xea;		/* the immediate ends past byte 15 */
	assert_int_equal(afb_decode(buf, sizeof(buf), 32, &i), -EILSEQ);
	assert_int_equal(afb_decode(buf, 14, 32, &i), -ENODATA);
}

static void test_not_sensitive(void **state)
{
	(void)state;
	decode_bad("\x90", 1, 64, -EILSEQ);
	decode_bad("\xf3\x90", 2, 32, -EILSEQ);		/* pause */
	decode_bad("\xf3\x0f\x01\xca", 4, 32, -EILSEQ);	/* eretu: 64 only */
	decode_bad("\xf0\xfa", 2, 32, -EILSEQ);		/* lock cli: #UD */
	decode_bad("\x0f\x01\xf8", 3, 32, -EILSEQ);	/* swapgs: 64-bit only */
	decode_bad("\xf3\x0f\xae\xc0", 4, 32, -EILSEQ);	/* rdfsbase: 64 only */
	decode_bad("\x0f\xae\xc0", 3, 64, -EILSEQ);	/* no mandatory f3 */
	decode_bad("\xf3\x0f\xae\x00", 4, 64, -EILSEQ);	/* memory form */
	decode_bad("\xce", 1, 64, -EILSEQ);		/* into */
	decode_bad("\x06", 1, 64, -EILSEQ);		/* push %es */
	decode_bad("\xc5\xf8\x77", 3, 64, -EILSEQ);	/* VEX vzeroupper */
	decode_bad("\xc5\xf8\x77", 3, 32, -EILSEQ);	/* VEX in 32-bit too */
	decode_bad("\x66\x0f\x38\x82\xc0", 5, 64, -EILSEQ); /* invpcid reg */
	decode_bad("\x0f\x38\x82\x00", 4, 64, -EILSEQ);	/* no 66 */
	decode_bad("\x0f\xc7\x20", 3, 64, -EILSEQ);	/* xsavec, not xsaves */
}

/*
 * A mandatory prefix selects the instruction, as the CPU decodes it: f2 and
 * f3 in front of 0f 01 ca make erets and eretu, not clac (Linux writes them
 * as .byte); the last of f2/f3 counts; a 66 that is mandatory for one
 * instruction wins over an operand-size 66 in front of another (66 0f 01
 * cf is seamcall, 0f 01 cf encls).
 */
static void test_mandatory_prefixes(void **state)
{
	struct afb_insn i;

	(void)state;
	decode_ok("\x0f\x01\xca", 3, 64, AFB_KIND_CLAC);
	decode_ok("\xf2\x0f\x01\xca", 4, 64, AFB_KIND_ERETS);
	decode_ok("\xf3\x0f\x01\xca", 4, 64, AFB_KIND_ERETU);
	decode_ok("\xf2\xf3\x0f\x01\xca", 5, 64, AFB_KIND_ERETU);
	decode_ok("\xf3\xf2\x0f\x01\xca", 5, 64, AFB_KIND_ERETS);
	decode_ok("\x0f\x01\xc6", 3, 64, AFB_KIND_WRMSRNS);
	decode_ok("\xf2\x0f\x01\xc6", 4, 64, AFB_KIND_RDMSRLIST);
	decode_ok("\xf3\x0f\x01\xc6", 4, 64, AFB_KIND_WRMSRLIST);
	decode_ok("\x0f\x01\xcf", 3, 64, AFB_KIND_ENCLS);
	decode_ok("\x66\x0f\x01\xcf", 4, 64, AFB_KIND_SEAMCALL);
	decode_ok("\x66\x0f\x01\xcc", 4, 64, AFB_KIND_TDCALL);
	decode_ok("\x0f\x01\xe8", 3, 64, AFB_KIND_SERIALIZE);
	decode_ok("\xf3\x0f\x01\xe8", 4, 64, AFB_KIND_SETSSBSY);
	decode_ok("\x0f\x09", 2, 64, AFB_KIND_WBINVD);
	decode_ok("\xf3\x0f\x09", 3, 64, AFB_KIND_WBNOINVD);
	decode_ok("\x0f\x01\xfe", 3, 64, AFB_KIND_INVLPGB);
	decode_ok("\xf3\x0f\x01\xfe", 4, 64, AFB_KIND_RMPADJUST);
	decode_ok("\xf2\x0f\x01\xfe", 4, 64, AFB_KIND_RMPUPDATE);
	decode_ok("\xf2\x0f\x01\xff", 4, 32, AFB_KIND_PVALIDATE);
	i = decode_ok("\xf2\x0f\x00\xf7", 4, 64, AFB_KIND_LKGS);
	assert_int_equal(i.rm, 7);			/* lkgs %di */
	decode_ok("\xf3\x0f\x3a\xf0\xc0\x01", 6, 64, AFB_KIND_HRESET);
	decode_ok("\xf3\x0f\xc7\xf0", 4, 64, AFB_KIND_SENDUIPI);
	decode_bad("\xf3\x0f\xc7\xf8", 4, 64, -EILSEQ);	/* rdpid */
	decode_bad("\xf2\x0f\x01\xca", 4, 32, -EILSEQ);	/* erets: 64 only */
	decode_bad("\xf2\x0f\x00\xd0", 4, 64, -EILSEQ);	/* f2 0f 00 /2: no lldt */
	decode_bad("\x66\x0f\x01\xcd", 3, 64, -ENODATA);
}

static void test_bad_arguments(void **state)
{
	struct afb_insn i;

	(void)state;
	assert_int_equal(afb_decode((const uint8_t *)"\xfa", 1, 8, &i), -EINVAL);
	assert_int_equal(afb_decode((const uint8_t *)"\xfa", 1, 0, &i), -EINVAL);
	assert_int_equal(afb_decode((const uint8_t *)"\xfa", 0, 64, &i), -ENODATA);
	assert_int_equal(afb_decode((const uint8_t *)"\x66", 1, 64, &i), -ENODATA);
	assert_int_equal(afb_decode((const uint8_t *)"\x0f", 1, 64, &i), -ENODATA);
	assert_int_equal(afb_decode((const uint8_t *)"\x0f\x01", 2, 64, &i), -ENODATA);
}

/* Random bytes: never a crash, never a length past @avail or 15. */
static void test_random(void **state)
{
	uint8_t buf[20];
	struct afb_insn insn;
	unsigned int seed = 1, iter, k, modes[] = { 16, 32, 64 };
	int n;

	(void)state;
	for (iter = 0; iter < 200000; iter++) {
		for (k = 0; k < sizeof(buf); k++)
			buf[k] = rand_r(&seed);
		if (iter & 1)
			buf[0] = 0x0f;
		k = rand_r(&seed) % sizeof(buf);
		n = afb_decode(buf, k, modes[iter % 3], &insn);
		assert_true(n == -EILSEQ || n == -ENODATA || (n > 0 && n <= (int)k && n <= 15));
		if (n > 0)
			assert_int_equal(insn.len, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_64),
		cmocka_unit_test(test_fixture_32),
		cmocka_unit_test(test_fixture_16),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_control_registers),
		cmocka_unit_test(test_memory_operands),
		cmocka_unit_test(test_far_pointers),
		cmocka_unit_test(test_operand_size),
		cmocka_unit_test(test_prefix_limit),
		cmocka_unit_test(test_not_sensitive),
		cmocka_unit_test(test_mandatory_prefixes),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
