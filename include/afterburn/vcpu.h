/* SPDX-License-Identifier: MIT */
/*
 * The run-time half of a hosted wedge: a virtual x86-64 CPU that emulates
 * the sensitive instructions of a deprivileged guest kernel.
 *
 * A host runs the guest kernel at real CPL3.  Whenever the guest reaches
 * a site (a patched call into the wedge) or traps on an unpatched
 * sensitive instruction, the host fills a struct afb_frame with the
 * guest's registers, decodes the instruction with afb_decode() and calls
 * afb_vcpu_emulate().  The core keeps the state the guest may not own
 * (the interrupt flag, IOPL, control, debug and descriptor-table
 * registers, the syscall MSRs, the virtual privilege level, pending
 * interrupts) in struct afb_vcpu and asks the host, through struct
 * afb_host_ops, for what only the host can do: touch guest memory through
 * the guest's page tables, talk to devices, activate page tables.
 *
 * The core supports a 64-bit guest in long mode and a 32-bit guest in
 * protected mode (paging off, 2-level or PAE paging; no VM86, no task
 * switches, no 16-bit code segments); it derives the mode from the state
 * (long mode only with EFER.LMA).  Nothing here prints,
 * allocates or exits; every call that can fail returns a negative errno.
 * See doc/porting.md.
 */
#ifndef AFTERBURN_VCPU_H
#define AFTERBURN_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include <afterburn/afterburn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Architectural numbers ------------------------------------------ */

/* General registers, by their x86 number (ModRM, REX). */
enum afb_gpr {
	AFB_RAX, AFB_RCX, AFB_RDX, AFB_RBX, AFB_RSP, AFB_RBP, AFB_RSI, AFB_RDI,
	AFB_R8, AFB_R9, AFB_R10, AFB_R11, AFB_R12, AFB_R13, AFB_R14, AFB_R15,
};

/* Segment registers, by their x86 number (afb_mem_operand.segment). */
enum afb_sreg { AFB_ES, AFB_CS, AFB_SS, AFB_DS, AFB_FS, AFB_GS, AFB_NR_SREGS };

#define AFB_RFLAGS_CF	0x00000001
#define AFB_RFLAGS_FIXED 0x00000002	/* bit 1 reads as 1 */
#define AFB_RFLAGS_PF	0x00000004
#define AFB_RFLAGS_AF	0x00000010
#define AFB_RFLAGS_ZF	0x00000040
#define AFB_RFLAGS_SF	0x00000080
#define AFB_RFLAGS_TF	0x00000100
#define AFB_RFLAGS_IF	0x00000200
#define AFB_RFLAGS_DF	0x00000400
#define AFB_RFLAGS_OF	0x00000800
#define AFB_RFLAGS_IOPL	0x00003000
#define AFB_RFLAGS_NT	0x00004000
#define AFB_RFLAGS_RF	0x00010000
#define AFB_RFLAGS_VM	0x00020000
#define AFB_RFLAGS_AC	0x00040000
#define AFB_RFLAGS_VIF	0x00080000
#define AFB_RFLAGS_VIP	0x00100000
#define AFB_RFLAGS_ID	0x00200000

/*
 * The flags the guest owns: they live in the real rflags (afb_frame) and
 * the real CPU computes them.  All other architectural bits (IF, IOPL,
 * NT, RF, VM, AC, VIF, VIP) are virtual: they live in afb_vcpu.rflags.
 */
#define AFB_RFLAGS_REAL	(AFB_RFLAGS_CF | AFB_RFLAGS_PF | AFB_RFLAGS_AF | \
			 AFB_RFLAGS_ZF | AFB_RFLAGS_SF | AFB_RFLAGS_TF | \
			 AFB_RFLAGS_DF | AFB_RFLAGS_OF | AFB_RFLAGS_ID)
#define AFB_RFLAGS_VIRT	(AFB_RFLAGS_IF | AFB_RFLAGS_IOPL | AFB_RFLAGS_NT | \
			 AFB_RFLAGS_RF | AFB_RFLAGS_VM | AFB_RFLAGS_AC | \
			 AFB_RFLAGS_VIF | AFB_RFLAGS_VIP)

