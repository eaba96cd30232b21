#!/bin/sh
# The porting guide's out-of-tree walk-through (doc/porting.md): install
# Afterburner into a scratch directory, build the example wedge
# counter.c against the installed headers and library only (pkg-config),
# load it with the installed afterburn-patch --wedge=PATH.so, and boot
# the patched test kernel under QEMU: every self-test must pass.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
kernel=${KERNEL_AFTERBURNT:?set by make check}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/afb-wedge-ext.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: out-of-tree.sh: $*" >&2
	exit 1
}

make -s -C "$top_builddir" install DESTDIR="$tmp/inst" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log" >&2; fail "make install DESTDIR=... failed"; }
prefix=$(sed -n 's/^prefix = //p' "$top_builddir/Makefile")
inst=$tmp/inst$prefix
for f in include/afterburn/wedge.h include/afterburn/vcpu.h \
	 include/afterburn/afterburn.h include/afterburn/kinds.h \
	 lib/pkgconfig/libafterburn.pc bin/afterburn-patch; do
	[ -e "$inst/$f" ] || fail "$f is not installed"
done

# Only the installed files: no -I or -L into the source or build tree.
export PKG_CONFIG_PATH="$inst/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$tmp/inst"
flags=$(pkg-config --cflags --libs libafterburn) || fail "pkg-config libafterburn"
cp "$top_srcdir/testcases/wedge-ext/counter.c" "$tmp/"
(cd "$tmp" && ${CC:-cc} -std=c11 -Wall -Wextra -Werror -shared -fPIC \
	counter.c -o counter.so $flags) || fail "counter.c does not build against the installed files"
echo "ok: counter.so built with $flags"

export LD_LIBRARY_PATH="$inst/lib"
"$inst/bin/afterburn-patch" "$kernel" -o "$tmp/counted.elf" --wedge="$tmp/counter.so" \
	--stats >"$tmp/stats" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "afterburn-patch --wedge=counter.so"; }
cat "$tmp/stats"
for k in cli sti pushf popf; do
	awk -v k=$k '$1 == k && $2 > 0 { ok = 1 } END { exit !ok }' "$tmp/stats" ||
		fail "no $k site patched"
done
awk '$1 != "KIND" && $1 != "total" && $1 != "wedge" && $1 !~ /^(cli|sti|pushf|popf)$/ && $2 > 0' \
	"$tmp/stats" | grep -q . && fail "patched kinds other than cli, sti, pushf, popf"
readelf -lW "$tmp/counted.elf" | grep -q 'LOAD .* 0x0000100000090000 .* RWE' ||
	fail "the area with the wedge's data is not an RWX PT_LOAD"

# A bad shared object is a usage error that names the problem.
printf 'int x;\n' > "$tmp/empty.c"
${CC:-cc} -shared -fPIC "$tmp/empty.c" -o "$tmp/empty.so" || fail "cc empty.so"
"$inst/bin/afterburn-patch" "$kernel" -o "$tmp/x.elf" --wedge="$tmp/empty.so" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "no wedge in it" "$tmp/err" || fail "a .so without a wedge: $(cat "$tmp/err")"
[ ! -e "$tmp/x.elf" ] || fail "a refused wedge left an output file"

# not exec: the EXIT trap removes $tmp
sh "$top_srcdir/testcases/kernel/boot-qemu.sh" "$tmp/counted.elf"
