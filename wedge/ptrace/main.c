// SPDX-License-Identifier: MIT
/*
 * afterburn-ptrace IMAGE [--no-patch[=pure]] [--no-fast] [--stats] [-m MEM]
 *                        [--append CMDLINE] [--initrd FILE]
 *
 * The Linux-on-Linux host: boots an afterburnt (or plain) guest kernel
 * as an ordinary process.  See doc/afterburn-ptrace.pod.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "config.h"
#include "ptrace.h"
#include "stub-seccomp.h"

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

struct host the_host;

/* Bad usage: the exit status every Afterburner program gives it. */
#define EXIT_USAGE		2

/* The guest has started: statistics mean something from here on. */
static bool booted;

static void flush_console(void)
{
	uart__flush(&the_host.uart);
}

static void stats_on_exit(void)
{
	if (the_host.stats && booted)
		host_print_stats();
}

static const struct util_program ptrace_program = {
	.name = "afterburn-ptrace",
	.die_status = EXIT_HOST_ERROR,
	.before_message = flush_console,
	.before_exit = stats_on_exit,
};

void guest_crash(const char *fmt, ...)
{
	struct afb_vcpu *v = the_host.vcpu;
	va_list ap;

	va_start(ap, fmt);
	pr_vmessage("guest crashed: ", fmt, ap);
	va_end(ap);
	if (v)
		fprintf(stderr, "afterburn-ptrace: vcpu cpl %u cr3 0x%lx rflags(virt) 0x%lx\n",
		v->cpl, (unsigned long)v->cr3, (unsigned long)v->rflags);
	stats_on_exit();
	exit(EXIT_GUEST_CRASH);
}

void host_exit(int status)
{
	uart__flush(&the_host.uart);
	stats_on_exit();
	exit(status);
}

void host_print_stats(void)
{
	const struct host_stats *s = &the_host.st;
	const struct afb_vcpu *v = the_host.vcpu;
	const struct afb_patch_stats *p = &the_host.patch_stats;
	const struct wedge_data *wd = the_host.wd;
	unsigned int k;

	fprintf(stderr, "afterburn-ptrace: stats: mode=%s sites patched=%u native=%u\n",
		the_host.patch ? (the_host.fast ? "patched" : "patched-nofast") :
		the_host.pure_trap ? "trap-pure" : "trap",
		p->total_patched, p->total_native);
	if (!v)
		return;
	fprintf(stderr,
		"  thunk_calls=%lu fast_faults=%lu traps=%lu kernel_exceptions=%lu timer_signals=%lu "
		"irq_in_guest=%lu\n"
		"  syscalls=%lu user_runs=%lu user_exceptions=%lu user_pagefaults=%lu "
		"user_irqs=%lu\n"
		"  stubs_created=%lu stubs_reused=%lu injections=%lu injected_ops=%lu\n"
		"  cr3_loads=%lu kernel_walks=%lu idles=%lu stub_syncs=%lu stub_stops=%lu\n"
		"  user=%s handoffs=%lu refused=%lu stub_kicks=%lu\n",
		(unsigned long)s->thunk_calls, (unsigned long)s->fast_faults,
		(unsigned long)s->traps,
		(unsigned long)s->kernel_faults, (unsigned long)s->timer_signals,
		(unsigned long)s->irq_in_guest, (unsigned long)s->syscalls,
		(unsigned long)s->user_runs, (unsigned long)s->user_faults,
		(unsigned long)s->user_pagefaults, (unsigned long)s->user_irqs,
		(unsigned long)s->stubs_created, (unsigned long)s->stubs_reused,
		(unsigned long)s->injections, (unsigned long)s->injected_ops,
		(unsigned long)s->cr3_loads, (unsigned long)s->kernel_walks,
		(unsigned long)s->idles, (unsigned long)s->syncs,
		(unsigned long)s->stub_stops,
		the_host.user_seccomp ? "seccomp" : "ptrace",
		(unsigned long)s->handoffs, (unsigned long)s->refused,
		(unsigned long)s->stub_kicks);
	if (the_host.guest32)
		fprintf(stderr, "  i386: kernel_maps=%lu kernel_premaps=%lu ldt_misses=%lu\n",
			(unsigned long)s->kernel_maps,
			(unsigned long)s->kernel_premaps,
			(unsigned long)the_host.ldt.misses);
	fprintf(stderr, "  emulated:");
	for (k = 1; k <= AFB_KIND_MAX; k++)
		if (v->count[k])
			fprintf(stderr, " %s=%lu", afb_kind_name(k),
				(unsigned long)v->count[k]);
	fprintf(stderr, "\n  fast paths:");
	for (k = 1; k <= AFB_KIND_MAX; k++)
		if (wd->fast[k])
			fprintf(stderr, " %s=%lu", afb_kind_name(k),
				(unsigned long)wd->fast[k]);
	fprintf(stderr, "\n");
}

