// i386: the frames the trap path builds, and how the shared C reads
// them (the TF_* accessors; the arch-neutral code names no register).
#ifndef KERNEL_FRAME_H
#define KERNEL_FRAME_H

#include "types.h"

// Saved by trapasm.S on every entry from an interrupt, exception or
// system call, lowest address first: pushal's registers, the data
// segments, the vector and error code, and the hardware frame. esp and
// ss are there only for entries from user mode (a same-privilege
// interrupt pushes neither); every process's frame is one of those.
struct trapframe {
	uintptr edi, esi, ebp, oesp, ebx, edx, ecx, eax;   // pushal
	uintptr gs, fs, es, ds;
	uintptr trapno;
	uintptr err;             // error code, 0 where the CPU pushes none
	uintptr eip, cs, eflags; // the hardware frame (iret pops it)
	uintptr esp, ss;         // ... from user mode only
};

// Callee-saved registers kept across swtch(); eip is its return address.
struct context {
	uintptr edi, esi, ebx, ebp, eip;
};

#define CTX_PC(c)     ((c)->eip)
#define TF_PC(tf)     ((tf)->eip)
#define TF_SP(tf)     ((tf)->esp)
#define TF_FLAGS(tf)  ((tf)->eflags)
#define TF_SYSNUM(tf) ((tf)->eax)     // system call number in,
#define TF_RET(tf)    ((tf)->eax)     // ... its result out
#define TF_ENTRYARG(tf) ((tf)->eax)   // a new program's main(arg) (usys.S)

// System call argument n (0-3), Linux's i386 order: %ebx, %ecx, %edx, %esi.
#define SYSCALL_NARGS 4
static inline uintptr tf_sysarg(const struct trapframe *tf, int n)
{
	const uintptr *regs[SYSCALL_NARGS] = { &tf->ebx, &tf->ecx, &tf->edx, &tf->esi };
	return *regs[n];
}

// The user segments for a program starting at entry with stack sp.
#define tf_user_init(tf, entry, sp) do {				\
	(tf)->eip = (entry);						\
	(tf)->esp = (sp);						\
	(tf)->cs = UCODE_SEL;						\
	(tf)->ss = (tf)->ds = (tf)->es = UDATA_SEL;			\
	(tf)->fs = (tf)->gs = UDATA_SEL;				\
	(tf)->eflags = FL_IF;						\
} while (0)

#endif
