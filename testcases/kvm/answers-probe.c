// SPDX-License-Identifier: MIT
/*
 * The instructions whose answers the KVM wedge caches, one function each.
 * answers.sh compiles this file twice: with afterburn-as (PROBE=site:
 * every instruction is a site, which afterburn-kvm patches into its
 * wedge) and with plain as (PROBE=raw: the real instruction, answered by
 * KVM or the VMM).  answers-guest.c compares the two.
 */
#include "answers.h"

#define PASTE2(a, b) a##_##b
#define PASTE(a, b) PASTE2(a, b)
#define NAME(f) PASTE(f, PROBE)

void NAME(cpuid)(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	asm volatile("cpuid"
		     : "=a"(r->a), "=b"(r->b), "=c"(r->c), "=d"(r->d)
		     : "a"(leaf), "c"(sub));
}

u64 NAME(rdmsr)(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

void NAME(wrmsr)(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

u8 NAME(inb)(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void NAME(outb)(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
