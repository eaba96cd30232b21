// The trap path (i386): interrupt and exception vectors, the system call
// gate (int $SYSCALL_VECTOR), the way back to user mode (iret) and the
// context switch. Every entry builds a struct trapframe (frame.h) and
// calls C with a pointer to it.
#include "mmu.h"
#include "syscall.h"

// Below the vector and error code: the data segments, then pushal. The
// kernel runs with its own data segments whatever the user left there.
.macro SAVE_FRAME
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	pushal
	cld
	movl $KDATA_SEL, %eax
	movl %eax, %ds
	movl %eax, %es
.endm

// One stub per vector: push a zero where the CPU pushes no error code,
// then the vector number, then share alltraps.
.macro VECTOR n
	.p2align 4
vector\n:
	.if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushl $0                        // the CPU pushed no error code
	.endif
	pushl $\n
	jmp alltraps
.endm

	.text
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	VECTOR \n
	.endr

// From user mode the CPU has switched to the TSS's esp0 and pushed the
// user %esp and %ss; from kernel mode it pushed neither.
alltraps:
	SAVE_FRAME
	pushl %esp                      // trap(tf)
	call trap
	addl $4, %esp

// Return to whatever the frame at %esp describes, with interrupts off.
// New processes start here too (see allocproc).
	.globl trapret
trapret:
	popal
	popl %gs
	popl %fs
	popl %es
	popl %ds
	addl $8, %esp                   // trapno and error code
	iret

// int $SYSCALL_VECTOR: an interrupt gate with DPL 3, so interrupts are
// off until the frame is complete. The frame has the interrupt layout
// with trapno T_SYSCALL, so fork() can copy it and the child can leave
// through trapret.
	.globl syscall_entry
syscall_entry:
	pushl $0                        // error code
	pushl $T_SYSCALL                // trapno
	SAVE_FRAME
	sti                             // system calls run with interrupts on
	pushl %esp                      // syscall(tf)
	call syscall
	addl $4, %esp
	cli                             // from here on the frame is ours alone
	jmp trapret

// void swtch(struct context **old, struct context *new)
// Save the callee-saved registers on the current stack, store the stack
// pointer in *old, switch to new and pop its registers.
	.globl swtch
swtch:
	movl 4(%esp), %eax
	movl 8(%esp), %edx
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, (%eax)
	movl %edx, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

// Handler addresses for idt_init().
	.section .rodata
	.balign 4
	.globl vectors
vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.long vector\n
	.endr

	.section .note.GNU-stack, "", @progbits
