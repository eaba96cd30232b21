// SPDX-License-Identifier: MIT
/*
 * Descriptor tables and segment registers: lgdt/lidt/lldt/ltr and their
 * store forms, mov/push/pop of a segment register, lss/lfs/lgs,
 * lar/lsl/verr/verw, swapgs and the FS/GS base instructions.
 *
 * The virtual GDTR, IDTR, LDTR and TR are the guest's own: the core reads
 * descriptors from guest memory whenever a selector is loaded (segment.c)
 * and caches the LDT and TSS bases at lldt/ltr, as the CPU does.  The
 * mode sizes the tables' bases (8 bytes in 64-bit mode, 4 in 32-bit
 * mode, 3 with a 16-bit operand) and the LDT and TSS descriptors (16
 * bytes in long mode, 8 in 32-bit mode).
 */
#include "core.h"

#define SEL_ERR(sel)	((uint32_t)(sel) & 0xfffc)
#define SYS_LDT		0x2
#define SYS_TSS		0x9	/* available 64-bit (32-bit) TSS */
#define SYS_TSS_BUSY	0xb
#define SYS_CALL_GATE	0xc

/* sgdt, sidt, sldt, str, smsw at CPL3 are #GP with CR4.UMIP. */
static int umip_check(struct afb_vcpu *vcpu)
{
	return vcpu->cpl && (vcpu->cr4 & AFB_CR4_UMIP) ? vcpu_raise_gp0(vcpu) : 0;
}

/* ---- GDTR, IDTR: a 2-byte limit, then an 8-byte (4-byte) base -------- */

/* Bytes of the base in memory: 8 in 64-bit mode, else 4. */
static unsigned int dtr_base_size(const struct afb_vcpu *vcpu)
{
	return vcpu_long(vcpu) ? 8 : 4;
}

static int load_dtr(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		    const struct afb_insn *insn, struct afb_dtr *dtr)
{
	uint64_t ea = vcpu_effective_address(vcpu, frame, insn);
	unsigned int n = dtr_base_size(vcpu);
	uint8_t buf[10];
	uint64_t base = 0;
	uint16_t limit;
	int ret = vcpu_need_cpl0(vcpu);

	if (!ret)
		ret = vcpu_vmem_read(vcpu, ea, buf, 2 + n, 0);
	if (ret)
		return ret;
	__builtin_memcpy(&limit, buf, 2);
	__builtin_memcpy(&base, buf + 2, n);
	if (n == 4 && insn->opsize == 2)
		base &= 0xffffff;		/* a 16-bit lgdt loads 24 bits */
	if (!vcpu_canonical(base))
		return vcpu_raise_gp0(vcpu);
	dtr->limit = limit;
	dtr->base = base;
	return 0;
}

static int store_dtr(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		     const struct afb_insn *insn, const struct afb_dtr *dtr)
{
	unsigned int n = dtr_base_size(vcpu);
	uint8_t buf[10];
	int ret = umip_check(vcpu);

	if (ret)
		return ret;
	__builtin_memcpy(buf, &dtr->limit, 2);
	__builtin_memcpy(buf + 2, &dtr->base, n);
	return vcpu_vmem_write(vcpu, vcpu_effective_address(vcpu, frame, insn), buf,
			       2 + n, vcpu_user_access(vcpu));
}

int em_lgdt(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	return load_dtr(vcpu, frame, insn, &vcpu->gdtr);
}

int em_lidt(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	return load_dtr(vcpu, frame, insn, &vcpu->idtr);
}

int em_sgdt(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	return store_dtr(vcpu, frame, insn, &vcpu->gdtr);
}

int em_sidt(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	return store_dtr(vcpu, frame, insn, &vcpu->idtr);
}

/* ---- LDTR, TR ------------------------------------------------------------ */

/* A 16-bit selector operand (register or memory). */
static int read_sel(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		    const struct afb_insn *insn, uint16_t *sel)
{
	uint64_t v;
	int ret = vcpu_operand_read(vcpu, frame, insn, 2, &v);

	*sel = (uint16_t)v;
	return ret;
}

