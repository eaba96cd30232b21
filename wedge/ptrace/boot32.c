// SPDX-License-Identifier: MIT
/*
 * An i386 guest kernel: an ELF32 image started at its PVH entry
 * (XEN_ELFNOTE_PHYS32_ENTRY), in 32-bit protected mode with paging off
 * and %ebx = the physical address of struct hvm_start_info, as QEMU and
 * afterburn-kvm start it.  It runs natively in compatibility mode in this
 * process's low 4 GiB (compat.h, doc/afterburn-ptrace.pod "THE I386
 * MECHANISM"): the host reserves them, loads the image to guest-physical
 * p_paddr, writes the start information, patches the sites (thunk32.c),
 * and enters the guest with compat_resume().
 *
 * Guest-physical layout below 1 MiB (the 64-bit boot structures' place,
 * BOOT_START_INFO and up, lies under mmap_min_addr, where a guest with
 * paging off could not read it here):
 *
 *   0x1f000            the esp the entry gets (PVH promises no stack)
 *   0x20000            struct hvm_start_info, its memory map at +0x100
 *   0x21000            the command line
 *   area - 1 MiB       reserved: the wedge area (the image's area note,
 *                      else 0x40000-0x9efff, 380 KiB, at the image's
 *                      virtual offset: room for Linux's thousands of
 *                      sites with their fast paths)
 *
 * The code that runs with paging off (the function that holds the PVH
 * entry, Linux's head code) is left native in both modes: its sensitive
 * instructions trap at CPL3 and are emulated from the signal.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ptrace.h"

#define BOOT32_STACK		0x1f000
#define BOOT32_START_INFO	0x20000
#define BOOT32_MEMMAP		0x20100
#define BOOT32_CMDLINE		0x21000
#define BOOT32_AREA		0x40000		/* default wedge area */
#define BOOT32_AREA_SIZE	0x5f000
#define XEN_ELFNOTE_PHYS32_ENTRY 18

