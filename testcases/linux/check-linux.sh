#!/bin/sh
# check-linux.sh: the real-kernel test behind 'make check-linux'.
#
# Usage: testcases/linux/check-linux.sh [build-linux.sh options]
#        testcases/linux/check-linux.sh --vmlinux=FILE   (check, no build)
#
# Builds Debian's linux-source-6.1 (tinyconfig + linux.config) with
# CC="gcc -B<afterburn bin>/", kernel source untouched (build-linux.sh),
# then checks the vmlinux:
#
#   1. 'afterburn-sites --verify vmlinux' exits 0 (every sensitive
#      instruction objdump finds is a site, every site decodes to its kind);
#   2. 'readelf -n vmlinux' shows the Afterburn notes, one per site;
#   3. an independent count agrees with 'afterburn-sites --stats': a plain
#      'objdump -d' of the code sections, its mnemonics mapped to kinds with
#      afterburn/sensitive.tbl, must give the same number per kind as the
#      site notes (the 32-bit PVH entry is disassembled as i386; a pair kind
#      such as sti_hlt counts adjacent sti, hlt once, as the pair).
#
# Takes a few minutes (the kernel build).  Exit status: 0 pass, 1 fail,
# 77 skipped (no kernel source: apt-get install linux-source-6.1).
#
# Environment: top_srcdir, top_builddir, AFTERBURN_SITES (default
# $top_builddir/afterburn-sites), AFTERBURN_AS, OBJDUMP, READELF, and what
# build-linux.sh reads (LINUX_TARBALL, LINUX_WORK, JOBS, AFTERBURN_AS_FLAGS).
set -eu

