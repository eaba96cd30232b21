#!/bin/sh
# SPDX-License-Identifier: MIT
# A misbehaving guest (hostile.S) under afterburn-kvm, patched and with
# --no-patch: a port, MMIO and an MSR that nothing implements get the
# behaviour afterburn-kvm(1) promises (all ones, ignored, #GP), and a
# triple fault stops the guest with status 124 and a register dump.  The
# VMM must never crash (a signal or status 125).
#
# Environment: CC (the compiler, for hostile.S), AFTERBURN_KVM.
# Exit: 0 pass, 1 fail, 99 setup error (no KVM here nor in scripts/kvm-vm).
top=$(cd "$(dirname "$0")/../.." && pwd)
kvm=${AFTERBURN_KVM:-$top/afterburn-kvm}
here=$(cd "$(dirname "$0")" && pwd)

. "$here/kvm-host.sh"
[ -x "$kvm" ] || { echo "ERROR: $kvm is not built" >&2; exit 99; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
${CC:-gcc} -nostdlib -static -no-pie -Wl,-T,"$here/hostile.ld" \
	-Wl,--build-id=none -Wl,--no-warn-rwx-segments \
	"$here/hostile.S" -o "$tmp/hostile.elf" || exit 99

fail=0
for mode in patched no-patch; do
	flags="--stats --timeout=60"
	[ $mode = no-patch ] && flags="$flags --no-patch"
	# shellcheck disable=SC2086
	"$kvm" $flags -kernel "$tmp/hostile.elf" >"$tmp/out" 2>"$tmp/err" </dev/null
	st=$?
	echo "--- $mode: console"; cat "$tmp/out"
	echo "--- $mode: stderr"; cat "$tmp/err"
	echo "--- $mode: exit status $st"
	bad() { echo "FAIL: kvm hostile ($mode): $*"; fail=1; }
	for step in 'H1 unknown port' 'H2 MMIO without a device' 'H3 unknown MSR'; do
		grep -q "^$step: ok\$" "$tmp/out" || bad "$step: not ok"
	done
	grep -q '^H4 fault without an IDT: ' "$tmp/out" || bad "H4 not reached"
	grep -q 'unexpected exception' "$tmp/out" && bad "an exception nobody caused"
	grep -q 'guest stopped: shutdown (triple fault)' "$tmp/err" ||
		bad "the triple fault was not reported"
	grep -q '^  rip ' "$tmp/err" || bad "no register dump"
	[ "$st" -eq 124 ] || bad "exit status $st, want 124 (guest stopped)"
done
# A hostile image: cut inside its code segment, it is refused with the
# reason, before any of it runs.
off=$(readelf -lW "$tmp/hostile.elf" | awk '$1 == "LOAD" { print $2; exit }')
fsz=$(readelf -lW "$tmp/hostile.elf" | awk '$1 == "LOAD" { print $5; exit }')
head -c $((off + fsz - 1)) "$tmp/hostile.elf" >"$tmp/cut.elf"
for mode in patched no-patch; do
	flags="--timeout=60"
	[ $mode = no-patch ] && flags="$flags --no-patch"
	# shellcheck disable=SC2086
	"$kvm" $flags -kernel "$tmp/cut.elf" >"$tmp/out" 2>"$tmp/err" </dev/null
	st=$?
	echo "--- truncated image ($mode): exit status $st"; cat "$tmp/err"
	grep -q 'truncated' "$tmp/err" ||
		{ echo "FAIL: kvm hostile: a truncated image not reported as one ($mode)"; fail=1; }
	[ "$st" -ne 0 ] && [ "$st" -ne 124 ] && [ ! -s "$tmp/out" ] ||
		{ echo "FAIL: kvm hostile: a truncated image ran ($mode, status $st)"; fail=1; }
done
[ $fail -eq 0 ] && echo "PASS: kvm hostile: defined behaviour for every misdeed, both ways (KVM: $KVM_VM_WHICH)"
exit $fail
