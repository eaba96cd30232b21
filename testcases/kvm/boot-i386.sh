#!/bin/sh
# SPDX-License-Identifier: MIT
# The i386 test kernel (ELF32, started at its PVH entry) under
# afterburn-kvm, all in one VM: patched into the 32-bit wedge in the area
# its image declares; patched with --wedge-at, which puts the wedge where
# an image without an area note (Linux) gets it; and with --no-patch.
# Each boot gets boot-common.sh's checks (every self-test passes;
# unpatched, every console byte exits; patched, console output costs one
# exit per line and LSR reads none) and prints its exit counts.
#
# Environment: KERNEL_I386_AFTERBURNT, AFTERBURN_KVM, KVM_TIMEOUT.
# Exit: 0 pass, 1 fail, 99 setup error.
. "$(dirname "$0")/kvm-host.sh"
here=$(dirname "$0")
KERNEL_AFTERBURNT=${KERNEL_I386_AFTERBURNT:?set by make check}
export KERNEL_AFTERBURNT
od -An -tx1 -j4 -N1 "$KERNEL_AFTERBURNT" | grep -q '^ 01$' || {
	echo "ERROR: $KERNEL_AFTERBURNT is not an ELF32 image" >&2; exit 99; }

sh "$here/boot-patched.sh"
patched=$?
KVM_FLAGS=--wedge-at=0xc0090000 sh "$here/boot-patched.sh"
at=$?
sh "$here/boot-no-patch.sh"
unpatched=$?
for st in $patched $at $unpatched; do
	[ "$st" -eq 99 ] && exit 99
done
[ "$patched" -eq 0 ] && [ "$at" -eq 0 ] && [ "$unpatched" -eq 0 ] || exit 1
echo "PASS: boot-i386.sh: the i386 kernel patched and unpatched"
