// SPDX-License-Identifier: MIT
/*
 * Events and privilege changes: interrupt and exception delivery through
 * the guest's IDT (long-mode gates here, 32-bit ones in interrupt32.c),
 * int n / into / int1 / int3 and the host's intercepted user-mode int n,
 * iret, and the fast system calls (syscall as the host intercepts it,
 * sysret, sysenter and sysexit).
 *
 * Delivery builds exactly the frame the CPU builds: on the TSS rsp0 stack
 * when it raises the privilege level, on an IST stack if the gate names
 * one, else on the current stack; aligned to 16 bytes; SS, RSP, RFLAGS,
 * CS, RIP and, for the exceptions that have one, the error code.  Nothing
 * in the frame or the vcpu changes until every read and write that can
 * fault has succeeded.
 */
#include "core.h"

#define GATE_INTR	0xe
#define GATE_TRAP	0xf

#define TSS_RSP0	4	/* offsets in the 64-bit TSS */
#define TSS_IST1	0x24

#define SEL_ERR(sel)	((uint32_t)(sel) & 0xfffc)

/* A 16-byte long-mode IDT gate. */
struct gate {
	uint64_t offset;
	uint16_t sel;
	uint8_t ist;
	uint8_t type;
	uint8_t dpl;
	bool p;
};

/* Where the delivery is going: code segment, privilege, stack. */
struct target {
	struct gate gate;
	uint8_t cpl;
	uint8_t cs_dpl;
	uint64_t rsp;
};

int vcpu_shutdown(struct afb_vcpu *vcpu, int reason)
{
	if (vcpu->ops->shutdown)
		vcpu->ops->shutdown(vcpu, reason);
	return AFB_VCPU_SHUTDOWN;
}

bool vcpu_has_error_code(uint8_t vector, enum event ev)
{
	static const uint32_t with_code = 1u << 8 | 1u << 10 | 1u << 11 |
		1u << 12 | 1u << 13 | 1u << 14 | 1u << 17 | 1u << 21 |
		1u << 29 | 1u << 30;

	return ev == EV_EXCEPTION && vector < 32 && (with_code >> vector & 1);
}

/* The error code of a fault caused by IDT entry @vector. */
uint32_t vcpu_idt_error(uint8_t vector, enum event ev)
{
	return vector * 8u + 2 + (ev == EV_EXTERNAL);
}

static int gate_read(struct afb_vcpu *vcpu, uint8_t vector, enum event ev,
		     struct gate *g)
{
	uint32_t err = vcpu_idt_error(vector, ev);
	uint64_t raw[2];
	int ret;

	if (vector * 16u + 15 > vcpu->idtr.limit)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, err);
	ret = vcpu_vmem_read(vcpu, vcpu->idtr.base + vector * 16u, raw, 16, 0);
	if (ret)
		return ret;
	g->offset = (raw[0] & 0xffff) | ((raw[0] >> 32) & 0xffff0000) |
		    (raw[1] << 32);
	g->sel = raw[0] >> 16;
	g->ist = (raw[0] >> 32) & 7;
	g->type = (raw[0] >> 40) & 0xf;
	g->dpl = (raw[0] >> 45) & 3;
	g->p = raw[0] >> 47 & 1;
	if (g->type != GATE_INTR && g->type != GATE_TRAP)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, err);
	if (ev == EV_SOFTWARE && g->dpl < vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, err);
	return g->p ? 0 : vcpu_exc_raise(vcpu, AFB_EXC_NP, err);
}

/* A stack pointer from the TSS at @offset; #TS if there is none. */
static int tss_read(struct afb_vcpu *vcpu, unsigned int offset,
		    uint64_t *rsp)
{
	if (!(vcpu->tr.sel & ~3u) || offset + 7 > vcpu->tr.limit)
		return vcpu_exc_raise(vcpu, AFB_EXC_TS, SEL_ERR(vcpu->tr.sel));
	return vcpu_vmem_read_uint(vcpu, vcpu->tr.base + offset, 8, 0, rsp);
}

