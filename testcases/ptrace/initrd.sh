#!/bin/sh
# afterburn-ptrace --initrd=FILE: the file's bytes reach the guest as PVH
# module 0 (the test kernel prints its address, size and POSIX cksum CRC,
# compared here with cksum(1)), page aligned, above the image and below
# the top of RAM; without --initrd there is no module.  Bad input is
# refused with a message naming the file, exit status 1, before the guest
# starts (no console output): a missing file, an unreadable one, a
# directory, an empty file, one too big for guest RAM; an empty
# --initrd= is a usage error (2).
# Exit status: 0 pass, 1 fail, 77 skip.
name=initrd.sh
. "$(dirname "$0")/lib.sh"
need_host
[ -n "${KERNEL_AFTERBURNT:-}" ] || fail "KERNEL_AFTERBURNT is not set (make check sets it)"
scratch initrd
kernel=$KERNEL_AFTERBURNT

"$PTRACE_HOST" --help | grep -q -e '--initrd=FILE' || fail "--help does not list --initrd"

# The image's end, page aligned: the module must lie above it.
image_end=0
for seg in $(LC_ALL=C readelf -lW "$kernel" | awk '$1 == "LOAD" { print $4 "+" $6 }'); do
	[ $(($seg)) -le "$image_end" ] || image_end=$(($seg))
done
[ "$image_end" -gt 0 ] || fail "cannot read the image's segments"

# boots MEM FILE [MODE...]: boot with FILE as the initrd; the module line
# must carry cksum(1)'s CRC and size, at a page-aligned address inside
# RAM (MEM MiB) and above the image.
boots() {
	mem=$1 file=$2
	shift 2
	modes="$*"
	timeout 60 "$PTRACE_HOST" -m "${mem}M" "$@" --initrd="$file" --append noinit \
		"$kernel" >"$work/out" 2>"$work/err" </dev/null
	status=$?
	[ $status -eq 0 ] || { cat "$work/out" "$work/err" >&2; fail "$file: exit status $status"; }
	set -- $(cksum <"$file")
	crc=$1 size=$2
	line=$(tr -d '\r' <"$work/out" | grep '^kernel: module 0 at ') ||
		{ cat "$work/out" >&2; fail "$file: the guest saw no module"; }
	set -- $line
	[ "$6" = size ] && [ "$7" = "$size" ] && [ "$8" = cksum ] && [ "$9" = "$crc" ] ||
		fail "$file: the guest says '$line', cksum(1) says $crc $size"
	at=$(($5))
	[ $((at % 4096)) -eq 0 ] || fail "$file: module at $5: not page aligned"
	[ $((at + size)) -le $((mem << 20)) ] || fail "$file: module at $5 ends beyond RAM"
	[ "$at" -ge "$image_end" ] || fail "$file: module at $5 overlaps the image (ends at $image_end)"
	echo "ok: $file ($size bytes, -m ${mem}M${modes:+ $modes}): $line"
}

head -c 300001 /dev/urandom >"$work/random.img" || exit 1
boots 64 "$work/random.img"
boots 64 "$work/random.img" --no-patch
printf 'x' >"$work/one-byte.img"
boots 16 "$work/one-byte.img"
# Just fits: RAM less the image's pages, exactly.
fit=$(( (16 << 20) - (image_end + 4095) / 4096 * 4096 ))
head -c "$fit" /dev/zero >"$work/fits.img"
boots 16 "$work/fits.img"

timeout 60 "$PTRACE_HOST" --append noinit "$kernel" >"$work/out" 2>&1 </dev/null ||
	fail "no --initrd: exit status $?"
! grep -q 'module 0' "$work/out" || fail "no --initrd, yet the guest saw a module"
echo "ok: without --initrd, no module"

# refuses WHAT PATTERN ARGS...: exit status $want, PATTERN on stderr,
# nothing from the guest.
want=1
refuses() {
	what=$1 pattern=$2
	shift 2
	timeout 20 "$@" >"$work/out" 2>"$work/err" </dev/null
	status=$?
	[ $status -eq $want ] || fail "$what: exit status $status, expected $want"
	grep -q -e "$pattern" "$work/err" || { cat "$work/err" >&2; fail "$what: no '$pattern'"; }
	[ ! -s "$work/out" ] || fail "$what: the guest ran: $(head -3 "$work/out")"
	echo "ok: $what: $(head -1 "$work/err")"
}

refuses "a missing initrd" "--initrd: $work/none.img: No such file or directory" \
	"$PTRACE_HOST" --initrd="$work/none.img" "$kernel"
refuses "a directory" "--initrd: $work: is a directory" \
	"$PTRACE_HOST" --initrd="$work" "$kernel"
: >"$work/empty.img"
refuses "an empty initrd" "--initrd: $work/empty.img: an empty file" \
	"$PTRACE_HOST" --initrd="$work/empty.img" "$kernel"
head -c $((fit + 1)) /dev/zero >"$work/big.img"
refuses "an initrd one byte too big" "--initrd: $work/big.img: $((fit + 1)) bytes do not fit in guest RAM" \
	"$PTRACE_HOST" -m 16M --initrd="$work/big.img" "$kernel"
refuses "an initrd bigger than RAM" "big.img: [0-9]* bytes do not fit in guest RAM" \
	"$PTRACE_HOST" -m 4M --initrd="$work/big.img" "$kernel"
# Unreadable: mode 000, read by an unprivileged user (root reads anything).
cp "$work/one-byte.img" "$work/locked.img" && chmod 000 "$work/locked.img" || exit 1
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$work"
	set -- setpriv --reuid=65534 --regid=65534 --clear-groups
else
	set --
fi
refuses "an unreadable initrd" "--initrd: $work/locked.img: Permission denied" \
	"$@" "$PTRACE_HOST" --initrd="$work/locked.img" "$kernel"
want=2
refuses "an empty --initrd=" "--initrd needs a file name" \
	"$PTRACE_HOST" --initrd= "$kernel"
echo "PASS: $name"
