// SPDX-License-Identifier: MIT
/*
 * The loader's second half and the VMM side of the KVM wedge: before the
 * vCPU first runs, read the image's site notes (libafterburn), set up the
 * wedge in its window (guest.h), and patch the sites that benefit into
 * calls to it, all or nothing.
 *
 * What each site becomes:
 *
 *  out %al,%dx; in %dx,%al	call the wedge: COM1 output is buffered in
 *				guest memory and flushed with one exit per
 *				line (or full buffer); the LSR read is
 *				answered without an exit; other ports exit
 *				as before
 *  out %al,$imm8 (COM1, 0xf4)	a thunk that loads %dx and calls the same
 *  in $0x3fd,%al		a thunk: mov $0x60,%al
 *  cpuid			call the wedge: a table filled once, here
 *  rdmsr, wrmsr		call the wedge: EFER/STAR/LSTAR/CSTAR/SFMASK
 *				reads come from a cache that wrmsr fills
 *  mov %reg,%cr3		call the wedge: it installs the window's PML4
 *				entry in the new root first (see below)
 *
 * Left native, and why:
 *  - every site not in 64-bit code (the PVH entry runs before paging,
 *    where the window is not mapped);
 *  - the site at e_entry (entered with a stack the kernel has not set up);
 *  - swapgs, sysret, iret (they run on the user's stack or switch it);
 *  - cli, sti, pushf, popf, hlt, sti;hlt: under KVM they never exit to
 *    the VMM (hlt with the in-kernel irqchip blocks in KVM), so a call
 *    would only add instructions; the wedge has nothing to save there;
 *  - everything else (lgdt, lidt, ltr, segment loads, invlpg, other
 *    control registers, rdtsc): rare, or no exit under KVM;
 *  - sites in .altinstr_replacement: Linux copies them into place at
 *    boot, where a rel32 call would no longer reach the wedge.
 *
 * The window is mapped in every root the guest loads: in the VMM's boot
 * tables by cpu.c, and in each root the guest loads afterwards by the
 * patched 'mov %reg,%cr3'.  So if mov_cr is disabled, nothing is patched.
 *
 * An i386 (ELF32) kernel gets the 32-bit wedge (guest32.S) instead, in
 * the area its image declares, which the kernel maps itself: only its
 * out, in and cpuid sites are patched (kvm_plan32).
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <afterburn/wedge.h>

#include "guest.h"
#include "kvm.h"

#define PTE_P		0x001UL
#define PTE_W		0x002UL
#define PTE_PS		0x080UL

/* Entry slots of guest.S. */
enum { WG_OUT8, WG_IN8, WG_CPUID, WG_RDMSR, WG_WRMSR, WG_LOAD_CR3, WG_LIDT };

extern const uint8_t afb_kvm_guest_start[], afb_kvm_guest_end[];
extern const uint8_t afb_kvm_guest32_start[], afb_kvm_guest32_end[];

struct kvm_wedge {
	struct afb_wedge wedge;		/* first: plan() gets a pointer to it */
	struct kvm *kvm;
	bool disabled[AFB_KIND_MAX + 1];
	bool active;			/* the wedge is in guest memory */
	uint64_t thunk_off, thunk_size;	/* where its thunks go */
	struct { uint64_t start, end; } early[8];	/* i386: code that runs */
	unsigned int nr_early;		/* ... before paging (kvm_plan32) */
	struct afb_patch_stats stats;
};

static struct kvm_wedge kw;

static uint8_t *wedge_host(struct kvm *kvm, uint64_t off)
{
	return kvm->ram + kvm->wedge_base + off;
}

/* The data page (guest.h), wherever this wedge keeps it. */
static uint8_t *wedge_data(struct kvm *kvm, uint64_t off)
{
	return wedge_host(kvm, kvm->wedge_data + off);
}

static uint64_t wedge_entry(unsigned int slot)
{
	return kw.kvm->wedge_vaddr + WG_CODE_OFF + slot * 8;
}

uint64_t patch__wedge_pml4e(struct kvm *kvm)
{
	if (!kw.active || kvm->wedge_in_kernel_pdpt)
		return 0;
	return (kvm->wedge_phys + WG_PGTABLE_OFF) | PTE_P | PTE_W;
}

/*
 * Leaves whose answer is not the same constant on every call and every
 * vCPU: KVM folds CR4, XCR0 and the APIC base into leaves 1, 7 and 0xd,
 * and leaves 1, 0xb, 0x1f and 0x8000001e hold the vCPU's APIC ID.
 */
static bool cpuid_leaf_varies(const struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 1: case 7: case 0xb: case 0xd: case 0x1f: case 0x8000001e:
		return true;
	}
	return e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
}

/*
 * The wedge answers a leaf from its table only when that is exactly what
 * the vCPU's own cpuid would answer: a leaf the vCPU's table holds, with
 * no subleaves, that never varies.  Any other leaf (subleaves, absent or
 * out-of-range leaves, whose answer depends on the vendor's rules, and
 * KVM's 0x4000xxxx leaves) runs the real instruction.
 */
static void wedge_fill_cpuid(struct kvm *kvm, uint8_t *data)
{
	const struct kvm_cpuid2 *c = kvm_cpu__cpuid(kvm);
	uint32_t i;

	for (i = 0; c && i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		uint32_t f = e->function, slot, v[5];

		if (f < WD_CPUID_LEAVES)
			slot = f;
		else if (f - 0x80000000u < WD_CPUID_LEAVES)
			slot = WD_CPUID_LEAVES + (f - 0x80000000u);
		else
			continue;
		if (cpuid_leaf_varies(e))
			continue;
		v[0] = e->eax;
		v[1] = e->ebx;
		v[2] = e->ecx;
		v[3] = e->edx;
		v[4] = 1;
		memcpy(data + WD_CPUID_STD + slot * WC_SIZE, v, sizeof(v));
	}
}

