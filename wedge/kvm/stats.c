// SPDX-License-Identifier: MIT
/*
 * --stats: VM exits by reason.  Two views: the exits that reached this
 * program (counted in cpu.c, by KVM_EXIT_* and, for port I/O, by port),
 * and the vCPU's own counters from KVM's binary statistics
 * (KVM_GET_STATS_FD), which also count the exits KVM handles in the
 * kernel (halts, the in-kernel PIC and PIT, interrupts, emulation).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
	[KVM_EXIT_X86_RDMSR] = "x86_rdmsr",
	[KVM_EXIT_X86_WRMSR] = "x86_wrmsr",
};

static const char *port_name(uint16_t port)
{
	if (port >= 0x3f8 && port <= 0x3ff) {
		static const char *const uart[] = {
			"com1 thr/dll", "com1 ier/dlm", "com1 iir/fcr", "com1 lcr",
			"com1 mcr", "com1 lsr", "com1 msr", "com1 scr" };
		return uart[port - 0x3f8];
	}
	if (port >= 0xf4 && port <= 0xf7)
		return "power-off";
	if (port == 0xafb0)
		return "wedge call";
	if (port == 0x70 || port == 0x71)
		return port == 0x70 ? "rtc index" : "rtc data";
	if (port == 0xcf9)
		return "reset";
	return "";
}

static void stats_print_user(struct kvm *kvm)
{
	struct kvm_stats *s = &kvm->stats;
	uint64_t total = 0;
	unsigned int i, dir, port;

	for (i = 0; i < 64; i++)
		total += s->exits[i];
	fprintf(stderr, "afterburn-kvm: exits to the VMM: %llu\n",
		(unsigned long long)total);
	for (i = 0; i < 64; i++) {
		const char *name = i < sizeof(exit_names) / sizeof(exit_names[0]) ?
				   exit_names[i] : NULL;

		if (s->exits[i])
			fprintf(stderr, "  %-22s %12llu\n", name ? name : "?",
				(unsigned long long)s->exits[i]);
	}
	for (dir = 0; dir < 2; dir++)
		for (port = 0; port < 0x10000; port++)
			if (s->ports[dir][port])
				fprintf(stderr, "    %-3s %#06x %-13s %10llu\n",
					dir ? "out" : "in", port, port_name(port),
					(unsigned long long)s->ports[dir][port]);
	if (s->pvm_syscalls || s->pvm_int80 || s->pvm_insns || s->pvm_steps)
		fprintf(stderr, "  finished for the CPU (PVM): %llu syscall, "
			"%llu int $0x80 as #GP, %llu rejected instructions, "
			"%llu handler steps\n",
			(unsigned long long)s->pvm_syscalls,
			(unsigned long long)s->pvm_int80,
			(unsigned long long)s->pvm_insns,
			(unsigned long long)s->pvm_steps);
	if (s->msr_read || s->msr_write)
		fprintf(stderr, "    unknown msr: %llu rdmsr, %llu wrmsr (#GP)\n",
			(unsigned long long)s->msr_read,
			(unsigned long long)s->msr_write);
	fprintf(stderr, "  console bytes          %12llu\n",
		(unsigned long long)s->console_bytes);
}

static bool stats_wanted(const char *name)
{
	size_t n = strlen(name);

	return !strcmp(name, "exits") ||
	       (n > 6 && !strcmp(name + n - 6, "_exits")) ||
	       !strncmp(name, "insn_emulation", 14) ||
	       !strcmp(name, "hypercalls") || !strcmp(name, "irq_injections") ||
	       !strcmp(name, "halt_wakeup") || !strcmp(name, "pf_taken");
}

/* Adds vCPU @id's value of each counter in @descs into @sum. */
static bool stats_add_cpu(struct kvm *kvm, unsigned int id,
			  const struct kvm_stats_header *h, const char *descs,
			  size_t dsize, uint64_t *sum)
{
	int fd = kvm_cpu__stats_fd(kvm, id);
	uint32_t i;

	if (fd < 0)
		return false;
	for (i = 0; i < h->num_desc; i++) {
		const struct kvm_stats_desc *d =
			(const struct kvm_stats_desc *)(descs + i * dsize);
		uint64_t v;

		if (d->size == 1 &&
		    pread(fd, &v, 8, h->data_offset + d->offset) == 8)
			sum[i] += v;
	}
	close(fd);
	return true;
}

/*
 * KVM's binary statistics (Documentation/virt/kvm/api.rst), summed over
 * the vCPUs; the descriptors are the same for every vCPU.
 */
static void stats_print_kvm(struct kvm *kvm)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	uint64_t *sum = NULL;
	char *descs = NULL;
	unsigned int id;
	size_t dsize;
	uint32_t i;
	int fd;

	fd = kvm_cpu__stats_fd(kvm, 0);
	if (fd < 0) {
		fprintf(stderr, "afterburn-kvm: no KVM vCPU statistics: %s\n",
			strerror(errno));
		return;
	}
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		goto out;
	dsize = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsize);
	sum = calloc(h.num_desc, sizeof(*sum));
	if (!descs || !sum ||
	    pread(fd, descs, h.num_desc * dsize, h.desc_offset) !=
		    (ssize_t)(h.num_desc * dsize))
		goto out;
	for (id = 0; id < kvm->nr_cpus; id++)
		if (!stats_add_cpu(kvm, id, &h, descs, dsize, sum))
			goto out;
	fprintf(stderr, "afterburn-kvm: KVM vCPU counters (in-kernel and user-space exits, %u vCPU%s):\n",
		kvm->nr_cpus, kvm->nr_cpus == 1 ? "" : "s summed");
	for (i = 0; i < h.num_desc; i++) {
		d = (struct kvm_stats_desc *)(descs + i * dsize);
		if (d->size == 1 && stats_wanted(d->name) && sum[i])
			fprintf(stderr, "  %-22s %12llu\n", d->name,
				(unsigned long long)sum[i]);
	}
out:
	free(sum);
	free(descs);
	close(fd);
}

void stats__print(struct kvm *kvm)
{
	stats_print_user(kvm);
	patch__print_stats(kvm);
	stats_print_kvm(kvm);
}
