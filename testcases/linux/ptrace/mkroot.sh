#!/bin/sh
# SPDX-License-Identifier: MIT
# mkroot.sh: the root file system of the guest Linux that make
# check-linux-ptrace and make bench-linux-ptrace boot.
#
# Usage: testcases/linux/ptrace/mkroot.sh DIR BUSYBOX [PROGRAM...] [--cpio=FILE]
#
# Fills DIR (created; must not exist yet) with /init (this directory's
# init script), /bin/busybox (BUSYBOX: a static busybox of the guest's
# architecture), /bin links for the applets the script uses, each
# PROGRAM in /bin under its name without an -ARCH suffix (lx-ops-i386 ->
# /bin/lx-ops), and empty /dev, /proc, /tmp.  With --cpio, also writes
# DIR as a newc initramfs to FILE.  Exit status 0, or 1 with a message.
set -eu
me=mkroot.sh
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "$me: $*" >&2; exit 1; }

cpio_out=
dir=
busybox=
progs=
for arg; do
	case $arg in
	--cpio=*) cpio_out=${arg#*=} ;;
	-*) die "unknown option '$arg'" ;;
	*)	if [ -z "$dir" ]; then dir=$arg
		elif [ -z "$busybox" ]; then busybox=$arg
		else progs="$progs $arg"; fi ;;
	esac
done
[ -n "$dir" ] && [ -n "$busybox" ] || die "usage: $me DIR BUSYBOX [PROGRAM...] [--cpio=FILE]"
[ ! -e "$dir" ] || die "$dir exists already"
[ -x "$busybox" ] || die "no busybox at '$busybox'"
for p in $progs; do
	[ -x "$p" ] || die "no program at '$p'"
done

mkdir -p "$dir/bin" "$dir/dev" "$dir/proc" "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
for a in sh ls cat echo seq grep wc tr sed cut sort uniq head dd md5sum \
	mount mknod mkdir uname true sync reboot poweroff halt sleep; do
	ln -s busybox "$dir/bin/$a"
done
cp "$here/init" "$dir/init"
chmod 755 "$dir/init"
for p in $progs; do
	name=$(basename "$p")
	name=${name%-i386}
	name=${name%-x86_64}
	cp "$p" "$dir/bin/$name"
	chmod 755 "$dir/bin/$name"
done
if [ -n "$cpio_out" ]; then
	command -v cpio >/dev/null || die "cpio is missing (apt-get install cpio)"
	(cd "$dir" && find . | LC_ALL=C sort | cpio -o -H newc 2>/dev/null) >"$cpio_out" ||
		die "cannot write $cpio_out"
fi
