/* SPDX-License-Identifier: MIT */
/* hostile: the hostile-guest attacks of make check (testcases/kernel/user/
 * hostile.c), rewritten as an ordinary i386 Linux user program, for the
 * i386 Linux that make check-linux-ptrace boots (testcases/linux/ptrace/
 * check-linux-ptrace.sh puts it into the initramfs).
 *
 * Every attack runs in a forked child.  The parent waits and prints the
 * child's fate as Linux decided it, against what Linux must decide:
 *
 *   PASS name: killed by SIGSEGV
 *   FAIL name: exited with 7, want killed by SIGSEGV
 *
 * then "SUMMARY passed=N failed=M"; its exit status is the failures.
 * Each attack ends with an exit status of its own (7: the attempt went
 * through; 42: the attempt failed the way Linux fails it, where that is
 * the verdict), so that a child can never pass by doing nothing: a child
 * that must be killed and exits, or must exit 42 and is killed, fails.
 *
 * On a host that runs the guest's user code natively in compatibility
 * mode (afterburn-ptrace), the far transfers to the host's 64-bit code
 * selector 0x33 and the 64-bit system calls after them are the attacks
 * on the host; on an i386 CPU (QEMU, metal) 0x33 is the guest's first
 * TLS descriptor, empty here, and the transfer faults.  HOSTILE_MARK is
 * the directory a system call that reached the host would create: the
 * script checks that it does not exist on the host afterwards.
 *
 * Build: gcc -m32 -static -nostdlib -ffreestanding -fno-pic
 * -fno-stack-protector -O2 (lx.h is the whole run-time).
 */
#include "lx.h"

#define HOSTILE_MARK "/tmp/afterburn-hostile-mark"
#define KERNEL_BASE 0xc0000000UL	/* PAGE_OFFSET (3G/1G split) */
#define KERNEL_TEXT 0xc1000000UL	/* _text at 16 MiB (PHYSICAL_START) */
#define WEDGE_AREA 0xc0010000UL		/* PAGE_OFFSET + 64 KiB: the thunks */
#define STUB_CODE64 0x80000000000ULL	/* afterburn-ptrace's stub window */
#define HOST_MKDIR 83			/* x86-64 numbers */
#define HOST_EXIT 60
#define HOST_EXIT_GROUP 231
#define USER_CS 0x73			/* i386 Linux's __USER_CS, __USER_DS */
#define USER_DS 0x7b
#define KERNEL_CS 0x60
#define SIGTRAP 5
#define SIGILL 4
#define SIGBUS 7
#define SIGSEGV 11
#define SIGKILL 9

/* Named by the 64-bit code below, hence not static. */
const char hostile_mark[] = HOSTILE_MARK;
#define mark hostile_mark

/* ---- Privileged instructions: #GP at CPL3 (SIGSEGV), or no effect ---- */

static void do_cli(void) { __asm__ volatile("cli"); }
static void do_sti(void) { __asm__ volatile("sti"); }
static void do_hlt(void) { __asm__ volatile("hlt"); }
static void do_lidt(void) { static char d[6]; __asm__ volatile("lidt %0" : : "m"(d)); }
static void do_lgdt(void) { static char d[6]; __asm__ volatile("lgdt %0" : : "m"(d)); }
static void do_ltr(void) { __asm__ volatile("ltr %%ax" : : "a"(0x80)); }
static void do_lldt(void) { __asm__ volatile("lldt %%ax" : : "a"(0)); }
static void do_mov_cr3(void) { __asm__ volatile("mov %%eax, %%cr3" : : "a"(0)); }
static void do_read_cr0(void) { long v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); }
static void do_mov_dr7(void) { __asm__ volatile("mov %%eax, %%dr7" : : "a"(0x3ff)); }
static void do_wrmsr(void) { __asm__ volatile("wrmsr" : : "c"(0xc0000080), "a"(0), "d"(0)); }
static void do_rdmsr(void) { __asm__ volatile("rdmsr" : : "c"(0x1b) : "eax", "edx"); }
static void do_invlpg(void) { __asm__ volatile("invlpg (%0)" : : "r"(0x1000) : "memory"); }
static void do_wbinvd(void) { __asm__ volatile("wbinvd"); }
/* Port 0xf4: afterburn-ptrace's (and QEMU's isa-debug-exit) power-off. */
static void do_outb_f4(void) { __asm__ volatile("outb %%al, $0xf4" : : "a"(0)); }
static void do_inb_serial(void) { __asm__ volatile("inb $0xfd, %%al" : : : "eax"); }
static void do_int81(void) { __asm__ volatile("int $0x81"); }
static void do_int3(void) { __asm__ volatile("int3"); }
static void do_ud2(void) { __asm__ volatile("ud2"); }

