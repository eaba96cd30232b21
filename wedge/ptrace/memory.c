// SPDX-License-Identifier: MIT
/*
 * The guest's memory.
 *
 * Guest-physical memory is a memfd: RAM from 0 to mem_size, then the two
 * stub pages and the wedge window (ptrace.h).  The host keeps one view of
 * all of it (phys) for the page-table walker, the loader, the core's
 * memory ops and the wedge, and reads and writes guest memory only
 * through it.
 *
 * The guest kernel runs in this process at its own virtual addresses, so
 * the kernel half of its address space (PML4 slot 32, KERNEL_BASE..+512
 * GiB) is mirrored here: the extents that the guest's tables map there
 * are mmap()ed from the memfd at the same virtual addresses, writable
 * where the guest's tables allow it.  The slot is walked at the first CR3
 * load and again whenever a root with a different slot-32 entry is
 * loaded, or on a global TLB flush.  What a guest must keep static: the
 * tables below its slot-32 entry (the test kernel builds them once in
 * kvm_init() and shares them between all roots); a change below that
 * entry becomes visible only at the next global flush (CR4.PGE toggle).
 * Only the first 4 GiB of the slot (the direct map window the contract
 * describes) are mirrored; the rest of the slot stays unmapped here.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ptrace.h"
#include "pvh.h"

int memory__init(struct host *h)
{
	uint64_t total = h->mem_size + STUB_SIZE + WEDGE_SIZE, start;
	void *p;

	h->memfd = memfd_create("afterburn-ptrace-ram", MFD_CLOEXEC);
	if (h->memfd < 0)
		return -errno;
	if (ftruncate(h->memfd, (off_t)total) < 0)
		return -errno;
	h->phys = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED,
		       h->memfd, 0);
	if (h->phys == MAP_FAILED)
		return -errno;
	h->pt.base = h->phys;
	h->pt.size = h->mem_size;
	h->stub_data = (struct stub_data *)(h->phys + h->mem_size + 0x1000);
	h->wedge = h->phys + h->mem_size + STUB_SIZE;

	/* Reserve the wedge window and the guest kernel's window, so that
	   nothing of ours lands there; the kernel half is mapped into it.
	   Under ASan, its shadow holds the first part already (asan.c). */
	start = asan__window_start();
	p = mmap((void *)(uintptr_t)start, GUEST_KERNEL_END - start,
		 PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		 MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	return 0;
}

/* ---- The kernel half -------------------------------------------------- */

static int add_kext(void *ctx, const struct pt_extent *e)
{
	struct host *h = ctx;

	if (h->nkext == sizeof(h->kext) / sizeof(h->kext[0]))
		return -E2BIG;
	h->kext[h->nkext++] = *e;
	return 0;
}

/*
 * memory__mirror_kernel - make this process's [KERNEL_BASE, +4 GiB)
 * what the guest's @root maps there.  Skipped when @root's slot-32 entry
 * is the one mirrored last, unless @force.
 */
int memory__mirror_kernel(struct host *h, uint64_t root, bool force)
{
	uint64_t pml4e;
	unsigned int i;
	void *p;
	int ret;

	if ((root & PT_ADDR) + 4096 > h->mem_size)
		return -EFAULT;
	memcpy(&pml4e, h->phys + (root & PT_ADDR) + 8 * GUEST_KERNEL_SLOT, 8);
	if (!force && pml4e == h->kernel_pml4e && h->nkext)
		return 0;
	h->st.kernel_walks++;
	h->nkext = 0;
	ret = pt_extents(&h->pt, root, GUEST_KERNEL_BASE, GUEST_KERNEL_END,
			 add_kext, h);
	if (ret)
		return ret;
	p = mmap((void *)GUEST_KERNEL_BASE, GUEST_DIRECTMAP_SIZE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < h->nkext; i++) {
		struct pt_extent *e = &h->kext[i];
		int prot = PROT_READ | PROT_EXEC;

		/* Physical memory that is not RAM stays unmapped: a guest
		   access there faults and becomes #PF. */
		if (e->pa >= h->mem_size) {
			e->len = 0;
			continue;
		}
		if (e->pa + e->len > h->mem_size)
			e->len = h->mem_size - e->pa;
		if (e->flags & PT_W)
			prot |= PROT_WRITE;
		p = mmap((void *)e->va, e->len, prot, MAP_SHARED | MAP_FIXED,
			 h->memfd, (off_t)e->pa);
		if (p == MAP_FAILED)
			return -errno;
	}
	h->kernel_pml4e = pml4e;
	return 0;
}

