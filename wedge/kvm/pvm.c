// SPDX-License-Identifier: MIT
/*
 * What the VMM does in the CPU's place on a PVM host.
 *
 * PVM (a software KVM, /sys/module/kvm_pvm) leaves some events of a
 * non-PVM guest half done:
 *
 *   - 'syscall' from user mode: %rip = LSTAR, %rcx and %r11 set, but the
 *     vCPU stays at CPL3, so fetching the kernel's entry takes a #PF
 *     (error code 0x5 or 0x15, CR2 = %rip = LSTAR);
 *   - 'int $0x80' from user mode raises #UD where the CPU would deliver
 *     #GP(0x402) through a gate the user may not use;
 *   - 'int3', 'clac', 'stac' and 'fwait' at CPL0 are emulation failures
 *     of PVM's CPL0 emulator.
 *
 * A patched guest never shows the first two to the VMM: the wedge's
 * shadow IDT completes them in the guest (guest.S).  An unpatched guest
 * (or one whose lidt stays native) has no such wedge, so the VMM does
 * it, paying exits: it keeps hardware
 * breakpoints on the guest's #PF and #UD handlers (PVM's emulator checks
 * them for CPL0 code), and when one fires with such a frame on the
 * stack, it finishes the event as the CPU would have.  Every other hit
 * continues into the guest's handler, stepped over once with the
 * breakpoints off.  The emulation failures need no breakpoint: the VMM
 * sees them and does what the instruction does, for any guest.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm.h"

#define PF_VECTOR	14
#define UD_VECTOR	6
#define GP_VECTOR	13
#define BP_VECTOR	3
#define MF_VECTOR	16

#define RFLAGS_FIXED	0x2UL
#define RFLAGS_IF	0x200UL
#define RFLAGS_AC	0x40000UL
#define RFLAGS_RF	0x10000UL

#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_SFMASK	0xc0000084

#define USER_TOP	0x00007fffffffffffUL

/* The CPU's frame of an exception from CPL3 (after the error code). */
struct iret_frame {
	uint64_t rip, cs, rflags, rsp, ss;
};

struct idt_gate {
	uint64_t target;
	uint8_t ist;
	bool present, trap_gate;
};

static struct {
	bool on;		/* a PVM host, and no shadow IDT in the guest */
	uint64_t pf_handler;	/* where the breakpoints are, 0: none */
	uint64_t ud_handler;
	bool stepping;		/* one instruction with breakpoints off */
} pvm;

bool pvm__host(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

static bool pvm_read(struct kvm *kvm, uint64_t gva, void *buf, size_t len)
{
	return kvm_cpu__copy_gva(kvm, gva, buf, len, false);
}

static bool pvm_write(struct kvm *kvm, uint64_t gva, const void *buf,
		      size_t len)
{
	return kvm_cpu__copy_gva(kvm, gva, (void *)buf, len, true);
}

static bool pvm_gate(struct kvm *kvm, const struct kvm_sregs *s,
		     unsigned int vec, struct idt_gate *g)
{
	uint8_t d[16];

	memset(g, 0, sizeof(*g));
	if (!(s->efer & (1UL << 10)) || s->idt.limit < vec * 16 + 15)
		return false;
	if (!pvm_read(kvm, s->idt.base + vec * 16, d, sizeof(d)))
		return false;
	g->present = d[5] & 0x80;
	g->trap_gate = (d[5] & 0x0f) == 0x0f;
	g->ist = d[4] & 7;
	g->target = d[0] | (uint64_t)d[1] << 8 | (uint64_t)d[6] << 16 |
		    (uint64_t)d[7] << 24 | (uint64_t)d[8] << 32 |
		    (uint64_t)d[9] << 40 | (uint64_t)d[10] << 48 |
		    (uint64_t)d[11] << 56;
	return g->present;
}

static uint64_t pvm_msr(struct kvm *kvm, uint32_t index)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m;

	memset(&m, 0, sizeof(m));
	m.h.nmsrs = 1;
	m.e.index = index;
	if (ioctl(kvm_cpu__fd(kvm), KVM_GET_MSRS, &m) != 1)
		return 0;
	return m.e.data;
}

