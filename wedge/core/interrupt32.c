// SPDX-License-Identifier: MIT
/*
 * Events and privilege changes in 32-bit protected mode: delivery through
 * the guest's 32-bit IDT (8-byte interrupt and trap gates), the stack
 * switch through the 32-bit TSS, iret, sysenter and sysexit.
 *
 * Delivery builds the frame the CPU builds: from CPL3 on the stack
 * ss0:esp0 of the TSS (SS, ESP, EFLAGS, CS, EIP), at the same level on
 * the current stack (EFLAGS, CS, EIP), each 4 bytes, then the error code
 * for the exceptions that have one.  No 16-byte alignment, no IST.
 * Nothing in the frame or the vcpu changes until every read and write
 * that can fault has succeeded.
 *
 * Not emulated: task gates (an event that reaches one shuts the vCPU
 * down with AFB_SHUTDOWN_TASK_GATE), 16-bit gates and code segments
 * (-EOPNOTSUPP), the return to a task (iret with NT: #GP(0)) or to
 * virtual-8086 mode (iret loading VM: #GP(0)).
 */
#include "core.h"

#define GATE_TASK	0x5
#define GATE_INTR16	0x6
#define GATE_TRAP16	0x7
#define GATE_INTR	0xe
#define GATE_TRAP	0xf

#define TSS_ESP0	4	/* offsets in the 32-bit TSS: esp0, then ss0 */
#define TSS_SS0		8

#define SEL_ERR(sel)	((uint32_t)(sel) & 0xfffc)

struct gate32 {
	uint32_t offset;
	uint16_t sel;
	uint8_t type;
	uint8_t dpl;
	bool p;
};

/* Where the delivery is going. */
struct target32 {
	struct gate32 gate;
	uint8_t cpl;
	struct desc code;
	bool switch_stack;	/* to ss0:esp0 */
	uint16_t ss;
	struct desc stack;
	uint64_t esp;		/* stack pointer before the pushes */
};

static int gate_read(struct afb_vcpu *vcpu, uint8_t vector, enum event ev,
		     struct gate32 *g)
{
	uint32_t err = vcpu_idt_error(vector, ev);
	uint64_t raw;
	int ret;

	if (vector * 8u + 7 > vcpu->idtr.limit)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, err);
	ret = vcpu_vmem_read_uint(vcpu, vcpu->idtr.base + vector * 8u, 8, 0,
				  &raw);
	if (ret)
		return ret;
	g->offset = (raw & 0xffff) | ((raw >> 32) & 0xffff0000);
	g->sel = raw >> 16;
	g->type = (raw >> 40) & 0x1f;	/* with S, which must be 0 */
	g->dpl = (raw >> 45) & 3;
	g->p = raw >> 47 & 1;
	if (g->type != GATE_INTR && g->type != GATE_TRAP &&
	    g->type != GATE_TASK && g->type != GATE_INTR16 &&
	    g->type != GATE_TRAP16)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, err);
	if (ev == EV_SOFTWARE && g->dpl < vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, err);
	if (!g->p)
		return vcpu_exc_raise(vcpu, AFB_EXC_NP, err);
	if (g->type == GATE_TASK)
		return vcpu_shutdown(vcpu, AFB_SHUTDOWN_TASK_GATE);
	return g->type == GATE_INTR16 || g->type == GATE_TRAP16 ?
	       -EOPNOTSUPP : 0;
}

/* The handler's code segment: 32-bit code the current CPL may enter. */
static int target_code(struct afb_vcpu *vcpu, enum event ev,
		       struct target32 *t)
{
	uint32_t ext = ev == EV_EXTERNAL;
	uint16_t sel = t->gate.sel;
	struct desc *d = &t->code;
	int ret;

	if (!(sel & ~3u))
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, ext);
	ret = vcpu_desc_read(vcpu, sel, d);
	if (ret)
		return ret;
	if (!d->s || !(d->type & 0x8) || d->dpl > vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(sel) | ext);
	if (!d->p)
		return vcpu_exc_raise(vcpu, AFB_EXC_NP, SEL_ERR(sel) | ext);
	if (!d->db)
		return -EOPNOTSUPP;
	t->cpl = (d->type & 0x4) ? vcpu->cpl : d->dpl;	/* conforming */
	return 0;
}

