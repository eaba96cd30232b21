#!/bin/sh
# SPDX-License-Identifier: MIT
# boot-metal.sh: boot an afterburnt i386 Linux on "metal" (QEMU TCG, the
# stand-in for bare metal) through its PVH entry (-kernel of the ELF,
# whose XEN_ELFNOTE_PHYS32_ENTRY note QEMU reads), as built and patched
# offline by 'afterburn-patch --wedge=native', to a busybox shell.
#
# Usage: testcases/linux/boot-metal.sh VMLINUX
#
# Four boots: the image as built and the native-patched image, each
#   1. with a busybox /init that prints a line and powers off, and
#   2. with /bin/sh as init (rdinit=/bin/sh), where a command is typed at
#      the prompt on the serial console and its output must come back.
# The patched image must have every site of its own code size patched
# but those in .altinstr_replacement (afterburn-patch --stats), its
# thunks in the area it was given.
#
# Environment: QEMU (default qemu-system-i386), BUSYBOX (default
# $BUSYBOX_I386_DIR/busybox, /usr/local/lib/afterburner/i386/busybox,
# which scripts/setup --linux unpacks from Debian's busybox-static:i386),
# LINUX_AREA (the wedge area, default 0xc0090000,0x90000,0xf000: Linux's
# map of the low memory it keeps, see afterburn-patch(1); SeaBIOS under
# QEMU uses 0x80000-0x8ffff before the kernel runs), LINUX_TIMEOUT
# (seconds per boot, default 300), AFTERBURN_PATCH, AFTERBURN_SITES.
#
# Exit status: 0 all four boots reached their goal, 1 not, 99 setup error.
set -u

me=boot-metal.sh
here=$(cd "$(dirname "$0")" && pwd)
top_builddir=${top_builddir:-$(cd "$here/../.." && pwd)}
patch=${AFTERBURN_PATCH:-$top_builddir/afterburn-patch}
sites=${AFTERBURN_SITES:-$top_builddir/afterburn-sites}
timeout=${LINUX_TIMEOUT:-300}
vmlinux=${1:-}

[ -f "$vmlinux" ] || { echo "$me: usage: $me VMLINUX (no such file: '$vmlinux')" >&2; exit 99; }
case $(od -An -t x1 -j 4 -N 1 "$vmlinux" | tr -d ' ') in
01) class=32; qemu=${QEMU:-qemu-system-i386}
    busybox=${BUSYBOX:-${BUSYBOX_I386_DIR:-/usr/local/lib/afterburner/i386}/busybox}
    area=${LINUX_AREA:-0xc0090000,0x90000,0xf000} ;;
02) echo "$me: $vmlinux is an x86-64 kernel: Linux x86-64 maps no memory for a wedge area, so afterburn-patch refuses it (afterburn-patch(1)); this script boots i386 kernels" >&2
    exit 99 ;;
