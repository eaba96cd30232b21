# sti then hlt is one site (kind sti_hlt): sti's interrupt shadow covers
# one instruction, and an idle loop relies on it reaching the hlt, so no
# padding may come between them.  Only a hlt that directly follows the sti
# fuses: not across a label, another instruction or a directive.
	.text
idle:	sti
	hlt				# the next line: fused
	sti; hlt			# one line: fused
	sti
1:	hlt				# a label may be jumped to: not fused
	sti
	nop
	hlt				# another instruction between: not fused
	sti
	.p2align 2
	hlt				# a directive between: not fused
	.macro safe_halt
	sti
	hlt
	.endm
	safe_halt			# inside a macro: fused
	jmp	1b
