// SPDX-License-Identifier: MIT
/*
 * An 8250/16550 UART at COM1 (0x3f8-0x3ff) on standard input and output.
 *
 * Transmit: what the guest writes to THR goes to standard output, a line
 * at a time or at the end of each exit's work (the run loop flushes); the
 * transmitter is always ready (LSR THRE|TEMT).  Receive: when standard
 * input is a terminal (put in raw mode, Ctrl-C still ends the VMM), a
 * pipe or a socket, its bytes fill a receive FIFO (LSR DR, RBR).  SIGIO
 * interrupts KVM_RUN when input arrives, and the run loop polls after
 * every exit.
 *
 * Interrupts on IRQ 4 (edge, through the in-kernel PIC/IOAPIC): "data
 * ready" while the FIFO holds bytes and IER enables it; "THR empty"
 * while IER enables it, from the enable or a THR write until an IIR read
 * reports it.  Since the transmitter is idle again at once, that read
 * re-arms it with a new edge: the guest's handler gets another interrupt
 * after its EOI, for the bytes it wrote meanwhile (perhaps into the
 * wedge's buffer, unseen here), until it disables the interrupt.  The
 * other registers keep what the guest writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "kvm.h"

#define COM1		0x3f8
#define UART_THR	0	/* DLAB=0, out */
#define UART_IER	1	/* DLAB=0 */
#define UART_IIR	2	/* in; FCR out */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define COM1_IRQ	4

#define IER_RDI		0x01
#define IER_THRI	0x02
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define LSR_DR		0x01
#define LCR_DLAB	0x80
#define LSR_THRE	0x20
#define LSR_TEMT	0x40
#define IIR_NO_INT	0x01
#define IIR_FIFO	0xc0
#define FCR_FIFO_EN	0x01
#define FCR_CLEAR_RX	0x02
#define MCR_LOOP	0x10
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_DCD		0x80

static struct serial8250 {
	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	bool thri;		/* THR-empty interrupt pending */
	bool line;		/* level of IRQ 4 */
	uint8_t out[4096];
	size_t len;
	uint8_t rx[256];	/* receive FIFO */
	unsigned int rx_head, rx_len;
	bool rx_on;		/* standard input feeds it */
	bool async;		/* ... with O_ASYNC|O_NONBLOCK set by us */
	bool raw;		/* ... from a terminal in raw mode */
	struct termios saved_tio;
	int saved_flags;
} com1;

