// SPDX-License-Identifier: MIT
/*
 * The vCPUs: creation, CPUID, the boot register state of the two PVH
 * entries, and the run loop with its one switch over exit reasons.
 *
 * -smp N: one thread per vCPU.  vCPU 0 (the BSP, this program's main
 * thread) starts at the entry; the others are KVM's application
 * processors: with the in-kernel irqchip KVM keeps them waiting for
 * INIT/SIPI inside KVM_RUN, and starts them (again, after another INIT)
 * where the guest's SIPI says, as a CPU does.  A SIPI to a running CPU,
 * or an IPI to an APIC ID no vCPU has, does nothing, as on hardware.
 * Each thread runs KVM_RUN without a lock and takes kvm->lock for what
 * its exit needs; whatever stops one vCPU (power-off, reset, triple
 * fault, a KVM error) stops them all: kvm_cpu__stop_all() sets every
 * vCPU's immediate_exit and kicks its thread with SIGUSR1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

#define CR0_PE		(1UL << 0)
#define CR0_ET		(1UL << 4)
#define CR0_NE		(1UL << 5)
#define CR0_PG		(1UL << 31)
#define CR4_PAE		(1UL << 5)
#define EFER_LME	(1UL << 8)
#define EFER_LMA	(1UL << 10)

#define PTE_P		0x001UL
#define PTE_W		0x002UL
#define PTE_PS		0x080UL

#define CPUID_MAX	100

struct kvm_cpu {
	unsigned int id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
	pthread_t thread;
	bool has_thread;	/* an AP whose thread was created */
};

/* The vCPU this thread runs; vCPU 0 outside the run loop. */
static __thread struct kvm_cpu *current_cpu;
static pthread_t main_thread;

static struct kvm_cpu *cpu_self(struct kvm *kvm)
{
	return current_cpu ? current_cpu : kvm->cpu;
}

unsigned int kvm_cpu__id(void)
{
	return current_cpu ? current_cpu->id : 0;
}

/*
 * The leaves that name the CPU: its initial APIC ID (leaf 1 EBX[31:24]),
 * x2APIC ID (0xb, 0x1f EDX) and AMD's extended APIC ID (0x8000001e EAX)
 * are the vCPU's index, which is its local APIC's ID in KVM.
 */
static void cpu_set_apic_id(struct kvm_cpuid2 *c, unsigned int id)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x00ffffff) | id << 24;
			break;
		case 0xb: case 0x1f:
			e->edx = id;
			break;
		case 0x8000001e:
			e->eax = id;
			break;
		}
	}
}

static int cpu_init_cpuid(struct kvm *kvm, struct kvm_cpu *cpu)
{
	size_t size = sizeof(*cpu->cpuid) +
		      CPUID_MAX * sizeof(struct kvm_cpuid_entry2);
	uint32_t nent;

	cpu->cpuid = calloc(1, size);
	if (!cpu->cpuid)
		return -ENOMEM;
	cpu->cpuid->nent = CPUID_MAX;
	if (ioctl(kvm->sys_fd, KVM_GET_SUPPORTED_CPUID, cpu->cpuid) < 0) {
		pr_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -errno;
	}
	cpu_set_apic_id(cpu->cpuid, cpu->id);
	if (ioctl(cpu->fd, KVM_SET_CPUID2, cpu->cpuid) < 0) {
		pr_err("KVM_SET_CPUID2: %s", strerror(errno));
		return -errno;
	}
	/*
	 * What the vCPU answers, after KVM's own adjustments.  It has as
	 * many entries as we set: some kernels (Debian's 6.1) leave nent
	 * as we passed it, CPUID_MAX, and the rest of the array is zeros
	 * that read as more copies of leaf 0.
	 */
	nent = cpu->cpuid->nent;
	cpu->cpuid->nent = CPUID_MAX;
	if (ioctl(cpu->fd, KVM_GET_CPUID2, cpu->cpuid) < 0) {
		pr_err("KVM_GET_CPUID2: %s", strerror(errno));
		return -errno;
	}
	if (cpu->cpuid->nent > nent)
		cpu->cpuid->nent = nent;
	return 0;
}

