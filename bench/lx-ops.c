/* SPDX-License-Identifier: MIT */
/* lx-ops: the operating-system operations that make bench-linux-ptrace
 * times (issue 14, point 3), one source for two builds:
 *
 *   bench/lx-ops-i386    gcc -m32: natively (where the host runs i386
 *                        programs) and in the i386 Linux that
 *                        afterburn-ptrace boots;
 *   bench/lx-ops-x86_64  gcc -m64: natively and under Debian's UML 6.1.
 *
 * No libc (testcases/linux/ptrace/lx.h: the system calls of each ABI),
 * so both builds make the same system calls and nothing else.  Times are
 * CLOCK_MONOTONIC around a whole loop.  Output, one line each:
 *
 *   PLAN tests=0 benches=N
 *   BENCH name=NAME iters=N ns_per_op=X.YY
 *   FAIL NAME: why
 *   SUMMARY passed=0 failed=N
 *
 * Arguments: iters=N (the first loop's count, default 2000), min_ms=M
 * (a loop shorter than M ms, default 200, is run again with twice the
 * count); both also from the environment, where Linux puts its command
 * line's unknown x=y words;
 * --exit (what fork_exec runs: exit at once).  argv[0] must name this
 * program (fork_exec executes it; open_close opens it).
 */
#include "../testcases/linux/ptrace/lx.h"

static const char *self;
static int failed;
static u64 ops_done, ns_done;	/* the last loop's */

/* The end of a timed loop. */
static void done(u64 ops, u64 ns)
{
	ops_done = ops;
	ns_done = ns;
}

static void report(const char *name, u64 iters, u64 ns)
{
	struct lx_buf o = { .n = 0 };

	lx_bprintf(&o, "BENCH name=%s iters=%llu ns_per_op=", name, iters);
	lx_ns_per_op(&o, ns, iters);
	lx_putc(&o, '\n');
	lx_write(1, o.b, o.n);
}

static void fail(const char *name, const char *why, long r)
{
	failed++;
	lx_printf("FAIL %s: %s (%ld)\n", name, why, r);
}

/* The guest kernel's entry and exit, nothing else. */
static void b_null_syscall(const char *name, long n)
{
	(void)name;
	u64 t0 = lx_now_ns();

	for (long i = 0; i < n; i++)
		lx_sys0(NR_getpid);
	done(n, lx_now_ns() - t0);
}

/* lmbench's null call: getppid reads the parent under RCU. */
static void b_getppid(const char *name, long n)
{
	(void)name;
	u64 t0 = lx_now_ns();

	for (long i = 0; i < n; i++)
		lx_sys0(NR_getppid);
	done(n, lx_now_ns() - t0);
}

/* A path lookup, a file, a descriptor. */
static void b_open_close(const char *name, long n)
{
	u64 t0 = lx_now_ns();

	for (long i = 0; i < n; i++) {
		long fd = lx_sys2(NR_open, self, LX_O_RDONLY);

		if (lx_err(fd)) {
			fail(name, "open of argv[0] failed", fd);
			return;
		}
		lx_sys1(NR_close, fd);
	}
	done(n, lx_now_ns() - t0);
}

static long do_pipe(int fd[2])
{
	return lx_sys1(NR_pipe, fd);
}

/* One byte there and back between two processes over two pipes. */
static void b_pipe_rtt(const char *name, long n)
{
	int to[2], from[2], st = -1;
	char c = 'x';
	long pid, i;

	if (lx_err(do_pipe(to)) || lx_err(do_pipe(from))) {
		fail(name, "pipe failed", 0);
		return;
	}
	pid = lx_fork();
	if (pid == 0) {
		for (i = 0; i < n; i++)
			if (lx_sys3(NR_read, to[0], &c, 1) != 1 ||
			    lx_write(from[1], &c, 1) != 1)
				lx_exit(1);
		lx_exit(0);
	}
	u64 t0 = lx_now_ns();
	for (i = 0; i < n; i++)
		if (lx_write(to[1], &c, 1) != 1 || lx_sys3(NR_read, from[0], &c, 1) != 1)
			break;
	u64 t = lx_now_ns() - t0;
	for (int k = 0; k < 2; k++) {
		lx_sys1(NR_close, to[k]);
		lx_sys1(NR_close, from[k]);
	}
	lx_wait(pid, &st);
	if (lx_err(pid) || i != n || st != 0) {
		fail(name, "the echo child failed", st);
		return;
	}
	done(n, t);
}

