// SPDX-License-Identifier: MIT
/*
 * The virtual CPU: reset state, the one table that maps each sensitive
 * kind to its emulation, and pending interrupts.
 *
 * afb_vcpu_emulate() is the whole run-time path of a site, in the mode
 * the state gives (afb_vcpu_mode(): long mode with EFER.LMA, else 32-bit
 * protected mode; the instruction must have been decoded in it):
 *
 *   advance rip past the instruction, run the kind's handler, then, at
 *   the instruction boundary, deliver a pending interrupt if the virtual
 *   IF allows it, and tell the host if the guest left for user mode.
 *
 * A handler that faults leaves the frame as it was (rip back at the
 * instruction), so the host can deliver the exception and the guest can
 * restart the instruction, as on the CPU.
 */
#include <string.h>

#include "core.h"

static const em_fn emulators[AFB_KIND_MAX + 1] = {
	[AFB_KIND_CLI] = em_cli,
	[AFB_KIND_STI] = em_sti,
	[AFB_KIND_STI_HLT] = em_sti_hlt,
	[AFB_KIND_STI_MWAIT] = em_sti_mwait,
	[AFB_KIND_PUSHF] = em_pushf,
	[AFB_KIND_POPF] = em_popf,
	[AFB_KIND_HLT] = em_hlt,
	[AFB_KIND_IN] = em_in,
	[AFB_KIND_OUT] = em_out,
	[AFB_KIND_INS] = em_ins,
	[AFB_KIND_OUTS] = em_outs,
	[AFB_KIND_MOV_CR] = em_mov_cr,
	[AFB_KIND_MOV_DR] = em_mov_dr,
	[AFB_KIND_MOV_SEG] = em_mov_seg,
	[AFB_KIND_PUSH_SEG] = em_push_seg,
	[AFB_KIND_POP_SEG] = em_pop_seg,
	[AFB_KIND_LGDT] = em_lgdt,
	[AFB_KIND_LIDT] = em_lidt,
	[AFB_KIND_LLDT] = em_lldt,
	[AFB_KIND_LTR] = em_ltr,
	[AFB_KIND_SGDT] = em_sgdt,
	[AFB_KIND_SIDT] = em_sidt,
	[AFB_KIND_SLDT] = em_sldt,
	[AFB_KIND_STR] = em_str,
	[AFB_KIND_SMSW] = em_smsw,
	[AFB_KIND_LMSW] = em_lmsw,
	[AFB_KIND_CLTS] = em_clts,
	[AFB_KIND_INVLPG] = em_invlpg,
	[AFB_KIND_INVPCID] = em_invpcid,
	[AFB_KIND_INVD] = em_cache,
	[AFB_KIND_WBINVD] = em_cache,
	[AFB_KIND_RDMSR] = em_rdmsr,
	[AFB_KIND_WRMSR] = em_wrmsr,
	[AFB_KIND_RDTSC] = em_rdtsc,
	[AFB_KIND_RDTSCP] = em_rdtscp,
	[AFB_KIND_RDPMC] = em_rdpmc,
	[AFB_KIND_CPUID] = em_cpuid,
	[AFB_KIND_XGETBV] = em_xgetbv,
	[AFB_KIND_XSETBV] = em_xsetbv,
	[AFB_KIND_SWAPGS] = em_swapgs,
	[AFB_KIND_IRET] = em_iret,
	[AFB_KIND_SYSRET] = em_sysret,
	[AFB_KIND_SYSEXIT] = em_sysexit,
	[AFB_KIND_FAR_JMP] = em_far_jmp,
	[AFB_KIND_FAR_CALL] = em_far_call,
	[AFB_KIND_FAR_RET] = em_far_ret,
	[AFB_KIND_LAR] = em_lar,
	[AFB_KIND_LSL] = em_lsl,
	[AFB_KIND_VERR] = em_verr,
	[AFB_KIND_VERW] = em_verw,
	[AFB_KIND_LOAD_FAR_PTR] = em_load_far_ptr,
	[AFB_KIND_MONITOR] = em_monitor,
	[AFB_KIND_MWAIT] = em_mwait,
	[AFB_KIND_STAC] = em_stac,
	[AFB_KIND_CLAC] = em_clac,
	[AFB_KIND_RDFSBASE] = em_rdbase,
	[AFB_KIND_RDGSBASE] = em_rdbase,
	[AFB_KIND_WRFSBASE] = em_wrbase,
	[AFB_KIND_WRGSBASE] = em_wrbase,
	[AFB_KIND_XSAVES] = em_undefined,
	[AFB_KIND_XRSTORS] = em_undefined,
	[AFB_KIND_INT] = em_int,
	[AFB_KIND_INTO] = em_into,
	[AFB_KIND_INT1] = em_int1,
	[AFB_KIND_INT3] = em_int3,
	[AFB_KIND_SYSENTER] = em_sysenter,
	[AFB_KIND_SYSCALL] = em_syscall,
};

