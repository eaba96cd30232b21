#!/bin/sh
# Mode notes survive links as Linux does them: ld -r merges of objects and
# a linker script that gathers .head.text, .text and .noinstr.text into
# one output section.  An object whose section ends in .code32 must not
# turn the next object's code into 32-bit code (afterburn-as closes every
# such section with an end-of-section mode note): afterburn-sites --verify
# is clean on every object, every merge and every linked image.

. "$(dirname "$0")/common.sh"

src=$here/link
for f in head32 head-starts32 plain64 empty32; do
	"$AFTERBURN_AS" --afterburn-audit=strict -o "$work/$f.o" "$src/$f.s" ||
		fail "$f.s: afterburn-as failed"
done

# verify NAME FILE: --verify must be clean.
verify() {
	if ! "$AFTERBURN_SITES" --verify "$2" >"$work/out" 2>&1; then
		fail "$1: --verify is not clean:"; cat "$work/out" >&2
	fi
}

cd "$work" || exit 99
verify "head32.o" head32.o
verify "head-starts32.o" head-starts32.o
verify "plain64.o" plain64.o
verify "empty32.o" empty32.o
for set in "head32 plain64" "head32 head-starts32 plain64" \
	   "plain64 head32 head-starts32" "head-starts32 head32 plain64" \
	   "empty32 plain64"; do
	objs=$(for f in $set; do printf '%s.o ' "$f"; done)
	name=$(echo "$set" | tr ' ' '+')
	# shellcheck disable=SC2086
	ld -r -o "$name-r.o" $objs || fail "ld -r $objs failed"
	verify "ld -r $objs" "$name-r.o"
	# shellcheck disable=SC2086
	ld -T "$src/vmlinux.lds" -e 0x1000000 -o "$name" $objs ||
		fail "ld -T vmlinux.lds $objs failed"
	verify "linked $objs" "$name"
	ld -T "$src/vmlinux.lds" -e 0x1000000 -o "$name-of-r" "$name-r.o" ||
		fail "ld -T vmlinux.lds $name-r.o failed"
	verify "linked ld -r of $objs" "$name-of-r"
done

[ "$failures" -eq 0 ] || exit 1
exit 0
