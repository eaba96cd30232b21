// SPDX-License-Identifier: MIT
/*
 * Control and debug registers, TLB and cache maintenance, extended
 * control registers, and idling (hlt, monitor/mwait).
 *
 * The core stores CR0, CR2, CR3, CR4, CR8, XCR0 and DR0-7 and checks
 * writes as the CPU does; what they mean for address translation is the
 * host's business, so loads that change translation call ops->set_cr3
 * or ops->flush_tlb.  Debug registers are stored only: hardware
 * breakpoints are not emulated.
 *
 * In 32-bit protected mode paging may be off: a CR3 load then only
 * records the root, and turning CR0.PG on activates it (ops->set_cr3),
 * turning it off drops every translation (ops->flush_tlb, global), as do
 * changes of CR4.PSE and CR4.PAE, which also re-activate the root in
 * the new format while paging is on.  Leaving protected mode (clearing
 * PE) or entering long mode (PG with EFER.LME) is not emulated:
 * -EOPNOTSUPP.  CR8 does not exist outside long mode (#UD).
 */
#include "core.h"

#define CR4_KNOWN	0x770fffULL	/* VME..UMIP, FSGSBASE, PCIDE, OSXSAVE,
					   SMEP, SMAP, PKE (no LA57, VMXE) */
#define CR3_RESERVED	0xfff0000000000000ULL
#define CR3_NOFLUSH	(1ULL << 63)	/* with CR4.PCIDE */

static void flush_all(struct afb_vcpu *vcpu, bool global)
{
	if (vcpu->ops->flush_tlb)
		vcpu->ops->flush_tlb(vcpu, 0, true, global);
}

/* ---- hlt, monitor, mwait ---------------------------------------------- */

static bool irq_ready(const struct afb_vcpu *vcpu)
{
	return afb_vcpu_irq_pending(vcpu) && vcpu_irq_enabled(vcpu);
}

/*
 * hlt: with interrupts off the virtual CPU is dead (a shutdown, as the
 * guest's panic and power-off paths intend).  Otherwise wait in the host
 * until something is pending; afb_vcpu_emulate() then delivers it with
 * the return address after the hlt.  If the host's idle returns with
 * nothing pending, the vcpu stays halted.
 */
int em_hlt(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	int ret = vcpu_need_cpl0(vcpu);

	(void)frame, (void)insn;
	if (ret)
		return ret;
	vcpu->halted = true;
	if (!vcpu_irq_enabled(vcpu))
		return vcpu_shutdown(vcpu, AFB_SHUTDOWN_HALT);
	if (!irq_ready(vcpu) && vcpu->ops->idle)
		ret = vcpu->ops->idle(vcpu);
	return ret;
}

/* monitor arms nothing: mwait below never waits for a store. */
int em_monitor(struct afb_vcpu *vcpu, struct afb_frame *frame,
	       const struct afb_insn *insn)
{
	(void)frame, (void)insn;
	return vcpu->cpl ? vcpu_exc_raise(vcpu, AFB_EXC_UD, 0) : 0;
}

/* mwait: idle once in the host if nothing is pending, then go on (mwait
   may always wake early). */
