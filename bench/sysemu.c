/* sysemu: the bare PTRACE_SYSEMU round trip, the floor under the ptrace
 * host's guest system call (goal P3: a guest null syscall costs at most
 * 1.3 times this, measured in the same run).
 *
 * A tracee runs a tight loop of raw `syscall` instructions (getppid's
 * number, never executed: PTRACE_SYSEMU stops the tracee at the entry and
 * skips the call).  Per round trip the tracer does what the least host must
 * do for a guest system call:
 *
 *	waitpid()          the SYSEMU stop
 *	PTRACE_GETREGS     read the call (number, arguments)
 *	PTRACE_SETREGS     write the return value
 *	PTRACE_SYSEMU      resume to the next system call
 *
 * The tracee passes the value it got back as the first argument of its next
 * call, and the tracer checks it: the round trip really delivers a result.
 *
 * Variants (batches interleaved round-robin, so the drift of a shared
 * machine hits all alike):
 *	host_getppid     a plain getppid on the host, for scale
 *	same_cpu         tracer and tracee pinned to one CPU (the ptrace host's
 *	                 case: a guest kernel and its current process take
 *	                 turns, one of them runs at a time)
 *	same_cpu_fpregs  the same plus PTRACE_GETFPREGS and PTRACE_SETFPREGS
 *	                 (the legacy FXSAVE area) per round trip, for contrast
 *	same_cpu_xstate  the same with PTRACE_GETREGSET/SETREGSET NT_X86_XSTATE
 *	                 (the whole XSAVE area): what UML 6.1's userspace loop
 *	                 does per system call on an XSAVE host
 *	cross_cpu        tracer and tracee on two CPUs, for contrast (skipped,
 *	                 loudly, on one CPU)
 *
 * Output: a table (min/median/max ns per op over the batches) and one
 * machine-readable line per variant and ratio:
 *	SYSEMU name=<v> batches=<b> iters=<n> ns_per_op=<median> min=<x> max=<y>
 *	SYSEMU ratio=<a>/<b> median=<m> min=<x> max=<y>   (per batch pair)
 *
 * Usage: bench/sysemu [--batches=N] [--iters=N] [--cpus=A,B]
 * Exit status: 0, 1 on an error, 77 when ptrace is not allowed here.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_SYSEMU
#define PTRACE_SYSEMU 31
#endif

enum variant { V_GETPPID, V_SAME, V_SAME_FP, V_SAME_XSTATE, V_CROSS, NVARIANTS };

static const char *const vnames[NVARIANTS] = {
	"host_getppid", "same_cpu", "same_cpu_fpregs", "same_cpu_xstate", "cross_cpu",
};
static const char *const vwhat[NVARIANTS] = {
	"host getppid (raw syscall)",
	"SYSEMU round trip, one CPU",
	"  + GETFPREGS/SETFPREGS",
	"  + GET/SETREGSET NT_X86_XSTATE",
	"SYSEMU round trip, two CPUs",
};

struct tracee {
	pid_t pid;
	int cpu;
	unsigned long last;	/* the value last returned to it */
};

static struct tracee tracees[NVARIANTS];
static int cpu_a = -1, cpu_b = -1;

static void die(const char *what)
{
	if (errno)
		fprintf(stderr, "sysemu: error: %s: %s\n", what, strerror(errno));
	else
		fprintf(stderr, "sysemu: error: %s\n", what);
	for (int v = 0; v < NVARIANTS; v++)
		if (tracees[v].pid > 0)
			kill(tracees[v].pid, SIGKILL);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set);
}

/* The tracee: stop for the tracer, then make system calls for ever, each
 * passing the previous result as its first argument. */
static __attribute__((noreturn)) void tracee_main(int cpu)
{
	if (pin(0, cpu) < 0 || ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		_exit(126);
	raise(SIGSTOP);
	__asm__ volatile("xor %%edi, %%edi\n"
			 "1:\n\t"
			 "mov %0, %%eax\n\t"
			 "syscall\n\t"
			 "mov %%rax, %%rdi\n\t"
			 "jmp 1b"
			 :
			 : "i"(SYS_getppid)
			 : "rax", "rcx", "r11", "rdi", "memory");
	__builtin_unreachable();
}

static int wait_stop(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFSTOPPED(status)) {
		fprintf(stderr, "sysemu: error: tracee %d did not stop (status %#x)\n",
			(int)pid, status);
		errno = 0;
		die("tracee");
	}
	return WSTOPSIG(status);
}