/**
 * afb_vcpu_init - the state at the guest's 64-bit entry (entry64)
 */
void afb_vcpu_init(struct afb_vcpu *vcpu, const struct afb_host_ops *ops,
		   void *host)
{
	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->ops = ops;
	vcpu->host = host;
	vcpu->cr0 = AFB_CR0_PE | AFB_CR0_ET | AFB_CR0_PG;
	vcpu->cr4 = AFB_CR4_PAE;
	vcpu->efer = AFB_EFER_LME | AFB_EFER_LMA;
	vcpu->xcr0 = 1;				/* x87 is always on */
	vcpu->dr[6] = 0xffff0ff0;
	vcpu->dr[7] = 0x400;
	vcpu->gdtr.limit = vcpu->idtr.limit = 0xffff;
	vcpu->seg[AFB_CS] = 0x08;
	vcpu->seg[AFB_SS] = vcpu->seg[AFB_DS] = vcpu->seg[AFB_ES] = 0x10;
}

/**
 * afb_vcpu_init32 - the state at the guest's 32-bit PVH entry
 */
void afb_vcpu_init32(struct afb_vcpu *vcpu, const struct afb_host_ops *ops,
		     void *host)
{
	static const struct afb_seg_hidden flat_code = {
		0, UINT32_MAX, AFB_SEG_G | AFB_SEG_DB | AFB_SEG_P | AFB_SEG_S | 0xb,
	}, flat_data = {
		0, UINT32_MAX, AFB_SEG_G | AFB_SEG_DB | AFB_SEG_P | AFB_SEG_S | 0x3,
	};

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->ops = ops;
	vcpu->host = host;
	vcpu->cr0 = AFB_CR0_PE | AFB_CR0_ET;
	vcpu->xcr0 = 1;
	vcpu->dr[6] = 0xffff0ff0;
	vcpu->dr[7] = 0x400;
	vcpu->gdtr.limit = vcpu->idtr.limit = 0xffff;
	vcpu->tr = (struct afb_sysseg){ .limit = 0x67, .type = 0xb };
	vcpu->seg[AFB_CS] = 0x08;
	vcpu->hidden[AFB_CS] = flat_code;
	vcpu->seg[AFB_SS] = vcpu->seg[AFB_DS] = vcpu->seg[AFB_ES] = 0x10;
	vcpu->hidden[AFB_SS] = vcpu->hidden[AFB_DS] = flat_data;
	vcpu->hidden[AFB_ES] = flat_data;
}

unsigned int afb_vcpu_mode(const struct afb_vcpu *vcpu)
{
	if (vcpu_long(vcpu))
		return 64;
	return vcpu->cr0 & AFB_CR0_PE ? 32 : 0;
}

/* ---- Pending interrupts -------------------------------------------- */

/*
 * The pending bitmap is updated atomically, so that a host may raise an
 * interrupt from a signal handler or another thread while the vcpu runs.
 */
void afb_vcpu_raise_irq(struct afb_vcpu *vcpu, uint8_t vector)
{
	__atomic_fetch_or(&vcpu->pending[vector / 64], 1ULL << (vector % 64),
			  __ATOMIC_SEQ_CST);
}

static void clear_irq(struct afb_vcpu *vcpu, unsigned int vector)
{
	__atomic_fetch_and(&vcpu->pending[vector / 64],
			   ~(1ULL << (vector % 64)), __ATOMIC_SEQ_CST);
}

static uint64_t pending_word(const struct afb_vcpu *vcpu, unsigned int i)
{
	return __atomic_load_n(&vcpu->pending[i], __ATOMIC_SEQ_CST);
}

