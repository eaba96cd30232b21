// Page tables: the kernel's own map, one address space per process, and
// the copy routines between user and kernel memory.
//
// Every page table the kernel builds has the same upper half: PML4 slot
// PML4X(KERNEL_BASE) points at one shared PDPT that maps the first 4 GiB
// of physical memory with global 2 MiB pages. The lower slots belong to
// the process; slot PML4X(WEDGE_BASE) is never filled (the host's wedge
// may go there). The kernel never dereferences a user address: copyin and
// copyout translate through the process's page table and go through the
// direct map, so a host need not make user pages visible to kernel code.

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

u64 kvm_root(void)
{
	return V2P(kpml4);
}

// The table an entry points to, creating it (zeroed) if alloc is set.
// NULL if absent (or out of memory). Intermediate entries allow user
// access and writes; the last level decides.
static pte_t *next_level(pte_t *entry, int alloc)
{
	if (*entry & PTE_P)
		return P2V(PTE_ADDR(*entry));
	if (!alloc)
		return NULL;
	void *t = kalloc();
	if (!t)
		return NULL;
	*entry = V2P(t) | PTE_P | PTE_W | PTE_U;
	return t;
}

// The last-level PTE for user address va.
static pte_t *walk(pte_t *pml4, u64 va, int alloc)
{
	pte_t *pdpt = next_level(&pml4[PML4X(va)], alloc);
	if (!pdpt)
		return NULL;
	pte_t *pd = next_level(&pdpt[PDPTX(va)], alloc);
	if (!pd)
		return NULL;
	pte_t *pt = next_level(&pd[PDX(va)], alloc);
	if (!pt)
		return NULL;
	return &pt[PTX(va)];
}

// A new address space: only the kernel half is mapped.
pte_t *uvm_create(void)
{
	pte_t *pml4 = kalloc();
	if (pml4)
		pml4[PML4X(KERNEL_BASE)] = kpml4[PML4X(KERNEL_BASE)];
	return pml4;
}

// [va, va + len) lies in user space (len 0 allowed at USER_TOP).
static int user_range_ok(u64 va, u64 len)
{
	return va >= USER_BASE && va <= USER_TOP && len <= USER_TOP - va;
}

// Map fresh zeroed pages over [start, end) (page aligned) with perm.
// Returns 0, or -1 with any pages it mapped still mapped (uvm_free
// reclaims them with the address space).
int uvm_alloc(pte_t *pml4, u64 start, u64 end, int perm)
{
	if (!user_range_ok(start, end - start))
		return -1;
	for (u64 va = start; va < end; va += PGSIZE) {
		pte_t *pte = walk(pml4, va, 1);
		if (!pte || (*pte & PTE_P))
			return -1;
		void *page = kalloc();
		if (!page)
			return -1;
		*pte = V2P(page) | PTE_P | PTE_U | perm;
	}
	return 0;
}

// Unmap and free the pages of [start, end). The TLB is flushed page by
// page when pml4 is the loaded address space.
void uvm_dealloc(pte_t *pml4, u64 start, u64 end)
{
	int current = V2P(pml4) == cpu.cr3;
	for (u64 va = start; va < end; va += PGSIZE) {
		pte_t *pte = walk(pml4, va, 0);
		if (!pte || !(*pte & PTE_P))
			continue;
		kfree(P2V(PTE_ADDR(*pte)));
		*pte = 0;
		if (current)
			invlpg(va);
	}
}

// Free a table at `level` (3 = PDPT ... 0 = a user page) and all below.
static void free_level(pte_t entry, int level)
{
	pte_t *t = P2V(PTE_ADDR(entry));
	if (level > 0)
		for (int i = 0; i < 512; i++)
			if (t[i] & PTE_P)
				free_level(t[i], level - 1);
	kfree(t);
}

