// SPDX-License-Identifier: MIT
/*
 * The ptrace host's guest page-table walker (wedge/ptrace/pagetable.c) on
 * tables laid out here in a fake guest-physical memory: 4 KiB, 2 MiB and
 * 1 GiB leaves, the AND of W and U over the levels, not-present levels,
 * tables outside memory, canonical checks, and extents merged across
 * pages and split at flag or physical discontinuities; and the same for
 * a 32-bit guest's 2-level tables (4 MiB pages with PSE, PSE-36) and PAE
 * tables (the 32-byte aligned PDPT, its reserved bits, 2 MiB pages, NX
 * with and without NXE).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "../../wedge/ptrace/pagetable.h"

#define MEM	(64 * 4096)
#define ROOT	0x1000

static uint8_t mem[MEM] __attribute__((aligned(4096)));
static const struct pt_phys phys = { mem, MEM };

static void set(uint64_t table, unsigned int index, uint64_t val)
{
	memcpy(mem + table + 8 * index, &val, 8);
}

static unsigned int idx(uint64_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* user 0x10000000: PML4 0 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000 */
static int setup(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	set(ROOT, 0, 0x2000 | PT_P | PT_W | PT_U);
	set(0x2000, 0, 0x3000 | PT_P | PT_W | PT_U);
	set(0x3000, idx(0x10000000, 1), 0x4000 | PT_P | PT_W | PT_U);
	set(0x4000, 0, 0x10000 | PT_P | PT_U);			/* r/o text */
	set(0x4000, 1, 0x11000 | PT_P | PT_W | PT_U);		/* data */
	set(0x4000, 2, 0x12000 | PT_P | PT_W | PT_U);		/* data */
	set(0x4000, 3, 0x20000 | PT_P | PT_W | PT_U);		/* elsewhere */
	set(0x4000, 5, 0x22000 | PT_P | PT_W);			/* supervisor */
	/* kernel: PML4 32 -> PDPT 0x5000 with a 1 GiB page and a PD of 2 MiB */
	set(ROOT, 32, 0x5000 | PT_P | PT_W);
	set(0x5000, 0, 0x6000 | PT_P | PT_W);
	set(0x6000, 0, 0x000000 | PT_P | PT_W | PT_PS | PT_G);
	set(0x6000, 1, 0x200000 | PT_P | PT_W | PT_PS | PT_G);
	set(0x5000, 1, 0x40000000 | PT_P | PT_PS);
	/* a PDPT entry pointing outside memory */
	set(0x5000, 2, 0x80000000ULL | PT_P | PT_W);
	return 0;
}

static void test_4k(void **state)
{
	struct pt_map m;

	(void)state;
	assert_int_equal(pt_translate(&phys, ROOT, 0x10001234, &m), 0);
	assert_int_equal(m.pa, 0x11234);
	assert_int_equal(m.page_size, 4096);
	assert_int_equal(m.flags, PT_W | PT_U);
	assert_int_equal(pt_translate(&phys, ROOT, 0x10000010, &m), 0);
	assert_int_equal(m.flags, PT_U);
	assert_false(pt_access_ok(&m, 2 | 4, true));	/* user write */
	assert_true(pt_access_ok(&m, 4, true));		/* user read */
	assert_false(pt_access_ok(&m, 2, true));	/* sup. write, WP */
	assert_true(pt_access_ok(&m, 2, false));	/* sup. write, !WP */
	assert_int_equal(pt_translate(&phys, ROOT, 0x10005000, &m), 0);
	assert_false(pt_access_ok(&m, 4, true));	/* supervisor page */
	assert_int_equal(pt_translate(&phys, ROOT, 0x10004000, &m), -EFAULT);
	assert_int_equal(pt_translate(&phys, ROOT, 0x20000000, &m), -EFAULT);
}

static void test_large(void **state)
{
	struct pt_map m;

	(void)state;
	assert_int_equal(pt_translate(&phys, ROOT, 0x100000201234ULL, &m), 0);
	assert_int_equal(m.pa, 0x201234);
	assert_int_equal(m.page_size, 0x200000);
	assert_int_equal(m.flags, PT_W | PT_G);
	assert_int_equal(pt_translate(&phys, ROOT, 0x100040000010ULL, &m), 0);
	assert_int_equal(m.pa, 0x40000010);
	assert_int_equal(m.page_size, 0x40000000);
	assert_int_equal(m.flags, 0);			/* r/o, supervisor */
	assert_int_equal(pt_translate(&phys, ROOT, 0x100080000000ULL, &m), -EFAULT);
	assert_int_equal(pt_translate(&phys, ROOT, 0x0000800000000000ULL, &m), -EINVAL);
}

struct got {
	struct pt_extent e[16];
	int n;
};

