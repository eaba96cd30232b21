/* SPDX-License-Identifier: MIT */
/*
 * A misbehaving multiprocessor guest for afterburn-kvm -smp N
 * (testcases/kvm/hostile-smp.sh).  From its 64-bit entry on vCPU 0, on
 * the VMM's boot page tables (physical 0-4 GiB at 0x100000000000), it
 * drives its local APIC (0xfee00000) to start vCPU 1 at a real-mode
 * trampoline copied to physical 0x10000 (SIPI vector 0x10).  The first
 * byte of the command line picks what it does:
 *
 *  i (or none)  S0 the MP table (0xf0000-0xfffff) has valid checksums and
 *               lists 3 enabled CPUs and the IOAPIC at 0xfec00000 (run
 *               with -smp 3); S1 INIT/SIPI starts vCPU 1, which counts once at 0x11000
 *               and halts; S2 a second SIPI without INIT is ignored;
 *               S3 INIT/SIPI starts it again (it counts again); S4
 *               INIT/SIPI to APIC ID 9, which no vCPU has, changes
 *               nothing; then power-off with status 42, while vCPU 1 is
 *               halted and vCPU 2 (-smp 3) still waits for its SIPI.
 *  f            vCPU 1 triple-faults while vCPU 0 spins.
 *  b            vCPU 0 triple-faults while vCPU 1 spins.
 *  o            vCPU 1 powers off (status 7) while vCPU 0 spins.
 *
 * Each step prints "Sn <what>: " and "ok" or "BAD" on COM1.
 */
#define DMAP		0x100000000000	/* the VMM's direct map */
#define APIC		0xfee00000
#define APIC_SVR	0xf0
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define ICR_BUSY	0x1000
#define ICR_INIT	0x4500		/* INIT, level assert */
#define ICR_SIPI	0x4600		/* start-up, level assert, | vector */
#define TRAMP		0x10000		/* SIPI vector 0x10 */
#define COUNTER		0x11000
#define WAIT_LONG	8000000000	/* TSC cycles: seconds */
#define WAIT_SHORT	1000000000

	.code64
	.text
	.globl entry64
entry64:
	movabsq $DMAP, %r15
	movl $APIC, %r14d
	addq %r15, %r14
	movb $'i', %bl			/* the mode */
	movq 24(%r15,%rdi), %rax	/* start_info.cmdline_paddr */
	testq %rax, %rax
	jz 1f
	movb (%r15,%rax), %al
	testb %al, %al
	jz 1f
	movb %al, %bl
1:	movl $0x1ff, APIC_SVR(%r14)	/* software-enable the local APIC */
	movl $0, COUNTER(%r15)
	cmpb $'f', %bl
	je mode_fault
	cmpb $'b', %bl
	je mode_bsp_fault
	cmpb $'o', %bl
	je mode_off

	leaq s0(%rip), %rsi
	call puts
	call check_mptable
	call report

	leaq s1(%rip), %rsi
	call puts
	leaq tr_count(%rip), %rsi
	call start_ap1
	movl $1, %eax
	movq $WAIT_LONG, %rcx
	call wait_count
	call report

	leaq s2(%rip), %rsi
	call puts
	movl $1, %esi
	movl $ICR_SIPI | (TRAMP >> 12), %edx
	call send_ipi
	movq $WAIT_SHORT, %rcx
	call delay
	cmpl $1, COUNTER(%r15)
	call report

	leaq s3(%rip), %rsi
	call puts
	leaq tr_count(%rip), %rsi
	call start_ap1
	movl $2, %eax
	movq $WAIT_LONG, %rcx
	call wait_count
	call report

	leaq s4(%rip), %rsi
	call puts
	movl $9, %esi
	movl $ICR_INIT, %edx
	call send_ipi
	movl $9, %esi
	movl $ICR_SIPI | (TRAMP >> 12), %edx
	call send_ipi
	movq $WAIT_SHORT, %rcx
	call delay
	cmpl $2, COUNTER(%r15)
	call report

	leaq s5(%rip), %rsi
	call puts
	movb $42, %al
	outb %al, $0xf4
	jmp .

mode_fault:
	leaq f1(%rip), %rsi
	call puts
	leaq tr_fault(%rip), %rsi
	call start_ap1
1:	pause
	jmp 1b

mode_off:
	leaq o1(%rip), %rsi
	call puts
	leaq tr_off(%rip), %rsi
	call start_ap1
1:	pause
	jmp 1b

mode_bsp_fault:
	leaq b1(%rip), %rsi
	call puts
	leaq tr_spin(%rip), %rsi
	call start_ap1
	movl $1, %eax
	movq $WAIT_LONG, %rcx
	call wait_count
	call report
	lidt noidt(%rip)
	ud2				/* #UD, #GP, #DF: triple fault */
	jmp .

/* ZF set if %rcx bytes at %rsi sum to 0 (mod 256); clobbers %al, %rcx, %rsi. */
checksum:
	xorb %al, %al
1:	addb (%rsi), %al
	incq %rsi
	loop 1b
	testb %al, %al
	ret

