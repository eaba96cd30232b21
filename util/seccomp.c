// SPDX-License-Identifier: MIT
/*
 * Seccomp allow-lists as classic BPF (seccomp.h).  Every rule is a short
 * block that either returns or falls through to the next one; jumps stay
 * inside their block, so no offset exceeds the 8 bits BPF gives them.
 */
#include <errno.h>
#include <linux/audit.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "seccomp.h"

#define NR		offsetof(struct seccomp_data, nr)
#define ARCH		offsetof(struct seccomp_data, arch)
#define IP_LO		offsetof(struct seccomp_data, instruction_pointer)
#define IP_HI		(IP_LO + 4)
#define ARG_LO(i)	(offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i)	(ARG_LO(i) + 4)
#define X32_BIT		0x40000000u

static void emit(struct sc_filter *f, uint16_t code, uint32_t k, uint8_t jt,
		 uint8_t jf)
{
	if (f->n == SC_MAX_INSNS) {
		f->overflow = true;
		return;
	}
	f->insn[f->n++] = (struct sock_filter){ code, jt, jf, k };
}

static void load(struct sc_filter *f, uint32_t off)
{
	emit(f, BPF_LD | BPF_W | BPF_ABS, off, 0, 0);
}

static void jeq(struct sc_filter *f, uint32_t k, uint8_t jt, uint8_t jf)
{
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
}

static void ret(struct sc_filter *f, uint32_t action)
{
	emit(f, BPF_RET | BPF_K, action, 0, 0);
}

/*
 * The final action goes last: sc_init() jumps to it from the arch check
 * before it is known, so the check jumps to a RET placed right there,
 * patched by sc_finish().
 */
void sc_init(struct sc_filter *f)
{
	f->n = 0;
	f->overflow = false;
	load(f, ARCH);
	jeq(f, AUDIT_ARCH_X86_64, 1, 0);
	ret(f, SECCOMP_RET_KILL_PROCESS);	/* [2]: sc_finish() sets it */
	load(f, NR);
	emit(f, BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1);
	ret(f, SECCOMP_RET_KILL_PROCESS);	/* [5]: likewise */
}

/*
 * ip >= lo:  hi32 > lo.hi, or hi32 == lo.hi and lo32 >= lo.lo
 * ip <  hi:  hi32 < hi.hi, or hi32 == hi.hi and lo32 <  hi.lo
 */
void sc_ip_range(struct sc_filter *f, uint64_t lo, uint64_t hi,
		 uint32_t action)
{
	uint32_t lo_hi = (uint32_t)(lo >> 32), lo_lo = (uint32_t)lo;
	uint32_t hi_hi = (uint32_t)(hi >> 32), hi_lo = (uint32_t)hi;

	load(f, IP_HI);						/* 0 */
	emit(f, BPF_JMP | BPF_JGT | BPF_K, lo_hi, 3, 0);	/* 1: -> 5 */
	jeq(f, lo_hi, 0, 8);					/* 2: -> out */
	load(f, IP_LO);						/* 3 */
	emit(f, BPF_JMP | BPF_JGE | BPF_K, lo_lo, 0, 6);	/* 4: -> out */
	load(f, IP_HI);						/* 5 */
	emit(f, BPF_JMP | BPF_JGT | BPF_K, hi_hi, 4, 0);	/* 6: -> out */
	jeq(f, hi_hi, 0, 2);					/* 7: -> 10 */
	load(f, IP_LO);						/* 8 */
	emit(f, BPF_JMP | BPF_JGE | BPF_K, hi_lo, 1, 0);	/* 9: -> out */
	ret(f, action);						/* 10 */
}								/* out: 11 */

void sc_allow(struct sc_filter *f, uint32_t nr)
{
	load(f, NR);
	jeq(f, nr, 0, 1);
	ret(f, SECCOMP_RET_ALLOW);
}

void sc_allow_args(struct sc_filter *f, uint32_t nr, unsigned int arg,
		   const uint32_t *vals, unsigned int n)
{
	unsigned int i;

	if (arg > 5 || n == 0 || n > 32) {
		f->overflow = true;
		return;
	}
	/* nr, hi, lo, n compares, ret allow; out after it */
	load(f, NR);
	jeq(f, nr, 0, (uint8_t)(n + 4));
	load(f, ARG_HI(arg));
	jeq(f, 0, 0, (uint8_t)(n + 2));
	load(f, ARG_LO(arg));
	for (i = 0; i < n; i++)
		jeq(f, vals[i], (uint8_t)(n - 1 - i), i + 1 == n ? 1 : 0);
	ret(f, SECCOMP_RET_ALLOW);
}

void sc_action(struct sc_filter *f, uint32_t nr, uint32_t action)
{
	load(f, NR);
	jeq(f, nr, 0, 1);
	ret(f, action);
}

/* nr, lo (!= -> act), hi (== -> out), act; out */
void sc_arg_not(struct sc_filter *f, uint32_t nr, unsigned int arg,
		uint64_t val, uint32_t action)
{
	if (arg > 5) {
		f->overflow = true;
		return;
	}
	load(f, NR);
	jeq(f, nr, 0, 5);
	load(f, ARG_LO(arg));
	jeq(f, (uint32_t)val, 0, 2);
	load(f, ARG_HI(arg));
	jeq(f, (uint32_t)(val >> 32), 1, 0);
	ret(f, action);
}

void sc_finish(struct sc_filter *f, uint32_t action)
{
	if (f->n < 6) {
		f->overflow = true;
		return;
	}
	f->insn[2].k = action;
	f->insn[5].k = action;
	ret(f, action);
}

int sc_install(const struct sc_filter *f, unsigned int flags)
{
	struct sock_fprog prog = {
		.len = (unsigned short)f->n,
		.filter = (struct sock_filter *)f->insn,
	};
	long ret;

	if (f->overflow || f->n < 7)
		return -EINVAL;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	ret = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	return ret < 0 ? -errno : (int)ret;
}

const char *sc_name(long nr)
{
	static const struct { long nr; const char *name; } names[] = {
		{ SYS_read, "read" }, { SYS_write, "write" }, { SYS_open, "open" },
		{ SYS_close, "close" }, { SYS_mmap, "mmap" },
		{ SYS_mprotect, "mprotect" }, { SYS_munmap, "munmap" },
		{ SYS_ioctl, "ioctl" }, { SYS_socket, "socket" },
		{ SYS_connect, "connect" }, { SYS_clone, "clone" },
		{ SYS_fork, "fork" }, { SYS_vfork, "vfork" },
		{ SYS_execve, "execve" }, { SYS_kill, "kill" },
		{ SYS_mkdir, "mkdir" }, { SYS_unlink, "unlink" },
		{ SYS_ptrace, "ptrace" }, { SYS_gettimeofday, "gettimeofday" },
		{ SYS_time, "time" }, { SYS_getcpu, "getcpu" },
		{ SYS_tgkill, "tgkill" }, { SYS_openat, "openat" },
		{ SYS_mkdirat, "mkdirat" }, { SYS_execveat, "execveat" },
		{ SYS_clone3, "clone3" }, { SYS_rt_sigaction, "rt_sigaction" },
	};
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	snprintf(buf, sizeof(buf), "nr %ld", nr);
	return buf;
}