#define AFB_CR0_PE	0x00000001
#define AFB_CR0_MP	0x00000002
#define AFB_CR0_EM	0x00000004
#define AFB_CR0_TS	0x00000008
#define AFB_CR0_ET	0x00000010
#define AFB_CR0_NE	0x00000020
#define AFB_CR0_WP	0x00010000
#define AFB_CR0_AM	0x00040000
#define AFB_CR0_NW	0x20000000
#define AFB_CR0_CD	0x40000000
#define AFB_CR0_PG	0x80000000

#define AFB_CR4_TSD	0x00000004
#define AFB_CR4_DE	0x00000008
#define AFB_CR4_PSE	0x00000010
#define AFB_CR4_PAE	0x00000020
#define AFB_CR4_PGE	0x00000080
#define AFB_CR4_PCE	0x00000100
#define AFB_CR4_UMIP	0x00000800
#define AFB_CR4_FSGSBASE 0x00010000
#define AFB_CR4_PCIDE	0x00020000
#define AFB_CR4_OSXSAVE	0x00040000

#define AFB_EFER_SCE	0x001
#define AFB_EFER_LME	0x100
#define AFB_EFER_LMA	0x400
#define AFB_EFER_NXE	0x800

/* The MSRs the core owns; every other one goes to the host. */
#define AFB_MSR_SYSENTER_CS	0x00000174
#define AFB_MSR_SYSENTER_ESP	0x00000175
#define AFB_MSR_SYSENTER_EIP	0x00000176
#define AFB_MSR_EFER		0xc0000080
#define AFB_MSR_STAR		0xc0000081
#define AFB_MSR_LSTAR		0xc0000082
#define AFB_MSR_CSTAR		0xc0000083
#define AFB_MSR_SFMASK		0xc0000084
#define AFB_MSR_FS_BASE		0xc0000100
#define AFB_MSR_GS_BASE		0xc0000101
#define AFB_MSR_KERNEL_GS_BASE	0xc0000102
#define AFB_MSR_TSC_AUX		0xc0000103

/* Exception vectors the core raises. */
#define AFB_EXC_DE	0
#define AFB_EXC_DB	1
#define AFB_EXC_BP	3
#define AFB_EXC_OF	4
#define AFB_EXC_UD	6
#define AFB_EXC_DF	8
#define AFB_EXC_TS	10
#define AFB_EXC_NP	11
#define AFB_EXC_SS	12
#define AFB_EXC_GP	13
#define AFB_EXC_PF	14

/* Page-fault error code bits; also the @access bits of the memory ops. */
#define AFB_PF_PRESENT	0x01	/* (error code only) a protection fault */
#define AFB_ACCESS_WRITE 0x02	/* a write */
#define AFB_ACCESS_USER	0x04	/* an access with CPL3 privilege */

/* Descriptor attribute bits (afb_seg_hidden.attr: descriptor bits 40-55). */
#define AFB_SEG_TYPE	0x000f
#define AFB_SEG_S	0x0010	/* code or data (not system) */
#define AFB_SEG_DPL	0x0060
#define AFB_SEG_P	0x0080
#define AFB_SEG_AVL	0x1000
#define AFB_SEG_L	0x2000
#define AFB_SEG_DB	0x4000	/* 32-bit code / stack */
#define AFB_SEG_G	0x8000

/* ---- The guest's registers ------------------------------------------- */

/*
 * struct afb_frame - the guest's registers at a site or a trap
 *
 * @rip is where the instruction being emulated starts: the site address
 * for a patched site, the faulting address for a trap.  RIP-relative
 * operands are taken relative to @rip + insn->len, as the CPU does.
 *
 * @next_rip is where the guest continues when the instruction completes
 * normally: the end of the site for a patched site (the call's return
 * address), or 0, which means @rip + insn->len (the trap path).
 *
 * On return from the core, @rip is the address to resume at: @next_rip,
 * a branch target, the handler of a delivered interrupt or exception, or
 * the user-mode rip after a return to user mode.  @next_rip is then 0.
 *
 * @gpr[AFB_RSP] is the guest's rsp at the instruction: a thunk reached by
 * the site's 'call' must not count the return address the call pushed.
 *
 * A 32-bit guest uses the same frame: the low 32 bits of each register
 * (gpr[AFB_R8] and above unused), @rip = eip.  The core writes only
 * zero-extended 32-bit values to it in that mode.
 *
 * @rflags holds the real flags: the core reads and writes only the bits of
 * AFB_RFLAGS_REAL there and leaves the rest to the host (the real IF of
 * a deprivileged guest stays whatever the host needs).
 */