me=check-linux.sh
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
sites=${AFTERBURN_SITES:-$top_builddir/afterburn-sites}
objdump=${OBJDUMP:-objdump}
readelf=${READELF:-readelf}
table=$top_srcdir/afterburn/sensitive.tbl
tarball=${LINUX_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
vmlinux=

for arg; do
	case $arg in
	--tarball=*) tarball=${arg#*=} ;;
	--vmlinux=*) vmlinux=${arg#*=} ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	esac
done
if [ -z "$vmlinux" ] && [ ! -r "$tarball" ]; then
	echo "$me: SKIP: no kernel source at $tarball" >&2
	echo "$me: install it with: sudo apt-get install linux-source-6.1" >&2
	exit 77
fi
[ -x "$sites" ] || { echo "$me: no $sites (run make first)" >&2; exit 1; }

if [ -z "$vmlinux" ]; then
	built=$("$here/build-linux.sh" --variant=afterburn "$@") || {
		echo "check-linux: FAIL (the afterburnt kernel build failed)"
		exit 1
	}
	vmlinux=$(printf '%s\n' "$built" | tail -n 1)
fi
[ -f "$vmlinux" ] || { echo "$me: the build gave no vmlinux" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-linux.XXXXXX")
trap '[ -n "${CHECK_LINUX_KEEP:-}" ] || rm -rf "$tmp"' EXIT INT TERM
status=0

## 1. afterburn-sites --verify

echo "== afterburn-sites --verify $vmlinux"
# Sensitive instructions of kinds that are not sites by default (int3
# fill, verw) are counted per kind in the summary; older versions listed
# them as "off" lines, which this still folds.
if "$sites" --verify "$vmlinux" > "$tmp/verify" 2>&1; then verify=0; else verify=$?; fi
awk '/: off: / { split($0, f, ": off: "); split(f[2], w, ":"); off[w[1]]++; next }
     { print }
     END { for (k in off) printf "(%d instructions of kind %s, off by default: not listed)\n", off[k], k }' \
	"$tmp/verify" > "$tmp/verify.shown"
head -n 60 "$tmp/verify.shown"
[ "$(wc -l < "$tmp/verify.shown")" -le 60 ] ||
	echo "... ($(wc -l < "$tmp/verify.shown") lines in all)"
if [ "$verify" = 0 ]; then
	echo "PASS: verify is clean"
else
	echo "FAIL: afterburn-sites --verify exited with $verify"
	status=1
fi

## 2. The site counts, and the notes as readelf sees them

echo "== afterburn-sites --stats $vmlinux"
"$sites" --stats "$vmlinux"
"$sites" --stats --format=tsv "$vmlinux" > "$tmp/stats"
total=$(awk -F'\t' '$1 == "total" { print $3 }' "$tmp/stats")

"$readelf" -n -W "$vmlinux" > "$tmp/notes"
# readelf names our note types by the generic ones with the same number
# (doc/notes.md): a site note (type 1) is "NT_VERSION", a mode note
# (type 2) "NT_ARCH".
nr_notes=$(awk '$1 == "Afterburn" && $3 == "NT_VERSION" { n++ } END { print n + 0 }' "$tmp/notes")
nr_modes=$(awk '$1 == "Afterburn" && $3 == "NT_ARCH" { n++ } END { print n + 0 }' "$tmp/notes")
echo "== readelf -n: $nr_notes Afterburn site notes, $nr_modes mode notes"
if [ "$nr_notes" -gt 0 ] && [ "$nr_notes" = "$total" ]; then
	echo "PASS: readelf shows one site note per site ($total)"
else
	echo "FAIL: readelf shows $nr_notes site notes, afterburn-sites counts ${total:-none}"
	status=1
fi

## 3. An independent count: objdump mnemonics, mapped with the table

# Code that runs in 32-bit mode in a 64-bit vmlinux: the PVH entry, from
# its symbol up to the far jump into 64-bit mode (platform/pvh/head.S).
nm -n "$vmlinux" > "$tmp/nm"
pvh=$(awk '$3 == "pvh_start_xen" { print $1 }' "$tmp/nm")
dis64() { "$objdump" -d -w --no-show-raw-insn "$@" "$vmlinux"; }
if [ -n "$pvh" ]; then
	pvh_next=$(awk -v a="$pvh" 'f && $1 != a { print $1; exit } $1 == a { f = 1 }' "$tmp/nm")
	"$objdump" -d -w --no-show-raw-insn -m i386 \
		--start-address=0x"$pvh" --stop-address=0x"$pvh_next" "$vmlinux" |
		awk -F'\t' '/^ *[0-9a-f]+:\t/ { print; if ($2 ~ /^ljmp/) exit }' > "$tmp/dis32"
	# The first address after the far jump: 64-bit code from there on.
	pvh_end=$(dis64 --start-address=0x"$pvh" --stop-address=0x"$pvh_next" -m i386 |
		awk -F'\t' '/^ *[0-9a-f]+:\t/ { if (j) { sub(/^ */, "", $1); sub(/:$/, "", $1); print $1; exit } if ($2 ~ /^ljmp/) j = 1 }')
	echo "== i386 code: pvh_start_xen 0x$pvh .. 0x$pvh_end"
	{
		dis64 | awk -F'\t' -v lo="$pvh" -v hi="$pvh_next" '
			/^ *[0-9a-f]+:\t/ { a = $1; sub(/^ */, "", a); sub(/:$/, "", a)
				a = sprintf("%016s", a); if (a >= sprintf("%016s", lo) && a < sprintf("%016s", hi)) next }
			{ print }'
		cat "$tmp/dis32"
		dis64 --start-address=0x"$pvh_end" --stop-address=0x"$pvh_next"
	} > "$tmp/dis"
else
	dis64 > "$tmp/dis"
fi

# kind name -> objdump count, for the kinds the table turns on.
awk -F'\t' -v table="$table" '
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
BEGIN {
	while ((getline line < table) > 0) {
		if (line ~ /^#/ || line !~ /\|/) continue
		n = split(line, f, "|")
		name = trim(f[2]); on[name] = (trim(f[5]) == "on"); order[++nk] = name
		nm = split(trim(f[6]), ms, " ")
		for (i = 1; i <= nm; i++) {
			# "sti;hlt": a pair of adjacent instructions that is one site.
			if (split(ms[i], pr, ";") == 2) { pair[pr[1] ";" pr[2]] = name; continue }
			cls[ms[i]] = cls[ms[i]] " " name ":" trim(f[7])
		}
	}
}
/^ *[0-9a-f]+:\t/ {
	insn = $2; sub(/^ +/, "", insn); sub(/ *#.*/, "", insn)
	nw = split(insn, w, " ")
	i = 1
	while (i < nw && w[i] ~ /^(rep|repz|repe|repnz|repne|lock|data16|data32|addr16|addr32|rex(\.[A-Z]+)?|rex64|cs|ds|es|fs|gs|ss|notrack|bnd)$/) i++
	m = w[i]; ops = ""
	for (j = i + 1; j <= nw; j++) ops = ops w[j]
	pm = prev_m; pk = prev_k; prev_m = m; prev_k = ""
	if (!(m in cls)) next
	# Operand classes: look at the operands outside any memory reference.
	o = ops; gsub(/\([^)]*\)/, "", o); no = split(o, op, ",")
	has_cr = has_dr = has_seg = 0
	for (j = 1; j <= no; j++) {
		if (op[j] ~ /^%cr[0-9]+$/) has_cr = 1
		if (op[j] ~ /^%d[br][0-9]+$/) has_dr = 1
		if (op[j] ~ /^%[c-gs]s$/) has_seg = 1
	}
	nc = split(cls[m], c, " ")
	for (j = 1; j <= nc; j++) {
		split(c[j], kc, ":")
		if ((kc[2] == "-") || (kc[2] == "cr" && has_cr) ||
		    (kc[2] == "dr" && has_dr) || (kc[2] == "seg" && has_seg)) {
			count[kc[1]]++
			prev_k = kc[1]
			break
		}
	}
	# The second instruction of a pair: the two count as the pair kind.
	if ((pm ";" m) in pair && pk != "" && prev_k != "") {
		count[pk]--; count[prev_k]--; count[pair[pm ";" m]]++
		prev_m = ""
	}
}
END {
	for (k = 1; k <= nk; k++)
		if (on[order[k]]) print order[k] "\t" count[order[k]] + 0
}' "$tmp/dis" > "$tmp/objdump-counts"

echo "== per kind: sites (notes) vs objdump -d (independent count)"
printf '%-14s %8s %8s\n' KIND SITES OBJDUMP
bad=0
while IFS="$(printf '\t')" read -r kind n_objdump; do
	n_sites=$(awk -F'\t' -v k="$kind" '$1 == "kind" && $2 == k { print $3 }' "$tmp/stats")
	n_sites=${n_sites:-0}
	[ "$n_sites" = 0 ] && [ "$n_objdump" = 0 ] && continue
	mark=
	if [ "$n_sites" != "$n_objdump" ]; then mark='  <-- differs'; bad=1; fi
	printf '%-14s %8s %8s%s\n' "$kind" "$n_sites" "$n_objdump" "$mark"
done < "$tmp/objdump-counts"
if [ "$bad" = 0 ]; then
	echo "PASS: the independent count matches the site counts"
else
	echo "FAIL: the independent count differs from the site counts"
	status=1
fi

[ "$status" = 0 ] && echo "check-linux: PASS ($vmlinux, $total sites)" ||
	echo "check-linux: FAIL ($vmlinux)"
exit "$status"
