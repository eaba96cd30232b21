// SPDX-License-Identifier: MIT
/*
 * The virtual-CPU core (wedge/core/) driven exactly as a host drives it:
 * each instruction is assembled by GNU as, decoded with afb_decode() and
 * emulated with afb_vcpu_emulate() against a fake host.  The fake host's
 * guest memory is a flat buffer with identity "page tables" (a permission
 * byte per page), and it records port I/O, MSRs, CR3 loads, TLB flushes,
 * segment bases, idling and user-mode entries.  The guest's GDT, TSS and
 * IDT are laid out in that memory as the test kernel lays out its own
 * (testcases/kernel/x86_64/desc.c) and loaded with lgdt/lidt/ltr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <afterburn/vcpu.h>

#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Guest memory layout ------------------------------------------- */

#define MEM_BASE	0x100000ULL
#define MEM_SIZE	0x40000
#define NPAGES		(MEM_SIZE / 4096)
#define PG_P		1
#define PG_W		2
#define PG_U		4

#define GDT		(MEM_BASE + 0x1000)
#define TSS		(MEM_BASE + 0x2000)
#define IDT		(MEM_BASE + 0x3000)
#define KRSP		(MEM_BASE + 0x6000)	/* kernel stack in use */
#define RSP0		(MEM_BASE + 0x8000)	/* tss.rsp[0] */
#define IST1		(MEM_BASE + 0xa000)	/* tss.ist[0]: #DF */
#define DATA		(MEM_BASE + 0xc000)	/* operands */
#define USTACK		(MEM_BASE + 0x22000)	/* user stack top (user pages) */
#define HOLE		(MEM_BASE + 0x30000)	/* a page that is not present */

#define SITE		0x100000200000ULL	/* where the emulated insns are */
#define UCODE		0x10001000ULL		/* user rip */
#define HANDLER(v)	(0x100000100000ULL + (v) * 0x10ULL)

#define KCODE_SEL	0x08
#define KDATA_SEL	0x10
#define UDATA_SEL	0x23
#define UCODE_SEL	0x2b
#define TSS_SEL		0x30

/* ---- The fake host ---------------------------------------------------- */

struct io_rec {
	uint16_t port;
	unsigned int size;
	uint32_t val;
	bool out;
};

struct fake {
	uint8_t mem[MEM_SIZE];
	uint8_t perm[NPAGES];
	struct io_rec io[64];
	unsigned int nio;
	uint32_t in_val;
	uint64_t msr_1b;		/* the one MSR the host knows */
	uint64_t cr3[8];
	unsigned int ncr3;
	int cr3_ret;
	unsigned int flushes, flush_alls;
	uint64_t last_flush;
	uint64_t seg_base[AFB_NR_SREGS];
	unsigned int seg_base_calls;
	unsigned int idle_calls;
	int idle_raise;			/* vector to raise in idle, or -1 */
	unsigned int enter_user_calls;
	int shutdown_reason;
};

struct env {
	struct fake host;
	struct afb_vcpu vcpu;
	struct afb_frame frame;
};

static int page_check(struct fake *h, uint64_t gva, size_t len,
		      unsigned int access)
{
	uint8_t p;

	if (gva < MEM_BASE || gva - MEM_BASE >= MEM_SIZE ||
	    len > MEM_SIZE - (gva - MEM_BASE))
		return -EFAULT;
	assert_true((gva & ~4095ULL) == ((gva + len - 1) & ~4095ULL));
	p = h->perm[(gva - MEM_BASE) / 4096];
	if (!(p & PG_P))
		return -EFAULT;
	if ((access & AFB_ACCESS_USER) && !(p & PG_U))
		return -EACCES;
	if ((access & AFB_ACCESS_WRITE) && !(p & PG_W))
		return -EACCES;
	return 0;
}

static int fake_read(struct afb_vcpu *vcpu, uint64_t gva, void *buf,
		     size_t len, unsigned int access)
{
	struct fake *h = vcpu->host;
	int ret = page_check(h, gva, len, access);

	if (!ret)
		memcpy(buf, h->mem + (gva - MEM_BASE), len);
	return ret;
}

static int fake_write(struct afb_vcpu *vcpu, uint64_t gva, const void *buf,
		      size_t len, unsigned int access)
{
	struct fake *h = vcpu->host;
	int ret = page_check(h, gva, len, access);

	assert_true(access & AFB_ACCESS_WRITE);
	if (!ret)
		memcpy(h->mem + (gva - MEM_BASE), buf, len);
	return ret;
}

static void io_record(struct fake *h, uint16_t port, unsigned int size,
		      uint32_t val, bool out)
{
	assert_true(h->nio < 64);
	h->io[h->nio++] = (struct io_rec){ port, size, val, out };
}

static int fake_in(struct afb_vcpu *vcpu, uint16_t port, unsigned int size,
		   uint32_t *val)
{
	struct fake *h = vcpu->host;

	*val = h->in_val++;
	io_record(h, port, size, *val, false);
	return 0;
}

static int fake_out(struct afb_vcpu *vcpu, uint16_t port, unsigned int size,
		    uint32_t val)
{
	io_record(vcpu->host, port, size, val, true);
	return 0;
}

static int fake_rdmsr(struct afb_vcpu *vcpu, uint32_t msr, uint64_t *val)
{
	struct fake *h = vcpu->host;

	if (msr != 0x1b)
		return -ENOENT;
	*val = h->msr_1b;
	return 0;
}

static int fake_wrmsr(struct afb_vcpu *vcpu, uint32_t msr, uint64_t val)
{
	struct fake *h = vcpu->host;

	if (msr != 0x1b)
		return -ENOENT;
	h->msr_1b = val;
	return 0;
}

static void fake_cpuid(struct afb_vcpu *vcpu, uint32_t leaf, uint32_t sub,
		       uint32_t out[4])
{
	(void)vcpu;
	out[0] = leaf + 1;
	out[1] = 0x68747541;
	out[2] = sub;
	out[3] = 0xffffffff;
}

static uint64_t fake_rdtsc(struct afb_vcpu *vcpu)
{
	(void)vcpu;
	return 0x123456789abcdefULL;
}

static int fake_set_cr3(struct afb_vcpu *vcpu, uint64_t cr3)
{
	struct fake *h = vcpu->host;

	assert_int_equal(vcpu->cr3, cr3);
	if (h->ncr3 < 8)
		h->cr3[h->ncr3++] = cr3;
	return h->cr3_ret;
}

static void fake_flush(struct afb_vcpu *vcpu, uint64_t gva, bool all,
		       bool global)
{
	struct fake *h = vcpu->host;

	(void)global;
	h->flushes++;
	h->flush_alls += all;
	h->last_flush = gva;
}

static void fake_seg_base(struct afb_vcpu *vcpu, enum afb_sreg sreg,
			  uint64_t base)
{
	struct fake *h = vcpu->host;

	h->seg_base[sreg] = base;
	h->seg_base_calls++;
}

/* A 32-bit mode op: long mode never calls it (set_seg_base instead). */
static int fake_load_seg(struct afb_vcpu *vcpu, enum afb_sreg sreg,
			 uint16_t sel, const struct afb_seg_hidden *h)
{
	(void)vcpu, (void)h;
	fail_msg("load_seg(%d, %#x) in long mode", sreg, sel);
	return -EINVAL;
}

static int fake_idle(struct afb_vcpu *vcpu)
{
	struct fake *h = vcpu->host;

	h->idle_calls++;
	if (h->idle_raise >= 0)
		afb_vcpu_raise_irq(vcpu, (uint8_t)h->idle_raise);
	return 0;
}

