// Process, time and machine system calls, and the privileged-operation
// loops the benchmarks time.

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "proc.h"
#include "x86.h"

u64 sys_exit(void)
{
	exit((int)(argraw(0) & 0xff));
}

u64 sys_getpid(void)
{
	return myproc()->pid;
}

u64 sys_yield(void)
{
	yield();
	return 0;
}

u64 sys_fork(void)
{
	return fork();
}

// spawn(const char *name, long arg)
u64 sys_spawn(void)
{
	char name[16];
	if (copyinstr(myproc()->pml4, name, argraw(0), sizeof(name)) < 0)
		return -1;
	return spawn(name, (long)argraw(1));
}

// wait(int *status)
u64 sys_wait(void)
{
	return wait(argraw(0));
}

// sbrk(long n): move the program break by n bytes (rounded to pages);
// returns the old break, or -1.
u64 sys_sbrk(void)
{
	struct proc *p = myproc();
	s64 n = (s64)argraw(0);
	u64 old = p->brk;
	u64 new = PGROUNDUP(old + n);
	if (n > 0) {
		if ((u64)n > UHEAP_LIMIT - old)
			return -1;
		if (uvm_alloc(p->pml4, old, new, PTE_W) < 0) {
			uvm_dealloc(p->pml4, old, new);
			return -1;
		}
	} else if (n < 0) {
		if ((u64)-n > old - p->heapbase)
			return -1;
		uvm_dealloc(p->pml4, new, old);
	}
	p->brk = new;
	return old;
}

// n rounds of the interrupt-flag operations a kernel does all the time:
// a cli/sti pair and a pushf/popf pair. The asm keeps each instruction
// in place however the compiler optimizes.
static void privloop_irq(u64 n)
{
	for (u64 i = 0; i < n; i++) {
		cli();
		sti();
		write_rflags(read_rflags());
	}
}

// n page-table switches, alternating between the kernel's own root and
// the caller's, ending on the caller's.
static void privloop_cr3(u64 n)
{
	u64 roots[2] = { kvm_root(), V2P(myproc()->pml4) };
	for (u64 i = 0; i < n; i++)
		lcr3(roots[(n - i) % 2]);     // the last one (i = n - 1) is roots[1]
}

// privloop(kind, n)
u64 sys_privloop(void)
{
	u64 kind = argraw(0), n = argraw(1);
	switch (kind) {
	case PRIV_IRQ:
		privloop_irq(n);
		return 0;
	case PRIV_CR3:
		privloop_cr3(n);
		return 0;
	}
	return -1;
}

u64 sys_uptime(void)
{
	return ticks;
}

u64 sys_tsckhz(void)
{
	return tsc_khz;
}

// cmdline(char *buf, long n): the kernel command line, NUL-terminated and
// truncated to n bytes; returns its full length.
u64 sys_cmdline(void)
{
	u64 len = strlen(cmdline), n = argraw(1);
	if (n == 0)
		return len;
	u64 m = len + 1 < n ? len + 1 : n;
	char last = '\0';
	if (copyout(myproc()->pml4, argraw(0), cmdline, m - 1) < 0 ||
	    copyout(myproc()->pml4, argraw(0) + m - 1, &last, 1) < 0)
		return -1;
	return len;
}

u64 sys_poweroff(void)
{
	machine_poweroff((int)(argraw(0) & 0xff));
}
