// SPDX-License-Identifier: MIT
/*
 * The vCPU: creation, CPUID, the boot register state of the two PVH
 * entries, and the run loop with its one switch over exit reasons.
 */
#include <errno.h>
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
	int fd;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_cpuid2 *cpuid;
};

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

int kvm_cpu__init(struct kvm *kvm)
{
	struct kvm_cpu *cpu;
	int size, r;

	cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return -ENOMEM;
	kvm->cpu = cpu;
	cpu->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, 0);
	if (cpu->fd < 0) {
		pr_err("KVM_CREATE_VCPU: %s", strerror(errno));
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
	r = cpu_init_cpuid(kvm, cpu);
	return r;
}

void kvm_cpu__exit(struct kvm *kvm)
{
	struct kvm_cpu *cpu = kvm->cpu;

	if (!cpu)
		return;
	if (cpu->run)
		munmap(cpu->run, cpu->run_size);
	if (cpu->fd >= 0)
		close(cpu->fd);
	free(cpu->cpuid);
	free(cpu);
	kvm->cpu = NULL;
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
		if (ioctl(kvm->cpu->fd, KVM_GET_MSRS, &m) == 1)
			pr_info("msr %#x = %#llx", idx[i], (unsigned long long)m.e[0].data);
		else
			pr_info("msr %#x: not readable", idx[i]);
	}
	cpu_dump(kvm);
}

int kvm_cpu__fd(struct kvm *kvm)
{
	return kvm->cpu->fd;
}

/* The guest-virtual page of @gva, as the vCPU's page tables map it now. */
static uint8_t *cpu_gva_page(struct kvm *kvm, uint64_t gva, size_t len)
{
	struct kvm_translation t = { .linear_address = gva };

	if (ioctl(kvm->cpu->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
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

int kvm_cpu__stats_fd(struct kvm *kvm)
{
	if (!kvm->cpu)
		return -1;
	return ioctl(kvm->cpu->fd, KVM_GET_STATS_FD, NULL);
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

	if (ioctl(kvm->cpu->fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(kvm->cpu->fd, KVM_GET_SREGS, &s) < 0)
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
	    kvm->cpu->run_size)
		return -EINVAL;
	for (i = 0; i < run->io.count; i++) {
		kvm__emulate_pio(kvm, run->io.port, data, run->io.size, out);
		data += run->io.size;
	}
	return 0;
}

/* Stop the guest: a failure that no guest action can recover from. */
static int cpu_guest_failed(struct kvm *kvm, const char *what)
{
	patch__flush_console(kvm);
	serial8250__flush();
	pr_err("guest stopped: %s", what);
	cpu_dump(kvm);
	kvm->exit_status = KVM_EXIT_STATUS_GUEST;
	return -EFAULT;
}

int kvm_cpu__run(struct kvm *kvm)
{
	struct kvm_run *run = kvm->cpu->run;
	char why[96];

	while (!kvm->powered_off) {
		if (ioctl(kvm->cpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				kvm->stats.exits[KVM_EXIT_INTR]++;
				if (kvm->powered_off)
					break;
				serial8250__poll(kvm);	/* SIGIO: input */
				patch__sync(kvm);
				continue;
			}
			pr_err("KVM_RUN: %s", strerror(errno));
			return cpu_guest_failed(kvm, "KVM_RUN failed");
		}
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
		/* What changed without an exit, on either side. */
		serial8250__poll(kvm);
		patch__sync(kvm);
		serial8250__flush();
		if (pvm__sync(kvm) < 0)
			return cpu_guest_failed(kvm, "cannot follow the guest's IDT");
	}
	return 0;
}
