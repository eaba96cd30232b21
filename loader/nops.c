// SPDX-License-Identifier: MIT
/*
 * Padding: writing the recommended multi-byte nops, and checking that the
 * padding of a site is nothing but nops.
 *
 * 32- and 64-bit code gets the nops of the Intel SDM (NOP, 66 NOP and the
 * 0f 1f /0 forms, up to 9 bytes; longer padding repeats them).  16-bit
 * code gets what GAS's .nops writes there: 90, 66 90 and lea 0(%si),%si
 * in 3 and 4 bytes, because 0f 1f needs a P6 and a SIB byte does not
 * exist in 16-bit addressing.
 */
#include <string.h>

#include "error.h"
#include "image.h"

static const uint8_t nops_p6[9][9] = {
	{ 0x90 },
	{ 0x66, 0x90 },
	{ 0x0f, 0x1f, 0x00 },
	{ 0x0f, 0x1f, 0x40, 0x00 },
	{ 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	{ 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
	{ 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

static const uint8_t nops_16[4][4] = {
	{ 0x90 },
	{ 0x66, 0x90 },
	{ 0x8d, 0x74, 0x00 },		/* lea 0(%si),%si */
	{ 0x8d, 0xb4, 0x00, 0x00 },	/* lea 0x0000(%si),%si */
};

/**
 * afb_fill_nops - fill @len bytes at @buf with nops for @mode
 * @buf:  where to write; @len bytes must be writable
 * @len:  bytes to fill; any length, longer fills repeat the longest nop
 * @mode: 16, 32 or 64 (anything else is treated as 32)
 *
 * The result is a sequence of whole instructions: executing any prefix
 * of it that ends on an instruction boundary does nothing.
 */
AFB_EXPORT void afb_fill_nops(uint8_t *buf, size_t len, unsigned int mode)
{
	size_t max = mode == 16 ? 4 : 9;
	size_t n;

	while (len) {
		n = len < max ? len : max;
		if (mode == 16)
			memcpy(buf, nops_16[n - 1], n);
		else
			memcpy(buf, nops_p6[n - 1], n);
		buf += n;
		len -= n;
	}
}

/* The prefixes in front of a nop's opcode. */
struct nop_prefixes {
	size_t len;		/* prefix bytes */
	bool only_66;		/* no prefix but 0x66 (and REX) */
	bool addr67;		/* 0x67 seen */
	uint8_t rex;		/* REX right before the opcode */
};

static void nop_prefixes(const uint8_t *b, size_t avail, unsigned int mode,
			 struct nop_prefixes *p)
{
	static const uint8_t others[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x67 };

	memset(p, 0, sizeof(*p));
	p->only_66 = true;
	for (; p->len < avail && p->len < AFB_INSN_MAX; p->len++) {
		if (mode == 64 && (b[p->len] & 0xf0) == 0x40) {
			p->rex = b[p->len];
			continue;
		}
		if (b[p->len] != 0x66 && !memchr(others, b[p->len], sizeof(others)))
			return;
		p->rex = 0;
		if (b[p->len] == 0x67)
			p->addr67 = true;
		if (b[p->len] != 0x66)
			p->only_66 = false;
	}
}

static uint8_t nop_addrsize(unsigned int mode, bool addr67)
{
	if (mode == 16)
		return addr67 ? 4 : 2;
	if (mode == 32)
		return addr67 ? 2 : 4;
	return addr67 ? 4 : 8;
}

/* Decode the ModRM at @pos for a nop; its end, or 0 if it is bad. */
static size_t nop_modrm(const uint8_t *b, size_t avail, size_t pos,
			unsigned int mode, const struct nop_prefixes *p,
			struct afb_insn *insn)
{
	int end;

	memset(insn, 0, sizeof(*insn));
	insn->mode = mode;
	insn->rex = p->rex;
	insn->addrsize = nop_addrsize(mode, p->addr67);
	end = afb_decode_modrm(b, avail, pos, insn);
	return end > 0 ? (size_t)end : 0;
}

/*
 * lea 0(%reg),%reg in 16/32-bit code: GAS's padding there.  It only
 * counts with no prefix, no index and a zero displacement.
 */
static size_t nop_lea(const uint8_t *b, size_t avail, unsigned int mode,
		      const struct nop_prefixes *p)
{
	struct afb_insn insn;
	size_t end;

	if (mode == 64 || p->len)
		return 0;
	end = nop_modrm(b, avail, 1, mode, p, &insn);
	if (!end || !insn.has_mem || insn.mem.index >= 0 || insn.mem.disp)
		return 0;
	return insn.mem.base == insn.reg ? end : 0;
}

/* mov %reg,%reg (89/8b, register form) in 16/32-bit code, as old GAS. */
static size_t nop_mov(const uint8_t *b, size_t avail, unsigned int mode,
		      const struct nop_prefixes *p)
{
	if (mode == 64 || p->len || avail < 2)
		return 0;
	if (b[1] >> 6 != 3 || ((b[1] >> 3) & 7) != (b[1] & 7))
		return 0;
	return 2;
}

/*
 * The length of the nop at @b, or 0 if it is none.  A short jmp (GAS
 * jumps over long 16-bit paddings) sets *@jump to its displacement.
 */
static size_t one_nop(const uint8_t *b, size_t avail, unsigned int mode,
		      size_t *jump)
{
	struct nop_prefixes p;
	struct afb_insn insn;
	const uint8_t *op;
	size_t end = 0;

	nop_prefixes(b, avail, mode, &p);
	if (p.len >= avail)
		return 0;
	op = b + p.len;
	if (op[0] == 0x90 && p.only_66 && !(p.rex & 1))
		end = p.len + 1;
	else if (op[0] == 0x0f && p.len + 2 < avail && op[1] == 0x1f &&
		 !((op[2] >> 3) & 7))
		end = nop_modrm(b, avail, p.len + 2, mode, &p, &insn);
	else if (op[0] == 0x8d)
		end = nop_lea(b, avail, mode, &p);
	else if (op[0] == 0x89 || op[0] == 0x8b)
		end = nop_mov(b, avail, mode, &p);
	else if (op[0] == 0xeb && !p.len && avail >= 2 && b[1] < 0x80)
		end = 2, *jump = b[1];
	return end <= AFB_INSN_MAX ? end : 0;
}

/**
 * afb_nops_valid - is @bytes a sequence of whole nops?
 * @bytes, @len: the padding of a site (at most 255 bytes)
 * @mode: 16, 32 or 64
 *
 * Accepts 90, 66 90, 0f 1f /0 with any addressing form and with 66,
 * segment, 67 and REX prefixes, and what GAS's .nops writes in every mode
 * (lea 0(%esi,%eiz,1),%esi and friends in 16/32-bit code, a short jmp
 * over nops).  A jmp must land on an instruction boundary inside @bytes.
 */
bool afb_nops_valid(const uint8_t *bytes, size_t len, unsigned int mode)
{
	bool boundary[256] = { false };
	size_t pos = 0, n, jump, target[256], nr_targets = 0, i;

	if (len >= sizeof(boundary))
		return false;
	while (pos < len) {
		boundary[pos] = true;
		jump = SIZE_MAX;
		n = one_nop(bytes + pos, len - pos, mode, &jump);
		if (!n)
			return false;
		pos += n;
		if (jump != SIZE_MAX)
			target[nr_targets++] = pos + jump;
	}
	boundary[len] = true;
	for (i = 0; i < nr_targets; i++)
		if (target[i] > len || !boundary[target[i]])
			return false;
	return true;
}
