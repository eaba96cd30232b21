# Only 64-bit code, no mode notes at all: .text and .noinstr.text.
	.text
	cli
	wrmsr
	.section .noinstr.text,"ax"
	rdmsr
	swapgs
