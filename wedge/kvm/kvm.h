/* SPDX-License-Identifier: MIT */
/*
 * afterburn-kvm: a small VMM on /dev/kvm for afterburnt guests.
 *
 * One file per part, as kvmtool does it: main.c (options), kvm.c (the
 * VM, its memory and the port I/O bus), cpu.c (the vCPU and the one exit
 * switch), stats.c (exit counts), loader.c (ELF and PVH boot), patch.c
 * (the sites and the VMM side of the wedge; guest.S is the in-guest side),
 * pvm.c (what the VMM finishes in the CPU's place on a PVM host),
 * serial.c, rtc.c and power.c (devices).  Devices register themselves with
 * dev_init().
 */
#ifndef AFB_KVM_KVM_H
#define AFB_KVM_KVM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include <afterburn/afterburn.h>

#include "util.h"

#define KVM_EXIT_STATUS_VMM	125	/* the VMM could not run the guest */
#define KVM_EXIT_STATUS_GUEST	124	/* the guest stopped without power-off */

/* Guest-physical layout that the VMM owns (doc/afterburn-kvm.pod). */
#define BOOT_GDT		0x5000	/* GDT for the 64-bit entry */
#define BOOT_INFO		0x6000	/* struct hvm_start_info */
#define BOOT_MEMMAP		0x6100	/* struct hvm_memmap_entry[] */
#define BOOT_MEMMAP_MAX		16
#define BOOT_MODLIST		0x6400	/* struct hvm_modlist_entry */
#define BOOT_CMDLINE		0x7000	/* command line, NUL-terminated */
#define BOOT_CMDLINE_MAX	0x1000
#define BOOT_PGTABLE		0x8000	/* PML4, PDPT, 4 PDs: 64-bit entry */
#define BOOT_STACK_TOP		0x5000	/* %rsp for the 64-bit entry */
#define BOOT_MPTABLE		0xf0000	/* MP floating pointer + table (mptable.c) */
#define BOOT_MPTABLE_MAX	0x1000
#define BOOT_AREA32		0x90000	/* i386: the 32-bit wedge's default */
#define BOOT_AREA32_SIZE	0xf000	/* ... place, reserved (patch.c) */

#define KVM_CPUS_MAX		16	/* -smp: vCPUs, one thread each */

/* The wedge: 2 MiB of guest RAM at the top, reserved in the memory map. */
#define WEDGE_SIZE		0x200000UL
#define WEDGE_VADDR		0x00000fffc0000000UL	/* doc/guest-contract.md */
#define GUEST_KERNEL_BASE	0x0000100000000000UL
#define WEDGE_PML4_SLOT		31
/* Kernels linked in the top 2 GiB (Linux): the unused GiB below them. */
#define WEDGE_VADDR_TOP		0xffffffff40000000UL
#define KERNEL_TOP_2G		0xffffffff80000000UL

struct kvm;

struct kvm_stats {
	uint64_t exits[64];		/* user-space exits by KVM_EXIT_* */
	uint64_t ports[2][0x10000];	/* [out][port] */
	uint64_t msr_read, msr_write, msr_fault;
	uint64_t hypercalls;		/* wedge-to-VMM port calls */
	uint64_t console_bytes;
	uint64_t idt_gates_synced;	/* patch.c: shadow IDT gates updated */
	uint64_t pvm_syscalls;		/* pvm.c: syscalls the VMM finished */
	uint64_t pvm_int80;		/* ... int $0x80 made #GP */
	uint64_t pvm_insns;		/* ... CPL0 instructions done for PVM */
	uint64_t pvm_steps;		/* ... handlers stepped into */
};

struct kvm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	uint64_t ram_size;
	bool no_patch;
	bool stats;
	bool entry32;		/* start at the PVH 32-bit entry */
	bool entry_set;		/* --entry given (else from the image) */
	bool verbose;
	unsigned int timeout;	/* seconds, 0 = none */
	const char *disable;	/* kinds the wedge must leave native */
	uint64_t wedge_at;	/* --wedge-at, 0: from the image */
	unsigned int nr_cpus;	/* -smp, 1 to KVM_CPUS_MAX */
};

struct kvm {
	struct kvm_config cfg;
	int sys_fd;
	int vm_fd;
	int ram_fd;		/* guest RAM: a memfd, mapped at ram */
	uint8_t *ram;
	uint64_t ram_size;
	uint64_t wedge_phys;	/* start of the wedge's reserved RAM */
	uint64_t wedge_vaddr;	/* the wedge window (patch.c) */
	uint64_t wedge_base;	/* guest-physical start of the wedge's code */
	uint64_t wedge_data;	/* ... and its data page's offset from there */
	bool wedge_in_kernel_pdpt;	/* mapped through the kernel's own PDPT */
	uint64_t wedge_pdpt[2];	/* ... these, at guest-physical addresses */
	unsigned int nr_wedge_pdpt;

