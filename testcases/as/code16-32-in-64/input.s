# .code16 and .code32 parts of a 64-bit object, as in a kernel's boot and
# trampoline code.  Mode notes let the audit disassemble each part right.
	.text
	.code16
start16:
	cli
	lgdtl	gdt_desc
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$0x08, $start32
	.code32
start32:
	mov	$0x10, %ax
	mov	%ax, %ds
	push	%ds
	pop	%es
	in	$0x92, %al
	sti
	ljmp	$0x18, $start64
	.code64
start64:
	cli
	swapgs
	rdmsr
	.code16gcc
	hlt
	outb	%al, $0x80
	.code64
	pushfq
	ret
	.section .text.trampoline,"ax",@progbits
	.code32
	cpuid
	.code64
	wbinvd
	.data
gdt_desc:
	.word	0
	.long	0
