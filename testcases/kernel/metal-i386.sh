#!/bin/sh
# The 32-bit test kernel (ARCH=i386), built with plain as and with
# afterburn-as --32 (through gcc -m32 -B): the afterburnt ELF32 image
# verifies (every sensitive instruction a site), and both boot unpatched
# under QEMU through their PVH entry and pass every self-test.
set -u
plain=${KERNEL_I386_PLAIN:?set by make check}
afterburnt=${KERNEL_I386_AFTERBURNT:?set by make check}
sites=${AFTERBURN_SITES:-afterburn-sites}
here=$(dirname "$0")

fail() {
	echo "FAIL: metal-i386.sh: $*" >&2
	exit 1
}

for k in "$plain" "$afterburnt"; do
	od -An -tx1 -j4 -N1 "$k" | grep -q '^ 01$' || fail "$k is not an ELF32 image"
done
"$sites" --verify "$afterburnt" || fail "$afterburnt does not verify"
"$sites" --stats "$afterburnt" | grep -q '^total  *[1-9]' ||
	fail "$afterburnt has no sites"
sh "$here/boot-qemu.sh" "$plain" || fail "the plain i386 kernel"
sh "$here/boot-qemu.sh" "$afterburnt" || fail "the afterburnt i386 kernel"
echo "PASS: metal-i386.sh: plain and afterburnt i386 kernels"
