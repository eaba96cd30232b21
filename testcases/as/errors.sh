#!/bin/sh
# afterburn-as as a drop-in: bad input gets as's own messages with the
# user's file and line, a failed strict audit removes the object, our own
# options are checked, and as's ways of being called keep working.

. "$(dirname "$0")/common.sh"

cd "$work" || exit 99
afb() { "$AFTERBURN_AS" "$@"; }

# expect_fail NAME PATTERN CMD...: CMD fails and its stderr matches PATTERN.
expect_fail() {
	name=$1 pattern=$2
	shift 2
	if "$@" >out.txt 2>err.txt; then
		fail "$name: succeeded"
	elif ! grep -q -e "$pattern" err.txt; then
		fail "$name: no '$pattern' in:"; cat err.txt >&2
	fi
}

# sites OBJECT: the kinds of its sites, one line.
sites() {
	"$AFTERBURN_SITES" --format=tsv "$1" | awk 'NR > 1 { printf "%s ", $3 }'
}

printf '\tcli\n\tnop\n\tbogus %%eax\n\tsti\n' >bad.s
expect_fail "malformed input" '^bad\.s:3: Error: no such instruction' afb -o bad.o bad.s
[ ! -e bad.o ] || fail "malformed input: bad.o left behind"
grep -q afb err.txt && fail "malformed input: a temporary file is named:" && cat err.txt >&2

printf '\tcli\n\t.byte 0xfa\n' >miss.s
expect_fail "strict audit" 'miss\.s: \.text+0x7: cli not a site: cli' \
	afb --afterburn-audit=strict -o miss.o miss.s
[ ! -e miss.o ] || fail "strict audit: miss.o left behind"
afb -o miss.o miss.s 2>err.txt || fail "warn audit: failed"
grep -q 'warning: miss\.s: \.text+0x7: cli not a site' err.txt || fail "warn audit: no warning"
AFTERBURN_AS_FLAGS=--afterburn-audit=strict expect_fail "strict audit from the environment" \
	'not a site' afb -o miss.o miss.s

printf '\tcli\n\trdmsr\n' >ok.s
expect_fail "unknown option" 'afterburn-frob' afb --afterburn-frob -o ok.o ok.s
expect_fail "unknown kind" "unknown instruction kind 'clix'" afb --afterburn-disable=clix -o ok.o ok.s
expect_fail "bad audit mode" 'off, warn or strict' afb --afterburn-audit=loud -o ok.o ok.s
AFTERBURN_AS_FLAGS=--afterburn-disable=cli afb --afterburn-audit=off -o ok.o ok.s &&
	[ "$(sites ok.o)" = "rdmsr " ] || fail "AFTERBURN_AS_FLAGS: got '$(sites ok.o)'"

# Drop-in behaviours.
[ "$(afb --version | head -1)" = "$($AS --version | head -1)" ] ||
	fail "--version: first line is not as's"
afb --version | grep -q afterburn-as || fail "--version: no afterburn-as line"
afb --help | grep -q -- --afterburn-audit || fail "--help: no afterburn-as section"
afb --afterburn-version | grep -q '^afterburn-as ' || fail "--afterburn-version"

afb -o stdin.o <ok.s 2>/dev/null && [ "$(sites stdin.o)" = "cli rdmsr " ] ||
	fail "standard input (no file)"
afb -o dash.o - <ok.s 2>/dev/null && [ "$(sites dash.o)" = "cli rdmsr " ] ||
	fail "standard input (-)"
printf '\tbogus\n' | afb -o dash.o - 2>err.txt
grep -q '^{standard input}:1: Error' err.txt || fail "standard input: error names it"

printf -- '-o "resp file.o" --64\nok.s\n' >resp
afb @resp 2>/dev/null && [ "$(sites 'resp file.o')" = "cli rdmsr " ] || fail "@file"
afb -oattached.o ok.s 2>/dev/null && [ -f attached.o ] || fail "-oFILE"
printf '\tsti\n' >second.s
afb -o two.o ok.s second.s 2>/dev/null && [ "$(sites two.o)" = "cli rdmsr sti " ] ||
	fail "two input files"
afb --32 -o 32.o ok.s 2>/dev/null && file 32.o | grep -q 'ELF 32-bit' || fail "--32"
afb --defsym X=1 -o defsym.o ok.s 2>/dev/null || fail "--defsym with a separate argument"
afb -o /dev/null ok.s 2>err.txt && [ ! -s err.txt ] || fail "-o /dev/null: messages or failure"

afb --MD deps.d -o md.o ok.s 2>/dev/null && grep -q 'ok\.s' deps.d &&
	! grep -q afb deps.d || fail "--MD: dependencies do not name ok.s"
afb -g -o g.o ok.s 2>/dev/null && objdump --dwarf=decodedline g.o | grep -q 'ok\.s' ||
	fail "-g: line table does not name ok.s"

# No messages of ours: the note sections' attribute warning is filtered,
# also from macros; as's own warnings still come through.
printf '.macro M\n\tcli\n.endm\n\tM\n\tM\n\tsti\n' >macro.s
afb -o macro.o macro.s 2>err.txt && [ ! -s err.txt ] || { fail "macro: messages:"; cat err.txt >&2; }
printf '\t.warning "mine"\n\tcli\n' >warn.s
afb -o warn.o warn.s 2>err.txt && grep -q 'warn\.s:1: Warning: mine' err.txt &&
	grep -q 'Assembler messages' err.txt && ! grep -q 'section attributes' err.txt ||
	{ fail "as's own warning"; cat err.txt >&2; }

# Temporary files are removed.
mkdir tmp
TMPDIR=$work/tmp afb -o t.o ok.s 2>/dev/null
TMPDIR=$work/tmp afb -o t.o bad.s 2>/dev/null
[ -z "$(ls tmp)" ] || fail "temporary files left: $(ls tmp)"

# Never itself: a real as that leads back to afterburn-as is refused.
printf '#!/bin/sh\nexec "%s" "$@"\n' "$AFTERBURN_AS" >loop-as
chmod +x loop-as
AFTERBURN_REAL_AS=$work/loop-as expect_fail "recursion" 'recursively' afb -o r.o ok.s

# gcc -B: gcc runs afterburn-as for .c and .S.
bindir=$(dirname "$AFTERBURN_AS")/bin
if command -v gcc >/dev/null && [ -x "$bindir/as" ]; then
	printf 'void f(void) { __asm__ volatile("cli; sti"); }\n' >c.c
	gcc -B"$bindir/" -c -o c.o c.c 2>err.txt && [ "$(sites c.o)" = "cli sti " ] ||
		{ fail "gcc -B"; cat err.txt >&2; }
	printf '\t.text\n\thlt\n' >s.S
	gcc -B"$bindir/" -pipe -c -o s.o s.S && [ "$(sites s.o)" = "hlt " ] || fail "gcc -B -pipe .S"
fi

[ "$failures" -eq 0 ] || exit 1
exit 0
