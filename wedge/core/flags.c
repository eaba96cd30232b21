// SPDX-License-Identifier: MIT
/*
 * The flags: cli, sti, pushf, popf, stac, clac.
 *
 * The guest's rflags is split in two.  The arithmetic flags (and DF, TF,
 * ID) are real: the CPU computes them in the deprivileged guest, so they
 * live in the frame.  IF, IOPL, AC and the other system flags are
 * virtual: they live in vcpu->rflags, and whatever the guest reads or
 * pushes is the two merged.  Enabling interrupts is a delivery point:
 * afb_vcpu_emulate() delivers a pending interrupt after popf (and iret)
 * at once, and after sti only once the next instruction has run (the
 * interrupt shadow that makes "sti; hlt" race free).
 */
#include "core.h"

uint64_t afb_vcpu_rflags(const struct afb_vcpu *vcpu,
			 const struct afb_frame *frame)
{
	return (frame->rflags & AFB_RFLAGS_REAL) |
	       (vcpu->rflags & AFB_RFLAGS_VIRT) | AFB_RFLAGS_FIXED;
}

static unsigned int iopl(const struct afb_vcpu *vcpu)
{
	return (vcpu->rflags & AFB_RFLAGS_IOPL) >> 12;
}

/*
 * The bits popf may change at the current privilege level: IOPL only at
 * CPL0, IF only at CPL <= IOPL; a 16-bit popf only the low half.  RF,
 * VM, VIF and VIP are never loaded by popf.
 */
uint64_t vcpu_flags_writable(const struct afb_vcpu *vcpu, unsigned int size)
{
	uint64_t w = AFB_RFLAGS_REAL | AFB_RFLAGS_NT | AFB_RFLAGS_AC;

	if (vcpu->cpl == 0)
		w |= AFB_RFLAGS_IOPL;
	if (vcpu->cpl <= iopl(vcpu))
		w |= AFB_RFLAGS_IF;
	return size == 2 ? w & 0xffff : w;
}

/* Load the @writable bits of @val: real ones into the frame, the rest
   into the vcpu. */
void vcpu_flags_load(struct afb_vcpu *vcpu, struct afb_frame *frame,
		     uint64_t val, uint64_t writable)
{
	uint64_t real = writable & AFB_RFLAGS_REAL;
	uint64_t virt = writable & AFB_RFLAGS_VIRT;

	frame->rflags = (frame->rflags & ~real) | (val & real);
	vcpu->rflags = (vcpu->rflags & ~virt) | (val & virt);
}

/* cli and sti need CPL <= IOPL, else #GP(0). */
static int need_iopl(struct afb_vcpu *vcpu)
{
	return vcpu->cpl > iopl(vcpu) ? vcpu_raise_gp0(vcpu) : 0;
}

int em_cli(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	int ret = need_iopl(vcpu);

	(void)frame, (void)insn;
	if (!ret)
		vcpu->rflags &= ~AFB_RFLAGS_IF;
	return ret;
}

/*
 * sti: setting IF opens a one-instruction shadow at the resume address;
 * afb_vcpu_deliver_pending() waits while the guest is there, and the
 * emulation of that next instruction (typically hlt) delivers after it.
 */
int em_sti(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	int ret = need_iopl(vcpu);

	(void)insn;
	if (ret || vcpu_irq_enabled(vcpu))
		return ret;
	vcpu->rflags |= AFB_RFLAGS_IF;
	vcpu->shadow = true;
	vcpu->shadow_rip = frame->rip;
	return 0;
}

/*
 * sti; hlt and sti; mwait, one site each (kinds sti_hlt, sti_mwait): IF
 * goes on and the vCPU idles as one step, so a pending interrupt is taken
 * only once it idles and returns after the pair, as sti's shadow
 * guarantees on a CPU.
 */
static int sti_then(struct afb_vcpu *vcpu, struct afb_frame *frame,
		    const struct afb_insn *insn, em_fn idle)
{
	int ret = em_sti(vcpu, frame, insn);

	if (ret)
		return ret;
	vcpu->shadow = false;
	return idle(vcpu, frame, insn);
}

int em_sti_hlt(struct afb_vcpu *vcpu, struct afb_frame *frame,
	       const struct afb_insn *insn)
{
	return sti_then(vcpu, frame, insn, em_hlt);
}

int em_sti_mwait(struct afb_vcpu *vcpu, struct afb_frame *frame,
		 const struct afb_insn *insn)
{
	return sti_then(vcpu, frame, insn, em_mwait);
}

/* pushf: the merged flags, without RF and VM (as the CPU pushes them). */
int em_pushf(struct afb_vcpu *vcpu, struct afb_frame *frame,
	     const struct afb_insn *insn)
{
	uint64_t f = afb_vcpu_rflags(vcpu, frame);

	f &= ~(uint64_t)(AFB_RFLAGS_RF | AFB_RFLAGS_VM);
	return vcpu_stack_push(vcpu, frame, insn->opsize, f);
}

int em_popf(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	unsigned int size = insn->opsize;
	uint64_t f;
	int ret = vcpu_stack_peek(vcpu, frame, 0, size, &f);

	if (ret)
		return ret;
	vcpu_flags_load(vcpu, frame, f, vcpu_flags_writable(vcpu, size));
	vcpu->rflags &= ~(uint64_t)AFB_RFLAGS_RF;
	frame->gpr[AFB_RSP] = vcpu_stack_add(vcpu, frame->gpr[AFB_RSP], size);
	return 0;
}

/* stac/clac: the virtual AC (SMAP); #UD outside CPL0, as on the CPU. */
int em_stac(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	(void)frame, (void)insn;
	if (vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	vcpu->rflags |= AFB_RFLAGS_AC;
	return 0;
}

int em_clac(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	(void)frame, (void)insn;
	if (vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	vcpu->rflags &= ~(uint64_t)AFB_RFLAGS_AC;
	return 0;
}
