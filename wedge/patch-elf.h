/* SPDX-License-Identifier: MIT */
/*
 * afterburn-patch's view of its input: the file and its headers, read
 * through libelf's class-independent gelf_* calls, so that an ELF32 (i386)
 * and an ELF64 (x86-64) image are one code path; and the few headers it
 * writes back, in the input's class.
 */
#ifndef AFB_WEDGE_PATCH_ELF_H
#define AFB_WEDGE_PATCH_ELF_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* IMAGE as read: the file and copies of its headers. */
struct elf_in {
	const char *path;
	uint8_t *buf;
	size_t size;
	mode_t mode;
	int elfclass;			/* ELFCLASS32 or ELFCLASS64 */
	GElf_Ehdr eh;
	GElf_Phdr *ph;
	GElf_Shdr *sh;			/* NULL if there are none */
	size_t phnum, shnum;
};

/* Read @in->path into @in->buf; dies on error. */
void elf_in__read_file(struct elf_in *in);

/*
 * Read and check the headers of @in->buf: a linked little-endian x86-64
 * ELF64 or i386 ELF32 image whose header tables lie in the file; dies with
 * the reason otherwise.
 */
void elf_in__read_headers(struct elf_in *in);

/* [off, off + len) lies inside the file. */
int elf_in__in_file(const struct elf_in *in, uint64_t off, uint64_t len);

/* The size in @in's class of an ELF header, a program or section header. */
size_t elf_in__ehdr_size(const struct elf_in *in);
size_t elf_in__phdr_size(const struct elf_in *in);
size_t elf_in__shdr_size(const struct elf_in *in);

/* Write headers in @in's class (file layout) at @to. */
void elf_in__put_ehdr(const struct elf_in *in, const GElf_Ehdr *eh, uint8_t *to);
void elf_in__put_phdrs(const struct elf_in *in, const GElf_Phdr *ph, size_t n,
		       uint8_t *to);
void elf_in__put_shdrs(const struct elf_in *in, const GElf_Shdr *sh, size_t n,
		       uint8_t *to);

void elf_in__free(struct elf_in *in);

#endif
