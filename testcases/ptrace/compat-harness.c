// SPDX-License-Identifier: MIT
/*
 * The guest side of compat-test and bench/compat-roundtrip: the low 4 GiB
 * reserved, the pages of compat-test.h mapped there from a memfd, the
 * landing pad, two exit thunks (indices 0 and 1) and the 32-bit blobs
 * written through the host's own view of the memfd.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compat-test.h"

static const uint64_t page_va[T_PAGES] = {
	T_PAD, T_DATA, T_CODE, T_STACK, T_FSPAGE, T_GSPAGE, T_FAULT,
};

static int page_of(uint64_t va)
{
	int i;

	for (i = 0; i < T_PAGES; i++)
		if (va >= page_va[i] && va < page_va[i] + 0x1000)
			return i;
	return -1;
}

uint8_t *harness_page(struct harness *h, uint64_t va)
{
	int i = page_of(va);

	return i < 0 ? NULL : h->view + ((size_t)i << 12) + (va & 0xfff);
}

int harness_map(struct harness *h, uint64_t va, int prot)
{
	int i = page_of(va);

	if (i < 0)
		return -EINVAL;
	return compat_map(page_va[i], 0x1000, prot, h->memfd, (off_t)i << 12);
}

uint32_t blob_addr(const uint8_t *blob)
{
	return (uint32_t)(T_CODE + (blob - compat_blobs));
}

void harness_regs(struct compat_regs *r, const uint8_t *blob)
{
	memset(r, 0, sizeof(*r));
	r->frame.rip = blob_addr(blob);
	r->frame.gpr[AFB_RSP] = T_STACK + 0x1000;
	r->frame.rflags = 0x202;
}

int harness_init(struct harness *h, compat_exit_fn fn,
		 enum compat_fs_mode mode, char *err, size_t errlen)
{
	size_t size = (size_t)T_PAGES << 12;
	uint32_t exits[2];
	int i, ret;

	if (!compat_reserved() && (ret = compat_reserve(err, errlen)))
		return ret;
	h->memfd = memfd_create("compat-test", MFD_CLOEXEC);
	if (h->memfd < 0 || ftruncate(h->memfd, (off_t)size) < 0)
		goto sys;
	h->view = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       h->memfd, 0);
	if (h->view == MAP_FAILED)
		goto sys;
	h->layout.pad = T_PAD;
	h->layout.slot = T_SLOT;
	compat_pad_write(harness_page(h, T_PAD), (uint64_t)(uintptr_t)compat_exit);
	for (i = 0; i < 2; i++) {
		exits[i] = T_THUNKS + 32 * (uint32_t)i;
		compat_thunk_write(harness_page(h, exits[i]), &h->layout,
				   (uint32_t)i);
	}
	memcpy(harness_page(h, T_EXIT0), exits, sizeof(exits));
	memcpy(harness_page(h, T_CODE), compat_blobs,
	       (size_t)(compat_blobs_end - compat_blobs));
	for (i = 0; i < T_PAGES - 1; i++) {	/* T_FAULT stays unmapped */
		int prot = page_va[i] == T_PAD || page_va[i] == T_CODE ?
			   PROT_READ | PROT_EXEC : PROT_READ | PROT_WRITE;

		ret = compat_map(page_va[i], 0x1000, prot, h->memfd,
				 (off_t)i << 12);
		if (ret) {
			snprintf(err, errlen, "mapping 0x%lx: %s",
				 (unsigned long)page_va[i], strerror(-ret));
			return ret;
		}
	}
	ret = compat_init(&h->layout, fn, mode);
	if (ret)
		snprintf(err, errlen, "compat_init: %s", strerror(-ret));
	return ret;
sys:
	snprintf(err, errlen, "memfd: %s", strerror(errno));
	return -errno;
}
