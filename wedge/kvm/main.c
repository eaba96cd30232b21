// SPDX-License-Identifier: MIT
/*
 * afterburn-kvm: boot an (afterburnt) x86-64 or i386 kernel with a PVH entry on
 * /dev/kvm.  The options, their table, and the order of boot:
 * VM and RAM, devices, image, vCPU, patching, run.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "kvm.h"

bool kvm_verbose;
static struct kvm the_kvm;

static const struct util_program kvm_program = {
	.name = "afterburn-kvm",
	.die_status = KVM_EXIT_STATUS_VMM,
};

enum {
	OPT_KERNEL = 'k', OPT_INITRD = 'i', OPT_APPEND = 'a', OPT_MEM = 'm',
	OPT_HELP = 'h', OPT_NO_PATCH = 256, OPT_STATS, OPT_ENTRY, OPT_TIMEOUT,
	OPT_VERBOSE, OPT_VERSION, OPT_NOGRAPHIC, OPT_DISABLE, OPT_WEDGE_AT,
	OPT_SMP,
};

/* The option table: QEMU's spelling; one or two dashes both work. */
static const struct option options[] = {
	{ "kernel",	required_argument, NULL, OPT_KERNEL },
	{ "initrd",	required_argument, NULL, OPT_INITRD },
	{ "append",	required_argument, NULL, OPT_APPEND },
	{ "m",		required_argument, NULL, OPT_MEM },
	{ "smp",	required_argument, NULL, OPT_SMP },
	{ "no-patch",	no_argument,	   NULL, OPT_NO_PATCH },
	{ "stats",	no_argument,	   NULL, OPT_STATS },
	{ "disable",	required_argument, NULL, OPT_DISABLE },
	{ "wedge-at",	required_argument, NULL, OPT_WEDGE_AT },
	{ "entry",	required_argument, NULL, OPT_ENTRY },
	{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
	{ "nographic",	no_argument,	   NULL, OPT_NOGRAPHIC },
	{ "verbose",	no_argument,	   NULL, OPT_VERBOSE },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ "h",		no_argument,	   NULL, OPT_HELP },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* Bad usage: the exit status every Afterburner program gives it. */
#define EXIT_USAGE	2

static void usage(FILE *f)
{
	fputs("Usage: afterburn-kvm [OPTION]... [-kernel] IMAGE\n"
	      "Boot an x86-64 or i386 ELF kernel with a PVH entry on /dev/kvm;\n"
	      "patch its Afterburn sites into the KVM wedge first.\n"
	      "\n"
	      "  -kernel IMAGE     the kernel (ELF64 or ELF32 with\n"
	      "                    XEN_ELFNOTE_PHYS32_ENTRY; ELF32 starts there)\n"
	      "  -initrd FILE      passed as PVH module 0\n"
	      "  -append CMDLINE   the kernel command line\n"
	      "  -m SIZE           guest RAM in MiB, or with a K, M or G suffix\n"
	      "                    (default 128M, 8M to 3G)\n"
	      "  -smp N            N vCPUs, one thread each (default 1, at most 16):\n"
	      "                    vCPU 0 starts at the entry, the others wait for\n"
	      "                    the guest's INIT/SIPI; an MP table lists them\n"
	      "  --no-patch        boot the image as it is, sites unpatched\n"
	      "  --disable=KINDS   leave these site kinds native (comma-separated\n"
	      "                    names as afterburn-sites prints them)\n"
	      "  --stats           print VM exits by reason (and the patch counts)\n"
	      "                    to standard error when the guest stops\n"
	      "  --entry=64|pvh    start at e_entry in long mode with page tables\n"
	      "                    built by the VMM (default), or at the 32-bit PVH\n"
	      "                    entry with paging off (default for a kernel linked\n"
	      "                    in the top 2 GiB; else it implies --no-patch)\n"
	      "  --wedge-at=ADDR   the wedge window (2 MiB aligned); default from the\n"
	      "                    image: 0xffffffff40000000 in the kernel's own PDPT\n"
	      "                    for a kernel linked in the top 2 GiB (Linux), else\n"
	      "                    0xfffc0000000 in PML4 slot 31.  i386: the virtual\n"
	      "                    address of physical 0x90000 in the kernel's map;\n"
	      "                    default from its area note, else 0x90000 plus its\n"
	      "                    p_vaddr - p_paddr\n"
	      "  --timeout=SECS    stop the guest after SECS seconds (exit 124)\n"
	      "  --verbose         report unknown MSR and MMIO accesses\n"
	      "  -nographic        accepted for QEMU compatibility; always so\n"
	      "  -h, --help        show this help and exit\n"
	      "      --version     show the version and exit\n"
	      "\n"
	      "The console (COM1) is standard output, and standard input when that\n"
	      "is a terminal (raw mode; Ctrl-C ends the VMM), a pipe or a socket.\n"
	      "Exit status: the byte the guest wrote to port 0xf4; 0 after a reset\n"
	      "through port 0xcf9; 124 if the guest stopped otherwise (triple\n"
	      "fault, KVM error, --timeout); 125 if the VMM failed; 2 for a\n"
	      "usage error.\n",
	      f);
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case 'm': case 'M': end++; /* fall through */
	case '\0': v <<= 20; break;
	default: return -EINVAL;
	}
	if (*end || v < (8ULL << 20) || v > (3ULL << 30))
		return -ERANGE;
	*out = (v + WEDGE_SIZE - 1) & ~(WEDGE_SIZE - 1);
	return 0;
}

