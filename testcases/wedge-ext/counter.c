// SPDX-License-Identifier: MIT
/*
 * counter: a wedge built out of tree, the walk-through of doc/porting.md.
 * It counts the cli, sti, pushf and popf that the guest runs, one 64-bit
 * counter per kind in the wedge's data, and runs the original
 * instruction, so an image patched with it boots wherever the plain one
 * does.  Built against the installed headers and library only:
 *
 *   cc -shared -fPIC $(pkg-config --cflags --libs libafterburn) \
 *	counter.c -o counter.so
 *   afterburn-patch kernel.elf -o counted.elf --wedge=./counter.so
 *
 * Every thunk is entered by the site's jmp and jumps back to the site's
 * end; none pushes anything the original instruction did not push, and
 * each keeps the flags the original keeps.
 */
#include <errno.h>

#include <afterburn/wedge.h>

#define COUNTERS	(AFB_KIND_MAX + 1)	/* one per kind, by kind */
#define SCRATCH		COUNTERS		/* then afb_thunk_count()'s slot */
#define DATA_SIZE	((COUNTERS + 1) * 8)

static bool counted(const struct afb_site *site, const struct afb_insn *insn)
{
	if (site->mode != 64)
		return false;		/* 32-bit boot code: no area mapped yet */
	switch (site->kind) {
	case AFB_KIND_CLI:
	case AFB_KIND_STI:
		return true;
	case AFB_KIND_PUSHF:
	case AFB_KIND_POPF:
		return insn->len == 1;	/* pushfq/popfq, not a 66-prefixed form */
	}
	return false;
}

/* The thunk's body: where the count goes keeps flags and stack as they were. */
static void body(struct afb_thunk *t, const struct afb_image *image,
		 const struct afb_site *site, const struct afb_insn *insn,
		 uint64_t data)
{
	static const uint8_t popf_pushf[] = { 0x9d, 0x9c };
	uint64_t counter = data + 8 * site->kind, scratch = data + 8 * SCRATCH;

	switch (site->kind) {
	case AFB_KIND_CLI:
		/* After cli nothing interrupts the flag-safe, non-atomic count. */
		afb_thunk_original(t, image, site, insn);
		afb_thunk_count(t, counter, scratch);
		break;
	case AFB_KIND_STI:
		/* Before sti, interrupts are still off. */
		afb_thunk_count(t, counter, scratch);
		afb_thunk_original(t, image, site, insn);
		break;
	case AFB_KIND_POPF:
		/* popf reloads every flag: the atomic lock inc may change them. */
		afb_thunk_count_locked(t, counter);
		afb_thunk_original(t, image, site, insn);
		break;
	case AFB_KIND_PUSHF:
		/*
		 * The flags are pushed first; lock inc changes them, and
		 * popf; pushf reloads them from that copy and pushes them
		 * back: the stack holds what the original pushed, no more.
		 */
		afb_thunk_original(t, image, site, insn);
		afb_thunk_count_locked(t, counter);
		afb_thunk_bytes(t, popf_pushf, sizeof(popf_pushf));
		break;
	}
}

static int counter_plan(const struct afb_wedge *wedge,
			const struct afb_image *image,
			struct afb_wedge_area *area, const struct afb_site *site,
			const struct afb_insn *insn, struct afb_site_patch *patch)
{
	struct afb_thunk t;
	uint64_t data;

	(void)wedge;
	if (!counted(site, insn))
		return 0;			/* stays native */
	data = afb_wedge_data(area, DATA_SIZE);
	if (!data)
		return -ENOSPC;		/* ask for a larger area */
	afb_thunk_begin(&t, area);
	body(&t, image, site, insn, data);
	afb_thunk_return(&t, site);
	return afb_thunk_finish(&t, area, site, patch);
}

static const struct afb_wedge counter_wedge = {
	.name = "counter",
	.summary = "count cli, sti, pushf and popf in the wedge's data, then run them",
	.plan = counter_plan,
};

AFB_WEDGE_EXPORT(counter_wedge);