/* The handler's code segment: 64-bit code the current CPL may enter. */
static int target_code(struct afb_vcpu *vcpu, enum event ev,
		       struct target *t)
{
	uint32_t ext = ev == EV_EXTERNAL;
	struct desc d;
	int ret = vcpu_desc_read(vcpu, t->gate.sel, &d);

	if (ret)
		return ret;
	if (!(t->gate.sel & ~3u) || !d.s || !(d.type & 0x8) || !d.l ||
	    d.dpl > vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(t->gate.sel) | ext);
	if (!d.p)
		return vcpu_exc_raise(vcpu, AFB_EXC_NP, SEL_ERR(t->gate.sel) | ext);
	t->cpl = (d.type & 0x4) ? vcpu->cpl : d.dpl;	/* conforming */
	t->cs_dpl = d.dpl;
	return 0;
}

static int target_stack(struct afb_vcpu *vcpu, const struct afb_frame *frame,
			struct target *t)
{
	int ret = 0;

	t->rsp = frame->gpr[AFB_RSP];
	if (t->gate.ist)
		ret = tss_read(vcpu, TSS_IST1 + 8u * (t->gate.ist - 1), &t->rsp);
	else if (t->cpl < vcpu->cpl)
		ret = tss_read(vcpu, TSS_RSP0 + 8u * t->cpl, &t->rsp);
	t->rsp &= ~0xfULL;
	return ret;
}

static void commit(struct afb_vcpu *vcpu, struct afb_frame *frame,
		   const struct target *t, uint64_t rsp)
{
	if (t->cpl != vcpu->cpl)
		vcpu_seg_set(vcpu, AFB_SS, t->cpl, t->cpl);	/* null SS, RPL = CPL */
	vcpu_seg_set(vcpu, AFB_CS, (t->gate.sel & ~3u) | t->cpl, t->cs_dpl);
	vcpu->cpl = t->cpl;
	frame->gpr[AFB_RSP] = rsp;
	frame->rip = t->gate.offset;
	frame->next_rip = 0;
	frame->rflags &= ~(uint64_t)AFB_RFLAGS_TF;
	vcpu->rflags &= ~(uint64_t)(AFB_RFLAGS_NT | AFB_RFLAGS_RF |
				    AFB_RFLAGS_VM);
	if (t->gate.type == GATE_INTR)
		vcpu->rflags &= ~(uint64_t)AFB_RFLAGS_IF;
	vcpu->halted = false;
	vcpu->shadow = false;
}

/*
 * deliver - one delivery attempt of @vector through the IDT.  Returns 0
 * (the frame is at the handler), AFB_VCPU_EXCEPTION if the delivery
 * itself faults (vcpu->exc; nothing changed), or a negative errno.
 */
int vcpu_deliver(struct afb_vcpu *vcpu, struct afb_frame *frame, uint8_t vector,
		 enum event ev, uint32_t error_code)
{
	uint64_t image[6];
	unsigned int n = 0;
	struct target t;
	int ret;

	if (!vcpu_long(vcpu))
		return vcpu_deliver32(vcpu, frame, vector, ev, error_code);
	ret = gate_read(vcpu, vector, ev, &t.gate);
	if (!ret)
		ret = target_code(vcpu, ev, &t);
	if (!ret)
		ret = target_stack(vcpu, frame, &t);
	if (ret)
		return ret;
	if (vcpu_has_error_code(vector, ev))
		image[n++] = error_code;
	image[n++] = frame->rip;
	image[n++] = vcpu->seg[AFB_CS];
	image[n++] = afb_vcpu_rflags(vcpu, frame);
	image[n++] = frame->gpr[AFB_RSP];
	image[n++] = vcpu->seg[AFB_SS];
	t.rsp -= 8 * n;
	ret = vcpu_vmem_write(vcpu, t.rsp, image, 8 * n,
			      t.cpl == 3 ? AFB_ACCESS_USER : 0);
	if (!ret)
		commit(vcpu, frame, &t, t.rsp);
	return ret;
}

