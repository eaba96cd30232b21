// SPDX-License-Identifier: MIT
/*
 * --initrd=FILE: the file's bytes in guest RAM, passed to the guest as
 * module 0 of the PVH start info (an initramfs for Linux).
 *
 * It goes where afterburn-kvm puts it: page-aligned at the top of RAM,
 * the highest place that no boot structure (all below 1 MiB) and no
 * PT_LOAD segment of the image can reach, and where Linux, which
 * reserves the module's pages, leaves the rest of RAM in one piece.  A
 * file that does not fit between the image's end and the top of RAM is
 * an error (exit 1), before the guest starts.  The module list has one
 * entry, where the caller says (below 1 MiB, with its other boot
 * structures); the caller, whatever start info it builds (64-bit or 32-bit guest),
 * sets nr_modules = 1 and modlist_paddr to what initrd__load() returns,
 * once the image loader has set h->image_end (the end of its highest
 * PT_LOAD, guest-physical).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ptrace.h"
#include "pvh.h"

#define LOW_RAM_END	0x100000ULL	/* the boot structures' megabyte */

static void read_all(int fd, const char *path, uint8_t *to, uint64_t size)
{
	uint64_t done = 0;

	while (done < size) {
		ssize_t n = read(fd, to + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("%s: %s", path, strerror(errno));
		if (n == 0)
			die("%s: shorter than its size (%lu bytes) while reading it",
			    path, (unsigned long)size);
		done += (uint64_t)n;
	}
}

/*
 * Load h->initrd_path, if any, and write the module list (one entry) at
 * guest-physical @modlist.  Returns @modlist, or 0 without --initrd.
 * Dies on a bad file.
 */
uint64_t initrd__load(struct host *h, uint64_t modlist)
{
	const char *path = h->initrd_path;
	uint64_t floor, at;
	struct hvm_modlist_entry *mod;
	struct stat st;
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("--initrd: %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		die("--initrd: %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		die("--initrd: %s: is a directory, not a file", path);
	if (!S_ISREG(st.st_mode))
		die("--initrd: %s: not a regular file", path);
	if (st.st_size == 0)
		die("--initrd: %s: an empty file", path);
	floor = (h->image_end > LOW_RAM_END ? h->image_end : LOW_RAM_END);
	floor = (floor + 0xfff) & ~0xfffULL;
	if ((uint64_t)st.st_size > h->mem_size - floor)
		die("--initrd: %s: %lld bytes do not fit in guest RAM: %lu bytes "
		    "are free between the image's end (0x%lx) and the top of "
		    "its %lu MiB (a larger -m?)", path, (long long)st.st_size,
		    (unsigned long)(h->mem_size - floor), (unsigned long)floor,
		    (unsigned long)(h->mem_size >> 20));
	at = (h->mem_size - (uint64_t)st.st_size) & ~0xfffULL;
	read_all(fd, path, h->phys + at, (uint64_t)st.st_size);
	close(fd);
	mod = (struct hvm_modlist_entry *)(h->phys + modlist);
	*mod = (struct hvm_modlist_entry){ .paddr = at,
					   .size = (uint64_t)st.st_size };
	return modlist;
}
