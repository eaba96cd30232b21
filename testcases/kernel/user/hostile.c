// Hostile user code for the hosts that run guest user processes natively
// (afterburn-ptrace): every attack runs in a forked child, which must
// either be killed by the guest kernel with the trap a CPU would raise,
// or see its attempt fail, and must never reach the host. Built as the
// init of a separate kernel image (testcases/ptrace/hostile.sh overrides
// init_OBJS), so that the test kernel itself is unchanged.
//
// Prints PASS/FAIL lines and a SUMMARY, powers off with the failures.
// The host-side effects (a directory created by a host system call) are
// checked by the script: HOSTILE_MARK below must not exist afterwards.

#include "user.h"

#define KERNEL_TEXT   0x0000100000100000UL   // memlayout.h
#define KERNEL_DATA   0x0000100000400000UL   // direct map, kernel RAM
#define VSYSCALL      0xffffffffff600000UL   // Linux's vsyscall page
#define STUB_CODE     0x0000080000000000UL   // afterburn-ptrace's stub
#define STUB_DATA     0x0000080000001000UL
#define HOST_MKDIR    83                      // x86-64 Linux numbers
#define HOST_EXIT_GROUP 231
#define HOST_I386_MKDIR 39
#define HOSTILE_MARK  "/tmp/afterburn-hostile-mark"
#define HOST_MMAP     9
#define HOST_SIGACTION 13
#define HOST_SIGPROCMASK 14
#define HOST_SIGRETURN 15
#define HOST_CLONE    56
#define HOST_FUTEX    202
#define HOST_SIGSEGV  11
#define HOST_SEGV_MAPERR 1

static int passed, failed;

static void result(const char *name, const char *why)
{
	if (why) {
		failed++;
		printf("FAIL %s: %s\n", name, why);
	} else {
		passed++;
		printf("PASS %s\n", name);
	}
}

// Run fn in a child; its exit status, or -1000.
static int child_status(void (*fn)(void))
{
	int pid = fork(), status = -1;
	if (pid < 0)
		return -1000;
	if (pid == 0) {
		fn();
		exit(0);
	}
	if (wait(&status) != pid)
		return -1000;
	return status;
}

static char why[120];

static const char *killed_by(void (*fn)(void), int trap1, int trap2)
{
	int st = child_status(fn);
	if (st == EXIT_KILLED(trap1) || st == EXIT_KILLED(trap2))
		return 0;
	snprintf(why, sizeof(why), "child status %d, expected killed by trap %d or %d",
		 st, trap1, trap2);
	return why;
}

static const char *exits_with(void (*fn)(void), int status)
{
	int st = child_status(fn);
	if (st == status)
		return 0;
	snprintf(why, sizeof(why), "child status %d, expected %d", st, status);
	return why;
}

static const char mark[] = HOSTILE_MARK;

// A raw syscall is the guest kernel's: host numbers mean nothing there.
static void raw_syscall_mkdir(void)
{
	long r;
	asm volatile("syscall" : "=a"(r) : "a"(HOST_MKDIR), "D"(mark), "S"(0755)
		     : "rcx", "r11", "memory");
	exit(r == -1 ? 42 : 1);
}

static void raw_syscall_exit_group(void)
{
	long r;
	asm volatile("syscall" : "=a"(r) : "a"(HOST_EXIT_GROUP), "D"(7)
		     : "rcx", "r11", "memory");
	exit(r == -1 ? 42 : 1);
}

// int $0x80: a system call gate on Linux, a DPL 0 gate in the guest.
static void int80_mkdir(void)
{
	asm volatile("int $0x80" : : "a"(HOST_I386_MKDIR), "b"(mark), "c"(0755)
		     : "memory");
}

static void do_sysenter(void)
{
	asm volatile("sysenter" : : "a"(HOST_MKDIR) : "rcx", "r11", "memory");
}

// The vsyscall page: Linux emulates it in its page-fault handler, where
// PTRACE_SYSEMU does not look.
static void call_vsyscall(void)
{
	static long tv[2];
	long (*gettimeofday)(long *, void *) = (void *)VSYSCALL;
	gettimeofday(tv, 0);
	exit(tv[0] ? 1 : 42);
}

static void read_kernel_text(void) { (void)*(volatile long *)KERNEL_TEXT; }
static void write_kernel_data(void) { *(volatile long *)KERNEL_DATA = 0x5a5a; }
static void jump_kernel(void) { ((void (*)(void))KERNEL_TEXT)(); }

