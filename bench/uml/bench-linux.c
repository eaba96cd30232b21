/* bench-linux: the guest benchmarks of testcases/kernel/user/bench.c, the
 * very same source, compiled for the Linux system call ABI.
 *
 * This file stands in for the test kernel's user library (user.h, usys.S,
 * ulib.c, init.c) with glibc and a few lines of glue, then includes bench.c
 * itself.  Built static (gcc -static -O2) it runs
 *   - natively on the host (the "native" reference column), and
 *   - as init= of Debian's user-mode-linux on a hostfs root (bench/uml/run-uml).
 *
 * The mapping of the test kernel's calls:
 *   getpid, fork, wait, pipe, read, write, close, exit   glibc (real system
 *                           calls: glibc >= 2.25 no longer caches getpid)
 *   yield                   sched_yield; the whole program is pinned to one
 *                           CPU first, as the test kernel is uniprocessor
 *   tsckhz                  the TSC rate, calibrated against CLOCK_MONOTONIC
 *   uptime                  timer ticks: CLOCK_MONOTONIC_COARSE in units of its
 *                           resolution, which is one jiffy (1/HZ): it moves
 *                           once per timer interrupt, as the test kernel's
 *                           tick count does
 *   privloop                not available to Linux user code: privop (cli;
 *                           sti; pushf; popf) needs CPL0, and a page-table
 *                           switch (mov %cr3) happens only inside the kernel
 *                           (it is part of ctx_switch between two processes).
 *                           Those two benchmarks print a "# SKIP" comment
 *                           instead of their BENCH line.
 *
 * Output: the test kernel's protocol (PLAN, BENCH, FAIL, SUMMARY, "#"
 * comments), one write per line.  Arguments: "iters=N" (argv or, as the
 * Linux kernel hands the unknown "x=y" words of its command line to init,
 * the environment variable iters).  As PID 1 it mounts devtmpfs on /dev if
 * it has no console, and powers the machine off at the end.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* The test kernel's user.h is replaced by this file: its include guard
 * keeps bench.c's #include "user.h" out. */
#define USER_USER_H
#include "../../testcases/kernel/syscall.h"

typedef unsigned long u64;

static inline u64 rdtsc(void)
{
	unsigned int lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

int run_tests(void);
int count_tests(void);
void run_benchmarks(long base);
int count_benchmarks(void);
void test_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int failed;
static int priv_skipped;	/* privloop's kind + 1: the next BENCH line is a SKIP */

void test_fail(const char *name, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	failed++;
	printf("FAIL %s: %s\n", name, why);
}

static int linux_yield(void)
{
	return sched_yield();
}

/* Nothing buffered may be duplicated into a child (bench.c's children
 * call exit()). */
static int linux_fork(void)
{
	fflush(stdout);
	return fork();
}

static long linux_privloop(int kind, long n)
{
	(void)n;
	priv_skipped = kind + 1;
	errno = ENOSYS;
	return -1;
}

static long tick_ns;

static long linux_uptime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (ts.tv_sec * 1000000000L + ts.tv_nsec) / tick_ns;
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* TSC kHz over ~50 ms of CLOCK_MONOTONIC (the test kernel calibrates
 * against the PIT the same way). */
static long linux_tsckhz(void)
{
	long t0 = now_ns(), t;
	u64 c0 = rdtsc(), c;

	do {
		t = now_ns();
		c = rdtsc();
	} while (t - t0 < 50000000L);
	return (long)((c - c0) * 1000000 / (u64)(t - t0));
}

/* printf, with privloop's benchmarks turned into comments. */
static int linux_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int linux_printf(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (priv_skipped && strncmp(line, "BENCH name=", 11) == 0) {
		char *name = line + 6;
		const char *why = priv_skipped - 1 == PRIV_CR3 ?
			"mov %cr3 is the kernel's (ctx_switch between two processes includes one)" :
			"cli, sti and popf of IF need CPL0";

		priv_skipped = 0;
		name[strcspn(name, " \n")] = '\0';
		return printf("# SKIP %s: not available to Linux user code: %s\n", name, why);
	}
	return fputs(line, stdout) < 0 ? -1 : n;
}

#define yield linux_yield
#define fork linux_fork
#define privloop linux_privloop
#define uptime linux_uptime
#define tsckhz linux_tsckhz
#define printf linux_printf
#include "../../testcases/kernel/user/bench.c"
#undef printf

/* As init: the kernel gives PID 1 /dev/console as fds 0-2 if the root
 * has one; otherwise mount devtmpfs and open it ourselves. */
static void init_console(void)
{
	int fd;

	if (fcntl(1, F_GETFD) >= 0)
		return;
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		_exit(1);	/* nowhere to say it: the harness sees no output */
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/* One CPU for the whole program (children inherit it): the test kernel is
 * uniprocessor, and ctx_switch measures nothing when the two processes
 * sit on two CPUs. */
static void pin_one_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		cpu = 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		printf("# cannot pin to CPU %d: %s\n", cpu, strerror(errno));
	else
		printf("# pinned to CPU %d\n", cpu);
}

static long parse_iters(int argc, char **argv)
{
	long iters = 2000;
	const char *e = getenv("iters");

	if (e && atol(e) > 0)
		iters = atol(e);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "--", 2) == 0)
			a += 2;
		if (strncmp(a, "iters=", 6) == 0 && atol(a + 6) > 0)
			iters = atol(a + 6);
	}
	return iters;
}

int main(int argc, char **argv)
{
	int init = getpid() == 1;
	struct timespec res;
	long iters;

	if (init)
		init_console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	iters = parse_iters(argc, argv);
	if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) < 0 || res.tv_sec * 1000000000L + res.tv_nsec <= 0) {
		printf("FAIL setup: no CLOCK_MONOTONIC_COARSE\n");
		return 1;
	}
	tick_ns = res.tv_sec * 1000000000L + res.tv_nsec;
	/* bench.c runs privloop's two (they print SKIP comments). */
	printf("PLAN tests=0 benches=%d\n", count_benchmarks() - 2);
	printf("# bench-linux: testcases/kernel/user/bench.c on Linux (%s), iters=%ld, tick %ld ns (%ld Hz)\n",
	       init ? "as init" : "as a process", iters, tick_ns, 1000000000L / tick_ns);
	pin_one_cpu();
	run_benchmarks(iters);
	printf("SUMMARY passed=0 failed=%d\n", failed);
	fflush(stdout);
	if (init) {
		tcdrain(1);	/* UML drops console output still queued at power-off */
		sync();
		reboot(RB_POWER_OFF);
		printf("# reboot(RB_POWER_OFF): %s\n", strerror(errno));
		for (;;)
			pause();
	}
	return failed ? 1 : 0;
}