struct afb_frame {
	uint64_t gpr[16];	/* enum afb_gpr order */
	uint64_t rip;		/* see above */
	uint64_t next_rip;	/* see above; 0: rip + insn->len */
	uint64_t rflags;	/* real flags; AFB_RFLAGS_REAL bits are the guest's */
};

/* ---- The virtual CPU ------------------------------------------------- */

struct afb_dtr {		/* GDTR, IDTR */
	uint64_t base;
	uint16_t limit;
};

struct afb_sysseg {		/* LDTR, TR: selector and its hidden part */
	uint16_t sel;
	uint64_t base;
	uint32_t limit;		/* bytes, granularity applied */
	uint8_t type;		/* descriptor type: 2 LDT, 0xb busy TSS */
};

/*
 * struct afb_seg_hidden - the hidden part of a segment register, as a
 * 32-bit protected-mode guest loaded it from its descriptor: base, limit
 * in bytes - 1 (granularity applied) and the attribute bits AFB_SEG_*.
 * @attr is 0 for a null selector (the register is unusable).  Flat means
 * usable, base 0, limit 0xffffffff and D/B set.
 */
struct afb_seg_hidden {
	uint32_t base;
	uint32_t limit;
	uint16_t attr;
};

struct afb_vcpu;

/*
 * struct afb_host_ops - what the core needs from its host
 *
 * Every op takes the vcpu; a host finds its own state in vcpu->host.
 * mem_read and mem_write are required; any other op may be NULL, and the
 * core then does what the comment says.
 */
struct afb_host_ops {
	/*
	 * Guest-virtual memory through the guest's current page tables
	 * (vcpu->cr3).  The core never crosses a page boundary in one call.
	 * @access holds AFB_ACCESS_WRITE and AFB_ACCESS_USER (the access is
	 * checked against user privilege: U/S must be set).  Returns 0,
	 * -EFAULT if the page is not present, -EACCES if the access breaks
	 * its protection; the core then raises #PF with CR2.  Any other
	 * negative errno is a host failure and is passed up unchanged.
	 */
	int (*mem_read)(struct afb_vcpu *vcpu, uint64_t gva, void *buf,
			size_t len, unsigned int access);
	int (*mem_write)(struct afb_vcpu *vcpu, uint64_t gva, const void *buf,
			 size_t len, unsigned int access);

	/* Port I/O, @size 1, 2 or 4.  NULL: reads all ones, drops writes. */
	int (*io_in)(struct afb_vcpu *vcpu, uint16_t port, unsigned int size,
		     uint32_t *val);
	int (*io_out)(struct afb_vcpu *vcpu, uint16_t port, unsigned int size,
		      uint32_t val);

	/*
	 * MSRs the core does not own.  A negative return (any errno) makes
	 * the instruction raise #GP(0).  NULL: every such MSR is #GP.
	 */
	int (*rdmsr)(struct afb_vcpu *vcpu, uint32_t msr, uint64_t *val);
	int (*wrmsr)(struct afb_vcpu *vcpu, uint32_t msr, uint64_t val);

	/* cpuid leaf @leaf, subleaf @sub: out = eax, ebx, ecx, edx.
	   NULL: all zeros (no features). */
	void (*cpuid)(struct afb_vcpu *vcpu, uint32_t leaf, uint32_t sub,
		      uint32_t out[4]);

	/* The guest's time stamp counter.  NULL: 0. */
	uint64_t (*rdtsc)(struct afb_vcpu *vcpu);

	/*
	 * Page tables: activate the root in vcpu->cr3 (after a CR3 load, or
	 * a CR0.PG / CR4 paging change), and flush one page or, with
	 * @all, every non-global (@global: every) translation.  A negative
	 * return of set_cr3 is passed up.  NULL: nothing to do.
	 */
	int (*set_cr3)(struct afb_vcpu *vcpu, uint64_t cr3);
	void (*flush_tlb)(struct afb_vcpu *vcpu, uint64_t gva, bool all,
			  bool global);

