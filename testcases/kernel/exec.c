// Built-in programs and the ELF loader that puts one into an address
// space. The programs are ordinary static ELF executables linked at
// USER_BASE (user/user.ld), embedded in the kernel by progs.s.

#include "types.h"
#include "defs.h"
#include "elf.h"
#include "memlayout.h"
#include "mmu.h"
#include "proc.h"

extern const char prog_init_start[], prog_init_end[];
extern const char prog_child_start[], prog_child_end[];

static const struct program {
	const char *name;
	const char *start, *end;
} programs[] = {
	{ "init", prog_init_start, prog_init_end },
	{ "child", prog_child_start, prog_child_end },
};

static const struct program *find_program(const char *name)
{
	for (size_t i = 0; i < NELEM(programs); i++)
		if (strncmp(programs[i].name, name, 16) == 0)
			return &programs[i];
	return NULL;
}

// Check that a program header describes a loadable segment inside the
// image and inside user space, starting on a page boundary.
static int segment_ok(const struct proghdr *ph, uintptr imagesz)
{
	return ph->memsz >= ph->filesz && ph->off <= imagesz &&
	       ph->filesz <= imagesz - ph->off && ph->vaddr % PGSIZE == 0 &&
	       ph->vaddr >= USER_BASE && ph->vaddr < UHEAP_LIMIT &&
	       ph->memsz <= UHEAP_LIMIT - ph->vaddr;
}

static int load_segment(struct proc *p, const char *image, const struct proghdr *ph)
{
	uintptr end = PGROUNDUP(ph->vaddr + ph->memsz);
	int perm = (ph->flags & ELF_PROG_FLAG_W) ? PTE_W : 0;
	if (uvm_alloc(p->pgdir, ph->vaddr, end, perm) < 0)
		return -1;
	// copyout refuses read-only pages, so fill them through the direct map.
	for (uintptr off = 0; off < ph->filesz; off += PGSIZE) {
		uintptr n = ph->filesz - off < PGSIZE ? ph->filesz - off : PGSIZE;
		char *dst = uvm_kaddr(p->pgdir, ph->vaddr + off);
		memcpy(dst, image + ph->off + off, n);
	}
	if (end > p->brk)
		p->brk = end;
	return 0;
}

// Load program `name` into p's (empty) address space, give it a stack and
// set the user registers for its entry point. 0 or -1.
int exec_load(struct proc *p, const char *name)
{
	const struct program *prog = find_program(name);
	if (!prog)
		return -1;
	const char *image = prog->start;
	uintptr size = prog->end - prog->start;
	const struct elfhdr *eh = (const struct elfhdr *)image;
	if (size < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->machine != ELF_MACHINE ||
	    eh->entry < USER_BASE || eh->entry >= USER_TOP ||
	    eh->phoff > size || eh->phnum > (size - eh->phoff) / sizeof(struct proghdr))
		return -1;

	p->brk = USER_BASE;
	for (int i = 0; i < eh->phnum; i++) {
		const struct proghdr *ph = (const struct proghdr *)(image + eh->phoff) + i;
		if (ph->type != ELF_PROG_LOAD || ph->memsz == 0)
			continue;
		if (!segment_ok(ph, size) || load_segment(p, image, ph) < 0)
			return -1;
	}
	p->heapbase = p->brk;
	if (uvm_alloc(p->pgdir, USTACK_BOTTOM, USER_TOP, PTE_W) < 0)
		return -1;

	tf_user_init(p->tf, eh->entry, USER_TOP);
	return 0;
}
