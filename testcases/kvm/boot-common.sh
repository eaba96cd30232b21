#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot the afterburnt test kernel under afterburn-kvm and check what it
# printed, its exit status and the VM-exit counts.  Sourced by
# boot-patched.sh and boot-no-patch.sh with MODE set to "patched" or
# "no-patch".
#
# Environment: KERNEL_AFTERBURNT (the image, required), AFTERBURN_KVM
# (default: afterburn-kvm in the build tree), KVM_TIMEOUT (seconds, 300),
# KVM_FLAGS (more afterburn-kvm options).
#
# Exit: 0 pass, 1 fail, 99 setup error (no KVM here nor in scripts/kvm-vm).
#
# On a PVM host (/sys/module/kvm_pvm) PVM does not switch a non-PVM guest
# to supervisor mode on 'syscall': the CPU fetches the kernel's syscall
# entry in user mode and takes a #PF (doc/afterburn-kvm.pod, BUGS).  Both
# runs must still pass every self-test: patched, the wedge's shadow IDT
# completes those syscall entries without an exit; unpatched, the VMM
# does (wedge/kvm/pvm.c), with exits.  The test checks which one did.

: "${MODE:?}"
. "$(dirname "$0")/kvm-host.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
kvm=${AFTERBURN_KVM:-$top/afterburn-kvm}
timeout=${KVM_TIMEOUT:-300}
name="kvm boot ($MODE)"

if [ -z "$KERNEL_AFTERBURNT" ] || [ ! -f "$KERNEL_AFTERBURNT" ]; then
	echo "ERROR: $name: KERNEL_AFTERBURNT='$KERNEL_AFTERBURNT' is not a file" >&2
	exit 99
fi
if [ ! -x "$kvm" ]; then
	echo "ERROR: $name: $kvm is not built" >&2
	exit 99
fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $name: $*" >&2; fail=1; }

flags="--stats --timeout=$timeout"
[ "$MODE" = no-patch ] && flags="$flags --no-patch"
flags="$flags ${KVM_FLAGS:-}"
name="$name${KVM_FLAGS:+ $KVM_FLAGS}"
# shellcheck disable=SC2086
"$kvm" $flags -m 128 -append tests -kernel "$KERNEL_AFTERBURNT" \
	>"$tmp/out" 2>"$tmp/err" </dev/null
status=$?
tr -d '\r' <"$tmp/out" >"$tmp/console"
echo "--- console ($name)"; cat "$tmp/console"
echo "--- stderr"; cat "$tmp/err"
echo "--- exit status $status"

count() {	# count PORT-DIR PORT: the exits of that port in the stats
	awk -v d="$1" -v p="$2" '$1 == d && $2 == p { print $NF; f = 1 }
		END { if (!f) print 0 }' "$tmp/err"
}
exits=$(awk '/exits to the VMM:/ { print $NF }' "$tmp/err")
bytes=$(awk '$1 == "console" && $2 == "bytes" { print $NF }' "$tmp/err")
lsr=$(count in 0x03fd)
thr=$(count out 0x03f8)
wcall=$(count out 0xafb0)

grep -q '^kernel: afterburner test kernel$' "$tmp/console" || bad "no banner"
grep -q '^kernel: cmdline "tests"$' "$tmp/console" || bad "command line not passed"
grep -q '^kernel: cpu vendor=' "$tmp/console" || bad "no cpuid line"
grep -q '^kernel: timer 250 Hz' "$tmp/console" || bad "no timer interrupts (PIT/PIC)"
[ -n "$exits" ] && [ -n "$bytes" ] || bad "--stats printed no exit counts"

# Exit counts: unpatched, every console byte is an LSR read and a THR
# write; patched, a few exits in all (one per line, plus device set-up).
case $MODE in
no-patch)
	grep -q 'sites not patched' "$tmp/err" || bad "sites reported patched"
	[ "$thr" -ge "$bytes" ] || bad "THR exits $thr < console bytes $bytes"
	[ "$lsr" -ge "$bytes" ] || bad "LSR exits $lsr < console bytes $bytes"
	[ "$wcall" -eq 0 ] || bad "wedge calls without a wedge"
	;;
patched)
	grep -Eq 'sites patched [1-9]' "$tmp/err" || bad "no site patched"
	grep -Eq '^  out +patched +[1-9]' "$tmp/err" || bad "no out site patched"
	grep -Eq '^  cpuid +patched +[1-9]' "$tmp/err" || bad "no cpuid site patched"
	[ "$lsr" -eq 0 ] || bad "LSR reads exited $lsr times"
	[ "$thr" -le 2 ] || bad "THR writes exited $thr times (not buffered)"
	[ "$wcall" -ge 1 ] || bad "no console flush"
	lines=$(wc -l <"$tmp/console")
	[ "$wcall" -le "$((lines + 2))" ] || bad "$wcall flushes for $lines lines"
	# Besides the flushes only device set-up and power-off exit (8 today).
	[ "$exits" -le "$((wcall + 10))" ] ||
		bad "$exits exits to the VMM for $wcall console flushes"
	;;
esac

plan=$(sed -n 's/^PLAN tests=\([0-9]*\) .*/\1/p' "$tmp/console")
if grep -q '^SUMMARY ' "$tmp/console"; then
	grep -q "^SUMMARY passed=${plan:-x} failed=0\$" "$tmp/console" ||
		bad "self-tests failed (or fewer than the ${plan:-?} planned)"
	[ "$status" -eq 0 ] || bad "exit status $status, want 0"
else
	bad "no SUMMARY line"
fi
if [ -d /sys/module/kvm_pvm ]; then
	case $MODE in
	patched)
		grep -Eq 'completed by the wedge [1-9]' "$tmp/err" ||
			bad "PVM host, but no syscall entry went through the wedge"
		! grep -q 'finished for the CPU' "$tmp/err" ||
			bad "PVM host: the VMM finished events the wedge should have"
		;;
	no-patch)
		grep -Eq 'finished for the CPU \(PVM\): [1-9][0-9]* syscall' "$tmp/err" ||
			bad "PVM host, but the VMM finished no syscall entry"
		;;
	esac
fi

[ $fail -eq 0 ] && echo "PASS: $name ($exits exits to the VMM, $bytes console bytes; KVM: $KVM_VM_WHICH)"
exit $fail
