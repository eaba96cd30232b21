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
 *    control registers, rdtsc): rare, or no exit under KVM.
 *
 * The window is mapped in every root the guest loads: in the VMM's boot
 * tables by cpu.c, and in each root the guest loads afterwards by the
 * patched 'mov %reg,%cr3'.  So if mov_cr is disabled, nothing is patched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <afterburn/wedge.h>

#include "guest.h"
#include "kvm.h"

#define PTE_P		0x001UL
#define PTE_W		0x002UL
#define PTE_PS		0x080UL

/* Entry slots of guest.S. */
enum { WG_OUT8, WG_IN8, WG_CPUID, WG_RDMSR, WG_WRMSR, WG_LOAD_CR3, WG_LIDT };

extern const uint8_t afb_kvm_guest_start[], afb_kvm_guest_end[];

struct kvm_wedge {
	struct afb_wedge wedge;		/* first: plan() gets a pointer to it */
	struct kvm *kvm;
	bool disabled[AFB_KIND_MAX + 1];
	bool active;			/* the wedge is in guest memory */
	struct afb_patch_stats stats;
};

static struct kvm_wedge kw;

static uint8_t *wedge_host(struct kvm *kvm, uint64_t off)
{
	return kvm->ram + kvm->wedge_phys + off;
}

static uint64_t wedge_entry(unsigned int slot)
{
	return WEDGE_VADDR + WG_CODE_OFF + slot * 8;
}

uint64_t patch__wedge_pml4e(struct kvm *kvm)
{
	if (!kw.active)
		return 0;
	return (kvm->wedge_phys + WG_PGTABLE_OFF) | PTE_P | PTE_W;
}

static void wedge_fill_cpuid(struct kvm *kvm, uint8_t *data)
{
	const struct kvm_cpuid2 *c = kvm_cpu__cpuid(kvm);
	uint32_t i;

	for (i = 0; c && i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		uint32_t f = e->function, slot, v[6];

		if (f < WD_CPUID_LEAVES)
			slot = f;
		else if (f - 0x80000000u < WD_CPUID_LEAVES)
			slot = WD_CPUID_LEAVES + (f - 0x80000000u);
		else
			continue;
		/* Leaves with bits that follow CR4/XCR0 (OSXSAVE, OSPKE,
		 * XSAVE sizes) are not constant: the real cpuid answers. */
		if (f == 1 || f == 7 || f == 0xd)
			continue;
		if (e->index != 0)
			continue;
		v[0] = e->eax;
		v[1] = e->ebx;
		v[2] = e->ecx;
		v[3] = e->edx;
		v[4] = 1;
		v[5] = !!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
		memcpy(data + WD_CPUID_STD + slot * WC_SIZE, v, sizeof(v));
	}
}

