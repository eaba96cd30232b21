// SPDX-License-Identifier: MIT
/*
 * The system-call allow-lists of the host and of its stubs (defence in
 * depth, see doc/threat-model.md).
 *
 * The host's.  The guest kernel runs natively in this process:
 * a hostile one can run this process's own code, so once setup is done
 * (image loaded, wedge patched, signal handlers and every stub in
 * place), only what the host needs from then on stays reachable:
 *
 *  - system calls made from the guest's window (the wedge and the
 *    kernel half) stop with SIGSYS before Linux runs them: they are the
 *    guest kernel's own syscall, sysenter or int $0x80 (syscall.c);
 *  - memory: mmap, munmap, mprotect, madvise, mremap, brk (mirroring
 *    the guest's kernel half, malloc);
 *  - --user=seccomp: futex (wait, wake), kill to the stubs only, poll,
 *    waitid and the seccomp notification ioctls (stub-seccomp.c);
 *  - the stubs: ptrace with the requests that act on a stopped tracee
 *    only (no PTRACE_ATTACH, SEIZE or TRACEME: no new tracee), wait4;
 *  - signals and time: rt_sigreturn, rt_sigprocmask, rt_sigsuspend (hlt),
 *    timer_create, timer_settime (the PIT), clock_gettime;
 *  - output: write to standard output (the console) and error only;
 *    fstat of an open file and the TCGETS ioctl (stdio's buffering);
 *  - console input (console.c): poll (is there input, with no timeout:
 *    its fds are in memory, no filter can check them) and read from
 *    standard input only; the TCSETS ioctl (the terminal's settings
 *    restored at exit);
 *  - arch_prctl ARCH_SET_FS and ARCH_SET_GS (the guest's GS base, the
 *    host's FS base after native guest code);
 *  - sigaltstack(NULL, ...), a query (ASan asks before noreturn calls);
 *  - in an AddressSanitizer build, getpid: ASan's messages name the
 *    process, and it prints one when an i386 guest's exit code (on the
 *    exits' own stack, compat-entry.S) ends the host;
 *  - exit, exit_group.
 *
 * Anything else (open, exec, socket, fork, kill but to a stub, ...) is refused with
 * SIGSYS, and trap.c stops the host with a message naming the call.
 * Every i386 (int $0x80, sysenter, compatibility-mode syscall) or x32
 * call is refused the same way, unless it comes from the guest's window;
 * in both stubs' filters, from anywhere (sc_init(): every ABI but
 * x86-64's takes the final action).
 *
 * A --user=seccomp stub's is in stub-seccomp.c.  A --user=ptrace stub's
 * (stub.c), from its start on: mmap and munmap from the stub
 * page's own syscall instruction (the batches the host has it run), and
 * modify_ldt writing one descriptor (a 32-bit guest's segments,
 * stub32.c: user-level code and data segments of the stub's own LDT,
 * which give its user code nothing it has not), and nothing else: a host taken over by the guest kernel, which may set a
 * stub's registers and write its data page, gets no more from a stub
 * than from itself.  Guest user code, stopped by PTRACE_SYSEMU before
 * any of its system calls runs, meets the filter only at the vsyscall
 * page.
 */
#include <asm/prctl.h>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <linux/futex.h>

#include "ptrace.h"
#include "seccomp.h"

static const uint32_t plain[] = {
	SYS_mmap, SYS_munmap, SYS_mprotect, SYS_madvise, SYS_mremap, SYS_brk,
	SYS_wait4, SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_rt_sigsuspend,
	SYS_timer_create, SYS_timer_settime, SYS_clock_gettime,
	SYS_exit, SYS_exit_group, SYS_fstat,
};

static const uint32_t ptrace_requests[] = {
	PTRACE_GETREGS, PTRACE_SETREGS, PTRACE_CONT, PTRACE_SYSEMU,
	PTRACE_GETSIGINFO, PTRACE_INTERRUPT,
};

