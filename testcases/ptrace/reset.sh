#!/bin/sh
# How the guest stops, and afterburn-ptrace's exit status for each
# (doc/afterburn-ptrace.pod, EXIT STATUS): the test kernel's
# "shutdown=..." (testcases/kernel/devtest.c) replaces its power-off
# through port 0xf4 with a reset through the reset control register
# (0xcf9, Linux's reboot=pci) or the keyboard controller (0xfe to port
# 0x64): status 0, as afterburn-kvm; hlt with interrupts off (Linux's
# halt, its power-off without ACPI): 128; a triple fault: 125 (a crash,
# with a message).  A reset the host ignored would let the kernel go on
# to say "still running" and power off through port 0xf4 with status 0:
# that line must not appear.  Patched and --no-patch.
# Exit status: 0 pass, 1 fail, 77 skip.
name=reset.sh
. "$(dirname "$0")/lib.sh"
need_host
[ -n "${KERNEL_AFTERBURNT:-}" ] || fail "KERNEL_AFTERBURNT is not set (make check sets it)"
scratch reset

# stops HOW STATUS [MODE]: the guest stops with shutdown=HOW; the host
# exits with STATUS.
stops() {
	how=$1 want=$2
	shift 2
	timeout 60 "$PTRACE_HOST" "$@" --append "noinit shutdown=$how" "$KERNEL_AFTERBURNT" \
		</dev/null >"$work/out" 2>"$work/err"
	status=$?
	what="shutdown=$how${1:+ $1}"
	[ $status -eq "$want" ] ||
		{ cat "$work/out" "$work/err" >&2; fail "$what: exit status $status, expected $want"; }
	tr -d '\r' <"$work/out" | grep -q '^kernel: poweroff status=0' ||
		fail "$what: the guest did not get to its power-off"
	! grep -q 'still running' "$work/out" || fail "$what: the host ignored it"
	echo "ok: $what: exit status $status"
}

for mode in "" --no-patch; do
	stops pci 0 $mode
	stops kbd 0 $mode
	stops halt 128 $mode
	stops triple 125 $mode
	grep -q 'guest crashed: triple fault' "$work/err" ||
		fail "shutdown=triple: no 'guest crashed: triple fault' message"
done
echo "PASS: $name"