	/*
	 * A segment base that user-level code uses directly changed
	 * (@sreg AFB_FS or AFB_GS, after swapgs, wrmsr, wrfsbase, mov;
	 * AFB_GS also when KERNEL_GS_BASE is written): a host that runs
	 * guest code natively loads it into the real register.  @base is
	 * the active one (fs_base or gs_base).  NULL: nothing to do.
	 */
	void (*set_seg_base)(struct afb_vcpu *vcpu, enum afb_sreg sreg,
			     uint64_t base);

	/*
	 * 32-bit protected mode only (long mode uses set_seg_base): segment
	 * register @sreg now holds @sel with hidden part @h (also in
	 * vcpu->hidden[@sreg]).  Called for FS and GS at every load, which a
	 * host running the guest natively realises with descriptors of its
	 * own (the ptrace host: LDT entries of that base and limit); for
	 * CS, SS, DS and ES whenever the old or the new hidden part is not
	 * flat (see struct afb_seg_hidden), so such a host hears of every
	 * departure from the flat segments it runs with, and of the return
	 * to them.  Also called when a return to user mode nulls a register.
	 * A user-mode CS may be 16-bit (D clear: a guest program's LDT
	 * segment, reached by iret or lret): the core emulates no 16-bit
	 * code, and the host must not run it as 32-bit code (it may deliver
	 * #GP(0) to the guest kernel instead, with afb_vcpu_exception()).
	 * A negative return is passed up (a host failure: the instruction
	 * has taken effect).  NULL: nothing to do.
	 */
	int (*load_seg)(struct afb_vcpu *vcpu, enum afb_sreg sreg, uint16_t sel,
			const struct afb_seg_hidden *h);

	/*
	 * hlt (or mwait) with nothing pending: wait for an event, raising
	 * any interrupt that arrives with afb_vcpu_raise_irq().  May return
	 * with nothing raised; the core then leaves vcpu->halted set and the
	 * host must not run the guest until an interrupt is delivered.
	 * A negative return is passed up.  NULL: return at once.
	 */
	int (*idle)(struct afb_vcpu *vcpu);

	/*
	 * The guest just left for user mode (iret, sysret, sysexit or a far
	 * return to CPL3): @frame and vcpu->seg[] hold the user context.
	 * A notification only: the host must not run the guest from here;
	 * it runs @frame when the core call returns.  A negative return is
	 * passed up.  NULL: nothing to do.
	 */
	int (*enter_user)(struct afb_vcpu *vcpu, struct afb_frame *frame);

	/*
	 * The virtual CPU stopped for good: a triple fault, or hlt with
	 * interrupts off (@reason AFB_SHUTDOWN_*).  The call that stopped
	 * it also returns AFB_VCPU_SHUTDOWN.  NULL: nothing to do.
	 */
	void (*shutdown)(struct afb_vcpu *vcpu, int reason);
};

#define AFB_SHUTDOWN_TRIPLE_FAULT	1
#define AFB_SHUTDOWN_HALT		2	/* hlt with IF clear */
#define AFB_SHUTDOWN_TASK_GATE		3	/* an event reached a 32-bit task
						   gate: task switches are not
						   emulated */

