#!/bin/sh
# SPDX-License-Identifier: MIT
# A misbehaving multiprocessor guest (hostile-smp.S) under afterburn-kvm
# -smp: INIT/SIPI starts a vCPU, a second SIPI is ignored, INIT/SIPI
# restarts it, an IPI to an APIC ID no vCPU has does nothing; power-off
# ends the VM with a vCPU halted and one never started; a triple fault of
# either vCPU while the other runs, and a power-off from vCPU 1, end the
# VM at once with a message naming the vCPU.  The VMM must never hang
# (the runs have a --timeout well above what they need) nor crash.
#
# Environment: CC (the compiler, for hostile-smp.S), AFTERBURN_KVM.
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
	"$here/hostile-smp.S" -o "$tmp/hostile-smp.elf" || exit 99

fail=0
# run MODE SMP: the guest in MODE with SMP vCPUs; sets $st.
run() {
	mode=$1
	start=$(date +%s)
	"$kvm" --timeout=100 -smp "$2" -append "$mode" -kernel "$tmp/hostile-smp.elf" \
		>"$tmp/out" 2>"$tmp/err" </dev/null
	st=$?
	secs=$(($(date +%s) - start))
	echo "--- $mode (-smp $2): console"; cat "$tmp/out"
	echo "--- $mode: stderr"; cat "$tmp/err"
	echo "--- $mode: exit status $st after $secs s"
	grep -q -e 'timeout' -e BAD "$tmp/out" "$tmp/err" && bad "a step failed or timed out"
	[ "$st" -ne 125 ] && [ "$st" -lt 128 ] || bad "the VMM failed (status $st)"
}
bad() { echo "FAIL: kvm hostile-smp ($mode): $*"; fail=1; }

run i 3
for step in 'S0 MP table: 3 CPUs, the IOAPIC' 'S1 INIT/SIPI starts vCPU 1' 'S2 SIPI to a running vCPU is ignored' \
	'S3 INIT/SIPI starts vCPU 1 again' 'S4 INIT/SIPI to a missing APIC ID'; do
	grep -q "^$step: ok\$" "$tmp/out" || bad "$step: not ok"
done
grep -q '^S5 power-off' "$tmp/out" || bad "S5 not reached"
[ "$st" -eq 42 ] || bad "exit status $st, want 42 (the guest's power-off)"

run f 2
grep -q 'guest stopped: vCPU 1: shutdown (triple fault)' "$tmp/err" ||
	bad "vCPU 1's triple fault was not reported"
grep -q '^  rip ' "$tmp/err" || bad "no register dump"
[ "$st" -eq 124 ] || bad "exit status $st, want 124 (guest stopped)"

run b 2
grep -q '^B1 vCPU 1 spins, vCPU 0 triple-faults: ok$' "$tmp/out" || bad "vCPU 1 did not start"
grep -q 'guest stopped: vCPU 0: shutdown (triple fault)' "$tmp/err" ||
	bad "vCPU 0's triple fault was not reported"
[ "$st" -eq 124 ] || bad "exit status $st, want 124 (guest stopped)"

run o 2
[ "$st" -eq 7 ] || bad "exit status $st, want 7 (vCPU 1's power-off)"

[ $fail -eq 0 ] && echo "PASS: kvm hostile-smp: INIT/SIPI, IPIs to nobody, a vCPU's fault or power-off end the VM"
exit $fail
