/* SPDX-License-Identifier: MIT */
/*
 * libafterburn: read, validate, decode and patch the sites that
 * afterburn-as records in an ELF image.  See doc/notes.md for the note
 * format and libafterburn(3) for an overview.
 *
 * Every call that can fail returns 0 (or a count) on success and a
 * negative errno value on failure, and fills the caller's struct
 * afb_error with a message naming what is wrong.  Nothing here exits or
 * prints.
 */
#ifndef AFTERBURN_AFTERBURN_H
#define AFTERBURN_AFTERBURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <afterburn/kinds.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The note (doc/notes.md) -------------------------------------- */

#define AFB_NOTE_NAME		"Afterburn"	/* ELF note owner name */
#define AFB_NOTE_SECTION	".note.afterburn" /* section name prefix */
#define AFB_NOTE_VERSION	1		/* version byte of each entry */

#define AFB_NT_SITE		1	/* desc: struct afb_note_site */
#define AFB_NT_MODE		2	/* desc: struct afb_note_mode */
#define AFB_NT_OBJECT		3	/* desc: struct afb_note_object */
#define AFB_NT_DATA		4	/* desc: struct afb_note_data */
#define AFB_NT_AREA		5	/* desc: struct afb_note_area */

/* Descriptor of an AFB_NT_SITE note: one sensitive instruction. */
struct afb_note_site {
	int32_t site;		/* site start minus the address of this field */
	uint8_t version;	/* AFB_NOTE_VERSION */
	uint8_t kind;		/* enum afb_kind */
	uint8_t len;		/* site length: instruction plus padding */
	uint8_t insn_len;	/* length of the original instruction */
	uint8_t mode;		/* code size it was assembled for: 16, 32, 64 */
	uint8_t flags;		/* reserved, 0 */
	uint16_t reserved;	/* 0 */
} __attribute__((packed));

/* Descriptor of an AFB_NT_MODE note: a .code16/.code32/.code64 switch. */
struct afb_note_mode {
	int32_t at;		/* first byte in the new mode minus this field */
	uint8_t version;	/* AFB_NOTE_VERSION */
	uint8_t mode;		/* 16, 32 or 64 */
	uint8_t flags;		/* AFB_MODE_END or 0 */
	uint8_t reserved;	/* 0 */
} __attribute__((packed));

/*
 * The note marks the end of an object's section that ended in another
 * code size: the object's code stops there, and so does its mode.  In a
 * linked image the next object's code may start at the same address;
 * its own note there, if any, wins.
 */
#define AFB_MODE_END		0x01

/*
 * Descriptor of an AFB_NT_OBJECT note: "assembled by afterburn-as".  One
 * per object (a COMDAT group keeps one per linked image), so that an
 * image without sites can be told from one never built with afterburn-as.
 */
struct afb_note_object {
	uint32_t reserved0;	/* 0 */
	uint8_t version;	/* AFB_NOTE_VERSION */
	uint8_t reserved[3];	/* 0 */
} __attribute__((packed));

/* Descriptor of an AFB_NT_DATA note: bytes of a data directive in code. */
struct afb_note_data {
	int32_t at;		/* first data byte minus this field */
	uint8_t version;	/* AFB_NOTE_VERSION */
	uint8_t reserved;	/* 0 */
	uint16_t reserved2;	/* 0 */
	uint32_t size;		/* bytes of data */
} __attribute__((packed));

/*
 * Descriptor of an AFB_NT_AREA note, which a kernel writes itself (like
 * its PVH note): memory it maps executable at @vaddr in every page table
 * and never uses, where an offline patcher may put thunks
 * (doc/guest-contract.md).
 */
struct afb_note_area {
	uint32_t reserved0;	/* 0 */
	uint8_t version;	/* AFB_NOTE_VERSION */
	uint8_t reserved[3];	/* 0 */
	uint64_t vaddr;		/* guest virtual address */
	uint64_t paddr;		/* guest physical address */
	uint64_t size;		/* bytes */
} __attribute__((packed));

/* ---- Errors ------------------------------------------------------- */

struct afb_error {
	int code;		/* negative errno, 0 if none */
	char message[512];	/* what is wrong, naming file/section/site */
};

/* ---- Kinds: the compiled-in table of sensitive instructions -------- */

#define AFB_MODE_16	0x1
#define AFB_MODE_32	0x2
#define AFB_MODE_64	0x4

