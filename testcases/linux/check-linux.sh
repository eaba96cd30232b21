#!/bin/sh
# check-linux.sh: the real-kernel test behind 'make check-linux'.
#
# Usage: testcases/linux/check-linux.sh [--kernel=6.1|6.12]... [build-linux.sh options]
#        testcases/linux/check-linux.sh --kernel=6.1 --arch=i386   (make check-linux-i386)
#        testcases/linux/check-linux.sh --vmlinux=FILE   (check, no build)
#
# Builds Debian's linux-source-6.1 and linux-source-6.12 (tinyconfig +
# linux.config, and for 6.12 linux-6.12.config: X86_FRED) with
# CC="gcc -B<afterburn bin>/" in strict audit mode, kernel source untouched
# (build-linux.sh), then checks each vmlinux:
#
#   1. 'afterburn-sites --verify vmlinux' exits 0 (every sensitive
#      instruction objdump finds is a site, every site decodes to its kind);
#   2. 'readelf -n vmlinux' shows the Afterburn notes, one per site;
#   3. an independent count agrees with 'afterburn-sites --stats': a plain
#      'objdump -d' of the code sections, its mnemonics mapped to kinds with
#      afterburn/sensitive.tbl, must give the same number per kind as the
#      site notes (the 32-bit PVH entry is disassembled as i386; a pair kind
#      such as sti_hlt counts adjacent sti, hlt once, as the pair).  Where
#      objdump does not know an instruction of the table (binutils 2.40:
#      erets/eretu print as "repnz/repz clac", lkgs as "(bad)" after which
#      objdump decodes from inside it), the table's encodings decide, and
#      objdump is run again from the end of the instruction to the next
#      symbol.
#
# The afterburnt 6.12 kernel is testcases/linux/build-6.12/afterburn/vmlinux
# (6.1: testcases/linux/build/afterburn/vmlinux; with --arch=i386, which
# build-linux.sh takes, testcases/linux/build-i386/afterburn/vmlinux, an
# ELF32 image that objdump disassembles as i386 throughout).  Takes a few minutes per
# kernel (the builds).  Exit status: 0 pass, 1 fail, 77 skipped (no
# kernel source: apt-get install linux-source-6.1 linux-source-6.12).
#
# Environment: top_srcdir, top_builddir, AFTERBURN_SITES (default
# $top_builddir/afterburn-sites), AFTERBURN_AS, OBJDUMP, READELF,
# LINUX_KERNELS (default "6.1 6.12"), and what build-linux.sh reads
# (LINUX_TARBALL, LINUX_WORK, JOBS, AFTERBURN_AS_FLAGS).
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
kernels=
vmlinux=
build_args=

