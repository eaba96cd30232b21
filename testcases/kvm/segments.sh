#!/bin/sh
# SPDX-License-Identifier: MIT
# The afterburnt test kernel relinked with one more PT_LOAD segment whose
# p_vaddr - p_paddr differs from the others' (linked at virtual address
# 0, as an SMP Linux's per-CPU segment is): afterburn-kvm must patch it
# site by site through each segment's own mapping, and it must boot
# patched and pass every self-test (boot-common.sh's checks).
#
# Environment: KERNEL_AFTERBURNT (its objects are next to it),
# AFTERBURN_KVM, LD.
# Exit: 0 pass, 1 fail, 99 setup error.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/kvm-host.sh"
top=$(cd "$here/../.." && pwd)
objs=$(dirname "${KERNEL_AFTERBURNT:?}")
seg=$(mktemp -d) || exit 99
trap 'rm -rf "$seg"' EXIT INT TERM

# kernel.ld, plus a 'percpu' segment at virtual 0, loaded after .bss.
sed -e 's|^\tnote PT_NOTE FLAGS(4);|&\n\tpercpu PT_LOAD FLAGS(6);|' \
    -e 's|^\tend = \.;|\t.percpu 0 : AT(LOADADDR(.bss) + SIZEOF(.bss)) { *(.percpu) } :percpu\n\t. = KERNEL_BASE + LOADADDR(.percpu) + SIZEOF(.percpu);\n\t. = ALIGN(4096);\n&|' \
	"$top/testcases/kernel/x86_64/kernel.ld" >"$seg/kernel.ld"
printf '\t.section .percpu, "aw"\n\t.quad 0x1234, 0x5678\n' >"$seg/percpu.s"
as --64 -o "$seg/percpu.o" "$seg/percpu.s" || exit 99
${LD:-ld} -nostdlib -static -z max-page-size=4096 -z noexecstack --build-id=none \
	-T "$seg/kernel.ld" -o "$seg/kernel.elf" "$objs"/*.o "$seg/percpu.o" || exit 99
readelf -lW "$seg/kernel.elf" | awk '$1 == "LOAD"' >"$seg/loads"
cat "$seg/loads"
awk '{ print $3 == "0x0000000000000000" }' "$seg/loads" | grep -q 1 || {
	echo "ERROR: the relinked kernel has no segment at virtual 0" >&2; exit 99; }

KERNEL_AFTERBURNT=$seg/kernel.elf MODE=patched sh "$here/boot-common.sh"
