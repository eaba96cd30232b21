// The trap path: interrupt and exception vectors, the syscall entry, the
// two ways back to user mode (iretq and sysretq) and the context switch.
// Every entry builds a struct trapframe (proc.h) and calls C with it.
#include "mmu.h"

#define TF_CS      144              // offsetof(struct trapframe, cs)
#define CPU_KSTACK 0                // offsetof(struct cpu, kstack_top)
#define CPU_USTASH 8                // offsetof(struct cpu, user_rsp)

.macro PUSH_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro POP_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
.endm

// One stub per vector: push a zero where the CPU pushes no error code,
// then the vector number, then share alltraps.
.macro VECTOR n
	.p2align 4
vector\n:
	.if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	.else
	pushq $0                        // the CPU pushed no error code
	.endif
	pushq $\n
	jmp alltraps
.endm

	.text
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	VECTOR \n
	.endr

// From user mode the CPU has switched to tss.rsp0; GS still holds the user
// base, so swap in the per-CPU one. From kernel mode nothing is swapped.
alltraps:
	PUSH_REGS
	cld
	testb $3, TF_CS(%rsp)
	jz 1f
	swapgs
1:	movq %rsp, %rdi
	call trap

// Return to whatever the frame at %rsp describes, with interrupts off.
// New processes start here too (see allocproc).
	.globl trapret
trapret:
	testb $3, TF_CS(%rsp)
	jz 1f
	swapgs
1:	POP_REGS
	addq $16, %rsp                  // trapno and error code
	iretq

// syscall: rip in %rcx, rflags in %r11, still on the user stack, and
// SFMASK has cleared IF. The frame gets the same layout as an interrupt
// frame, so fork() can copy it and the child can leave through trapret.
	.globl syscall_entry
syscall_entry:
	swapgs
	movq %rsp, %gs:CPU_USTASH
	movq %gs:CPU_KSTACK, %rsp
	pushq $UDATA_SEL                // ss
	pushq %gs:CPU_USTASH            // rsp
	pushq %r11                      // rflags
	pushq $UCODE_SEL                // cs
	pushq %rcx                      // rip
	pushq $0                        // error code
	pushq $T_SYSCALL                // trapno
	PUSH_REGS
	sti                             // system calls run with interrupts on
	movq %rsp, %rdi
	call syscall
	cli                             // from here on the frame is ours alone

	// sysretq takes rip from %rcx and rflags from %r11: reload them from
	// the frame, so the kernel may have changed either.
	POP_REGS
	addq $16, %rsp                  // trapno and error code
	popq %rcx                       // rip
	addq $8, %rsp                   // cs: sysretq sets it from STAR
	popq %r11                       // rflags
	popq %rsp                       // user rsp (ss is set from STAR)
	swapgs
	sysretq

// void swtch(struct context **old, struct context *new)
// Save the callee-saved registers on the current stack, store the stack
// pointer in *old, switch to new and pop its registers.
	.globl swtch
swtch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

// Handler addresses for idt_init().
	.section .rodata
	.balign 8
	.globl vectors
vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.quad vector\n
	.endr

	.section .note.GNU-stack, "", @progbits
