// Interrupts and exceptions: the one C function every vector of
// trapasm.S calls (the IDT itself is per arch: desc.c).

#include "types.h"
#include "defs.h"
#include "mmu.h"
#include "proc.h"
#include "x86.h"

static const char *const trapnames[32] = {
	[T_DE] = "divide error", [T_DB] = "debug", [T_NMI] = "NMI",
	[T_BP] = "breakpoint", [4] = "overflow", [5] = "bound range",
	[T_UD] = "invalid opcode", [7] = "device not available",
	[T_DF] = "double fault", [10] = "invalid TSS", [11] = "segment not present",
	[12] = "stack fault", [T_GP] = "general protection", [T_PF] = "page fault",
	[16] = "x87 error", [17] = "alignment check", [18] = "machine check",
	[19] = "SIMD error",
};

static const char *trapname(uintptr trapno)
{
	if (trapno < 32 && trapnames[trapno])
		return trapnames[trapno];
	return "unknown trap";
}

// A fault in user mode: report it and kill the process, whose status
// then tells the parent which trap it was.
static void kill_faulting(struct trapframe *tf)
{
	struct proc *p = myproc();
	kprintf("kernel: pid %d (%s) killed: %s (trap %lu, err 0x%lx) at pc 0x%lx",
		p->pid, p->name, trapname(tf->trapno), tf->trapno, tf->err, TF_PC(tf));
	if (tf->trapno == T_PF)
		kprintf(" addr 0x%lx", rcr2());
	kprintf("\n");
	exit(EXIT_KILLED(tf->trapno));
}

static void kernel_fault(struct trapframe *tf)
{
	uintptr cr2 = rcr2();
	kprintf("kernel: %s in kernel mode: trap %lu err 0x%lx\n"
		"  pc 0x%lx sp 0x%lx flags 0x%lx cr2 0x%lx\n",
		trapname(tf->trapno), tf->trapno, tf->err, TF_PC(tf), TF_SP(tf),
		TF_FLAGS(tf), cr2);
	panic("trap");
}

void trap(struct trapframe *tf)
{
	int from_user = (tf->cs & 3) == 3;

	switch (tf->trapno) {
	case T_IRQ0 + IRQ_TIMER:
		timer_intr();
		pic_eoi(IRQ_TIMER);
		// Preempt user code only: the kernel itself is not preemptible.
		if (from_user && myproc())
			yield();
		return;
	case T_IRQ0 + IRQ_COM1:
		devtest_uart_intr();
		pic_eoi(IRQ_COM1);
		return;
	case T_IRQ0 + IRQ_SPURIOUS:
	case T_IRQ0 + 8 + IRQ_SPURIOUS:
		pic_spurious(tf->trapno - T_IRQ0);
		return;
	}
	if (tf->trapno >= T_IRQ0) {
		kprintf("kernel: unexpected irq %lu\n", tf->trapno - T_IRQ0);
		pic_eoi(tf->trapno - T_IRQ0);
		return;
	}
	if (from_user)
		kill_faulting(tf);
	kernel_fault(tf);
}
