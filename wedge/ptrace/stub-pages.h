/* SPDX-License-Identifier: MIT */
/*
 * The user pages a stub maps (stub-pages.c): what stub.c has asked it to
 * map, by virtual address.
 */
#ifndef AFTERBURN_PTRACE_STUB_PAGES_H
#define AFTERBURN_PTRACE_STUB_PAGES_H

#include <stddef.h>
#include <stdint.h>

struct stub_page {
	uint64_t va;		/* user page */
	uint64_t pa;		/* guest-physical page behind it */
	unsigned int prot;	/* PROT_READ | PROT_WRITE | PROT_EXEC */
};

/* page[0..n), and an index of them by va (1 << shift slots). */
struct stub_pages {
	struct stub_page *page;
	size_t n, cap;
	uint32_t *index;	/* position + 1, or 0: empty */
	unsigned int shift;
};

struct stub_page *stub_pages_find(const struct stub_pages *set, uint64_t va);
/* Record (or update) @va; 0, or -ENOMEM with @set as it was. */
int stub_pages_set(struct stub_pages *set, uint64_t va, uint64_t pa,
		   unsigned int prot);
/* Remove page[@pos]; the last page takes its place. */
void stub_pages_remove(struct stub_pages *set, size_t pos);
void stub_pages_clear(struct stub_pages *set);

#endif
