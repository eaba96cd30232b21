#!/bin/sh
# SPDX-License-Identifier: MIT
# The i386 test kernel (ELF32, started at its PVH entry) under
# afterburn-kvm, all in one VM: patched into the 32-bit wedge in the area
# its image declares; patched with --wedge-at, which puts the wedge where
# an image without an area note (Linux) gets it; and with --no-patch.
# Each boot gets boot-common.sh's checks (every self-test passes;
# unpatched, every console byte exits; patched, console output costs one
# exit per line and LSR reads none) and prints its exit counts.  First,
# two malformed ELF32 images must be refused.
#
# Environment: KERNEL_I386_AFTERBURNT, AFTERBURN_KVM, KVM_TIMEOUT.
# Exit: 0 pass, 1 fail, 99 setup error.
. "$(dirname "$0")/kvm-host.sh"
here=$(dirname "$0")
KERNEL_AFTERBURNT=${KERNEL_I386_AFTERBURNT:?set by make check}
export KERNEL_AFTERBURNT
od -An -tx1 -j4 -N1 "$KERNEL_AFTERBURNT" | grep -q '^ 01$' || {
	echo "ERROR: $KERNEL_AFTERBURNT is not an ELF32 image" >&2; exit 99; }

# Malformed ELF32 images are refused, with the reason, before anything
# runs: one cut inside its first PT_LOAD segment, one whose class and
# machine disagree (ELF32 claiming x86-64).
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
kvm=${AFTERBURN_KVM:-$(cd "$here/../.." && pwd)/afterburn-kvm}
bad=0
off=$(readelf -lW "$KERNEL_AFTERBURNT" | awk '$1 == "LOAD" { print $2; exit }')
fsz=$(readelf -lW "$KERNEL_AFTERBURNT" | awk '$1 == "LOAD" { print $5; exit }')
head -c $((off + fsz - 1)) "$KERNEL_AFTERBURNT" >"$tmp/cut.elf"
cp "$KERNEL_AFTERBURNT" "$tmp/machine.elf"
printf '\076\000' | dd of="$tmp/machine.elf" bs=1 seek=18 conv=notrunc 2>/dev/null
for t in "cut:truncated" "machine:not an x86-64 or i386 ELF executable"; do
	"$kvm" --timeout=60 -kernel "$tmp/${t%%:*}.elf" >"$tmp/out" 2>"$tmp/err" </dev/null
	st=$?
	echo "--- ${t%%:*}.elf: exit status $st"; cat "$tmp/err"
	grep -q "${t#*:}" "$tmp/err" && [ "$st" -ne 0 ] && [ "$st" -ne 124 ] &&
		[ ! -s "$tmp/out" ] || { echo "FAIL: boot-i386.sh: ${t%%:*}.elf not refused"; bad=1; }
done

sh "$here/boot-patched.sh"
patched=$?
KVM_FLAGS=--wedge-at=0xc0090000 sh "$here/boot-patched.sh"
at=$?
sh "$here/boot-no-patch.sh"
unpatched=$?
for st in $patched $at $unpatched; do
	[ "$st" -eq 99 ] && exit 99
done
[ "$patched" -eq 0 ] && [ "$at" -eq 0 ] && [ "$unpatched" -eq 0 ] && [ $bad -eq 0 ] || exit 1
echo "PASS: boot-i386.sh: the i386 kernel patched and unpatched"
