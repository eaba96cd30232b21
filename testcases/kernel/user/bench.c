// The guest benchmarks. Each times n operations with rdtsc in user mode
// and prints one line:
//   BENCH name=<id> iters=<n> cycles_per_op=<x.yy> ns_per_op=<x.yy>
// ns come from the TSC rate the kernel measured against the PIT at boot.
// Under QEMU TCG the numbers only show that the paths work.

#include "user.h"

static u64 khz;

static void report(const char *name, long iters, u64 cycles, const char *extra)
{
	u64 c100 = cycles * 100 / iters;
	u64 ns100 = cycles * 1000000 / khz * 100 / iters;
	printf("BENCH name=%s iters=%ld cycles_per_op=%llu.%02llu ns_per_op=%llu.%02llu%s\n",
	       name, iters, (unsigned long long)(c100 / 100), (unsigned long long)(c100 % 100),
	       (unsigned long long)(ns100 / 100), (unsigned long long)(ns100 % 100), extra);
}

static void b_null_syscall(const char *name, long n)
{
	u64 t0 = rdtsc();
	for (long i = 0; i < n; i++)
		getpid();
	report(name, n, rdtsc() - t0, "");
}

// Two processes yielding to each other: every yield is a switch.
static void b_ctx_switch(const char *name, long n)
{
	int pid = fork();
	if (pid < 0) {
		test_fail(name, "fork failed");
		return;
	}
	if (pid == 0) {
		for (long i = 0; i < n; i++)
			yield();
		exit(0);
	}
	u64 t0 = rdtsc();
	for (long i = 0; i < n; i++)
		yield();
	u64 t = rdtsc() - t0;
	wait(0);
	report(name, 2 * n, t, "");
}

// One byte there and back between two processes over two pipes.
static void b_pipe_rtt(const char *name, long n)
{
	int to[2], from[2];
	char c = 'x';
	if (pipe(to) < 0 || pipe(from) < 0) {
		test_fail(name, "pipe failed");
		return;
	}
	int pid = fork();
	if (pid == 0) {
		for (long i = 0; i < n; i++)
			if (read(to[0], &c, 1) != 1 || write(from[1], &c, 1) != 1)
				exit(1);
		exit(0);
	}
	u64 t0 = rdtsc();
	for (long i = 0; i < n; i++)
		if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1)
			break;
	u64 t = rdtsc() - t0;
	for (int i = 0; i < 2; i++)
		close(to[i]), close(from[i]);
	int status = -1;
	wait(&status);
	if (pid < 0 || status != 0) {
		test_fail(name, "echo child failed");
		return;
	}
	report(name, n, t, "");
}

// The first touch of a fresh page of the heap: one op is one page
// fault that the kernel resolves (in a child, so the pages go with it).
static void b_page_fault(const char *name, long n)
{
	int pid = fork(), status = -1;
	if (pid < 0) {
		test_fail(name, "fork failed");
		return;
	}
	if (pid == 0) {
		char *p = sbrk(n * 4096);
		if (p == (char *)-1)
			exit(2);
		u64 t0 = rdtsc();
		for (long i = 0; i < n; i++)
			p[i * 4096] = 1;
		report(name, n, rdtsc() - t0, "");
		exit(0);
	}
	wait(&status);
	if (status != 0)
		test_fail(name, "child status %d", status);
}

// A process made and gone: fork, the child exits at once, wait.
static void b_fork_exit(const char *name, long n)
{
	u64 t0 = rdtsc();
	for (long i = 0; i < n; i++) {
		int pid = fork(), status = -1;
		if (pid < 0) {
			test_fail(name, "fork failed");
			return;
		}
		if (pid == 0)
			exit(0);
		if (wait(&status) != pid || status != 0) {
			test_fail(name, "child status %d", status);
			return;
		}
	}
	report(name, n, rdtsc() - t0, "");
}

// Page-table root switches in the kernel: one mov to %cr3 per op.
static void b_pgtable_switch(const char *name, long n)
{
	u64 t0 = rdtsc();
	privloop(PRIV_CR3, n);
	report(name, n, rdtsc() - t0, "");
}

// One op = cli; sti; pushf; popf in the kernel.
static void b_privop(const char *name, long n)
{
	u64 t0 = rdtsc();
	privloop(PRIV_IRQ, n);
	report(name, n, rdtsc() - t0, "");
}

// Console output in 64-byte lines; one op is one byte.
static void b_console_write(const char *name, long lines)
{
	char line[64];
	memset(line, '.', sizeof(line));
	line[0] = '#';
	line[1] = ' ';
	line[63] = '\n';
	u64 t0 = rdtsc();
	for (long i = 0; i < lines; i++)
		write(1, line, sizeof(line));
	u64 t = rdtsc() - t0;
	char extra[48];
	snprintf(extra, sizeof(extra), " kib_per_s=%llu",
		 (unsigned long long)(lines * 64 * khz / 1024 * 1000 / (t ? t : 1)));
	report(name, lines * 64, t, extra);
}

// The timer period as the guest sees it: one op is one tick.
static void b_timer_irq(const char *name, long n)
{
	long start = uptime() + 1;
	while (uptime() < start)
		;
	u64 t0 = rdtsc();
	while (uptime() < start + n)
		;
	u64 t = rdtsc() - t0;
	char extra[48];
	snprintf(extra, sizeof(extra), " rate_hz=%llu",
		 (unsigned long long)(n * khz * 1000 / (t ? t : 1)));
	report(name, n, t, extra);
}

static const struct bench {
	const char *name;
	void (*fn)(const char *name, long n);
	long mul, div;           // iterations = base * mul / div (at least 1)
} benches[] = {
	{ "null_syscall", b_null_syscall, 10, 1 },
	{ "ctx_switch", b_ctx_switch, 1, 1 },
	{ "pipe_rtt", b_pipe_rtt, 1, 1 },
	{ "page_fault", b_page_fault, 1, 10 },
	{ "fork_exit_wait", b_fork_exit, 1, 20 },
	{ "pgtable_switch", b_pgtable_switch, 10, 1 },
	{ "privop", b_privop, 50, 1 },
	{ "console_write", b_console_write, 1, 32 },
	{ "timer_irq", b_timer_irq, 0, 1 },
};

int count_benchmarks(void)
{
	return sizeof(benches) / sizeof(benches[0]);
}

void run_benchmarks(long base)
{
	khz = tsckhz();
	for (int i = 0; i < count_benchmarks(); i++) {
		const struct bench *b = &benches[i];
		long n = b->mul ? base * b->mul / b->div : TICK_HZ / 10;
		b->fn(b->name, n > 0 ? n : 1);
	}
}
