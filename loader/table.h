/* SPDX-License-Identifier: MIT */
/*
 * The compiled-in table of sensitive instructions.  Its contents are
 * generated from afterburn/sensitive.tbl by afterburn/gen-table (table.c);
 * this header only declares their shape.  Internal to libafterburn.
 */
#ifndef AFB_LOADER_TABLE_H
#define AFB_LOADER_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include <afterburn/afterburn.h>

enum afb_operand_rule {
	AFB_OPERAND_ANY,	/* any operands */
	AFB_OPERAND_CR,		/* an operand is %crN */
	AFB_OPERAND_DR,		/* an operand is %drN / %dbN */
	AFB_OPERAND_SEG,	/* an operand is a segment register */
};

enum afb_mod_rule {
	AFB_MOD_ANY,		/* any ModRM.mod */
	AFB_MOD_MEM,		/* ModRM.mod != 3: a memory operand */
	AFB_MOD_REG,		/* ModRM.mod == 3: a register operand */
};

enum afb_imm_rule {
	AFB_IMM_NONE,
	AFB_IMM_8,		/* ib */
	AFB_IMM_16,		/* iw */
	AFB_IMM_Z,		/* iz: 16 or 32 bits by operand size */
	AFB_IMM_PTR,		/* far pointer: offset (iz) then 16-bit selector */
};

struct afb_kind_desc {
	const char *name;		/* kind name, "" for unused numbers */
	uint8_t modes;			/* AFB_MODE_16 | AFB_MODE_32 | AFB_MODE_64 */
	uint8_t site_len;		/* minimum site length in bytes */
	bool default_on;		/* a site unless disabled */
	enum afb_operand_rule operands;	/* what the mnemonic's operands must show */
	const char *const *mnemonics;	/* NULL-terminated spellings */
	const char *reason;		/* one line: why it is sensitive */
};

struct afb_encoding {
	uint8_t kind;			/* enum afb_kind */
	uint8_t prefix;			/* mandatory prefix: 0, 0x66, 0xf2, 0xf3 */
	uint8_t opcode[4];		/* opcode bytes (a fixed ModRM counts; sti_mwait has 4) */
	uint8_t opcode_len;		/* 1..4 */
	bool has_modrm;			/* a ModRM byte follows the opcode */
	int8_t modrm_reg;		/* -1: any; 0..7: ModRM.reg must match */
	enum afb_mod_rule mod;		/* constraint on ModRM.mod */
	enum afb_imm_rule imm;		/* immediate after ModRM/displacement */
	uint8_t not64;			/* invalid in 64-bit mode */
};

extern const struct afb_kind_desc afb_kinds[AFB_KIND_MAX + 1];
extern const struct afb_encoding afb_encodings[];
extern const unsigned int afb_encoding_count;

#endif
