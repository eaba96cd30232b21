// SPDX-License-Identifier: MIT
/*
 * compat-roundtrip: what the i386 mechanism of afterburn-ptrace costs
 * (wedge/ptrace/compat*), next to what it is made of, in one run:
 *
 *   native call          an empty function (the floor)
 *   getppid              the cheapest system call
 *   arch_prctl SET_FS    what restoring the host's FS base costs without
 *                        FSGSBASE (eager mode, once per exit)
 *   signal, 64-bit       ud2 -> SIGILL -> handler -> rt_sigreturn
 *   exit, eager FS       32-bit code -> exit thunk -> C -> 32-bit code,
 *                        the host's FS base restored at every exit
 *   exit, lazy FS        the same, C running with the guest's FS base
 *   ud2 trap, eager/lazy ud2 in 32-bit code -> SIGILL -> 32-bit frame ->
 *                        rt_sigreturn to CS 0x23 (a --no-patch site)
 *   exit proxy (0x33)    an exit round trip from 64-bit code below 4 GiB
 *                        (both far jumps to 0x33): measurable anywhere
 *
 * The 32-bit rows need a host kernel that runs 32-bit user code with
 * LDT segments (compat_supported); elsewhere they are left out, saying
 * why (make bench-compat then runs this in scripts/kvm-vm's VM too).
 *
 *   bench/compat-roundtrip [ITERATIONS]
 */
#include <asm/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "compat-test.h"

static struct harness H;
static uint8_t altstack[1 << 16] __attribute__((aligned(16)));
static long loops;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void row(const char *what, double ns, long n)
{
	printf("  %-28s %10.1f ns\n", what, ns / (double)n);
}

__attribute__((noinline)) static void empty(void)
{
	__asm__ volatile("" ::: "memory");
}

/* 64-bit code that runs ud2 @n times (the handler skips each). */
extern void ud2_loop64(long n);
__asm__(".text\n"
	".globl ud2_loop64\n"
	".type ud2_loop64, @function\n"
	"ud2_loop64:\n"
	"1:	ud2\n"
	"	decq %rdi\n"
	"	jnz 1b\n"
	"	ret\n"
	".size ud2_loop64, .-ud2_loop64\n");

/*
 * What the mode switches are made of, measurable on any x86-64 host:
 * two far jumps through memory to the 64-bit selector, in 64-bit code
 * below 4 GiB (blob_farjmp64; an exit's ljmp and compat_resume's are far
 * jumps to another mode's selector), and
 * four data segment loads (compat_resume's DS, ES, FS and GS; DS and ES
 * twice here, leaving FS, the host's thread pointer, alone).
 */
extern void segload4(long n);
__asm__(".text\n"
	".globl segload4\n"
	".type segload4, @function\n"
	"segload4:\n"
	"	movl $0x2b, %eax\n"
	"1:	movl %eax, %ds\n"
	"	movl %eax, %es\n"
	"	movl %eax, %ds\n"
	"	movl %eax, %es\n"
	"	decq %rdi\n"
	"	jnz 1b\n"
	"	ret\n"
	".size segload4, .-segload4\n"
	".text\n");

static const uint8_t *loop_blob = blob_loop;
static bool proxy_guest_fs;

/* Exit 1 (blob_loop, blob_loop64): resume it @loops times. */
static int on_exit_fn(struct compat_regs *r)
{
	if (proxy_guest_fs)	/* as a guest %fs would have it */
		compat_fs_guest = 1;
	if (r->index == 1 && --loops > 0) {
		r->frame.rip = blob_addr(loop_blob);
		return COMPAT_RESUME;
	}
	return 1;
}

/* SIGILL: skip the ud2 (in 32-bit code, through a 32-bit frame); in
   blob_ud2_loop ecx counts down.  No TLS: it runs in lazy mode too. */
static void on_sigill(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct compat_regs r;

	(void)sig;
	(void)si;
	if (!compat_uc_is32(uc)) {
		uc->uc_mcontext.gregs[REG_RIP] += 2;
		return;
	}
	compat_regs_from_uc(&r, uc);
	r.frame.rip += 2;
	r.frame.gpr[AFB_RCX]--;
	compat_regs_to_uc(&r, uc);
}

static double run_exits(long n)
{
	struct compat_regs r;
	double t;

	harness_regs(&r, loop_blob);
	loops = n;
	t = now_ns();
	compat_enter(&r);
	return now_ns() - t;
}