/*
 * struct afb_vcpu - one virtual CPU.  Fields are plain data: a host may
 * read them at any time and set them before the guest runs (boot state),
 * never while a core call runs.
 *
 * Fast paths.  A host may emulate the hottest flag instructions of the
 * guest kernel itself, inline or in a thunk, without a core call, if it
 * does exactly what afb_vcpu_emulate() would, under these rules (the
 * ptrace host's thunk.c is the reference):
 *
 *  - only at CPL0 (vcpu->cpl == 0: IOPL never blocks cli/sti/popf IF),
 *    from the vcpu's own thread, never while a core call runs;
 *  - cli: clear AFB_RFLAGS_IF in vcpu->rflags;
 *  - sti: if any vector is pending (afb_vcpu_irq_pending()), call the
 *    core instead.  Else set IF and, if IF was clear, set vcpu->shadow
 *    with vcpu->shadow_rip = the address after the sti;
 *  - pushf (64-bit, or 32-bit in 32-bit mode): push afb_vcpu_rflags()
 *    without RF and VM; if IF is set and a vector is pending, call the
 *    core instead;
 *  - popf (64-bit, or 32-bit in 32-bit mode): load the value's IF and
 *    IOPL into vcpu->rflags and
 *    clear NT, AC and RF there, the real flags into the guest's real
 *    rflags; a value with TF, AC or NT set, or IF set with a vector
 *    pending, goes to the core (which may run the popf again: at CPL0
 *    its result depends only on the value);
 *  - the core ends any interrupt shadow at every instruction it
 *    emulates: a fast path clears vcpu->shadow too (a stale shadow only
 *    holds off one delivery attempt at shadow_rip);
 *  - 32-bit mode, a selector load of DS, ES, FS or GS (mov, pop): only
 *    with a descriptor the host has checked exactly as the core checks it
 *    (segment.c: present, data or readable code, DPL >= CPL and RPL) and
 *    read from the guest's current GDT or LDT as the core would (a cache
 *    must be dropped when lgdt, lldt or a store to the table may have
 *    changed it); it then sets seg[], seg_dpl[] and hidden[] as the core
 *    does and realises FS and GS as ops->load_seg would be told.  A store
 *    or push of a selector just reads seg[];
 *  - vcpu->count[] counts the core's emulations only.
 *
 * "Call the core instead" means emulating the instruction from the
 * state before it with afb_vcpu_emulate(): the core then delivers what
 * is pending when and where the CPU would.  Anything else, a 16-bit
 * operand, a fault on the stack, goes to the core as well.  A vector
 * raised while a fast path runs (a signal) stays pending until the next
 * delivery point, as it does while a core call runs.
 *
 * A host that wants such paths keeps the vcpu where its guest code can
 * address it: the fields they touch are rflags (IF is bit 1 of its
 * second byte, shared with IOPL and NT, so a store must mask: and/or,
 * not mov), pending[], shadow and shadow_rip.
 */
struct afb_vcpu {
	const struct afb_host_ops *ops;
	void *host;			/* the host's own state */

	uint64_t rflags;		/* AFB_RFLAGS_VIRT bits only */
	uint8_t cpl;			/* virtual privilege level: 0 or 3 */
	uint16_t seg[AFB_NR_SREGS];	/* selectors */
	uint8_t seg_dpl[AFB_NR_SREGS];	/* their descriptors' DPL */
	struct afb_seg_hidden hidden[AFB_NR_SREGS]; /* 32-bit mode only:
					   the registers' hidden parts; a
					   host that sets seg[] sets these */

	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t xcr0;
	uint64_t dr[8];			/* dr4/dr5 unused (aliases) */
	struct afb_dtr gdtr, idtr;
	struct afb_sysseg ldtr, tr;

	uint64_t efer, star, lstar, cstar, sfmask;
	uint64_t fs_base, gs_base, kernel_gs_base, tsc_aux;
	bool gs_swapped;		/* an odd number of swapgs so far */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;

	uint64_t pending[4];		/* bitmap of raised vectors 0-255 */
	bool halted;			/* in hlt: run nothing until an irq */
	bool shadow;			/* sti / mov ss interrupt shadow ... */
	uint64_t shadow_rip;		/* ... covers the insn at this rip */

	struct {			/* the exception an emulation raised */
		uint8_t vector;		/* AFB_EXC_* */
		uint32_t error_code;	/* pushed where the vector has one */
	} exc;

	uint64_t insn_rip;		/* core scratch: insn being emulated */
	uint64_t count[AFB_KIND_MAX + 1]; /* instructions emulated, by kind */
};

/* ---- The API ---------------------------------------------------------- */

/* Return values besides 0 and negative errnos. */
#define AFB_VCPU_EXCEPTION	1	/* deliver vcpu->exc (see below) */
#define AFB_VCPU_SHUTDOWN	2	/* triple fault or dead hlt */

/*
 * afb_vcpu_init - reset @vcpu to the state doc/guest-contract.md promises
 * at entry64: long mode, paging on, CPL0, interrupts off, flat kernel
 * selectors 0x08/0x10, empty descriptor tables.  The host then sets cr3
 * (and anything else it chose) before the first run.  @ops->mem_read and
 * @ops->mem_write must be set.
 */
