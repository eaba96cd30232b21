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

/*
 * The console buffer's lock: several vCPUs may write COM1 at once, and
 * the VMM empties the buffer after any vCPU's exit.  Taken with IF off;
 * it touches no register (the flags are saved by every user).
 */
.macro CON_LOCK
.Lcon_spin\@:
	lock btsl $0, DATA(WD_CON_LOCK)
	jnc .Lcon_held\@
	pause
	jmp .Lcon_spin\@
.Lcon_held\@:
.endm

.macro CON_UNLOCK
	movl $0, DATA(WD_CON_LOCK)
.endm

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
	jmp wg_lidt_sync	/* slot 6: after the site's own lidt */
	.balign 8

/*
 * out %al, %dx: COM1 THR goes to the buffer, power-off flushes first.
 * IER is mirrored: writing the value it holds costs no exit (Linux's
 * console saves, clears and restores it around every message).
 */
wg_out8:
	pushfq
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
	call wg_flush
	CON_UNLOCK
	jmp 9f
1:	movb %al, DATA(WD_UART_LCR)
	jmp 9f
5:	testb $0x80, DATA(WD_UART_LCR)	/* DLAB: the divisor latch */
	jnz 9f
	cmpb %al, DATA(WD_UART_IER)
	je 8f
	cli
	movb %al, DATA(WD_UART_IER)
	CON_LOCK
	call wg_flush			/* the VMM sees output before IER */
	CON_UNLOCK
	jmp 9f
2:	testb $0x80, DATA(WD_UART_LCR)	/* DLAB: THR is the divisor latch */
	jnz 9f
	cli
	pushq %rcx
	pushq %rdx
	CON_LOCK
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
4:	CON_UNLOCK
	popq %rdx
	popq %rcx
8:	popfq
	ret
9:	popfq
	outb %al, %dx
	ret

/* Hand the buffer to the VMM (one exit); it empties it.  IF is off, and
 * the caller holds the console lock. */
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

/* in %dx, %al: COM1's LSR and IER are mirrored, no exit for them. */
wg_in8:
	pushfq
	cmpw $WG_COM1_LSR, %dx
	jne 1f
	movb DATA(WD_UART_LSR), %al	/* the VMM's, after its last exit */
	popfq
	ret
1:	cmpw $WG_COM1_IER, %dx
	jne 2f
	testb $0x80, DATA(WD_UART_LCR)
	jnz 2f
	movb DATA(WD_UART_IER), %al
	popfq
	ret
2:	popfq
	inb %dx, %al
	ret

/*
 * cpuid: leaves 0-0x1f and 0x80000000-0x8000001f from the table the VMM
 * filled from the vCPU's CPUID, where it holds the leaf (never one with
 * subleaves or one that varies: patch.c); any other leaf runs the real
 * instruction.
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
	movl WC_EAX(%rsi), %eax
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

/* %rsi = the cache slot of MSR %ecx, or on to \miss if it has none. */
.macro MSR_SLOT miss
	movl %ecx, %esi
	subl $WD_MSR_FIRST, %esi
	cmpl $WD_MSR_COUNT, %esi
	jae \miss
	shll $4, %esi
	pushq %rdi
	leaq DATA(WD_MSR_CACHE), %rdi
	addq %rdi, %rsi
	popq %rdi
.endm

/* The slot at %rsi holds %edx:%eax from now on. */
.macro MSR_FILL
	movl %eax, (%rsi)
	movl %edx, 4(%rsi)
	movq $1, 8(%rsi)
.endm

/*
 * rdmsr/wrmsr: EFER, STAR, LSTAR, CSTAR and SFMASK change only through
 * wrmsr (EFER.LMA cannot change while the kernel runs in long mode), so
 * while every wrmsr site comes here their reads are answered from the
 * cache once it holds a value.  Where the VMM left a wrmsr site native,
 * it sets WD_MSR_OFF and every read runs the real rdmsr.
 */
wg_rdmsr:
	pushfq
	pushq %rsi
	cmpl $0, DATA(WD_MSR_OFF)
	jne 8f
	MSR_SLOT 8f
	cmpq $0, 8(%rsi)
	je 7f
	movl (%rsi), %eax
	movl 4(%rsi), %edx
	popq %rsi
	popfq
	ret
7:	rdmsr
	MSR_FILL
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
	MSR_SLOT 8f
	MSR_FILL
8:	popq %rsi
	popfq
	ret

/*
 * mov %rax, %cr3: put the window's PML4 entry (slot 31) into the new
 * root, through the guest's direct map, before loading it, and take it
 * out of the root it leaves once the new one is loaded.  The test kernel
 * never touches slot 31 (doc/guest-contract.md); keeping the window only
 * in the live root also protects the wedge's tables from a guest that
 * frees every lower-half slot of a root it no longer runs on.
 */
