#!/bin/sh
# Boot the afterburnt test kernel under afterburn-ptrace --no-patch: the
# trap-and-emulate ("virt") baseline, where every sensitive instruction
# traps (sites that would not trap at CPL3 become ud2) and is emulated
# from the signal.  Requires what boot-qemu.sh requires.
# Exit status: 0 pass, 1 fail, 77 skip.
name=boot-trapped.sh
. "$(dirname "$0")/lib.sh"
need_host
[ -n "${KERNEL_AFTERBURNT:-}" ] || fail "KERNEL_AFTERBURNT is not set (make check sets it)"
boot_check "$KERNEL_AFTERBURNT" --no-patch --stats --append "${PTRACE_APPEND:-}"
