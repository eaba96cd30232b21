// SPDX-License-Identifier: MIT
/*
 * afb_decode(): a table-driven decoder for the sensitive instructions of
 * afterburn/sensitive.tbl, and nothing else.
 *
 * An instruction is: legacy prefixes (any order), a REX byte in 64-bit mode
 * (it counts only right before the opcode), one to three opcode bytes, then
 * what the matching afb_encodings[] row asks for: a ModRM byte with SIB
 * and displacement, and an immediate.  The decoder never reads past
 * @avail bytes nor past the architectural limit of 15.
 */
#include <errno.h>
#include <string.h>

#include "error.h"
#include "image.h"
#include "table.h"

#define REX_W	0x8
#define REX_R	0x4
#define REX_X	0x2
#define REX_B	0x1

/* A read position in the instruction bytes. */
struct cursor {
	const uint8_t *bytes;	/* first byte of the instruction */
	size_t avail;		/* bytes the caller lets us read */
	size_t pos;		/* next byte to read */
};

/* The legacy prefixes and REX seen in front of the opcode. */
struct prefixes {
	bool opsize;		/* 0x66 */
	bool addrsize;		/* 0x67 */
	bool lock;		/* 0xf0 */
	uint8_t rep;		/* the last of 0xf2/0xf3, 0 if none */
	int8_t segment;		/* the last segment override, -1 if none */
	uint8_t rex;		/* REX right before the opcode, 0 if none */
};

/* Out of bytes: -EILSEQ past the 15-byte limit, else -ENODATA. */
static int cursor_end(const struct cursor *c, size_t pos)
{
	if (pos >= AFB_INSN_MAX)
		return -EILSEQ;
	if (pos >= c->avail)
		return -ENODATA;
	return 0;
}

static int fetch(struct cursor *c, uint8_t *out)
{
	int ret = cursor_end(c, c->pos);

	if (ret)
		return ret;
	*out = c->bytes[c->pos++];
	return 0;
}

/* Read an @n-byte little-endian value. */
static int fetch_le(struct cursor *c, unsigned int n, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int i;
	uint8_t b;
	int ret;

	for (i = 0; i < n; i++) {
		ret = fetch(c, &b);
		if (ret)
			return ret;
		v |= (uint64_t)b << (8 * i);
	}
	*out = v;
	return 0;
}

static int64_t sign_extend(uint64_t v, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;

	return (int64_t)(v << shift) >> shift;
}

/* Record @b if it is a legacy prefix; false if it is not one. */
static bool legacy_prefix(uint8_t b, unsigned int mode, struct prefixes *p)
{
	static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	const uint8_t *s = memchr(segs, b, sizeof(segs));

	if (s) {
		/* In 64-bit mode only fs and gs overrides mean anything. */
		if (mode != 64 || b == 0x64 || b == 0x65)
			p->segment = (int8_t)(s - segs);
		return true;
	}
	switch (b) {
	case 0x66:
		p->opsize = true;
		return true;
	case 0x67:
		p->addrsize = true;
		return true;
	case 0xf0:
		p->lock = true;
		return true;
	case 0xf2:
	case 0xf3:
		p->rep = b;
		return true;
	}
	return false;
}

/*
 * Read the prefixes.  A REX byte followed by a legacy prefix is ignored,
 * as the CPU ignores it; only the REX right before the opcode counts.
 */
static int read_prefixes(struct cursor *c, unsigned int mode,
			 struct prefixes *p)
{
	uint8_t b;
	int ret;

	memset(p, 0, sizeof(*p));
	p->segment = -1;
	for (;;) {
		ret = cursor_end(c, c->pos);
		if (ret)
			return ret;
		b = c->bytes[c->pos];
		if (mode == 64 && (b & 0xf0) == 0x40)
			p->rex = b;
		else if (legacy_prefix(b, mode, p))
			p->rex = 0;
		else
			return 0;
		c->pos++;
	}
}

static uint8_t mode_bit(unsigned int mode)
{
	return mode == 16 ? AFB_MODE_16 : mode == 32 ? AFB_MODE_32 : AFB_MODE_64;
}