/* A selector stored: 16 bits to memory, zero-extended to a register. */
static int store_sel(struct afb_vcpu *vcpu, struct afb_frame *frame,
		     const struct afb_insn *insn, uint16_t sel)
{
	return vcpu_operand_write(vcpu, frame, insn, insn->has_mem ? 2 : insn->opsize,
				  sel);
}

/*
 * The system descriptor @sel names (16 bytes in long mode, 8 in 32-bit
 * mode, always in the GDT) must be of @type, present.
 */
static int sys_check(struct afb_vcpu *vcpu, uint16_t sel, uint8_t type,
		     struct desc *d)
{
	int ret;

	if (vcpu_long(vcpu))
		ret = vcpu_sysdesc_read(vcpu, sel, d);
	else if (sel & 4)
		ret = vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel));
	else
		ret = vcpu_desc_read(vcpu, sel, d);

	if (ret)
		return ret;
	if (d->s || d->type != type || !vcpu_canonical(d->base))
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel));
	return d->p ? 0 : vcpu_exc_raise(vcpu, AFB_EXC_NP, SEL_ERR(sel));
}

int em_lldt(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	struct desc d = { 0 };
	uint16_t sel;
	int ret = vcpu_need_cpl0(vcpu);

	if (!ret)
		ret = read_sel(vcpu, frame, insn, &sel);
	if (!ret && (sel & ~3u))
		ret = sys_check(vcpu, sel, SYS_LDT, &d);
	if (ret)
		return ret;
	vcpu->ldtr = (struct afb_sysseg){
		.sel = sel, .base = d.base, .limit = d.limit, .type = d.type,
	};
	return 0;
}

/* ltr: an available TSS, which becomes busy in the GDT as on the CPU. */
int em_ltr(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	struct desc d;
	uint16_t sel;
	int ret = vcpu_need_cpl0(vcpu);

	if (!ret)
		ret = read_sel(vcpu, frame, insn, &sel);
	if (!ret && !(sel & ~3u))
		ret = vcpu_raise_gp0(vcpu);
	if (!ret)
		ret = sys_check(vcpu, sel, SYS_TSS, &d);
	if (ret)
		return ret;
	d.raw |= (uint64_t)(SYS_TSS_BUSY ^ SYS_TSS) << 40;
	ret = vcpu_vmem_write_uint(vcpu, vcpu->gdtr.base + (sel & ~7u), 8, 0, d.raw);
	if (ret)
		return ret;
	vcpu->tr = (struct afb_sysseg){
		.sel = sel, .base = d.base, .limit = d.limit,
		.type = SYS_TSS_BUSY,
	};
	return 0;
}

int em_sldt(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	int ret = umip_check(vcpu);

	return ret ? ret : store_sel(vcpu, frame, insn, vcpu->ldtr.sel);
}

int em_str(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	int ret = umip_check(vcpu);

	return ret ? ret : store_sel(vcpu, frame, insn, vcpu->tr.sel);
}

/* ---- segment registers ------------------------------------------------ */

/* mov ss (and pop ss) hold off interrupts for one instruction. */
static void ss_shadow(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		      enum afb_sreg sreg)
{
	if (sreg == AFB_SS) {
		vcpu->shadow = true;
		vcpu->shadow_rip = frame->rip;
	}
}

/* 8c: mov %sreg, r/m; 8e: mov r/m, %sreg (never %cs: the decoder
   refuses it). */
int em_mov_seg(struct afb_vcpu *vcpu, struct afb_frame *frame,
	       const struct afb_insn *insn)
{
	enum afb_sreg sreg = insn->reg & 7;
	uint16_t sel;
	int ret;

	if (insn->opcode[0] == 0x8c)
		return store_sel(vcpu, frame, insn, vcpu->seg[sreg]);
	ret = read_sel(vcpu, frame, insn, &sel);
	if (!ret)
		ret = vcpu_seg_load(vcpu, sreg, sel);
	if (!ret)
		ss_shadow(vcpu, frame, sreg);
	return ret;
}

