#!/bin/sh
# afterburn-sites --verify: misses, mismatches, mode notes, linked images
# and a missing objdump, on hand-written fixtures (fixtures/*.s).
. "$(dirname "$0")/lib.sh"

tab=$(printf '\t')

for f in clean missed mismatch placement code32 sections plain; do
	assemble $f
done
cp "$tmp/code32.o" "$tmp/code32-ok.o"
assemble code32 --defsym NOMODE=1
mv "$tmp/code32.o" "$tmp/nomode.o"
mv "$tmp/code32-ok.o" "$tmp/code32.o"

# A clean object.
run 0 "clean" --verify "$tmp/clean.o" &&
	expect "$tmp/out" "clean: summary" \
		'clean\.o: 17 sites, 17 sensitive instructions, 0 problems'
reject "$tmp/out" "clean: look-alikes are not sensitive" ': (missed|mismatch|off):'
run 0 "no notes, nothing sensitive" --verify "$tmp/plain.o"

# Misses: section, offset, kind and disassembly; prefixes and .byte.
run 1 "missed" --verify "$tmp/missed.o"
expect "$tmp/out" "missed: cli" 'missed\.o: \.text\+0x8: missed: cli: cli$'
expect "$tmp/out" "missed: .byte swapgs" '\.text\+0x9: missed: swapgs: swapgs$'
expect "$tmp/out" "missed: after a prefix" '\.text\+0xc: missed: ins: rep insb'
reject "$tmp/out" "missed: verw is off, counted, not listed" ': off:'
expect "$tmp/out" "missed: verw counted" '1 not expected to be site: verw 1$'
expect "$tmp/out" "missed: summary" '1 site, 5 sensitive instructions, 3 problems'
reject "$tmp/out" "missed: the site is fine" '\.text\+0x0:'
run 1 "missed, tsv" --verify --format=tsv "$tmp/missed.o"
expect "$tmp/out" "missed, tsv: header" "^#type${tab}section${tab}offset${tab}kind${tab}detail\$"
expect "$tmp/out" "missed, tsv: cli" "^missed${tab}\\.text${tab}0x8${tab}cli${tab}cli\$"
expect "$tmp/out" "missed, tsv: off counted" "^off-count${tab}-${tab}-${tab}verw${tab}1\$"
reject "$tmp/out" "missed, tsv: no summary" 'problems'
run 1 "missed, --verbose" --verify --verbose "$tmp/missed.o" &&
	expect "$tmp/out" "--verbose lists off" '\.text\+0xe: off: verw: verw \(%rax\)$'
run 1 "--enable=verw" --verify --enable=verw "$tmp/missed.o" &&
	expect "$tmp/out" "--enable=verw" 'missed: verw: verw'
run 1 "--disable=cli" --verify -d cli "$tmp/missed.o" &&
	expect "$tmp/out" "--disable=cli" 'not expected to be sites: cli 1, verw 1$'
run 0 "--disable=all" --verify --disable=all "$tmp/missed.o"
run 1 "--quiet" --verify -q "$tmp/missed.o" &&
	reject "$tmp/out" "--quiet" 'problems|not expected|off'
run 1 "--quiet, tsv" --verify -q -f tsv "$tmp/missed.o" &&
	reject "$tmp/out" "--quiet, tsv" '^off'

# Many sensitive instructions of a kind that is off (a kernel's linker
# fill is int3): counted in one summary line, never one line each.
printf '\t.text\n\t.fill 5000, 1, 0xcc\n\tret\n' > "$tmp/fill.s"
"$AS" -o "$tmp/fill.o" "$tmp/fill.s" || fail "as fill.s"
run 0 "int3 fill" --verify "$tmp/fill.o" &&
	expect "$tmp/out" "int3 fill: counted" 'not expected to be sites: int3 5000$'
test "$(wc -l < "$tmp/out")" -eq 1 || fail "int3 fill: one line, not $(wc -l < "$tmp/out")"
run 0 "int3 fill, -q" --verify -q "$tmp/fill.o" &&
	test ! -s "$tmp/out" || fail "int3 fill, -q: prints nothing"

run 1 "missed in another section" --verify "$tmp/sections.o" &&
	expect "$tmp/out" "missed in another section" '\.noinstr\.text\+0x2: missed: rdmsr: rdmsr$'