wg_load_cr3:
	pushfq
	cli
	pushq %rcx
	pushq %rdx
	pushq %rsi
	movq %cr3, %rsi			/* the root we leave */
	shlq $12, %rsi			/* drop bits 63:52 */
	shrq $24, %rsi			/* and 11:0 (PCID, flags) */
	shlq $12, %rsi
	movq %rax, %rcx
	shlq $12, %rcx
	shrq $24, %rcx
	shlq $12, %rcx
	movabsq $(0x0000100000000000 + 31 * 8), %rdx
	addq %rdx, %rcx
	addq %rdx, %rsi
	movq DATA(WD_PML4E), %rdx
	movq %rdx, (%rcx)
	movq %rax, %cr3
	cmpq %rcx, %rsi
	je 1f
	movq $0, (%rsi)
1:	popq %rsi
	popq %rdx
	popq %rcx
	popfq
	ret

/*
 * The shadow IDT.  PVM (a software KVM) runs 'syscall' from guest user
 * mode by setting %rip to LSTAR, %rcx and %r11 as the CPU does and
 * %rflags masked by SFMASK, but leaves the vCPU at CPL3, so the fetch of
 * the kernel's syscall entry faults (#PF, error code 0x5: present, user).
 * The patched lidt site loads the guest's IDT with its own instruction
 * and then comes here: the wedge copies that IDT into the window with
 * the #PF gate pointing to wg_pf_entry (same selector, IST and DPL, as an
 * interrupt gate) and loads the copy.  The copy is a snapshot: gates the
 * guest changes in its loaded IDT later are seen at its next lidt, except
 * the #PF gate, which wg_pf_entry reads from the guest's IDT every time.
 */
wg_lidt_sync:
	pushfq
	cli
	pushq %rax
	pushq %rcx
	pushq %rsi
	pushq %rdi
	subq $16, %rsp
	sidt 6(%rsp)			/* limit at 6, base at 8 */
	movzwl 6(%rsp), %ecx
	movq 8(%rsp), %rsi
	movq %rsi, DATA(WD_IDT_BASE)
	movw %cx, DATA(WD_IDT_LIMIT)
	movl $0, DATA(WD_IDT_SHADOW)
	cmpl $(14 * 16 + 15), %ecx	/* no #PF gate: nothing to shadow */
	jb 9f
	testb $0x80, 14 * 16 + 5(%rsi)	/* not present: leave it to the CPU */
	jz 9f
	cld
	leaq wg_base + WG_IDT_OFF(%rip), %rdi
	movl $512, %ecx			/* 256 gates of 16 bytes, in quads */
	rep movsq
	leaq wg_base + WG_IDT_OFF + 14 * 16(%rip), %rdi
	leaq wg_pf_entry(%rip), %rax
	movw %ax, (%rdi)		/* offset 15:0 */
	shrq $16, %rax
	movw %ax, 6(%rdi)		/* offset 31:16 */
	shrq $16, %rax
	movl %eax, 8(%rdi)		/* offset 63:32 */
	andb $0xf0, 5(%rdi)		/* keep P and DPL: a 64-bit */
	orb $0x0e, 5(%rdi)		/* interrupt gate */
	movq DATA(WD_IDT_BASE), %rsi
	testb $0x80, 6 * 16 + 5(%rsi)	/* #UD: only if the guest has a gate */
	jz 1f
	leaq wg_base + WG_IDT_OFF + 6 * 16(%rip), %rdi
	leaq wg_ud_entry(%rip), %rax
	movw %ax, (%rdi)
	shrq $16, %rax
	movw %ax, 6(%rdi)
	shrq $16, %rax
	movl %eax, 8(%rdi)
	andb $0xf0, 5(%rdi)
	orb $0x0e, 5(%rdi)
1:	leaq wg_base + WG_IDT_OFF(%rip), %rax
	movq %rax, 8(%rsp)
	lidt 6(%rsp)			/* same limit, the copy as base */
	movl $1, DATA(WD_IDT_SHADOW)
9:	addq $16, %rsp
	popq %rdi
	popq %rsi
	popq %rcx
	popq %rax
	popfq
	ret

/* %rax = MSR %ecx (from the cache if it holds it); clobbers %rdx. */
wg_msr_read:
	pushq %rsi
	MSR_SLOT 8f
	cmpq $0, 8(%rsi)
	je 8f
	movq (%rsi), %rax
	popq %rsi
	ret
8:	popq %rsi
	rdmsr
	shlq $32, %rdx
	movl %eax, %eax
	orq %rdx, %rax
	ret

