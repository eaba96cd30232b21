#!/bin/sh
# For every corpus case, the afterburnt object must hold the same
# instructions in the same order as plain as's object once the padding
# nops are gone, the same data sections byte for byte and the same
# symbols.  Branch targets and RIP-relative displacements move with the
# padding, so they are masked.

. "$(dirname "$0")/common.sh"

# The instructions of every executable section, nops and addresses removed.
# After an instruction objdump does not know ("(bad)": binutils 2.40 and
# lkgs), it decodes from inside that instruction, differently with and
# without padding: the comparison resumes at the next symbol, where
# objdump starts afresh.
insns() {
	objdump -d --no-show-raw-insn "$1" |
	awk -F'\t' '/^Disassembly of section/ { print; bad = 0; next }
		/^[0-9a-f]+ <.*>:$/ { bad = 0; next }
		NF >= 2 && $1 ~ /^ *[0-9a-f]+:$/ && !bad { print $2; if ($2 ~ /\(bad\)/) bad = 1 }' |
	grep -v -E '^(nop|xchg +%ax,%ax|data16|cs nopw|lea +0x0\(%e?si(,%eiz,1)?\),%e?si$)' |
	sed -E -e 's/^(j[a-z]+|call|loop[a-z]*|jmp|xbegin) +[0-9a-f]+ <[^>]*>/\1 TARGET/' \
	       -e 's/^(l?jmp|l?call) +\$0x[0-9a-f]+,\$0x[0-9a-f]+$/\1 FAR-TARGET/' \
	       -e 's/-?0x[0-9a-f]+\(%rip\)/X(%rip)/g' -e 's/ *#.*//'
}

# The bytes of every section that is not executable and not ours, except
# those the case lists in data-differs (tables that measure code, such as
# Linux's .altinstructions, grow with the sites).
data() {
	for sec in $(readelf -SW "$1" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\) .*/\1/p' |
		grep -v -e '^\.note\.afterburn' -e '^\.rela\?\.' -e '^\.symtab' \
			-e '^\.strtab' -e '^\.shstrtab' -e '^NULL$' -e '^\.group'); do
		if readelf -SW "$1" | grep -F " $sec " | grep -q ' [A-Z]*X[A-Z]* ' ||
		   grep -qxF "$sec" "$2/data-differs" 2>/dev/null; then
			continue
		fi
		echo "== $sec"
		objcopy -O binary -j "$sec" "$1" "$work/section.bin" 2>/dev/null &&
			od -An -tx1 -v "$work/section.bin"
	done
}

symbols() {
	nm "$1" | awk '{ print $NF, $(NF-1) }' | sort
}

for input in $cases; do
	dir=$(dirname "$input")
	name=$(basename "$dir")
	args=$(case_args "$dir")
	(cd "$dir" && $AS $args -o "$work/$name.plain.o" input.s) ||
		{ fail "$name: as failed"; continue; }
	(cd "$dir" && "$AFTERBURN_AS" --afterburn-audit=off $args -o "$work/$name.afb.o" input.s) ||
		{ fail "$name: afterburn-as failed"; continue; }
	for what in insns data symbols; do
		$what "$work/$name.plain.o" "$dir" >"$work/$name.plain.$what"
		$what "$work/$name.afb.o" "$dir" >"$work/$name.afb.$what"
		diff -u "$work/$name.plain.$what" "$work/$name.afb.$what" >&2 ||
			fail "$name: $what differ"
	done
done

[ "$failures" -eq 0 ] || exit 1
exit 0