# Mismatches: every bad site is reported, not just the first.
run 1 "mismatch" --verify "$tmp/mismatch.o"
expect "$tmp/out" "mismatch: kind" '\.text\+0x0: mismatch: sti: bytes fa decode to cli$'
expect "$tmp/out" "mismatch: second kind" '\.text\+0xe: mismatch: pushf: bytes 0f a2 decode to cpuid$'
expect "$tmp/out" "mismatch: padding" '\.text\+0x13: mismatch: cli: padding at \+1 is .*not a nop'
expect "$tmp/out" "mismatch: insn_len" '\.text\+0x1a: mismatch: wrmsr: .*insn_len 1'
reject "$tmp/out" "mismatch: the good site" '\.text\+0x7:'
expect "$tmp/out" "mismatch: summary" '5 sites, .* 4 problems \(0 missed, 4 mismatched\)'
run 1 "mismatch, tsv" --verify --format=tsv "$tmp/mismatch.o" &&
	expect "$tmp/out" "mismatch, tsv" "^mismatch${tab}\\.text${tab}0x0${tab}sti${tab}bytes fa decode to cli\$"

# Sites in the wrong place.
run 1 "placement" --verify "$tmp/placement.o"
expect "$tmp/out" "placement: two notes" '\.text\+0x0: mismatch: cli: overlaps the site at \.text\+0x0$'
expect "$tmp/out" "placement: data" '\.data\+0x0: mismatch: sti: section \.data is not executable code$'
expect "$tmp/out" "placement: summary" '3 sites, 1 sensitive instruction, 2 problems'

# .code32 and .code16 parts of a 64-bit object, with mode notes.
run 0 "mode notes" --verify "$tmp/code32.o" &&
	expect "$tmp/out" "mode notes" '9 sites, 9 sensitive instructions, 0 problems'
run 1 "no mode notes" --verify "$tmp/nomode.o" &&
	expect "$tmp/out" "no mode notes" 'push_seg: recorded as 32-bit code, but the mode notes make it 64-bit'

# An ELFCLASS32 object: 32-bit by default.
if "$AS" --32 -I "$fixtures" -o "$tmp/i386.o" "$fixtures/i386.s" 2>/dev/null &&
   "$AS" --32 --defsym MISSED=1 -I "$fixtures" -o "$tmp/i386-missed.o" \
	"$fixtures/i386.s" 2>/dev/null; then
	run 0 "i386" --verify "$tmp/i386.o"
	run 1 "i386, missed" --verify "$tmp/i386-missed.o" &&
		expect "$tmp/out" "i386, missed" 'missed: pop_seg: pop +%es$'
else
	echo "skip: this as cannot assemble --32"
fi

# Linked images: addresses are virtual, offsets are section offsets.
if command -v "$LD" >/dev/null 2>&1; then
	"$LD" -o "$tmp/clean" "$tmp/clean.o" &&
	"$LD" -o "$tmp/missed" "$tmp/missed.o" &&
	"$LD" -o "$tmp/code32" "$tmp/code32.o" || fail "ld"
	run 0 "linked" --verify "$tmp/clean"
	run 0 "linked, mode notes" --verify "$tmp/code32"
	run 1 "linked, missed" --verify "$tmp/missed" &&
		expect "$tmp/out" "linked, missed" '\.text\+0x8 \[0x[0-9a-f]+\]: missed: cli: cli$'
	run 1 "linked, missed, tsv" --verify -f tsv "$tmp/missed" &&
		expect "$tmp/out" "linked, missed, tsv" "^missed${tab}\\.text${tab}0x8${tab}cli${tab}cli\$"
	run 0 "linked, list" "$tmp/clean" &&
		expect "$tmp/out" "linked, list" '^0x[0-9a-f]{4,} +7 +cli +\.text'
else
	echo "skip: no $LD for the linked-image checks"
fi

# Several files: each is checked, the worst status wins.
run 1 "two files" --verify "$tmp/clean.o" "$tmp/missed.o"
expect "$tmp/out" "two files: both summaries" 'clean\.o: 17 sites'
expect "$tmp/out" "two files: both summaries" 'missed\.o: 1 site,'
run 1 "two files, tsv" --verify -f tsv "$tmp/clean.o" "$tmp/missed.o" &&
	expect "$tmp/out" "two files, tsv" "^missed${tab}.*${tab}$tmp/missed\\.o\$"

# objdump is missing or fails: an error that says how to fix it.
AFTERBURN_OBJDUMP=$tmp/no-such-objdump run 2 "no objdump" --verify "$tmp/clean.o" &&
	expect "$tmp/err" "no objdump" 'binutils'
run 2 "objdump fails" --verify --objdump=false "$tmp/clean.o" &&
	expect "$tmp/err" "objdump fails" 'false failed'

finish
