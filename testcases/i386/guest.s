# A tiny i386 guest for make check (testcases/i386/elf32.sh): entered in
# 32-bit protected mode without paging through its PVH note, at its
# physical address, linked 0xc0000000 above it as Linux i386 is.  It runs
# a few sensitive instructions, prints a line on COM1 with out, and ends
# QEMU through isa-debug-exit.  As built, its sites run natively; patched
# by afterburn-patch --wedge=native, each jumps to a 32-bit thunk in the
# wedge area, which the same offset makes reachable before paging.
	.set	OFFSET, 0xc0000000
	.set	COM1, 0x3f8
	.set	DEBUG_EXIT, 0xf4

	.text
	.globl	pvh_start
pvh_start:
	cli
	movl	$stack_top - OFFSET, %esp
	pushfl
	popfl
	push	%ds
	pop	%ds
	movl	%ds, %eax
	movl	%eax, %es
	movl	%cr0, %eax
	movl	%eax, %cr0
	xorl	%eax, %eax
	cpuid
	rdtsc
	movl	$msg - OFFSET, %esi
	movw	$COM1, %dx
1:	lodsb
	testb	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	movw	$DEBUG_EXIT, %dx
	movb	$0x10, %al
	outb	%al, %dx
3:	hlt
	jmp	3b

	.section .rodata, "a"
msg:	.asciz	"afterburn-i386: sites ran\n"

	.bss
	.balign	16
	.skip	1024
stack_top:

	# XEN_ELFNOTE_PHYS32_ENTRY: the physical entry point.
	.section .note.Xen, "a", @note
	.balign	4
	.long	4, 4, 18
	.asciz	"Xen"
	.balign	4
	.long	pvh_start - OFFSET
