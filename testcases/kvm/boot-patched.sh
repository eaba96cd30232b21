#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot $KERNEL_AFTERBURNT under afterburn-kvm with its sites patched.
MODE=patched
. "$(dirname "$0")/boot-common.sh"
