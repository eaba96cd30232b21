// SPDX-License-Identifier: MIT
/*
 * user32-test: a 32-bit guest's user processes in afterburn-ptrace's stubs
 * (wedge/ptrace/stub32.c, stub.c, stub-seccomp*.{c,S}), in both --user
 * modes.
 *
 * The test is the host: it links every file of afterburn-ptrace but
 * main.c, lays out a small 32-bit guest (2-level page tables, or PAE ones
 * under a root that is not page aligned, as Linux's PAE pgds; a GDT with
 * i386 Linux's selectors, an IDT, a TSS) in guest-physical memory, puts
 * the vCPU in user mode at one of the blobs of user32-test-code.S and
 * calls stub__run_user(), as the ptrace host does after an iret to user
 * mode.  It returns when the guest kernel has an event to handle; the
 * test reads which vector the core delivered (the handler address) and
 * the 32-bit frame it pushed on the TSS's esp0 stack.  No guest kernel
 * code runs; an iret back to user mode is the core's emulation of one.
 *
 * Checked, in each mode and with each table format: int $0x80
 * (registers in and out, the iret back, a second call), %gs through the
 * guest's TLS descriptor (an LDT entry of the stub), user code loading
 * the TLS selector itself, sysenter (as the vDSO makes it, on a stack
 * not mirrored yet, on one the guest does not map), syscall in 32-bit
 * code, page faults (not present, write to read-only: CR2 and the error
 * code), #UD, #DE, int3, #GP for cli and for int $n through a DPL0 gate,
 * the timer preempting a loop (and one after user code loaded %gs: the
 * tick is delivered to the guest kernel's handler; and int $0x80 after
 * such a load, with an interrupt pending: both delivered); and hostile code: a far jump to the
 * host's 64-bit selector and a 64-bit system call, a forged modify_ldt
 * through the stub's own syscall instruction.  None of them makes a host
 * system call or changes what the guest sees.
 *
 * user32-test --probe: exit 0 if this host kernel runs 32-bit code with
 * LDT segments, 3 if not (user32.sh then runs the test in scripts/kvm-vm's
 * VM).  Exit status: 0 pass, 1 fail.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "ptrace.h"
#include "stub-seccomp.h"
#include "user32-test.h"

/* ---- What main.c gives the rest of afterburn-ptrace ------------------ */

struct host the_host;

void guest_crash(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_vmessage("guest crashed: ", fmt, ap);
	va_end(ap);
	exit(1);
}

void host_exit(int status)
{
	exit(status);
}

void host_booted(void)
{
}

void host_print_stats(void)
{
}

void host_stats_line(const char *line, size_t len)
{
	(void)line;
	(void)len;
}

/* ---- The guest ---------------------------------------------------------- */

#define MEM_SIZE	0x400000ULL
#define KBASE		0xc0000000U
#define PD		0x1000		/* guest-physical */
#define PT_USER		0x2000
#define PT_KERNEL	0x3000
#define PT_USER2	0x9000
/* PAE: the root 32-byte aligned, not page aligned, as Linux's PAE pgds */
#define PAE_PDPT	0x1020
#define PAE_PD_LOW	0xa000
#define PAE_PD_HIGH	0xb000
#define PAE_PT_USER	0xc000
#define PAE_PT_USER2	0xd000
#define PAE_PT_KERNEL	0xe000
#define GDT		0x4000
#define IDT		0x5000
#define TSS		0x6000
#define KSTACK_TOP	0x8000
#define SYSENTER_STACK	0x7000
#define PA_CODE		0x10000
#define PA_DATA		0x11000
#define PA_STACK	0x12000
#define PA_TLS		0x13000
#define PA_RO		0x14000
#define PA_STACK2	0x15000
#define HANDLERS	0xc0100000U	/* vector n: HANDLERS + 16 n */
#define SYSENTER_EIP	0xc0200000U

#define K_CS		0x60
#define K_DS		0x68
#define U_CS		0x73
#define U_DS		0x7b
#define TSS_SEL		0x80

#define UADDR(b)	(U_CODE + (uint32_t)((b) - user32_blobs))

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: ", mode_name, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static const char *mode_name = "";

static uint8_t *gpa(uint64_t pa)
{
	return the_host.phys + pa;
}

