// SPDX-License-Identifier: MIT
/*
 * The boot loader: copies the PT_LOAD segments of an ELF64 (x86-64) or
 * ELF32 (i386) image to their p_paddr, finds the PVH entry
 * (XEN_ELFNOTE_PHYS32_ENTRY) and builds the hvm_start_info with the
 * memory map, the command line and the initrd as module 0, all below
 * 1 MiB (doc/afterburn-kvm.pod has the layout).  An i386 kernel always
 * starts at its PVH entry.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm.h"

#define XEN_ELFNOTE_PHYS32_ENTRY	18
#define HVM_START_MAGIC			0x336ec578
#define HVM_MEMMAP_RAM			1
#define HVM_MEMMAP_RESERVED		2

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static int map_file(const char *path, void **buf, size_t *size)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (st.st_size == 0) {
		r = -ENOEXEC;
		goto out;
	}
	*size = st.st_size;
	*buf = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (*buf == MAP_FAILED)
		r = -errno;
out:
	close(fd);
	return r;
}

static bool in_file(const struct kvm *kvm, uint64_t off, uint64_t len)
{
	return off <= kvm->image_size && len <= kvm->image_size - off;
}

/* Program header @i of the image (checked by loader__load), either class. */
void loader__phdr(const struct kvm *kvm, unsigned int i, struct loader_phdr *ph)
{
	const uint8_t *f = kvm->image_file;

	if (kvm->elf32) {
		const Elf32_Ehdr *eh = kvm->image_file;
		const Elf32_Phdr *p = (const Elf32_Phdr *)(f + eh->e_phoff) + i;

		*ph = (struct loader_phdr){ p->p_type, p->p_flags, p->p_offset,
			p->p_vaddr, p->p_paddr, p->p_filesz, p->p_memsz };
	} else {
		const Elf64_Ehdr *eh = kvm->image_file;
		const Elf64_Phdr *p = (const Elf64_Phdr *)(f + eh->e_phoff) + i;

		*ph = (struct loader_phdr){ p->p_type, p->p_flags, p->p_offset,
			p->p_vaddr, p->p_paddr, p->p_filesz, p->p_memsz };
	}
}

struct loader_shdr {
	uint64_t name, flags, addr, offset, size;
};

/* Section header @k (the caller checked that the table is in the file). */
static void loader_shdr(const struct kvm *kvm, uint64_t shoff, unsigned int k,
			struct loader_shdr *sh)
{
	const uint8_t *f = (const uint8_t *)kvm->image_file + shoff;

	if (kvm->elf32) {
		const Elf32_Shdr *s = (const Elf32_Shdr *)f + k;

		*sh = (struct loader_shdr){ s->sh_name, s->sh_flags, s->sh_addr,
			s->sh_offset, s->sh_size };
	} else {
		const Elf64_Shdr *s = (const Elf64_Shdr *)f + k;

		*sh = (struct loader_shdr){ s->sh_name, s->sh_flags, s->sh_addr,
			s->sh_offset, s->sh_size };
	}
}

/*
 * Call @fn for every symbol of the image's symbol tables (either class)
 * whose name is a string inside the file; stop when it returns true.
 */
