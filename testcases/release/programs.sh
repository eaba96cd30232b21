#!/bin/sh
# Every program as a user first meets it: --help and --version on
# standard output with status 0, usage errors with status 2 and a message
# that starts with the program's name (never a path), file errors that
# say what is wrong, and --stats only for a guest that ran.
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/afb-programs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run NAME STATUS ARGS...: run program NAME ($top_builddir path), expect STATUS.
run() {
	name=$1 want=$2
	shift 2
	case $name in
	afterburn-as) prog=$top_builddir/afterburn/afterburn-as ;;
	*) prog=$top_builddir/$name ;;
	esac
	"$prog" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	[ "$got" -eq "$want" ] || fail "$name $*: exit status $got, want $want ($(head -n 2 "$tmp/err"))"
}

# first_line_starts NAME FILE: the message starts with "NAME: ".
starts_with_name() {
	line=$(head -n 1 "$2")
	case $line in
	"$1: "*) ;;
	*) fail "$1: message does not start with '$1: ': '$line'" ;;
	esac
}

for p in afterburn-sites afterburn-patch afterburn-ptrace afterburn-kvm; do
	run $p 0 --help
	grep -q '^Usage: ' "$tmp/out" || fail "$p --help: no Usage line"
	run $p 0 --version
	grep -Eq "^$p .*[0-9]+\.[0-9]+" "$tmp/out" || fail "$p --version: '$(cat "$tmp/out")'"
	run $p 2 --no-such-option x.elf
	starts_with_name $p "$tmp/err"
	grep -q "no-such-option" "$tmp/err" || fail "$p: the message names no option"
	run $p 2
	starts_with_name $p "$tmp/err"
done
run afterburn-as 0 --afterburn-help
grep -q -- '--afterburn-notes' "$tmp/out" || fail "afterburn-as --afterburn-help"
run afterburn-as 0 --afterburn-version
grep -Eq '^afterburn-as [0-9]+\.[0-9]+' "$tmp/out" || fail "afterburn-as --afterburn-version"
run afterburn-as 0 --version
grep -q '^afterburn-as ' "$tmp/out" || fail "afterburn-as --version names no afterburn-as"
run afterburn-as 2 --afterburn-no-such-option
starts_with_name afterburn-as "$tmp/err"
run afterburn-as 2 --afterburn-audit=maybe
starts_with_name afterburn-as "$tmp/err"

# Options that need a value, and bad values.
run afterburn-ptrace 2 --mem=1 x.elf
starts_with_name afterburn-ptrace "$tmp/err"
run afterburn-kvm 2 -m 1 x.elf
starts_with_name afterburn-kvm "$tmp/err"
run afterburn-kvm 2 -append
grep -q "needs an argument" "$tmp/err" || fail "afterburn-kvm -append: $(cat "$tmp/err")"

# A file that is not ELF: the reason, no "(no error)".
printf 'hello\n' >"$tmp/text"
run afterburn-sites 2 "$tmp/text"
grep -q "not an ELF file (no ELF magic" "$tmp/err" || fail "afterburn-sites on text: $(cat "$tmp/err")"
grep -q "no error" "$tmp/err" && fail "afterburn-sites says 'no error': $(cat "$tmp/err")"

# --stats after a refusal: the error alone.  The test kernel with one
# site's first byte made a nop: patching refuses it.
kernel=${KERNEL_AFTERBURNT:-}
if [ -f "$kernel" ]; then
	site=$("$top_builddir/afterburn-sites" -f tsv "$kernel" | awk -F'\t' 'NR == 2 { print $1 }')
	off=
	while read -r type o v p n rest; do
		[ "$type" = LOAD ] || continue
		if [ $((site)) -ge $((v)) ] && [ $((site)) -lt $((v + n)) ]; then
			off=$((o + site - v))
			break
		fi
	done <<-EOF2
	$(readelf -lW "$kernel")
	EOF2
	[ -n "$off" ] || fail "no file offset for the site at $site"

	cp "$kernel" "$tmp/bad.elf"
	printf '\220' | dd of="$tmp/bad.elf" bs=1 seek="$off" conv=notrunc 2>/dev/null
	run afterburn-ptrace 1 --stats "$tmp/bad.elf"
	starts_with_name afterburn-ptrace "$tmp/err"
	grep -q "stats" "$tmp/err" && fail "afterburn-ptrace --stats after a refusal printed: $(cat "$tmp/err")"
else
	fail "KERNEL_AFTERBURNT is not set (make check sets it)"
fi

[ "$failures" -eq 0 ] || exit 1
echo "ok: every program: --help, --version, usage errors exit 2, messages by name"
