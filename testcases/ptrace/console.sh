#!/bin/sh
# afterburn-ptrace's 8250 UART receives standard input: the test kernel's
# "readline" (testcases/kernel/devtest.c) enables the UART's data-ready
# interrupt, sleeps in hlt and reads a line in its IRQ 4 handler (IIR,
# then RBR while LSR has data), so the line arrives only if every piece
# works.  From a pipe (patched, --no-patch, and --user=ptrace followed by
# the tests), from a file without a newline (end of input: the bytes,
# then nothing, and the host idles instead of spinning), and from a
# terminal (script(1)'s pseudo-terminal): raw mode while the guest runs
# (no line editing: a lone "\r" ends the guest's line; Ctrl-Z is a byte
# for the guest, not a stop of the host), the terminal's
# settings back after the guest powers off, after SIGTERM (exit status
# 143) and after Ctrl-C (SIGINT: 130).  Without input (/dev/null) the
# guest gets no byte.  The transmitter's interrupt too ("txirq"): raised
# when IER enables it and after each THR write, until IIR reports it.
# Exit status: 0 pass, 1 fail, 77 skip.
name=console.sh
. "$(dirname "$0")/lib.sh"
need_host
[ -n "${KERNEL_AFTERBURNT:-}" ] || fail "KERNEL_AFTERBURNT is not set (make check sets it)"
command -v script >/dev/null || fail "no script(1) (util-linux) for the terminal checks"
scratch console
kernel=$KERNEL_AFTERBURNT

# expect_line WHAT PATTERN: the guest's readline result matches PATTERN.
expect_line() {
	got=$(tr -d '\r' <"$work/out" | grep '^kernel: readline: [n"]')
	echo "$got" | grep -q -e "$2" ||
		{ cat "$work/out" "$work/err" >&2; fail "$1: '$got', expected '$2'"; }
	echo "ok: $1: $got"
}

# From a pipe.
for mode in "" --no-patch; do
	printf 'hello from a pipe\nsecond line\n' |
		timeout 60 "$PTRACE_HOST" $mode --append "readline=20 txirq noinit" "$kernel" \
		>"$work/out" 2>"$work/err"
	status=$?
	[ $status -eq 0 ] || fail "pipe ${mode:-patched}: exit status $status"
	expect_line "pipe ${mode:-patched}" \
		'"hello from a pipe" (17 bytes, [1-9][0-9]* interrupts, [1-9][0-9]* with IIR rx)'
	tr -d '\r' <"$work/out" | grep -q '^kernel: txirq: 123 (3 interrupts with IIR THR empty)' ||
		fail "pipe ${mode:-patched}: no THR-empty interrupts: $(grep txirq "$work/out")"
	echo "ok: pipe ${mode:-patched}: THR-empty interrupts after each THR write"
done

# With --user=ptrace, followed by the whole of the tests (user mode, with
# standard input at its end by then): the line, and every test passes.
printf 'after the tests\n' |
	timeout 300 "$PTRACE_HOST" --user=ptrace --append "tests readline=20" "$kernel" \
	>"$work/out" 2>"$work/err"
status=$?
[ $status -eq 0 ] || { tail "$work/out" >&2; fail "--user=ptrace tests: exit status $status"; }
expect_line "--user=ptrace, with the tests" '"after the tests" (15 bytes'

# From a file without a newline: three bytes, then the end of input.  The
# guest waits 4 s in hlt; the host must not spin meanwhile.
printf 'abc' >"$work/in"
times >"$work/times0"
timeout 60 "$PTRACE_HOST" --append "readline=4 noinit" "$kernel" <"$work/in" \
	>"$work/out" 2>"$work/err"
status=$?
times >"$work/times1"
before=$(tail -n 1 "$work/times0") after=$(tail -n 1 "$work/times1")
[ $status -eq 0 ] || fail "file: exit status $status"
expect_line "file, no newline" 'no line within 4 s (3 bytes, [1-9][0-9]* interrupts'
# times: "XmY.YYs XmY.YYs" (user, system) for the children; CPU seconds used.
cpu() { echo "$1" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, t, "m");
	n += t[1] * 60 + t[2] } printf "%.2f\n", n }'; }