// Free the user half of an address space, its tables and the root.
// The caller must not have it loaded.
void uvm_free(pte_t *pml4)
{
	if (V2P(pml4) == cpu.cr3)
		panic("uvm_free: live address space");
	// Only the user slots: the rest of the lower half (the wedge window,
	// slot 31) belongs to the host (doc/guest-contract.md).
	for (u64 i = PML4X(USER_BASE); i <= PML4X(USER_TOP - 1); i++)
		if (pml4[i] & PTE_P)
			free_level(pml4[i], 3);
	kfree(pml4);
}

// Copy every user page of src into a fresh page of dst, same permissions.
int uvm_copy(pte_t *src, pte_t *dst)
{
	for (u64 va = USER_BASE; va < USER_TOP; va += PGSIZE) {
		pte_t *pte = walk(src, va, 0);
		if (!pte) {       // skip the rest of an absent page table
			va = (va | (512 * PGSIZE - 1)) - PGSIZE + 1;
			continue;
		}
		if (!(*pte & PTE_P))
			continue;
		if (uvm_alloc(dst, va, va + PGSIZE, *pte & PTE_W) < 0)
			return -1;
		memcpy(P2V(PTE_ADDR(*walk(dst, va, 0))), P2V(PTE_ADDR(*pte)), PGSIZE);
	}
	return 0;
}

// The kernel address of user address va, or NULL when it is not mapped
// for user access (and writable, if write is set).
static char *uva2ka(pte_t *pml4, u64 va, int write)
{
	if (!user_range_ok(va, 1))
		return NULL;
	pte_t *pte = walk(pml4, va, 0);
	if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U) || (write && !(*pte & PTE_W)))
		return NULL;
	return (char *)P2V(PTE_ADDR(*pte)) + (va % PGSIZE);
}

// The kernel address of the mapped user page at va, for the loader,
// which fills pages whatever their user permissions.
char *uvm_kaddr(pte_t *pml4, u64 va)
{
	pte_t *pte = walk(pml4, va, 0);
	if (!pte || !(*pte & PTE_P))
		panic("uvm_kaddr: 0x%lx not mapped", va);
	return (char *)P2V(PTE_ADDR(*pte)) + (va % PGSIZE);
}

// Copy len bytes from kernel src to user dstva. 0 or -1.
int copyout(pte_t *pml4, u64 dstva, const void *src, u64 len)
{
	const char *s = src;
	while (len > 0) {
		char *d = uva2ka(pml4, dstva, 1);
		if (!d)
			return -1;
		u64 n = PGSIZE - dstva % PGSIZE;
		if (n > len)
			n = len;
		memcpy(d, s, n);
		len -= n, s += n, dstva += n;
	}
	return 0;
}

// Copy len bytes from user srcva to kernel dst. 0 or -1.
int copyin(pte_t *pml4, void *dst, u64 srcva, u64 len)
{
	char *d = dst;
	while (len > 0) {
		const char *s = uva2ka(pml4, srcva, 0);
		if (!s)
			return -1;
		u64 n = PGSIZE - srcva % PGSIZE;
		if (n > len)
			n = len;
		memcpy(d, s, n);
		len -= n, d += n, srcva += n;
	}
	return 0;
}

// Copy a NUL-terminated string of at most max bytes (NUL included).
// 0 or -1 (unmapped, or no NUL within max).
int copyinstr(pte_t *pml4, char *dst, u64 srcva, u64 max)
{
	for (u64 i = 0; i < max; i++) {
		const char *s = uva2ka(pml4, srcva + i, 0);
		if (!s)
			return -1;
		dst[i] = *s;
		if (*s == '\0')
			return 0;
	}
	return -1;
}

// Make p's address space and kernel stack the current ones. The CR3
// write is skipped when p's table is already loaded (a process that
// yields to itself, or the only runnable one).
void switchuvm(struct proc *p)
{
	cpu_setkstack((u64)p->kstack + KSTACKSIZE);
	if (cpu.cr3 != V2P(p->pml4)) {
		cpu.cr3 = V2P(p->pml4);
		lcr3(cpu.cr3);
	}
}