/*
 * The stack of an inner level: ss0:esp0 (ssN:espN) of the TSS.  A TSS
 * too short is #TS(TR); an SS the CPU would refuse is #TS(SS), one not
 * present #SS(SS), each with EXT for an external event.
 */
static int tss_stack(struct afb_vcpu *vcpu, enum event ev, struct target32 *t)
{
	uint32_t ext = ev == EV_EXTERNAL;
	unsigned int off = TSS_ESP0 + 8u * t->cpl;
	uint64_t esp, ss;
	int ret;

	if (!(vcpu->tr.sel & ~3u) || off + 8 > vcpu->tr.limit + 1ULL)
		return vcpu_exc_raise(vcpu, AFB_EXC_TS,
				      SEL_ERR(vcpu->tr.sel) | ext);
	ret = vcpu_vmem_read_uint(vcpu, vcpu->tr.base + off, 4, 0, &esp);
	if (!ret)
		ret = vcpu_vmem_read_uint(vcpu, vcpu->tr.base + off + 4, 2, 0,
					  &ss);
	if (!ret)
		ret = vcpu_ss_check(vcpu, (uint16_t)ss, t->cpl, &t->stack);
	if (ret == AFB_VCPU_EXCEPTION) {
		if (vcpu->exc.vector == AFB_EXC_GP)
			vcpu->exc.vector = AFB_EXC_TS;
		if (vcpu->exc.vector != AFB_EXC_PF)
			vcpu->exc.error_code |= ext;
	}
	t->ss = (uint16_t)ss;
	t->esp = esp;
	return ret;
}

/* A stack pointer's linear address on the stack segment @d. */
static uint64_t stack_linear(const struct desc *d, uint64_t sp)
{
	return (uint32_t)(d->base + (sp & (d->db ? UINT32_MAX : 0xffff)));
}

static uint64_t stack_sub(const struct desc *d, uint64_t sp, unsigned int n)
{
	uint64_t mask = d->db ? UINT32_MAX : 0xffff;

	return (sp & ~mask) | ((sp - n) & mask);
}

static void current_stack(const struct afb_vcpu *vcpu, struct desc *d)
{
	const struct afb_seg_hidden *h = &vcpu->hidden[AFB_SS];

	*d = (struct desc){ .base = h->base, .limit = h->limit,
			    .db = h->attr & AFB_SEG_DB, .attr = h->attr };
}

static int target_stack(struct afb_vcpu *vcpu, const struct afb_frame *frame,
			enum event ev, struct target32 *t)
{
	t->switch_stack = t->cpl < vcpu->cpl;
	if (t->switch_stack)
		return tss_stack(vcpu, ev, t);
	current_stack(vcpu, &t->stack);
	t->esp = frame->gpr[AFB_RSP];
	return 0;
}

/* Everything changes at once, after the pushes succeeded. */
static int commit(struct afb_vcpu *vcpu, struct afb_frame *frame,
		  struct target32 *t, uint64_t esp)
{
	int ret = 0;

	vcpu->cpl = t->cpl;
	if (t->switch_stack)
		ret = vcpu_seg_commit(vcpu, AFB_SS, (t->ss & ~3u) | t->cpl,
				      &t->stack);
	frame->gpr[AFB_RSP] = esp;
	frame->rip = t->gate.offset;
	frame->next_rip = 0;
	frame->rflags &= ~(uint64_t)AFB_RFLAGS_TF;
	vcpu->rflags &= ~(uint64_t)(AFB_RFLAGS_NT | AFB_RFLAGS_RF |
				    AFB_RFLAGS_VM);
	if (t->gate.type == GATE_INTR)
		vcpu->rflags &= ~(uint64_t)AFB_RFLAGS_IF;
	vcpu->halted = false;
	vcpu->shadow = false;
	if (!ret)
		ret = vcpu_seg_commit(vcpu, AFB_CS,
				      (t->gate.sel & ~3u) | t->cpl, &t->code);
	return ret;
}

