/* SPDX-License-Identifier: MIT */
/*
 * The i386 mechanism's mode switches (compat.h).
 *
 * struct compat_regs: struct afb_frame (gpr[16] at 0: eax ecx edx ebx esp
 * ebp esi edi at 0..56, rip at 128, rflags at 144), then fs at 152, gs at
 * 156, index at 160; 168 bytes.
 *
 * Into 32-bit code: compat_resume() loads DS/ES with the flat 0x2b, %fs
 * and %gs with the frame's selectors (in 64-bit mode a selector load
 * takes the base from the descriptor: the LDT entry's, ldt.c), and
 * far-jumps to CS 0x23 with the frame's eip, esp and eflags.
 *
 * Out of it: an exit thunk below 4 GiB stores its index and far-jumps to
 * the 64-bit selector 0x33 at the landing pad, also below 4 GiB, whose
 * 'jmp *literal(%rip)' reaches compat_exit here, above 4 GiB.  The guest's
 * stack is never touched: compat_exit saves esp and the registers into
 * compat_exit_regs (static: one vCPU, one thread) from RIP-relative
 * stores, then moves to its own stack.
 */
#define R_ESP		32
#define R_EIP		128
#define R_EFLAGS	144
#define R_FS		152
#define R_GS		156
#define R_INDEX		160

#define COMPAT_CS32	0x23
#define COMPAT_DS	0x2b

#define NR_arch_prctl	158
#define ARCH_SET_FS	0x1002

/*
 * The eflags bits compat_resume gives 32-bit code: arithmetic, DF, AC,
 * ID; IF always.  Not TF: it would trap in the few host instructions
 * after the popfq (single-stepping is the core's: it resumes through a
 * signal return then).
 */
#define EFLAGS_USER	0x240cd5
#define EFLAGS_FIXED	0x202
/* What host C code runs with: IF, nothing else (no AC: Linux sets CR0.AM,
   so an AC left by the guest would fault unaligned host accesses). */
#define EFLAGS_HOST	0x202
#define EFLAGS_SLOW	0x40100			/* AC, TF: cld does not clear them */

	.text

/* Store the zero-extended 32-bit register \reg at offset \off. */
.macro SAVE32 reg, off
	movl %e\reg, compat_exit_regs+\off(%rip)
	movl $0, compat_exit_regs+\off+4(%rip)
.endm

/*
 * compat_exit: the landing pad jumps here, in 64-bit mode, with every
 * 32-bit register as the guest left it.  Save them (eflags before
 * anything changes the flags), give the host its flags (no TF, DF, AC),
 * restore the host's FS base in eager mode, and call
 * compat_exit_call(&compat_exit_regs); resume the frame it leaves, or
 * return its value from compat_enter().
 */
	.globl compat_exit
	.type compat_exit, @function
compat_exit:
	SAVE32 sp, R_ESP
	leaq compat_stack_top(%rip), %rsp
	pushfq
	popq compat_exit_regs+R_EFLAGS(%rip)
	SAVE32 ax, 0
	SAVE32 cx, 8
	SAVE32 dx, 16
	SAVE32 bx, 24
	SAVE32 bp, 40
	SAVE32 si, 48
	SAVE32 di, 56
	movq $0, compat_exit_regs+R_EIP(%rip)	/* the exit's index says */
	movl %fs, %eax
	movzwl %ax, %eax
	movl %eax, compat_exit_regs+R_FS(%rip)
	movl %gs, %eax
	movzwl %ax, %eax
	movl %eax, compat_exit_regs+R_GS(%rip)
	movq compat_slot_addr(%rip), %rax
	movl (%rax), %eax
	movl %eax, compat_exit_regs+R_INDEX(%rip)
	cld
	testl $EFLAGS_SLOW, compat_exit_regs+R_EFLAGS(%rip)
	jz 2f
	pushq $EFLAGS_HOST			/* popfq is slow: only for AC, TF */
	popfq
