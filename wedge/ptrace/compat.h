/* SPDX-License-Identifier: MIT */
/*
 * afterburn-ptrace's i386 mechanism: a 32-bit guest kernel runs natively,
 * in compatibility mode, inside this 64-bit process (doc/afterburn-ptrace.pod,
 * "THE I386 MECHANISM"); boot32.c and its neighbours (ptrace.h) use it.
 *
 *   compat.c         the low 4 GiB (reserved for the guest, guest pages
 *                    mapped into it), the landing pad and exit thunks,
 *                    ucontext <-> 32-bit frame
 *   ldt.c            guest data segments as LDT entries (modify_ldt), a
 *                    cache from guest selector to LDT slot
 *   compat-entry.S   entering 32-bit code, leaving it through a thunk,
 *                    the signal entry, the host's FS base
 *
 * Guest-virtual == host-virtual below 4 GiB.  32-bit code runs with the
 * host's flat selectors (CS 0x23, DS/ES/SS 0x2b) and %fs/%gs loaded with
 * LDT selectors that mirror the guest's own descriptors.  The way out is
 * an exit thunk below 4 GiB: 'movl $index, slot; ljmp $0x33, $pad', and
 * the landing pad (64-bit code, below 4 GiB too) jumps to compat_exit in
 * this program, which saves the 32-bit registers on the host's side,
 * calls a C function and resumes whatever the frame then says.
 */
#ifndef AFB_PTRACE_COMPAT_H
#define AFB_PTRACE_COMPAT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <afterburn/vcpu.h>

/* The host's selectors (Linux x86-64's GDT, fixed ABI). */
#define COMPAT_CS32		0x23	/* __USER32_CS */
#define COMPAT_DS		0x2b	/* __USER_DS: the flat data selector */
#define COMPAT_CS64		0x33	/* __USER_CS */

#define COMPAT_TOP		0x100000000ULL	/* the guest's 4 GiB */

/*
 * The 32-bit registers: eax..edi in frame.gpr[AFB_RAX..AFB_RDI]
 * (zero-extended), eip in frame.rip, eflags in frame.rflags; the host
 * selectors %fs and %gs hold (LDT selectors from ldt.c, or 0); the index
 * the exit thunk stored (guest-writable memory: check it before use).
 */
struct compat_regs {
	struct afb_frame frame;
	uint32_t fs, gs;
	uint32_t index;
	uint32_t pad;
};

/* What a C function reached from 32-bit code returns. */
#define COMPAT_RESUME	0	/* resume the frame (changed or not) */
/* any other value: compat_enter() returns it */

typedef int (*compat_exit_fn)(struct compat_regs *r);

/*
 * The host's FS base (glibc's thread pointer) after 32-bit code ran with
 * a guest %fs:
 *  COMPAT_FS_EAGER  restored on every exit and in the signal entry before
 *                   any C code (ARCH_SET_FS, or wrfsbase with FSGSBASE);
 *  COMPAT_FS_LAZY   left as the guest's: the C code reached from exits
 *                   and signals must touch no TLS (no stack protector,
 *                   no errno, no libc but the string functions) until it
 *                   calls compat_host_fs().  Not in sanitizer builds
 *                   (their runtime keeps per-thread state in TLS).
 */
enum compat_fs_mode { COMPAT_FS_EAGER, COMPAT_FS_LAZY };

struct compat_layout {
	uint32_t pad;		/* the landing pad's guest address (16 bytes) */
	uint32_t slot;		/* the exit index slot's (4 bytes, writable) */
};

/* compat.c */
int compat_supported(char *err, size_t errlen);
int compat_reserve(char *err, size_t errlen);
bool compat_reserved(void);
int compat_map(uint64_t va, size_t len, int prot, int fd, off_t off);
int compat_unmap(uint64_t va, size_t len);
int compat_init(const struct compat_layout *l, compat_exit_fn fn,
		enum compat_fs_mode mode);
int compat_set_fs_mode(enum compat_fs_mode mode);
size_t compat_pad_write(uint8_t *buf, uint64_t host_entry);
#define COMPAT_PAD_SIZE		16
#define COMPAT_THUNK_SIZE	17
size_t compat_thunk_write(uint8_t *buf, const struct compat_layout *l,
			  uint32_t index);
bool compat_uc_is32(const void *uc);
void compat_regs_from_uc(struct compat_regs *r, const void *uc);
void compat_regs_to_uc(const struct compat_regs *r, void *uc);
void compat_uc_to_host(void *uc, void (*fn)(void *), void *arg,
		       void *stack_top);
uint64_t compat_host_fs_base(void);
long compat_syscall6(long nr, long a, long b, long c, long d, long e, long f);

/* ldt.c: guest data segments as this process's LDT entries */
#define COMPAT_LDT_SLOTS	8	/* cached at once */
#define COMPAT_LDT_FIRST	1	/* slot 0 stays empty */

struct compat_ldt {
	struct {
		uint16_t guest_sel;
		uint64_t desc;	/* the guest descriptor it mirrors */
		uint64_t used;	/* LRU clock, 0: free */
	} e[COMPAT_LDT_SLOTS];
	uint16_t loaded[2];	/* host selectors in %fs, %gs: never evicted */
	uint64_t clock;
	uint64_t misses;	/* modify_ldt calls */
};

enum compat_seg { COMPAT_FS, COMPAT_GS };

void compat_ldt_init(struct compat_ldt *c);
int compat_ldt_user_desc(uint64_t desc, unsigned int slot, void *ud);
int compat_ldt_selector(struct compat_ldt *c, uint16_t guest_sel,
			uint64_t desc, enum compat_seg which);
uint64_t compat_desc_base(uint64_t desc);
uint32_t compat_desc_limit(uint64_t desc);

/* compat-entry.S */
int compat_enter(const struct compat_regs *r);	/* returns an exit's value */
__attribute__((noreturn)) void compat_resume(const struct compat_regs *r);
void compat_exit(void);			/* where the landing pad jumps */
void compat_host_fs(void);		/* restore the FS base, if needed */
void compat_signal_entry(int sig, siginfo_t *si, void *uc);
extern void (*compat_signal_fn)(int sig, siginfo_t *si, void *uc);
extern uint32_t compat_sig_fs, compat_sig_gs;	/* what the signal returns with */
extern uint64_t compat_host_fs_value;
extern uint8_t compat_fs_eager, compat_have_fsgsbase;
extern uint8_t compat_fs_guest;	/* FS has not the host's base */
extern compat_exit_fn compat_exit_call;
extern uint64_t compat_slot_addr;
extern uint16_t compat_resume_cs;	/* the CS compat_resume jumps to */
extern struct compat_regs compat_exit_regs;

#endif