// The stub's own syscall instruction: under PTRACE_SYSEMU it is just
// another guest system call, whoever jumps there.
static void stub_syscall(void)
{
	const unsigned char *p = (const unsigned char *)STUB_CODE;
	int i;
	for (i = 0; i < 64; i++)
		if (p[i] == 0x0f && p[i + 1] == 0x05)
			break;
	if (i == 64)
		exit(43);
	asm volatile("jmp *%0" : : "r"(p + i), "a"(HOST_MKDIR), "D"(mark), "S"(0755)
		     : "memory");
}

// Forge a batch in the stub's data page, then make the host run one (a
// fault on fresh heap pages): the host must not run our ops.
static void forge_batch(void)
{
	volatile unsigned long *d = (volatile unsigned long *)STUB_DATA;
	char *heap;
	int i;

	for (i = 0; i < 8; i++) {
		volatile unsigned long *op = d + 2 + 8 * i;
		op[0] = HOST_MKDIR;
		op[1] = (unsigned long)mark;
		op[2] = 0755;
	}
	d[0] = 8;
	heap = sbrk(8 * 4096);
	if (heap == (char *)-1)
		exit(2);
	for (i = 0; i < 8 * 4096; i += 4096)
		heap[i] = 1;
	exit(42);
}

// ---- The stub's own code and shared page (afterburn-ptrace) ----------
//
// Under --user=ptrace every instruction of the stub's page runs under
// PTRACE_SYSEMU: its syscall is a user fault in a page the guest never
// mapped (#PF, trap 14).  Under --user=seccomp the stub's syscall
// instruction (followed by ret) lets through what its filter allows
// (a futex on the shared page, the FS/GS base, mmap/munmap/mprotect for
// the host to approve): anything of ours must come back refused or
// harmless, anything else is SIGSYS in the stub's code, trap 14 again.

static unsigned char *stub_syscall_insn(void)
{
	unsigned char *p = (unsigned char *)STUB_CODE;
	int i;
	for (i = 0; i < 4095; i++)
		if (p[i] == 0x0f && p[i + 1] == 0x05)
			return p + i;
	exit(43);
}

// Call the stub's syscall instruction as a function (below the red zone).
static long stub_call(long nr, long a0, long a1, long a2, long a3, long a4,
		      long a5)
{
	register long r10 asm("r10") = a3;
	register long r8 asm("r8") = a4;
	register long r9 asm("r9") = a5;
	unsigned char *p = stub_syscall_insn();
	long r;

	asm volatile("sub $128, %%rsp; call *%[p]; add $128, %%rsp"
		     : "=a"(r), "+r"(r10), "+r"(r8), "+r"(r9)
		     : [p] "r"(p), "a"(nr), "D"(a0), "S"(a1), "d"(a2)
		     : "rcx", "r11", "memory");
	return r;
}

static int refused(long r) { return r < 0 && r > -4096; }

// Map guest-physical memory (the kernel's, at 1 MiB) with the memfd,
// whatever its descriptor: the host must refuse every one.
static void stub_mmap(void)
{
	for (int fd = 0; fd < 8; fd++)
		if (!refused(stub_call(HOST_MMAP, 0x10000000, 4096, 3, 0x11, fd,
				       0x100000)))
			exit(1);
	exit(42);
}

// Sleep on the shared page's futex word with no timeout: the host must
// not wait forever for us (it wakes the word), and we come back.
static void stub_futex_wait(void)
{
	volatile unsigned int *state = (volatile unsigned int *)STUB_DATA;
	stub_call(HOST_FUTEX, (long)STUB_DATA, 0, *state, 0, 0, 0);
	exit(42);
}

// A second host thread in the stub, through its own syscall instruction.
static void stub_clone(void)
{
	stub_call(HOST_CLONE, 0x10f00, 0x20000000, 0, 0, 0, 0);
	exit(1);
}

// rt_sigreturn with a forged frame (every signal blocked, rip ours).
static void stub_sigreturn(void)
{
	static unsigned long frame[128];
	for (int i = 0; i < 128; i++)
		frame[i] = ~0UL;
	asm volatile("mov %0, %%rsp; jmp *%1"
		     : : "r"(frame + 1), "r"(stub_syscall_insn()), "a"(HOST_SIGRETURN)
		     : "memory");
}

static void stub_sigprocmask(void)
{
	static unsigned long all = ~0UL;
	stub_call(HOST_SIGPROCMASK, 0, (long)&all, 0, 8, 0, 0);
	exit(1);
}

static void stub_sigaction(void)
{
	static unsigned long act[4] = { 1 /* SIG_IGN */ };
	stub_call(HOST_SIGACTION, 31 /* SIGSYS */, (long)act, 0, 8, 0, 0);
	exit(1);
}

