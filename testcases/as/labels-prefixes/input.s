# Labels, numeric labels, ';' separated statements, prefixes written on
# their own, comments and strings that name sensitive instructions.
	.text
	.globl	lp
lp:	cli
1:	cli; jmp 1b
2:	sti ; jmp 2b ; 3: hlt ; jne 3b
	rep; insb
	rep
	outsl
	rep insw
	lock; notl (%rax)
	cs hlt
	data16 pushf
	rex64 iret
	{disp32} mov %cr0, %rax
	"quoted label": cpuid
.Lfoo: .Lbar: rdtsc
	nop			# cli; sti; hlt in a comment
	/* cli */ nop /* sti
	   rdmsr; wrmsr */ nop ; popf
	nop	/* hlt */ ; wbinvd
/ a comment line: cli
	mov	$'#', %al
	movb	$';', %cl ; clts
	ret
	.data
msg:	.ascii	"cli; sti; hlt # rdmsr"
	.asciz	"\"in\" ; out"
