/* SPDX-License-Identifier: MIT */
/*
 * The code page of a --user=seccomp stub (stub-seccomp.c): copied to
 * STUB_CODE_ADDR, its shared page one page above.  Position independent;
 * it touches no memory but the shared page and the signal stack.
 *
 * ptrace_sc_handler is the handler of every signal the stub can get
 * (SIGSYS from its seccomp filter, the faults, the host's tick).  It
 * copies the registers and the signal's facts into the shared page,
 * posts SC_EVENT, wakes the host and sleeps until SC_REPLY; then runs
 * the host's batch of mmap/munmap/mprotect calls (if any) and resumes
 * the registers of the reply.  It never returns through rt_sigreturn
 * (the filter does not allow it) and blocks no signal (SA_NODEFER, an
 * empty sa_mask): guest user code cannot change the stub's signal mask.
 *
 * A signal taken while the stub's own code runs on its own stacks: one
 * that was sent (the host's tick, kill(1) from outside) is dropped (the
 * host is about to see an event anyway), and the interrupted code goes
 * on; anything else there is guest user code that jumped into the stub,
 * and is posted as its event.
 *
 * All system calls go through one instruction (ptrace_sc_syscall_ip),
 * the only one the filter allows any call from.
 */
#define STUB_CODE_ADDR	0x0000080000000000
#define STUB_DATA_ADDR	0x0000080000001000
#include "stub-seccomp.h"

#define SYS_futex	202
#define SYS_arch_prctl	158
#define FUTEX_WAIT	0
#define FUTEX_WAKE	1
#define ARCH_SET_GS	0x1001
#define ARCH_SET_FS	0x1002

#define D(off)		(ptrace_sc_code + 0x1000 + (off))(%rip)
#define REPLY(i)	D(SC_REPLY_REGS + 8 * (i))

	.section .rodata
	.globl ptrace_sc_code, ptrace_sc_handler, ptrace_sc_start
	.globl ptrace_sc_syscall_ip, ptrace_sc_code_end
	.balign 16
ptrace_sc_code:

/* The one system call instruction: rax, rdi, rsi, rdx, r10, r8, r9. */
sc_syscall:
	syscall
ptrace_sc_syscall_ip:
	ret

/* Set up by the child (stub-seccomp.c), rdi its listener: post "ready"
   (signal 0). */
ptrace_sc_start:
	movq %rdi, D(SC_LISTENER)
	movq $0, D(SC_INFO)
	movq $0, D(SC_FPREGS)
	jmp sc_post

/* rdi: signal, rsi: siginfo_t *, rdx: ucontext_t *. */
ptrace_sc_handler:
	cld
	movq SC_UC_GREGS + 8 * SC_REG_RIP(%rdx), %rax
	leaq ptrace_sc_code(%rip), %rcx
	subq %rcx, %rax
	cmpq $SC_CODE_LEN, %rax
	jae sc_event
	/* In the stub's code.  At its last instruction, the guest's
	   registers are all in place but rip: an event of the guest's. */
	cmpq $sc_final_jmp - ptrace_sc_code, %rax
	jne 1f
	movq REPLY(SC_REG_RIP), %rax
	movq %rax, SC_UC_GREGS + 8 * SC_REG_RIP(%rdx)
	jmp sc_event
	/* The 32-bit resume's far jump: all in place but rip and cs. */
1:	cmpq $sc_final_ljmp - ptrace_sc_code, %rax
	jne 7f
	movq REPLY(SC_REG_RIP), %rax
	movq %rax, SC_UC_GREGS + 8 * SC_REG_RIP(%rdx)
	movw $SC_CS32, SC_UC_GREGS + 8 * SC_REG_CSGSFS(%rdx)
	jmp sc_event
7:	cmpl $0, 8(%rsi)
	jg sc_event
	/* A signal someone sent (si_code <= 0: the tick, kill(1)) while
	   on the stub's own stacks: let that code go on. */
	movq SC_UC_GREGS + 8 * SC_REG_RSP(%rdx), %rax
	movabsq $SC_STACK_ADDR, %rcx
	subq %rcx, %rax
	cmpq $SC_STACKS_SIZE, %rax
	jae sc_event
	/* The host logs who sent it (at the next event). */
	cmpl $32, %edi
	jae sc_return_uc
	shll $4, %edi
	leaq D(SC_DROPPED), %rcx
	movq 16(%rsi), %rax
	movq %rax, (%rcx, %rdi)
	movslq 8(%rsi), %rax
	movq %rax, 8(%rcx, %rdi)
	movq $1, D(SC_DROPPED_ANY)
	jmp sc_return_uc

