// SPDX-License-Identifier: MIT
/*
 * Signals.  The guest kernel runs in this process at CPL3, so everything
 * it does that a CPU would trap, Linux turns into a signal:
 *
 *  - Signals that Linux did not raise for this process's own code
 *    (si_code SI_USER, SI_TKILL, SI_QUEUE ...: kill(1) from outside) are
 *    logged with their sender and dropped: they are no guest event.
 *
 *  - SIGSYS from the seccomp filter: a system call made from the guest
 *    kernel's window is its own syscall/sysenter/int $0x80 and is
 *    emulated as a CPU does it (syscall.c); any other system call that
 *    is not on the allow-list is refused, and the host stops.
 *
 *  - SIGSEGV (#GP from a privileged instruction, or a page fault),
 *    SIGILL (#UD, and the ud2 of --no-patch sites), SIGFPE, SIGTRAP,
 *    SIGBUS with the guest kernel's rip: the handler copies the
 *    registers into a struct afb_frame and makes the signal return to
 *    ptrace_trap_trampoline on the wedge stack, where
 *    ptrace_trap_continue() decodes and emulates the instruction, or
 *    delivers the exception to the guest, exactly as a thunk does.
 *    Leaving the handler first keeps the long waits (user mode in a stub,
 *    idling) out of signal context.
 *
 *  - SIGALRM, the PIT's host timer: the PIC model raises IRQ0.  If the
 *    guest kernel's own code was running, the interrupt is delivered at
 *    once by editing the signal's ucontext (the core builds the
 *    interrupt frame; the virtual IF decides).  If a stub runs (the host
 *    waits in waitpid), the stub is stopped with PTRACE_INTERRUPT and the
 *    interrupt is delivered as from user mode.  In host or wedge code it
 *    stays pending: the core delivers it at the next sti/popf/iret or
 *    site, or the next tick does.
 *
 * Every handler runs on the alternate signal stack (guest kernel stacks
 * are small and belong to the guest) and is entered through entry.S,
 * which first restores the host's FS base (glibc's TLS), which native
 * guest code may have clobbered.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "ptrace.h"
#include "seccomp.h"

#define ALTSTACK_SIZE	(256 * 1024)

/* What the fault handler hands to ptrace_trap_continue(). */
static struct {
	struct afb_frame frame;
	int sig, code;
	uint64_t addr;		/* si_addr (SIGSYS: si_call_addr) */
	uint64_t err;		/* the hardware error code (REG_ERR) */
	const struct site_info *site;	/* a fast path faulted: redo it slowly */
} trap;

static const int gpr_reg[16] = {
	[AFB_RAX] = REG_RAX, [AFB_RCX] = REG_RCX, [AFB_RDX] = REG_RDX,
	[AFB_RBX] = REG_RBX, [AFB_RSP] = REG_RSP, [AFB_RBP] = REG_RBP,
	[AFB_RSI] = REG_RSI, [AFB_RDI] = REG_RDI, [AFB_R8] = REG_R8,
	[AFB_R9] = REG_R9, [AFB_R10] = REG_R10, [AFB_R11] = REG_R11,
	[AFB_R12] = REG_R12, [AFB_R13] = REG_R13, [AFB_R14] = REG_R14,
	[AFB_R15] = REG_R15,
};

void trap__frame_from_uc(struct afb_frame *f, const void *ucv)
{
	const ucontext_t *uc = ucv;
	const greg_t *g = uc->uc_mcontext.gregs;
	int i;

	for (i = 0; i < 16; i++)
		f->gpr[i] = (uint64_t)g[gpr_reg[i]];
	f->rip = (uint64_t)g[REG_RIP];
	f->next_rip = 0;
	f->rflags = (uint64_t)g[REG_EFL];
}

void trap__frame_to_uc(const struct afb_frame *f, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	int i;

	for (i = 0; i < 16; i++)
		g[gpr_reg[i]] = (greg_t)f->gpr[i];
	g[REG_RIP] = (greg_t)f->rip;
	g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~(uint64_t)AFB_RFLAGS_REAL) |
			      (f->rflags & AFB_RFLAGS_REAL));
}

static bool guest_kernel_rip(uint64_t rip)
{
	return rip >= GUEST_KERNEL_BASE && rip < GUEST_KERNEL_END;
}

/* Last words from a signal handler: write(2) and _exit(). */
#define DIE_IN_HANDLER(status, ...) do {				\
	char buf_[256];							\
	int n_ = snprintf(buf_, sizeof(buf_), __VA_ARGS__);		\
									\
	uart__flush(&the_host.uart);					\
	console__restore();						\
	if (n_ > 0 && write(2, buf_, (size_t)n_) < 0)			\
		_exit(status);						\
	_exit(status);							\
} while (0)

/* A message from a signal handler (or anywhere): write(2), no stdio. */
#define SAY_IN_HANDLER(...) do {					\
	char sbuf_[256];						\
	int sn_ = snprintf(sbuf_, sizeof(sbuf_), __VA_ARGS__);		\
									\
	if (sn_ > 0 && write(2, sbuf_, (size_t)sn_) < 0)		\
		break;							\
} while (0)

