# The i386 sensitive set in 32-bit code (--32), as Linux's i386 entry and
# boot code write it: far transfers, segment registers in every form,
# the 32-bit spellings (iretl, pushfl, lretl, ljmpl), sysexit, .byte forms,
# and the kinds that are no site by default (sysenter, syscall, arpl:
# doc/sensitive.md), which the audit counts.
	.text
	.globl	entry32
entry32:
	pushfl
	popfl
	iretl
	iret
	sysexit
	lret
	lretl	$8
	lretw
	ljmp	$0x60, $1f
1:	ljmpl	*(%eax)
	ljmpw	*(%ebx)
	lcall	$0x7b, $2f
2:	lcall	*0x10(%esi)
	lcalll	*(%ecx)
	push	%cs
	push	%ss
	push	%ds
	push	%es
	push	%fs
	push	%gs
	pushl	%fs
	pushw	%ds
	pop	%ss
	pop	%ds
	pop	%es
	pop	%fs
	pop	%gs
	popl	%gs
	popw	%es
	movl	%ss, %eax
	mov	%cs, (%esp)
	movw	%ax, %ss
	movl	%eax, %fs
	mov	(%ebx), %gs
	movl	%gs, %ecx
	lss	(%ecx), %esp
	lds	4(%esp), %esi
	les	(%ebx), %edi
	lfs	(%eax), %edx
	lgs	(%edx), %ebx
	lssw	(%eax), %sp
	int	$0x80
	into
	int1
	sti
	hlt
	cli
	clts
	lar	%eax, %ecx
	lsl	(%eax), %edx
	verr	%ax
	str	%eax
	sldt	%eax
	smsw	%eax
	lmsw	%ax
	sgdtl	(%eax)
	sidtl	(%eax)
	lgdtl	(%eax)
	lidtl	(%eax)
	lldt	%ax
	ltr	%ax
	invlpg	(%eax)
	mov	%cr3, %eax
	mov	%eax, %cr3
	mov	%db6, %eax
	mov	%eax, %db7
	inb	$0x60, %al
	outb	%al, $0x80
	inl	(%dx), %eax
	rep insl
	rep outsb
	rdmsr
	wrmsr
	rdtsc
	rdpmc
	cpuid
	wbinvd
	# .byte spellings of two bytes or more (a lone opcode byte is left to
	# the audit, doc/notes.md): sysexit, iretw, pop %fs, lretw $4
	.byte	0x0f, 0x35
	.byte	0x66, 0xcf
	.byte	0x0f, 0xa1
	.byte	0x66, 0xca, 0x04, 0x00
	# No sites by default: counted by the audit.
	sysenter
	syscall
	arpl	%ax, %bx
	ret
