# A single .byte opcode is left as data: the audit must report it.
	.text
	.globl	miss
miss:
	cli
	.byte	0xfa
	ret
