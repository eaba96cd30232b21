#!/bin/sh
# SPDX-License-Identifier: MIT
# check-linux-ptrace.sh: issue 14 point 2, behind 'make check-linux-ptrace'.
# Boots the i386 Linux of 'make check-linux-i386' with an initramfs whose
# /init (testcases/linux/ptrace/init, lxmode=check) runs a script of shell
# commands (ls, pipelines, a few hundred processes, dd through a pipe,
# cat /proc/cpuinfo) and the hostile programs (hostile.c: the attacks of
# make check as an i386 Linux user program, each one stopped by Linux),
# then reboots; checks the transcript.
#
# Usage: testcases/linux/check-linux-ptrace.sh [--host=HOST] VMLINUX
#
#   --host=afterburn-ptrace  (default) four boots: patched and --no-patch,
#                            each --user=seccomp and --user=ptrace
#   --host=qemu              qemu-system-i386 (TCG: the stand-in for bare
#                            metal, as boot-metal.sh), the unpatched image,
#                            to tell a guest-side failure from a host one
#
# Where this host kernel runs no i386 code (a PVM guest kernel: no IA-32
# emulation, so neither the i386 programs nor afterburn-ptrace's i386
# guest run here), the whole check runs in scripts/kvm-vm's VM (Debian's
# kernel under QEMU), never skipped.
#
# A boot passes when the console shows "LX-SHELL-UP", every check's PASS
# line, the hostile program's PLAN and SUMMARY with no FAIL, and
# "LX-CHECK: PASS", and the host exits with status 0 (Linux reboots with
# reboot=pci: port 0xcf9; an i386 Linux without ACPI has no way to power
# off, so the verdict is the LX-CHECK line, not the exit status).  Under
# afterburn-ptrace, HOSTILE_MARK (a directory that a system call of the
# guest reaching the host would create) must not exist afterwards.
#
# afterburn-ptrace runs as
#   afterburn-ptrace [--no-patch] --user=MODE -m 256M --append=CMDLINE \
#       --initrd=FILE VMLINUX
# with the guest's 8250 console on standard output; it ends with status 0
# when Linux reboots (reboot=pci: port 0xcf9).  bench/linux-ptrace runs it
# the same way.
#
# Environment: QEMU (default qemu-system-i386), AFTERBURN_PTRACE (default
# $top_builddir/afterburn-ptrace), BUSYBOX (default
# $BUSYBOX_I386_DIR/busybox, /usr/local/lib/afterburner/i386/busybox:
# scripts/setup --linux), HOSTILE and LX_OPS (the i386 programs; default
# the build tree's testcases/linux/ptrace/hostile and bench/lx-ops-i386,
# else compiled here with CC, default gcc, -m32), LINUX_TIMEOUT (seconds
# per boot, default 900), LINUX_TIMEOUT_TRAPPED (seconds per --no-patch
# boot, default three times that: every sensitive instruction of Linux
# traps, a signal each, slow under QEMU's TCG), CHECK_LINUX_PTRACE_KEEP
# (keep the work directory).
#
# Exit status: 0 every boot passed, 1 not, 99 setup error.
set -u

me=check-linux-ptrace.sh
here=$(cd "$(dirname "$0")/ptrace" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
ptrace=${AFTERBURN_PTRACE:-$top_builddir/afterburn-ptrace}
qemu=${QEMU:-qemu-system-i386}
busybox=${BUSYBOX:-${BUSYBOX_I386_DIR:-/usr/local/lib/afterburner/i386}/busybox}
timeout=${LINUX_TIMEOUT:-900}
trapped_timeout=${LINUX_TIMEOUT_TRAPPED:-$((3 * timeout))}
mark=/tmp/afterburn-hostile-mark
append="console=ttyS0 panic=-1 reboot=pci"
host=afterburn-ptrace
vmlinux=

die() { echo "$me: $*" >&2; exit 99; }
for arg; do
	case $arg in
	--host=*) host=${arg#*=} ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown option '$arg' (try --help)" ;;
	*) vmlinux=$arg ;;
	esac
done
case $host in
qemu|afterburn-ptrace) ;;
*) die "--host must be afterburn-ptrace or qemu, not '$host'" ;;
esac
[ -f "$vmlinux" ] || die "usage: $me [--host=HOST] VMLINUX (no such file: '$vmlinux')"
[ "$(od -An -t x1 -j 4 -N 1 "$vmlinux" | tr -d ' ')" = 01 ] ||
	die "$vmlinux is not an ELF32 (i386) kernel: build it with make check-linux-i386"
[ -x "$busybox" ] || die "no i386 busybox at $busybox (run scripts/setup --linux)"
[ "$(od -An -t x1 -j 4 -N 1 "$busybox" | tr -d ' ')" = 01 ] ||
	die "$busybox is not an i386 program"

# lxcc OUT SRC: an i386 program of ours (no libc: lx.h).
lxcc() {
	${CC:-gcc} -m32 -static -nostdlib -ffreestanding -fno-pic -no-pie \
		-fno-stack-protector -O2 -std=gnu11 -o "$1" "$2" ||
		die "cannot compile $2 for i386 (gcc -m32)"
}