struct symbol_query {
	const char *name;
	uint64_t value, size;
	bool found;
};

static bool symbol_match(const char *name, uint64_t value, uint64_t size, void *arg)
{
	struct symbol_query *q = arg;

	if (strcmp(name, q->name))
		return false;
	*q = (struct symbol_query){ q->name, value, size, true };
	return true;
}

/* The image's symbol @name (its value and size), from .symtab. */
static bool image_symbol(struct kvm *kvm, const char *name, uint64_t *value,
			 uint64_t *size)
{
	struct symbol_query q = { .name = name };

	loader__for_each_symbol(kvm, symbol_match, &q);
	*value = q.value;
	*size = q.size;
	return q.found;
}

/*
 * Linux's exception table (__ex_table: {int insn, fixup, data}, each
 * relative to itself): an instruction listed there may fault on purpose
 * (rdmsr_safe and the like) and be fixed up by its address, so its site
 * stays native.  Sorted for bsearch.
 */
static uint64_t *extable;
static size_t extable_n;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void find_extable(struct kvm *kvm)
{
	const uint8_t *f = kvm->image_file;
	const Elf64_Ehdr *eh = kvm->image_file;
	const Elf64_Shdr *sh, *names;
	unsigned int i;

	free(extable);
	extable = NULL;
	extable_n = 0;
	if (eh->e_shentsize != sizeof(*sh) || eh->e_shoff > kvm->image_size ||
	    (uint64_t)eh->e_shnum * sizeof(*sh) > kvm->image_size - eh->e_shoff ||
	    eh->e_shstrndx >= eh->e_shnum)
		return;
	sh = (const Elf64_Shdr *)(f + eh->e_shoff);
	names = &sh[eh->e_shstrndx];
	if (names->sh_offset > kvm->image_size ||
	    names->sh_size > kvm->image_size - names->sh_offset)
		return;
	for (i = 0; i < eh->e_shnum; i++) {
		const uint8_t *e;
		size_t n, j;

		if (sh[i].sh_name >= names->sh_size ||
		    strncmp((const char *)f + names->sh_offset + sh[i].sh_name,
			    "__ex_table", names->sh_size - sh[i].sh_name) ||
		    sh[i].sh_type != SHT_PROGBITS || sh[i].sh_offset > kvm->image_size ||
		    sh[i].sh_size > kvm->image_size - sh[i].sh_offset)
			continue;
		n = sh[i].sh_size / 12;
		extable = calloc(n ? n : 1, sizeof(*extable));
		if (!extable)
			return;
		e = f + sh[i].sh_offset;
		for (j = 0; j < n; j++) {
			int32_t rel;

			memcpy(&rel, e + j * 12, 4);
			extable[j] = sh[i].sh_addr + j * 12 + (int64_t)rel;
		}
		qsort(extable, n, sizeof(*extable), cmp_u64);
		extable_n = n;
		return;
	}
}

