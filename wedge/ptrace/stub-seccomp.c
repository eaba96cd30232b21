// SPDX-License-Identifier: MIT
/*
 * --user=seccomp: guest user code runs in stubs that catch their own
 * system calls and faults, without a ptrace stop per event.
 *
 * A stub of this mode is a fork of the host (before the host's own
 * filter goes on, stub.c) that maps the code page (stub-seccomp-code.S), its
 * shared page (a page of h->sc_fd, one per stub) and a signal stack at
 * STUB_CODE_ADDR, makes ptrace_sc_handler the handler of every signal it
 * can get, and installs its seccomp filter:
 *
 *  - every call from anywhere but the code page's one syscall
 *    instruction is SIGSYS (SECCOMP_RET_TRAP): guest user code's system
 *    calls, int $0x80, the vsyscall page, all of them;
 *  - from that instruction: futex WAIT and WAKE on the shared page's
 *    state word (the hand-off), arch_prctl ARCH_SET_FS/GS (the user's
 *    bases), and mmap, munmap, mprotect, which go to the host as seccomp
 *    notifications (SECCOMP_RET_USER_NOTIF): the host lets one run only
 *    if it is the next call of the batch it wrote, compared with its own
 *    copy, argument by argument.  Everything else is SIGSYS again.
 *
 * Guest user code can jump to that instruction with registers of its
 * choosing and can rewrite the shared page whenever it runs: it gets a
 * futex on its own page, its own FS/GS base, or a refused mmap.  The
 * handler never uses rt_sigreturn and blocks no signal, so the stub's
 * signal mask and handlers stay as set up (no call can change them).
 *
 * The hand-off: the stub posts SC_EVENT with the registers and the
 * signal's facts and waits on the futex; the host copies the event out
 * of the page before it looks at it (stub.c then treats it as a ptrace
 * stop), writes the reply (registers, the bases, or a batch) and wakes
 * the stub.  Host and stubs are pinned to one CPU (main.c).  The host
 * waits with a timeout: a stub that does not answer is checked for
 * life, its forged waits are woken and its forged calls refused, so
 * that guest user code can make it hang only itself.  The timer reaches
 * guest user code with SC_PREEMPT_SIG (kill), which nothing can block.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <asm/prctl.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "ptrace.h"
#include "seccomp.h"
#include "stub-seccomp.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV	(1UL << 5)
#endif

#define WAIT_MS		20	/* a hand-off wait before the checks */
#define NOTIF_MS	2000	/* a batch call the stub owes us */
#define FORGED_MS	5	/* a forged call that may be coming */
#define MAX_DROPPED_LOG	1000	/* lines about signals sent to stubs */

static const int sc_signals[] = {
	SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SC_PREEMPT_SIG,
};

_Static_assert(sizeof(struct sc_page) == 0x1000, "struct sc_page is a page");
_Static_assert(SC_STACK_ADDR + SC_STACKS_SIZE == STUB_CODE_ADDR + STUB_SIZE,
	       "the stub's window");
_Static_assert(SC_PREEMPT_SIG == SIGUSR1, "the tick's signal");
_Static_assert(offsetof(struct sc_page, op) == SC_OPS, "SC_OPS");
_Static_assert(offsetof(struct sc_page, reply) == SC_REPLY_REGS, "SC_REPLY");
_Static_assert(offsetof(struct sc_page, gregs) == SC_GREGS, "SC_GREGS");
_Static_assert(offsetof(struct sc_page, dropped) == SC_DROPPED, "SC_DROPPED");
_Static_assert(offsetof(struct sc_page, dropped_any) == SC_DROPPED_ANY, "SC_DROPPED_ANY");
_Static_assert(offsetof(struct sc_page, ldt) == SC_LDT_DESC, "SC_LDT_DESC");
_Static_assert(offsetof(struct sc_page, ev_segs) == SC_EV_SEGS, "SC_EV_SEGS");
_Static_assert(offsetof(struct sc_page, re_segs) == SC_RE_SEGS, "SC_RE_SEGS");
_Static_assert(offsetof(struct sc_page, mode32) == SC_MODE32, "SC_MODE32");

