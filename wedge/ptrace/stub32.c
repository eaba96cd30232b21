// SPDX-License-Identifier: MIT
/*
 * Guest user mode of a 32-bit guest (i386 Linux, the i386 test kernel):
 * its processes run in the same stubs as a 64-bit guest's (stub.c, both
 * --user modes), in compatibility mode.
 *
 * Registers.  User code runs with the host's 32-bit code selector 0x23
 * and flat data selector 0x2b in SS (and in DS and ES while the guest's
 * are flat); the guest's FS and GS (i386 Linux: %gs is the TLS segment
 * set_thread_area made, selector 0x33), and DS or ES when not flat, are
 * LDT entries of the stub (the last four, one per register) with the base,
 * limit and type of the guest's descriptor, made by modify_ldt as part
 * of the stub's batch (the descriptor in the stub's data page, where
 * only the host writes it between batches).  The guest sees only its
 * own selectors: user code that loads one itself (mov, pop: not a trap
 * on the host when the host's GDT has a loadable descriptor of that
 * number, e.g. 0x33, 0x2b, 0x7b) is caught at its next event, which
 * compares the stub's selectors with those it was resumed with: the
 * guest selector the new value stands for (one of ours is the guest
 * selector we made it for; any other the raw guest selector) is loaded
 * as the guest's CPU would (afb_vcpu_load_seg: its checks and nothing
 * else; an interrupt pending at the event is delivered afterwards, with
 * the event's frame), and a fault that the wrong segment caused is
 * retried with the right one.  A load the host refuses is a #GP at the
 * instruction, which is emulated like any sensitive instruction (stub.c).
 *
 * Events.  int $0x80 is a host system call (a PTRACE_SYSEMU stop, or
 * SIGSYS from the stub's filter with AUDIT_ARCH_I386) and becomes
 * afb_vcpu_int(0x80) through the guest's IDT.  sysenter is #UD on AMD
 * CPUs in long mode (SIGILL: emulated as the sensitive instruction it
 * is); elsewhere (Intel CPUs, QEMU's TCG) Linux takes it, and AMD's
 * compatibility-mode syscall, as its fast 32-bit system call, which
 * reports its vDSO's landing pad (above 4 GiB in a stub, which has no
 * 32-bit vDSO) instead of the instruction's address, took %ebp as the
 * user's stack pointer and loaded %ebp from there (the vDSO's
 * convention): that is the guest's sysenter, with %ebp put back (the
 * CPU saves no return address or stack pointer either; a guest that uses
 * sysenter passes them in registers and on its stack, as Linux's vDSO
 * does).  Linux's fast path is also that of a compatibility-mode syscall
 * (AMD CPUs, QEMU), which is #UD on the guest's CPU: the registers tell
 * them apart for a sysenter made as Linux's vDSO makes it, and any other
 * is taken for a syscall (fast_call_is_sysenter).  When
 * Linux cannot read that stack it returns -EFAULT to the landing pad,
 * which faults: a sysenter too, whose %eax is lost (the guest kernel,
 * which cannot read the stack either, fails the call).  Before user code
 * runs, the page of its stack pointer is mirrored (stub.c), so that the
 * vDSO's sysenter finds its stack.
 * Faults are the exceptions they are (stub.c), through the guest's
 * IDT with a 32-bit frame.
 *
 * Hostile user code may far-jump to the host's 64-bit selector 0x33 and
 * run 64-bit code, syscall included: that is a PTRACE_SYSEMU stop or a
 * SIGSYS like any other call (no host system call runs), and any event
 * with a code segment other than 0x23 is a #GP(0) of the guest process
 * (no guest CPU can be in 64-bit mode).
 */
#include <asm/ldt.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/user.h>

#include "compat.h"
#include "ptrace.h"
#include "stub-seccomp.h"

#define LDT_WRITE	0x11	/* modify_ldt: write, new mode */
#define STUB_LDT_FIRST	(8192 - STUB_LDT_SLOTS)
#define SEG_TYPE_W	0x2	/* data: writable */
#define SEG_TYPE_CODE	0x8

/* The guest segment register of each stub slot. */
static const enum afb_sreg slot_sreg[STUB_LDT_SLOTS] = {
	AFB_ES, AFB_DS, AFB_FS, AFB_GS,
};

bool stub32__mode(const struct host *h)
{
	return afb_vcpu_mode(h->vcpu) == 32;
}