void serial8250__flush(void)
{
	size_t done = 0;

	while (done < com1.len) {
		ssize_t n = write(STDOUT_FILENO, com1.out + done, com1.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* stdout gone: drop the output, keep running */
		done += n;
	}
	com1.len = 0;
}

void serial8250__write(struct kvm *kvm, const uint8_t *buf, size_t len)
{
	size_t i;

	kvm->stats.console_bytes += len;
	for (i = 0; i < len; i++) {
		com1.out[com1.len++] = buf[i];
		if (buf[i] == '\n' || com1.len == sizeof(com1.out))
			serial8250__flush();
	}
}

static void serial_update_irq(struct kvm *kvm)
{
	bool level = ((com1.ier & IER_THRI) && com1.thri) ||
		     ((com1.ier & IER_RDI) && com1.rx_len);

	if (level != com1.line) {
		com1.line = level;
		kvm__irq_line(kvm, COM1_IRQ, level);
	}
}

static uint8_t serial_iir(struct kvm *kvm)
{
	uint8_t fifo = com1.fcr & FCR_FIFO_EN ? IIR_FIFO : 0;

	if ((com1.ier & IER_RDI) && com1.rx_len)
		return IIR_RDI | fifo;		/* until RBR is read empty */
	if (!(com1.ier & IER_THRI) || !com1.thri)
		return IIR_NO_INT | fifo;
	com1.thri = false;		/* reported: the edge ends */
	serial_update_irq(kvm);
	com1.thri = true;		/* and the idle THR raises another */
	serial_update_irq(kvm);
	return IIR_THRI | fifo;
}

uint8_t serial8250__lsr(void)
{
	return LSR_THRE | LSR_TEMT | (com1.rx_len ? LSR_DR : 0);
}

/* IER and LCR as the guest reads them, for the wedge's mirror. */
uint8_t serial8250__ier(void)
{
	return com1.ier;
}

uint8_t serial8250__lcr(void)
{
	return com1.lcr;
}

static uint8_t serial_rbr(void)
{
	uint8_t c;

	if (!com1.rx_len)
		return 0;
	c = com1.rx[com1.rx_head];
	com1.rx_head = (com1.rx_head + 1) % sizeof(com1.rx);
	com1.rx_len--;
	return c;
}

/* Move what standard input has into the receive FIFO, without blocking. */
void serial8250__poll(struct kvm *kvm)
{
	uint8_t buf[sizeof(com1.rx)];
	unsigned int room, i;
	ssize_t n;

	if (!com1.rx_on)
		return;
	room = sizeof(com1.rx) - com1.rx_len;
	if (!room)
		return;
	n = read(STDIN_FILENO, buf, room);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		com1.rx_on = false;		/* end of input */
	for (i = 0; n > 0 && i < (unsigned int)n; i++)
		com1.rx[(com1.rx_head + com1.rx_len++) % sizeof(com1.rx)] = buf[i];
	serial_update_irq(kvm);
}

static void serial_restore(void)
{
	if (com1.raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &com1.saved_tio);
	if (com1.async)
		fcntl(STDIN_FILENO, F_SETFL, com1.saved_flags);
}

static void on_sigio(int sig)
{
	(void)sig;	/* only to interrupt KVM_RUN */
}

/*
 * A pipe, a socket or (in the foreground: a background reader would be
 * stopped) a terminal on standard input: the receiver's.
 */
static void serial_rx_init(void)
{
	struct sigaction sa = { .sa_handler = on_sigio };
	bool tty = isatty(STDIN_FILENO);
	struct termios tio;
	struct stat st;

	if (fstat(STDIN_FILENO, &st) < 0)
		return;
	if (tty ? tcgetpgrp(STDIN_FILENO) != getpgrp() :
	    !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode))
		return;
	com1.saved_flags = fcntl(STDIN_FILENO, F_GETFL);
	if (com1.saved_flags < 0)
		return;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGIO, &sa, NULL);
	atexit(serial_restore);
	if (fcntl(STDIN_FILENO, F_SETOWN, getpid()) < 0 ||
	    fcntl(STDIN_FILENO, F_SETFL, com1.saved_flags | O_NONBLOCK | O_ASYNC) < 0)
		return;
	com1.async = com1.rx_on = true;
	if (tty && tcgetattr(STDIN_FILENO, &com1.saved_tio) == 0) {
		tio = com1.saved_tio;
		cfmakeraw(&tio);
		tio.c_lflag |= ISIG;		/* Ctrl-C still ends the VMM */
		tio.c_oflag |= OPOST | ONLCR;
		com1.raw = tcsetattr(STDIN_FILENO, TCSANOW, &tio) == 0;
	}
}

static uint8_t serial_in(struct kvm *kvm, unsigned int reg)
{
	switch (reg) {
	case UART_THR:
		return com1.lcr & LCR_DLAB ? com1.dll : serial_rbr();
	case UART_IER:
		return com1.lcr & LCR_DLAB ? com1.dlm : com1.ier;
	case UART_IIR:
		return serial_iir(kvm);
	case UART_LCR:
		return com1.lcr;
	case UART_MCR:
		return com1.mcr;
	case UART_LSR:
		return serial8250__lsr();
	case UART_MSR:
		return com1.mcr & MCR_LOOP ? 0 : MSR_CTS | MSR_DSR | MSR_DCD;
	default:
		return com1.scr;
	}
}

static void serial_out(struct kvm *kvm, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case UART_THR:
		if (com1.lcr & LCR_DLAB)
			com1.dll = v;
		else if (!(com1.mcr & MCR_LOOP))
			serial8250__write(kvm, &v, 1);
		com1.thri = true;
		break;
	case UART_IER:
		if (com1.lcr & LCR_DLAB) {
			com1.dlm = v;
			break;
		}
		if ((v & IER_THRI) && !(com1.ier & IER_THRI))
			com1.thri = true;	/* enabled while THR is empty */
		com1.ier = v & 0x0f;
		break;
	case UART_IIR:
		com1.fcr = v;
		if (v & FCR_CLEAR_RX)
			com1.rx_len = 0;
		break;
	case UART_LCR:
		com1.lcr = v;
		break;
	case UART_MCR:
		com1.mcr = v & 0x1f;
		break;
	case UART_SCR:
		com1.scr = v;
		break;
	default:	/* LSR, MSR: read-only */
		break;
	}
}

/* Byte-wide registers; a wider access touches only the first. */
static void serial_io(struct kvm *kvm, uint16_t port, uint8_t *data,
		      unsigned int size, bool out, void *ptr)
{
	(void)ptr;
	if (out) {
		serial_out(kvm, port - COM1, data[0]);
	} else {
		memset(data, 0, size);
		data[0] = serial_in(kvm, port - COM1);
	}
	serial_update_irq(kvm);
}

static int serial8250__init(struct kvm *kvm)
{
	(void)kvm;
	serial_rx_init();
	return kvm__register_pio(COM1, 8, serial_io, &com1);
}
dev_init(serial8250__init);