/* popf cannot clear IF at CPL3 with IOPL 0: the flag stays set. */
static void do_popf_if(void)
{
	unsigned long before, after;

	__asm__ volatile("pushf\n\tpop %0\n\tmov %0, %1\n\tand $~0x200, %1\n\t"
			 "push %1\n\tpopf\n\tpushf\n\tpop %1"
			 : "=&r"(before), "=&r"(after) : : "cc", "memory");
	lx_exit((before & 0x200) && (after & 0x200) && !(after & 0x3000) ? 42 : 7);
}

/* ---- The kernel's half and the wedge area: #PF (SIGSEGV) ------------- */

static void read_kernel(void) { (void)*(volatile long *)KERNEL_BASE; }
static void write_kernel(void) { *(volatile long *)(KERNEL_BASE + 0x100000) = 0x5a5a; }
static void jump_kernel(void) { ((void (*)(void))KERNEL_TEXT)(); }
static void read_wedge(void) { (void)*(volatile long *)(WEDGE_AREA + 0x80000); }
static void jump_wedge(void) { ((void (*)(void))WEDGE_AREA)(); }
static void read_top(void) { (void)*(volatile long *)0xfffff000UL; }

/* The kernel's memory through a system call: -EFAULT, never the bytes. */
static void syscall_kernel_buffer(void)
{
	long r = lx_write(1, (const void *)KERNEL_BASE, 16);

	lx_exit(r == -LX_EFAULT ? 42 : 7);
}

/* ---- System calls with the host's numbers --------------------------- */

/* int $0x80 is the guest's i386 system call, whatever the number means
 * on the host: 60 is umask (host: exit), 83 symlink (host: mkdir: here
 * symlink(mark, 0x1ed) fails with EFAULT), 231 fgetxattr (host:
 * exit_group). */
static void int80_host_numbers(void)
{
	long r1 = lx_sys1(HOST_EXIT, 7);
	long r2 = lx_sys2(HOST_MKDIR, mark, 0755);
	long r3 = lx_sys1(HOST_EXIT_GROUP, 7);

	lx_exit(r1 >= 0 && r1 < 01000 && r2 == -LX_EFAULT && lx_err(r3) ? 42 : 7);
}

/* sysenter as the vDSO's __kernel_vsyscall makes it (ecx, edx, ebp
 * pushed, %ebp = %esp), with eax = 60: umask(7) to the guest.  Linux
 * returns to the vDSO's landing pad, which pops them and returns here.
 * hostile_sysenter_call (asm below) returns the system call's result. */
long hostile_sysenter_call(long nr, long arg);
__asm__(".text\n\t.globl hostile_sysenter_call\nhostile_sysenter_call:\n\t"
	"push %ebp\n\tpush %ebx\n\t"
	"mov 12(%esp), %eax\n\tmov 16(%esp), %ebx\n\t"
	"xor %ecx, %ecx\n\txor %edx, %edx\n\t"
	"call 1f\n\tjmp 2f\n"
	"1:\tpush %ecx\n\tpush %edx\n\tpush %ebp\n\tmov %esp, %ebp\n\tsysenter\n"
	"2:\tpop %ebx\n\tpop %ebp\n\tret\n");

static void sysenter_host_number(void)
{
	long r = hostile_sysenter_call(HOST_EXIT, 7);

	lx_exit(r >= 0 && r < 01000 ? 42 : 7);
}

/* `syscall' in 32-bit code: #UD on an i386 CPU (SIGILL). */
static void syscall32(void)
{
	__asm__ volatile("syscall" : : "a"(HOST_EXIT), "b"(7) : "ecx", "edx", "memory");
	lx_exit(7);
}

/* ---- Far transfers to the host's 64-bit code selector --------------- */