static void put32(uint64_t pa, uint32_t v)
{
	memcpy(gpa(pa), &v, 4);
}

static uint32_t get32(uint64_t pa)
{
	uint32_t v;

	memcpy(&v, gpa(pa), 4);
	return v;
}

static uint64_t seg_desc(uint32_t base, uint32_t lim20, uint8_t access,
			 uint8_t flags)
{
	return (lim20 & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)((lim20 >> 16) & 0xf) << 48) |
	       ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate(uint32_t off, uint8_t type_attr)
{
	return (off & 0xffff) | ((uint64_t)K_CS << 16) |
	       ((uint64_t)type_attr << 40) | ((uint64_t)(off >> 16) << 48);
}

static bool pae;		/* the guest's tables: PAE, else 2-level */

static void put64(uint64_t pa, uint64_t v)
{
	memcpy(gpa(pa), &v, 8);
}

static void map_user(uint32_t va, uint32_t pa, bool w)
{
	uint32_t pt, e = pa | PT_P | PT_U | (w ? PT_W : 0);

	if (pae) {
		pt = va >> 21 == U_CODE >> 21 ? PAE_PT_USER : PAE_PT_USER2;
		put64(pt + ((va >> 12) & 0x1ff) * 8, e);
		return;
	}
	pt = va >> 22 == U_CODE >> 22 ? PT_USER : PT_USER2;
	put32(pt + ((va >> 12) & 0x3ff) * 4, e);
}

static void tables_pae(void)
{
	unsigned int i;

	put64(PAE_PDPT, PAE_PD_LOW | PT_P);
	put64(PAE_PDPT + 3 * 8, PAE_PD_HIGH | PT_P);
	put64(PAE_PD_LOW + ((U_CODE >> 21) & 0x1ff) * 8,
	      PAE_PT_USER | PT_P | PT_W | PT_U);
	put64(PAE_PD_LOW + ((U_STACK2 >> 21) & 0x1ff) * 8,
	      PAE_PT_USER2 | PT_P | PT_W | PT_U);
	put64(PAE_PD_HIGH, PAE_PT_KERNEL | PT_P | PT_W);
	for (i = 0; i < 512; i++)
		put64(PAE_PT_KERNEL + i * 8, (i << 12) | PT_P | PT_W);
}

static void tables_2level(void)
{
	unsigned int i;

	put32(PD + (U_CODE >> 22) * 4, PT_USER | PT_P | PT_W | PT_U);
	put32(PD + (U_STACK2 >> 22) * 4, PT_USER2 | PT_P | PT_W | PT_U);
	put32(PD + (KBASE >> 22) * 4, PT_KERNEL | PT_P | PT_W);
	for (i = 0; i < 1024; i++)
		put32(PT_KERNEL + i * 4, (i << 12) | PT_P | PT_W);
}

static void guest_layout(void)
{
	uint64_t d;
	unsigned int i;

	memset(gpa(0), 0, 0x20000);
	if (pae)
		tables_pae();
	else
		tables_2level();
	map_user(U_CODE, PA_CODE, false);
	map_user(U_DATA, PA_DATA, true);
	map_user(U_STACK, PA_STACK, true);
	map_user(U_TLS, PA_TLS, true);
	map_user(U_RO, PA_RO, false);
	map_user(U_STACK2, PA_STACK2, true);

	d = seg_desc(0, 0xfffff, 0x9b, 0xc);
	memcpy(gpa(GDT + K_CS), &d, 8);
	d = seg_desc(0, 0xfffff, 0x93, 0xc);
	memcpy(gpa(GDT + K_DS), &d, 8);
	d = seg_desc(0, 0xfffff, 0xfb, 0xc);
	memcpy(gpa(GDT + (U_CS & ~7)), &d, 8);
	d = seg_desc(0, 0xfffff, 0xf3, 0xc);
	memcpy(gpa(GDT + (U_DS & ~7)), &d, 8);
	d = seg_desc(U_TLS, 0xfffff, 0xf3, 0xc);
	memcpy(gpa(GDT + (U_TLS_SEL & ~7)), &d, 8);
	d = seg_desc(KBASE + TSS, 0x67, 0x8b, 0);
	memcpy(gpa(GDT + TSS_SEL), &d, 8);

	for (i = 0; i < 256; i++) {
		uint8_t ta = 0x8e;	/* interrupt gate, DPL0 */

		if (i == 0x80)
			ta = 0xef;	/* trap gate, DPL3 */
		else if (i == 3 || i == 4)
			ta = 0xee;
		d = gate(HANDLERS + 16 * i, ta);
		memcpy(gpa(IDT + 8 * i), &d, 8);
	}
	put32(TSS + 4, KBASE + KSTACK_TOP);
	put32(TSS + 8, K_DS);

	memcpy(gpa(PA_CODE), user32_blobs,
	       (size_t)(user32_blobs_end - user32_blobs));
	put32(PA_TLS + 4, U_TLS_MAGIC);
}