/*
 * The stub's LDT entry for slot @slot: the last four of the 8192 an LDT
 * has, so that a selector a guest program loads of its own LDT is one of
 * ours only at the very top (8188-8191), where no program has entries.
 */
static unsigned int slot_entry(unsigned int slot)
{
	return STUB_LDT_FIRST + slot;
}

static uint16_t slot_selector(unsigned int slot)
{
	return (uint16_t)((slot_entry(slot) << 3) | 4 | 3);
}

/* Where the stub reads slot @slot's struct user_desc, in its window. */
uint64_t stub32__desc_addr(const struct host *h, unsigned int slot)
{
	if (h->user_seccomp)
		return STUB_DATA_ADDR + SC_LDT_DESC + 16ULL * slot;
	return STUB_DATA_ADDR + offsetof(struct stub_data, ldt) + 16ULL * slot;
}

/* ... and where the host writes it. */
uint8_t *stub32__desc_area(struct host *h, struct stub *s, unsigned int slot)
{
	if (h->user_seccomp)
		return (uint8_t *)s->page + SC_LDT_DESC + 16 * slot;
	return h->stub_data->ldt[slot];
}

/* The 8-byte descriptor a hidden part stands for (limit in its own
   granularity). */
static uint64_t desc_of(const struct afb_seg_hidden *hd)
{
	uint32_t lim = hd->limit;
	uint64_t attr = hd->attr & 0xf0ff, d;

	if (lim > 0xfffff) {
		lim >>= 12;
		attr |= AFB_SEG_G;
	} else {
		attr &= ~(uint64_t)AFB_SEG_G;
	}
	d = (lim & 0xffff) | ((uint64_t)(hd->base & 0xffffff) << 16);
	d |= attr << 40;
	d |= (uint64_t)((lim >> 16) & 0xf) << 48;
	d |= (uint64_t)(hd->base >> 24) << 56;
	return d;
}

static bool flat_data(const struct afb_seg_hidden *hd)
{
	return hd->base == 0 && hd->limit == 0xffffffff &&
	       (hd->attr & (AFB_SEG_S | AFB_SEG_P | SEG_TYPE_CODE | SEG_TYPE_W))
	       == (AFB_SEG_S | AFB_SEG_P | SEG_TYPE_W);
}

/*
 * The host selectors for the guest's ES, DS, FS and GS, into @sel and
 * the stub's record; the LDT entries that must change are queued (they
 * run before user code does).  0, or -EINVAL for a segment no LDT entry
 * can be (the guest then gets #GP(0)).
 */
int stub32__segments(struct host *h, struct stub *s,
		     uint16_t sel[STUB_LDT_SLOTS])
{
	struct afb_vcpu *v = h->vcpu;
	struct user_desc ud;
	unsigned int i;
	uint64_t d;

	for (i = 0; i < STUB_LDT_SLOTS; i++) {
		enum afb_sreg r = slot_sreg[i];
		const struct afb_seg_hidden *hd = &v->hidden[r];

		s->guest_sel[i] = v->seg[r];
		if (!(v->seg[r] & ~3) || !hd->attr) {
			sel[i] = 0;
		} else if ((r == AFB_DS || r == AFB_ES) && flat_data(hd)) {
			sel[i] = COMPAT_DS;
		} else {
			d = desc_of(hd);
			if (d != s->ldt_desc[i]) {
				if (compat_ldt_user_desc(d, slot_entry(i), &ud))
					return -EINVAL;
				stub__queue(h, s, SYS_modify_ldt, LDT_WRITE,
					    stub32__desc_addr(h, i), sizeof(ud),
					    0, 0, 0);
				memcpy(stub32__desc_area(h, s, i), &ud, sizeof(ud));
				s->ldt_desc[i] = d;
			}
			sel[i] = slot_selector(i);
		}
		s->host_sel[i] = sel[i];
	}
	return 0;
}

static uint64_t seg_base(const struct stub *s, unsigned int i)
{
	uint64_t d = s->ldt_desc[i];

	if (s->host_sel[i] != slot_selector(i))
		return 0;
	return ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
}