void loader__for_each_symbol(const struct kvm *kvm, loader_symbol_fn fn, void *arg)
{
	const Elf32_Ehdr *e32 = kvm->image_file;
	const Elf64_Ehdr *e64 = kvm->image_file;
	const uint8_t *f = kvm->image_file;
	uint64_t shoff = kvm->elf32 ? e32->e_shoff : e64->e_shoff;
	unsigned int n = kvm->elf32 ? e32->e_shnum : e64->e_shnum;
	size_t entsize = kvm->elf32 ? sizeof(Elf32_Shdr) : sizeof(Elf64_Shdr);
	size_t symsize = kvm->elf32 ? sizeof(Elf32_Sym) : sizeof(Elf64_Sym);
	struct loader_shdr sh, str;
	unsigned int i;
	uint64_t j;

	if ((kvm->elf32 ? e32->e_shentsize : e64->e_shentsize) != entsize ||
	    !in_file(kvm, shoff, (uint64_t)n * entsize))
		return;
	for (i = 0; i < n; i++) {
		uint32_t type, link;

		if (kvm->elf32) {
			const Elf32_Shdr *s = (const Elf32_Shdr *)(f + shoff) + i;

			type = s->sh_type, link = s->sh_link;
		} else {
			const Elf64_Shdr *s = (const Elf64_Shdr *)(f + shoff) + i;

			type = s->sh_type, link = s->sh_link;
		}
		if (type != SHT_SYMTAB || link >= n)
			continue;
		loader_shdr(kvm, shoff, i, &sh);
		loader_shdr(kvm, shoff, link, &str);
		if (!in_file(kvm, sh.offset, sh.size) || !in_file(kvm, str.offset, str.size))
			continue;
		for (j = 0; j < sh.size / symsize; j++) {
			uint64_t name, value, size;
			const char *s;

			if (kvm->elf32) {
				const Elf32_Sym *y = (const Elf32_Sym *)(f + sh.offset) + j;

				name = y->st_name, value = y->st_value, size = y->st_size;
			} else {
				const Elf64_Sym *y = (const Elf64_Sym *)(f + sh.offset) + j;

				name = y->st_name, value = y->st_value, size = y->st_size;
			}
			if (name >= str.size)
				continue;
			s = (const char *)f + str.offset + name;
			if (!memchr(s, '\0', str.size - name))
				continue;
			if (fn(s, value, size, arg))
				return;
		}
	}
}

/* Look for the PVH entry in one PT_NOTE segment. */
static void loader_scan_notes(struct kvm *kvm, const struct loader_phdr *ph)
{
	const uint8_t *p = (const uint8_t *)kvm->image_file + ph->offset;
	uint64_t left = ph->filesz;

	while (left >= sizeof(Elf64_Nhdr)) {
		const Elf64_Nhdr *n = (const Elf64_Nhdr *)p;
		uint64_t name = (n->n_namesz + 3) & ~3ULL;
		uint64_t desc = (n->n_descsz + 3) & ~3ULL;
		uint64_t total = sizeof(*n) + name + desc;

		if (total > left)
			return;
		if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 &&
		    !memcmp(p + sizeof(*n), "Xen", 4) && n->n_descsz >= 4) {
			uint64_t v = 0;

			memcpy(&v, p + sizeof(*n) + name,
			       n->n_descsz >= 8 ? 8 : 4);
			kvm->entry32 = v;
		}
		p += total;
		left -= total;
	}
}

/*
 * An x86-64 (ELF64) or i386 (ELF32) executable whose program headers are
 * in the file: sets kvm->elf32, kvm->phnum and kvm->entry64 (e_entry).
 */
static int loader_check_header(struct kvm *kvm)
{
	const Elf64_Ehdr *e64 = kvm->image_file;
	const Elf32_Ehdr *e32 = kvm->image_file;
	uint64_t phoff;
	size_t phsize;

	if (kvm->image_size < sizeof(*e32) || memcmp(e64->e_ident, ELFMAG, SELFMAG))
		goto bad;
	if (e64->e_ident[EI_CLASS] == ELFCLASS32) {
		if (e32->e_machine != EM_386 || e32->e_type != ET_EXEC ||
		    e32->e_phentsize != sizeof(Elf32_Phdr))
			goto bad;
		kvm->elf32 = true;
		kvm->phnum = e32->e_phnum;
		kvm->entry64 = e32->e_entry;
		phoff = e32->e_phoff;
		phsize = sizeof(Elf32_Phdr);
	} else {
		if (kvm->image_size < sizeof(*e64) ||
		    e64->e_ident[EI_CLASS] != ELFCLASS64 ||
		    e64->e_machine != EM_X86_64 || e64->e_type != ET_EXEC ||
		    e64->e_phentsize != sizeof(Elf64_Phdr))
			goto bad;
		kvm->phnum = e64->e_phnum;
		kvm->entry64 = e64->e_entry;
		phoff = e64->e_phoff;
		phsize = sizeof(Elf64_Phdr);
	}
	if (in_file(kvm, phoff, (uint64_t)kvm->phnum * phsize))
		return 0;
bad:
	pr_err("%s: not an x86-64 or i386 ELF executable", kvm->cfg.kernel);
	return -ENOEXEC;
}

