#!/bin/sh
# The release as a new user meets it: unpack the tarball that make dist
# wrote, check that every file the README and the docs name is in it,
# and run the README's two commands there.
#
#   from-tarball.sh TARBALL
#
# Run by make distcheck (distcheck-hook).  The first command,
# "scripts/setup && scripts/demo", runs whole: it builds Afterburner and
# the test kernel from the unpacked tree and boots it on every host
# available, and each host must pass all of its self-tests.  The second,
# "scripts/check", runs make check and then make distcheck, which would
# run this script again without end; it is checked lighter: it parses,
# every script it runs is there and executable, and the unpacked tree's
# own make check runs one test and knows the distcheck target.
set -u
tarball=${1:?usage: from-tarball.sh TARBALL}
case $tarball in /*) ;; *) tarball=$(pwd)/$tarball ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/afb-tarball.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
failures=0

fail() {
	echo "FAIL: from-tarball: $*" >&2
	failures=$((failures + 1))
}

cd "$tmp" && tar xzf "$tarball" || { echo "FAIL: cannot unpack $tarball" >&2; exit 1; }
top=$(echo "$tmp"/*/)
cd "$top" || exit 1
echo "from-tarball: unpacked into $top"

# Every file the README and the docs name is shipped.
# (A path of the tree, as the docs write one: after a backtick, a blank,
# "(" or POD's F<; not <afterburn/wedge.h>, which names an installed file.)
names=$(grep -ohP '(?<=[`( ]|F<)(doc|scripts|testcases|bench|include/afterburn|wedge|loader|util|afterburn)/[A-Za-z0-9_./-]*[A-Za-z0-9_]' \
	README.md doc/*.md doc/*.pod 2>/dev/null | sort -u)
for name in $names; do
	case $name in
	*/build/*|*/build-*|*/build|*.1|*.3|*.o|*.elf|*/bin/as|*/bin) continue ;;	# built
	include/afterburn/kinds.h|loader/table.c|afterburn/table.pl) continue ;;
	afterburn/afterburn-as|afterburn-*/) continue ;;
	esac
	# (a test program is built from its .c)
	[ -e "$name" ] || [ -e "${name%/}" ] || [ -e "$name.c" ] ||
		fail "$name is named in the docs but not in the tarball"
done
echo "from-tarball: $(echo "$names" | wc -w) paths named in README.md and doc/ checked"

# The README's first command.
demo_out=$tmp/demo.out
if ! scripts/setup >"$tmp/setup.out" 2>&1; then
	cat "$tmp/setup.out" >&2
	fail "scripts/setup failed"
fi
if scripts/demo >"$demo_out" 2>&1; then
	cat "$demo_out"
	for host in metal 'metal\+native' ptrace ptrace-trapped; do
		grep -Eq "^$host +SUMMARY passed=[0-9]+ failed=0 .*exit 0" "$demo_out" ||
		grep -Eq "^$host: SKIP" "$demo_out" ||
			fail "scripts/demo: host $host did not pass"
	done
	grep -Eq "^kvm +SUMMARY passed=[0-9]+ failed=0|^kvm: SKIP" "$demo_out" ||
		fail "scripts/demo: kvm neither passed nor skipped"
	grep -q 'sites, .*0 problems' "$demo_out" || fail "scripts/demo: no clean --verify"
else
	cat "$demo_out" >&2
	fail "scripts/demo failed"
fi

# The README's second command, checked without recursion.
sh -n scripts/check || fail "scripts/check does not parse"
for s in $(sed -n 's|^\(scripts/[a-z]*\).*|\1|p' scripts/check); do
	[ -x "$s" ] || fail "scripts/check runs $s, which is not an executable file"
done
make -s check TESTS=testcases/table/generated.sh >"$tmp/check.out" 2>&1 ||
	{ cat "$tmp/check.out" >&2; fail "make check in the unpacked tree failed"; }
make -n distcheck >/dev/null 2>&1 || fail "the unpacked tree has no distcheck target"

[ "$failures" -eq 0 ] || exit 1
echo "ok: from-tarball: README's commands work from $(basename "$tarball")"