static bool in_extable(const struct afb_site *site)
{
	size_t lo = 0, hi = extable_n;

	while (lo < hi) {	/* the first entry >= site->addr */
		size_t mid = (lo + hi) / 2;

		if (extable[mid] < site->addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < extable_n && extable[lo] < site->addr + site->len;
}

/*
 * Linux's x86-64 head (head_64.S, head64.c, pvh/head.S): it runs at
 * physical addresses, before the jump to the kernel mapping, where a
 * rel32 call to the window lands nowhere.  Its sites stay native.
 */
static const char *const linux_head[] = {
	"startup_64", "secondary_startup_64", "verify_cpu", "sev_verify_cbit",
	"__startup_64", "startup_64_setup_env", "pvh_start_xen",
	"early_setup_idt",
};
static uint64_t head_start, head_end;

static void find_head(struct kvm *kvm)
{
	uint64_t v, n;
	unsigned int i;

	head_start = head_end = 0;
	for (i = 0; i < sizeof(linux_head) / sizeof(linux_head[0]); i++) {
		if (!image_symbol(kvm, linux_head[i], &v, &n))
			continue;
		if (!head_end || v < head_start)
			head_start = v;
		if (v + n > head_end)
			head_end = v + n;
	}
}

/*
 * Where the window goes.  In the low half (the test kernel's contract,
 * doc/guest-contract.md) it has PML4 slot 31 to itself, which the VMM's
 * boot tables and the patched 'mov %reg,%cr3' put into every root.  A
 * kernel linked in the top 2 GiB (Linux) cannot reach that: its window is
 * in the unused GiB below, 0xffffffff40000000, an entry of the PDPT that
 * PML4 slot 511 points to (Linux's level3_kernel_pgt, shared by every
 * root, so the entry set here at load time is in all of them; and Linux
 * 6.12's PVH entry's own pvh_level3_kernel_pgt, which its early C code
 * runs on).
 */
static int wedge_place(struct kvm *kvm)
{
	uint64_t text = kvm->image_start + kvm->load_delta, pdpt, n;
	uint64_t va = kvm->cfg.wedge_at;

	if (!va)
		va = text >= KERNEL_TOP_2G ? WEDGE_VADDR_TOP : WEDGE_VADDR;
	if (va & (WEDGE_SIZE - 1)) {
		pr_err("--wedge-at=%#llx: not 2 MiB aligned", (unsigned long long)va);
		return -EINVAL;
	}
	kvm->wedge_vaddr = va;
	kvm->wedge_in_kernel_pdpt = ((va >> 39) & 511) == 511;
	if (!kvm->wedge_in_kernel_pdpt) {
		if (((va >> 39) & 511) != WEDGE_PML4_SLOT || va >> 47) {
			pr_err("--wedge-at=%#llx: a low-half window must be in PML4 slot %d (guest.S)",
			       (unsigned long long)va, WEDGE_PML4_SLOT);
			return -EINVAL;
		}
		if (kvm->cfg.entry32) {
			pr_warning("--entry=pvh: the window is mapped by the VMM's 64-bit boot tables only; no site is patched");
			kvm->cfg.no_patch = true;
		}
		return 0;
	}
	if (va >= KERNEL_TOP_2G) {
		pr_err("--wedge-at=%#llx: in the top 2 GiB, where the kernel lives; use 0xffffffff00000000-0xffffffff7fe00000",
		       (unsigned long long)va);
		return -EINVAL;
	}
	if (!image_symbol(kvm, "level3_kernel_pgt", &pdpt, &n) || n != 4096 ||
	    !kvm__gpa(kvm, pdpt - kvm->load_delta, 4096)) {
		pr_err("%s: no level3_kernel_pgt (the PDPT of PML4 slot 511) to map the window %#llx in",
		       kvm->cfg.kernel, (unsigned long long)va);
		return -ENOEXEC;
	}
	kvm->wedge_pdpt[0] = pdpt - kvm->load_delta;
	kvm->nr_wedge_pdpt = 1;
	/* Linux 6.12's PVH entry runs C code on tables of its own first. */
	if (image_symbol(kvm, "pvh_level3_kernel_pgt", &pdpt, &n) && n == 4096 &&
	    kvm__gpa(kvm, pdpt - kvm->load_delta, 4096))
		kvm->wedge_pdpt[kvm->nr_wedge_pdpt++] = pdpt - kvm->load_delta;
	find_head(kvm);
	find_extable(kvm);
	return 0;
}

/* The entry of a PDPT that points to the window's page directory. */
static uint64_t pd_entry(struct kvm *kvm)
{
	return (kvm->wedge_phys + WG_PGTABLE_OFF + 0x1000) | PTE_P | PTE_W;
}

/* The window in the kernel's PDPTs: an entry none of them uses. */
static int wedge_map_in_kernel(struct kvm *kvm, uint64_t va)
{
	unsigned int i;

	for (i = 0; i < kvm->nr_wedge_pdpt; i++) {
		uint64_t *pdpt = kvm__gpa(kvm, kvm->wedge_pdpt[i], 4096);

		if (pdpt[(va >> 30) & 511]) {
			pr_err("%s: the kernel maps %#llx already; choose another --wedge-at",
			       kvm->cfg.kernel, (unsigned long long)(va & ~((1ULL << 30) - 1)));
			return -EEXIST;
		}
	}
	for (i = 0; i < kvm->nr_wedge_pdpt; i++) {
		uint64_t *pdpt = kvm__gpa(kvm, kvm->wedge_pdpt[i], 4096);

		pdpt[(va >> 30) & 511] = pd_entry(kvm);
	}
	return 0;
}

/* Code, data page and the window's PDPT and PD (2 MiB page). */
static int wedge_setup(struct kvm *kvm)
{
	size_t code = afb_kvm_guest_end - afb_kvm_guest_start;
	uint64_t *pdpt, *pd;
	uint64_t va = kvm->wedge_vaddr;

	if (code > WG_CODE_MAX) {
		pr_err("wedge code is %zu bytes, more than %d", code, WG_CODE_MAX);
		return -E2BIG;
	}
	kvm->wedge_base = kvm->wedge_phys;
	kvm->wedge_data = WG_DATA_OFF;
	kw.thunk_off = WG_THUNK_OFF;
	kw.thunk_size = WG_THUNK_MAX;
	pdpt = (uint64_t *)wedge_host(kvm, WG_PGTABLE_OFF);
	pd = pdpt + 512;
	memset(wedge_host(kvm, 0), 0, WEDGE_SIZE);
	memcpy(wedge_host(kvm, WG_CODE_OFF), afb_kvm_guest_start, code);
	memset(pdpt, 0, 0x2000);
	pd[(va >> 21) & 511] = kvm->wedge_phys | PTE_P | PTE_W | PTE_PS;
	if (!kvm->wedge_in_kernel_pdpt) {
		pdpt[(va >> 30) & 511] = pd_entry(kvm);
	} else if (wedge_map_in_kernel(kvm, va) < 0) {
		return -EEXIST;
	}
	kw.active = true;
	*(uint64_t *)wedge_data(kvm, WD_PML4E) =
		patch__wedge_pml4e(kvm);
	*wedge_data(kvm, WD_UART_LSR) = serial8250__lsr();
	*wedge_data(kvm, WD_UART_IER) = serial8250__ier();
	*wedge_data(kvm, WD_UART_LCR) = serial8250__lcr();
	wedge_fill_cpuid(kvm, wedge_data(kvm, 0));
	return 0;
}

/*
 * i386 code that runs before paging, or on physical addresses, where the
 * wedge is not mapped: the function that holds the PVH entry (the test
 * kernel's pvh_start32), and Linux's head code and what it calls with
 * paging off.  Without a symbol for the entry nothing can be patched.
 */
static const char *const linux_head32[] = {
	"startup_32", "startup_32_smp", "verify_cpu", "pvh_start_xen",
	"mk_early_pgtbl_32", "load_ucode_bsp",
};

static bool early_symbol(const char *name, uint64_t value, uint64_t size, void *arg)
{
	struct kvm *kvm = arg;
	uint64_t entry = kvm->entry32 + kvm->load_delta;
	bool head = false;
	unsigned int i;

	for (i = 0; i < sizeof(linux_head32) / sizeof(linux_head32[0]); i++)
		head |= strcmp(name, linux_head32[i]) == 0;
	if (!size || !(head || (entry >= value && entry - value < size)) ||
	    kw.nr_early == sizeof(kw.early) / sizeof(kw.early[0]))
		return false;
	kw.early[kw.nr_early].start = value;
	kw.early[kw.nr_early++].end = value + size;
	return false;
}

static bool wedge32_early(uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < kw.nr_early; i++)
		if (addr >= kw.early[i].start && addr < kw.early[i].end)
			return true;
	return false;
}

static int wedge32_find_early(struct kvm *kvm)
{
	kw.nr_early = 0;
	loader__for_each_symbol(kvm, early_symbol, kvm);
	if (!wedge32_early(kvm->entry32 + kvm->load_delta)) {
		pr_warning("%s: no symbol with a size holds the PVH entry %#llx, so where its code ends is unknown: no site is patched",
			   kvm->cfg.kernel,
			   (unsigned long long)(kvm->entry32 + kvm->load_delta));
		kvm->cfg.no_patch = true;
	}
	return 0;
}

/* Is [paddr, paddr + size) guest RAM that neither the image nor the VMM uses? */
static bool wedge32_fits(struct kvm *kvm, uint64_t paddr, uint64_t size)
{
	return size >= WG32_THUNK_OFF + 0x1000 && !(paddr & 0xfff) &&
	       kvm__gpa(kvm, paddr, size) &&
	       paddr >= BOOT_CMDLINE + BOOT_CMDLINE_MAX &&
	       !(paddr < kvm->image_end && kvm->image_start < paddr + size) &&
	       !(paddr < BOOT_MPTABLE + BOOT_MPTABLE_MAX && BOOT_MPTABLE < paddr + size) &&
	       paddr + size <= kvm->wedge_phys;
}

/*
 * An i386 kernel: the 32-bit wedge (guest32.S) goes into memory the
 * kernel maps itself in every page table, from its first paged
 * instruction on (guest.h).  That is the area its image declares with an
 * Afterburn area note; without one (Linux), physical BOOT_AREA32, which
 * the memory map reserves for i386 guests, at --wedge-at or where a
 * kernel that maps low memory at its own p_vaddr - p_paddr (Linux's
 * PAGE_OFFSET, the test kernel's KERNEL_BASE) has it.
 */
static int wedge32_place(struct kvm *kvm, const struct afb_image *image)
{
	const struct afb_area *areas;
	size_t n = afb_image_areas(image, &areas), i;
	uint64_t va = 0, pa = 0, size = 0;

	for (i = 0; i < n && !kvm->cfg.wedge_at; i++)
		if (wedge32_fits(kvm, areas[i].paddr, areas[i].size)) {
			va = areas[i].vaddr, pa = areas[i].paddr, size = areas[i].size;
			break;
		}
	if (!size && kvm->load_delta_ok && kvm->load_delta >= 0x80000000ULL) {
		pa = BOOT_AREA32, size = BOOT_AREA32_SIZE;
		va = kvm->cfg.wedge_at ? kvm->cfg.wedge_at : pa + kvm->load_delta;
	}
	if (!size || !wedge32_fits(kvm, pa, size) || va > 0xffffffffULL - size) {
		pr_warning("%s: no place for the 32-bit wedge (no usable Afterburn area note, and the kernel does not map low memory at %s): no site is patched",
			   kvm->cfg.kernel, kvm->cfg.wedge_at ? "--wedge-at" : "its p_vaddr - p_paddr");
		kvm->cfg.no_patch = true;
		return 0;
	}
	kvm->wedge_vaddr = va;
	kvm->wedge_base = pa;
	kvm->wedge_data = WG32_DATA_OFF;
	kw.thunk_off = WG32_THUNK_OFF;
	kw.thunk_size = size - WG32_THUNK_OFF;
	return wedge32_find_early(kvm);
}

static int wedge32_setup(struct kvm *kvm)
{
	size_t code = afb_kvm_guest32_end - afb_kvm_guest32_start;

	if (code > WG32_CODE_MAX) {
		pr_err("32-bit wedge code is %zu bytes, more than %d", code, WG32_CODE_MAX);
		return -E2BIG;
	}
	memset(wedge_host(kvm, 0), 0, kw.thunk_off + kw.thunk_size);
	memcpy(wedge_host(kvm, WG_CODE_OFF), afb_kvm_guest32_start, code);
	kw.active = true;
	*wedge_data(kvm, WD_UART_LSR) = serial8250__lsr();
	*wedge_data(kvm, WD_UART_IER) = serial8250__ier();
	*wedge_data(kvm, WD_UART_LCR) = serial8250__lcr();
	wedge_fill_cpuid(kvm, wedge_data(kvm, 0));
	return 0;
}

/* mov %reg,%rax for register @reg (0-15). */
static size_t put_mov_to_rax(uint8_t *p, unsigned int reg)
{
	p[0] = 0x48 | (reg >= 8 ? 0x04 : 0);
	p[1] = 0x89;
	p[2] = 0xc0 | ((reg & 7) << 3);
	return 3;
}

static size_t put_call(uint8_t *p, uint64_t at, uint64_t to)
{
	int32_t rel = (int32_t)(to - (at + 5));

	p[0] = 0xe8;
	memcpy(p + 1, &rel, 4);
	return 5;
}

/* Emit @code as a thunk and make the site call it. */
static int plan_thunk(struct afb_wedge_area *area, const struct afb_site *site,
		      const uint8_t *code, size_t len, struct afb_site_patch *patch)
{
	uint64_t at = afb_wedge_emit_thunk(area, code, len);

	if (!at)
		return -ENOSPC;
	return afb_wedge_call(patch, site, at);
}

/* The thunk's own address is needed for its 'call': it is the next one. */
static uint64_t next_thunk(const struct afb_wedge_area *area)
{
	return area->vaddr + area->used;
}

static int plan_out(struct afb_wedge_area *area, const struct afb_site *site,
		    const struct afb_insn *insn, struct afb_site_patch *patch)
{
	uint8_t code[16];
	uint64_t at = next_thunk(area);
	size_t n = 0;
	uint32_t port = (uint32_t)insn->imm;

	if (insn->opcode[0] == 0xee)
		return afb_wedge_call(patch, site, wedge_entry(WG_OUT8));
	/* A write to a port with no device behind it (Linux's io_delay,
	 * thousands per i386 boot) has nothing to do: it becomes nops. */
	if (insn->opcode[0] == 0xe6 && port == WG_DELAY_PORT) {
		patch->bytes[0] = 0x90;
		patch->len = 1;
		return 0;
	}
	if (insn->opcode[0] != 0xe6 ||
	    !((port >= WG_COM1 && port < WG_COM1 + 8) || port == WG_POWER_PORT))
		return 0;
	code[n++] = 0x52;			/* push %rdx */
	code[n++] = 0xba;			/* mov $port, %edx */
	memcpy(code + n, &port, 4);
	n += 4;
	n += put_call(code + n, at + n, wedge_entry(WG_OUT8));
	code[n++] = 0x5a;			/* pop %rdx */
	code[n++] = 0xc3;			/* ret */
	return plan_thunk(area, site, code, n, patch);
}

/* in %dx,%al (COM1 is above the reach of an imm8 port). */
static int plan_in(const struct afb_site *site, const struct afb_insn *insn,
		   struct afb_site_patch *patch)
{
	if (insn->opcode[0] == 0xec)
		return afb_wedge_call(patch, site, wedge_entry(WG_IN8));
	return 0;
}

static int plan_mov_cr3(struct afb_wedge_area *area, const struct afb_site *site,
			const struct afb_insn *insn, struct afb_site_patch *patch)
{
	uint8_t code[16];
	uint64_t at = next_thunk(area);
	size_t n = 0;

	if (insn->opcode_len != 2 || insn->opcode[1] != 0x22 || insn->reg != 3)
		return 0;				/* not a load of CR3 */
	if (insn->rm == 0)
		return afb_wedge_call(patch, site, wedge_entry(WG_LOAD_CR3));
	code[n++] = 0x50;			/* push %rax */
	n += put_mov_to_rax(code + n, insn->rm);
	n += put_call(code + n, at + n, wedge_entry(WG_LOAD_CR3));
	code[n++] = 0x58;			/* pop %rax */
	code[n++] = 0xc3;			/* ret */
	return plan_thunk(area, site, code, n, patch);
}

static size_t put_jmp(uint8_t *p, uint64_t at, uint64_t to)
{
	int32_t rel = (int32_t)(to - (at + 5));

	p[0] = 0xe9;
	memcpy(p + 1, &rel, 4);
	return 5;
}

/*
 * lidt: the site jumps (no stack touched, so an %rsp-relative operand
 * still addresses the same bytes) to a thunk that runs the original lidt,
 * calls the wedge to load its shadow copy (guest.S, wg_lidt_sync) and
 * jumps back to the end of the site.
 */
static int plan_lidt(struct afb_wedge_area *area, const struct afb_image *image,
		     const struct afb_site *site, const struct afb_insn *insn,
		     struct afb_site_patch *patch)
{
	uint8_t code[32];
	uint64_t at = next_thunk(area);
	int n;

	n = afb_wedge_copy_insn(image, site, insn, at, code);
	if (n < 0)
		return n;
	n += put_call(code + n, at + n, wedge_entry(WG_LIDT));
	n += put_jmp(code + n, at + n, site->addr + site->len);
	if (afb_wedge_emit_thunk(area, code, n) != at)
		return -ENOSPC;
	return afb_wedge_jmp(patch, site, at);
}

/* The kinds both wedges take: byte port I/O and cpuid. */
static int plan_io_cpuid(struct afb_wedge_area *area, const struct afb_site *site,
			 const struct afb_insn *insn, struct afb_site_patch *patch)
{
	switch (site->kind) {
	case AFB_KIND_OUT:
		return insn->opsize == 1 ? plan_out(area, site, insn, patch) : 0;
	case AFB_KIND_IN:
		return insn->opsize == 1 ? plan_in(site, insn, patch) : 0;
	case AFB_KIND_CPUID:
		return afb_wedge_call(patch, site, wedge_entry(WG_CPUID));
	default:
		return 0;
	}
}

/*
 * i386: console port I/O and cpuid, as in 64-bit code (the thunk bytes
 * are the same in both modes).  Left native: code that runs before
 * paging (wedge32_find_early), .altinstr_replacement, and every other
 * kind (no window to map: the area is the kernel's own, so mov %cr3
 * needs no wedge; no MSR cache or shadow IDT in the 32-bit wedge).
 */
static int kvm_plan32(const struct kvm_wedge *w, const struct afb_site *site,
		      const struct afb_insn *insn, struct afb_wedge_area *area,
		      struct afb_site_patch *patch)
{
	if (site->mode != 32 || w->disabled[site->kind] || wedge32_early(site->addr))
		return 0;
	/* Linux copies .altinstr_replacement elsewhere at boot (kvm_plan). */
	if (site->section && strcmp(site->section, ".altinstr_replacement") == 0)
		return 0;
	return plan_io_cpuid(area, site, insn, patch);
}

static int kvm_plan(const struct afb_wedge *wedge, const struct afb_image *image,
		    struct afb_wedge_area *area, const struct afb_site *site,
		    const struct afb_insn *insn, struct afb_site_patch *patch)
{
	const struct kvm_wedge *w = (const struct kvm_wedge *)wedge;

	if (w->kvm->elf32)
		return kvm_plan32(w, site, insn, area, patch);
	if (site->mode != 64 || site->addr == afb_image_entry(image) ||
	    w->disabled[site->kind])
		return 0;
	/* Linux copies these over other code at boot (apply_alternatives):
	 * a rel32 call would then point elsewhere. */
	if (site->section && strcmp(site->section, ".altinstr_replacement") == 0)
		return 0;
	if (w->kvm->wedge_in_kernel_pdpt) {
		/* Linux: its head runs at physical addresses; the window is
		 * in every root already (no mov_cr3 wedge, which assumes the
		 * test kernel's direct map). */
		if ((site->addr >= head_start && site->addr < head_end) || in_extable(site) ||
		    site->kind == AFB_KIND_MOV_CR)
			return 0;
	}
	/* The shadow IDT is PVM's (one vCPU): one copy cannot follow the
	 * IDTs of several CPUs, so with -smp > 1 lidt stays native. */
	if (site->kind == AFB_KIND_LIDT && w->kvm->nr_cpus > 1)
		return 0;
	switch (site->kind) {
	case AFB_KIND_RDMSR:
		return afb_wedge_call(patch, site, wedge_entry(WG_RDMSR));
	case AFB_KIND_WRMSR:
		return afb_wedge_call(patch, site, wedge_entry(WG_WRMSR));
	case AFB_KIND_MOV_CR:
		return plan_mov_cr3(area, site, insn, patch);
	case AFB_KIND_LIDT:
		return plan_lidt(area, image, site, insn, patch);
	default:
		return plan_io_cpuid(area, site, insn, patch);
	}
}

static int parse_disable(const char *list)
{
	char buf[256], *tok, *save;

	if (!list)
		return 0;
	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int k = afb_kind_from_name(tok);

		if (k < 0) {
			pr_err("--disable: unknown kind '%s'", tok);
			return -EINVAL;
		}
		kw.disabled[k] = true;
	}
	return 0;
}

