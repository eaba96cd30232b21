// SPDX-License-Identifier: MIT
/*
 * Writing thunks (include/afterburn/wedge.h): a byte-array builder for
 * the code a wedge's plan() puts into its area, with the few sequences
 * every wedge needs written once and right: copy the original
 * instruction, address wedge data RIP-relatively, count without touching
 * flags or stack, jump back to the site's end.  A thunk is 64-bit code,
 * or 32-bit code for a site in 32-bit code (afb_thunk_begin_for()).
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

/*
 * The rel32 from @end (the address after the field's instruction) to @to;
 * in a 32-bit thunk EIP wraps at 4 GiB, so every 32-bit address is in
 * reach.
 */
static bool rel32(struct afb_thunk *t, uint64_t to, uint64_t end, int32_t *rel)
{
	int64_t d = (int64_t)(to - end);

	if (t->mode == 32 && to <= UINT32_MAX && end <= UINT32_MAX)
		d = (int32_t)(uint32_t)d;
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
	t->mode = 64;
}

AFB_EXPORT void afb_thunk_begin_for(struct afb_thunk *t,
				    const struct afb_wedge_area *area,
				    const struct afb_site *site)
{
	afb_thunk_begin(t, area);
	if (site->mode == 32)
		t->mode = 32;
	else if (site->mode != 64)
		t->error = -EINVAL;
}

/* A 32-bit thunk's absolute disp32: @target must be a 32-bit address. */
static bool abs32(struct afb_thunk *t, uint64_t target, int32_t *disp)
{
	if (target > UINT32_MAX) {
		if (!t->error)
			t->error = -ERANGE;
		return false;
	}
	*disp = (int32_t)(uint32_t)target;
	return true;
}

AFB_EXPORT void afb_thunk_bytes(struct afb_thunk *t, const void *bytes,
				size_t len)
{
	if (!room(t, len))
		return;
	memcpy(t->code + t->len, bytes, len);
	t->len += len;
}

/*
 * @opcode, then the disp32 that makes it reach @target: a rel32 from the
 * end of the instruction (a branch, or a RIP-relative operand), or for a
 * memory operand in 32-bit code, which has no RIP-relative form, the
 * absolute address.
 */
static void put_disp32(struct afb_thunk *t, const void *opcode, size_t len,
		       uint64_t target, size_t imm_len, bool operand)
{
	uint64_t end = t->at + t->len + len + 4 + imm_len;
	int32_t rel;
	bool ok;

	if (operand && t->mode == 32)
		ok = abs32(t, target, &rel);
	else
		ok = rel32(t, target, end, &rel);
	if (!ok || !room(t, len + 4))
		return;
	afb_thunk_bytes(t, opcode, len);
	afb_thunk_bytes(t, &rel, 4);
}

AFB_EXPORT void afb_thunk_rip(struct afb_thunk *t, const void *opcode,
			      size_t len, uint64_t target, size_t imm_len)
{
	put_disp32(t, opcode, len, target, imm_len, true);
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
 * flags alone, and nothing is pushed.  A 32-bit thunk: the same with
 * %eax and absolute addresses, on the counter's low half.
 */
AFB_EXPORT void afb_thunk_count(struct afb_thunk *t, uint64_t counter,
				uint64_t scratch)
{
	static const uint8_t store[] = { 0x48, 0x89, 0x05 };
	static const uint8_t load[] = { 0x48, 0x8b, 0x05 };
	static const uint8_t inc[] = { 0x48, 0x8d, 0x40, 0x01 };
	size_t rex = t->mode == 32;	/* skip REX.W in 32-bit code */

	afb_thunk_rip(t, store + rex, sizeof(store) - rex, scratch, 0);
	afb_thunk_rip(t, load + rex, sizeof(load) - rex, counter, 0);
	afb_thunk_bytes(t, inc + rex, sizeof(inc) - rex);
	afb_thunk_rip(t, store + rex, sizeof(store) - rex, counter, 0);
	afb_thunk_rip(t, load + rex, sizeof(load) - rex, scratch, 0);
}

/* lock incq counter(%rip); 32-bit: lock addl $1 low, lock adcl $0 high. */
AFB_EXPORT void afb_thunk_count_locked(struct afb_thunk *t, uint64_t counter)
{
	static const uint8_t lock_incq[] = { 0xf0, 0x48, 0xff, 0x05 };
	static const uint8_t lock_addl[] = { 0xf0, 0x83, 0x05 };
	static const uint8_t lock_adcl[] = { 0xf0, 0x83, 0x15 };
	static const uint8_t one = 1, zero = 0;

	if (t->mode != 32) {
		afb_thunk_rip(t, lock_incq, sizeof(lock_incq), counter, 0);
		return;
	}
	afb_thunk_rip(t, lock_addl, sizeof(lock_addl), counter, 1);
	afb_thunk_bytes(t, &one, 1);
	afb_thunk_rip(t, lock_adcl, sizeof(lock_adcl), counter + 4, 1);
	afb_thunk_bytes(t, &zero, 1);
}

AFB_EXPORT void afb_thunk_jmp(struct afb_thunk *t, uint64_t target)
{
	static const uint8_t jmp = 0xe9;

	put_disp32(t, &jmp, 1, target, 0, false);
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