/* Exception classes of the double-fault rules: benign, contributory, #PF. */
static int exc_class(uint8_t vector)
{
	if (vector == AFB_EXC_PF)
		return 2;
	if (vector == AFB_EXC_DE || (vector >= AFB_EXC_TS && vector <= AFB_EXC_GP))
		return 1;
	return 0;
}

/**
 * afb_vcpu_exception - deliver an exception (see vcpu.h).  A fault while
 * delivering it is handled as the CPU does: after a benign exception, or
 * a #PF after a contributory one, the new fault is delivered instead;
 * otherwise it becomes #DF, and a fault delivering #DF shuts down.
 */
int afb_vcpu_exception(struct afb_vcpu *vcpu, struct afb_frame *frame,
		       uint8_t vector, uint32_t error_code)
{
	int first = exc_class(vector), second;
	int ret = vcpu_deliver(vcpu, frame, vector, EV_EXCEPTION, error_code);

	if (ret != AFB_VCPU_EXCEPTION)
		return ret;
	if (vector == AFB_EXC_DF)
		return vcpu_shutdown(vcpu, AFB_SHUTDOWN_TRIPLE_FAULT);
	second = exc_class(vcpu->exc.vector);
	if ((first == 1 && second == 1) || (first == 2 && second))
		return afb_vcpu_exception(vcpu, frame, AFB_EXC_DF, 0);
	return afb_vcpu_exception(vcpu, frame, vcpu->exc.vector,
				  vcpu->exc.error_code);
}

/* ---- int n, into, int1, int3: traps, so the return rip is the next one */

/**
 * afb_vcpu_int - a user-mode int n the host intercepted (see vcpu.h)
 */
int afb_vcpu_int(struct afb_vcpu *vcpu, struct afb_frame *frame,
		 uint8_t vector)
{
	uint64_t rip = frame->rip;
	int ret;

	frame->rip = frame->next_rip ? frame->next_rip : rip + 2;
	frame->next_rip = 0;
	vcpu->shadow = false;
	ret = vcpu_deliver(vcpu, frame, vector, EV_SOFTWARE, 0);
	if (ret == AFB_VCPU_EXCEPTION) {
		frame->rip = rip;	/* the fault points at the int */
		ret = afb_vcpu_exception(vcpu, frame, vcpu->exc.vector,
					 vcpu->exc.error_code);
	}
	if (ret)
		return ret;
	ret = vcpu_deliver_pending_now(vcpu, frame);
	return ret < 0 || ret == AFB_VCPU_SHUTDOWN ? ret : 0;
}

int em_int(struct afb_vcpu *vcpu, struct afb_frame *frame,
	   const struct afb_insn *insn)
{
	return vcpu_deliver(vcpu, frame, (uint8_t)insn->imm, EV_SOFTWARE, 0);
}

int em_into(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	(void)insn;
	if (!(frame->rflags & AFB_RFLAGS_OF))
		return 0;
	return vcpu_deliver(vcpu, frame, AFB_EXC_OF, EV_SOFTWARE, 0);
}

int em_int1(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	(void)insn;
	return vcpu_deliver(vcpu, frame, AFB_EXC_DB, EV_ICEBP, 0);
}

int em_int3(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	(void)insn;
	return vcpu_deliver(vcpu, frame, AFB_EXC_BP, EV_SOFTWARE, 0);
}

/* ---- iret ------------------------------------------------------------ */

/* What iret pops: in 64-bit mode always all five, each @size bytes. */
struct iret_image {
	uint64_t rip, cs, rflags, rsp, ss;
};

static int iret_pop(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		    unsigned int size, struct iret_image *im)
{
	uint64_t *slot[] = { &im->rip, &im->cs, &im->rflags, &im->rsp, &im->ss };
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(slot) && !ret; i++)
		ret = vcpu_stack_peek(vcpu, frame, i * size, size, slot[i]);
	return ret;
}

/*
 * iret: return to the same or an outer privilege level (long mode: no
 * task return, so NT set is #GP).  The flags the old CPL may change are
 * loaded from the image (IF and IOPL at CPL0), RF too.  A return to
 * CPL3 nulls the data segments the user may not use.
 */
