// SPDX-License-Identifier: MIT
/*
 * Port I/O: in, out, ins, outs (with rep), through the host's io ops.
 *
 * Permission is IOPL alone: a CPL above IOPL is #GP(0).  The TSS I/O
 * permission bitmap is not consulted (the guests this core serves have
 * none, doc/guest-contract.md).  rep string forms run the whole count in
 * one call and update RCX, RSI/RDI element by element, so a page fault
 * part way leaves the instruction restartable; for ins, an element read
 * from the port before its memory write faults is lost.
 */
#include "core.h"

static int io_allowed(struct afb_vcpu *vcpu)
{
	unsigned int iopl = (vcpu->rflags & AFB_RFLAGS_IOPL) >> 12;

	return vcpu->cpl > iopl ? vcpu_raise_gp0(vcpu) : 0;
}

/* The port: an 8-bit immediate, or DX. */
static uint16_t io_port(const struct afb_frame *frame,
			const struct afb_insn *insn)
{
	return insn->has_imm ? (uint16_t)insn->imm : (uint16_t)frame->gpr[AFB_RDX];
}

static int port_in(struct afb_vcpu *vcpu, uint16_t port, unsigned int size,
		   uint32_t *val)
{
	*val = UINT32_MAX;
	return vcpu->ops->io_in ? vcpu->ops->io_in(vcpu, port, size, val) : 0;
}

static int port_out(struct afb_vcpu *vcpu, uint16_t port, unsigned int size,
		    uint32_t val)
{
	return vcpu->ops->io_out ? vcpu->ops->io_out(vcpu, port, size, val) : 0;
}

int em_in(struct afb_vcpu *vcpu, struct afb_frame *frame,
	  const struct afb_insn *insn)
{
	uint32_t val;
	int ret = io_allowed(vcpu);

	if (!ret)
		ret = port_in(vcpu, io_port(frame, insn), insn->opsize, &val);
	if (!ret)
		vcpu_reg_set(frame, AFB_RAX, insn->opsize, val);
	return ret;
}

int em_out(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	int ret = io_allowed(vcpu);

	if (ret)
		return ret;
	return port_out(vcpu, io_port(frame, insn), insn->opsize,
			(uint32_t)vcpu_reg_get(frame, AFB_RAX, insn->opsize));
}

/* Advance the index register @reg by one element, as DF says. */
static void string_step(struct afb_frame *frame, const struct afb_insn *insn,
			unsigned int reg)
{
	uint64_t step = frame->rflags & AFB_RFLAGS_DF ? -(uint64_t)insn->opsize
						      : insn->opsize;

	vcpu_reg_set(frame, reg, insn->addrsize, frame->gpr[reg] + step);
}

/* seg:@off as a linear address (32-bit mode: wrapping at 4 GiB). */
static uint64_t string_addr(const struct afb_vcpu *vcpu, enum afb_sreg sreg,
			    uint64_t off)
{
	uint64_t addr = off + vcpu_seg_base(vcpu, sreg);

	return vcpu_long(vcpu) ? addr : (uint32_t)addr;
}

/* One element of ins: port to ES:rDI (ES has base 0 in long mode). */
static int ins_one(struct afb_vcpu *vcpu, struct afb_frame *frame,
		   const struct afb_insn *insn)
{
	uint64_t addr = string_addr(vcpu, AFB_ES,
				    vcpu_reg_get(frame, AFB_RDI, insn->addrsize));
	uint32_t val;
	int ret = port_in(vcpu, (uint16_t)frame->gpr[AFB_RDX], insn->opsize,
			  &val);

	if (!ret)
		ret = vcpu_vmem_write_uint(vcpu, addr, insn->opsize, vcpu_user_access(vcpu),
					   val);
	if (!ret)
		string_step(frame, insn, AFB_RDI);
	return ret;
}

/* One element of outs: DS:rSI or an override (in long mode only an
   fs/gs override adds a base). */
static int outs_one(struct afb_vcpu *vcpu, struct afb_frame *frame,
		    const struct afb_insn *insn)
{
	int seg = insn->mem.segment >= 0 ? insn->mem.segment : AFB_DS;
	uint64_t addr = string_addr(vcpu, (enum afb_sreg)seg,
				    vcpu_reg_get(frame, AFB_RSI, insn->addrsize));
	uint64_t val;
	int ret;

	ret = vcpu_vmem_read_uint(vcpu, addr, insn->opsize,
				  vcpu_user_access(vcpu), &val);
	if (!ret)
		ret = port_out(vcpu, (uint16_t)frame->gpr[AFB_RDX], insn->opsize,
			       (uint32_t)val);
	if (!ret)
		string_step(frame, insn, AFB_RSI);
	return ret;
}

/* Run @one once, or rCX times with a rep prefix. */
static int string_io(struct afb_vcpu *vcpu, struct afb_frame *frame,
		     const struct afb_insn *insn,
		     int (*one)(struct afb_vcpu *, struct afb_frame *,
				const struct afb_insn *))
{
	uint64_t count;
	int ret = io_allowed(vcpu);

	if (ret || !insn->rep)
		return ret ? ret : one(vcpu, frame, insn);
	for (count = vcpu_reg_get(frame, AFB_RCX, insn->addrsize); count; count--) {
		ret = one(vcpu, frame, insn);
		if (ret)
			return ret;
		vcpu_reg_set(frame, AFB_RCX, insn->addrsize, count - 1);
	}
	return 0;
}

int em_ins(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	return string_io(vcpu, frame, insn, ins_one);
}

int em_outs(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	return string_io(vcpu, frame, insn, outs_one);
}
