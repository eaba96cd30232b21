/* padding: the native cost of afterburn's site padding (goal P2).
 *
 * An afterburnt kernel that runs unpatched on bare metal executes, at every
 * site, the original instruction and then the nops afterburn-as put after
 * it (GAS ".nops N", N = site length - instruction length).  No guest CPL0
 * code runs natively on these machines (QEMU TCG and PVM both emulate it and
 * charge a nop like any instruction), so this program measures the site
 * shapes that also execute in user mode, on the real CPU: a tight loop of
 * the bare instruction against the same loop with each instruction followed
 * by exactly the padding afterburn-as emits for it (the same ".nops N"
 * directive, assembled by GNU as).  Pairs of runs alternate A/B and B/A;
 * min/median/max are over the repetitions.
 *
 * Usage: bench/padding [--reps=N] [--target-us=N] [--shapes=a,b,...]
 *                      [--csv=FILE] [--list]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UNROLL 8
#define U8(x) x x x x x x x x

/* The loops are whole asm statements: the compiler adds nothing between the
 * instances, and the stack pointer moves below the red zone first (pushf and
 * push must not clobber what the compiler keeps there). */
#define LOOP(name, setup, body, ...)                                        \
	static __attribute__((noinline)) void name(long n)                      \
	{                                                                       \
		__asm__ volatile("sub $128, %%rsp\n\t" setup                          \
		                 ".p2align 5\n"                                       \
		                 "1:\n\t" U8(body) "dec %0\n\t"                       \
		                 "jnz 1b\n\t"                                         \
		                 "add $128, %%rsp"                                    \
		                 : "+r"(n)                                            \
		                 :                                                    \
		                 : "memory", "cc", __VA_ARGS__);                      \
	}

/* pushf is a site of 5 bytes (pad 4); the kernel saves the flags with
 * pushf; pop. */
LOOP(pushf_plain, "", "pushf\n\tpop %%rax\n\t", "rax")
LOOP(pushf_padded, "", "pushf\n\t.nops 4\n\tpop %%rax\n\t", "rax")
/* popf: 5 bytes (pad 4); restored with push; popf (IF and IOPL are not
 * changed: the same flags go back). */
LOOP(popf_plain, "pushf\n\tpop %%rax\n\t", "push %%rax\n\tpopf\n\t", "rax")
LOOP(popf_padded, "pushf\n\tpop %%rax\n\t", "push %%rax\n\tpopf\n\t.nops 4\n\t", "rax")
/* cpuid: 2 bytes, site 5 (pad 3); leaf 0 */
LOOP(cpuid_plain, "", "xor %%eax, %%eax\n\tcpuid\n\t", "rax", "rbx", "rcx", "rdx")
LOOP(cpuid_padded, "", "xor %%eax, %%eax\n\tcpuid\n\t.nops 3\n\t", "rax", "rbx", "rcx", "rdx")
/* rdtsc: 2 bytes, site 5 (pad 3) */
LOOP(rdtsc_plain, "", "rdtsc\n\t", "rax", "rdx")
LOOP(rdtsc_padded, "", "rdtsc\n\t.nops 3\n\t", "rax", "rdx")
/* A plain ALU loop: cmc (1 byte, one cycle, a dependency chain through CF)
 * stands in for the 1-byte cli (site 7, pad 6) and sti (site 5, pad 4),
 * which fault in user mode: the padding alone, where it hurts most. */
LOOP(alu_plain, "", "cmc\n\t", "rax")
LOOP(alu_cli_padded, "", "cmc\n\t.nops 6\n\t", "rax")
LOOP(alu_sti_padded, "", "cmc\n\t.nops 4\n\t", "rax")
/* The same with four independent adds beside it: a throughput-bound loop,
 * where the nop takes a slot of the front end that real work could use. */
#define WIDE "add $1, %%r8\n\tadd $1, %%r9\n\tadd $1, %%r10\n\tadd $1, %%r11\n\t"
LOOP(wide_plain, "", WIDE "cmc\n\t", "r8", "r9", "r10", "r11")
LOOP(wide_padded, "", WIDE "cmc\n\t.nops 6\n\t", "r8", "r9", "r10", "r11")

struct shape {
	const char *name;
	const char *what;
	int insn_len, site_len;
	void (*plain)(long), (*padded)(long);
	long n;                   /* loop iterations per timed batch */
	double *a, *b;            /* per instance, TSC ticks, one per rep */
	int on;
};

#define SHAPE(nm, w, il, sl, a, b) \
	{ .name = nm, .what = w, .insn_len = il, .site_len = sl, .plain = a, .padded = b }