# i386 code runs here, or the whole check goes into scripts/kvm-vm's VM.
runs_i386() {
	probe=$(mktemp "${TMPDIR:-/tmp}/check-linux-ptrace-probe.XXXXXX") || exit 99
	lxcc "$probe" "$top_srcdir/bench/lx-ops.c"
	"$probe" --exit 2>/dev/null
	st=$?
	rm -f "$probe"
	return $st
}
if [ "$host" = afterburn-ptrace ] && [ -z "${CHECK_LINUX_PTRACE_IN_VM:-}" ] && ! runs_i386; then
	echo "$me: this host kernel runs no i386 code: checking in scripts/kvm-vm's VM"
	exec sh "$top_srcdir/scripts/kvm-vm" \
		--timeout=$((2 * timeout + 2 * trapped_timeout + 600)) -- \
		env CHECK_LINUX_PTRACE_IN_VM=1 top_srcdir="$top_srcdir" \
		top_builddir="$top_builddir" AFTERBURN_PTRACE="$ptrace" BUSYBOX="$busybox" \
		LINUX_TIMEOUT="$timeout" LINUX_TIMEOUT_TRAPPED="$trapped_timeout" \
		sh "$0" --host=afterburn-ptrace "$vmlinux"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-linux-ptrace.XXXXXX") || exit 99
trap '[ -n "${CHECK_LINUX_PTRACE_KEEP:-}" ] && echo "$me: kept $tmp" || rm -rf "$tmp"' EXIT

# The i386 programs: the build tree's, or compiled here.
hostile=${HOSTILE:-$top_builddir/testcases/linux/ptrace/hostile}
lxops=${LX_OPS:-$top_builddir/bench/lx-ops-i386}
mkdir "$tmp/progs" || exit 99
if [ -x "$hostile" ]; then cp "$hostile" "$tmp/progs/hostile" || exit 99
else lxcc "$tmp/progs/hostile" "$here/hostile.c"; fi
if [ -x "$lxops" ]; then cp "$lxops" "$tmp/progs/lx-ops-i386" || exit 99
else lxcc "$tmp/progs/lx-ops-i386" "$top_srcdir/bench/lx-ops.c"; fi
"$here/mkroot.sh" "$tmp/root" "$busybox" "$tmp/progs/hostile" "$tmp/progs/lx-ops-i386" \
	--cpio="$tmp/initrd" || exit 99

# boot NAME SECONDS COMMAND...: one boot with lxmode=check, its transcript
# checked.
fail=0
boot() {
	name=$1
	limit=$2
	shift 2
	out=$tmp/$name.out
	rm -rf "$mark"
	start=$(date +%s)
	timeout "$limit" "$@" </dev/null >"$out" 2>"$tmp/$name.err"
	st=$?
	# QEMU's console is the serial file.
	[ ! -f "$tmp/$name.serial" ] || cat "$tmp/$name.serial" >>"$out"
	secs=$(($(date +%s) - start))
	tr -d '\r' <"$out" >"$out.txt"
	echo "---- $name: $* (status $st, $secs s); its console:"
	sed 's/^/  | /' "$out.txt"
	why=
	grep -q '^LX-SHELL-UP' "$out.txt" || why="$why; /init did not run"
	grep -q '^LX-CHECK: PASS' "$out.txt" || why="$why; no 'LX-CHECK: PASS' line"
	plan=$(sed -n 's/^PLAN tests=\([0-9]*\) .*/\1/p' "$out.txt" | head -n 1)
	npass=$(grep -c '^PASS ' "$out.txt")
	nfail=$(grep -c '^FAIL ' "$out.txt")
	[ -n "$plan" ] || why="$why; the hostile program printed no PLAN"
	grep -q '^SUMMARY passed=[0-9]* failed=0' "$out.txt" ||
		why="$why; the hostile program's SUMMARY is missing or has failures"
	[ "$nfail" = 0 ] || why="$why; $nfail FAIL lines"
	[ "$st" = 0 ] || why="$why; the host exited with status $st"
	if [ -e "$mark" ]; then
		why="$why; $mark exists: a guest system call reached the host"
		rm -rf "$mark"
	fi
	if [ -z "$why" ]; then
		echo "PASS: $name: $npass checks and attacks passed (hostile: $plan attacks), $secs s"
	else
		echo "FAIL: $name:${why#;}"
		sed 's/^/  stderr: /' "$tmp/$name.err" | tail -n 20
		fail=1
	fi
}

case $host in
qemu)
	command -v "$qemu" >/dev/null || die "no $qemu (apt-get install qemu-system-x86)"
	boot qemu "$timeout" "$qemu" -m 256 -display none -monitor none -no-reboot \
		-serial "file:$tmp/qemu.serial" -kernel "$vmlinux" -initrd "$tmp/initrd" \
		-append "$append lxmode=check" ;;
afterburn-ptrace)
	for user in seccomp ptrace; do
		for patch in patched no-patch; do
			opt=
			limit=$timeout
			[ $patch = patched ] || { opt=--no-patch; limit=$trapped_timeout; }
			boot "ptrace-$patch-$user" "$limit" "$ptrace" $opt --user=$user -m 256M \
				--append="$append lxmode=check" --initrd="$tmp/initrd" "$vmlinux"
		done
	done ;;
esac
if [ "$fail" = 0 ]; then
	echo "check-linux-ptrace: PASS ($vmlinux on $host)"
	exit 0
fi
echo "check-linux-ptrace: FAIL ($vmlinux on $host)"
exit 1
