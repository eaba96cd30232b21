// x86-64: the kernel's own map. PML4 slot PML4X(KERNEL_BASE) points at
// one PDPT that maps the first 4 GiB of physical memory with global
// 2 MiB pages; every address space shares it (vm.c copies the slot).

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "proc.h"
#include "x86.h"

#define NKPD (DIRECTMAP_SIZE / (512 * HUGEPGSIZE))   // page directories in the direct map

static pte_t kpml4[512] __attribute__((aligned(PGSIZE)));
static pte_t kpdpt[512] __attribute__((aligned(PGSIZE)));
static pte_t kpd[NKPD][512] __attribute__((aligned(PGSIZE)));

_Static_assert(PML4X(WEDGE_BASE) != PML4X(KERNEL_BASE), "wedge slot shared with kernel");
_Static_assert(PML4X(USER_TOP - 1) < PML4X(WEDGE_BASE), "user range reaches the wedge");

// Build the direct map and switch to it. Runs before anything else reads
// memory outside the image: the boot tables (ours or a host's) are only
// guaranteed to map the image itself.
void kvm_init(void)
{
	for (u64 i = 0; i < NKPD; i++) {
		for (u64 j = 0; j < 512; j++)
			kpd[i][j] = ((i * 512 + j) * HUGEPGSIZE) | PTE_P | PTE_W | PTE_PS | PTE_G;
		kpdpt[i] = V2P(kpd[i]) | PTE_P | PTE_W;
	}
	kpml4[PML4X(KERNEL_BASE)] = V2P(kpdpt) | PTE_P | PTE_W;
	lcr3(V2P(kpml4));
	cpu.cr3 = V2P(kpml4);
	// Global pages keep the kernel's TLB entries across process switches;
	// WP makes read-only pages read-only for the kernel too.
	lcr4(rcr4() | CR4_PGE);
	lcr0(rcr0() | CR0_WP);
}

uintptr kvm_root(void)
{
	return V2P(kpml4);
}