/* ljmp to 0x33 and run 64-bit code there: mkdir(mark) and exit_group(7)
 * with the host's 64-bit system call. */
void hostile_far64_syscall(void);
void hostile_far64_stub(void);
void hostile_lret64(void);
__asm__(".text\n\t.globl hostile_far64_syscall\nhostile_far64_syscall:\n\t"
	"ljmp $0x33, $3f\n"
	".code64\n3:\t"
	"mov $" "83" ", %eax\n\tmov $hostile_mark, %edi\n\tmov $0755, %esi\n\tsyscall\n\t"
	"mov $" "231" ", %eax\n\tmov $7, %edi\n\tsyscall\n\thlt\n"
	".code32\n"
	/* ... and jump to where afterburn-ptrace's stub code is. */
	".globl hostile_far64_stub\nhostile_far64_stub:\n\t"
	"ljmp $0x33, $4f\n"
	".code64\n4:\t"
	"movabs $0x80000000000, %rax\n\tjmp *%rax\n"
	".code32\n"
	/* lret: the same transfer through the stack. */
	".globl hostile_lret64\nhostile_lret64:\n\t"
	"push $0x33\n\tpush $3b\n\tlret\n");

/* The same selector made a code segment of the guest's: i386 Linux keeps
 * code out of the TLS slots (set_thread_area: EINVAL), and a data
 * segment there is no target for a jump (#GP). */
struct user_desc {
	unsigned int entry_number;
	unsigned int base_addr;
	unsigned int limit;
	unsigned int flags;	/* seg_32bit:1 contents:2 read_exec_only:1
				 * limit_in_pages:1 seg_not_present:1 useable:1 */
};

static void tls_code_0x33(void)
{
	struct user_desc d = { 6, 0, 0xfffff, 1 | 2 << 1 | 1 << 4 | 1 << 6 };
	long r = lx_sys1(NR_set_thread_area, &d);

	if (r != -LX_EINVAL)
		lx_exit(7);
	d.flags = 1 | 0 << 1 | 1 << 4 | 1 << 6;	/* a data segment */
	if (lx_sys1(NR_set_thread_area, &d) != 0)
		lx_exit(8);
	hostile_far64_syscall();
	lx_exit(7);
}

/* Not an attack but what every glibc i386 program does first (busybox
 * too): set_thread_area picks the first free TLS slot, GDT entry 6, and
 * the program loads its selector, 0x33, into %gs itself, in user mode.
 * %gs:0 must then read the TLS block.  A host whose own selector 0x33 is
 * something else (x86-64 Linux: its 64-bit user code segment, base 0)
 * must still give the guest this. */
static void tls_gs_works(void)
{
	static unsigned long tls[4] = { 0x1234abcd, 0, 0, 0 };
	struct user_desc d = { (unsigned int)-1, (unsigned int)(unsigned long)tls,
			       0xfffff, 1 | 1 << 4 | 1 << 6 };
	unsigned long v = 0, sel;

	if (lx_sys1(NR_set_thread_area, &d) != 0)
		lx_exit(8);
	sel = d.entry_number * 8 + 3;
	__asm__ volatile("mov %1, %%gs\n\tmov %%gs:0, %0" : "=r"(v) : "r"(sel) : "memory");
	lx_exit(sel == 0x33 && v == 0x1234abcd ? 42 : 7);
}

/* ---- A second thread ---------------------------------------------- */

#define CLONE_THREAD_FLAGS 0x00010f00	/* VM FS FILES SIGHAND THREAD */

/* hostile_thread(fn, stack top): clone a thread that calls fn(). */
long hostile_thread(void (*fn)(void), void *stack);
__asm__(".text\n\t.globl hostile_thread\nhostile_thread:\n\t"
	"push %ebx\n\tpush %esi\n\tpush %edi\n\t"
	"mov 20(%esp), %ecx\n\tmov 16(%esp), %eax\n\t"
	"sub $4, %ecx\n\tmov %eax, (%ecx)\n\t"	/* fn on the new stack */
	"mov $0x00010f00, %ebx\n\txor %edx, %edx\n\txor %esi, %esi\n\txor %edi, %edi\n\t"
	"mov $120, %eax\n\tint $0x80\n\t"
	"test %eax, %eax\n\tjnz 1f\n\t"
	"pop %eax\n\tcall *%eax\n\t"
	"mov $1, %eax\n\txor %ebx, %ebx\n\tint $0x80\n\thlt\n"
	"1:\tpop %edi\n\tpop %esi\n\tpop %ebx\n\tret\n");