/* The CPUID table the vCPU was given, for the wedge (patch.c). */
const struct kvm_cpuid2 *kvm_cpu__cpuid(struct kvm *kvm)
{
	return kvm->cpu ? kvm->cpu->cpuid : NULL;
}

static int cpu_create(struct kvm *kvm, unsigned int id)
{
	struct kvm_cpu *cpu;
	int size;

	cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return -ENOMEM;
	kvm->cpus[id] = cpu;
	kvm->nr_cpus = id + 1;
	cpu->id = id;
	cpu->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, id);
	if (cpu->fd < 0) {
		pr_err("KVM_CREATE_VCPU %u: %s", id, strerror(errno));
		return -errno;
	}
	size = ioctl(kvm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		pr_err("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -EINVAL;
	}
	cpu->run_size = size;
	cpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			cpu->fd, 0);
	if (cpu->run == MAP_FAILED) {
		cpu->run = NULL;
		pr_err("mmap kvm_run: %s", strerror(errno));
		return -errno;
	}
	return cpu_init_cpuid(kvm, cpu);
}

int kvm_cpu__init(struct kvm *kvm)
{
	unsigned int i, n = kvm->cfg.nr_cpus ? kvm->cfg.nr_cpus : 1;
	int max = ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	int r;

	if (max > 0 && n > (unsigned int)max) {
		pr_err("-smp %u: this KVM runs at most %d vCPUs", n, max);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		r = cpu_create(kvm, i);
		if (r < 0)
			return r;
	}
	kvm->cpu = kvm->cpus[0];
	return 0;
}

void kvm_cpu__exit(struct kvm *kvm)
{
	unsigned int i;

	for (i = 0; i < kvm->nr_cpus; i++) {
		struct kvm_cpu *cpu = kvm->cpus[i];

		if (!cpu)
			continue;
		if (cpu->run)
			munmap(cpu->run, cpu->run_size);
		if (cpu->fd >= 0)
			close(cpu->fd);
		free(cpu->cpuid);
		free(cpu);
		kvm->cpus[i] = NULL;
	}
	kvm->cpu = NULL;
	kvm->nr_cpus = 0;
}

static void cpu_dump(struct kvm *kvm);

/* --verbose: the syscall MSRs and PVM's own MSRs, for the PVM report. */
void kvm_cpu__dump_msrs(struct kvm *kvm)
{
	static const uint32_t idx[] = { 0xc0000080, 0xc0000081, 0xc0000082,
		0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0x4b564df0,
		0x4b564df1, 0x4b564df2, 0x4b564df4, 0x4b564df5, 0x4b564df6,
		0x4b564df7 };
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[1];
	} m;
	unsigned int i;

	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.h.nmsrs = 1;
		m.e[0].index = idx[i];
		if (ioctl(cpu_self(kvm)->fd, KVM_GET_MSRS, &m) == 1)
			pr_info("msr %#x = %#llx", idx[i], (unsigned long long)m.e[0].data);
		else
			pr_info("msr %#x: not readable", idx[i]);
	}
	cpu_dump(kvm);
}

int kvm_cpu__fd(struct kvm *kvm)
{
	return cpu_self(kvm)->fd;
}

