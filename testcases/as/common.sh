# Shared setup of the afterburn-as test scripts (sourced).  automake's
# check runs them with AFTERBURN_AS, AFTERBURN_SITES, top_srcdir and
# top_builddir set; by hand, the defaults fit a build in the source tree.

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$here/../..}"
: "${top_builddir:=$top_srcdir}"
: "${AFTERBURN_AS:=$top_builddir/afterburn/afterburn-as}"
: "${AFTERBURN_SITES:=$top_builddir/afterburn-sites}"
AS=${REAL_AS:-as}
export AFTERBURN_SITES
# An AFTERBURN_AS_FLAGS from the caller's shell would change what we test.
unset AFTERBURN_AS_FLAGS
case $AFTERBURN_AS in /*) ;; *) AFTERBURN_AS=$(pwd)/$AFTERBURN_AS ;; esac
case $AFTERBURN_SITES in /*) ;; *) AFTERBURN_SITES=$(pwd)/$AFTERBURN_SITES ;; esac

if [ ! -x "$AFTERBURN_AS" ]; then
	echo "SKIP: $AFTERBURN_AS not built" >&2
	exit 77
fi

cases="$here"/*/input.s
work=$(mktemp -d "${TMPDIR:-/tmp}/afb-test.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# case_args DIR: the extra as arguments of a case.
case_args() {
	if [ -f "$1/args" ]; then cat "$1/args"; fi
}
