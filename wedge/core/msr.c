// SPDX-License-Identifier: MIT
/*
 * rdmsr and wrmsr.  The core owns the MSRs of long mode and the fast
 * system calls (the table below): they are fields of struct afb_vcpu,
 * checked on write as the CPU checks them.  Every other MSR goes to the
 * host, and a host that refuses one (or has no MSR ops) makes the
 * instruction raise #GP(0), which is what a kernel's "safe" MSR accessors
 * expect of an MSR that does not exist.
 */
#include <stddef.h>

#include "core.h"

typedef int (*msr_check_fn)(struct afb_vcpu *vcpu, uint64_t *val);

struct owned_msr {
	uint32_t index;
	size_t offset;			/* of the field in struct afb_vcpu */
	msr_check_fn check;		/* may adjust the value; NULL: any */
	int sreg;			/* base the host mirrors, or -1 */
};

static int check_canonical(struct afb_vcpu *vcpu, uint64_t *val)
{
	return vcpu_canonical(*val) ? 0 : vcpu_raise_gp0(vcpu);
}

static int check_low32(struct afb_vcpu *vcpu, uint64_t *val)
{
	return *val >> 32 ? vcpu_raise_gp0(vcpu) : 0;
}

/* EFER: SCE, LME, NXE writable (LME only with paging off); LMA is the
   CPU's, kept as it is. */
static int check_efer(struct afb_vcpu *vcpu, uint64_t *val)
{
	uint64_t writable = AFB_EFER_SCE | AFB_EFER_LME | AFB_EFER_NXE;
	uint64_t v = *val & ~(uint64_t)AFB_EFER_LMA;

	if ((v & ~writable) ||
	    ((vcpu->cr0 & AFB_CR0_PG) &&
	     ((v ^ vcpu->efer) & AFB_EFER_LME)))
		return vcpu_raise_gp0(vcpu);
	*val = v | (vcpu->efer & AFB_EFER_LMA);
	if (((*val ^ vcpu->efer) & AFB_EFER_NXE) && vcpu->ops->flush_tlb)
		vcpu->ops->flush_tlb(vcpu, 0, true, true);
	return 0;
}

#define OWNED(msr, field, chk, sr) \
	{ msr, offsetof(struct afb_vcpu, field), chk, sr }

static const struct owned_msr owned[] = {
	OWNED(AFB_MSR_SYSENTER_CS, sysenter_cs, check_low32, -1),
	OWNED(AFB_MSR_SYSENTER_ESP, sysenter_esp, check_canonical, -1),
	OWNED(AFB_MSR_SYSENTER_EIP, sysenter_eip, check_canonical, -1),
	OWNED(AFB_MSR_EFER, efer, check_efer, -1),
	OWNED(AFB_MSR_STAR, star, NULL, -1),
	OWNED(AFB_MSR_LSTAR, lstar, check_canonical, -1),
	OWNED(AFB_MSR_CSTAR, cstar, check_canonical, -1),
	OWNED(AFB_MSR_SFMASK, sfmask, check_low32, -1),
	OWNED(AFB_MSR_FS_BASE, fs_base, check_canonical, AFB_FS),
	OWNED(AFB_MSR_GS_BASE, gs_base, check_canonical, AFB_GS),
	OWNED(AFB_MSR_KERNEL_GS_BASE, kernel_gs_base, check_canonical, AFB_GS),
	OWNED(AFB_MSR_TSC_AUX, tsc_aux, check_low32, -1),
};

static const struct owned_msr *find_owned(uint32_t index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(owned); i++)
		if (owned[i].index == index)
			return &owned[i];
	return NULL;
}

static uint64_t *field(struct afb_vcpu *vcpu, const struct owned_msr *m)
{
	return (uint64_t *)((char *)vcpu + m->offset);
}

int em_rdmsr(struct afb_vcpu *vcpu, struct afb_frame *frame,
	     const struct afb_insn *insn)
{
	uint32_t index = (uint32_t)frame->gpr[AFB_RCX];
	const struct owned_msr *m = find_owned(index);
	uint64_t val = 0;
	int ret = vcpu_need_cpl0(vcpu);

	(void)insn;
	if (ret)
		return ret;
	if (m)
		val = *field(vcpu, m);
	else if (!vcpu->ops->rdmsr || vcpu->ops->rdmsr(vcpu, index, &val) < 0)
		return vcpu_raise_gp0(vcpu);
	vcpu_reg_set(frame, AFB_RAX, 4, val);
	vcpu_reg_set(frame, AFB_RDX, 4, val >> 32);
	return 0;
}

int em_wrmsr(struct afb_vcpu *vcpu, struct afb_frame *frame,
	     const struct afb_insn *insn)
{
	uint32_t index = (uint32_t)frame->gpr[AFB_RCX];
	uint64_t val = (uint32_t)frame->gpr[AFB_RAX] |
		       (frame->gpr[AFB_RDX] << 32);
	const struct owned_msr *m = find_owned(index);
	int ret = vcpu_need_cpl0(vcpu);

	(void)insn;
	if (ret)
		return ret;
	if (!m) {
		if (!vcpu->ops->wrmsr || vcpu->ops->wrmsr(vcpu, index, val) < 0)
			return vcpu_raise_gp0(vcpu);
		return 0;
	}
	ret = m->check ? m->check(vcpu, &val) : 0;
	if (ret)
		return ret;
	*field(vcpu, m) = val;
	if (m->sreg >= 0)
		vcpu_seg_base_changed(vcpu, (enum afb_sreg)m->sreg);
	return 0;
}
