#!/bin/sh
# SPDX-License-Identifier: MIT
# The i386 mechanism of afterburn-ptrace (compat-test.c): 32-bit code in
# the host process, its exits, LDT segments and signals.  It needs a host
# kernel that runs 32-bit user code and loads the process's LDT; where this
# one does not (a PVM guest kernel runs 64-bit user code only: no code
# segment 0x23, no LDT in the CPU), the test runs in scripts/kvm-vm's VM
# (Debian's kernel under QEMU), never skipped.
#
# Environment: top_srcdir, top_builddir.
# Exit: 0 pass, 1 fail, 99 the VM could not run it.
prog=${top_builddir:?}/testcases/ptrace/compat-test
"$prog" --probe
case $? in
0) exec "$prog" ;;
3) echo "compat.sh: running compat-test in scripts/kvm-vm's VM"
   exec sh "${top_srcdir:?}/scripts/kvm-vm" --timeout=600 -- "$prog" ;;
*) exit 1 ;;
esac
