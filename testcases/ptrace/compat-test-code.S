/* SPDX-License-Identifier: MIT */
/*
 * 32-bit code for compat-test and bench/compat-roundtrip, copied as one
 * block to T_CODE (compat-test.h) and run in compatibility mode.  Only
 * relative jumps inside the block and absolute addresses of the layout:
 * it runs wherever T_CODE is.  Each blob leaves through an exit thunk
 * (jmp *T_EXIT0 or *T_EXIT1).
 */
#include "compat-test.h"

	.section .rodata
	.globl compat_blobs, compat_blobs_end
	.globl blob_mode, blob_segs, blob_limit, blob_fault, blob_ud2
	.globl blob_spin, blob_chain, blob_loop, blob_ud2_loop
	.globl blob_farjmp64, blob_farjmp64_2, blob_farjmp64_3, blob_loop64
	.code32
compat_blobs:

/* Registers and mode: eax = -1 only in 32-bit code (0x48 is dec %eax,
   a REX prefix in 64-bit code), edx = esp, ebp = cs, CF, DF and AC set,
   the rest +1. */
blob_mode:
	pushfl
	orl $0x40400, (%esp)
	popfl
	xorl %eax, %eax
	.byte 0x48
	nop
	movl %esp, %edx
	movl %cs, %ebp
	incl %ebx
	incl %ecx
	incl %esi
	incl %edi
	stc
	jmp *T_EXIT0

/* %fs: and %gs: through the LDT entries: eax = fs:0, edx = gs:0,
   ecx = fs:0xffc (the limit's last dword), and a write to fs:8. */
blob_segs:
	movl %fs:0, %eax
	movl %gs:0, %edx
	movl %fs:0xffc, %ecx
	movl $0x600df00d, %fs:8
	jmp *T_EXIT0

/* Beyond %fs's limit: #GP (SIGSEGV, SI_KERNEL), not a page fault. */
blob_limit:
	movl %fs:0x1000, %eax
	jmp *T_EXIT0

/* A page that is not mapped yet: the handler maps it and resumes. */
blob_fault:
	movl (%ebx), %eax
	movl $0x12345678, 4(%ebx)
	jmp *T_EXIT0

/* ud2: the handler skips it, changes registers and %gs. */
blob_ud2:
	ud2
	movl %gs:0, %edx
	jmp *T_EXIT0

/* Spin until a signal clears ecx. */
blob_spin:
1:	incl %eax
	testl %ecx, %ecx
	jnz 1b
	jmp *T_EXIT0

/* eax + 1, then exit 1 (which resumes here until it has had enough). */
blob_chain:
	incl %eax
	jmp *T_EXIT1

/* The round trip: an exit, resumed here. */
blob_loop:
	jmp *T_EXIT1

/* The trap round trip: ud2, skipped by the handler, until ecx is 0. */
blob_ud2_loop:
1:	ud2
	testl %ecx, %ecx
	jnz 1b
	jmp *T_EXIT0

/* 64-bit code (for bench/compat-roundtrip): rdi times, two far jumps
   through the far pointers at T_FAR1 (to 2f) and T_FAR2 (to 3f). */
	.code64
blob_farjmp64:
1:	ljmpl *T_FAR1
blob_farjmp64_2:
	ljmpl *T_FAR2
blob_farjmp64_3:
	decq %rdi
	jnz 1b
	ret

/* 64-bit code (for bench/compat-roundtrip): an exit as a 32-bit thunk
   makes it (index 1, a far jump to the landing pad), from 64-bit mode:
   the whole exit round trip on a host that runs no 32-bit code. */
blob_loop64:
	movl $1, T_SLOT
	ljmpl *T_FAR64

compat_blobs_end:

	.section .note.GNU-stack, "", @progbits
