// SPDX-License-Identifier: MIT
/*
 * The user pages a stub maps (stub.c): an array, for walking them all
 * (stub_sync), and an open-addressing index by virtual address, for
 * finding one (every page of a 2 MiB region at each stub fault: with a
 * linear search, a process of a few hundred pages cost a quarter of a
 * million comparisons a fault).
 *
 * The index holds array positions plus one (0: an empty slot), probed
 * linearly from a multiplicative hash of the page number; it is kept at
 * most half full, and a removal shifts the entries of its probe run back
 * (no tombstones).  Removing moves the array's last page into the hole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stub-pages.h"

#define PAGE_SHIFT	12

static size_t slot_of(const struct stub_pages *set, uint64_t va)
{
	return (size_t)(((va >> PAGE_SHIFT) * 0x9e3779b97f4a7c15ULL) >>
			(64 - set->shift));
}

static size_t next_slot(const struct stub_pages *set, size_t i)
{
	return (i + 1) & (((size_t)1 << set->shift) - 1);
}

/* The index slot that holds @va, or the empty slot where it would go. */
static size_t find_slot(const struct stub_pages *set, uint64_t va)
{
	size_t i = slot_of(set, va);

	while (set->index[i] && set->page[set->index[i] - 1].va != va)
		i = next_slot(set, i);
	return i;
}

static int rehash(struct stub_pages *set, unsigned int shift)
{
	uint32_t *index = calloc((size_t)1 << shift, sizeof(*index));
	size_t i;

	if (!index)
		return -ENOMEM;
	free(set->index);
	set->index = index;
	set->shift = shift;
	for (i = 0; i < set->n; i++)
		set->index[find_slot(set, set->page[i].va)] = (uint32_t)i + 1;
	return 0;
}

struct stub_page *stub_pages_find(const struct stub_pages *set, uint64_t va)
{
	size_t i;

	if (!set->n)
		return NULL;
	i = find_slot(set, va);
	return set->index[i] ? &set->page[set->index[i] - 1] : NULL;
}

int stub_pages_set(struct stub_pages *set, uint64_t va, uint64_t pa,
		   unsigned int prot)
{
	struct stub_page *p = stub_pages_find(set, va);

	if (!p) {
		if (set->n == set->cap) {
			size_t cap = set->cap ? 2 * set->cap : 64;

			p = realloc(set->page, cap * sizeof(*p));
			if (!p)
				return -ENOMEM;
			set->page = p;
			set->cap = cap;
		}
		if (2 * (set->n + 1) > ((size_t)1 << set->shift) &&
		    rehash(set, set->shift ? set->shift + 1 : 7))
			return -ENOMEM;
		set->page[set->n++].va = va;
		set->index[find_slot(set, va)] = (uint32_t)set->n;
		p = &set->page[set->n - 1];
	}
	*p = (struct stub_page){ va, pa, prot };
	return 0;
}

/* Take slot @hole out of its probe run: move later entries back. */
static void unslot(struct stub_pages *set, size_t hole)
{
	size_t i = hole, home;

	set->index[hole] = 0;
	for (;;) {
		i = next_slot(set, i);
		if (!set->index[i])
			return;
		home = slot_of(set, set->page[set->index[i] - 1].va);
		/* stays if its home lies cyclically in (hole, i] */
		if (hole <= i ? (home > hole && home <= i)
			      : (home > hole || home <= i))
			continue;
		set->index[hole] = set->index[i];
		set->index[i] = 0;
		hole = i;
	}
}

void stub_pages_remove(struct stub_pages *set, size_t pos)
{
	size_t last = set->n - 1;

	unslot(set, find_slot(set, set->page[pos].va));
	if (pos != last) {
		set->page[pos] = set->page[last];
		set->index[find_slot(set, set->page[pos].va)] = (uint32_t)pos + 1;
	}
	set->n--;
}

void stub_pages_clear(struct stub_pages *set)
{
	set->n = 0;
	if (set->index)
		memset(set->index, 0, ((size_t)1 << set->shift) * sizeof(*set->index));
}