const char *afb_kind_name(unsigned int kind);	/* NULL if unknown */
int afb_kind_from_name(const char *name);	/* kind, or -ENOENT */
unsigned int afb_kind_site_len(unsigned int kind);
bool afb_kind_default_on(unsigned int kind);
const char *afb_kind_reason(unsigned int kind);

/*
 * afb_classify_text - the kind of a disassembled instruction
 * @mnemonic: lower-case mnemonic, prefixes already stripped ("cli", "mov")
 * @operands: operand text in AT&T syntax as objdump prints it, or ""
 * @mode:     16, 32 or 64
 *
 * Returns the kind, or AFB_KIND_NONE if the instruction is not sensitive.
 */
unsigned int afb_classify_text(const char *mnemonic, const char *operands,
			       unsigned int mode);

/* ---- Decoding a site's original instruction ------------------------ */

struct afb_mem_operand {
	int8_t base;		/* register number 0-15, or -1 */
	int8_t index;		/* register number 0-15, or -1 */
	uint8_t scale;		/* 1, 2, 4, 8 */
	bool rip_relative;	/* disp is relative to the next instruction */
	int8_t segment;		/* segment override 0-5 (es cs ss ds fs gs), or -1 */
	int64_t disp;		/* sign-extended displacement */
};

struct afb_insn {
	unsigned int kind;	/* enum afb_kind */
	uint8_t len;		/* bytes, prefixes included */
	uint8_t mode;		/* 16, 32 or 64 */
	uint8_t opsize;		/* operand size in bytes: 2, 4 or 8; 1 for the
				   byte forms of in/out/ins/outs */
	uint8_t addrsize;	/* address size in bytes: 2, 4 or 8 */
	uint8_t rep;		/* 0, 0xf2 or 0xf3 (also a mandatory prefix) */
	uint8_t rex;		/* REX byte, 0 if none */
	uint8_t opcode[4];	/* opcode bytes, mandatory prefix excluded */
	uint8_t opcode_len;
	bool has_modrm;
	uint8_t mod;		/* ModRM.mod */
	uint8_t reg;		/* ModRM.reg, extended by REX.R */
	uint8_t rm;		/* ModRM.rm, extended by REX.B (register forms) */
	bool has_mem;		/* a memory operand: see mem */
	struct afb_mem_operand mem;
	bool has_imm;
	uint64_t imm;		/* immediate: port, vector, far offset */
	uint16_t selector;	/* far pointer selector (AFB_IMM_PTR forms) */
};

/*
 * afb_decode - decode one sensitive instruction
 * @bytes, @avail: the instruction bytes (at most @avail are read)
 * @mode:  16, 32 or 64
 * @insn:  filled in on success
 *
 * Returns the instruction length, -EILSEQ if the bytes are not a
 * sensitive instruction of the table, -ENODATA if @avail is too short,
 * -EINVAL for a bad @mode.
 */
int afb_decode(const uint8_t *bytes, size_t avail, unsigned int mode,
	       struct afb_insn *insn);

/* ---- Images and their sites ---------------------------------------- */

struct afb_image;

struct afb_site {
	uint64_t addr;		/* virtual address; in a relocatable object,
				   the offset in its section */
	uint64_t file_offset;	/* where the site's bytes are in the file
				   (linked image: where its PT_LOAD maps
				   them), UINT64_MAX if they are not */
	const char *section;	/* name of the section holding the site */
	unsigned int kind;	/* enum afb_kind */
	uint8_t len;		/* site length: instruction plus padding */
	uint8_t insn_len;	/* original instruction length */
	uint8_t mode;		/* 16, 32 or 64 */
};

struct afb_mode_switch {
	uint64_t addr;		/* as afb_site.addr */
	const char *section;
	uint8_t mode;		/* 16, 32 or 64 from here on */
	uint8_t flags;		/* AFB_MODE_END: an object's section ends here */
};

/* Data written by a data directive inside code (AFB_NT_DATA). */
struct afb_data_range {
	uint64_t addr;		/* as afb_site.addr */
	uint64_t size;		/* bytes */
	const char *section;
};

/*
 * afb_image_open - open an ELF file (relocatable object or linked image)
 * and read its site notes.  The file is mapped read-only; it is never
 * written.  Relocatable objects have their note relocations applied so
 * that each site names its section and offset.  A truncated file (a
 * header table, segment or section past its end) is refused, -EINVAL.
 */
