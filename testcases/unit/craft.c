// SPDX-License-Identifier: MIT
/*
 * Crafted linked images: see craft.h.  The file layout (offsets):
 *
 *   0x000  ELF header
 *   0x040  program headers: PT_LOAD (R+X, offset 0 up to the end of the
 *          notes), PT_NOTE (the notes; alias: a second R+X PT_LOAD of
 *          .text at CRAFT_ALIAS_TEXT)
 *   0x100  .text, CRAFT_TEXT_SIZE bytes
 *   0x140  .notes: one Afterburn note per site
 *   0x200  the copy of .text (split variants)
 *   0x240  .shstrtab
 *   0x280  section headers
 *          .comment (cut-section only), after the section headers
 */
#include <elf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <afterburn/afterburn.h>

#include "craft.h"

#define NOTES_OFF	0x140
#define COPY_OFF	0x200
#define STRTAB_OFF	0x240
#define SHDR_OFF	0x280
#define IMAGE_MAX	0x1000
#define NOTE_SIZE	36	/* header 12, "Afterburn\0" padded to 12, desc 12 */

static const char *const names[CRAFT_NR_VARIANTS] = {
	[CRAFT_GOOD] = "good",
	[CRAFT_SPLIT] = "split",
	[CRAFT_SPLIT_HIDDEN] = "split-hidden",
	[CRAFT_OVERLAP] = "overlap",
	[CRAFT_ALIAS] = "alias",
	[CRAFT_CUT_PHDRS] = "cut-phdrs",
	[CRAFT_CUT_SEGMENT] = "cut-segment",
	[CRAFT_CUT_SHDRS] = "cut-shdrs",
	[CRAFT_CUT_SECTION] = "cut-section",
};

static const char strtab[] =
	"\0.text\0.alt\0.notes\0.shstrtab\0.comment\0.text2";
enum { NAME_TEXT = 1, NAME_ALT = 7, NAME_NOTES = 12, NAME_SHSTRTAB = 19,
       NAME_COMMENT = 29, NAME_TEXT2 = 38 };

/* A site: where in .text, what kind, its bytes (instruction and nops). */
struct craft_site {
	unsigned int at, kind, insn_len, len;
	const uint8_t *bytes;
};

static const uint8_t cli_site[] = { 0xfa, 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 };
static const uint8_t out_site[] = { 0xe6, 0x80, 0x0f, 0x1f, 0x00 };
/* out $0xfa,%al: the cli of the overlapping site is its immediate byte */
static const uint8_t out_fa_site[] = { 0xe6, 0xfa, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x90 };

/* The image being built. */
struct craft {
	enum craft_variant v;
	uint8_t *buf;
	size_t notes_size;
	Elf64_Shdr sh[8];
	size_t shnum, shstrndx;
	size_t end;			/* file size */
};

const char *craft_name(enum craft_variant v)
{
	return v < CRAFT_NR_VARIANTS ? names[v] : NULL;
}

/* The note of site @s of the code at @text. */
static void put_note_at(struct craft *c, uint64_t text,
			const struct craft_site *s)
{
	uint8_t *n = c->buf + NOTES_OFF + c->notes_size;
	uint64_t field = CRAFT_BASE + NOTES_OFF + c->notes_size + 24;
	uint32_t hdr[3] = { 10, 12, AFB_NT_SITE };
	struct afb_note_site d = {
		.site = (int32_t)(text + s->at - field),
		.version = AFB_NOTE_VERSION,
		.kind = s->kind,
		.len = s->len,
		.insn_len = s->insn_len,
		.mode = 64,
	};

	memcpy(n, hdr, sizeof(hdr));
	memcpy(n + 12, AFB_NOTE_NAME, sizeof(AFB_NOTE_NAME));
	memcpy(n + 24, &d, sizeof(d));
	c->notes_size += NOTE_SIZE;
}

static void put_note(struct craft *c, const struct craft_site *s)
{
	put_note_at(c, CRAFT_TEXT, s);
}

static void put_site(struct craft *c, const struct craft_site *s)
{
	memcpy(c->buf + CRAFT_TEXT_OFF + s->at, s->bytes, s->len);
	put_note(c, s);
}

/* .text: the sites in nops, ret at the end; their notes. */
static void put_text(struct craft *c)
{
	const struct craft_site good[] = {
		{ 0, AFB_KIND_CLI, 1, sizeof(cli_site), cli_site },
		{ 7, AFB_KIND_OUT, 2, sizeof(out_site), out_site },
	};
	const struct craft_site overlap[] = {
		{ 0x10, AFB_KIND_OUT, 2, 7, out_fa_site },
		{ 0x11, AFB_KIND_CLI, 1, 7, out_fa_site + 1 },
	};
	uint8_t *text = c->buf + CRAFT_TEXT_OFF;
	size_t i;

	memset(text, 0x90, CRAFT_TEXT_SIZE);
	text[CRAFT_TEXT_SIZE - 1] = 0xc3;
	for (i = 0; i < 2; i++)
		put_site(c, &good[i]);
	if (c->v == CRAFT_OVERLAP) {
		memcpy(text + 0x10, out_fa_site, sizeof(out_fa_site));
		for (i = 0; i < 2; i++)
			put_note(c, &overlap[i]);
	}
	for (i = 0; c->v == CRAFT_ALIAS && i < 2; i++)	/* where the alias maps them */
		put_note_at(c, CRAFT_ALIAS_TEXT, &good[i]);
	/* the copy the section header of a split image names */
	memcpy(c->buf + COPY_OFF, text, CRAFT_TEXT_SIZE);
	if (c->v == CRAFT_SPLIT_HIDDEN)
		text[0x20] = 0xfa;	/* a cli that only a loader sees */
}

