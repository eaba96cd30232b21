// SPDX-License-Identifier: MIT
/*
 * Descriptors and segment registers: reading a descriptor from the
 * guest's GDT or LDT, the protection checks of loading a data segment,
 * SS or CS, and the hidden parts of the registers.
 *
 * In long mode the core keeps only what long mode uses of each segment
 * register: the selector, the DPL of its descriptor, and the FS and GS
 * bases.  In 32-bit protected mode it keeps the whole hidden part (base,
 * limit, attributes: vcpu->hidden[]) and tells the host through
 * ops->load_seg, which must realise FS and GS and hear of any other
 * register that stops (or starts again) being flat.  Limits are checked
 * on control transfers (eip within CS); data accesses are not
 * limit-checked, and accessed bits are not written.
 */
#include "core.h"

#define SEL_RPL(sel)	((sel) & 3u)
#define SEL_TI		4u
#define SEL_ERR(sel)	((uint32_t)(sel) & 0xfffc)

#define TYPE_CODE	0x8
#define TYPE_CONFORM	0x4	/* code */
#define TYPE_READ	0x2	/* code: readable */
#define TYPE_WRITE	0x2	/* data: writable */

static void desc_decode(uint64_t raw, struct desc *d)
{
	d->raw = raw;
	d->limit = (raw & 0xffff) | ((raw >> 32) & 0xf0000);
	if (raw & (1ULL << 55))
		d->limit = (d->limit << 12) | 0xfff;
	d->base = ((raw >> 16) & 0xffffff) | ((raw >> 32) & 0xff000000);
	d->type = (raw >> 40) & 0xf;
	d->s = raw & (1ULL << 44);
	d->dpl = (raw >> 45) & 3;
	d->p = raw & (1ULL << 47);
	d->l = raw & (1ULL << 53);
	d->db = raw & (1ULL << 54);
	d->attr = (raw >> 40) & 0xf0ff;
}

/* A null selector's hidden part: unusable. */
static void desc_null(struct desc *d)
{
	*d = (struct desc){ .dpl = 0 };
}

/* The flat 32-bit segment that sysenter/sysexit load (DPL set after). */
void vcpu_desc_flat(struct desc *d, bool code)
{
	desc_null(d);
	d->limit = UINT32_MAX;
	d->type = code ? 0xb : 0x3;
	d->s = d->p = d->db = true;
	d->attr = AFB_SEG_G | AFB_SEG_DB | AFB_SEG_P | AFB_SEG_S | d->type;
}

/*
 * desc_read - the 8-byte descriptor @sel names, from the GDT or (TI set)
 * the LDT.  #GP(sel) beyond the table's limit or with no LDT loaded.
 * Descriptor tables are read with supervisor privilege at any CPL.
 */
int vcpu_desc_read(struct afb_vcpu *vcpu, uint16_t sel, struct desc *d)
{
	uint64_t base = vcpu->gdtr.base, limit = vcpu->gdtr.limit, raw;
	unsigned int off = sel & ~7u;
	int ret;

	if (sel & SEL_TI) {
		if (!(vcpu->ldtr.sel & ~3u))
			return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel));
		base = vcpu->ldtr.base;
		limit = vcpu->ldtr.limit;
	}
	if (off + 7 > limit)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel));
	ret = vcpu_vmem_read_uint(vcpu, base + off, 8, 0, &raw);
	if (!ret)
		desc_decode(raw, d);
	return ret;
}

/*
 * sysdesc_read - a 16-byte long-mode system descriptor (LDT, TSS) from
 * the GDT; its base has 64 bits.
 */
int vcpu_sysdesc_read(struct afb_vcpu *vcpu, uint16_t sel, struct desc *d)
{
	unsigned int off = sel & ~7u;
	uint64_t raw[2];
	int ret;

	if ((sel & SEL_TI) || off + 15 > vcpu->gdtr.limit)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel));
	ret = vcpu_vmem_read(vcpu, vcpu->gdtr.base + off, raw, sizeof(raw), 0);
	if (ret)
		return ret;
	desc_decode(raw[0], d);
	d->base |= raw[1] << 32;
	return 0;
}

