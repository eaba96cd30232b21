// SPDX-License-Identifier: MIT
/*
 * Time and performance counters: rdtsc and rdtscp read the host's
 * guest clock (ops->rdtsc), rdtscp adds TSC_AUX.  No PMU is virtualized:
 * rdpmc reads 0 from every counter.
 */
#include "core.h"

/* rdtsc, rdtscp at CPL3 are #GP with CR4.TSD. */
static int read_tsc(struct afb_vcpu *vcpu, struct afb_frame *frame)
{
	uint64_t tsc;

	if (vcpu->cpl && (vcpu->cr4 & AFB_CR4_TSD))
		return vcpu_raise_gp0(vcpu);
	tsc = vcpu->ops->rdtsc ? vcpu->ops->rdtsc(vcpu) : 0;
	vcpu_reg_set(frame, AFB_RAX, 4, tsc);
	vcpu_reg_set(frame, AFB_RDX, 4, tsc >> 32);
	return 0;
}

int em_rdtsc(struct afb_vcpu *vcpu, struct afb_frame *frame,
	     const struct afb_insn *insn)
{
	(void)insn;
	return read_tsc(vcpu, frame);
}

int em_rdtscp(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	int ret = read_tsc(vcpu, frame);

	(void)insn;
	if (!ret)
		vcpu_reg_set(frame, AFB_RCX, 4, vcpu->tsc_aux);
	return ret;
}

int em_rdpmc(struct afb_vcpu *vcpu, struct afb_frame *frame,
	     const struct afb_insn *insn)
{
	(void)insn;
	if (vcpu->cpl && !(vcpu->cr4 & AFB_CR4_PCE))
		return vcpu_raise_gp0(vcpu);
	vcpu_reg_set(frame, AFB_RAX, 4, 0);
	vcpu_reg_set(frame, AFB_RDX, 4, 0);
	return 0;
}
