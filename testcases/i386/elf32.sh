#!/bin/sh
# SPDX-License-Identifier: MIT
# ELF32 end to end (issue 13): the tiny i386 guest (guest.s, guest.ld:
# Linux i386's layout, 0xc0000000 above its physical addresses, a PVH
# note) assembled by afterburn-as --32 in strict audit mode and linked:
#
#   1. afterburn-sites lists and verifies the ELF32 image; readelf shows a
#      note per site;
#   2. corrupt ELF32 notes (an unknown kind, a version, a descriptor size,
#      a site outside the code, a cut inside the notes) are refused by
#      afterburn-sites and afterburn-patch with the reason, and
#      afterburn-patch writes nothing;
#   3. afterburn-patch --wedge=native patches every site with a 32-bit
#      thunk (the original instruction and a jmp back to the site's end);
#   4. it refuses an area such a kernel does not map executable (not at
#      the kernel's virtual-physical offset, or outside the low memory it
#      keeps) with a message that says so;
#   5. on metal (qemu-system-i386, PVH entry) the guest runs its sites and
#      ends with status 0x10, as built and patched;
#   6. gcc -m32 through the gcc -B directory assembles C with afterburn-as
#      --32: inline asm and a builtin become 32-bit sites, the audit strict.
set -u
: "${top_srcdir:=$(dirname "$0")/../..}" "${top_builddir:=.}"
as=${AFTERBURN_AS:-$top_builddir/afterburn/afterburn-as}
sites=${AFTERBURN_SITES:-$top_builddir/afterburn-sites}
patch=${AFTERBURN_PATCH:-$top_builddir/afterburn-patch}
qemu=${QEMU_I386:-qemu-system-i386}
here=$top_srcdir/testcases/i386
area=0xc0090000,0x90000,0x1000
tmp=$(mktemp -d "${TMPDIR:-/tmp}/afb-elf32.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: elf32.sh: $*"
	failures=$((failures + 1))
}
pass() {
	echo "ok: $*"
}

command -v "$qemu" >/dev/null ||
	{ echo "ERROR: no $qemu: install qemu-system-x86 (scripts/setup)"; exit 99; }
"$as" --32 --afterburn-audit=strict -o "$tmp/guest.o" "$here/guest.s" &&
	ld -m elf_i386 -T "$here/guest.ld" -o "$tmp/guest.elf" "$tmp/guest.o" ||
	{ echo "ERROR: building the guest failed"; exit 99; }
guest=$tmp/guest.elf

## 1. Listing, verifying, the notes.

"$sites" --verify "$guest" >"$tmp/out" 2>&1 &&
	grep -q '14 sites, 14 sensitive instructions, 0 problems' "$tmp/out" ||
	fail "verify: $(cat "$tmp/out")"
n32=$("$sites" --format=tsv "$guest" | awk -F'\t' 'NR > 1 && $6 == 32' | wc -l)
[ "$n32" -eq 14 ] || fail "list: $n32 of 14 sites in 32-bit code"
nn=$(readelf -n -W "$guest" | awk '$1 == "Afterburn" && $3 == "NT_VERSION"' | wc -l)
[ "$nn" -eq 14 ] || fail "readelf shows $nn site notes, not 14"
[ "$failures" -eq 0 ] && pass "ELF32 image listed and verified, 14 site notes"

## 2. Corrupt notes.

# The file offset of the first site note (type 1) of owner Afterburn.
first_site=
for name in $(LC_ALL=C grep -obUa 'Afterburn' "$guest" | cut -d: -f1); do
	type=$(od -An -t u4 -j $((name - 4)) -N 4 "$guest" | tr -d ' ')
	[ "$type" = 1 ] && { first_site=$((name - 12)); break; }
done
[ -n "$first_site" ] || { echo "ERROR: no site note found in $guest"; exit 99; }

# corrupt NAME OFFSET BYTES: a copy of the guest with BYTES (octal escapes
# for printf) at OFFSET from the first site note.
corrupt() {
	cp "$guest" "$tmp/$1.elf"
	# shellcheck disable=SC2059 # the bytes are printf escapes
	printf "$3" | dd of="$tmp/$1.elf" bs=1 seek=$((first_site + $2)) conv=notrunc 2>/dev/null
}
# refused NAME STATUS REASON: afterburn-sites --verify exits STATUS (2: it
# cannot read the image, 1: a site is wrong) and afterburn-patch 1, both
# naming REASON; nothing is written, the input stays as it was.
refused() {
	sum=$(cksum <"$tmp/$1.elf")
	"$sites" --verify "$tmp/$1.elf" >"$tmp/out" 2>&1
	st=$?
	{ [ $st -eq "$2" ] && grep -q -- "$3" "$tmp/out"; } ||
		fail "$1: afterburn-sites exit $st, want $2 and '$3': $(cat "$tmp/out")"
	rm -f "$tmp/patched.elf"
	"$patch" "$tmp/$1.elf" -o "$tmp/patched.elf" --wedge=native --area=$area >"$tmp/out" 2>&1
	st=$?
	{ [ $st -eq 1 ] && grep -q -- "$3" "$tmp/out"; } ||
		fail "$1: afterburn-patch exit $st, want 1 and '$3': $(cat "$tmp/out")"
	! ls "$tmp"/patched.elf* >/dev/null 2>&1 || fail "$1: afterburn-patch wrote an output"
	[ "$(cksum <"$tmp/$1.elf")" = "$sum" ] || fail "$1: the input changed"
	pass "$1: refused ($3)"
}
# desc at +24: site(4) version kind len insn_len mode flags reserved(2)
corrupt kind 29 '\356'
refused kind 2 "bad Afterburn note: unknown kind 238"
corrupt version 28 '\011'
refused version 2 "bad Afterburn note: version 9"
corrupt descsz 4 '\010'
refused descsz 2 "descriptor of type 1 is 8 bytes, not 12"
corrupt mode 32 '\030'
refused mode 2 "mode 24 is not 16, 32 or 64"
# The site field (PC-relative) moved by 0x10000 bytes: out of every section.
corrupt outside 26 '\001'
refused outside 1 "section (none) is not executable code\\|cli site: it is not inside any section"
head -c $((first_site + 20)) "$guest" >"$tmp/cut.elf"
refused cut 2 "truncated or corrupt image"