void vcpu_seg_set(struct afb_vcpu *vcpu, enum afb_sreg sreg, uint16_t sel,
		  uint8_t dpl)
{
	vcpu->seg[sreg] = sel;
	vcpu->seg_dpl[sreg] = dpl;
}

static bool flat(const struct afb_seg_hidden *h)
{
	return (h->attr & (AFB_SEG_P | AFB_SEG_DB)) == (AFB_SEG_P | AFB_SEG_DB) &&
	       h->base == 0 && h->limit == UINT32_MAX;
}

/*
 * seg_commit - @sreg now holds @sel with descriptor @d, which the caller
 * has checked (and chosen @sel's RPL).  In 32-bit mode its hidden part
 * is loaded and the host told, as ops->load_seg promises.
 */
int vcpu_seg_commit(struct afb_vcpu *vcpu, enum afb_sreg sreg, uint16_t sel,
		    const struct desc *d)
{
	struct afb_seg_hidden old = vcpu->hidden[sreg], *h = &vcpu->hidden[sreg];

	vcpu_seg_set(vcpu, sreg, sel, d->dpl);
	if (vcpu_long(vcpu))
		return 0;
	h->base = (uint32_t)d->base;
	h->limit = d->limit;
	h->attr = d->p ? d->attr | AFB_SEG_P : 0;
	if (!vcpu->ops->load_seg ||
	    (sreg != AFB_FS && sreg != AFB_GS && flat(&old) && flat(h)))
		return 0;
	return vcpu->ops->load_seg(vcpu, sreg, sel, h);
}

/*
 * rip_check - may the guest run at @rip in code segment @cs?  Long mode:
 * canonical; 32-bit mode: within the limit.  Else #GP(0).
 */
int vcpu_rip_check(struct afb_vcpu *vcpu, const struct desc *cs, uint64_t rip)
{
	bool ok = vcpu_long(vcpu) ? vcpu_canonical(rip) : rip <= cs->limit;

	return ok ? 0 : vcpu_raise_gp0(vcpu);
}

/* Tell the host that the FS or GS base it mirrors changed. */
void vcpu_seg_base_changed(struct afb_vcpu *vcpu, enum afb_sreg sreg)
{
	uint64_t base = sreg == AFB_FS ? vcpu->fs_base : vcpu->gs_base;

	if (vcpu->ops->set_seg_base)
		vcpu->ops->set_seg_base(vcpu, sreg, base);
}

/*
 * ss_check - may @sel be the stack segment at privilege @new_cpl?  A
 * null SS is allowed below CPL3 in long mode only; otherwise RPL and DPL
 * must be @new_cpl and the segment writable data.  #GP(sel), or #SS(sel)
 * if it is not present.
 */
int vcpu_ss_check(struct afb_vcpu *vcpu, uint16_t sel, unsigned int new_cpl,
		  struct desc *d)
{
	int ret;

	desc_null(d);
	d->dpl = new_cpl;
	if (!(sel & ~3u))
		return new_cpl == 3 || SEL_RPL(sel) != new_cpl ||
		       !vcpu_long(vcpu) ?
		       vcpu_exc_raise(vcpu, AFB_EXC_GP, 0) : 0;
	ret = vcpu_desc_read(vcpu, sel, d);
	if (ret)
		return ret;
	if (SEL_RPL(sel) != new_cpl || d->dpl != new_cpl || !d->s ||
	    (d->type & (TYPE_CODE | TYPE_WRITE)) != TYPE_WRITE)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel));
	return d->p ? 0 : vcpu_exc_raise(vcpu, AFB_EXC_SS, SEL_ERR(sel));
}

/*
 * cs_check - may @sel be the code segment at privilege @new_cpl?  A
 * conforming segment needs DPL <= @new_cpl, any other DPL == @new_cpl.
 * #GP(sel) (#GP(0) for a null one), or #NP(sel) if it is not present.
 * In 32-bit mode a 16-bit code segment (D clear) for the kernel is
 * -EOPNOTSUPP: the core does not emulate 16-bit code.  At CPL3 it is
 * loaded (a guest's user program may have one in its LDT): ops->load_seg
 * tells the host, which must not run it as 32-bit code.
 */
int vcpu_cs_check(struct afb_vcpu *vcpu, uint16_t sel, unsigned int new_cpl,
		  struct desc *d)
{
	bool ok;
	int ret;

