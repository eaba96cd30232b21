# Starts its .head.text in 32-bit code: in a link after head32.s, its own
# mode note and head32.s's end of section fall on one address.
	.section .head.text,"ax"
	.code32
	sti
	.code64
	cli
	.text
	pushf
