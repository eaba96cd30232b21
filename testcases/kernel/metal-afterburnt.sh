#!/bin/sh
# The test kernel built with afterburn-as: every sensitive instruction is a
# site, and the image boots unpatched under QEMU (bare metal) and passes.
set -u
kernel=${KERNEL_AFTERBURNT:?set by make check}
sites=${AFTERBURN_SITES:-afterburn-sites}
if ! "$sites" --verify "$kernel"; then
	echo "FAIL: metal-afterburnt.sh: $kernel does not verify" >&2
	exit 1
fi
exec sh "$(dirname "$0")/boot-qemu.sh" "$kernel"