	if (!(sel & ~3u))
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, 0);
	ret = vcpu_desc_read(vcpu, sel, d);
	if (ret)
		return ret;
	ok = d->s && (d->type & TYPE_CODE);
	if (d->type & TYPE_CONFORM)
		ok = ok && d->dpl <= new_cpl;
	else
		ok = ok && d->dpl == new_cpl;
	if (!ok)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel));
	if (!d->p)
		return vcpu_exc_raise(vcpu, AFB_EXC_NP, SEL_ERR(sel));
	return vcpu_long(vcpu) || d->db || new_cpl == 3 ? 0 : -EOPNOTSUPP;
}

/* DS, ES, FS, GS: data or readable code, and DPL >= max(CPL, RPL)
   unless it is conforming code. */
static int data_check(struct afb_vcpu *vcpu, uint16_t sel, struct desc *d)
{
	bool conforming;
	int ret;

	desc_null(d);
	if (!(sel & ~3u))
		return 0;
	ret = vcpu_desc_read(vcpu, sel, d);
	if (ret)
		return ret;
	conforming = (d->type & (TYPE_CODE | TYPE_CONFORM)) ==
		     (TYPE_CODE | TYPE_CONFORM);
	if (!d->s || (d->type & (TYPE_CODE | TYPE_READ)) == TYPE_CODE ||
	    (!conforming && (d->dpl < vcpu->cpl || d->dpl < SEL_RPL(sel))))
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel));
	return d->p ? 0 : vcpu_exc_raise(vcpu, AFB_EXC_NP, SEL_ERR(sel));
}

/*
 * seg_load - load data segment register @sreg (not CS) with @sel after
 * the checks the CPU makes.  Loading FS or GS also loads its base from
 * the descriptor (0 for a null selector, as Intel CPUs do).
 */
int vcpu_seg_load(struct afb_vcpu *vcpu, enum afb_sreg sreg, uint16_t sel)
{
	struct desc d;
	int ret;

	if (sreg == AFB_SS)
		ret = vcpu_ss_check(vcpu, sel, vcpu->cpl, &d);
	else
		ret = data_check(vcpu, sel, &d);
	if (ret)
		return ret;
	if (!vcpu_long(vcpu))
		return vcpu_seg_commit(vcpu, sreg, sel, &d);
	vcpu_seg_set(vcpu, sreg, sel, d.dpl);
	if (sreg == AFB_FS || sreg == AFB_GS) {
		*(sreg == AFB_FS ? &vcpu->fs_base : &vcpu->gs_base) = d.base;
		vcpu_seg_base_changed(vcpu, sreg);
	}
	return 0;
}

/**
 * afb_vcpu_load_seg - load a data segment register outside any
 * instruction (see vcpu.h)
 */
int afb_vcpu_load_seg(struct afb_vcpu *vcpu, enum afb_sreg sreg, uint16_t sel)
{
	if (sreg >= AFB_NR_SREGS || sreg == AFB_CS)
		return -EINVAL;
	if (!afb_vcpu_mode(vcpu))
		return -EOPNOTSUPP;
	return vcpu_seg_load(vcpu, sreg, sel);
}

/*
 * segs_leave_kernel - on a return to an outer privilege level, DS, ES,
 * FS and GS that the new CPL may not use become null (in long mode their
 * bases stay; in 32-bit mode they become unusable, and the host is told).
 */
int vcpu_segs_leave_kernel(struct afb_vcpu *vcpu)
{
	static const enum afb_sreg data[] = { AFB_ES, AFB_DS, AFB_FS, AFB_GS };
	struct desc null;
	unsigned int i;
	int ret = 0;

	desc_null(&null);
	for (i = 0; i < ARRAY_SIZE(data) && !ret; i++) {
		if (!(vcpu->seg[data[i]] & ~3u) ||
		    vcpu->seg_dpl[data[i]] >= vcpu->cpl)
			continue;
		if (vcpu_long(vcpu))
			vcpu_seg_set(vcpu, data[i], 0, 0);
		else
			ret = vcpu_seg_commit(vcpu, data[i], 0, &null);
	}
	return ret;
}