sc_event:
	movw %es, D(SC_EV_SEGS)
	movw %ds, D(SC_EV_SEGS + 2)
	movw %fs, D(SC_EV_SEGS + 4)
	movw %gs, D(SC_EV_SEGS + 6)
	movq %rdx, %rbx
	leaq D(SC_INFO), %rdi
	movl $SC_INFO_QWORDS, %ecx
	rep movsq
	leaq SC_UC_GREGS(%rbx), %rsi
	leaq D(SC_GREGS), %rdi
	movl $SC_NGREGS, %ecx
	rep movsq
	call sc_save_fpu

/* Post the event, wake the host, sleep until its reply: on our stack. */
sc_post:
	movabsq $SC_OWN_STACK_TOP, %rsp
	movl $SC_EVENT, D(SC_STATE)
	leaq D(SC_STATE), %rdi
	movl $FUTEX_WAKE, %esi
	movl $1, %edx
	xorl %r10d, %r10d
	movl $SYS_futex, %eax
	call sc_syscall
sc_wait:
	movabsq $SC_OWN_STACK_TOP, %rsp
	movl D(SC_STATE), %edx
	cmpl $SC_REPLY, %edx
	je sc_reply
	leaq D(SC_STATE), %rdi
	movl $FUTEX_WAIT, %esi
	xorl %r10d, %r10d
	movl $SYS_futex, %eax
	call sc_syscall
	jmp sc_wait

/* The host's batch first, each result stored in its op. */
sc_reply:
	movabsq $SC_OWN_STACK_TOP, %rsp
	movq D(SC_COUNT), %r12
	leaq D(SC_OPS), %r13
	cmpq $SC_MAX_OPS, %r12
	jbe 1f
	xorl %r12d, %r12d
1:	testq %r12, %r12
	jz 2f
	movq 0(%r13), %rax
	movq 8(%r13), %rdi
	movq 16(%r13), %rsi
	movq 24(%r13), %rdx
	movq 32(%r13), %r10
	movq 40(%r13), %r8
	movq 48(%r13), %r9
	call sc_syscall
	movq %rax, 56(%r13)
	addq $64, %r13
	decq %r12
	jmp 1b
2:	movq $0, D(SC_COUNT)
	cmpq $0, D(SC_BATCH_ONLY)
	je 3f
	movq $0, D(SC_BATCH_ONLY)
	movq $0, D(SC_INFO)
	jmp sc_post

3:	cmpq $0, D(SC_SET_FS)
	je 4f
	movq $0, D(SC_SET_FS)
	movl $ARCH_SET_FS, %edi
	movq D(SC_FS_BASE), %rsi
	movl $SYS_arch_prctl, %eax
	call sc_syscall
4:	cmpq $0, D(SC_SET_GS)
	je 5f
	movq $0, D(SC_SET_GS)
	movl $ARCH_SET_GS, %edi
	movq D(SC_GS_BASE), %rsi
	movl $SYS_arch_prctl, %eax
	call sc_syscall
5:	xorl %ebx, %ebx
	cmpq $0, D(SC_FPREGS)
	je 6f
	movabsq $SC_FPU_ADDR, %rbx
6:	call sc_restore_fpu
	movl $SC_RUN, D(SC_STATE)
	cmpq $0, D(SC_MODE32)
	jne sc_resume32

/* Resume the reply's registers: flags first (on our stack), rsp, rip last. */
	pushq REPLY(SC_REG_EFL)
	popfq
	movq REPLY(0), %r8
	movq REPLY(1), %r9
	movq REPLY(2), %r10
	movq REPLY(3), %r11
	movq REPLY(4), %r12
	movq REPLY(5), %r13
	movq REPLY(6), %r14
	movq REPLY(7), %r15
	movq REPLY(8), %rdi
	movq REPLY(9), %rsi
	movq REPLY(10), %rbp
	movq REPLY(11), %rbx
	movq REPLY(12), %rdx
	movq REPLY(13), %rax
	movq REPLY(14), %rcx
	movq REPLY(SC_REG_RSP), %rsp
sc_final_jmp:
	jmp *REPLY(SC_REG_RIP)

/*
 * A 32-bit guest's user code: its selectors (those the host made: flat
 * 0x2b, null, or LDT entries of its batch), flags, registers, esp last,
 * then a far jump through memory to CS 0x23 (no iretq: QEMU's TCG pops
 * its frame as a supervisor access, which SMAP refuses).  SS keeps the
 * flat 0x2b that signal delivery loaded.
 */
