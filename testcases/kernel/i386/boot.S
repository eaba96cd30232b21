// Boot (i386): the PVH entry, ending in main(start_info_pa).
//
//  pvh_start32  the PVH entry, named by the XEN_ELFNOTE_PHYS32_ENTRY note
//               and by e_entry (a physical address, as in Linux's i386
//               vmlinux). 32-bit protected mode, paging off, flat
//               segments, %ebx = physical address of struct
//               hvm_start_info. QEMU's -kernel and afterburn-kvm start
//               ELF kernels here.
//
// main() builds the kernel's real page tables first thing, so the boot
// tables below only have to cover the image.
#include "memlayout.h"
#include "mmu.h"
#include "pvh.h"

// The PVH note: the physical address of the 32-bit entry, a pointer-sized
// value (4 bytes in ELF32, as Linux writes it).
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f                   // n_namesz
	.long 4f - 3f                   // n_descsz
	.long XEN_ELFNOTE_PHYS32_ENTRY  // n_type
1:	.asciz "Xen"
2:	.balign 4
3:	.long V2P_WO(pvh_start32)
4:	.balign 4
	.popsection

// The wedge area for offline patching (doc/guest-contract.md, "Offline
// patching"): physical 0x90000-0x9efff, which this kernel maps (4 MiB
// pages, executable: two-level paging has no NX) at KERNEL_BASE + 0x90000
// in every page directory and never uses. The same note as on x86-64.
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
	.globl pvh_start32
pvh_start32:
	cld
	lgdt V2P_WO(bootgdt_desc)
	ljmp $KCODE_SEL, $V2P_WO(1f)
1:	movl $KDATA_SEL, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss

	// 4 MiB pages, then paging; the boot directory maps the first
	// 16 MiB twice, at 0 (this code) and at KERNEL_BASE.
	movl %cr4, %eax
	orl $CR4_PSE, %eax
	movl %eax, %cr4
	movl $V2P_WO(boot_pgdir), %eax
	movl %eax, %cr3
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0
	movl $entry_high, %eax
	jmp *%eax
	// Its extent in the symbol table tells a host which code runs before
	// paging (afterburn-kvm leaves those sites native).
	.type pvh_start32, @function
	.size pvh_start32, . - pvh_start32

	.text
entry_high:
	movl $boot_stack_top, %esp
	xorl %ebp, %ebp
	subl $12, %esp                  // keep %esp 16-byte aligned at the call
	pushl %ebx
	call main
2:	cli
	hlt
	jmp 2b

// The GDT for the boot path; main() installs the real one.
	.section .rodata
	.balign 8
bootgdt:
	.quad 0
	.quad 0x00cf9a000000ffff        // KCODE_SEL: flat 32-bit code
	.quad 0x00cf92000000ffff        // KDATA_SEL: flat data
bootgdt_desc:
	.word bootgdt_desc - bootgdt - 1
	.long V2P_WO(bootgdt)

#define BOOT_PDES 4                     // 4 x 4 MiB
	.section .data.boot, "aw"
	.balign PGSIZE
boot_pgdir:
	.set i, 0
	.rept BOOT_PDES
	.long (i << 22) + PTE_P + PTE_W + PTE_PS
	.set i, i + 1
	.endr
	.fill PDX(KERNEL_BASE) - BOOT_PDES, 4, 0
	.set i, 0
	.rept BOOT_PDES
	.long (i << 22) + PTE_P + PTE_W + PTE_PS
	.set i, i + 1
	.endr
	.fill NPTENTRIES - PDX(KERNEL_BASE) - BOOT_PDES, 4, 0

// The boot stack; main() ends in scheduler(), which keeps using it.
	.bss
	.balign 16
boot_stack:
	.space 16384
	.globl boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
