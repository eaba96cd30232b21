// SPDX-License-Identifier: MIT
/*
 * Operands: general registers with the x86 write rules, effective
 * addresses, and guest memory through the host's page-table walk, with
 * its failures turned into the exceptions the CPU would raise.
 */
#include <string.h>

#include "core.h"

/* Record exception @vector for the caller to deliver. */
int vcpu_exc_raise(struct afb_vcpu *vcpu, uint8_t vector, uint32_t error_code)
{
	vcpu->exc.vector = vector;
	vcpu->exc.error_code = error_code;
	return AFB_VCPU_EXCEPTION;
}

/* Most instructions that change privileged state need CPL0: else #GP(0). */
int vcpu_need_cpl0(struct afb_vcpu *vcpu)
{
	return vcpu->cpl ? vcpu_raise_gp0(vcpu) : 0;
}

/* Bits 63..47 all equal: a 48-bit canonical address. */
bool vcpu_canonical(uint64_t addr)
{
	return (uint64_t)((int64_t)(addr << 16) >> 16) == addr;
}

static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
}

/* The low @size bytes of register @reg (AL..R15B: no AH..BH forms). */
uint64_t vcpu_reg_get(const struct afb_frame *frame, unsigned int reg,
		      unsigned int size)
{
	return frame->gpr[reg & 15] & size_mask(size);
}

/*
 * Write the low @size bytes of @reg: a 32-bit write zero-extends to 64
 * bits, 8- and 16-bit writes keep the bits above them.
 */
void vcpu_reg_set(struct afb_frame *frame, unsigned int reg, unsigned int size,
		  uint64_t val)
{
	uint64_t *r = &frame->gpr[reg & 15];

	if (size >= 4)
		*r = val & size_mask(size);
	else
		*r = (*r & ~size_mask(size)) | (val & size_mask(size));
}

/*
 * The base a segment register adds: in 64-bit mode only fs and gs have
 * one; in 32-bit mode every register has the base of its hidden part.
 */
uint64_t vcpu_seg_base(const struct afb_vcpu *vcpu, enum afb_sreg sreg)
{
	if (!vcpu_long(vcpu))
		return vcpu->hidden[sreg].base;
	if (sreg == AFB_FS)
		return vcpu->fs_base;
	return sreg == AFB_GS ? vcpu->gs_base : 0;
}

/*
 * The linear address of @insn's memory operand.  RIP-relative operands
 * count from the end of the original instruction, wherever the host has
 * its site.  In 32-bit mode the default segment is SS for an
 * esp- or ebp-based operand, DS otherwise, and linear addresses wrap at
 * 4 GiB.
 */
uint64_t vcpu_effective_address(const struct afb_vcpu *vcpu,
				const struct afb_frame *frame,
			   const struct afb_insn *insn)
{
	const struct afb_mem_operand *m = &insn->mem;
	uint64_t ea = (uint64_t)m->disp;
	enum afb_sreg sreg = AFB_DS;

	if (m->rip_relative)
		ea += vcpu->insn_rip + insn->len;
	if (m->base >= 0)
		ea += frame->gpr[m->base];
	if (m->index >= 0)
		ea += frame->gpr[m->index] * m->scale;
	ea &= size_mask(insn->addrsize);
	if (m->segment >= 0)
		sreg = (enum afb_sreg)m->segment;
	else if (m->base == AFB_RSP || m->base == AFB_RBP)
		sreg = AFB_SS;
	ea += vcpu_seg_base(vcpu, sreg);
	return vcpu_long(vcpu) ? ea : (uint32_t)ea;
}

/* Access bits for an explicit operand access at the current CPL. */
unsigned int vcpu_user_access(const struct afb_vcpu *vcpu)
{
	return vcpu->cpl == 3 ? AFB_ACCESS_USER : 0;
}

/* A host memory op's answer for one page, as the CPU would report it. */
static int mem_result(struct afb_vcpu *vcpu, int ret, uint64_t gva,
		      unsigned int access)
{
	if (ret != -EFAULT && ret != -EACCES)
		return ret;
	vcpu->cr2 = gva;
	return vcpu_exc_raise(vcpu, AFB_EXC_PF,
			      access | (ret == -EACCES ? AFB_PF_PRESENT : 0));
}

/* Bytes from @gva to the end of its page, at most @len. */
static size_t page_chunk(uint64_t gva, size_t len)
{
	size_t room = PAGE_SIZE - (gva & (PAGE_SIZE - 1));

	return len < room ? len : room;
}

/*
 * A linear address range the mode allows: canonical in long mode, below
 * 4 GiB in 32-bit mode (an access across the top is beyond the limit of
 * every segment: #GP(0) too).
 */
static bool range_ok(const struct afb_vcpu *vcpu, uint64_t gva, size_t len)
{
	if (!len)
		return true;
	if (!vcpu_long(vcpu))
		return gva <= UINT32_MAX && len - 1 <= UINT32_MAX - gva;
	return vcpu_canonical(gva) && vcpu_canonical(gva + len - 1);
}

