# A file that switches code size and ends in .code16.  GAS 2.40 builds the
# expression-sized .nops of every site with the nops of the mode in force at
# the end of the file, which for 64- and 32-bit sites here would be 16-bit
# nops (not nops there): afterburn-as must pad such files with 0x90 only.
	.text
	cli
	lgdt	(%rax)
	.code32
	cli
	mov	%eax, %cr0
	.code64
	wrmsr
	.code16
	cli
	lidt	(%bx,%si)		# 0f 01 18: the same length in 64-bit mode, for differential.sh