static int fake_enter_user(struct afb_vcpu *vcpu, struct afb_frame *frame)
{
	struct fake *h = vcpu->host;

	assert_int_equal(vcpu->cpl, 3);
	assert_int_equal(frame->next_rip, 0);
	h->enter_user_calls++;
	return 0;
}

static void fake_shutdown(struct afb_vcpu *vcpu, int reason)
{
	struct fake *h = vcpu->host;

	h->shutdown_reason = reason;
}

static const struct afb_host_ops fake_ops = {
	.mem_read = fake_read,
	.mem_write = fake_write,
	.io_in = fake_in,
	.io_out = fake_out,
	.rdmsr = fake_rdmsr,
	.wrmsr = fake_wrmsr,
	.cpuid = fake_cpuid,
	.rdtsc = fake_rdtsc,
	.set_cr3 = fake_set_cr3,
	.flush_tlb = fake_flush,
	.set_seg_base = fake_seg_base,
	.load_seg = fake_load_seg,
	.idle = fake_idle,
	.enter_user = fake_enter_user,
	.shutdown = fake_shutdown,
};

/* ---- Memory helpers --------------------------------------------------- */

static void *at(struct env *e, uint64_t gva)
{
	assert_true(gva >= MEM_BASE && gva < MEM_BASE + MEM_SIZE);
	return e->host.mem + (gva - MEM_BASE);
}

static uint64_t peek64(struct env *e, uint64_t gva)
{
	uint64_t v;

	memcpy(&v, at(e, gva), 8);
	return v;
}

static void poke64(struct env *e, uint64_t gva, uint64_t v)
{
	memcpy(at(e, gva), &v, 8);
}

static void poke16(struct env *e, uint64_t gva, uint16_t v)
{
	memcpy(at(e, gva), &v, 2);
}

static void set_perm(struct env *e, uint64_t gva, size_t len, uint8_t perm)
{
	uint64_t p;

	for (p = gva & ~4095ULL; p < gva + len; p += 4096)
		e->host.perm[(p - MEM_BASE) / 4096] = perm;
}

/* ---- Instructions: assembled by GNU as, decoded by afb_decode ------- */

struct cached_insn {
	char text[80];
	struct afb_insn insn;
};

static struct cached_insn cache[160];
static unsigned int ncache;

static const struct afb_insn *decode(const char *text)
{
	struct cached_insn *c;
	char src[128];
	uint8_t *code;
	size_t size;
	char *obj;
	unsigned int i;

	for (i = 0; i < ncache; i++)
		if (!strcmp(cache[i].text, text))
			return &cache[i].insn;
	assert_true(ncache < ARRAY_SIZE(cache) && strlen(text) < 80);
	c = &cache[ncache++];
	strcpy(c->text, text);
	snprintf(src, sizeof(src), "\t.text\n\t%s\n", text);
	obj = util_assemble_text("vcpu_insn", src, "--64");
	code = util_section(obj, ".text", &size, NULL, NULL);
	if (afb_decode(code, size, 64, &c->insn) != (int)size)
		fail_msg("afb_decode(%s) does not take all %zu bytes", text, size);
	free(code);
	free(obj);
	return &c->insn;
}

/* Emulate @text at SITE as the trap path does (next_rip 0). */
static int run(struct env *e, const char *text)
{
	e->frame.rip = SITE;
	e->frame.next_rip = 0;
	return afb_vcpu_emulate(&e->vcpu, &e->frame, decode(text));
}

/* Emulate @text at @rip as a patched site of @site_len bytes. */
static int run_site(struct env *e, const char *text, uint64_t rip,
		    unsigned int site_len)
{
	e->frame.rip = rip;
	e->frame.next_rip = rip + site_len;
	return afb_vcpu_emulate(&e->vcpu, &e->frame, decode(text));
}

static void run_ok(struct env *e, const char *text)
{
	const struct afb_insn *insn = decode(text);
	int ret = run(e, text);

	if (ret)
		fail_msg("%s: %d (exc %u err %#x)", text, ret,
			 e->vcpu.exc.vector, e->vcpu.exc.error_code);
	(void)insn;
}

/* Emulate @text and expect it to fault with @vector / @err. */
static void run_fault(struct env *e, const char *text, uint8_t vector,
		      uint32_t err)
{
	assert_int_equal(run(e, text), AFB_VCPU_EXCEPTION);
	assert_int_equal(e->vcpu.exc.vector, vector);
	assert_int_equal(e->vcpu.exc.error_code, err);
	assert_int_equal(e->frame.rip, SITE);
}

/* ---- The guest's descriptor tables ------------------------------------- */

#define DESC_CODE64(dpl) (0x00af9a000000ffffULL | ((uint64_t)(dpl) << 45))
#define DESC_CODE32(dpl) (0x00cf9a000000ffffULL | ((uint64_t)(dpl) << 45))
#define DESC_DATA(dpl)   (0x00cf92000000ffffULL | ((uint64_t)(dpl) << 45))

static void build_gdt(struct env *e)
{
	uint64_t base = TSS, limit = 103;

	poke64(e, GDT + 0x08, DESC_CODE64(0));
	poke64(e, GDT + 0x10, DESC_DATA(0));
	poke64(e, GDT + 0x18, DESC_CODE32(3));
	poke64(e, GDT + 0x20, DESC_DATA(3));
	poke64(e, GDT + 0x28, DESC_CODE64(3));
	poke64(e, GDT + 0x30, (limit & 0xffff) | ((base & 0xffffff) << 16) |
			      (0x89ULL << 40) | (((base >> 24) & 0xff) << 56));
	poke64(e, GDT + 0x38, base >> 32);
	poke64(e, TSS + 4, RSP0);		/* rsp[0] */
	poke64(e, TSS + 0x24, IST1);		/* ist[0] */
}

/* A 64-bit gate: @type 0x8e interrupt gate, 0x8f trap, |0x60 for DPL3. */
static void set_gate(struct env *e, unsigned int v, uint8_t type,
		     unsigned int ist)
{
	uint64_t h = HANDLER(v);

	poke64(e, IDT + v * 16, (h & 0xffff) | ((uint64_t)KCODE_SEL << 16) |
				((uint64_t)ist << 32) | ((uint64_t)type << 40) |
				((h >> 16 & 0xffff) << 48));
	poke64(e, IDT + v * 16 + 8, h >> 32);
}

static void build_idt(struct env *e)
{
	unsigned int v;

	for (v = 0; v < 48; v++)
		set_gate(e, v, 0x8e, v == 8 ? 1 : 0);
	set_gate(e, 0x80, 0xef, 0);		/* DPL3 trap gate */
	set_gate(e, 0x81, 0x8e, 0);		/* DPL0: int from user is #GP */
}