int afb_image_open(const char *path, struct afb_image **image,
		   struct afb_error *err);

/* The same, from a buffer the caller keeps alive until afb_image_close. */
int afb_image_open_memory(const void *buf, size_t size, const char *name,
			  struct afb_image **image, struct afb_error *err);

void afb_image_close(struct afb_image *image);

bool afb_image_is_relocatable(const struct afb_image *image);
/* e_entry of a linked image, 0 for a relocatable object. */
uint64_t afb_image_entry(const struct afb_image *image);
unsigned int afb_image_default_mode(const struct afb_image *image); /* 32/64 */

/* Sites sorted by section, then address; valid until afb_image_close. */
size_t afb_image_sites(const struct afb_image *image,
		       const struct afb_site **sites);
size_t afb_image_mode_switches(const struct afb_image *image,
			       const struct afb_mode_switch **switches);

/* Data ranges in code, in note order; valid until afb_image_close. */
size_t afb_image_data_ranges(const struct afb_image *image,
			     const struct afb_data_range **ranges);

/* An area the image declares with an AFB_NT_AREA note. */
struct afb_area {
	uint64_t vaddr, paddr, size;
};

/* The image's declared wedge areas; valid until afb_image_close. */
size_t afb_image_areas(const struct afb_image *image,
		       const struct afb_area **areas);

/*
 * afb_image_note_count - how many Afterburn notes of any type the image
 * holds.  0: it was not built with afterburn-as (or the link dropped the
 * notes); more than 0 with no sites: built with afterburn-as, nothing
 * sensitive in it.
 */
size_t afb_image_note_count(const struct afb_image *image);

/*
 * afb_image_site_bytes - the file bytes of @site (site->len of them), or
 * NULL if they are not in the file.
 */
const uint8_t *afb_image_site_bytes(const struct afb_image *image,
				    const struct afb_site *site);

/*
 * afb_image_validate - check every site: inside an executable section
 * and, for a linked image, inside one executable PT_LOAD segment that
 * holds its bytes where the section header says (section and segment
 * views agree); no two sites share a byte (by address across sections,
 * and by file offset); the original bytes decode to the recorded kind
 * with the recorded length, the site is long enough for its kind, and
 * the padding is nops.  Stops at the first bad site and describes it in
 * @err.  Returns 0 if all are good.
 */
int afb_image_validate(const struct afb_image *image, struct afb_error *err);

/* ---- Patching ------------------------------------------------------- */

/*
 * A loaded image in memory: @size bytes at @base hold the guest's view of
 * addresses @vaddr .. @vaddr + @size - 1.
 */
struct afb_memory {
	uint8_t *base;
	uint64_t vaddr;
	size_t size;
};

/*
 * afb_patch_fn - a wedge's replacement for one site
 * @ctx:  the wedge's context
 * @site: the site; @insn: its decoded original instruction
 * @buf:  where to write the replacement; @cap is site->len
 *
 * Returns the number of bytes written (1..@cap; the patcher fills the rest
 * of the site with nops), 0 to leave the site native, or a negative errno
 * to refuse the whole image.
 */
typedef int (*afb_patch_fn)(void *ctx, const struct afb_site *site,
			    const struct afb_insn *insn, uint8_t *buf,
			    size_t cap);

struct afb_patch_stats {
	unsigned int patched[AFB_KIND_MAX + 1];	/* per kind */
	unsigned int native[AFB_KIND_MAX + 1];	/* left as they were */
	unsigned int total_patched;
	unsigned int total_native;
};

/*
 * afb_patch_apply - patch every site of @image in @mem, all or nothing.
 *
 * Validates the image, checks that each site's bytes in @mem equal the
 * file's, and asks @fn for every replacement before it writes a byte; any
 * failure leaves @mem untouched.  The caller must ensure that no CPU runs
 * the code in @mem while it is patched.  @stats may be NULL.
 */
int afb_patch_apply(const struct afb_image *image, struct afb_memory *mem,
		    afb_patch_fn fn, void *ctx, struct afb_patch_stats *stats,
		    struct afb_error *err);

/* Fill @len bytes at @buf with the recommended multi-byte nops of @mode. */
void afb_fill_nops(uint8_t *buf, size_t len, unsigned int mode);

#ifdef __cplusplus
}
#endif

#endif
