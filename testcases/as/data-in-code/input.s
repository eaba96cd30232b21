# Data in code: a boot-time GDT and its descriptor written with .word,
# .long and .byte inside .text (as a small i386 kernel's bootasm.S has
# them), a string after it, and a .byte list with expressions.  The
# bytes of these directives decode as lcall, iret, pop %ss, cli and sti;
# afterburn-as records them as data, so the audit never decodes them.
	.code32
	.text
	.globl start
start:
	cli
	lgdt	(%eax)
	ljmp	$8, $next
next:
	hlt
	.p2align 2
gdt:
	.word 0, 0 ; .byte 0, 0, 0, 0
	.word 0xffff, 0x0000 ; .byte 0x00, 0x9a, 0xcf, 0x00
	.word 0xffff, 0x0000
	.byte 0x00, 0x92, 0xcf, 0x00
	.byte (gdtdesc - gdt) & 0xff, 0xcf, 0xfa, 0xfb
gdtdesc:
	.word	(gdtdesc - gdt - 1)
	.long	0x00cf9a00
msg:	.asciz	"\xfa\xfb\x17\xcf"
	.quad	0xfbfafbfafbfafbfa
after:
	sti
	ret