/* lgdt, lidt, ltr as the guest's seg_init() and idt_init() run them. */
static void load_tables(struct env *e)
{
	poke16(e, DATA, 0x3f);
	poke64(e, DATA + 2, GDT);
	poke16(e, DATA + 16, 256 * 16 - 1);
	poke64(e, DATA + 18, IDT);
	e->frame.gpr[AFB_RAX] = DATA;
	run_ok(e, "lgdt (%rax)");
	e->frame.gpr[AFB_RAX] = DATA + 16;
	run_ok(e, "lidt (%rax)");
	e->frame.gpr[AFB_RAX] = TSS_SEL;
	run_ok(e, "ltr %ax");
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	set_perm(e, MEM_BASE, MEM_SIZE, PG_P | PG_W);
	set_perm(e, USTACK - 0x2000, 0x2000, PG_P | PG_W | PG_U);
	set_perm(e, HOLE, 4096, 0);
	e->host.idle_raise = -1;
	afb_vcpu_init(&e->vcpu, &fake_ops, &e->host);
	e->frame.gpr[AFB_RSP] = KRSP;
	e->frame.rflags = 0x202;	/* the host runs its guest with IF on */
	build_gdt(e);
	build_idt(e);
	load_tables(e);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Put the vcpu in user mode at UCODE with the user stack (as after iret). */
static void to_user(struct env *e)
{
	e->vcpu.cpl = 3;
	e->vcpu.seg[AFB_CS] = UCODE_SEL;
	e->vcpu.seg[AFB_SS] = UDATA_SEL;
	e->vcpu.rflags |= AFB_RFLAGS_IF;
	e->frame.gpr[AFB_RSP] = USTACK - 0x100;
	e->frame.rip = UCODE;
}

static uint64_t vflags(struct env *e)
{
	return afb_vcpu_rflags(&e->vcpu, &e->frame);
}

/* The hardware frame at @rsp: [err] rip cs rflags rsp ss. */
static void check_hw_frame(struct env *e, uint64_t rsp, const uint64_t *want,
			   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (peek64(e, rsp + 8 * i) != want[i])
			fail_msg("frame slot %u: %#llx, want %#llx", i,
				 (unsigned long long)peek64(e, rsp + 8 * i),
				 (unsigned long long)want[i]);
}

/* ---- Tests: descriptor tables ------------------------------------------ */

static void test_tables_loaded(void **state)
{
	struct env *e = *state;

	assert_int_equal(e->vcpu.gdtr.base, GDT);
	assert_int_equal(e->vcpu.gdtr.limit, 0x3f);
	assert_int_equal(e->vcpu.idtr.base, IDT);
	assert_int_equal(e->vcpu.tr.sel, TSS_SEL);
	assert_int_equal(e->vcpu.tr.base, TSS);
	assert_int_equal(e->vcpu.tr.limit, 103);
	/* ltr marks the TSS busy in the GDT */
	assert_int_equal((peek64(e, GDT + 0x30) >> 40) & 0xf, 0xb);
	assert_int_equal(e->frame.rip, SITE + 3);	/* ltr %ax: 0f 00 d8 */
	run_fault(e, "ltr %ax", AFB_EXC_GP, TSS_SEL);	/* busy now */
	e->frame.gpr[AFB_RAX] = 0x48;			/* beyond the limit */
	run_fault(e, "ltr %ax", AFB_EXC_GP, 0x48);
	e->frame.gpr[AFB_RAX] = KDATA_SEL;		/* not a TSS */
	run_fault(e, "ltr %ax", AFB_EXC_GP, KDATA_SEL);
}

/*
 * lgdt with a RIP-relative operand at a patched site: the operand counts
 * from the end of the original instruction, not from the site's end.
 */
static void test_lgdt_rip_relative(void **state)
{
	struct env *e = *state;
	const struct afb_insn *insn = decode("lgdt 0x1000(%rip)");
	uint64_t rip = DATA + 0x100;	/* the "site", also memory here */
	uint64_t op = rip + insn->len + 0x1000;

	assert_true(insn->mem.rip_relative);
	poke16(e, op, 0x7f);
	poke64(e, op + 2, 0xfffff00000001000ULL);
	assert_int_equal(run_site(e, "lgdt 0x1000(%rip)", rip, 12), 0);
	assert_int_equal(e->vcpu.gdtr.limit, 0x7f);
	assert_int_equal(e->vcpu.gdtr.base, 0xfffff00000001000ULL);
	assert_int_equal(e->frame.rip, rip + 12);
	assert_int_equal(e->frame.next_rip, 0);

	e->frame.gpr[AFB_RBX] = DATA + 0x200;
	run_ok(e, "sidt 8(%rbx)");
	assert_int_equal(*(uint16_t *)at(e, DATA + 0x208), 256 * 16 - 1);
	assert_int_equal(peek64(e, DATA + 0x20a), IDT);

	poke64(e, op + 2, 0x0000900000000000ULL);	/* non-canonical */
	assert_int_equal(run_site(e, "lgdt 0x1000(%rip)", rip, 12),
			 AFB_VCPU_EXCEPTION);
	assert_int_equal(e->vcpu.exc.vector, AFB_EXC_GP);
	assert_int_equal(e->frame.rip, rip);
	assert_int_equal(e->frame.next_rip, rip + 12);
}

static void test_operand_page_fault(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RAX] = HOLE + 8;
	run_fault(e, "lidt (%rax)", AFB_EXC_PF, 0);
	assert_int_equal(e->vcpu.cr2, HOLE + 8);
	assert_int_equal(e->vcpu.idtr.base, IDT);	/* unchanged */
	e->frame.gpr[AFB_RAX] = HOLE - 4;		/* straddles the hole */
	run_fault(e, "sgdt (%rax)", AFB_EXC_PF, AFB_ACCESS_WRITE);
	assert_int_equal(e->vcpu.cr2, HOLE);
}

static void test_privileged_from_user(void **state)
{
	struct env *e = *state;

	to_user(e);
	e->frame.gpr[AFB_RAX] = DATA;
	run_fault(e, "lgdt (%rax)", AFB_EXC_GP, 0);
	run_fault(e, "cli", AFB_EXC_GP, 0);
	run_fault(e, "mov %rax, %cr3", AFB_EXC_GP, 0);
	run_fault(e, "wrmsr", AFB_EXC_GP, 0);
	run_fault(e, "hlt", AFB_EXC_GP, 0);
	run_fault(e, "outb %al, $0x80", AFB_EXC_GP, 0);
	run_fault(e, "swapgs", AFB_EXC_GP, 0);
	run_fault(e, "clac", AFB_EXC_UD, 0);
	e->frame.gpr[AFB_RBX] = USTACK - 0x200;
	run_ok(e, "sgdt (%rbx)");		/* allowed without UMIP */
	e->vcpu.cr4 |= AFB_CR4_UMIP;
	run_fault(e, "sgdt (%rbx)", AFB_EXC_GP, 0);
	e->frame.gpr[AFB_RBX] = DATA;		/* supervisor page */
	e->vcpu.cr4 &= ~(uint64_t)AFB_CR4_UMIP;
	run_fault(e, "sgdt (%rbx)", AFB_EXC_PF,
		  AFB_PF_PRESENT | AFB_ACCESS_WRITE | AFB_ACCESS_USER);
}

/* ---- Tests: flags ------------------------------------------------------- */

static void test_cli_sti_pushf(void **state)
{
	struct env *e = *state;

	e->frame.rflags |= AFB_RFLAGS_CF;
	run_ok(e, "sti");
	assert_true(e->vcpu.rflags & AFB_RFLAGS_IF);
	assert_int_equal(e->frame.rip, SITE + 1);
	run_ok(e, "pushfq");
	assert_int_equal(e->frame.gpr[AFB_RSP], KRSP - 8);
	assert_int_equal(peek64(e, KRSP - 8), 0x203);
	run_ok(e, "cli");
	assert_false(e->vcpu.rflags & AFB_RFLAGS_IF);
	assert_int_equal(e->frame.rflags & 0x200, 0x200);	/* real IF kept */
	run_ok(e, "pushfq");
	assert_int_equal(peek64(e, KRSP - 16), 0x003);
	run_ok(e, "pushfw");
	assert_int_equal(e->frame.gpr[AFB_RSP], KRSP - 18);
	assert_int_equal(*(uint16_t *)at(e, KRSP - 18), 0x003);
}

