// SPDX-License-Identifier: MIT
/*
 * The virtual-CPU core (wedge/core/) with a 32-bit protected-mode guest,
 * as i386 Linux runs under afterburn-ptrace: each instruction assembled
 * by GNU as (--32), decoded with afb_decode() in 32-bit mode and
 * emulated with afb_vcpu_emulate() against a fake host, as in
 * test_vcpu.c.  The guest's GDT (flat kernel and user segments, a per-CPU
 * FS segment, a TLS GS segment, a 32-bit TSS, an LDT and a few bad
 * descriptors), its 8-byte-gate IDT and its TSS are laid out in the fake
 * memory as i386 Linux lays out its own, and loaded with lgdt/lidt/ltr.
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
#define LDT		(MEM_BASE + 0x4000)
#define KSP		(MEM_BASE + 0x6000)	/* kernel stack in use */
#define ESP0		(MEM_BASE + 0x8000)	/* tss.sp0 */
#define DATA		(MEM_BASE + 0xc000)	/* operands */
#define PERCPU		(MEM_BASE + 0x10000)	/* the FS segment's base */
#define USTACK		(MEM_BASE + 0x22000)	/* user stack top (user pages) */
#define HOLE		(MEM_BASE + 0x30000)	/* a page that is not present */

#define SITE		0xc1200000ULL	/* where the emulated insns are */
#define UCODE		0x08049000ULL	/* user eip */
#define HANDLER(v)	(0xc1000000ULL + (v) * 0x10ULL)

#define KCODE_SEL	0x08
#define KDATA_SEL	0x10
#define UCODE_SEL	0x1b
#define UDATA_SEL	0x23
#define TSS_SEL		0x28
#define LDT_SEL		0x30
#define PERCPU_SEL	0x38
#define CODE16_SEL	0x40
#define NP_SEL		0x48	/* data, not present */
#define KCODE_LIM_SEL	0x50	/* code, base 0x1000, limit 0xfffff */
#define RODATA_SEL	0x58
#define KDATA_OFF_SEL	0x60	/* data, base 0x1000 */
#define TLS_SEL		0x6b	/* user data, base 0xb7000000 */
#define XONLY_SEL	0x70	/* execute-only code */
#define STACK16_SEL	0x78	/* 16-bit stack, base ESP16_BASE */
#define TSS16_SEL	0x80	/* a 16-bit TSS */
#define GATE_SEL	0x88	/* a call gate */

#define ESP16_BASE	(MEM_BASE + 0x14000)

/* ---- The fake host ---------------------------------------------------- */

struct seg_rec {
	unsigned int calls;
	uint16_t sel;
	struct afb_seg_hidden h;
};

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
	uint64_t cr3[8];
	unsigned int ncr3;
	unsigned int flushes, flush_alls, flush_globals;
	uint64_t last_flush;
	struct seg_rec seg[AFB_NR_SREGS];
	unsigned int seg_base_calls;
	unsigned int idle_calls;
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

	assert_true(gva + len <= 0x100000000ULL);	/* 32-bit linear */
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

static void fake_cpuid(struct afb_vcpu *vcpu, uint32_t leaf, uint32_t sub,
		       uint32_t out[4])
{
	(void)vcpu;
	out[0] = leaf + 1;
	out[1] = 0x756e6547;
	out[2] = sub;
	out[3] = 0x12345678;
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
	assert_true(vcpu->cr0 & AFB_CR0_PG);	/* only with paging on */
	if (h->ncr3 < 8)
		h->cr3[h->ncr3++] = cr3;
	return 0;
}

static void fake_flush(struct afb_vcpu *vcpu, uint64_t gva, bool all,
		       bool global)
{
	struct fake *h = vcpu->host;

	h->flushes++;
	h->flush_alls += all;
	h->flush_globals += global;
	h->last_flush = gva;
}

static void fake_seg_base(struct afb_vcpu *vcpu, enum afb_sreg sreg,
			  uint64_t base)
{
	struct fake *h = vcpu->host;

	(void)sreg, (void)base;
	h->seg_base_calls++;		/* long mode only: must not happen */
}

static int fake_load_seg(struct afb_vcpu *vcpu, enum afb_sreg sreg,
			 uint16_t sel, const struct afb_seg_hidden *hid)
{
	struct fake *h = vcpu->host;

	assert_int_equal(vcpu->seg[sreg], sel);
	assert_memory_equal(&vcpu->hidden[sreg], hid, sizeof(*hid));
	h->seg[sreg].calls++;
	h->seg[sreg].sel = sel;
	h->seg[sreg].h = *hid;
	return 0;
}

static int fake_idle(struct afb_vcpu *vcpu)
{
	struct fake *h = vcpu->host;

	h->idle_calls++;
	afb_vcpu_raise_irq(vcpu, 0x20);
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

static uint32_t peek32(struct env *e, uint64_t gva)
{
	uint32_t v;

	memcpy(&v, at(e, gva), 4);
	return v;
}

static void poke32(struct env *e, uint64_t gva, uint32_t v)
{
	memcpy(at(e, gva), &v, 4);
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

/* ---- Instructions: assembled by GNU as --32, decoded in 32-bit mode -- */

struct cached_insn {
	char text[80];
	struct afb_insn insn;
};

static struct cached_insn cache[160];
static unsigned int ncache;

static const struct afb_insn *decode_as(const char *text, const char *flags,
					unsigned int mode)
{
	struct cached_insn *c;
	char src[128];
	uint8_t *code;
	size_t size;
	char *obj;
	unsigned int i;

	for (i = 0; i < ncache; i++)
		if (!strcmp(cache[i].text, text) && cache[i].insn.mode == mode)
			return &cache[i].insn;
	assert_true(ncache < ARRAY_SIZE(cache) && strlen(text) < 80);
	c = &cache[ncache++];
	strcpy(c->text, text);
	snprintf(src, sizeof(src), "\t.text\n\t%s\n", text);
	obj = util_assemble_text("vcpu32_insn", src, flags);
	code = util_section(obj, ".text", &size, NULL, NULL);
	if (afb_decode(code, size, mode, &c->insn) != (int)size)
		fail_msg("afb_decode(%s) does not take all %zu bytes", text, size);
	free(code);
	free(obj);
	return &c->insn;
}

static const struct afb_insn *decode(const char *text)
{
	return decode_as(text, "--32", 32);
}

/* Emulate @text at SITE as the trap path does (next_rip 0). */
static int run(struct env *e, const char *text)
{
	e->frame.rip = SITE;
	e->frame.next_rip = 0;
	return afb_vcpu_emulate(&e->vcpu, &e->frame, decode(text));
}

static void run_ok(struct env *e, const char *text)
{
	int ret = run(e, text);

	if (ret)
		fail_msg("%s: %d (exc %u err %#x)", text, ret,
			 e->vcpu.exc.vector, e->vcpu.exc.error_code);
}

/* Emulate @text and expect it to fault with @vector / @err. */
static void run_fault(struct env *e, const char *text, uint8_t vector,
		      uint32_t err)
{
	int ret = run(e, text);

	if (ret != AFB_VCPU_EXCEPTION)
		fail_msg("%s: %d, want exception %u", text, ret, vector);
	if (e->vcpu.exc.vector != vector || e->vcpu.exc.error_code != err)
		fail_msg("%s: exception %u (%#x), want %u (%#x)", text,
			 e->vcpu.exc.vector, e->vcpu.exc.error_code, vector, err);
	assert_int_equal(e->frame.rip, SITE);
}

/* ---- The guest's descriptor tables ------------------------------------- */

/* An 8-byte segment descriptor: @attr is bits 40-55 (type .. G). */
static uint64_t desc(uint32_t base, uint32_t limit, uint16_t attr)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)(attr & 0xf0ff) << 40) |
	       ((uint64_t)(limit >> 16 & 0xf) << 48) |
	       ((uint64_t)(base >> 24) << 56);
}

#define CODE32(dpl)	(0xc09a | (dpl) << 5)
#define DATA32(dpl)	(0xc092 | (dpl) << 5)

