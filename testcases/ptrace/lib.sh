# Shared by the afterburn-ptrace boot tests: find the host and the image,
# boot, and check the output with the rules of testcases/kernel/boot-qemu.sh.
# shellcheck shell=sh

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$top_builddir}
PTRACE_HOST=${AFTERBURN_PTRACE:-$top_builddir/afterburn-ptrace}
timeout=${BOOT_TIMEOUT:-300}
work=

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

fail() {
	echo "FAIL: $name: $*" >&2
	exit 1
}

# scratch NAME: $work, a directory for this test's files, removed at exit.
# The one EXIT trap of a test: boot_check keeps its logs there too.
scratch() {
	work=$(mktemp -d "${TMPDIR:-/tmp}/afb-$1.XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
}

need_host() {
	[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] ||
		skip "afterburn-ptrace needs Linux on x86-64"
	[ -x "$PTRACE_HOST" ] || fail "no host at $PTRACE_HOST"
	# ptrace of our own children must be allowed (Yama scope <= 1)
	scope=$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)
	[ "$scope" -le 1 ] || skip "kernel.yama.ptrace_scope=$scope forbids ptrace"
}

# boot_check IMAGE [host options...]: boot, print the output, check it.
# With --user=MODE among the options, the host must have run guest user
# code that way (its --stats line says so; no fallback notice).
boot_check() {
	image=$1
	shift
	[ -f "$image" ] || fail "no kernel image at $image"
	[ -n "${work:-}" ] || scratch ptrace
	log=$work/boot.log
	start=$(date +%s.%N)
	timeout "$timeout" "$PTRACE_HOST" "$@" "$image" >"$log" 2>"$log.err" </dev/null
	status=$?
	end=$(date +%s.%N)
	tr -d '\r' <"$log" | grep -v '^# \.\.\.'
	cat "$log.err" >&2
	echo "# $name: $(echo "$end - $start" | bc 2>/dev/null || echo '?') s, exit status $status"
	[ $status -eq 124 ] && fail "no power-off within $timeout s (hung?)"
	[ $status -eq 0 ] || fail "exit status $status"
	for opt in "$@"; do
		case $opt in
		--user=*)
			! grep -q "using --user=" "$log.err" ||
				fail "$opt fell back to another mode"
			grep -q "user=${opt#--user=} " "$log.err" ||
				fail "$opt: no 'user=${opt#--user=}' in the --stats output"
			;;
		esac
	done
	sh "$top_srcdir/testcases/kernel/check-serial.sh" "$name" "$log" || exit 1
}
