// SPDX-License-Identifier: MIT
/*
 * Descriptors and segment registers, as far as long mode still has them:
 * reading a descriptor from the guest's GDT or LDT, the protection checks
 * of loading a data segment, SS or CS, and the hidden FS/GS bases.
 *
 * The core keeps only what long mode uses of each segment register: the
 * selector, the DPL of its descriptor, and the FS and GS bases.  Limits,
 * accessed bits and 32-bit (compatibility mode) code segment attributes
 * are not tracked.
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

/* Tell the host that the FS or GS base it mirrors changed. */
void vcpu_seg_base_changed(struct afb_vcpu *vcpu, enum afb_sreg sreg)
{
	uint64_t base = sreg == AFB_FS ? vcpu->fs_base : vcpu->gs_base;

	if (vcpu->ops->set_seg_base)
		vcpu->ops->set_seg_base(vcpu, sreg, base);
}

/*
 * ss_check - may @sel be the stack segment at privilege @new_cpl?  A
 * null SS is allowed below CPL3 (long mode); otherwise RPL and DPL must
 * be @new_cpl and the segment writable data.  #GP(sel), or #SS(sel) if
 * it is not present.
 */
int vcpu_ss_check(struct afb_vcpu *vcpu, uint16_t sel, unsigned int new_cpl,
		  struct desc *d)
{
	int ret;

	d->dpl = new_cpl;
	if (!(sel & ~3u))
		return new_cpl == 3 || SEL_RPL(sel) != new_cpl ?
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
	return d->p ? 0 : vcpu_exc_raise(vcpu, AFB_EXC_NP, SEL_ERR(sel));
}

/* DS, ES, FS, GS: data or readable code, and DPL >= max(CPL, RPL)
   unless it is conforming code. */
static int data_check(struct afb_vcpu *vcpu, uint16_t sel, struct desc *d)
{
	bool conforming;
	int ret;

	d->dpl = 0;
	d->base = 0;
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
	vcpu_seg_set(vcpu, sreg, sel, d.dpl);
	if (sreg == AFB_FS || sreg == AFB_GS) {
		*(sreg == AFB_FS ? &vcpu->fs_base : &vcpu->gs_base) = d.base;
		vcpu_seg_base_changed(vcpu, sreg);
	}
	return 0;
}

/*
 * segs_leave_kernel - on a return to an outer privilege level, DS, ES,
 * FS and GS that the new CPL may not use become null (their bases stay).
 */
void vcpu_segs_leave_kernel(struct afb_vcpu *vcpu)
{
	static const enum afb_sreg data[] = { AFB_ES, AFB_DS, AFB_FS, AFB_GS };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(data); i++)
		if ((vcpu->seg[data[i]] & ~3u) &&
		    vcpu->seg_dpl[data[i]] < vcpu->cpl)
			vcpu_seg_set(vcpu, data[i], 0, 0);
}