static void build_gdt(struct env *e)
{
	poke64(e, GDT + KCODE_SEL, desc(0, 0xfffff, CODE32(0)));
	poke64(e, GDT + KDATA_SEL, desc(0, 0xfffff, DATA32(0)));
	poke64(e, GDT + (UCODE_SEL & ~3), desc(0, 0xfffff, CODE32(3)));
	poke64(e, GDT + (UDATA_SEL & ~3), desc(0, 0xfffff, DATA32(3)));
	poke64(e, GDT + TSS_SEL, desc(TSS, 103, 0x0089));
	poke64(e, GDT + LDT_SEL, desc(LDT, 0x17, 0x0082));
	poke64(e, GDT + PERCPU_SEL, desc(PERCPU, 0xfff, 0x4092));
	poke64(e, GDT + CODE16_SEL, desc(0, 0xffff, 0x009a));
	poke64(e, GDT + NP_SEL, desc(0, 0xfffff, DATA32(0) & ~0x80));
	poke64(e, GDT + KCODE_LIM_SEL, desc(0x1000, 0xfffff, 0x409a));
	poke64(e, GDT + RODATA_SEL, desc(0, 0xfffff, 0xc090));
	poke64(e, GDT + KDATA_OFF_SEL, desc(0x1000, 0xfffff, DATA32(0)));
	poke64(e, GDT + (TLS_SEL & ~3), desc(0xb7000000, 0xfffff, DATA32(3)));
	poke64(e, GDT + XONLY_SEL, desc(0, 0xfffff, 0xc098));
	poke64(e, GDT + STACK16_SEL, desc(ESP16_BASE, 0xffff, 0x0092));
	poke64(e, GDT + TSS16_SEL, desc(TSS, 0x2b, 0x0081));
	poke64(e, GDT + GATE_SEL, (uint64_t)KCODE_SEL << 16 | 0x8cULL << 40);
	poke64(e, LDT + 8, desc(0, 0xfffff, DATA32(3)));	/* 0x0f */
	poke64(e, LDT + 16, desc(0x20000, 0xffff, 0x00fa));	/* 0x17 */
	poke32(e, TSS + 4, ESP0);			/* sp0 */
	poke32(e, TSS + 8, KDATA_SEL);			/* ss0 */
}

/* An 8-byte gate: @type 0x8e interrupt gate, 0x8f trap, |0x60 for DPL3,
   0x85 task gate, 0x86 16-bit interrupt gate. */
static void set_gate(struct env *e, unsigned int v, uint8_t type)
{
	uint32_t h = (uint32_t)HANDLER(v);

	poke64(e, IDT + v * 8, (h & 0xffff) | ((uint64_t)KCODE_SEL << 16) |
			       ((uint64_t)type << 40) |
			       ((uint64_t)(h >> 16) << 48));
}

static void build_idt(struct env *e)
{
	unsigned int v;

	for (v = 0; v < 64; v++)
		set_gate(e, v, 0x8e);
	set_gate(e, 0x80, 0xef);		/* DPL3 trap gate: int $0x80 */
	set_gate(e, 0x81, 0x8e);		/* DPL0: int from user is #GP */
	set_gate(e, 0x82, 0x86);		/* a 16-bit gate */
	set_gate(e, 0x83, 0x6e);		/* DPL3, not present */
	set_gate(e, 0x84, 0xe5);		/* a task gate */
}

/* lgdt, lidt, ltr as i386 Linux's early boot runs them. */
static void load_tables(struct env *e)
{
	poke16(e, DATA, 0x8f);
	poke32(e, DATA + 2, GDT);
	poke64(e, DATA + 6, 0xdeadbeefdeadbeefULL);	/* not part of it */
	poke16(e, DATA + 16, 256 * 8 - 1);
	poke32(e, DATA + 18, IDT);
	e->frame.gpr[AFB_RAX] = DATA;
	run_ok(e, "lgdt (%eax)");
	e->frame.gpr[AFB_RAX] = DATA + 16;
	run_ok(e, "lidt (%eax)");
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
	afb_vcpu_init32(&e->vcpu, &fake_ops, &e->host);
	e->frame.gpr[AFB_RSP] = KSP;
	e->frame.rflags = 0x202;	/* the host runs its guest with IF on */
	build_gdt(e);
	build_idt(e);
	load_tables(e);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	assert_int_equal(e->host.seg_base_calls, 0);	/* a long-mode op */
	free(e);
	return 0;
}

/* Load @sel into @sreg with "mov %ax, %sreg" at CPL0. */
static void load_seg(struct env *e, const char *text, uint16_t sel)
{
	e->frame.gpr[AFB_RAX] = sel;
	run_ok(e, text);
}

/* The vcpu in user mode at UCODE with the user stack, as after iret. */
static void to_user(struct env *e)
{
	load_seg(e, "mov %ax, %ds", UDATA_SEL);
	load_seg(e, "mov %ax, %es", UDATA_SEL);
	e->vcpu.cpl = 3;
	e->vcpu.seg[AFB_CS] = UCODE_SEL;
	e->vcpu.seg_dpl[AFB_CS] = 3;
	e->vcpu.seg[AFB_SS] = UDATA_SEL;
	e->vcpu.seg_dpl[AFB_SS] = 3;
	e->vcpu.rflags |= AFB_RFLAGS_IF;
	e->frame.gpr[AFB_RSP] = USTACK - 0x100;
	e->frame.rip = UCODE;
}

static uint64_t vflags(struct env *e)
{
	return afb_vcpu_rflags(&e->vcpu, &e->frame);
}

/* 32-bit slots at @esp: want[0] at the lowest address. */
static void check_slots(struct env *e, uint64_t esp, const uint32_t *want,
			unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (peek32(e, esp + 4 * i) != want[i])
			fail_msg("slot %u: %#x, want %#x", i,
				 peek32(e, esp + 4 * i), want[i]);
}

/* ---- Tests: reset and mode -------------------------------------------- */

static void test_init32(void **state)
{
	struct env *e = *state;
	struct afb_vcpu v;
	struct afb_insn insn;

	(void)e;
	afb_vcpu_init32(&v, &fake_ops, NULL);
	assert_int_equal(afb_vcpu_mode(&v), 32);
	assert_int_equal(v.cr0, AFB_CR0_PE | AFB_CR0_ET);
	assert_int_equal(v.cr4, 0);
	assert_int_equal(v.efer, 0);
	assert_int_equal(v.cpl, 0);
	assert_false(v.rflags & AFB_RFLAGS_IF);
	assert_int_equal(v.seg[AFB_CS], 0x08);
	assert_int_equal(v.seg[AFB_SS], 0x10);
	assert_int_equal(v.seg[AFB_DS], 0x10);
	assert_int_equal(v.seg[AFB_ES], 0x10);
	assert_int_equal(v.hidden[AFB_CS].base, 0);
	assert_int_equal(v.hidden[AFB_CS].limit, 0xffffffff);
	assert_int_equal(v.hidden[AFB_CS].attr & (AFB_SEG_DB | AFB_SEG_P | 0x8),
			 AFB_SEG_DB | AFB_SEG_P | 0x8);
	assert_int_equal(v.hidden[AFB_SS].attr & (AFB_SEG_DB | 0x8), AFB_SEG_DB);
	assert_int_equal(v.hidden[AFB_FS].attr, 0);
	assert_int_equal(v.tr.limit, 0x67);

	/* the mode comes from the state: 64-bit code is refused here ... */
	insn = *decode_as("cli", "--64", 64);
	assert_int_equal(afb_vcpu_emulate(&v, &e->frame, &insn), -EOPNOTSUPP);
	/* ... 32-bit code in long mode, and anything in real mode */
	afb_vcpu_init(&v, &fake_ops, NULL);
	assert_int_equal(afb_vcpu_mode(&v), 64);
	insn = *decode("cli");
	assert_int_equal(afb_vcpu_emulate(&v, &e->frame, &insn), -EOPNOTSUPP);
	afb_vcpu_init32(&v, &fake_ops, NULL);
	v.cr0 = AFB_CR0_ET;
	assert_int_equal(afb_vcpu_mode(&v), 0);
	assert_int_equal(afb_vcpu_emulate(&v, &e->frame, &insn), -EOPNOTSUPP);
}

/* ---- Tests: descriptor tables ------------------------------------------ */

