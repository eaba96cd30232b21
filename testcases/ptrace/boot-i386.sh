#!/bin/sh
# SPDX-License-Identifier: MIT
# The i386 test kernel (ELF32, its PVH entry) under afterburn-ptrace,
# patched (exit thunks) and trapped (--no-patch): its kernel-mode start
# must pass (memory map, command line, cpuid, the page allocator, the
# timer calibrated through IDT-delivered PIT interrupts) with the sites
# reached the way the mode says; once it prints a PLAN line (guest user
# mode runs), the whole run must pass check-serial.sh.  --no-fast too.  A
# truncated ELF32 image is refused with the reason.  Where the i386 Linux
# is built (LINUX_I386_VMLINUX, or make check-linux-i386's), it must boot
# to starting init, patched.
#
# The i386 guest runs as 32-bit code in the host process.  Where this
# host kernel runs none (a PVM guest kernel: no segment 0x23), the host
# must refuse the image with the reason and exit 1; the boots then run in
# scripts/kvm-vm's VM (Debian's kernel under QEMU), never skipped.
#
# Environment: KERNEL_I386_AFTERBURNT, LINUX_I386_VMLINUX, top_srcdir,
# top_builddir.
# Exit: 0 pass, 1 fail, 99 the VM could not run it.
name=boot-i386.sh
. "$(dirname "$0")/lib.sh"
image=${KERNEL_I386_AFTERBURNT:?set by make check}
[ -f "$image" ] || fail "no kernel image at $image"
scratch boot-i386

# boot MODE [options]: boot the image, print and check what it reached.
# With its user mode (the self-tests and benchmarks) a boot takes about
# 10-50 s patched and 85-190 s trapped in the VM (QEMU's TCG), and about
# 300 s trapped in an AddressSanitizer build there (more than 1000 s when
# its signal stack was 256 KiB, 2387 s on a loaded machine): hence
# 1000 s, 2400 s trapped.
boot() {
	mode=$1
	shift
	limit=1000
	[ "$mode" = trap ] && limit=2400
	log=$work/$mode.log
	start=$(date +%s.%N)
	timeout $limit "$PTRACE_HOST" --stats "$@" "$image" >"$log" 2>"$log.err" </dev/null
	status=$?
	end=$(date +%s.%N)
	tr -d '\r' <"$log" | grep -v '^# \.\.\.'
	cat "$log.err" >&2
	echo "# $name: $mode: $(echo "$end - $start" | bc 2>/dev/null || echo '?') s, exit status $status"
	[ $status -eq 124 ] && fail "$mode: no end within $limit s (hung?)"
	for line in '^kernel: afterburner test kernel$' \
		'^kernel: memmap 0x100000-0x[0-9a-f]* type 1$' \
		'^kernel: cmdline ""$' '^kernel: cpu vendor=' \
		'^kernel: [0-9][0-9]* KiB free$' \
		'^kernel: timer 250 Hz, tsc [1-9][0-9]* kHz$'; do
		tr -d '\r' <"$log" | grep -q "$line" ||
			fail "$mode: no line matching '$line'"
	done
	grep -q "stats: mode=$mode " "$log.err" || fail "$mode: no 'mode=$mode' in --stats"
	grep -q ' irq_in_guest=[1-9]' "$log.err" ||
		fail "$mode: no timer interrupt delivered in guest code"
	case $mode in
	patched)
		grep -q ' thunk_calls=[1-9]' "$log.err" || fail "patched: no exit thunk ran"
		grep -q 'fast paths: cli=[1-9][0-9]* sti=[1-9][0-9]* pushf=[1-9][0-9]* popf=[1-9]' "$log.err" ||
			fail "patched: the fast paths did not run" ;;
	patched-nofast)
		grep -q ' thunk_calls=[1-9]' "$log.err" || fail "--no-fast: no exit thunk ran"
		grep -q 'fast paths:$' "$log.err" || fail "--no-fast: fast paths ran"
		grep -q 'emulated: cli=[1-9]' "$log.err" || fail "--no-fast: cli did not exit" ;;
	trap)
		grep -q ' thunk_calls=0 ' "$log.err" || fail "trap: exit thunks ran"
		grep -q ' traps=[1-9][0-9][0-9]' "$log.err" || fail "trap: fewer than 100 traps" ;;
	esac
	if grep -q '^PLAN ' "$log"; then
		[ $status -eq 0 ] || fail "$mode: exit status $status"
		sh "$top_srcdir/testcases/kernel/check-serial.sh" "$name" "$log" || exit 1
	else
		echo "# $name: $mode: the kernel-mode start passed; guest user mode did not run"
	fi
}