	bool elf32;		/* an i386 (ELF32) image */
	unsigned int phnum;	/* its program headers (loader__phdr) */
	uint64_t entry64;	/* e_entry */
	uint64_t entry32;	/* XEN_ELFNOTE_PHYS32_ENTRY, 0 if none */
	uint64_t image_start;	/* lowest p_paddr of a PT_LOAD */
	uint64_t image_end;	/* first physical byte above the image */
	uint64_t load_delta;	/* p_vaddr - p_paddr of the first PT_LOAD */
	bool load_delta_ok;	/* ... and of every other (else patch.c maps
				   each segment at its own p_vaddr) */
	void *image_file;	/* the ELF file, mapped */
	size_t image_size;

	struct kvm_cpu *cpu;		/* vCPU 0, the BSP */
	struct kvm_cpu *cpus[KVM_CPUS_MAX];
	unsigned int nr_cpus;
	struct kvm_stats stats;

	/*
	 * Held by a vCPU thread from the end of KVM_RUN through its exit's
	 * work (devices, the wedge's data page, stats): device emulation is
	 * serialised, KVM_RUN is not.
	 */
	pthread_mutex_t lock;
	volatile bool powered_off;	/* every vCPU stops at its next exit */
	int exit_status;
};

/* ---- kvm.c -------------------------------------------------------- */
typedef void (*pio_fn)(struct kvm *kvm, uint16_t port, uint8_t *data,
		       unsigned int size, bool out, void *ptr);

int kvm__init(struct kvm *kvm);
void kvm__exit(struct kvm *kvm);
int kvm__register_pio(uint16_t base, uint16_t len, pio_fn fn, void *ptr);
void kvm__emulate_pio(struct kvm *kvm, uint16_t port, uint8_t *data,
		      unsigned int size, bool out);
void *kvm__gpa(struct kvm *kvm, uint64_t gpa, uint64_t len);
void kvm__irq_line(struct kvm *kvm, unsigned int irq, bool level);
int kvm__devices_init(struct kvm *kvm);
int kvm__devices_add(int (*init)(struct kvm *), const char *name);

#define dev_init(fn)							\
static void __attribute__((constructor)) dev_init_##fn(void)		\
{									\
	kvm__devices_add(fn, #fn);					\
}

/* ---- cpu.c -------------------------------------------------------- */
int kvm_cpu__init(struct kvm *kvm);
int kvm_cpu__reset(struct kvm *kvm);
int kvm_cpu__run(struct kvm *kvm);
void kvm_cpu__stop_all(struct kvm *kvm);
unsigned int kvm_cpu__id(void);
void kvm_cpu__exit(struct kvm *kvm);
int kvm_cpu__stats_fd(struct kvm *kvm, unsigned int id);
void kvm_cpu__dump_msrs(struct kvm *kvm);
const struct kvm_cpuid2 *kvm_cpu__cpuid(struct kvm *kvm);
int kvm_cpu__fd(struct kvm *kvm);
bool kvm_cpu__copy_gva(struct kvm *kvm, uint64_t gva, void *buf, size_t len,
		       bool to_guest);

/* ---- mptable.c ---------------------------------------------------- */
int mptable__setup(struct kvm *kvm);

/* ---- loader.c ----------------------------------------------------- */
struct loader_phdr {		/* a program header of either ELF class */
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

int loader__load(struct kvm *kvm);
void loader__unload(struct kvm *kvm);
void loader__phdr(const struct kvm *kvm, unsigned int i, struct loader_phdr *ph);
typedef bool (*loader_symbol_fn)(const char *name, uint64_t value,
				 uint64_t size, void *arg);
void loader__for_each_symbol(const struct kvm *kvm, loader_symbol_fn fn, void *arg);

/* ---- patch.c ------------------------------------------------------ */
int patch__apply(struct kvm *kvm);
uint64_t patch__wedge_pml4e(struct kvm *kvm);
void patch__flush_console(struct kvm *kvm);
void patch__sync(struct kvm *kvm);
bool patch__shadow_idt(struct kvm *kvm);
void patch__print_stats(struct kvm *kvm);
void patch__print_trace(struct kvm *kvm);

/* ---- pvm.c ------------------------------------------------------- */
bool pvm__host(void);
int pvm__init(struct kvm *kvm);

/* sandbox.c */
int sandbox__install(void);
int pvm__sync(struct kvm *kvm);
int pvm__debug_exit(struct kvm *kvm);
int pvm__emulation_failed(struct kvm *kvm);

/* ---- serial.c ----------------------------------------------------- */
void serial8250__write(struct kvm *kvm, const uint8_t *buf, size_t len);
void serial8250__flush(void);
void serial8250__poll(struct kvm *kvm);
uint8_t serial8250__lsr(void);
uint8_t serial8250__ier(void);
uint8_t serial8250__lcr(void);

/* ---- stats.c ------------------------------------------------------ */
void stats__print(struct kvm *kvm);

/* ---- main.c ------------------------------------------------------- */
extern bool kvm_verbose;

#endif
