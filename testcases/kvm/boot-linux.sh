#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot the afterburnt Linux (make check-linux-smp builds it) with a busybox
# initramfs under afterburn-kvm -smp LINUX_SMP (patched: its PVH entry and the wedge
# window at 0xffffffff40000000, chosen by afterburn-kvm; --no-patch) and under
# qemu-system-x86_64 -enable-kvm, and print how far each got.  Not part
# of make check: it needs the Linux build.
#
# The command line keeps Linux away from what PVM's CPL0 emulator cannot
# run in its hot paths (afterburn-kvm(1), LINUX): noxsave (xrstor64),
# clearcpuid=151,308 (POPCNT, SMAP: popcnt and clac/stac patched in by
# alternatives); reboot=pci ends afterburn-kvm with status 0 through
# port 0xcf9, panic=-1 reboots at once on a panic.
#
# Environment: LINUX_VMLINUX (default testcases/linux/build/afterburn/
# vmlinux; an i386 one boots too, with LINUX_SMP=1 and an i386 BUSYBOX),
# AFTERBURN_KVM, BUSYBOX (default /bin/busybox, static),
# LINUX_TIMEOUT (seconds per boot, 120), LINUX_APPEND (extra options),
# LINUX_SMP (vCPUs, 2), LINUX_QEMU=no (no QEMU-KVM reference boot).  Where this machine has no hardware-virtualization
# KVM the script runs itself inside scripts/kvm-vm's VM (with as many CPUs).
# A fourth boot runs /bin/sh as init and types a command at its prompt
# through afterburn-kvm's standard input.
#
# Exit: 0 if Linux ran /init under afterburn-kvm both ways and the shell
# ran the typed command, 1 if not,
# 77 skip, 99 setup error.  QEMU-KVM is a reference: how far it gets on
# this host is printed, not required.
smp=${LINUX_SMP:-2}
KVM_VM_SMP=$smp
. "$(dirname "$0")/kvm-host.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
top_srcdir=${top_srcdir:-$top}
kvm=${AFTERBURN_KVM:-$top/afterburn-kvm}
vmlinux=${LINUX_VMLINUX:-$top/testcases/linux/build/afterburn/vmlinux}
busybox=${BUSYBOX:-/bin/busybox}
timeout=${LINUX_TIMEOUT:-120}
# no_timer_check: Linux's IO-APIC timer check wants 5 PIT ticks within
# 10 ms, which the in-kernel PIT of a nested SVM under QEMU TCG does not
# deliver in time (it panics "IO-APIC + timer doesn't work"); a KVM guest
# skips that check anyway once its paravirt setup runs.
append="console=ttyS0 noxsave clearcpuid=151,308 no_timer_check reboot=pci panic=-1 ${LINUX_APPEND:-}"

[ -f "$vmlinux" ] || { echo "SKIP: $vmlinux not built (make check-linux)" >&2; exit 77; }
[ -x "$kvm" ] || { echo "ERROR: $kvm not built" >&2; exit 99; }
[ -x "$busybox" ] || { echo "SKIP: no $busybox (busybox-static)" >&2; exit 77; }
# An i386 vmlinux (ELF32: make check-linux-i386) runs an i386 busybox only.
class() { od -An -tx1 -j4 -N1 "$1" | tr -d ' '; }
[ "$(class "$vmlinux")" = "$(class "$busybox")" ] || {
	echo "SKIP: $vmlinux and $busybox are not the same ELF class (an i386 Linux needs BUSYBOX=an i386 static busybox)" >&2
	exit 77; }
. "$top/testcases/kvm/kvm-host.sh"

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/bin"
cp "$busybox" "$tmp/root/bin/busybox"
cat >"$tmp/root/init" <<'EOS'
#!/bin/busybox sh
/bin/busybox echo "AFTERBURN-INIT: reached /init"
/bin/busybox reboot -f
EOS
chmod +x "$tmp/root/init"
ln -s busybox "$tmp/root/bin/sh"
(cd "$tmp/root" && find . | cpio -o -H newc 2>/dev/null) >"$tmp/initrd" || exit 99

# how far: the last milestone seen on the console
milestone() {
	f=$1
	if grep -q 'AFTERBURN-INIT: reached /init' "$f"; then echo "/init ran"
	elif grep -q 'Run /init' "$f"; then echo "started /init"
	elif grep -q 'Freeing unused kernel' "$f"; then echo "freed init memory"
	elif grep -q 'x86/fpu:' "$f"; then echo "after FPU init (int3 self-test?)"
	elif grep -q 'Linux version' "$f"; then echo "early boot"
	else echo "no console output"; fi
}

