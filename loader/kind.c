// SPDX-License-Identifier: MIT
/*
 * Kinds: names, properties and text classification of the sensitive
 * instructions in the compiled-in table (afb_kinds[], generated from
 * afterburn/sensitive.tbl into table.c).
 *
 * afb_classify_text() is what afterburn-sites --verify calls for every
 * instruction objdump prints (3.3 M of them in a Linux vmlinux), so the
 * mnemonic lookup is a binary search over an index of every spelling,
 * built once on first use.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "table.h"

/* One spelling of one kind; several kinds share "mov", "push", "pop". */
struct spelling {
	const char *mnemonic;
	uint8_t kind;
};

#define MAX_SPELLINGS 512

static struct spelling spellings[MAX_SPELLINGS];
static size_t nr_spellings;
static pthread_once_t spellings_once = PTHREAD_ONCE_INIT;

static bool kind_valid(unsigned int kind)
{
	return kind > AFB_KIND_NONE && kind <= AFB_KIND_MAX &&
	       afb_kinds[kind].name && afb_kinds[kind].name[0];
}

static int spelling_cmp(const void *a, const void *b)
{
	const struct spelling *x = a, *y = b;
	int r = strcasecmp(x->mnemonic, y->mnemonic);

	/* Same spelling: keep the table's kind order for the operand rules. */
	return r ? r : (int)x->kind - (int)y->kind;
}

/* Collect every mnemonic of every kind and sort them; run once. */
static void spellings_init(void)
{
	unsigned int kind;
	const char *const *m;

	for (kind = 1; kind <= AFB_KIND_MAX; kind++) {
		if (!kind_valid(kind) || !afb_kinds[kind].mnemonics)
			continue;
		for (m = afb_kinds[kind].mnemonics; *m; m++) {
			if (nr_spellings == MAX_SPELLINGS)
				break;	/* cannot happen with today's table */
			spellings[nr_spellings].mnemonic = *m;
			spellings[nr_spellings].kind = kind;
			nr_spellings++;
		}
	}
	qsort(spellings, nr_spellings, sizeof(spellings[0]), spelling_cmp);
}

/* The first index entry for @mnemonic, or NULL if no kind spells it so. */
static const struct spelling *spelling_find(const char *mnemonic)
{
	size_t lo = 0, hi;

	pthread_once(&spellings_once, spellings_init);
	hi = nr_spellings;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcasecmp(spellings[mid].mnemonic, mnemonic) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < nr_spellings && !strcasecmp(spellings[lo].mnemonic, mnemonic))
		return &spellings[lo];
	return NULL;
}

AFB_EXPORT const char *afb_kind_name(unsigned int kind)
{
	return kind_valid(kind) ? afb_kinds[kind].name : NULL;
}

AFB_EXPORT int afb_kind_from_name(const char *name)
{
	unsigned int kind;

	if (!name)
		return -ENOENT;
	for (kind = 1; kind <= AFB_KIND_MAX; kind++)
		if (kind_valid(kind) && !strcasecmp(afb_kinds[kind].name, name))
			return kind;
	return -ENOENT;
}

AFB_EXPORT unsigned int afb_kind_site_len(unsigned int kind)
{
	return kind_valid(kind) ? afb_kinds[kind].site_len : 0;
}

AFB_EXPORT bool afb_kind_default_on(unsigned int kind)
{
	return kind_valid(kind) && afb_kinds[kind].default_on;
}

AFB_EXPORT const char *afb_kind_reason(unsigned int kind)
{
	return kind_valid(kind) ? afb_kinds[kind].reason : NULL;
}

/* The AFB_MODE_* bit of a code size, 0 if it is not 16, 32 or 64. */
static unsigned int mode_bit(unsigned int mode)
{
	switch (mode) {
	case 16: return AFB_MODE_16;
	case 32: return AFB_MODE_32;
	case 64: return AFB_MODE_64;
	default: return 0;
	}
}

/*
 * Split the next top-level operand off @p (commas inside parentheses, as
 * in "%fs:0x28(%rax,%rbx,1)", do not split) and return it trimmed in
 * @start/@len.  Returns the position after the operand's comma, or NULL
 * when there is no further operand.
 */
static const char *next_operand(const char *p, const char **start, size_t *len)
{
	const char *end;
	int depth = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	for (end = p; *end && *end != '#' && *end != '<'; end++) {
		if (*end == '(')
			depth++;
		else if (*end == ')')
			depth--;
		else if (*end == ',' && depth <= 0)
			break;
	}
	*start = p;
	*len = end - p;
	while (*len && (p[*len - 1] == ' ' || p[*len - 1] == '\t'))
		(*len)--;
	return *end == ',' ? end + 1 : NULL;
}

/* Is the operand @op (@len bytes) the register %<prefix><digits>? */
static bool is_numbered_reg(const char *op, size_t len, const char *prefix)
{
	size_t n = strlen(prefix), i;

	if (len && *op == '%') {
		op++;
		len--;
	}
	if (len <= n || strncasecmp(op, prefix, n))
		return false;
	for (i = n; i < len; i++)
		if (op[i] < '0' || op[i] > '9')
			return false;
	return true;
}

/* Is the operand exactly a segment register (not an override "%fs:")? */
static bool is_seg_reg(const char *op, size_t len)
{
	static const char *const segs[] = { "es", "cs", "ss", "ds", "fs", "gs" };
	size_t i;

	if (len && *op == '%') {
		op++;
		len--;
	}
	if (len != 2)
		return false;
	for (i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		if (!strncasecmp(op, segs[i], 2))
			return true;
	return false;
}

static bool operand_matches(enum afb_operand_rule rule, const char *op,
			    size_t len)
{
	switch (rule) {
	case AFB_OPERAND_CR:
		return is_numbered_reg(op, len, "cr");
	case AFB_OPERAND_DR:
		return is_numbered_reg(op, len, "db") ||
		       is_numbered_reg(op, len, "dr");
	case AFB_OPERAND_SEG:
		return is_seg_reg(op, len);
	default:
		return true;
	}
}

/* Does some operand in @operands satisfy @rule? */
static bool operands_match(enum afb_operand_rule rule, const char *operands)
{
	const char *p = operands ? operands : "", *op;
	size_t len;

	if (rule == AFB_OPERAND_ANY)
		return true;
	do {
		p = next_operand(p, &op, &len);
		if (len && operand_matches(rule, op, len))
			return true;
	} while (p);
	return false;
}

AFB_EXPORT unsigned int afb_classify_text(const char *mnemonic,
					  const char *operands,
					  unsigned int mode)
{
	unsigned int bit = mode_bit(mode);
	const struct spelling *s;

	if (!bit || !mnemonic || !*mnemonic)
		return AFB_KIND_NONE;
	s = spelling_find(mnemonic);
	if (!s)
		return AFB_KIND_NONE;
	for (; s < spellings + nr_spellings &&
	       !strcasecmp(s->mnemonic, mnemonic); s++) {
		const struct afb_kind_desc *d = &afb_kinds[s->kind];

		if ((d->modes & bit) && operands_match(d->operands, operands))
			return s->kind;
	}
	return AFB_KIND_NONE;
}
