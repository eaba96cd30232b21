/* SPDX-License-Identifier: MIT */
/*
 * A misbehaving guest for afterburn-kvm (testcases/kvm/hostile.sh): from
 * its 64-bit entry, on the VMM's boot page tables (physical 0-4 GiB at
 * 0x100000000000, doc/afterburn-kvm.pod), it reads and writes a port no
 * device claims, MMIO where there is no device, an MSR KVM does not know,
 * and then faults with no IDT at all.  Each step prints "Hn <what> "
 * first and "ok" or "BAD" after it; the VMM must answer each one as
 * afterburn-kvm(1) says and stop the guest at the last, never crash.
 */
	.code64
	.text
	.globl entry64
entry64:
	/* A GDT with a TSS (some hosts read it even for a CPL0 fault). */
	leaq tss(%rip), %rax
	leaq gdt + 24(%rip), %rdi
	movw $tss_end - tss - 1, (%rdi)	/* limit */
	movw %ax, 2(%rdi)		/* base 15:0 */
	shrq $16, %rax
	movb %al, 4(%rdi)		/* base 23:16 */
	movb $0x89, 5(%rdi)		/* present, available 64-bit TSS */
	movb %ah, 7(%rdi)		/* base 31:24 */
	shrq $16, %rax
	movl %eax, 8(%rdi)		/* base 63:32 */
	lgdt gdtr(%rip)
	movw $0x18, %ax
	ltr %ax

	/* Every gate leads to 'unexpected', except #GP's, to 'gp_skip'. */
	leaq idt(%rip), %rdi
	movl $256, %ecx
1:	leaq unexpected(%rip), %rax
	cmpl $256 - 13, %ecx
	jne 2f
	leaq gp_skip(%rip), %rax
2:	call set_gate
	addq $16, %rdi
	loop 1b
	lidt idtr(%rip)

	leaq h1(%rip), %rsi
	call puts
	movw $0x99, %dx			/* no device there: all ones */
	inb %dx, %al
	outb %al, %dx
	cmpb $0xff, %al
	call report

	leaq h2(%rip), %rsi
	call puts
	movabsq $0x1000d0000000, %rbx	/* physical 0xd0000000: no RAM */
	movl $0x12345678, (%rbx)
	movl (%rbx), %eax
	cmpl $0xffffffff, %eax
	call report

	leaq h3(%rip), %rsi
	call puts
	movl $0x4afb0001, %ecx		/* an MSR nobody has */
	xorl %eax, %eax
	rdmsr				/* #GP: gp_skip steps over it */
	cmpl $0x4afb0001, %eax		/* gp_skip's mark */
	call report

	leaq h4(%rip), %rsi
	call puts
	lidt noidt(%rip)
	ud2				/* #UD, #GP, #DF: triple fault */
	jmp .

/* ZF set: "ok", else "BAD". */
report:
	leaq ok(%rip), %rsi
	jz puts
	leaq bad(%rip), %rsi
/* The NUL-terminated string at %rsi to COM1, polled. */
puts:
	movw $0x3f8, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	ret

/* A 64-bit interrupt gate at %rdi to %rax, kernel code 0x08. */
set_gate:
	movw %ax, (%rdi)
	movw $0x08, 2(%rdi)
	movw $0x8e00, 4(%rdi)
	shrq $16, %rax
	movw %ax, 6(%rdi)
	shrq $16, %rax
	movl %eax, 8(%rdi)
	movl $0, 12(%rdi)
	ret

gp_skip:
	addq $8, %rsp			/* the error code */
	addq $2, (%rsp)			/* past the rdmsr */
	movl $0x4afb0001, %eax
	iretq

unexpected:
	leaq what(%rip), %rsi
	call puts
	movb $3, %al
	outb %al, $0xf4
	jmp .

	.section .rodata
h1:	.asciz "H1 unknown port: "
h2:	.asciz "H2 MMIO without a device: "
h3:	.asciz "H3 unknown MSR: "
h4:	.asciz "H4 fault without an IDT: "
ok:	.asciz "ok\n"
bad:	.asciz "BAD\n"
what:	.asciz "unexpected exception\n"
	.balign 16
idtr:	.word 256 * 16 - 1
	.quad idt
gdtr:	.word gdt_end - gdt - 1
	.quad gdt
noidt:	.word 0
	.quad 0

	.data
	.balign 16
gdt:	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code, as the VMM's */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
	.quad 0, 0			/* 0x18: the TSS, filled in */
gdt_end:

	.bss
	.balign 16
idt:	.skip 256 * 16
tss:	.skip 104
tss_end:

	.section .note.GNU-stack, "", @progbits
