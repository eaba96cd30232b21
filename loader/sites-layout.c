// SPDX-License-Identifier: MIT
/*
 * afterburn-sites --verify: where the notes of a linked image sit.
 *
 * The sites are correct wherever the notes are, but a note section that
 * the link placed in a PT_LOAD segment of its own, far from the code,
 * makes the program bigger than it should be: a flat binary (objcopy -O
 * binary) spans the gap (a program linked by ld's default script with
 * -Ttext 0 grows from bytes to 128 MiB), and a loader that expects one
 * segment refuses it.  That is reported as a warning, not a problem.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sites.h"

/* A gap this large between notes and code is not an alignment pad. */
#define FAR_GAP		(1ULL << 20)

static bool inside(const GElf_Phdr *ph, const GElf_Shdr *sh)
{
	return sh->sh_addr >= ph->p_vaddr &&
	       sh->sh_addr + sh->sh_size <= ph->p_vaddr + ph->p_memsz &&
	       sh->sh_size;
}

/* Does segment @ph hold an executable section of @elf? */
static bool holds_code(Elf *elf, const GElf_Phdr *ph)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR) &&
		    (sh.sh_flags & SHF_ALLOC) && inside(ph, &sh))
			return true;
	return false;
}

/* The distance from segment @ph to the nearest segment with code. */
static uint64_t gap_to_code(Elf *elf, const GElf_Phdr *ph, size_t phnum,
			    GElf_Phdr *code)
{
	uint64_t best = UINT64_MAX, d;
	GElf_Phdr o;
	size_t i;

	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(elf, i, &o) || o.p_type != PT_LOAD ||
		    !holds_code(elf, &o))
			continue;
		if (o.p_vaddr >= ph->p_vaddr + ph->p_memsz)
			d = o.p_vaddr - (ph->p_vaddr + ph->p_memsz);
		else if (ph->p_vaddr >= o.p_vaddr + o.p_memsz)
			d = ph->p_vaddr - (o.p_vaddr + o.p_memsz);
		else
			d = 0;
		if (d < best) {
			best = d;
			*code = o;
		}
	}
	return best;
}

static void warn(const char *path, const struct sites_opts *opts,
		 const char *section, size_t seg, const GElf_Phdr *ph,
		 uint64_t gap, const GElf_Phdr *code)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "the Afterburn notes in %s sit in PT_LOAD segment %zu at 0x%" PRIx64
		 ", 0x%" PRIx64 " bytes from the code they describe (at 0x%" PRIx64
		 "): a flat binary of this image spans the gap; assemble it with "
		 "AFTERBURN_AS_FLAGS=--afterburn-notes=unloaded, or place .note.* "
		 "next to the code in the linker script",
		 section, seg, (uint64_t)ph->p_vaddr, gap, (uint64_t)code->p_vaddr);
	if (opts->format == SITES_FORMAT_TSV)
		printf("warning\t%s\t-\t-\t%s%s%s\n", section, text,
		       opts->several ? "\t" : "", opts->several ? path : "");
	else
		printf("%s: warning: %s\n", path, text);
}

/* Check every loaded .note.afterburn* section of @elf; count warnings. */
static size_t check_sections(const char *path, Elf *elf,
			     const struct sites_opts *opts)
{
	size_t shstrndx, phnum, i, warnings = 0;
	GElf_Phdr ph, code = { 0 };
	Elf_Scn *scn = NULL;
	const char *name;
	GElf_Shdr sh;
	uint64_t gap;

	if (elf_getshdrstrndx(elf, &shstrndx) || elf_getphdrnum(elf, &phnum))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(sh.sh_flags & SHF_ALLOC))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strncmp(name, AFB_NOTE_SECTION,
				     strlen(AFB_NOTE_SECTION)))
			continue;
		for (i = 0; i < phnum; i++) {
			if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD ||
			    !inside(&ph, &sh) || holds_code(elf, &ph))
				continue;
			gap = gap_to_code(elf, &ph, phnum, &code);
			if (gap != UINT64_MAX && gap >= FAR_GAP) {
				warn(path, opts, name, i, &ph, gap, &code);
				warnings++;
			}
		}
	}
	return warnings;
}

/*
 * sites__check_layout - warn (on standard output, in the --verify format)
 * about note sections of the linked image @path that sit in a segment of
 * their own far from the code.  Returns the number of warnings.
 */
size_t sites__check_layout(const char *path, const struct sites_opts *opts)
{
	size_t warnings = 0;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		warnings = check_sections(path, elf, opts);
	if (elf)
		elf_end(elf);
	close(fd);
	return warnings;
}
