#!/bin/sh
# Signals from outside are no guest events: while the test kernel runs
# its tests and benchmarks under afterburn-ptrace, kill(1) sends SEGV,
# ILL, TRAP, FPE, BUS, SYS and ALRM to the host process and SYS, SEGV
# and TRAP to the stubs that run the guest's processes.  Every
# one must be logged as sent by our pid and dropped: the guest runs on
# and passes as usual (none reaches it as an exception, a seccomp trap
# or a timer tick, and none stops the host), patched and trapped.
# Exit status: 0 pass, 1 fail, 77 skip.
name=signals.sh
. "$(dirname "$0")/lib.sh"
need_host
[ -n "${KERNEL_AFTERBURNT:-}" ] || fail "KERNEL_AFTERBURNT is not set (make check sets it)"
scratch signals

# The stubs: the host's children (those in use log what they got).
stubs_of() {
	ps -o pid= --ppid "$1" 2>/dev/null
}

for mode in patched --no-patch; do
	opt=$mode
	[ "$mode" = patched ] && opt=
	# shellcheck disable=SC2086 # an option or none
	"$PTRACE_HOST" $opt "$KERNEL_AFTERBURNT" >"$work/out" 2>"$work/err" </dev/null &
	host=$!
	# Wait until init runs (the stubs are in use), then fire.
	i=0
	until grep -q '^PLAN' "$work/out" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 300 ] || { kill -9 $host; fail "$mode: init did not start"; }
		sleep 0.1
	done
	for round in 1 2 3; do
		for sig in SEGV ILL TRAP FPE BUS SYS ALRM; do
			kill -s $sig $host 2>/dev/null
			sleep 0.05
		done
		for stub in $(stubs_of $host); do
			for sig in SYS SEGV TRAP; do
				kill -s $sig "$stub" 2>/dev/null
			done
		done
		sleep 0.3
	done
	# Of each kind one signal is pending at a time: a SIGALRM of ours
	# that comes while the timer's own is pending merges with it (a
	# loaded machine delays the host's handler).  Send it again, while
	# the guest runs, until one arrives as ours.
	i=0
	while [ $i -lt 50 ] && kill -0 $host 2>/dev/null &&
	      ! grep -q '(SIGALRM) sent to the host by pid' "$work/err"; do
		kill -s ALRM $host 2>/dev/null
		sleep 0.1
		i=$((i + 1))
	done
	wait $host
	status=$?
	tr -d '\r' <"$work/out" >"$work/log"
	grep -c 'ignored signal' "$work/err" | sed "s/^/# $name $mode: signals logged and dropped: /"
	grep -v 'ignored signal' "$work/err" >&2
	[ $status -eq 0 ] || { tail -5 "$work/log"; fail "$mode: exit status $status"; }
	for sig in SEGV ILL TRAP FPE BUS SYS ALRM; do
		grep -q "ignored signal [0-9]* (SIG$sig) sent to the host by pid $$ " "$work/err" ||
			fail "$mode: SIG$sig to the host was not logged as ours"
	done
	grep -q "ignored signal [0-9]* (SIGSYS) sent to the stub of guest root 0x[0-9a-f]* (pid [0-9]*) by pid $$ " "$work/err" ||
		fail "$mode: SIGSYS to a stub was not logged as ours"
	sh "$top_srcdir/testcases/kernel/check-serial.sh" "$name $mode" "$work/log" || exit 1
done
echo "PASS: $name: signals from outside were logged and dropped"
