/* SPDX-License-Identifier: MIT */
/*
 * The in-guest half of the KVM wedge.  This file is part of the VMM's
 * binary only as data: the bytes between afb_kvm_guest_start and
 * afb_kvm_guest_end are copied to the start of the wedge window
 * (guest.h), where patched sites call them through per-site thunks
 * (patch.c).  Everything is position independent and refers to the data
 * page RIP-relatively.
 *
 * Contract of every entry: called with the site's return address on the
 * stack, on the kernel stack the site ran on; preserves every register
 * and flag except the outputs of the instruction it replaces; runs with
 * interrupts as the site had them, disabling them only while it touches
 * the data page.
 */
#include "guest.h"

#define DATA(off)	(wg_base + WG_DATA_OFF + (off))(%rip)

	.section .rodata.afb_kvm_guest, "a"
	.code64
	.balign 4096
	.globl afb_kvm_guest_start, afb_kvm_guest_end
afb_kvm_guest_start:
wg_base:

/* Entry table: patch.c finds each entry at a fixed 8-byte slot. */
	jmp wg_out8		/* slot 0 */
	.balign 8
	jmp wg_in8		/* slot 1 */
	.balign 8
	jmp wg_cpuid		/* slot 2 */
	.balign 8
	jmp wg_rdmsr		/* slot 3 */
	.balign 8
	jmp wg_wrmsr		/* slot 4 */
	.balign 8
	jmp wg_load_cr3		/* slot 5: %rax = new CR3 */
	.balign 8

/* out %al, %dx: COM1 THR goes to the buffer, power-off flushes first. */
wg_out8:
	pushfq
	cmpw $WG_COM1, %dx
	je 2f
	cmpw $WG_COM1_LCR, %dx
	je 1f
	cmpw $WG_POWER_PORT, %dx
	jne 9f
	cli
	call wg_flush
	jmp 9f
1:	movb %al, DATA(WD_UART_LCR)
	jmp 9f
2:	testb $0x80, DATA(WD_UART_LCR)	/* DLAB: THR is the divisor latch */
	jnz 9f
	cli
	pushq %rcx
	pushq %rdx
	movl DATA(WD_CON_LEN), %ecx
	leaq DATA(WD_CON_BUF), %rdx
	movb %al, (%rdx,%rcx)
	incl %ecx
	movl %ecx, DATA(WD_CON_LEN)
	cmpb $'\n', %al
	je 3f
	cmpl $WD_CON_SIZE, %ecx
	jb 4f
3:	call wg_flush
4:	popq %rdx
	popq %rcx
	popfq
	ret
9:	popfq
	outb %al, %dx
	ret

/* Hand the buffer to the VMM (one exit); it empties it.  IF is off. */
wg_flush:
	cmpl $0, DATA(WD_CON_LEN)
	je 1f
	pushq %rax
	pushq %rdx
	movl $WG_CALL_FLUSH, %eax
	movw $WG_PORT, %dx
	outl %eax, %dx
	popq %rdx
	popq %rax
1:	ret

/* in %dx, %al: COM1 LSR is always idle (serial.c), no exit for it. */
wg_in8:
	pushfq
	cmpw $WG_COM1_LSR, %dx
	jne 1f
	popfq
	movb $WG_LSR_IDLE, %al
	ret
1:	popfq
	inb %dx, %al
	ret

/*
 * cpuid: leaves 0-0x1f and 0x80000000-0x8000001f from the table the VMM
 * filled from the vCPU's CPUID (subleaf 0 of indexed leaves only); any
 * other leaf runs the real instruction.
 */
wg_cpuid:
	pushfq
	pushq %rsi
	movl %eax, %esi
	cmpl $WD_CPUID_LEAVES, %esi
	jb 1f
	subl $0x80000000, %esi
	cmpl $WD_CPUID_LEAVES, %esi
	jae 8f
	addl $WD_CPUID_LEAVES, %esi	/* the ext table follows the std one */
1:	shll $5, %esi			/* * WC_SIZE */
	pushq %rdi
	leaq DATA(WD_CPUID_STD), %rdi
	addq %rdi, %rsi
	popq %rdi
	cmpl $0, WC_VALID(%rsi)
	je 8f
	cmpl $0, WC_INDEXED(%rsi)
	je 2f
	testl %ecx, %ecx
	jnz 8f
2:	movl WC_EAX(%rsi), %eax
	movl WC_EBX(%rsi), %ebx
	movl WC_ECX(%rsi), %ecx
	movl WC_EDX(%rsi), %edx
	popq %rsi
	popfq
	ret
8:	popq %rsi
	popfq
	cpuid
	ret

/*
 * rdmsr/wrmsr: EFER, STAR, LSTAR, CSTAR and SFMASK change only through
 * wrmsr (every wrmsr site of a patched kernel comes here, and EFER.LMA
 * cannot change while the kernel runs in long mode), so their reads are
 * answered from the cache once it holds a value.
 */
wg_rdmsr:
	pushfq
	pushq %rsi
	movl %ecx, %esi
	subl $WD_MSR_FIRST, %esi
	cmpl $WD_MSR_COUNT, %esi
	jae 8f
	shll $4, %esi
	pushq %rdi
	leaq DATA(WD_MSR_CACHE), %rdi
	addq %rdi, %rsi
	popq %rdi
	cmpq $0, 8(%rsi)
	je 7f
	movl (%rsi), %eax
	movl 4(%rsi), %edx
	popq %rsi
	popfq
	ret
7:	rdmsr
	movl %eax, (%rsi)
	movl %edx, 4(%rsi)
	movq $1, 8(%rsi)
	popq %rsi
	popfq
	ret
8:	popq %rsi
	popfq
	rdmsr
	ret

wg_wrmsr:
	wrmsr
	pushfq
	pushq %rsi
	movl %ecx, %esi
	subl $WD_MSR_FIRST, %esi
	cmpl $WD_MSR_COUNT, %esi
	jae 8f
	shll $4, %esi
	pushq %rdi
	leaq DATA(WD_MSR_CACHE), %rdi
	addq %rdi, %rsi
	popq %rdi
	movl %eax, (%rsi)
	movl %edx, 4(%rsi)
	movq $1, 8(%rsi)
8:	popq %rsi
	popfq
	ret

/*
 * mov %rax, %cr3: put the window's PML4 entry (slot 31) into the new
 * root, through the guest's direct map, before loading it.  The guest
 * never uses slot 31 (doc/guest-contract.md).
 */
wg_load_cr3:
	pushfq
	pushq %rcx
	pushq %rdx
	movq %rax, %rcx
	shlq $12, %rcx			/* drop bits 63:52 */
	shrq $24, %rcx			/* and 11:0 (PCID, flags) */
	shlq $12, %rcx
	movabsq $(0x0000100000000000 + 31 * 8), %rdx
	addq %rdx, %rcx
	movq DATA(WD_PML4E), %rdx
	movq %rdx, (%rcx)
	popq %rdx
	popq %rcx
	popfq
	movq %rax, %cr3
	ret

afb_kvm_guest_end:

	.section .note.GNU-stack, "", @progbits
