// SPDX-License-Identifier: MIT
/*
 * The devices of doc/guest-contract.md, by port I/O:
 *
 *  - an 8250/16550 UART at 0x3f8 (COM1): THR writes go to stdout
 *    (buffered up to a line), LSR always reads "transmitter empty";
 *    the other registers are stored and read back;
 *  - the two 8259A PICs at 0x20/0x21 and 0xa0/0xa1: the ICW sequence
 *    (the vector base is what matters), the mask (OCW1), EOI and the
 *    OCW3 register select;
 *  - the 8254 PIT channel 0 at 0x40/0x43: the divisor the guest programs
 *    becomes a host POSIX timer (SIGALRM) at that rate; its ticks raise
 *    IRQ0 through the PIC model;
 *  - QEMU's isa-debug-exit at 0xf4: the byte written is the guest's
 *    power-off status, and the host exits with it.
 *
 * Everything else reads as all ones and ignores writes.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ptrace.h"

#define COM1		0x3f8
#define LCR_DLAB	0x80
#define LSR_THRE_TEMT	0x60
#define PIT_HZ		1193182ULL
#define POWEROFF_PORT	0xf4

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

static uint32_t uart_in(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case 0: return dlab ? u->dll : 0;	/* RBR: nothing received */
	case 1: return dlab ? u->dlm : u->ier;
	case 2: return 0x01 | (u->fcr & 1 ? 0xc0 : 0);	/* IIR: none pending */
	case 3: return u->lcr;
	case 4: return u->mcr;
	case 5: return LSR_THRE_TEMT;
	case 6: return 0xb0;			/* MSR: DCD, DSR, CTS */
	default: return u->scr;
	}
}

static void uart_out(struct uart *u, unsigned int reg, uint8_t val)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case 0:
		if (dlab)
			u->dll = val;
		else
			uart_putc(u, (char)val);
		break;
	case 1:
		if (dlab)
			u->dlm = val;
		else
			u->ier = val & 0x0f;
		break;
	case 2: u->fcr = val; break;
	case 3: u->lcr = val; break;
	case 4: u->mcr = val; break;
	case 7: u->scr = val; break;
	}
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

/* From the SIGALRM handler: IRQ0, if the master PIC lets it through. */
void devices__timer_tick(struct host *h)
{
	struct pic *m = &h->pic[0];

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
		uart_out(&h->uart, port - COM1, (uint8_t)val);
	else if (port == 0x20 || port == 0x21)
		pic_out(&h->pic[0], port & 1, (uint8_t)val);
	else if (port == 0xa0 || port == 0xa1)
		pic_out(&h->pic[1], port & 1, (uint8_t)val);
	else if (port == 0x40 || port == 0x43)
		return pit_out(&h->pit, port, (uint8_t)val);
	else if (port == POWEROFF_PORT)
		host_exit(val & 0xff);
	return 0;
}
