// Guest user code for the hostile-kernel test (see Makefile): run by
// init before its tests (ld --wrap=run_tests).
//
// int $3 (cd 03) is a software interrupt like int3 (cc): through the
// #BP gate, which attack.c made DPL 3, both raise #BP (vector 3) from
// user mode, never #DB (the single-step trap).
// Prints "ATTACK ok|FAIL name: ..." lines, which the boot checker does
// not count as tests.

#include "user.h"

int __real_run_tests(void);

static int status_of(void (*fn)(void))
{
	int pid = fork(), status = -1;
	if (pid < 0)
		return -1000;
	if (pid == 0) {
		fn();
		exit(0);
	}
	if (wait(&status) != pid)
		return -1001;
	return status;
}

static void int3_cc(void)
{
	asm volatile("int3" ::: "memory");
}

static void int3_cd03(void)
{
	asm volatile(".byte 0xcd, 0x03" ::: "memory");
}

int __wrap_run_tests(void)
{
	int cc = status_of(int3_cc), cd = status_of(int3_cd03);
	int ok = cc == EXIT_KILLED(3) && cd == cc;

	printf("ATTACK %s user-int3: int3 status 0x%x, int $3 (cd 03) status 0x%x, "
	       "expected 0x%x (#BP)\n", ok ? "ok" : "FAIL", cc, cd, EXIT_KILLED(3));
	return __real_run_tests();
}
