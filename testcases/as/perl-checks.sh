#!/bin/sh
# Author checks of the Perl sources: syntax, POD, Perl::Critic (if
# installed: apt-get install libperl-critic-perl).

. "$(dirname "$0")/common.sh"

script=$AFTERBURN_AS
gen=$top_srcdir/afterburn/gen-table
src=$top_srcdir/afterburn/afterburn-as.in

for f in "$script" "$gen"; do
	perl -c "$f" 2>"$work/perl-c" || { fail "perl -c $f"; cat "$work/perl-c" >&2; }
done
if command -v podchecker >/dev/null; then
	for f in "$src" "$gen"; do
		podchecker "$f" >"$work/pod" 2>&1 || { fail "podchecker $f"; cat "$work/pod" >&2; }
		grep -q WARNING "$work/pod" && { fail "podchecker warnings in $f"; cat "$work/pod" >&2; }
	done
fi
if command -v perlcritic >/dev/null; then
	# afterburn-as at severity 4 ("stern"), minus policies that fight the
	# design: global signal handlers and the child's environment are
	# meant to be global, the embedded table is not a module, the lexer's
	# one-line regexes read better without /x, and a file read in a loop
	# stays open for the loop.  gen-table at the default severity 5.
	perlcritic --severity 4 --quiet \
		--exclude Modules::RequireVersionVar \
		--exclude RegularExpressions::RequireExtendedFormatting \
		--exclude Variables::RequireLocalizedPunctuationVars \
		--exclude InputOutput::RequireBriefOpen \
		"$script" >"$work/critic" 2>&1 ||
		{ fail "perlcritic $script"; cat "$work/critic" >&2; }
	perlcritic --quiet "$gen" >"$work/critic" 2>&1 ||
		{ fail "perlcritic $gen"; cat "$work/critic" >&2; }
else
	echo "perlcritic not installed: skipped" >&2
fi

[ "$failures" -eq 0 ] || exit 1
exit 0