/*
 * A signal that some process sent (kill, sigqueue, tgkill), not one that
 * Linux raised for what this process ran: never the guest's.  Log it.
 */
bool trap__from_outside(int sig, const siginfo_t *si, const char *to)
{
	if (si->si_code > 0)
		return false;
	SAY_IN_HANDLER("afterburn-ptrace: ignored signal %d (SIG%s) sent to %s by "
		       "pid %d uid %d (si_code %d): not the guest's\n", sig,
		       sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", to,
		       (int)si->si_pid, (int)si->si_uid, si->si_code);
	return true;
}

static bool in_window(uint64_t addr)
{
	return addr >= GUEST_WEDGE_BASE && addr < GUEST_KERNEL_END;
}

/*
 * SIGSYS from the filter.  False (the handler goes on as for a guest
 * trap) for the guest kernel's own system call; a refused call of host
 * code stops the host here.
 */
static bool seccomp_refused(const siginfo_t *si, uint64_t rip)
{
	uint64_t call = (uint64_t)(uintptr_t)si->si_call_addr;

	if (in_window(call) || ((call & ~0xfffULL) == 0xffffffffff600000ULL &&
				guest_kernel_rip(rip)))
		return false;
	DIE_IN_HANDLER(EXIT_HOST_ERROR,
		       "afterburn-ptrace: error: system call %s (arch 0x%x) from "
		       "0x%lx refused: it is not on the seccomp allow-list (a host "
		       "bug, or a guest kernel running host code)\n",
		       sc_name(si->si_syscall), si->si_arch, (unsigned long)call);
}

void ptrace_on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rip = (uint64_t)g[REG_RIP];
	const struct site_info *s = NULL;

	if (trap__from_outside(sig, si, "the host"))
		return;
	if (sig == SIGSYS && si->si_code != SYS_SECCOMP) {
		SAY_IN_HANDLER("afterburn-ptrace: ignored SIGSYS with si_code %d: "
			       "not from the seccomp filter\n", si->si_code);
		return;
	}
	if (sig == SIGSYS && seccomp_refused(si, rip))
		return;

	/* A fast path's guest-memory access (thunk.c): all but rax is as
	   at the site; emulate the site the slow way (it raises the #PF). */
	if (the_host.state != RUN_USER && !guest_kernel_rip(rip) &&
	    (s = wedge__find_thunk(&the_host, rip)) && s->fault_rip != rip)
		s = NULL;
	if ((!s && !guest_kernel_rip(rip)) || the_host.state == RUN_USER)
		DIE_IN_HANDLER(EXIT_GUEST_CRASH,
			       "afterburn-ptrace: signal %d at rip 0x%lx (address %p) "
			       "outside the guest kernel: a wild guest jump or a host bug\n",
			       sig, (unsigned long)rip, si->si_addr);
	trap__frame_from_uc(&trap.frame, uc);
	trap.site = s;
	if (s) {
		trap.frame.gpr[AFB_RAX] = the_host.wd->rax;
		trap.frame.rip = s->addr;
	}
	trap.sig = sig;
	trap.code = si->si_code;
	trap.addr = sig == SIGSYS ? (uint64_t)(uintptr_t)si->si_call_addr
				  : (uint64_t)si->si_addr;
	trap.err = (uint64_t)g[REG_ERR];
	g[REG_RIP] = (greg_t)(uintptr_t)ptrace_trap_trampoline;
	g[REG_RSP] = (greg_t)(uintptr_t)ptrace_wedge_stack_top;
	g[REG_EFL] &= ~(greg_t)(AFB_RFLAGS_TF | AFB_RFLAGS_DF | AFB_RFLAGS_AC);
}

void ptrace_on_alarm(int sig, siginfo_t *si, void *ucv)
{
	struct host *h = &the_host;
	ucontext_t *uc = ucv;
	int saved = errno, ret;
	struct afb_frame f;

	if (si->si_code != SI_TIMER) {
		trap__from_outside(sig, si, "the host");
		errno = saved;
		return;
	}
	h->st.timer_signals++;
	devices__timer_tick(h);
	wedge__push_pending(h);
	if (h->state == RUN_USER) {
		stub__interrupt(h);
	} else if (guest_kernel_rip((uint64_t)uc->uc_mcontext.gregs[REG_RIP])) {
		trap__frame_from_uc(&f, uc);
		wedge__pull(h);
		ret = afb_vcpu_deliver_pending(h->vcpu, &f);
		wedge__push(h);
		if (ret == 1) {
			trap__frame_to_uc(&f, uc);
			h->st.irq_in_guest++;
		} else if (ret == AFB_VCPU_SHUTDOWN) {
			DIE_IN_HANDLER(EXIT_GUEST_CRASH,
				       "afterburn-ptrace: guest crashed: triple fault "
				       "delivering an interrupt at rip 0x%lx\n",
				       (unsigned long)f.rip);
		} else if (ret < 0) {
			DIE_IN_HANDLER(EXIT_HOST_ERROR,
				       "afterburn-ptrace: error: delivering an interrupt "
				       "at rip 0x%lx: %s\n", (unsigned long)f.rip,
				       strerror(-ret));
		}
	}
	errno = saved;
}