// Scribble over the whole shared page between hand-offs, again and
// again, with system calls and fresh-page faults (host batches) between.
static void scribble_shared_page(void)
{
	volatile unsigned long *d = (volatile unsigned long *)STUB_DATA;
	int pid = getpid();
	char *heap = sbrk(64 * 4096);

	if (heap == (char *)-1)
		exit(2);
	for (int round = 0; round < 64; round++) {
		for (int i = 0; i < 512; i++)
			d[i] = round & 1 ? ~0UL : 0x80000001000UL + 8 * (u64)i;
		if (getpid() != pid)
			exit(1);
		for (int i = 0; i < 512; i++)
			d[i] = (u64)round * 0x0101010101010101UL;
		heap[round * 4096] = 1;
		if (heap[round * 4096] != 1)
			exit(1);
	}
	exit(42);
}

// Post an event in the shared page (its state word says "event", the
// registers a system call of ours) and run on, as if the stub waited:
// the host handles it and replies into the void; whatever it queued for
// us must not run unapproved, and we go on or are stopped.
static void forged_event(void)
{
	volatile unsigned int *state = (volatile unsigned int *)STUB_DATA;
	u64 spin = (u64)tsckhz() * 100, t0 = rdtsc();
	char *heap = sbrk(4 * 4096);

	if (heap == (char *)-1)
		exit(2);
	*state = 1;
	while (rdtsc() - t0 < spin)
		;
	heap[0] = heap[4096] = 1;
	exit(42);
}

static void landing(void) { exit(42); }

// Enter the stub's signal handler (--user=seccomp: its first
// instruction is cld) with forged registers, a forged siginfo and
// ucontext: a fault at guest kernel memory.  The host must treat it as
// the user's own fault there (#PF), not map anything.  Under ptrace the
// stub's page has its batch code: have it run a forged batch.
static void stub_handler(void)
{
	static unsigned long info[16], uc[64], stack[512];
	unsigned char *p = (unsigned char *)STUB_CODE;
	volatile unsigned long *d = (volatile unsigned long *)STUB_DATA;
	int i;

	for (i = 0; i < 4096 && p[i] != 0xfc; i++)
		;
	info[0] = HOST_SIGSEGV;
	info[1] = HOST_SEGV_MAPERR;			// si_code
	info[2] = KERNEL_DATA;
	uc[5 + 16] = (unsigned long)landing;		// gregs[REG_RIP]
	uc[5 + 15] = (unsigned long)(stack + 256);	// gregs[REG_RSP]
	uc[5 + 17] = 0x202;
	if (i == 4096) {	// the ptrace stub's batch code
		d[0] = 1;
		d[2] = HOST_MKDIR;
		d[3] = (unsigned long)mark;
		d[4] = 0755;
		i = 0;
	}
	asm volatile("mov %0, %%rsp; jmp *%1"
		     : : "r"(stack + 256), "r"(p + i), "D"(HOST_SIGSEGV), "S"(info),
		       "d"(uc) : "memory");
}

// User code that never enters the kernel is still preempted: the
// guest's timer ticks go on while it spins (a tick that only came at
// the next system call would count once).
static void spin_preempted(void)
{
	u64 spin = (u64)tsckhz() * 1000, t0 = rdtsc();	// 250 ticks
	long ticks = uptime();

	while (rdtsc() - t0 < spin)
		;
	exit(uptime() - ticks >= 5 ? 42 : 1);
}

// A system call with the stack pointer near the bottom of the stub's
// signal stack, above its red zone (--user=seccomp): Linux finds no room
// there for the
// SIGSYS frame and kills the stub.  The host must go on (this process
// takes a #GP, a fresh stub runs the next); under ptrace the call is the
// guest's, and the stack there is no page of ours (#PF).
static void stub_stack_overflow(void)
{
	asm volatile("mov %0, %%rsp; syscall"
		     : : "r"(STUB_DATA + 0x1000 + 128 + 64), "a"(SYS_getpid)
		     : "rcx", "r11", "memory");
	exit(1);
}

static const char *killed_or_exits(void (*fn)(void), int trap, int status)
{
	int st = child_status(fn);
	if (st == EXIT_KILLED(trap) || st == status)
		return 0;
	snprintf(why, sizeof(why), "child status %d, expected killed by trap %d "
		 "or exit %d", st, trap, status);
	return why;
}

// Guest user code must not execute privileged instructions either.
static void do_lidt(void) { static char d[10]; asm volatile("lidt %0" : : "m"(d)); }
static void do_wrgs(void) { asm volatile("wrgsbase %0" : : "r"(0UL)); }

