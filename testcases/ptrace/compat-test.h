/* SPDX-License-Identifier: MIT */
/*
 * The low-memory layout of compat-test and bench/compat-roundtrip (both
 * 32-bit code and C use it): guest pages at fixed addresses below 4 GiB,
 * each one page of the test's memfd.
 */
#ifndef COMPAT_TEST_H
#define COMPAT_TEST_H

#define T_PAD		0x10000	/* landing pad, then the exit thunks (RX) */
#define T_THUNKS	0x10100
#define T_DATA		0x11000	/* the index slot, the exit pointers (RW) */
#define T_SLOT		T_DATA
#define T_EXIT0		0x11010	/* address of exit thunk 0 */
#define T_EXIT1		0x11014	/* ... of exit thunk 1 */
#define T_FAR1		0x11020	/* far pointers for blob_farjmp64 */
#define T_FAR2		0x11028
#define T_FAR64		0x11030	/* T_PAD:0x33 for blob_loop64 */
#define T_CODE		0x20000	/* the 32-bit blobs (RX) */
#define T_STACK		0x30000	/* a stack page (RW) */
#define T_FSPAGE	0x40000	/* what %fs: reaches (RW) */
#define T_GSPAGE	0x50000	/* what %gs: reaches (RW) */
#define T_FAULT		0x60000	/* left unmapped: the first access faults */
#define T_PAGES		7	/* memfd pages, in the order above */

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "compat.h"

/* The blobs of compat-test-code.S (32-bit code, copied to T_CODE). */
extern const uint8_t compat_blobs[], compat_blobs_end[];
extern const uint8_t blob_mode[], blob_segs[], blob_limit[], blob_fault[],
	blob_ud2[], blob_spin[], blob_chain[], blob_loop[], blob_ud2_loop[],
	blob_farjmp64[], blob_farjmp64_2[], blob_farjmp64_3[], blob_loop64[];

/* compat-harness.c: the layout mapped from a memfd, exits set up. */
struct harness {
	int memfd;
	uint8_t *view;		/* the host's view of the T_PAGES pages */
	struct compat_layout layout;
};

int harness_init(struct harness *h, compat_exit_fn fn,
		 enum compat_fs_mode mode, char *err, size_t errlen);
uint8_t *harness_page(struct harness *h, uint64_t va);
int harness_map(struct harness *h, uint64_t va, int prot);
uint32_t blob_addr(const uint8_t *blob);
void harness_regs(struct compat_regs *r, const uint8_t *blob);
#endif

#endif
