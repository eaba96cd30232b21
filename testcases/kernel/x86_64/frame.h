// x86-64: the frames the trap path builds, and how the shared C reads
// them (the TF_* accessors; the arch-neutral code names no register).
#ifndef KERNEL_FRAME_H
#define KERNEL_FRAME_H

#include "types.h"

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

#define CTX_PC(c)     ((c)->rip)
#define TF_PC(tf)     ((tf)->rip)
#define TF_SP(tf)     ((tf)->rsp)
#define TF_FLAGS(tf)  ((tf)->rflags)
#define TF_SYSNUM(tf) ((tf)->rax)     // system call number in,
#define TF_RET(tf)    ((tf)->rax)     // ... its result out
#define TF_ENTRYARG(tf) ((tf)->rdi)   // a new program's main(arg)

// System call argument n (0-3), Linux's order: %rdi, %rsi, %rdx, %r10.
#define SYSCALL_NARGS 4
static inline u64 tf_sysarg(const struct trapframe *tf, int n)
{
	const u64 *regs[SYSCALL_NARGS] = { &tf->rdi, &tf->rsi, &tf->rdx, &tf->r10 };
	return *regs[n];
}

// The user segments for a program starting at entry with stack sp.
#define tf_user_init(tf, entry, sp) do {				\
	(tf)->rip = (entry);						\
	(tf)->rsp = (sp);						\
	(tf)->cs = UCODE_SEL;						\
	(tf)->ss = UDATA_SEL;						\
	(tf)->rflags = FL_IF;						\
} while (0)

#endif