/*
 * --stats, per benchmark: at every "BENCH name=N iters=I ..." line of the
 * guest, the counters since the previous one, per operation (the
 * interval also holds the benchmark's set-up and the previous line's
 * printing: small next to I operations).
 */
static const char *const stat_names[] = {
	"slow_thunks", "fast_faults", "traps", "kernel_exceptions", "irq_in_guest",
	"timer_signals", "syscalls", "user_exceptions", "user_pagefaults",
	"user_irqs", "user_runs", "stub_batches", "stub_batch_ops",
	"stubs_created", "stubs_reused", "cr3_loads", "kernel_walks", "idles",
	"stub_syncs", "stub_stops", "handoffs", "refused", "stub_kicks",
	"kernel_maps", "kernel_premaps",
};
_Static_assert(sizeof(stat_names) / sizeof(stat_names[0]) ==
	       sizeof(struct host_stats) / sizeof(uint64_t),
	       "stat_names[] does not match struct host_stats");

static struct {
	struct host_stats st;
	uint64_t count[AFB_KIND_MAX + 1], fast[AFB_KIND_MAX + 1];
} snap;

void host_stats_line(const char *line, size_t len)
{
	struct host *h = &the_host;
	const uint64_t *now = (const uint64_t *)&h->st, *then = (const uint64_t *)&snap.st;
	char name[64];
	unsigned long iters;
	unsigned int i;

	if (!h->stats || !h->vcpu || len < 6 || memcmp(line, "BENCH ", 6) ||
	    sscanf(line, "BENCH name=%63s iters=%lu", name, &iters) != 2 || !iters)
		goto out;
	fprintf(stderr, "afterburn-ptrace: per op of %s:", name);
	for (i = 0; i < sizeof(stat_names) / sizeof(stat_names[0]); i++)
		if (now[i] != then[i])
			fprintf(stderr, " %s=%.2f", stat_names[i],
				(double)(now[i] - then[i]) / (double)iters);
	for (i = 1; i <= AFB_KIND_MAX; i++)
		if (h->vcpu->count[i] != snap.count[i])
			fprintf(stderr, " core:%s=%.2f", afb_kind_name(i),
				(double)(h->vcpu->count[i] - snap.count[i]) / (double)iters);
	for (i = 1; i <= AFB_KIND_MAX; i++)
		if (h->wd->fast[i] != snap.fast[i])
			fprintf(stderr, " fast:%s=%.2f", afb_kind_name(i),
				(double)(h->wd->fast[i] - snap.fast[i]) / (double)iters);
	fputc('\n', stderr);
out:
	if (h->stats && h->vcpu) {
		snap.st = h->st;
		memcpy(snap.count, h->vcpu->count, sizeof(snap.count));
		memcpy(snap.fast, h->wd->fast, sizeof(snap.fast));
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: afterburn-ptrace [OPTION]... IMAGE\n"
		"Boot an afterburnt guest kernel as a Linux process.\n\n"
		"  -m, --mem=SIZE         guest RAM (default 64M; suffix K, M or G)\n"
		"  -a, --append=CMDLINE   the guest's command line\n"
		"  -i, --initrd=FILE      load FILE at the top of guest RAM and pass\n"
		"                         it as PVH module 0 (Linux: an initramfs)\n"
		"      --no-patch         trap and emulate instead of patching sites\n"
		"      --no-patch=pure    ... without making non-trapping sites trap\n"
		"      --no-fast          patched, but every site through the full\n"
		"                         frame and the core (no cli/sti/pushf/popf\n"
		"                         fast paths)\n"
		"      --user=MODE        run guest user code with 'seccomp' (stubs\n"
		"                         catch their own calls; the default where\n"
		"                         the host kernel allows it) or 'ptrace'\n"
		"                         (a PTRACE_SYSEMU stop per event)\n"
		"  -s, --stats            print statistics on exit (stderr)\n"
		"  -v, --verbose          report guest exceptions (stderr)\n"
		"  -h, --help             show this help and exit\n"
		"      --version          show the version and exit\n\n"
		"The console (COM1) is standard output, and standard input (raw mode\n"
		"on a terminal; Ctrl-C ends the host).\n\n"
		"Exit status: the byte the guest wrote to port 0xf4 (power-off); %d\n"
		"after a reset (port 0xcf9, or 0xfe to port 0x64); %d after hlt with\n"
		"interrupts off (Linux's halt, its power-off without ACPI); %d for a\n"
		"guest crash (triple fault ...); %d for a host error; %d for a usage\n"
		"error; 128+N if signal N (SIGINT, SIGTERM ...) ended the host.\n",
		EXIT_GUEST_RESET, EXIT_GUEST_HALT, EXIT_GUEST_CRASH,
		EXIT_HOST_ERROR, EXIT_USAGE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pr_vmessage("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'afterburn-ptrace --help' for more information.\n");
	exit(EXIT_USAGE);
}

static uint64_t parse_size(const char *s)
{
	unsigned int shift = 20;	/* plain numbers are MiB */
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || v > (~0ULL >> shift))
		return 0;	/* junk, or too big to be a size at all */
	return v << shift;
}

