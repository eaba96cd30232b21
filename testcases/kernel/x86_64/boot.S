// Boot: the two ways into the kernel, both ending in main(start_info_pa).
//
//  pvh_start32  the PVH entry, named by the XEN_ELFNOTE_PHYS32_ENTRY note.
//               32-bit protected mode, paging off, flat segments,
//               %ebx = physical address of struct hvm_start_info.
//               QEMU's -kernel, Xen and Firecracker start ELF kernels here.
//  entry64      the ELF entry point (e_entry), for hosts that load the
//               image themselves: long mode, paging on with every PT_LOAD
//               mapped at p_vaddr -> p_paddr, %rdi = physical address of
//               struct hvm_start_info, interrupts off, any stack.
//
// main() builds the kernel's real page tables first thing, so the boot
// tables below only have to cover the image.
#include "memlayout.h"
#include "mmu.h"
#include "pvh.h"

// The PVH note: the physical address of the 32-bit entry. QEMU reads an
// 8-byte value here, as Linux writes it.
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f                   // n_namesz
	.long 4f - 3f                   // n_descsz
	.long XEN_ELFNOTE_PHYS32_ENTRY  // n_type
1:	.asciz "Xen"
2:	.balign 4
3:	.quad V2P_WO(pvh_start32)
4:	.balign 4
	.popsection

// The wedge area for offline patching (doc/guest-contract.md, "Offline
// patching"): physical 0x90000-0x9efff, which this kernel maps executable
// at KERNEL_BASE + 0x90000 in every page table and never uses.  A
// declaration, like the PVH note: afterburn-patch takes it as its --area.
	.pushsection .note.afterburn-area, "a", @note
	.balign 4
	.long 10, 32, 5                 // n_namesz, n_descsz, AFB_NT_AREA
	.asciz "Afterburn"
	.balign 4
	.long 0                         // reserved
	.byte 1, 0, 0, 0                // version
	.quad KERNEL_BASE + 0x90000, 0x90000, 0xf000
	.popsection

	.section .text.boot, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cld
	lgdt V2P_WO(bootgdt_desc)
	movl $KDATA_SEL, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss

	// Long mode needs PAE, EFER.LME and then paging, in that order.
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $V2P_WO(boot_pml4), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0

	// Still running at the physical address (identity mapped); the far
	// jump loads the 64-bit code segment.
	ljmp $KCODE_SEL, $V2P_WO(1f)

	.code64
1:	movl %ebx, %edi                 // zero-extends: the upper half is undefined here
	movabsq $entry64, %rax
	jmp *%rax

	.text
	.globl entry64
entry64:
	cli
	cld
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call main
2:	cli
	hlt
	jmp 2b

// The GDT for the 32-to-64-bit switch; main() installs the real one.
	.section .rodata
	.balign 8
bootgdt:
	.quad 0
	.quad 0x00af9a000000ffff        // KCODE_SEL: 64-bit code
	.quad 0x00cf92000000ffff        // KDATA_SEL: flat data
bootgdt_desc:
	.word bootgdt_desc - bootgdt - 1
	.long V2P_WO(bootgdt)

// Boot page tables: the first 1 GiB of physical memory mapped twice, at 0
// (the 32-bit code runs there) and at KERNEL_BASE, with 2 MiB pages.
	.section .data.boot, "aw"
	.balign PGSIZE
boot_pml4:
	.quad V2P_WO(boot_pdpt) + PTE_P + PTE_W
	.fill PML4X(KERNEL_BASE) - 1, 8, 0
	.quad V2P_WO(boot_pdpt) + PTE_P + PTE_W
	.fill 511 - PML4X(KERNEL_BASE), 8, 0
boot_pdpt:
	.quad V2P_WO(boot_pd) + PTE_P + PTE_W
	.fill 511, 8, 0
boot_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) + PTE_P + PTE_W + PTE_PS
	.set i, i + 1
	.endr

// The boot stack; main() ends in scheduler(), which keeps using it.
	.bss
	.balign 16
boot_stack:
	.space 16384
	.globl boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
