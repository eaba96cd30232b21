#!/bin/sh
# The checked-in doc/sensitive.md must be what gen-table makes of the table.
set -eu
: "${top_srcdir:=.}"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
perl "$top_srcdir/afterburn/gen-table" --format=markdown -o "$tmp" "$top_srcdir/afterburn/sensitive.tbl"
if ! diff -u "$top_srcdir/doc/sensitive.md" "$tmp"; then
	echo "FAIL: doc/sensitive.md is stale; regenerate it with:" >&2
	echo "  afterburn/gen-table --format=markdown -o doc/sensitive.md afterburn/sensitive.tbl" >&2
	exit 1
fi
# A malformed table must be refused with its file and line.
bad=$(mktemp)
trap 'rm -f "$tmp" "$bad"' EXIT
printf '1 |cli|16 32 64|7|maybe|cli|-|fa|x\n' > "$bad"
if msg=$(perl "$top_srcdir/afterburn/gen-table" --format=perl "$bad" 2>&1); then
	echo "FAIL: gen-table accepted a bad default field" >&2
	exit 1
fi
case "$msg" in
*"$bad:1:"*) ;;
*) echo "FAIL: gen-table error does not name file:line: $msg" >&2; exit 1 ;;
esac
echo "ok: doc/sensitive.md is current; bad tables are refused"