/*
 * deliver32 - one delivery attempt of @vector through the 32-bit IDT.
 * Returns 0 (the frame is at the handler), AFB_VCPU_EXCEPTION if the
 * delivery itself faults (vcpu->exc; nothing changed), AFB_VCPU_SHUTDOWN
 * at a task gate, or a negative errno.
 */
int vcpu_deliver32(struct afb_vcpu *vcpu, struct afb_frame *frame,
		   uint8_t vector, enum event ev, uint32_t error_code)
{
	uint32_t image[6];
	unsigned int n = 0, i;
	struct target32 t;
	uint64_t esp;
	int ret;

	ret = gate_read(vcpu, vector, ev, &t.gate);
	if (!ret)
		ret = target_code(vcpu, ev, &t);
	if (!ret)
		ret = target_stack(vcpu, frame, ev, &t);
	if (ret)
		return ret;
	/* image[] from the lowest address up */
	if (vcpu_has_error_code(vector, ev))
		image[n++] = error_code;
	image[n++] = (uint32_t)frame->rip;
	image[n++] = vcpu->seg[AFB_CS];
	image[n++] = (uint32_t)afb_vcpu_rflags(vcpu, frame);
	if (t.switch_stack) {
		image[n++] = (uint32_t)frame->gpr[AFB_RSP];
		image[n++] = vcpu->seg[AFB_SS];
	}
	esp = stack_sub(&t.stack, t.esp, 4 * n);
	for (i = 0; i < n && !ret; i++)		/* the stack may wrap */
		ret = vcpu_vmem_write_uint(vcpu, stack_linear(&t.stack,
							      esp + 4 * i),
					   4, t.cpl == 3 ? AFB_ACCESS_USER : 0,
					   image[i]);
	if (ret == AFB_VCPU_EXCEPTION && vcpu->exc.vector == AFB_EXC_GP &&
	    t.switch_stack)
		ret = vcpu_exc_raise(vcpu, AFB_EXC_SS, ev == EV_EXTERNAL);
	if (ret)
		return ret;
	return commit(vcpu, frame, &t, esp);
}

/* ---- iret ------------------------------------------------------------- */

/* What iret pops: eip, cs, eflags, then esp and ss to an outer level. */
struct iret32 {
	uint64_t eip, cs, eflags, esp, ss;
	unsigned int cpl;
	struct desc code, stack;
};

static int iret_pop(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		    unsigned int size, struct iret32 *im)
{
	int ret = vcpu_stack_peek(vcpu, frame, 0, size, &im->eip);

	if (!ret)
		ret = vcpu_stack_peek(vcpu, frame, size, size, &im->cs);
	if (!ret)
		ret = vcpu_stack_peek(vcpu, frame, 2 * size, size, &im->eflags);
	if (ret)
		return ret;
	im->cpl = im->cs & 3;
	if (im->cpl <= vcpu->cpl)
		return 0;
	ret = vcpu_stack_peek(vcpu, frame, 3 * size, size, &im->esp);
	if (!ret)
		ret = vcpu_stack_peek(vcpu, frame, 4 * size, size, &im->ss);
	return ret;
}

static int iret_check(struct afb_vcpu *vcpu, struct iret32 *im)
{
	int ret;

	if (im->cpl < vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(im->cs));
	ret = vcpu_cs_check(vcpu, (uint16_t)im->cs, im->cpl, &im->code);
	if (!ret && im->cpl > vcpu->cpl)
		ret = vcpu_ss_check(vcpu, (uint16_t)im->ss, im->cpl, &im->stack);
	if (!ret)
		ret = vcpu_rip_check(vcpu, &im->code, im->eip);
	return ret;
}

/*
 * iret32: the return to the same level pops EIP, CS and EFLAGS; to an
 * outer level ESP and SS too, and nulls the data segment registers the
 * new CPL may not use.  The flags the old CPL may change are loaded (IF
 * and IOPL at CPL0), RF too.  NT set (a return to the previous task) and
 * VM in the popped flags at CPL0 (a return to virtual-8086 mode) are
 * #GP(0): neither is emulated.
 */
