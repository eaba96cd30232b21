// SPDX-License-Identifier: MIT
/*
 * afterburn-kvm's seccomp allow-list (wedge/kvm/sandbox.c), installed in
 * a child as the VMM installs it before its first KVM_RUN: what the VMM
 * needs passes, and what a taken-over VMM would want (open, exec, socket,
 * fork, kill, a KVM ioctl that makes VMs or memory slots, i386 calls) is
 * refused: the child names the call on standard error and exits with
 * status 125.  A SIGSYS sent from outside is ignored.  The KVM tests prove
 * the list is complete (every guest runs under it); this proves it short.
 *
 * Exit status: 0 pass, 1 fail.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

static int failures;

static bool poke;	/* the parent sends the child a SIGSYS */

/* Run @fn in a child under the VMM's filter, its stderr in @err. */
static int under_filter(void (*fn)(void), char *err, size_t len)
{
	size_t got = 0;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0) {
		perror("pipe/fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		if (sandbox__install() < 0) {
			perror("sandbox__install");
			_exit(99);
		}
		fn();
		_exit(0);
	}
	close(p[1]);
	if (poke) {
		usleep(200000);
		kill(pid, SIGSYS);	/* si_code SI_USER */
	}
	while (got < len - 1 && (n = read(p[0], err + got, len - 1 - got)) > 0)
		got += n;
	err[got] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void expect(const char *what, void (*fn)(void), bool refused,
		   const char *name)
{
	char err[512];
	int st = under_filter(fn, err, sizeof(err));
	bool died = WIFEXITED(st) && WEXITSTATUS(st) == KVM_EXIT_STATUS_VMM;

	/* int $0x80 where Linux has no IA-32 emulation: no such entry. */
	if (!*name && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)
		died = true, err[0] = '\0';

	if (refused && (!died || !strstr(err, name) || (*name &&
			!strstr(err, "refused by the seccomp allow-list")))) {
		printf("FAIL: %s: not refused (status %#x, stderr '%s')\n", what, st, err);
		failures++;
	} else if (!refused && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		printf("FAIL: %s: refused (status %#x, stderr '%s')\n", what, st, err);
		failures++;
	} else {
		printf("ok: %s %s\n", what, refused ? "refused" : "allowed");
	}
}

static void do_open(void) { open("/etc/passwd", O_RDONLY); }
static void do_exec(void) { execl("/bin/true", "true", (char *)NULL); }
static void do_socket(void) { socket(AF_INET, SOCK_STREAM, 0); }
static void do_fork(void) { syscall(SYS_fork); }
static void do_kill(void) { syscall(SYS_kill, 1, 0); }
static void do_tgkill(void) { syscall(SYS_tgkill, 1, 1, 0); }
static void do_create_vm(void) { ioctl(-1, KVM_CREATE_VM, 0); }
static void do_memslot(void) { ioctl(-1, KVM_SET_USER_MEMORY_REGION, NULL); }
static void do_i386(void) { __asm__ volatile("int $0x80" : : "a"(20) : "memory"); }
static void do_x32(void) { syscall(0x40000000 | SYS_getpid); }
static void do_run(void) { ioctl(-1, KVM_RUN, 0); }
static void do_io(void)
{
	char c;

	if (write(STDOUT_FILENO, "", 0) < 0 || read(-1, &c, 1) >= 0)
		_exit(1);
	free(malloc(1 << 20));
}
static void do_sleep(void)
{
	struct timespec t = { 0, 600000000 };

	syscall(SYS_nanosleep, &t, &t);	/* the parent's SIGSYS comes */
	syscall(SYS_nanosleep, &t, &t);
}

int main(void)
{
	expect("open", do_open, true, "open");
	expect("execve", do_exec, true, "execve");
	expect("socket", do_socket, true, "socket");
	expect("fork", do_fork, true, "fork");
	expect("kill", do_kill, true, "kill");
	expect("tgkill of another process", do_tgkill, true, "tgkill");
	expect("KVM_CREATE_VM", do_create_vm, true, "ioctl");
	expect("KVM_SET_USER_MEMORY_REGION", do_memslot, true, "ioctl");
	expect("an i386 call", do_i386, true, "");
	expect("an x32 call", do_x32, true, "nr ");
	expect("KVM_RUN", do_run, false, "");
	expect("read, write, malloc", do_io, false, "");
	poke = true;
	expect("SIGSYS from outside", do_sleep, false, "");
	if (failures)
		printf("FAIL: kvm sandbox: %d checks\n", failures);
	else
		printf("PASS: kvm sandbox: the allow-list is short\n");
	return failures ? 1 : 0;
}
