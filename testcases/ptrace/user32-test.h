/* SPDX-License-Identifier: MIT */
/*
 * The guest of user32-test.c: a 32-bit guest with 2-level paging, its
 * user pages at i386 Linux's addresses and its kernel above 3 GiB (the
 * test never runs kernel code: the core delivers every event and the
 * test reads what it pushed).
 */
#ifndef USER32_TEST_H
#define USER32_TEST_H

#define U_CODE		0x08048000	/* the blobs (user, read-only) */
#define U_DATA		0x08049000	/* user, read-write */
#define U_SYSCALL_PTR	(U_DATA + 0x10)	/* the stub's syscall instruction */
#define U_FORGE_DESC	(U_DATA + 0x100)	/* a struct user_desc, forged */
#define U_GO		(U_DATA + 0x200)	/* the test sets it: go on */
#define U_STACK		0x0804b000	/* user stack page (top: + 0x1000) */
#define U_TLS		0x0804c000	/* what the TLS segment's base is */
#define U_RO		0x0804d000	/* user, read-only */
#define U_NOTMAPPED	0x0804e000	/* not present */
#define U_STACK2	0x0bfff000	/* a stack page in another 4 MiB region */
#define U_TLS_SEL	0x33		/* GDT entry 6, i386 Linux's TLS */
#define U_TLS_MAGIC	0x5eed1e55

#ifndef __ASSEMBLER__
#include <stdint.h>

extern const uint8_t user32_blobs[], user32_blobs_end[];
extern const uint8_t u_int80[], u_int80_2[], u_gs[], u_gsload[],
	u_gsload_mov[], u_sysenter[], u_sysenter_nostack[], u_sysenter_fresh[], u_syscall32[], u_pf[], u_pf_ro[], u_ud2[], u_div[], u_div_insn[],
	u_int3[], u_int3_after[], u_cli[], u_spin[], u_gsload_spin[],
	u_gsload_spin_loop[], u_gsload_wait[], u_gsload_wait_int80[], u_far64[],
	u_forge_ldt[], u_int_n[], u_syscall64[];
#endif

#endif
