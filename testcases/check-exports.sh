#!/bin/sh
# libafterburn exports exactly the functions its public header declares.
set -eu
: "${top_srcdir:=.}" "${top_builddir:=.}"
lib="$top_builddir/loader/.libs/libafterburn.so"
[ -f "$lib" ] || { echo "SKIP: $lib not built (static-only build?)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sort > "$tmp/exported"
grep -ho '\bafb_[a-z0-9_]*[[:space:]]*(' "$top_srcdir/include/afterburn/afterburn.h" \
	"$top_srcdir/include/afterburn/wedge.h" "$top_srcdir/include/afterburn/vcpu.h" |
	sed 's/[[:space:](]//g' | sort -u > "$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
	echo "FAIL: exported symbols (+) differ from the header's functions (-)" >&2
	exit 1
fi
echo "ok: $(wc -l < "$tmp/exported") exported functions, all declared in afterburn.h"
