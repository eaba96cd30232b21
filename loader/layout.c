// SPDX-License-Identifier: MIT
/*
 * The layout of an ELF file: the program header table, the section
 * header table, and every segment and section that has bytes in the file
 * must lie inside the file.  A truncated image (cut inside its program
 * headers, a segment, a section or the section headers) is refused with
 * the reason before anything reads it.  libelf alone is no help here: it
 * reads a cut section header table as "no sections" and cannot read the
 * entries of a cut program header table, so a reader that trusts it sees
 * an image without sites, or without sections, and carries on.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "error.h"
#include "image.h"

static bool in_file(const struct afb_image *img, uint64_t off, uint64_t len)
{
	return off <= img->size && len <= img->size - off;
}

/* A little-endian field of @n bytes at @p (x86 images are little-endian). */
static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int __attribute__((format(printf, 3, 4)))
truncated(const struct afb_image *img, struct afb_error *err,
	  const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return afb_error_set(err, -EINVAL,
		"%s: truncated or corrupt image: %s runs past the end of the file (%zu bytes)",
		img->name, what, img->size);
}

/*
 * The section header table: its entry size, its first entry (which holds
 * the count when e_shnum is 0) and all of it inside the file.  Sets
 * *@count to the number of entries, 0 without a table.
 */
static int check_shdr_table(const struct afb_image *img, const GElf_Ehdr *eh,
			    size_t *count, struct afb_error *err)
{
	bool is64 = img->default_mode == 64;
	size_t entsize = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	uint64_t n;

	*count = 0;
	if (!eh->e_shoff)
		return 0;
	if (eh->e_shentsize != entsize)
		return afb_error_set(err, -EINVAL,
			"%s: corrupt image: section header entries of %u bytes, ELFCLASS%u has %zu",
			img->name, eh->e_shentsize, is64 ? 64 : 32, entsize);
	if (!in_file(img, eh->e_shoff, entsize))
		return truncated(img, err,
				 "the section header table at offset 0x%llx",
				 (unsigned long long)eh->e_shoff);
	n = eh->e_shnum;
	if (!n)		/* extended numbering: the count is in sh_size of entry 0 */
		n = is64 ? get_le(img->buf + eh->e_shoff + 32, 8) :
			   get_le(img->buf + eh->e_shoff + 20, 4);
	if (n > img->size / entsize || !in_file(img, eh->e_shoff, n * entsize))
		return truncated(img, err,
			"the section header table (%llu entries of %zu bytes at offset 0x%llx)",
			(unsigned long long)n, entsize,
			(unsigned long long)eh->e_shoff);
	*count = n;
	return 0;
}

/* The program header table: entry size, and all of it inside the file. */
static int check_phdr_table(const struct afb_image *img, const GElf_Ehdr *eh,
			    size_t phnum, struct afb_error *err)
{
	bool is64 = img->default_mode == 64;
	size_t entsize = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

	if (!phnum)
		return 0;
	if (eh->e_phentsize != entsize)
		return afb_error_set(err, -EINVAL,
			"%s: corrupt image: program header entries of %u bytes, ELFCLASS%u has %zu",
			img->name, eh->e_phentsize, is64 ? 64 : 32, entsize);
	if (!eh->e_phoff || phnum > img->size / entsize ||
	    !in_file(img, eh->e_phoff, phnum * entsize))
		return truncated(img, err,
			"the program header table (%zu entries of %zu bytes at offset 0x%llx)",
			phnum, entsize, (unsigned long long)eh->e_phoff);
	return 0;
}

static const char *segment_type(uint32_t type, char *buf, size_t size)
{
	switch (type) {
	case PT_LOAD: return "PT_LOAD";
	case PT_NOTE: return "PT_NOTE";
	case PT_DYNAMIC: return "PT_DYNAMIC";
	case PT_INTERP: return "PT_INTERP";
	case PT_PHDR: return "PT_PHDR";
	case PT_TLS: return "PT_TLS";
	}
	snprintf(buf, size, "type 0x%x", type);
	return buf;
}

