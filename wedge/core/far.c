// SPDX-License-Identifier: MIT
/*
 * Far jmp, call and ret: the ways a kernel reloads CS (typically "push
 * $sel; push $label; lretq" after lgdt in 64-bit mode, "ljmp $sel, $label"
 * in 32-bit mode).  Only code segment targets are supported: a call gate
 * or TSS selector is #GP(sel), as is every privilege change except a far
 * return to an outer level.  The operand size sizes the pointer and the
 * stack slots; in 32-bit mode the target eip must lie within the new
 * code segment's limit.
 */
#include "core.h"

#define SEL_ERR(sel)	((uint32_t)(sel) & 0xfffc)

/*
 * The target: the ptr16:16/32 immediate of ea and 9a (not in 64-bit
 * mode), or the m16:16/32/64 operand of ff /3 and ff /5: offset, then
 * selector.
 */
static int far_pointer(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		       const struct afb_insn *insn, uint64_t *off,
		       uint16_t *sel)
{
	uint64_t ea, s = 0;
	int ret;

	if (!insn->has_mem) {
		*off = insn->imm;
		*sel = insn->selector;
		return 0;
	}
	ea = vcpu_effective_address(vcpu, frame, insn);
	ret = vcpu_vmem_read_uint(vcpu, ea, insn->opsize,
				  vcpu_user_access(vcpu), off);

	if (!ret)
		ret = vcpu_vmem_read_uint(vcpu, ea + insn->opsize, 2,
					  vcpu_user_access(vcpu), &s);
	*sel = (uint16_t)s;
	return ret;
}

/* A jmp/call target: code at the current CPL with RPL <= CPL. */
static int same_level_target(struct afb_vcpu *vcpu, uint16_t sel,
			     uint64_t rip, struct desc *d)
{
	int ret;

	if ((sel & 3u) > vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel));
	ret = vcpu_cs_check(vcpu, sel, vcpu->cpl, d);
	if (!ret)
		ret = vcpu_rip_check(vcpu, d, rip);
	return ret;
}

static int load_cs(struct afb_vcpu *vcpu, struct afb_frame *frame,
		   uint16_t sel, const struct desc *d, uint64_t rip)
{
	frame->rip = rip;
	return vcpu_seg_commit(vcpu, AFB_CS, (sel & ~3u) | vcpu->cpl, d);
}

int em_far_jmp(struct afb_vcpu *vcpu, struct afb_frame *frame,
	       const struct afb_insn *insn)
{
	struct desc d;
	uint64_t rip;
	uint16_t sel;
	int ret = far_pointer(vcpu, frame, insn, &rip, &sel);

	if (!ret)
		ret = same_level_target(vcpu, sel, rip, &d);
	if (!ret)
		ret = load_cs(vcpu, frame, sel, &d, rip);
	return ret;
}

/* Far call: push CS, then the return rip, each of the operand size. */
int em_far_call(struct afb_vcpu *vcpu, struct afb_frame *frame,
		const struct afb_insn *insn)
{
	unsigned int size = insn->opsize;
	uint64_t rsp = vcpu_stack_add(vcpu, frame->gpr[AFB_RSP], -2 * (int)size);
	uint64_t rip;
	struct desc d;
	uint16_t sel;
	int ret = far_pointer(vcpu, frame, insn, &rip, &sel);

	if (!ret)
		ret = same_level_target(vcpu, sel, rip, &d);
	if (!ret)
		ret = vcpu_vmem_write_uint(vcpu,
					   vcpu_stack_linear(vcpu, vcpu_stack_add(vcpu, rsp, size)),
					   size, vcpu_user_access(vcpu),
					   vcpu->seg[AFB_CS]);
	if (!ret)
		ret = vcpu_vmem_write_uint(vcpu, vcpu_stack_linear(vcpu, rsp), size,
					   vcpu_user_access(vcpu), frame->rip);
	if (ret)
		return ret;
	frame->gpr[AFB_RSP] = rsp;
	return load_cs(vcpu, frame, sel, &d, rip);
}

/* What a far return pops: rip and cs, then rsp and ss to an outer level. */
struct far_ret {
	uint64_t rip, cs, rsp, ss;
	unsigned int cpl;
	struct desc code, stack;
};

/* The outer-level part: rsp and ss above the popped bytes (imm16). */
static int far_ret_outer(struct afb_vcpu *vcpu, const struct afb_frame *frame,
			 unsigned int size, unsigned int skip, struct far_ret *r)
{
	int ret = vcpu_stack_peek(vcpu, frame, 2 * size + skip, size, &r->rsp);

	if (!ret)
		ret = vcpu_stack_peek(vcpu, frame, 3 * size + skip, size, &r->ss);
	if (!ret)
		ret = vcpu_ss_check(vcpu, (uint16_t)r->ss, r->cpl, &r->stack);
	r->rsp += skip;
	return ret;
}

/* cb: lret; ca iw: lret $imm16 (also released from the outer stack). */
int em_far_ret(struct afb_vcpu *vcpu, struct afb_frame *frame,
	       const struct afb_insn *insn)
{
	unsigned int size = insn->opsize, skip = insn->has_imm ? insn->imm : 0;
	struct far_ret r;
	int ret = vcpu_stack_peek(vcpu, frame, 0, size, &r.rip);

	if (!ret)
		ret = vcpu_stack_peek(vcpu, frame, size, size, &r.cs);
	if (ret)
		return ret;
	r.cpl = r.cs & 3;
	r.rsp = vcpu_stack_add(vcpu, frame->gpr[AFB_RSP], 2 * size + skip);
	if (r.cpl < vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(r.cs));
	ret = vcpu_cs_check(vcpu, (uint16_t)r.cs, r.cpl, &r.code);
	if (!ret && r.cpl > vcpu->cpl)
		ret = far_ret_outer(vcpu, frame, size, skip, &r);
	if (!ret)
		ret = vcpu_rip_check(vcpu, &r.code, r.rip);
	if (ret)
		return ret;
	frame->gpr[AFB_RSP] = r.rsp;
	if (r.cpl > vcpu->cpl) {
		vcpu->cpl = r.cpl;
		ret = vcpu_seg_commit(vcpu, AFB_SS, (uint16_t)r.ss, &r.stack);
		if (!ret)
			ret = vcpu_segs_leave_kernel(vcpu);
	}
	if (!ret)
		ret = load_cs(vcpu, frame, (uint16_t)r.cs, &r.code, r.rip);
	return ret;
}