/* Two processes yielding to each other on one CPU: every yield is a
 * switch, the page-table switch included. */
static void b_ctx_switch(const char *name, long n)
{
	int st = -1;
	long pid = lx_fork();

	if (pid == 0) {
		for (long i = 0; i < n; i++)
			lx_sys0(NR_sched_yield);
		lx_exit(0);
	}
	if (lx_err(pid)) {
		fail(name, "fork failed", pid);
		return;
	}
	u64 t0 = lx_now_ns();
	for (long i = 0; i < n; i++)
		lx_sys0(NR_sched_yield);
	u64 t = lx_now_ns() - t0;
	lx_wait(pid, &st);
	done(2 * n, t);
}

static void b_fork_exit_wait(const char *name, long n)
{
	u64 t0 = lx_now_ns();

	for (long i = 0; i < n; i++) {
		int st = -1;
		long pid = lx_fork();

		if (pid == 0)
			lx_exit(7);
		if (lx_err(pid) || lx_wait(pid, &st) != pid || LX_WEXITSTATUS(st) != 7) {
			fail(name, "fork/exit/wait failed", pid);
			return;
		}
	}
	done(n, lx_now_ns() - t0);
}

static void b_fork_exec(const char *name, long n)
{
	char *argv[] = { (char *)self, (char *)"--exit", 0 };
	char *envp[] = { 0 };
	u64 t0 = lx_now_ns();

	for (long i = 0; i < n; i++) {
		int st = -1;
		long pid = lx_fork();

		if (pid == 0) {
			lx_sys3(NR_execve, self, argv, envp);
			lx_exit(127);
		}
		if (lx_err(pid) || lx_wait(pid, &st) != pid || st != 0) {
			fail(name, "fork/exec/wait failed", st);
			return;
		}
	}
	done(n, lx_now_ns() - t0);
}

/* A write to each page of fresh anonymous memory (the mmap and munmap
 * of each 1 MiB region are spread over its 256 faults). */
static void b_page_fault(const char *name, long n)
{
	const unsigned long pages = 256;
	long rounds = n / 256 > 0 ? n / 256 : 1;
	u64 t0 = lx_now_ns();

	for (long r = 0; r < rounds; r++) {
		volatile char *p = lx_mmap(0, pages * 4096, LX_PROT_READ | LX_PROT_WRITE,
					   LX_MAP_PRIVATE | LX_MAP_ANONYMOUS);

		if (lx_err((long)p)) {
			fail(name, "mmap failed", (long)p);
			return;
		}
		for (unsigned long i = 0; i < pages; i++)
			p[i * 4096] = 1;
		lx_munmap((void *)p, pages * 4096);
	}
	done((u64)rounds * pages, lx_now_ns() - t0);
}

/* 64 KiB of anonymous memory mapped and unmapped, never touched. */
static void b_mmap_munmap(const char *name, long n)
{
	u64 t0 = lx_now_ns();

	for (long i = 0; i < n; i++) {
		void *p = lx_mmap(0, 65536, LX_PROT_READ | LX_PROT_WRITE,
				  LX_MAP_PRIVATE | LX_MAP_ANONYMOUS);

		if (lx_err((long)p)) {
			fail(name, "mmap failed", (long)p);
			return;
		}
		lx_munmap(p, 65536);
	}
	done(n, lx_now_ns() - t0);
}