int em_iret(struct afb_vcpu *vcpu, struct afb_frame *frame,
	    const struct afb_insn *insn)
{
	unsigned int size = insn->opsize, new_cpl;
	uint64_t writable = vcpu_flags_writable(vcpu, size) | AFB_RFLAGS_RF;
	struct iret_image im;
	struct desc cs, ss;
	int ret;

	if (!vcpu_long(vcpu))
		return vcpu_iret32(vcpu, frame, size);
	if (vcpu->rflags & AFB_RFLAGS_NT)
		return vcpu_raise_gp0(vcpu);
	ret = iret_pop(vcpu, frame, size, &im);
	if (ret)
		return ret;
	new_cpl = im.cs & 3;
	if (new_cpl < vcpu->cpl)
		return vcpu_exc_raise(vcpu, AFB_EXC_GP, SEL_ERR(im.cs));
	ret = vcpu_cs_check(vcpu, (uint16_t)im.cs, new_cpl, &cs);
	if (!ret)
		ret = vcpu_ss_check(vcpu, (uint16_t)im.ss, new_cpl, &ss);
	if (ret)
		return ret;
	if (!vcpu_canonical(im.rip))
		return vcpu_raise_gp0(vcpu);
	vcpu_flags_load(vcpu, frame, im.rflags, writable);
	frame->rip = im.rip;
	frame->gpr[AFB_RSP] = im.rsp;
	vcpu_seg_set(vcpu, AFB_CS, (uint16_t)im.cs, cs.dpl);
	vcpu_seg_set(vcpu, AFB_SS, (uint16_t)im.ss, ss.dpl);
	if (new_cpl > vcpu->cpl) {
		vcpu->cpl = new_cpl;
		vcpu_segs_leave_kernel(vcpu);
	}
	return 0;
}

/* ---- syscall, sysret, sysexit ----------------------------------------- */

/**
 * afb_vcpu_syscall - a user-mode syscall (see vcpu.h)
 */
int afb_vcpu_syscall(struct afb_vcpu *vcpu, struct afb_frame *frame)
{
	uint64_t next = frame->next_rip ? frame->next_rip : frame->rip + 2;
	uint64_t flags = afb_vcpu_rflags(vcpu, frame) & ~(uint64_t)AFB_RFLAGS_RF;
	uint16_t cs = (vcpu->star >> 32) & 0xfffc;
	int ret;

	frame->next_rip = 0;
	if (!(vcpu->efer & AFB_EFER_SCE) || !vcpu_long(vcpu))
		return afb_vcpu_exception(vcpu, frame, AFB_EXC_UD, 0);
	frame->gpr[AFB_RCX] = next;
	frame->gpr[AFB_R11] = flags;
	vcpu_flags_load(vcpu, frame, flags & ~vcpu->sfmask,
			AFB_RFLAGS_REAL | AFB_RFLAGS_VIRT);
	vcpu_seg_set(vcpu, AFB_CS, cs, 0);
	vcpu_seg_set(vcpu, AFB_SS, cs + 8, 0);
	vcpu->cpl = 0;
	vcpu->halted = false;
	vcpu->shadow = false;
	frame->rip = vcpu->lstar;
	ret = vcpu_deliver_pending_now(vcpu, frame);
	return ret < 0 || ret == AFB_VCPU_SHUTDOWN ? ret : 0;
}

/*
 * syscall decoded as an instruction (not intercepted as a system call):
 * the same entry, from the instruction after it.
 */
int em_syscall(struct afb_vcpu *vcpu, struct afb_frame *frame,
	       const struct afb_insn *insn)
{
	(void)insn;
	frame->next_rip = frame->rip;	/* afb_vcpu_emulate() stepped over it */
	return afb_vcpu_syscall(vcpu, frame);
}

