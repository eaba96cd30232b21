#!/bin/sh
# check-serial.sh NAME LOG: does the guest test kernel's console output in
# LOG show a complete, passing run?  A PLAN line, a PASS line for every
# planned test and no FAIL, a well-formed BENCH line for every planned
# benchmark, and "SUMMARY passed=N failed=0".  Every host's boot test
# checks its output with this; NAME prefixes the messages.
# Exit status: 0 if so, 1 if not (saying why).
set -u
name=$1
log=$2

fail() {
	echo "FAIL: $name: $*" >&2
	exit 1
}

out=$(tr -d '\r' <"$log")
plan=$(printf '%s\n' "$out" | sed -n 's/^PLAN tests=\([0-9]*\) benches=\([0-9]*\)$/\1 \2/p')
[ -n "$plan" ] || fail "no PLAN line"
# shellcheck disable=SC2086 # two numbers
set -- $plan
ntests=$1 nbench=$2
npass=$(printf '%s\n' "$out" | grep -c '^PASS ')
nfail=$(printf '%s\n' "$out" | grep -c '^FAIL ')
nbenchout=$(printf '%s\n' "$out" |
	grep -c '^BENCH name=[a-z_0-9]* iters=[0-9]* cycles_per_op=[0-9.]* ns_per_op=[0-9.]*')
[ "$nfail" -eq 0 ] || fail "$nfail tests failed"
[ "$npass" -eq "$ntests" ] || fail "$npass PASS lines, $ntests tests planned"
[ "$nbenchout" -eq "$nbench" ] || fail "$nbenchout BENCH lines, $nbench benchmarks planned"
printf '%s\n' "$out" | grep -q "^SUMMARY passed=$ntests failed=0\$" ||
	fail "no 'SUMMARY passed=$ntests failed=0'"
echo "PASS: $name: $ntests tests passed, $nbench benchmarks ran"