need_host
if [ -z "${BOOT_I386_IN_VM:-}" ]; then
	"$PTRACE_HOST" "$image" >"$work/out" 2>"$work/err" </dev/null
	status=$?
	if grep -q 'an i386 image needs 32-bit user code' "$work/err"; then
		cat "$work/err"
		[ $status -eq 1 ] || fail "refused with exit status $status, not 1"
		[ "$(wc -l <"$work/err")" -eq 1 ] || fail "the refusal is not one line"
		[ -s "$work/out" ] && fail "refused, but the guest printed something"
		echo "# $name: refused here as it must be; booting in scripts/kvm-vm's VM"
		# not exec: the EXIT trap removes $work
		BOOT_I386_IN_VM=1 sh "$top_srcdir/scripts/kvm-vm" --timeout=3600 -- \
			env BOOT_I386_IN_VM=1 top_srcdir="$top_srcdir" \
			top_builddir="$top_builddir" KERNEL_I386_AFTERBURNT="$image" \
			LINUX_I386_VMLINUX="${LINUX_I386_VMLINUX:-}" \
			AFTERBURN_PTRACE="$PTRACE_HOST" sh "$0"
		exit
	fi
fi

# A truncated ELF32 image: refused, with the reason, before anything runs.
off=$(readelf -lW "$image" | awk '$1 == "LOAD" { print $2; exit }')
fsz=$(readelf -lW "$image" | awk '$1 == "LOAD" { print $5; exit }')
head -c $((off + fsz - 1)) "$image" >"$work/cut.elf"
"$PTRACE_HOST" "$work/cut.elf" >"$work/out" 2>"$work/err" </dev/null
status=$?
cat "$work/err"
[ $status -eq 1 ] && grep -q 'truncated' "$work/err" && [ ! -s "$work/out" ] ||
	fail "a truncated ELF32 image was not refused (status $status)"

boot patched
boot patched-nofast --no-fast
boot trap --no-patch

# The i386 Linux of make check-linux-i386, where it is built: patched, its
# kernel-mode boot up to starting init (no initramfs: it then panics, and
# reboot=t ends the run).  Its early code loads %ds with 0x7b, a present
# segment of the host's GDT, and it uses %fs (per-CPU data) throughout.
vmlinux=${LINUX_I386_VMLINUX:-$top_builddir/testcases/linux/build-i386/afterburn/vmlinux}
if [ -f "$vmlinux" ]; then
	log=$work/linux.log
	start=$(date +%s.%N)
	timeout 120 "$PTRACE_HOST" --stats -m 256M \
		--append="console=ttyS0 panic=-1 reboot=t" "$vmlinux" >"$log" 2>&1 </dev/null
	status=$?
	end=$(date +%s.%N)
	tr -d '\r' <"$log" | grep -v '^# \.\.\.'
	echo "# $name: linux: $(echo "$end - $start" | bc 2>/dev/null || echo '?') s, exit status $status"
	[ $status -eq 124 ] && fail "linux: no end within 120 s (hung?)"
	grep -q '^Linux version ' "$log" || fail "linux: no 'Linux version' line"
	grep -q '^Run /sbin/init as init process' "$log" || fail "linux: did not start init"
	grep -q ' ldt_misses=[1-9]' "$log" || fail "linux: no %fs/%gs LDT entry made"
else
	echo "# $name: no i386 Linux at $vmlinux (make check-linux-i386 builds it)"
fi
echo "PASS: $name: the i386 kernel's kernel-mode start, patched and trapped"