static volatile int thread_flag;
static char thread_stack[16384] __attribute__((aligned(16)));

static void thread_sets_flag(void) { thread_flag = 1; }
static void thread_faults(void) { thread_flag = 1; __asm__ volatile("cli"); }

static int wait_flag(long ms)
{
	u64 end = lx_now_ns() + (u64)ms * 1000000;

	while (!thread_flag && lx_now_ns() < end)
		lx_sys0(NR_sched_yield);
	return thread_flag;
}

static void second_thread(void)
{
	if (lx_err(hostile_thread(thread_sets_flag, thread_stack + sizeof(thread_stack))))
		lx_exit(8);
	lx_exit(wait_flag(5000) ? 42 : 7);
}

/* A fault in one thread kills the whole thread group. */
static void second_thread_faults(void)
{
	if (lx_err(hostile_thread(thread_faults, thread_stack + sizeof(thread_stack))))
		lx_exit(8);
	wait_flag(5000);
	for (u64 end = lx_now_ns() + 5000000000ULL; lx_now_ns() < end;)
		lx_sys0(NR_sched_yield);
	lx_exit(7);
}

/* ---- Forged sigreturn ----------------------------------------------- */

/* sigreturn (119) with %esp at a forged struct sigcontext (Linux reads
 * the frame at %esp - 8, the sigcontext after pretcode and sig). */
void hostile_sigreturn(unsigned long *sc);
__asm__(".text\n\t.globl hostile_sigreturn\nhostile_sigreturn:\n\t"
	"mov 4(%esp), %esp\n\tmov $119, %eax\n\tint $0x80\n\thlt\n");

static unsigned long frame[1024];

enum { SC_GS, SC_FS, SC_ES, SC_DS, SC_DI, SC_SI, SC_BP, SC_SP, SC_BX,
       SC_DX, SC_CX, SC_AX, SC_TRAPNO, SC_ERR, SC_IP, SC_CS, SC_FLAGS,
       SC_SP_AT_SIGNAL, SC_SS, SC_FPSTATE, SC_OLDMASK, SC_CR2 };

static char sig_stack[8192] __attribute__((aligned(16)));

static void cli_then_exit7(void)
{
	__asm__ volatile("cli");
	lx_exit(7);
}

static void forge(unsigned long cs, unsigned long ip, unsigned long flags)
{
	memset(frame, 0, sizeof(frame));
	frame[SC_ES] = frame[SC_DS] = frame[SC_SS] = USER_DS;
	frame[SC_CS] = cs;
	frame[SC_IP] = ip;
	frame[SC_FLAGS] = flags;
	frame[SC_SP] = (unsigned long)(sig_stack + sizeof(sig_stack) - 16);
	frame[SC_OLDMASK] = ~0UL;	/* and every signal blocked */
	hostile_sigreturn(frame);
}

/* IOPL 3 and IF clear: Linux keeps both from the frame (FIX_EFLAGS). */
static void sigreturn_iopl(void) { forge(USER_CS, (unsigned long)cli_then_exit7, 0x3002); }
/* The host's 64-bit code selector: the iret back to user mode faults,
 * which i386 Linux reports as SIGILL (iret_error, ILL_BADSTK). */
static void sigreturn_cs64(void) { forge(0x33, (unsigned long)cli_then_exit7, 0x202); }
/* The kernel's code selector: Linux makes its RPL 3, iret faults. */
static void sigreturn_kernel_cs(void) { forge(KERNEL_CS, KERNEL_TEXT, 0x202); }

/* ---- Blocked signals ------------------------------------------------ */

static void block_all(void)
{
	unsigned long all[2] = { ~0UL, ~0UL };

	lx_sys4(NR_rt_sigprocmask, LX_SIG_BLOCK, all, 0, 8);
}