/*
 * vmem_read - read guest-virtual memory one page at a time.  An address
 * outside the mode's range is #GP(0); a host fault is #PF at the first
 * byte of the page that failed.
 */
int vcpu_vmem_read(struct afb_vcpu *vcpu, uint64_t gva, void *buf, size_t len,
		   unsigned int access)
{
	uint8_t *p = buf;
	size_t n;
	int ret;

	if (!range_ok(vcpu, gva, len))
		return vcpu_raise_gp0(vcpu);
	for (; len; len -= n, gva += n, p += n) {
		n = page_chunk(gva, len);
		ret = vcpu->ops->mem_read(vcpu, gva, p, n, access);
		if (ret)
			return mem_result(vcpu, ret, gva, access);
	}
	return 0;
}

int vcpu_vmem_write(struct afb_vcpu *vcpu, uint64_t gva, const void *buf,
		    size_t len, unsigned int access)
{
	const uint8_t *p = buf;
	size_t n;
	int ret;

	access |= AFB_ACCESS_WRITE;
	if (!range_ok(vcpu, gva, len))
		return vcpu_raise_gp0(vcpu);
	for (; len; len -= n, gva += n, p += n) {
		n = page_chunk(gva, len);
		ret = vcpu->ops->mem_write(vcpu, gva, p, n, access);
		if (ret)
			return mem_result(vcpu, ret, gva, access);
	}
	return 0;
}

/* Little-endian integers of 1, 2, 4 or 8 bytes (the host is x86 too). */
int vcpu_vmem_read_uint(struct afb_vcpu *vcpu, uint64_t gva, unsigned int size,
			unsigned int access, uint64_t *val)
{
	*val = 0;
	return vcpu_vmem_read(vcpu, gva, val, size, access);
}

int vcpu_vmem_write_uint(struct afb_vcpu *vcpu, uint64_t gva, unsigned int size,
			 unsigned int access, uint64_t val)
{
	return vcpu_vmem_write(vcpu, gva, &val, size, access);
}

/* The ModRM r/m operand: a register, or memory at the current CPL. */
int vcpu_operand_read(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		      const struct afb_insn *insn, unsigned int size, uint64_t *val)
{
	if (!insn->has_mem) {
		*val = vcpu_reg_get(frame, insn->rm, size);
		return 0;
	}
	return vcpu_vmem_read_uint(vcpu,
				   vcpu_effective_address(vcpu, frame, insn),
				   size, vcpu_user_access(vcpu), val);
}

int vcpu_operand_write(struct afb_vcpu *vcpu, struct afb_frame *frame,
		       const struct afb_insn *insn, unsigned int size, uint64_t val)
{
	if (!insn->has_mem) {
		vcpu_reg_set(frame, insn->rm, size, val);
		return 0;
	}
	return vcpu_vmem_write_uint(vcpu,
				    vcpu_effective_address(vcpu, frame, insn),
				    size, vcpu_user_access(vcpu), val);
}

/*
 * The bits of rsp the stack uses: all of them in long mode, esp in
 * 32-bit mode, sp with a 16-bit stack segment (SS.B clear).
 */
uint64_t vcpu_stack_mask(const struct afb_vcpu *vcpu)
{
	if (vcpu_long(vcpu))
		return UINT64_MAX;
	return vcpu->hidden[AFB_SS].attr & AFB_SEG_DB ? UINT32_MAX : 0xffff;
}

/* The linear address of stack offset @sp (SS base in 32-bit mode). */
uint64_t vcpu_stack_linear(const struct afb_vcpu *vcpu, uint64_t sp)
{
	if (vcpu_long(vcpu))
		return sp;
	return (uint32_t)(vcpu->hidden[AFB_SS].base +
			  (sp & vcpu_stack_mask(vcpu)));
}

/* @rsp moved by @delta within the stack's bits; the others stay. */
uint64_t vcpu_stack_add(const struct afb_vcpu *vcpu, uint64_t rsp,
			int64_t delta)
{
	uint64_t mask = vcpu_stack_mask(vcpu);

	return (rsp & ~mask) | ((rsp + (uint64_t)delta) & mask);
}

/* Push @size bytes; rsp moves only once the write has succeeded. */
int vcpu_stack_push(struct afb_vcpu *vcpu, struct afb_frame *frame,
		    unsigned int size, uint64_t val)
{
	uint64_t rsp = vcpu_stack_add(vcpu, frame->gpr[AFB_RSP], -(int64_t)size);
	int ret = vcpu_vmem_write_uint(vcpu, vcpu_stack_linear(vcpu, rsp), size,
				       vcpu_user_access(vcpu), val);

	if (!ret)
		frame->gpr[AFB_RSP] = rsp;
	return ret;
}

/* Read @size bytes at rsp + @offset without popping them. */
int vcpu_stack_peek(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		    unsigned int offset, unsigned int size, uint64_t *val)
{
	uint64_t sp = vcpu_stack_add(vcpu, frame->gpr[AFB_RSP], offset);

	return vcpu_vmem_read_uint(vcpu, vcpu_stack_linear(vcpu, sp), size,
				   vcpu_user_access(vcpu), val);
}
