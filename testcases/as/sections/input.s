# Sites in the sections Linux uses; none in data sections.
	.text
	cli
	.section .init.text,"ax",@progbits
	sti
	.section .exit.text,"ax",@progbits
	hlt
	.pushsection .altinstr_replacement,"ax"
	clac
	.popsection
	wbinvd
	.section .text.foo,"ax",@progbits
	rdmsr
	.section .text.unlikely
	wrmsr
	.section .noinstr.text,"ax",@progbits
	pushf
	.previous
	popf
	.section .data
	.byte 0x0f, 0x01, 0xcb
	.section .rodata,"a"
	.byte 0xfa
	.text 1
	cpuid
	.subsection 2
	rdtsc
	.section .init.text
	invd
	.section .entry.text,"axG",@progbits,entry_grp,comdat
	swapgs
	.text
	ret
