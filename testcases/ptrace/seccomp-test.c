// SPDX-License-Identifier: MIT
/*
 * afterburn-ptrace's seccomp allow-list (wedge/ptrace/seccomp.c, built
 * with util/seccomp.c), installed in a child as the host installs it:
 * what the host needs passes, and everything a compromised host would
 * want (open, exec, socket, fork, kill, attaching to a process, writing
 * to another file, i386 and x32 calls) is refused with SIGSYS before it
 * runs; a call made from the guest's window traps even when its number
 * is allowed.  The boot tests prove the list is complete (every guest
 * runs under it); this proves it is short.
 *
 * Exit status: 0 pass, 1 fail.
 */
#include <errno.h>
#include <fcntl.h>
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
	expect_either("i386 int $0x80", do_i386, true, true);
	expect("x32 getpid", do_x32, true);
	expect("exit_group from the guest's window", do_from_window, true);
	if (access("/tmp/afterburn-seccomp-test", F_OK) == 0) {
		rmdir("/tmp/afterburn-seccomp-test");
		printf("FAIL mkdir: the directory was created\n");
		failures++;
	}
	printf("%s: seccomp-test: %d failure(s)\n", failures ? "FAIL" : "PASS",
	       failures);
	return failures ? 1 : 0;
}