2:
	cmpb $0, compat_fs_eager(%rip)
	je 1f
	call compat_host_fs
1:	leaq compat_exit_regs(%rip), %rdi
	call *compat_exit_call(%rip)
	testl %eax, %eax
	jnz compat_leave
	leaq compat_exit_regs(%rip), %rdi
	jmp compat_resume
	.size compat_exit, .-compat_exit

/*
 * compat_resume(regs): run 32-bit code with @regs, never to return here.
 * Segment registers that already hold the right selector are not loaded
 * again (DS and ES keep 0x2b, and lazy exits leave %fs and %gs alone; the
 * LDT entries loaded are never rewritten, ldt.c).  compat_fs_guest is
 * set when %fs is loaded, before (a signal in between must restore the
 * host's base) and after (a signal in between may have restored it and
 * found a null selector to reload).
 * A far jump through memory (ljmp *m16:32) switches CS to 0x23: nothing
 * is popped from any stack (iretq would do, and QEMU's TCG, where these
 * tests run when the host kernel has no 32-bit code segment, pops an
 * iret frame as a supervisor access, which SMAP refuses).  eflags are
 * popped before the last moves (which keep them); esp is the last
 * register.  r8-r15 are cleared: 32-bit code cannot see them, but code
 * that far-jumps to 0x33 could, and they would hold host pointers.
 */
	.globl compat_resume
	.type compat_resume, @function
compat_resume:
	movl %ds, %eax				/* a load costs more than a read */
	cmpw $COMPAT_DS, %ax
	je 1f
	movl $COMPAT_DS, %eax
	movl %eax, %ds
1:	movl %es, %eax
	cmpw $COMPAT_DS, %ax
	je 2f
	movl $COMPAT_DS, %eax
	movl %eax, %es
2:	movl %fs, %eax				/* the same LDT selector: the same base */
	cmpw R_FS(%rdi), %ax
	je 3f
	movb $1, compat_fs_guest(%rip)		/* before and after: see below */
	movl R_FS(%rdi), %eax
	movl %eax, %fs
	movb $1, compat_fs_guest(%rip)
3:	movl %gs, %eax
	cmpw R_GS(%rdi), %ax
	je 4f
	movl R_GS(%rdi), %eax
	movl %eax, %gs
4:
	movl R_EIP(%rdi), %eax
	movl %eax, compat_far(%rip)
	movl R_ESP(%rdi), %eax
	movl %eax, compat_esp(%rip)
	movl R_EFLAGS(%rdi), %eax
	andl $EFLAGS_USER, %eax
	orl $EFLAGS_FIXED, %eax
	pushq %rax
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	movl 0(%rdi), %eax
	movl 8(%rdi), %ecx
	movl 16(%rdi), %edx
	movl 24(%rdi), %ebx
	movl 40(%rdi), %ebp
	movl 48(%rdi), %esi
	popfq
	movl 56(%rdi), %edi
	movl compat_esp(%rip), %esp
	ljmpl *compat_far(%rip)
	.size compat_resume, .-compat_resume

/*
 * compat_enter(regs): run 32-bit code until an exit's C function returns
 * non-zero; return that value, with the host's FS base back.  Not
 * nested.
 */
	.globl compat_enter
	.type compat_enter, @function
compat_enter:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, compat_host_rsp(%rip)
	jmp compat_resume
compat_leave:
	movq compat_host_rsp(%rip), %rsp
	pushq %rax
	call compat_host_fs
	popq %rax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size compat_enter, .-compat_enter

/*
 * compat_host_fs(): give FS the host's base (glibc's thread pointer)
 * again if compat_resume gave it a guest's (compat_fs_guest).  Not the
 * selector but a flag says so: loading a null selector clears the base
 * on Intel CPUs and keeps it on AMD ones.  ARCH_SET_FS leaves the
 * selector 0, as wrfsbase does after a null selector is loaded first.
 * The flag is cleared after the base is back (a signal in between
 * restores it once more).  Clobbers rax, rcx, rdx, rsi, rdi, r11 (a C
 * call's scratch registers).
 */
	.globl compat_host_fs
	.type compat_host_fs, @function