int vcpu_iret32(struct afb_vcpu *vcpu, struct afb_frame *frame,
		unsigned int size)
{
	uint64_t writable = vcpu_flags_writable(vcpu, size) | AFB_RFLAGS_RF;
	uint8_t old_cpl = vcpu->cpl;
	struct iret32 im;
	int ret;

	if (vcpu->rflags & AFB_RFLAGS_NT)
		return vcpu_raise_gp0(vcpu);
	ret = iret_pop(vcpu, frame, size, &im);
	if (ret)
		return ret;
	if (size == 4 && (im.eflags & AFB_RFLAGS_VM) && vcpu->cpl == 0)
		return vcpu_raise_gp0(vcpu);
	ret = iret_check(vcpu, &im);
	if (ret)
		return ret;
	vcpu_flags_load(vcpu, frame, im.eflags, writable);
	frame->rip = im.eip;
	vcpu->cpl = im.cpl;
	if (im.cpl == old_cpl) {
		frame->gpr[AFB_RSP] = vcpu_stack_add(vcpu, frame->gpr[AFB_RSP],
						     3 * size);
		return vcpu_seg_commit(vcpu, AFB_CS, (uint16_t)im.cs, &im.code);
	}
	frame->gpr[AFB_RSP] = size == 4 ? (uint32_t)im.esp :
				(frame->gpr[AFB_RSP] & ~0xffffULL) | im.esp;
	ret = vcpu_seg_commit(vcpu, AFB_SS, (uint16_t)im.ss, &im.stack);
	if (!ret)
		ret = vcpu_seg_commit(vcpu, AFB_CS, (uint16_t)im.cs, &im.code);
	if (!ret)
		ret = vcpu_segs_leave_kernel(vcpu);
	return ret;
}

/* ---- sysenter, sysexit -------------------------------------------------- */

/* Flat CS and SS at @sel and @sel + 8 with privilege @cpl. */
static int load_flat(struct afb_vcpu *vcpu, uint16_t sel, unsigned int cpl)
{
	struct desc code, data;
	int ret;

	vcpu_desc_flat(&code, true);
	vcpu_desc_flat(&data, false);
	code.dpl = data.dpl = cpl;
	code.attr |= cpl << 5;
	data.attr |= cpl << 5;
	vcpu->cpl = cpl;
	ret = vcpu_seg_commit(vcpu, AFB_CS, sel | cpl, &code);
	if (!ret)
		ret = vcpu_seg_commit(vcpu, AFB_SS, (sel + 8) | cpl, &data);
	return ret;
}

/*
 * sysenter: CS = SYSENTER_CS, SS = SYSENTER_CS + 8, both flat as the
 * CPU loads them without reading the GDT; eip and esp from the MSRs;
 * CPL0; VM, IF and RF cleared.  #GP(0) if SYSENTER_CS is null.
 */
int vcpu_sysenter32(struct afb_vcpu *vcpu, struct afb_frame *frame)
{
	uint16_t cs = (uint16_t)vcpu->sysenter_cs & 0xfffc;

	if (!cs)
		return vcpu_raise_gp0(vcpu);
	vcpu->rflags &= ~(uint64_t)(AFB_RFLAGS_VM | AFB_RFLAGS_IF |
				    AFB_RFLAGS_RF);
	frame->rip = (uint32_t)vcpu->sysenter_eip;
	frame->gpr[AFB_RSP] = (uint32_t)vcpu->sysenter_esp;
	frame->next_rip = 0;
	vcpu->halted = false;
	vcpu->shadow = false;
	return load_flat(vcpu, cs, 0);
}

/*
 * sysexit: eip = EDX, esp = ECX, CS = SYSENTER_CS + 16 and SS =
 * SYSENTER_CS + 24, flat, RPL 3, CPL3.  #GP(0) at CPL > 0 or with a
 * null SYSENTER_CS.  The data segment registers stay as they are.
 */
int vcpu_sysexit32(struct afb_vcpu *vcpu, struct afb_frame *frame)
{
	uint16_t base = (uint16_t)vcpu->sysenter_cs & 0xfffc;

	if (vcpu->cpl || !base)
		return vcpu_raise_gp0(vcpu);
	frame->rip = (uint32_t)frame->gpr[AFB_RDX];
	frame->gpr[AFB_RSP] = (uint32_t)frame->gpr[AFB_RCX];
	return load_flat(vcpu, base + 16, 3);
}
