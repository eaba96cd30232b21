// SPDX-License-Identifier: MIT
/*
 * Power-off: QEMU's isa-debug-exit at port 0xf4 (four ports).  The first
 * byte the guest writes there is its exit status; afterburn-kvm stops the
 * guest and exits with it.  Reads return all ones, as in QEMU.
 *
 * Reset: the reset control register at 0xcf9 (Linux's reboot=pci).  A
 * write with RST_CPU set ends the VM with status 0, as QEMU's -no-reboot
 * does: afterburn-kvm never reboots a guest.
 */
#include <string.h>

#include "kvm.h"

#define POWER_PORT	0xf4
#define POWER_PORTS	4
#define RESET_PORT	0xcf9
#define RESET_CPU	0x04

static void power_io(struct kvm *kvm, uint16_t port, uint8_t *data,
		     unsigned int size, bool out, void *ptr)
{
	(void)port;
	(void)ptr;
	if (!out) {
		memset(data, 0xff, size);
		return;
	}
	if (kvm->powered_off)	/* another vCPU stopped the guest first */
		return;
	kvm->exit_status = data[0];
	kvm->powered_off = true;
}

static void reset_io(struct kvm *kvm, uint16_t port, uint8_t *data,
		     unsigned int size, bool out, void *ptr)
{
	(void)port;
	(void)ptr;
	if (!out) {
		memset(data, 0, size);
		return;
	}
	if ((data[0] & RESET_CPU) && !kvm->powered_off) {
		kvm->exit_status = 0;
		kvm->powered_off = true;
	}
}

static int power__init(struct kvm *kvm)
{
	(void)kvm;
	if (kvm__register_pio(RESET_PORT, 1, reset_io, NULL) < 0)
		return -1;
	return kvm__register_pio(POWER_PORT, POWER_PORTS, power_io, NULL);
}
dev_init(power__init);