static pid_t host_pid;

static uint64_t sc_syscall_ip(void)
{
	return STUB_CODE_ADDR + (uint64_t)(ptrace_sc_syscall_ip - ptrace_sc_code);
}

/* ---- What the host kernel must have ---------------------------------- */

static bool action_avail(uint32_t action)
{
	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

bool ss_available(const char **why)
{
	int pidfd, fd;

	if (!action_avail(SECCOMP_RET_TRAP) ||
	    !action_avail(SECCOMP_RET_USER_NOTIF)) {
		*why = "seccomp with SECCOMP_RET_USER_NOTIF (Linux 5.5)";
		return false;
	}
	pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	fd = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, 0, 0);
	if (pidfd >= 0)
		close(pidfd);
	if (fd < 0) {
		*why = "pidfd_open and pidfd_getfd (Linux 5.6)";
		return false;
	}
	close(fd);
	return true;
}

/* ---- The stub's side of setup ----------------------------------------- */

static int sc_filter(void)
{
	static struct sc_filter f;
	uint64_t ip = sc_syscall_ip();
	static const uint32_t futex_ops[] = { FUTEX_WAIT, FUTEX_WAKE };
	static const uint32_t bases[] = { ARCH_SET_FS, ARCH_SET_GS };
	int fd;

	sc_init(&f);
	sc_ip_range(&f, 0, ip, SECCOMP_RET_TRAP);
	sc_ip_range(&f, ip + 1, ~0ULL, SECCOMP_RET_TRAP);
	sc_arg_not(&f, SYS_futex, 0, STUB_DATA_ADDR + SC_STATE,
		   SECCOMP_RET_TRAP);
	sc_allow_args(&f, SYS_futex, 1, futex_ops, 2);
	sc_allow_args(&f, SYS_arch_prctl, 0, bases, 2);
	sc_action(&f, SYS_mmap, SECCOMP_RET_USER_NOTIF);
	sc_action(&f, SYS_munmap, SECCOMP_RET_USER_NOTIF);
	sc_action(&f, SYS_mprotect, SECCOMP_RET_USER_NOTIF);
	sc_action(&f, SYS_modify_ldt, SECCOMP_RET_USER_NOTIF);
	sc_finish(&f, SECCOMP_RET_TRAP);
	/* Once the host has a call, a tick does not take it back (Linux
	   6.0); before, the call comes again (SA_RESTART) and sc_answer()
	   sees the first one gone. */
	fd = sc_install(&f, SECCOMP_FILTER_FLAG_NEW_LISTENER |
			    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
	if (fd == -EINVAL)
		fd = sc_install(&f, SECCOMP_FILTER_FLAG_NEW_LISTENER);
	return fd;
}

int ss_map(struct host *h, unsigned int index)
{
	if (mmap((void *)STUB_CODE_ADDR, 0x1000, PROT_READ | PROT_EXEC,
		 MAP_SHARED | MAP_FIXED, h->memfd,
		 (off_t)h->mem_size) == MAP_FAILED ||
	    mmap((void *)STUB_DATA_ADDR, 0x1000, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, h->sc_fd,
		 (off_t)index * 0x1000) == MAP_FAILED ||
	    mmap((void *)SC_STACK_ADDR, SC_STACKS_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return -1;
	return 0;
}

/* Every signal the stub can get goes to the handler, none blocked. */
static int sc_handlers(void)
{
	stack_t ss = { .ss_sp = (void *)SC_STACK_ADDR, .ss_size = SC_STACK_SIZE };
	struct sigaction sa;
	size_t i;

	if (sigaltstack(&ss, NULL) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))(uintptr_t)
		(STUB_CODE_ADDR + (uint64_t)(ptrace_sc_handler - ptrace_sc_code));
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sc_signals) / sizeof(sc_signals[0]); i++)
		if (sigaction(sc_signals[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

/*
 * The child, after stub.c reset its signals, mapped the pages (sc_map)
 * and closed what it must not keep: from here on the stub's own code.
 * The filter goes on last; its listener's number is left in the shared
 * page for the host.
 */
void ss_child(void)
{
	int fd;

	if (sc_handlers() < 0)
		_exit(6);
	fd = sc_filter();
	if (fd < 0)
		_exit(3);
	/* the stub's code stores it (no C store there: under ASan it
	   would go through a shadow this process no longer maps) */
	((void (*)(long))(STUB_CODE_ADDR +
			  (uint64_t)(ptrace_sc_start - ptrace_sc_code)))(fd);
	_exit(4);
}

/* ---- The host's side ---------------------------------------------------- */

int ss_init(struct host *h)
{
	size_t len = (size_t)MAX_STUBS * 0x1000;
	void *p;

	h->sc_fd = memfd_create("afterburn-ptrace-stubs", MFD_CLOEXEC);
	if (h->sc_fd < 0 || ftruncate(h->sc_fd, (off_t)len) < 0)
		return -errno;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, h->sc_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	h->sc_pages = p;
	host_pid = getpid();
	memcpy(h->phys + h->mem_size, ptrace_sc_code,
	       (size_t)(ptrace_sc_code_end - ptrace_sc_code));
	h->max_ops = SC_MAX_OPS;
	return 0;
}

static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * Is @s still there?  User code can make its stub die (a stack pointer
 * at the bottom of the signal stack leaves Linux no room for a frame):
 * the stub is then marked dead, never used again, and the user process
 * gets a fault (stub.c).
 */
static bool sc_alive(struct stub *s)
{
	siginfo_t si;
	char who[64];

	if (s->dead)
		return false;
	/* WNOWAIT: a dead stub stays a zombie, so that its pid (which the
	   tick may still be sent to) is no other process's */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)s->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
	    si.si_pid != s->pid)
		return true;
	pr_warning("%s %s %d: its user process faults", stub__who(s, who, sizeof(who)),
		   si.si_code == CLD_EXITED ? "exited with status" : "was killed by signal",
		   si.si_status);
	s->dead = true;
	return false;
}

static bool op_matches(const struct seccomp_notif *n, const struct stub *s,
		       const struct stub_op *op)
{
	unsigned int i;

	if (!op || (pid_t)n->pid != s->pid ||
	    n->data.arch != AUDIT_ARCH_X86_64 || n->data.nr != (int)op->nr ||
	    n->data.instruction_pointer != sc_syscall_ip())
		return false;
	for (i = 0; i < 6; i++)
		if (n->data.args[i] != op->arg[i])
			return false;
	return true;
}

/*
 * Answer one notification of @s: let it run if it is @op (NULL: none is
 * due), refuse it otherwise.  1 if @op ran, 0 if not, -ETIMEDOUT if
 * nothing came within @ms, -EINTR for the tick.
 */
static int sc_answer(struct host *h, struct stub *s, const struct stub_op *op,
		     int ms)
{
	struct pollfd p = { .fd = s->listener, .events = POLLIN };
	struct seccomp_notif_resp resp;
	struct seccomp_notif n;
	bool ok;
	int r;

	r = poll(&p, 1, ms);
	if (r <= 0)
		return r < 0 ? -errno : -ETIMEDOUT;
	memset(&n, 0, sizeof(n));
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
		return 0;	/* gone again (a signal): it comes back */
	ok = op_matches(&n, s, op);
	memset(&resp, 0, sizeof(resp));
	resp.id = n.id;
	resp.flags = ok ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	resp.error = ok ? 0 : -EPERM;
	if (!ok)
		h->st.refused++;
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
		return 0;
	return ok;
}

/* Refuse every call of @s that no batch of ours asked for. */
static void sc_refuse_forged(struct host *h, struct stub *s)
{
	while (sc_answer(h, s, NULL, 0) == 0)
		;
}

/*
 * Log the signals someone sent @s while its own code ran (it dropped
 * them; the host's ticks are no news): as --user=ptrace logs them.
 */
static void sc_log_dropped(struct stub *s)
{
	static unsigned int logged;
	struct sc_page *pg = s->page;
	char who[64];
	siginfo_t si;
	int sig;

	pg->dropped_any = 0;
	for (sig = 1; sig < 32; sig++) {
		uint64_t from = pg->dropped[sig][0];
		int code = (int)pg->dropped[sig][1];

		if (!from && !code)
			continue;
		pg->dropped[sig][0] = pg->dropped[sig][1] = 0;
		/* user code can write here too: only what a sender would
		   leave, and only so many lines */
		if ((int32_t)(uint32_t)from <= 0 ||
		    (code != SI_USER && code != SI_QUEUE && code != SI_TKILL) ||
		    (sig == SC_PREEMPT_SIG && (pid_t)(uint32_t)from == host_pid) ||
		    logged >= MAX_DROPPED_LOG)
			continue;
		logged++;
		memset(&si, 0, sizeof(si));
		si.si_signo = sig;
		si.si_code = code;
		si.si_pid = (pid_t)(uint32_t)from;
		si.si_uid = (uid_t)(from >> 32);
		trap__from_outside(sig, &si, stub__who(s, who, sizeof(who)));
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Wait for @s to post an event and copy it out: the page is the guest's
 * to scribble on, the copy is ours.  0, -ECHILD if @s died, or
 * -ETIMEDOUT after @tries rounds of WAIT_MS (each followed by the checks
 * above), for a batch's end.  The rounds are measured on the clock: the
 * tick interrupts a wait every few milliseconds, and a stub that died
 * must still be noticed.
 */
static int sc_wait(struct host *h, struct stub *s, struct sc_event *ev,
		   unsigned int tries)
{
	const struct timespec ts = { 0, WAIT_MS * 1000000L };
	struct sc_page *pg = s->page;
	uint64_t info[SC_INFO_QWORDS];
	uint64_t check_at = 0;
	uint32_t st;

	for (;;) {
		st = __atomic_load_n(&pg->state, __ATOMIC_ACQUIRE);
		if (st == SC_EVENT)
			break;
		if (!check_at)
			check_at = mono_ms() + WAIT_MS;
		if (syscall(SYS_futex, &pg->state, FUTEX_WAIT, st, &ts, NULL, 0) &&
		    errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
			die("waiting for stub %d: %s", s->pid, strerror(errno));
		if (mono_ms() < check_at)
			continue;
		check_at += WAIT_MS;
		h->st.stub_kicks++;
		if (!sc_alive(s))
			return -ECHILD;
		sc_refuse_forged(h, s);
		futex_wake(&pg->state);	/* a wait the guest forged */
		if (tries && !--tries)
			return -ETIMEDOUT;
	}
	memcpy(info, pg->info, sizeof(info));
	memcpy(ev->gregs, pg->gregs, sizeof(ev->gregs));
	memcpy(ev->segs, pg->ev_segs, sizeof(ev->segs));
	__atomic_store_n(&pg->state, SC_HOST, __ATOMIC_RELEASE);
	h->st.handoffs++;
	if (pg->dropped_any)
		sc_log_dropped(s);
	ev->sig = (int)(uint32_t)info[0];
	ev->code = (int)(uint32_t)(info[1]);
	ev->addr = info[2];
	ev->pid = (int)(uint32_t)info[2];
	return 0;
}

/* A stub that does not follow the protocol (user code forged an event
   and runs on): it is killed, so it runs nothing we did not approve. */
static int sc_kill(struct stub *s)
{
	char who[64];

	pr_warning("%s does not run its batch: killed", stub__who(s, who, sizeof(who)));
	kill(s->pid, SIGKILL);	/* a zombie from now on (see sc_alive) */
	s->dead = true;
	return -ECHILD;
}

/*
 * Let @s run @ops, in order, as it asks for them, each within NOTIF_MS
 * (on the clock: ticks and refused calls do not restart it).
 */
static int sc_expect(struct host *h, struct stub *s, const struct stub_op *ops,
		     unsigned int n)
{
	uint64_t deadline;
	unsigned int i;
	int r;

	for (i = 0; i < n; i++) {
		deadline = mono_ms() + NOTIF_MS;
		while ((r = sc_answer(h, s, &ops[i], NOTIF_MS)) != 1) {
			if (r != 0 && r != -EINTR)
				return r;
			if (mono_ms() >= deadline || !sc_alive(s))
				return -ETIMEDOUT;
		}
	}
	return 0;
}

static void sc_post(struct sc_page *pg)
{
	__atomic_store_n(&pg->state, SC_REPLY, __ATOMIC_RELEASE);
	futex_wake(&pg->state);
}

/*
 * Have @s run @n calls, as its next reply, and wait until it is back:
 * each must come as the notification the batch says, in order.  A stub
 * that posts something else was not waiting for us (guest user code
 * posted an event of its own before): it is now, so try again.
 */
int ss_batch(struct host *h, struct stub *s, const struct stub_op *ops,
	     unsigned int n)
{
	struct sc_page *pg = s->page;
	struct sc_event ev;
	unsigned int attempt;

	if (s->dead)
		return -ECHILD;
	for (attempt = 0; attempt < 3; attempt++) {
		memcpy(pg->op, ops, n * sizeof(ops[0]));
		pg->count = n;
		pg->batch_only = 1;
		sc_post(pg);
		if (sc_expect(h, s, ops, n) < 0 ||
		    sc_wait(h, s, &ev, NOTIF_MS / WAIT_MS) < 0) {
			if (!sc_alive(s))
				return -ECHILD;
			continue;
		}
		if (ev.sig == 0)
			return 0;
	}
	return sc_kill(s);
}

/* Wait for @s's first event (it is ready), then take its listener. */
int ss_start(struct host *h, struct stub *s, unsigned int index)
{
	struct sc_event ev;
	int pidfd;

	s->page = &h->sc_pages[index];
	s->listener = -1;
	s->bases_set = false;
	if (sc_wait(h, s, &ev, NOTIF_MS / WAIT_MS) < 0 || ev.sig != 0)
		return -EPROTO;
	pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (pidfd < 0)
		return -errno;
	s->listener = (int)syscall(SYS_pidfd_getfd, pidfd,
				   (int)s->page->listener, 0);
	close(pidfd);
	if (s->listener < 0)
		return -errno;
	return 0;
}

/* Resume user code in @s with @reply (gregs order), after the batch
   @ops, until its next event. */
int ss_run(struct host *h, struct stub *s, const uint64_t reply[SC_NREPLY],
	   const struct stub_op *ops, unsigned int n, struct sc_event *ev)
{
	struct afb_vcpu *v = h->vcpu;
	struct sc_page *pg = s->page;

	/* every field of the reply, whatever user code left there */
	pg->set_fs = !s->bases_set || s->fs_base != v->fs_base;
	pg->set_gs = !s->bases_set || s->gs_base != v->gs_base;
	pg->fs_base = s->fs_base = v->fs_base;
	pg->gs_base = s->gs_base = v->gs_base;
	s->bases_set = true;
	/* a 32-bit guest: its selectors (stub32.c), no 64-bit bases */
	pg->mode32 = stub32__mode(h);
	if (pg->mode32)
		pg->set_fs = pg->set_gs = 0;
	memcpy(pg->re_segs, s->host_sel, sizeof(pg->re_segs));
	memcpy(pg->reply, reply, sizeof(pg->reply));
	memcpy(pg->op, ops, n * sizeof(ops[0]));
	pg->count = n;
	pg->batch_only = 0;
	sc_post(pg);
	/* The batch runs before user code does; the guest kernel runs no
	   more until the next event, which comes after it. */
	if (sc_expect(h, s, ops, n) < 0)
		return sc_alive(s) ? sc_kill(s) : -ECHILD;
	/* User code running the stub's own code (never ours to resume) may
	   be about to retry a call it forged: refuse it now, before a tick
	   interrupts it again (sc_wait's checks may never time out). */
	if (reply[REG_RIP] - STUB_CODE_ADDR < STUB_SIZE)
		while (sc_answer(h, s, NULL, FORGED_MS) == 0)
			;
	return sc_wait(h, s, ev, 0);
}

/* From the SIGALRM handler: the tick, for the stub that runs. */
void ss_interrupt(pid_t pid)
{
	kill(pid, SC_PREEMPT_SIG);
}
