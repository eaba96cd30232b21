// x86-64 descriptor tables and entries: the GDT and TSS, the IDT, the
// syscall MSRs and the per-CPU area behind swapgs.

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

static struct tss tss;
static u64 gdt[NSEGS];
static char df_stack[4096] __attribute__((aligned(16)));

struct gatedesc {
	u16 off_lo;
	u16 sel;
	u8 ist;                  // IST stack index, 0 = none
	u8 type;                 // present, DPL, gate type
	u16 off_mid;
	u32 off_hi;
	u32 reserved;
} __attribute__((packed));

#define GATE_INTR 0x8e           // present, DPL 0, 64-bit interrupt gate

static struct gatedesc idt[256];
extern u64 vectors[];            // trapasm.S

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
void cpu_setkstack(uintptr top)
{
	tss.rsp[0] = top;
	cpu.kstack_top = top;
}

// Every vector is an interrupt gate (IF cleared on entry) with DPL 0, so
// `int n` from user mode is itself a #GP. The double fault gets its own
// stack: a kernel stack overflow then still reaches panic().
void idt_init(void)
{
	for (int i = 0; i < T_NVEC; i++) {
		uintptr h = vectors[i];
		idt[i] = (struct gatedesc){
			.off_lo = h & 0xffff, .sel = KCODE_SEL,
			.ist = i == T_DF ? 1 : 0, .type = GATE_INTR,
			.off_mid = (h >> 16) & 0xffff, .off_hi = h >> 32,
		};
	}
	lidt(idt, sizeof(idt));
}

// Long mode: the boot path has already relied on it, but a clear message
// helps on odd hosts.
void cpu_check_features(void)
{
	u32 a, b, c, d;

	cpuid(0x80000000, &a, &b, &c, &d);
	if (a >= 0x80000001) {
		cpuid(0x80000001, &a, &b, &c, &d);
		if (d & (1u << 29))
			return;
	}
	panic("cpu_identify: cpuid reports no long mode");
}
