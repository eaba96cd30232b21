#!/bin/sh
# Data in code (doc/notes.md, "Data in code"): tables that data
# directives write into .text are recorded as data, so the audit and
# afterburn-sites --verify never decode them as instructions, strict mode
# builds such code, and a sensitive instruction written as a lone .byte
# is still reported.
. "$(dirname "$0")/common.sh"

input=$here/data-in-code/input.s
obj=$work/gdt.o

# Strict mode builds it, with no message.
"$AFTERBURN_AS" --32 --afterburn-audit=strict -o "$obj" "$input" 2>"$work/err" ||
	fail "strict build of a GDT in .text failed: $(cat "$work/err")"
[ -s "$work/err" ] && fail "afterburn-as printed: $(cat "$work/err")"
"$AFTERBURN_SITES" --verify "$obj" >"$work/out" || fail "--verify: $(cat "$work/out")"
grep -q '5 sites, 5 sensitive instructions, 0 problems.*bytes of data in code' "$work/out" ||
	fail "--verify summary: $(cat "$work/out")"

# The same bytes assembled by plain as decode as sensitive instructions:
# the test means something.
"$AS" --32 -o "$work/plain.o" "$input" || fail "as"
"$AFTERBURN_SITES" --verify -q "$work/plain.o" | grep -q 'missed: far_call' ||
	fail "the GDT does not look like code to objdump"

# Linked, the data ranges still hold.
ld -m elf_i386 -e start -Ttext 0x100000 -o "$work/gdt.elf" "$obj" || fail "ld"
"$AFTERBURN_SITES" --verify "$work/gdt.elf" >"$work/out" ||
	fail "--verify of the linked image: $(cat "$work/out")"

# A sensitive instruction written as a lone .byte is not data.
printf '\t.text\n\tnop\n\t.byte 0xfa\n\t.long 0xfafafafa\n\tret\n' >"$work/byte.s"
"$AFTERBURN_AS" --afterburn-audit=warn -o "$work/byte.o" "$work/byte.s" 2>"$work/err" ||
	fail "afterburn-as byte.s"
grep -q 'cli not a site' "$work/err" || fail ".byte 0xfa not reported: $(cat "$work/err")"
[ "$(grep -c 'not a site' "$work/err")" -eq 1 ] || fail ".long reported: $(cat "$work/err")"

[ "$failures" -eq 0 ] || exit 1
echo "ok: data in code"
