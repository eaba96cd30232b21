// System call dispatch: a table indexed by the number in %rax.

#include "types.h"
#include "defs.h"
#include "proc.h"
#include "syscall.h"

// The n-th argument (0-based) of the current system call, Linux's order.
u64 argraw(int n)
{
	struct trapframe *tf = myproc()->tf;
	switch (n) {
	case 0: return tf->rdi;
	case 1: return tf->rsi;
	case 2: return tf->rdx;
	case 3: return tf->r10;
	}
	panic("argraw %d", n);
}

static u64 (*const syscalls[])(void) = {
	[SYS_write] = sys_write,
	[SYS_read] = sys_read,
	[SYS_exit] = sys_exit,
	[SYS_getpid] = sys_getpid,
	[SYS_yield] = sys_yield,
	[SYS_fork] = sys_fork,
	[SYS_spawn] = sys_spawn,
	[SYS_wait] = sys_wait,
	[SYS_pipe] = sys_pipe,
	[SYS_close] = sys_close,
	[SYS_sbrk] = sys_sbrk,
	[SYS_privloop] = sys_privloop,
	[SYS_uptime] = sys_uptime,
	[SYS_poweroff] = sys_poweroff,
	[SYS_cmdline] = sys_cmdline,
	[SYS_tsckhz] = sys_tsckhz,
};

// Called from syscall_entry with interrupts on. tf is also myproc()->tf.
void syscall(struct trapframe *tf)
{
	u64 num = tf->rax;
	if (num < NELEM(syscalls) && syscalls[num]) {
		tf->rax = syscalls[num]();
	} else {
		kprintf("kernel: pid %d (%s): unknown syscall %lu\n",
			myproc()->pid, myproc()->name, num);
		tf->rax = (u64)-1;
	}
}