used=$(awk -v a="$(cpu "$before")" -v b="$(cpu "$after")" 'BEGIN { printf "%.2f", b - a }')
echo "ok: CPU time of the host over a 4 s wait at end of input: $used s"
awk -v u="$used" 'BEGIN { exit !(u < 2.0) }' ||
	fail "the host used $used s of CPU while the guest waited 4 s: a busy loop?"

# Nothing.
timeout 60 "$PTRACE_HOST" --append "readline=1 noinit" "$kernel" </dev/null \
	>"$work/out" 2>"$work/err" || fail "/dev/null: exit status $?"
expect_line "/dev/null" 'no line within 1 s (0 bytes, 0 interrupts'

# A terminal: script(1) runs a shell on a pseudo-terminal and copies our
# pipe to it.  The shell saves the terminal's settings, runs the host (in
# the terminal's foreground process group: no job control; its standard
# input given explicitly, as a background command's is /dev/null),
# records them while the guest waits and after it ends.
cat >"$work/tty.sh" <<EOS
stty -g >"$work/before"
"$PTRACE_HOST" --append "readline=20 noinit" "$kernel" </dev/tty >"$work/out" 2>"$work/err" &
pid=\$!
sleep 2
stty -a >"$work/during"
wait \$pid
echo \$? >"$work/status"
stty -g >"$work/after"
EOS
(sleep 3; printf 'typ\032ed\r'; sleep 3) | timeout 60 script -qec "sh $work/tty.sh" /dev/null >/dev/null 2>&1
[ "$(cat "$work/status" 2>/dev/null)" = 0 ] || fail "terminal: exit status $(cat "$work/status" 2>/dev/null)"
grep -q -e '-icanon' "$work/during" && grep -q -e '-echo ' "$work/during" ||
	fail "terminal: not in raw mode while the guest ran: $(cat "$work/during")"
cmp -s "$work/before" "$work/after" ||
	fail "terminal: settings not restored: $(cat "$work/before") -> $(cat "$work/after")"
expect_line "terminal (raw, Ctrl-Z a byte, a lone CR)" '"typ.ed" (6 bytes'
echo "ok: terminal: raw while the guest ran, restored after"

# SIGTERM while the guest waits: the terminal restored, status 128 + 15.
cat >"$work/tty.sh" <<EOS
stty -g >"$work/before"
"$PTRACE_HOST" --append "readline=30 noinit" "$kernel" </dev/tty >"$work/out" 2>"$work/err" &
pid=\$!
sleep 2
stty -a >"$work/during"
kill -TERM \$pid
wait \$pid
echo \$? >"$work/status"
stty -g >"$work/after"
EOS
rm -f "$work/status"
sleep 6 | timeout 60 script -qec "sh $work/tty.sh" /dev/null >/dev/null 2>&1
[ "$(cat "$work/status" 2>/dev/null)" = 143 ] ||
	fail "terminal, SIGTERM: exit status $(cat "$work/status" 2>/dev/null), expected 143"
grep -q -e '-icanon' "$work/during" || fail "terminal, SIGTERM: not in raw mode"
cmp -s "$work/before" "$work/after" ||
	fail "terminal, SIGTERM: settings not restored: $(cat "$work/before") -> $(cat "$work/after")"
echo "ok: terminal: SIGTERM restores it, exit status 143"

# Ctrl-C (ISIG kept in raw mode): SIGINT, the terminal restored, 130.
# The shell catches SIGINT (its children get the default back).
cat >"$work/tty.sh" <<EOS
trap : INT
stty -g >"$work/before"
"$PTRACE_HOST" --append "readline=30 noinit" "$kernel" </dev/tty >"$work/out" 2>"$work/err"
echo \$? >"$work/status"
stty -g >"$work/after"
EOS
rm -f "$work/status"
(sleep 3; printf '\003'; sleep 2) | timeout 60 script -qec "sh $work/tty.sh" /dev/null >/dev/null 2>&1
[ "$(cat "$work/status" 2>/dev/null)" = 130 ] ||
	fail "terminal, Ctrl-C: exit status $(cat "$work/status" 2>/dev/null), expected 130"
cmp -s "$work/before" "$work/after" ||
	fail "terminal, Ctrl-C: settings not restored: $(cat "$work/before") -> $(cat "$work/after")"
echo "ok: terminal: Ctrl-C ends the host (130), the terminal restored"
echo "PASS: $name"