/*
 * Where the guest's gate \vec sends the exception, into \slot(%rsp), and
 * into %ecx whether to set IF on the way (1: a trap gate, with IF set in
 * the frame's flags at \rfl(%rsp)).  Clobbers %rax, %rdx.  The slot is on
 * the stack the exception came in on, just below the CPU's frame: no
 * state shared between CPUs.
 */
.macro GUEST_GATE vec, rfl, slot
	movq DATA(WD_IDT_BASE), %rax
	movzwl \vec * 16(%rax), %edx
	movzwl \vec * 16 + 6(%rax), %ecx
	shll $16, %ecx
	orl %ecx, %edx
	movl \vec * 16 + 8(%rax), %ecx
	shlq $32, %rcx
	orq %rcx, %rdx
	movq %rdx, \slot(%rsp)
	xorl %ecx, %ecx
	testb $1, \vec * 16 + 5(%rax)
	jz .Lgate\@
	testl $0x200, \rfl(%rsp)
	jz .Lgate\@
	movl $1, %ecx
.Lgate\@:
.endm

/*
 * Restore %rcx, %rdx, %rax and the flags (pops leave ZF alone), skip
 * \skip bytes, set IF if %ecx said so, and 'ret' to the target in the
 * slot: the guest's handler starts with the CPU's frame at %rsp.
 */
.macro GO_GUEST skip
	testl %ecx, %ecx
	popq %rcx
	popq %rdx
	popq %rax
	jnz .Lsti\@
	popfq
	leaq \skip(%rsp), %rsp
	ret
.Lsti\@:
	popfq
	leaq \skip(%rsp), %rsp
	sti
	ret
.endm

/*
 * #PF through the shadow gate.  The frame is the CPU's (error code, rip,
 * cs, rflags, rsp, ss); the pushes below put it at these offsets.  The
 * fault is PVM's 'syscall' if: it came from user mode, it is a read or
 * fetch of a present page (error code 0x5 or 0x15), CR2 and the faulting
 * %rip both equal LSTAR, and the two user bytes before %rcx (the return
 * address) are 0f 05.  Then the wedge completes the syscall as the CPU
 * would have: CS and SS from STAR, %rflags = %r11 & ~SFMASK & ~RF, the
 * user's %rsp, at LSTAR (an iretq to CPL0).  Every other fault goes to
 * the guest's #PF handler with the same frame, registers, flags and CR2
 * (IF as the guest's gate would have left it).
 */
#define PF_RCX	0
#define PF_RDX	8
#define PF_RAX	16
#define PF_FLG	24	/* the flags the guest's handler would start with */
#define PF_SLOT	32	/* where the guest's handler is */
#define PF_ERR	40
#define PF_RIP	48
#define PF_CS	56
#define PF_RFL	64
#define PF_RSP	72
#define PF_SS	80

wg_pf_entry:
	leaq -8(%rsp), %rsp		/* PF_SLOT; lea keeps the flags */
	pushfq
	pushq %rax
	pushq %rdx
	pushq %rcx
	testb $3, PF_CS(%rsp)
	jnz 1f
	leaq wg_probe(%rip), %rax	/* kernel mode: our own probe? */
	cmpq %rax, PF_RIP(%rsp)
	jne 4f
	leaq wg_probe_fail(%rip), %rax
	jmp 5f
4:	leaq wg_ud_probe(%rip), %rax
	cmpq %rax, PF_RIP(%rsp)
	jne 8f
	leaq wg_ud_probe_fail(%rip), %rax
5:	movq %rax, PF_RIP(%rsp)
	popq %rcx
	popq %rdx
	popq %rax
	addq $24, %rsp			/* flags, slot, error code */
	iretq
1:	movq %cr2, %rax
	cmpq PF_RIP(%rsp), %rax
	jne 8f
	cmpq $0, DATA(WD_TRACE + 64)	/* --verbose: the first such frame */
	jne 2f
	movq PF_RIP(%rsp), %rax
	movq %rax, DATA(WD_TRACE)
	movq PF_CS(%rsp), %rax
	movq %rax, DATA(WD_TRACE + 8)
	movq PF_RFL(%rsp), %rax
	movq %rax, DATA(WD_TRACE + 16)
	movq PF_RSP(%rsp), %rax
	movq %rax, DATA(WD_TRACE + 24)
	movq PF_SS(%rsp), %rax
	movq %rax, DATA(WD_TRACE + 32)
	movq PF_ERR(%rsp), %rax
	movq %rax, DATA(WD_TRACE + 40)
	movq PF_RCX(%rsp), %rax
	movq %rax, DATA(WD_TRACE + 48)
	movq %r11, DATA(WD_TRACE + 56)
	movq $1, DATA(WD_TRACE + 64)
