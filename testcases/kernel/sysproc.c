// Process, time and machine system calls, and the privileged-operation
// loops the benchmarks time.

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "proc.h"
#include "x86.h"

uintptr sys_exit(void)
{
	exit((int)(argraw(0) & 0xff));
}

uintptr sys_getpid(void)
{
	return myproc()->pid;
}

uintptr sys_yield(void)
{
	yield();
	return 0;
}

uintptr sys_fork(void)
{
	return fork();
}

// spawn(const char *name, long arg)
uintptr sys_spawn(void)
{
	char name[16];
	if (copyinstr(myproc()->pgdir, name, argraw(0), sizeof(name)) < 0)
		return -1;
	return spawn(name, (long)argraw(1));
}

// wait(int *status)
uintptr sys_wait(void)
{
	return wait(argraw(0));
}

// sbrk(long n): move the program break by n bytes (rounded to pages);
// returns the old break, or -1.
uintptr sys_sbrk(void)
{
	struct proc *p = myproc();
	long n = (long)argraw(0);    // register-sized, signed
	uintptr old = p->brk;
	uintptr new = PGROUNDUP(old + n);
	if (n > 0) {
		if ((uintptr)n > UHEAP_LIMIT - old)
			return -1;
		if (uvm_alloc(p->pgdir, old, new, PTE_W) < 0) {
			uvm_dealloc(p->pgdir, old, new);
			return -1;
		}
	} else if (n < 0) {
		if ((uintptr)-n > old - p->heapbase)
			return -1;
		uvm_dealloc(p->pgdir, new, old);
	}
	p->brk = new;
	return old;
}

// n rounds of the interrupt-flag operations a kernel does all the time:
// a cli/sti pair and a pushf/popf pair. The asm keeps each instruction
// in place however the compiler optimizes.
static void privloop_irq(uintptr n)
{
	for (uintptr i = 0; i < n; i++) {
		cli();
		sti();
		write_flags(read_flags());
	}
}

// n page-table switches, alternating between the kernel's own root and
// the caller's, ending on the caller's.
static void privloop_cr3(uintptr n)
{
	uintptr roots[2] = { kvm_root(), V2P(myproc()->pgdir) };
	for (uintptr i = 0; i < n; i++)
		lcr3(roots[(n - i) % 2]);     // the last one (i = n - 1) is roots[1]
}

// privloop(kind, n)
uintptr sys_privloop(void)
{
	uintptr kind = argraw(0), n = argraw(1);
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

uintptr sys_uptime(void)
{
	return ticks;
}

uintptr sys_tsckhz(void)
{
	return tsc_khz;
}

// cmdline(char *buf, long n): the kernel command line, NUL-terminated and
// truncated to n bytes; returns its full length.
uintptr sys_cmdline(void)
{
	uintptr len = strlen(cmdline), n = argraw(1);
	if (n == 0)
		return len;
	uintptr m = len + 1 < n ? len + 1 : n;
	char last = '\0';
	if (copyout(myproc()->pgdir, argraw(0), cmdline, m - 1) < 0 ||
	    copyout(myproc()->pgdir, argraw(0) + m - 1, &last, 1) < 0)
		return -1;
	return len;
}

uintptr sys_poweroff(void)
{
	machine_poweroff((int)(argraw(0) & 0xff));
}