/* The segment register of push/pop: bits 5:3 of the last opcode byte. */
static enum afb_sreg stack_sreg(const struct afb_insn *insn)
{
	return (insn->opcode[insn->opcode_len - 1] >> 3) & 7;
}

int em_push_seg(struct afb_vcpu *vcpu, struct afb_frame *frame,
		const struct afb_insn *insn)
{
	return vcpu_stack_push(vcpu, frame, insn->opsize,
			       vcpu->seg[stack_sreg(insn)]);
}

int em_pop_seg(struct afb_vcpu *vcpu, struct afb_frame *frame,
	       const struct afb_insn *insn)
{
	enum afb_sreg sreg = stack_sreg(insn);
	uint64_t sel, rsp = vcpu_stack_add(vcpu, frame->gpr[AFB_RSP],
					   insn->opsize);	/* old SS's size */
	int ret = vcpu_stack_peek(vcpu, frame, 0, insn->opsize, &sel);

	if (!ret)
		ret = vcpu_seg_load(vcpu, sreg, (uint16_t)sel);
	if (ret)
		return ret;
	frame->gpr[AFB_RSP] = rsp;
	ss_shadow(vcpu, frame, sreg);
	return 0;
}

/*
 * lss/lfs/lgs, and lds/les (not in 64-bit mode): an offset of the
 * operand size, then a selector, in memory.
 */
int em_load_far_ptr(struct afb_vcpu *vcpu, struct afb_frame *frame,
		    const struct afb_insn *insn)
{
	static const enum afb_sreg one_byte[2] = { AFB_ES, AFB_DS }; /* c4 c5 */
	uint64_t ea = vcpu_effective_address(vcpu, frame, insn), off, sel;
	enum afb_sreg sreg;
	int ret;

	sreg = insn->opcode[0] == 0x0f ? (enum afb_sreg)(insn->opcode[1] - 0xb0)
				       : one_byte[insn->opcode[0] & 1];
	ret = vcpu_vmem_read_uint(vcpu, ea, insn->opsize,
				  vcpu_user_access(vcpu), &off);
	if (!ret)
		ret = vcpu_vmem_read_uint(vcpu, ea + insn->opsize, 2,
					  vcpu_user_access(vcpu), &sel);
	if (!ret)
		ret = vcpu_seg_load(vcpu, sreg, (uint16_t)sel);
	if (!ret)
		vcpu_reg_set(frame, insn->reg, insn->opsize, off);
	return ret;
}

/* ---- lar, lsl, verr, verw: ZF says whether the selector qualifies ---- */

/* The descriptor if the selector is non-null and inside its table. */
static int desc_probe(struct afb_vcpu *vcpu, uint16_t sel, struct desc *d,
		      bool *found)
{
	uint32_t limit = sel & 4 ? vcpu->ldtr.limit : vcpu->gdtr.limit;

	*found = (sel & ~3u) && (sel & ~7u) + 7 <= limit &&
		 (!(sel & 4) || (vcpu->ldtr.sel & ~3u));
	return *found ? vcpu_desc_read(vcpu, sel, d) : 0;
}

/* DPL >= CPL and >= RPL, except for conforming code. */
static bool desc_visible(const struct afb_vcpu *vcpu, uint16_t sel,
			 const struct desc *d)
{
	if (d->s && (d->type & 0xc) == 0xc)
		return true;
	return d->dpl >= vcpu->cpl && d->dpl >= (sel & 3);
}

static void set_zf(struct afb_frame *frame, bool zf)
{
	if (zf)
		frame->rflags |= AFB_RFLAGS_ZF;
	else
		frame->rflags &= ~(uint64_t)AFB_RFLAGS_ZF;
}

/* Common shape of lar/lsl/verr/verw: probe, then @ok decides ZF. */
static int probe_sel(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		     const struct afb_insn *insn, struct desc *d, bool *ok)
{
	uint16_t sel;
	int ret = read_sel(vcpu, frame, insn, &sel);

	if (!ret)
		ret = desc_probe(vcpu, sel, d, ok);
	if (!ret && *ok)
		*ok = desc_visible(vcpu, sel, d);
	return ret;
}