bool afb_vcpu_irq_pending(const struct afb_vcpu *vcpu)
{
	return pending_word(vcpu, 0) | pending_word(vcpu, 1) |
	       pending_word(vcpu, 2) | pending_word(vcpu, 3);
}

/* The highest pending vector, or -1. */
static int highest_pending(const struct afb_vcpu *vcpu)
{
	uint64_t w;
	int i;

	for (i = 3; i >= 0; i--) {
		w = pending_word(vcpu, i);
		if (w)
			return i * 64 + 63 - __builtin_clzll(w);
	}
	return -1;
}

/*
 * The vector to deliver now at @frame, or -1: IF set, not in the shadow
 * of sti / mov ss, and above the priority class in CR8 (TPR).
 */
static int deliverable(const struct afb_vcpu *vcpu,
		       const struct afb_frame *frame)
{
	int v = highest_pending(vcpu);

	if (v < 0 || !vcpu_irq_enabled(vcpu))
		return -1;
	if (vcpu->shadow && frame->rip == vcpu->shadow_rip)
		return -1;
	if ((unsigned int)v >> 4 <= vcpu->cr8)
		return -1;
	return v;
}

/*
 * Deliver one deliverable vector.  If delivering it faults (its IDT
 * entry, the stack), the vector stays pending and the fault is
 * delivered instead, as the CPU does.  Returns 1 delivered, 0 none.
 */
int vcpu_deliver_pending_now(struct afb_vcpu *vcpu, struct afb_frame *frame)
{
	int v = deliverable(vcpu, frame);
	int ret;

	if (v < 0)
		return 0;
	clear_irq(vcpu, v);
	vcpu->halted = false;
	vcpu->shadow = false;
	ret = vcpu_deliver(vcpu, frame, (uint8_t)v, EV_EXTERNAL, 0);
	if (ret == AFB_VCPU_EXCEPTION) {
		afb_vcpu_raise_irq(vcpu, (uint8_t)v);
		ret = afb_vcpu_exception(vcpu, frame, vcpu->exc.vector,
					 vcpu->exc.error_code);
	}
	return ret ? ret : 1;
}

/*
 * The host's delivery point.  The shadow of sti (or mov ss) holds off
 * one attempt at the instruction after it: enough for the host that
 * tries right after emulating the sti, and a guest spinning on that very
 * instruction ("sti; 1: jmp 1b") is not starved.
 */
int afb_vcpu_deliver_pending(struct afb_vcpu *vcpu, struct afb_frame *frame)
{
	if (vcpu->shadow && frame->rip == vcpu->shadow_rip) {
		vcpu->shadow = false;
		return 0;
	}
	return vcpu_deliver_pending_now(vcpu, frame);
}

/* ---- Emulation ------------------------------------------------------ */

/* After a completed instruction: the interrupt window, then user mode. */
static int finish(struct afb_vcpu *vcpu, struct afb_frame *frame,
		  uint8_t old_cpl)
{
	int ret = vcpu_deliver_pending_now(vcpu, frame);

	if (ret < 0 || ret == AFB_VCPU_SHUTDOWN)
		return ret;
	if (old_cpl == 0 && vcpu->cpl == 3 && vcpu->ops->enter_user)
		return vcpu->ops->enter_user(vcpu, frame);
	return 0;
}

/**
 * afb_vcpu_emulate - emulate one sensitive instruction (see vcpu.h)
 */
int afb_vcpu_emulate(struct afb_vcpu *vcpu, struct afb_frame *frame,
		     const struct afb_insn *insn)
{
	uint64_t rip = frame->rip, next = frame->next_rip;
	uint8_t cpl = vcpu->cpl;
	int ret;

	if (insn->kind > AFB_KIND_MAX || !emulators[insn->kind])
		return -EINVAL;
	if (insn->mode != afb_vcpu_mode(vcpu))
		return -EOPNOTSUPP;
	vcpu->insn_rip = rip;
	vcpu->shadow = false;	/* this instruction ends any shadow */
	frame->rip = next ? next : rip + insn->len;
	frame->next_rip = 0;
	ret = emulators[insn->kind](vcpu, frame, insn);
	if (ret == AFB_VCPU_EXCEPTION || ret < 0) {
		frame->rip = rip;
		frame->next_rip = next;
		return ret;
	}
	vcpu->count[insn->kind]++;
	if (ret)
		return ret;
	return finish(vcpu, frame, cpl);
}