static void parse_options(struct host *h, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "append", required_argument, NULL, 'a' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "no-patch", optional_argument, NULL, 'N' },
		{ "no-fast", no_argument, NULL, 'F' },
		{ "stats", no_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'U' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	h->mem_size = 64ULL << 20;
	h->cmdline = "";
	h->patch = true;
	h->fast = true;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:a:i:svh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			h->mem_size = parse_size(optarg);
			if (h->mem_size < (4ULL << 20) || h->mem_size > (3ULL << 30) ||
			    h->mem_size & 0xfff)
				usage_error("bad memory size '%s' (4M to 3G, whole pages)",
					    optarg);
			break;
		case 'a':
			h->cmdline = xstrdup(optarg);
			break;
		case 'i':
			if (!*optarg)
				usage_error("--initrd needs a file name");
			h->initrd_path = xstrdup(optarg);
			break;
		case 'N':
			h->patch = false;
			if (optarg && strcmp(optarg, "pure") == 0) {
				h->pure_trap = true;
			} else if (optarg) {
				usage_error("--no-patch takes no value but 'pure'");
			}
			break;
		case 'F':
			h->fast = false;
			break;
		case 's':
			h->stats = true;
			break;
		case 'U':
			if (strcmp(optarg, "seccomp") && strcmp(optarg, "ptrace"))
				usage_error("--user takes 'seccomp' or 'ptrace', not '%s'",
					    optarg);
			h->user_opt = optarg;
			break;
		case 'v':
			h->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("afterburn-ptrace (%s) %s\n", PACKAGE_NAME,
			       PACKAGE_VERSION);
			exit(0);
		case ':':
			usage_error("option '%s' needs an argument",
				    argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unknown option '-%c'", optopt);
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		usage_error("no IMAGE given");
	if (optind != argc - 1)
		usage_error("one IMAGE at a time ('%s' is extra)", argv[optind + 1]);
	h->image_path = xstrdup(argv[optind]);
}

/* Tracer and stubs on one CPU: a ptrace stop across CPUs costs ~10x. */
static void pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* --user=seccomp where the host kernel has what it needs (a notice if not). */
static void choose_user_mode(struct host *h)
{
	const char *why;

	h->user_seccomp = false;
	if (h->user_opt && strcmp(h->user_opt, "ptrace") == 0)
		return;
	if (!ss_available(&why)) {
		fprintf(stderr, "afterburn-ptrace: --user=seccomp needs %s: "
			"using --user=ptrace\n", why);
		return;
	}
	h->user_seccomp = true;
}

static void check(int ret, const char *what)
{
	if (ret < 0)
		die("%s: %s", what, strerror(-ret));
}

/* Everything after the options, on the wedge stack: the main thread's
   stack is in ASan's way (asan.c), and the guest runs from there anyway. */
__attribute__((noreturn))
static void setup_and_run(void *arg)
{
	struct host *h = arg;
	struct afb_frame start;

	asan__on_wedge_stack();
	check(memory__init(h), "setting up guest memory");
	check(memory__load_image(h), "loading the image");
	check(wedge__init(h), "mapping the wedge window");
	check(wedge__apply(h), "patching the image");
	check(memory__boot_info(h), "writing the boot information");

	h->vcpu = &h->vcpu_mem;
	afb_vcpu_init(h->vcpu, &ptrace_host_ops, h);
	h->vcpu->cr3 = BOOT_PML4;
	check(memory__mirror_kernel(h, BOOT_PML4, true), "mapping the kernel");
	check(trap__init(h), "installing signal handlers");
	setvbuf(stderr, NULL, _IOLBF, 0);
	check(stub__init(h), "starting the stubs");
	check(console__init(h), "setting up the console's input");
	/* From here on, only the system calls of seccomp.c. */
	check(seccomp__install(h), "installing the seccomp filter");
	wedge__push(h);

	/* entry64: %rdi = the start info, any stack, interrupts off. */
	memset(&start, 0, sizeof(start));
	start.gpr[AFB_RDI] = BOOT_START_INFO;
	start.gpr[AFB_RSP] = GUEST_KERNEL_BASE + BOOT_STACK;
	start.rip = h->entry;
	start.rflags = 0x202;
	h->state = RUN_HOST;
	booted = true;
	ptrace_resume(&start);
}

void host_booted(void)
{
	booted = true;
}

/* An i386 image (boot32.c). */
__attribute__((noreturn))
static void setup_and_run32(void *arg)
{
	asan__on_wedge_stack();
	boot32__run(arg);
}

int main(int argc, char **argv)
{
	struct host *h = &the_host;

	util__init(&ptrace_program);
	parse_options(h, argc, argv);
	h->fsgsbase = getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
	choose_user_mode(h);
	pin_cpu();
	asan__leave_stack();
	if (boot32__is_elf32(h->image_path))
		ptrace_run_on_wedge_stack(setup_and_run32, h);
	ptrace_run_on_wedge_stack(setup_and_run, h);
}