static void test_tables32(void **state)
{
	struct env *e = *state;

	/* lgdt read 6 bytes: a 4-byte base, the bytes after it ignored */
	assert_int_equal(e->vcpu.gdtr.base, GDT);
	assert_int_equal(e->vcpu.gdtr.limit, 0x8f);
	assert_int_equal(e->vcpu.idtr.base, IDT);
	assert_int_equal(e->vcpu.idtr.limit, 0x7ff);
	/* ltr read an 8-byte 32-bit TSS descriptor and marked it busy */
	assert_int_equal(e->vcpu.tr.sel, TSS_SEL);
	assert_int_equal(e->vcpu.tr.base, TSS);
	assert_int_equal(e->vcpu.tr.limit, 103);
	assert_int_equal((peek32(e, GDT + TSS_SEL + 4) >> 8) & 0xf, 0xb);
	assert_int_equal(peek32(e, GDT + TSS_SEL + 8),	/* the next entry */
			 (uint32_t)desc(LDT, 0x17, 0x0082));
	run_fault(e, "ltr %ax", AFB_EXC_GP, TSS_SEL);		/* busy now */

	/* sgdt/sidt store 6 bytes */
	memset(at(e, DATA + 0x40), 0xaa, 16);
	e->frame.gpr[AFB_RBX] = DATA + 0x40;
	run_ok(e, "sgdt (%ebx)");
	assert_int_equal(*(uint16_t *)at(e, DATA + 0x40), 0x8f);
	assert_int_equal(peek32(e, DATA + 0x42), GDT);
	assert_int_equal(*(uint8_t *)at(e, DATA + 0x46), 0xaa);
	run_ok(e, "sidt 8(%ebx)");
	assert_int_equal(peek32(e, DATA + 0x4a), IDT);
	assert_int_equal(*(uint8_t *)at(e, DATA + 0x4e), 0xaa);

	/* lldt: an 8-byte LDT descriptor; sldt, str */
	e->frame.gpr[AFB_RAX] = LDT_SEL;
	run_ok(e, "lldt %ax");
	assert_int_equal(e->vcpu.ldtr.base, LDT);
	assert_int_equal(e->vcpu.ldtr.limit, 0x17);
	e->frame.gpr[AFB_RCX] = 0xffffffff;
	run_ok(e, "sldt %ecx");
	assert_int_equal(e->frame.gpr[AFB_RCX], LDT_SEL);
	run_ok(e, "str %ecx");
	assert_int_equal(e->frame.gpr[AFB_RCX], TSS_SEL);
	e->frame.gpr[AFB_RAX] = KDATA_SEL;			/* not an LDT */
	run_fault(e, "lldt %ax", AFB_EXC_GP, KDATA_SEL);
	e->frame.gpr[AFB_RAX] = 0x0c;				/* TI set */
	run_fault(e, "lldt %ax", AFB_EXC_GP, 0x0c);
	run_ok(e, "smsw %ecx");
	assert_int_equal(e->frame.gpr[AFB_RCX], AFB_CR0_PE | AFB_CR0_ET);

	/* a 16-bit lgdt loads a 24-bit base */
	poke32(e, DATA + 0x60, 0x12345678);
	e->frame.gpr[AFB_RAX] = DATA + 0x5e;
	poke16(e, DATA + 0x5e, 0x8f);
	run_ok(e, "lgdtw (%eax)");
	assert_int_equal(e->vcpu.gdtr.base, 0x345678);
}

/* ---- Tests: flags ------------------------------------------------------- */

static void test_flags32(void **state)
{
	struct env *e = *state;

	e->frame.rflags |= AFB_RFLAGS_CF;
	run_ok(e, "sti");
	run_ok(e, "pushfl");
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP - 4);
	assert_int_equal(peek32(e, KSP - 4), 0x203);
	run_ok(e, "cli");
	assert_false(e->vcpu.rflags & AFB_RFLAGS_IF);

	/* popfl at CPL0: IF, IOPL, AC, NT load; VM and RF never */
	poke32(e, KSP - 4, 0x3000 | AFB_RFLAGS_IF | AFB_RFLAGS_AC |
			   AFB_RFLAGS_NT | AFB_RFLAGS_VM | AFB_RFLAGS_RF |
			   AFB_RFLAGS_ZF);
	run_ok(e, "popfl");
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP);
	assert_int_equal(vflags(e), 0x3000 | AFB_RFLAGS_IF | AFB_RFLAGS_AC |
				    AFB_RFLAGS_NT | AFB_RFLAGS_ZF | 2);
	assert_int_equal(e->frame.rflags, 0x202 | AFB_RFLAGS_ZF);

	/* at CPL3 with IOPL 0: neither IF nor IOPL; cli is #GP */
	e->vcpu.rflags = AFB_RFLAGS_IF;
	to_user(e);
	e->frame.gpr[AFB_RSP] = USTACK - 0x104;
	poke32(e, USTACK - 0x104, 0x3000 | AFB_RFLAGS_CF);
	run_ok(e, "popfl");
	assert_int_equal(vflags(e), AFB_RFLAGS_IF | AFB_RFLAGS_CF | 2);
	assert_int_equal(e->frame.gpr[AFB_RSP], USTACK - 0x100);
	run_fault(e, "cli", AFB_EXC_GP, 0);
	run_fault(e, "sti", AFB_EXC_GP, 0);
}

/* A 16-bit stack segment (espfix): sp wraps in 64 KiB, the upper half of
   esp stays, and the SS base counts. */
static void test_stack16(void **state)
{
	struct env *e = *state;

	load_seg(e, "mov %ax, %ss", STACK16_SEL);
	assert_int_equal(e->host.seg[AFB_SS].calls, 1);	/* not flat */
	assert_int_equal(e->host.seg[AFB_SS].h.base, ESP16_BASE);
	assert_int_equal(e->host.seg[AFB_SS].h.attr & AFB_SEG_DB, 0);
	e->frame.gpr[AFB_RSP] = 0xabcd0002;
	e->frame.rflags = 0x202;
	run_ok(e, "pushfl");
	assert_int_equal(e->frame.gpr[AFB_RSP], 0xabcdfffe);
	assert_int_equal(peek32(e, ESP16_BASE + 0xfffe), 0x0002);
	run_ok(e, "popfl");
	assert_int_equal(e->frame.gpr[AFB_RSP], 0xabcd0002);
	/* an exception on it: the frame wraps the same way */
	e->frame.gpr[AFB_RSP] = 0xabcd0008;
	e->frame.rip = SITE;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_GP,
					    0x10), 0);
	assert_int_equal(e->frame.gpr[AFB_RSP], 0xabcdfff8);
	assert_int_equal(peek32(e, ESP16_BASE + 0xfff8), 0x10);
	assert_int_equal(peek32(e, ESP16_BASE + 0xfffc), SITE);
	assert_int_equal(peek32(e, ESP16_BASE + 0x0000), KCODE_SEL);
	assert_int_equal(peek32(e, ESP16_BASE + 0x0004), 0x2);
	load_seg(e, "mov %ax, %ss", KDATA_SEL);
	assert_int_equal(e->host.seg[AFB_SS].calls, 2);	/* flat again */
	assert_int_equal(e->host.seg[AFB_SS].h.attr & AFB_SEG_DB, AFB_SEG_DB);
}

/* ---- Tests: control registers and paging -------------------------------- */

