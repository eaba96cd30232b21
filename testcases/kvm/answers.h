/* SPDX-License-Identifier: MIT */
/* The answers guest (answers.sh): its two builds of answers-probe.c. */
#ifndef ANSWERS_H
#define ANSWERS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long u64;

struct cpuid_regs {
	u32 a, b, c, d;
};

#define PROBES(p) \
	void cpuid_##p(u32 leaf, u32 sub, struct cpuid_regs *r); \
	u64 rdmsr_##p(u32 msr); \
	void wrmsr_##p(u32 msr, u64 v); \
	u8 inb_##p(u16 port); \
	void outb_##p(u16 port, u8 v);

PROBES(site)
PROBES(raw)

#endif