/*
 * A mandatory prefix must be there.  Without one, f2/f3 in front of a
 * 0f opcode select a different instruction (f3 0f 01 ca is not clac), so
 * such a form does not match; in front of a one-byte opcode they are rep.
 */
static bool prefix_ok(const struct afb_encoding *e, const struct prefixes *p)
{
	if (e->prefix == 0x66)
		return p->opsize && !p->rep;
	if (e->prefix)
		return p->rep == e->prefix;
	return e->opcode[0] != 0x0f || !p->rep;
}

static bool modrm_ok(const struct afb_encoding *e, uint8_t modrm)
{
	unsigned int mod = modrm >> 6;

	if (e->modrm_reg >= 0 && ((modrm >> 3) & 7) != (unsigned int)e->modrm_reg)
		return false;
	if (e->mod == AFB_MOD_MEM)
		return mod != 3;
	if (e->mod == AFB_MOD_REG)
		return mod == 3;
	return true;
}

/*
 * Does @e match the bytes at the cursor?  1 yes, 0 no, or a negative
 * errno if the bytes end before that can be told.
 */
static int match(const struct afb_encoding *e, const struct cursor *c,
		 unsigned int mode, const struct prefixes *p)
{
	size_t pos = c->pos;
	unsigned int i;
	int ret;

	if ((e->not64 && mode == 64) || !(afb_kinds[e->kind].modes & mode_bit(mode)))
		return 0;
	if (!prefix_ok(e, p))
		return 0;
	for (i = 0; i < e->opcode_len; i++, pos++) {
		ret = cursor_end(c, pos);
		if (ret)
			return ret == -EILSEQ ? 0 : ret;
		if (c->bytes[pos] != e->opcode[i])
			return 0;
	}
	if (!e->has_modrm)
		return 1;
	ret = cursor_end(c, pos);
	if (ret)
		return ret == -EILSEQ ? 0 : ret;
	return modrm_ok(e, c->bytes[pos]);
}

/*
 * Which of two matching rows the CPU decodes: the longer opcode (so the
 * fused "sti; hlt" wins over a lone sti), else the one with a mandatory
 * prefix (66 0f 01 cf is seamcall, not encls with an operand-size prefix).
 */
static bool better(const struct afb_encoding *e, const struct afb_encoding *best)
{
	if (!best || e->opcode_len != best->opcode_len)
		return !best || e->opcode_len > best->opcode_len;
	return e->prefix && !best->prefix;
}

/*
 * The row of afb_encodings[] that the bytes at the cursor are (see
 * better()), or NULL with *@ret set: -ENODATA if the bytes ended before a
 * row could be told, else -EILSEQ.
 */
static const struct afb_encoding *lookup(const struct cursor *c,
					 unsigned int mode,
					 const struct prefixes *p, int *ret)
{
	const struct afb_encoding *best = NULL;
	unsigned int i;
	int m;

	*ret = -EILSEQ;
	for (i = 0; i < afb_encoding_count; i++) {
		m = match(&afb_encodings[i], c, mode, p);
		if (m > 0 && better(&afb_encodings[i], best))
			best = &afb_encodings[i];
		else if (m < 0)
			*ret = m;
	}
	return best;
}

static uint8_t address_size(const struct prefixes *p, unsigned int mode)
{
	if (mode == 16)
		return p->addrsize ? 4 : 2;
	if (mode == 32)
		return p->addrsize ? 2 : 4;
	return p->addrsize ? 4 : 8;
}

/*
 * The operand size.  In 64-bit mode most of our instructions default to
 * 32 bits (iret, lret, far jmp/call: REX.W makes them 64); the stack ones
 * (pushf/popf, push/pop of a segment register) default to 64; mov to or
 * from a control or debug register always moves a full register.  The
 * port instructions report their access width (1 for the byte forms).
 */
