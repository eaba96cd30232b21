// SPDX-License-Identifier: MIT
/*
 * The devices of doc/guest-contract.md, by port I/O:
 *
 *  - an 8250/16550 UART at 0x3f8 (COM1) on IRQ 4: THR writes go to
 *    stdout (buffered up to a line); received bytes come from standard
 *    input (console.c fills the ring at every timer tick) through RBR and
 *    LSR's data-ready bit.  Interrupts: "data ready" while bytes wait and
 *    IER enables it (raised when they arrive, when IER enables it, and
 *    again at every tick while it lasts: a level); "THR empty" from its
 *    enable or a THR write (the transmitter is always idle at once) until
 *    an IIR read reports it, as a 16550 does.  In loopback (MCR bit 4)
 *    THR writes go nowhere and MSR mirrors MCR's outputs.  The other
 *    registers are stored and read back;
 *  - the two 8259A PICs at 0x20/0x21 and 0xa0/0xa1: the ICW sequence
 *    (the vector base is what matters), the mask (OCW1), EOI and the
 *    OCW3 register select;
 *  - the 8254 PIT channel 0 at 0x40/0x43: the divisor the guest programs
 *    becomes a host POSIX timer (SIGALRM) at that rate; its ticks raise
 *    IRQ0 through the PIC model;
 *  - QEMU's isa-debug-exit at 0xf4: the byte written is the guest's
 *    power-off status, and the host exits with it;
 *  - reset: the reset control register at 0xcf9 (Linux's reboot=pci: a
 *    write with RST_CPU set) and the keyboard controller's pulse of the
 *    reset line (0xfe to port 0x64): the host exits with
 *    EXIT_GUEST_RESET (0), as afterburn-kvm and QEMU -no-reboot do.
 *
 * Everything else reads as all ones (0xcf9: zero, as in afterburn-kvm)
 * and ignores writes.  Port 0x64 reading all ones tells Linux's i8042
 * driver that there is no keyboard controller, at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ptrace.h"

#define COM1		0x3f8
#define COM1_IRQ	4
#define IER_RDI		0x01
#define IER_THRI	0x02
#define IIR_NO_INT	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_FIFO	0xc0
#define FCR_FIFO_EN	0x01
#define FCR_CLEAR_RX	0x02
#define LCR_DLAB	0x80
#define LSR_DR		0x01
#define MCR_LOOP	0x10
#define LSR_THRE_TEMT	0x60
#define PIT_HZ		1193182ULL
#define POWEROFF_PORT	0xf4
#define KBC_CMD_PORT	0x64
#define KBC_PULSE_RESET	0xfe
#define RESET_PORT	0xcf9
#define RESET_CPU	0x04

/* ---- UART ------------------------------------------------------------- */