for arg; do
	case $arg in
	--kernel=*) kernels="$kernels ${arg#*=}" ;;
	--vmlinux=*) vmlinux=${arg#*=} ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) build_args="$build_args $arg" ;;
	esac
done
kernels=${kernels:-${LINUX_KERNELS:-6.1 6.12}}
[ -x "$sites" ] || { echo "$me: no $sites (run make first)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-linux.XXXXXX")
trap '[ -n "${CHECK_LINUX_KEEP:-}" ] || rm -rf "$tmp"' EXIT INT TERM

# check_vmlinux FILE: steps 1-3 on one kernel; returns 0 if all pass.
check_vmlinux() {
status=0
vmlinux=$1
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
# its symbol up to the far jump (6.12: far return) into 64-bit mode
# (platform/pvh/head.S).
nm -n "$vmlinux" > "$tmp/nm"
pvh=$(awk '$3 == "pvh_start_xen" { print $1 }' "$tmp/nm")
dis64() { "$objdump" -d -w "$@" "$vmlinux"; }
if [ -n "$pvh" ]; then
	pvh_next=$(awk -v a="$pvh" 'f && $1 != a { print $1; exit } $1 == a { f = 1 }' "$tmp/nm")
	"$objdump" -d -w -m i386 \
		--start-address=0x"$pvh" --stop-address=0x"$pvh_next" "$vmlinux" |
		awk -F'\t' '/^ *[0-9a-f]+:\t/ { print; if ($3 ~ /^(ljmp|lret)/) exit }' > "$tmp/dis32"
	# The first address after the far jump: 64-bit code from there on.
	pvh_end=$(dis64 --start-address=0x"$pvh" --stop-address=0x"$pvh_next" -m i386 |
		awk -F'\t' '/^ *[0-9a-f]+:\t/ { if (j) { sub(/^ */, "", $1); sub(/:$/, "", $1); print $1; exit } if ($3 ~ /^(ljmp|lret)/) j = 1 }')
	echo "== i386 code: pvh_start_xen 0x$pvh .. 0x$pvh_end"
	{
		dis64 | awk -F'\t' -v lo="$pvh" -v hi="$pvh_next" '
			/^ *[0-9a-f]+:\t/ { a = $1; sub(/^ */, "", a); sub(/:$/, "", a)
				a = sprintf("%016s", a); if (a >= sprintf("%016s", lo) && a < sprintf("%016s", hi)) next }
			{ print }'
		cat "$tmp/dis32"
		dis64 --start-address=0x"$pvh_end" --stop-address=0x"$pvh_next"
	} > "$tmp/dis.raw"
else
	dis64 > "$tmp/dis.raw"
fi

# Compares two hex addresses of any width: <0, 0, >0.
hexcmp='
function hexcmp(a, b) {
	sub(/^0+/, "", a); sub(/^0+/, "", b)
	if (length(a) != length(b)) return length(a) - length(b)
	return a < b ? -1 : a > b
}'

# Instructions objdump does not know: a "(bad)" whose bytes begin a ModRM
# form of the table (lkgs is f2 0f 00 /6; objdump 2.40 stops after f2 0f
# 00).  Print "address end mnemonic" for each; objdump resumes inside it.
awk -F'\t' -v table="$table" '
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
function hex(s,   v, i) {	# up to 8 hex digits (mawk has no strtonum)
	v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
# @a plus @n; kernel addresses are 16 digits, only the low 32 bits change.
function add(a, n,   k) {
	k = length(a) > 8 ? length(a) - 8 : 0
	return substr(a, 1, k) sprintf("%08x", hex(substr(a, k + 1)) + n)
}
BEGIN {
	while ((getline line < table) > 0) {
		if (line ~ /^#/ || line !~ /\|/) continue
		split(line, f, "|"); nm = split(trim(f[6]), ms, " ")
		ne = split(f[8], enc, ";")
		for (e = 1; e <= ne; e++) {
			n = split(trim(enc[e]), t, " "); key = ""
			for (i = 1; i <= n && t[i] ~ /^[0-9a-f][0-9a-f]$/; i++) key = key (key == "" ? "" : " ") t[i]
			if (i <= n && t[i] ~ /^\/[0-7]$/) { reg[key] = substr(t[i], 2) + 0; mn[key] = ms[1] }
		}
	}
}
/^ *[0-9a-f]+:\t/ {
	if (pending != "") {
		b = $2; sub(/^ +/, "", b); split(b, nb, " ")
		m = hex(nb[1])
		if (int(m / 8) % 8 == reg[pending] && int(m / 64) == 3) {
			printf "%s %s %s\n", paddr, add(paddr, plen + 1), mn[pending]
		} else if (int(m / 8) % 8 == reg[pending]) {
			printf "%s unknown %s\n", paddr, mn[pending]
		}
		pending = ""
	}
	if ($3 !~ /\(bad\)/) next
	b = trim($2); n = split(b, by, " "); key = ""
	for (i = 1; i <= n; i++) key = key (key == "" ? "" : " ") by[i]
	if (key in reg) { pending = key; paddr = trim($1); sub(/:$/, "", paddr); plen = n }
}' "$tmp/dis.raw" > "$tmp/unknown"
if grep -q ' unknown ' "$tmp/unknown"; then
	echo "FAIL: objdump does not know these, and their memory forms are not measured here:"
	grep ' unknown ' "$tmp/unknown"
	status=1
fi
# Splice: each such instruction keeps its line (named as the table names
# it); objdump runs again from its end to the next symbol, whose lines
# replace what it printed there.
: > "$tmp/resync"
while read -r addr end mnem; do
	[ "$end" = unknown ] && continue
	stop=$(awk -v a="$addr" "$hexcmp"' $1 ~ /^[0-9a-f]+$/ && hexcmp($1, a) > 0 { print $1; exit }' "$tmp/nm")
	"$objdump" -d -w --start-address=0x"$end" --stop-address=0x"$stop" "$vmlinux" |
		awk -F'\t' -v a="$addr" -v s="$stop" -v m="$mnem" '
			/^ *[0-9a-f]+:\t/ { print a "\t" s "\t" m "\t" $0 }' >> "$tmp/resync"
	echo "== objdump does not know 0x$addr ($mnem): decoded again from 0x$end to 0x$stop"
done < "$tmp/unknown"
awk -F'\t' -v resync="$tmp/resync" "$hexcmp"'
BEGIN {
	while ((getline line < resync) > 0) {
		split(line, r, "\t"); k = r[1]; stop[k] = r[2]; mn[k] = r[3]
		sub(/^[^\t]*\t[^\t]*\t[^\t]*\t/, "", line); lines[k] = lines[k] line "\n"
	}
}
/^ *[0-9a-f]+:\t/ {
	a = $1; sub(/^ +/, "", a); sub(/:$/, "", a)
	if (skip != "" && hexcmp(a, skip) < 0) next
	skip = ""
	if (a in stop) {
		print $1 "\t" $2 "\t" mn[a]
		printf "%s", lines[a]
		skip = stop[a]
		next
	}
}
{ print }' "$tmp/dis.raw" > "$tmp/dis"
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
		# Fixed encodings with a mandatory prefix ("f3 0f 01 ca"):
		# where objdump prints that prefix as rep/repz/repnz/data16,
		# it does not know the instruction the prefix makes.
		ne = split(f[8], enc, ";")
		for (e = 1; e <= ne; e++) {
			e1 = trim(enc[e])
			if (e1 ~ /^(66|f2|f3) 0f( [0-9a-f][0-9a-f])+$/) fixed[e1] = ms[1]
		}
	}
}
/^ *[0-9a-f]+:\t/ {
	insn = $3; sub(/^ +/, "", insn); sub(/ *#.*/, "", insn)
	nw = split(insn, w, " ")
	i = 1; mandatory = 0
	while (i < nw && w[i] ~ /^(rep|repz|repe|repnz|repne|lock|data16|data32|addr16|addr32|rex(\.[A-Z]+)?|rex64|cs|ds|es|fs|gs|ss|notrack|bnd)$/) {
		if (w[i] ~ /^(rep|repz|repe|repnz|repne|data16)$/) mandatory = 1
		i++
	}
	m = w[i]; ops = ""
	for (j = i + 1; j <= nw; j++) ops = ops w[j]
	if (mandatory) {
		# The bytes as the CPU reads them: the last of f2/f3 (else a
		# 66) is the mandatory prefix in front of the opcode.
		nb = split($2, by, " "); rep = ""; o66 = 0
		for (j = 1; j <= nb && by[j] ~ /^(26|2e|36|3e|64|65|66|67|f0|f2|f3)$/; j++) {
			if (by[j] == "f2" || by[j] == "f3") rep = by[j]
			if (by[j] == "66") o66 = 1
		}
		key = rep != "" ? rep : o66 ? "66" : ""
		for (; j <= nb; j++) key = key " " by[j]
		if (key in fixed) { m = fixed[key]; ops = "" }
	}
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
return "$status"
}

if [ -n "$vmlinux" ]; then
	check_vmlinux "$vmlinux"
	exit $?
fi
overall=0
for kernel in $kernels; do
	tarball=${LINUX_TARBALL:-/usr/src/linux-source-$kernel.tar.xz}
	if [ ! -r "$tarball" ]; then
		echo "$me: SKIP: no kernel source at $tarball" >&2
		echo "$me: install it with: sudo apt-get install linux-source-$kernel" >&2
		exit 77
	fi
done
for kernel in $kernels; do
	echo "==== Linux $kernel"
	# shellcheck disable=SC2086
	built=$("$here/build-linux.sh" --variant=afterburn --kernel="$kernel" $build_args) || {
		echo "check-linux: FAIL (the afterburnt Linux $kernel build failed)"
		overall=1
		continue
	}
	file=$(printf '%s\n' "$built" | tail -n 1)
	[ -f "$file" ] || { echo "$me: the Linux $kernel build gave no vmlinux" >&2; overall=1; continue; }
	rm -rf "${tmp:?}"/*
	check_vmlinux "$file" || overall=1
done
exit "$overall"