/* Code, data page and the window's PDPT and PD (2 MiB page). */
static int wedge_setup(struct kvm *kvm)
{
	size_t code = afb_kvm_guest_end - afb_kvm_guest_start;
	uint64_t *pdpt = (uint64_t *)wedge_host(kvm, WG_PGTABLE_OFF);
	uint64_t *pd = pdpt + 512;

	if (code > WG_CODE_MAX) {
		pr_err("wedge code is %zu bytes, more than %d", code, WG_CODE_MAX);
		return -E2BIG;
	}
	memset(wedge_host(kvm, 0), 0, WEDGE_SIZE);
	memcpy(wedge_host(kvm, WG_CODE_OFF), afb_kvm_guest_start, code);
	memset(pdpt, 0, 0x2000);
	pdpt[(WEDGE_VADDR >> 30) & 511] =
		(kvm->wedge_phys + WG_PGTABLE_OFF + 0x1000) | PTE_P | PTE_W;
	pd[(WEDGE_VADDR >> 21) & 511] = kvm->wedge_phys | PTE_P | PTE_W | PTE_PS;
	kw.active = true;
	*(uint64_t *)wedge_host(kvm, WG_DATA_OFF + WD_PML4E) =
		patch__wedge_pml4e(kvm);
	wedge_fill_cpuid(kvm, wedge_host(kvm, WG_DATA_OFF));
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

static int plan_in(struct afb_wedge_area *area, const struct afb_site *site,
		   const struct afb_insn *insn, struct afb_site_patch *patch)
{
	static const uint8_t lsr[] = { 0xb0, WG_LSR_IDLE, 0xc3 };	/* mov $0x60,%al; ret */

	if (insn->opcode[0] == 0xec)
		return afb_wedge_call(patch, site, wedge_entry(WG_IN8));
	if (insn->opcode[0] == 0xe4 && insn->imm == WG_COM1_LSR)
		return plan_thunk(area, site, lsr, sizeof(lsr), patch);
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

static int kvm_plan(const struct afb_wedge *wedge, const struct afb_image *image,
		    struct afb_wedge_area *area, const struct afb_site *site,
		    const struct afb_insn *insn, struct afb_site_patch *patch)
{
	const struct kvm_wedge *w = (const struct kvm_wedge *)wedge;

	if (site->mode != 64 || site->addr == afb_image_entry(image) ||
	    w->disabled[site->kind])
		return 0;
	switch (site->kind) {
	case AFB_KIND_OUT:
		return insn->opsize == 1 ? plan_out(area, site, insn, patch) : 0;
	case AFB_KIND_IN:
		return insn->opsize == 1 ? plan_in(area, site, insn, patch) : 0;
	case AFB_KIND_CPUID:
		return afb_wedge_call(patch, site, wedge_entry(WG_CPUID));
	case AFB_KIND_RDMSR:
		return afb_wedge_call(patch, site, wedge_entry(WG_RDMSR));
	case AFB_KIND_WRMSR:
		return afb_wedge_call(patch, site, wedge_entry(WG_WRMSR));
	case AFB_KIND_MOV_CR:
		return plan_mov_cr3(area, site, insn, patch);
	case AFB_KIND_LIDT:
		return plan_lidt(area, image, site, insn, patch);
	default:
		return 0;
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

/* The image as loaded: one range in which vaddr - paddr is constant. */
static int patch_memory(struct kvm *kvm, struct afb_memory *mem)
{
	if (!kvm->load_delta_ok) {
		pr_err("%s: PT_LOAD segments do not share one vaddr - paddr offset; cannot patch (use --no-patch)",
		       kvm->cfg.kernel);
		return -ENOEXEC;
	}
	mem->base = kvm->ram + kvm->image_start;
	mem->vaddr = kvm->image_start + kvm->load_delta;
	mem->size = kvm->image_end - kvm->image_start;
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
	if (kw.disabled[AFB_KIND_MOV_CR]) {
		pr_warning("mov_cr disabled: the wedge cannot be mapped, no site is patched");
		return 0;
	}
	r = afb_image_open_memory(kvm->image_file, kvm->image_size,
				  kvm->cfg.kernel, &image, &err);
	if (r < 0) {
		pr_err("%s", err.message);
		return r;
	}
	r = patch_memory(kvm, &mem);
	if (r < 0)
		goto out;
	r = wedge_setup(kvm);
	if (r < 0)
		goto out;
	area = (struct afb_wedge_area){
		.base = wedge_host(kvm, WG_THUNK_OFF),
		.vaddr = WEDGE_VADDR + WG_THUNK_OFF,
		.size = WG_THUNK_MAX,
	};
	r = afb_wedge_apply(image, &mem, &kw.wedge, &area, &kw.stats, &err);
	if (r < 0) {
		pr_err("patching %s: %s", kvm->cfg.kernel, err.message);
		kw.active = false;
		goto out;
	}
	if (kvm_verbose)
		patch__print_stats(kvm);
out:
	afb_image_close(image);
	return r;
}

/* Console bytes the wedge holds, to standard output. */
void patch__flush_console(struct kvm *kvm)
{
	uint8_t *data;
	uint32_t len;

	if (!kw.active)
		return;
	data = wedge_host(kvm, WG_DATA_OFF);
	memcpy(&len, data + WD_CON_LEN, 4);
	if (len > WD_CON_SIZE)
		len = WD_CON_SIZE;	/* a guest scribbled on it */
	serial8250__write(kvm, data + WD_CON_BUF, len);
	memset(data + WD_CON_LEN, 0, 4);
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
		patch__flush_console(kvm);
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
	d = wedge_host(kvm, WG_DATA_OFF);
	memcpy(v, d + WD_TRACE, sizeof(v));
	if (!v[8])
		return;
	fprintf(stderr, "afterburn-kvm: first user #PF at its own rip:");
	for (i = 0; i < 8; i++)
		fprintf(stderr, " %s %#llx", name[i], (unsigned long long)v[i]);
	fputc('\n', stderr);
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
		const uint8_t *d = wedge_host(kvm, WG_DATA_OFF);
		uint64_t sys, pf, gp, ud;
		uint32_t shadow;

		memcpy(&sys, d + WD_SYSCALLS, 8);
		memcpy(&pf, d + WD_PF_PASSED, 8);
		memcpy(&gp, d + WD_GP_INT80, 8);
		memcpy(&ud, d + WD_UD_SEEN, 8);
		memcpy(&shadow, d + WD_IDT_SHADOW, 4);
		fprintf(stderr, "afterburn-kvm: shadow IDT %s: syscall entries completed by the wedge %llu, #PF passed to the guest %llu, #UD %llu (int $0x80 made #GP %llu)\n",
			shadow ? "loaded" : "not loaded",
			(unsigned long long)sys, (unsigned long long)pf,
			(unsigned long long)ud, (unsigned long long)gp);
	}
	for (k = 1; k <= AFB_KIND_MAX; k++)
		if (s->patched[k] || s->native[k])
			fprintf(stderr, "  %-10s patched %4u  native %4u\n",
				afb_kind_name(k), s->patched[k], s->native[k]);
}
