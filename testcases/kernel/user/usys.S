// System call stubs and the program entry. Linux's convention: number in
// %rax, arguments in %rdi, %rsi, %rdx, %r10 (syscall clobbers %rcx).
#include "../syscall.h"

.macro SYSCALL name, num
	.globl \name
\name:
	movl $\num, %eax
	movq %rcx, %r10
	syscall
	ret
.endm

	.section .text.start, "ax"
	.globl _start
// The kernel enters here with %rsp = USER_TOP (16-byte aligned) and the
// spawn argument in %rdi.
_start:
	xorl %ebp, %ebp
	call main
	movl %eax, %edi
	call exit

	.text
	SYSCALL write, SYS_write
	SYSCALL read, SYS_read
	SYSCALL exit, SYS_exit
	SYSCALL getpid, SYS_getpid
	SYSCALL yield, SYS_yield
	SYSCALL fork, SYS_fork
	SYSCALL spawn, SYS_spawn
	SYSCALL wait, SYS_wait
	SYSCALL pipe, SYS_pipe
	SYSCALL close, SYS_close
	SYSCALL sbrk, SYS_sbrk
	SYSCALL privloop, SYS_privloop
	SYSCALL uptime, SYS_uptime
	SYSCALL poweroff, SYS_poweroff
	SYSCALL cmdline, SYS_cmdline
	SYSCALL tsckhz, SYS_tsckhz

// long syscall_raw(long num, long a0, long a1, long a2)
	.globl syscall_raw
syscall_raw:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	syscall
	ret

	.section .note.GNU-stack, "", @progbits