static void test_popf(void **state)
{
	struct env *e = *state;

	poke64(e, KRSP - 8, 0x3000 | AFB_RFLAGS_IF | AFB_RFLAGS_ZF |
			    AFB_RFLAGS_AC | AFB_RFLAGS_RF);
	e->frame.gpr[AFB_RSP] = KRSP - 8;
	run_ok(e, "popfq");
	assert_int_equal(e->frame.gpr[AFB_RSP], KRSP);
	assert_int_equal(vflags(e), 0x3000 | AFB_RFLAGS_IF | AFB_RFLAGS_ZF |
				    AFB_RFLAGS_AC | 2);
	assert_int_equal(e->frame.rflags, 0x202 | AFB_RFLAGS_ZF);

	/* 16-bit popf: the low half only */
	poke16(e, KRSP - 2, AFB_RFLAGS_CF);
	e->frame.gpr[AFB_RSP] = KRSP - 2;
	run_ok(e, "popfw");
	assert_int_equal(vflags(e), AFB_RFLAGS_CF | AFB_RFLAGS_AC | 2);
}

static void test_popf_user(void **state)
{
	struct env *e = *state;
	uint64_t rsp;

	to_user(e);
	rsp = e->frame.gpr[AFB_RSP] - 8;
	poke64(e, rsp, 0x3000 | AFB_RFLAGS_CF);	/* IF off, IOPL 3 */
	e->frame.gpr[AFB_RSP] = rsp;
	run_ok(e, "popfq");
	/* CPL3 > IOPL 0: neither IF nor IOPL changes */
	assert_int_equal(vflags(e), AFB_RFLAGS_IF | AFB_RFLAGS_CF | 2);
	run_fault(e, "cli", AFB_EXC_GP, 0);
	e->vcpu.rflags |= AFB_RFLAGS_IOPL;		/* IOPL 3 lets it */
	run_ok(e, "cli");
	assert_false(e->vcpu.rflags & AFB_RFLAGS_IF);
	e->frame.gpr[AFB_RDX] = 0x3f8;
	run_ok(e, "outb %al, (%dx)");
	assert_int_equal(e->host.nio, 1);
}

/* ---- Tests: pending interrupts ----------------------------------------- */

/* The interrupt frame for a kernel-mode interruption at @rip. */
static void check_irq_frame(struct env *e, unsigned int v, uint64_t rip,
			    uint64_t old_rsp, uint64_t flags)
{
	uint64_t rsp = (old_rsp & ~15ULL) - 40;
	uint64_t want[5] = { rip, KCODE_SEL, flags, old_rsp, KDATA_SEL };

	assert_int_equal(e->frame.rip, HANDLER(v));
	assert_int_equal(e->frame.gpr[AFB_RSP], rsp);
	check_hw_frame(e, rsp, want, 5);
	assert_false(e->vcpu.rflags & AFB_RFLAGS_IF);
}

static void test_irq_masked_then_popf(void **state)
{
	struct env *e = *state;

	afb_vcpu_raise_irq(&e->vcpu, 32);
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame), 0);
	run_ok(e, "pushfq");				/* IF is off */
	assert_int_equal(e->frame.rip, SITE + 1);
	poke64(e, KRSP - 8, 0x202);
	run_ok(e, "popfq");				/* enables: delivers */
	check_irq_frame(e, 32, SITE + 1, KRSP, 0x202);
	assert_false(afb_vcpu_irq_pending(&e->vcpu));
}

static void test_irq_priority_and_tpr(void **state)
{
	struct env *e = *state;

	e->vcpu.rflags |= AFB_RFLAGS_IF;
	afb_vcpu_raise_irq(&e->vcpu, 33);
	afb_vcpu_raise_irq(&e->vcpu, 47);
	e->vcpu.cr8 = 2;			/* masks classes 0-2: 32..47 */
	e->frame.rip = SITE;
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame), 0);
	e->frame.gpr[AFB_RAX] = 0;
	run_ok(e, "mov %rax, %cr8");		/* unmask: 47 goes first */
	assert_int_equal(e->frame.rip, HANDLER(47));
	assert_true(afb_vcpu_irq_pending(&e->vcpu));
}

/* sti; hlt: the shadow holds the interrupt until the hlt, which wakes. */
static void test_sti_shadow_hlt(void **state)
{
	struct env *e = *state;
	uint64_t rsp = e->frame.gpr[AFB_RSP];

	afb_vcpu_raise_irq(&e->vcpu, 32);
	run_ok(e, "sti");
	assert_int_equal(e->frame.rip, SITE + 1);	/* not delivered */
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame), 0);
	e->frame.next_rip = 0;
	assert_int_equal(afb_vcpu_emulate(&e->vcpu, &e->frame, decode("hlt")), 0);
	check_irq_frame(e, 32, SITE + 2, rsp, 0x202);
	assert_false(e->vcpu.halted);
	assert_int_equal(e->host.idle_calls, 0);
}

/* Once the guest is past the instruction after sti, delivery may go. */
static void test_sti_shadow_expires(void **state)
{
	struct env *e = *state;

	afb_vcpu_raise_irq(&e->vcpu, 32);
	run_ok(e, "sti");
	e->frame.rip = SITE + 4;		/* one instruction later */
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame), 1);
	check_irq_frame(e, 32, SITE + 4, KRSP, 0x202);
}

/* "sti; 1: jmp 1b": the shadow holds off one attempt only. */
static void test_sti_shadow_no_starvation(void **state)
{
	struct env *e = *state;

	afb_vcpu_raise_irq(&e->vcpu, 32);
	run_ok(e, "sti");
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame), 0);
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame), 1);
	check_irq_frame(e, 32, SITE + 1, KRSP, 0x202);
}

/* sti; cli: no interrupt window at all. */
static void test_sti_cli(void **state)
{
	struct env *e = *state;

	afb_vcpu_raise_irq(&e->vcpu, 32);
	run_ok(e, "sti");
	e->frame.next_rip = 0;
	assert_int_equal(afb_vcpu_emulate(&e->vcpu, &e->frame, decode("cli")), 0);
	assert_int_equal(e->frame.rip, SITE + 2);
	assert_true(afb_vcpu_irq_pending(&e->vcpu));
}

static void test_hlt(void **state)
{
	struct env *e = *state;

	e->vcpu.rflags |= AFB_RFLAGS_IF;
	run_ok(e, "hlt");			/* idle raises nothing */
	assert_true(e->vcpu.halted);
	assert_int_equal(e->host.idle_calls, 1);
	assert_int_equal(e->frame.rip, SITE + 1);
	afb_vcpu_raise_irq(&e->vcpu, 40);	/* later, an irq arrives */
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame), 1);
	assert_false(e->vcpu.halted);
	check_irq_frame(e, 40, SITE + 1, KRSP, 0x202);

	e->vcpu.rflags |= AFB_RFLAGS_IF;
	e->host.idle_raise = 32;		/* the timer fires while idle */
	run_ok(e, "hlt");
	assert_int_equal(e->frame.rip, HANDLER(32));
	assert_false(e->vcpu.halted);

	e->vcpu.rflags &= ~(uint64_t)AFB_RFLAGS_IF;	/* cli; hlt */
	assert_int_equal(run(e, "hlt"), AFB_VCPU_SHUTDOWN);
	assert_int_equal(e->host.shutdown_reason, AFB_SHUTDOWN_HALT);
}

/* ---- Tests: exceptions -------------------------------------------------- */

