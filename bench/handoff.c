// SPDX-License-Identifier: MIT
/*
 * bench/handoff [--iters=N] [--batches=B]: the floor of afterburn-ptrace
 * --user=seccomp, a bare SIGSYS + futex hand-off round trip.
 *
 * A child (the "stub") traps its own getpid() with a seccomp filter
 * (SECCOMP_RET_TRAP); its SIGSYS handler copies the registers into a
 * page shared with the parent (the "host"), posts the event on a futex
 * word, wakes the parent and sleeps until the parent's reply, then
 * returns.  The parent waits for the event, copies the registers out,
 * writes them back as the reply and wakes the child.  Both are pinned to
 * one CPU, as afterburn-ptrace and its stubs are.  No host handling and
 * no guest kernel: what a guest system call costs at least.
 *
 * Prints one line per batch and the median:
 *   BENCH name=handoff iters=N ns_per_op=...
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

enum { RUN, EVENT, HOST, REPLY, DONE };

struct page {
	uint32_t state;
	uint32_t pad;
	uint64_t gregs[NGREG];
	uint64_t ns;		/* the child's time for a batch */
};

static struct page *pg;

static void futex(uint32_t *w, int op, uint32_t val)
{
	syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint32_t st;

	(void)sig;
	(void)si;
	memcpy(pg->gregs, uc->uc_mcontext.gregs, sizeof(pg->gregs));
	__atomic_store_n(&pg->state, EVENT, __ATOMIC_RELEASE);
	futex(&pg->state, FUTEX_WAKE, 1);
	while ((st = __atomic_load_n(&pg->state, __ATOMIC_ACQUIRE)) != REPLY)
		futex(&pg->state, FUTEX_WAIT, st);
	memcpy(uc->uc_mcontext.gregs, pg->gregs, sizeof(pg->gregs));
	uc->uc_mcontext.gregs[REG_RAX] = 0;
	pg->state = RUN;
}

/* getpid traps (the futex and everything else run). */
static int trap_getpid(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void child(long iters, int batches)
{
	if (trap_getpid() < 0)
		_exit(2);
	for (int b = 0; b < batches; b++) {
		uint64_t t0 = now_ns();

		for (long i = 0; i < iters; i++)
			syscall(SYS_getpid);
		pg->ns = now_ns() - t0;
		__atomic_store_n(&pg->state, DONE, __ATOMIC_RELEASE);
		futex(&pg->state, FUTEX_WAKE, 1);
		while (__atomic_load_n(&pg->state, __ATOMIC_ACQUIRE) == DONE)
			futex(&pg->state, FUTEX_WAIT, DONE);
	}
	_exit(0);
}

/* The host's side: answer events until the child reports a batch. */
static uint64_t serve(void)
{
	uint64_t gregs[NGREG];
	uint32_t st;

	for (;;) {
		st = __atomic_load_n(&pg->state, __ATOMIC_ACQUIRE);
		if (st == DONE)
			return pg->ns;
		if (st != EVENT) {
			futex(&pg->state, FUTEX_WAIT, st);
			continue;
		}
		memcpy(gregs, pg->gregs, sizeof(gregs));
		pg->state = HOST;
		memcpy(pg->gregs, gregs, sizeof(gregs));
		__atomic_store_n(&pg->state, REPLY, __ATOMIC_RELEASE);
		futex(&pg->state, FUTEX_WAKE, 1);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long iters = 20000;
	int batches = 5, status;
	double ns[64];
	cpu_set_t set;
	pid_t pid;

	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--iters=", 8) == 0)
			iters = atol(argv[i] + 8);
		else if (strncmp(argv[i], "--batches=", 10) == 0)
			batches = atoi(argv[i] + 10);
		else {
			fprintf(stderr, "usage: handoff [--iters=N] [--batches=B]\n");
			return 2;
		}
	}
	if (iters < 1 || batches < 1 || batches > 64) {
		fprintf(stderr, "handoff: bad --iters or --batches\n");
		return 2;
	}
	CPU_ZERO(&set);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
	sched_setaffinity(0, sizeof(set), &set);
	pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	if (pg == MAP_FAILED)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		child(iters, batches);
	for (int b = 0; b < batches; b++) {
		ns[b] = (double)serve() / (double)iters;
		printf("BENCH name=handoff iters=%ld ns_per_op=%.2f\n", iters, ns[b]);
		__atomic_store_n(&pg->state, RUN, __ATOMIC_RELEASE);
		futex(&pg->state, FUTEX_WAKE, 1);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "handoff: the child failed (status 0x%x)\n", status);
		return 1;
	}
	qsort(ns, (size_t)batches, sizeof(ns[0]), cmp);
	printf("# handoff: median %.2f ns per SIGSYS + futex round trip\n",
	       ns[batches / 2]);
	return 0;
}