/* ---- The host's memory ops for a 32-bit guest -------------------------- */

static int walk(struct afb_vcpu *v, uint64_t gva, unsigned int access,
		uint8_t **p)
{
	struct pt_paging pg;
	struct pt_map map;
	int ret;

	pt_paging_of(&pg, v->cr4, v->efer);
	ret = pt_walk(&the_host.pt, &pg, v->cr3, gva, &map);
	if (ret)
		return -EFAULT;
	if (!pt_access_ok(&map, access, true))
		return -EACCES;
	*p = gpa(map.pa);
	return 0;
}

static int t_mem_read(struct afb_vcpu *v, uint64_t gva, void *buf, size_t len,
		      unsigned int access)
{
	uint8_t *p;
	int ret = walk(v, gva, access & ~AFB_ACCESS_WRITE, &p);

	if (!ret)
		memcpy(buf, p, len);
	return ret;
}

static int t_mem_write(struct afb_vcpu *v, uint64_t gva, const void *buf,
		       size_t len, unsigned int access)
{
	uint8_t *p;
	int ret = walk(v, gva, access | AFB_ACCESS_WRITE, &p);

	if (!ret)
		memcpy(p, buf, len);
	return ret;
}

static const struct afb_host_ops test_ops = {
	.mem_read = t_mem_read,
	.mem_write = t_mem_write,
};

/* ---- The host ------------------------------------------------------------ */

