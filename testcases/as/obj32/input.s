# A --32 object: the kinds and forms that exist only outside 64-bit code.
	.text
	.globl	all32
all32:
	cli
	pushfl
	popfl
	push	%ds
	push	%es
	push	%ss
	push	%cs
	pushl	%fs
	pop	%ds
	pop	%es
	pop	%ss
	popl	%gs
	into
	lds	(%eax), %esi
	les	(%ebx), %edi
	lss	(%ecx), %esp
	ljmp	$0x10, $1f
1:	lcall	$0x18, $2f
2:	jmp	$0x08, $3f
3:	ljmp	*(%eax)
	lret
	iret
	mov	%cr0, %eax
	mov	%eax, %cr4
	mov	%dr7, %eax
	mov	%eax, %ds
	sysenter
	rdmsr
	int	$0x80
	ret
