// SPDX-License-Identifier: MIT
/*
 * afterburn-ptrace's seccomp allow-lists (wedge/ptrace/seccomp.c, built
 * with util/seccomp.c), installed in a child as the host installs it:
 * what the host needs passes, and everything a compromised host would
 * want (open, exec, socket, fork, kill, attaching to a process, reading
 * or writing another file, i386 and x32 calls) is refused with SIGSYS before it
 * runs; a call made from the guest's window traps even when its number
 * is allowed.  A stub's list lets only mmap, munmap and modify_ldt
 * writing one descriptor through, and only from the stub's one syscall
 * instruction.  The boot tests prove the
 * lists are complete (every guest runs under them); this proves they are
 * short.
 *
 * Exit status: 0 pass, 1 fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ptrace.h"

static int failures;

/* Run @fn in a child under the host's filter: its wait status. */
static int under_filter(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		int ret = seccomp__install(&the_host);

		if (ret) {
			fprintf(stderr, "seccomp__install: %s\n", strerror(-ret));
			_exit(99);
		}
		fn();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		exit(1);
	}
	return status;
}

/* @refused: killed by SIGSYS; @or_fault: or by SIGSEGV, for an entry
   that Linux may not offer at all (int $0x80 without IA32 emulation). */
static void expect_either(const char *what, void (*fn)(void), bool refused,
			  bool or_fault)
{
	int st = under_filter(fn);
	bool killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
	bool faulted = or_fault && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
	bool ok = refused ? killed || faulted
			  : WIFEXITED(st) && WEXITSTATUS(st) == 0;

	printf("%s %s: %s (wait status 0x%x)\n", ok ? "ok" : "FAIL", what,
	       killed ? "refused with SIGSYS" : faulted ? "no such entry (SIGSEGV)"
	       : "allowed", st);
	failures += !ok;
}

static void expect(const char *what, void (*fn)(void), bool refused)
{
	expect_either(what, fn, refused, false);
}

/* What the host does after setup. */
static void host_calls(void)
{
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct timespec ts;
	sigset_t set;

	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) ||
	    munmap(p, 8192) || clock_gettime(CLOCK_MONOTONIC, &ts) ||
	    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) ||
	    sigprocmask(SIG_BLOCK, NULL, &set) ||
	    write(2, "", 0) != 0 || write(1, "", 0) != 0)
		_exit(2);
	free(malloc(1 << 20));
	/* A ptrace request on a tracee we do not have: refused by Linux
	   (ESRCH), not by the filter. */
	if (ptrace(PTRACE_GETREGS, 1, 0, 0) != -1 || errno != ESRCH)
		_exit(3);
	/* Console input: poll and read standard input (whatever it is, the
	   calls are allowed: their results do not matter here). */
	{
		struct pollfd pfd = { .fd = 0, .events = POLLIN };

		(void)!poll(&pfd, 1, 0);
		(void)!read(0, NULL, 0);
	}
}

static void do_open(void)	{ syscall(SYS_open, "/etc/passwd", O_RDONLY); }
static void do_openat(void)	{ openat(AT_FDCWD, "/tmp", O_RDONLY); }
static void do_exec(void)	{ execl("/bin/true", "true", (char *)NULL); }
static void do_socket(void)	{ socket(AF_INET, SOCK_STREAM, 0); }
static void do_fork(void)	{ syscall(SYS_fork); }
static void do_clone(void)	{ syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); }
static void do_kill(void)	{ kill(1, 0); }
static void do_attach(void)	{ ptrace(PTRACE_SEIZE, 1, 0, 0); }
static void do_mkdir(void)	{ mkdir("/tmp/afterburn-seccomp-test", 0755); }
static void do_write3(void)	{ syscall(SYS_write, 3, "", 0); }
static void do_write_hi(void)	{ syscall(SYS_write, 0x100000001UL, "", 0); }
static void do_read3(void)	{ char c; (void)!syscall(SYS_read, 3, &c, 1); }

static void do_i386(void)
{
	long ret;

	/* int $0x80: the i386 getpid (20) */
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20) : "memory");
}

static void do_x32(void)
{
	syscall(0x40000000 | SYS_getpid);
}

