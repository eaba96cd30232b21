#!/bin/sh
# Boot the guest test kernel under QEMU (TCG: the "metal" stand-in) and
# check its serial output: every planned test passed, every benchmark
# printed its line, init powered off with status 0.
#
# Usage: boot-qemu.sh [kernel.elf]
# Environment:
#   KERNEL        the image, when no argument is given (default: ./kernel.elf
#                 next to this script, then in the current directory)
#   QEMU          the emulator (default qemu-system-x86_64)
#   QEMU_ACCEL    extra accelerator options, e.g. "-enable-kvm -cpu host"
#   QEMU_APPEND   the kernel command line (default empty: tests and bench)
#   BOOT_TIMEOUT  seconds before the boot counts as hung (default 120)
#   BOOT_LOG      keep the serial output here (default: a temporary file)
# Exit status: 0 pass, 1 fail, 77 skip (no QEMU), automake style.

srcdir=$(dirname "$0")
kernel=${1:-${KERNEL:-}}
if [ -z "$kernel" ]; then
	kernel=$srcdir/kernel.elf
	[ -f "$kernel" ] || kernel=./kernel.elf
fi
qemu=${QEMU:-qemu-system-x86_64}
timeout=${BOOT_TIMEOUT:-120}

if ! command -v "$qemu" >/dev/null 2>&1; then
	echo "SKIP: $qemu not found: install qemu-system-x86 to boot the test kernel" >&2
	echo "*** SKIP: boot-qemu.sh did not run ***"
	exit 77
fi
if [ ! -f "$kernel" ]; then
	echo "FAIL: no kernel image at $kernel (build it with make -C testcases/kernel)" >&2
	exit 1
fi

log=${BOOT_LOG:-}
if [ -z "$log" ]; then
	log=$(mktemp "${TMPDIR:-/tmp}/boot-qemu.XXXXXX") || exit 1
	trap 'rm -f "$log"' EXIT
fi

# isa-debug-exit: QEMU exits with (status << 1) | 1, so 1 is status 0.
# shellcheck disable=SC2086 # QEMU_ACCEL is a list of options
timeout "$timeout" "$qemu" $QEMU_ACCEL -kernel "$kernel" -m 64 \
	-display none -monitor none -serial "file:$log" -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-append "${QEMU_APPEND:-}" </dev/null
status=$?
tr -d '\r' <"$log" | grep -v '^# \.\.\.' || true

fail() {
	echo "FAIL: boot-qemu.sh: $*" >&2
	exit 1
}

[ $status -eq 124 ] && fail "no power-off within $timeout s (hung?)"
[ $status -eq 1 ] || fail "QEMU exit status $status (guest status $(( (status - 1) / 2 )) if odd)"

sh "$srcdir/check-serial.sh" boot-qemu.sh "$log"