static int collect(void *ctx, const struct pt_extent *e)
{
	struct got *g = ctx;

	assert_true(g->n < 16);
	g->e[g->n++] = *e;
	return 0;
}

static void test_extents(void **state)
{
	struct got g = { .n = 0 };

	(void)state;
	assert_int_equal(pt_extents(&phys, ROOT, 0x10000000, 0x10200000, collect, &g), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.e[0].va, 0x10000000);	/* text, r/o */
	assert_int_equal(g.e[0].len, 0x1000);
	assert_int_equal(g.e[0].flags, PT_U);
	assert_int_equal(g.e[1].va, 0x10001000);	/* two data pages merged */
	assert_int_equal(g.e[1].pa, 0x11000);
	assert_int_equal(g.e[1].len, 0x2000);
	assert_int_equal(g.e[2].va, 0x10003000);	/* not contiguous in pa */
	assert_int_equal(g.e[2].pa, 0x20000);
	assert_int_equal(g.e[3].va, 0x10005000);
	assert_int_equal(g.e[3].flags, PT_W);

	g.n = 0;	/* the kernel half: 2 MiB pages merge, the 1 GiB one not */
	assert_int_equal(pt_extents(&phys, ROOT, 0x100000000000ULL,
				    0x100100000000ULL, collect, &g), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.e[0].va, 0x100000000000ULL);
	assert_int_equal(g.e[0].len, 0x400000);
	assert_int_equal(g.e[0].flags, PT_W | PT_G);
	assert_int_equal(g.e[1].va, 0x100040000000ULL);
	assert_int_equal(g.e[1].len, 0x40000000);

	g.n = 0;	/* clipped to the range asked */
	assert_int_equal(pt_extents(&phys, ROOT, 0x100000100000ULL,
				    0x100000300000ULL, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.e[0].va, 0x100000100000ULL);
	assert_int_equal(g.e[0].pa, 0x100000);
	assert_int_equal(g.e[0].len, 0x200000);

	assert_int_equal(pt_extents(&phys, ROOT, 0x1001, 0x2000, collect, &g), -EINVAL);
}

static int stop_at_first(void *ctx, const struct pt_extent *e)
{
	(void)ctx, (void)e;
	return 7;
}

static void test_extents_stop(void **state)
{
	(void)state;
	assert_int_equal(pt_extents(&phys, ROOT, 0x10000000, 0x10200000,
				    stop_at_first, NULL), 7);
}

/* ---- 32-bit guests --------------------------------------------------- */

#define PD32		0x8000		/* 2-level: the page directory */
#define PDPT		0xa020		/* PAE: 32-byte aligned, mid-page */

static const struct pt_paging fmt32 = { PT_FMT_32, false, false };
static const struct pt_paging fmt32_pse = { PT_FMT_32, true, false };
static const struct pt_paging fmt_pae = { PT_FMT_PAE, false, false };
static const struct pt_paging fmt_pae_nx = { PT_FMT_PAE, false, true };

static void set32(uint64_t table, unsigned int index, uint32_t val)
{
	memcpy(mem + table + 4 * index, &val, 4);
}

/*
 * 2-level: user 0x08000000 -> PT 0x9000 (as setup()'s user pages);
 * kernel 0xc0000000 a 4 MiB page at 0, 0xc0400000 one above 4 GiB
 * (PSE-36), 0xc0800000 one with reserved bit 21, 0xffc00000 the top.
 * PAE: PDPT[0] -> PD 0xd000 -> PT 0xe000 for user 0x08000000 (an NX text
 * page and a data page); PDPT[1] with a reserved bit; PDPT[3] -> PD
 * 0xb000: 2 MiB pages at 0xc0000000 (global) and 0xc0200000 (NX).
 */
static int setup32(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	set32(PD32, 0x020, 0x9000 | PT_P | PT_W | PT_U);
	set32(0x9000, 0, 0x10000 | PT_P | PT_U);
	set32(0x9000, 1, 0x11000 | PT_P | PT_W | PT_U);
	set32(0x9000, 2, 0x12000 | PT_P | PT_W | PT_U);
	set32(0x9000, 3, 0x20000 | PT_P | PT_W);
	set32(PD32, 0x021, 0x9000 | PT_P | PT_W);		/* supervisor */
	set32(PD32, 0x300, 0x000000 | PT_P | PT_W | PT_PS | PT_G);
	set32(PD32, 0x301, 0x400000 | 1u << 13 | PT_P | PT_PS);
	set32(PD32, 0x302, 0x800000 | 1u << 21 | PT_P | PT_PS);
	set32(PD32, 0x3ff, 0xffc00000u | PT_P | PT_W | PT_PS);

	set(PDPT, 0, 0xd000 | PT_P);
	set(0xd000, 0x40, 0xe000 | PT_P | PT_W | PT_U);
	set(0xe000, 0, 0x10000 | PT_P | PT_U | PT_NX);
	set(0xe000, 1, 0x11000 | PT_P | PT_W | PT_U);
	set(PDPT, 1, 0xf000 | PT_P | PT_W);		/* W is reserved */
	set(PDPT, 3, 0xb000 | PT_P);
	set(0xb000, 0, 0x200000 | PT_P | PT_W | PT_PS | PT_G);
	set(0xb000, 1, 0x400000 | PT_P | PT_W | PT_PS | PT_NX);
	return 0;
}

static void test_paging_of(void **state)
{
	struct pt_paging pg;

	(void)state;
	pt_paging_of(&pg, 0x10, 0);			/* CR4.PSE */
	assert_int_equal(pg.format, PT_FMT_32);
	assert_true(pg.pse);
	assert_false(pg.nxe);
	pt_paging_of(&pg, 0x20, 0x800);			/* PAE, NXE */
	assert_int_equal(pg.format, PT_FMT_PAE);
	assert_false(pg.pse);
	assert_true(pg.nxe);
	pt_paging_of(&pg, 0x20, 0x500);			/* LME, LMA */
	assert_int_equal(pg.format, PT_FMT_LONG);
}

static void test_2level(void **state)
{
	struct pt_map m;

	(void)state;
	assert_int_equal(pt_walk(&phys, &fmt32, PD32, 0x08001234, &m), 0);
	assert_int_equal(m.pa, 0x11234);
	assert_int_equal(m.page_size, 4096);
	assert_int_equal(m.flags, PT_W | PT_U);
	assert_int_equal(pt_walk(&phys, &fmt32, PD32, 0x08000010, &m), 0);
	assert_int_equal(m.flags, PT_U);
	assert_int_equal(pt_walk(&phys, &fmt32, PD32 | 0xfff, 0x08003000, &m), 0);
	assert_int_equal(m.pa, 0x20000);		/* CR3's low bits */
	assert_int_equal(m.flags, PT_W);
	assert_int_equal(pt_walk(&phys, &fmt32, PD32, 0x08401000, &m), 0);
	assert_int_equal(m.flags, PT_W);		/* U clear in the PDE */
	assert_int_equal(pt_walk(&phys, &fmt32, PD32, 0x08004000, &m), -EFAULT);
	assert_int_equal(pt_walk(&phys, &fmt32, PD32, 0x0c000000, &m), -EFAULT);
	assert_int_equal(pt_walk(&phys, &fmt32, PD32, 0x100000000ULL, &m),
			 -EINVAL);
}

static void test_2level_pse(void **state)
{
	struct pt_map m;

	(void)state;
	assert_int_equal(pt_walk(&phys, &fmt32_pse, PD32, 0xc0123456, &m), 0);
	assert_int_equal(m.pa, 0x123456);
	assert_int_equal(m.page_size, PT_PAGE_4M);
	assert_int_equal(m.flags, PT_W | PT_G);
	assert_int_equal(pt_walk(&phys, &fmt32_pse, PD32, 0xc0400010, &m), 0);
	assert_int_equal(m.pa, 0x100400010ULL);		/* PSE-36 */
	assert_int_equal(m.flags, 0);
	assert_int_equal(pt_walk(&phys, &fmt32_pse, PD32, 0xc0800000, &m),
			 -EINVAL);
	assert_int_equal(pt_walk(&phys, &fmt32_pse, PD32, 0xfffff000, &m), 0);
	assert_int_equal(m.pa, 0xfffff000);
	/* without CR4.PSE the PS bit means nothing: a table at 0 (empty) */
	assert_int_equal(pt_walk(&phys, &fmt32, PD32, 0xc0123456, &m), -EFAULT);
	/* user pages walk the same with PSE */
	assert_int_equal(pt_walk(&phys, &fmt32_pse, PD32, 0x08002008, &m), 0);
	assert_int_equal(m.pa, 0x12008);
}

static void test_pae(void **state)
{
	struct pt_map m;

	(void)state;
	assert_int_equal(pt_walk(&phys, &fmt_pae_nx, PDPT, 0x08000123, &m), 0);
	assert_int_equal(m.pa, 0x10123);
	assert_int_equal(m.page_size, 4096);
	assert_int_equal(m.flags, PT_U | PT_XD);
	assert_int_equal(pt_walk(&phys, &fmt_pae_nx, PDPT, 0x08001123, &m), 0);
	assert_int_equal(m.flags, PT_W | PT_U);		/* the PDPTE restricts
							   nothing */
	assert_int_equal(pt_walk(&phys, &fmt_pae_nx, PDPT, 0xc0012345, &m), 0);
	assert_int_equal(m.pa, 0x212345);
	assert_int_equal(m.page_size, PT_PAGE_2M);
	assert_int_equal(m.flags, PT_W | PT_G);
	assert_int_equal(pt_walk(&phys, &fmt_pae_nx, PDPT, 0xc0200000, &m), 0);
	assert_int_equal(m.flags, PT_W | PT_XD);
	/* NX without NXE is a reserved bit */
	assert_int_equal(pt_walk(&phys, &fmt_pae, PDPT, 0x08000123, &m), -EINVAL);
	assert_int_equal(pt_walk(&phys, &fmt_pae, PDPT, 0xc0200000, &m), -EINVAL);
	assert_int_equal(pt_walk(&phys, &fmt_pae, PDPT, 0x08001123, &m), 0);
	/* a PDPT entry with reserved bits, one not present, above 4 GiB */
	assert_int_equal(pt_walk(&phys, &fmt_pae_nx, PDPT, 0x40000000, &m),
			 -EINVAL);
	assert_int_equal(pt_walk(&phys, &fmt_pae_nx, PDPT, 0x80000000, &m),
			 -EFAULT);
	assert_int_equal(pt_walk(&phys, &fmt_pae_nx, PDPT, 0x100000000ULL, &m),
			 -EINVAL);
	/* CR3 bits 4:0 are not part of the PDPT address */
	assert_int_equal(pt_walk(&phys, &fmt_pae_nx, PDPT | 0x18, 0x08001000,
				 &m), 0);
	assert_int_equal(m.pa, 0x11000);
}

static void test_extents32(void **state)
{
	struct got g = { .n = 0 };

	(void)state;
	assert_int_equal(pt_extents_of(&phys, &fmt32, PD32, 0x08000000,
				       0x08400000, collect, &g), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.e[0].va, 0x08000000);
	assert_int_equal(g.e[0].flags, PT_U);
	assert_int_equal(g.e[1].va, 0x08001000);	/* two pages merged */
	assert_int_equal(g.e[1].len, 0x2000);
	assert_int_equal(g.e[2].pa, 0x20000);
	assert_int_equal(g.e[2].flags, PT_W);

	g.n = 0;	/* 4 MiB pages; the invalid one skipped; the top */
	assert_int_equal(pt_extents_of(&phys, &fmt32_pse, PD32, 0xc0000000,
				       0x100000000ULL, collect, &g), 0);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.e[0].va, 0xc0000000);
	assert_int_equal(g.e[0].len, PT_PAGE_4M);
	assert_int_equal(g.e[0].flags, PT_W | PT_G);
	assert_int_equal(g.e[1].pa, 0x100400000ULL);
	assert_int_equal(g.e[2].va, 0xffc00000);
	assert_int_equal(g.e[2].len, PT_PAGE_4M);

	assert_int_equal(pt_extents_of(&phys, &fmt32, PD32, 0xfffff000,
				       0x100001000ULL, collect, &g), -EINVAL);
}

