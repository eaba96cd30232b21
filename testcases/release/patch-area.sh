#!/bin/sh
# afterburn-patch and the wedge area of an image that declares none: a
# kernel linked in the top 2 GiB (Linux's layout maps executable only its
# own text) is refused with a message that names the problem; another
# image is patched with a warning; without --area the native wedge asks
# for one.  (The test kernel, which declares its area: metal-native.sh.)
set -u
: "${top_builddir:=.}"
as=${AFTERBURN_AS:-$top_builddir/afterburn/afterburn-as}
patch=${AFTERBURN_PATCH:-$top_builddir/afterburn-patch}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/afb-patch-area.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: patch-area.sh: $*"
	failures=$((failures + 1))
}

printf '\t.text\n\t.globl _start\n_start:\n\tcli\n\tcpuid\n\tsti\n\thlt\n' >"$tmp/k.s"
"$as" -o "$tmp/k.o" "$tmp/k.s" || { echo "FAIL: afterburn-as"; exit 1; }
ld -Ttext 0xffffffff81000000 -e _start -o "$tmp/top.elf" "$tmp/k.o" || { echo "FAIL: ld"; exit 1; }
ld -Ttext 0x200000 -e _start -o "$tmp/low.elf" "$tmp/k.o" || { echo "FAIL: ld"; exit 1; }

"$patch" "$tmp/top.elf" -o "$tmp/out.elf" --wedge=native \
	--area=0xffffffff80090000,0x90000,0xf000 2>"$tmp/err"
[ $? -eq 1 ] || fail "an area for a top-2-GiB kernel was not refused"
grep -q "linked in the top 2 GiB and declares no wedge area" "$tmp/err" ||
	fail "refusal does not name the problem: $(cat "$tmp/err")"
[ ! -e "$tmp/out.elf" ] || fail "a refused image left an output file"

"$patch" "$tmp/low.elf" -o "$tmp/out.elf" --wedge=native 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "give it a wedge area with --area" "$tmp/err" ||
	fail "no --area, nothing declared: $(cat "$tmp/err")"

"$patch" "$tmp/low.elf" -o "$tmp/out.elf" --wedge=native \
	--area=0x100000,0x100000,0x1000 2>"$tmp/err" || fail "low image: $(cat "$tmp/err")"
grep -q "warning: .*declares no wedge area" "$tmp/err" || fail "no warning: $(cat "$tmp/err")"

[ "$failures" -eq 0 ] || exit 1
echo "ok: afterburn-patch refuses an area the image cannot map"
