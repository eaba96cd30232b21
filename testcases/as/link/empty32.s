# Like Linux 6.12's pvh/head.o: .code32 at the top of an empty .text (a
# macro invocation there emits nothing), so its .code32 note and its
# end-of-section note fall on one address, where the next object starts.
	.macro nothing
	.endm
	.code32
	.text
	nothing
	.section .head.text,"ax"
	cli