compat_host_fs:
	cmpb $0, compat_fs_guest(%rip)
	je 2f
	cmpb $0, compat_have_fsgsbase(%rip)
	jne 1f
	movl $NR_arch_prctl, %eax
	movl $ARCH_SET_FS, %edi
	movq compat_host_fs_value(%rip), %rsi
	syscall
	movb $0, compat_fs_guest(%rip)
	ret
1:	xorl %eax, %eax
	movl %eax, %fs
	movq compat_host_fs_value(%rip), %rax
	wrfsbase %rax
	movb $0, compat_fs_guest(%rip)
2:	ret
	.size compat_host_fs, .-compat_host_fs

/*
 * compat_signal_entry(sig, si, uc): the SA_SIGINFO handler for signals
 * that may interrupt 32-bit code (or 64-bit code running with a guest
 * %fs).  Linux leaves %fs and %gs as they were and does not restore them
 * at rt_sigreturn (a 64-bit frame has no room for them), so: note the
 * interrupted selectors in compat_sig_fs/gs, restore the host's FS base
 * (eager mode), call compat_signal_fn, and reload the (non-null)
 * selectors that C left in compat_sig_fs/gs (changed if it emulated a
 * segment load) before returning to the signal's restorer.
 */
	.globl compat_signal_entry
	.type compat_signal_entry, @function
compat_signal_entry:
	pushq %rdi
	pushq %rsi
	pushq %rdx
	movl %fs, %eax
	movzwl %ax, %eax
	movl %eax, compat_sig_fs(%rip)
	movl %gs, %eax
	movzwl %ax, %eax
	movl %eax, compat_sig_gs(%rip)
	pushq $EFLAGS_HOST
	popfq
	cmpb $0, compat_fs_eager(%rip)
	je 1f
	call compat_host_fs
1:	popq %rdx
	popq %rsi
	popq %rdi
	subq $8, %rsp
	call *compat_signal_fn(%rip)
	addq $8, %rsp
	movl compat_sig_fs(%rip), %eax
	testl $0xfffc, %eax
	jz 2f
	movb $1, compat_fs_guest(%rip)
	movl %eax, %fs
2:	movl compat_sig_gs(%rip), %eax
	testl $0xfffc, %eax
	jz 3f
	movl %eax, %gs
3:	ret
	.size compat_signal_entry, .-compat_signal_entry

	.data
	.balign 8
	.globl compat_exit_call, compat_signal_fn, compat_slot_addr
	.globl compat_host_fs_value, compat_sig_fs, compat_sig_gs
	.globl compat_fs_eager, compat_have_fsgsbase, compat_fs_guest
compat_exit_call:
	.quad 0
compat_signal_fn:
	.quad 0
compat_slot_addr:
	.quad 0
compat_host_fs_value:
	.quad 0
compat_host_rsp:
	.quad 0
compat_far:				/* m16:32 for compat_resume */
	.long 0
	.globl compat_resume_cs
compat_resume_cs:			/* 0x23; bench/compat-roundtrip: 0x33 */
	.word COMPAT_CS32
	.balign 4
compat_esp:
	.long 0
compat_sig_fs:
	.long 0
compat_sig_gs:
	.long 0
compat_fs_eager:
	.byte 1
compat_fs_guest:				/* FS has not the host's base */
	.byte 0
compat_have_fsgsbase:
	.byte 0

	.bss
	.balign 64
	.globl compat_exit_regs
compat_exit_regs:
	.skip 168
	.balign 4096
compat_stack_bottom:
	.skip 0x10000				/* the exits' stack */
compat_stack_top:

	.section .note.GNU-stack, "", @progbits