static void test_exception_kernel(void **state)
{
	struct env *e = *state;
	uint64_t want[6] = { 0x18, SITE, KCODE_SEL, 0x202, KRSP - 8, KDATA_SEL };
	uint64_t rsp = KRSP - 16 - 48;

	e->frame.gpr[AFB_RSP] = KRSP - 8;		/* not 16-aligned */
	e->frame.rip = SITE;
	e->vcpu.rflags |= AFB_RFLAGS_IF;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_GP,
					    0x18), 0);
	assert_int_equal(e->frame.rip, HANDLER(13));
	assert_int_equal(e->frame.gpr[AFB_RSP], rsp);
	check_hw_frame(e, rsp, want, 6);
	assert_false(e->vcpu.rflags & AFB_RFLAGS_IF);
	assert_int_equal(e->vcpu.cpl, 0);

	/* no error code for #UD */
	e->frame.rip = SITE + 0x40;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_UD,
					    0x99), 0);
	assert_int_equal(peek64(e, e->frame.gpr[AFB_RSP]), SITE + 0x40);
}

static void test_exception_user(void **state)
{
	struct env *e = *state;
	uint64_t want[6] = { AFB_ACCESS_USER, UCODE, UCODE_SEL,
			     0x202 | AFB_RFLAGS_CF, USTACK - 0x100, UDATA_SEL };

	to_user(e);
	e->frame.rflags |= AFB_RFLAGS_CF;
	e->vcpu.cr2 = 0x10;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_PF,
					    AFB_ACCESS_USER), 0);
	assert_int_equal(e->vcpu.cpl, 0);
	assert_int_equal(e->vcpu.seg[AFB_CS], KCODE_SEL);
	assert_int_equal(e->vcpu.seg[AFB_SS], 0);	/* null SS, RPL 0 */
	assert_int_equal(e->frame.rip, HANDLER(14));
	assert_int_equal(e->frame.gpr[AFB_RSP], RSP0 - 48);
	check_hw_frame(e, RSP0 - 48, want, 6);
}

/* A fault pushing the frame becomes #DF on its IST stack; a fault there
   shuts the virtual CPU down. */
static void test_double_and_triple_fault(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RSP] = HOLE + 0x800;
	e->frame.rip = SITE;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_GP, 0),
			 0);
	assert_int_equal(e->frame.rip, HANDLER(8));
	assert_int_equal(e->frame.gpr[AFB_RSP], IST1 - 48);
	assert_int_equal(peek64(e, IST1 - 48), 0);		/* error code */
	assert_int_equal(peek64(e, IST1 - 16), HOLE + 0x800);	/* old rsp */

	poke64(e, TSS + 0x24, HOLE + 0x800);	/* the IST is bad too */
	e->frame.gpr[AFB_RSP] = HOLE + 0x800;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_GP, 0),
			 AFB_VCPU_SHUTDOWN);
	assert_int_equal(e->host.shutdown_reason, AFB_SHUTDOWN_TRIPLE_FAULT);
}

/* A vector beyond the IDT limit: #GP with the IDT bit and the vector. */
static void test_bad_gate(void **state)
{
	struct env *e = *state;

	poke64(e, IDT + 5 * 16, 0);			/* not a gate */
	e->frame.rip = SITE;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, 5, 0), 0);
	assert_int_equal(e->frame.rip, HANDLER(13));
	assert_int_equal(peek64(e, e->frame.gpr[AFB_RSP]), 5 * 8 + 2);
}

static void test_int_n(void **state)
{
	struct env *e = *state;
	uint64_t want[5] = { UCODE + 2, UCODE_SEL, 0x202, USTACK - 0x100,
			     UDATA_SEL };

	to_user(e);
	e->frame.rip = UCODE;
	e->frame.next_rip = 0;
	assert_int_equal(afb_vcpu_emulate(&e->vcpu, &e->frame,
					  decode("int $0x80")), 0);
	assert_int_equal(e->frame.rip, HANDLER(0x80));
	check_hw_frame(e, RSP0 - 40, want, 5);
	assert_true(e->vcpu.rflags & AFB_RFLAGS_IF);	/* trap gate */

	to_user(e);
	assert_int_equal(afb_vcpu_emulate(&e->vcpu, &e->frame,
					  decode("int $0x81")),
			 AFB_VCPU_EXCEPTION);
	assert_int_equal(e->vcpu.exc.vector, AFB_EXC_GP);
	assert_int_equal(e->vcpu.exc.error_code, 0x81 * 8 + 2);
	assert_int_equal(e->frame.rip, UCODE);
	assert_int_equal(e->vcpu.cpl, 3);

	run_ok(e, "int1");	/* no DPL check: delivered from CPL3 */
	assert_int_equal(e->frame.rip, HANDLER(1));
}

/* ---- Tests: iret, syscall, sysret ---------------------------------------- */

static void push_iret_frame(struct env *e, uint64_t rsp, uint64_t rip,
			    uint64_t cs, uint64_t flags, uint64_t ursp,
			    uint64_t ss)
{
	poke64(e, rsp, rip);
	poke64(e, rsp + 8, cs);
	poke64(e, rsp + 16, flags);
	poke64(e, rsp + 24, ursp);
	poke64(e, rsp + 32, ss);
	e->frame.gpr[AFB_RSP] = rsp;
}

static void test_iret_to_user(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RAX] = KDATA_SEL;
	run_ok(e, "mov %eax, %ds");
	assert_int_equal(e->vcpu.seg[AFB_DS], KDATA_SEL);
	push_iret_frame(e, RSP0 - 40, UCODE, UCODE_SEL,
			0x202 | AFB_RFLAGS_CF, USTACK - 0x10, UDATA_SEL);
	run_ok(e, "iretq");
	assert_int_equal(e->frame.rip, UCODE);
	assert_int_equal(e->frame.gpr[AFB_RSP], USTACK - 0x10);
	assert_int_equal(e->vcpu.cpl, 3);
	assert_int_equal(e->vcpu.seg[AFB_CS], UCODE_SEL);
	assert_int_equal(e->vcpu.seg[AFB_SS], UDATA_SEL);
	assert_int_equal(e->vcpu.seg[AFB_DS], 0);	/* DPL0 data nulled */
	assert_true(e->vcpu.rflags & AFB_RFLAGS_IF);
	assert_true(e->frame.rflags & AFB_RFLAGS_CF);
	assert_int_equal(e->host.enter_user_calls, 1);
}

static void test_iret_to_user_bad_cs(void **state)
{
	struct env *e = *state;

	push_iret_frame(e, RSP0 - 40, UCODE, 0x28 | 3, 0x202, USTACK, 0x10 | 3);
	run_fault(e, "iretq", AFB_EXC_GP, 0x10);	/* SS DPL0 for CPL3 */
	push_iret_frame(e, RSP0 - 40, UCODE, KCODE_SEL | 3, 0x202, USTACK,
			UDATA_SEL);
	run_fault(e, "iretq", AFB_EXC_GP, KCODE_SEL);	/* DPL0 code */
	assert_int_equal(e->vcpu.cpl, 0);
	assert_int_equal(e->host.enter_user_calls, 0);
}

/* Back to user mode with an interrupt pending: it is taken at once, from
   user mode, and the host never sees the user context. */
static void test_iret_to_user_pending(void **state)
{
	struct env *e = *state;
	uint64_t want[5] = { UCODE, UCODE_SEL, 0x202, USTACK - 0x10, UDATA_SEL };

	afb_vcpu_raise_irq(&e->vcpu, 32);
	push_iret_frame(e, RSP0 - 40, UCODE, UCODE_SEL, 0x202, USTACK - 0x10,
			UDATA_SEL);
	run_ok(e, "iretq");
	assert_int_equal(e->frame.rip, HANDLER(32));
	assert_int_equal(e->vcpu.cpl, 0);
	check_hw_frame(e, RSP0 - 40, want, 5);
	assert_int_equal(e->host.enter_user_calls, 0);
}

