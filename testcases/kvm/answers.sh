#!/bin/sh
# SPDX-License-Identifier: MIT
# The KVM wedge's cached answers against the real instructions: the
# answers guest (answers-guest.c) runs every cpuid leaf and subleaf it can
# enumerate, the MSRs the wedge caches and the UART registers it mirrors,
# through patched sites and through the real instructions, under
# afterburn-kvm: patched, patched with wrmsr left native (the MSR cache
# must step aside), and --no-patch.  Every answer must be the same.
#
# Environment: CC, AFTERBURN_KVM, top_builddir (afterburn/bin, the gcc -B
# directory with afterburn-as).
# Exit: 0 pass, 1 fail, 99 setup error (no KVM here nor in scripts/kvm-vm).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kvm-host.sh"
top=${top_builddir:-$(cd "$here/../.." && pwd)}
kvm=${AFTERBURN_KVM:-$top/afterburn-kvm}
[ -x "$kvm" ] || { echo "ERROR: $kvm is not built" >&2; exit 99; }
[ -x "$top/afterburn/bin/as" ] || { echo "ERROR: $top/afterburn/bin/as is not built" >&2; exit 99; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT

cc=${CC:-gcc}
cflags="-O2 -ffreestanding -fno-pic -mcmodel=large -mno-red-zone
	-mgeneral-regs-only -fno-stack-protector -fcf-protection=none -I$here"
# shellcheck disable=SC2086
$cc $cflags -B"$top/afterburn/bin/" -DPROBE=site -c "$here/answers-probe.c" -o "$tmp/site.o" &&
$cc $cflags -DPROBE=raw -c "$here/answers-probe.c" -o "$tmp/raw.o" &&
$cc $cflags -c "$here/answers-guest.c" -o "$tmp/guest.o" &&
$cc -nostdlib -static -no-pie -Wl,-T,"$here/answers.ld" -Wl,--build-id=none \
	-Wl,--no-warn-rwx-segments "$tmp/guest.o" "$tmp/site.o" "$tmp/raw.o" \
	-o "$tmp/answers.elf" || exit 99

fail=0
run() {	# NAME FLAGS...
	name=$1; shift
	"$kvm" --stats --timeout=120 "$@" -kernel "$tmp/answers.elf" \
		>"$tmp/out" 2>"$tmp/err" </dev/null
	st=$?
	echo "--- $name: console"; cat "$tmp/out"
	echo "--- $name: stderr"; cat "$tmp/err"
	echo "--- $name: exit status $st"
	bad() { echo "FAIL: kvm answers ($name): $*"; fail=1; }
	grep -q '^answers: cpuid [1-9][0-9]* leaf/subleaf pairs compared$' "$tmp/out" ||
		bad "no cpuid leaf compared"
	grep -q '^answers: msr [1-9][0-9]* reads compared$' "$tmp/out" ||
		bad "no MSR compared"
	grep -q '^answers: uart [1-9][0-9]* reads compared$' "$tmp/out" ||
		bad "no UART register compared"
	grep -q '^answers: rtc read$' "$tmp/out" || bad "the CMOS clock was not read"
	grep -q '^answers: [1-9][0-9]* compared, 0 differ$' "$tmp/out" ||
		bad "the wedge's answers differ from the real instructions'"
	[ "$st" -eq 0 ] || bad "exit status $st, want 0"
}
patched_kinds() {	# KIND...: each must have a patched site
	for k in "$@"; do
		grep -Eq "^  $k +patched +[1-9]" "$tmp/err" || bad "no $k site patched"
	done
}

run patched
patched_kinds cpuid rdmsr wrmsr in out
run "wrmsr native" --disable=wrmsr
patched_kinds cpuid rdmsr in out
grep -Eq '^  wrmsr +patched +0 +native +[1-9]' "$tmp/err" || bad "wrmsr was patched"
run unpatched --no-patch
[ $fail -eq 0 ] && echo "PASS: kvm answers: the wedge answers as the real instructions do ($KVM_VM_WHICH)"
exit $fail