/*
 * Where the host reads and writes [gva, gva + len) of the mirrored kernel
 * half (writable, for @write): through its own view of the memfd, never
 * at the guest's addresses (ASan forbids those, asan.c).  NULL if it is
 * not mirrored so.
 */
uint8_t *memory__kernel_view(struct host *h, uint64_t gva, size_t len,
			     bool write)
{
	unsigned int i;

	for (i = 0; i < h->nkext; i++) {
		const struct pt_extent *e = &h->kext[i];

		if (gva >= e->va && gva + len <= e->va + e->len && gva + len >= gva)
			return !write || (e->flags & PT_W) ?
			       h->phys + e->pa + (gva - e->va) : NULL;
	}
	return NULL;
}

/* Is [gva, gva + len) mirrored here (and writable, for @write)? */
bool memory__kernel_mapped(struct host *h, uint64_t gva, size_t len,
			   bool write)
{
	return memory__kernel_view(h, gva, len, write) != NULL;
}

/* ---- Guest-virtual access for the core ---------------------------------- */

/* The host address of @len bytes at @gva (one page at most), or an errno
   of the core's memory ops. */
static int translate(struct host *h, uint64_t root, uint64_t gva, size_t len,
		     unsigned int access, uint8_t **hva)
{
	struct pt_map map;
	uint64_t pa;
	int ret;

	if (h->guest32) {		/* an i386 guest: memory32.c */
		ret = memory32__translate(h, gva, len, access, &pa);
		if (!ret)
			*hva = h->phys + pa;
		return ret;
	}
	/* Supervisor accesses to the mirrored kernel half: as our mirror of
	   it maps them, which follows the guest's tables. */
	if (!(access & AFB_ACCESS_USER) && gva >= GUEST_KERNEL_BASE &&
	    gva < GUEST_KERNEL_END &&
	    (*hva = memory__kernel_view(h, gva, len, access & AFB_ACCESS_WRITE)))
		return 0;
	ret = pt_translate(&h->pt, root, gva, &map);
	if (ret == -EINVAL)
		ret = -EFAULT;
	if (ret)
		return ret;
	if (!pt_access_ok(&map, access, h->vcpu->cr0 & AFB_CR0_WP))
		return -EACCES;
	if (map.pa + len > h->mem_size)
		return -EFAULT;
	*hva = h->phys + map.pa;
	return 0;
}

int memory__read(struct host *h, uint64_t root, uint64_t gva, void *buf,
		 size_t len, unsigned int access)
{
	uint8_t *p;
	int ret = translate(h, root, gva, len, access & ~AFB_ACCESS_WRITE, &p);

	if (!ret)
		memcpy(buf, p, len);
	return ret;
}

int memory__write(struct host *h, uint64_t root, uint64_t gva,
		  const void *buf, size_t len, unsigned int access)
{
	uint8_t *p;
	int ret = translate(h, root, gva, len, access | AFB_ACCESS_WRITE, &p);

	if (!ret)
		memcpy(p, buf, len);
	return ret;
}

/* ---- Loading the image ------------------------------------------------ */

/*
 * Copy every PT_LOAD segment of the ELF image to guest-physical
 * p_paddr (zero-filling p_memsz beyond p_filesz).  The contract maps
 * each at p_vaddr = p_paddr + KERNEL_BASE, which is what the boot
 * tables below provide.
 */