/* Every signal blocked, SIGSEGV ignored: a fault still kills. */
static void blocked_fault(void)
{
	unsigned long act[4] = { 1 /* SIG_IGN */, 0, 0, 0 };

	block_all();
	lx_sys4(NR_rt_sigaction, SIGSEGV, act, 0, 8);
	read_kernel();
	lx_exit(7);
}

/* Every signal blocked, spinning in user mode: the timer still preempts
 * it (the parent, on the same CPU, runs) and SIGKILL still kills. */
static void blocked_spin(void)
{
	u64 end = lx_now_ns() + 20000000000ULL;

	block_all();
	/* User code only, but for a look at the clock now and then, so
	 * that a kill that never comes ends the test in 20 s. */
	do {
		for (volatile unsigned long i = 0; i < (1UL << 20); i++)
			;
	} while (lx_now_ns() < end);
	lx_exit(7);
}

static void kill_after_300ms(long pid)
{
	lx_sleep_ms(300);
	lx_sys2(NR_kill, pid, SIGKILL);
}

/* ---- The table ------------------------------------------------------ */

struct attack {
	const char *name;
	void (*child)(void);
	int sig;		/* killed by this signal, or */
	int alt_sig;		/* this one, or (if >= 0) */
	int status;		/* exits with this */
	void (*parent)(long pid);
};

#define KILLED(s) s, 0, -1, 0
#define EXITS(n) 0, 0, n, 0

static struct attack attacks[] = {
	{ "priv_cli", do_cli, KILLED(SIGSEGV) },
	{ "priv_sti", do_sti, KILLED(SIGSEGV) },
	{ "priv_hlt", do_hlt, KILLED(SIGSEGV) },
	{ "priv_lidt", do_lidt, KILLED(SIGSEGV) },
	{ "priv_lgdt", do_lgdt, KILLED(SIGSEGV) },
	{ "priv_ltr", do_ltr, KILLED(SIGSEGV) },
	{ "priv_lldt", do_lldt, KILLED(SIGSEGV) },
	{ "priv_mov_cr3", do_mov_cr3, KILLED(SIGSEGV) },
	{ "priv_read_cr0", do_read_cr0, KILLED(SIGSEGV) },
	{ "priv_mov_dr7", do_mov_dr7, KILLED(SIGSEGV) },
	{ "priv_wrmsr", do_wrmsr, KILLED(SIGSEGV) },
	{ "priv_rdmsr", do_rdmsr, KILLED(SIGSEGV) },
	{ "priv_invlpg", do_invlpg, KILLED(SIGSEGV) },
	{ "priv_wbinvd", do_wbinvd, KILLED(SIGSEGV) },
	{ "priv_outb_poweroff_port", do_outb_f4, KILLED(SIGSEGV) },
	{ "priv_inb_serial", do_inb_serial, KILLED(SIGSEGV) },
	{ "priv_int_0x81", do_int81, KILLED(SIGSEGV) },
	{ "priv_popf_if", do_popf_if, EXITS(42) },
	{ "trap_int3", do_int3, KILLED(SIGTRAP) },
	{ "trap_ud2", do_ud2, KILLED(SIGILL) },
	{ "read_kernel", read_kernel, KILLED(SIGSEGV) },
	{ "write_kernel", write_kernel, KILLED(SIGSEGV) },
	{ "jump_kernel", jump_kernel, KILLED(SIGSEGV) },
	{ "read_wedge_area", read_wedge, KILLED(SIGSEGV) },
	{ "jump_wedge_area", jump_wedge, KILLED(SIGSEGV) },
	{ "read_top_page", read_top, KILLED(SIGSEGV) },
	{ "syscall_kernel_buffer", syscall_kernel_buffer, EXITS(42) },
	{ "int80_host_numbers", int80_host_numbers, EXITS(42) },
	{ "sysenter_host_number", sysenter_host_number, EXITS(42) },
	{ "syscall_insn_32", syscall32, KILLED(SIGILL) },
	{ "far_jump_0x33_syscall", hostile_far64_syscall, KILLED(SIGSEGV) },
	{ "far_jump_0x33_stub_code", hostile_far64_stub, KILLED(SIGSEGV) },
	{ "far_return_0x33", hostile_lret64, KILLED(SIGSEGV) },
	{ "tls_code_segment_0x33", tls_code_0x33, KILLED(SIGSEGV) },
	{ "control_tls_gs_0x33", tls_gs_works, EXITS(42) },
	{ "second_thread", second_thread, EXITS(42) },
	{ "second_thread_faults", second_thread_faults, KILLED(SIGSEGV) },
	{ "sigreturn_forged_iopl", sigreturn_iopl, KILLED(SIGSEGV) },
	{ "sigreturn_forged_cs_0x33", sigreturn_cs64, KILLED(SIGILL) },
	{ "sigreturn_forged_kernel_cs", sigreturn_kernel_cs, KILLED(SIGILL) },
	{ "blocked_signals_fault", blocked_fault, KILLED(SIGSEGV) },
	{ "blocked_signals_spin", blocked_spin, SIGKILL, 0, -1, kill_after_300ms },
	{ "after_attacks", syscall_kernel_buffer, EXITS(42) },
};

