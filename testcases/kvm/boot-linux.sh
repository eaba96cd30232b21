#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot the afterburnt Linux (make check-linux builds it) with a busybox
# initramfs under afterburn-kvm (patched: its PVH entry and the wedge
# window at 0xffffffff40000000, chosen by afterburn-kvm; --no-patch) and under
# qemu-system-x86_64 -enable-kvm, and print how far each got.  Not part
# of make check: it needs the Linux build.
#
# Environment: LINUX_VMLINUX (default testcases/linux/build/afterburn/
# vmlinux), AFTERBURN_KVM, BUSYBOX (default /bin/busybox, static),
# LINUX_TIMEOUT (seconds per boot, 120), LINUX_APPEND (extra options).
# Exit: 0 if every run was reported, 77 skip, 99 setup error.  The table
# is the result; reaching /init is not required (see afterburn-kvm(1)).
top=$(cd "$(dirname "$0")/../.." && pwd)
kvm=${AFTERBURN_KVM:-$top/afterburn-kvm}
vmlinux=${LINUX_VMLINUX:-$top/testcases/linux/build/afterburn/vmlinux}
busybox=${BUSYBOX:-/bin/busybox}
timeout=${LINUX_TIMEOUT:-120}
append="console=ttyS0 earlyprintk=serial,ttyS0 noxsave reboot=t ${LINUX_APPEND:-}"

[ -e /dev/kvm ] || { echo "SKIP: no /dev/kvm" >&2; exit 77; }
[ -f "$vmlinux" ] || { echo "SKIP: $vmlinux not built (make check-linux)" >&2; exit 77; }
[ -x "$kvm" ] || { echo "ERROR: $kvm not built" >&2; exit 99; }
[ -x "$busybox" ] || { echo "SKIP: no $busybox (busybox-static)" >&2; exit 77; }

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
	timeout $((timeout + 30)) "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
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
}

printf '%-18s %-6s %-8s %-34s %s\n' host status exits "how far" "why it stopped"
run kvm-patched "$kvm" --stats --timeout="$timeout" -m 256 -initrd "$tmp/initrd" \
	-append "$append" -kernel "$vmlinux"
run kvm-no-patch "$kvm" --no-patch --entry=pvh --stats --timeout="$timeout" -m 256 \
	-initrd "$tmp/initrd" -append "$append" -kernel "$vmlinux"
if command -v qemu-system-x86_64 >/dev/null; then
	run qemu-kvm timeout "$timeout" qemu-system-x86_64 -enable-kvm -cpu qemu64 \
		-m 256 -nographic -no-reboot -kernel "$vmlinux" -initrd "$tmp/initrd" \
		-append "$append"
fi
echo "--- wall seconds"; cat "$tmp/times"
cat "$tmp/log"
exit 0
