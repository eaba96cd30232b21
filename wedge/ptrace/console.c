// SPDX-License-Identifier: MIT
/*
 * Standard input for the guest's UART (devices.c), without a thread and
 * without touching the file's flags:
 *
 *  - a terminal, when this process is in its foreground (a background
 *    one would be stopped by SIGTTIN): put in raw mode, but for ISIG
 *    (Ctrl-C still ends the host, as in afterburn-kvm) and the output
 *    processing (the guest's "\n" still starts a line); Ctrl-Z is a
 *    byte for the guest (its shell's job control), not a stop of the
 *    host that would leave the terminal raw;
 *  - anything else (a pipe, a socket, a file, /dev/null): read as is.
 *
 * At every timer tick (the SIGALRM handler, devices__timer_tick) a poll()
 * with no timeout asks whether there is input, and a read() takes what
 * fits in the UART's receive ring.  End of input (read returns 0, or an
 * error) stops the polling for good: the guest sees no more bytes and the
 * host does no more work for it.  No O_NONBLOCK: the file description
 * is shared with whoever started us, and poll() before read() is enough
 * for the one reader we are.
 *
 * The terminal's settings are restored at every exit: exit() (atexit),
 * the signal handlers' last words (trap.c's DIE_IN_HANDLER), and the
 * signals that end a process from outside (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT, SIGABRT), caught here while the terminal is raw: the host
 * restores it and exits with 128 + the signal's number, as a shell
 * reports a process killed by it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "ptrace.h"

static struct {
	bool raw;		/* the terminal is in raw mode: restore it */
	struct termios saved;
} con;

/* Async-signal-safe (tcsetattr is an ioctl): from handlers too. */
void console__restore(void)
{
	if (con.raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &con.saved);
}

void ptrace_on_quit(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	uart__flush(&the_host.uart);
	console__restore();
	/* the raw call: a sanitizer's _exit would run its own exit code,
	   whose system calls the filter refuses */
	syscall(SYS_exit_group, 128 + sig);
	_exit(128 + sig);
}

static int catch_quit_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ptrace_quit_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	return 0;
}

static int make_raw(void)
{
	struct termios tio;

	if (tcgetattr(STDIN_FILENO, &con.saved) < 0)
		return 0;	/* not a terminal after all: read it as is */
	tio = con.saved;
	cfmakeraw(&tio);
	tio.c_lflag |= ISIG;		/* Ctrl-C still ends the host */
	tio.c_cc[VSUSP] = _POSIX_VDISABLE;	/* Ctrl-Z is the guest's */
	tio.c_oflag |= OPOST | ONLCR;
	if (atexit(console__restore) != 0)
		return -ENOMEM;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio) < 0)
		return -errno;
	con.raw = true;
	return catch_quit_signals();
}

/*
 * After the stubs are forked (they must not inherit the handlers), before
 * the seccomp filter: decide whether standard input feeds the UART.
 */
int console__init(struct host *h)
{
	struct stat st;
	int ret;

	if (fstat(STDIN_FILENO, &st) < 0)
		return 0;	/* no standard input: no console input */
	if (isatty(STDIN_FILENO)) {
		if (tcgetpgrp(STDIN_FILENO) != getpgrp())
			return 0;	/* in the background: leave it be */
		ret = make_raw();
		if (ret < 0)
			return ret;
	}
	h->uart.rx_on = true;
	return 0;
}

/* From the SIGALRM handler: what standard input has, into the ring. */
void console__poll(struct host *h)
{
	struct uart *u = &h->uart;
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	uint32_t head, tail = u->rx_tail, room, first;
	ssize_t n;
	int saved = errno;

	if (!u->rx_on)
		return;
	head = __atomic_load_n(&u->rx_head, __ATOMIC_ACQUIRE);
	room = UART_RX_SIZE - (tail - head);
	if (!room || poll(&pfd, 1, 0) <= 0 || !pfd.revents)
		goto out;
	/* Up to the end of the ring's array: the next tick takes the rest. */
	first = UART_RX_SIZE - tail % UART_RX_SIZE;
	n = read(STDIN_FILENO, u->rx + tail % UART_RX_SIZE,
		 room < first ? room : first);
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
		u->rx_on = false;	/* end of input */
	else if (n > 0)
		__atomic_store_n(&u->rx_tail, tail + (uint32_t)n, __ATOMIC_RELEASE);
out:
	errno = saved;
}