/* An exception in the kernel and the handler's iretq back to it. */
static void test_exception_iret_kernel(void **state)
{
	struct env *e = *state;

	e->vcpu.rflags |= AFB_RFLAGS_IF;
	e->frame.rflags |= AFB_RFLAGS_ZF;
	e->frame.gpr[AFB_RSP] = KRSP - 0x20;
	e->frame.rip = SITE + 0x77;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_BP, 0),
			 0);
	e->frame.rflags &= ~(uint64_t)AFB_RFLAGS_ZF;	/* handler's flags */
	run_ok(e, "iretq");
	assert_int_equal(e->frame.rip, SITE + 0x77);
	assert_int_equal(e->frame.gpr[AFB_RSP], KRSP - 0x20);
	assert_true(e->frame.rflags & AFB_RFLAGS_ZF);
	assert_true(e->vcpu.rflags & AFB_RFLAGS_IF);
	assert_int_equal(e->vcpu.cpl, 0);
	assert_int_equal(e->vcpu.seg[AFB_CS], KCODE_SEL);
}

static void wrmsr(struct env *e, uint32_t msr, uint64_t val)
{
	e->frame.gpr[AFB_RCX] = msr;
	e->frame.gpr[AFB_RAX] = (uint32_t)val;
	e->frame.gpr[AFB_RDX] = val >> 32;
	run_ok(e, "wrmsr");
}

/* syscall_init() of the test kernel, then a round trip. */
static void test_syscall_sysret(void **state)
{
	struct env *e = *state;
	uint64_t lstar = 0x100000100800ULL;

	wrmsr(e, AFB_MSR_EFER, e->vcpu.efer | AFB_EFER_SCE);
	wrmsr(e, AFB_MSR_STAR, (0x1bULL << 48) | ((uint64_t)KCODE_SEL << 32));
	wrmsr(e, AFB_MSR_LSTAR, lstar);
	wrmsr(e, AFB_MSR_SFMASK, 0x40700);	/* IF DF TF AC */
	to_user(e);
	e->frame.rflags |= AFB_RFLAGS_CF | AFB_RFLAGS_DF;
	e->frame.rip = UCODE;
	e->frame.next_rip = UCODE + 2;
	assert_int_equal(afb_vcpu_syscall(&e->vcpu, &e->frame), 0);
	assert_int_equal(e->frame.rip, lstar);
	assert_int_equal(e->frame.gpr[AFB_RCX], UCODE + 2);
	assert_int_equal(e->frame.gpr[AFB_R11], 0x603);	/* IF DF CF */
	assert_false(e->vcpu.rflags & AFB_RFLAGS_IF);
	assert_false(e->frame.rflags & AFB_RFLAGS_DF);
	assert_int_equal(e->vcpu.cpl, 0);
	assert_int_equal(e->vcpu.seg[AFB_CS], KCODE_SEL);
	assert_int_equal(e->vcpu.seg[AFB_SS], KDATA_SEL);
	assert_int_equal(e->frame.gpr[AFB_RSP], USTACK - 0x100);

	run_ok(e, "sysretq");
	assert_int_equal(e->frame.rip, UCODE + 2);
	assert_int_equal(e->vcpu.cpl, 3);
	assert_int_equal(e->vcpu.seg[AFB_CS], UCODE_SEL);
	assert_int_equal(e->vcpu.seg[AFB_SS], UDATA_SEL);
	assert_true(e->vcpu.rflags & AFB_RFLAGS_IF);
	assert_true(e->frame.rflags & AFB_RFLAGS_DF);
	assert_int_equal(e->host.enter_user_calls, 1);

	e->frame.gpr[AFB_RCX] = 0x0000800000000000ULL;
	e->vcpu.cpl = 0;
	run_fault(e, "sysretq", AFB_EXC_GP, 0);		/* non-canonical */
}

static void test_syscall_disabled(void **state)
{
	struct env *e = *state;

	to_user(e);
	assert_int_equal(afb_vcpu_syscall(&e->vcpu, &e->frame), 0);
	assert_int_equal(e->frame.rip, HANDLER(AFB_EXC_UD));
	assert_int_equal(peek64(e, RSP0 - 40), UCODE);	/* a fault */
	run_fault(e, "sysretq", AFB_EXC_UD, 0);
}

/* ---- Tests: control registers ------------------------------------------- */

static void test_mov_cr(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RAX] = 0x5000;
	run_ok(e, "mov %rax, %cr3");
	assert_int_equal(e->vcpu.cr3, 0x5000);
	assert_int_equal(e->host.ncr3, 1);
	assert_int_equal(e->host.cr3[0], 0x5000);
	run_ok(e, "mov %cr3, %r12");
	assert_int_equal(e->frame.gpr[AFB_R12], 0x5000);
	e->host.cr3_ret = -ENOMEM;		/* the host cannot map it */
	e->frame.gpr[AFB_RAX] = 0x6000;
	assert_int_equal(run(e, "mov %rax, %cr3"), -ENOMEM);
	assert_int_equal(e->vcpu.cr3, 0x5000);
	assert_int_equal(e->frame.rip, SITE);

	e->frame.gpr[AFB_RBX] = e->vcpu.cr4 | 0x80;	/* PGE on: flush */
	run_ok(e, "mov %rbx, %cr4");
	assert_int_equal(e->host.flush_alls, 1);
	e->frame.gpr[AFB_RBX] = 0;			/* PAE off in long mode */
	run_fault(e, "mov %rbx, %cr4", AFB_EXC_GP, 0);
	e->frame.gpr[AFB_RBX] = AFB_CR0_PE;		/* paging off */
	run_fault(e, "mov %rbx, %cr0", AFB_EXC_GP, 0);
	e->frame.gpr[AFB_RBX] = e->vcpu.cr0 | AFB_CR0_WP | AFB_CR0_TS;
	run_ok(e, "mov %rbx, %cr0");
	run_ok(e, "clts");
	assert_int_equal(e->vcpu.cr0, AFB_CR0_PE | AFB_CR0_ET | AFB_CR0_PG |
				      AFB_CR0_WP);
	e->frame.gpr[AFB_RDX] = 0xffffffff00000000ULL;
	run_ok(e, "smsw %edx");				/* zero-extends */
	assert_int_equal(e->frame.gpr[AFB_RDX], e->vcpu.cr0 & 0xffffffff);
	e->frame.gpr[AFB_RDX] = 0xffffffff00000000ULL;
	run_ok(e, "smsw %dx");				/* keeps the rest */
	assert_int_equal(e->frame.gpr[AFB_RDX], 0xffffffff00000011ULL);
	e->frame.gpr[AFB_RAX] = 0x2200;
	run_ok(e, "invlpg (%rax)");
	assert_int_equal(e->host.last_flush, 0x2200);
	e->frame.gpr[AFB_RSI] = 0x1234;
	run_ok(e, "mov %rsi, %db7");
	run_ok(e, "mov %db7, %rdi");
	assert_int_equal(e->frame.gpr[AFB_RDI], 0x1634);
}

/* ---- Tests: MSRs ------------------------------------------------------- */