static struct shape shapes[] = {
	SHAPE("pushf", "pushf; pop (pushf site, pad 4)", 1, 5, pushf_plain, pushf_padded),
	SHAPE("popf", "push; popf (popf site, pad 4)", 1, 5, popf_plain, popf_padded),
	SHAPE("cpuid", "cpuid leaf 0 (pad 3)", 2, 5, cpuid_plain, cpuid_padded),
	SHAPE("rdtsc", "rdtsc (pad 3)", 2, 5, rdtsc_plain, rdtsc_padded),
	SHAPE("alu-cli", "cmc + cli's padding (pad 6), latency-bound", 1, 7, alu_plain, alu_cli_padded),
	SHAPE("alu-sti", "cmc + sti's padding (pad 4), latency-bound", 1, 5, alu_plain, alu_sti_padded),
	SHAPE("alu-wide", "4 independent adds + cmc + cli's padding, throughput-bound", 1, 7,
	      wide_plain, wide_padded),
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

static inline uint64_t tsc_begin(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t tsc_end(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi)::"rcx", "memory");
	return (uint64_t)hi << 32 | lo;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* TSC ticks per instance of the shape for one batch of n iterations. */
static double batch(void (*fn)(long), long n)
{
	uint64_t t0 = tsc_begin();
	fn(n);
	uint64_t t1 = tsc_end();
	return (double)(t1 - t0) / ((double)n * UNROLL);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

struct stats { double min, med, max; };

static struct stats stats(const double *v, int n)
{
	double *s = malloc(n * sizeof(*s));
	if (!s) {
		perror("malloc");
		exit(1);
	}
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	struct stats r = { s[0], n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, s[n - 1] };
	free(s);
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: padding [--reps=N] [--target-us=N] [--shapes=LIST] [--csv=FILE] [--list]\n"
	        "Time each user-mode site shape bare and with afterburn-as's padding, interleaved.\n"
	        "  --reps=N        A/B pairs per shape (default 101)\n"
	        "  --target-us=N   length of one timed batch (default 500)\n"
	        "  --shapes=LIST   comma-separated subset (see --list)\n"
	        "  --csv=FILE      every batch: shape,rep,variant,ticks_per_instance\n");
}

int main(int argc, char **argv)
{
	int reps = 101;
	double target_us = 500;
	const char *csvfile = NULL, *only = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--reps=", 7) == 0 && atoi(a + 7) > 0)
			reps = atoi(a + 7);
		else if (strncmp(a, "--target-us=", 12) == 0 && atof(a + 12) > 0)
			target_us = atof(a + 12);
		else if (strncmp(a, "--shapes=", 9) == 0)
			only = a + 9;
		else if (strncmp(a, "--csv=", 6) == 0)
			csvfile = a + 6;
		else if (strcmp(a, "--list") == 0) {
			for (size_t s = 0; s < NSHAPES; s++)
				printf("%-8s %s\n", shapes[s].name, shapes[s].what);
			return 0;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "padding: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	int nsel = 0;
	for (size_t s = 0; s < NSHAPES; s++) {
		if (only) {
			size_t l = strlen(shapes[s].name);
			const char *p = only;
			while ((p = strstr(p, shapes[s].name))) {
				if ((p == only || p[-1] == ',') && (p[l] == ',' || p[l] == '\0')) {
					shapes[s].on = 1;
					break;
				}
				p += l;
			}
		} else
			shapes[s].on = 1;
		nsel += shapes[s].on;
	}
	if (!nsel) {
		fprintf(stderr, "padding: no shape matches '%s' (see --list)\n", only);
		return 2;
	}

	/* Stay on one CPU: no migration between the two TSC reads. */
	cpu_set_t set;
	int cpu = sched_getcpu();
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}

	/* The TSC rate, over the whole run (for ns). */
	double ns0 = now_ns();
	uint64_t tsc0 = tsc_begin();

	/* Batch sizes: enough iterations for target_us (TSC rate measured
	 * roughly first with a 20 ms spin). */
	while (now_ns() - ns0 < 2e7)
		;
	double ticks_per_us = (tsc_begin() - tsc0) / ((now_ns() - ns0) / 1e3);
	for (size_t s = 0; s < NSHAPES; s++) {
		struct shape *sh = &shapes[s];
		if (!sh->on)
			continue;
		long n = 1;
		for (;;) {
			double t = batch(sh->plain, n) * n * UNROLL;
			if (t >= target_us * ticks_per_us || n > (1L << 40))
				break;
			n = t > 0 ? (long)(n * (target_us * ticks_per_us / t) * 1.1) + 1 : n * 2;
			if (n < 1)
				n = 1;
		}
		sh->n = n;
		sh->a = calloc(reps, sizeof(double));
		sh->b = calloc(reps, sizeof(double));
		if (!sh->a || !sh->b) {
			perror("calloc");
			return 1;
		}
		batch(sh->padded, n);   /* warm up */
	}

	/* Interleaved: every rep runs every shape, A then B or B then A. */
	for (int r = 0; r < reps; r++) {
		for (size_t s = 0; s < NSHAPES; s++) {
			struct shape *sh = &shapes[s];
			if (!sh->on)
				continue;
			if (r % 2 == 0) {
				sh->a[r] = batch(sh->plain, sh->n);
				sh->b[r] = batch(sh->padded, sh->n);
			} else {
				sh->b[r] = batch(sh->padded, sh->n);
				sh->a[r] = batch(sh->plain, sh->n);
			}
		}
	}
	double tsc_khz = (tsc_end() - tsc0) / ((now_ns() - ns0) / 1e6);

	printf("Site padding on the native CPU: %d interleaved A/B pairs per shape, "
	       "%d instances per loop turn, ~%.0f us batches\n",
	       reps, UNROLL, target_us);
	printf("TSC ticks per instance (TSC %.0f MHz), min / median / max; "
	       "ratio = padded / bare per pair\n\n",
	       tsc_khz / 1e3);
	printf("  %-8s %3s  %-22s %-22s %-20s %9s %8s\n", "shape", "pad", "bare (A)",
	       "padded (B)", "ratio B/A", "extra/site", "ns/site");
	for (size_t s = 0; s < NSHAPES; s++) {
		struct shape *sh = &shapes[s];
		if (!sh->on)
			continue;
		double *ratio = malloc(reps * sizeof(double)), *diff = malloc(reps * sizeof(double));
		if (!ratio || !diff) {
			perror("malloc");
			return 1;
		}
		for (int r = 0; r < reps; r++) {
			ratio[r] = sh->a[r] > 0 ? sh->b[r] / sh->a[r] : 0;
			diff[r] = sh->b[r] - sh->a[r];
		}
		struct stats a = stats(sh->a, reps), b = stats(sh->b, reps);
		struct stats q = stats(ratio, reps), d = stats(diff, reps);
		char as[40], bs[40], qs[40];
		snprintf(as, sizeof as, "%.2f/%.2f/%.2f", a.min, a.med, a.max);
		snprintf(bs, sizeof bs, "%.2f/%.2f/%.2f", b.min, b.med, b.max);
		snprintf(qs, sizeof qs, "%.3f/%.3f/%.3f", q.min, q.med, q.max);
		printf("  %-8s %3d  %-22s %-22s %-20s %+9.2f %+8.3f\n", sh->name,
		       sh->site_len - sh->insn_len, as, bs, qs, d.med, d.med / (tsc_khz / 1e6));
		free(ratio);
		free(diff);
	}
	printf("\n  extra/site: median over pairs of (padded - bare), TSC ticks per site "
	       "(ns/site: the same in ns).\n"
	       "  cpuid leaves the guest here: this machine's hypervisor emulates it "
	       "(microseconds each),\n"
	       "  so its padding is lost in the exit's noise: an honest but poor measurement.\n"
	       "  alu-cli/alu-sti: the padding after a 1-cycle instruction on a dependency chain;\n"
	       "  alu-wide: beside four independent adds, where front-end slots are what counts.\n");

	if (csvfile) {
		FILE *f = fopen(csvfile, "w");
		if (!f) {
			fprintf(stderr, "padding: %s: %s\n", csvfile, strerror(errno));
			return 1;
		}
		fprintf(f, "shape,pad_bytes,rep,variant,iterations,ticks_per_instance,tsc_khz\n");
		for (size_t s = 0; s < NSHAPES; s++) {
			struct shape *sh = &shapes[s];
			if (!sh->on)
				continue;
			for (int r = 0; r < reps; r++) {
				fprintf(f, "%s,%d,%d,bare,%ld,%.4f,%.0f\n", sh->name,
				        sh->site_len - sh->insn_len, r, sh->n * UNROLL, sh->a[r], tsc_khz);
				fprintf(f, "%s,%d,%d,padded,%ld,%.4f,%.0f\n", sh->name,
				        sh->site_len - sh->insn_len, r, sh->n * UNROLL, sh->b[r], tsc_khz);
			}
		}
		if (fclose(f)) {
			fprintf(stderr, "padding: %s: %s\n", csvfile, strerror(errno));
			return 1;
		}
		printf("\n  CSV: %s\n", csvfile);
	}
	return 0;
}