/*
 * The MP table: ZF set if its floating pointer is in 0xf0000-0xfffff with
 * a good checksum, the table it points to too, and the table lists three
 * enabled processors and an IOAPIC at 0xfec00000.
 */
check_mptable:
	leaq 0xf0000(%r15), %rdi
	leaq 0x100000(%r15), %r8
1:	cmpl $0x5f504d5f, (%rdi)	/* "_MP_" */
	je 2f
	addq $16, %rdi
	cmpq %r8, %rdi
	jb 1b
	jmp 9f
2:	movq %rdi, %rsi
	movl $16, %ecx
	call checksum
	jnz 9f
	movl 4(%rdi), %edi		/* physptr */
	addq %r15, %rdi
	cmpl $0x504d4350, (%rdi)	/* "PCMP" */
	jne 9f
	movq %rdi, %rsi
	movzwl 4(%rdi), %ecx
	call checksum
	jnz 9f
	movzwl 34(%rdi), %ecx		/* entries */
	leaq 44(%rdi), %rsi
	xorl %r9d, %r9d			/* enabled CPUs */
	xorl %r10d, %r10d		/* IOAPICs at 0xfec00000 */
3:	testl %ecx, %ecx
	jz 6f
	cmpb $0, (%rsi)
	jne 4f
	testb $1, 3(%rsi)
	jz 5f
	incl %r9d
5:	addq $20, %rsi
	decl %ecx
	jmp 3b
4:	cmpb $2, (%rsi)
	jne 7f
	cmpl $0xfec00000, 4(%rsi)
	jne 7f
	incl %r10d
7:	addq $8, %rsi
	decl %ecx
	jmp 3b
6:	cmpl $1, %r10d
	jne 9f
	cmpl $3, %r9d
	ret
9:	cmpl $0, %esp			/* ZF clear */
	ret

/* Copy the trampoline at %rsi (64 bytes) to TRAMP; INIT, SIPI vCPU 1. */
start_ap1:
	leaq TRAMP(%r15), %rdi
	movl $64, %ecx
	cld
	rep movsb
	movl $1, %esi
	movl $ICR_INIT, %edx
	call send_ipi
	movl $1, %esi
	movl $ICR_SIPI | (TRAMP >> 12), %edx
	jmp send_ipi

/* IPI %edx (ICR low) to APIC ID %esi; waits until it is sent. */
send_ipi:
	shll $24, %esi
	movl %esi, APIC_ICR_HI(%r14)
	movl %edx, APIC_ICR_LO(%r14)
1:	testl $ICR_BUSY, APIC_ICR_LO(%r14)
	jnz 1b
	ret

/* %r8 = TSC; clobbers %rax, %rdx. */
tsc:
	rdtsc
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, %r8
	ret

/* Wait %rcx TSC cycles. */
delay:
	pushq %rax
	call tsc
	addq %rcx, %r8
	movq %r8, %r9
1:	pause
	call tsc
	cmpq %r9, %r8
	jb 1b
	popq %rax
	ret

/* Wait up to %rcx cycles for COUNTER == %eax: ZF set if it got there. */
wait_count:
	movl %eax, %r10d
	call tsc
	addq %rcx, %r8
	movq %r8, %r9
1:	cmpl %r10d, COUNTER(%r15)
	je 2f
	pause
	call tsc
	cmpq %r9, %r8
	jb 1b
	cmpl %r10d, COUNTER(%r15)
2:	ret

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

/* Real-mode trampolines, run at 0x1000:0 by vCPU 1 after its SIPI. */
	.code16
	.balign 64
tr_count:				/* count, then halt for good */
	movw $COUNTER >> 4, %ax
	movw %ax, %ds
	lock incl 0
1:	cli
	hlt
	jmp 1b
	.balign 64
tr_spin:				/* count, then spin */
	movw $COUNTER >> 4, %ax
	movw %ax, %ds
	lock incl 0
1:	pause
	jmp 1b
	.balign 64
tr_fault:				/* no IDT: #GP, #DF, shutdown */
	movw $COUNTER >> 4, %ax
	movw %ax, %ds
	lidt 0x10			/* limit 0, base 0: zeros */
	int3
	jmp .
	.balign 64
tr_off:					/* power-off from vCPU 1 */
	movb $7, %al
	outb %al, $0xf4
1:	cli
	hlt
	jmp 1b
	.balign 64
	.code64

	.section .rodata
s0:	.asciz "S0 MP table: 3 CPUs, the IOAPIC: "
s1:	.asciz "S1 INIT/SIPI starts vCPU 1: "
s2:	.asciz "S2 SIPI to a running vCPU is ignored: "
s3:	.asciz "S3 INIT/SIPI starts vCPU 1 again: "
s4:	.asciz "S4 INIT/SIPI to a missing APIC ID: "
s5:	.asciz "S5 power-off with vCPU 1 halted\n"
f1:	.asciz "F1 vCPU 1 triple-faults\n"
b1:	.asciz "B1 vCPU 1 spins, vCPU 0 triple-faults: "
o1:	.asciz "O1 vCPU 1 powers off\n"
ok:	.asciz "ok\n"
bad:	.asciz "BAD\n"
	.balign 16
noidt:	.word 0
	.quad 0

	.section .note.GNU-stack, "", @progbits