*) echo "$me: $vmlinux is not an ELF file" >&2; exit 99 ;;
esac
command -v "$qemu" >/dev/null || { echo "$me: no $qemu (apt-get install qemu-system-x86)" >&2; exit 99; }
[ -x "$busybox" ] || { echo "$me: no busybox at $busybox (run scripts/setup --linux)" >&2; exit 99; }
[ -x "$patch" ] || { echo "$me: no $patch (run make)" >&2; exit 99; }
# An i386 kernel runs no x86-64 program.
bclass=$(od -An -t x1 -j 4 -N 1 "$busybox" | tr -d ' ')
[ "$bclass" = "0$((class / 32))" ] ||
	{ echo "$me: $busybox is not a $class-bit program" >&2; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/boot-metal.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

## The initramfs: busybox, an /init that reports and powers off.
mkdir -p "$tmp/root/bin"
cp "$busybox" "$tmp/root/bin/busybox"
ln -s busybox "$tmp/root/bin/sh"
cat >"$tmp/root/init" <<'EOS'
#!/bin/busybox sh
/bin/busybox echo "AFTERBURN-INIT: reached /init on $(/bin/busybox uname -m)"
/bin/busybox reboot -f
EOS
chmod +x "$tmp/root/init"
(cd "$tmp/root" && find . | cpio -o -H newc 2>/dev/null) >"$tmp/initrd" || exit 99

## The native-patched image.
area_opt=--area=$area
if ! "$patch" "$vmlinux" -o "$tmp/native" --wedge=native $area_opt --stats \
	>"$tmp/patch.stats" 2>"$tmp/patch.err"; then
	echo "FAIL: afterburn-patch --wedge=native $area_opt:"; cat "$tmp/patch.err"
	exit 1
fi
sed 's/^/  /' "$tmp/patch.stats"
fail=0
# Every site is patched but those Linux copies into place at boot.
"$sites" --stats --format=tsv "$vmlinux" >"$tmp/sites.tsv" || exit 99
total=$(awk -F'\t' '$1 == "total" { print $3 }' "$tmp/sites.tsv")
alt=$(awk -F'\t' '$1 == "section" && $2 == ".altinstr_replacement" { print $3 }' "$tmp/sites.tsv")
patched=$(awk '$1 == "total" { print $2 }' "$tmp/patch.stats")
if [ "${patched:-0}" -gt 0 ] && [ "$patched" -eq $((total - ${alt:-0})) ]; then
	echo "PASS: afterburn-patch: $patched of $total sites patched (${alt:-0} in .altinstr_replacement left native)"
else
	echo "FAIL: afterburn-patch patched ${patched:-no} of $total sites, want all but the ${alt:-0} in .altinstr_replacement"
	fail=1
fi

append="console=ttyS0 panic=-1"

# boot NAME IMAGE: /init must run and power off.
boot() {
	timeout "$timeout" "$qemu" -m 256 -display none -monitor none -no-reboot \
		-serial "file:$tmp/$1.out" -kernel "$2" -initrd "$tmp/initrd" \
		-append "$append" </dev/null >"$tmp/$1.err" 2>&1
	st=$?
	if grep -q 'AFTERBURN-INIT: reached /init' "$tmp/$1.out" && [ "$st" -eq 0 ]; then
		echo "PASS: $1: $(tr -d '\r' <"$tmp/$1.out" | grep -m1 AFTERBURN-INIT)"
	else
		echo "FAIL: $1: /init did not run (QEMU exit $st); the last lines:"
		tr -d '\r' <"$tmp/$1.out" | tail -n 15 | sed 's/^/  /'
		sed 's/^/  qemu: /' "$tmp/$1.err"
		fail=1
	fi
}

# shell NAME IMAGE: /bin/sh as init; a command typed at its prompt runs.
shell() {
	rm -f "$tmp/in" && mkfifo "$tmp/in" || exit 99
	: >"$tmp/$1.out"	# read below before QEMU's redirection may exist
	timeout "$timeout" "$qemu" -m 256 -display none -monitor none -no-reboot \
		-serial stdio -kernel "$2" -initrd "$tmp/initrd" \
		-append "$append rdinit=/bin/sh" <"$tmp/in" >"$tmp/$1.out" 2>"$tmp/$1.err" &
	pid=$!
	exec 3>"$tmp/in"
	n=0
	while ! tr -d '\r' <"$tmp/$1.out" | grep -q '^/ # ' && [ $n -lt "$timeout" ] &&
		kill -0 $pid 2>/dev/null; do
		sleep 1
		n=$((n + 1))
	done
	echo 'echo afterburn-$((6 * 7)) on $(uname -m); /bin/busybox reboot -f' >&3
	wait $pid
	st=$?
	exec 3>&-
	if tr -d '\r' <"$tmp/$1.out" | grep -q '^afterburn-42 on i[3-6]86$\|^afterburn-42 on x86_64$'; then
		echo "PASS: $1: a command typed at /bin/sh ran: $(tr -d '\r' <"$tmp/$1.out" | grep -m1 '^afterburn-42')"
	else
		echo "FAIL: $1: the shell did not run the typed command (QEMU exit $st); the last lines:"
		tr -d '\r' <"$tmp/$1.out" | tail -n 15 | sed 's/^/  /'
		fail=1
	fi
}

boot plain "$vmlinux"
shell plain-shell "$vmlinux"
boot native "$tmp/native"
shell native-shell "$tmp/native"
[ "$fail" -eq 0 ] || exit 1
echo "PASS: $vmlinux boots to a busybox shell on $qemu, as built and native-patched"
