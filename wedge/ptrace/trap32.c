// SPDX-License-Identifier: MIT
/*
 * Signals of an i386 guest kernel, which runs as 32-bit code (CS 0x23)
 * in this process.  Every signal enters through compat_signal_entry
 * (compat-entry.S: the guest's %fs/%gs noted, the host's FS base back)
 * and reaches trap32__on_signal():
 *
 *  - SIGSEGV at a page the guest maps (or, paging off, at its RAM) that
 *    is not mirrored yet: memory32.c maps it, and the instruction runs
 *    again.  This stays in the handler.
 *
 *  - Any other fault of guest code (a privileged instruction's #GP, the
 *    ud2 of a --no-patch site, a #PF of the guest's own, int3 ...): the
 *    32-bit registers are saved and the signal returns to
 *    trap32_continue() on the wedge stack (64-bit host code,
 *    compat_uc_to_host), which emulates the instruction or delivers the
 *    exception through the guest's IDT, as trap.c does for a 64-bit
 *    guest, and resumes the guest with compat_resume().
 *
 *  - SIGALRM, the PIT: the PIC model raises IRQ0; in guest kernel code
 *    (not inside an exit thunk, whose index slot a nested exit would
 *    overwrite) the interrupt is delivered at once by editing the
 *    context; in user mode the stub is interrupted; in host code it
 *    stays pending for the next delivery point.
 *
 * Segments: the core tells load_seg of every %fs/%gs load; the guest's
 * descriptor becomes an LDT entry (ldt.c) whose selector the guest runs
 * with (sel32[]).  Kernel code with a CS, SS, DS or ES that is not flat
 * cannot run natively here and stops the guest.
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

/*
 * The signal stack holds only the kernel's signal frame and
 * trap32__on_signal, which moves on to the wedge stack at once.  Keep it
 * small: an AddressSanitizer build clears the shadow of the whole
 * alternate stack before every call of a noreturn function (two a trap,
 * trap32__resume and compat_resume); with 256 KiB that memset took a
 * third of a trapped boot's time under QEMU's TCG.
 */
#define ALTSTACK_SIZE	(64 * 1024)

static struct {
	struct compat_regs r;
	int sig, code;
	uint64_t addr, err;
	uint32_t pf_present;	/* the #PF's P bit: the guest maps the page */
	const struct site_info *site;	/* a fast path faulted: redo it slowly */
} trap;

#define SAY(...) do {							\
	char sbuf_[256];						\
	int sn_ = snprintf(sbuf_, sizeof(sbuf_), __VA_ARGS__);		\
									\
	uart__flush(&the_host.uart);					\
	if (sn_ > 0 && write(2, sbuf_, (size_t)sn_) < 0)		\
		_exit(EXIT_HOST_ERROR);					\
} while (0)

/* Resume the guest kernel (or whatever the core left in @f) natively. */
void trap32__resume(struct afb_frame *f)
{
	struct host *h = &the_host;
	static struct compat_regs r;

	wedge__push(h);
	r.frame = *f;
	r.fs = h->sel32[COMPAT_FS];
	r.gs = h->sel32[COMPAT_GS];
	h->state = RUN_GUEST;
	compat_resume(&r);
}

/* Decode the instruction at guest-virtual @eip (32-bit code). */
static bool decode_at(struct host *h, uint64_t eip, struct afb_insn *insn)
{
	uint8_t bytes[15];
	size_t n;

	for (n = 0; n < sizeof(bytes); n++)
		if (memory__read(h, h->vcpu->cr3, (eip + n) & 0xffffffffULL,
				 bytes + n, 1, 0))
			break;
	return n && afb_decode(bytes, n, 32, insn) > 0;
}

