// Interrupts and exceptions: the IDT and the one C function every vector
// of trapasm.S calls.

#include "types.h"
#include "defs.h"
#include "mmu.h"
#include "proc.h"
#include "x86.h"

struct gatedesc {
	u16 off_lo;
	u16 sel;
	u8 ist;                  // IST stack index, 0 = none
	u8 type;                 // present, DPL, gate type
	u16 off_mid;
	u32 off_hi;
	u32 reserved;
} __attribute__((packed));

#define GATE_INTR 0x8e           // present, DPL 0, 64-bit interrupt gate

static struct gatedesc idt[256];
extern u64 vectors[];            // trapasm.S

static const char *const trapnames[32] = {
	[T_DE] = "divide error", [T_DB] = "debug", [T_NMI] = "NMI",
	[T_BP] = "breakpoint", [4] = "overflow", [5] = "bound range",
	[T_UD] = "invalid opcode", [7] = "device not available",
	[T_DF] = "double fault", [10] = "invalid TSS", [11] = "segment not present",
	[12] = "stack fault", [T_GP] = "general protection", [T_PF] = "page fault",
	[16] = "x87 error", [17] = "alignment check", [18] = "machine check",
	[19] = "SIMD error",
};

// Every vector is an interrupt gate (IF cleared on entry) with DPL 0, so
// `int n` from user mode is itself a #GP. The double fault gets its own
// stack: a kernel stack overflow then still reaches panic().
void idt_init(void)
{
	for (int i = 0; i < T_NVEC; i++) {
		u64 h = vectors[i];
		idt[i] = (struct gatedesc){
			.off_lo = h & 0xffff, .sel = KCODE_SEL,
			.ist = i == T_DF ? 1 : 0, .type = GATE_INTR,
			.off_mid = (h >> 16) & 0xffff, .off_hi = h >> 32,
		};
	}
	lidt(idt, sizeof(idt));
}

static const char *trapname(u64 trapno)
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
	kprintf("kernel: pid %d (%s) killed: %s (trap %lu, err 0x%lx) at rip 0x%lx",
		p->pid, p->name, trapname(tf->trapno), tf->trapno, tf->err, tf->rip);
	if (tf->trapno == T_PF)
		kprintf(" addr 0x%lx", rcr2());
	kprintf("\n");
	exit(EXIT_KILLED(tf->trapno));
}

static void kernel_fault(struct trapframe *tf)
{
	u64 cr2 = rcr2();
	kprintf("kernel: %s in kernel mode: trap %lu err 0x%lx\n"
		"  rip 0x%lx rsp 0x%lx rflags 0x%lx cr2 0x%lx\n",
		trapname(tf->trapno), tf->trapno, tf->err, tf->rip, tf->rsp, tf->rflags, cr2);
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
