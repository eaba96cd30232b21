#!/bin/sh
# SPDX-License-Identifier: MIT
# The i386 mechanism's lazy mode (wedge/ptrace/compat.h, COMPAT_FS_LAZY)
# runs the C code that exits reach with the guest's FS base, so that code
# must touch no TLS: the virtual-CPU core (wedge/libafb-vcpu) and ldt.c
# have no %fs: access (glibc's thread pointer, the stack protector's
# canary, __thread variables) and call nothing outside themselves but the
# string functions (glibc's others use TLS: errno, stdio's locks, the
# cancellation state that write checks).
#
# Environment: top_builddir.
# Exit: 0 pass, 1 fail, 99 the objects are missing.
lib=${top_builddir:?}/wedge/.libs/libafb-vcpu.a
ldt=$top_builddir/wedge/ptrace/testcases_ptrace_compat_test-ldt.o
for f in "$lib" "$ldt"; do
	[ -f "$f" ] || { echo "compat-tls.sh: $f is missing" >&2; exit 99; }
done
fs=$(${OBJDUMP:-objdump} -d "$lib" "$ldt" | grep '%fs:')
if [ -n "$fs" ]; then
	echo "FAIL: code that lazy exits reach accesses TLS:" >&2
	echo "$fs" >&2
	exit 1
fi
ext=$(nm -u "$lib" "$ldt" | awk 'NF == 2 { print $2 }' | sort -u |
	grep -v -E '^(em_|vcpu_|afb_|compat_|__(asan|ubsan|sanitizer)_)' |
	grep -v -x -E 'memcpy|memset|memmove|memcmp|_GLOBAL_OFFSET_TABLE_')
if [ -n "$ext" ]; then
	echo "FAIL: code that lazy exits reach calls outside itself:" $ext >&2
	exit 1
fi
echo "compat-tls.sh: the core and ldt.c touch no TLS"
