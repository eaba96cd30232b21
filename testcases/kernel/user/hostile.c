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
