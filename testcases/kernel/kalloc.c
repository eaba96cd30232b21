// Physical page allocator: a free list of 4 KiB pages, threaded through
// the pages themselves and reached through the direct map.
//
// Not for interrupt handlers: callers run in process context, and with one
// CPU and a non-preemptive kernel nothing else can interleave with them.

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "pvh.h"

struct run {
	struct run *next;
};

static struct run *freelist;
static uintptr nfree;

extern char end[];            // first address after the kernel (kernel.ld)

void kfree(void *va)
{
	uintptr a = (uintptr)va;
	if (a % PGSIZE || a < (uintptr)end || V2P(a) >= DIRECTMAP_SIZE)
		panic("kfree %p", va);
	struct run *r = va;
	r->next = freelist;
	freelist = r;
	nfree++;
}

// Hand every RAM page of the memory map to the allocator, except those
// below the end of the kernel image (the first megabyte holds firmware
// data and the boot structures) and those the direct map does not reach.
void kinit(const struct hvm_memmap_entry *map, int n)
{
	uintptr lo = PGROUNDUP(V2P(end));
	for (int i = 0; i < n; i++) {
		if (map[i].type != HVM_MEMMAP_RAM)
			continue;
		u64 start = PGROUNDUP(map[i].addr);
		u64 stop = PGROUNDDOWN(map[i].addr + map[i].size);
		if (start < lo)
			start = lo;
		if (stop > DIRECTMAP_SIZE)
			stop = DIRECTMAP_SIZE;
		for (u64 pa = start; pa + PGSIZE <= stop; pa += PGSIZE)
			kfree(P2V(pa));
	}
	kprintf("kernel: %lu KiB free\n", nfree * (PGSIZE / 1024));
	if (nfree < 256)
		panic("kinit: less than 1 MiB of RAM above the kernel");
}

// A zeroed page (kernel virtual address), or NULL when memory is out.
void *kalloc(void)
{
	struct run *r = freelist;
	if (!r)
		return NULL;
	freelist = r->next;
	nfree--;
	memset(r, 0, PGSIZE);
	return r;
}