sc_resume32:
	movw D(SC_RE_SEGS), %es
	movw D(SC_RE_SEGS + 2), %ds
	movw D(SC_RE_SEGS + 4), %fs
	movw D(SC_RE_SEGS + 6), %gs
	movl REPLY(SC_REG_RIP), %eax
	movl %eax, D(SC_FAR)
	movw $SC_CS32, D(SC_FAR + 4)
	pushq REPLY(SC_REG_EFL)
	popfq
	movq REPLY(0), %r8
	movq REPLY(1), %r9
	movq REPLY(2), %r10
	movq REPLY(3), %r11
	movq REPLY(4), %r12
	movq REPLY(5), %r13
	movq REPLY(6), %r14
	movq REPLY(7), %r15
	movq REPLY(8), %rdi
	movq REPLY(9), %rsi
	movq REPLY(10), %rbp
	movq REPLY(11), %rbx
	movq REPLY(12), %rdx
	movq REPLY(13), %rax
	movq REPLY(14), %rcx
	movl REPLY(SC_REG_RSP), %esp
sc_final_ljmp:
	ljmpl *D(SC_FAR)

/*
 * rbx: the ucontext of the event.  Copy its FPU state (xsave format with
 * its size in fx_sw_bytes, or plain fxsave) to SC_FPU_ADDR, so that the
 * signal stack is free again.
 */
sc_save_fpu:
	movq $0, D(SC_FPREGS)
	movq SC_UC_FPREGS(%rbx), %rsi
	testq %rsi, %rsi
	jz 2f
	movl $SC_FXSAVE_SIZE, %ecx
	cmpl $SC_FP_XSTATE_MAGIC1, SC_FP_MAGIC_OFF(%rsi)
	jne 1f
	movl SC_FP_SIZE_OFF(%rsi), %ecx
	cmpl $SC_FPU_MAX, %ecx
	ja 2f
	cmpl $SC_FXSAVE_SIZE, %ecx
	jb 2f
1:	movabsq $SC_FPU_ADDR, %rdi
	rep movsb
	movq $1, D(SC_FPREGS)
2:	ret

/* rbx: the FPU state of a signal frame (xsave, or fxsave), or 0. */
sc_restore_fpu:
	testq %rbx, %rbx
	jz 2f
	cmpl $SC_FP_XSTATE_MAGIC1, SC_FP_MAGIC_OFF(%rbx)
	jne 1f
	movl $-1, %eax
	movl $-1, %edx
	xrstor64 (%rbx)
	ret
1:	fxrstor64 (%rbx)
2:	ret

/*
 * Back to the stub code a tick interrupted (rdx: its ucontext), on its
 * own stack: rip goes just below its rsp, which that code never uses
 * (the signal frame is below that again).
 */
sc_return_uc:
	movq %rdx, %rsp
	movq SC_UC_FPREGS(%rsp), %rbx
	call sc_restore_fpu
	movq SC_UC_GREGS + 8 * SC_REG_RSP(%rsp), %rax
	subq $8, %rax
	movq SC_UC_GREGS + 8 * SC_REG_RIP(%rsp), %rcx
	movq %rcx, (%rax)
	movq %rax, SC_UC_GREGS + 8 * SC_REG_RSP(%rsp)
	movq SC_UC_GREGS + 0(%rsp), %r8
	movq SC_UC_GREGS + 8(%rsp), %r9
	movq SC_UC_GREGS + 16(%rsp), %r10
	movq SC_UC_GREGS + 24(%rsp), %r11
	movq SC_UC_GREGS + 32(%rsp), %r12
	movq SC_UC_GREGS + 40(%rsp), %r13
	movq SC_UC_GREGS + 48(%rsp), %r14
	movq SC_UC_GREGS + 56(%rsp), %r15
	movq SC_UC_GREGS + 64(%rsp), %rdi
	movq SC_UC_GREGS + 72(%rsp), %rsi
	movq SC_UC_GREGS + 80(%rsp), %rbp
	movq SC_UC_GREGS + 88(%rsp), %rbx
	movq SC_UC_GREGS + 96(%rsp), %rdx
	movq SC_UC_GREGS + 104(%rsp), %rax
	movq SC_UC_GREGS + 112(%rsp), %rcx
	leaq SC_UC_GREGS + 8 * SC_REG_EFL(%rsp), %rsp
	popfq
	movq -8 * (SC_REG_EFL + 1 - SC_REG_RSP)(%rsp), %rsp
	ret
ptrace_sc_code_end:

	.section .note.GNU-stack, "", @progbits
