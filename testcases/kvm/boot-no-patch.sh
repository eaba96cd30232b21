#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot $KERNEL_AFTERBURNT under afterburn-kvm unpatched (--no-patch).
MODE=no-patch
. "$(dirname "$0")/boot-common.sh"
