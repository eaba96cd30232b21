// SPDX-License-Identifier: MIT
/*
 * AddressSanitizer and the guest's fixed window.
 *
 * The guest kernel must run at the addresses it was linked for: the
 * wedge window and the kernel half, [KERNEL_BASE - 1 GiB, KERNEL_BASE +
 * 4 GiB) around 16 TiB (doc/guest-contract.md).  ASan's x86-64 layout
 * puts its high shadow just there (up to 0x10007fff7fff): the shadow of
 * the top ~24 GiB of the user address space, where Linux puts the main
 * thread's stack and the vDSO and nothing else this process uses (its
 * mmap base lies at least the stack's 16 GiB randomization gap lower).
 * So, in an ASan build:
 *
 *  - the window is mapped over that part of the shadow (MAP_FIXED), and
 *    only the rest of it is reserved with MAP_FIXED_NOREPLACE;
 *  - main() leaves the main thread's stack for the wedge stack before
 *    any of this happens (entry.S), so that no instrumented frame ever
 *    poisons shadow that is now guest memory;
 *  - the host never touches the window at its guest addresses (ASan's
 *    interceptors would take them for shadow): it reads and writes guest
 *    memory and the wedge through its own view of the memfd (memory.c);
 *  - LeakSanitizer is off: it stops the world with ptrace and reads
 *    /proc at exit, which the seccomp filter forbids.
 *
 * Without ASan, these are no-ops.
 */
#include <errno.h>
#include <sys/mman.h>

#include "ptrace.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>

#define USER_TOP	0x00007fffffffffffULL

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

static uint64_t shadow_of(uint64_t addr)
{
	size_t scale, offset;

	__asan_get_shadow_mapping(&scale, &offset);
	return (addr >> scale) + offset;
}

uint64_t asan__window_start(void)
{
	uint64_t high_mem = shadow_of(USER_TOP) + 1;	/* after the high shadow */

	return high_mem > GUEST_WEDGE_BASE ? high_mem : GUEST_WEDGE_BASE;
}

void asan__leave_stack(void)
{
	__sanitizer_start_switch_fiber(NULL, ptrace_wedge_stack_bottom,
				       (size_t)(ptrace_wedge_stack_top -
						ptrace_wedge_stack_bottom));
}

void asan__on_wedge_stack(void)
{
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
}

#else

uint64_t asan__window_start(void)
{
	return GUEST_WEDGE_BASE;
}

void asan__leave_stack(void)
{
}

void asan__on_wedge_stack(void)
{
}

#endif
