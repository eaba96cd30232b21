# Every kind that exists in 64-bit code, in its operand forms.
	.text
	.globl	all64
all64:
	cli
	sti
	pushf
	pushfq
	popf
	popfq
	hlt
	in	$0x60, %al
	inb	$0x61, %al
	in	$0x60, %eax
	in	(%dx), %al
	inw	%dx, %ax
	inl	%dx, %eax
	out	%al, $0x80
	outb	%al, $0x80
	outl	%eax, $0x80
	out	%al, (%dx)
	outw	%ax, %dx
	insb
	insw
	insl
	outsb
	outsl
	mov	%cr0, %rax
	movq	%rax, %cr3
	mov	%r8, %cr8
	mov	%cr4, %r15
	mov	%db7, %rax
	mov	%rax, %dr0
	movq	%dr6, %rcx
	mov	%ds, %eax
	mov	%ax, %es
	movw	%fs, (%rdi)
	movl	%eax, %ss
	mov	%fs:0x28, %rax
	mov	%gs:(%rbx), %ecx
	push	%fs
	push	%gs
	pushq	%fs
	pop	%fs
	pop	%gs
	popq	%gs
	push	%rax
	pop	%rbx
	lgdt	(%rax)
	lidt	0x10(%rsp)
	lldt	%ax
	lldt	(%rdi)
	ltr	%cx
	sgdt	(%rax)
	sidt	(%rax)
	sldt	%eax
	str	%eax
	str	(%rsi)
	smsw	%eax
	lmsw	%ax
	clts
	invlpg	(%rax)
	invpcid	(%rax), %rcx
	invd
	wbinvd
	rdmsr
	wrmsr
	rdtsc
	rdtscp
	rdpmc
	cpuid
	xgetbv
	xsetbv
	swapgs
	iretl
	iretq
	sysretl
	sysretq
	sysexitl
	sysexitq
	ljmp	*(%rax)
	ljmpl	*8(%rsp)
	lcall	*(%rbx)
	lretl
	lretq
	lretq	$8
	lar	%ax, %ecx
	larq	(%rsi), %rdx
	lsl	%eax, %eax
	verr	%ax
	verw	%ax
	lss	(%rax), %esp
	lfs	(%rbx), %eax
	lgs	(%rcx), %edx
	monitor
	mwait
	monitorx
	mwaitx
	stac
	clac
	rdfsbase	%rax
	rdgsbase	%ecx
	wrfsbase	%rdx
	wrgsbase	%rsi
	xsaves	(%rdi)
	xrstors	(%rdi)
	xsaves64	(%rdi)
	xrstors64	(%rdi)
	int	$3
	int3
	int	$0x80
	int1
	ret