static void host_setup(bool seccomp)
{
	struct host *h = &the_host;
	struct afb_vcpu *v = &h->vcpu_mem;
	int ret;

	h->mem_size = MEM_SIZE;
	h->user_seccomp = seccomp;
	h->verbose = getenv("USER32_VERBOSE") != NULL;
	h->memfd = memfd_create("user32-test", MFD_CLOEXEC);
	if (h->memfd < 0 || ftruncate(h->memfd, (off_t)(MEM_SIZE + 0x2000)) < 0)
		die("memfd: %s", strerror(errno));
	h->phys = mmap(NULL, MEM_SIZE + 0x2000, PROT_READ | PROT_WRITE,
		       MAP_SHARED, h->memfd, 0);
	if (h->phys == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	h->pt.base = h->phys;
	h->pt.size = MEM_SIZE;
	h->stub_data = (struct stub_data *)(h->phys + MEM_SIZE + 0x1000);
	h->vcpu = v;
	v->ops = &test_ops;
	v->host = h;
	v->cr0 = 0x80000011;	/* PG, ET, PE */
	v->cr3 = pae ? PAE_PDPT : PD;
	v->cr4 = pae ? 0x20 : 0;	/* PAE */
	v->gdtr.base = KBASE + GDT;
	v->gdtr.limit = 0xff;
	v->idtr.base = KBASE + IDT;
	v->idtr.limit = 0x7ff;
	v->tr.sel = TSS_SEL;
	v->tr.base = KBASE + TSS;
	v->tr.limit = 0x67;
	v->tr.type = 0xb;
	v->sysenter_cs = K_CS;
	v->sysenter_esp = KBASE + SYSENTER_STACK;
	v->sysenter_eip = SYSENTER_EIP;
	guest_layout();
	ret = stub__init(h);
	if (ret < 0)
		die("stub__init: %s", strerror(-ret));
}

static void set_seg(struct afb_vcpu *v, enum afb_sreg r, uint16_t sel,
		    uint32_t base, uint16_t attr)
{
	v->seg[r] = sel;
	v->seg_dpl[r] = sel ? 3 : 0;
	v->hidden[r].base = base;
	v->hidden[r].limit = sel ? 0xffffffff : 0;
	v->hidden[r].attr = sel ? attr : 0;
}

/* The vCPU in user mode at @blob, %gs = @gs. */
static void user_at(struct afb_frame *f, const uint8_t *blob, uint16_t gs)
{
	struct afb_vcpu *v = the_host.vcpu;

	memset(f, 0, sizeof(*f));
	f->rip = UADDR(blob);
	f->gpr[AFB_RSP] = U_STACK + 0x1000;
	f->rflags = 0x202;
	v->cpl = 3;
	v->rflags = AFB_RFLAGS_IF | AFB_RFLAGS_FIXED;
	memset(v->pending, 0, sizeof(v->pending));
	set_seg(v, AFB_CS, U_CS, 0, 0xc0fb);
	set_seg(v, AFB_SS, U_DS, 0, 0xc0f3);
	set_seg(v, AFB_DS, U_DS, 0, 0xc0f3);
	set_seg(v, AFB_ES, U_DS, 0, 0xc0f3);
	set_seg(v, AFB_FS, 0, 0, 0);
	set_seg(v, AFB_GS, gs, gs ? U_TLS : 0, 0xc0f3);
}

struct event {
	int vector;		/* -1: none we know */
	uint32_t err, eip, cs, eflags, esp, ss;
};

static bool has_error(int vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17;
}

/* Run user mode until the guest kernel has an event: which one. */
static struct event run(struct afb_frame *f)
{
	struct afb_vcpu *v = the_host.vcpu;
	struct event e = { .vector = -1 };
	uint32_t sp;

	stub__run_user(&the_host, f);
	if (v->cpl != 0)
		return e;
	if (f->rip == SYSENTER_EIP) {
		e.vector = 0x100;
		return e;
	}
	if (f->rip < HANDLERS || f->rip >= HANDLERS + 16 * 256)
		return e;
	e.vector = (int)((f->rip - HANDLERS) / 16);
	sp = (uint32_t)f->gpr[AFB_RSP] - KBASE;
	if (has_error(e.vector)) {
		e.err = get32(sp);
		sp += 4;
	}
	e.eip = get32(sp);
	e.cs = get32(sp + 4);
	e.eflags = get32(sp + 8);
	e.esp = get32(sp + 12);
	e.ss = get32(sp + 16);
	return e;
}

/* The guest kernel's iret back to user mode (emulated by the core). */
static void iret(struct afb_frame *f)
{
	static const uint8_t cf = 0xcf;
	struct afb_insn insn;
	int ret;

	if (afb_decode(&cf, 1, 32, &insn) != 1)
		die("decoding iret");
	f->next_rip = 0;
	ret = afb_vcpu_emulate(the_host.vcpu, f, &insn);
	if (ret)
		die("iret: %d", ret);
}

static void test_int80(void)
{
	struct afb_frame f;
	struct event e;

	user_at(&f, u_int80, 0);
	e = run(&f);
	CHECK(e.vector == 0x80, "int $0x80: vector %d", e.vector);
	CHECK(f.gpr[AFB_RAX] == 0x1234 && f.gpr[AFB_RBX] == 0x11,
	      "int $0x80: eax 0x%lx ebx 0x%lx", (unsigned long)f.gpr[AFB_RAX],
	      (unsigned long)f.gpr[AFB_RBX]);
	CHECK(e.eip == UADDR(u_int80_2) && e.cs == U_CS && e.ss == U_DS &&
	      e.esp == U_STACK + 0x1000 && (e.eflags & AFB_RFLAGS_IF),
	      "int $0x80 frame: eip 0x%x cs 0x%x eflags 0x%x esp 0x%x ss 0x%x",
	      e.eip, e.cs, e.eflags, e.esp, e.ss);
	CHECK(the_host.vcpu->seg[AFB_CS] == K_CS, "kernel cs 0x%x",
	      the_host.vcpu->seg[AFB_CS]);
	f.gpr[AFB_RAX] = 0x5000;	/* the kernel's return value */
	iret(&f);
	CHECK(the_host.vcpu->cpl == 3 && f.rip == UADDR(u_int80_2),
	      "iret: cpl %u rip 0x%lx", the_host.vcpu->cpl, (unsigned long)f.rip);
	e = run(&f);
	CHECK(e.vector == 0x80 && f.gpr[AFB_RAX] == 0x5001,
	      "second int $0x80: vector %d eax 0x%lx", e.vector,
	      (unsigned long)f.gpr[AFB_RAX]);
}

static void test_gs(void)
{
	struct afb_frame f;
	struct event e;

	user_at(&f, u_gs, U_TLS_SEL);
	e = run(&f);
	CHECK(e.vector == 0x80 && f.gpr[AFB_RAX] == U_TLS_MAGIC,
	      "%%gs:4 through the TLS descriptor: vector %d eax 0x%lx",
	      e.vector, (unsigned long)f.gpr[AFB_RAX]);

	user_at(&f, u_gsload, 0);
	e = run(&f);
	CHECK(e.vector == 0x80 && f.gpr[AFB_RAX] == U_TLS_MAGIC,
	      "user code loading %%gs itself: vector %d eax 0x%lx",
	      e.vector, (unsigned long)f.gpr[AFB_RAX]);
	CHECK(the_host.vcpu->seg[AFB_GS] == U_TLS_SEL &&
	      the_host.vcpu->hidden[AFB_GS].base == U_TLS,
	      "the guest's %%gs after a load by user code: 0x%x base 0x%x",
	      the_host.vcpu->seg[AFB_GS], the_host.vcpu->hidden[AFB_GS].base);
}

static void test_sysenter(void)
{
	struct afb_frame f;
	struct event e;

	user_at(&f, u_sysenter, 0);
	e = run(&f);
	CHECK(e.vector == 0x100 && f.gpr[AFB_RAX] == 7 &&
	      f.gpr[AFB_RSP] == KBASE + SYSENTER_STACK &&
	      f.gpr[AFB_RBP] == U_STACK + 0x1000 - 12 &&
	      f.gpr[AFB_RCX] == 0x1111 && f.gpr[AFB_RDX] == 0x2222 &&
	      the_host.vcpu->seg[AFB_CS] == K_CS,
	      "sysenter: vector %d eax 0x%lx esp 0x%lx ebp 0x%lx", e.vector,
	      (unsigned long)f.gpr[AFB_RAX], (unsigned long)f.gpr[AFB_RSP],
	      (unsigned long)f.gpr[AFB_RBP]);
	/* the stack's page mirrored before user code runs: Linux reads it */
	user_at(&f, u_sysenter_fresh, 0);
	f.gpr[AFB_RSP] = U_STACK2 + 0x800;
	f.gpr[AFB_RDX] = 0x3333;	/* as if the vDSO had pushed them */
	f.gpr[AFB_RCX] = 0x4444;
	put32(PA_STACK2 + 0x804, 0x3333);
	put32(PA_STACK2 + 0x808, 0x4444);
	e = run(&f);
	CHECK(e.vector == 0x100 && f.gpr[AFB_RAX] == 7 &&
	      f.gpr[AFB_RBP] == U_STACK2 + 0x800,
	      "sysenter on a fresh stack: vector %d eax 0x%lx ebp 0x%lx",
	      e.vector, (unsigned long)f.gpr[AFB_RAX],
	      (unsigned long)f.gpr[AFB_RBP]);
	/* syscall, which Linux takes the same way: #UD */
	user_at(&f, u_syscall32, 0);
	e = run(&f);
	CHECK(e.vector == AFB_EXC_UD && e.cs == U_CS,
	      "syscall in 32-bit code: vector %d", e.vector);
	/* the guest kernel finds the stack unreadable itself */
	user_at(&f, u_sysenter_nostack, 0);
	e = run(&f);
	CHECK(e.vector == 0x100 && f.gpr[AFB_RSP] == KBASE + SYSENTER_STACK,
	      "sysenter, unmapped stack: vector %d", e.vector);
}

static void expect_exc(const uint8_t *blob, int vector, uint32_t eip,
		       const char *what)
{
	struct afb_frame f;
	struct event e;

	user_at(&f, blob, 0);
	e = run(&f);
	CHECK(e.vector == vector && e.eip == eip && e.cs == U_CS,
	      "%s: vector %d (want %d) eip 0x%x (want 0x%x) cs 0x%x", what,
	      e.vector, vector, e.eip, eip, e.cs);
}

static void test_faults(void)
{
	struct afb_frame f;
	struct event e;

	user_at(&f, u_pf, 0);
	e = run(&f);
	CHECK(e.vector == AFB_EXC_PF && e.eip == UADDR(u_pf) &&
	      the_host.vcpu->cr2 == U_NOTMAPPED && (e.err & 5) == 4,
	      "#PF not present: vector %d eip 0x%x cr2 0x%lx err 0x%x",
	      e.vector, e.eip, (unsigned long)the_host.vcpu->cr2, e.err);
	user_at(&f, u_pf_ro, 0);
	e = run(&f);
	CHECK(e.vector == AFB_EXC_PF && e.eip == UADDR(u_pf_ro) &&
	      the_host.vcpu->cr2 == U_RO && e.err == 7,
	      "#PF write to read-only: vector %d cr2 0x%lx err 0x%x",
	      e.vector, (unsigned long)the_host.vcpu->cr2, e.err);
	expect_exc(u_ud2, AFB_EXC_UD, UADDR(u_ud2), "ud2");
	expect_exc(u_div, AFB_EXC_DE, UADDR(u_div_insn), "divide by zero");
	expect_exc(u_int3, 3, UADDR(u_int3_after), "int3");
	expect_exc(u_cli, AFB_EXC_GP, UADDR(u_cli), "cli at CPL3");
	expect_exc(u_int_n, AFB_EXC_GP, UADDR(u_int_n), "int $0x41, DPL0 gate");
}

static volatile sig_atomic_t raise_only;

/* The tick: raise IRQ0 and interrupt the stub, or (raise_only) raise it
   and let user code go on to an event of its own (U_GO). */
static void on_alarm(int sig)
{
	(void)sig;
	if (the_host.state == RUN_USER) {
		afb_vcpu_raise_irq(the_host.vcpu, 0x20);
		if (raise_only)
			put32(PA_DATA + (U_GO - U_DATA), 1);
		else
			stub__interrupt(&the_host);
	}
}

/* Run @blob until the timer preempts it. */
static struct event run_timed(struct afb_frame *f, const uint8_t *blob)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	struct event e;

	signal(SIGALRM, on_alarm);
	user_at(f, blob, 0);
	setitimer(ITIMER_REAL, &it, NULL);
	e = run(f);
	setitimer(ITIMER_REAL, &off, NULL);
	return e;
}

