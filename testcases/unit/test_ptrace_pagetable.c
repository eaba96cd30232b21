// SPDX-License-Identifier: MIT
/*
 * The ptrace host's guest page-table walker (wedge/ptrace/pagetable.c) on
 * tables laid out here in a fake guest-physical memory: 4 KiB, 2 MiB and
 * 1 GiB leaves, the AND of W and U over the levels, not-present levels,
 * tables outside memory, canonical checks, and extents merged across
 * pages and split at flag or physical discontinuities.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_4k, setup),
		cmocka_unit_test_setup(test_large, setup),
		cmocka_unit_test_setup(test_extents, setup),
		cmocka_unit_test_setup(test_extents_stop, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