/*
 * The image as the patcher sees it: a host window over the guest-virtual
 * range of the sites, in which each PT_LOAD segment's guest RAM is mapped
 * a second time (shared, from the RAM's memfd) at the segment's own
 * p_vaddr.  So a site is read and written through its own segment's
 * p_vaddr - p_paddr, and the segments need not share one offset (an SMP
 * Linux's per-CPU segment is linked at virtual address 0, far from the
 * window: it holds no site).
 */
#define WINDOW_MAX	(1ULL << 30)

struct window_map {
	uint64_t start, end;	/* page-aligned guest-virtual range */
	uint64_t delta;		/* p_vaddr - p_paddr */
};

static struct window_map wmaps[32];
static unsigned int nr_wmaps;
static uint8_t *window;
static uint64_t window_size;

static bool window_holds(uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < nr_wmaps; i++)
		if (addr >= wmaps[i].start && addr < wmaps[i].end)
			return true;
	return false;
}

/* Map segment @ph's pages that fall in [lo, hi) at their p_vaddr. */
static int window_map_segment(struct kvm *kvm, const struct loader_phdr *ph,
			      unsigned int idx, uint64_t lo, uint64_t hi)
{
	uint64_t delta = ph->vaddr - ph->paddr;
	uint64_t s = ph->vaddr > lo ? ph->vaddr : lo;
	uint64_t e = ph->vaddr + ph->memsz < hi ? ph->vaddr + ph->memsz : hi;
	unsigned int i;

	if (s >= e)
		return 0;
	if (delta & 0xfff) {
		pr_err("%s: segment %u: p_vaddr %#llx and p_paddr %#llx differ within a page; cannot patch (use --no-patch)",
		       kvm->cfg.kernel, idx, (unsigned long long)ph->vaddr,
		       (unsigned long long)ph->paddr);
		return -ENOEXEC;
	}
	s &= ~0xfffULL;
	e = (e + 0xfff) & ~0xfffULL;
	for (i = 0; i < nr_wmaps; i++)
		if (s < wmaps[i].end && wmaps[i].start < e && wmaps[i].delta != delta) {
			pr_err("%s: segment %u shares a page at %#llx with a segment of another p_vaddr - p_paddr; cannot patch (use --no-patch)",
			       kvm->cfg.kernel, idx, (unsigned long long)s);
			return -ENOEXEC;
		}
	if (nr_wmaps == sizeof(wmaps) / sizeof(wmaps[0])) {
		pr_err("%s: too many PT_LOAD segments to patch", kvm->cfg.kernel);
		return -E2BIG;
	}
	if (s - delta + (e - s) > kvm->ram_size ||
	    mmap(window + (s - lo), e - s, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, kvm->ram_fd, s - delta) == MAP_FAILED) {
		pr_err("%s: segment %u: cannot map its guest RAM for patching",
		       kvm->cfg.kernel, idx);
		return -ENOMEM;
	}
	wmaps[nr_wmaps++] = (struct window_map){ s, e, delta };
	return 0;
}