/* The guest-virtual page of @gva, as the vCPU's page tables map it now. */
static uint8_t *cpu_gva_page(struct kvm *kvm, uint64_t gva, size_t len)
{
	struct kvm_translation t = { .linear_address = gva };

	if (ioctl(cpu_self(kvm)->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return NULL;
	return kvm__gpa(kvm, t.physical_address, len);
}

/*
 * Copy between guest-virtual [gva, gva + len) and @buf, page by page,
 * through the vCPU's page tables as they are now.  False if a page is not
 * mapped (nothing is copied past it).
 */
bool kvm_cpu__copy_gva(struct kvm *kvm, uint64_t gva, void *buf, size_t len,
		       bool to_guest)
{
	size_t part;
	uint8_t *p;

	while (len) {
		part = 0x1000 - (gva & 0xfff);
		if (part > len)
			part = len;
		p = cpu_gva_page(kvm, gva, part);
		if (!p)
			return false;
		if (to_guest)
			memcpy(p, buf, part);
		else
			memcpy(buf, p, part);
		buf = (uint8_t *)buf + part;
		gva += part;
		len -= part;
	}
	return true;
}

int kvm_cpu__stats_fd(struct kvm *kvm, unsigned int id)
{
	if (id >= kvm->nr_cpus || !kvm->cpus[id])
		return -1;
	return ioctl(kvm->cpus[id]->fd, KVM_GET_STATS_FD, NULL);
}

static void cpu_set_seg(struct kvm_segment *s, uint16_t sel, bool code,
			bool l, bool db)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->type = code ? 0xb : 0x3;	/* execute/read or read/write, accessed */
	s->present = 1;
	s->s = 1;
	s->l = l;
	s->db = db;
	s->g = 1;
}

/*
 * Page tables for the 64-bit entry: the kernel's own direct map (physical
 * 0-4 GiB at KERNEL_BASE, 2 MiB pages), which maps every PT_LOAD at its
 * p_vaddr, plus the wedge window in PML4 slot 31 (patch.c builds it).
 */
static void cpu_build_pgtable(struct kvm *kvm, uint64_t wedge_pml4e)
{
	uint64_t *pml4 = kvm__gpa(kvm, BOOT_PGTABLE, 0x6000);
	uint64_t *pdpt = pml4 + 512, *pd = pml4 + 1024;
	unsigned int i;

	memset(pml4, 0, 0x6000);
	pml4[(GUEST_KERNEL_BASE >> 39) & 511] = (BOOT_PGTABLE + 0x1000) | PTE_P | PTE_W;
	pml4[WEDGE_PML4_SLOT] = wedge_pml4e;
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PGTABLE + 0x2000 + i * 0x1000) | PTE_P | PTE_W;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS;
}

static void cpu_build_gdt(struct kvm *kvm)
{
	uint64_t *gdt = kvm__gpa(kvm, BOOT_GDT, 32);

	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL;	/* 0x08: 64-bit code */
	gdt[2] = 0x00cf92000000ffffULL;	/* 0x10: flat data */
	gdt[3] = 0x00cf9a000000ffffULL;	/* 0x18: 32-bit code */
}

