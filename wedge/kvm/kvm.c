// SPDX-License-Identifier: MIT
/*
 * The VM: /dev/kvm, guest RAM, KVM's in-kernel interrupt controllers and
 * PIT, and the port I/O bus that the devices register on.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

#define PIO_MAX		16
#define DEVICES_MAX	16

struct pio_range {
	uint16_t base;
	uint16_t len;
	pio_fn fn;
	void *ptr;
};

static struct pio_range pio_ranges[PIO_MAX];
static unsigned int nr_pio;

static struct {
	int (*init)(struct kvm *kvm);
	const char *name;
} devices[DEVICES_MAX];
static unsigned int nr_devices;

int kvm__devices_add(int (*init)(struct kvm *), const char *name)
{
	if (nr_devices == DEVICES_MAX)
		return -ENOSPC;
	devices[nr_devices].init = init;
	devices[nr_devices++].name = name;
	return 0;
}

int kvm__devices_init(struct kvm *kvm)
{
	unsigned int i;
	int r;

	for (i = 0; i < nr_devices; i++) {
		r = devices[i].init(kvm);
		if (r < 0) {
			pr_err("%s: %s", devices[i].name, strerror(-r));
			return r;
		}
	}
	return 0;
}

int kvm__register_pio(uint16_t base, uint16_t len, pio_fn fn, void *ptr)
{
	if (nr_pio == PIO_MAX)
		return -ENOSPC;
	pio_ranges[nr_pio++] = (struct pio_range){ base, len, fn, ptr };
	return 0;
}

/*
 * A port nobody claims reads as all ones (an empty ISA bus) and ignores
 * writes: that is what a PC does, so a probing guest sees "no device".
 */
void kvm__emulate_pio(struct kvm *kvm, uint16_t port, uint8_t *data,
		      unsigned int size, bool out)
{
	unsigned int i;

	kvm->stats.ports[out][port]++;
	for (i = 0; i < nr_pio; i++) {
		struct pio_range *r = &pio_ranges[i];

		if (port >= r->base && port - r->base < r->len) {
			r->fn(kvm, port, data, size, out, r->ptr);
			return;
		}
	}
	if (!out)
		memset(data, 0xff, size);
}

/* Host address of guest-physical @gpa .. @gpa + @len, or NULL. */
void *kvm__gpa(struct kvm *kvm, uint64_t gpa, uint64_t len)
{
	if (gpa > kvm->ram_size || len > kvm->ram_size - gpa)
		return NULL;
	return kvm->ram + gpa;
}

static int kvm_check_extension(struct kvm *kvm, long ext)
{
	return ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION, ext);
}

/*
 * Guest RAM is a memfd, mapped shared: patch.c maps a segment's pages a
 * second time, at the segment's own virtual address in its window.
 */
static int kvm_init_ram(struct kvm *kvm)
{
	struct kvm_userspace_memory_region mem = { 0 };

	kvm->ram_size = kvm->cfg.ram_size;
	kvm->ram_fd = memfd_create("afterburn-kvm-ram", MFD_CLOEXEC);
	if (kvm->ram_fd < 0)
		return -errno;
	if (ftruncate(kvm->ram_fd, kvm->ram_size) < 0)
		return -errno;
	kvm->ram = mmap(NULL, kvm->ram_size, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_NORESERVE, kvm->ram_fd, 0);
	if (kvm->ram == MAP_FAILED) {
		kvm->ram = NULL;
		return -errno;
	}
	mem.slot = 0;
	mem.guest_phys_addr = 0;
	mem.memory_size = kvm->ram_size;
	mem.userspace_addr = (uintptr_t)kvm->ram;
	if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mem) < 0)
		return -errno;
	kvm->wedge_phys = kvm->ram_size - WEDGE_SIZE;
	return 0;
}

/* Drive the interrupt line @irq of the in-kernel PIC and IOAPIC. */
void kvm__irq_line(struct kvm *kvm, unsigned int irq, bool level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	if (ioctl(kvm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		pr_warning("KVM_IRQ_LINE %u: %s", irq, strerror(errno));
}

static int kvm_init_irqchip(struct kvm *kvm)
{
	struct kvm_pit_config pit = { .flags = 0 };

	if (ioctl(kvm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		pr_warning("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(kvm->vm_fd, KVM_CREATE_IRQCHIP) < 0) {
		pr_err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(kvm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		pr_err("KVM_CREATE_PIT2: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * MSRs that KVM does not know exit to us (KVM_CAP_X86_USER_SPACE_MSR);
 * cpu.c answers them with a #GP, as a CPU without that MSR would.
 */
static void kvm_init_msr_exits(struct kvm *kvm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN | KVM_MSR_EXIT_REASON_INVAL,
	};

	if (kvm_check_extension(kvm, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
	    ioctl(kvm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		pr_info("unknown MSRs: KVM injects #GP itself (no user-space MSR exits)");
}

int kvm__init(struct kvm *kvm)
{
	int r, ver;

	kvm->vm_fd = -1;
	kvm->ram_fd = -1;
	kvm->sys_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm->sys_fd < 0) {
		r = -errno;
		pr_err("/dev/kvm: %s", strerror(errno));
		return r;
	}
	ver = ioctl(kvm->sys_fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION) {
		pr_err("/dev/kvm: API version %d, need %d", ver, KVM_API_VERSION);
		r = -ENOTSUP;
		goto err_sys_fd;
	}
	kvm->vm_fd = ioctl(kvm->sys_fd, KVM_CREATE_VM, 0);
	if (kvm->vm_fd < 0) {
		r = -errno;
		pr_err("KVM_CREATE_VM: %s", strerror(errno));
		goto err_sys_fd;
	}
	r = kvm_init_ram(kvm);
	if (r < 0) {
		pr_err("guest RAM (%llu MiB): %s",
		       (unsigned long long)(kvm->cfg.ram_size >> 20), strerror(-r));
		goto err_ram;
	}
	r = kvm_init_irqchip(kvm);
	if (r < 0)
		goto err_ram;
	kvm_init_msr_exits(kvm);
	return 0;

err_ram:
	if (kvm->ram)
		munmap(kvm->ram, kvm->ram_size);
	kvm->ram = NULL;
	if (kvm->ram_fd >= 0)
		close(kvm->ram_fd);
	kvm->ram_fd = -1;
	close(kvm->vm_fd);
	kvm->vm_fd = -1;
err_sys_fd:
	close(kvm->sys_fd);
	kvm->sys_fd = -1;
	return r;
}

void kvm__exit(struct kvm *kvm)
{
	if (kvm->ram)
		munmap(kvm->ram, kvm->ram_size);
	if (kvm->ram_fd >= 0)
		close(kvm->ram_fd);
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->sys_fd >= 0)
		close(kvm->sys_fd);
}
