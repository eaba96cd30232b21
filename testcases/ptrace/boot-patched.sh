#!/bin/sh
# Boot the afterburnt test kernel under afterburn-ptrace with its sites
# patched into the ptrace wedge, guest user code in --user=seccomp stubs;
# require what boot-qemu.sh requires.
# Environment: KERNEL_AFTERBURNT (the image), AFTERBURN_PTRACE (the
# host), BOOT_TIMEOUT, PTRACE_APPEND (the guest's command line).
# Exit status: 0 pass, 1 fail, 77 skip.
name=boot-patched.sh
. "$(dirname "$0")/lib.sh"
need_host
[ -n "${KERNEL_AFTERBURNT:-}" ] || fail "KERNEL_AFTERBURNT is not set (make check sets it)"
boot_check "$KERNEL_AFTERBURNT" --user=seccomp --stats --append "${PTRACE_APPEND:-}"