void afb_vcpu_init(struct afb_vcpu *vcpu, const struct afb_host_ops *ops,
		   void *host);

/*
 * afb_vcpu_init32 - reset @vcpu to the 32-bit PVH entry state: protected
 * mode (CR0 = PE|ET), paging off, EFER 0, CPL0, interrupts off, flat
 * 32-bit CS 0x08 and DS/ES/SS 0x10 (FS/GS null), GDTR and IDTR empty,
 * TR a busy 32-bit TSS at 0 with limit 0x67.  The host then sets the
 * frame (%ebx = the hvm_start_info address, eip = the PVH entry point).
 */
void afb_vcpu_init32(struct afb_vcpu *vcpu, const struct afb_host_ops *ops,
		     void *host);

/* 64 in long mode (EFER.LMA), 32 in protected mode, 0 in real mode
   (which the core does not emulate). */
unsigned int afb_vcpu_mode(const struct afb_vcpu *vcpu);

/*
 * afb_vcpu_emulate - emulate one sensitive instruction
 * @frame: the guest's registers, @rip at the instruction (see struct
 *         afb_frame); @insn: the instruction, decoded by afb_decode()
 *
 * Returns:
 *  0   done: @frame is where the guest continues.  If the instruction
 *      ended with interrupts enabled and one was pending, it has been
 *      delivered (the frame is at its handler), except after sti, whose
 *      shadow lasts one more instruction; if it left for user mode,
 *      ops->enter_user has been told and vcpu->cpl is 3.
 *  AFB_VCPU_EXCEPTION  the instruction faulted: nothing changed, @frame
 *      still points at it, vcpu->exc says which exception.  The host
 *      delivers it with afb_vcpu_exception(vcpu, frame, vcpu->exc.vector,
 *      vcpu->exc.error_code).
 *  AFB_VCPU_SHUTDOWN  hlt with interrupts off, or a triple fault.
 *  -EOPNOTSUPP for an instruction decoded in another mode than
 *      afb_vcpu_mode() (or in real mode), or for what the core does not
 *      emulate (a 16-bit code segment, a switch to long or real mode),
 *      -EINVAL for an unknown kind, or a host op's error.
 */
int afb_vcpu_emulate(struct afb_vcpu *vcpu, struct afb_frame *frame,
		     const struct afb_insn *insn);

/*
 * Mark @vector pending (an interrupt controller asserted it).  Atomic:
 * safe from a signal handler, another thread or the idle op.  The core
 * delivers the highest pending vector first; a host that models an 8259
 * raises only the vector its PIC model selects.
 */
void afb_vcpu_raise_irq(struct afb_vcpu *vcpu, uint8_t vector);

/* True if a vector is pending (delivered or not). */
bool afb_vcpu_irq_pending(const struct afb_vcpu *vcpu);

/*
 * afb_vcpu_deliver_pending - deliver the highest pending vector if the
 * virtual IF is set and CR8 does not mask it.  @frame is the guest's state
 * at an instruction boundary (kernel or user mode; @rip the next
 * instruction).  Right after sti (or mov ss), one call made at the
 * instruction after it delivers nothing: the interrupt shadow, bounded so
 * that a guest spinning there is not starved.  Returns 1 if one was
 * delivered (@frame is at its handler, vcpu->cpl is 0), 0 if none could
 * be, AFB_VCPU_SHUTDOWN or a negative errno.  Call it from the vcpu's own
 * thread, like every call but afb_vcpu_raise_irq().
 */
int afb_vcpu_deliver_pending(struct afb_vcpu *vcpu, struct afb_frame *frame);