static void test_cr32(void **state)
{
	struct env *e = *state;

	/* paging off: a CR3 load is only recorded */
	e->frame.gpr[AFB_RAX] = 0x5000;
	run_ok(e, "mov %eax, %cr3");
	assert_int_equal(e->vcpu.cr3, 0x5000);
	assert_int_equal(e->host.ncr3, 0);
	/* PSE with paging off: no root to activate, translations dropped */
	e->frame.gpr[AFB_RAX] = AFB_CR4_PSE;
	run_ok(e, "mov %eax, %cr4");
	assert_int_equal(e->host.flush_globals, 1);
	assert_int_equal(e->host.ncr3, 0);
	/* PG on: the host activates the root */
	e->frame.gpr[AFB_RAX] = AFB_CR0_PE | AFB_CR0_PG | AFB_CR0_WP;
	run_ok(e, "mov %eax, %cr0");
	assert_int_equal(e->vcpu.cr0, AFB_CR0_PE | AFB_CR0_PG | AFB_CR0_WP |
				      AFB_CR0_ET);
	assert_int_equal(e->host.ncr3, 1);
	assert_int_equal(e->host.cr3[0], 0x5000);
	run_ok(e, "mov %cr0, %ecx");
	assert_int_equal(e->frame.gpr[AFB_RCX], e->vcpu.cr0);
	/* a CR3 load with paging on is activated */
	e->frame.gpr[AFB_RAX] = 0x6000;
	run_ok(e, "mov %eax, %cr3");
	assert_int_equal(e->host.ncr3, 2);
	assert_int_equal(e->host.cr3[1], 0x6000);
	/* PAE on with paging on: flush, and the root again in its format */
	e->frame.gpr[AFB_RAX] = AFB_CR4_PSE | AFB_CR4_PAE;
	run_ok(e, "mov %eax, %cr4");
	assert_int_equal(e->host.flush_globals, 2);
	assert_int_equal(e->host.ncr3, 3);
	/* PGE: a flush only */
	e->frame.gpr[AFB_RAX] = AFB_CR4_PSE | AFB_CR4_PAE | AFB_CR4_PGE;
	run_ok(e, "mov %eax, %cr4");
	assert_int_equal(e->host.flush_globals, 3);
	assert_int_equal(e->host.ncr3, 3);
	/* PCIDE needs long mode */
	e->frame.gpr[AFB_RAX] |= AFB_CR4_PCIDE;
	run_fault(e, "mov %eax, %cr4", AFB_EXC_GP, 0);
	/* PG off: every translation goes */
	e->frame.gpr[AFB_RAX] = AFB_CR0_PE;
	run_ok(e, "mov %eax, %cr0");
	assert_int_equal(e->host.flush_globals, 4);
	assert_int_equal(e->host.ncr3, 3);
	/* CR2 */
	e->frame.gpr[AFB_RAX] = 0xc0001234;
	run_ok(e, "mov %eax, %cr2");
	assert_int_equal(e->vcpu.cr2, 0xc0001234);
	/* PG without PE, PE cleared, long mode entered */
	e->frame.gpr[AFB_RAX] = AFB_CR0_PG;
	run_fault(e, "mov %eax, %cr0", AFB_EXC_GP, 0);
	e->frame.gpr[AFB_RAX] = 0;
	assert_int_equal(run(e, "mov %eax, %cr0"), -EOPNOTSUPP);
	e->vcpu.efer = AFB_EFER_LME;
	e->frame.gpr[AFB_RAX] = AFB_CR0_PE | AFB_CR0_PG;
	assert_int_equal(run(e, "mov %eax, %cr0"), -EOPNOTSUPP);
	assert_false(e->vcpu.cr0 & AFB_CR0_PG);
	/* clts, invlpg through DS, wbinvd, invd */
	e->vcpu.cr0 |= AFB_CR0_TS;
	run_ok(e, "clts");
	assert_false(e->vcpu.cr0 & AFB_CR0_TS);
	e->frame.gpr[AFB_RAX] = 0xc0400000;
	run_ok(e, "invlpg 0x10(%eax)");
	assert_int_equal(e->host.last_flush, 0xc0400010);
	run_ok(e, "wbinvd");
	run_ok(e, "invd");
	/* debug registers: 32 bits */
	e->frame.gpr[AFB_RAX] = 0x1;
	run_ok(e, "mov %eax, %db7");
	run_ok(e, "mov %db7, %ebx");
	assert_int_equal(e->frame.gpr[AFB_RBX], 0x401);
}

/* ---- Tests: segment registers -------------------------------------------- */

static void test_mov_seg32(void **state)
{
	struct env *e = *state;

	/* flat to flat: the host is not bothered */
	load_seg(e, "mov %ax, %ds", KDATA_SEL);
	assert_int_equal(e->host.seg[AFB_DS].calls, 0);
	/* non-flat DS: told; its base counts for memory operands */
	load_seg(e, "mov %ax, %ds", KDATA_OFF_SEL);
	assert_int_equal(e->host.seg[AFB_DS].calls, 1);
	assert_int_equal(e->host.seg[AFB_DS].h.base, 0x1000);
	assert_int_equal(e->host.seg[AFB_DS].h.limit, 0xffffffff);
	e->frame.gpr[AFB_RBX] = DATA + 0x80 - 0x1000;
	run_ok(e, "sgdt (%ebx)");
	assert_int_equal(peek32(e, DATA + 0x82), GDT);
	/* an ebp base defaults to SS (flat), not DS */
	e->frame.gpr[AFB_RBP] = DATA + 0x90;
	run_ok(e, "sgdt (%ebp)");
	assert_int_equal(peek32(e, DATA + 0x92), GDT);
	load_seg(e, "mov %ax, %ds", KDATA_SEL);			/* flat again */
	assert_int_equal(e->host.seg[AFB_DS].calls, 2);

	/* FS: always told, with base and limit; %fs: operands use it */
	load_seg(e, "mov %ax, %fs", PERCPU_SEL);
	assert_int_equal(e->host.seg[AFB_FS].calls, 1);
	assert_int_equal(e->host.seg[AFB_FS].sel, PERCPU_SEL);
	assert_int_equal(e->host.seg[AFB_FS].h.base, PERCPU);
	assert_int_equal(e->host.seg[AFB_FS].h.limit, 0xfff);
	assert_int_equal(e->host.seg[AFB_FS].h.attr, 0x4092);	/* as read */
	run_ok(e, "sidt %fs:0x20");
	assert_int_equal(peek32(e, PERCPU + 0x22), IDT);
	load_seg(e, "mov %ax, %fs", PERCPU_SEL);		/* same again */
	assert_int_equal(e->host.seg[AFB_FS].calls, 2);
	run_ok(e, "mov %fs, %ecx");
	assert_int_equal(e->frame.gpr[AFB_RCX], PERCPU_SEL);
	/* GS: null is allowed, unusable */
	load_seg(e, "mov %ax, %gs", 0);
	assert_int_equal(e->host.seg[AFB_GS].calls, 1);
	assert_int_equal(e->host.seg[AFB_GS].h.attr, 0);
	/* an LDT selector */
	e->frame.gpr[AFB_RAX] = LDT_SEL;
	run_ok(e, "lldt %ax");
	load_seg(e, "mov %ax, %gs", 0x0f);
	assert_int_equal(e->vcpu.seg[AFB_GS], 0x0f);
	assert_int_equal(e->host.seg[AFB_GS].h.limit, 0xffffffff);

	/* the checks, with their error codes */
	e->frame.gpr[AFB_RAX] = 0;
	run_fault(e, "mov %ax, %ss", AFB_EXC_GP, 0);		/* null SS */
	e->frame.gpr[AFB_RAX] = KDATA_SEL | 3;			/* RPL > DPL */
	run_fault(e, "mov %ax, %ds", AFB_EXC_GP, KDATA_SEL);
	e->frame.gpr[AFB_RAX] = NP_SEL;
	run_fault(e, "mov %ax, %es", AFB_EXC_NP, NP_SEL);
	run_fault(e, "mov %ax, %ss", AFB_EXC_SS, NP_SEL);
	e->frame.gpr[AFB_RAX] = XONLY_SEL;			/* execute-only */
	run_fault(e, "mov %ax, %ds", AFB_EXC_GP, XONLY_SEL);
	e->frame.gpr[AFB_RAX] = KCODE_SEL;			/* readable code */
	run_ok(e, "mov %ax, %es");
	run_fault(e, "mov %ax, %ss", AFB_EXC_GP, KCODE_SEL);
	e->frame.gpr[AFB_RAX] = RODATA_SEL;			/* SS read-only */
	run_fault(e, "mov %ax, %ss", AFB_EXC_GP, RODATA_SEL);
	e->frame.gpr[AFB_RAX] = UDATA_SEL;			/* SS DPL3 */
	run_fault(e, "mov %ax, %ss", AFB_EXC_GP, UDATA_SEL & ~3);
	e->frame.gpr[AFB_RAX] = TSS_SEL;			/* system */
	run_fault(e, "mov %ax, %fs", AFB_EXC_GP, TSS_SEL);
	e->frame.gpr[AFB_RAX] = 0x90;				/* beyond */
	run_fault(e, "mov %ax, %fs", AFB_EXC_GP, 0x90);
	assert_int_equal(e->vcpu.seg[AFB_FS], PERCPU_SEL);	/* unchanged */
	/* at CPL3: a kernel segment is #GP */
	to_user(e);
	e->frame.gpr[AFB_RAX] = PERCPU_SEL;
	run_fault(e, "mov %ax, %fs", AFB_EXC_GP, PERCPU_SEL);
	load_seg(e, "mov %ax, %gs", TLS_SEL);
	assert_int_equal(e->host.seg[AFB_GS].h.base, 0xb7000000);
}

/*
 * afb_vcpu_load_seg: a selector user code loaded, found at a later
 * event; the mov's checks at the CPL, and nothing else: an interrupt
 * pending (IF set) stays pending for the event's own frame.
 */
