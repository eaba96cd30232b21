#!/bin/sh
# Boot the afterburnt test kernel under afterburn-ptrace --no-fast: every
# site patched, but through its slow thunk (full frame, the core), none
# through the cli/sti/pushf/popf fast paths.  The same self-tests
# (popf_if, preempt, ticks ...) must pass as with the fast paths, which
# checks both against each other.
# Exit status: 0 pass, 1 fail, 77 skip.
name=boot-nofast.sh
. "$(dirname "$0")/lib.sh"
need_host
[ -n "${KERNEL_AFTERBURNT:-}" ] || fail "KERNEL_AFTERBURNT is not set (make check sets it)"
boot_check "$KERNEL_AFTERBURNT" --no-fast --stats --append "${PTRACE_APPEND:-}"