## 3. Patched with the native wedge: 32-bit thunks.

if "$patch" "$guest" -o "$tmp/native.elf" --wedge=native --area=$area --stats \
	>"$tmp/stats" 2>"$tmp/err"; then
	grep -q '^total *14 *0$' "$tmp/stats" || fail "native: $(cat "$tmp/stats")"
	# The first site (cli at pvh_start, 7 bytes) jumps to the first thunk:
	# cli, then jmp back to pvh_start+7, decoded as i386 code.
	objdump -d -m i386 -j .afterburn.wedge "$tmp/native.elf" |
		awk -F'\t' 'NF > 2 { print $3 }' | head -n 2 | tr -s ' ' >"$tmp/thunk"
	printf 'cli\njmp c1000007 <pvh_start+0x7>\n' | diff -u - "$tmp/thunk" ||
		fail "native: the first thunk is not cli; jmp back"
	objdump -d "$tmp/native.elf" --start-address=0xc1000000 --stop-address=0xc1000005 |
		grep -q 'jmp *c0090000' || fail "native: the cli site does not jump to its thunk"
	pass "native: 14 sites patched, 32-bit thunks"
else
	fail "native: $(cat "$tmp/err")"
fi

## 4. Areas the guest's layout does not map executable.

bad_area() {	# AREA REASON
	rm -f "$tmp/patched.elf"
	"$patch" "$guest" -o "$tmp/patched.elf" --wedge=native --area="$1" >"$tmp/out" 2>&1
	st=$?
	{ [ $st -eq 1 ] && grep -q "$2" "$tmp/out"; } ||
		fail "area $1: exit $st, want 1 and '$2': $(cat "$tmp/out")"
	[ ! -e "$tmp/patched.elf" ] || fail "area $1: an output was written"
	pass "area $1 refused: $2"
}
bad_area 0x90000,0x90000,0x1000 "linked 0xc0000000 above its physical addresses.*not at that offset"
bad_area 0xd0000000,0x10000000,0x1000 "outside the low memory it keeps"
bad_area 0xc009f000,0x9f000,0x2000 "outside the low memory it keeps"
bad_area 0xc0000000,0x0,0x1000 "outside the low memory it keeps"

## 5. Metal: as built and patched.

boot() {	# NAME IMAGE
	timeout 60 "$qemu" -m 64 -display none -monitor none -no-reboot \
		-serial "file:$tmp/$1.out" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$2" </dev/null >"$tmp/$1.err" 2>&1
	st=$?
	# isa-debug-exit: QEMU exits with (0x10 << 1) | 1 = 33.
	if [ $st -eq 33 ] && grep -q '^afterburn-i386: sites ran' "$tmp/$1.out"; then
		pass "metal $1: the guest ran its sites and ended with status 0x10"
	else
		fail "metal $1: QEMU exit $st (want 33): $(cat "$tmp/$1.out" "$tmp/$1.err")"
	fi
}
boot plain "$guest"
[ ! -f "$tmp/native.elf" ] || boot native "$tmp/native.elf"

## 6. gcc -m32 -B.

cat >"$tmp/c32.c" <<'EOC'
unsigned long f(unsigned long x)
{
	unsigned long fl;

	asm volatile("cli; pushfl; popl %0" : "=r"(fl));
	return fl + __builtin_ia32_rdtsc() + x;
}
EOC
if AFTERBURN_AS_FLAGS=--afterburn-audit=strict gcc -m32 -O2 -ffreestanding \
	-B"$top_builddir/afterburn/bin/" -c "$tmp/c32.c" -o "$tmp/c32.o" 2>"$tmp/err"; then
	"$sites" --format=tsv "$tmp/c32.o" | awk -F'\t' 'NR > 1 { print $3, $6 }' >"$tmp/c32"
	printf 'cli 32\npushf 32\nrdtsc 32\n' | diff -u - "$tmp/c32" ||
		fail "gcc -m32: not the sites of the inline asm and the builtin"
	pass "gcc -m32 -B: 32-bit sites from C"
else
	fail "gcc -m32 -B$top_builddir/afterburn/bin/: $(cat "$tmp/err")"
fi

[ "$failures" -eq 0 ] || exit 1
echo "PASS: elf32.sh"