static double run_traps(long n)
{
	struct compat_regs r;
	double t;

	harness_regs(&r, blob_ud2_loop);
	r.frame.gpr[AFB_RCX] = (uint64_t)n;
	t = now_ns();
	compat_enter(&r);
	return now_ns() - t;
}

/* The far-jump pair, in the low code page (far pointers have 32 bits). */
static void farjmp_row(long n)
{
	uint32_t far[4] = { blob_addr(blob_farjmp64_2), COMPAT_CS64,
			    blob_addr(blob_farjmp64_3), COMPAT_CS64 };
	void (*fn)(long) = (void (*)(long))(uintptr_t)blob_addr(blob_farjmp64);
	double t;

	memcpy(harness_page(&H, T_FAR1), far, sizeof(far));
	t = now_ns();
	fn(n);
	row("far jump pair (ljmp 0x33 x2)", now_ns() - t, n);
}

/*
 * The exit round trip with 64-bit code in place of 32-bit code: the same
 * thunk work, landing pad, compat_exit, C call and compat_resume, but
 * both far jumps go to 0x33 and FS and GS keep null selectors (eager:
 * the exit restores the FS base every time, as after a guest %fs).  What
 * an exit costs on a host that runs no 32-bit code, but the mode change
 * and the %fs load.
 */
static void proxy_rows(long n)
{
	uint32_t far[2] = { T_PAD, COMPAT_CS64 };
	int lazy;

	memcpy(harness_page(&H, T_FAR64), far, 6);
	loop_blob = blob_loop64;
	compat_resume_cs = COMPAT_CS64;
	for (lazy = 0; lazy < 2; lazy++) {
		if (compat_set_fs_mode(lazy ? COMPAT_FS_LAZY : COMPAT_FS_EAGER))
			break;
		proxy_guest_fs = !lazy;
		run_exits(n / 10);
		row(lazy ? "exit proxy (0x33), lazy FS" :
			   "exit proxy (0x33), eager FS", run_exits(n), n);
	}
	proxy_guest_fs = false;
	compat_set_fs_mode(COMPAT_FS_EAGER);
	compat_resume_cs = COMPAT_CS32;
	loop_blob = blob_loop;
}

static void compat_rows(long n)
{
	char err[256];
	int lazy;

	if (harness_init(&H, on_exit_fn, COMPAT_FS_EAGER, err, sizeof(err))) {
		fprintf(stderr, "compat-roundtrip: %s\n", err);
		exit(1);
	}
	farjmp_row(n);
	proxy_rows(n);
	if (compat_supported(err, sizeof(err))) {
		printf("  32-bit rows left out: %s\n", err);
		return;
	}
	for (lazy = 0; lazy < 2; lazy++) {
		if (compat_set_fs_mode(lazy ? COMPAT_FS_LAZY : COMPAT_FS_EAGER)) {
			printf("  lazy FS rows left out: not in a sanitizer build\n");
			break;
		}
		run_exits(n / 10);	/* warm up */
		row(lazy ? "exit round trip, lazy FS" : "exit round trip, eager FS",
		    run_exits(n), n);
		row(lazy ? "ud2 trap round trip, lazy FS" :
			   "ud2 trap round trip, eager FS", run_traps(n), n);
	}
	compat_set_fs_mode(COMPAT_FS_EAGER);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000, i;
	uint64_t fs = (uint64_t)(uintptr_t)__builtin_thread_pointer();
	struct sigaction sa;
	stack_t ss;
	double t;

	if (n < 10) {
		fprintf(stderr, "compat-roundtrip: '%s': not a number of "
			"iterations (10 or more)\n", argv[1]);
		return 2;
	}
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL)) {
		perror("sigaltstack");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = compat_signal_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	compat_signal_fn = on_sigill;
	if (sigaction(SIGILL, &sa, NULL)) {
		perror("sigaction");
		return 1;
	}

	printf("compat-roundtrip: %ld iterations per row\n", n);
	t = now_ns();
	for (i = 0; i < n; i++)
		empty();
	row("native call", now_ns() - t, n);
	t = now_ns();
	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
	row("getppid", now_ns() - t, n);
	t = now_ns();
	for (i = 0; i < n; i++)
		syscall(SYS_arch_prctl, ARCH_SET_FS, fs);
	row("arch_prctl(ARCH_SET_FS)", now_ns() - t, n);
	t = now_ns();
	ud2_loop64(n);
	row("signal round trip, 64-bit", now_ns() - t, n);
	t = now_ns();
	segload4(n);
	row("4 data segment loads", now_ns() - t, n);
	compat_rows(n);
	return 0;
}
