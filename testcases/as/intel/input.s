# Intel syntax, with and without register prefixes.
	.intel_syntax noprefix
	.text
	.globl	intel
intel:
	cli
	mov	rax, cr0
	mov	cr3, rax
	mov	rax, dr7
	mov	ax, ds
	mov	es, ax
	mov	rax, QWORD PTR fs:0x28
	push	fs
	pop	gs
	in	al, 0x60
	out	dx, al
	int	3
	lgdt	[rax]
	jmp	FWORD PTR [rax]
	call	FWORD PTR [rbx]
	iretq
	rdtsc
	.intel_syntax prefix
	mov	%rax, %cr4
	mov	%rax, %rbx
	.att_syntax
	sti
	mov	%cr2, %rax
	ret
