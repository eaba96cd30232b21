/* SPDX-License-Identifier: MIT */
/*
 * The in-guest half of the KVM wedge: its layout in the wedge window and
 * the data page it shares with the VMM.  Used by guest.S and by patch.c.
 *
 * The wedge occupies the 2 MiB of guest RAM at the top of memory (reserved
 * in the memory map), mapped with one 2 MiB page at WEDGE_VADDR:
 *
 *	+0x00000  code (guest.S), at most WG_CODE_MAX bytes
 *	+0x04000  data page (below), written by the wedge and the VMM
 *	+0x06000  shadow IDT (the guest's, with the #PF gate into the wedge)
 *	+0x10000  per-site thunks (patch.c), up to +0x1fd000
 *	+0x1fd000 PDPT and PD that map the window (not mapped themselves)
 */
#ifndef AFB_KVM_GUEST_H
#define AFB_KVM_GUEST_H

#define WG_CODE_OFF		0x0
#define WG_CODE_MAX		0x4000
#define WG_DATA_OFF		0x4000
#define WG_IDT_OFF		0x6000	/* shadow IDT, 4 KiB */
#define WG_THUNK_OFF		0x10000
#define WG_PGTABLE_OFF		0x1fd000
#define WG_THUNK_MAX		(WG_PGTABLE_OFF - WG_THUNK_OFF)

/*
 * The 32-bit wedge (guest32.S), for i386 kernels: it has out, in and
 * cpuid only, and lives in the area the image declares with an Afterburn
 * area note (an address range the kernel maps executable in every page
 * table, from its first instruction with paging on: doc/guest-contract.md),
 * so the VMM installs no mapping:
 *
 *	+0x0000  code (guest32.S), at most WG32_CODE_MAX bytes
 *	+0x1000  data page (the WD_* layout below, to WD_CON_BUF's end)
 *	+0x3000  per-site thunks, to the end of the area
 */
#define WG32_CODE_MAX		0x1000
#define WG32_DATA_OFF		0x1000
#define WG32_THUNK_OFF		0x3000

/* The data page, offsets from WG_DATA_OFF (WG32_DATA_OFF). */
#define WD_PML4E		0x000	/* u64: PML4 entry of the window */
#define WD_CON_LEN		0x008	/* u32: bytes in WD_CON_BUF */
#define WD_UART_LCR		0x00c	/* u8: last LCR written (DLAB) */
#define WD_UART_IER		0x00d	/* u8: last IER written */
#define WD_UART_LSR		0x00e	/* u8: LSR, kept current by the VMM */
#define WD_IDT_BASE		0x010	/* u64: the IDT the guest loaded */
#define WD_IDT_LIMIT		0x018	/* u16: its limit */
#define WD_IDT_SHADOW		0x01c	/* u32: 1 if the shadow IDT is loaded */
#define WD_SYSCALLS		0x020	/* u64: syscall entries done by the wedge */
#define WD_PF_PASSED		0x028	/* u64: #PFs handed to the guest */
/* 0x030-0x03f: unused (the wedge keeps no scratch here: see guest.S) */
#define WD_GP_INT80		0x9c0	/* u64: user int $0x80 turned into #GP */
#define WD_UD_SEEN		0x9c8	/* u64: #UDs through the shadow gate */
#define WD_MSR_OFF		0x9d0	/* u32: 1 if a wrmsr runs natively, or
					   several vCPUs (each has its own
					   MSRs): no cache */
#define WD_CON_LOCK		0x9d4	/* u32: bit 0 held by whoever fills or
					   empties WD_CON_BUF (a vCPU in the
					   wedge, or the VMM) */
#define WD_MSR_CACHE		0x040	/* 8 x {u64 value, u64 valid} */
#define WD_MSR_FIRST		0xc0000080	/* EFER, STAR, LSTAR, CSTAR, SFMASK */
#define WD_MSR_COUNT		5
#define WD_CPUID_STD		0x100	/* 32 x struct wg_cpuid: leaves 0-0x1f */
#define WD_CPUID_EXT		0x500	/* 32 x: 0x80000000-0x8000001f */
#define WD_CPUID_LEAVES		32
#define WD_TRACE		0x900	/* first user #PF at CR2 == RIP: rip, cs,
					   rflags, rsp, ss, error, rcx, r11, valid */
#define WD_CON_BUF		0x1000	/* console bytes for the VMM */
#define WD_CON_SIZE		0x1000

/* struct wg_cpuid: 32 bytes */
#define WC_EAX			0
#define WC_EBX			4
#define WC_ECX			8
#define WC_EDX			12
#define WC_VALID		16	/* u32: 1 if the table answers this leaf */
#define WC_SIZE			32

/* Wedge-to-VMM calls: 'out %eax, %dx' with %dx = WG_PORT, %eax = call. */
#define WG_PORT			0xafb0
#define WG_CALL_FLUSH		1	/* write WD_CON_LEN bytes of WD_CON_BUF */

#define WG_COM1			0x3f8
#define WG_COM1_IER		0x3f9
#define WG_COM1_LCR		0x3fb
#define WG_COM1_LSR		0x3fd
#define WG_POWER_PORT		0xf4
#define WG_DELAY_PORT		0x80	/* POST code, I/O delay: no device */

#endif
