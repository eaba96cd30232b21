#!/bin/sh
# Boot the afterburnt test kernel under afterburn-ptrace with its sites
# patched into the ptrace wedge, guest user code in stubs under
# PTRACE_SYSEMU (--user=ptrace); require what boot-qemu.sh requires.
# Environment: KERNEL_AFTERBURNT (the image), AFTERBURN_PTRACE (the
# host), BOOT_TIMEOUT, PTRACE_APPEND (the guest's command line).
# Exit status: 0 pass, 1 fail, 77 skip.
name=boot-user-ptrace.sh
. "$(dirname "$0")/lib.sh"
need_host
[ -n "${KERNEL_AFTERBURNT:-}" ] || fail "KERNEL_AFTERBURNT is not set (make check sets it)"
boot_check "$KERNEL_AFTERBURNT" --user=ptrace --stats --append "${PTRACE_APPEND:-}"