static void put_ehdr_phdrs(struct craft *c)
{
	uint64_t load_size = NOTES_OFF + c->notes_size;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE },
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = CRAFT_TEXT,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_shoff = SHDR_OFF,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = 2,
		.e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = c->shnum,
		.e_shstrndx = c->shstrndx,
	};
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = 0,
		  .p_vaddr = CRAFT_BASE, .p_paddr = CRAFT_BASE,
		  .p_filesz = load_size, .p_memsz = load_size, .p_align = 0x1000 },
		{ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = NOTES_OFF,
		  .p_vaddr = CRAFT_BASE + NOTES_OFF, .p_paddr = CRAFT_BASE + NOTES_OFF,
		  .p_filesz = c->notes_size, .p_memsz = c->notes_size, .p_align = 4 },
	};

	if (c->v == CRAFT_ALIAS)
		ph[1] = (Elf64_Phdr){
			.p_type = PT_LOAD, .p_flags = PF_R | PF_X,
			.p_offset = CRAFT_TEXT_OFF, .p_vaddr = CRAFT_ALIAS_TEXT,
			.p_paddr = CRAFT_ALIAS_TEXT, .p_filesz = CRAFT_TEXT_SIZE,
			.p_memsz = CRAFT_TEXT_SIZE, .p_align = 0x1000,
		};
	memcpy(c->buf, &eh, sizeof(eh));
	memcpy(c->buf + eh.e_phoff, ph, sizeof(ph));
}

static void add_section(struct craft *c, uint32_t name, uint32_t type,
			uint64_t flags, uint64_t addr, uint64_t offset,
			uint64_t size, uint64_t align)
{
	c->sh[c->shnum++] = (Elf64_Shdr){
		.sh_name = name, .sh_type = type, .sh_flags = flags,
		.sh_addr = addr, .sh_offset = offset, .sh_size = size,
		.sh_addralign = align,
	};
}

/*
 * The section headers.  .alt comes before .text, so a reader that takes
 * the first executable section holding an address files the cli site
 * at .text+0x11 under .alt.
 */
static void put_sections(struct craft *c)
{
	bool split = c->v == CRAFT_SPLIT || c->v == CRAFT_SPLIT_HIDDEN;
	uint64_t ax = SHF_ALLOC | SHF_EXECINSTR;

	c->shnum = 1;		/* the null section */
	if (c->v == CRAFT_OVERLAP)
		add_section(c, NAME_ALT, SHT_PROGBITS, ax, CRAFT_TEXT + 0x11,
			    CRAFT_TEXT_OFF + 0x11, CRAFT_TEXT_SIZE - 0x11, 1);
	add_section(c, NAME_TEXT, SHT_PROGBITS, ax, CRAFT_TEXT,
		    split ? COPY_OFF : CRAFT_TEXT_OFF, CRAFT_TEXT_SIZE, 16);
	if (c->v == CRAFT_ALIAS)
		add_section(c, NAME_TEXT2, SHT_PROGBITS, ax, CRAFT_ALIAS_TEXT,
			    CRAFT_TEXT_OFF, CRAFT_TEXT_SIZE, 16);
	add_section(c, NAME_NOTES, SHT_NOTE, SHF_ALLOC, CRAFT_BASE + NOTES_OFF,
		    NOTES_OFF, c->notes_size, 4);
	c->shstrndx = c->shnum;
	add_section(c, NAME_SHSTRTAB, SHT_STRTAB, 0, 0, STRTAB_OFF,
		    sizeof(strtab), 1);
	c->end = SHDR_OFF + (c->shnum + (c->v == CRAFT_CUT_SECTION)) *
			    sizeof(Elf64_Shdr);
	if (c->v == CRAFT_CUT_SECTION) {
		add_section(c, NAME_COMMENT, SHT_PROGBITS, 0, 0, c->end, 16, 1);
		memcpy(c->buf + c->end, "crafted image\0\0", 16);
		c->end += 16;
	}
	memcpy(c->buf + STRTAB_OFF, strtab, sizeof(strtab));
	memcpy(c->buf + SHDR_OFF, c->sh, c->shnum * sizeof(Elf64_Shdr));
}

/* Where the variant's file ends. */
static size_t cut(const struct craft *c)
{
	switch (c->v) {
	case CRAFT_CUT_PHDRS:
		return sizeof(Elf64_Ehdr) + 20;
	case CRAFT_CUT_SEGMENT:
		return CRAFT_TEXT_OFF + 0x20;
	case CRAFT_CUT_SHDRS:
	case CRAFT_CUT_SECTION:
		return c->end - 1;
	default:
		return c->end;
	}
}

uint8_t *craft_image(enum craft_variant v, size_t *size)
{
	struct craft c = { .v = v };

	if (v >= CRAFT_NR_VARIANTS)
		return NULL;
	c.buf = calloc(1, IMAGE_MAX);
	if (!c.buf)
		return NULL;
	put_text(&c);
	put_sections(&c);
	put_ehdr_phdrs(&c);
	*size = cut(&c);
	return c.buf;
}
