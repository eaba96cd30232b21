# Sensitive instructions in .macro, .rept and .irp bodies, including a
# mnemonic that is a macro argument (Linux's msr-reg.S) and a whole
# statement that is one (Linux's ALTERNATIVE).
.macro op_safe_regs op
	pushq	%rbx
1:	\op
2:	popq	%rbx
	jmp	1b
.endm

.macro ALTERNATIVE oldinstr, newinstr, feature
140:
	\oldinstr
141:
	.skip -(((144f-143f)-(141b-140b)) > 0) * ((144f-143f)-(141b-140b)),0x90
142:
	.pushsection .altinstructions,"a"
	.long 140b - .
	.long 143f - .
	.word \feature
	.byte 142b-140b
	.byte 144f-143f
	.popsection
	.pushsection .altinstr_replacement,"ax"
143:
	\newinstr
144:
	.popsection
.endm

.macro IRQ_OFF
	cli
.endm

.macro CR op, reg
	\op	\reg, %cr4
.endm

.macro TO32_AND_BACK
	.code32
	in	$0x60, %al
	.code64
.endm

.macro LEAVE32
	.code32
.endm

	.text
	.globl	m
m:
	op_safe_regs rdmsr
	op_safe_regs wrmsr
	op_safe_regs nop
	ALTERNATIVE "", ".byte 0x0f,0x01,0xcb", 9*32+20
	ALTERNATIVE "", "clac", 9*32+20
	ALTERNATIVE "pushf", "nop", 1
	ALTERNATIVE "jmp .Lskip", "", 2
.Lskip:
	IRQ_OFF
	IRQ_OFF
	CR mov, %rax
	TO32_AND_BACK
	.rept 3
	rdtsc
	.endr
	.irp insn, cpuid, nop, swapgs
	\insn
	.endr
	.irpc n, 012
	mov	%dr\n, %rax
	.endr
	.section .init.text,"ax",@progbits
	IRQ_OFF
	LEAVE32
	sti
	.code64
	ret

# Linux's FILL_RETURN_BUFFER hands ALTERNATIVE a whole list of statements,
# with commas and ';', as one argument: the cascade must compare it quoted.
	ALTERNATIVE "", "mov $(32/2), %rax; 771: call 772f; int3; 772: add $8, %rsp", 3
