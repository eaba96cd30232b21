#!/bin/sh
# Assembles every corpus case with afterburn-as and checks its sites
# against the case's expected-sites (the TSV of afterburn-sites), and that
# afterburn-sites --verify finds nothing, or exactly the case's
# expect-audit lines.  --bless rewrites expected-sites: review each diff
# by hand before committing it.

. "$(dirname "$0")/common.sh"

if [ ! -x "$AFTERBURN_SITES" ]; then
	echo "SKIP: $AFTERBURN_SITES not built" >&2
	exit 77
fi

bless=
[ "${1:-}" = --bless ] && bless=1

for input in $cases; do
	dir=$(dirname "$input")
	name=$(basename "$dir")
	obj=$work/$name.o
	# Cases name their include directories relative to themselves.
	if ! (cd "$dir" && "$AFTERBURN_AS" --afterburn-audit=off $(case_args .) \
		-o "$obj" input.s) 2>"$work/$name.err"; then
		fail "$name: afterburn-as failed:"; cat "$work/$name.err" >&2
		continue
	fi
	if [ -s "$work/$name.err" ]; then
		fail "$name: afterburn-as printed messages:"; cat "$work/$name.err" >&2
	fi
	"$AFTERBURN_SITES" --format=tsv "$obj" >"$work/$name.sites" ||
		fail "$name: afterburn-sites failed"
	if [ -n "$bless" ]; then
		cp "$work/$name.sites" "$dir/expected-sites"
	elif ! diff -u "$dir/expected-sites" "$work/$name.sites" >&2; then
		fail "$name: sites differ from expected-sites"
	fi
	"$AFTERBURN_SITES" --verify --format=tsv "$obj" | grep -v -e '^#' -e '^off' >"$work/$name.audit"
	if [ -f "$dir/expect-audit" ]; then
		diff -u "$dir/expect-audit" "$work/$name.audit" >&2 ||
			fail "$name: audit differs from expect-audit"
	elif [ -s "$work/$name.audit" ]; then
		fail "$name: audit not clean:"; cat "$work/$name.audit" >&2
	fi
done

[ "$failures" -eq 0 ] || exit 1
exit 0
