#!/bin/sh
# The afterburnt test kernel patched offline with the "native" wedge (every
# patched site calls a thunk that runs the original instruction) boots
# under QEMU and passes every self-test: site decoding, patching, the RIP
# fix-up and register/flag preservation on real CPU semantics.
# First the patcher's refusals: each must fail with a clear message and
# leave no output file.
set -u
kernel=${KERNEL_AFTERBURNT:?set by make check}
patch=${AFTERBURN_PATCH:-${top_builddir:-.}/afterburn-patch}
sites=${AFTERBURN_SITES:-afterburn-sites}
# The wedge area of doc/guest-contract.md ("Offline patching"): physical
# 0x90000-0x9efff, at KERNEL_BASE + 0x90000 in the direct map.
area=$(cat "$(dirname "$0")/native-area")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/metal-native.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
out=$tmp/kernel-native.elf

fail() {
	echo "FAIL: metal-native.sh: $*" >&2
	exit 1
}

# expect_error WHAT PATTERN ARGS...: afterburn-patch fails, says PATTERN,
# and writes nothing into $tmp/err.elf.
expect_error() {
	what=$1 pattern=$2
	shift 2
	"$patch" "$@" >"$tmp/stdout" 2>"$tmp/stderr" && fail "$what: succeeded"
	grep -q -- "$pattern" "$tmp/stderr" ||
		fail "$what: message '$(cat "$tmp/stderr")' lacks '$pattern'"
	[ ! -e "$tmp/err.elf" ] || fail "$what: left an output file"
	ls "$tmp" | grep -q '\.tmp-' && fail "$what: left a temporary file"
	echo "ok: $what: $(head -n 1 "$tmp/stderr")"
}

printf 'not an ELF file\n' >"$tmp/text"
expect_error "non-ELF input" "not an ELF file" \
	"$tmp/text" -o "$tmp/err.elf" --wedge=native --area=$area
expect_error "missing input" "No such file" \
	"$tmp/none.elf" -o "$tmp/err.elf" --wedge=native --area=$area
expect_error "unknown wedge" "no wedge called 'nosuch'" \
	"$kernel" -o "$tmp/err.elf" --wedge=nosuch --area=$area
expect_error "no wedge" "no wedge: give --wedge" \
	"$kernel" -o "$tmp/err.elf" --area=$area
expect_error "area the kernel does not map" "does not map it executable" \
	"$kernel" -o "$tmp/err.elf" --wedge=native --area=0x100000080000,0x80000,0x1000
expect_error "area at another offset" "does not map it executable" \
	"$kernel" -o "$tmp/err.elf" --wedge=native --area=0x200000090000,0x90000,0xf000
expect_error "area too small" "is full, make it larger" \
	"$kernel" -o "$tmp/err.elf" --wedge=native --area=0x100000090000,0x90000,0x40
expect_error "corrupt area" "bad --area" \
	"$kernel" -o "$tmp/err.elf" --wedge=native --area=0x100000090000,0x90000
expect_error "area over the kernel" "overlaps PT_LOAD" \
	"$kernel" -o "$tmp/err.elf" --wedge=native --area=0x100000100000,0x100000,0x1000
expect_error "unaligned area" "not page" \
	"$kernel" -o "$tmp/err.elf" --wedge=native --area=0x100000090010,0x90010,0xf000
head -c 4096 "$kernel" >"$tmp/short.elf"
expect_error "truncated image" "past the end of the file\|corrupt" \
	"$tmp/short.elf" -o "$tmp/err.elf" --wedge=native --area=$area

cp "$kernel" "$tmp/before.elf"
"$patch" "$kernel" -o "$out" --wedge=native --area=$area --stats >"$tmp/stats" ||
	fail "afterburn-patch failed"
cat "$tmp/stats"
cmp -s "$kernel" "$tmp/before.elf" || fail "afterburn-patch changed its input"
# No --area: the area the kernel declares (its Afterburn area note).
"$patch" "$kernel" -o "$tmp/default.elf" --wedge=native ||
	fail "afterburn-patch without --area failed"
cmp -s "$out" "$tmp/default.elf" || fail "the default area is not the declared one"
echo "ok: the default area is the one the kernel declares"
expect_error "patching twice" "patched already" \
	"$out" -o "$tmp/err.elf" --wedge=native --area=$area

# The notes survive: the same sites at the same addresses.
"$sites" "$kernel" | awk 'NR > 1 { print $1, $3 }' >"$tmp/sites.before"
"$sites" "$out" | awk 'NR > 1 { print $1, $3 }' >"$tmp/sites.after" ||
	fail "afterburn-sites cannot read the patched image"
[ -s "$tmp/sites.before" ] || fail "$kernel has no sites"
cmp -s "$tmp/sites.before" "$tmp/sites.after" ||
	fail "afterburn-sites lists other sites in the patched image"

# Many kinds patched, and nothing unaccounted for.
kinds=$(awk '$1 != "KIND" && $1 != "total" && $1 != "wedge" && $2 > 0' "$tmp/stats" | wc -l)
[ "$kinds" -ge 12 ] || fail "only $kinds kinds patched"
total=$(awk '$1 == "total" { print $2 + $3 }' "$tmp/stats")
[ "$total" -eq "$(wc -l <"$tmp/sites.before")" ] ||
	fail "stats count $total sites, afterburn-sites lists $(wc -l <"$tmp/sites.before")"
readelf -lW "$out" | grep -q 'LOAD .* 0x0000100000090000 0x0000000000090000 .* R E' ||
	fail "no R+X PT_LOAD for the wedge area"
readelf -SW "$out" | grep -q '\.afterburn\.wedge' || fail "no .afterburn.wedge section"
echo "ok: $kinds kinds patched, $total sites"

# The porting template builds, is registered, and patches its one kind.
"$patch" "$kernel" -o "$tmp/kernel-template.elf" --wedge=template --area=$area \
	--stats >"$tmp/stats.template" || fail "afterburn-patch --wedge=template failed"
awk '$1 == "cpuid" && $2 > 0 { c = $2 } $1 == "total" { t = $2 }
     END { exit !(c > 0 && c == t) }' "$tmp/stats.template" ||
	fail "--wedge=template did not patch exactly the cpuid sites"
echo "ok: --wedge=template patched $(awk '$1 == "cpuid" { print $2 }' "$tmp/stats.template") cpuid sites"

# not exec: the EXIT trap removes $tmp
sh "$(dirname "$0")/boot-qemu.sh" "$out"
