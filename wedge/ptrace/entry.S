/* SPDX-License-Identifier: MIT */
/*
 * The host's assembly: how the guest kernel reaches the wedge and how it
 * goes back, and the stub's code.
 *
 * struct afb_frame: gpr[16] at 0 (rax rcx rdx rbx rsp rbp rsi rdi r8-r15),
 * rip at 128, next_rip at 136, rflags at 144; 152 bytes.
 */
#define F_RSP		32
#define F_RIP		128
#define F_RFLAGS	144

#define STUB_DATA_ADDR	0x0000080000001000

	.text

/*
 * Every slow thunk ends here (thunk.c), having stored the guest's rsp
 * and its site index in struct wedge_data; the guest's stack is not
 * touched.  Switch to the wedge stack, save the registers as a struct
 * afb_frame (rflags first: nothing before it changes the flags), and let
 * C do the rest; then resume whatever the frame says.
 */
	.globl ptrace_thunk_common
	.type ptrace_thunk_common, @function
ptrace_thunk_common:
	leaq ptrace_wedge_stack_top-8(%rip), %rsp
	pushfq
	leaq -16(%rsp), %rsp			/* rip, next_rip: set in C */
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rdi
	pushq %rsi
	pushq %rbp
	pushq %rsp				/* placeholder: set in C */
	pushq %rbx
	pushq %rdx
	pushq %rcx
	pushq %rax
	cld
	movq %rsp, %rdi
	call ptrace_site_entry
	movq %rsp, %rdi
	jmp ptrace_resume
	.size ptrace_thunk_common, .-ptrace_thunk_common

/*
 * ptrace_resume(frame): load every register of @frame and continue at
 * frame->rip on frame->rsp.  The guest's stack is not touched (at the
 * syscall entry it is still the user's, which this process does not
 * map): rflags is popped from the stack we are on, rsp and rip come from
 * two host variables.  Nothing after the popfq changes the flags.
 */
	.globl ptrace_resume
	.type ptrace_resume, @function
ptrace_resume:
	movq F_RIP(%rdi), %rax
	movq %rax, resume_rip(%rip)
	movq F_RSP(%rdi), %rax
	movq %rax, resume_rsp(%rip)
	pushq F_RFLAGS(%rdi)
	movq 0(%rdi), %rax
	movq 8(%rdi), %rcx
	movq 16(%rdi), %rdx
	movq 24(%rdi), %rbx
	movq 40(%rdi), %rbp
	movq 48(%rdi), %rsi
	movq 64(%rdi), %r8
	movq 72(%rdi), %r9
	movq 80(%rdi), %r10
	movq 88(%rdi), %r11
	movq 96(%rdi), %r12
	movq 104(%rdi), %r13
	movq 112(%rdi), %r14
	movq 120(%rdi), %r15
	movq 56(%rdi), %rdi
	popfq
	movq resume_rsp(%rip), %rsp
	jmp *resume_rip(%rip)
	.size ptrace_resume, .-ptrace_resume

/*
 * A signal handler (trap.c) that caught the guest kernel sends it here,
 * on the wedge stack, after it returned: ptrace_trap_continue() emulates
 * or delivers, and returns the frame to resume.
 */
	.globl ptrace_trap_trampoline
	.type ptrace_trap_trampoline, @function
ptrace_trap_trampoline:
	cld
	call ptrace_trap_continue
	movq %rax, %rdi
	jmp ptrace_resume
	.size ptrace_trap_trampoline, .-ptrace_trap_trampoline

/*
 * Signal handler entries.  The guest kernel runs natively in this
 * process and may have changed the FS base (a native 'mov %ax, %fs' with
 * a null selector clears it on some CPUs, and nothing makes that trap):
 * FS is glibc's thread pointer, so restore the host's before any C code
 * (stack protector, errno) runs.  %rdi/%rsi/%rdx carry the handler's
 * arguments; the rest is free in a fresh handler frame.
 */
.macro SIGNAL_ENTRY name, handler
	.globl \name
	.type \name, @function
\name:
	cmpb $0, ptrace_have_fsgsbase(%rip)
	je 1f
	movq ptrace_host_fs_base(%rip), %rax
	wrfsbase %rax
	jmp \handler
1:	pushq %rdi
	pushq %rsi
	pushq %rdx
	movl $158, %eax				/* arch_prctl */
	movl $0x1002, %edi			/* ARCH_SET_FS */
	movq ptrace_host_fs_base(%rip), %rsi
	syscall
	popq %rdx
	popq %rsi
	popq %rdi
	jmp \handler
	.size \name, .-\name
.endm

	SIGNAL_ENTRY ptrace_fault_entry, ptrace_on_fault
	SIGNAL_ENTRY ptrace_alarm_entry, ptrace_on_alarm
	SIGNAL_ENTRY ptrace_quit_entry, ptrace_on_quit

/*
 * The stub's code page (copied to STUB_CODE_ADDR in every stub): run the
 * batch of system calls in the data page, store each result, then int3
 * back to the tracer.  Its syscall instruction is the only one the
 * stub's seccomp filter lets through.  Position independent.
 */
	.section .rodata
	.globl ptrace_stub_code, ptrace_stub_syscall, ptrace_stub_int3
	.globl ptrace_stub_code_end
	.balign 16
ptrace_stub_code:
	movabsq $STUB_DATA_ADDR, %rbx
	movq (%rbx), %r12
	leaq 16(%rbx), %r13
1:	testq %r12, %r12
	jz 2f
	movq 0(%r13), %rax
	movq 8(%r13), %rdi
	movq 16(%r13), %rsi
	movq 24(%r13), %rdx
	movq 32(%r13), %r10
	movq 40(%r13), %r8
	movq 48(%r13), %r9
ptrace_stub_syscall:
	syscall
	movq %rax, 56(%r13)
	addq $64, %r13
	decq %r12
	jmp 1b
2:
ptrace_stub_int3:
	int3
	jmp ptrace_stub_code
ptrace_stub_code_end:

/*
 * ptrace_run_on_wedge_stack(fn, arg): call fn(arg) on the wedge stack,
 * never to return.  main() runs the setup there (see asan.c).
 */
	.text
	.globl ptrace_run_on_wedge_stack
	.type ptrace_run_on_wedge_stack, @function
ptrace_run_on_wedge_stack:
	leaq ptrace_wedge_stack_top(%rip), %rsp
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	ud2
	.size ptrace_run_on_wedge_stack, .-ptrace_run_on_wedge_stack

	.bss
	.balign 16
resume_rip:
	.skip 8
resume_rsp:
	.skip 8
	.globl ptrace_host_fs_base, ptrace_have_fsgsbase
ptrace_host_fs_base:
	.skip 8
ptrace_have_fsgsbase:
	.skip 8
	.balign 4096
	.globl ptrace_wedge_stack_bottom
ptrace_wedge_stack_bottom:
	.skip 0x40000				/* the wedge stack */
	.globl ptrace_wedge_stack_top
ptrace_wedge_stack_top:

	.section .note.GNU-stack, "", @progbits