static const char *a_raw_mkdir(void) { return exits_with(raw_syscall_mkdir, 42); }
static const char *a_raw_exit(void) { return exits_with(raw_syscall_exit_group, 42); }
static const char *a_int80(void) { return killed_by(int80_mkdir, 13, 13); }
static const char *a_sysenter(void) { return killed_by(do_sysenter, 6, 13); }
static const char *a_vsyscall(void) { return killed_by(call_vsyscall, 14, 14); }
static const char *a_read_kernel(void) { return killed_by(read_kernel_text, 14, 14); }
static const char *a_write_kernel(void) { return killed_by(write_kernel_data, 14, 14); }
static const char *a_jump_kernel(void) { return killed_by(jump_kernel, 14, 14); }
static const char *a_stub_syscall(void) { return killed_by(stub_syscall, 14, 14); }
static const char *a_forge_batch(void) { return exits_with(forge_batch, 42); }
static const char *a_lidt(void) { return killed_by(do_lidt, 13, 13); }
static const char *a_stub_mmap(void) { return killed_or_exits(stub_mmap, 14, 42); }
static const char *a_stub_futex(void) { return killed_or_exits(stub_futex_wait, 14, 42); }
static const char *a_stub_clone(void) { return killed_by(stub_clone, 14, 14); }
static const char *a_stub_sigreturn(void) { return killed_by(stub_sigreturn, 14, 14); }
static const char *a_stub_sigprocmask(void) { return killed_by(stub_sigprocmask, 14, 14); }
static const char *a_stub_sigaction(void) { return killed_by(stub_sigaction, 14, 14); }
static const char *a_scribble(void) { return exits_with(scribble_shared_page, 42); }
static const char *a_stub_handler(void) { return killed_by(stub_handler, 14, 14); }
static const char *a_spin(void) { return exits_with(spin_preempted, 42); }
static const char *a_stub_stack(void) { return killed_by(stub_stack_overflow, 13, 14); }
static const char *a_forged_event(void)
{
	int st = child_status(forged_event);
	if (st == 42 || st == EXIT_KILLED(13) || st == EXIT_KILLED(14))
		return 0;
	snprintf(why, sizeof(why), "child status %d, expected 42 or killed", st);
	return why;
}
// wrgsbase: #UD on the guest's CPU (CR4.FSGSBASE is clear); a host that
// lets it run natively only changes the stub's own GS base.
static const char *a_wrgsbase(void)
{
	int st = child_status(do_wrgs);
	return st == EXIT_KILLED(6) || st == 0 ? 0 : "wrgsbase: unexpected status";
}

static const struct {
	const char *name;
	const char *(*check)(void);
} attacks[] = {
	{ "hostile_raw_syscall", a_raw_mkdir },
	{ "hostile_raw_exit_group", a_raw_exit },
	{ "hostile_int80", a_int80 },
	{ "hostile_sysenter", a_sysenter },
	{ "hostile_vsyscall", a_vsyscall },
	{ "hostile_read_kernel", a_read_kernel },
	{ "hostile_write_kernel", a_write_kernel },
	{ "hostile_jump_kernel", a_jump_kernel },
	{ "hostile_stub_syscall", a_stub_syscall },
	{ "hostile_forged_batch", a_forge_batch },
	{ "hostile_lidt", a_lidt },
	{ "hostile_wrgsbase", a_wrgsbase },
	{ "hostile_stub_mmap", a_stub_mmap },
	{ "hostile_stub_futex_wait", a_stub_futex },
	{ "hostile_stub_clone", a_stub_clone },
	{ "hostile_stub_sigreturn", a_stub_sigreturn },
	{ "hostile_stub_sigprocmask", a_stub_sigprocmask },
	{ "hostile_stub_sigaction", a_stub_sigaction },
	{ "hostile_scribble_shared_page", a_scribble },
	{ "hostile_stub_handler", a_stub_handler },
	{ "hostile_spin_preempted", a_spin },
	{ "hostile_stub_stack_overflow", a_stub_stack },
	{ "hostile_after_stub_death", a_raw_mkdir },
	{ "hostile_forged_event", a_forged_event },
	{ "hostile_after_forged_event", a_raw_mkdir },
};

int main(void)
{
	int n = sizeof(attacks) / sizeof(attacks[0]);
	printf("PLAN tests=%d benches=0\n", n);
	for (int i = 0; i < n; i++)
		result(attacks[i].name, attacks[i].check());
	printf("SUMMARY passed=%d failed=%d\n", passed, failed);
	poweroff(failed);
}
