#!/bin/sh
# afterburn-ptrace refuses bad input with a message that names what is
# wrong, before it runs anything: a memory size that overflows 64 bits (it
# must not wrap around to a valid one; a usage error, exit status 2), an
# unknown --user mode (the same), an image
# cut inside a segment or inside its program headers (truncated, not
# "does not fit"), and a directory given as the image (exit status 1).
# Exit status: 0 pass, 1 fail, 77 skip.
name=cli.sh
. "$(dirname "$0")/lib.sh"
need_host
[ -n "${KERNEL_AFTERBURNT:-}" ] || fail "KERNEL_AFTERBURNT is not set (make check sets it)"
scratch cli

# refuses WHAT PATTERN ARGS...: exit status $want (1) and PATTERN on stderr.
want=1
refuses() {
	what=$1 pattern=$2
	shift 2
	timeout 20 "$PTRACE_HOST" "$@" >"$work/out" 2>"$work/err" </dev/null
	status=$?
	[ $status -eq $want ] || fail "$what: exit status $status, expected $want"
	grep -q -e "$pattern" "$work/err" || { cat "$work/err" >&2; fail "$what: no '$pattern'"; }
	echo "ok: $what: $(head -1 "$work/err")"
}

want=2	# a bad option value: a usage error
refuses "-m 17179869187G (2^64 + 3 GiB)" "bad memory size '17179869187G'" \
	-m 17179869187G "$KERNEL_AFTERBURNT"
refuses "-m 16777216T" "bad memory size" -m 16777216T "$KERNEL_AFTERBURNT"
refuses "-m 18446744073709551615" "bad memory size" -m 18446744073709551615 "$KERNEL_AFTERBURNT"
refuses "--user=uml" "--user takes 'seccomp' or 'ptrace', not 'uml'" \
	--user=uml "$KERNEL_AFTERBURNT"
want=1
refuses "a directory as the image" "$work: is a directory, not a kernel image" "$work"

# Cut inside the last PT_LOAD's file bytes, and inside the program headers.
set -- $(LC_ALL=C readelf -lW "$KERNEL_AFTERBURNT" |
	awk '$1 == "LOAD" { off = $2; sz = $5 } END { printf "%d %d\n", off, sz }')
cut=$(( $1 + $2 / 2 ))
head -c "$cut" "$KERNEL_AFTERBURNT" >"$work/cut-segment.elf"
refuses "an image cut inside a segment" "cut-segment.elf: truncated: segment at physical 0x[0-9a-f]* has [0-9]* bytes at file offset [0-9]*, but the file ends at $cut" \
	"$work/cut-segment.elf"
head -c 100 "$KERNEL_AFTERBURNT" >"$work/cut-phdrs.elf"
refuses "an image cut inside its program headers" "cut-phdrs.elf: truncated: its [0-9]* program headers" \
	"$work/cut-phdrs.elf"
echo "PASS: $name"
