// System call stubs and the program entry. Linux's convention: number in
// %rax, arguments in %rdi, %rsi, %rdx, %r10 (syscall clobbers %rcx).
#include "../syscall.h"

// (Not named SYSCALL: gas macro names ignore case and would swallow the
// syscall instruction itself.)
.macro STUB name, num
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
	STUB write, SYS_write
	STUB read, SYS_read
	STUB exit, SYS_exit
	STUB getpid, SYS_getpid
	STUB yield, SYS_yield
	STUB fork, SYS_fork
	STUB spawn, SYS_spawn
	STUB wait, SYS_wait
	STUB pipe, SYS_pipe
	STUB close, SYS_close
	STUB sbrk, SYS_sbrk
	STUB privloop, SYS_privloop
	STUB uptime, SYS_uptime
	STUB poweroff, SYS_poweroff
	STUB cmdline, SYS_cmdline
	STUB tsckhz, SYS_tsckhz

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