static uint8_t operand_size(const struct afb_encoding *e,
			    const struct prefixes *p, unsigned int mode)
{
	bool small = (mode == 16) != (p->opsize && e->prefix != 0x66);

	switch (e->kind) {
	case AFB_KIND_MOV_CR:
	case AFB_KIND_MOV_DR:
		return mode == 64 ? 8 : 4;
	case AFB_KIND_IN:
	case AFB_KIND_OUT:
	case AFB_KIND_INS:
	case AFB_KIND_OUTS:
		return !(e->opcode[0] & 1) ? 1 : small ? 2 : 4;
	case AFB_KIND_PUSHF:
	case AFB_KIND_POPF:
	case AFB_KIND_PUSH_SEG:
	case AFB_KIND_POP_SEG:
		if (mode == 64)
			return (p->rex & REX_W) || !p->opsize ? 8 : 2;
		break;
	case AFB_KIND_INVPCID:
		return mode == 64 ? 8 : 4;
	}
	if (mode == 64 && (p->rex & REX_W))
		return 8;
	return small ? 2 : 4;
}

/* 16-bit addressing: [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp] [bx] */
static int modrm16(struct cursor *c, uint8_t modrm, struct afb_mem_operand *m)
{
	static const int8_t base[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
	static const int8_t index[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	unsigned int size = mod == 1 ? 1 : 2;
	uint64_t disp = 0;
	int ret = 0;

	m->base = base[rm];
	m->index = index[rm];
	if (mod == 0 && rm == 6)
		m->base = -1;
	else if (mod == 0)
		size = 0;
	if (size)
		ret = fetch_le(c, size, &disp);
	m->disp = sign_extend(disp, size ? size : 1);
	return ret;
}

/* The SIB byte of 32/64-bit addressing. */
static int sib(struct cursor *c, unsigned int mod, uint8_t rex,
	       struct afb_mem_operand *m)
{
	unsigned int index;
	uint8_t b;
	int ret = fetch(c, &b);

	if (ret)
		return ret;
	m->scale = 1 << (b >> 6);
	index = ((b >> 3) & 7) | (rex & REX_X ? 8 : 0);
	m->index = index == 4 ? -1 : (int8_t)index;
	m->base = (b & 7) | (rex & REX_B ? 8 : 0);
	if (mod == 0 && (b & 7) == 5)
		m->base = -1;
	return mod == 0 && (b & 7) == 5 ? 4 : 0;
}

/* 32/64-bit addressing: SIB, RIP-relative, disp8/disp32. */
static int modrm32(struct cursor *c, uint8_t modrm, const struct afb_insn *insn,
		   struct afb_mem_operand *m)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	unsigned int size = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	uint64_t disp = 0;
	int ret = 0;

	m->base = rm | (insn->rex & REX_B ? 8 : 0);
	if (rm == 4) {
		ret = sib(c, mod, insn->rex, m);
		if (ret < 0)
			return ret;
		size = size ? size : (unsigned int)ret;
	} else if (mod == 0 && rm == 5) {
		m->base = -1;
		m->rip_relative = insn->mode == 64;
		size = 4;
	}
	if (size)
		ret = fetch_le(c, size, &disp);
	m->disp = sign_extend(disp, size ? size : 1);
	return ret < 0 ? ret : 0;
}

static int decode_modrm(struct cursor *c, struct afb_insn *insn,
			int segment, bool reg_only)
{
	struct afb_mem_operand *m = &insn->mem;
	uint8_t modrm;
	int ret = fetch(c, &modrm);

	if (ret)
		return ret;
	insn->has_modrm = true;
	insn->mod = modrm >> 6;
	insn->reg = ((modrm >> 3) & 7) | (insn->rex & REX_R ? 8 : 0);
	insn->rm = modrm & 7;
	if (insn->mod == 3 || reg_only) {
		insn->rm |= insn->rex & REX_B ? 8 : 0;
		return 0;
	}
	insn->has_mem = true;
	m->scale = 1;
	m->index = -1;
	m->segment = segment;
	if (insn->addrsize == 2)
		return modrm16(c, modrm, m);
	return modrm32(c, modrm, insn, m);
}

/**
 * afb_decode_modrm - decode a ModRM byte and its SIB and displacement
 * @bytes, @avail: the instruction
 * @pos:   offset of the ModRM byte in @bytes
 * @insn:  mode, addrsize and rex set by the caller; ModRM fields filled in
 *
 * Used by the nop checker.  Returns the offset after the displacement, or
 * -ENODATA / -EILSEQ.
 */
int afb_decode_modrm(const uint8_t *bytes, size_t avail, size_t pos,
		     struct afb_insn *insn)
{
	struct cursor c = { .bytes = bytes, .avail = avail, .pos = pos };
	int ret = decode_modrm(&c, insn, -1, false);

	return ret ? ret : (int)c.pos;
}

static int decode_imm(struct cursor *c, enum afb_imm_rule rule,
		      struct afb_insn *insn)
{
	uint64_t sel;
	int ret;

	switch (rule) {
	case AFB_IMM_NONE:
		return 0;
	case AFB_IMM_8:
		ret = fetch_le(c, 1, &insn->imm);
		break;
	case AFB_IMM_16:
		ret = fetch_le(c, 2, &insn->imm);
		break;
	case AFB_IMM_Z:
		ret = fetch_le(c, insn->opsize == 2 ? 2 : 4, &insn->imm);
		break;
	case AFB_IMM_PTR:
		ret = fetch_le(c, insn->opsize == 2 ? 2 : 4, &insn->imm);
		if (!ret)
			ret = fetch_le(c, 2, &sel);
		insn->selector = ret ? 0 : (uint16_t)sel;
		break;
	default:
		return -EILSEQ;
	}
	insn->has_imm = true;
	return ret;
}

/*
 * ModRM.reg names a register the instruction cannot use: %cr1, %cr5-7,
 * %cr9-15, %dr8-15, a seventh or eighth segment register, or a mov to %cs.
 * The CPU raises #UD for those; they are no sensitive instruction.
 */
static bool bad_register(const struct afb_insn *insn)
{
	switch (insn->kind) {
	case AFB_KIND_MOV_CR:
		return insn->reg != 0 && (insn->reg < 2 || insn->reg > 4) &&
		       insn->reg != 8;
	case AFB_KIND_MOV_DR:
		return insn->reg > 7;
	case AFB_KIND_MOV_SEG:
		return (insn->reg & 7) > 5 ||
		       (insn->opcode[0] == 0x8e && (insn->reg & 7) == 1);
	}
	return false;
}

static void start_insn(struct afb_insn *insn, const struct afb_encoding *e,
		       const struct prefixes *p, unsigned int mode)
{
	memset(insn, 0, sizeof(*insn));
	insn->kind = e->kind;
	insn->mode = mode;
	insn->opsize = operand_size(e, p, mode);
	insn->addrsize = address_size(p, mode);
	insn->rep = p->rep;
	insn->rex = p->rex;
	memcpy(insn->opcode, e->opcode, sizeof(insn->opcode));
	insn->opcode_len = e->opcode_len;
	insn->mem.base = insn->mem.index = insn->mem.segment = -1;
}

/**
 * afb_decode - decode one sensitive instruction
 * @bytes: the instruction; at most @avail bytes are read
 * @avail: bytes available at @bytes
 * @mode:  16, 32 or 64
 * @insn:  filled in on success (left unspecified on failure)
 *
 * Returns the length, -EILSEQ if the bytes are not a sensitive instruction
 * of the table (or are longer than 15 bytes), -ENODATA if they end before
 * the instruction does, -EINVAL for a bad @mode.
 */
AFB_EXPORT int afb_decode(const uint8_t *bytes, size_t avail,
			  unsigned int mode, struct afb_insn *insn)
{
	struct cursor c = { .bytes = bytes, .avail = avail };
	const struct afb_encoding *e;
	struct prefixes p;
	int ret;

	if (mode != 16 && mode != 32 && mode != 64)
		return -EINVAL;
	if (!bytes || !insn)
		return -EINVAL;
	ret = read_prefixes(&c, mode, &p);
	if (ret)
		return ret;
	e = lookup(&c, mode, &p, &ret);
	if (!e)
		return ret;
	if (p.lock)
		return -EILSEQ;
	start_insn(insn, e, &p, mode);
	c.pos += e->opcode_len;
	if (e->has_modrm) {
		ret = decode_modrm(&c, insn, p.segment,
				   e->kind == AFB_KIND_MOV_CR ||
				   e->kind == AFB_KIND_MOV_DR);
		if (ret)
			return ret;
	}
	ret = decode_imm(&c, e->imm, insn);
	if (ret)
		return ret;
	if (bad_register(insn))
		return -EILSEQ;
	insn->len = c.pos;
	return c.pos;
}