static const struct {
	const char *name;
	void (*fn)(const char *name, long n);
	int mul, div;		/* iterations: base * mul / div */
} benches[] = {
	{ "null_syscall", b_null_syscall, 10, 1 },
	{ "getppid", b_getppid, 10, 1 },
	{ "open_close", b_open_close, 1, 1 },
	{ "pipe_rtt", b_pipe_rtt, 1, 1 },
	{ "ctx_switch", b_ctx_switch, 1, 1 },
	{ "fork_exit_wait", b_fork_exit_wait, 1, 10 },
	{ "fork_exec", b_fork_exec, 1, 20 },
	{ "page_fault", b_page_fault, 4, 1 },
	{ "mmap_munmap", b_mmap_munmap, 1, 1 },
};

/* Runs a loop of n, doubling n until the loop lasts min_ns: a guest
 * whose clock moves once per tick (QEMU TCG's i386 Linux falls back to
 * jiffies, 4 ms at HZ=250) must not time a few ticks. */
static void run(const char *name, void (*fn)(const char *, long), long n, u64 min_ns)
{
	for (;; n *= 2) {
		int before = failed;

		fn(name, n);
		if (failed != before)
			return;
		if (ns_done >= min_ns || n >= (1L << 28)) {
			report(name, ops_done, ns_done);
			return;
		}
	}
}

/* One CPU for the whole program (children inherit it): ctx_switch and
 * pipe_rtt measure nothing when the two processes sit on two CPUs. */
static void pin_one_cpu(void)
{
	unsigned long mask[16];
	long n = lx_sys3(NR_sched_getaffinity, 0, sizeof(mask), mask);

	if (lx_err(n))
		return;
	for (unsigned i = 0; i < (unsigned long)n * 8; i++) {
		if (mask[i / (8 * sizeof(long))] >> (i % (8 * sizeof(long))) & 1) {
			memset(mask, 0, sizeof(mask));
			mask[i / (8 * sizeof(long))] = 1UL << (i % (8 * sizeof(long)));
			lx_sys3(NR_sched_setaffinity, 0, sizeof(mask), mask);
			lx_printf("# pinned to CPU %u\n", i);
			return;
		}
	}
}

int lx_main(int argc, char **argv, char **envp)
{
	long base = 2000;
	u64 min_ns = 200000000;
	const char *e = lx_getenv(envp, "iters");
	const char *m = lx_getenv(envp, "min_ms");
	int n = sizeof(benches) / sizeof(benches[0]);

	self = argv[0];
	if (e && lx_atol(e) > 0)
		base = lx_atol(e);
	if (m && lx_atol(m) > 0)
		min_ns = (u64)lx_atol(m) * 1000000;
	for (int i = 1; i < argc; i++) {
		if (lx_strncmp(argv[i], "--exit", 7) == 0)
			return 0;
		if (lx_strncmp(argv[i], "iters=", 6) == 0 && lx_atol(argv[i] + 6) > 0)
			base = lx_atol(argv[i] + 6);
		if (lx_strncmp(argv[i], "min_ms=", 7) == 0 && lx_atol(argv[i] + 7) > 0)
			min_ns = (u64)lx_atol(argv[i] + 7) * 1000000;
	}
	lx_printf("PLAN tests=0 benches=%d\n", n);
	lx_printf("# lx-ops: %s build, pid %ld, iters=%ld, each loop at least %llu ms\n",
		  LX_ARCH, lx_getpid(), base, lx_udiv(min_ns, 1000000, 0));
	pin_one_cpu();
	for (int i = 0; i < n; i++) {
		long iters = base * benches[i].mul / benches[i].div;

		run(benches[i].name, benches[i].fn, iters > 0 ? iters : 1, min_ns);
	}
	lx_printf("SUMMARY passed=0 failed=%d\n", failed);
	return failed ? 1 : 0;
}