/* The registers to resume @f with (--user=ptrace: PTRACE_SETREGS). */
void stub32__regs(struct host *h, struct stub *s, struct user_regs_struct *r,
		  const struct afb_frame *f)
{
	(void)h;
	memset(r, 0, sizeof(*r));
	r->rax = (uint32_t)f->gpr[AFB_RAX];
	r->rcx = (uint32_t)f->gpr[AFB_RCX];
	r->rdx = (uint32_t)f->gpr[AFB_RDX];
	r->rbx = (uint32_t)f->gpr[AFB_RBX];
	r->rsp = (uint32_t)f->gpr[AFB_RSP];
	r->rbp = (uint32_t)f->gpr[AFB_RBP];
	r->rsi = (uint32_t)f->gpr[AFB_RSI];
	r->rdi = (uint32_t)f->gpr[AFB_RDI];
	r->rip = (uint32_t)f->rip;
	r->eflags = (f->rflags & AFB_RFLAGS_REAL) | 0x202;
	r->orig_rax = (unsigned long long)-1;
	r->cs = COMPAT_CS32;
	r->ss = COMPAT_DS;
	r->es = s->host_sel[0];
	r->ds = s->host_sel[1];
	r->fs = s->host_sel[2];
	r->gs = s->host_sel[3];
	/* with FSGSBASE, Linux loads the base after the selector */
	r->fs_base = seg_base(s, 2);
	r->gs_base = seg_base(s, 3);
}

static void frame_of(struct afb_frame *f, const struct user_regs_struct *r)
{
	memset(f->gpr, 0, sizeof(f->gpr));
	f->gpr[AFB_RAX] = (uint32_t)r->rax;
	f->gpr[AFB_RCX] = (uint32_t)r->rcx;
	f->gpr[AFB_RDX] = (uint32_t)r->rdx;
	f->gpr[AFB_RBX] = (uint32_t)r->rbx;
	f->gpr[AFB_RSP] = (uint32_t)r->rsp;
	f->gpr[AFB_RBP] = (uint32_t)r->rbp;
	f->gpr[AFB_RSI] = (uint32_t)r->rsi;
	f->gpr[AFB_RDI] = (uint32_t)r->rdi;
	f->rip = (uint32_t)r->rip;
	f->next_rip = 0;
	f->rflags = (uint32_t)r->eflags;
}

/*
 * Selectors user code loaded itself since it was resumed: load, for
 * each, the guest selector it stands for.  Returns 0 if none changed,
 * 1 if some did, or the result of delivering the exception such a load
 * raises (the guest's CPU raises it at the load, which has run: the
 * process gets it where it is now).
 */
static int reconcile(struct host *h, struct stub *s, struct afb_frame *f,
		     const uint16_t now[4])
{
	struct afb_vcpu *v = h->vcpu;
	unsigned int i, j;
	uint16_t gsel;
	int changed = 0, ret;

	for (i = 0; i < STUB_LDT_SLOTS; i++) {
		if (now[i] == s->host_sel[i])
			continue;
		gsel = now[i];
		for (j = 0; j < STUB_LDT_SLOTS; j++)
			if (s->host_sel[j] && now[i] == s->host_sel[j]) {
				gsel = s->guest_sel[j];
				break;
			}
		/* not afb_vcpu_emulate() of a mov: the interrupt pending
		   at this event would be taken in that mov's frame, not @f */
		ret = afb_vcpu_load_seg(v, slot_sreg[i], gsel);
		if (ret == AFB_VCPU_EXCEPTION)
			return afb_vcpu_exception(v, f, v->exc.vector,
						  v->exc.error_code);
		if (ret)
			return ret;
		/* the host's value stands for it until the next resume */
		s->host_sel[i] = now[i];
		changed = 1;
	}
	return changed;
}

/*
 * Linux's fast system call: a sysenter or (AMD, QEMU) a syscall, which
 * Linux does not tell apart.  A sysenter as the vDSO makes it (ecx, edx,
 * ebp pushed, %ebp = %esp) left Linux the user's %ebp as its stack
 * pointer and %edx and %ecx as they were, their copies 4 and 8 bytes up
 * that stack; a syscall left it the user's %esp, and %ebp in %ecx.  A stack the guest does
 * not map is no syscall's either: the guest kernel fails that sysenter.
 */
