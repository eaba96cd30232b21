// SPDX-License-Identifier: MIT
/*
 * Guest segments as LDT entries of this process (compat.h).
 *
 * 32-bit guest code addresses %fs: and %gs: natively (i386 Linux: %fs is
 * the per-CPU segment, %gs the user's TLS or the stack canary), so the
 * host selectors in %fs and %gs must have the guest descriptors' base
 * and limit: an LDT entry (modify_ldt) per guest descriptor in use, made
 * on the first load of its selector and then found in a small cache
 * keyed by the guest selector and the descriptor's value (a changed
 * descriptor in the guest's GDT misses and gets a fresh entry, as a CPU
 * reads the table at every load).  The entries loaded in %fs and %gs are
 * never replaced: Linux reloads %fs and %gs from the LDT at every context
 * switch, so a replaced entry would change a loaded segment's base.
 *
 * Host selectors are LDT ones with RPL 3: (slot << 3) | 4 | 3.  Every
 * call to modify_ldt is a raw system call: no TLS, so that it may run
 * before the host's FS base is back (COMPAT_FS_LAZY).
 */
#include <asm/ldt.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "compat.h"

#define DESC_TYPE(d)	(((d) >> 40) & 0xf)
#define DESC_S		(1ULL << 44)
#define DESC_P		(1ULL << 47)
#define DESC_AVL	(1ULL << 52)
#define DESC_L		(1ULL << 53)
#define DESC_DB		(1ULL << 54)
#define DESC_G		(1ULL << 55)
#define DESC_ACCESSED	(1ULL << 40)

#define TYPE_CODE	0x8
#define TYPE_DOWN	0x4	/* data: expand-down; code: conforming */
#define TYPE_RW		0x2	/* data: writable; code: readable */

#define LDT_WRITE	0x11	/* modify_ldt: write, new mode */

uint64_t compat_desc_base(uint64_t desc)
{
	return ((desc >> 16) & 0xffffff) | ((desc >> 32) & 0xff000000);
}

/* The limit in bytes. */
uint32_t compat_desc_limit(uint64_t desc)
{
	uint32_t lim = (uint32_t)((desc & 0xffff) | ((desc >> 32) & 0xf0000));

	return desc & DESC_G ? (lim << 12) | 0xfff : lim;
}

/*
 * The struct user_desc for LDT @slot that mirrors the guest descriptor
 * @desc: a present data segment, or a readable non-conforming code
 * segment (what a CPU lets %fs/%gs hold).  -EINVAL for anything else
 * (system, not present, long mode, execute-only or conforming code):
 * the core raises the guest's #GP/#NP for those before it asks here.
 */
int compat_ldt_user_desc(uint64_t desc, unsigned int slot, void *udv)
{
	struct user_desc *ud = udv;
	unsigned int type = DESC_TYPE(desc);

	if (!(desc & DESC_S) || !(desc & DESC_P) || (desc & DESC_L))
		return -EINVAL;
	if ((type & TYPE_CODE) && (!(type & TYPE_RW) || (type & TYPE_DOWN)))
		return -EINVAL;
	memset(ud, 0, sizeof(*ud));
	ud->entry_number = slot;
	ud->base_addr = (unsigned int)compat_desc_base(desc);
	ud->limit = (unsigned int)((desc & 0xffff) | ((desc >> 32) & 0xf0000));
	ud->seg_32bit = !!(desc & DESC_DB);
	ud->limit_in_pages = !!(desc & DESC_G);
	ud->useable = !!(desc & DESC_AVL);
	if (type & TYPE_CODE) {
		ud->contents = MODIFY_LDT_CONTENTS_CODE;
	} else {
		ud->contents = type & TYPE_DOWN ? MODIFY_LDT_CONTENTS_STACK
						: MODIFY_LDT_CONTENTS_DATA;
		ud->read_exec_only = !(type & TYPE_RW);
	}
	return 0;
}

void compat_ldt_init(struct compat_ldt *c)
{
	memset(c, 0, sizeof(*c));
}

static uint16_t slot_selector(unsigned int i)
{
	return (uint16_t)(((COMPAT_LDT_FIRST + i) << 3) | 4 | 3);
}

static bool slot_loaded(const struct compat_ldt *c, unsigned int i)
{
	return c->loaded[0] == slot_selector(i) ||
	       c->loaded[1] == slot_selector(i);
}

/* A slot for a new entry: a free one, else the least recently used one
   that neither %fs nor %gs holds. */
static int victim(const struct compat_ldt *c)
{
	int i, best = -1;

	for (i = 0; i < COMPAT_LDT_SLOTS; i++) {
		if (slot_loaded(c, (unsigned int)i))
			continue;
		if (!c->e[i].used)
			return i;
		if (best < 0 || c->e[i].used < c->e[best].used)
			best = i;
	}
	return best;
}

/*
 * The host selector to load into %fs or %gs (@which) for the guest's
 * @guest_sel, whose descriptor is @desc: 0 for a null selector, or an
 * LDT selector, or -EINVAL (see compat_ldt_user_desc), or modify_ldt's
 * -errno.  Records it as loaded in @which.
 */
int compat_ldt_selector(struct compat_ldt *c, uint16_t guest_sel,
			uint64_t desc, enum compat_seg which)
{
	struct user_desc ud;
	int i, ret;
	long r;

	if (!(guest_sel & ~3)) {
		c->loaded[which] = 0;
		return 0;
	}
	desc &= ~DESC_ACCESSED;
	for (i = 0; i < COMPAT_LDT_SLOTS; i++)
		if (c->e[i].used && c->e[i].guest_sel == guest_sel &&
		    c->e[i].desc == desc)
			goto found;
	i = victim(c);
	if (i < 0)
		return -ENOSPC;
	ret = compat_ldt_user_desc(desc, COMPAT_LDT_FIRST + (unsigned int)i, &ud);
	if (ret)
		return ret;
	/* The old entry is in neither %fs nor %gs: no loaded segment
	   changes with it. */
	r = compat_syscall6(SYS_modify_ldt, LDT_WRITE, (long)&ud, sizeof(ud),
			    0, 0, 0);
	if (r < 0)
		return (int)r;
	c->misses++;
	c->e[i].guest_sel = guest_sel;
	c->e[i].desc = desc;
found:
	c->e[i].used = ++c->clock;
	c->loaded[which] = slot_selector((unsigned int)i);
	return c->loaded[which];
}
