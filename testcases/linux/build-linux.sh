#!/bin/sh
# build-linux.sh: build a real Linux vmlinux (6.1 or 6.12), plain or afterburnt.
#
# Usage: testcases/linux/build-linux.sh [options]
#
#   --variant=afterburn  CC="gcc -B<bindir>/": gcc runs afterburn-as as its
#                        assembler (the default)
#   --variant=plain      the ordinary gcc and as, for comparison
#   --bindir=DIR         the gcc -B directory holding an 'as' (default: the
#                        afterburn-as one, $top_builddir/afterburn/bin)
#   --name=NAME          output directory name under the work directory
#                        (default: the variant)
#   --kernel=VERSION     which Debian kernel source: 6.1 (the default) or
#                        6.12; picks the tarball, the work directory and the
#                        configuration (linux.config, plus linux-VERSION.config
#                        where it exists: 6.12 turns on X86_FRED)
#   --arch=ARCH          x86_64 (the default) or i386 (make ARCH=i386, a
#                        32-bit kernel); picks the arch's own fragment
#                        linux-ARCH.config (merged after linux.config) and,
#                        for i386, the work directory build-i386 (6.1) or
#                        build-VERSION-i386
#   --tarball=FILE       kernel source (default
#                        /usr/src/linux-source-VERSION.tar.xz from Debian's
#                        linux-source-VERSION package)
#   --work=DIR           work directory (default
#                        $top_builddir/testcases/linux/build for 6.1,
#                        $top_builddir/testcases/linux/build-VERSION for
#                        another version: the afterburnt 6.12 kernel is
#                        testcases/linux/build-6.12/afterburn/vmlinux, the
#                        afterburnt i386 6.1 kernel
#                        testcases/linux/build-i386/afterburn/vmlinux)
#   --jobs=N             make -j (default: nproc)
#   --config=FILE        a second fragment merged after linux.config
#                        (linux-smp.config: the SMP configuration)
#   --as-flags=FLAGS     AFTERBURN_AS_FLAGS for this build, exactly (may be
#                        empty: afterburn-as's own defaults)
#   --clean              'make clean' first (the .config stays)
#   --configure-only     unpack and configure, do not build
#
# Environment: top_srcdir, top_builddir (default: this script's tree),
# LINUX_TARBALL, LINUX_WORK, JOBS, AFTERBURN_AS (its directory's bin/ is
# the -B directory), AFTERBURN_AS_FLAGS (if unset or empty, and no
# --as-flags, the afterburn variant uses --afterburn-audit=strict, so that an
# object with a missed sensitive instruction fails the build), AFTERBURN_SITES (the audit's tool; default
# $top_builddir/afterburn-sites).
#
# The kernel source is unpacked once and never modified: the build is out of
# tree (make O=...), configured from tinyconfig plus linux.config, and
# afterburn-as is brought in only through make variables.  Running it again
# rebuilds only what changed; if the assembler (or its flags) changed since
# the last build, the objects are cleaned first, because kbuild cannot see
# that change.  Prints the path of the vmlinux on success.
set -eu

me=build-linux.sh
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)

variant=afterburn
bindir=
name=
kernel=6.1
arch=x86_64
tarball=${LINUX_TARBALL:-}
work=${LINUX_WORK:-}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
clean=no
configure_only=no
as_flags=
as_flags_given=no
extra=

die() { echo "$me: $*" >&2; exit 1; }

for arg; do
	case $arg in
	--variant=*) variant=${arg#*=} ;;
	--bindir=*) bindir=${arg#*=} ;;
	--name=*) name=${arg#*=} ;;
	--kernel=*) kernel=${arg#*=} ;;
	--arch=*) arch=${arg#*=} ;;
	--tarball=*) tarball=${arg#*=} ;;
	--work=*) work=${arg#*=} ;;
	--jobs=*) jobs=${arg#*=} ;;
	--config=*) extra=${arg#*=}
		[ -r "$extra" ] || die "--config=$extra: no such file" ;;
	--as-flags=*) as_flags=${arg#*=}; as_flags_given=yes ;;
	--clean) clean=yes ;;
	--configure-only) configure_only=yes ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$arg' (try --help)" ;;
	esac
done

case $arch in
x86_64) suffix= ;;
i386) suffix=-i386 ;;
*) die "--arch must be x86_64 or i386, not '$arch'" ;;
esac
case $kernel in
6.1) work=${work:-$top_builddir/testcases/linux/build$suffix} ;;
6.12) work=${work:-$top_builddir/testcases/linux/build-$kernel$suffix} ;;
*) die "--kernel must be 6.1 or 6.12, not '$kernel'" ;;
esac
tarball=${tarball:-/usr/src/linux-source-$kernel.tar.xz}

case $variant in
plain) ;;
afterburn)
	if [ -z "$bindir" ]; then
		if [ -n "${AFTERBURN_AS:-}" ]; then
			bindir=$(dirname "$AFTERBURN_AS")/bin
		else
			bindir=$top_builddir/afterburn/bin
		fi
	fi
	[ -x "$bindir/as" ] ||
		die "no assembler at $bindir/as (build afterburn-as first: cd $top_builddir && make)"
	bindir=$(cd "$bindir" && pwd)
	# Exported so that gcc passes them down to afterburn-as; its audit
	# runs afterburn-sites, which is not installed yet when run from the
	# build tree.
	if [ "$as_flags_given" = yes ]; then
		AFTERBURN_AS_FLAGS=$as_flags
	else
		AFTERBURN_AS_FLAGS=${AFTERBURN_AS_FLAGS:---afterburn-audit=strict}
	fi
	export AFTERBURN_AS_FLAGS
	if [ -z "${AFTERBURN_SITES:-}" ] && [ -x "$top_builddir/afterburn-sites" ]; then
		AFTERBURN_SITES=$top_builddir/afterburn-sites
		export AFTERBURN_SITES
	fi
	;;