2:	movq PF_ERR(%rsp), %rax
	andq $~0x10, %rax
	cmpq $5, %rax			/* present, read or fetch, user */
	jne 8f
	movl $0xc0000082, %ecx		/* LSTAR */
	call wg_msr_read
	cmpq PF_RIP(%rsp), %rax
	jne 8f
	movq PF_RCX(%rsp), %rax		/* 0f 05 just before %rcx? */
	subq $2, %rax
	jb 8f
	movabsq $0x00007ffffffffffe, %rdx	/* a canonical user address */
	cmpq %rdx, %rax
	ja 8f
	movq %cr4, %rdx
	btq $21, %rdx			/* SMAP */
	jnc wg_probe
	stac
wg_probe:
	movzwl (%rax), %eax
	btq $21, %rdx
	jnc 3f
	clac
3:	cmpw $0x050f, %ax
	jne 8f
	/* The syscall: CS = STAR[47:32], SS = CS + 8, RPL 0. */
	movl $0xc0000081, %ecx
	call wg_msr_read
	shrq $32, %rax
	andl $0xfffc, %eax
	movq %rax, PF_CS(%rsp)
	addl $8, %eax
	movq %rax, PF_SS(%rsp)
	movl $0xc0000084, %ecx		/* SFMASK */
	call wg_msr_read
	notq %rax
	andq %r11, %rax
	andq $~0x10000, %rax		/* RF */
	orq $2, %rax
	movq %rax, PF_RFL(%rsp)
	lock incq DATA(WD_SYSCALLS)
	popq %rcx			/* rip and rsp stay: LSTAR, the user's */
	popq %rdx
	popq %rax
	addq $24, %rsp
	iretq
wg_probe_fail:
	btq $21, %rdx
	jnc 8f
	clac
8:	lock incq DATA(WD_PF_PASSED)
	GUEST_GATE 14, PF_RFL, PF_SLOT	/* the guest's #PF gate, now */
	GO_GUEST 0

/*
 * #UD through the shadow gate.  PVM raises #UD for 'int $0x80' from user
 * mode (it keeps that vector for its own guests); the CPU would deliver
 * the gate, or, if the guest's gate 0x80 is absent or has DPL < 3, #GP
 * with error code 0x402 (vector 0x80, IDT).  The wedge does the latter
 * when gates 6 and 13 use the same stack (IST); everything else goes to
 * the guest's #UD handler as delivered.
 */
#define UD_RCX	0
#define UD_RDX	8
#define UD_RAX	16
#define UD_FLG	24
#define UD_SLOT1 32	/* #GP: the guest's handler */
#define UD_SLOT0 40	/* #GP: its error code; #UD: the handler */
#define UD_RIP	48
#define UD_CS	56
#define UD_RFL	64

wg_ud_entry:
	leaq -16(%rsp), %rsp		/* UD_SLOT1, UD_SLOT0 */
	pushfq
	pushq %rax
	pushq %rdx
	pushq %rcx
	lock incq DATA(WD_UD_SEEN)
	testb $3, UD_CS(%rsp)
	jz 8f
	movq UD_RIP(%rsp), %rax
	movabsq $0x00007ffffffffffe, %rdx
	cmpq %rdx, %rax
	ja 8f
	movq %cr4, %rdx
	btq $21, %rdx
	jnc wg_ud_probe
	stac
wg_ud_probe:
	movzwl (%rax), %eax
	btq $21, %rdx
	jnc 3f
	clac
3:	cmpw $0x80cd, %ax		/* int $0x80 */
	jne 8f
	movq DATA(WD_IDT_BASE), %rax
	cmpw $(0x80 * 16 + 15), DATA(WD_IDT_LIMIT)
	jb 4f				/* beyond the limit: #GP */
	movb 0x80 * 16 + 5(%rax), %cl	/* DPL 3: delivered, or #NP if not */
	andb $0x60, %cl			/* present; the wedge does neither */
	cmpb $0x60, %cl
	je 8f
4:	movb 6 * 16 + 4(%rax), %cl	/* IST of #UD and #GP */
	xorb 13 * 16 + 4(%rax), %cl
	andb $7, %cl
	jnz 8f
	testb $0x80, 13 * 16 + 5(%rax)
	jz 8f
	lock incq DATA(WD_GP_INT80)
	movq $0x402, UD_SLOT0(%rsp)	/* #GP(vector 0x80 | IDT) */
	GUEST_GATE 13, UD_RFL, UD_SLOT1
	GO_GUEST 0
wg_ud_probe_fail:
	btq $21, %rdx
	jnc 8f
	clac
8:	GUEST_GATE 6, UD_RFL, UD_SLOT0
	GO_GUEST 8

afb_kvm_guest_end:

	.section .note.GNU-stack, "", @progbits
