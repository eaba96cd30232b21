// The first process: runs the self-tests and the benchmarks that the
// kernel command line asks for, prints a summary and powers off with the
// number of failed tests as exit status (0 = all passed).
//
// Command line words: "tests", "bench" (default: both), "iters=N" (the
// base iteration count of the benchmarks, default 2000).
//
// Output lines (one per write, machine-readable):
//   PLAN tests=N benches=M
//   PASS <name> | FAIL <name>: <reason>
//   BENCH name=<id> iters=<n> cycles_per_op=<x.yy> ns_per_op=<x.yy> [...]
//   SUMMARY passed=N failed=M
// Anything else a program prints starts with "#".

#include "user.h"

static int passed, failed;

void test_pass(const char *name)
{
	passed++;
	printf("PASS %s\n", name);
}

void test_fail(const char *name, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	failed++;
	printf("FAIL %s: %s\n", name, why);
}

struct options {
	int tests, bench;
	long iters;
};

// Split the command line into words and pick out ours.
static void parse_cmdline(struct options *o)
{
	char line[256];
	if (cmdline(line, sizeof(line)) < 0)
		line[0] = '\0';
	o->tests = o->bench = 0;
	o->iters = 2000;
	for (char *w = line; *w;) {
		char *e = w;
		while (*e && *e != ' ')
			e++;
		int last = *e == '\0';
		*e = '\0';
		if (strcmp(w, "tests") == 0)
			o->tests = 1;
		else if (strcmp(w, "bench") == 0)
			o->bench = 1;
		else if (strncmp(w, "iters=", 6) == 0 && atol(w + 6) > 0)
			o->iters = atol(w + 6);
		w = last ? e : e + 1;
	}
	if (!o->tests && !o->bench)
		o->tests = o->bench = 1;
}

int main(void)
{
	struct options o;
	parse_cmdline(&o);
	printf("PLAN tests=%d benches=%d\n", o.tests ? count_tests() : 0,
	       o.bench ? count_benchmarks() : 0);
	if (o.tests)
		run_tests();
	if (o.bench)
		run_benchmarks(o.iters);
	printf("SUMMARY passed=%d failed=%d\n", passed, failed);
	poweroff(failed > 0x7e ? 0x7e : failed);
}