static void test_timer(void)
{
	struct afb_frame f;
	struct event e;

	e = run_timed(&f, u_spin);
	CHECK(e.vector == 0x20 && e.eip == UADDR(u_spin) && e.cs == U_CS,
	      "timer preempting user code: vector %d eip 0x%x", e.vector, e.eip);
	/*
	 * The tick is the event at which the stub's %gs, loaded by user
	 * code, is found and loaded into the guest's %gs, with the tick's
	 * interrupt pending: it must reach the guest kernel's handler, with
	 * the user frame pushed, not be taken in the load's copy of the
	 * frame (cpl 0 left at the user's eip and esp).
	 */
	e = run_timed(&f, u_gsload_spin);
	CHECK(e.vector == 0x20 && e.eip == UADDR(u_gsload_spin_loop) &&
	      e.cs == U_CS && e.esp == U_STACK + 0x1000,
	      "timer preempting user code that loaded %%gs: vector %d eip 0x%x "
	      "(cpl %u at 0x%lx)", e.vector, e.eip, the_host.vcpu->cpl,
	      (unsigned long)f.rip);
	CHECK(the_host.vcpu->seg[AFB_GS] == U_TLS_SEL,
	      "the guest's %%gs after the tick: 0x%x", the_host.vcpu->seg[AFB_GS]);
	/*
	 * The same load found at a system call, with the interrupt raised
	 * before it (the stub not yet interrupted): int $0x80 reaches the
	 * guest kernel (its trap gate keeps IF), and the interrupt is taken
	 * at its handler's first instruction, as on a CPU.
	 */
	put32(PA_DATA + (U_GO - U_DATA), 0);
	raise_only = 1;
	e = run_timed(&f, u_gsload_wait);
	raise_only = 0;
	CHECK(e.vector == 0x20 && e.eip == HANDLERS + 16 * 0x80 &&
	      e.cs == K_CS && f.gpr[AFB_RAX] == 0x77 &&
	      get32(KSTACK_TOP - 20) == UADDR(u_gsload_wait_int80) &&
	      get32(KSTACK_TOP - 16) == U_CS,
	      "int $0x80 after a %%gs load, an interrupt pending: vector %d "
	      "eip 0x%x cs 0x%x, int $0x80's eip 0x%x (cpl %u at 0x%lx)",
	      e.vector, e.eip, e.cs, get32(KSTACK_TOP - 20),
	      the_host.vcpu->cpl, (unsigned long)f.rip);
}