/*
 * afb_vcpu_exception - deliver exception @vector through the guest's IDT
 * @frame: the state the exception interrupts (@rip is pushed as is: the
 *         faulting instruction for a fault, the next one for a trap)
 *
 * Long mode: pushes SS, RSP, RFLAGS, CS, RIP and, for the vectors that
 * have one, @error_code, on the TSS rsp0 stack (from user mode), the IST
 * stack the gate names, or the current stack, 16-byte aligned.  32-bit
 * mode: 8-byte interrupt and trap gates; from user mode SS, ESP, EFLAGS,
 * CS, EIP (+ error code) on the TSS ss0:esp0 stack, within the kernel
 * EFLAGS, CS, EIP (+ error code) on the current one, 4 bytes each.  Both
 * clear IF for an interrupt gate, and TF, NT, RF and VM, and switch to
 * the gate's CPL.  A fault while doing so becomes #DF, and a fault
 * delivering #DF a shutdown; a 32-bit task gate is a shutdown
 * (AFB_SHUTDOWN_TASK_GATE), a 16-bit gate or handler -EOPNOTSUPP.  For
 * #PF the host sets vcpu->cr2 first.  Returns 0, AFB_VCPU_SHUTDOWN or a
 * negative errno.
 */
int afb_vcpu_exception(struct afb_vcpu *vcpu, struct afb_frame *frame,
		       uint8_t vector, uint32_t error_code);

/*
 * afb_vcpu_syscall - a guest user-mode 'syscall' the host intercepted
 * @frame: the user registers; @rip at the syscall instruction, @next_rip
 *         after it (0: @rip + 2).  PTRACE_SYSEMU reports the address after
 *         the instruction: pass that as @next_rip.
 *
 * RCX = return rip, R11 = rflags, rflags &= ~SFMASK, CS/SS from STAR,
 * rip = LSTAR, CPL 0.  With EFER.SCE clear it raises #UD (delivered).
 * Returns 0, AFB_VCPU_SHUTDOWN or a negative errno.
 */
int afb_vcpu_syscall(struct afb_vcpu *vcpu, struct afb_frame *frame);

/*
 * afb_vcpu_int - a guest user-mode 'int $@vector' the host intercepted
 * (the 32-bit guest's int $0x80 as a host system call)
 * @frame: the user registers; @rip at the int instruction, @next_rip
 *         after it (0: @rip + 2)
 *
 * The software interrupt as the CPU takes it: the gate's DPL must be at
 * least the CPL, else #GP(@vector * 8 + 2) is delivered with @rip at the
 * int.  Returns 0, AFB_VCPU_SHUTDOWN or a negative errno.
 */
int afb_vcpu_int(struct afb_vcpu *vcpu, struct afb_frame *frame,
		 uint8_t vector);

/*
 * afb_vcpu_sysenter - a guest user-mode 'sysenter' the host intercepted
 * @frame: the user registers; @rip at the sysenter (it is 2 bytes; the
 *         CPU saves no return address: the guest's entry code finds it)
 *
 * CS = SYSENTER_CS, SS = SYSENTER_CS + 8 (flat, as the CPU loads them
 * without reading the GDT), eip = SYSENTER_EIP, esp = SYSENTER_ESP,
 * CPL0, IF, VM and RF cleared.  #GP(0) if SYSENTER_CS is null, #UD in
 * long mode (the AMD behaviour the core models there).  Returns 0,
 * AFB_VCPU_SHUTDOWN or a negative errno.
 */
int afb_vcpu_sysenter(struct afb_vcpu *vcpu, struct afb_frame *frame);

/*
 * afb_vcpu_load_seg - load @sel into data segment register @sreg (ES,
 * SS, DS, FS or GS) with the checks the CPU makes at the current CPL, as
 * a mov to it does, for a host that learns only afterwards that guest
 * code loaded a selector (user code in a stub process).  Unlike
 * afb_vcpu_emulate() of that mov, nothing else happens: no frame moves,
 * no pending interrupt is delivered, no shadow opens (the guest's
 * instruction is long past).  In 32-bit mode ops->load_seg is told.
 * Returns 0, AFB_VCPU_EXCEPTION (the #GP, #NP or #SS the load raises, in
 * vcpu->exc; nothing changed), -EINVAL for CS or no segment register,
 * -EOPNOTSUPP in real mode, or a host op's error.
 */
int afb_vcpu_load_seg(struct afb_vcpu *vcpu, enum afb_sreg sreg, uint16_t sel);

/* The rflags value the guest sees: real and virtual bits merged. */
uint64_t afb_vcpu_rflags(const struct afb_vcpu *vcpu,
			 const struct afb_frame *frame);

#ifdef __cplusplus
}
#endif

#endif
