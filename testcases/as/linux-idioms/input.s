# Shapes Linux 6.1 writes that a mnemonic scan alone would miss.
	.text
# arch/x86/kernel/fpu/xstate.h: xsaves64/xrstors64 as bytes, with ModRM
	.byte 0x48,0x0f,0xc7,0x2f
	.byte 0x48,0x0f,0xc7,0x1f
# arch/x86/include/asm/smap.h: clac/stac as bytes
	.byte 0x0f,0x01,0xca
# arch/x86/include/asm/mwait.h: "sti; mwait" must keep sti's shadow
	sti; .byte 0x0f, 0x01, 0xc9
# arch/x86/include/asm/irqflags.h: native_safe_halt
	sti; hlt
# arch/x86/realmode/rm/realmode.h: LJMPW_RM, a far jump written as data
	.code16
	.byte 0xea ; .word (1f), 0x10
1:	.code64
	ret
