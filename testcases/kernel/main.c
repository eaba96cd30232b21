// Kernel initialization, the boot information, and power-off.

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "param.h"
#include "proc.h"
#include "pvh.h"
#include "x86.h"

#define DEBUG_EXIT_PORT 0xf4     // QEMU isa-debug-exit: exits with (v << 1) | 1

char cmdline[CMDLINE_MAX];
static struct hvm_memmap_entry memmap[NMEMMAP];
static int nmemmap;

// Copy what we need out of hvm_start_info (the command line and the
// memory map) before the page allocator can hand those pages out.
static void bootinfo_read(uintptr pa)
{
	const struct hvm_start_info *si = P2V(pa);
	if (pa == 0 || pa >= DIRECTMAP_SIZE || si->magic != HVM_START_MAGIC)
		panic("no hvm_start_info at 0x%lx: boot through PVH or entry64", pa);
	if (si->cmdline_paddr && si->cmdline_paddr < DIRECTMAP_SIZE)
		safestrcpy(cmdline, P2V(si->cmdline_paddr), sizeof(cmdline));
	if (si->version < 1 || si->memmap_entries == 0)
		panic("hvm_start_info version %u has no memory map", si->version);
	devtest_modules(si);
	const struct hvm_memmap_entry *map = P2V(si->memmap_paddr);
	nmemmap = si->memmap_entries < NMEMMAP ? (int)si->memmap_entries : NMEMMAP;
	memcpy(memmap, map, nmemmap * sizeof(*map));
	for (int i = 0; i < nmemmap; i++)
		kprintf("kernel: memmap 0x%llx-0x%llx type %u\n",
			(unsigned long long)memmap[i].addr,
			(unsigned long long)(memmap[i].addr + memmap[i].size - 1),
			memmap[i].type);
}

// Both boot entries (boot.S) arrive here on the boot stack, interrupts
// off, with the physical address of the PVH start info.
void main(uintptr start_info_pa)
{
	uart_init();
	kvm_init();              // first: the entry only promised the image mapped
	kprintf("\nkernel: afterburner test kernel\n");
	bootinfo_read(start_info_pa);
	kprintf("kernel: cmdline \"%s\"\n", cmdline);
	seg_init();
	idt_init();
	syscall_init();
	cpu_identify();
	kinit(memmap, nmemmap);
	pic_init();
	timer_init();
	tsc_calibrate();
	devtest_run();
	if (spawn("init", 0) < 0)
		panic("cannot start init");
	scheduler();
}

// Power the machine off with an exit status: one byte to the debug-exit
// port. Where there is no such device the write does nothing, and the
// CPU stops with interrupts off instead.
void machine_poweroff(int status)
{
	kprintf("kernel: poweroff status=%d\n", status);
	devtest_shutdown();
	outb(DEBUG_EXIT_PORT, (u8)status);
	for (;;) {
		cli();
		hlt();
	}
}
