// i386 descriptor tables and entries: the GDT and TSS, the IDT and the
// system call gate.

#include "types.h"
#include "defs.h"
#include "mmu.h"
#include "proc.h"
#include "syscall.h"
#include "x86.h"

// 32-bit TSS: the CPU reads only esp0/ss0 (the stack for interrupts from
// ring 3) and, beyond the limit, finds no I/O bitmap, so ring 3 port I/O
// always faults (IOPL is 0).
struct tss {
	u32 link;
	u32 esp0, ss0;
	u32 esp1, ss1, esp2, ss2;
	u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap;
	u16 iomap_base;
} __attribute__((packed));

struct gatedesc {
	u16 off_lo;
	u16 sel;
	u8 zero;
	u8 type;                 // present, DPL, gate type
	u16 off_hi;
} __attribute__((packed));

#define GATE_INTR      0x8e      // present, DPL 0, 32-bit interrupt gate
#define GATE_INTR_USER 0xee      // ... DPL 3: `int n` allowed from ring 3

// Descriptor bits: present, DPL, code/data, D/B (32-bit), 4 KiB units.
#define DESC_CODE(dpl) (0x00cf9a000000ffffULL | ((u64)(dpl) << 45))
#define DESC_DATA(dpl) (0x00cf92000000ffffULL | ((u64)(dpl) << 45))

static struct tss tss;
static u64 gdt[NSEGS];
static struct gatedesc idt[256];
extern u32 vectors[];            // trapasm.S

static u64 tss_desc(u32 base, u32 limit)
{
	return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | (0x89ULL << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) | ((u64)(base >> 24) << 56);
}

// Reload CS with a far return and the data segments with movs: a new GDT
// takes effect only when the selectors are loaded again.
static void load_segments(void)
{
	asm volatile("pushl %0\n\t"
		     "pushl $1f\n\t"
		     "lret\n"
		     "1:" : : "i"(KCODE_SEL) : "memory");
	asm volatile("movl %0, %%ds\n\t"
		     "movl %0, %%es\n\t"
		     "movl %0, %%ss" : : "r"((u32)KDATA_SEL));
	asm volatile("movl %0, %%fs\n\t"
		     "movl %0, %%gs" : : "r"(0));
}

void seg_init(void)
{
	gdt[SEG_KCODE] = DESC_CODE(0);
	gdt[SEG_KDATA] = DESC_DATA(0);
	gdt[SEG_UCODE] = DESC_CODE(3);
	gdt[SEG_UDATA] = DESC_DATA(3);
	tss.ss0 = KDATA_SEL;
	tss.iomap_base = sizeof(tss);
	gdt[SEG_TSS] = tss_desc((uintptr)&tss, sizeof(tss) - 1);
	lgdt(gdt, sizeof(gdt));
	load_segments();
	ltr(TSS_SEL);
}

static struct gatedesc gate(uintptr handler, u8 type)
{
	return (struct gatedesc){
		.off_lo = handler & 0xffff, .sel = KCODE_SEL,
		.type = type, .off_hi = handler >> 16,
	};
}

// Every vector is an interrupt gate (IF cleared on entry) with DPL 0, so
// `int n` from user mode is itself a #GP. There is no separate
// double-fault stack (that would take a task gate on i386): a kernel
// stack overflow resets the machine instead of reaching panic().
void idt_init(void)
{
	for (int i = 0; i < T_NVEC; i++)
		idt[i] = gate(vectors[i], GATE_INTR);
	lidt(idt, sizeof(idt));
}

// The one gate open to user mode; syscall_entry turns interrupts back on
// once the frame is saved.
void syscall_init(void)
{
	idt[SYSCALL_VECTOR] = gate((uintptr)syscall_entry, GATE_INTR_USER);
}

// The stack the CPU switches to on entry from ring 3.
void cpu_setkstack(uintptr top)
{
	tss.esp0 = top;
	cpu.kstack_top = top;
}

// 4 MiB pages (the boot path has relied on them already) and global
// pages (kmap.c).
void cpu_check_features(void)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & (1u << 3)))
		panic("cpu_identify: cpuid reports no PSE (4 MiB pages)");
	if (!(d & (1u << 13)))
		panic("cpu_identify: cpuid reports no PGE (global pages)");
}