void uart__flush(struct uart *u)
{
	size_t off = 0;

	while (off < u->len) {
		ssize_t n = write(1, u->buf + off, u->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	u->len = 0;
}

static void uart_putc(struct uart *u, char c)
{
	u->buf[u->len++] = c;
	if (c == '\n') {
		size_t len = u->len;

		uart__flush(u);
		host_stats_line(u->buf, len);	/* --stats: per benchmark */
	} else if (u->len == sizeof(u->buf)) {
		uart__flush(u);
	}
}

/* The ring's producer is a signal handler of this thread: the acquire
   keeps the byte's read after the index's. */
static bool rx_ready(const struct uart *u)
{
	return __atomic_load_n(&u->rx_tail, __ATOMIC_ACQUIRE) != u->rx_head;
}

/* Raise IRQ 4 through the master PIC, if it lets it through. */
static void uart_raise(struct host *h)
{
	const struct pic *m = &h->pic[0];

	if (m->icw || !m->base || (m->imr & (1 << COM1_IRQ)))
		return;
	afb_vcpu_raise_irq(h->vcpu, (uint8_t)(m->base + COM1_IRQ));
}

/*
 * Raise IRQ 4 if an interrupt condition holds: bytes received with IER's
 * "data ready" on, or an unreported "THR empty".  From the SIGALRM
 * handler too (console__poll): it only reads the UART's state.
 */
void uart__update_irq(struct host *h)
{
	const struct uart *u = &h->uart;

	if (((u->ier & IER_RDI) && rx_ready(u)) ||
	    ((u->ier & IER_THRI) && u->thri))
		uart_raise(h);
}

static uint8_t uart_rbr(struct uart *u)
{
	uint8_t c;

	if (!rx_ready(u))
		return 0;
	c = u->rx[u->rx_head % UART_RX_SIZE];
	__atomic_store_n(&u->rx_head, u->rx_head + 1, __ATOMIC_RELEASE);
	return c;
}

static uint8_t uart_iir(struct uart *u)
{
	uint8_t fifo = u->fcr & FCR_FIFO_EN ? IIR_FIFO : 0;

	if ((u->ier & IER_RDI) && rx_ready(u))
		return IIR_RDI | fifo;		/* until RBR is read empty */
	if (!(u->ier & IER_THRI) || !u->thri)
		return IIR_NO_INT | fifo;
	u->thri = false;		/* reported: until the next THR write */
	return IIR_THRI | fifo;
}

/* MSR: DCD, DSR and CTS; in loopback, OUT2, OUT1, DTR and RTS instead. */
static uint8_t uart_msr(const struct uart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return 0xb0;
	return (uint8_t)((u->mcr & 0x08 ? 0x80 : 0) | (u->mcr & 0x04 ? 0x40 : 0) |
			 (u->mcr & 0x01 ? 0x20 : 0) | (u->mcr & 0x02 ? 0x10 : 0));
}

static uint32_t uart_in(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case 0: return dlab ? u->dll : uart_rbr(u);
	case 1: return dlab ? u->dlm : u->ier;
	case 2: return uart_iir(u);
	case 3: return u->lcr;
	case 4: return u->mcr;
	case 5: return LSR_THRE_TEMT | (rx_ready(u) ? LSR_DR : 0);
	case 6: return uart_msr(u);
	default: return u->scr;
	}
}

static void uart_out(struct host *h, unsigned int reg, uint8_t val)
{
	struct uart *u = &h->uart;
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case 0:
		if (dlab) {
			u->dll = val;
			break;
		}
		if (!(u->mcr & MCR_LOOP))	/* loopback: nowhere */
			uart_putc(u, (char)val);
		u->thri = true;
		break;
	case 1:
		if (dlab) {
			u->dlm = val;
			break;
		}
		if ((val & IER_THRI) && !(u->ier & IER_THRI))
			u->thri = true;	/* enabled while THR is empty */
		u->ier = val & 0x0f;
		break;
	case 2:
		u->fcr = val;
		if (val & FCR_CLEAR_RX)
			__atomic_store_n(&u->rx_head,
					 __atomic_load_n(&u->rx_tail, __ATOMIC_ACQUIRE),
					 __ATOMIC_RELEASE);
		break;
	case 3: u->lcr = val; break;
	case 4: u->mcr = val; break;
	case 7: u->scr = val; break;
	}
	uart__update_irq(h);
}

/* ---- PIC -------------------------------------------------------------- */

static uint32_t pic_in(struct pic *p, bool data)
{
	if (data)
		return p->imr;
	return p->read_isr ? p->isr : 0;	/* IRR: edges are never latched */
}

static void pic_out(struct pic *p, bool data, uint8_t val)
{
	if (!data) {
		if (val & 0x10) {			/* ICW1 */
			p->icw = 2;
			p->icw4 = val & 1;
			p->imr = 0;
			p->isr = 0;
			p->read_isr = false;
		} else if ((val & 0x18) == 0x08) {	/* OCW3 */
			if (val & 2)
				p->read_isr = val & 1;
		} else if (val & 0x20) {		/* OCW2: EOI */
			p->isr &= (uint8_t)(p->isr - 1);	/* highest priority */
		}
		return;
	}
	switch (p->icw) {
	case 2:
		p->base = val & 0xf8;
		p->icw = 3;			/* cascade mode: ICW3 follows */
		break;
	case 3:
		p->icw = p->icw4 ? 4 : 0;
		break;
	case 4:
		p->icw = 0;
		break;
	default:
		p->imr = val;			/* OCW1 */
	}
}

