#!/bin/sh
# afterburn-sites: options, listing, --stats, and clear errors for files
# that cannot be read.
. "$(dirname "$0")/lib.sh"

tab=$(printf '\t')

assemble clean
assemble sections
assemble plain
assemble corrupt

# Help, version, bad usage.
run 0 "--help" --help && expect "$tmp/out" "--help" '^Usage: .*FILE'
expect "$tmp/out" "--help lists --verify" '--verify'
run 0 "--version" --version && expect "$tmp/out" "--version" '^afterburn-sites .*[0-9]+\.[0-9]+'
run 2 "no FILE" && expect "$tmp/err" "no FILE" 'no FILE'
run 2 "unknown option" --frobnicate "$tmp/clean.o" &&
	expect "$tmp/err" "unknown option" "unknown option '--frobnicate'"
run 2 "unknown short option" -X "$tmp/clean.o" &&
	expect "$tmp/err" "unknown short option" "unknown option '-X'"
run 2 "missing argument" "$tmp/clean.o" --format &&
	expect "$tmp/err" "missing argument" 'needs an argument'
run 2 "bad format" --format=xml "$tmp/clean.o" &&
	expect "$tmp/err" "bad format" "unknown format 'xml'"
run 2 "--stats with --verify" --stats --verify "$tmp/clean.o" &&
	expect "$tmp/err" "--stats with --verify" 'cannot be combined'
run 2 "unknown kind" --verify --enable=cli,nosuch "$tmp/clean.o" &&
	expect "$tmp/err" "unknown kind" "unknown kind 'nosuch'"

# Files that are not (good) ELF: an error naming the file, status 2.
run 2 "missing file" "$tmp/nonexistent.o" &&
	expect "$tmp/err" "missing file" 'nonexistent\.o'
echo "not an ELF file" >"$tmp/text.o"
run 2 "non-ELF file" "$tmp/text.o" && expect "$tmp/err" "non-ELF file" 'text\.o'
head -c 200 "$tmp/clean.o" >"$tmp/truncated.o"
run 2 "truncated file" "$tmp/truncated.o" &&
	expect "$tmp/err" "truncated file" 'truncated\.o'
run 2 "corrupt note" "$tmp/corrupt.o" &&
	expect "$tmp/err" "corrupt note" 'corrupt\.o.*\.note\.afterburn\.text'
run 2 "corrupt note, --verify" --verify "$tmp/corrupt.o"
run 2 "one bad file of two" "$tmp/clean.o" "$tmp/nonexistent.o"
expect "$tmp/out" "one bad file of two: the good one is listed" 'cli'

# The table.
run 0 "list" "$tmp/clean.o"
expect "$tmp/out" "list: header" '^ADDRESS +LEN +KIND +SECTION +INSN +MODE +BYTES$'
expect "$tmp/out" "list: cli" '^0x0 +7 +cli +\.text +1 +64 +fa$'
expect "$tmp/out" "list: mov_cr" '^0x[0-9a-f]+ +5 +mov_cr +\.text +3 +64 +0f 20 e0$'
expect "$tmp/out" "list: rep insb" '^0x[0-9a-f]+ +5 +ins +\.text +2 +64 +f3 6c$'
test "$(grep -c '^0x' "$tmp/out")" -eq 17 || fail "list: 17 sites expected"

# TSV: address, len, kind, section first.
run 0 "tsv" --format=tsv "$tmp/clean.o"
expect "$tmp/out" "tsv: header" "^#address${tab}len${tab}kind${tab}section${tab}insn_len${tab}mode"
expect "$tmp/out" "tsv: cli" "^0x0${tab}7${tab}cli${tab}\\.text${tab}1${tab}64${tab}fa\$"
test "$(grep -c -v '^#' "$tmp/out")" -eq 17 || fail "tsv: 17 sites expected"

# Several files: the file is named.
run 0 "tsv, two files" -f tsv "$tmp/clean.o" "$tmp/sections.o"
expect "$tmp/out" "tsv, two files: header" "${tab}file\$"
expect "$tmp/out" "tsv, two files: file column" "${tab}sti${tab}\\.init\\.text${tab}.*${tab}$tmp/sections\\.o\$"
test "$(grep -c '^#' "$tmp/out")" -eq 1 || fail "tsv, two files: one header"
run 0 "table, two files" "$tmp/clean.o" "$tmp/sections.o"
expect "$tmp/out" "table, two files" "^$tmp/sections\\.o:\$"

# No notes: no sites, no error.
run 0 "no notes" "$tmp/plain.o" &&
	expect "$tmp/out" "no notes" '^no sites \(no Afterburn notes: not built with afterburn-as\)$'
assemble marker
run 0 "notes, no sites" "$tmp/marker.o" && expect "$tmp/out" "notes, no sites" '^no sites$'

# --stats.
run 0 "stats" --stats "$tmp/sections.o"
expect "$tmp/out" "stats: cli" '^cli +1$'
expect "$tmp/out" "stats: total" '^total +3$'
expect "$tmp/out" "stats: section" '^\.init\.text +2$'
run 0 "stats tsv" -s --format=tsv "$tmp/sections.o"
expect "$tmp/out" "stats tsv: header" "^#scope${tab}name${tab}sites\$"
expect "$tmp/out" "stats tsv: kind" "^kind${tab}hlt${tab}1\$"
expect "$tmp/out" "stats tsv: section" "^section${tab}\\.text${tab}1\$"
expect "$tmp/out" "stats tsv: total" "^total${tab}-${tab}3\$"

finish