static void test_hostile(void)
{
	struct afb_frame f;
	struct event e;
	uint64_t refused = the_host.st.refused;
	uint64_t ip = the_host.user_seccomp ?
		STUB_CODE_ADDR + (uint64_t)(ptrace_sc_syscall_ip - ptrace_sc_code) - 2 :
		STUB_CODE_ADDR + (uint64_t)(ptrace_stub_syscall - ptrace_stub_code);
	static const uint8_t desc[16] = {
		0xff, 0x1f, 0, 0,	/* entry 8191: the stub's for %gs */
		0, 0, 0, 0,	/* base 0 */
		0xff, 0xff, 0x0f, 0,	/* limit 0xfffff */
		0x51, 0, 0, 0,	/* 32-bit, pages, useable */
	};

	user_at(&f, u_far64, 0);
	e = run(&f);
	CHECK(e.vector == AFB_EXC_GP,
	      "64-bit code's exit_group: vector %d (want #GP)", e.vector);

	memcpy(gpa(PA_DATA + (U_SYSCALL_PTR - U_DATA)), &ip, 8);
	memcpy(gpa(PA_DATA + (U_FORGE_DESC - U_DATA)), desc, 16);
	user_at(&f, u_forge_ldt, 0);
	e = run(&f);
	CHECK(e.vector == AFB_EXC_GP,
	      "forged modify_ldt: vector %d (want #GP)", e.vector);
	if (the_host.user_seccomp)
		CHECK(the_host.st.refused > refused,
		      "forged modify_ldt: not refused");
	/* %gs still has the guest's base */
	test_gs();
	/* and the stub is still there */
	test_int80();
}

