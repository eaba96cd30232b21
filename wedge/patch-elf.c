// SPDX-License-Identifier: MIT
/*
 * Reading afterburn-patch's input image and writing its headers back, for
 * ELF32 (i386) and ELF64 (x86-64) alike.  Reading goes through libelf
 * (gelf_getehdr, gelf_getphdr, gelf_getshdr), which gives every header in
 * the 64-bit GElf form whatever the class.  Writing goes through libelf's
 * translation too (gelf_xlatetof), from the class's own memory form: an
 * ELF32 header is narrowed from its GElf form first, field by field, and
 * each value is checked to fit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "patch-elf.h"
#include "util.h"

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory");
	return p;
}

void elf_in__read_file(struct elf_in *in)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd = open(in->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		die("%s: %s", in->path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("%s: not a regular file", in->path);
	in->size = st.st_size;
	in->mode = st.st_mode & 07777;
	in->buf = zalloc(1, in->size);
	while (got < in->size) {
		n = read(fd, in->buf + got, in->size - got);
		if (n <= 0)
			die("%s: read error: %s", in->path, n ? strerror(errno) : "file shrank");
		got += n;
	}
	close(fd);
}

int elf_in__in_file(const struct elf_in *in, uint64_t off, uint64_t len)
{
	return off <= in->size && len <= in->size - off;
}

size_t elf_in__ehdr_size(const struct elf_in *in)
{
	return in->elfclass == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
}

size_t elf_in__phdr_size(const struct elf_in *in)
{
	return in->elfclass == ELFCLASS32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
}

size_t elf_in__shdr_size(const struct elf_in *in)
{
	return in->elfclass == ELFCLASS32 ? sizeof(Elf32_Shdr) : sizeof(Elf64_Shdr);
}

/* The class and machine afterburn-patch knows, and a linked image. */
static void check_ehdr(const struct elf_in *in)
{
	const GElf_Ehdr *eh = &in->eh;
	int x86_64 = in->elfclass == ELFCLASS64 && eh->e_machine == EM_X86_64;
	int i386 = in->elfclass == ELFCLASS32 && eh->e_machine == EM_386;

	if (eh->e_ident[EI_DATA] != ELFDATA2LSB || (!x86_64 && !i386))
		die("%s: not a little-endian x86-64 (ELFCLASS64) or i386 (ELFCLASS32) ELF file",
		    in->path);
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		die("%s: not a linked image (ET_EXEC or ET_DYN); link it first",
		    in->path);
	if (eh->e_phentsize != elf_in__phdr_size(in) || !eh->e_phnum ||
	    eh->e_phnum == PN_XNUM)
		die("%s: no usable program header table", in->path);
	if (eh->e_shoff && (eh->e_shentsize != elf_in__shdr_size(in) ||
			    !eh->e_shnum || eh->e_shstrndx >= eh->e_shnum))
		die("%s: unsupported section header table (extended numbering or bad entry size)",
		    in->path);
}

static void read_phdrs(struct elf_in *in, Elf *e)
{
	const GElf_Phdr *p;
	size_t i;

	if (!elf_in__in_file(in, in->eh.e_phoff, in->phnum * elf_in__phdr_size(in)))
		die("%s: the program headers run past the end of the file", in->path);
	in->ph = zalloc(in->phnum, sizeof(*in->ph));
	for (i = 0; i < in->phnum; i++) {
		if (!gelf_getphdr(e, i, &in->ph[i]))
			die("%s: program header %zu: %s", in->path, i, elf_errmsg(-1));
		p = &in->ph[i];
		if (p->p_type == PT_LOAD &&
		    (!elf_in__in_file(in, p->p_offset, p->p_filesz) ||
		     p->p_filesz > p->p_memsz))
			die("%s: PT_LOAD segment %zu is corrupt (offset 0x%llx, size 0x%llx)",
			    in->path, i, (unsigned long long)p->p_offset,
			    (unsigned long long)p->p_filesz);
	}
}

static void read_shdrs(struct elf_in *in, Elf *e)
{
	const GElf_Shdr *str;
	size_t i;

	if (!elf_in__in_file(in, in->eh.e_shoff, in->shnum * elf_in__shdr_size(in)))
		die("%s: the section headers run past the end of the file", in->path);
	in->sh = zalloc(in->shnum, sizeof(*in->sh));
	for (i = 0; i < in->shnum; i++)
		if (!gelf_getshdr(elf_getscn(e, i), &in->sh[i]))
			die("%s: section header %zu: %s", in->path, i, elf_errmsg(-1));
	str = &in->sh[in->eh.e_shstrndx];
	if (!elf_in__in_file(in, str->sh_offset, str->sh_size))
		die("%s: the section name table runs past the end of the file",
		    in->path);
}

void elf_in__read_headers(struct elf_in *in)
{
	Elf *e;

	if (in->size < EI_NIDENT || memcmp(in->buf, ELFMAG, SELFMAG))
		die("%s: not an ELF file", in->path);
	elf_version(EV_CURRENT);
	e = elf_memory((char *)in->buf, in->size);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &in->eh))
		die("%s: not a readable ELF file: %s", in->path, elf_errmsg(-1));
	in->elfclass = gelf_getclass(e);
	check_ehdr(in);
	in->phnum = in->eh.e_phnum;
	read_phdrs(in, e);
	in->shnum = in->eh.e_shoff ? in->eh.e_shnum : 0;
	if (in->shnum)
		read_shdrs(in, e);
	elf_end(e);
}