static const uint32_t output_fds[] = { 1, 2 };
static const uint32_t input_fds[] = { 0 };
static const uint32_t arch_prctl_codes[] = { ARCH_SET_FS, ARCH_SET_GS };
static const uint32_t ioctl_requests[] = {
	TCGETS, TCSETS, SECCOMP_IOCTL_NOTIF_RECV, SECCOMP_IOCTL_NOTIF_SEND,
};
static const uint32_t fstatat_flags[] = { AT_EMPTY_PATH };
static const uint32_t null_only[] = { 0 };
static const uint32_t ldt_write[] = { 0x11 };	/* modify_ldt: write */

#define N(a)	(sizeof(a) / sizeof((a)[0]))

/* --user=seccomp: the hand-off (futex), the ticks (kill, to the stubs
   only), the stubs' batches (their notifications; poll, for a timeout,
   is allowed for everyone). */
static void allow_seccomp_stubs(struct sc_filter *f, const struct host *h)
{
	static const uint32_t futex_ops[] = { FUTEX_WAIT, FUTEX_WAKE };
	uint32_t pids[MAX_STUBS];
	unsigned int i;

	for (i = 0; i < MAX_STUBS; i++)
		pids[i] = (uint32_t)h->stubs[i].pid;
	sc_allow_args(f, SYS_futex, 1, futex_ops, N(futex_ops));
	sc_allow_args(f, SYS_kill, 0, pids, MAX_STUBS);
	sc_allow(f, SYS_waitid);	/* WNOWAIT: is a stub still there */
}

int seccomp__install(struct host *h)
{
	static struct sc_filter f;
	size_t i;

	sc_init(&f);
	sc_ip_range(&f, GUEST_WEDGE_BASE, GUEST_KERNEL_END, SECCOMP_RET_TRAP);
	if (h->guest32) {
		/* The i386 guest's code lies below 4 GiB; its %fs/%gs are
		   LDT entries (ldt.c writes them). */
		sc_ip_range(&f, 0, COMPAT_TOP, SECCOMP_RET_TRAP);
		sc_allow_args(&f, SYS_modify_ldt, 0, ldt_write, N(ldt_write));
	}
	for (i = 0; i < N(plain); i++)
		sc_allow(&f, plain[i]);
	sc_allow_args(&f, SYS_ptrace, 0, ptrace_requests, N(ptrace_requests));
	sc_allow_args(&f, SYS_write, 0, output_fds, N(output_fds));
	sc_allow_args(&f, SYS_read, 0, input_fds, N(input_fds));
	sc_allow(&f, SYS_poll);
	sc_allow_args(&f, SYS_arch_prctl, 0, arch_prctl_codes,
		      N(arch_prctl_codes));
	sc_allow_args(&f, SYS_ioctl, 1, ioctl_requests, N(ioctl_requests));
	if (h->user_seccomp)
		allow_seccomp_stubs(&f, h);
	sc_allow_args(&f, SYS_newfstatat, 3, fstatat_flags, N(fstatat_flags));
	sc_allow_args(&f, SYS_sigaltstack, 0, null_only, N(null_only));
#ifdef __SANITIZE_ADDRESS__
	sc_allow(&f, SYS_getpid);
#endif
	sc_finish(&f, SECCOMP_RET_TRAP);
	return sc_install(&f, 0);
}

int seccomp__install_stub(uint64_t syscall_ip)
{
	static struct sc_filter f;

	sc_init(&f);
	sc_ip_range(&f, 0, syscall_ip, SECCOMP_RET_TRAP);
	sc_ip_range(&f, syscall_ip + 1, ~0ULL, SECCOMP_RET_TRAP);
	sc_allow(&f, SYS_mmap);
	sc_allow(&f, SYS_munmap);
	/* a 32-bit guest's segments (stub32.c): write one user_desc */
	sc_arg_not(&f, SYS_modify_ldt, 0, 0x11, SECCOMP_RET_TRAP);
	sc_arg_not(&f, SYS_modify_ldt, 2, 16, SECCOMP_RET_TRAP);
	sc_allow(&f, SYS_modify_ldt);
	sc_finish(&f, SECCOMP_RET_TRAP);
	return sc_install(&f, 0);
}