static void trap32_continue(void *arg)
{
	struct host *h = &the_host;
	struct afb_vcpu *v = h->vcpu;
	struct afb_frame *f = &trap.r.frame;
	const struct site_info *s;
	struct afb_insn insn;
	uint32_t ec;
	uint8_t vec;

	(void)arg;
	wedge__pull(h);
	if (trap.site) {	/* a fast path's stack access faulted */
		h->st.fast_faults++;
		f->gpr[AFB_RAX] = (uint32_t)h->wd->rax;
		f->rip = trap.site->addr;
		f->next_rip = trap.site->end;
		run__site(f, &trap.site->insn);
		trap32__resume(f);
	}
	h->st.traps++;
	if (h->verbose > 1)
		fprintf(stderr, "afterburn-ptrace: signal %d (code %d) at eip 0x%lx "
			"addr 0x%lx\n", trap.sig, trap.code, (unsigned long)f->rip,
			(unsigned long)trap.addr);
	if (trap.sig == SIGSYS)
		guest_crash("the guest kernel made a host system call at eip 0x%lx",
			    (unsigned long)f->rip);
	if (trap.sig == SIGILL && (s = wedge32__find_trap(h, f->rip))) {
		f->next_rip = f->rip + (s->end - s->addr);
		run__site(f, &s->insn);
		trap32__resume(f);
	}
	if (trap.sig == SIGTRAP && (trap.code == SI_KERNEL ||
				    trap.code == TRAP_BRKPT) &&
	    decode_at(h, f->rip - 1, &insn) && insn.kind == AFB_KIND_INT3)
		f->rip--;	/* int3 reports the eip after it */
	else if (trap.sig == SIGTRAP && trap.code == SI_KERNEL &&
		 decode_at(h, f->rip - 2, &insn) && insn.kind == AFB_KIND_INT &&
		 insn.imm == 3)
		f->rip -= 2;
	if ((trap.sig == SIGILL || trap.sig == SIGTRAP ||
	     (trap.sig == SIGSEGV && trap.code == SI_KERNEL)) &&
	    decode_at(h, f->rip, &insn)) {
		run__site(f, &insn);
		trap32__resume(f);
	}
	vec = trap__exception_of(trap.sig, trap.code, trap.err, &ec);
	if (vec == AFB_EXC_PF) {
		v->cr2 = trap.addr;
		ec = (ec & ~AFB_PF_PRESENT) | trap.pf_present;
	}
	h->st.kernel_faults++;
	if (h->verbose)
		fprintf(stderr, "afterburn-ptrace: guest kernel exception %u (err 0x%x) "
			"at eip 0x%lx addr 0x%lx\n", vec, ec, (unsigned long)f->rip,
			(unsigned long)trap.addr);
	run__finish(f, afb_vcpu_exception(v, f, vec, ec));
	trap32__resume(f);
}

/* Is @eip inside the exit thunks (between the slot store and the ljmp)? */
static bool in_thunks(const struct host *h, uint64_t eip)
{
	return eip >= h->area_va && eip < h->area_va + h->area_size;
}

static void on_alarm(struct host *h, ucontext_t *uc)
{
	struct compat_regs r;
	int ret;

	h->st.timer_signals++;
	devices__timer_tick(h);
	wedge__push_pending(h);
	if (h->state == RUN_USER) {
		stub__interrupt(h);
		return;
	}
	if (h->state != RUN_GUEST || !compat_uc_is32(uc) || h->vcpu->cpl ||
	    in_thunks(h, (uint32_t)uc->uc_mcontext.gregs[REG_RIP]))
		return;
	compat_regs_from_uc(&r, uc);
	wedge__pull(h);
	ret = afb_vcpu_deliver_pending(h->vcpu, &r.frame);
	wedge__push(h);
	if (ret == 1) {
		r.fs = h->sel32[COMPAT_FS];
		r.gs = h->sel32[COMPAT_GS];
		compat_regs_to_uc(&r, uc);
		h->st.irq_in_guest++;
	} else if (ret == AFB_VCPU_SHUTDOWN) {
		SAY("afterburn-ptrace: guest crashed: triple fault delivering an "
		    "interrupt at eip 0x%lx\n", (unsigned long)r.frame.rip);
		_exit(EXIT_GUEST_CRASH);
	} else if (ret < 0) {
		SAY("afterburn-ptrace: error: delivering an interrupt at eip "
		    "0x%lx: %s\n", (unsigned long)r.frame.rip, strerror(-ret));
		_exit(EXIT_HOST_ERROR);
	}
}