static void patch_unmap(void)
{
	if (window)
		munmap(window, window_size);
	window = NULL;
	nr_wmaps = 0;
}

static int patch_memory(struct kvm *kvm, const struct afb_image *image,
			struct afb_memory *mem)
{
	struct loader_phdr ph;
	const struct afb_site *sites;
	size_t n = afb_image_sites(image, &sites), i;
	uint64_t lo = UINT64_MAX, hi = 0;
	int r;

	if (!n) {	/* nothing to patch: the image as loaded */
		mem->base = kvm->ram + kvm->image_start;
		mem->vaddr = kvm->image_start + kvm->load_delta;
		mem->size = kvm->image_end - kvm->image_start;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (sites[i].addr < lo)
			lo = sites[i].addr;
		if (sites[i].addr + sites[i].len > hi)
			hi = sites[i].addr + sites[i].len;
	}
	lo &= ~0xfffULL;
	hi = (hi + 0xfff) & ~0xfffULL;
	if (hi < lo || hi - lo > WINDOW_MAX) {
		pr_err("%s: the sites span %#llx-%#llx, more than 1 GiB; cannot patch (use --no-patch)",
		       kvm->cfg.kernel, (unsigned long long)lo, (unsigned long long)hi);
		return -E2BIG;
	}
	window_size = hi - lo;
	window = mmap(NULL, window_size, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (window == MAP_FAILED) {
		window = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < kvm->phnum; i++) {
		loader__phdr(kvm, i, &ph);
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		r = window_map_segment(kvm, &ph, i, lo, hi);
		if (r < 0)
			return r;
	}
	for (i = 0; i < n; i++)
		if (!window_holds(sites[i].addr) ||
		    !window_holds(sites[i].addr + sites[i].len - 1)) {
			pr_err("%s: the %s site at %#llx is in no PT_LOAD segment; cannot patch (use --no-patch)",
			       kvm->cfg.kernel, afb_kind_name(sites[i].kind),
			       (unsigned long long)sites[i].addr);
			return -ENOEXEC;
		}
	mem->base = window;
	mem->vaddr = lo;
	mem->size = window_size;
	return 0;
}

int patch__apply(struct kvm *kvm)
{
	struct afb_wedge_area area;
	struct afb_memory mem;
	struct afb_image *image;
	struct afb_error err = { 0 };
	int r;

	kw.wedge.name = "kvm";
	kw.wedge.summary = "afterburn-kvm's in-guest wedge";
	kw.wedge.plan = kvm_plan;
	kw.kvm = kvm;
	if (kvm->cfg.no_patch)
		return 0;
	r = parse_disable(kvm->cfg.disable);
	if (r < 0)
		return r;
	if (!kvm->elf32) {
		r = wedge_place(kvm);
		if (r < 0 || kvm->cfg.no_patch)
			return r;
		if (kw.disabled[AFB_KIND_MOV_CR] && !kvm->wedge_in_kernel_pdpt) {
			pr_warning("mov_cr disabled: the wedge cannot be mapped, no site is patched");
			return 0;
		}
	}
	r = afb_image_open_memory(kvm->image_file, kvm->image_size,
				  kvm->cfg.kernel, &image, &err);
	if (r < 0) {
		pr_err("%s", err.message);
		return r;
	}
	if (kvm->elf32) {
		r = wedge32_place(kvm, image);
		if (r < 0 || kvm->cfg.no_patch)
			goto out;
	}
	r = patch_memory(kvm, image, &mem);
	if (r < 0)
		goto out;
	r = kvm->elf32 ? wedge32_setup(kvm) : wedge_setup(kvm);
	if (r < 0)
		goto out;
	area = (struct afb_wedge_area){
		.base = wedge_host(kvm, kw.thunk_off),
		.vaddr = kvm->wedge_vaddr + kw.thunk_off,
		.size = kw.thunk_size,
	};
	r = afb_wedge_apply(image, &mem, &kw.wedge, &area, &kw.stats, &err);
	if (r < 0) {
		pr_err("patching %s: %s", kvm->cfg.kernel, err.message);
		kw.active = false;
		goto out;
	}
	/* A wrmsr the wedge does not see would make its cache stale; and
	 * one cache cannot hold several vCPUs' MSRs. */
	if (kw.stats.native[AFB_KIND_WRMSR] || kvm->nr_cpus > 1)
		*(uint32_t *)wedge_data(kvm, WD_MSR_OFF) = 1;
	if (kvm_verbose)
		patch__print_stats(kvm);
out:
	patch_unmap();
	afb_image_close(image);
	return r;
}

/* Console bytes the wedge holds, to standard output: the caller holds
 * the wedge's console lock (or a vCPU holds it and asked for this). */
static void con_flush(struct kvm *kvm)
{
	uint8_t *data;
	uint32_t len;

	data = wedge_data(kvm, 0);
	memcpy(&len, data + WD_CON_LEN, 4);
	if (len > WD_CON_SIZE)
		len = WD_CON_SIZE;	/* a guest scribbled on it */
	serial8250__write(kvm, data + WD_CON_BUF, len);
	memset(data + WD_CON_LEN, 0, 4);
}

/*
 * The same from the VMM's side, at any time: only if no vCPU is filling
 * the buffer now (it flushes soon itself, or holds the lock while it is
 * stopped with the VM: then its bytes are whole up to WD_CON_LEN).
 */
void patch__flush_console(struct kvm *kvm)
{
	uint32_t *lock;

	if (!kw.active)
		return;
	lock = (uint32_t *)wedge_data(kvm, WD_CON_LOCK);
	if (__atomic_fetch_or(lock, 1, __ATOMIC_ACQUIRE) & 1) {
		if (kvm->powered_off)
			con_flush(kvm);
		return;
	}
	con_flush(kvm);
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

static void wedge_call(struct kvm *kvm, uint16_t port, uint8_t *data,
		       unsigned int size, bool out, void *ptr)
{
	uint32_t call = 0;

	(void)port;
	(void)ptr;
	if (!out || !kw.active) {
		if (!out)
			memset(data, 0xff, size);
		return;
	}
	kvm->stats.hypercalls++;
	memcpy(&call, data, size < 4 ? size : 4);
	if (call == WG_CALL_FLUSH)
		con_flush(kvm);		/* the calling vCPU holds the lock */
}

static int wedge__init(struct kvm *kvm)
{
	(void)kvm;
	return kvm__register_pio(WG_PORT, 1, wedge_call, NULL);
}
dev_init(wedge__init);

/* --verbose: the first user-mode #PF with CR2 == %rip, as delivered. */
void patch__print_trace(struct kvm *kvm)
{
	static const char *const name[] = { "rip", "cs", "rflags", "rsp",
		"ss", "error", "rcx", "r11" };
	const uint8_t *d;
	uint64_t v[9];
	unsigned int i;

	if (!kw.active)
		return;
	d = wedge_data(kvm, 0);
	memcpy(v, d + WD_TRACE, sizeof(v));
	if (!v[8])
		return;
	fprintf(stderr, "afterburn-kvm: first user #PF at its own rip:");
	for (i = 0; i < 8; i++)
		fprintf(stderr, " %s %#llx", name[i], (unsigned long long)v[i]);
	fputc('\n', stderr);
}

static uint64_t gate_target(const uint8_t *g)
{
	uint64_t t = 0;

	memcpy(&t, g, 2);
	memcpy((uint8_t *)&t + 2, g + 6, 6);
	return t;
}

/*
 * Bring the shadow IDT up to date with the gates the guest wrote in its
 * loaded IDT since its last lidt (Linux fills most of its IDT after
 * loading it).  Gates the wedge owns (#PF, #UD) stay its own; where they
 * lead is read from the guest's IDT at each fault.
 */
static void sync_idt(struct kvm *kvm, uint8_t *d)
{
	uint8_t *shadow, guest[4096];
	uint64_t base;
	uint16_t limit;
	uint32_t on, size, v;

	memcpy(&on, d + WD_IDT_SHADOW, 4);
	if (!on)
		return;
	memcpy(&base, d + WD_IDT_BASE, 8);
	memcpy(&limit, d + WD_IDT_LIMIT, 2);
	size = ((uint32_t)limit + 1) & ~15U;
	if (size > sizeof(guest))
		size = sizeof(guest);
	if (!kvm_cpu__copy_gva(kvm, base, guest, size, false))
		return;
	shadow = wedge_host(kvm, WG_IDT_OFF);
	for (v = 0; v < size / 16; v++) {
		uint64_t t = gate_target(shadow + v * 16);

		if (t - kvm->wedge_vaddr < WEDGE_SIZE)
			continue;
		if (memcmp(shadow + v * 16, guest + v * 16, 16)) {
			memcpy(shadow + v * 16, guest + v * 16, 16);
			kvm->stats.idt_gates_synced++;
		}
	}
}

/* Does the wedge's shadow IDT finish PVM's half-done events? */
bool patch__shadow_idt(struct kvm *kvm)
{
	return kw.active && !kvm->cfg.no_patch && kw.stats.patched[AFB_KIND_LIDT];
}

/*
 * After every exit: the console bytes the wedge holds (a prompt without
 * a newline must not wait for one), and what it mirrors of the VMM and
 * the guest.
 */
void patch__sync(struct kvm *kvm)
{
	uint8_t *d;

	if (!kw.active || kvm->cfg.no_patch)
		return;
	patch__flush_console(kvm);
	d = wedge_data(kvm, 0);
	/* The UART's registers as they are now, whoever wrote them: a
	 * native 'out' (an unpatched site) exits and lands here too. */
	d[WD_UART_LSR] = serial8250__lsr();
	d[WD_UART_IER] = serial8250__ier();
	d[WD_UART_LCR] = serial8250__lcr();
	sync_idt(kvm, d);
}

void patch__print_stats(struct kvm *kvm)
{
	const struct afb_patch_stats *s = &kw.stats;
	unsigned int k;

	if (kvm->cfg.no_patch || !kw.active) {
		fprintf(stderr, "afterburn-kvm: sites not patched (--no-patch)\n");
		return;
	}
	fprintf(stderr, "afterburn-kvm: sites patched %u, native %u\n",
		s->total_patched, s->total_native);
	if (s->patched[AFB_KIND_LIDT]) {
		const uint8_t *d = wedge_data(kvm, 0);
		uint64_t sys, pf, gp, ud;
		uint32_t shadow;

		memcpy(&sys, d + WD_SYSCALLS, 8);
		memcpy(&pf, d + WD_PF_PASSED, 8);
		memcpy(&gp, d + WD_GP_INT80, 8);
		memcpy(&ud, d + WD_UD_SEEN, 8);
		memcpy(&shadow, d + WD_IDT_SHADOW, 4);
		fprintf(stderr, "afterburn-kvm: shadow IDT %s: syscall entries completed by the wedge %llu, #PF passed to the guest %llu, #UD %llu (int $0x80 made #GP %llu), gates brought up to date %llu\n",
			shadow ? "loaded" : "not loaded",
			(unsigned long long)sys, (unsigned long long)pf,
			(unsigned long long)ud, (unsigned long long)gp,
			(unsigned long long)kvm->stats.idt_gates_synced);
	}
	for (k = 1; k <= AFB_KIND_MAX; k++)
		if (s->patched[k] || s->native[k])
			fprintf(stderr, "  %-10s patched %4u  native %4u\n",
				afb_kind_name(k), s->patched[k], s->native[k]);
}
