// SPDX-License-Identifier: MIT
/*
 * afterburn-kvm's system-call allow-list (defence in depth, see
 * doc/threat-model.md).  The guest runs in a hardware VM and reaches this
 * process only through its exits; should a bug in the handling of one
 * hand the guest this process, the kernel still refuses it every system
 * call the VMM does not need once the guest runs:
 *
 *  - KVM: ioctl with the vCPU, VM and stats requests the run loop, the
 *    PVM completion and --stats make (no KVM_CREATE_*, no memory slots),
 *    and the terminal requests of the console (TCGETS, TCSETS);
 *  - the console: read (standard input), write, fcntl (its flags at the
 *    end of input), pread and close (the KVM stats file);
 *  - memory: mmap, munmap, mprotect, madvise, brk (malloc);
 *  - signals and threads: rt_sigreturn, rt_sigprocmask, futex, exit,
 *    exit_group, clock_gettime, nanosleep, set_robust_list and rseq (a
 *    thread's start and exit), and tgkill to this process's own threads
 *    (getpid for it): the kick of a vCPU thread.
 *
 * Anything else (open, exec, socket, fork, kill, every i386 or x32 call)
 * raises SIGSYS: the VMM names the call on standard error and exits with
 * status 125 (an error of the VMM, not of the guest).  A SIGSYS sent from
 * outside (kill) is ignored.
 */
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm.h"
#include "seccomp.h"

#define N(a)	(sizeof(a) / sizeof((a)[0]))

static const uint32_t plain[] = {
	SYS_read, SYS_write, SYS_pread64, SYS_close, SYS_fcntl,
	SYS_mmap, SYS_munmap, SYS_mprotect, SYS_madvise, SYS_brk,
	SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_futex,
	SYS_clock_gettime, SYS_nanosleep, SYS_exit, SYS_exit_group,
	/* A vCPU thread may still be starting when the list goes on: glibc
	 * registers its robust futex list and rseq area then, and
	 * unregisters the rseq area as the thread exits. */
	SYS_set_robust_list, SYS_rseq,
	SYS_gettid,	/* the sanitizers' runtime asks it on every report */
	SYS_sigaltstack,	/* ASan's per-thread signal stack */
	SYS_sched_getaffinity,	/* a starting thread's attributes (ASan) */
};

/*
 * Under AddressSanitizer: no leak check at exit, which stops the world
 * with clone and ptrace, calls this list refuses (the other sanitizer
 * checks stay).  A weak hook; an ordinary build never calls it.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

static const uint32_t ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_GET_MSRS, KVM_GET_FPU, KVM_TRANSLATE, KVM_IRQ_LINE,
	KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, KVM_SET_GUEST_DEBUG,
	KVM_GET_STATS_FD, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
	TCGETS, TCSETS, TCSETSW, TCSETSF,
};

/* Async-signal-safe: a fixed message, the call's name, and out. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	static const char head[] = "afterburn-kvm: error: system call ";
	static const char tail[] = " refused by the seccomp allow-list (doc/threat-model.md)\n";
	const char *name = sc_name(si->si_syscall);

	(void)sig;
	(void)uc;
	if (si->si_code != SYS_SECCOMP)
		return;		/* a kill from outside: not a refused call */
	/* Best effort: the exit status says it anyway. */
	if (write(STDERR_FILENO, head, sizeof(head) - 1) >= 0 &&
	    write(STDERR_FILENO, name, strlen(name)) >= 0)
		(void)!write(STDERR_FILENO, tail, sizeof(tail) - 1);
	/* The system call itself: _exit() may be a sanitizer's wrapper,
	 * which would make calls the list refuses. */
	syscall(SYS_exit_group, KVM_EXIT_STATUS_VMM);
}

/* From here on, only the calls above, in every thread of the VMM (the
 * vCPU threads already started included). */
int sandbox__install(void)
{
	static struct sc_filter f;
	const uint32_t self = getpid();
	struct sigaction sa = { .sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO };
	size_t i;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -1;
	sc_init(&f);
	for (i = 0; i < N(plain); i++)
		sc_allow(&f, plain[i]);
	sc_allow_args(&f, SYS_ioctl, 1, ioctls, N(ioctls));
	/* pthread_kill(): the kick that brings a vCPU thread out of KVM_RUN,
	 * to this process's own threads only. */
	sc_allow(&f, SYS_getpid);
	sc_allow_args(&f, SYS_tgkill, 0, &self, 1);
	sc_finish(&f, SECCOMP_RET_TRAP);
	return sc_install(&f, SECCOMP_FILTER_FLAG_TSYNC);
}
