#!/bin/sh
# SPDX-License-Identifier: MIT
# A guest laid out as Linux 6.12 is (pvh-tables.s): its PVH entry runs
# code at kernel addresses on page tables of its own (pvh_level3_kernel_pgt)
# before the kernel's (level3_kernel_pgt).  Patched, its cpuid and console
# sites jump to the wedge window on both, so afterburn-kvm must map the
# window in both PDPTs; unpatched it must print the same.  Its writes to
# port 0x80 (an I/O delay) exit only unpatched.
#
# Environment: AFTERBURN_AS, AFTERBURN_KVM, LD.
# Exit: 0 pass, 1 fail, 99 setup error.
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
kvm=${AFTERBURN_KVM:-$top/afterburn-kvm}
as=${AFTERBURN_AS:-$top/afterburn/afterburn-as}

. "$here/kvm-host.sh"
[ -x "$kvm" ] || { echo "ERROR: $kvm is not built" >&2; exit 99; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
"$as" --64 -o "$tmp/pvh-tables.o" "$here/pvh-tables.s" &&
${LD:-ld} -nostdlib -static -z max-page-size=4096 --build-id=none \
	--no-warn-rwx-segments -T "$here/pvh-tables.ld" \
	-o "$tmp/pvh-tables.elf" "$tmp/pvh-tables.o" || exit 99

fail=0
for mode in patched no-patch; do
	flags="--stats --timeout=60"
	[ $mode = no-patch ] && flags="$flags --no-patch"
	# shellcheck disable=SC2086
	"$kvm" $flags -kernel "$tmp/pvh-tables.elf" >"$tmp/$mode.out" 2>"$tmp/$mode.err" </dev/null
	st=$?
	echo "--- $mode: console"; cat "$tmp/$mode.out"
	echo "--- $mode: stderr"; cat "$tmp/$mode.err"
	echo "--- $mode: exit status $st"
	[ $st -eq 0 ] || { echo "FAIL: $mode: exit status $st"; fail=1; }
	for t in pvh_level3_kernel_pgt level3_kernel_pgt; do
		grep -q "^on $t: ....." "$tmp/$mode.out" ||
			{ echo "FAIL: $mode: no cpuid answer on $t"; fail=1; }
	done
done
grep -q '^afterburn-kvm: sites patched [1-9]' "$tmp/patched.err" ||
	{ echo "FAIL: no site was patched"; fail=1; }
# The I/O delay: two exits unpatched, none patched.
grep -q '^ *out 0x0080 .* 2$' "$tmp/no-patch.err" ||
	{ echo "FAIL: unpatched, the writes to port 0x80 did not exit"; fail=1; }
! grep -q '^ *out 0x0080 ' "$tmp/patched.err" ||
	{ echo "FAIL: patched, a write to port 0x80 still exits"; fail=1; }
cmp -s "$tmp/patched.out" "$tmp/no-patch.out" ||
	{ echo "FAIL: the console differs patched and unpatched"; fail=1; }
[ $fail -eq 0 ] && echo "PASS: the wedge window works on the PVH entry's tables and the kernel's (KVM: $KVM_VM_WHICH)"
exit $fail
