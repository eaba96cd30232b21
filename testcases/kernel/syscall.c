// System call dispatch: a table indexed by the number in TF_SYSNUM
// (%rax on x86-64, %eax on i386).

#include "types.h"
#include "defs.h"
#include "proc.h"
#include "syscall.h"

// The n-th argument (0-based) of the current system call, in the
// registers of the arch's convention (frame.h).
uintptr argraw(int n)
{
	struct trapframe *tf = myproc()->tf;
	if (n < 0 || n >= SYSCALL_NARGS)
		panic("argraw %d", n);
	return tf_sysarg(tf, n);
}

static uintptr (*const syscalls[])(void) = {
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
	uintptr num = TF_SYSNUM(tf);
	if (num < NELEM(syscalls) && syscalls[num]) {
		TF_RET(tf) = syscalls[num]();
	} else {
		kprintf("kernel: pid %d (%s): unknown syscall %lu\n",
			myproc()->pid, myproc()->name, num);
		TF_RET(tf) = (uintptr)-1;
	}
}
