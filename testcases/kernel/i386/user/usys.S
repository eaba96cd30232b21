// System call stubs and the program entry (i386). Linux's i386
// convention: number in %eax, arguments in %ebx, %ecx, %edx, %esi, the
// gate int $SYSCALL_VECTOR, result in %eax. The C callers pass the
// arguments on the stack (cdecl); %ebx and %esi are callee-saved.
#include "../syscall.h"

// (Not named SYSCALL: gas macro names ignore case.)
.macro STUB name, num
	.globl \name
\name:
	pushl %ebx
	pushl %esi
	movl 12(%esp), %ebx
	movl 16(%esp), %ecx
	movl 20(%esp), %edx
	movl 24(%esp), %esi
	movl $\num, %eax
	int $SYSCALL_VECTOR
	popl %esi
	popl %ebx
	ret
.endm

	.section .text.start, "ax"
	.globl _start
// The kernel enters here with %esp = USER_TOP (16-byte aligned) and the
// spawn argument in %eax.
_start:
	xorl %ebp, %ebp
	subl $12, %esp                  // %esp 16-byte aligned at the call
	pushl %eax
	call main
	movl %eax, (%esp)
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
	pushl %ebx
	pushl %esi
	movl 12(%esp), %eax
	movl 16(%esp), %ebx
	movl 20(%esp), %ecx
	movl 24(%esp), %edx
	int $SYSCALL_VECTOR
	popl %esi
	popl %ebx
	ret

	.section .note.GNU-stack, "", @progbits
