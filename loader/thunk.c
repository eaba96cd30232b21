// SPDX-License-Identifier: MIT
/*
 * Writing thunks (include/afterburn/wedge.h): a byte-array builder for
 * the code a wedge's plan() puts into its area, with the few sequences
 * every wedge needs written once and right: copy the original
 * instruction, address wedge data RIP-relatively, count without touching
 * flags or stack, jump back to the site's end.
 */
#include <errno.h>
#include <string.h>

#include <afterburn/wedge.h>

#include "error.h"
#include "image.h"

static bool room(struct afb_thunk *t, size_t len)
{
	if (t->error)
		return false;
	if (len > AFB_THUNK_MAX - t->len) {
		t->error = -ENOSPC;
		return false;
	}
	return true;
}

/* The rel32 from @end (the address after the field's instruction) to @to. */
static bool rel32(struct afb_thunk *t, uint64_t to, uint64_t end, int32_t *rel)
{
	int64_t d = (int64_t)(to - end);

	if (d < INT32_MIN || d > INT32_MAX) {
		if (!t->error)
			t->error = -ERANGE;
		return false;
	}
	*rel = (int32_t)d;
	return true;
}

AFB_EXPORT void afb_thunk_begin(struct afb_thunk *t,
				const struct afb_wedge_area *area)
{
	memset(t, 0, sizeof(*t));
	t->at = area->vaddr + area->used;
}

AFB_EXPORT void afb_thunk_bytes(struct afb_thunk *t, const void *bytes,
				size_t len)
{
	if (!room(t, len))
		return;
	memcpy(t->code + t->len, bytes, len);
	t->len += len;
}

AFB_EXPORT void afb_thunk_rip(struct afb_thunk *t, const void *opcode,
			      size_t len, uint64_t target, size_t imm_len)
{
	uint64_t end = t->at + t->len + len + 4 + imm_len;
	int32_t rel;

	if (!rel32(t, target, end, &rel) || !room(t, len + 4))
		return;
	afb_thunk_bytes(t, opcode, len);
	afb_thunk_bytes(t, &rel, 4);
}

AFB_EXPORT void afb_thunk_original(struct afb_thunk *t,
				   const struct afb_image *image,
				   const struct afb_site *site,
				   const struct afb_insn *insn)
{
	uint8_t code[AFB_INSN_MAX];
	int len;

	if (!room(t, AFB_INSN_MAX))
		return;
	len = afb_wedge_copy_insn(image, site, insn, t->at + t->len, code);
	if (len < 0) {
		t->error = len;
		return;
	}
	afb_thunk_bytes(t, code, len);
}

/*
 * mov %rax,scratch(%rip); mov counter(%rip),%rax; lea 1(%rax),%rax;
 * mov %rax,counter(%rip); mov scratch(%rip),%rax: mov and lea leave the
 * flags alone, and nothing is pushed.
 */
AFB_EXPORT void afb_thunk_count(struct afb_thunk *t, uint64_t counter,
				uint64_t scratch)
{
	static const uint8_t store[] = { 0x48, 0x89, 0x05 };
	static const uint8_t load[] = { 0x48, 0x8b, 0x05 };
	static const uint8_t inc[] = { 0x48, 0x8d, 0x40, 0x01 };

	afb_thunk_rip(t, store, sizeof(store), scratch, 0);
	afb_thunk_rip(t, load, sizeof(load), counter, 0);
	afb_thunk_bytes(t, inc, sizeof(inc));
	afb_thunk_rip(t, store, sizeof(store), counter, 0);
	afb_thunk_rip(t, load, sizeof(load), scratch, 0);
}

AFB_EXPORT void afb_thunk_count_locked(struct afb_thunk *t, uint64_t counter)
{
	static const uint8_t lock_incq[] = { 0xf0, 0x48, 0xff, 0x05 };

	afb_thunk_rip(t, lock_incq, sizeof(lock_incq), counter, 0);
}

AFB_EXPORT void afb_thunk_jmp(struct afb_thunk *t, uint64_t target)
{
	static const uint8_t jmp = 0xe9;

	afb_thunk_rip(t, &jmp, 1, target, 0);
}

AFB_EXPORT void afb_thunk_return(struct afb_thunk *t,
				 const struct afb_site *site)
{
	afb_thunk_jmp(t, site->addr + site->len);
}

AFB_EXPORT int afb_thunk_finish(struct afb_thunk *t,
				struct afb_wedge_area *area,
				const struct afb_site *site,
				struct afb_site_patch *patch)
{
	uint64_t at;

	if (t->error)
		return t->error;
	if (!t->len || t->at != area->vaddr + area->used)
		return -EINVAL;	/* empty, or the area moved since begin */
	at = afb_wedge_emit_thunk(area, t->code, t->len);
	if (!at)
		return -ENOSPC;
	return afb_wedge_jmp(patch, site, at);
}
