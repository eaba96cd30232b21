#!/bin/sh
# The project's documents are the project's: the design is doc/design.md
# and nothing in the tree points outside it; the README links the design
# and the "your own kernel" guide, and the guide covers what a kernel
# engineer needs (each host, Linux on each, a small kernel, $(CC) versus
# $(AS) builds, choosing --area).
set -u
: "${top_srcdir:=.}"
cd "$top_srcdir" || exit 1
failures=0

fail() {
	echo "FAIL: docs.sh: $*"
	failures=$((failures + 1))
}

for f in doc/design.md doc/your-kernel.md doc/guest-contract.md doc/porting.md doc/notes.md; do
	[ -s "$f" ] || fail "$f is missing"
done
# No reference to a design or document outside the project.
outside=$(grep -rnE 'DESIGN\.md|\.\./shared/|/work/shared' README.md NEWS doc afterburn loader wedge \
	util include testcases scripts bench 2>/dev/null | grep -v '^testcases/release/docs\.sh:')
[ -z "$outside" ] || fail "references outside the project: $outside"
grep -q 'doc/design\.md' README.md || fail "README does not link doc/design.md"
grep -q 'doc/your-kernel\.md' README.md || fail "README does not link doc/your-kernel.md"
for topic in '^## Building: `\$\(CC\)` or `\$\(AS\)`' '^## What each host needs' \
	'^## Linux' '\*\*metal\*\*' '\*\*kvm\*\*' '\*\*ptrace\*\*' \
	'^## A small kernel' 'boot sector' '^## Choosing `--area`' \
	'--afterburn-notes=unloaded'; do
	grep -Eq -- "$topic" doc/your-kernel.md || fail "doc/your-kernel.md lacks /$topic/"
done
# The design owns the decisions the code and docs cite by number.
for n in 1 2 3 4 5 6 7 8; do
	grep -q "^### $n\. " doc/design.md || fail "doc/design.md has no decision $n"
done
grep -rhoE 'doc/design\.md, decision [0-9]+' README.md doc loader wedge testcases |
	sed 's/.* //' | sort -u | while read -r n; do
	grep -q "^### $n\. " doc/design.md || echo "FAIL: docs.sh: decision $n is cited but not in doc/design.md"
done | grep . && failures=$((failures + 1))
# porting.md: sites jump, the file count, the metal area and boot command.
grep -q 'becomes a `call`\|a `call rel32` to it with `afb_wedge_call()`' doc/porting.md &&
	fail "doc/porting.md still says a site becomes a call"
grep -q 'four files touched' doc/porting.md || fail "doc/porting.md: the file count"
grep -q 'KERNEL_BASE + 0x90000' doc/porting.md || fail "doc/porting.md: the metal area"
grep -q 'boot-qemu.sh counted.elf' doc/porting.md || fail "doc/porting.md: the boot command"
# notes.md: readelf -n and fused sites.
grep -q '^## What readelf shows' doc/notes.md || fail "doc/notes.md: readelf -n"
grep -q '154 sites, 155 sensitive instructions' doc/notes.md || fail "doc/notes.md: fused sites"

[ "$failures" -eq 0 ] || exit 1
echo "ok: docs"