/* exit_group (allowed) from a page inside the guest's window. */
static void do_from_window(void)
{
	static const uint8_t code[] = {
		0xb8, 0xe7, 0x00, 0x00, 0x00,	/* mov $231, %eax */
		0x31, 0xff,			/* xor %edi, %edi */
		0x0f, 0x05,			/* syscall */
	};
	/* The window's last page: below it, ASan keeps its shadow. */
	void *p = mmap((void *)(GUEST_KERNEL_END - 4096), 4096,
		       PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		_exit(4);
	memcpy(p, code, sizeof(code));
	((void (*)(void))p)();
}

/* ---- A stub's list: mmap and munmap from its one syscall only -------- */

static uint8_t *stub_code;	/* syscall; ret */
static volatile int *batch_done;	/* shared with the children */

static long stub_syscall(long nr, long a0, long a1, long a2, long a3,
			 long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;

	__asm__ volatile("call *%[fn]"
			 : "=a"(ret), "+r"(r10), "+r"(r8), "+r"(r9)
			 : [fn] "r"(stub_code), "a"(nr), "D"(a0), "S"(a1),
			   "d"(a2)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Run @fn in a child under a stub's filter: its wait status. */
static int under_stub_filter(void (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		int ret = seccomp__install_stub((uint64_t)(uintptr_t)stub_code + 2);

		if (ret) {
			fprintf(stderr, "seccomp__install_stub: %s\n", strerror(-ret));
			_exit(99);
		}
		fn();
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		exit(1);
	}
	return status;
}

static void expect_stub(const char *what, void (*fn)(void), bool refused)
{
	int st = under_stub_filter(fn);
	bool killed = WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS;
	bool ok = refused ? killed : WIFEXITED(st) && WEXITSTATUS(st) == 0;

	printf("%s stub: %s: %s (wait status 0x%x)\n", ok ? "ok" : "FAIL", what,
	       killed ? "refused with SIGSYS" : "allowed", st);
	failures += !ok;
}

static void stub_batch_calls(void)
{
	long p = stub_syscall(SYS_mmap, 0, 4096, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p < 0 && p > -4096)
		_exit(2);
	if (stub_syscall(SYS_munmap, p, 4096, 0, 0, 0, 0))
		_exit(3);
	*batch_done = 1;
	syscall(SYS_exit_group, 0);	/* refused: a stub never exits */
}

static void stub_getpid(void)	{ stub_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0); }
static void stub_openat(void)
{
	stub_syscall(SYS_openat, AT_FDCWD, (long)"/etc/passwd", O_RDONLY, 0, 0, 0);
}
static void stub_execve(void)
{
	static char *const argv[] = { "/bin/true", NULL };

	stub_syscall(SYS_execve, (long)argv[0], (long)argv, 0, 0, 0, 0);
}
static void stub_mmap_elsewhere(void)
{
	mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* a 32-bit guest's segments (stub32.c): one user_desc written, new mode */
static const struct {
	uint32_t entry, base, limit, flags;
} ldt_desc = { 1, 0, 0xfffff, 0x51 };

static void stub_ldt_write(void)
{
	stub_syscall(SYS_modify_ldt, 0x11, (long)&ldt_desc, 16, 0, 0, 0);
	*batch_done = 2;
	syscall(SYS_exit_group, 0);	/* refused: a stub never exits */
}
static void stub_ldt_old_mode(void)
{
	stub_syscall(SYS_modify_ldt, 1, (long)&ldt_desc, 16, 0, 0, 0);
}
static void stub_ldt_read(void)
{
	static uint8_t buf[64];

	stub_syscall(SYS_modify_ldt, 0, (long)buf, sizeof(buf), 0, 0, 0);
}
static void stub_ldt_long(void)
{
	stub_syscall(SYS_modify_ldt, 0x11, (long)&ldt_desc, 32, 0, 0, 0);
}
static void stub_ldt_elsewhere(void)
{
	syscall(SYS_modify_ldt, 0x11, &ldt_desc, 16);
}

static void stub_checks(void)
{
	stub_code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stub_code == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memcpy(stub_code, (const uint8_t[]){ 0x0f, 0x05, 0xc3 }, 3);
	batch_done = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (batch_done == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	/* The batch child dies by SIGSYS at its exit_group, after its mmap
	   and munmap went through. */
	expect_stub("exit_group after mmap and munmap", stub_batch_calls, true);
	printf("%s stub: mmap and munmap from its syscall: %s\n",
	       *batch_done ? "ok" : "FAIL", *batch_done ? "allowed" : "refused");
	failures += !*batch_done;
	expect_stub("getpid from its syscall", stub_getpid, true);
	expect_stub("openat from its syscall", stub_openat, true);
	expect_stub("execve from its syscall", stub_execve, true);
	expect_stub("mmap from another syscall instruction", stub_mmap_elsewhere,
		    true);
	expect_stub("exit_group after modify_ldt", stub_ldt_write, true);
	printf("%s stub: modify_ldt writing one entry from its syscall: %s\n",
	       *batch_done == 2 ? "ok" : "FAIL",
	       *batch_done == 2 ? "allowed" : "refused");
	failures += *batch_done != 2;
	expect_stub("modify_ldt, the old write", stub_ldt_old_mode, true);
	expect_stub("modify_ldt, a read", stub_ldt_read, true);
	expect_stub("modify_ldt, 32 bytes", stub_ldt_long, true);
	expect_stub("modify_ldt from another syscall instruction",
		    stub_ldt_elsewhere, true);
}

struct host the_host;

int main(void)
{
	expect("what the host calls", host_calls, false);
	expect("open", do_open, true);
	expect("openat", do_openat, true);
	expect("execve", do_exec, true);
	expect("socket", do_socket, true);
	expect("fork", do_fork, true);
	expect("clone", do_clone, true);
	expect("kill", do_kill, true);
	expect("ptrace(PTRACE_SEIZE)", do_attach, true);
	expect("mkdir", do_mkdir, true);
	expect("write to fd 3", do_write3, true);
	expect("write to fd 1 + 2^32", do_write_hi, true);
	expect("read from fd 3", do_read3, true);
	expect_either("i386 int $0x80", do_i386, true, true);
	expect("x32 getpid", do_x32, true);
	expect("exit_group from the guest's window", do_from_window, true);
	stub_checks();
	if (access("/tmp/afterburn-seccomp-test", F_OK) == 0) {
		rmdir("/tmp/afterburn-seccomp-test");
		printf("FAIL mkdir: the directory was created\n");
		failures++;
	}
	printf("%s: seccomp-test: %d failure(s)\n", failures ? "FAIL" : "PASS",
	       failures);
	return failures ? 1 : 0;
}