int kvm_cpu__reset(struct kvm *kvm)
{
	struct kvm_cpu *cpu = kvm->cpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(cpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	cpu_build_gdt(kvm);
	sregs.gdt.base = BOOT_GDT;
	sregs.gdt.limit = 31;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	if (kvm->cfg.entry32) {
		cpu_set_seg(&sregs.cs, 0x18, true, false, true);
		cpu_set_seg(&sregs.ds, 0x10, false, false, true);
		sregs.cr0 = CR0_PE | CR0_ET;
		sregs.cr4 = 0;
		sregs.efer = 0;
		regs.rip = kvm->entry32;
		regs.rbx = BOOT_INFO;
	} else {
		cpu_build_pgtable(kvm, patch__wedge_pml4e(kvm));
		cpu_set_seg(&sregs.cs, 0x08, true, true, false);
		cpu_set_seg(&sregs.ds, 0x10, false, false, true);
		sregs.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
		sregs.cr3 = BOOT_PGTABLE;
		sregs.cr4 = CR4_PAE;
		sregs.efer = EFER_LME | EFER_LMA;
		regs.rip = kvm->entry64;
		regs.rdi = BOOT_INFO;
		regs.rsp = GUEST_KERNEL_BASE + BOOT_STACK_TOP;
	}
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	if (ioctl(cpu->fd, KVM_SET_SREGS, &sregs) < 0) {
		pr_err("KVM_SET_SREGS: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(cpu->fd, KVM_SET_REGS, &regs) < 0) {
		pr_err("KVM_SET_REGS: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void cpu_dump(struct kvm *kvm)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(cpu_self(kvm)->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(cpu_self(kvm)->fd, KVM_GET_SREGS, &s) < 0)
		return;
	fprintf(stderr,
		"  rip %016llx rsp %016llx rflags %08llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  cs %04x (dpl %u l %u) ss %04x cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx\n",
		r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx,
		r.rsi, r.rdi, r.rbp, s.cs.selector, s.cs.dpl, s.cs.l,
		s.ss.selector, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

/* An MSR KVM does not know: reads and writes fault (#GP), as on a CPU
 * that lacks it. */
static void cpu_emulate_msr(struct kvm *kvm, struct kvm_run *run, bool write)
{
	if (write)
		kvm->stats.msr_write++;
	else
		kvm->stats.msr_read++;
	kvm->stats.msr_fault++;
	if (kvm_verbose)
		pr_info("%s of unknown MSR %#x: #GP",
			write ? "wrmsr" : "rdmsr", run->msr.index);
	run->msr.error = 1;
}

static void cpu_emulate_mmio(struct kvm *kvm, struct kvm_run *run)
{
	if (kvm_verbose)
		pr_info("MMIO %s %#llx (%u bytes): no device",
			run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr, run->mmio.len);
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	(void)kvm;
}

static int cpu_emulate_io(struct kvm *kvm, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	uint32_t i;

	if (run->io.size != 1 && run->io.size != 2 && run->io.size != 4)
		return -EINVAL;
	if (run->io.data_offset + (uint64_t)run->io.count * run->io.size >
	    cpu_self(kvm)->run_size)
		return -EINVAL;
	for (i = 0; i < run->io.count; i++) {
		kvm__emulate_pio(kvm, run->io.port, data, run->io.size, out);
		data += run->io.size;
	}
	return 0;
}

/*
 * Stop the guest: a failure that no guest action can recover from.  On
 * any vCPU it stops the whole VM (a CPU's shutdown resets a PC); only
 * the first vCPU to stop it reports.  Called with kvm->lock held.
 */
static int cpu_guest_failed(struct kvm *kvm, const char *what)
{
	if (kvm->powered_off)
		return -EFAULT;
	patch__flush_console(kvm);
	serial8250__flush();
	if (kvm->nr_cpus > 1)
		pr_err("guest stopped: vCPU %u: %s", kvm_cpu__id(), what);
	else
		pr_err("guest stopped: %s", what);
	cpu_dump(kvm);
	kvm->exit_status = KVM_EXIT_STATUS_GUEST;
	kvm->powered_off = true;
	return -EFAULT;
}

/* One exit of this thread's vCPU, with kvm->lock held: < 0 stops it. */
static int cpu_handle_exit(struct kvm *kvm, struct kvm_run *run)
{
	char why[96];

	if (run->exit_reason < 64)
		kvm->stats.exits[run->exit_reason]++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (cpu_emulate_io(kvm, run) < 0)
			return cpu_guest_failed(kvm, "bad I/O exit");
		break;
	case KVM_EXIT_MMIO:
		cpu_emulate_mmio(kvm, run);
		break;
	case KVM_EXIT_X86_RDMSR:
		cpu_emulate_msr(kvm, run, false);
		break;
	case KVM_EXIT_X86_WRMSR:
		cpu_emulate_msr(kvm, run, true);
		break;
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_DEBUG:
		if (pvm__debug_exit(kvm) < 0)
			return cpu_guest_failed(kvm, "unexpected debug exit");
		break;
	case KVM_EXIT_HLT:
		return cpu_guest_failed(kvm, "hlt without an in-kernel irqchip");
	case KVM_EXIT_SHUTDOWN:
		return cpu_guest_failed(kvm, "shutdown (triple fault)");
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "entry failed, reason %#llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return cpu_guest_failed(kvm, why);
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
		    pvm__emulation_failed(kvm) == 0)
			break;
		snprintf(why, sizeof(why), "KVM internal error, suberror %u",
			 run->internal.suberror);
		return cpu_guest_failed(kvm, why);
	case KVM_EXIT_SYSTEM_EVENT:
		return cpu_guest_failed(kvm, "system event (reset or crash)");
	default:
		snprintf(why, sizeof(why), "unexpected exit reason %u",
			 run->exit_reason);
		return cpu_guest_failed(kvm, why);
	}
	return 0;
}

/* What changed without an exit, on either side; kvm->lock held. */
static int cpu_sync(struct kvm *kvm)
{
	serial8250__poll(kvm);
	patch__sync(kvm);
	serial8250__flush();
	if (pvm__sync(kvm) < 0)
		return cpu_guest_failed(kvm, "cannot follow the guest's IDT");
	return 0;
}

static int cpu_loop(struct kvm *kvm, struct kvm_cpu *cpu)
{
	struct kvm_run *run = cpu->run;
	int r = 0;

	current_cpu = cpu;
	while (!kvm->powered_off && r == 0) {
		if (ioctl(cpu->fd, KVM_RUN, 0) < 0) {
			int err = errno;

			pthread_mutex_lock(&kvm->lock);
			if (err == EINTR || err == EAGAIN) {
				kvm->stats.exits[KVM_EXIT_INTR]++;
				if (!kvm->powered_off) {
					serial8250__poll(kvm);	/* SIGIO: input */
					patch__sync(kvm);
				}
			} else if (!kvm->powered_off) {
				pr_err("KVM_RUN (vCPU %u): %s", cpu->id, strerror(err));
				r = cpu_guest_failed(kvm, "KVM_RUN failed");
			}
			pthread_mutex_unlock(&kvm->lock);
			continue;
		}
		pthread_mutex_lock(&kvm->lock);
		r = cpu_handle_exit(kvm, run);
		if (r == 0 && !kvm->powered_off)
			r = cpu_sync(kvm);
		pthread_mutex_unlock(&kvm->lock);
	}
	kvm_cpu__stop_all(kvm);
	return r;
}

static void on_kick(int sig)
{
	(void)sig;
}

/*
 * Make every vCPU leave KVM_RUN and not enter it again: its
 * immediate_exit, then SIGUSR1 to its thread for one inside KVM_RUN now.
 */
void kvm_cpu__stop_all(struct kvm *kvm)
{
	unsigned int i;

	kvm->powered_off = true;
	for (i = 0; i < kvm->nr_cpus; i++) {
		struct kvm_cpu *cpu = kvm->cpus[i];

		__atomic_store_n(&cpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (cpu == current_cpu)
			continue;
		if (i == 0)
			pthread_kill(main_thread, SIGUSR1);
		else if (cpu->has_thread)
			pthread_kill(cpu->thread, SIGUSR1);
	}
}

struct cpu_start {
	struct kvm *kvm;
	struct kvm_cpu *cpu;
};

static struct cpu_start cpu_starts[KVM_CPUS_MAX];

static void *ap_thread(void *arg)
{
	struct cpu_start *st = arg;

	cpu_loop(st->kvm, st->cpu);
	return NULL;
}

/*
 * The application processors' threads: they take only SIGUSR1 (the
 * kick); the timeout, Ctrl-C and SIGIO go to the main thread, vCPU 0.
 */
static int cpu_start_aps(struct kvm *kvm)
{
	sigset_t block, old;
	unsigned int i;
	int r = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGIO);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 1; i < kvm->nr_cpus; i++) {
		cpu_starts[i] = (struct cpu_start){ kvm, kvm->cpus[i] };
		r = pthread_create(&kvm->cpus[i]->thread, NULL, ap_thread,
				   &cpu_starts[i]);
		if (r) {
			pr_err("vCPU %u: pthread_create: %s", i, strerror(r));
			break;
		}
		kvm->cpus[i]->has_thread = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r ? -r : 0;
}

int kvm_cpu__run(struct kvm *kvm)
{
	struct sigaction sa = { .sa_handler = on_kick };
	unsigned int i;
	int r;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	main_thread = pthread_self();
	r = cpu_start_aps(kvm);
	/* The APs wait for a SIPI the BSP has not sent: no guest code has
	 * run when every thread gets the allow-list. */
	if (r == 0 && sandbox__install() < 0) {
		pr_err("installing the seccomp allow-list: %s", strerror(errno));
		r = -1;
	}
	if (r == 0)
		r = cpu_loop(kvm, kvm->cpu);
	else {
		kvm->exit_status = KVM_EXIT_STATUS_VMM;
		kvm_cpu__stop_all(kvm);
	}
	for (i = 1; i < kvm->nr_cpus; i++)
		if (kvm->cpus[i]->has_thread)
			pthread_join(kvm->cpus[i]->thread, NULL);
	current_cpu = NULL;
	return r;
}