static void test_msr(void **state)
{
	struct env *e = *state;

	wrmsr(e, AFB_MSR_GS_BASE, 0x100000300000ULL);
	assert_int_equal(e->vcpu.gs_base, 0x100000300000ULL);
	assert_int_equal(e->host.seg_base[AFB_GS], 0x100000300000ULL);
	e->frame.gpr[AFB_RCX] = AFB_MSR_GS_BASE;
	e->frame.gpr[AFB_RAX] = e->frame.gpr[AFB_RDX] = ~0ULL;
	run_ok(e, "rdmsr");
	assert_int_equal(e->frame.gpr[AFB_RAX], 0x00300000);	/* zero-extended */
	assert_int_equal(e->frame.gpr[AFB_RDX], 0x1000);

	wrmsr(e, 0x1b, 0xfee00900);				/* forwarded */
	assert_int_equal(e->host.msr_1b, 0xfee00900);
	e->frame.gpr[AFB_RCX] = 0x1b;
	run_ok(e, "rdmsr");
	assert_int_equal(e->frame.gpr[AFB_RAX], 0xfee00900);

	e->frame.gpr[AFB_RCX] = 0x12345;			/* host refuses */
	run_fault(e, "rdmsr", AFB_EXC_GP, 0);
	run_fault(e, "wrmsr", AFB_EXC_GP, 0);
	e->frame.gpr[AFB_RCX] = AFB_MSR_LSTAR;			/* non-canonical */
	e->frame.gpr[AFB_RDX] = 0x8000;
	run_fault(e, "wrmsr", AFB_EXC_GP, 0);
	e->frame.gpr[AFB_RCX] = AFB_MSR_EFER;			/* reserved bit */
	e->frame.gpr[AFB_RDX] = 0;
	e->frame.gpr[AFB_RAX] = AFB_EFER_LME | 0x2;
	run_fault(e, "wrmsr", AFB_EXC_GP, 0);
}

/* ---- Tests: segments, swapgs, cpuid, time ----------------------------- */

static void test_segments(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RAX] = UDATA_SEL;
	run_ok(e, "mov %ax, %es");		/* DPL3 data at CPL0 */
	run_fault(e, "mov %ax, %ss", AFB_EXC_GP, 0x20);	/* SS needs DPL0 */
	e->frame.gpr[AFB_RAX] = TSS_SEL;
	run_fault(e, "mov %ax, %ds", AFB_EXC_GP, TSS_SEL);	/* system */
	e->frame.gpr[AFB_RAX] = KCODE_SEL;
	run_ok(e, "mov %ax, %ds");		/* readable code will do */
	e->frame.gpr[AFB_RAX] = 0x40;
	run_fault(e, "mov %ax, %ds", AFB_EXC_GP, 0x40);	/* beyond limit */
	e->frame.gpr[AFB_RBX] = ~0ULL;
	run_ok(e, "mov %es, %ebx");
	assert_int_equal(e->frame.gpr[AFB_RBX], UDATA_SEL);

	e->frame.gpr[AFB_RAX] = KDATA_SEL;
	run_ok(e, "mov %ax, %ss");		/* opens an interrupt shadow */
	assert_true(e->vcpu.shadow);
	run_ok(e, "push %fs");
	assert_int_equal(peek64(e, KRSP - 8), 0);
	poke64(e, KRSP - 8, KDATA_SEL);
	run_ok(e, "pop %gs");
	assert_int_equal(e->vcpu.seg[AFB_GS], KDATA_SEL);
	assert_int_equal(e->frame.gpr[AFB_RSP], KRSP);

	e->frame.gpr[AFB_RCX] = UCODE_SEL;
	run_ok(e, "lar %cx, %edx");
	assert_true(e->frame.rflags & AFB_RFLAGS_ZF);
	assert_int_equal(e->frame.gpr[AFB_RDX], 0x00a0fa00);
	run_ok(e, "lsl %cx, %edx");
	assert_int_equal(e->frame.gpr[AFB_RDX], 0xffffffff);
	e->frame.gpr[AFB_RCX] = 0x48;
	run_ok(e, "lar %cx, %edx");
	assert_false(e->frame.rflags & AFB_RFLAGS_ZF);
	e->frame.gpr[AFB_RCX] = UDATA_SEL;
	run_ok(e, "verw %cx");
	assert_true(e->frame.rflags & AFB_RFLAGS_ZF);
	e->frame.gpr[AFB_RCX] = KCODE_SEL;
	run_ok(e, "verr %cx");				/* readable code */
	assert_true(e->frame.rflags & AFB_RFLAGS_ZF);
	run_ok(e, "verw %cx");
	assert_false(e->frame.rflags & AFB_RFLAGS_ZF);
	e->frame.gpr[AFB_RCX] = TSS_SEL;
	run_ok(e, "verr %cx");
	assert_false(e->frame.rflags & AFB_RFLAGS_ZF);
}

/* cpu.c's load_segments(): push $sel; push label; lretq. */
static void test_lretq_reloads_cs(void **state)
{
	struct env *e = *state;

	e->vcpu.seg[AFB_CS] = 0x18 & ~3;	/* some boot selector */
	e->frame.gpr[AFB_RSP] = KRSP - 16;
	poke64(e, KRSP - 16, SITE + 0x40);
	poke64(e, KRSP - 8, KCODE_SEL);
	run_ok(e, "lretq");
	assert_int_equal(e->frame.rip, SITE + 0x40);
	assert_int_equal(e->vcpu.seg[AFB_CS], KCODE_SEL);
	assert_int_equal(e->frame.gpr[AFB_RSP], KRSP);

	e->frame.gpr[AFB_RSP] = KRSP - 16;
	poke64(e, KRSP - 8, KDATA_SEL);		/* not code */
	run_fault(e, "lretq", AFB_EXC_GP, KDATA_SEL);

	poke64(e, DATA, SITE + 0x80);		/* ljmp *(%rax): m16:64 */
	poke16(e, DATA + 8, KCODE_SEL);
	e->frame.gpr[AFB_RAX] = DATA;
	run_ok(e, "rex64 ljmp *(%rax)");
	assert_int_equal(e->frame.rip, SITE + 0x80);
}

static void test_swapgs_fsgsbase(void **state)
{
	struct env *e = *state;
	unsigned int calls;

	e->vcpu.gs_base = 0x1111;
	e->vcpu.kernel_gs_base = 0x100000300000ULL;
	run_ok(e, "swapgs");
	assert_int_equal(e->vcpu.gs_base, 0x100000300000ULL);
	assert_int_equal(e->vcpu.kernel_gs_base, 0x1111);
	assert_int_equal(e->host.seg_base[AFB_GS], 0x100000300000ULL);
	assert_true(e->vcpu.gs_swapped);
	run_ok(e, "swapgs");
	assert_false(e->vcpu.gs_swapped);
	assert_int_equal(e->host.seg_base[AFB_GS], 0x1111);
	run_ok(e, "swapgs");

	/* a KERNEL_GS_BASE write is told too (the host may hold it) */
	calls = e->host.seg_base_calls;
	wrmsr(e, AFB_MSR_KERNEL_GS_BASE, 0x2222);
	assert_int_equal(e->host.seg_base_calls, calls + 1);
	assert_int_equal(e->vcpu.kernel_gs_base, 0x2222);

	run_fault(e, "rdfsbase %rax", AFB_EXC_UD, 0);
	e->vcpu.cr4 |= AFB_CR4_FSGSBASE;
	e->frame.gpr[AFB_RAX] = 0x7000;
	run_ok(e, "wrfsbase %rax");
	assert_int_equal(e->vcpu.fs_base, 0x7000);
	run_ok(e, "rdgsbase %r9");
	assert_int_equal(e->frame.gpr[AFB_R9], 0x100000300000ULL);

	/* an %fs: operand adds the FS base */
	poke16(e, DATA + 0x10, 0x7f);
	poke64(e, DATA + 0x12, GDT);
	e->frame.gpr[AFB_RAX] = DATA + 0x10 - 0x7000;
	run_ok(e, "lgdt %fs:(%rax)");
	assert_int_equal(e->vcpu.gdtr.limit, 0x7f);
}

