// Page tables: one address space per process, and the copy routines
// between user and kernel memory. The geometry (levels, entries per
// table) comes from mmu.h and the kernel's own map from kmap.c, both per
// arch: x86-64 has four levels of 512 entries, i386 two of 1024.
//
// Every page table the kernel builds has the same upper half, the
// kernel's (the top-level slots from TOPX(KERNEL_BASE) up, copied from
// the kernel's own root). The lower slots belong to the process; the
// slot TOPX(WEDGE_BASE) is never filled (the host's wedge may go there).
// The kernel never dereferences a user address: copyin and copyout
// translate through the process's page table and go through the direct
// map, so a host need not make user pages visible to kernel code.

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "proc.h"
#include "x86.h"

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
static pte_t *walk(pte_t *pgdir, uintptr va, int alloc)
{
	pte_t *t = pgdir;
	for (int level = PT_LEVELS - 1; level > 0; level--) {
		t = next_level(&t[PTIDX(va, level)], alloc);
		if (!t)
			return NULL;
	}
	return &t[PTIDX(va, 0)];
}

// A new address space: only the kernel half is mapped.
pte_t *uvm_create(void)
{
	const pte_t *kroot = P2V(kvm_root());
	pte_t *pgdir = kalloc();
	if (pgdir)
		for (uintptr i = TOPX(KERNEL_BASE); i < NPTENTRIES; i++)
			pgdir[i] = kroot[i];
	return pgdir;
}

// [va, va + len) lies in user space (len 0 allowed at USER_TOP).
static int user_range_ok(uintptr va, uintptr len)
{
	return va >= USER_BASE && va <= USER_TOP && len <= USER_TOP - va;
}

// Map fresh zeroed pages over [start, end) (page aligned) with perm.
// Returns 0, or -1 with any pages it mapped still mapped (uvm_free
// reclaims them with the address space).
int uvm_alloc(pte_t *pgdir, uintptr start, uintptr end, int perm)
{
	if (!user_range_ok(start, end - start))
		return -1;
	for (uintptr va = start; va < end; va += PGSIZE) {
		pte_t *pte = walk(pgdir, va, 1);
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
// page when pgdir is the loaded address space.
void uvm_dealloc(pte_t *pgdir, uintptr start, uintptr end)
{
	int current = V2P(pgdir) == cpu.cr3;
	for (uintptr va = start; va < end; va += PGSIZE) {
		pte_t *pte = walk(pgdir, va, 0);
		if (!pte || !(*pte & PTE_P))
			continue;
		kfree(P2V(PTE_ADDR(*pte)));
		*pte = 0;
		if (current)
			invlpg(va);
	}
}

// Free a table at `level` (PT_LEVELS - 1 = what a top-level entry points
// to ... 0 = a user page) and all below.
static void free_level(pte_t entry, int level)
{
	pte_t *t = P2V(PTE_ADDR(entry));
	if (level > 0)
		for (int i = 0; i < NPTENTRIES; i++)
			if (t[i] & PTE_P)
				free_level(t[i], level - 1);
	kfree(t);
}

// Free the user half of an address space, its tables and the root.
// The caller must not have it loaded.
void uvm_free(pte_t *pgdir)
{
	if (V2P(pgdir) == cpu.cr3)
		panic("uvm_free: live address space");
	// Only the user slots: the rest of the lower half (the wedge window)
	// belongs to the host (doc/guest-contract.md).
	for (uintptr i = TOPX(USER_BASE); i <= TOPX(USER_TOP - 1); i++)
		if (pgdir[i] & PTE_P)
			free_level(pgdir[i], PT_LEVELS - 1);
	kfree(pgdir);
}

// Copy every user page of src into a fresh page of dst, same permissions.
int uvm_copy(pte_t *src, pte_t *dst)
{
	for (uintptr va = USER_BASE; va < USER_TOP; va += PGSIZE) {
		pte_t *pte = walk(src, va, 0);
		if (!pte) {       // skip the rest of an absent page table
			va = (va | (NPTENTRIES * PGSIZE - 1)) - PGSIZE + 1;
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
static char *uva2ka(pte_t *pgdir, uintptr va, int write)
{
	if (!user_range_ok(va, 1))
		return NULL;
	pte_t *pte = walk(pgdir, va, 0);
	if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U) || (write && !(*pte & PTE_W)))
		return NULL;
	return (char *)P2V(PTE_ADDR(*pte)) + (va % PGSIZE);
}

// The kernel address of the mapped user page at va, for the loader,
// which fills pages whatever their user permissions.
char *uvm_kaddr(pte_t *pgdir, uintptr va)
{
	pte_t *pte = walk(pgdir, va, 0);
	if (!pte || !(*pte & PTE_P))
		panic("uvm_kaddr: 0x%lx not mapped", va);
	return (char *)P2V(PTE_ADDR(*pte)) + (va % PGSIZE);
}

// Copy len bytes from kernel src to user dstva. 0 or -1.
int copyout(pte_t *pgdir, uintptr dstva, const void *src, uintptr len)
{
	const char *s = src;
	while (len > 0) {
		char *d = uva2ka(pgdir, dstva, 1);
		if (!d)
			return -1;
		uintptr n = PGSIZE - dstva % PGSIZE;
		if (n > len)
			n = len;
		memcpy(d, s, n);
		len -= n, s += n, dstva += n;
	}
	return 0;
}

// Copy len bytes from user srcva to kernel dst. 0 or -1.
int copyin(pte_t *pgdir, void *dst, uintptr srcva, uintptr len)
{
	char *d = dst;
	while (len > 0) {
		const char *s = uva2ka(pgdir, srcva, 0);
		if (!s)
			return -1;
		uintptr n = PGSIZE - srcva % PGSIZE;
		if (n > len)
			n = len;
		memcpy(d, s, n);
		len -= n, d += n, srcva += n;
	}
	return 0;
}

// Copy a NUL-terminated string of at most max bytes (NUL included).
// 0 or -1 (unmapped, or no NUL within max).
int copyinstr(pte_t *pgdir, char *dst, uintptr srcva, uintptr max)
{
	for (uintptr i = 0; i < max; i++) {
		const char *s = uva2ka(pgdir, srcva + i, 0);
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
	cpu_setkstack((uintptr)p->kstack + KSTACKSIZE);
	if (cpu.cr3 != V2P(p->pgdir)) {
		cpu.cr3 = V2P(p->pgdir);
		lcr3(cpu.cr3);
	}
}