/*
 * The system types lar and lsl accept: LDT, TSS and (lar) call gates;
 * in 32-bit mode also the 16-bit TSS types 1 and 3 and (lar) the 16-bit
 * call gate 4 and the task gate 5.
 */
static bool sys_type_ok(const struct afb_vcpu *vcpu, const struct desc *d,
			bool gates)
{
	static const uint16_t long_ok = 1u << SYS_LDT | 1u << SYS_TSS |
					1u << SYS_TSS_BUSY;
	static const uint16_t legacy_ok = long_ok | 1u << 1 | 1u << 3;
	uint16_t ok = vcpu_long(vcpu) ? long_ok : legacy_ok;

	if (gates)
		ok |= 1u << SYS_CALL_GATE | (vcpu_long(vcpu) ? 0 : 1u << 4 | 1u << 5);
	return d->s || (ok >> d->type & 1);
}

int em_lar(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	struct desc d;
	bool ok;
	int ret = probe_sel(vcpu, frame, insn, &d, &ok);

	if (ret)
		return ret;
	ok = ok && sys_type_ok(vcpu, &d, true);
	if (ok)
		vcpu_reg_set(frame, insn->reg, insn->opsize,
			     (d.raw >> 32) & 0x00f0ff00);
	set_zf(frame, ok);
	return 0;
}

int em_lsl(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	struct desc d;
	bool ok;
	int ret = probe_sel(vcpu, frame, insn, &d, &ok);

	if (ret)
		return ret;
	ok = ok && sys_type_ok(vcpu, &d, false);
	if (ok)
		vcpu_reg_set(frame, insn->reg, insn->opsize, d.limit);
	set_zf(frame, ok);
	return 0;
}

/* verr: readable (data, or readable code); verw: writable data. */
int em_verr(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	struct desc d;
	bool ok;
	int ret = probe_sel(vcpu, frame, insn, &d, &ok);

	if (!ret)
		set_zf(frame, ok && d.s && (!(d.type & 8) || (d.type & 2)));
	return ret;
}

int em_verw(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	struct desc d;
	bool ok;
	int ret = probe_sel(vcpu, frame, insn, &d, &ok);

	if (!ret)
		set_zf(frame, ok && d.s && (d.type & 0xa) == 0x2);
	return ret;
}

/* ---- GS swap and the FS/GS base instructions --------------------------- */

int em_swapgs(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	uint64_t gs = vcpu->gs_base;
	int ret = vcpu_need_cpl0(vcpu);

	(void)frame, (void)insn;
	if (ret)
		return ret;
	vcpu->gs_base = vcpu->kernel_gs_base;
	vcpu->kernel_gs_base = gs;
	vcpu->gs_swapped = !vcpu->gs_swapped;
	vcpu_seg_base_changed(vcpu, AFB_GS);
	return 0;
}

/* rd/wr fs/gs base need CR4.FSGSBASE (any CPL). */
static uint64_t *base_of(struct afb_vcpu *vcpu, const struct afb_insn *insn,
			 enum afb_sreg *sreg)
{
	bool fs = insn->kind == AFB_KIND_RDFSBASE ||
		  insn->kind == AFB_KIND_WRFSBASE;

	*sreg = fs ? AFB_FS : AFB_GS;
	return fs ? &vcpu->fs_base : &vcpu->gs_base;
}

int em_rdbase(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	enum afb_sreg sreg;
	uint64_t *base = base_of(vcpu, insn, &sreg);

	if (!(vcpu->cr4 & AFB_CR4_FSGSBASE))
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	vcpu_reg_set(frame, insn->rm, insn->opsize, *base);
	return 0;
}

int em_wrbase(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	enum afb_sreg sreg;
	uint64_t *base = base_of(vcpu, insn, &sreg);
	uint64_t val = vcpu_reg_get(frame, insn->rm, insn->opsize);

	if (!(vcpu->cr4 & AFB_CR4_FSGSBASE))
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	if (!vcpu_canonical(val))
		return vcpu_raise_gp0(vcpu);
	*base = val;
	vcpu_seg_base_changed(vcpu, sreg);
	return 0;
}
