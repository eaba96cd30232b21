#!/bin/sh
# Images that lie (issue 9, points 3 to 5), crafted at test time by
# mkimage (testcases/unit/craft.c): a .text whose section header names a
# copy elsewhere in the file, two overlapping executable sections with
# overlapping sites, two segments mapping the same sites' bytes, and
# images cut inside their program headers, a segment, the section headers
# or a section.  Listing, --verify and afterburn-patch must refuse each
# with the reason; the good image of the same shape passes.  Then the
# test kernel, cut one byte short and with a lying .text (mkimage
# --split), is refused by the afterburn-ptrace loader too.
. "$(dirname "$0")/lib.sh"

: "${AFTERBURN_PATCH:=$top_builddir/afterburn-patch}"
: "${AFTERBURN_PTRACE:=$top_builddir/afterburn-ptrace}"
: "${MKIMAGE:=$top_builddir/testcases/sites/mkimage}"
: "${top_srcdir:=$(dirname "$0")/../..}"

"$MKIMAGE" "$tmp" || { echo "ERROR: mkimage failed"; exit 99; }

# patch EXPECTED-STATUS DESCRIPTION IMAGE: afterburn-patch IMAGE into
# $tmp/patched; on failure, nothing may be written.
patch()
{
	rm -f "$tmp/patched"
	"$AFTERBURN_PATCH" "$3" -o "$tmp/patched" --wedge=native \
		--area=0x800000,0x800000,0x1000 >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ "$status" -ne "$1" ]; then
		fail "$2: afterburn-patch exit status $status, expected $1"
		sed 's/^/  err: /' "$tmp/err"
		return 1
	fi
	if [ "$1" -ne 0 ] && ls "$tmp"/patched* >/dev/null 2>&1; then
		fail "$2: afterburn-patch failed but wrote $(ls "$tmp"/patched*)"
		return 1
	fi
	pass "$2: afterburn-patch"
}

# The good image: listed, verified, patched.
run 0 "good: list" "$tmp/good" &&
	expect "$tmp/out" "good: list" '^0x400100 +7 +cli +\.text'
run 0 "good: verify" --verify "$tmp/good" &&
	expect "$tmp/out" "good: verify" '2 sites, 2 sensitive instructions, 0 problems'
patch 0 "good" "$tmp/good"

# Section and segment views disagree: .text's sh_offset names a copy at
# the end of the file; loaders map the original.
views='the section and segment views disagree'
for f in split split-hidden; do
	run 1 "$f: verify" --verify "$tmp/$f" &&
		expect "$tmp/out" "$f: verify" \
			"\\.text\\+0x0 \\[0x400100\\]: mismatch: -: $views: \\.text has its bytes at file offset 0x200, PT_LOAD segment 0 \\(what a loader maps\\) at 0x100"
	patch 1 "$f" "$tmp/$f" &&
		expect "$tmp/err" "$f: patch" \
			"$f: section \\.text, address 0x400100, cli site: $views"
done

# Overlapping sites in two overlapping executable sections: out $0xfa at
# .text+0x10, and its immediate byte as a cli site, filed under .alt.
run 1 "overlap: verify" --verify "$tmp/overlap" &&
	expect "$tmp/out" "overlap: verify" \
		'\.alt\+0x0 \[0x400111\]: mismatch: cli: overlaps the site at 0x400110 in section \.text$'
patch 1 "overlap" "$tmp/overlap" &&
	expect "$tmp/err" "overlap: patch" \
		'overlap: section \.alt, address 0x400111, cli site: it overlaps the out site at 0x400110 \(7 bytes\) in section \.text'

# Two PT_LOADs map the same file bytes at two addresses, each with its
# sites: the patched file could hold only one of the two patches.
run 1 "alias: verify" --verify "$tmp/alias" &&
	expect "$tmp/out" "alias: verify" \
		'mismatch: afb_image_validate: .*alias: section \.text2, address 0x600100, cli site: its bytes at file offset 0x100 overlap those of the cli site at 0x400100'
