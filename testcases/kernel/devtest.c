// Optional checks of a host's devices, each one asked for on the kernel
// command line or by the boot information, so that a boot without them
// (every other test) runs as before:
//
//  - a PVH module (a host's -initrd/--initrd): its address, size and
//    POSIX cksum CRC printed at boot, which a test compares with
//    cksum(1) of the file:
//      kernel: module 0 at 0x<paddr> size <n> cksum <crc>
//  - "readline" or "readline=SECS": read one line from the console,
//    interrupt driven (IER's data-ready interrupt on IRQ 4; the handler
//    reads IIR, then RBR while LSR reports data), waiting in hlt for at
//    most SECS seconds (default 10):
//      kernel: readline: "<line>" (<n> bytes, <i> interrupts, <r> with IIR rx)
//      kernel: readline: no line within <SECS> s (<n> bytes, <i> interrupts, ...)
//  - "txirq": enable the UART's THR-empty interrupt; at each IRQ 4 whose
//    IIR says so the handler sends one digit (its count), which empties
//    the THR again, until 3 (then it disables the interrupt, as a driver
//    does with nothing left to send); waiting at most 2 s:
//      kernel: txirq: 123 (3 interrupts with IIR THR empty)
//  - "noinit": power off (status 0) after these, without user mode;
//  - "shutdown=pci|kbd|halt|triple": how machine_poweroff() stops the
//    machine instead of the debug-exit port: the reset control register
//    (0xcf9, Linux's reboot=pci), the keyboard controller's reset pulse
//    (0xfe to port 0x64), hlt with interrupts off (Linux's halt), or a
//    triple fault (an empty IDT, then int3).

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "param.h"
#include "pvh.h"
#include "x86.h"

#define COM1      0x3f8
#define UART_RBR  0
#define UART_THR  0
#define UART_IER  1
#define UART_IIR  2
#define UART_LSR  5
#define IER_RDI   0x01
#define IER_THRI  0x02
#define IIR_ID    0x06           // the interrupt's identity (but timeout)
#define IIR_THRI  0x02
#define IIR_RDI   0x04           // data ready, or (0x0c) a FIFO timeout
#define LSR_DR    0x01
#define PIC1_DATA 0x21
#define LINE_MAX  128

struct hvm_modlist_entry {
	u64 paddr;
	u64 size;
	u64 cmdline_paddr;
	u64 reserved;
};

// The value of word `name` (name or name=value) on the command line:
// "" for the bare word, NULL if absent.
static const char *cmdline_word(const char *name)
{
	size_t n = strlen(name);
	for (const char *w = cmdline; *w;) {
		if (strncmp(w, name, n) == 0 && (w[n] == ' ' || w[n] == '\0'))
			return "";
		if (strncmp(w, name, n) == 0 && w[n] == '=')
			return w + n + 1;
		while (*w && *w != ' ')
			w++;
		while (*w == ' ')
			w++;
	}
	return NULL;
}

static int word_is(const char *v, const char *what)
{
	size_t n = strlen(what);
	return v && strncmp(v, what, n) == 0 && (v[n] == ' ' || v[n] == '\0');
}

// ---- The module ------------------------------------------------------

static u32 crc_byte(u32 crc, u8 b)
{
	crc ^= (u32)b << 24;
	for (int k = 0; k < 8; k++)
		crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	return crc;
}

// POSIX cksum: the CRC of the bytes, then of the length's bytes.
static u32 cksum(const u8 *p, u64 n)
{
	u32 crc = 0;
	for (u64 i = 0; i < n; i++)
		crc = crc_byte(crc, p[i]);
	for (u64 len = n; len; len >>= 8)
		crc = crc_byte(crc, (u8)len);
	return ~crc;
}

// Called with the start info, before the page allocator may reuse the
// module's pages.
void devtest_modules(const struct hvm_start_info *si)
{
	if (!si->nr_modules || !si->modlist_paddr)
		return;
	if (si->modlist_paddr + sizeof(struct hvm_modlist_entry) > DIRECTMAP_SIZE) {
		kprintf("kernel: module list at 0x%llx is not mapped\n",
			(unsigned long long)si->modlist_paddr);
		return;
	}
	const struct hvm_modlist_entry *m = P2V((uintptr)si->modlist_paddr);
	if (m->paddr >= DIRECTMAP_SIZE || m->size > DIRECTMAP_SIZE - m->paddr) {
		kprintf("kernel: module 0 at 0x%llx size %llu is not mapped\n",
			(unsigned long long)m->paddr, (unsigned long long)m->size);
		return;
	}
	kprintf("kernel: module 0 at 0x%llx size %llu cksum %u\n",
		(unsigned long long)m->paddr, (unsigned long long)m->size,
		cksum(P2V((uintptr)m->paddr), m->size));
}

