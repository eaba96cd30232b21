// SPDX-License-Identifier: MIT
/*
 * The ptrace host's set of the pages a stub maps (wedge/ptrace/stub-pages.c)
 * against a plain array: random inserts, updates and removals (the index
 * is rebuilt as it grows and shifts its probe runs back at each removal),
 * with every lookup checked after each step, and addresses that collide in
 * the hash (the same page number modulo a power of two).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../wedge/ptrace/stub-pages.h"

#define N_VA	700

static uint64_t va_of(unsigned int i, unsigned int stride)
{
	return 0x8048000ULL + (uint64_t)i * stride * 4096;
}

/* The model: model[i] is the pa recorded for va_of(i), or 0. */
static void check_all(const struct stub_pages *set, const uint64_t *model,
		      unsigned int stride)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < N_VA; i++) {
		struct stub_page *p = stub_pages_find(set, va_of(i, stride));

		if (!model[i]) {
			assert_null(p);
			continue;
		}
		assert_non_null(p);
		assert_int_equal(p->va, va_of(i, stride));
		assert_int_equal(p->pa, model[i]);
		n++;
	}
	assert_int_equal(set->n, n);
}

static size_t pos_of(const struct stub_pages *set, uint64_t va)
{
	return (size_t)(stub_pages_find(set, va) - set->page);
}

static void churn(unsigned int stride, unsigned int seed)
{
	struct stub_pages set = { 0 };
	uint64_t model[N_VA] = { 0 };
	unsigned int step, i;

	srand(seed);
	for (step = 0; step < 6000; step++) {
		i = (unsigned int)rand() % N_VA;
		if (model[i] && rand() % 3 == 0) {
			stub_pages_remove(&set, pos_of(&set, va_of(i, stride)));
			model[i] = 0;
		} else {
			model[i] = 0x100000 + (uint64_t)step * 4096;
			assert_int_equal(stub_pages_set(&set, va_of(i, stride),
							model[i], 3), 0);
		}
		if (step % 97 == 0)
			check_all(&set, model, stride);
	}
	check_all(&set, model, stride);
	/* empty it in array order, then clear and reuse */
	while (set.n)
		stub_pages_remove(&set, 0);
	for (i = 0; i < N_VA; i++)
		model[i] = 0;
	check_all(&set, model, stride);
	assert_int_equal(stub_pages_set(&set, va_of(5, stride), 0x5000, 1), 0);
	stub_pages_clear(&set);
	check_all(&set, model, stride);
	free(set.page);
	free(set.index);
}

static void test_adjacent_pages(void **state)
{
	(void)state;
	churn(1, 1);
}

/* Page numbers 1024 apart: the low bits of the hash input are equal. */
static void test_strided_pages(void **state)
{
	(void)state;
	churn(1024, 2);
}

static void test_find_in_empty_set(void **state)
{
	struct stub_pages set = { 0 };

	(void)state;
	assert_null(stub_pages_find(&set, 0x8048000));
	stub_pages_clear(&set);
	assert_null(stub_pages_find(&set, 0x8048000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_in_empty_set),
		cmocka_unit_test(test_adjacent_pages),
		cmocka_unit_test(test_strided_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