static bool fast_call_is_sysenter(struct host *h,
				  const struct user_regs_struct *r)
{
	struct afb_vcpu *v = h->vcpu;
	uint32_t sp = (uint32_t)r->rsp + 4, w[2] = { 0, 0 };
	uint8_t b;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		if (v->ops->mem_read(v, (uint32_t)(sp + i), &b, 1, AFB_ACCESS_USER))
			return true;
		w[i / 4] |= (uint32_t)b << (8 * (i % 4));
	}
	return w[0] == (uint32_t)r->rdx && w[1] == (uint32_t)r->rcx;
}

/* A host system call of user code in compatibility mode. */
static int user_syscall32(struct host *h, struct stub *s, struct afb_frame *f,
			  const struct user_regs_struct *r)
{
	struct afb_vcpu *v = h->vcpu;
	uint8_t b[2] = { 0, 0 };

	h->st.syscalls++;
	if (r->rip < COMPAT_TOP && r->rip >= 2 &&
	    !v->ops->mem_read(v, r->rip - 2, b, 2, AFB_ACCESS_USER) &&
	    b[0] == 0xcd && b[1] == 0x80) {
		f->gpr[AFB_RAX] = (uint32_t)r->orig_rax;
		f->rip = (uint32_t)(r->rip - 2);
		f->next_rip = (uint32_t)r->rip;
		return afb_vcpu_int(v, f, 0x80);
	}
	f->gpr[AFB_RAX] = (uint32_t)r->orig_rax;
	if (r->rip >= COMPAT_TOP && fast_call_is_sysenter(h, r)) {
		/* Linux's fast system call (its landing pad: the address is
		   lost): the guest's sysenter.  Linux took the user's %ebp
		   as its stack pointer and loaded %ebp from there: the user's
		   %ebp is in rsp; its %esp, which sysenter replaces, is lost. */
		f->gpr[AFB_RBP] = (uint32_t)r->rsp;
		f->rip = s->resume_rip;
		f->next_rip = 0;
		return afb_vcpu_sysenter(v, f);
	}
	/* a compatibility-mode syscall, or a host system call from
	   anywhere else (no int $0x80 there): #UD on the guest's CPU, where
	   user code was resumed last when Linux lost the address */
	if (r->rip >= COMPAT_TOP)
		f->rip = s->resume_rip;
	f->next_rip = 0;
	return afb_vcpu_exception(v, f, AFB_EXC_UD, 0);
}

/*
 * An event of @s, whose registers are @r (cs, and es, ds, fs, gs as the
 * stub had them): a system call (@syscall), the tick (@sig 0) or signal
 * @sig.  Returns 1 to resume user code as it is, else what delivering
 * the event to the guest kernel returned.
 */
int stub32__event(struct host *h, struct stub *s, struct afb_frame *f,
		  const struct user_regs_struct *r, bool syscall, int sig,
		  const siginfo_t *si)
{
	const uint16_t now[4] = { (uint16_t)r->es, (uint16_t)r->ds,
				  (uint16_t)r->fs, (uint16_t)r->gs };
	struct afb_vcpu *v = h->vcpu;
	int ret;

	frame_of(f, r);
	if (r->cs != COMPAT_CS32) {
		/* 64-bit code (or any other segment): no guest CPU runs it */
		h->st.user_faults++;
		if (h->verbose)
			fprintf(stderr, "afterburn-ptrace: user code in segment 0x%x at "
				"rip 0x%llx (signal %d): #GP\n", (unsigned)r->cs,
				r->rip, sig);
		return afb_vcpu_exception(v, f, AFB_EXC_GP, 0);
	}
	ret = reconcile(h, s, f, now);
	if (ret < 0 || ret == AFB_VCPU_SHUTDOWN || v->cpl != 3)
		return ret < 0 || ret == AFB_VCPU_SHUTDOWN ? ret : 0;
	/* (cpl 0: a load raised an exception, delivered) */
	if (syscall)
		return user_syscall32(h, s, f, r);
	if ((sig == SIGSEGV || sig == SIGBUS) && r->rip >= COMPAT_TOP) {
		/* the fast system call with a stack Linux could not read:
		   it returned -EFAULT to its landing pad, where the fault is */
		struct user_regs_struct q = *r;

		q.orig_rax = q.rax;
		return user_syscall32(h, s, f, &q);
	}
	if (!sig)
		return 1;
	if (ret == 1 && (sig == SIGSEGV || sig == SIGBUS))
		return 1;	/* a fault through a segment now right: retry */
	return stub__user_signal(h, s, f, sig, si);
}
