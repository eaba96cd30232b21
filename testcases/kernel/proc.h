// Processes, the per-CPU area and the frames the trap path builds.
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include "types.h"
#include "param.h"

// Saved by trapasm.S on every entry from an interrupt, exception or
// syscall, lowest address first. The layout is shared with trapasm.S
// (TF_* offsets there).
struct trapframe {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 trapno;
	u64 err;                 // error code, 0 where the CPU pushes none
	u64 rip, cs, rflags, rsp, ss;   // the hardware frame (iretq pops it)
};

// Callee-saved registers kept across swtch(); rip is its return address.
struct context {
	u64 r15, r14, r13, r12, rbx, rbp, rip;
};

// The per-CPU area. KERNEL_GS_BASE points at it while user code runs, so
// the syscall entry finds its stack with swapgs. Offsets are used by
// trapasm.S (CPU_KSTACK, CPU_USTASH): keep the first two fields first.
struct cpu {
	u64 kstack_top;          // rsp0 of the running process
	u64 user_rsp;            // scratch for the syscall entry
	struct context *scheduler;   // swtch() here to enter the scheduler
	struct proc *proc;       // running process or NULL
	u64 cr3;                 // the page table root now loaded
};

enum procstate { UNUSED, EMBRYO, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
	enum procstate state;
	int pid;
	struct proc *parent;
	pte_t *pml4;             // page table root (kernel virtual address)
	u64 brk;                 // program break: end of the heap
	u64 heapbase;            // the break can shrink back to here
	char *kstack;            // bottom of the kernel stack
	struct trapframe *tf;    // user registers, at the top of kstack
	struct context *context; // where swtch() resumes it
	void *chan;              // what it sleeps on, if SLEEPING
	int xstatus;             // exit status for wait()
	struct file *ofile[NOFILE];
	char name[16];
};

extern struct cpu cpu;

static inline struct proc *myproc(void) { return cpu.proc; }

#endif
