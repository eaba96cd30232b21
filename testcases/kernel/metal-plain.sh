#!/bin/sh
# The test kernel built with plain as boots under QEMU and passes.
exec sh "$(dirname "$0")/boot-qemu.sh" "${KERNEL_PLAIN:?set by make check}"
