/* SPDX-License-Identifier: MIT */
/*
 * The in-guest half of the KVM wedge for i386 kernels: the console and
 * cpuid entries of guest.S, in 32-bit code.  Part of the VMM's binary
 * only as data: the bytes between afb_kvm_guest32_start and
 * afb_kvm_guest32_end are copied to the start of the image's wedge area
 * (guest.h), where patched sites call them.  Position independent: each
 * entry finds the wedge's base (and so its data page) with call/pop.
 *
 * Contract of every entry (as in guest.S): called with the site's return
 * address on the stack, on the kernel stack the site ran on; preserves
 * every register and flag except the outputs of the instruction it
 * replaces; runs with interrupts as the site had them, disabling them
 * only while it holds the console buffer.
 */
#include "guest.h"

#define D(off)		(WG32_DATA_OFF + (off))

/* \reg = the wedge's base address (where afb_kvm_guest32_start lands). */
.macro BASE reg
	call .Lbase\@
.Lbase\@:
	popl \reg
	subl $(.Lbase\@ - wg32_base), \reg
.endm

/* The console buffer's lock (guest.S); %ebx = base, IF off. */
.macro CON_LOCK
.Lcon_spin\@:
	lock btsl $0, D(WD_CON_LOCK)(%ebx)
	jnc .Lcon_held\@
	pause
	jmp .Lcon_spin\@
.Lcon_held\@:
.endm

.macro CON_UNLOCK
	movl $0, D(WD_CON_LOCK)(%ebx)
.endm

	.section .rodata.afb_kvm_guest32, "a"
	.code32
	.balign 4096
	.globl afb_kvm_guest32_start, afb_kvm_guest32_end
afb_kvm_guest32_start:
wg32_base:

/* Entry table: the slots of guest.S that exist here (patch.c). */
	jmp wg32_out8		/* slot 0 */
	.balign 8
	jmp wg32_in8		/* slot 1 */
	.balign 8
	jmp wg32_cpuid		/* slot 2 */
	.balign 8

/*
 * out %al, %dx: COM1 THR goes to the buffer, power-off flushes first,
 * IER is mirrored (guest.S says why).
 */
wg32_out8:
	pushfl
	pushl %ebx
	BASE %ebx
	cmpw $WG_COM1, %dx
	je 2f
	cmpw $WG_COM1_LCR, %dx
	je 1f
	cmpw $WG_COM1_IER, %dx
	je 5f
	cmpw $WG_POWER_PORT, %dx
	jne 9f
	cli
	CON_LOCK
	call wg32_flush
	CON_UNLOCK
	jmp 9f
1:	movb %al, D(WD_UART_LCR)(%ebx)
	jmp 9f
5:	testb $0x80, D(WD_UART_LCR)(%ebx)	/* DLAB: the divisor latch */
	jnz 9f
	cmpb %al, D(WD_UART_IER)(%ebx)
	je 8f
	cli
	movb %al, D(WD_UART_IER)(%ebx)
	CON_LOCK
	call wg32_flush			/* the VMM sees output before IER */
	CON_UNLOCK
	jmp 9f
2:	testb $0x80, D(WD_UART_LCR)(%ebx)	/* DLAB: THR is the divisor latch */
	jnz 9f
	cli
	pushl %ecx
	CON_LOCK
	movl D(WD_CON_LEN)(%ebx), %ecx
	movb %al, D(WD_CON_BUF)(%ebx,%ecx)
	incl %ecx
	movl %ecx, D(WD_CON_LEN)(%ebx)
	cmpb $'\n', %al
	je 3f
	cmpl $WD_CON_SIZE, %ecx
	jb 4f
3:	call wg32_flush
4:	CON_UNLOCK
	popl %ecx
8:	popl %ebx
	popfl
	ret
9:	popl %ebx
	popfl
	outb %al, %dx
	ret

/* Hand the buffer to the VMM (one exit); it empties it.  IF is off, the
 * caller holds the console lock, %ebx = base. */
wg32_flush:
	cmpl $0, D(WD_CON_LEN)(%ebx)
	je 1f
	pushl %eax
	pushl %edx
	movl $WG_CALL_FLUSH, %eax
	movw $WG_PORT, %dx
	outl %eax, %dx
	popl %edx
	popl %eax
1:	ret

/* in %dx, %al: COM1's LSR and IER are mirrored, no exit for them. */
wg32_in8:
	pushfl
	cmpw $WG_COM1_LSR, %dx
	je 1f
	cmpw $WG_COM1_IER, %dx
	jne 9f
	pushl %ebx
	BASE %ebx
	testb $0x80, D(WD_UART_LCR)(%ebx)
	jnz 8f
	movb D(WD_UART_IER)(%ebx), %al
	popl %ebx
	popfl
	ret
1:	pushl %ebx
	BASE %ebx
	movb D(WD_UART_LSR)(%ebx), %al	/* the VMM's, after its last exit */
	popl %ebx
	popfl
	ret
8:	popl %ebx
9:	popfl
	inb %dx, %al
	ret

/*
 * cpuid: leaves 0-0x1f and 0x80000000-0x8000001f from the table the VMM
 * filled (guest.S); any other leaf runs the real instruction.
 */
wg32_cpuid:
	pushfl
	pushl %esi
	movl %eax, %esi
	cmpl $WD_CPUID_LEAVES, %esi
	jb 1f
	subl $0x80000000, %esi
	cmpl $WD_CPUID_LEAVES, %esi
	jae 8f
	addl $WD_CPUID_LEAVES, %esi	/* the ext table follows the std one */
1:	shll $5, %esi			/* * WC_SIZE */
	pushl %edi
	BASE %edi
	leal D(WD_CPUID_STD)(%edi,%esi), %esi
	popl %edi
	cmpl $0, WC_VALID(%esi)
	je 8f
	movl WC_EAX(%esi), %eax
	movl WC_EBX(%esi), %ebx
	movl WC_ECX(%esi), %ecx
	movl WC_EDX(%esi), %edx
	popl %esi
	popfl
	ret
8:	popl %esi
	popfl
	cpuid
	ret

afb_kvm_guest32_end:

	.section .note.GNU-stack, "", @progbits
