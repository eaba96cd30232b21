/*
 * A few kernel-style helpers with the sensitive instructions a real kernel
 * writes in inline assembly.  The demo builds this with afterburn-as
 * (gcc -B) and lists the sites; nothing here is meant to run in user mode.
 */
#include <stdint.h>

static inline unsigned long irq_save(void)
{
	unsigned long flags;

	asm volatile("pushf ; pop %0 ; cli" : "=rm"(flags) : : "memory");
	return flags;
}

static inline void irq_restore(unsigned long flags)
{
	asm volatile("push %0 ; popf" : : "g"(flags) : "memory", "cc");
}

static inline uint64_t read_msr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void write_cr3(unsigned long val)
{
	asm volatile("mov %0, %%cr3" : : "r"(val) : "memory");
}

static inline void outb(uint8_t val, uint16_t port)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

uint64_t sample_switch_mm(unsigned long cr3)
{
	unsigned long flags = irq_save();
	uint64_t efer = read_msr(0xc0000080);

	write_cr3(cr3);
	irq_restore(flags);
	return efer;
}

void sample_putc(char c)
{
	outb((uint8_t)c, 0x3f8);
}
