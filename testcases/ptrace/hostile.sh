#!/bin/sh
# Hostile guest user code under afterburn-ptrace: a kernel whose init is
# testcases/kernel/user/hostile.c (built here, afterburnt, by overriding
# init_OBJS: the test kernel's sources are unchanged) tries raw host
# system calls, int $0x80, sysenter, the vsyscall page, the stub's own
# syscall instruction and a forged stub batch, and reads, writes and
# jumps into guest kernel memory; and, against the stub itself, calls
# through its syscall instruction (mmap of guest-physical memory, a futex
# wait on its shared page, clone, rt_sigreturn with a forged frame,
# rt_sigprocmask, rt_sigaction), entering its signal handler with forged
# registers, scribbling over its shared page between hand-offs, and
# spinning without a system call (still preempted).  Every attempt must
# fail or be killed with the trap a CPU would raise, patched and
# --no-patch, with guest user code in --user=seccomp and in
# --user=ptrace stubs, and no host system call may have happened (the
# marker directory must not exist).
# Exit status: 0 pass, 1 fail, 77 skip.
name=hostile.sh
. "$(dirname "$0")/lib.sh"
need_host
mark=/tmp/afterburn-hostile-mark
[ -e "$mark" ] && skip "$mark exists already: remove it first"
scratch hostile
make -s -C "$top_srcdir/testcases/kernel" O="$work" \
	CC="${CC:-gcc} -B$top_builddir/afterburn/bin/" init_OBJS=hostile.o \
	>"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "cannot build the hostile kernel"; }
for user in seccomp ptrace; do
	name="hostile.sh --user=$user"
	boot_check "$work/kernel.elf" --stats --user=$user || exit 1
	name="hostile.sh --no-patch --user=$user"
	boot_check "$work/kernel.elf" --stats --no-patch --user=$user || exit 1
done
if [ -e "$mark" ]; then
	rm -rf "$mark"
	fail "a guest user process made a host system call ($mark was created)"
fi
echo "PASS: hostile.sh: no escape, patched or not, in either --user mode"