static void test_load_seg32(void **state)
{
	struct env *e = *state;
	struct afb_frame before;

	to_user(e);
	before = e->frame;
	afb_vcpu_raise_irq(&e->vcpu, 0x20);
	assert_int_equal(afb_vcpu_load_seg(&e->vcpu, AFB_GS, TLS_SEL), 0);
	assert_int_equal(e->vcpu.seg[AFB_GS], TLS_SEL);
	assert_int_equal(e->host.seg[AFB_GS].h.base, 0xb7000000);
	assert_int_equal(e->vcpu.cpl, 3);
	assert_memory_equal(&e->frame, &before, sizeof(before));
	assert_true(afb_vcpu_irq_pending(&e->vcpu));
	assert_int_equal(e->vcpu.seg[AFB_CS], UCODE_SEL);
	/* the checks: a kernel segment at CPL3, a system descriptor */
	assert_int_equal(afb_vcpu_load_seg(&e->vcpu, AFB_FS, PERCPU_SEL),
			 AFB_VCPU_EXCEPTION);
	assert_int_equal(e->vcpu.exc.vector, AFB_EXC_GP);
	assert_int_equal(e->vcpu.exc.error_code, PERCPU_SEL);
	assert_int_equal(afb_vcpu_load_seg(&e->vcpu, AFB_DS, TSS_SEL),
			 AFB_VCPU_EXCEPTION);
	assert_int_equal(e->vcpu.seg[AFB_DS], UDATA_SEL);	/* unchanged */
	/* not CS, not beyond GS */
	assert_int_equal(afb_vcpu_load_seg(&e->vcpu, AFB_CS, UCODE_SEL),
			 -EINVAL);
	assert_int_equal(afb_vcpu_load_seg(&e->vcpu, AFB_NR_SREGS, 0),
			 -EINVAL);
	/* the interrupt is the next delivery's, from user mode */
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame), 1);
	assert_int_equal(e->frame.rip, HANDLER(0x20));
	assert_int_equal(peek32(e, ESP0 - 20), UCODE);
}

static void test_push_pop_seg32(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RSP] = KSP;
	poke32(e, KSP - 4, 0xdeadbeef);
	run_ok(e, "push %cs");
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP - 4);
	assert_int_equal(peek32(e, KSP - 4) & 0xffff, KCODE_SEL);
	poke32(e, KSP - 4, PERCPU_SEL);
	run_ok(e, "pop %fs");
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP);
	assert_int_equal(e->vcpu.seg[AFB_FS], PERCPU_SEL);
	assert_int_equal(e->host.seg[AFB_FS].h.base, PERCPU);
	run_ok(e, "push %ds");
	assert_int_equal(peek32(e, KSP - 4) & 0xffff, KDATA_SEL);
	run_ok(e, "pop %es");
	assert_int_equal(e->vcpu.seg[AFB_ES], KDATA_SEL);
	/* pop %ss: the interrupt shadow */
	poke32(e, KSP - 4, KDATA_SEL);
	e->frame.gpr[AFB_RSP] = KSP - 4;
	run_ok(e, "pop %ss");
	assert_true(e->vcpu.shadow);
	assert_int_equal(e->vcpu.shadow_rip, SITE + 1);
	/* a bad selector faults and leaves esp */
	poke32(e, KSP - 4, NP_SEL);
	e->frame.gpr[AFB_RSP] = KSP - 4;
	run_fault(e, "pop %ds", AFB_EXC_NP, NP_SEL);
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP - 4);

	/* lds, les, lfs, lgs, lss: offset, then selector */
	poke32(e, DATA + 0x100, 0x12345678);
	poke16(e, DATA + 0x104, PERCPU_SEL);
	e->frame.gpr[AFB_RAX] = DATA + 0x100;
	run_ok(e, "lfs (%eax), %ebx");
	assert_int_equal(e->frame.gpr[AFB_RBX], 0x12345678);
	assert_int_equal(e->host.seg[AFB_FS].calls, 2);
	poke16(e, DATA + 0x104, KDATA_OFF_SEL);
	run_ok(e, "lds (%eax), %ecx");
	assert_int_equal(e->vcpu.seg[AFB_DS], KDATA_OFF_SEL);
	assert_int_equal(e->host.seg[AFB_DS].h.base, 0x1000);
	poke16(e, DATA + 0x104, KDATA_SEL);
	e->frame.gpr[AFB_RAX] = DATA + 0x100 - 0x1000;	/* DS based now */
	run_ok(e, "les (%eax), %edx");
	assert_int_equal(e->vcpu.seg[AFB_ES], KDATA_SEL);
	poke32(e, DATA + 0x100, KSP - 0x40);
	run_ok(e, "lss (%eax), %esp");
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP - 0x40);
	assert_int_equal(e->vcpu.seg[AFB_SS], KDATA_SEL);
	poke16(e, DATA + 0x104, 0);
	run_fault(e, "lss (%eax), %esp", AFB_EXC_GP, 0);
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP - 0x40);
	poke16(e, DATA + 0x104, UDATA_SEL);
	run_ok(e, "lgs (%eax), %ebx");
	assert_int_equal(e->vcpu.seg[AFB_GS], UDATA_SEL);
}

/* ---- Tests: far transfers ------------------------------------------------ */

static void test_far32(void **state)
{
	struct env *e = *state;

	/* the direct form, as i386 Linux reloads CS after lgdt */
	run_ok(e, "ljmp $0x08, $0xc1000100");
	assert_int_equal(e->frame.rip, 0xc1000100);
	assert_int_equal(e->vcpu.seg[AFB_CS], KCODE_SEL);
	assert_int_equal(e->host.seg[AFB_CS].calls, 0);		/* flat */
	/* 16-bit code is not emulated; a call gate is #GP(sel) */
	assert_int_equal(run(e, "ljmp $0x40, $0x100"), -EOPNOTSUPP);
	assert_int_equal(e->frame.rip, SITE);
	run_fault(e, "ljmp $0x88, $0", AFB_EXC_GP, GATE_SEL);
	run_fault(e, "ljmp $0x18, $0", AFB_EXC_GP, UCODE_SEL & ~3);
	/* a limited code segment: eip beyond the limit is #GP(0) */
	run_fault(e, "ljmp $0x50, $0x100000", AFB_EXC_GP, 0);
	run_ok(e, "ljmp $0x50, $0xfff00");
	assert_int_equal(e->host.seg[AFB_CS].calls, 1);		/* not flat */
	assert_int_equal(e->host.seg[AFB_CS].h.base, 0x1000);
	assert_int_equal(e->vcpu.hidden[AFB_CS].limit, 0xfffff);

	/* lcall *m16:32 pushes CS and EIP, 4 bytes each; lret pops them */
	poke32(e, DATA, 0xc1000200);
	poke16(e, DATA + 4, KCODE_SEL);
	e->frame.gpr[AFB_RAX] = DATA;
	e->frame.gpr[AFB_RSP] = KSP;
	run_ok(e, "lcall *(%eax)");
	assert_int_equal(e->frame.rip, 0xc1000200);
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP - 8);
	assert_int_equal(peek32(e, KSP - 8), SITE + 2);
	assert_int_equal(peek32(e, KSP - 4), KCODE_LIM_SEL);
	assert_int_equal(e->host.seg[AFB_CS].calls, 2);		/* flat again */
	poke32(e, KSP - 8, 0xc1000300);
	poke32(e, KSP - 4, KCODE_SEL);
	run_ok(e, "lret $4");
	assert_int_equal(e->frame.rip, 0xc1000300);
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP + 4);
}

/* lret to CPL3: pops EIP, CS, ESP, SS; kernel data segments go null. */
static void test_lret_to_user32(void **state)
{
	struct env *e = *state;
	uint32_t sp = KSP - 16;

	load_seg(e, "mov %ax, %fs", PERCPU_SEL);
	load_seg(e, "mov %ax, %es", UDATA_SEL);
	poke32(e, sp, UCODE);
	poke32(e, sp + 4, UCODE_SEL);
	poke32(e, sp + 8, USTACK - 0x10);
	poke32(e, sp + 12, UDATA_SEL);
	e->frame.gpr[AFB_RSP] = sp;
	run_ok(e, "lret");
	assert_int_equal(e->vcpu.cpl, 3);
	assert_int_equal(e->frame.rip, UCODE);
	assert_int_equal(e->frame.gpr[AFB_RSP], USTACK - 0x10);
	assert_int_equal(e->vcpu.seg[AFB_CS], UCODE_SEL);
	assert_int_equal(e->vcpu.seg[AFB_SS], UDATA_SEL);
	assert_int_equal(e->vcpu.seg[AFB_DS], 0);		/* DPL0: null */
	assert_int_equal(e->host.seg[AFB_DS].calls, 1);
	assert_int_equal(e->vcpu.seg[AFB_FS], 0);
	assert_int_equal(e->host.seg[AFB_FS].calls, 2);
	assert_int_equal(e->host.seg[AFB_FS].h.attr, 0);
	assert_int_equal(e->vcpu.seg[AFB_ES], UDATA_SEL);	/* DPL3 stays */
	assert_int_equal(e->host.enter_user_calls, 1);
}