run() {	# NAME COMMAND...
	name=$1; shift
	start=$(date +%s.%N)
	timeout $((timeout + 30)) "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
	st=$?
	end=$(date +%s.%N)
	secs=$(echo "$end - $start" | bc)
	exits=$(awk '/exits to the VMM:/ { print $NF }' "$tmp/$name.err")
	why=$(sed -n 's/^afterburn-kvm: error: //p' "$tmp/$name.err" | head -1)
	rip=$(awk '$1 == "rip" { print $2; exit }' "$tmp/$name.err")
	sym=
	[ -n "$rip" ] && sym=$(nm "$vmlinux" 2>/dev/null | sort |
		awk -v a="$rip" '$1 <= a { s = $3 } END { print s }')
	printf '%-18s %-6s %-8s %-34s %s\n' "$name" "$st" "${exits:--}" \
		"$(milestone "$tmp/$name.out")" "${why:-}${sym:+ at $sym}"
	echo "--- $name console (last lines)" >>"$tmp/log"
	tr -d '\r' <"$tmp/$name.out" | tail -15 >>"$tmp/log"
	cat "$tmp/$name.err" >>"$tmp/log"
	printf '%s %s\n' "$name" "$secs" >>"$tmp/times"
	case $name in
	kvm-*)	grep -q 'AFTERBURN-INIT: reached /init' "$tmp/$name.out" &&
			[ "$st" -eq 0 ] || fail=1
		# afterburn-kvm's CMOS clock answered Linux at boot.
		! grep -q 'Unable to read current time from RTC' "$tmp/$name.out" ||
			{ echo "FAIL: $name: Linux found no RTC"; fail=1; }
		# The CPU Linux identified (its cpuid, through the wedge or not).
		tr -d '\r' <"$tmp/$name.out" | sed 's/^\[[^]]*\] //' |
			grep -E -m1 '^(smpboot: )?CPU[0-9]*: .*(family|model)' \
			>"$tmp/$name.cpu"
		# ... and started every vCPU (the MP table, INIT/SIPI).
		[ "$smp" -eq 1 ] || grep -q "Brought up .* $smp CPUs" "$tmp/$name.out" ||
			{ echo "FAIL: $name: Linux did not bring up $smp CPUs"; fail=1; } ;;
	esac
}
fail=0

printf '%-18s %-6s %-8s %-34s %s\n' host status exits "how far" "why it stopped"
run kvm-patched "$kvm" -smp "$smp" --stats --timeout="$timeout" -m 256 -initrd "$tmp/initrd" \
	-append "$append" -kernel "$vmlinux"
run kvm-no-patch "$kvm" -smp "$smp" --no-patch --entry=pvh --stats --timeout="$timeout" -m 256 \
	-initrd "$tmp/initrd" -append "$append" -kernel "$vmlinux"
# Patched, Linux must see the CPU the unpatched boot sees (the wedge's
# cpuid answers are the vCPU's).
echo "CPU (patched):   $(cat "$tmp/kvm-patched.cpu")"
echo "CPU (unpatched): $(cat "$tmp/kvm-no-patch.cpu")"
if [ ! -s "$tmp/kvm-patched.cpu" ] ||
   ! cmp -s "$tmp/kvm-patched.cpu" "$tmp/kvm-no-patch.cpu"; then
	echo "FAIL: Linux identified another CPU when patched"
	fail=1
fi
# A shell on the console: commands typed once its prompt is there.
shell() {
	rm -f "$tmp/in" && mkfifo "$tmp/in" || exit 99
	"$kvm" -smp "$smp" --timeout="$timeout" -m 256 -initrd "$tmp/initrd" \
		-append "$append rdinit=/bin/sh" -kernel "$vmlinux" \
		<"$tmp/in" >"$tmp/shell.out" 2>"$tmp/shell.err" &
	pid=$!
	exec 3>"$tmp/in"
	n=0
	while ! grep -q '^/ # ' "$tmp/shell.out" && [ $n -lt "$timeout" ] &&
		kill -0 $pid 2>/dev/null; do
		sleep 1
		n=$((n + 1))
	done
	echo 'echo afterburn-$((6 * 7)); /bin/busybox reboot -f' >&3
	wait $pid
	st=$?
	exec 3>&-
	if grep -q '^afterburn-42' "$tmp/shell.out"; then
		printf '%-18s %-6s %-8s %s\n' kvm-shell "$st" - "a command typed at /bin/sh ran"
	else
		printf '%-18s %-6s %-8s %s\n' kvm-shell "$st" - "the shell did not run the command"
		fail=1
	fi
	echo "--- kvm-shell console (last lines)" >>"$tmp/log"
	tr -d '\r' <"$tmp/shell.out" | tail -8 >>"$tmp/log"
}
shell

if [ "${LINUX_QEMU:-yes}" != no ] && command -v qemu-system-x86_64 >/dev/null; then
	run qemu-kvm timeout "$timeout" qemu-system-x86_64 -enable-kvm -cpu qemu64 \
		-smp "$smp" -m 256 -nographic -no-reboot -kernel "$vmlinux" -initrd "$tmp/initrd" \
		-append "$append"
fi
echo "--- wall seconds"; cat "$tmp/times"
cat "$tmp/log"
if [ $fail -ne 0 ]; then
	echo "FAIL: Linux did not run /init under afterburn-kvm both ways, or its shell"
	exit 1
fi
echo "PASS: Linux ran /init under afterburn-kvm, patched and unpatched, and a shell"
exit 0
