# .include'd files are rewritten too: found in the current directory, then
# in the -I directories, as GAS does.
	.text
	.globl	inc
inc:
	cli
	.include "io.inc"
	sti
	ret
