/* SPDX-License-Identifier: MIT */
/*
 * Seccomp allow-lists for Afterburner's VMMs, as plain classic BPF
 * (<linux/filter.h>, <linux/seccomp.h>; no libseccomp).  A filter is
 * built rule by rule, in order, and the first rule that matches decides:
 *
 *	struct sc_filter f;
 *
 *	sc_init(&f);					x86-64 only
 *	sc_ip_range(&f, lo, hi, SECCOMP_RET_TRAP);	calls from [lo, hi)
 *	sc_allow(&f, SYS_exit_group);
 *	sc_allow_args(&f, SYS_write, 0, (const uint32_t[]){ 1, 2 }, 2);
 *	sc_finish(&f, SECCOMP_RET_KILL_PROCESS);	everything else
 *	sc_install(&f, 0);
 *
 * sc_init() makes anything that is not the x86-64 system-call ABI (i386
 * int $0x80 numbers, x32) take the final action.  Argument rules compare
 * the whole 64-bit argument with 32-bit values (the upper half must be
 * zero), so a value with stray high bits, which Linux may truncate, does
 * not match.  Only the calling thread gets the filter unless @flags has
 * SECCOMP_FILTER_FLAG_TSYNC; its children inherit it.
 */
#ifndef AFB_SECCOMP_H
#define AFB_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#define SC_MAX_INSNS	512

#ifndef SYS_SECCOMP
#define SYS_SECCOMP	1	/* si_code of a seccomp SIGSYS (asm-generic) */
#endif

struct sc_filter {
	struct sock_filter insn[SC_MAX_INSNS];
	unsigned int n;
	bool overflow;		/* too many rules: sc_install() refuses */
};

void sc_init(struct sc_filter *f);

/* A call whose instruction pointer (the address after the syscall
   instruction) lies in [@lo, @hi) takes @action. */
void sc_ip_range(struct sc_filter *f, uint64_t lo, uint64_t hi,
		 uint32_t action);

/* System call @nr is allowed, whatever its arguments. */
void sc_allow(struct sc_filter *f, uint32_t nr);

/* System call @nr is allowed if its argument @arg (0-5) is one of the
   @n values in @vals (at most 32). */
void sc_allow_args(struct sc_filter *f, uint32_t nr, unsigned int arg,
		   const uint32_t *vals, unsigned int n);

/* System call @nr takes @action, whatever its arguments. */
void sc_action(struct sc_filter *f, uint32_t nr, uint32_t action);

/* System call @nr with argument @arg (0-5) other than the 64-bit @val
   takes @action (the next rules decide the rest). */
void sc_arg_not(struct sc_filter *f, uint32_t nr, unsigned int arg,
		uint64_t val, uint32_t action);

/* Everything no rule matched takes @action. */
void sc_finish(struct sc_filter *f, uint32_t action);

/* no_new_privs, then the filter.  0 (with SECCOMP_FILTER_FLAG_NEW_LISTENER:
   the listener's fd), or a negative errno. */
int sc_install(const struct sc_filter *f, unsigned int flags);

/* The name of x86-64 system call @nr for messages ("nr 123" if unknown;
   the buffer is static). */
const char *sc_name(long nr);

#endif
