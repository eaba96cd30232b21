// Wrappers for the x86 instructions C code cannot express. Most of them are
// sensitive: afterburn-as turns each use into a site, so keep them as
// plain single instructions (no clever sequences) and let the compiler
// inline them where they are used. The same source serves i386 and
// x86-64: register-sized values are uintptr, and the stack operations
// take their operand size from the mode (pushf is pushfl or pushfq).
#ifndef KERNEL_X86_H
#define KERNEL_X86_H

#include "types.h"

static inline u8 inb(u16 port)
{
	u8 v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void cli(void)  { asm volatile("cli" ::: "memory"); }
static inline void sti(void)  { asm volatile("sti" ::: "memory"); }

// sti's one-instruction interrupt shadow makes "sti; hlt" race free: an
// interrupt that is already pending wakes the hlt instead of slipping in
// between the two.
static inline void sti_hlt(void) { asm volatile("sti; hlt" ::: "memory"); }
static inline void hlt(void)  { asm volatile("hlt" ::: "memory"); }

static inline uintptr read_flags(void)
{
	uintptr f;
	asm volatile("pushf; pop %0" : "=r"(f) : : "memory");
	return f;
}

static inline void write_flags(uintptr f)
{
	asm volatile("push %0; popf" : : "r"(f) : "memory", "cc");
}

// Save the interrupt state and disable interrupts; restore it later with
// intr_restore(). This is the kernel's only mutual exclusion: one CPU, and
// the kernel is never preempted except by interrupt handlers.
static inline uintptr intr_save(void)
{
	uintptr f = read_flags();
	cli();
	return f;
}

static inline void intr_restore(uintptr f) { write_flags(f); }

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline uintptr rcr0(void) { uintptr v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline void lcr0(uintptr v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static inline uintptr rcr2(void) { uintptr v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uintptr rcr3(void) { uintptr v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline void lcr3(uintptr v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
static inline uintptr rcr4(void) { uintptr v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void lcr4(uintptr v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

static inline void invlpg(uintptr va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

struct descptr {                  // operand of lgdt/lidt
	u16 limit;
	uintptr base;
} __attribute__((packed));

static inline void lgdt(void *base, u16 size)
{
	struct descptr d = { (u16)(size - 1), (uintptr)base };
	asm volatile("lgdt %0" : : "m"(d));
}

static inline void lidt(void *base, u16 size)
{
	struct descptr d = { (u16)(size - 1), (uintptr)base };
	asm volatile("lidt %0" : : "m"(d));
}

static inline void ltr(u16 sel) { asm volatile("ltr %0" : : "r"(sel)); }

#endif