/* Start a tracee on cpu and take it to its first SYSEMU stop. */
static void tracee_start(struct tracee *t, int cpu)
{
	t->cpu = cpu;
	t->last = 0;
	t->pid = fork();
	if (t->pid < 0)
		die("fork");
	if (t->pid == 0)
		tracee_main(cpu);
	if (wait_stop(t->pid) != SIGSTOP) {
		errno = 0;
		die("tracee's first stop is not SIGSTOP");
	}
	if (ptrace(PTRACE_SETOPTIONS, t->pid, NULL,
		   (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)) < 0)
		die("PTRACE_SETOPTIONS");
	if (ptrace(PTRACE_SYSEMU, t->pid, NULL, NULL) < 0)
		die("PTRACE_SYSEMU");
	if (wait_stop(t->pid) != (SIGTRAP | 0x80)) {
		errno = 0;
		die("the tracee's first stop after PTRACE_SYSEMU is not a syscall stop");
	}
}

enum fp_mode { FP_NONE, FP_FXSAVE, FP_XSTATE };

/* n round trips; the tracee is in a SYSEMU stop before and after. */
static void round_trips(struct tracee *t, long n, enum fp_mode fpm)
{
	static unsigned char xstate[16384] __attribute__((aligned(64)));
	struct user_regs_struct regs;
	struct user_fpregs_struct fp;
	struct iovec iov;
	pid_t pid = t->pid;
	int fpregs = fpm == FP_FXSAVE;

	for (long i = 0; i < n; i++) {
		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
			die("PTRACE_GETREGS");
		if (fpregs && ptrace(PTRACE_GETFPREGS, pid, NULL, &fp) < 0)
			die("PTRACE_GETFPREGS");
		if (fpm == FP_XSTATE) {
			iov.iov_base = xstate;
			iov.iov_len = sizeof(xstate);
			if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0)
				die("PTRACE_GETREGSET NT_X86_XSTATE");
		}
		if (regs.orig_rax != SYS_getppid || regs.rdi != t->last) {
			fprintf(stderr, "sysemu: error: tracee %d: call %lld arg %#llx, expected %d arg %#lx\n",
				(int)pid, regs.orig_rax, regs.rdi, SYS_getppid, t->last);
			errno = 0;
			die("round trip lost a value");
		}
		regs.rax = ++t->last;
		if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0)
			die("PTRACE_SETREGS");
		if (fpregs && ptrace(PTRACE_SETFPREGS, pid, NULL, &fp) < 0)
			die("PTRACE_SETFPREGS");
		if (fpm == FP_XSTATE && ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0)
			die("PTRACE_SETREGSET NT_X86_XSTATE");
		if (ptrace(PTRACE_SYSEMU, pid, NULL, NULL) < 0)
			die("PTRACE_SYSEMU");
		int status;
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		if (!WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			fprintf(stderr, "sysemu: error: unexpected status %#x of tracee %d\n",
				status, (int)pid);
			errno = 0;
			die("round trip");
		}
	}
}

static void host_getppid(long n)
{
	for (long i = 0; i < n; i++) {
		long r;

		__asm__ volatile("syscall"
				 : "=a"(r)
				 : "0"((long)SYS_getppid)
				 : "rcx", "r11", "memory");
	}
}

/* ns per op of one batch of variant v. */
static double batch(enum variant v, long n)
{
	double t0;

	if (pin(0, cpu_a) < 0)
		die("sched_setaffinity");
	t0 = now_ns();
	if (v == V_GETPPID)
		host_getppid(n);
	else
		round_trips(&tracees[v], n, v == V_SAME_FP ? FP_FXSAVE :
			    v == V_SAME_XSTATE ? FP_XSTATE : FP_NONE);
	return (now_ns() - t0) / n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double min, med, max;
};

static struct stats summarize(const double *xs, int n)
{
	double *s = malloc(n * sizeof(*s));
	struct stats st;

	if (!s)
		die("malloc");
	memcpy(s, xs, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	st.min = s[0];
	st.max = s[n - 1];
	st.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return st;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench/sysemu [--batches=N] [--iters=N] [--cpus=A,B]\n"
		"  --batches=N  timed batches per variant (default 31)\n"
		"  --iters=N    round trips per batch (default 2000)\n"
		"  --cpus=A,B   the tracer's CPU and the cross-CPU tracee's CPU\n"
		"               (default: the first two this process may use)\n");
}

/* The first two CPUs of our affinity mask, unless given. */
static void pick_cpus(void)
{
	cpu_set_t set;

	if (cpu_a >= 0)
		return;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		die("sched_getaffinity");
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (cpu_a < 0)
			cpu_a = c;
		else if (cpu_b < 0)
			cpu_b = c;
	}
}

