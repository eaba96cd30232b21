# Shared by the afterburn-sites test scripts: sourced, not run, as
# . "$(dirname "$0")/lib.sh".
#
# Environment: AFTERBURN_SITES (the tool, default
# $top_builddir/afterburn-sites), top_builddir (default .), AS, LD.
# Exit status: 0 pass, 1 fail, 77 skip (automake's TESTS convention).

: "${top_builddir:=.}"
: "${AFTERBURN_SITES:=$top_builddir/afterburn-sites}"
: "${AS:=as}"
: "${LD:=ld}"

fixtures=$(dirname "$0")/fixtures
failures=0

if [ ! -x "$AFTERBURN_SITES" ]; then
	echo "SKIP: $AFTERBURN_SITES is not built"
	exit 77
fi
if ! command -v "$AS" >/dev/null 2>&1; then
	echo "SKIP: GNU as ($AS) not found: apt-get install binutils"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/afterburn-sites-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

fail()
{
	echo "FAIL: $*"
	failures=$((failures + 1))
}

pass()
{
	echo "ok: $*"
}

# assemble NAME [AS-ARGS...]: fixtures/NAME.s -> $tmp/NAME.o
assemble()
{
	name=$1
	shift
	if ! "$AS" -I "$fixtures" "$@" -o "$tmp/$name.o" "$fixtures/$name.s" \
			2>"$tmp/$name.as.log"; then
		cat "$tmp/$name.as.log"
		echo "ERROR: cannot assemble $name.s"
		exit 99
	fi
}

# run EXPECTED-STATUS DESCRIPTION ARGS...: run the tool with ARGS; its
# output is in $tmp/out, its standard error in $tmp/err.
run()
{
	expected=$1
	what=$2
	shift 2
	"$AFTERBURN_SITES" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ "$status" -ne "$expected" ]; then
		fail "$what: exit status $status, expected $expected"
		sed 's/^/  out: /' "$tmp/out"
		sed 's/^/  err: /' "$tmp/err"
		return 1
	fi
	pass "$what"
}

# expect FILE DESCRIPTION PATTERN: FILE ($tmp/out or $tmp/err) has a line
# matching the extended regular expression PATTERN.
expect()
{
	if ! grep -E -q -e "$3" "$1"; then
		fail "$2: no line matches /$3/ in"
		sed 's/^/  | /' "$1"
		return 1
	fi
}

# reject FILE DESCRIPTION PATTERN: no line of FILE matches PATTERN.
reject()
{
	if grep -E -q -e "$3" "$1"; then
		fail "$2: unexpected line matching /$3/:"
		grep -E -e "$3" "$1" | sed 's/^/  | /'
		return 1
	fi
}

finish()
{
	if [ "$failures" -ne 0 ]; then
		echo "$failures check(s) failed"
		exit 1
	fi
	exit 0
}