static int loader_load_segments(struct kvm *kvm)
{
	struct loader_phdr ph;
	unsigned int i, loads = 0;
	int r;

	r = loader_check_header(kvm);
	if (r < 0)
		return r;
	for (i = 0; i < kvm->phnum; i++) {
		uint8_t *dst;

		loader__phdr(kvm, i, &ph);
		if (ph.type == PT_NOTE && in_file(kvm, ph.offset, ph.filesz))
			loader_scan_notes(kvm, &ph);
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		if (ph.filesz > ph.memsz || !in_file(kvm, ph.offset, ph.filesz)) {
			pr_err("%s: segment %u (%#llx bytes at file offset %#llx) runs past the end of the file (%zu bytes): the image is truncated or corrupt",
			       kvm->cfg.kernel, i, (unsigned long long)ph.filesz,
			       (unsigned long long)ph.offset, kvm->image_size);
			return -ENOEXEC;
		}
		dst = kvm__gpa(kvm, ph.paddr, ph.memsz);
		if (!dst || ph.paddr < BOOT_CMDLINE + BOOT_CMDLINE_MAX ||
		    ph.paddr + ph.memsz > kvm->wedge_phys) {
			pr_err("%s: segment %u (paddr %#llx, %#llx bytes) does not fit in guest RAM (%llu MiB)",
			       kvm->cfg.kernel, i, (unsigned long long)ph.paddr,
			       (unsigned long long)ph.memsz,
			       (unsigned long long)(kvm->ram_size >> 20));
			return -E2BIG;
		}
		memcpy(dst, (const uint8_t *)kvm->image_file + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
		if (ph.paddr + ph.memsz > kvm->image_end)
			kvm->image_end = ph.paddr + ph.memsz;
		if (!loads || ph.paddr < kvm->image_start)
			kvm->image_start = ph.paddr;
		if (!loads)
			kvm->load_delta = ph.vaddr - ph.paddr;
		else if (kvm->load_delta != ph.vaddr - ph.paddr)
			kvm->load_delta_ok = false;
		if (!loads)
			kvm->load_delta_ok = true;
		loads++;
	}
	if (!loads) {
		pr_err("%s: no PT_LOAD segment", kvm->cfg.kernel);
		return -ENOEXEC;
	}
	return 0;
}

static void memmap_add(struct hvm_memmap_entry *map, uint32_t *n,
		       uint64_t addr, uint64_t size, uint32_t type)
{
	if (*n < BOOT_MEMMAP_MAX && size)
		map[(*n)++] = (struct hvm_memmap_entry){ addr, size, type, 0 };
}

/* The initrd: page-aligned at the top of RAM, below the wedge. */
static int loader_load_initrd(struct kvm *kvm, struct hvm_start_info *si)
{
	struct hvm_modlist_entry *mod = kvm__gpa(kvm, BOOT_MODLIST, sizeof(*mod));
	void *buf;
	size_t size;
	uint64_t at;
	int r;

	r = map_file(kvm->cfg.initrd, &buf, &size);
	if (r < 0) {
		pr_err("%s: %s", kvm->cfg.initrd, strerror(-r));
		return r;
	}
	at = (kvm->wedge_phys - size) & ~0xfffULL;
	if (size > kvm->wedge_phys || at < kvm->image_end) {
		pr_err("%s: %zu bytes do not fit in guest RAM above the kernel",
		       kvm->cfg.initrd, size);
		munmap(buf, size);
		return -E2BIG;
	}
	memcpy(kvm->ram + at, buf, size);
	munmap(buf, size);
	*mod = (struct hvm_modlist_entry){ .paddr = at, .size = size };
	si->nr_modules = 1;
	si->modlist_paddr = BOOT_MODLIST;
	return 0;
}

static int loader_build_start_info(struct kvm *kvm)
{
	struct hvm_start_info *si = kvm__gpa(kvm, BOOT_INFO, sizeof(*si));
	struct hvm_memmap_entry *map =
		kvm__gpa(kvm, BOOT_MEMMAP, BOOT_MEMMAP_MAX * sizeof(*map));
	uint32_t n = 0;
	uint64_t low;

	memset(si, 0, sizeof(*si));
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	if (kvm->cfg.cmdline) {
		size_t len = strlen(kvm->cfg.cmdline);

		if (len >= BOOT_CMDLINE_MAX) {
			pr_err("-append: command line longer than %d bytes",
			       BOOT_CMDLINE_MAX - 1);
			return -E2BIG;
		}
		memcpy(kvm__gpa(kvm, BOOT_CMDLINE, len + 1), kvm->cfg.cmdline, len + 1);
		si->cmdline_paddr = BOOT_CMDLINE;
	}
	if (kvm->cfg.initrd) {
		int r = loader_load_initrd(kvm, si);

		if (r < 0)
			return r;
	}
	/* i386: BOOT_AREA32 up is reserved, the 32-bit wedge's default place. */
	low = kvm->elf32 ? BOOT_AREA32 : 0x9fc00;
	memmap_add(map, &n, 0, low, HVM_MEMMAP_RAM);
	memmap_add(map, &n, low, 0x100000 - low, HVM_MEMMAP_RESERVED);
	memmap_add(map, &n, 0x100000, kvm->wedge_phys - 0x100000, HVM_MEMMAP_RAM);
	memmap_add(map, &n, kvm->wedge_phys, WEDGE_SIZE, HVM_MEMMAP_RESERVED);
	si->memmap_paddr = BOOT_MEMMAP;
	si->memmap_entries = n;
	return 0;
}

int loader__load(struct kvm *kvm)
{
	int r;

	r = map_file(kvm->cfg.kernel, &kvm->image_file, &kvm->image_size);
	if (r < 0) {
		pr_err("%s: %s", kvm->cfg.kernel,
		       r == -ENOEXEC ? "empty file" : strerror(-r));
		kvm->image_file = NULL;
		return r;
	}
	r = loader_load_segments(kvm);
	if (r < 0)
		return r;
	/* A kernel linked in the top 2 GiB (Linux) expects its own page
	 * tables at its 64-bit entry: start it at its PVH entry.  An i386
	 * kernel has no other. */
	if (!kvm->cfg.entry_set && kvm->entry32 &&
	    kvm->image_start + kvm->load_delta >= KERNEL_TOP_2G)
		kvm->cfg.entry32 = true;
	if (kvm->elf32) {
		if (kvm->cfg.entry_set && !kvm->cfg.entry32) {
			pr_err("%s: an i386 kernel has no 64-bit entry (--entry=64)",
			       kvm->cfg.kernel);
			return -EINVAL;
		}
		kvm->cfg.entry32 = true;
	}
	if (kvm->cfg.entry32 && !kvm->entry32) {
		pr_err("%s: no PVH entry (XEN_ELFNOTE_PHYS32_ENTRY note)",
		       kvm->cfg.kernel);
		return -ENOEXEC;
	}
	if (kvm->cfg.entry32 && kvm__gpa(kvm, kvm->entry32, 1) == NULL) {
		pr_err("%s: PVH entry %#llx outside guest RAM", kvm->cfg.kernel,
		       (unsigned long long)kvm->entry32);
		return -ENOEXEC;
	}
	return loader_build_start_info(kvm);
}

void loader__unload(struct kvm *kvm)
{
	if (kvm->image_file)
		munmap(kvm->image_file, kvm->image_size);
	kvm->image_file = NULL;
}