int main(int argc, char **argv)
{
	long iters = 2000;
	int batches = 31;
	int on[NVARIANTS] = { 1, 1, 1, 1, 1 };
	double *ns[NVARIANTS];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "--batches=", 10) == 0)
			batches = atoi(a + 10);
		else if (strncmp(a, "--iters=", 8) == 0)
			iters = atol(a + 8);
		else if (strncmp(a, "--cpus=", 7) == 0) {
			if (sscanf(a + 7, "%d,%d", &cpu_a, &cpu_b) != 2) {
				usage(stderr);
				return 2;
			}
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "sysemu: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (batches < 1 || iters < 1) {
		usage(stderr);
		return 2;
	}
	pick_cpus();
	if (cpu_b < 0 || cpu_b == cpu_a) {
		fprintf(stderr, "sysemu: SKIP cross_cpu: only one CPU (%d) available to this process\n",
			cpu_a);
		on[V_CROSS] = 0;
	}

	/* Is ptrace allowed at all (containers, Yama, seccomp)? */
	pid_t probe = fork();
	if (probe < 0)
		die("fork");
	if (probe == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(77);
		_exit(0);
	}
	int pst;
	if (waitpid(probe, &pst, 0) != probe)
		die("waitpid");
	if (WIFEXITED(pst) && WEXITSTATUS(pst) == 77) {
		fprintf(stderr, "sysemu: SKIP: PTRACE_TRACEME is not allowed here\n");
		return 77;
	}

	for (int v = V_SAME; v < NVARIANTS; v++)
		if (on[v])
			tracee_start(&tracees[v], v == V_CROSS ? cpu_b : cpu_a);

	for (int v = 0; v < NVARIANTS; v++) {
		ns[v] = calloc(batches, sizeof(double));
		if (!ns[v])
			die("calloc");
	}
	/* One warm-up batch each, then the timed rounds, rotating the order. */
	for (int v = 0; v < NVARIANTS; v++)
		if (on[v])
			batch(v, iters / 10 + 1);
	for (int r = 0; r < batches; r++)
		for (int k = 0; k < NVARIANTS; k++) {
			int v = (r + k) % NVARIANTS;

			if (on[v])
				ns[v][r] = batch(v, iters);
		}

	for (int v = V_SAME; v < NVARIANTS; v++)
		if (on[v])
			kill(tracees[v].pid, SIGKILL), waitpid(tracees[v].pid, NULL, 0);

	printf("PTRACE_SYSEMU round trip (waitpid, GETREGS, SETREGS, SYSEMU) vs a host syscall\n");
	printf("%d batches x %ld ops; tracer on CPU %d, same-CPU tracee on %d, cross-CPU tracee on %d\n\n",
	       batches, iters, cpu_a, cpu_a, cpu_b);
	printf("  %-16s %-32s %10s %10s %10s\n", "variant", "what", "min ns", "median", "max");
	struct stats st[NVARIANTS];
	for (int v = 0; v < NVARIANTS; v++) {
		if (!on[v]) {
			printf("  %-16s %-32s %10s\n", vnames[v], vwhat[v], "SKIP");
			continue;
		}
		st[v] = summarize(ns[v], batches);
		printf("  %-16s %-32s %10.1f %10.1f %10.1f\n", vnames[v], vwhat[v],
		       st[v].min, st[v].med, st[v].max);
	}
	printf("\n");

	/* Ratios per round (the batches of one round ran back to back). */
	static const int pairs[][2] = {
		{ V_SAME, V_GETPPID }, { V_CROSS, V_SAME }, { V_SAME_FP, V_SAME },
		{ V_SAME_XSTATE, V_SAME },
	};
	enum { NPAIRS = sizeof(pairs) / sizeof(pairs[0]) };
	struct stats rs[NPAIRS];
	double *q = calloc(batches, sizeof(double));
	if (!q)
		die("calloc");
	for (int p = 0; p < NPAIRS; p++) {
		int a = pairs[p][0], b = pairs[p][1];

		if (!on[a] || !on[b])
			continue;
		for (int r = 0; r < batches; r++)
			q[r] = ns[a][r] / ns[b][r];
		rs[p] = summarize(q, batches);
		printf("  ratio %-15s / %-12s %8.2f  [%.2f-%.2f]\n", vnames[a], vnames[b],
		       rs[p].med, rs[p].min, rs[p].max);
	}
	printf("\n");
	for (int v = 0; v < NVARIANTS; v++)
		if (on[v])
			printf("SYSEMU name=%s batches=%d iters=%ld ns_per_op=%.1f min=%.1f max=%.1f\n",
			       vnames[v], batches, iters, st[v].med, st[v].min, st[v].max);
	for (int p = 0; p < NPAIRS; p++)
		if (on[pairs[p][0]] && on[pairs[p][1]])
			printf("SYSEMU ratio=%s/%s median=%.3f min=%.3f max=%.3f\n",
			       vnames[pairs[p][0]], vnames[pairs[p][1]], rs[p].med, rs[p].min, rs[p].max);
	free(q);
	for (int v = 0; v < NVARIANTS; v++)
		free(ns[v]);
	return 0;
}