// ---- A line from the console -------------------------------------------

static char line[LINE_MAX];
static volatile int line_len, line_done, rx_irqs, rx_iir, tx_iir;
static u8 ier;

// IRQ 4, from trap().
void devtest_uart_intr(void)
{
	u8 iir = inb(COM1 + UART_IIR) & IIR_ID;
	rx_irqs++;
	if (iir == IIR_RDI)
		rx_iir++;
	if (iir == IIR_THRI && (ier & IER_THRI)) {
		outb(COM1 + UART_THR, (u8)('0' + ++tx_iir));
		if (tx_iir >= 3) {
			ier &= (u8)~IER_THRI;
			outb(COM1 + UART_IER, ier);
		}
	}
	while (inb(COM1 + UART_LSR) & LSR_DR) {
		char c = (char)inb(COM1 + UART_RBR);
		if (line_done)
			continue;
		if (c == '\n' || c == '\r')
			line_done = 1;
		else if (line_len < LINE_MAX - 1)
			line[line_len++] = c;
	}
}

static long parse_secs(const char *v)
{
	long s = 0;
	while (v && *v >= '0' && *v <= '9')
		s = s * 10 + (*v++ - '0');
	return s > 0 ? s : 10;
}

static void readline(const char *arg)
{
	long secs = parse_secs(arg);
	u8 mask = inb(PIC1_DATA);

	kprintf("kernel: readline: waiting for a line (at most %ld s)\n", secs);
	rx_irqs = 0;
	ier = IER_RDI;
	outb(COM1 + UART_IER, ier);
	outb(PIC1_DATA, mask & (u8)~(1 << IRQ_COM1));
	uintptr start = ticks;
	while (!line_done && ticks - start < (uintptr)(secs * HZ)) {
		sti_hlt();             // a tick or the UART wakes it
		cli();
	}
	outb(PIC1_DATA, mask);
	ier = 0;
	outb(COM1 + UART_IER, ier);
	line[line_len] = '\0';
	if (line_done)
		kprintf("kernel: readline: \"%s\" (%d bytes, %d interrupts, %d with IIR rx)\n",
			line, line_len, rx_irqs, rx_iir);
	else
		kprintf("kernel: readline: no line within %ld s (%d bytes, %d interrupts, "
			"%d with IIR rx)\n", secs, line_len, rx_irqs, rx_iir);
}

static void txirq(void)
{
	u8 mask = inb(PIC1_DATA);

	kprintf("kernel: txirq: ");
	outb(PIC1_DATA, mask & (u8)~(1 << IRQ_COM1));
	ier = IER_THRI;
	outb(COM1 + UART_IER, ier);
	uintptr start = ticks;
	while (tx_iir < 3 && ticks - start < (uintptr)(2 * HZ)) {
		sti_hlt();
		cli();
	}
	ier = 0;
	outb(COM1 + UART_IER, ier);
	outb(PIC1_DATA, mask);
	kprintf(" (%d interrupts with IIR THR empty)\n", tx_iir);
}

// After the timer runs, before init: interrupts off.
void devtest_run(void)
{
	const char *v = cmdline_word("readline");
	if (v)
		readline(v);
	if (cmdline_word("txirq"))
		txirq();
	if (cmdline_word("noinit"))
		machine_poweroff(0);
}

// ---- Other ways to stop -------------------------------------------------

void devtest_shutdown(void)
{
	const char *how = cmdline_word("shutdown");
	if (!how)
		return;
	if (word_is(how, "pci")) {
		outb(0xcf9, 0x02);     // as Linux: SYS_RST first, then RST_CPU
		outb(0xcf9, 0x06);
	} else if (word_is(how, "kbd")) {
		outb(0x64, 0xfe);
	} else if (word_is(how, "halt")) {
		for (;;) {
			cli();
			hlt();
		}
	} else if (word_is(how, "triple")) {
		cli();
		lidt(0, 1);            // limit 0: no gate at all
		asm volatile("int3");
	}
	kprintf("kernel: shutdown=%s: still running\n", how);
}