static void test_extents_pae(void **state)
{
	struct got g = { .n = 0 };

	(void)state;
	assert_int_equal(pt_extents_of(&phys, &fmt_pae_nx, PDPT, 0,
				       0x100000000ULL, collect, &g), 0);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.e[0].va, 0x08000000);	/* split by NX */
	assert_int_equal(g.e[0].flags, PT_U | PT_XD);
	assert_int_equal(g.e[1].va, 0x08001000);
	assert_int_equal(g.e[1].flags, PT_W | PT_U);
	assert_int_equal(g.e[2].va, 0xc0000000);
	assert_int_equal(g.e[2].len, PT_PAGE_2M);
	assert_int_equal(g.e[2].flags, PT_W | PT_G);
	assert_int_equal(g.e[3].va, 0xc0200000);
	assert_int_equal(g.e[3].pa, 0x400000);
	assert_int_equal(g.e[3].flags, PT_W | PT_XD);

	g.n = 0;	/* without NXE the NX entries are invalid: skipped */
	assert_int_equal(pt_extents_of(&phys, &fmt_pae, PDPT, 0,
				       0x100000000ULL, collect, &g), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.e[0].va, 0x08001000);
	assert_int_equal(g.e[1].va, 0xc0000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_4k, setup),
		cmocka_unit_test_setup(test_large, setup),
		cmocka_unit_test_setup(test_extents, setup),
		cmocka_unit_test_setup(test_extents_stop, setup),
		cmocka_unit_test(test_paging_of),
		cmocka_unit_test_setup(test_2level, setup32),
		cmocka_unit_test_setup(test_2level_pse, setup32),
		cmocka_unit_test_setup(test_pae, setup32),
		cmocka_unit_test_setup(test_extents32, setup32),
		cmocka_unit_test_setup(test_extents_pae, setup32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