/* Translate @n entries of @type from memory form @src to the file at @to. */
static void xlate(const struct elf_in *in, Elf_Type type, const void *src,
		  size_t len, uint8_t *to)
{
	Elf_Data s = { .d_buf = (void *)src, .d_type = type, .d_size = len,
		       .d_version = EV_CURRENT };
	Elf_Data d = { .d_buf = to, .d_type = type, .d_size = len,
		       .d_version = EV_CURRENT };
	Elf *e = elf_memory((char *)in->buf, in->size);

	if (!e || !gelf_xlatetof(e, &d, &s, ELFDATA2LSB) || d.d_size != len)
		die("internal error: cannot write an ELF header: %s", elf_errmsg(-1));
	elf_end(e);
}

/* An ELF32 field: dies if @v does not fit in 32 bits. */
static uint32_t narrow(const struct elf_in *in, uint64_t v, const char *what)
{
	if (v > UINT32_MAX)
		die("%s: %s 0x%llx does not fit an ELF32 image", in->path, what,
		    (unsigned long long)v);
	return (uint32_t)v;
}

void elf_in__put_ehdr(const struct elf_in *in, const GElf_Ehdr *eh, uint8_t *to)
{
	Elf32_Ehdr e32;

	if (in->elfclass == ELFCLASS64) {
		xlate(in, ELF_T_EHDR, eh, sizeof(*eh), to);
		return;
	}
	memcpy(e32.e_ident, eh->e_ident, EI_NIDENT);
	e32.e_type = eh->e_type;
	e32.e_machine = eh->e_machine;
	e32.e_version = eh->e_version;
	e32.e_entry = narrow(in, eh->e_entry, "entry point");
	e32.e_phoff = narrow(in, eh->e_phoff, "program header offset");
	e32.e_shoff = narrow(in, eh->e_shoff, "section header offset");
	e32.e_flags = eh->e_flags;
	e32.e_ehsize = eh->e_ehsize;
	e32.e_phentsize = eh->e_phentsize;
	e32.e_phnum = eh->e_phnum;
	e32.e_shentsize = eh->e_shentsize;
	e32.e_shnum = eh->e_shnum;
	e32.e_shstrndx = eh->e_shstrndx;
	xlate(in, ELF_T_EHDR, &e32, sizeof(e32), to);
}

void elf_in__put_phdrs(const struct elf_in *in, const GElf_Phdr *ph, size_t n,
		       uint8_t *to)
{
	Elf32_Phdr *p32;
	size_t i;

	if (in->elfclass == ELFCLASS64) {
		xlate(in, ELF_T_PHDR, ph, n * sizeof(*ph), to);
		return;
	}
	p32 = zalloc(n, sizeof(*p32));
	for (i = 0; i < n; i++)
		p32[i] = (Elf32_Phdr){
			.p_type = ph[i].p_type,
			.p_offset = narrow(in, ph[i].p_offset, "segment offset"),
			.p_vaddr = narrow(in, ph[i].p_vaddr, "segment address"),
			.p_paddr = narrow(in, ph[i].p_paddr, "segment physical address"),
			.p_filesz = narrow(in, ph[i].p_filesz, "segment size"),
			.p_memsz = narrow(in, ph[i].p_memsz, "segment size"),
			.p_flags = ph[i].p_flags,
			.p_align = narrow(in, ph[i].p_align, "segment alignment"),
		};
	xlate(in, ELF_T_PHDR, p32, n * sizeof(*p32), to);
	free(p32);
}

void elf_in__put_shdrs(const struct elf_in *in, const GElf_Shdr *sh, size_t n,
		       uint8_t *to)
{
	Elf32_Shdr *s32;
	size_t i;

	if (in->elfclass == ELFCLASS64) {
		xlate(in, ELF_T_SHDR, sh, n * sizeof(*sh), to);
		return;
	}
	s32 = zalloc(n, sizeof(*s32));
	for (i = 0; i < n; i++)
		s32[i] = (Elf32_Shdr){
			.sh_name = sh[i].sh_name,
			.sh_type = sh[i].sh_type,
			.sh_flags = narrow(in, sh[i].sh_flags, "section flags"),
			.sh_addr = narrow(in, sh[i].sh_addr, "section address"),
			.sh_offset = narrow(in, sh[i].sh_offset, "section offset"),
			.sh_size = narrow(in, sh[i].sh_size, "section size"),
			.sh_link = sh[i].sh_link,
			.sh_info = sh[i].sh_info,
			.sh_addralign = narrow(in, sh[i].sh_addralign, "section alignment"),
			.sh_entsize = narrow(in, sh[i].sh_entsize, "section entry size"),
		};
	xlate(in, ELF_T_SHDR, s32, n * sizeof(*s32), to);
	free(s32);
}

void elf_in__free(struct elf_in *in)
{
	free(in->sh);
	free(in->ph);
	free(in->buf);
}
