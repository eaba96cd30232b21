/* SPDX-License-Identifier: MIT */
/*
 * --user=seccomp: guest user code in a stub that catches its own system
 * calls and faults (stub-seccomp.c, stub-seccomp-code.S).
 *
 * The stub's window (STUB_CODE_ADDR, STUB_SIZE bytes) holds, in this
 * mode: the code page (shared by every stub), the stub's own shared page
 * (a page of a second memfd, one per stub) and its signal stack.  Guest
 * user code can read and write the shared page and the stack: nothing
 * in them is trusted by the host (it copies what it reads, then checks
 * it), and nothing the host puts there is secret.
 *
 * The shared page, as both sides see it (offsets: the assembler uses
 * them):
 */
#ifndef AFB_STUB_SECCOMP_H
#define AFB_STUB_SECCOMP_H

/*
 * Below the shared page: the signal stack, the stack the handler runs on
 * once the event is copied (so that a tick while it waits finds the
 * signal stack free), and the copy of the event's FPU state.
 */
#define SC_STACK_ADDR		(STUB_DATA_ADDR + 0x1000)
#define SC_STACK_SIZE		0x8000
#define SC_OWN_STACK_TOP	(SC_STACK_ADDR + 0x9000)
#define SC_FPU_ADDR		(SC_STACK_ADDR + 0x9000)
#define SC_FPU_MAX		0x5000
#define SC_STACKS_SIZE		0xe000	/* all three, up to STUB_SIZE */
#define SC_CODE_LEN		0x1000

/* Who owns the page: the futex word at offset 0. */
#define SC_RUN			0	/* the stub: user code runs */
#define SC_EVENT		1	/* the stub posted an event */
#define SC_HOST			2	/* the host is handling it */
#define SC_REPLY		3	/* the host posted a reply */

#define SC_STATE		0x000	/* u32, the futex word */
#define SC_LISTENER		0x008	/* the stub's notification fd, at start */
#define SC_FPREGS		0x010	/* 1: the event's FPU state is at SC_FPU_ADDR */
#define SC_SET_FS		0x018	/* reply: set FS base to SC_FS_BASE */
#define SC_FS_BASE		0x020
#define SC_SET_GS		0x028
#define SC_GS_BASE		0x030
#define SC_COUNT		0x038	/* reply: ops to run first */
#define SC_BATCH_ONLY		0x040	/* reply: run the ops, post sig 0 */
#define SC_INFO			0x048	/* event: siginfo_t, first 48 bytes */
#define SC_INFO_QWORDS		6
#define SC_GREGS		0x078	/* event: uc_mcontext.gregs[23] */
#define SC_NGREGS		23
#define SC_REPLY_REGS		0x130	/* reply: gregs[0 .. REG_EFL] */
#define SC_NREPLY		18
#define SC_OPS			0x1c0	/* reply: struct stub_op[SC_MAX_OPS] */
#define SC_MAX_OPS		46
#define SC_LDT_DESC		0xd40	/* reply: 4 struct user_desc (stub32.c) */
#define SC_EV_SEGS		0xd80	/* event: u16 es, ds, fs, gs */
#define SC_RE_SEGS		0xd88	/* reply: ... to load (32-bit guest) */
#define SC_MODE32		0xd90	/* reply: 1: resume in compatibility mode */
#define SC_FAR			0xd98	/* ... the far pointer it jumps through */
#define SC_DROPPED_ANY		0xdc0	/* a signal sent to the stub's code */
#define SC_DROPPED		0xe00	/* ... by signal: pid, uid; si_code */

/* uc_mcontext.gregs indexes (<sys/ucontext.h>), for the assembler. */
#define SC_REG_RSP		15
#define SC_REG_RIP		16
#define SC_REG_EFL		17
#define SC_REG_CSGSFS		18
#define SC_CS32			0x23	/* the host's 32-bit user code selector */
#define SC_DS32			0x2b	/* ... and flat data selector */
#define SC_UC_GREGS		40	/* offsetof(ucontext_t, uc_mcontext) */
#define SC_UC_FPREGS		(SC_UC_GREGS + 8 * SC_NGREGS)

#define SC_PREEMPT_SIG		10	/* SIGUSR1: the host's timer tick */
#define SC_FP_XSTATE_MAGIC1	0x46505853
#define SC_FP_MAGIC_OFF		464	/* fx_sw_bytes.magic1 in the frame */
#define SC_FP_SIZE_OFF		480	/* fx_sw_bytes.xstate_size */
#define SC_FXSAVE_SIZE		512

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sc_page {
	uint32_t state;
	uint32_t pad;
	uint64_t listener;
	uint64_t fpregs;
	uint64_t set_fs, fs_base, set_gs, gs_base;
	uint64_t count;
	uint64_t batch_only;
	uint64_t info[SC_INFO_QWORDS];
	uint64_t gregs[SC_NGREGS];
	uint64_t reply[SC_NREPLY];
	struct stub_op op[SC_MAX_OPS];
	uint8_t ldt[4][16];
	uint16_t ev_segs[4];
	uint16_t re_segs[4];
	uint64_t mode32;
	uint64_t far;
	uint64_t pad2[4];
	uint64_t dropped_any;
	uint64_t pad3[7];
	uint64_t dropped[32][2];
} __attribute__((aligned(4096)));	/* one page each, in an array */

/* What the host copied out of an event. */
struct sc_event {
	int sig, code;
	uint64_t addr;		/* si_addr, si_call_addr */
	int pid;		/* si_pid, for signals sent by someone */
	uint64_t gregs[SC_NGREGS];
	uint16_t segs[4];	/* es, ds, fs, gs */
};

struct host;
struct stub;

bool ss_available(const char **why);
int ss_init(struct host *h);
int ss_map(struct host *h, unsigned int index);
__attribute__((noreturn)) void ss_child(void);
int ss_start(struct host *h, struct stub *s, unsigned int index);
int ss_batch(struct host *h, struct stub *s, const struct stub_op *ops,
	     unsigned int n);
int ss_run(struct host *h, struct stub *s, const uint64_t reply[SC_NREPLY],
	   const struct stub_op *ops, unsigned int n, struct sc_event *ev);
void ss_interrupt(pid_t pid);

/* stub-seccomp-code.S */
extern const uint8_t ptrace_sc_code[], ptrace_sc_handler[],
	ptrace_sc_start[], ptrace_sc_syscall_ip[], ptrace_sc_code_end[];

#endif
#endif