struct hvm_start_info32 {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry32 {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define HVM_START_MAGIC		0x336ec578
#define HVM_MEMMAP_RAM		1
#define HVM_MEMMAP_RESERVED	2

/* Is @path an ELF32 file (the caller then takes this path)?  Errors are
   left to the loaders, which name them. */
bool boot32__is_elf32(const char *path)
{
	unsigned char id[EI_NIDENT];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes;

	if (fd < 0)
		return false;
	yes = read(fd, id, sizeof(id)) == (ssize_t)sizeof(id) &&
	      !memcmp(id, ELFMAG, SELFMAG) && id[EI_CLASS] == ELFCLASS32;
	close(fd);
	return yes;
}

struct elf32 {
	const uint8_t *file;
	size_t size;
	const Elf32_Ehdr *eh;
	const char *path;
};

static bool in_file(const struct elf32 *e, uint64_t off, uint64_t len)
{
	return off <= e->size && len <= e->size - off;
}

/* The PVH entry from the image's PT_NOTEs, or 0. */
static uint64_t pvh_entry(const struct elf32 *e)
{
	unsigned int i;

	for (i = 0; i < e->eh->e_phnum; i++) {
		const Elf32_Phdr *ph = (const Elf32_Phdr *)(e->file + e->eh->e_phoff) + i;
		uint64_t off = ph->p_offset, end = off + ph->p_filesz;

		if (ph->p_type != PT_NOTE || !in_file(e, ph->p_offset, ph->p_filesz))
			continue;
		while (off + sizeof(Elf32_Nhdr) <= end) {
			const Elf32_Nhdr *n = (const Elf32_Nhdr *)(e->file + off);
			uint64_t name = off + sizeof(*n);
			uint64_t desc = name + ((n->n_namesz + 3) & ~3u);

			off = desc + ((n->n_descsz + 3) & ~3u);
			if (off > end)
				break;
			if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 &&
			    !memcmp(e->file + name, "Xen", 4) && n->n_descsz >= 4) {
				uint32_t v;

				memcpy(&v, e->file + desc, 4);
				return v;
			}
		}
	}
	return 0;
}

/* Copy the PT_LOADs to guest-physical p_paddr; the virtual offset. */
static void load_segments(struct host *h, const struct elf32 *e)
{
	unsigned int i, loads = 0;

	for (i = 0; i < e->eh->e_phnum; i++) {
		const Elf32_Phdr *ph = (const Elf32_Phdr *)(e->file + e->eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (!in_file(e, ph->p_offset, ph->p_filesz))
			die("%s: truncated: segment at physical 0x%x has %u bytes at "
			    "file offset %u, but the file ends at %zu", e->path,
			    ph->p_paddr, ph->p_filesz, ph->p_offset, e->size);
		if (ph->p_filesz > ph->p_memsz)
			die("%s: segment at physical 0x%x has more bytes in the file "
			    "(%u) than in memory (%u)", e->path, ph->p_paddr,
			    ph->p_filesz, ph->p_memsz);
		if (ph->p_paddr < 0x100000 ||
		    (uint64_t)ph->p_paddr + ph->p_memsz > h->mem_size)
			die("%s: segment at physical 0x%x-0x%lx does not fit in %lu MiB "
			    "of RAM above 1 MiB", e->path, ph->p_paddr,
			    (unsigned long)ph->p_paddr + ph->p_memsz,
			    (unsigned long)(h->mem_size >> 20));
		if (loads++ && (uint32_t)(ph->p_vaddr - ph->p_paddr) != h->load_delta)
			die("%s: its segments lie at different virtual - physical "
			    "offsets", e->path);
		h->load_delta = (uint32_t)(ph->p_vaddr - ph->p_paddr);
		memcpy(h->phys + ph->p_paddr, e->file + ph->p_offset, ph->p_filesz);
		memset(h->phys + ph->p_paddr + ph->p_filesz, 0,
		       ph->p_memsz - ph->p_filesz);
	}
	if (!loads)
		die("%s: no PT_LOAD segment", e->path);
}

/*
 * The code that runs before paging: the function (a sized symbol) that
 * holds the PVH entry, and Linux's head code (as afterburn-kvm finds it).
 */
static const char *const linux_head32[] = {
	"startup_32", "startup_32_smp", "verify_cpu", "pvh_start_xen",
	"mk_early_pgtbl_32", "load_ucode_bsp",
};

static void add_early(struct host *h, const char *name, uint64_t value,
		      uint64_t size)
{
	uint64_t entry = h->entry + h->load_delta;
	bool head = false;
	unsigned int i;

	for (i = 0; i < sizeof(linux_head32) / sizeof(linux_head32[0]); i++)
		head |= strcmp(name, linux_head32[i]) == 0;
	if (!size || !(head || (entry >= value && entry - value < size)) ||
	    h->nearly == sizeof(h->early) / sizeof(h->early[0]))
		return;
	h->early[h->nearly].start = value;
	h->early[h->nearly++].end = value + size;
}

static void find_early(struct host *h, const struct elf32 *e)
{
	const Elf32_Shdr *sh = (const Elf32_Shdr *)(e->file + e->eh->e_shoff);
	unsigned int i, j;

	if (!e->eh->e_shoff || e->eh->e_shentsize != sizeof(Elf32_Shdr) ||
	    !in_file(e, e->eh->e_shoff, (uint64_t)e->eh->e_shnum * sizeof(*sh)))
		return;
	for (i = 0; i < e->eh->e_shnum; i++) {
		const Elf32_Shdr *str;

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= e->eh->e_shnum ||
		    sh[i].sh_entsize != sizeof(Elf32_Sym) ||
		    !in_file(e, sh[i].sh_offset, sh[i].sh_size))
			continue;
		str = &sh[sh[i].sh_link];
		if (!in_file(e, str->sh_offset, str->sh_size))
			continue;
		for (j = 0; j < sh[i].sh_size / sizeof(Elf32_Sym); j++) {
			const Elf32_Sym *s = (const Elf32_Sym *)(e->file + sh[i].sh_offset) + j;
			const char *name = (const char *)e->file + str->sh_offset + s->st_name;

			if (s->st_name >= str->sh_size ||
			    !memchr(name, 0, str->sh_size - s->st_name))
				continue;
			add_early(h, name, s->st_value, s->st_size);
		}
	}
}

/* The wedge area: the image's area note, else BOOT32_AREA. */
static void choose_area(struct host *h)
{
	const struct afb_area *areas;
	size_t n = afb_image_areas(h->image, &areas), i;

	h->area_pa = BOOT32_AREA;
	h->area_va = BOOT32_AREA + h->load_delta;
	h->area_size = BOOT32_AREA_SIZE;
	for (i = 0; i < n; i++) {
		if (areas[i].paddr >= 0x22000 && !(areas[i].paddr & 0xfff) &&
		    !(areas[i].vaddr & 0xfff) && areas[i].size >= 0x3000 &&
		    areas[i].paddr + areas[i].size <= 0x100000 &&
		    areas[i].vaddr + areas[i].size <= COMPAT_TOP) {
			h->area_pa = areas[i].paddr;
			h->area_va = areas[i].vaddr;
			h->area_size = areas[i].size & ~0xfffULL;
			break;
		}
	}
}

static void load_image(struct host *h)
{
	struct elf32 e = { .path = h->image_path };
	struct stat sb;
	int fd;

	fd = open(h->image_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0)
		die("%s: %s", h->image_path, strerror(errno));
	if (!S_ISREG(sb.st_mode) || sb.st_size < (off_t)sizeof(Elf32_Ehdr))
		die("%s: not an i386 ELF image", h->image_path);
	e.size = (size_t)sb.st_size;
	e.file = mmap(NULL, e.size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (e.file == MAP_FAILED)
		die("%s: %s", h->image_path, strerror(errno));
	e.eh = (const Elf32_Ehdr *)e.file;
	if (e.eh->e_machine != EM_386 || e.eh->e_type != ET_EXEC ||
	    e.eh->e_phentsize != sizeof(Elf32_Phdr))
		die("%s: not a linked i386 ELF image", h->image_path);
	if (!in_file(&e, e.eh->e_phoff, (uint64_t)e.eh->e_phnum * sizeof(Elf32_Phdr)))
		die("%s: truncated: its %u program headers at offset %u end beyond "
		    "the file's %zu bytes", h->image_path, e.eh->e_phnum,
		    e.eh->e_phoff, e.size);
	load_segments(h, &e);
	h->entry = pvh_entry(&e);
	if (!h->entry)
		die("%s: no PVH entry (XEN_ELFNOTE_PHYS32_ENTRY note): an i386 "
		    "image boots through it", h->image_path);
	if (h->entry < 0x100000 || h->entry >= h->mem_size)
		die("%s: PVH entry 0x%lx outside the guest's RAM above 1 MiB",
		    h->image_path, (unsigned long)h->entry);
	find_early(h, &e);
	munmap((void *)e.file, e.size);
}

static void boot_info(struct host *h)
{
	struct hvm_start_info32 *si = (void *)(h->phys + BOOT32_START_INFO);
	struct hvm_memmap_entry32 *mm = (void *)(h->phys + BOOT32_MEMMAP);
	size_t len = strlen(h->cmdline);

	if (len >= BOOT_CMDLINE_MAX)
		die("command line too long (%zu bytes, at most %d)", len,
		    BOOT_CMDLINE_MAX - 1);
	memcpy(h->phys + BOOT32_CMDLINE, h->cmdline, len + 1);
	mm[0] = (struct hvm_memmap_entry32){ 0, h->area_pa, HVM_MEMMAP_RAM, 0 };
	mm[1] = (struct hvm_memmap_entry32){ h->area_pa, 0x100000 - h->area_pa,
					     HVM_MEMMAP_RESERVED, 0 };
	mm[2] = (struct hvm_memmap_entry32){ 0x100000, h->mem_size - 0x100000,
					     HVM_MEMMAP_RAM, 0 };
	*si = (struct hvm_start_info32){
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = BOOT32_CMDLINE,
		.memmap_paddr = BOOT32_MEMMAP,
		.memmap_entries = 3,
	};
}

static void check(int ret, const char *what)
{
	if (ret < 0)
		die("%s: %s", what, strerror(-ret));
}

/*
 * The whole i386 start, on the wedge stack: refuse where this host
 * kernel runs no 32-bit code, reserve the low 4 GiB, load, patch, enter.
 */
void boot32__run(struct host *h)
{
	char err[256];
	struct afb_error aerr = { 0 };
	struct afb_frame start;

	if (compat_supported(err, sizeof(err)) < 0)
		die("%s: an i386 image needs 32-bit user code: %s", h->image_path,
		    err);
	if (compat_reserve(err, sizeof(err)) < 0)
		die("%s: cannot reserve the low 4 GiB for the i386 guest: %s",
		    h->image_path, err);
	h->guest32 = true;
	host_booted();
	check(memory__init(h), "setting up guest memory");
	load_image(h);
	if (afb_image_open(h->image_path, &h->image, &aerr))
		die("%s", aerr.message);
	choose_area(h);
	check(wedge__init(h), "mapping the wedge window");
	check(wedge32__apply(h), "patching the image");
	boot_info(h);
	check(memory32__init(h), "mapping the wedge area");

	h->vcpu = &h->vcpu_mem;
	afb_vcpu_init32(h->vcpu, &ptrace_host_ops, h);
	compat_ldt_init(&h->ldt);
	check(trap32__init(h), "installing signal handlers");
	setvbuf(stderr, NULL, _IOLBF, 0);
	check(stub__init(h), "starting the stubs");
	check(seccomp__install(h), "installing the seccomp filter");

	memset(&start, 0, sizeof(start));
	start.gpr[AFB_RBX] = BOOT32_START_INFO;
	start.gpr[AFB_RSP] = BOOT32_STACK;
	start.rip = h->entry;
	start.rflags = 0x2;
	h->state = RUN_HOST;
	trap32__resume(&start);
}
