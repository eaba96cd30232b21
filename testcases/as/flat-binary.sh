#!/bin/sh
# Objects that are not kernels survive ordinary links: a small i386
# program linked by ld's default script with -Ttext 0 and made a flat
# binary with objcopy -O binary.  With allocated notes (the default, for
# kernels) the notes land in a segment of their own far away and
# afterburn-sites --verify warns; with --afterburn-notes=unloaded the flat
# binary is as small as without afterburn-as and the sites still read.
. "$(dirname "$0")/common.sh"

cat >"$work/prog.s" <<'PROG'
	.text
	.globl _start
_start:
	cli
	movl	$1, %eax
	sti
	int	$0x40
	ret
PROG
build() {	# build NAME [AFTERBURN-AS OPTIONS]
	name=$1
	shift
	"$AFTERBURN_AS" --32 --afterburn-audit=strict "$@" -o "$work/$name.o" "$work/prog.s" ||
		fail "afterburn-as $*"
	ld -m elf_i386 -Ttext 0 -e _start -o "$work/$name.elf" "$work/$name.o" || fail "ld $name"
	objcopy -O binary "$work/$name.elf" "$work/$name.bin" || fail "objcopy $name"
}

"$AS" --32 -o "$work/plain.o" "$work/prog.s" &&
	ld -m elf_i386 -Ttext 0 -e _start -o "$work/plain.elf" "$work/plain.o" &&
	objcopy -O binary "$work/plain.elf" "$work/plain.bin" || fail "plain build"
plain=$(wc -c <"$work/plain.bin")

build loaded
"$AFTERBURN_SITES" --verify "$work/loaded.elf" >"$work/out" || fail "--verify loaded"
grep -q 'warning: the Afterburn notes in .note.afterburn.text sit in PT_LOAD segment' "$work/out" ||
	fail "no warning for notes far from their code: $(cat "$work/out")"

build unloaded --afterburn-notes=unloaded
size=$(wc -c <"$work/unloaded.bin")
[ "$size" -le $((plain + 64)) ] || fail "flat binary of $size bytes (plain as: $plain)"
[ "$(readelf -lW "$work/unloaded.elf" | grep -c ' LOAD ')" -eq 1 ] ||
	fail "more than one PT_LOAD: $(readelf -lW "$work/unloaded.elf")"
"$AFTERBURN_SITES" --verify "$work/unloaded.elf" >"$work/out" || fail "--verify unloaded: $(cat "$work/out")"
grep -q '^.*: 3 sites, 3 sensitive instructions, 0 problems' "$work/out" &&
	! grep -q warning "$work/out" || fail "--verify unloaded: $(cat "$work/out")"
"$AFTERBURN_SITES" "$work/unloaded.elf" | grep -q '^0x0 .* cli ' || fail "sites of the unloaded notes"
readelf -SW "$work/unloaded.o" | grep '\.note\.afterburn\.text' | grep -q ' A' &&
	fail "--afterburn-notes=unloaded left SHF_ALLOC on the note"

# A bad value is a usage error.
"$AFTERBURN_AS" --afterburn-notes=sometimes -o "$work/x.o" "$work/prog.s" 2>"$work/err"
[ $? -eq 2 ] || fail "--afterburn-notes=sometimes: not exit status 2"

[ "$failures" -eq 0 ] || exit 1
echo "ok: flat binary: $plain bytes plain, $size with unloaded notes"