static void test_cpuid_time(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RAX] = 0xffffffff80000001ULL;
	e->frame.gpr[AFB_RCX] = 7;
	e->frame.gpr[AFB_RBX] = ~0ULL;
	run_ok(e, "cpuid");
	assert_int_equal(e->frame.gpr[AFB_RAX], 0x80000002);
	assert_int_equal(e->frame.gpr[AFB_RBX], 0x68747541);
	assert_int_equal(e->frame.gpr[AFB_RCX], 7);
	assert_int_equal(e->frame.gpr[AFB_RDX], 0xffffffff);
	run_ok(e, "rdtsc");
	assert_int_equal(e->frame.gpr[AFB_RAX], 0x89abcdef);
	assert_int_equal(e->frame.gpr[AFB_RDX], 0x01234567);
	e->vcpu.tsc_aux = 3;
	run_ok(e, "rdtscp");
	assert_int_equal(e->frame.gpr[AFB_RCX], 3);
	e->vcpu.cr4 |= AFB_CR4_TSD;
	to_user(e);
	run_fault(e, "rdtsc", AFB_EXC_GP, 0);
	assert_int_equal(e->vcpu.count[AFB_KIND_RDTSC], 1);
}

/* ---- Tests: port I/O ----------------------------------------------------- */

static void test_in_out(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RAX] = 0x1122334455667788ULL;
	run_ok(e, "outb %al, $0x80");
	e->frame.gpr[AFB_RDX] = 0x3f8;
	run_ok(e, "outl %eax, (%dx)");
	e->host.in_val = 0xa0b0c0d0;
	run_ok(e, "inb $0x71, %al");
	assert_int_equal(e->frame.gpr[AFB_RAX], 0x11223344556677d0ULL);
	run_ok(e, "inw (%dx), %ax");
	assert_int_equal(e->frame.gpr[AFB_RAX], 0x112233445566c0d1ULL);
	run_ok(e, "inl (%dx), %eax");
	assert_int_equal(e->frame.gpr[AFB_RAX], 0xa0b0c0d2ULL);
	assert_int_equal(e->host.nio, 5);
	assert_int_equal(e->host.io[0].port, 0x80);
	assert_int_equal(e->host.io[0].val, 0x88);
	assert_int_equal(e->host.io[1].port, 0x3f8);
	assert_int_equal(e->host.io[1].size, 4);
	assert_int_equal(e->host.io[1].val, 0x55667788);
	assert_int_equal(e->host.io[2].port, 0x71);
}

static void test_rep_outsb_insw(void **state)
{
	struct env *e = *state;
	unsigned int i;

	memcpy(at(e, DATA), "hello", 5);
	e->frame.gpr[AFB_RSI] = DATA;
	e->frame.gpr[AFB_RCX] = 5;
	e->frame.gpr[AFB_RDX] = 0x3f8;
	run_ok(e, "rep outsb");
	assert_int_equal(e->host.nio, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(e->host.io[i].val, (uint8_t)"hello"[i]);
	assert_int_equal(e->frame.gpr[AFB_RSI], DATA + 5);
	assert_int_equal(e->frame.gpr[AFB_RCX], 0);

	e->host.in_val = 0x100;
	e->frame.gpr[AFB_RDI] = DATA + 0x40;
	e->frame.gpr[AFB_RCX] = 3;
	e->frame.rflags |= AFB_RFLAGS_DF;		/* backwards */
	run_ok(e, "rep insw");
	assert_int_equal(*(uint16_t *)at(e, DATA + 0x3c), 0x102);
	assert_int_equal(e->frame.gpr[AFB_RDI], DATA + 0x3a);

	/* a fault part way: the registers say where to restart */
	e->frame.rflags &= ~(uint64_t)AFB_RFLAGS_DF;
	e->frame.gpr[AFB_RSI] = HOLE - 2;
	e->frame.gpr[AFB_RCX] = 4;
	run_fault(e, "rep outsb", AFB_EXC_PF, 0);
	assert_int_equal(e->frame.gpr[AFB_RCX], 2);
	assert_int_equal(e->frame.gpr[AFB_RSI], HOLE);
}

/* ---- Tests: the API's edges ---------------------------------------------- */

static void test_unsupported(void **state)
{
	struct env *e = *state;
	struct afb_insn insn = *decode("cli");

	insn.mode = 32;
	e->frame.rip = SITE;
	assert_int_equal(afb_vcpu_emulate(&e->vcpu, &e->frame, &insn),
			 -EOPNOTSUPP);
	insn.mode = 64;
	insn.kind = AFB_KIND_NONE;
	assert_int_equal(afb_vcpu_emulate(&e->vcpu, &e->frame, &insn), -EINVAL);
	assert_int_equal(e->frame.rip, SITE);
	e->frame.gpr[AFB_RAX] = DATA;
	run_fault(e, "xsaves (%rax)", AFB_EXC_UD, 0);
	run_fault(e, "xgetbv", AFB_EXC_UD, 0);		/* no CR4.OSXSAVE */
}

/*
 * Every 64-bit site of the afterburnt test kernel (when make check built
 * it) goes through the core: each completes, faults or stops, never an
 * error, so the decoder and the core agree on every form the guest uses.
 */
static void test_kernel_sites(void **state)
{
	struct env *e = *state;
	const char *path = getenv("KERNEL_AFTERBURNT");
	const struct afb_site *sites;
	struct afb_image *img;
	struct afb_error err;
	struct afb_insn insn;
	size_t n, i, tried = 0;
	int ret;

	if (!path || afb_image_open(path, &img, &err)) {
		skip();
		return;
	}
	n = afb_image_sites(img, &sites);
	for (i = 0; i < n; i++) {
		const uint8_t *b = afb_image_site_bytes(img, &sites[i]);

		if (sites[i].mode != 64 || !b)
			continue;
		assert_int_equal(afb_decode(b, sites[i].len, 64, &insn),
				 sites[i].insn_len);
		e->frame.rip = sites[i].addr;
		e->frame.next_rip = sites[i].addr + sites[i].len;
		e->frame.gpr[AFB_RSP] = KRSP;
		e->vcpu.cpl = 0;
		ret = afb_vcpu_emulate(&e->vcpu, &e->frame, &insn);
		if (ret < 0)
			fail_msg("site %#llx (%s): %d",
				 (unsigned long long)sites[i].addr,
				 afb_kind_name(insn.kind), ret);
		tried++;
	}
	assert_true(tried > 50);
	afb_image_close(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_tables_loaded),
		T(test_lgdt_rip_relative),
		T(test_operand_page_fault),
		T(test_privileged_from_user),
		T(test_cli_sti_pushf),
		T(test_popf),
		T(test_popf_user),
		T(test_irq_masked_then_popf),
		T(test_irq_priority_and_tpr),
		T(test_sti_shadow_hlt),
		T(test_sti_shadow_expires),
		T(test_sti_shadow_no_starvation),
		T(test_sti_cli),
		T(test_hlt),
		T(test_exception_kernel),
		T(test_exception_user),
		T(test_double_and_triple_fault),
		T(test_bad_gate),
		T(test_int_n),
		T(test_iret_to_user),
		T(test_iret_to_user_bad_cs),
		T(test_iret_to_user_pending),
		T(test_exception_iret_kernel),
		T(test_syscall_sysret),
		T(test_syscall_disabled),
		T(test_mov_cr),
		T(test_msr),
		T(test_segments),
		T(test_lretq_reloads_cs),
		T(test_swapgs_fsgsbase),
		T(test_cpuid_time),
		T(test_in_out),
		T(test_rep_outsb_insw),
		T(test_unsupported),
		T(test_kernel_sites),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