/* ---- Tests: event delivery ----------------------------------------------- */

static void test_exception32_kernel(void **state)
{
	struct env *e = *state;
	uint32_t want[4] = { 0x2, SITE, KCODE_SEL, 0x202 | AFB_RFLAGS_IOPL };

	e->vcpu.rflags |= AFB_RFLAGS_IF | AFB_RFLAGS_IOPL | AFB_RFLAGS_NT;
	e->frame.rip = SITE;
	e->frame.gpr[AFB_RSP] = KSP - 2;		/* no alignment */
	want[3] |= AFB_RFLAGS_NT;
	e->vcpu.cr2 = 0xc0800000;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_PF, 2), 0);
	assert_int_equal(e->frame.rip, HANDLER(14));
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP - 2 - 16);
	check_slots(e, KSP - 2 - 16, want, 4);
	assert_false(e->vcpu.rflags & (AFB_RFLAGS_IF | AFB_RFLAGS_NT));
	assert_int_equal(e->vcpu.cpl, 0);
	/* int $0x80 in the kernel: no error code, trap gate keeps IF */
	e->vcpu.rflags |= AFB_RFLAGS_IF;
	e->frame.gpr[AFB_RSP] = KSP;
	run_ok(e, "int $0x80");
	assert_int_equal(e->frame.rip, HANDLER(0x80));
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP - 12);
	assert_int_equal(peek32(e, KSP - 12), SITE + 2);
	assert_true(e->vcpu.rflags & AFB_RFLAGS_IF);
	/* int3 and into */
	e->frame.gpr[AFB_RSP] = KSP;
	run_ok(e, "int3");
	assert_int_equal(e->frame.rip, HANDLER(3));
	assert_int_equal(peek32(e, KSP - 12), SITE + 1);
	e->frame.rflags |= AFB_RFLAGS_OF;
	run_ok(e, "into");
	assert_int_equal(e->frame.rip, HANDLER(4));
}

/* From CPL3: the stack of the TSS (ss0:esp0), SS and ESP pushed. */
static void test_exception32_user(void **state)
{
	struct env *e = *state;
	uint32_t want[6] = { 0x6, UCODE, UCODE_SEL,
			     0x202 | AFB_RFLAGS_TF, USTACK - 0x100, UDATA_SEL };

	to_user(e);
	e->frame.rflags |= AFB_RFLAGS_TF;
	e->vcpu.rflags |= AFB_RFLAGS_RF;
	want[3] |= AFB_RFLAGS_RF;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_PF,
					    6), 0);
	assert_int_equal(e->vcpu.cpl, 0);
	assert_int_equal(e->frame.rip, HANDLER(14));
	assert_int_equal(e->frame.gpr[AFB_RSP], ESP0 - 24);
	check_slots(e, ESP0 - 24, want, 6);
	assert_int_equal(e->vcpu.seg[AFB_CS], KCODE_SEL);
	assert_int_equal(e->vcpu.seg[AFB_SS], KDATA_SEL);
	assert_false(e->frame.rflags & AFB_RFLAGS_TF);
	assert_false(e->vcpu.rflags & (AFB_RFLAGS_RF | AFB_RFLAGS_IF));
	/* DS and ES stay the user's: the kernel's entry code reloads them */
	assert_int_equal(e->vcpu.seg[AFB_DS], UDATA_SEL);
}

static void test_irq32_user(void **state)
{
	struct env *e = *state;
	uint32_t want[5] = { UCODE, UCODE_SEL, 0x202, USTACK - 0x100,
			     UDATA_SEL };

	to_user(e);
	afb_vcpu_raise_irq(&e->vcpu, 0x20);
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame), 1);
	assert_int_equal(e->frame.rip, HANDLER(0x20));
	assert_int_equal(e->frame.gpr[AFB_RSP], ESP0 - 20);
	check_slots(e, ESP0 - 20, want, 5);
	assert_false(afb_vcpu_irq_pending(&e->vcpu));
}

/* The host's intercepted int $0x80: trap gate, IF stays, eip after it. */
static void test_int_user(void **state)
{
	struct env *e = *state;
	uint32_t want[5] = { UCODE + 2, UCODE_SEL, 0x202, USTACK - 0x100,
			     UDATA_SEL };

	to_user(e);
	e->frame.next_rip = UCODE + 2;
	assert_int_equal(afb_vcpu_int(&e->vcpu, &e->frame, 0x80), 0);
	assert_int_equal(e->frame.rip, HANDLER(0x80));
	assert_int_equal(e->frame.next_rip, 0);
	check_slots(e, ESP0 - 20, want, 5);
	assert_true(e->vcpu.rflags & AFB_RFLAGS_IF);
	assert_int_equal(e->vcpu.cpl, 0);

	/* a DPL0 gate: #GP(vector * 8 + 2) at the int itself */
	to_user(e);
	e->frame.next_rip = 0;
	assert_int_equal(afb_vcpu_int(&e->vcpu, &e->frame, 0x81), 0);
	assert_int_equal(e->frame.rip, HANDLER(13));
	want[0] = 0x81 * 8 + 2;
	want[1] = UCODE;
	check_slots(e, ESP0 - 24, want, 2);
	/* a DPL3 gate not present: #NP */
	to_user(e);
	assert_int_equal(afb_vcpu_int(&e->vcpu, &e->frame, 0x83), 0);
	assert_int_equal(e->frame.rip, HANDLER(11));
	assert_int_equal(peek32(e, ESP0 - 24), 0x83 * 8 + 2);
	/* the same from the trap path: int $0x81 at CPL3 */
	to_user(e);
	e->frame.rip = UCODE;
	e->frame.next_rip = 0;
	assert_int_equal(afb_vcpu_emulate(&e->vcpu, &e->frame,
					  decode("int $0x81")),
			 AFB_VCPU_EXCEPTION);
	assert_int_equal(e->vcpu.exc.error_code, 0x81 * 8 + 2);
	assert_int_equal(e->frame.rip, UCODE);
}

static void test_gates_not_emulated(void **state)
{
	struct env *e = *state;

	/* a task gate stops the vCPU with its own reason */
	e->vcpu.rflags |= AFB_RFLAGS_IF;
	afb_vcpu_raise_irq(&e->vcpu, 0x84);
	e->frame.rip = SITE;
	assert_int_equal(afb_vcpu_deliver_pending(&e->vcpu, &e->frame),
			 AFB_VCPU_SHUTDOWN);
	assert_int_equal(e->host.shutdown_reason, AFB_SHUTDOWN_TASK_GATE);
	/* a 16-bit gate is refused */
	e->frame.rip = SITE;
	assert_int_equal(afb_vcpu_int(&e->vcpu, &e->frame, 0x82), -EOPNOTSUPP);
	/* a 16-bit handler segment too */
	poke64(e, IDT + 0x30 * 8, (uint64_t)CODE16_SEL << 16 | 0x8eULL << 40 |
				  0x100);
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, 0x30, 0),
			 -EOPNOTSUPP);
}

/* A TSS whose ss0 is unusable: #TS, which cannot be delivered either:
   #DF, then a triple fault. */
static void test_bad_tss_stack(void **state)
{
	struct env *e = *state;

	poke32(e, TSS + 8, UDATA_SEL);		/* ss0 with DPL3 */
	to_user(e);
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_GP, 0),
			 AFB_VCPU_SHUTDOWN);
	assert_int_equal(e->host.shutdown_reason, AFB_SHUTDOWN_TRIPLE_FAULT);
	assert_int_equal(e->vcpu.cpl, 3);	/* nothing delivered */

	/* at the same level the TSS is not needed */
	e->vcpu.cpl = 0;
	e->vcpu.seg[AFB_CS] = KCODE_SEL;
	e->frame.gpr[AFB_RSP] = KSP;
	assert_int_equal(afb_vcpu_exception(&e->vcpu, &e->frame, AFB_EXC_GP, 0),
			 0);
	assert_int_equal(e->frame.rip, HANDLER(13));
}

/* ---- Tests: iret ---------------------------------------------------------- */