static int run_mode(bool seccomp)
{
	const char *why;

	mode_name = seccomp ? (pae ? "--user=seccomp, PAE" : "--user=seccomp")
			    : (pae ? "--user=ptrace, PAE" : "--user=ptrace");
	if (seccomp && !ss_available(&why)) {
		printf("FAIL %s: not available here: needs %s\n", mode_name, why);
		return 1;
	}
	host_setup(seccomp);
	test_int80();
	test_gs();
	test_sysenter();
	test_faults();
	test_timer();
	test_hostile();
	printf("%s: %s (%lu stub events, %lu injected ops)\n", mode_name,
	       failures ? "FAIL" : "ok",
	       (unsigned long)(the_host.st.stub_stops + the_host.st.handoffs),
	       (unsigned long)the_host.st.injected_ops);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct util_program prog = {
		.name = "user32-test", .die_status = 1,
	};
	char err[256];
	int ret, status, fails = 0;
	unsigned int m;

	util__init(&prog);
	ret = compat_supported(err, sizeof(err));
	if (argc > 1 && !strcmp(argv[1], "--probe")) {
		if (ret)
			printf("user32-test: %s\n", err);
		return ret ? 3 : 0;
	}
	if (ret) {
		fprintf(stderr, "user32-test: %s\n", err);
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	/* each user mode, with 2-level and with PAE tables */
	for (m = 0; m < 4; m++) {
		const char *only = getenv("USER32_ONLY");
		pid_t pid;

		if (only && strcmp(only, m & 1 ? "seccomp" : "ptrace"))
			continue;
		pid = fork();
		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			pae = m >= 2;
			_exit(run_mode(m & 1));
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			printf("user32-test: %s%s failed (status 0x%x)\n",
			       m & 1 ? "--user=seccomp" : "--user=ptrace",
			       m >= 2 ? ", PAE" : "", status);
			fails++;
		}
	}
	return fails ? 1 : 0;
}
