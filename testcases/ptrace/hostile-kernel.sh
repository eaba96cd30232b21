#!/bin/sh
# A hostile guest kernel under afterburn-ptrace: the test kernel plus
# testcases/ptrace/hostile-kernel/attack.c (see there), built here,
# afterburnt, without touching the test kernel's sources.  At CPL0 it
# makes raw syscall, int $0x80 and sysenter calls with host system-call
# numbers (mkdir, openat, write, execve), reads the wedge's data pages
# looking for host pointers, overwrites them and writes to the thunks.
# Its init also checks that a user int $3 (cd 03) is delivered like
# int3.  Run patched, --no-fast and --no-patch, and on QEMU as the
# reference CPU: every attack must get what a CPU gives it ("ATTACK ok"),
# the normal tests must still pass, nothing may reach the host (no mark
# directory, no refused call).  Then a CR3 beyond RAM and a kernel half
# of 512 extents must stop the guest as crashed (status 125), with a
# message that says why.
# Exit status: 0 pass, 1 fail, 77 skip.
name=hostile-kernel.sh
. "$(dirname "$0")/lib.sh"
need_host
mark=/tmp/afterburn-hostile-kernel-mark
[ -e "$mark" ] && fail "$mark exists already: remove it first"
scratch hostile-kernel
make -s -f "$top_srcdir/testcases/ptrace/hostile-kernel/Makefile" O="$work" \
	CC="${CC:-gcc} -B$top_builddir/afterburn/bin/" \
	>"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "cannot build the hostile kernel"; }
image=$work/kernel.elf

# check_attacks WHAT LOG: every attack line ok, and the summary.
check_attacks() {
	grep -a '^ATTACK' "$2"
	! grep -a -q '^ATTACK FAIL' "$2" || fail "$1: an attack did not get what a CPU gives it"
	grep -a -q '^ATTACK summary failures=0' "$2" || fail "$1: no attack summary"
	grep -a -q '^ATTACK ok user-int3' "$2" || fail "$1: no user int3 result"
}

# run WHAT EXPECTED-STATUS [host options...]: boot the image, keep the logs.
run() {
	what=$1 want=$2
	shift 2
	timeout "$timeout" "$PTRACE_HOST" "$@" "$image" \
		>"$work/out" 2>"$work/err" </dev/null
	status=$?
	tr -d '\r' <"$work/out" >"$work/log"
	sed 's/^/  stderr: /' "$work/err" >&2
	echo "# $name $what: exit status $status"
	[ "$status" -eq "$want" ] || { tail -5 "$work/log"; fail "$what: exit status $status, expected $want"; }
	! grep -q -e 'refused' -e 'ESCAPED' "$work/err" ||
		fail "$what: a host system call was attempted"
	[ ! -e "$mark" ] || { rm -rf "$mark"; fail "$what: the guest kernel made a host system call ($mark exists)"; }
}

for mode in "patched" "--no-fast" "--no-patch"; do
	opt=$mode
	[ "$mode" = patched ] && opt=
	# shellcheck disable=SC2086 # an option or none
	run "$mode" 0 $opt --append tests
	check_attacks "$mode" "$work/log"
	sh "$top_srcdir/testcases/kernel/check-serial.sh" "$name $mode" "$work/log" || exit 1
done

# The reference: the same image on QEMU (TCG), the metal stand-in.
qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 || fail "$qemu not found (scripts/setup installs it)"
timeout "$timeout" "$qemu" -kernel "$image" -m 64 -display none -serial stdio \
	-no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-append tests </dev/null 2>&1 | tr -d '\r' >"$work/qemu.log"
check_attacks metal "$work/qemu.log"

for mode in "patched" "--no-patch"; do
	opt=$mode
	[ "$mode" = patched ] && opt=
	# shellcheck disable=SC2086
	run "$mode attack=cr3" 125 $opt --append "tests attack=cr3"
	grep -q "guest crashed: cr3 0x40000000: its page-table root lies beyond the guest's 64 MiB of RAM" \
		"$work/err" || fail "$mode attack=cr3: no message about the root"
	# shellcheck disable=SC2086
	run "$mode attack=extents" 125 $opt --append "tests attack=extents"
	grep -q "guest crashed: cr3 0x[0-9a-f]* maps its kernel half in more than 64 extents" \
		"$work/err" || fail "$mode attack=extents: no message about the extents"
done
echo "PASS: $name: no escape, patched and trapped; bad roots stop the guest"
