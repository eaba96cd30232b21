/* SPDX-License-Identifier: MIT */
/*
 * Internals of the virtual-CPU core, shared by its files: operand and
 * memory access (access.c), flags (flags.c), descriptors and segment
 * loads (segment.c), event delivery (interrupt.c), and the emulation
 * handlers of every file, which vcpu.c dispatches by kind.
 *
 * Conventions inside the core:
 *  - Names shared between its files start with vcpu_ (helpers) or em_
 *    (the handler of a kind, as in KVM's x86 emulator), so that a host
 *    linking the core never collides with them; public ones with afb_.
 *  - A handler returns 0, AFB_VCPU_EXCEPTION after vcpu_exc_raise() (or a fault
 *    of an access helper) has filled vcpu->exc, AFB_VCPU_SHUTDOWN, or a
 *    negative errno.
 *  - On entry to a handler frame->rip is already the resume address
 *    (next_rip) and vcpu->insn_rip the instruction's own address.  A
 *    handler changes the frame only after the last thing that can fault,
 *    so that a fault leaves the instruction restartable (rep string
 *    instructions commit per element, as the CPU does).
 */
#ifndef AFB_WEDGE_CORE_H
#define AFB_WEDGE_CORE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <afterburn/vcpu.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE 4096

typedef int (*em_fn)(struct afb_vcpu *vcpu, struct afb_frame *frame,
		     const struct afb_insn *insn);

/* A decoded segment descriptor (8 bytes, or 16 for 64-bit system ones). */
struct desc {
	uint64_t base;
	uint32_t limit;		/* bytes - 1, granularity applied */
	uint8_t type;		/* 4 bits */
	bool s;			/* code/data (true) or system */
	uint8_t dpl;
	bool p;
	bool l;			/* 64-bit code */
	bool db;		/* 32-bit code / stack (D/B) */
	uint16_t attr;		/* descriptor bits 40-55 (AFB_SEG_*) */
	uint64_t raw;		/* the low 8 bytes as read */
};

/* Long mode (EFER.LMA), else 32-bit protected mode. */
static inline bool vcpu_long(const struct afb_vcpu *vcpu)
{
	return vcpu->efer & AFB_EFER_LMA;
}

/* How an event reaches the IDT: it decides DPL checks, error codes, EXT. */
enum event {
	EV_EXTERNAL,		/* an interrupt from afb_vcpu_raise_irq */
	EV_EXCEPTION,		/* a fault or trap the CPU raises */
	EV_SOFTWARE,		/* int n, int3, into: gate DPL >= CPL */
	EV_ICEBP,		/* int1: an exception without the DPL check */
};

/* access.c: registers, addresses and guest memory */
int vcpu_exc_raise(struct afb_vcpu *vcpu, uint8_t vector, uint32_t error_code);
static inline int vcpu_raise_gp0(struct afb_vcpu *vcpu)
{
	return vcpu_exc_raise(vcpu, AFB_EXC_GP, 0);
}
bool vcpu_canonical(uint64_t addr);
uint64_t vcpu_reg_get(const struct afb_frame *frame, unsigned int reg,
		      unsigned int size);
void vcpu_reg_set(struct afb_frame *frame, unsigned int reg, unsigned int size,
		  uint64_t val);
uint64_t vcpu_effective_address(const struct afb_vcpu *vcpu,
				const struct afb_frame *frame,
			   const struct afb_insn *insn);
unsigned int vcpu_user_access(const struct afb_vcpu *vcpu);
int vcpu_vmem_read(struct afb_vcpu *vcpu, uint64_t gva, void *buf, size_t len,
		   unsigned int access);
int vcpu_vmem_write(struct afb_vcpu *vcpu, uint64_t gva, const void *buf,
		    size_t len, unsigned int access);
int vcpu_vmem_read_uint(struct afb_vcpu *vcpu, uint64_t gva, unsigned int size,
			unsigned int access, uint64_t *val);
int vcpu_vmem_write_uint(struct afb_vcpu *vcpu, uint64_t gva, unsigned int size,
			 unsigned int access, uint64_t val);
int vcpu_operand_read(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		      const struct afb_insn *insn, unsigned int size, uint64_t *val);
int vcpu_operand_write(struct afb_vcpu *vcpu, struct afb_frame *frame,
		       const struct afb_insn *insn, unsigned int size, uint64_t val);
int vcpu_stack_push(struct afb_vcpu *vcpu, struct afb_frame *frame,
		    unsigned int size, uint64_t val);
int vcpu_stack_peek(struct afb_vcpu *vcpu, const struct afb_frame *frame,
		    unsigned int offset, unsigned int size, uint64_t *val);
