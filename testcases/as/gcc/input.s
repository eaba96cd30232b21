	.file	"g.c"
	.text
	.section	.text.irq_save,"ax",@progbits
	.p2align 4
	.globl	irq_save
	.type	irq_save, @function
irq_save:
#APP
# 16 "input.c" 1
	pushf ; pop %rax ; cli
# 0 "" 2
#NO_APP
	ret
	.size	irq_save, .-irq_save
	.section	.text.irq_restore,"ax",@progbits
	.p2align 4
	.globl	irq_restore
	.type	irq_restore, @function
irq_restore:
#APP
# 22 "input.c" 1
	push %rdi ; popf
# 0 "" 2
#NO_APP
	ret
	.size	irq_restore, .-irq_restore
	.section	.init.text,"ax",@progbits
	.p2align 4
	.globl	early
	.type	early, @function
early:
	movl	$17, %eax
#APP
# 10 "input.c" 1
	outb %al, $32
# 0 "" 2
# 4 "input.c" 1
	mov %cr0, %rax
# 0 "" 2
#NO_APP
	testb	$1, %al
	je	.L4
#APP
# 29 "input.c" 1
	sti; hlt
# 0 "" 2
#NO_APP
.L4:
	ret
	.size	early, .-early
	.section	.text.tsc,"ax",@progbits
	.p2align 4
	.globl	tsc
	.type	tsc, @function
tsc:
#APP
# 35 "input.c" 1
	rdtsc
# 0 "" 2
#NO_APP
	salq	$32, %rdx
	movl	%eax, %eax
	orq	%rdx, %rax
	ret
	.size	tsc, .-tsc
	.ident	"GCC: (Debian 12.2.0-14+deb12u1) 12.2.0"
	.section	.note.GNU-stack,"",@progbits