*) die "--variant must be plain or afterburn, not '$variant'" ;;
esac
name=${name:-$variant}

if [ ! -r "$tarball" ]; then
	die "kernel source $tarball not found.
Install it with:  sudo apt-get install linux-source-$kernel
or point LINUX_TARBALL (or --tarball=) at a linux-$kernel source tarball."
fi
for tool in make gcc flex bison bc perl; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is missing (Debian: sudo apt-get install build-essential flex bison bc libelf-dev libssl-dev)"
done

mkdir -p "$work"
work=$(cd "$work" && pwd)

## Unpack once.  The stamp names the tarball, so another tarball re-unpacks.

src=$work/src
stamp_src="$(stat -L -c '%s %Y' "$tarball") $tarball"
if [ ! -f "$src/.unpacked" ] || [ "$(cat "$src/.unpacked")" != "$stamp_src" ]; then
	echo "$me: unpacking $tarball into $src" >&2
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp"
	# The tarball holds one top directory (linux-source-6.1/).
	top=$(ls "$src.tmp")
	if [ "$(echo "$top" | wc -l)" -ne 1 ] || [ ! -f "$src.tmp/$top/Makefile" ]; then
		die "$tarball does not look like a kernel source tarball"
	fi
	mv "$src.tmp/$top" "$src"
	rmdir "$src.tmp"
	echo "$stamp_src" > "$src/.unpacked"
fi
kver=$(make -s -C "$src" kernelversion 2>/dev/null) || kver=unknown

## Configure: tinyconfig, merge linux.config (and the arch's and the
## version's own fragments), olddefconfig, then check.

out=$work/$name
log=$work/$name.log
mkdir -p "$out"
# The fragments as one file (linux.config, the arch's, the version's own,
# --config): what configured $out, and what must hold.
fragment=$here/linux.config
merged=$out/.afterburn-config.new
{
	cat "$fragment"
	cat "$here/linux-$arch.config"
	[ ! -f "$here/linux-$kernel.config" ] || cat "$here/linux-$kernel.config"
	[ -z "$extra" ] || cat "$extra"
} >"$merged"

fail() {
	echo "$me: $1 failed; the last lines of $log:" >&2
	tail -n 40 "$log" >&2
	echo "$me: full log: $log" >&2
	exit 1
}

if [ ! -f "$out/.config" ] || [ ! -f "$out/.afterburn-config" ] ||
   ! cmp -s "$merged" "$out/.afterburn-config"; then
	echo "$me: configuring $out (Linux $kver ARCH=$arch, tinyconfig + $fragment + linux-$arch.config${extra:+ + $extra})" >&2
	{
		make -C "$src" O="$out" ARCH="$arch" tinyconfig &&
		ARCH=$arch "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
			"$out/.config" "$merged" &&
		make -C "$src" O="$out" ARCH="$arch" olddefconfig
	} > "$log" 2>&1 || fail "configuration"
	cp "$merged" "$out/.afterburn-config"
fi
rm -f "$merged"
missing=$(grep '^CONFIG_[A-Za-z0-9_]*=y$' "$out/.afterburn-config" | while read -r opt; do
	grep -qx "$opt" "$out/.config" || echo "$opt"
done)
[ -z "$missing" ] ||
	die "$out/.config lacks:" "$missing" "(a dependency missing from $fragment?)"
[ "$configure_only" = no ] || { echo "$out/.config"; exit 0; }

## Build.

if [ "$variant" = plain ]; then
	cc=gcc
	tool_id="plain $(gcc --version | head -n 1) / $(as --version | head -n 1)"
else
	cc="gcc -B$bindir/"
	as_real=$(readlink -f "$bindir/as")
	# The assembler's code, not its manual (the POD after __END__).
	tool_id="$(sed '/^__END__$/q' "$as_real" | cksum) flags=$AFTERBURN_AS_FLAGS"
fi
if [ "$clean" = yes ] ||
   { [ -f "$out/.afterburn-tool" ] && [ "$(cat "$out/.afterburn-tool")" != "$tool_id" ]; }; then
	echo "$me: cleaning $out (the assembler changed or --clean)" >&2
	make -C "$src" O="$out" ARCH="$arch" clean > "$log" 2>&1 || fail "make clean"
fi
echo "$tool_id" > "$out/.afterburn-tool"

echo "$me: building $out/vmlinux (CC=\"$cc\", -j$jobs; log: $log)" >&2
start=$(date +%s)
make -C "$src" O="$out" ARCH="$arch" -j"$jobs" CC="$cc" vmlinux >> "$log" 2>&1 ||
	fail "the $name build of vmlinux"
end=$(date +%s)
echo "$me: built $out/vmlinux in $((end - start)) s" >&2
echo "$out/vmlinux"