uint64_t vcpu_stack_mask(const struct afb_vcpu *vcpu);
uint64_t vcpu_stack_linear(const struct afb_vcpu *vcpu, uint64_t sp);
uint64_t vcpu_stack_add(const struct afb_vcpu *vcpu, uint64_t rsp,
			int64_t delta);
uint64_t vcpu_seg_base(const struct afb_vcpu *vcpu, enum afb_sreg sreg);
int vcpu_need_cpl0(struct afb_vcpu *vcpu);

/* flags.c */
void vcpu_flags_load(struct afb_vcpu *vcpu, struct afb_frame *frame,
		     uint64_t val, uint64_t writable);
uint64_t vcpu_flags_writable(const struct afb_vcpu *vcpu, unsigned int size);
static inline bool vcpu_irq_enabled(const struct afb_vcpu *vcpu)
{
	return vcpu->rflags & AFB_RFLAGS_IF;
}

/* segment.c: descriptors and segment register loads */
int vcpu_desc_read(struct afb_vcpu *vcpu, uint16_t sel, struct desc *d);
int vcpu_sysdesc_read(struct afb_vcpu *vcpu, uint16_t sel, struct desc *d);
int vcpu_seg_load(struct afb_vcpu *vcpu, enum afb_sreg sreg, uint16_t sel);
int vcpu_cs_check(struct afb_vcpu *vcpu, uint16_t sel, unsigned int new_cpl,
		  struct desc *d);
int vcpu_ss_check(struct afb_vcpu *vcpu, uint16_t sel, unsigned int new_cpl,
		  struct desc *d);
void vcpu_seg_set(struct afb_vcpu *vcpu, enum afb_sreg sreg, uint16_t sel,
		  uint8_t dpl);
void vcpu_seg_base_changed(struct afb_vcpu *vcpu, enum afb_sreg sreg);
int vcpu_seg_commit(struct afb_vcpu *vcpu, enum afb_sreg sreg, uint16_t sel,
		    const struct desc *d);
void vcpu_desc_flat(struct desc *d, bool code);
int vcpu_rip_check(struct afb_vcpu *vcpu, const struct desc *cs, uint64_t rip);
int vcpu_segs_leave_kernel(struct afb_vcpu *vcpu);

/* interrupt.c */
int vcpu_deliver(struct afb_vcpu *vcpu, struct afb_frame *frame, uint8_t vector,
		 enum event ev, uint32_t error_code);
int vcpu_shutdown(struct afb_vcpu *vcpu, int reason);
bool vcpu_has_error_code(uint8_t vector, enum event ev);
uint32_t vcpu_idt_error(uint8_t vector, enum event ev);

/* interrupt32.c: the same in 32-bit protected mode */
int vcpu_deliver32(struct afb_vcpu *vcpu, struct afb_frame *frame,
		   uint8_t vector, enum event ev, uint32_t error_code);
int vcpu_iret32(struct afb_vcpu *vcpu, struct afb_frame *frame,
		unsigned int size);
int vcpu_sysenter32(struct afb_vcpu *vcpu, struct afb_frame *frame);
int vcpu_sysexit32(struct afb_vcpu *vcpu, struct afb_frame *frame);

/* vcpu.c */
int vcpu_deliver_pending_now(struct afb_vcpu *vcpu, struct afb_frame *frame);

/* The handlers, by file: int em_<name>(vcpu, frame, insn). */
#define EM(name) int em_##name(struct afb_vcpu *vcpu, struct afb_frame *frame, \
			      const struct afb_insn *insn)
EM(cli);
EM(sti);
EM(sti_hlt);
EM(sti_mwait);
EM(pushf);
EM(popf);
EM(stac);
EM(clac);

EM(hlt);
EM(mov_cr);
EM(mov_dr);
EM(smsw);
EM(lmsw);
EM(clts);
EM(invlpg);
EM(invpcid);
EM(cache);
EM(xgetbv);
EM(xsetbv);
EM(monitor);
EM(mwait);
EM(undefined);

EM(lgdt);
EM(lidt);
EM(lldt);
EM(ltr);
EM(sgdt);
EM(sidt);
EM(sldt);
EM(str);
EM(mov_seg);
EM(push_seg);
EM(pop_seg);
EM(lar);
EM(lsl);
EM(verr);
EM(verw);
EM(load_far_ptr);
EM(swapgs);
EM(rdbase);
EM(wrbase);

EM(rdmsr);
EM(wrmsr);

EM(in);
EM(out);
EM(ins);
EM(outs);

EM(int);
EM(into);
EM(int1);
EM(int3);
EM(iret);
EM(sysret);
EM(sysexit);
EM(sysenter);
EM(syscall);

EM(far_jmp);
EM(far_call);
EM(far_ret);

EM(cpuid);
EM(rdtsc);
EM(rdtscp);
EM(rdpmc);

#endif