static int pvm_arm(struct kvm *kvm, bool on)
{
	struct kvm_guest_debug d;

	memset(&d, 0, sizeof(d));
	d.control = KVM_GUESTDBG_ENABLE;
	if (on) {
		d.control |= KVM_GUESTDBG_USE_HW_BP;
		d.arch.debugreg[0] = pvm.pf_handler;
		d.arch.debugreg[1] = pvm.ud_handler;
		/* L0 if there is a #PF handler, L1 for #UD; execute, 1 byte. */
		d.arch.debugreg[7] = (pvm.pf_handler ? 0x1 : 0) |
				     (pvm.ud_handler ? 0x4 : 0);
	} else {
		d.control |= KVM_GUESTDBG_SINGLESTEP;
	}
	if (ioctl(kvm_cpu__fd(kvm), KVM_SET_GUEST_DEBUG, &d) < 0) {
		pr_err("KVM_SET_GUEST_DEBUG: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int pvm__init(struct kvm *kvm)
{
	pvm.on = pvm__host() && !patch__shadow_idt(kvm);
	return 0;
}

/*
 * After every exit: follow the guest's #PF and #UD gates, which it may
 * change (Linux moves from its early handlers to the real ones) with no
 * exit of its own; re-arm the breakpoints when they moved.
 */
int pvm__sync(struct kvm *kvm)
{
	struct kvm_sregs s;
	struct idt_gate pf, ud;

	if (!pvm.on || pvm.stepping)
		return 0;
	if (ioctl(kvm_cpu__fd(kvm), KVM_GET_SREGS, &s) < 0)
		return -errno;
	pvm_gate(kvm, &s, PF_VECTOR, &pf);
	pvm_gate(kvm, &s, UD_VECTOR, &ud);
	if (pf.target == pvm.pf_handler && ud.target == pvm.ud_handler)
		return 0;
	pvm.pf_handler = pf.target;
	pvm.ud_handler = ud.target;
	return pvm_arm(kvm, true);
}

/* A user-mode 'syscall' at the bytes before %rcx? */
static bool pvm_user_syscall(struct kvm *kvm, uint64_t rcx)
{
	uint8_t insn[2];

	if (rcx < 2 || rcx - 2 > USER_TOP - 1)
		return false;
	return pvm_read(kvm, rcx - 2, insn, 2) &&
	       insn[0] == 0x0f && insn[1] == 0x05;
}

/*
 * At the guest's #PF handler, before its first instruction, with the
 * CPU's frame at %rsp.  If it is PVM's half-done syscall, do the rest:
 * CS and SS from STAR, %rflags = %r11 & ~SFMASK, the user's %rsp, at
 * LSTAR.  The frame stays below the kernel stack pointer, unused.
 */
static bool pvm_finish_syscall(struct kvm *kvm, struct kvm_regs *r,
			       struct kvm_sregs *s)
{
	struct {
		uint64_t err;
		struct iret_frame f;
	} x;
	uint64_t star, lstar;
	uint16_t cs;

	if (!pvm_read(kvm, r->rsp, &x, sizeof(x)) || (x.f.cs & 3) != 3 ||
	    (x.err & ~0x10UL) != 5 || s->cr2 != x.f.rip)
		return false;
	lstar = pvm_msr(kvm, MSR_LSTAR);
	if (!lstar || x.f.rip != lstar || !pvm_user_syscall(kvm, r->rcx))
		return false;
	star = pvm_msr(kvm, MSR_STAR);
	cs = (star >> 32) & 0xfffc;
	s->cs.selector = cs;
	s->ss = (struct kvm_segment){ .selector = cs + 8, .limit = 0xffffffff,
				      .type = 3, .present = 1, .s = 1,
				      .db = 1, .g = 1 };
	r->rip = lstar;
	r->rsp = x.f.rsp;
	r->rflags = (r->r11 & ~pvm_msr(kvm, MSR_SFMASK) & ~RFLAGS_RF) |
		    RFLAGS_FIXED;
	kvm->stats.pvm_syscalls++;
	return true;
}

/*
 * At the guest's #UD handler: PVM's #UD for a user 'int $0x80' becomes
 * the CPU's #GP(0x402), when the guest's gate 0x80 is not a user gate
 * and #GP runs on the same stack as #UD (so the frame may stay where it
 * is, with the error code pushed below it).
 */
static bool pvm_finish_int80(struct kvm *kvm, struct kvm_regs *r,
			     struct kvm_sregs *s)
{
	struct iret_frame f;
	struct idt_gate ud, gp;
	uint64_t err = 0x402;
	uint8_t insn[2], d[16];

	if (!pvm_read(kvm, r->rsp, &f, sizeof(f)) || (f.cs & 3) != 3 ||
	    f.rip > USER_TOP - 1 || !pvm_read(kvm, f.rip, insn, 2) ||
	    insn[0] != 0xcd || insn[1] != 0x80)
		return false;
	if (s->idt.limit >= 0x80 * 16 + 15 &&
	    pvm_read(kvm, s->idt.base + 0x80 * 16, d, sizeof(d)) &&
	    (d[5] & 0xe0) == 0xe0)
		return false;	/* a present DPL-3 gate: PVM's to deliver */
	if (!pvm_gate(kvm, s, UD_VECTOR, &ud) ||
	    !pvm_gate(kvm, s, GP_VECTOR, &gp) || ud.ist != gp.ist)
		return false;
	if (!pvm_write(kvm, r->rsp - 8, &err, sizeof(err)))
		return false;
	r->rsp -= 8;
	r->rip = gp.target;
	if (gp.trap_gate && (f.rflags & RFLAGS_IF))
		r->rflags |= RFLAGS_IF;
	kvm->stats.pvm_int80++;
	return true;
}

static int pvm_set(struct kvm *kvm, struct kvm_regs *r, struct kvm_sregs *s)
{
	int fd = kvm_cpu__fd(kvm);

	if (s && ioctl(fd, KVM_SET_SREGS, s) < 0)
		return -errno;
	if (ioctl(fd, KVM_SET_REGS, r) < 0)
		return -errno;
	return 0;
}

/* KVM_EXIT_DEBUG: a breakpoint of ours, or the end of a step over one. */
int pvm__debug_exit(struct kvm *kvm)
{
	int fd = kvm_cpu__fd(kvm);
	struct kvm_regs r;
	struct kvm_sregs s;
	bool done = false;

	if (!pvm.on)
		return -EINVAL;
	if (pvm.stepping) {
		pvm.stepping = false;
		return pvm_arm(kvm, true);
	}
	if (ioctl(fd, KVM_GET_REGS, &r) < 0 || ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	if (r.rip == pvm.pf_handler)
		done = pvm_finish_syscall(kvm, &r, &s);
	else if (r.rip == pvm.ud_handler)
		done = pvm_finish_int80(kvm, &r, &s);
	if (done)
		return pvm_set(kvm, &r, &s);
	/* An ordinary fault (or a jump to the handler): past the breakpoint. */
	kvm->stats.pvm_steps++;
	pvm.stepping = true;
	return pvm_arm(kvm, false);
}

static int pvm_inject(struct kvm *kvm, unsigned int vector)
{
	struct kvm_vcpu_events ev;
	int fd = kvm_cpu__fd(kvm);

	if (ioctl(fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	ev.exception.injected = 1;
	ev.exception.nr = vector;
	ev.exception.has_error_code = 0;
	ev.flags = 0;
	if (ioctl(fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	return 0;
}

/* fwait: #MF if the x87 status word shows an unmasked exception (ES). */
static bool pvm_x87_error(struct kvm *kvm)
{
	struct kvm_fpu fpu;

	if (ioctl(kvm_cpu__fd(kvm), KVM_GET_FPU, &fpu) < 0)
		return false;
	return fpu.fsw & 0x80;
}

/*
 * KVM_EXIT_INTERNAL_ERROR from the emulator, at CPL0: finish the
 * instructions PVM's emulator rejects the way the CPU would.  int3 is
 * #BP with %rip after it; clac and stac clear and set RFLAGS.AC; fwait
 * is #MF if an x87 exception is pending, else nothing.
 * Returns 0 if it did, -EINVAL for any other failure.
 */
int pvm__emulation_failed(struct kvm *kvm)
{
	int fd = kvm_cpu__fd(kvm);
	struct kvm_regs r;
	struct kvm_sregs s;
	uint8_t insn[3] = { 0 };
	int vector = -1;

	if (ioctl(fd, KVM_GET_REGS, &r) < 0 || ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return -EINVAL;
	if (s.cs.dpl != 0 || !pvm_read(kvm, r.rip, insn, 1))
		return -EINVAL;
	if (insn[0] == 0xcc) {			/* int3 */
		r.rip += 1;
		vector = BP_VECTOR;
	} else if (insn[0] == 0x9b) {		/* fwait */
		if (pvm_x87_error(kvm))
			vector = MF_VECTOR;
		else
			r.rip += 1;
	} else if (pvm_read(kvm, r.rip, insn, 3) && insn[0] == 0x0f &&
		   insn[1] == 0x01 && (insn[2] == 0xca || insn[2] == 0xcb)) {
		if (insn[2] == 0xca)		/* clac */
			r.rflags &= ~RFLAGS_AC;
		else				/* stac */
			r.rflags |= RFLAGS_AC;
		r.rip += 3;
	} else {
		return -EINVAL;
	}
	if (pvm_set(kvm, &r, NULL) < 0 ||
	    (vector >= 0 && pvm_inject(kvm, vector) < 0))
		return -EINVAL;
	kvm->stats.pvm_insns++;
	return 0;
}
