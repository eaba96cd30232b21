// SPDX-License-Identifier: MIT
/*
 * The answers guest (answers.sh): does the KVM wedge answer exactly what
 * the real instruction answers?  From the VMM's 64-bit entry, with
 * interrupts off and no IDT, it runs every cpuid leaf and subleaf it can
 * enumerate, reads and writes the MSRs the wedge caches and the UART
 * registers it mirrors, each once through a site (answers-probe.c built
 * with afterburn-as: patched into the wedge) and once through the real
 * instruction (the same file built with plain as), and prints each
 * difference.  It powers off with status 0 if there was none, 1 if not.
 */
#include "answers.h"

#define COM1		0x3f8
#define COM1_IER	(COM1 + 1)
#define COM1_LCR	(COM1 + 3)
#define COM1_LSR	(COM1 + 5)
#define POWER_PORT	0xf4
#define MAX_SUBLEAF	64
#define MAX_REPORTS	20

asm(".text\n"
    ".globl entry64\n"
    "entry64:\n"
    "	andq $-16, %rsp\n"
    "	call guest_main\n"
    "1:	hlt\n"
    "	jmp 1b\n");

static unsigned long compared, differ;

static void putc_raw(char c)
{
	outb_raw(COM1, c);
}

static void puts_raw(const char *s)
{
	while (*s)
		putc_raw(*s++);
}

static void puthex(u64 v)
{
	char buf[19];
	int i = 18;

	buf[i] = '\0';
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	puts_raw(buf + i);
}

static void putdec(unsigned long v)
{
	char buf[21];
	int i = 20;

	buf[i] = '\0';
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	puts_raw(buf + i);
}

/* One comparison: counted, and printed when the two answers differ. */
static void report(const char *what, u64 key, u64 sub, u64 site, u64 real)
{
	compared++;
	if (site == real)
		return;
	if (differ++ >= MAX_REPORTS)
		return;
	puts_raw("answers: DIFFER ");
	puts_raw(what);
	puts_raw(" ");
	puthex(key);
	puts_raw(".");
	puthex(sub);
	puts_raw(": wedge ");
	puthex(site);
	puts_raw(", real ");
	puthex(real);
	puts_raw("\n");
}

static void compare_leaf(u32 leaf, u32 sub)
{
	struct cpuid_regs s, r;

	cpuid_site(leaf, sub, &s);
	cpuid_raw(leaf, sub, &r);
	report("cpuid eax", leaf, sub, s.a, r.a);
	report("cpuid ebx", leaf, sub, s.b, r.b);
	report("cpuid ecx", leaf, sub, s.c, r.c);
	report("cpuid edx", leaf, sub, s.d, r.d);
}

/* Every leaf of the range at @base with every subleaf up to 63 (and an
 * index of all ones, which leaves without subleaves must ignore), then a
 * few leaves past the range's maximum. */
static void compare_range(u32 base, u32 max)
{
	u32 leaf, sub;

	for (leaf = base; leaf <= max && leaf - base < 0x100; leaf++) {
		for (sub = 0; sub < MAX_SUBLEAF; sub++)
			compare_leaf(leaf, sub);
		compare_leaf(leaf, 0xffffffff);
	}
	compare_leaf(max + 1, 0);
	compare_leaf(max + 0x10, 0);
	compare_leaf(base + 0xffff, 0);
}

static void compare_cpuid(void)
{
	struct cpuid_regs r;
	unsigned long before = compared;

	cpuid_raw(0, 0, &r);
	compare_range(0, r.a);
	cpuid_raw(0x80000000, 0, &r);
	compare_range(0x80000000, r.a);
	cpuid_raw(0x40000000, 0, &r);
	if (r.a >= 0x40000000 && r.a < 0x40000100)
		compare_range(0x40000000, r.a);
	else
		compare_leaf(0x40000000, 0);
	puts_raw("answers: cpuid ");
	putdec((compared - before) / 4);
	puts_raw(" leaf/subleaf pairs compared\n");
}

/* The MSRs the wedge caches (EFER, STAR, LSTAR, CSTAR, SFMASK) and one it
 * does not: read, write a new value through the site, read, restore. */
static void compare_msrs(void)
{
	static const u32 msr[] = { 0xc0000080, 0xc0000081, 0xc0000082,
				   0xc0000083, 0xc0000084, 0xc0000102 };
	static const u64 flip[] = { 0x1, 0x0023001000000000, 0xfff,
				    0xff0, 0x4700, 0x1000 };
	unsigned long before = compared;
	unsigned int i;

	for (i = 0; i < sizeof(msr) / sizeof(msr[0]); i++) {
		u64 old = rdmsr_raw(msr[i]);

		report("rdmsr", msr[i], 0, rdmsr_site(msr[i]), old);
		wrmsr_site(msr[i], old ^ flip[i]);
		report("rdmsr after wrmsr", msr[i], 0, rdmsr_site(msr[i]),
		       rdmsr_raw(msr[i]));
		report("wrmsr", msr[i], 0, rdmsr_raw(msr[i]), old ^ flip[i]);
		wrmsr_site(msr[i], old);
		report("rdmsr restored", msr[i], 0, rdmsr_site(msr[i]), old);
	}
	puts_raw("answers: msr ");
	putdec(compared - before);
	puts_raw(" reads compared\n");
}

static void compare_port(const char *what, u16 port)
{
	report(what, port, 0, inb_site(port), inb_raw(port));
}

/* IER and LSR (mirrored by the wedge) and LCR, written through sites and
 * through the real instruction behind the wedge's back. */
static void compare_uart(void)
{
	static const u8 ier[] = { 0x00, 0x01, 0x0f, 0xf5, 0x05, 0x00 };
	unsigned long before = compared;
	unsigned int i;

	for (i = 0; i < sizeof(ier); i++) {
		outb_site(COM1_IER, ier[i]);
		compare_port("ier", COM1_IER);
	}
	outb_site(COM1_IER, 0x05);
	outb_raw(COM1_IER, 0x00);		/* the mirror's value changes */
	compare_port("ier after a real out", COM1_IER);
	outb_site(COM1_IER, 0x05);		/* not the mirror's any more */
	compare_port("ier written again", COM1_IER);
	outb_site(COM1_IER, 0x00);
	outb_site(COM1_LCR, 0x83);		/* DLAB: IER's port is DLM */
	compare_port("dlm", COM1_IER);
	compare_port("lcr", COM1_LCR);
	outb_raw(COM1_LCR, 0x03);
	compare_port("lcr after a real out", COM1_LCR);
	compare_port("ier after dlab", COM1_IER);
	for (i = 0; i < 3; i++) {
		outb_site(COM1, "ok\n"[i]);	/* buffered by the wedge */
		compare_port("lsr", COM1_LSR);
	}
	puts_raw("answers: uart ");
	putdec(compared - before);
	puts_raw(" reads compared\n");
}

/* The CMOS clock, as Linux reads it at boot: the VMM answers from the
 * host's clock, a path that must work under its seccomp allow-list. */
static void read_rtc(void)
{
	outb_raw(0x70, 0x00);			/* seconds */
	(void)inb_raw(0x71);
	puts_raw("answers: rtc read\n");
}

void guest_main(void)
{
	puts_raw("answers: the wedge's answers against the real instructions\n");
	compare_cpuid();
	compare_msrs();
	compare_uart();
	read_rtc();
	puts_raw("answers: ");
	putdec(compared);
	puts_raw(" compared, ");
	putdec(differ);
	puts_raw(" differ\n");
	outb_raw(POWER_PORT, differ ? 1 : 0);
}