static const char *signame(int s)
{
	static const char *n[] = { "0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL",
		"SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
		"SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM" };

	return s > 0 && s < 16 ? n[s] : "a signal";
}

static void describe(struct lx_buf *o, int st)
{
	const char *f = LX_WIFSIGNALED(st) ? "killed by %s (%d)" : "exited with %d";

	if (LX_WIFSIGNALED(st))
		lx_bprintf(o, f, signame(LX_WTERMSIG(st)), LX_WTERMSIG(st));
	else
		lx_bprintf(o, f, LX_WEXITSTATUS(st));
}

static int run(const struct attack *a, int sysinfo)
{
	struct lx_buf o = { .n = 0 };
	int st = -1, ok;
	long pid = lx_fork();

	if (pid == 0) {
		a->child();
		lx_exit(0);
	}
	if (lx_err(pid)) {
		lx_printf("FAIL %s: fork: %ld\n", a->name, pid);
		return 0;
	}
	if (a->parent)
		a->parent(pid);
	if (lx_wait(pid, &st) != pid) {
		lx_printf("FAIL %s: wait4 failed\n", a->name);
		return 0;
	}
	int sig = a->sig, status = a->status;
	/* Without the vDSO there is no landing pad to come back to. */
	if (a->child == sysenter_host_number && !sysinfo) {
		sig = SIGSEGV;
		status = -1;
	}
	ok = LX_WIFSIGNALED(st) ? LX_WTERMSIG(st) == sig ||
		(a->alt_sig && LX_WTERMSIG(st) == a->alt_sig) :
		LX_WIFEXITED(st) && status >= 0 && LX_WEXITSTATUS(st) == status;
	lx_bprintf(&o, "%s %s: ", ok ? "PASS" : "FAIL", a->name);
	describe(&o, st);
	if (!ok) {
		lx_bprintf(&o, ", want ");
		if (status >= 0)
			lx_bprintf(&o, "exit %d", status);
		else
			lx_bprintf(&o, "killed by %s%s%s", signame(sig),
				     a->alt_sig ? " or " : "", a->alt_sig ? signame(a->alt_sig) : "");
	}
	lx_putc(&o, '\n');
	lx_write(1, o.b, o.n);
	return ok;
}

/* hostile [NAME...]: every attack, or the ones named. */
int lx_main(int argc, char **argv, char **envp)
{
	int n = sizeof(attacks) / sizeof(attacks[0]), passed = 0, failed = 0, planned = 0;
	int sysinfo = lx_getauxval(LX_AT_SYSINFO) != 0;

	(void)envp;
	for (int i = 0; i < n; i++) {
		int want = argc < 2;

		for (int j = 1; j < argc; j++)
			want |= lx_strncmp(argv[j], attacks[i].name, 64) == 0;
		planned += want;
	}
	lx_printf("PLAN tests=%d benches=0\n", planned);
	lx_printf("# hostile: %s Linux user program, vDSO %s\n", LX_ARCH,
		  sysinfo ? "mapped" : "absent");
	for (int i = 0; i < n; i++) {
		int want = argc < 2;

		for (int j = 1; j < argc; j++)
			want |= lx_strncmp(argv[j], attacks[i].name, 64) == 0;
		if (!want)
			continue;
		if (run(&attacks[i], sysinfo))
			passed++;
		else
			failed++;
	}
	lx_printf("SUMMARY passed=%d failed=%d\n", passed, failed);
	return failed;
}
