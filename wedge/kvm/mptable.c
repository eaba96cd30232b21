// SPDX-License-Identifier: MIT
/*
 * The MP table (Intel MultiProcessor Specification 1.4) that tells the
 * guest its CPUs and interrupt controllers: one processor entry per vCPU
 * (APIC ID = vCPU index, vCPU 0 the bootstrap processor), the ISA bus,
 * KVM's in-kernel IOAPIC at 0xfec00000 (APIC ID nr_cpus, 24 pins), ISA
 * IRQs 0-15 on IOAPIC pins 0-15 as KVM's default GSI routing wires them
 * (the PIT's IRQ 0 on pin 0: no override), and each local APIC's LINT0 as
 * ExtINT (the PIC, virtual wire mode) and LINT1 as NMI.
 *
 * Why an MP table and not ACPI: it says all of the above in one fixed
 * layout of a few hundred bytes with two checksums; ACPI would need an
 * RSDP, an XSDT, a MADT, and for a kernel built with ACPI a FADT and a
 * DSDT in AML.  Every x86 Linux with X86_MPPARSE reads it (also one built
 * without ACPI, as the tinyconfig-based test kernels are), and one with
 * ACPI falls back to it when it finds no RSDP (start_info's rsdp_paddr is
 * 0).  The floating pointer is at BOOT_MPTABLE, 0xf0000, in the BIOS area
 * Linux scans (reserved in the memory map), the table right after it.
 */
#include <string.h>

#include "kvm.h"

#define MP_SPEC_REV		4	/* 1.4 */
#define MP_LAPIC_ADDR		0xfee00000
#define MP_IOAPIC_ADDR		0xfec00000
#define MP_APIC_VERSION		0x14	/* integrated local APIC */
#define MP_IOAPIC_VERSION	0x11
#define MP_ISA_IRQS		16

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

struct mpf {		/* the floating pointer, 16 bytes */
	char signature[4];	/* "_MP_" */
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_table {	/* the configuration table's header, 44 bytes */
	char signature[4];	/* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type, busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {	/* also the local interrupt entries */
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

#define CPU_ENABLED	0x01
#define CPU_BOOTPROCESSOR 0x02

static uint8_t mp_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

/* The signature and features leaf 1 gives: what a BIOS copies in. */
static void mp_cpu_signature(struct kvm *kvm, uint32_t *eax, uint32_t *edx)
{
	const struct kvm_cpuid2 *c = kvm_cpu__cpuid(kvm);
	uint32_t i;

	*eax = *edx = 0;
	for (i = 0; c && i < c->nent; i++)
		if (c->entries[i].function == 1) {
			*eax = c->entries[i].eax;
			*edx = c->entries[i].edx;
		}
}

static uint8_t *mp_put_intsrc(uint8_t *p, uint8_t type, uint8_t irqtype,
			      uint8_t bus_irq, uint8_t apic, uint8_t pin)
{
	struct mpc_intsrc e = {
		.type = type, .irqtype = irqtype, .irqflag = 0,
		.srcbus = 0, .srcbusirq = bus_irq, .dstapic = apic, .dstirq = pin,
	};

	memcpy(p, &e, sizeof(e));
	return p + sizeof(e);
}

int mptable__setup(struct kvm *kvm)
{
	uint8_t *base = kvm__gpa(kvm, BOOT_MPTABLE, BOOT_MPTABLE_MAX);
	struct mpf *mpf = (struct mpf *)base;
	struct mpc_table *mpc = (struct mpc_table *)(base + sizeof(*mpf));
	uint8_t *p = (uint8_t *)(mpc + 1);
	uint8_t ioapic_id = kvm->nr_cpus;
	uint32_t sig, features;
	unsigned int i, count = 0;

	if (!base)
		return -1;
	memset(base, 0, BOOT_MPTABLE_MAX);
	mp_cpu_signature(kvm, &sig, &features);
	for (i = 0; i < kvm->nr_cpus; i++, count++) {
		struct mpc_cpu c = {
			.type = MP_PROCESSOR, .apicid = i,
			.apicver = MP_APIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
			.cpufeature = sig, .featureflag = features,
		};

		memcpy(p, &c, sizeof(c));
		p += sizeof(c);
	}
	{
		struct mpc_bus b = { .type = MP_BUS, .busid = 0 };
		struct mpc_ioapic io = {
			.type = MP_IOAPIC, .apicid = ioapic_id,
			.apicver = MP_IOAPIC_VERSION, .flags = 1,
			.apicaddr = MP_IOAPIC_ADDR,
		};

		memcpy(b.bustype, "ISA   ", 6);
		memcpy(p, &b, sizeof(b));
		p += sizeof(b);
		memcpy(p, &io, sizeof(io));
		p += sizeof(io);
		count += 2;
	}
	for (i = 0; i < MP_ISA_IRQS; i++, count++)
		p = mp_put_intsrc(p, MP_INTSRC, MP_INT, i, ioapic_id, i);
	p = mp_put_intsrc(p, MP_LINTSRC, MP_EXTINT, 0, 0xff, 0);
	p = mp_put_intsrc(p, MP_LINTSRC, MP_NMI, 0, 0xff, 1);
	count += 2;

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = p - (uint8_t *)mpc;
	mpc->spec = MP_SPEC_REV;
	memcpy(mpc->oem, "AFTERBRN", 8);
	memcpy(mpc->product, "AFTERBURNKVM", 12);
	mpc->count = count;
	mpc->lapic = MP_LAPIC_ADDR;
	mpc->checksum = mp_checksum(mpc, mpc->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = BOOT_MPTABLE + sizeof(*mpf);
	mpf->length = 1;
	mpf->specification = MP_SPEC_REV;
	mpf->checksum = mp_checksum(mpf, sizeof(*mpf));
	return 0;
}