static int parse_options(int argc, char **argv, struct kvm_config *cfg)
{
	char *end;
	int c;

	cfg->ram_size = 128ULL << 20;
	cfg->nr_cpus = 1;
	opterr = 0;
	while ((c = getopt_long_only(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case OPT_KERNEL: cfg->kernel = optarg; break;
		case OPT_INITRD: cfg->initrd = optarg; break;
		case OPT_APPEND: cfg->cmdline = optarg; break;
		case OPT_MEM:
			if (parse_size(optarg, &cfg->ram_size) < 0) {
				pr_err("-m %s: need a size from 8M to 3G", optarg);
				return -EINVAL;
			}
			break;
		case OPT_SMP:
			errno = 0;
			cfg->nr_cpus = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || cfg->nr_cpus < 1 ||
			    cfg->nr_cpus > KVM_CPUS_MAX) {
				pr_err("-smp %s: need a number of vCPUs from 1 to %d",
				       optarg, KVM_CPUS_MAX);
				return -EINVAL;
			}
			break;
		case OPT_NO_PATCH: cfg->no_patch = true; break;
		case OPT_STATS: cfg->stats = true; break;
		case OPT_DISABLE: cfg->disable = optarg; break;
		case OPT_WEDGE_AT:
			errno = 0;
			cfg->wedge_at = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg || !cfg->wedge_at ||
			    (cfg->wedge_at & 0xfff) ||
			    ((int64_t)(cfg->wedge_at << 16) >> 16) != (int64_t)cfg->wedge_at) {
				pr_err("--wedge-at=%s: need a canonical, page aligned address", optarg);
				return -EINVAL;
			}
			break;
		case OPT_ENTRY:
			cfg->entry_set = true;
			if (!strcmp(optarg, "pvh") || !strcmp(optarg, "32"))
				cfg->entry32 = true;
			else if (!strcmp(optarg, "64"))
				cfg->entry32 = false;
			else {
				pr_err("--entry=%s: use 64 or pvh", optarg);
				return -EINVAL;
			}
			break;
		case OPT_TIMEOUT:
			cfg->timeout = strtoul(optarg, &end, 10);
			if (*end || end == optarg) {
				pr_err("--timeout=%s: need whole seconds", optarg);
				return -EINVAL;
			}
			break;
		case OPT_VERBOSE: kvm_verbose = cfg->verbose = true; break;
		case OPT_NOGRAPHIC: break;
		case OPT_HELP: usage(stdout); exit(0);
		case OPT_VERSION:
			printf("afterburn-kvm (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		case ':':
			pr_err("option '%s' needs an argument", argv[optind - 1]);
			return -EINVAL;
		default:
			pr_err("unknown option '%s'", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc && !cfg->kernel)
		cfg->kernel = argv[optind++];
	if (optind < argc) {
		pr_err("unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!cfg->kernel) {
		pr_err("no kernel image (-kernel IMAGE)");
		return -EINVAL;
	}
	if (cfg->nr_cpus > 1 && pvm__host()) {
		pr_err("-smp %u: on a PVM host afterburn-kvm runs one vCPU", cfg->nr_cpus);
		return -EINVAL;
	}
	return 0;
}

static void on_signal(int sig)
{
	if (!the_kvm.powered_off)
		the_kvm.exit_status = KVM_EXIT_STATUS_GUEST;
	the_kvm.powered_off = true;
	if (sig == SIGALRM)
		(void)!write(STDERR_FILENO, "\nafterburn-kvm: --timeout: guest stopped\n", 41);
}

static void setup_signals(unsigned int timeout)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (timeout)
		alarm(timeout);
}

int main(int argc, char **argv)
{
	struct kvm *kvm = &the_kvm;
	int r;

	util__init(&kvm_program);
	kvm->sys_fd = kvm->vm_fd = -1;
	pthread_mutex_init(&kvm->lock, NULL);
	if (parse_options(argc, argv, &kvm->cfg) < 0) {
		fputs("Try 'afterburn-kvm --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}
	if (kvm__init(kvm) < 0)
		return KVM_EXIT_STATUS_VMM;
	r = kvm__devices_init(kvm);
	if (r >= 0)
		r = loader__load(kvm);
	if (r >= 0)
		r = kvm_cpu__init(kvm);
	if (r >= 0)
		r = mptable__setup(kvm);
	if (r >= 0)
		r = patch__apply(kvm);
	if (r >= 0)
		r = kvm_cpu__reset(kvm);
	if (r >= 0)
		r = pvm__init(kvm);
	if (r < 0) {
		kvm->exit_status = KVM_EXIT_STATUS_VMM;
		goto out;
	}
	setup_signals(kvm->cfg.timeout);
	kvm_cpu__run(kvm);
	if (kvm_verbose) {
		kvm_cpu__dump_msrs(kvm);
		patch__print_trace(kvm);
	}
	patch__flush_console(kvm);
	serial8250__flush();
	if (kvm->cfg.stats)
		stats__print(kvm);
out:
	kvm_cpu__exit(kvm);
	loader__unload(kvm);
	kvm__exit(kvm);
	return kvm->exit_status;
}