/* ---- PIT -------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int pit_start(struct pit *t)
{
	uint64_t div = t->divisor ? t->divisor : 0x10000;
	uint64_t period = div * 1000000000ULL / PIT_HZ;
	struct itimerspec its;
	struct sigevent sev;

	if (!t->timer_made) {
		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_SIGNAL;
		sev.sigev_signo = SIGALRM;
		if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer) < 0)
			return -errno;
		t->timer_made = true;
	}
	its.it_interval.tv_sec = (time_t)(period / 1000000000ULL);
	its.it_interval.tv_nsec = (long)(period % 1000000000ULL);
	its.it_value = its.it_interval;
	if (timer_settime(t->timer, 0, &its, NULL) < 0)
		return -errno;
	t->running = true;
	t->start_ns = now_ns();
	return 0;
}

static uint32_t pit_in(struct pit *t)
{
	uint64_t div = t->divisor ? t->divisor : 0x10000;
	uint64_t ticks = (now_ns() - t->start_ns) * PIT_HZ / 1000000000ULL;
	uint32_t count = (uint32_t)(div - ticks % div);

	t->hi_next = !t->hi_next;
	return t->hi_next ? (count & 0xff) : (count >> 8) & 0xff;
}

static int pit_out(struct pit *t, uint16_t port, uint8_t val)
{
	if (port == 0x43) {
		if ((val >> 6) != 0)		/* channels 1, 2, read-back */
			return 0;
		if (((val >> 4) & 3) == 0)	/* counter latch */
			return 0;
		t->access = (val >> 4) & 3;
		t->mode = (val >> 1) & 7;
		t->hi_next = false;
		return 0;
	}
	if (port != 0x40)
		return 0;
	switch (t->access) {
	case 1:
		t->divisor = val;
		return pit_start(t);
	case 2:
		t->divisor = (uint16_t)(val << 8);
		return pit_start(t);
	default:
		if (!t->hi_next) {
			t->divisor = (t->divisor & 0xff00) | val;
			t->hi_next = true;
			return 0;
		}
		t->divisor = (uint16_t)((t->divisor & 0xff) | (val << 8));
		t->hi_next = false;
		return pit_start(t);
	}
}

/*
 * From the SIGALRM handler: IRQ0, if the master PIC lets it through;
 * standard input into the UART (and IRQ 4 while it has bytes).
 */
void devices__timer_tick(struct host *h)
{
	struct pic *m = &h->pic[0];

	console__poll(h);
	uart__update_irq(h);
	if (m->icw || !m->base || (m->imr & 1))
		return;
	afb_vcpu_raise_irq(h->vcpu, m->base);
}

/* ---- Dispatch --------------------------------------------------------- */

int devices__in(struct host *h, uint16_t port, unsigned int size,
		uint32_t *val)
{
	uint32_t v = 0xffffffff;

	if (port >= COM1 && port < COM1 + 8)
		v = uart_in(&h->uart, port - COM1);
	else if (port == 0x20 || port == 0x21)
		v = pic_in(&h->pic[0], port & 1);
	else if (port == 0xa0 || port == 0xa1)
		v = pic_in(&h->pic[1], port & 1);
	else if (port == 0x40)
		v = pit_in(&h->pit);
	else if (port == RESET_PORT)
		v = 0;
	if (size < 4)
		v &= (1u << (8 * size)) - 1;
	*val = v;
	return 0;
}

int devices__out(struct host *h, uint16_t port, unsigned int size,
		 uint32_t val)
{
	(void)size;
	if (port >= COM1 && port < COM1 + 8)
		uart_out(h, port - COM1, (uint8_t)val);
	else if (port == 0x20 || port == 0x21)
		pic_out(&h->pic[0], port & 1, (uint8_t)val);
	else if (port == 0xa0 || port == 0xa1)
		pic_out(&h->pic[1], port & 1, (uint8_t)val);
	else if (port == 0x40 || port == 0x43)
		return pit_out(&h->pit, port, (uint8_t)val);
	else if (port == POWEROFF_PORT)
		host_exit(val & 0xff);
	else if (port == RESET_PORT && (val & RESET_CPU))
		devices__reset(h, "the reset control register (port 0xcf9)");
	else if (port == KBC_CMD_PORT && (val & 0xff) == KBC_PULSE_RESET)
		devices__reset(h, "the keyboard controller (port 0x64)");
	return 0;
}

/* The guest reset the machine: the host never reboots one, it exits. */
void devices__reset(struct host *h, const char *how)
{
	uart__flush(&h->uart);
	if (h->verbose)
		fprintf(stderr, "afterburn-ptrace: the guest reset the machine "
			"through %s: exiting with status %d\n", how,
			EXIT_GUEST_RESET);
	host_exit(EXIT_GUEST_RESET);
}