int memory__load_image(struct host *h)
{
	const Elf64_Ehdr *eh;
	struct stat sb;
	uint8_t *file;
	int fd, i, ret = 0;

	fd = open(h->image_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", h->image_path, strerror(errno));
	if (fstat(fd, &sb) < 0)
		die("%s: %s", h->image_path, strerror(errno));
	if (S_ISDIR(sb.st_mode))
		die("%s: is a directory, not a kernel image", h->image_path);
	if (!S_ISREG(sb.st_mode))
		die("%s: not a regular file", h->image_path);
	if (sb.st_size < (off_t)sizeof(*eh))
		die("%s: not an ELF image (%lld bytes)", h->image_path,
		    (long long)sb.st_size);
	file = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (file == MAP_FAILED)
		die("%s: %s", h->image_path, strerror(errno));
	eh = (const Elf64_Ehdr *)file;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_type != ET_EXEC || eh->e_phentsize != sizeof(Elf64_Phdr))
		die("%s: not a linked x86-64 ELF image", h->image_path);
	if (eh->e_phoff > (uint64_t)sb.st_size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) >
	    (uint64_t)sb.st_size - eh->e_phoff)
		die("%s: truncated: its %u program headers at offset %lu end "
		    "beyond the file's %lld bytes", h->image_path, eh->e_phnum,
		    (unsigned long)eh->e_phoff, (long long)sb.st_size);
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(file + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_vaddr - ph->p_paddr != GUEST_KERNEL_BASE)
			die("%s: segment at 0x%lx is not at KERNEL_BASE + p_paddr "
				 "(see doc/guest-contract.md)", h->image_path,
				 (unsigned long)ph->p_vaddr);
		if (ph->p_offset > (uint64_t)sb.st_size ||
		    ph->p_filesz > (uint64_t)sb.st_size - ph->p_offset)
			die("%s: truncated: segment at physical 0x%lx has %lu bytes "
			    "at file offset %lu, but the file ends at %lld",
			    h->image_path, (unsigned long)ph->p_paddr,
			    (unsigned long)ph->p_filesz, (unsigned long)ph->p_offset,
			    (long long)sb.st_size);
		if (ph->p_filesz > ph->p_memsz)
			die("%s: segment at physical 0x%lx has more bytes in the file "
			    "(%lu) than in memory (%lu)", h->image_path,
			    (unsigned long)ph->p_paddr, (unsigned long)ph->p_filesz,
			    (unsigned long)ph->p_memsz);
		if (ph->p_paddr < 0x100000 ||
		    ph->p_paddr + ph->p_memsz > h->mem_size ||
		    ph->p_paddr + ph->p_memsz < ph->p_paddr)
			die("%s: segment at physical 0x%lx-0x%lx does not fit in "
				 "%lu MiB of RAM above 1 MiB", h->image_path,
				 (unsigned long)ph->p_paddr,
				 (unsigned long)(ph->p_paddr + ph->p_memsz),
				 (unsigned long)(h->mem_size >> 20));
		memcpy(h->phys + ph->p_paddr, file + ph->p_offset, ph->p_filesz);
		if (ph->p_paddr + ph->p_memsz > h->image_end)
			h->image_end = ph->p_paddr + ph->p_memsz;
		memset(h->phys + ph->p_paddr + ph->p_filesz, 0,
		       ph->p_memsz - ph->p_filesz);
	}
	h->entry = eh->e_entry;
	if (h->entry < GUEST_KERNEL_BASE || h->entry >= GUEST_KERNEL_BASE + h->mem_size)
		die("%s: entry point 0x%lx is not in the kernel's direct map",
			 h->image_path, (unsigned long)h->entry);
	munmap(file, sb.st_size);
	return ret;
}

/*
 * The boot state of entry64: page tables that map the first 1 GiB at
 * KERNEL_BASE (the image's PT_LOADs among it), struct hvm_start_info
 * with a memory map, the command line and the --initrd module (its list;
 * the file itself at the top of RAM, initrd.c), all below 1 MiB.
 */
int memory__boot_info(struct host *h)
{
	uint64_t *pml4 = (uint64_t *)(h->phys + BOOT_PML4);
	uint64_t *pdpt = (uint64_t *)(h->phys + BOOT_PDPT);
	uint64_t *pd = (uint64_t *)(h->phys + BOOT_PD);
	struct hvm_start_info *si = (void *)(h->phys + BOOT_START_INFO);
	struct hvm_memmap_entry *mm = (void *)(h->phys + BOOT_MEMMAP);
	size_t len = strlen(h->cmdline);
	unsigned int i;

	pml4[GUEST_KERNEL_SLOT] = BOOT_PDPT | PT_P | PT_W;
	pdpt[0] = BOOT_PD | PT_P | PT_W;
	for (i = 0; i < 512; i++)
		pd[i] = (i * PT_PAGE_2M) | PT_P | PT_W | PT_PS;

	if (len >= BOOT_CMDLINE_MAX)
		die("command line too long (%zu bytes, at most %d)", len,
			 BOOT_CMDLINE_MAX - 1);
	memcpy(h->phys + BOOT_CMDLINE, h->cmdline, len + 1);
	mm[0] = (struct hvm_memmap_entry){ 0, 0x9f000, HVM_MEMMAP_RAM, 0 };
	mm[1] = (struct hvm_memmap_entry){ 0x100000, h->mem_size - 0x100000,
					   HVM_MEMMAP_RAM, 0 };
	*si = (struct hvm_start_info){
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = BOOT_CMDLINE,
		.memmap_paddr = BOOT_MEMMAP,
		.memmap_entries = 2,
	};
	si->modlist_paddr = initrd__load(h, BOOT_MODLIST);
	si->nr_modules = si->modlist_paddr ? 1 : 0;
	return 0;
}