/*
 * sysenter: in long mode the virtual CPU is an x86-64 one, where AMD
 * CPUs make sysenter #UD; a guest cannot rely on Intel's, which a 64-bit
 * kernel that leaves IA32_SYSENTER_CS 0 turns into #GP anyway.  In
 * 32-bit mode it is the fast system call of i386 Linux (interrupt32.c).
 */
int em_sysenter(struct afb_vcpu *vcpu, struct afb_frame *frame,
		const struct afb_insn *insn)
{
	if (vcpu_long(vcpu))
		return em_undefined(vcpu, frame, insn);
	return vcpu_sysenter32(vcpu, frame);
}

/**
 * afb_vcpu_sysenter - a user-mode sysenter the host intercepted (vcpu.h)
 */
int afb_vcpu_sysenter(struct afb_vcpu *vcpu, struct afb_frame *frame)
{
	int ret = vcpu_long(vcpu) ? vcpu_exc_raise(vcpu, AFB_EXC_UD, 0) :
				    vcpu_sysenter32(vcpu, frame);

	frame->next_rip = 0;
	if (ret == AFB_VCPU_EXCEPTION)
		ret = afb_vcpu_exception(vcpu, frame, vcpu->exc.vector,
					 vcpu->exc.error_code);
	return ret;
}

/* Switch to CPL3 with @cs and @ss (RPL 3, DPL 3 as sysret assumes). */
static void enter_cpl3(struct afb_vcpu *vcpu, uint16_t cs, uint16_t ss)
{
	vcpu_seg_set(vcpu, AFB_CS, cs | 3, 3);
	vcpu_seg_set(vcpu, AFB_SS, ss | 3, 3);
	vcpu->cpl = 3;
}

/*
 * sysret: rip from RCX, rflags from R11 (RF and VM cleared), CS and SS
 * from STAR[63:48] (+16 and +8 for sysretq, +0 and +8 for sysretl into
 * compatibility mode).  Like the CPU, it trusts the GDT.
 */
int em_sysret(struct afb_vcpu *vcpu, struct afb_frame *frame,
	      const struct afb_insn *insn)
{
	uint16_t base = (uint16_t)(vcpu->star >> 48) & 0xfffc;
	bool q = insn->opsize == 8;
	uint64_t rip = q ? frame->gpr[AFB_RCX] : (uint32_t)frame->gpr[AFB_RCX];

	if (!(vcpu->efer & AFB_EFER_SCE) || !vcpu_long(vcpu))
		return vcpu_exc_raise(vcpu, AFB_EXC_UD, 0);
	if (vcpu->cpl || !vcpu_canonical(rip))
		return vcpu_raise_gp0(vcpu);
	vcpu_flags_load(vcpu, frame, frame->gpr[AFB_R11],
			(AFB_RFLAGS_REAL | AFB_RFLAGS_VIRT) &
		   ~(uint64_t)(AFB_RFLAGS_RF | AFB_RFLAGS_VM));
	frame->rip = rip;
	enter_cpl3(vcpu, base + (q ? 16 : 0), base + 8);
	return 0;
}

/*
 * sysexit: rip from RDX, rsp from RCX, CS and SS from SYSENTER_CS (+32
 * and +40 for the 64-bit form, +16 and +24 for the 32-bit one).
 */
int em_sysexit(struct afb_vcpu *vcpu, struct afb_frame *frame,
	       const struct afb_insn *insn)
{
	uint16_t base = (uint16_t)vcpu->sysenter_cs & 0xfffc;
	bool q = insn->opsize == 8;
	uint64_t mask = q ? UINT64_MAX : UINT32_MAX;
	uint64_t rip = frame->gpr[AFB_RDX] & mask;

	if (!vcpu_long(vcpu))
		return vcpu_sysexit32(vcpu, frame);
	if (vcpu->cpl || !base || !vcpu_canonical(rip))
		return vcpu_raise_gp0(vcpu);
	frame->rip = rip;
	frame->gpr[AFB_RSP] = frame->gpr[AFB_RCX] & mask;
	enter_cpl3(vcpu, base + (q ? 32 : 16), base + (q ? 40 : 24));
	return 0;
}
