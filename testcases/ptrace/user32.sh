#!/bin/sh
# SPDX-License-Identifier: MIT
# A 32-bit guest's user processes in afterburn-ptrace's stubs
# (wedge/ptrace/stub32.c), both --user modes (user32-test.c).  It needs a
# host kernel that runs 32-bit user code and loads the process's LDT;
# where this one does not (a PVM guest kernel), the test runs in
# scripts/kvm-vm's VM (Debian's kernel under QEMU), never skipped.
#
# Environment: top_srcdir, top_builddir.
# Exit: 0 pass, 1 fail, 99 the VM could not run it.
prog=${top_builddir:?}/testcases/ptrace/user32-test
"$prog" --probe
case $? in
0) exec "$prog" ;;
3) echo "user32.sh: running user32-test in scripts/kvm-vm's VM"
   exec sh "${top_srcdir:?}/scripts/kvm-vm" --timeout=600 -- "$prog" ;;
*) exit 1 ;;
esac
