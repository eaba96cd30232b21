// SPDX-License-Identifier: MIT
/*
 * cpuid: the host decides what the guest sees (ops->cpuid, leaf in EAX,
 * subleaf in ECX).  Without the op the guest sees a CPU with no leaves.
 */
#include "core.h"

int em_cpuid(struct afb_vcpu *vcpu, struct afb_frame *frame,
	     const struct afb_insn *insn)
{
	static const unsigned int regs[4] = { AFB_RAX, AFB_RBX, AFB_RCX, AFB_RDX };
	uint32_t out[4] = { 0 };
	unsigned int i;

	(void)insn;
	if (vcpu->ops->cpuid)
		vcpu->ops->cpuid(vcpu, (uint32_t)frame->gpr[AFB_RAX],
				 (uint32_t)frame->gpr[AFB_RCX], out);
	for (i = 0; i < 4; i++)
		vcpu_reg_set(frame, regs[i], 4, out[i]);
	return 0;
}