patch 1 "alias" "$tmp/alias" &&
	expect "$tmp/err" "alias: patch" \
		'alias: section \.text2, address 0x600100, cli site: its bytes at file offset 0x100 overlap those of the cli site at 0x400100 \(7 bytes\) in section \.text'

# Truncated images: refused with the reason by every reader.
cut_reason()
{
	case $1 in
	cut-phdrs) echo 'the program header table \(2 entries of 56 bytes at offset 0x40\) runs past the end of the file \(84 bytes\)' ;;
	cut-segment) echo 'segment 0 \(PT_LOAD, 0x188 bytes at file offset 0x0\) runs past the end of the file \(288 bytes\)' ;;
	cut-shdrs) echo 'the section header table \(4 entries of 64 bytes at offset 0x280\) runs past the end of the file' ;;
	cut-section) echo 'section \.comment \(0x10 bytes at file offset 0x3c0\) runs past the end of the file' ;;
	esac
}
for f in cut-phdrs cut-segment cut-shdrs cut-section; do
	why="$f: truncated or corrupt image: $(cut_reason $f)"
	run 2 "$f: list" "$tmp/$f" && expect "$tmp/err" "$f: list" "$why"
	run 2 "$f: verify" --verify "$tmp/$f" &&
		expect "$tmp/err" "$f: verify" "$why"
	patch 1 "$f" "$tmp/$f" && expect "$tmp/err" "$f: patch" "$why"
done

# The ptrace host's loader on the test kernel made to lie: cut one byte
# short (no whole section header table: it booted that before), and with
# .text's section header naming a copy at the end of the file.
# ptrace_refuses WHAT IMAGE PATTERN: patched and --no-patch alike, the host
# exits 1 and says PATTERN before the guest runs.
ptrace_refuses()
{
	for mode in "" --no-patch; do
		timeout 60 "$AFTERBURN_PTRACE" $mode "$2" \
			>"$tmp/out" 2>"$tmp/err" </dev/null
		status=$?
		if [ "$status" -ne 1 ]; then
			fail "ptrace ${mode:-patched}: $1: exit status $status, expected 1"
			sed 's/^/  err: /' "$tmp/err"
		elif expect "$tmp/err" "ptrace ${mode:-patched}: $1" "$3"; then
			pass "ptrace ${mode:-patched}: $1: refused"
		fi
	done
}
if [ -f "${KERNEL_AFTERBURNT:-}" ]; then
	size=$(wc -c <"$KERNEL_AFTERBURNT")
	head -c $((size - 1)) "$KERNEL_AFTERBURNT" >"$tmp/kernel-cut"
	ptrace_refuses "cut kernel" "$tmp/kernel-cut" \
		'kernel-cut: truncated or corrupt image: the section header table .* runs past the end of the file'
	"$MKIMAGE" --split "$KERNEL_AFTERBURNT" "$tmp/kernel-split" ||
		{ echo "ERROR: mkimage --split failed"; exit 99; }
	ptrace_refuses "split kernel" "$tmp/kernel-split" \
		"kernel-split: section \\.text, address 0x[0-9a-f]+, [a-z_]+ site: $views"
	run 1 "split kernel: verify" --verify "$tmp/kernel-split" &&
		expect "$tmp/out" "split kernel: verify" "mismatch: -: $views: \\.text has its bytes"
	area=$(cat "$top_srcdir/testcases/kernel/native-area")
	rm -f "$tmp/patched"
	"$AFTERBURN_PATCH" "$tmp/kernel-split" -o "$tmp/patched" --wedge=native \
		--area="$area" >"$tmp/out" 2>"$tmp/err"
	if [ $? -ne 1 ] || [ -e "$tmp/patched" ]; then
		fail "split kernel: afterburn-patch did not refuse it"
	elif expect "$tmp/err" "split kernel: patch" "$views"; then
		pass "split kernel: afterburn-patch refused it"
	fi
else
	fail "no afterburnt test kernel (KERNEL_AFTERBURNT=${KERNEL_AFTERBURNT:-})"
fi

finish
