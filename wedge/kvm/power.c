// SPDX-License-Identifier: MIT
/*
 * Power-off: QEMU's isa-debug-exit at port 0xf4 (four ports).  The first
 * byte the guest writes there is its exit status; afterburn-kvm stops the
 * guest and exits with it.  Reads return all ones, as in QEMU.
 */
#include <string.h>

#include "kvm.h"

#define POWER_PORT	0xf4
#define POWER_PORTS	4

static void power_io(struct kvm *kvm, uint16_t port, uint8_t *data,
		     unsigned int size, bool out, void *ptr)
{
	(void)port;
	(void)ptr;
	if (!out) {
		memset(data, 0xff, size);
		return;
	}
	kvm->exit_status = data[0];
	kvm->powered_off = true;
}

static int power__init(struct kvm *kvm)
{
	(void)kvm;
	return kvm__register_pio(POWER_PORT, POWER_PORTS, power_io, NULL);
}
dev_init(power__init);
