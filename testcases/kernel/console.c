// The console: a polled 8250 UART on COM1, and kprintf/panic on top.
//
// Polled, not interrupt driven: transmit waits for the Line Status
// Register to report an empty holding register, then writes one byte.
// That is two port accesses per byte, the pattern a host's wedge batches.

#include "types.h"
#include "defs.h"
#include "x86.h"
#include <stdarg.h>

#define COM1      0x3f8
#define UART_THR  0           // transmit holding register (DLAB = 0)
#define UART_DLL  0           // divisor latch, low byte (DLAB = 1)
#define UART_IER  1           // interrupt enable (DLAB = 0)
#define UART_DLM  1           // divisor latch, high byte (DLAB = 1)
#define UART_FCR  2           // FIFO control
#define UART_LCR  3           // line control
#define UART_MCR  4           // modem control
#define UART_LSR  5           // line status
#define LSR_THRE  0x20        // transmit holding register empty
#define LCR_DLAB  0x80

// Program 115200 baud, 8N1, FIFOs on, no interrupts.
void uart_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, 0x03);
	outb(COM1 + UART_FCR, 0x07);
	outb(COM1 + UART_MCR, 0x03);
}

// Wait (boundedly: a missing UART must not hang the kernel) until the
// transmitter can take a byte, then send it.
static void uart_putc(int c)
{
	for (int i = 0; i < 100000; i++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
	outb(COM1 + UART_THR, (u8)c);
}

void console_putc(int c)
{
	if (c == '\n')
		uart_putc('\r');
	uart_putc(c);
}

void console_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		console_putc(s[i]);
}

static void print_number(u64 x, int base, int neg, int width, char pad)
{
	static const char digits[] = "0123456789abcdef";
	char buf[24];
	int i = 0;

	do {
		buf[i++] = digits[x % base];
		x /= base;
	} while (x != 0);
	if (neg)
		buf[i++] = '-';
	while (i < width && i < (int)sizeof(buf))
		buf[i++] = pad;
	while (--i >= 0)
		console_putc(buf[i]);
}

// The next unsigned argument: unsigned int, unsigned long (l) or
// unsigned long long (ll); long is 32 bits on i386 and 64 on x86-64.
#define ARG_UNSIGNED(ap, nlong) ((nlong) > 1 ? va_arg(ap, unsigned long long) : \
				 (nlong) ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int))

// Formats %d %u %x %p %s %c %% with an optional 0 flag, width, l and ll.
void kvprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			console_putc(*fmt);
			continue;
		}
		char pad = ' ';
		int width = 0, nlong = 0;
		if (*++fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			nlong++, fmt++;
		switch (*fmt) {
		case 'd': {
			s64 v = nlong > 1 ? va_arg(ap, long long) :
				nlong ? va_arg(ap, long) : va_arg(ap, int);
			print_number(v < 0 ? -(u64)v : (u64)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
			print_number(ARG_UNSIGNED(ap, nlong), 10, 0, width, pad);
			break;
		case 'x':
			print_number(ARG_UNSIGNED(ap, nlong), 16, 0, width, pad);
			break;
		case 'p':
			console_write("0x", 2);
			print_number((uintptr)va_arg(ap, void *), 16, 0, 2 * sizeof(void *), '0');
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			console_write(s ? s : "(null)", strlen(s ? s : "(null)"));
			break;
		}
		case 'c':
			console_putc(va_arg(ap, int));
			break;
		case '\0':
			return;
		default:
			console_putc('%');
			console_putc(*fmt);
		}
	}
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

// A broken kernel invariant: say so and power off with the failure status
// POWEROFF_PANIC, so a test harness fails at once instead of timing out.
void panic(const char *fmt, ...)
{
	va_list ap;
	cli();
	kprintf("kernel: panic: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	machine_poweroff(POWEROFF_PANIC);
}
