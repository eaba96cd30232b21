// i386: the kernel's own map. The page-directory slots from
// PDX(KERNEL_BASE) up map the first 1 GiB of physical memory with global
// 4 MiB pages; every address space copies them (vm.c).

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "proc.h"
#include "x86.h"

static pte_t kpgdir[NPTENTRIES] __attribute__((aligned(PGSIZE)));

_Static_assert(PDX(WEDGE_BASE) != PDX(KERNEL_BASE), "wedge slot shared with kernel");
_Static_assert(PDX(USER_TOP - 1) < PDX(WEDGE_BASE), "user range reaches the wedge");
_Static_assert(KERNEL_BASE + (DIRECTMAP_SIZE - 1) == 0xffffffffUL, "direct map size");

// Build the direct map and switch to it. Runs before anything else reads
// memory outside the image: the boot tables are only guaranteed to map
// the image itself.
void kvm_init(void)
{
	for (uintptr pa = 0; pa < DIRECTMAP_SIZE; pa += BIGPGSIZE)
		kpgdir[PDX(KERNEL_BASE + pa)] = pa | PTE_P | PTE_W | PTE_PS | PTE_G;
	lcr3(V2P(kpgdir));
	cpu.cr3 = V2P(kpgdir);
	// Global pages keep the kernel's TLB entries across process switches;
	// WP makes read-only pages read-only for the kernel too.
	lcr4(rcr4() | CR4_PGE);
	lcr0(rcr0() | CR0_WP);
}

uintptr kvm_root(void)
{
	return V2P(kpgdir);
}