/* The exception a CPU raises for what Linux reported as @sig (both modes). */
uint8_t trap__exception_of(int sig, int code, uint64_t err, uint32_t *ec)
{
	*ec = 0;
	switch (sig) {
	case SIGSEGV:
		if (code == SEGV_MAPERR || code == SEGV_ACCERR) {
			*ec = (uint32_t)(err & (AFB_ACCESS_WRITE | 0x10)) |
			      (code == SEGV_ACCERR ? AFB_PF_PRESENT : 0);
			return AFB_EXC_PF;
		}
		return AFB_EXC_GP;
	case SIGILL:
		return AFB_EXC_UD;
	case SIGFPE:
		return code == FPE_INTDIV || code == FPE_INTOVF ? AFB_EXC_DE : 16;
	case SIGTRAP:
		return code == TRAP_BRKPT || code == SI_KERNEL ? AFB_EXC_BP
							       : AFB_EXC_DB;
	case SIGBUS:
		return code == BUS_ADRALN ? 17 : AFB_EXC_GP;
	}
	return AFB_EXC_GP;
}

/* Decode the sensitive instruction at the guest kernel's @rip. */
static bool decode_at(struct host *h, uint64_t rip, struct afb_insn *insn)
{
	uint8_t bytes[15], *p = NULL;
	size_t n = 15;

	while (n && !(p = memory__kernel_view(h, rip, n, false)))
		n--;
	if (!n)
		return false;
	memcpy(bytes, p, n);
	return afb_decode(bytes, n, 64, insn) > 0;
}

struct afb_frame *ptrace_trap_continue(void)
{
	struct host *h = &the_host;
	struct afb_vcpu *v = h->vcpu;
	struct afb_frame *f = &trap.frame;
	const struct site_info *s;
	struct afb_insn insn;
	uint32_t ec;
	uint8_t vec;

	wedge__pull(h);
	if (trap.sig == SIGSYS) {
		h->st.traps++;
		syscall__guest(h, f, trap.addr);
		return f;
	}
	if (trap.site) {
		h->st.fast_faults++;
		f->next_rip = trap.site->end;
		run__site(f, &trap.site->insn);
		return f;
	}
	h->st.traps++;
	if (trap.sig == SIGILL && (s = wedge__find_site(h, f->rip)) &&
	    s->trapping) {
		f->next_rip = s->end;
		run__site(f, &s->insn);
		return f;
	}
	if (trap.sig == SIGTRAP && (trap.code == SI_KERNEL ||
				    trap.code == TRAP_BRKPT) &&
	    decode_at(h, f->rip - 1, &insn) && insn.kind == AFB_KIND_INT3)
		f->rip--;	/* int3 reports the rip after it */
	else if (trap.sig == SIGTRAP && trap.code == SI_KERNEL &&
		 decode_at(h, f->rip - 2, &insn) && insn.kind == AFB_KIND_INT &&
		 insn.imm == 3)
		f->rip -= 2;	/* so does int $3 (cd 03) */
	if ((trap.sig == SIGILL || trap.sig == SIGTRAP ||
	     (trap.sig == SIGSEGV && trap.code == SI_KERNEL)) &&
	    decode_at(h, f->rip, &insn)) {
		run__site(f, &insn);
		return f;
	}
	/* A real exception of the guest kernel. */
	vec = trap__exception_of(trap.sig, trap.code, trap.err, &ec);
	if (vec == AFB_EXC_PF)
		v->cr2 = trap.addr;
	h->st.kernel_faults++;
	if (h->verbose)
		fprintf(stderr, "afterburn-ptrace: guest kernel exception %u (err 0x%x) "
			"at rip 0x%lx addr 0x%lx\n", vec, ec, (unsigned long)f->rip,
			(unsigned long)trap.addr);
	run__finish(f, afb_vcpu_exception(v, f, vec, ec));
	return f;
}

int trap__init(struct host *h)
{
	static const int faults[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS,
				      SIGSYS };
	struct sigaction sa;
	stack_t ss;
	unsigned int i;

	ptrace_have_fsgsbase = h->fsgsbase;
	ptrace_host_fs_base = (uint64_t)(uintptr_t)__builtin_thread_pointer();
	ss.ss_sp = malloc(ALTSTACK_SIZE);
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0;
	if (!ss.ss_sp || sigaltstack(&ss, NULL) < 0)
		return -errno;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ptrace_fault_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGALRM);
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		if (sigaction(faults[i], &sa, NULL) < 0)
			return -errno;

	sa.sa_sigaction = ptrace_alarm_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		return -errno;
	return 0;
}
