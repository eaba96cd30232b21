// SPDX-License-Identifier: MIT
/*
 * Opening an ELF image and collecting the sites its Afterburn notes
 * describe.
 *
 * A relocatable object keeps its notes in SHT_NOTE sections named
 * .note.afterburn<code section>; the PC-relative field of each entry has
 * a relocation (R_X86_64_PC32 with an addend, R_386_PC32 with the addend
 * in place) against a symbol of the code section, and the site is that
 * symbol's section at st_value + addend.  A linked image holds resolved
 * fields, in whatever note section the link put them (Linux gathers them
 * into .notes), so there the site is the field's address plus its value.
 *
 * The file is never written: it is mapped read-only and libelf only reads
 * it (elf_memory on our mapping).  Every offset taken from the file is
 * checked against the file size before it is used.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gelf.h>

#include "error.h"
#include "image.h"
#include "note.h"
#include "table.h"

/* One relocation of a note section of a relocatable object. */
struct reloc {
	uint64_t offset;		/* r_offset in the note section */
	uint32_t type;			/* ELF{32,64}_R_TYPE */
	uint32_t sym;			/* symbol index in symtab */
	int64_t addend;			/* r_addend (SHT_RELA only) */
	bool rela;			/* from an SHT_RELA section */
	size_t symtab;			/* section index of the symbol table */
};

/* What the note callbacks need to place an entry. */
struct note_ctx {
	struct afb_image *img;
	const char *section;		/* note section or segment, for messages */
	uint64_t vaddr;			/* its address (linked images) */
	struct reloc *relocs;		/* its relocations (ET_REL), by offset */
	size_t nr_relocs;
};

static const char *scn_name(const struct afb_image *img, size_t idx)
{
	GElf_Shdr sh;
	const char *name;

	if (!gelf_getshdr(elf_getscn(img->elf, idx), &sh))
		return "(bad section)";
	name = elf_strptr(img->elf, img->shstrndx, sh.sh_name);
	return name ? name : "(unnamed)";
}

static bool get_shdr(const struct afb_image *img, size_t idx, GElf_Shdr *sh)
{
	return gelf_getshdr(elf_getscn(img->elf, idx), sh) != NULL;
}

/* The file bytes of a section, or NULL if it has none or lies outside. */
static const uint8_t *section_bytes(const struct afb_image *img,
				    const GElf_Shdr *sh)
{
	if (sh->sh_type == SHT_NOBITS || sh->sh_offset > img->size ||
	    sh->sh_size > img->size - sh->sh_offset)
		return NULL;
	return img->buf + sh->sh_offset;
}