/* Every segment's file bytes inside the file; a PT_LOAD's fit its memory. */
static int check_segments(const struct afb_image *img, size_t phnum,
			  struct afb_error *err)
{
	char type[32];
	GElf_Phdr ph;
	size_t i;

	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(img->elf, i, &ph))
			return afb_error_set(err, -EINVAL,
				"%s: cannot read program header %zu: %s",
				img->name, i, elf_errmsg(-1));
		if (ph.p_filesz && !in_file(img, ph.p_offset, ph.p_filesz))
			return truncated(img, err,
				"segment %zu (%s, 0x%llx bytes at file offset 0x%llx)",
				i, segment_type(ph.p_type, type, sizeof(type)),
				(unsigned long long)ph.p_filesz,
				(unsigned long long)ph.p_offset);
		if (ph.p_type == PT_LOAD && ph.p_filesz > ph.p_memsz)
			return afb_error_set(err, -EINVAL,
				"%s: corrupt image: PT_LOAD segment %zu has 0x%llx bytes in the file but 0x%llx in memory",
				img->name, i, (unsigned long long)ph.p_filesz,
				(unsigned long long)ph.p_memsz);
	}
	return 0;
}

static bool has_file_bytes(const GElf_Shdr *sh)
{
	return sh->sh_type != SHT_NOBITS && sh->sh_type != SHT_NULL && sh->sh_size;
}

/* Every section's file bytes inside the file, the name table first. */
static int check_sections(const struct afb_image *img, struct afb_error *err)
{
	const char *name;
	GElf_Shdr sh;
	size_t i;

	if (!img->shnum)
		return 0;
	if (!gelf_getshdr(elf_getscn(img->elf, img->shstrndx), &sh))
		return afb_error_set(err, -EINVAL,
			"%s: corrupt image: no section name table (section %zu)",
			img->name, img->shstrndx);
	if (has_file_bytes(&sh) && !in_file(img, sh.sh_offset, sh.sh_size))
		return truncated(img, err,
			"the section name table (section %zu, 0x%llx bytes at file offset 0x%llx)",
			img->shstrndx, (unsigned long long)sh.sh_size,
			(unsigned long long)sh.sh_offset);
	for (i = 1; i < img->shnum; i++) {
		if (!gelf_getshdr(elf_getscn(img->elf, i), &sh))
			return afb_error_set(err, -EINVAL,
				"%s: cannot read section header %zu: %s",
				img->name, i, elf_errmsg(-1));
		if (!has_file_bytes(&sh) || in_file(img, sh.sh_offset, sh.sh_size))
			continue;
		name = elf_strptr(img->elf, img->shstrndx, sh.sh_name);
		return truncated(img, err,
			"section %s (0x%llx bytes at file offset 0x%llx)",
			name ? name : "(unnamed)", (unsigned long long)sh.sh_size,
			(unsigned long long)sh.sh_offset);
	}
	return 0;
}

/**
 * afb_image_check_layout - refuse a truncated or corrupt file
 * @img: an image whose ELF header, class and section count
 *       (img->shnum, img->shstrndx) have been read
 * @err: names the table, segment or section that lies past the end
 *
 * The checks go in file order, so the first thing cut is named: the
 * program header table, the segments, the section header table, the
 * sections.  Returns 0 or -EINVAL.
 */
int afb_image_check_layout(const struct afb_image *img, struct afb_error *err)
{
	size_t shnum, phnum;
	GElf_Ehdr eh;
	int ret;

	if (!gelf_getehdr(img->elf, &eh))
		return afb_error_set(err, -EINVAL, "%s: cannot read the ELF header: %s",
				     img->name, elf_errmsg(-1));
	/* libelf counts no entries in a cut table: trust e_phnum for that */
	phnum = eh.e_phnum;
	if (phnum == PN_XNUM && elf_getphdrnum(img->elf, &phnum))
		return afb_error_set(err, -EINVAL, "%s: bad program headers: %s",
				     img->name, elf_errmsg(-1));
	ret = check_phdr_table(img, &eh, phnum, err);
	if (!ret)
		ret = check_segments(img, phnum, err);
	if (!ret)
		ret = check_shdr_table(img, &eh, &shnum, err);
	if (!ret && shnum != img->shnum)
		ret = afb_error_set(err, -EINVAL,
			"%s: corrupt image: the ELF header gives %zu section headers, libelf reads %zu",
			img->name, shnum, img->shnum);
	if (!ret)
		ret = check_sections(img, err);
	return ret;
}
