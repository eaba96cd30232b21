#!/bin/sh
# Fuzz the note parser, image reader, validator and patcher for ~30 s with
# libFuzzer if clang can build it, else run the corpus through the
# standalone driver.  Both are built with AddressSanitizer and
# UndefinedBehaviorSanitizer, errors fatal: a sanitizer report fails the
# test like a crash does.
# An automake test: exit 0 on success, 1 on a crash, a sanitizer report
# or a build failure.
set -u

srcdir=${top_srcdir:-.}
builddir=${top_builddir:-.}
seconds=${AFB_FUZZ_SECONDS:-30}
work=$(mktemp -d "${TMPDIR:-/tmp}/afb-fuzz-XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

lib="decode nops note image layout validate patch error kind"
sources=
for f in $lib; do sources="$sources $srcdir/loader/$f.c"; done
if [ -f "$builddir/loader/table.c" ]; then
	sources="$sources $builddir/loader/table.c"
else
	sources="$sources $srcdir/loader/table.c"
fi
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -I$srcdir/include -I$builddir/include -I$srcdir/loader"
# Every sanitizer report ends the run with an error.
sanitize="-fno-sanitize-recover=all -fno-omit-frame-pointer"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
libs="$(pkg-config --libs libelf 2>/dev/null || echo -lelf) -lpthread"
target="$srcdir/testcases/fuzz/fuzz_note.c"
cp -R "$srcdir/testcases/fuzz/corpus" "$work/corpus"
chmod -R u+w "$work/corpus"

# A sanitizer that reported and carried on still fails the test.
reported()
{
	grep -E -q 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer' "$1"
}

if command -v clang >/dev/null 2>&1 &&
   clang $cflags -fsanitize=fuzzer,address,undefined $sanitize \
	-o "$work/fuzz_note" $target $sources $libs 2>"$work/build.log"; then
	echo "run-fuzz: libFuzzer with ASan and UBSan (errors fatal) for ${seconds}s"
	"$work/fuzz_note" -max_total_time="$seconds" -rss_limit_mb=2048 \
		-artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" \
		>"$work/fuzz.log" 2>&1
	status=$?
	tail -n 20 "$work/fuzz.log"
	if [ $status -ne 0 ] || reported "$work/fuzz.log"; then
		grep -E -A 12 'runtime error:|ERROR: .*Sanitizer' "$work/fuzz.log" | head -n 40
		echo "run-fuzz: the fuzzer failed (exit status $status); reproducer:"
		ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null
		for f in "$work"/crash-* "$work"/leak-*; do
			[ -f "$f" ] && od -An -tx1 "$f" | head -n 20
		done
		exit 1
	fi
	exit 0
fi

echo "run-fuzz: no libFuzzer (see below); running the corpus standalone"
head -n 5 "$work/build.log" 2>/dev/null
cc=${CC:-cc}
if ! $cc $cflags -fsanitize=address,undefined $sanitize -o "$work/standalone" \
	"$srcdir/testcases/fuzz/standalone.c" $target $sources $libs \
	2>"$work/build.log"; then
	head -n 5 "$work/build.log"
	echo "run-fuzz: $cc cannot build with ASan and UBSan; without them"
	$cc $cflags -o "$work/standalone" "$srcdir/testcases/fuzz/standalone.c" \
		$target $sources $libs || exit 1
fi
"$work/standalone" "$work/corpus" >"$work/fuzz.log" 2>&1
status=$?
cat "$work/fuzz.log"
if [ $status -ne 0 ] || reported "$work/fuzz.log"; then
	echo "run-fuzz: the standalone run failed (exit status $status)"
	exit 1
fi
exit 0
