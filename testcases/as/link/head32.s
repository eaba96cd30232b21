# Ends its .head.text in 32-bit code, as a PVH entry does: after a link,
# other objects' 64-bit code follows right there.
	.section .head.text,"ax"
	cli
	.code32
	cli
	rdmsr
