/* SPDX-License-Identifier: MIT */
/*
 * A guest laid out as Linux 6.12 is (testcases/kvm/pvh-tables.sh): linked
 * in the top 2 GiB, its PVH entry builds nothing but switches to page
 * tables of its own (pvh_init_top_pgt, whose slot 511 is
 * pvh_level3_kernel_pgt) and runs code at its kernel addresses on them,
 * as 6.12's xen_prepare_pvh does, before it moves to the kernel's tables
 * (init_top_pgt, slot 511: level3_kernel_pgt).  On each it runs a cpuid
 * and writes the vendor string to COM1: patched, both are sites that
 * jump to the wedge window, which must be mapped in both PDPTs.  Each
 * line starts with Linux's I/O delay, a write to port 0x80, which the
 * wedge makes nops.
 */
	.set START_KERNEL_MAP, 0xffffffff80000000
	.set PG_TABLE, 0x3		/* present, writable */
	.set PG_LARGE, 0x83		/* present, writable, 2 MiB */

	.section .head.text, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	/* paging off: physical addresses from here to the far jump */
	movl $pvh_init_top_pgt - START_KERNEL_MAP, %eax
	movl %eax, %cr3
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG, PE */
	movl %eax, %cr0
	lgdt gdtr - START_KERNEL_MAP
	ljmp $0x08, $long_mode - START_KERNEL_MAP

	.code64
long_mode:
	movabsq $on_pvh_tables, %rax
	jmp *%rax

	.text
	.globl startup_64
startup_64:
on_pvh_tables:
	movabsq $stack_top, %rsp
	movabsq $pvh, %rsi
	call vendor
	movabsq $init_top_pgt - START_KERNEL_MAP, %rax
	movq %rax, %cr3
	movabsq $kernel, %rsi
	call vendor
	movb $0, %al			/* power off, status 0 */
	outb %al, $0xf4
	hlt

/* The line "<%rsi>: <cpuid 0's vendor>\n" to COM1, after an I/O delay. */
vendor:
	outb %al, $0x80
	call puts
	xorl %eax, %eax
	cpuid
	movabsq $buf, %rdi
	movl %ebx, (%rdi)
	movl %edx, 4(%rdi)
	movl %ecx, 8(%rdi)
	movq %rdi, %rsi
	call puts
	movabsq $newline, %rsi
	jmp puts

/* The NUL-terminated string at %rsi to COM1. */
puts:
	movw $0x3f8, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	ret

	.data
	.balign 8
gdt:	.quad 0
	.quad 0x00af9a000000ffff	/* 64-bit code */
gdtr:	.word gdtr - gdt - 1
	.long gdt - START_KERNEL_MAP
pvh:	.asciz "on pvh_level3_kernel_pgt: "
kernel:	.asciz "on level3_kernel_pgt: "
newline: .asciz "\n"
buf:	.fill 16, 1, 0

	.balign 4096
/* Physical 0-1 GiB in 2 MiB pages, identity below and at the kernel map. */
pd:
	.set i, 0
	.rept 512
	.quad (i << 21) | PG_LARGE
	.set i, i + 1
	.endr
pvh_init_top_pgt:
	.quad pvh_level3_ident_pgt - START_KERNEL_MAP + PG_TABLE
	.fill 510, 8, 0
	.quad pvh_level3_kernel_pgt - START_KERNEL_MAP + PG_TABLE
pvh_level3_ident_pgt:
	.quad pd - START_KERNEL_MAP + PG_TABLE
	.fill 511, 8, 0
	.globl pvh_level3_kernel_pgt
	.type pvh_level3_kernel_pgt, @object
	.size pvh_level3_kernel_pgt, 4096
pvh_level3_kernel_pgt:
	.fill 510, 8, 0
	.quad pd - START_KERNEL_MAP + PG_TABLE
	.quad 0
init_top_pgt:
	.fill 511, 8, 0
	.quad level3_kernel_pgt - START_KERNEL_MAP + PG_TABLE
	.globl level3_kernel_pgt
	.type level3_kernel_pgt, @object
	.size level3_kernel_pgt, 4096
level3_kernel_pgt:
	.fill 510, 8, 0
	.quad pd - START_KERNEL_MAP + PG_TABLE
	.quad 0
	.fill 4096, 1, 0
stack_top:

	.section .note.Xen, "a", @note
	.balign 4
	.long 4, 4, 18			/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_entry - START_KERNEL_MAP