void trap32__on_signal(int sig, siginfo_t *si, void *ucv)
{
	struct host *h = &the_host;
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	int saved = errno;

	if (sig == SIGALRM && si->si_code == SI_TIMER) {
		on_alarm(h, uc);
		errno = saved;
		return;
	}
	if (trap__from_outside(sig, si, "the host"))
		return;
	if (!compat_uc_is32(uc) || h->state == RUN_USER) {
		SAY("afterburn-ptrace: signal %d at rip 0x%lx (address %p) outside "
		    "the guest kernel: a wild guest jump or a host bug\n", sig,
		    (unsigned long)g[REG_RIP], si->si_addr);
		_exit(EXIT_GUEST_CRASH);
	}
	trap.pf_present = AFB_PF_PRESENT;
	if (sig == SIGSEGV && (si->si_code == SEGV_MAPERR ||
			       si->si_code == SEGV_ACCERR) &&
	    memory32__fault(h, (uint64_t)(uintptr_t)si->si_addr,
			    g[REG_ERR] & AFB_ACCESS_WRITE, g[REG_ERR] & 0x10,
			    &trap.pf_present)) {
		errno = saved;
		return;
	}
	compat_regs_from_uc(&trap.r, uc);
	trap.site = wedge__find_thunk(h, (uint32_t)g[REG_RIP]);
	if (trap.site && trap.site->fault_rip != (uint32_t)g[REG_RIP])
		trap.site = NULL;
	trap.sig = sig;
	trap.code = si->si_code;
	trap.addr = (uint64_t)(uintptr_t)si->si_addr;
	trap.err = (uint64_t)g[REG_ERR];
	h->state = RUN_HOST;
	compat_uc_to_host(uc, trap32_continue, NULL, ptrace_wedge_stack_top);
	errno = saved;
}

int trap32__init(struct host *h)
{
	static const int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS,
				    SIGSYS };
	struct sigaction sa;
	stack_t ss;
	unsigned int i;

	(void)h;
	compat_signal_fn = trap32__on_signal;
	ss.ss_sp = malloc(ALTSTACK_SIZE);
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0;
	if (!ss.ss_sp || sigaltstack(&ss, NULL) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = compat_signal_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGALRM);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		return -errno;
	return 0;
}

/* The raw descriptor of a hidden part (what ldt.c mirrors). */
static uint64_t desc_of(const struct afb_seg_hidden *hid)
{
	uint64_t lim = hid->attr & AFB_SEG_G ? hid->limit >> 12 : hid->limit;

	return (lim & 0xffff) | ((uint64_t)(hid->base & 0xffffff) << 16) |
	       ((uint64_t)(hid->attr & 0xff) << 40) |
	       (((lim >> 16) & 0xf) << 48) |
	       ((uint64_t)((hid->attr >> 12) & 0xf) << 52) |
	       ((uint64_t)(hid->base >> 24) << 56);
}

static bool flat(const struct afb_seg_hidden *hid)
{
	return hid->attr && !hid->base && hid->limit == 0xffffffff &&
	       (hid->attr & AFB_SEG_DB);
}

int trap32__load_seg(struct host *h, enum afb_sreg sreg, uint16_t sel,
		     const struct afb_seg_hidden *hid)
{
	enum compat_seg which = sreg == AFB_FS ? COMPAT_FS : COMPAT_GS;
	int ret;

	if (sreg != AFB_FS && sreg != AFB_GS) {
		if (!h->vcpu->cpl && hid->attr && !flat(hid))
			guest_crash("the guest kernel loaded %s with selector 0x%x, "
				    "a segment that is not flat (base 0x%x, limit "
				    "0x%x): this host runs kernel code with flat "
				    "CS, SS, DS and ES only",
				    sreg == AFB_CS ? "CS" : sreg == AFB_SS ? "SS" :
				    sreg == AFB_DS ? "DS" : "ES", sel, hid->base,
				    hid->limit);
		return 0;
	}
	ret = compat_ldt_selector(&h->ldt, hid->attr ? sel : 0, desc_of(hid),
				  which);
	if (ret < 0)
		return ret;
	h->sel32[which] = (uint16_t)ret;
	return 0;
}
