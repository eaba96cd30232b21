/* SPDX-License-Identifier: MIT */
/*
 * The guest user programs of user32-test.c: 32-bit code (and 64-bit code
 * that hostile 32-bit code far-jumps to), copied to the guest's user
 * page U_CODE.  Each blob ends in an event the test checks.
 */
#include "user32-test.h"

#define UADDR(x)	(U_CODE + ((x) - user32_blobs))

	.section .rodata
	.globl user32_blobs, user32_blobs_end
	.globl u_syscall32, u_sysenter_fresh, u_sysenter_nostack, u_int80, u_int80_2, u_gs, u_gsload, u_gsload_mov, u_sysenter
	.globl u_pf, u_pf_ro, u_ud2, u_div, u_div_insn, u_int3, u_int3_after, u_cli
	.globl u_spin, u_gsload_spin, u_gsload_spin_loop, u_gsload_wait
	.globl u_gsload_wait_int80, u_far64, u_forge_ldt, u_int_n, u_syscall64
	.code32
	.balign 16
user32_blobs:

/* int $0x80 twice: eax 0x1234, then what the kernel returned + 1. */
u_int80:
	movl $0x1234, %eax
	movl $0x11, %ebx
	int $0x80
u_int80_2:
	addl $1, %eax
	int $0x80

/* %gs: through the TLS descriptor the guest gave it. */
u_gs:
	movl %gs:4, %eax
	int $0x80

/* user code loads the guest's TLS selector itself (glibc does) */
u_gsload:
	movl $U_TLS_SEL, %ecx
u_gsload_mov:
	movl %ecx, %gs
	movl %gs:4, %eax
	movl %gs, %ebx
	int $0x80

/* the 32-bit fast system call, as Linux's vDSO makes it */
u_sysenter:
	movl $0x1111, %ecx
	movl $0x2222, %edx
	movl $0x55aa, %ebp
	pushl %ecx
	pushl %edx
	pushl %ebp
	movl %esp, %ebp
	movl $7, %eax
	sysenter

/* syscall in 32-bit code: #UD on a 32-bit guest's CPU */
u_syscall32:
	movl $60, %eax
	movl $7, %ebx
	syscall

/* ... as the first thing user code does on a stack the stub has not
   touched yet */
u_sysenter_fresh:
	movl %esp, %ebp
	movl $7, %eax
	sysenter

/* ... with a stack the guest does not map */
u_sysenter_nostack:
	movl $U_NOTMAPPED + 0x100, %esp
	movl $7, %eax
	sysenter

/* a write to a page the guest does not map, then to a read-only one */
u_pf:
	movl $1, U_NOTMAPPED
u_pf_ro:
	movl $1, U_RO

u_ud2:
	ud2

u_div:
	xorl %ecx, %ecx
	movl $1, %eax
	xorl %edx, %edx
u_div_insn:
	divl %ecx

u_int3:
	int3
u_int3_after:
	nop

/* privileged at CPL3: the guest's #GP */
u_cli:
	cli

/* int $n other than 0x80: through the guest's IDT (a DPL0 gate: #GP) */
u_int_n:
	int $0x41

u_spin:
	jmp u_spin

/* user code loads %gs itself, then spins until the timer preempts it */
u_gsload_spin:
	movl $U_TLS_SEL, %ecx
	movl %ecx, %gs
u_gsload_spin_loop:
	jmp u_gsload_spin_loop

/* ... then waits for the test's word U_GO and makes a system call */
u_gsload_wait:
	movl $U_TLS_SEL, %ecx
	movl %ecx, %gs
1:	cmpl $0, U_GO
	je 1b
	movl $0x77, %eax
	int $0x80
u_gsload_wait_int80:

/* Hostile: 64-bit code through the host's selector 0x33, a system call */
u_far64:
	ljmp $0x33, $UADDR(far64_code)

/* Hostile: 64-bit code calls the stub's own syscall instruction with a
   modify_ldt of its choosing (slot 4: the guest's %gs), then ud2 */
u_forge_ldt:
	ljmp $0x33, $UADDR(forge_code)

/* Hostile: 64-bit code's syscall (exit_group) */
u_syscall64:
	ljmp $0x33, $UADDR(far64_code)

	.code64
far64_code:
	movl $231, %eax		/* exit_group */
	xorl %edi, %edi
	syscall
	ud2
forge_code:
	movl $154, %eax		/* modify_ldt */
	movl $0x11, %edi
	movl $U_FORGE_DESC, %esi
	movl $16, %edx
	movq U_SYSCALL_PTR, %rcx
	call *%rcx
	movq %rax, %rbx
	ud2
	.code32
user32_blobs_end:

	.section .note.GNU-stack, "", @progbits
