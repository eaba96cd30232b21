# Linux 6.12 idioms: FRED's entry code, LKGS, WRMSRNS in an alternative,
# the TDX and SGX opcodes Linux spells as .byte for older binutils, and
# the other instructions x86 added since Linux 6.1 in mnemonic form.

# arch/x86/entry/entry_64_fred.S: ERETU and ERETS are .byte (fred.h);
# f3/f2 make them, plain 0f 01 ca is clac.
	.section .noinstr.text,"ax"
	.globl	asm_fred_entrypoint_user
asm_fred_entrypoint_user:
	push	%rdi
	pop	%rdi
1:	.byte 0xf3,0x0f,0x01,0xca ;
	.byte 0xf2,0x0f,0x01,0xca ;
	.byte 0x0f,0x01,0xca		# clac
	.byte 0xf3, 0xf2, 0x0f, 0x01, 0xca	# the last of f2/f3 counts: erets
	.byte 0x2e, 0xf3, 0x0f, 0x01, 0xca	# a segment prefix changes nothing
	ret

# asm/gsseg.h: native_lkgs() writes "lkgs %di" as LKGS_DI; the IRQ-off
# path that follows it (pushf) is where objdump 2.40, which does not know
# lkgs, resumes inside the instruction.
	.text
	.globl	load_gs
load_gs:
1:	.byte 0xf2,0x0f,0x00,0xf7 ;
	pushf
	pop	%rax
	cli
	push	%rax
	popf
	ret

# asm/msr.h: wrmsrns() is ALTERNATIVE("ds wrmsr", WRMSRNS, ...).
	.globl	write_msr
write_msr:
661:	ds wrmsr
662:
	.pushsection .altinstr_replacement,"ax"
6641:	.byte 0x0f,0x01,0xc6 ;
6651:
	.popsection
	ret

# asm/special_insns.h: serialize() is .byte 0xf, 0x1, 0xe8 (off: the audit
# lists it, no site); f3 in front of it is setssbsy.
	.byte 0xf, 0x1, 0xe8
	.byte 0xf3, 0x0f, 0x01, 0xe8

# virt/vmx/tdx/tdxcall.S and asm/sgx encls.h: .byte for older binutils;
# 66 0f 01 cf is seamcall, not encls.
	.byte 0x66,0x0f,0x01,0xcc		# tdcall
	.byte 0x66,0x0f,0x01,0xcf		# seamcall
	.byte 0x0f, 0x01, 0xcf			# encls
	.byte 0xf3, 0xf, 0x3a, 0xf0, 0xc0, 0x0	# hreset $0

# The mnemonics GAS 2.40 knows.
	wrmsrns
	rdmsrlist
	wrmsrlist
	tdcall
	seamcall
	encls
	enclv
	hreset	$1
	wbnoinvd
	pconfig
	invlpgb
	tlbsync
	pvalidate
	rmpadjust
	rmpupdate
	psmash
	setssbsy
	clrssbsy (%rax)
	wrussq	%rax, (%rdi)
	enqcmds	(%rsi), %rdi
	ret

# A PVH-like entry: .head.text ends in 32-bit code.
	.section .head.text,"ax"
	.code32
	.globl	pvh_start
pvh_start:
	cli
	wrmsrns
	rdmsr