int em_mwait(struct afb_vcpu *vcpu, struct afb_frame *frame,
	     const struct afb_insn *insn)
{
	(void)frame, (void)insn;
	if (vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	if (!afb_vcpu_irq_pending(vcpu) && vcpu->ops->idle)
		return vcpu->ops->idle(vcpu);
	return 0;
}

/* ---- mov to and from control registers ------------------------------- */

static bool paging(const struct afb_vcpu *vcpu)
{
	return vcpu->cr0 & AFB_CR0_PG;
}

/* Activate vcpu->cr3 in the host; a refusal (-errno) is passed up. */
static int activate(struct afb_vcpu *vcpu)
{
	return vcpu->ops->set_cr3 ? vcpu->ops->set_cr3(vcpu, vcpu->cr3) : 0;
}

static int write_cr0(struct afb_vcpu *vcpu, uint64_t val)
{
	uint64_t changed = val ^ vcpu->cr0, old = vcpu->cr0;
	int ret;

	val |= AFB_CR0_ET;
	if ((val >> 32) || ((val & AFB_CR0_PG) && !(val & AFB_CR0_PE)) ||
	    ((val & AFB_CR0_NW) && !(val & AFB_CR0_CD)) ||
	    ((vcpu->efer & AFB_EFER_LMA) && !(val & AFB_CR0_PG)))
		return vcpu_raise_gp0(vcpu);
	if (!(val & AFB_CR0_PE) ||
	    ((changed & val & AFB_CR0_PG) && (vcpu->efer & AFB_EFER_LME)))
		return -EOPNOTSUPP;	/* real mode, entering long mode */
	vcpu->cr0 = val;
	if (changed & val & AFB_CR0_PG) {
		ret = activate(vcpu);
		if (ret)
			vcpu->cr0 = old;
		return ret;
	}
	if (changed & (AFB_CR0_PG | AFB_CR0_WP))
		flush_all(vcpu, true);
	return 0;
}

/*
 * A CR3 load: the host activates the new root (or refuses, -errno); with
 * paging off (32-bit mode) it is only recorded.
 */
static int write_cr3(struct afb_vcpu *vcpu, uint64_t val)
{
	uint64_t old = vcpu->cr3;
	int ret = 0;

	if (vcpu->cr4 & AFB_CR4_PCIDE)
		val &= ~CR3_NOFLUSH;
	if (val & CR3_RESERVED)
		return vcpu_raise_gp0(vcpu);
	vcpu->cr3 = val;
	if (paging(vcpu))
		ret = activate(vcpu);
	if (ret)
		vcpu->cr3 = old;
	return ret;
}

static int write_cr4(struct afb_vcpu *vcpu, uint64_t val)
{
	uint64_t changed = val ^ vcpu->cr4, old = vcpu->cr4;
	uint64_t flush = AFB_CR4_PGE | AFB_CR4_PAE | AFB_CR4_PCIDE;
	int ret = 0;

	if ((val & ~CR4_KNOWN) ||
	    ((vcpu->efer & AFB_EFER_LMA) && !(val & AFB_CR4_PAE)) ||
	    ((changed & val & AFB_CR4_PCIDE) && (vcpu->cr3 & 0xfff)) ||
	    (!vcpu_long(vcpu) && (changed & val & AFB_CR4_PCIDE)))
		return vcpu_raise_gp0(vcpu);
	if (!vcpu_long(vcpu))
		flush |= AFB_CR4_PSE;
	vcpu->cr4 = val;
	if (changed & flush)
		flush_all(vcpu, true);
	if (!vcpu_long(vcpu) && paging(vcpu) &&
	    (changed & (AFB_CR4_PAE | AFB_CR4_PSE)))
		ret = activate(vcpu);
	if (ret)
		vcpu->cr4 = old;
	return ret;
}

static int write_cr(struct afb_vcpu *vcpu, unsigned int cr, uint64_t val)
{
	switch (cr) {
	case 0:
		return write_cr0(vcpu, val);
	case 2:
		vcpu->cr2 = val;
		return 0;
	case 3:
		return write_cr3(vcpu, val);
	case 4:
		return write_cr4(vcpu, val);
	case 8:
		if (!vcpu_long(vcpu))
			break;
		if (val > 15)
			return vcpu_raise_gp0(vcpu);
		vcpu->cr8 = val;
		return 0;
	}
	return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
}

static int read_cr(struct afb_vcpu *vcpu, unsigned int cr, uint64_t *val)
{
	const uint64_t *regs[] = {
		[0] = &vcpu->cr0, [2] = &vcpu->cr2, [3] = &vcpu->cr3,
		[4] = &vcpu->cr4, [8] = &vcpu->cr8,
	};

	if (cr >= ARRAY_SIZE(regs) || !regs[cr] || (cr == 8 && !vcpu_long(vcpu)))
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	*val = *regs[cr];
	return 0;
}

/* 0f 20: mov %crN, reg; 0f 22: mov reg, %crN.  Always 64 bits (32 in
   32-bit mode, where the frame holds 32-bit values). */
int em_mov_cr(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	uint64_t val = 0;
	int ret = vcpu_need_cpl0(vcpu);

	if (ret)
		return ret;
	if (insn->opcode[1] == 0x22)
		return write_cr(vcpu, insn->reg, frame->gpr[insn->rm]);
	ret = read_cr(vcpu, insn->reg, &val);
	if (!ret)
		frame->gpr[insn->rm] = val;
	return ret;
}

/* ---- debug registers --------------------------------------------------- */

/* DR4/DR5 are DR6/DR7 unless CR4.DE makes them #UD. */
static int dr_index(struct afb_vcpu *vcpu, unsigned int dr, unsigned int *idx)
{
	if ((dr == 4 || dr == 5) && (vcpu->cr4 & AFB_CR4_DE))
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	*idx = dr == 4 || dr == 5 ? dr + 2 : dr;
	return 0;
}

/* 0f 21: mov %drN, reg; 0f 23: mov reg, %drN. */
int em_mov_dr(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	uint64_t val = frame->gpr[insn->rm];
	unsigned int dr = 0;
	int ret = vcpu_need_cpl0(vcpu);

	if (!ret)
		ret = dr_index(vcpu, insn->reg, &dr);
	if (ret)
		return ret;
	if (insn->opcode[1] == 0x21) {
		frame->gpr[insn->rm] = vcpu->dr[dr];
		return 0;
	}
	if (dr >= 6 && (val >> 32))
		return vcpu_raise_gp0(vcpu);
	if (dr == 6)
		val |= 0xffff0ff0;
	else if (dr == 7)
		val |= 0x400;
	vcpu->dr[dr] = val;
	return 0;
}

/* ---- the machine status word, TS -------------------------------------- */

/* smsw: CR0's low bits; 16 of them to memory, opsize to a register. */
int em_smsw(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	if (vcpu->cpl && (vcpu->cr4 & AFB_CR4_UMIP))
		return vcpu_raise_gp0(vcpu);
	return vcpu_operand_write(vcpu, frame, insn, insn->has_mem ? 2 : insn->opsize,
				  vcpu->cr0);
}

/* lmsw: loads PE, MP, EM and TS; it cannot clear PE. */
int em_lmsw(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	uint64_t msw;
	int ret = vcpu_need_cpl0(vcpu);

	if (!ret)
		ret = vcpu_operand_read(vcpu, frame, insn, 2, &msw);
	if (ret)
		return ret;
	msw &= 0xf;
	vcpu->cr0 = (vcpu->cr0 & ~0xeULL) | msw | (vcpu->cr0 & AFB_CR0_PE);
	return 0;
}

int em_clts(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	int ret = vcpu_need_cpl0(vcpu);

	(void)frame, (void)insn;
	if (!ret)
		vcpu->cr0 &= ~(uint64_t)AFB_CR0_TS;
	return ret;
}

/* ---- TLB and caches ----------------------------------------------------- */

int em_invlpg(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	int ret = vcpu_need_cpl0(vcpu);

	if (!ret && vcpu->ops->flush_tlb)
		vcpu->ops->flush_tlb(vcpu, vcpu_effective_address(vcpu, frame, insn),
				     false, false);
	return ret;
}

/*
 * invpcid: type in the register operand, a 16-byte descriptor (PCID,
 * address) in memory.  PCIDs are not tracked: types 1-3 flush all.
 */
int em_invpcid(struct afb_vcpu *vcpu, struct afb_frame *frame,
	       const struct afb_insn *insn)
{
	uint64_t type = frame->gpr[insn->reg], desc[2];
	int ret = vcpu_need_cpl0(vcpu);

	if (!ret)
		ret = vcpu_vmem_read(vcpu, vcpu_effective_address(vcpu, frame, insn), desc,
				     sizeof(desc), 0);
	if (ret)
		return ret;
	if (type > 3 || (desc[0] >> 12) || (type == 0 && !vcpu_canonical(desc[1])))
		return vcpu_raise_gp0(vcpu);
	if (!vcpu->ops->flush_tlb)
		return 0;
	if (type == 0)
		vcpu->ops->flush_tlb(vcpu, desc[1], false, false);
	else
		vcpu->ops->flush_tlb(vcpu, 0, true, type == 2);
	return 0;
}

/* invd, wbinvd: the host's memory is coherent; nothing to do. */
int em_cache(struct afb_vcpu *vcpu, struct afb_frame *frame,
	     const struct afb_insn *insn)
{
	(void)frame, (void)insn;
	return vcpu_need_cpl0(vcpu);
}

/* ---- XCR0 --------------------------------------------------------------- */

int em_xgetbv(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	(void)insn;
	if (!(vcpu->cr4 & AFB_CR4_OSXSAVE))
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	if ((uint32_t)frame->gpr[AFB_RCX] != 0)
		return vcpu_raise_gp0(vcpu);
	vcpu_reg_set(frame, AFB_RAX, 4, vcpu->xcr0);
	vcpu_reg_set(frame, AFB_RDX, 4, vcpu->xcr0 >> 32);
	return 0;
}

/* xsetbv: XCR0 is stored only; the guest owns no extended state here. */
int em_xsetbv(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	uint64_t val = (uint32_t)frame->gpr[AFB_RAX] |
		       (frame->gpr[AFB_RDX] << 32);

	(void)insn;
	if (!(vcpu->cr4 & AFB_CR4_OSXSAVE))
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	if (vcpu->cpl || (uint32_t)frame->gpr[AFB_RCX] != 0 || !(val & 1) ||
	    ((val & 4) && !(val & 2)))
		return vcpu_raise_gp0(vcpu);
	vcpu->xcr0 = val;
	return 0;
}

/*
 * xsaves/xrstors: not emulated.  The core's guests own no extended state
 * (doc/guest-contract.md), so a host's cpuid must not offer XSAVES; a
 * guest that uses it anyway gets the #UD of a CPU without it.
 */
int em_undefined(struct afb_vcpu *vcpu, struct afb_frame *frame,
		 const struct afb_insn *insn)
{
	(void)frame, (void)insn;
	return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
}