static void test_iret32(void **state)
{
	struct env *e = *state;

	/* same level: EIP, CS, EFLAGS only */
	poke32(e, KSP, 0xc1000400);
	poke32(e, KSP + 4, KCODE_SEL);
	poke32(e, KSP + 8, 0x202 | AFB_RFLAGS_CF);
	e->frame.gpr[AFB_RSP] = KSP;
	run_ok(e, "iret");
	assert_int_equal(e->frame.rip, 0xc1000400);
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP + 12);
	assert_int_equal(vflags(e), 0x203);
	assert_int_equal(e->vcpu.cpl, 0);

	/* NT set (a task return) and VM in the image are refused */
	e->vcpu.rflags |= AFB_RFLAGS_NT;
	e->frame.gpr[AFB_RSP] = KSP;
	run_fault(e, "iret", AFB_EXC_GP, 0);
	e->vcpu.rflags &= ~(uint64_t)AFB_RFLAGS_NT;
	poke32(e, KSP + 8, 0x202 | AFB_RFLAGS_VM);
	run_fault(e, "iret", AFB_EXC_GP, 0);
	assert_int_equal(e->frame.gpr[AFB_RSP], KSP);
}

static void test_iret32_to_user(void **state)
{
	struct env *e = *state;
	uint32_t sp = KSP - 20;

	load_seg(e, "mov %ax, %fs", PERCPU_SEL);
	load_seg(e, "mov %ax, %ds", UDATA_SEL);
	poke32(e, sp, UCODE);
	poke32(e, sp + 4, UCODE_SEL);
	poke32(e, sp + 8, 0x3202);		/* IOPL 3 asked for */
	poke32(e, sp + 12, USTACK - 0x20);
	poke32(e, sp + 16, KDATA_SEL | 3);	/* a kernel SS: #GP(sel) */
	e->frame.gpr[AFB_RSP] = sp;
	run_fault(e, "iret", AFB_EXC_GP, KDATA_SEL);
	poke32(e, sp + 4, UCODE_SEL & ~3);	/* RPL0: CPL0 code DPL3 */
	poke32(e, sp + 16, UDATA_SEL);
	run_fault(e, "iret", AFB_EXC_GP, UCODE_SEL & ~3);
	poke32(e, sp + 4, UCODE_SEL);
	run_ok(e, "iret");
	assert_int_equal(e->vcpu.cpl, 3);
	assert_int_equal(e->frame.rip, UCODE);
	assert_int_equal(e->frame.gpr[AFB_RSP], USTACK - 0x20);
	assert_int_equal(e->vcpu.seg[AFB_SS], UDATA_SEL);
	assert_int_equal(e->vcpu.seg[AFB_CS], UCODE_SEL);
	assert_int_equal(e->vcpu.seg[AFB_FS], 0);
	assert_int_equal(e->host.seg[AFB_FS].h.attr, 0);
	assert_int_equal(e->vcpu.seg[AFB_DS], UDATA_SEL);
	assert_int_equal(vflags(e) & (AFB_RFLAGS_IOPL | AFB_RFLAGS_IF),
			 AFB_RFLAGS_IOPL | AFB_RFLAGS_IF);
	assert_int_equal(e->host.enter_user_calls, 1);
}

/* A user program's 16-bit code segment (its LDT): loaded, and the host
   told, not refused as a kernel's would be. */
static void test_iret32_to_code16(void **state)
{
	struct env *e = *state;
	uint32_t sp = KSP - 20;

	e->frame.gpr[AFB_RAX] = LDT_SEL;
	run_ok(e, "lldt %ax");
	poke32(e, sp, 0x1234);
	poke32(e, sp + 4, 0x17);
	poke32(e, sp + 8, 0x2);
	poke32(e, sp + 12, 0x800);
	poke32(e, sp + 16, 0x0f);
	e->frame.gpr[AFB_RSP] = sp;
	run_ok(e, "iret");
	assert_int_equal(e->vcpu.cpl, 3);
	assert_int_equal(e->vcpu.seg[AFB_CS], 0x17);
	assert_int_equal(e->host.seg[AFB_CS].calls, 1);
	assert_int_equal(e->host.seg[AFB_CS].h.base, 0x20000);
	assert_int_equal(e->host.seg[AFB_CS].h.attr & AFB_SEG_DB, 0);
	assert_int_equal(e->host.seg[AFB_SS].calls, 0);		/* flat */
}

/* A pending interrupt is taken right after an iret that enables them. */
static void test_iret32_pending(void **state)
{
	struct env *e = *state;
	uint32_t sp = KSP - 20;

	poke32(e, sp, UCODE);
	poke32(e, sp + 4, UCODE_SEL);
	poke32(e, sp + 8, 0x202);
	poke32(e, sp + 12, USTACK - 0x20);
	poke32(e, sp + 16, UDATA_SEL);
	e->frame.gpr[AFB_RSP] = sp;
	afb_vcpu_raise_irq(&e->vcpu, 0x21);
	run_ok(e, "iret");
	assert_int_equal(e->vcpu.cpl, 0);
	assert_int_equal(e->frame.rip, HANDLER(0x21));
	assert_int_equal(peek32(e, ESP0 - 20), UCODE);
	assert_int_equal(peek32(e, ESP0 - 8), USTACK - 0x20);
	assert_int_equal(e->host.enter_user_calls, 0);
}

/* ---- Tests: sysenter, sysexit, MSRs ---------------------------------------- */

static void wrmsr(struct env *e, uint32_t msr, uint64_t val)
{
	e->frame.gpr[AFB_RCX] = msr;
	e->frame.gpr[AFB_RAX] = (uint32_t)val;
	e->frame.gpr[AFB_RDX] = val >> 32;
	run_ok(e, "wrmsr");
}

static void test_sysenter_sysexit(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RDX] = UCODE;
	e->frame.gpr[AFB_RCX] = USTACK - 0x40;
	run_fault(e, "sysexit", AFB_EXC_GP, 0);		/* SYSENTER_CS 0 */
	wrmsr(e, AFB_MSR_SYSENTER_CS, KCODE_SEL);
	wrmsr(e, AFB_MSR_SYSENTER_ESP, ESP0 - 0x80);
	wrmsr(e, AFB_MSR_SYSENTER_EIP, 0xc1000800);
	e->frame.gpr[AFB_RCX] = AFB_MSR_SYSENTER_EIP;
	run_ok(e, "rdmsr");
	assert_int_equal(e->frame.gpr[AFB_RAX], 0xc1000800);
	assert_int_equal(e->frame.gpr[AFB_RDX], 0);

	e->vcpu.rflags |= AFB_RFLAGS_IF;
	e->frame.gpr[AFB_RDX] = UCODE;
	e->frame.gpr[AFB_RCX] = USTACK - 0x40;
	run_ok(e, "sysexit");
	assert_int_equal(e->vcpu.cpl, 3);
	assert_int_equal(e->frame.rip, UCODE);
	assert_int_equal(e->frame.gpr[AFB_RSP], USTACK - 0x40);
	assert_int_equal(e->vcpu.seg[AFB_CS], KCODE_SEL + 16 + 3);
	assert_int_equal(e->vcpu.seg[AFB_SS], KCODE_SEL + 24 + 3);
	assert_int_equal(e->vcpu.seg_dpl[AFB_SS], 3);
	assert_int_equal(e->host.enter_user_calls, 1);
	run_fault(e, "sysexit", AFB_EXC_GP, 0);		/* from CPL3 */

	/* the host's intercepted user sysenter */
	e->frame.rip = UCODE + 0x10;
	assert_int_equal(afb_vcpu_sysenter(&e->vcpu, &e->frame), 0);
	assert_int_equal(e->vcpu.cpl, 0);
	assert_int_equal(e->frame.rip, 0xc1000800);
	assert_int_equal(e->frame.gpr[AFB_RSP], ESP0 - 0x80);
	assert_int_equal(e->vcpu.seg[AFB_CS], KCODE_SEL);
	assert_int_equal(e->vcpu.seg[AFB_SS], KDATA_SEL);
	assert_int_equal(e->vcpu.hidden[AFB_SS].limit, 0xffffffff);
	assert_false(e->vcpu.rflags & AFB_RFLAGS_IF);

	/* with SYSENTER_CS 0 the user gets #GP(0) at its sysenter */
	wrmsr(e, AFB_MSR_SYSENTER_CS, 0);
	to_user(e);
	e->frame.rip = UCODE + 0x10;
	assert_int_equal(afb_vcpu_sysenter(&e->vcpu, &e->frame), 0);
	assert_int_equal(e->frame.rip, HANDLER(13));
	assert_int_equal(peek32(e, ESP0 - 20), UCODE + 0x10);

	/* syscall and sysret do not exist in this mode */
	run_fault(e, "sysret", AFB_EXC_UD, 0);
	e->vcpu.cpl = 3;
	e->frame.rip = UCODE;
	assert_int_equal(afb_vcpu_syscall(&e->vcpu, &e->frame), 0);
	assert_int_equal(e->frame.rip, HANDLER(6));
}