static int grow(void **array, size_t *cap, size_t nr, size_t size)
{
	size_t n = *cap ? *cap * 2 : 64;
	void *p;

	if (nr < *cap)
		return 0;
	p = realloc(*array, n * size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = n;
	return 0;
}

static int add_site(struct afb_image *img, const struct afb_site *site,
		    size_t scn, struct afb_error *err)
{
	size_t cap = img->cap_sites;

	if (grow((void **)&img->sites, &cap, img->nr_sites, sizeof(*site)) ||
	    grow((void **)&img->site_scn, &img->cap_sites, img->nr_sites,
		 sizeof(scn)))
		return afb_error_set(err, -ENOMEM, "%s: out of memory", img->name);
	img->sites[img->nr_sites] = *site;
	img->site_scn[img->nr_sites++] = scn;
	return 0;
}

static int add_switch(struct afb_image *img, const struct afb_mode_switch *sw,
		      struct afb_error *err)
{
	if (grow((void **)&img->switches, &img->cap_switches, img->nr_switches,
		 sizeof(*sw)))
		return afb_error_set(err, -ENOMEM, "%s: out of memory", img->name);
	img->switches[img->nr_switches++] = *sw;
	return 0;
}

static int add_data(struct afb_image *img, const struct afb_data_range *d,
		    struct afb_error *err)
{
	if (grow((void **)&img->data, &img->cap_data, img->nr_data, sizeof(*d)))
		return afb_error_set(err, -ENOMEM, "%s: out of memory", img->name);
	img->data[img->nr_data++] = *d;
	return 0;
}

/* Record a declared area (AFB_NT_AREA): it names no place in the image. */
static int add_area(struct afb_image *img, const struct afb_note_entry *e,
		    struct afb_error *err)
{
	if (grow((void **)&img->areas, &img->cap_areas, img->nr_areas,
		 sizeof(*img->areas)))
		return afb_error_set(err, -ENOMEM, "%s: out of memory", img->name);
	img->areas[img->nr_areas++] = (struct afb_area){
		e->area.vaddr, e->area.paddr, e->area.size,
	};
	return 0;
}

/*
 * Where @len bytes at @addr are in the file image of the first PT_LOAD
 * segment that holds them all, or AFB_NO_FILE: what a loader maps there.
 */
static uint64_t segment_offset(const struct afb_image *img, uint64_t addr,
			       unsigned int len)
{
	size_t i, phnum;
	GElf_Phdr ph;

	if (elf_getphdrnum(img->elf, &phnum))
		return AFB_NO_FILE;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(img->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (addr >= ph.p_vaddr && addr - ph.p_vaddr <= ph.p_filesz &&
		    len <= ph.p_filesz - (addr - ph.p_vaddr))
			return ph.p_offset + (addr - ph.p_vaddr);
	}
	return AFB_NO_FILE;
}

/*
 * Where the @len bytes at offset @addr of section @scn of a relocatable
 * object are in the file, or AFB_NO_FILE.
 */
static uint64_t section_offset(const struct afb_image *img, size_t scn,
			       uint64_t addr, unsigned int len)
{
	GElf_Shdr sh;

	if (!scn || !get_shdr(img, scn, &sh) || !section_bytes(img, &sh) ||
	    addr > sh.sh_size || len > sh.sh_size - addr)
		return AFB_NO_FILE;
	return sh.sh_offset + addr;
}

/*
 * Where the @len bytes of a site at @addr (an offset in section @scn of a
 * relocatable object, else an address) are in the file, or AFB_NO_FILE.
 * A linked image is read as a loader reads it, through its program
 * headers: afb_image_validate() refuses a site whose section header says
 * otherwise.
 */
static uint64_t file_offset(const struct afb_image *img, size_t scn,
			    uint64_t addr, unsigned int len)
{
	uint64_t off;

	if (img->relocatable)
		off = section_offset(img, scn, addr, len);
	else
		off = segment_offset(img, addr, len);
	if (off == AFB_NO_FILE || off > img->size || len > img->size - off)
		return AFB_NO_FILE;
	return off;
}

/* Record entry @e at @addr in section @scn (0: none). */
static int place(struct afb_image *img, const struct afb_note_entry *e,
		 uint64_t addr, size_t scn, struct afb_error *err)
{
	const char *name = scn ? scn_name(img, scn) :
			   img->shnum ? "(none)" : "(no section headers)";
	struct afb_mode_switch sw = { .addr = addr, .section = name };
	struct afb_data_range data = { .addr = addr, .section = name };
	struct afb_site site = {
		.addr = addr, .section = name, .kind = e->site.kind,
		.len = e->site.len, .insn_len = e->site.insn_len,
		.mode = e->site.mode,
	};

	if (e->type == AFB_NT_MODE) {
		sw.mode = e->mode.mode;
		sw.flags = e->mode.flags & AFB_MODE_END;
		return add_switch(img, &sw, err);
	}
	if (e->type == AFB_NT_DATA) {
		data.size = e->data.size;
		return add_data(img, &data, err);
	}
	site.file_offset = file_offset(img, scn, addr, site.len);
	return add_site(img, &site, scn, err);
}

static int32_t entry_value(const struct afb_note_entry *e)
{
	switch (e->type) {
	case AFB_NT_SITE: return e->site.site;
	case AFB_NT_MODE: return e->mode.at;
	case AFB_NT_DATA: return e->data.at;
	}
	return 0;
}

/* ---- Linked images ------------------------------------------------ */

/* The allocated section holding @addr, preferring executable ones. */
static size_t find_section(const struct afb_image *img, uint64_t addr)
{
	size_t i, found = 0;
	GElf_Shdr sh;

	for (i = 1; i < img->shnum; i++) {
		if (!get_shdr(img, i, &sh) || !(sh.sh_flags & SHF_ALLOC) ||
		    sh.sh_type == SHT_NULL || addr < sh.sh_addr ||
		    addr - sh.sh_addr >= sh.sh_size)
			continue;
		if (sh.sh_flags & SHF_EXECINSTR)
			return i;
		if (!found)
			found = i;
	}
	return found;
}

static int linked_entry(void *arg, const struct afb_note_entry *e,
			struct afb_error *err)
{
	struct note_ctx *c = arg;
	struct afb_image *img = c->img;
	uint64_t addr = c->vaddr + e->field + (int64_t)entry_value(e);

	/*
	 * A note section that is not loaded (afterburn-as
	 * --afterburn-notes=unloaded) has address 0, and the linker resolved
	 * its PC-relative fields from there: the same sum holds.
	 */
	img->nr_notes++;
	if (e->type == AFB_NT_OBJECT)
		return 0;
	if (e->type == AFB_NT_AREA)
		return add_area(img, e, err);
	if (img->default_mode == 32)
		addr &= 0xffffffffu;
	return place(img, e, addr, img->shnum ? find_section(img, addr) : 0, err);
}

static int parse_linked(struct afb_image *img, const uint8_t *bytes,
			size_t size, size_t align, struct note_ctx *c,
			struct afb_error *err)
{
	int ret = afb_note_parse(bytes, size, align, c->section, linked_entry,
				 c, err);

	if (ret && err && !strstr(err->message, img->name))
		afb_error_prefix(err, "%s: ", img->name);
	return ret;
}

/* Every SHT_NOTE section of a linked image. */
static int read_linked_sections(struct afb_image *img, struct afb_error *err)
{
	struct note_ctx c = { .img = img };
	const uint8_t *bytes;
	GElf_Shdr sh;
	size_t i;
	int ret;

	for (i = 1; i < img->shnum; i++) {
		if (!get_shdr(img, i, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		c.section = scn_name(img, i);
		bytes = section_bytes(img, &sh);
		if (!bytes)
			return afb_error_set(err, -EINVAL,
				"%s: note section %s lies outside the file",
				img->name, c.section);
		c.vaddr = sh.sh_addr;
		ret = parse_linked(img, bytes, sh.sh_size,
				   sh.sh_addralign == 8 ? 8 : 4, &c, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* Every PT_NOTE segment of an image without section headers. */
static int read_linked_segments(struct afb_image *img, struct afb_error *err)
{
	struct note_ctx c = { .img = img };
	char name[32];
	size_t i, phnum;
	GElf_Phdr ph;
	int ret;

	if (elf_getphdrnum(img->elf, &phnum))
		return afb_error_set(err, -EINVAL, "%s: bad program headers: %s",
				     img->name, elf_errmsg(-1));
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(img->elf, i, &ph) || ph.p_type != PT_NOTE)
			continue;
		snprintf(name, sizeof(name), "PT_NOTE[%zu]", i);
		c.section = name;
		if (ph.p_offset > img->size || ph.p_filesz > img->size - ph.p_offset)
			return afb_error_set(err, -EINVAL,
				"%s: note segment %s lies outside the file",
				img->name, name);
		c.vaddr = ph.p_vaddr;
		ret = parse_linked(img, img->buf + ph.p_offset, ph.p_filesz,
				   ph.p_align == 8 ? 8 : 4, &c, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- Relocatable objects ------------------------------------------- */

static int cmp_reloc(const void *a, const void *b)
{
	const struct reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* gelf_getrel{,a}() give r_info in the 64-bit layout for both classes. */
static void set_reloc(struct reloc *r, uint64_t offset, uint64_t info,
		      int64_t addend, bool rela)
{
	r->offset = offset;
	r->type = GELF_R_TYPE(info);
	r->sym = GELF_R_SYM(info);
	r->addend = addend;
	r->rela = rela;
}

/* Append the relocations of section @idx (SHT_REL or SHT_RELA). */
static int load_reloc_section(struct afb_image *img, size_t idx,
			      const GElf_Shdr *sh, struct note_ctx *c)
{
	Elf_Data *data = elf_getdata(elf_getscn(img->elf, idx), NULL);
	bool rela = sh->sh_type == SHT_RELA;
	size_t n, i, cap = c->nr_relocs;
	GElf_Rela ra;
	GElf_Rel r;

	if (!data || !sh->sh_entsize)
		return -EINVAL;
	n = data->d_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		if (grow((void **)&c->relocs, &cap, c->nr_relocs, sizeof(*c->relocs)))
			return -ENOMEM;
		if (rela ? !gelf_getrela(data, i, &ra) : !gelf_getrel(data, i, &r))
			return -EINVAL;
		if (rela)
			set_reloc(&c->relocs[c->nr_relocs], ra.r_offset, ra.r_info,
				  ra.r_addend, true);
		else
			set_reloc(&c->relocs[c->nr_relocs], r.r_offset, r.r_info,
				  0, false);
		c->relocs[c->nr_relocs++].symtab = sh->sh_link;
	}
	return 0;
}

/* Gather every relocation that applies to note section @note. */
static int load_relocs(struct afb_image *img, size_t note, struct note_ctx *c,
		       struct afb_error *err)
{
	GElf_Shdr sh;
	size_t i;
	int ret;

	for (i = 1; i < img->shnum; i++) {
		if (!get_shdr(img, i, &sh) || sh.sh_info != note ||
		    (sh.sh_type != SHT_REL && sh.sh_type != SHT_RELA))
			continue;
		ret = load_reloc_section(img, i, &sh, c);
		if (ret)
			return afb_error_set(err, ret,
				"%s: cannot read relocation section %s: %s",
				img->name, scn_name(img, i),
				ret == -ENOMEM ? "out of memory" : "bad entries or size");
	}
	if (c->nr_relocs)
		qsort(c->relocs, c->nr_relocs, sizeof(*c->relocs), cmp_reloc);
	return 0;
}

static const struct reloc *find_reloc(const struct note_ctx *c, size_t offset)
{
	struct reloc key = { .offset = offset };

	if (!c->nr_relocs)
		return NULL;
	return bsearch(&key, c->relocs, c->nr_relocs, sizeof(key), cmp_reloc);
}

/* The extended section index table of @symtab, if there is one. */
static Elf_Data *shndx_table(const struct afb_image *img, size_t symtab)
{
	GElf_Shdr sh;
	size_t i;

	for (i = 1; i < img->shnum; i++)
		if (get_shdr(img, i, &sh) && sh.sh_type == SHT_SYMTAB_SHNDX &&
		    sh.sh_link == symtab)
			return elf_getdata(elf_getscn(img->elf, i), NULL);
	return NULL;
}

/*
 * Resolve relocation @r of a note field: the site is in section *@scn
 * at offset *@offset (symbol value plus addend).
 */
static const char *resolve(const struct afb_image *img, const struct reloc *r,
			   int32_t in_place, size_t *scn, uint64_t *offset)
{
	unsigned int want = img->default_mode == 64 ? R_X86_64_PC32 : R_386_PC32;
	GElf_Word xndx = 0;
	Elf_Data *symdata;
	GElf_Shdr sh;
	GElf_Sym sym;

	if (r->type != want)
		return "relocation type is not PC32";
	if (!get_shdr(img, r->symtab, &sh) || sh.sh_type != SHT_SYMTAB)
		return "relocation has no symbol table";
	symdata = elf_getdata(elf_getscn(img->elf, r->symtab), NULL);
	if (!symdata || !gelf_getsymshndx(symdata, shndx_table(img, r->symtab),
					  r->sym, &sym, &xndx))
		return "relocation names a bad symbol";
	*scn = sym.st_shndx == SHN_XINDEX ? xndx : sym.st_shndx;
	if (*scn == SHN_UNDEF || (*scn >= SHN_LORESERVE &&
				  sym.st_shndx != SHN_XINDEX) || *scn >= img->shnum)
		return "relocation symbol is not defined in a section";
	*offset = sym.st_value + (uint64_t)(r->rela ? r->addend : in_place);
	return NULL;
}

static int rel_entry(void *arg, const struct afb_note_entry *e,
		     struct afb_error *err)
{
	struct note_ctx *c = arg;
	const struct reloc *r = find_reloc(c, e->field);
	const char *bad = "no relocation for its address field";
	uint64_t offset = 0;
	size_t scn = 0;

	c->img->nr_notes++;
	if (e->type == AFB_NT_OBJECT)
		return 0;
	if (e->type == AFB_NT_AREA)
		return add_area(c->img, e, err);
	if (r)
		bad = resolve(c->img, r, entry_value(e), &scn, &offset);
	if (bad)
		return afb_error_set(err, -EINVAL,
			"%s: section %s, offset 0x%zx: bad Afterburn note: %s",
			c->img->name, c->section, e->offset, bad);
	return place(c->img, e, offset, scn, err);
}

static bool is_note_section(const struct afb_image *img, size_t idx,
			    GElf_Shdr *sh)
{
	return get_shdr(img, idx, sh) && sh->sh_type == SHT_NOTE &&
	       !strncmp(scn_name(img, idx), AFB_NOTE_SECTION,
			strlen(AFB_NOTE_SECTION));
}

/* One .note.afterburn* section of a relocatable object. */
static int read_rel_section(struct afb_image *img, size_t idx,
			    const GElf_Shdr *sh, struct afb_error *err)
{
	struct note_ctx c = { .img = img, .section = scn_name(img, idx) };
	const uint8_t *bytes = section_bytes(img, sh);
	int ret;

	if (!bytes)
		return afb_error_set(err, -EINVAL,
			"%s: note section %s lies outside the file",
			img->name, c.section);
	ret = load_relocs(img, idx, &c, err);
	if (ret)
		goto out;
	ret = afb_note_parse(bytes, sh->sh_size, sh->sh_addralign == 8 ? 8 : 4,
			     c.section, rel_entry, &c, err);
	if (ret && err && strncmp(err->message, img->name, strlen(img->name)))
		afb_error_prefix(err, "%s: ", img->name);
out:
	free(c.relocs);
	return ret;
}

static int read_rel_notes(struct afb_image *img, struct afb_error *err)
{
	GElf_Shdr sh;
	size_t i;
	int ret;

	for (i = 1; i < img->shnum; i++) {
		if (!is_note_section(img, i, &sh))
			continue;
		ret = read_rel_section(img, i, &sh, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- Opening ------------------------------------------------------ */

/* A site with its section index, while sorting. */
struct sort_rec {
	struct afb_site site;
	size_t scn;
};

static int cmp_sort_rec(const void *a, const void *b)
{
	const struct sort_rec *x = a, *y = b;

	if (x->scn != y->scn)
		return x->scn < y->scn ? -1 : 1;
	if (x->site.addr != y->site.addr)
		return x->site.addr < y->site.addr ? -1 : 1;
	return (x->site.kind > y->site.kind) - (x->site.kind < y->site.kind);
}

/* Sort the sites by section, then address. */
static int sort_sites(struct afb_image *img, struct afb_error *err)
{
	struct sort_rec *tmp;
	size_t i, n = img->nr_sites;

	if (n < 2)
		return 0;
	tmp = calloc(n, sizeof(*tmp));
	if (!tmp)
		return afb_error_set(err, -ENOMEM, "%s: out of memory", img->name);
	for (i = 0; i < n; i++)
		tmp[i] = (struct sort_rec){ img->sites[i], img->site_scn[i] };
	qsort(tmp, n, sizeof(*tmp), cmp_sort_rec);
	for (i = 0; i < n; i++) {
		img->sites[i] = tmp[i].site;
		img->site_scn[i] = tmp[i].scn;
	}
	free(tmp);
	return 0;
}

static int check_class(struct afb_image *img, const GElf_Ehdr *eh,
		       struct afb_error *err)
{
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return afb_error_set(err, -ENOEXEC,
			"%s: big-endian ELF file: x86 images are little-endian",
			img->name);
	if (eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_machine == EM_X86_64)
		img->default_mode = 64;
	else if (eh->e_ident[EI_CLASS] == ELFCLASS32 && eh->e_machine == EM_386)
		img->default_mode = 32;
	else
		return afb_error_set(err, -ENOEXEC,
			"%s: ELF machine %u, class %u: only x86-64 (ELFCLASS64) and i386 (ELFCLASS32) images are supported",
			img->name, eh->e_machine, eh->e_ident[EI_CLASS]);
	return 0;
}

static int check_type(struct afb_image *img, const GElf_Ehdr *eh,
		      struct afb_error *err)
{
	if (eh->e_type != ET_REL && eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return afb_error_set(err, -ENOEXEC,
			"%s: ELF type %u is not a relocatable object, executable or shared object",
			img->name, eh->e_type);
	img->relocatable = eh->e_type == ET_REL;
	if (elf_getshdrnum(img->elf, &img->shnum) ||
	    (img->shnum && elf_getshdrstrndx(img->elf, &img->shstrndx)))
		return afb_error_set(err, -EINVAL, "%s: bad section headers: %s",
				     img->name, elf_errmsg(-1));
	return 0;
}

static int open_elf(struct afb_image *img, struct afb_error *err)
{
	GElf_Ehdr eh;
	int ret;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return afb_error_set(err, -ENOSYS, "libelf is out of date: %s",
				     elf_errmsg(-1));
	/* elf_memory() takes a char *; it only reads an image it did not map. */
	img->elf = elf_memory((char *)img->buf, img->size);
	if (img->size >= SELFMAG && !memcmp(img->buf, ELFMAG, SELFMAG) &&
	    img->size < (img->size > EI_CLASS && img->buf[EI_CLASS] == ELFCLASS64 ?
			 sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return afb_error_set(err, -EINVAL,
			"%s: truncated image: the ELF header runs past the end of the file (%zu bytes)",
			img->name, img->size);
	if (!img->elf || elf_kind(img->elf) != ELF_K_ELF)
		return afb_error_set(err, -ENOEXEC,
			"%s: not an ELF file (no ELF magic number at its start)",
			img->name);
	if (!gelf_getehdr(img->elf, &eh)) {
		const char *why = elf_errmsg(-1);

		return afb_error_set(err, -ENOEXEC,
			"%s: not an ELF file (bad ELF header: %s)", img->name,
			why ? why : "truncated");
	}
	ret = check_class(img, &eh, err);
	return ret ? ret : check_type(img, &eh, err);
}

static int read_notes(struct afb_image *img, struct afb_error *err)
{
	if (img->relocatable)
		return read_rel_notes(img, err);
	if (img->shnum)
		return read_linked_sections(img, err);
	return read_linked_segments(img, err);
}

static int image_new(const void *buf, size_t size, const char *name,
		     struct afb_image **image, struct afb_error *err)
{
	struct afb_image *img = calloc(1, sizeof(*img));
	int ret;

	if (img)
		img->name = strdup(name ? name : "(memory)");
	if (!img || !img->name) {
		ret = afb_error_set(err, -ENOMEM, "%s: out of memory", name);
		goto err_free;
	}
	img->buf = buf;
	img->size = size;
	ret = open_elf(img, err);
	if (!ret)
		ret = afb_image_check_layout(img, err);
	if (!ret && img->relocatable && !img->shnum)
		ret = afb_error_set(err, -EINVAL,
			"%s: relocatable object without section headers",
			img->name);
	if (!ret)
		ret = read_notes(img, err);
	if (!ret)
		ret = sort_sites(img, err);
	if (ret)
		goto err_free;
	*image = img;
	return 0;

err_free:
	afb_image_close(img);
	return ret;
}

/**
 * afb_image_open_memory - open an ELF image held in memory
 * @buf, @size: the file's bytes; the caller keeps them alive and unchanged
 *              until afb_image_close().  They are only read.
 * @name:  a name for messages (the file name), or NULL
 * @image: set to the new image on success
 * @err:   describes a failure
 *
 * Returns 0, -ENOEXEC for a file that is not an x86 ELF image, -EINVAL
 * for a corrupt image or bad note, -ENOMEM.
 */
AFB_EXPORT int afb_image_open_memory(const void *buf, size_t size,
				     const char *name,
				     struct afb_image **image,
				     struct afb_error *err)
{
	afb_error_clear(err);
	if (!buf || !image)
		return afb_error_set(err, -EINVAL, "afb_image_open_memory: no buffer");
	return image_new(buf, size, name, image, err);
}

static int map_file(const char *path, void **map, size_t *size,
		    struct afb_error *err)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return afb_error_set(err, -errno, "%s: cannot open: %s", path,
				     strerror(errno));
	if (fstat(fd, &st))
		ret = afb_error_set(err, -errno, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode) || st.st_size == 0)
		ret = afb_error_set(err, -ENOEXEC, "%s: not a regular, non-empty file",
				    path);
	if (!ret) {
		*size = st.st_size;
		*map = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*map == MAP_FAILED)
			ret = afb_error_set(err, -errno, "%s: cannot map: %s", path,
					    strerror(errno));
	}
	close(fd);
	return ret;
}

/**
 * afb_image_open - open an ELF file and read its site notes
 * @path:  the file; it is mapped read-only and never written
 * @image: set to the new image on success
 * @err:   describes a failure
 *
 * Returns 0 or a negative errno as afb_image_open_memory().
 */
AFB_EXPORT int afb_image_open(const char *path, struct afb_image **image,
			      struct afb_error *err)
{
	size_t size = 0;
	void *map = NULL;
	int ret;

	afb_error_clear(err);
	if (!path || !image)
		return afb_error_set(err, -EINVAL, "afb_image_open: no path");
	ret = map_file(path, &map, &size, err);
	if (ret)
		return ret;
	ret = image_new(map, size, path, image, err);
	if (ret) {
		munmap(map, size);
		return ret;
	}
	(*image)->map = map;
	return 0;
}

/* Release @image and everything it owns; NULL is fine. */
AFB_EXPORT void afb_image_close(struct afb_image *image)
{
	if (!image)
		return;
	if (image->elf)
		elf_end(image->elf);
	if (image->map)
		munmap(image->map, image->size);
	free(image->sites);
	free(image->site_scn);
	free(image->switches);
	free(image->data);
	free(image->areas);
	free(image->name);
	free(image);
}

AFB_EXPORT bool afb_image_is_relocatable(const struct afb_image *image)
{
	return image && image->relocatable;
}

AFB_EXPORT unsigned int afb_image_default_mode(const struct afb_image *image)
{
	return image ? image->default_mode : 0;
}

AFB_EXPORT size_t afb_image_sites(const struct afb_image *image,
				  const struct afb_site **sites)
{
	if (!image)
		return 0;
	if (sites)
		*sites = image->sites;
	return image->nr_sites;
}

AFB_EXPORT size_t afb_image_mode_switches(const struct afb_image *image,
					  const struct afb_mode_switch **switches)
{
	if (!image)
		return 0;
	if (switches)
		*switches = image->switches;
	return image->nr_switches;
}

AFB_EXPORT size_t afb_image_data_ranges(const struct afb_image *image,
					const struct afb_data_range **ranges)
{
	if (!image)
		return 0;
	if (ranges)
		*ranges = image->data;
	return image->nr_data;
}

AFB_EXPORT size_t afb_image_areas(const struct afb_image *image,
				  const struct afb_area **areas)
{
	if (!image)
		return 0;
	if (areas)
		*areas = image->areas;
	return image->nr_areas;
}

AFB_EXPORT size_t afb_image_note_count(const struct afb_image *image)
{
	return image ? image->nr_notes : 0;
}

/**
 * afb_image_site_bytes - the file bytes of a site
 * @image: the image @site belongs to
 * @site:  one of afb_image_sites()
 *
 * Returns site->len bytes inside the image's buffer, or NULL if the site's
 * bytes are not in the file (SHT_NOBITS, outside every section).
 */
AFB_EXPORT const uint8_t *afb_image_site_bytes(const struct afb_image *image,
					       const struct afb_site *site)
{
	if (!image || !site || site->file_offset == AFB_NO_FILE ||
	    site->file_offset > image->size ||
	    site->len > image->size - site->file_offset)
		return NULL;
	return image->buf + site->file_offset;
}

/**
 * afb_image_entry - the ELF entry point of an image
 * @image: an image from afb_image_open()
 *
 * Returns e_entry of a linked image, 0 for a relocatable object (or if
 * the header cannot be read).
 */
AFB_EXPORT uint64_t afb_image_entry(const struct afb_image *image)
{
	GElf_Ehdr eh;

	if (!image || image->relocatable || !gelf_getehdr(image->elf, &eh))
		return 0;
	return eh.e_entry;
}
