// Processor setup: segments (GDT, TSS), the syscall MSRs, the per-CPU
// area behind swapgs, and identification with cpuid.

#include "types.h"
#include "defs.h"
#include "mmu.h"
#include "proc.h"
#include "x86.h"

// 64-bit TSS: only the stack pointers matter in long mode.
struct tss {
	u32 reserved0;
	u64 rsp[3];              // rsp[0]: stack for interrupts from ring 3
	u64 reserved1;
	u64 ist[7];              // ist[0] = IST1: the double-fault stack
	u64 reserved2;
	u16 reserved3;
	u16 iomap_base;          // beyond the limit: no I/O bitmap, so ring 3
} __attribute__((packed));   // port I/O always faults (IOPL is 0)

struct cpu cpu;
static struct tss tss;
static u64 gdt[NSEGS];
static char df_stack[4096] __attribute__((aligned(16)));

// Descriptor bits: present, DPL, code/data, and L (64-bit) or D/B (32-bit).
#define DESC_CODE64(dpl) (0x00af9a000000ffffUL | ((u64)(dpl) << 45))
#define DESC_CODE32(dpl) (0x00cf9a000000ffffUL | ((u64)(dpl) << 45))
#define DESC_DATA(dpl)   (0x00cf92000000ffffUL | ((u64)(dpl) << 45))

static void tss_desc(u64 *slot, u64 base, u32 limit)
{
	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89UL << 40) |
		  ((u64)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

// Reload CS with a far return and the data segments with movs: a new GDT
// takes effect only when the selectors are loaded again.
static void load_segments(void)
{
	asm volatile("pushq %0\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:" : : "i"(KCODE_SEL) : "rax", "memory");
	asm volatile("movl %0, %%ds\n\t"
		     "movl %0, %%es\n\t"
		     "movl %0, %%ss" : : "r"((u32)KDATA_SEL));
	asm volatile("movl %0, %%fs\n\t"
		     "movl %0, %%gs" : : "r"(0));
}

void seg_init(void)
{
	gdt[SEG_KCODE] = DESC_CODE64(0);
	gdt[SEG_KDATA] = DESC_DATA(0);
	gdt[SEG_UCODE32] = DESC_CODE32(3);
	gdt[SEG_UDATA] = DESC_DATA(3);
	gdt[SEG_UCODE] = DESC_CODE64(3);
	tss.ist[0] = (u64)df_stack + sizeof(df_stack);
	tss.iomap_base = sizeof(tss);
	tss_desc(&gdt[SEG_TSS], (u64)&tss, sizeof(tss) - 1);
	lgdt(gdt, sizeof(gdt));
	load_segments();
	ltr(TSS_SEL);
}

// syscall/sysret: syscall loads CS = STAR[47:32], SS = that + 8; sysretq
// loads SS = STAR[63:48] + 8 and CS = STAR[63:48] + 16, both with RPL 3.
// SFMASK clears IF (the entry runs with interrupts off until it has a
// stack), DF, TF and AC.
void syscall_init(void)
{
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((u64)((SEG_UCODE32 << 3) | 3) << 48) | ((u64)KCODE_SEL << 32));
	wrmsr(MSR_LSTAR, (u64)syscall_entry);
	wrmsr(MSR_SFMASK, FL_IF | FL_DF | FL_TF | FL_AC);
	// The kernel runs with GS_BASE = &cpu; user code sees 0 and swapgs
	// exchanges the two on every kernel entry and exit.
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_GS_BASE, (u64)&cpu);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

// The stack the CPU switches to on entry from ring 3 (interrupts via the
// TSS, syscalls via the per-CPU area).
void cpu_setkstack(u64 top)
{
	tss.rsp[0] = top;
	cpu.kstack_top = top;
}

// Print the vendor and model and check for long mode (the boot path has
// already relied on it, but a clear message helps on odd hosts).
void cpu_identify(void)
{
	u32 a, b, c, d, max;
	char vendor[13];

	cpuid(0, &max, &b, &c, &d);
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &d, 4);
	memcpy(vendor + 8, &c, 4);
	vendor[12] = '\0';
	cpuid(1, &a, &b, &c, &d);
	u32 family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (family >= 6)
		model |= ((a >> 16) & 0xf) << 4;
	kprintf("kernel: cpu vendor=%s family=%u model=%u max_leaf=%u\n",
		vendor, family, model, max);
	cpuid(0x80000000, &a, &b, &c, &d);
	if (a >= 0x80000001) {
		cpuid(0x80000001, &a, &b, &c, &d);
		if (d & (1u << 29))
			return;
	}
	panic("cpu_identify: cpuid reports no long mode");
}