/* ---- Tests: I/O, idling, the rest ------------------------------------------- */

static void test_io32(void **state)
{
	struct env *e = *state;

	run_ok(e, "in $0x60, %al");
	run_ok(e, "out %eax, $0x80");
	assert_int_equal(e->host.nio, 2);
	assert_int_equal(e->host.io[1].size, 4);
	/* rep insb to ES:EDI with a based ES, 32-bit counts */
	load_seg(e, "mov %ax, %es", KDATA_OFF_SEL);
	e->frame.gpr[AFB_RDX] = 0x1f0;
	e->frame.gpr[AFB_RDI] = DATA - 0x1000;
	e->frame.gpr[AFB_RCX] = 3;
	e->host.in_val = 0x41;
	run_ok(e, "rep insb (%dx), %es:(%edi)");
	assert_int_equal(e->frame.gpr[AFB_RCX], 0);
	assert_int_equal(e->frame.gpr[AFB_RDI], DATA - 0x1000 + 3);
	assert_memory_equal(at(e, DATA), "ABC", 3);
	/* rep outsw from DS:ESI */
	load_seg(e, "mov %ax, %ds", KDATA_OFF_SEL);
	e->frame.gpr[AFB_RSI] = DATA - 0x1000;
	e->frame.gpr[AFB_RCX] = 1;
	run_ok(e, "rep outsw (%esi), (%dx)");
	assert_int_equal(e->host.io[5].val, 0x4241);
	assert_int_equal(e->frame.gpr[AFB_RSI], DATA - 0x1000 + 2);
	/* a 16-bit address size: CX counts, DI wraps, upper halves stay */
	load_seg(e, "mov %ax, %es", PERCPU_SEL);
	assert_int_equal(decode("rep insb (%dx), %es:(%di)")->addrsize, 2);
	e->frame.gpr[AFB_RDI] = 0x5ffff;
	e->frame.gpr[AFB_RCX] = 0x70002;
	run_ok(e, "rep insb (%dx), %es:(%di)");
	assert_int_equal(e->frame.gpr[AFB_RDI], 0x50001);
	assert_int_equal(e->frame.gpr[AFB_RCX], 0x70000);
	assert_int_equal(*(uint8_t *)at(e, PERCPU + 0xffff), 'D');
	assert_int_equal(*(uint8_t *)at(e, PERCPU), 'E');
}

static void test_misc32(void **state)
{
	struct env *e = *state;

	/* cpuid, rdtsc: 32-bit results */
	e->frame.gpr[AFB_RAX] = 1;
	e->frame.gpr[AFB_RCX] = 0;
	run_ok(e, "cpuid");
	assert_int_equal(e->frame.gpr[AFB_RAX], 2);
	assert_int_equal(e->frame.gpr[AFB_RDX], 0x12345678);
	run_ok(e, "rdtsc");
	assert_int_equal(e->frame.gpr[AFB_RAX], 0x89abcdef);
	assert_int_equal(e->frame.gpr[AFB_RDX], 0x01234567);
	/* lar, lsl, verr, verw on 8-byte descriptors */
	e->frame.gpr[AFB_RAX] = PERCPU_SEL;
	run_ok(e, "lsl %eax, %ebx");
	assert_int_equal(e->frame.gpr[AFB_RBX], 0xfff);
	assert_true(e->frame.rflags & AFB_RFLAGS_ZF);
	run_ok(e, "lar %eax, %ebx");
	assert_int_equal(e->frame.gpr[AFB_RBX], 0x00409200);
	run_ok(e, "verw %ax");
	assert_true(e->frame.rflags & AFB_RFLAGS_ZF);
	e->frame.gpr[AFB_RAX] = XONLY_SEL;
	run_ok(e, "verr %ax");
	assert_false(e->frame.rflags & AFB_RFLAGS_ZF);
	/* system descriptors of 32-bit mode: a 16-bit TSS, a call gate */
	e->frame.gpr[AFB_RAX] = TSS16_SEL;
	run_ok(e, "lsl %eax, %ebx");
	assert_true(e->frame.rflags & AFB_RFLAGS_ZF);
	assert_int_equal(e->frame.gpr[AFB_RBX], 0x2b);
	e->frame.gpr[AFB_RAX] = GATE_SEL;
	run_ok(e, "lsl %eax, %ebx");
	assert_false(e->frame.rflags & AFB_RFLAGS_ZF);
	run_ok(e, "lar %eax, %ebx");
	assert_true(e->frame.rflags & AFB_RFLAGS_ZF);
	assert_int_equal(e->frame.gpr[AFB_RBX], 0x8c00);
	/* sti; hlt idles with IF on; hlt with IF off shuts down */
	run_ok(e, "sti; hlt");
	assert_int_equal(e->host.idle_calls, 1);
	assert_int_equal(e->frame.rip, HANDLER(0x20));
	assert_int_equal(peek32(e, e->frame.gpr[AFB_RSP]), SITE + 2);
	assert_int_equal(run(e, "hlt"), AFB_VCPU_SHUTDOWN);
	assert_int_equal(e->host.shutdown_reason, AFB_SHUTDOWN_HALT);
}

/* Addresses are 32-bit: a far pointer across 4 GiB is #GP(0), and an
   operand wraps around with a based segment. */
static void test_linear_wrap(void **state)
{
	struct env *e = *state;

	e->frame.gpr[AFB_RAX] = 0xfffffffe;
	run_fault(e, "lgdt (%eax)", AFB_EXC_GP, 0);
	load_seg(e, "mov %ax, %ds", KDATA_OFF_SEL);
	/* 0x1000 + (DATA - 0x1000) */
	e->frame.gpr[AFB_RAX] = (uint32_t)(DATA - 0x1000 + 0x100000000ULL);
	poke16(e, DATA, 0x8f);
	poke32(e, DATA + 2, GDT);
	run_ok(e, "lgdt (%eax)");
	assert_int_equal(e->vcpu.gdtr.base, GDT);
}

/*
 * Every 32-bit site of the afterburnt i386 test kernel (when make check
 * built it) goes through the core at CPL0 with the registers pointing at
 * guest data: each completes, faults or stops, never an error, so the
 * decoder and the core agree on every form a 32-bit guest uses.
 */
static void test_kernel_sites32(void **state)
{
	struct env *e = *state;
	const char *path = getenv("KERNEL_I386_AFTERBURNT");
	const struct afb_site *sites;
	struct afb_image *img;
	struct afb_error err;
	struct afb_insn insn;
	size_t n, i, r, tried = 0;
	int ret;

	if (!path || afb_image_open(path, &img, &err)) {
		skip();
		return;
	}
	n = afb_image_sites(img, &sites);
	for (i = 0; i < n; i++) {
		const uint8_t *b = afb_image_site_bytes(img, &sites[i]);

		if (sites[i].mode != 32 || !b)
			continue;
		assert_int_equal(afb_decode(b, sites[i].len, 32, &insn),
				 sites[i].insn_len);
		for (r = 0; r < 8; r++)
			e->frame.gpr[r] = DATA + 0x100;
		e->frame.gpr[AFB_RAX] = AFB_CR0_PE | AFB_CR0_ET;
		e->frame.gpr[AFB_RCX] = 2;	/* a rep count */
		e->frame.gpr[AFB_RSP] = KSP;
		e->host.nio = 0;
		e->frame.rip = sites[i].addr;
		e->frame.next_rip = sites[i].addr + sites[i].len;
		e->vcpu.cpl = 0;
		ret = afb_vcpu_emulate(&e->vcpu, &e->frame, &insn);
		if (ret < 0)
			fail_msg("site %#llx (%s): %d",
				 (unsigned long long)sites[i].addr,
				 afb_kind_name(insn.kind), ret);
		tried++;
	}
	assert_true(tried > 100);
	afb_image_close(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_init32),
		T(test_tables32),
		T(test_flags32),
		T(test_stack16),
		T(test_cr32),
		T(test_mov_seg32),
		T(test_load_seg32),
		T(test_push_pop_seg32),
		T(test_far32),
		T(test_lret_to_user32),
		T(test_exception32_kernel),
		T(test_exception32_user),
		T(test_irq32_user),
		T(test_int_user),
		T(test_gates_not_emulated),
		T(test_bad_tss_stack),
		T(test_iret32),
		T(test_iret32_to_user),
		T(test_iret32_to_code16),
		T(test_iret32_pending),
		T(test_sysenter_sysexit),
		T(test_io32),
		T(test_misc32),
		T(test_linear_wrap),
		T(test_kernel_sites32),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
