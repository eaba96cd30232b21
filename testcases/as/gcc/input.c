static inline unsigned long read_cr0(void)
{
	unsigned long v;
	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void outb(unsigned char v, unsigned short port)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

unsigned long irq_save(void)
{
	unsigned long flags;
	asm volatile("pushf ; pop %0 ; cli" : "=rm"(flags) : : "memory");
	return flags;
}

void irq_restore(unsigned long flags)
{
	asm volatile("push %0 ; popf" : : "g"(flags) : "memory", "cc");
}

__attribute__((section(".init.text"))) void early(void)
{
	outb(0x11, 0x20);
	if (read_cr0() & 1)
		asm volatile("sti; hlt");
}

unsigned long long tsc(void)
{
	unsigned int lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((unsigned long long)hi << 32) | lo;
}
