/* SPDX-License-Identifier: MIT */
/*
 * afterburn-ptrace: the Linux-on-Linux host.  Internal interfaces between
 * its files (see doc/afterburn-ptrace.pod for the whole picture):
 *
 *   main.c      options, setup, the first entry into the guest
 *   memory.c    the guest's physical memory (a memfd), the kernel half
 *               of the guest's address space mirrored into this process,
 *               guest-virtual access for the core, loading the image
 *   pagetable.c the guest page-table walker (no host state; unit tested)
 *   thunk.c     the load-time wedge: per-site thunks, or ud2 for the
 *               trap-and-emulate baseline; the site table
 *   emit.c      the thunks' code emitter (emit.h), both modes
 *   run.c       what happens at a site or a trap: emulate, deliver,
 *               run user mode, idle
 *   trap.c      signal handlers: ucontext <-> afb_frame, the timer
 *   syscall.c   the guest kernel's own syscall, sysenter, int $0x80
 *   seccomp.c   the host's system-call allow-list, installed after setup
 *   stub.c      guest address spaces as stub processes (both --user modes)
 *   stub-seccomp.c  --user=seccomp: stubs that catch their own calls and
 *               faults and hand off to the host through a shared page
 *               (stub-seccomp-code.S is their code, stub-seccomp.h the page)
 *   devices.c   the 8250 UART, the 8259 PICs, the 8254 PIT, power-off
 *               and reset
 *   console.c   standard input for the UART: raw mode, polling, restore
 *   initrd.c    --initrd: the file in guest RAM as PVH module 0
 *   ops.c       struct afb_host_ops
 *   asan.c      AddressSanitizer's shadow next to the guest's window
 *   entry.S     thunk entry, resume, trap trampoline, the stub's code
 *
 * An i386 guest kernel (an ELF32 image) runs in compatibility mode in
 * the low 4 GiB of this process (compat.h has the mechanism):
 *
 *   boot32.c    loading it, its PVH start, the wedge area, the first entry
 *   memory32.c  its memory: guest pages mirrored lazily below 4 GiB
 *               (paging off: VA = PA; on: its 2-level or PAE tables)
 *   thunk32.c   its sites: exit thunks, or ud2 (--no-patch)
 *   trap32.c    signals from its 32-bit code: pages, traps, the timer;
 *               resuming it; its %fs/%gs as LDT entries (load_seg)
 *
 * Guest user mode of an i386 guest: run__finish() calls
 * stub__run_user(h, frame) with the 32-bit frame as the core leaves it
 * (eip, esp, eflags zero-extended in the 64-bit fields; vcpu->seg[] and
 * vcpu->hidden[] hold the user's segments), as for a 64-bit guest.
 *
 * One virtual CPU, one host thread: the whole host state is one global,
 * the_host, which the signal handlers reach as well.
 */
#ifndef AFB_PTRACE_H
#define AFB_PTRACE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include <afterburn/afterburn.h>
#include <afterburn/vcpu.h>
#include <afterburn/wedge.h>

#include "compat.h"
#include "pagetable.h"
#include "stub-pages.h"
#include "util.h"

/* ---- The guest's layout (doc/guest-contract.md) ----------------------- */

#define GUEST_KERNEL_BASE	0x0000100000000000ULL
#define GUEST_DIRECTMAP_SIZE	0x100000000ULL		/* 4 GiB */
#define GUEST_WEDGE_BASE	(GUEST_KERNEL_BASE - 0x40000000ULL)
#define GUEST_KERNEL_END	(GUEST_KERNEL_BASE + GUEST_DIRECTMAP_SIZE)
#define GUEST_KERNEL_SLOT	32			/* PML4 slot of KERNEL_BASE */
#define GUEST_USER_END		0x0000008000000000ULL	/* PML4 slot 0 */

/* Boot structures we build in guest-physical memory below 1 MiB. */
#define BOOT_PML4		0x1000
#define BOOT_PDPT		0x2000
#define BOOT_PD			0x3000
#define BOOT_START_INFO		0x4000
#define BOOT_MEMMAP		0x4100
#define BOOT_MODLIST		0x4800	/* --initrd: module 0 (initrd.c) */
#define BOOT_CMDLINE		0x5000
#define BOOT_CMDLINE_MAX	0x1000
#define BOOT_STACK		0x8000	/* the rsp we enter entry64 with */

/*
 * The wedge window in this process: struct wedge_data (read-write), then
 * the thunks (read and execute), which start with the address of
 * ptrace_thunk_common that every slow thunk jumps through.  Both within
 * rel32 reach of the guest kernel, so that thunks address the data
 * RIP-relative.
 */
#define WEDGE_SIZE		0x200000ULL
#define WEDGE_DATA_SIZE		0x2000ULL
#define WEDGE_THUNKS		WEDGE_DATA_SIZE	/* the entry literal */
#define WEDGE_FIRST_THUNK	(WEDGE_THUNKS + 16)

/*
 * The stub: two pages at a fixed address in every stub process, shared
 * with the host through the memfd (after the guest's RAM): code (the
 * only syscall instruction the seccomp filter allows) and the batch of
 * system calls the host asks it to run.  Far from the guest's user range
 * and from where Linux puts anything.
 */
#define STUB_CODE_ADDR		0x0000080000000000ULL
#define STUB_DATA_ADDR		(STUB_CODE_ADDR + 0x1000)
#define STUB_SIZE		0x10000ULL	/* --user=seccomp: + a stack */
#define STUB_MAX_OPS		62
#define STUB_LDT_SLOTS		4	/* a 32-bit guest's ES, DS, FS, GS */

struct stub_op {
	uint64_t nr;
	uint64_t arg[6];
	int64_t ret;
};

struct stub_data {
	uint64_t count;
	uint64_t reserved;
	struct stub_op op[STUB_MAX_OPS];
	uint8_t ldt[STUB_LDT_SLOTS][16];	/* struct user_desc (stub32.c) */
};

/* Exit statuses of the host itself (the guest's own go from 0 to 255). */
#define EXIT_HOST_ERROR		1
#define EXIT_GUEST_CRASH	125
#define EXIT_GUEST_RESET	0	/* reset (0xcf9, 0x64): as afterburn-kvm */
#define EXIT_GUEST_HALT		128	/* hlt with interrupts off: power-off
					   without ACPI (Linux's halt) */

/* ---- Sites ------------------------------------------------------------ */

struct site_info {
	uint64_t addr;		/* guest virtual */
	uint64_t end;		/* addr + site length */
	struct afb_insn insn;	/* the original instruction */
	bool trapping;		/* --no-patch: replaced by ud2 */
	uint64_t thunk;		/* patched: its thunk (guest = host address) */
	uint64_t thunk_end;
	uint64_t fault_rip;	/* a fast path's one guest-memory access, or 0 */
};

/*
 * The data at the start of the wedge window, shared by the thunks
 * (thunk.c writes them) and the host.  The guest kernel runs in this
 * process and can read and write this page as freely as the thunks do,
 * so it holds no host pointer and nothing the host trusts: a slow thunk
 * fills guest_rsp and index (checked before use) and jumps through the
 * entry literal at the start of the thunks (read-only); a fast path
 * keeps the registers it borrows in rax/rcx while it runs (a fault at
 * its one guest-memory access restores rax from there, see trap.c).
 *
 * The vCPU itself (with the core's host pointers) lives in struct host.
 * The fields the fast paths use (vcpu.h, "Fast paths") are mirrored in
 * struct wedge_fast: thunk.c pushes the vCPU's into it before the guest
 * kernel runs and pulls back what a fast path may change (the virtual
 * IF, IOPL, NT, AC and the interrupt shadow) whenever the guest kernel
 * enters the host, keeping the vCPU's own copy for everything else.
 */
struct wedge_fast {
	uint64_t rflags;		/* the vCPU's AFB_RFLAGS_VIRT bits */
	uint64_t pending[4];		/* a copy: non-zero sends sti/popf slow */
	uint64_t shadow;		/* byte 0: vcpu->shadow */
	uint64_t shadow_rip;
};

struct wedge_data {
	uint64_t guest_rsp;		/* slow thunk: the guest's rsp */
	uint32_t index;			/* slow thunk: the site index */
	uint32_t pad;
	uint64_t rax, rcx;		/* fast paths' scratch */
	uint64_t fast[AFB_KIND_MAX + 1];	/* fast-path completions by kind */
	struct wedge_fast vf __attribute__((aligned(64)));
};

/* ---- Devices -------------------------------------------------------- */

#define UART_RX_SIZE		1024	/* a power of two */

struct uart {
	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	bool thri;		/* THR-empty interrupt pending (IIR) */
	char buf[4096];
	size_t len;
	/*
	 * Received bytes: a ring with one producer, the SIGALRM handler
	 * (console__poll), and one consumer, the guest's RBR reads (or an
	 * FCR clear), so that neither needs to block the other.
	 */
	uint8_t rx[UART_RX_SIZE];
	volatile uint32_t rx_head;	/* consumer: next byte to read */
	volatile uint32_t rx_tail;	/* producer: next free slot */
	volatile sig_atomic_t rx_on;	/* standard input feeds rx[] */
};

struct pic {
	uint8_t imr, isr, base;
	uint8_t icw;		/* next ICW expected on the data port, 0: none */
	bool icw4;		/* ICW1 asked for an ICW4 */
	bool read_isr;		/* OCW3: the command port reads ISR */
};

struct pit {
	uint8_t mode, access;
	uint16_t divisor;
	bool hi_next;		/* lo/hi access: next byte is the high one */
	bool running;
	timer_t timer;
	bool timer_made;
	uint64_t start_ns;
};

/* ---- Stubs ------------------------------------------------------------ */

struct sc_page;

struct stub {
	uint64_t cr3;		/* the guest root it mirrors */
	pid_t pid;
	struct sc_page *page;	/* --user=seccomp: the shared page */
	int listener;		/* ... its seccomp notification fd */
	bool bases_set;		/* ... FS and GS bases set as below */
	uint64_t fs_base, gs_base;
	bool validate;		/* check pages[] against the tables first */
	bool dead;		/* --user=seccomp: it died (user code can) */
	uint64_t last_used;
	/* a 32-bit guest (stub32.c): the host selectors user code resumes
	   with in ES, DS, FS, GS, the guest selectors they stand for, and
	   the guest descriptor each LDT slot mirrors (0: none) */
	uint16_t host_sel[STUB_LDT_SLOTS], guest_sel[STUB_LDT_SLOTS];
	uint64_t ldt_desc[STUB_LDT_SLOTS];
	uint32_t resume_rip;	/* where user code was resumed last */
	uint64_t stack_va;	/* its stack page, known mapped (1: none) */
	uint64_t fault_va;	/* the page of the #PF just delivered (1: none) */
	uint32_t event_err;	/* the host's #PF error code of the event
				   (--user=seccomp; 0: unknown, ptrace) */
	struct stub_pages pages;
};

#define MAX_STUBS		32

#define RECENT_ROOTS		8
#define RECENT_PAGES		4

/* ---- Statistics (--stats) --------------------------------------------- */

struct host_stats {
	uint64_t thunk_calls;		/* slow thunks (full frame, C) */
	uint64_t fast_faults;		/* fast paths that faulted: redone slow */
	uint64_t traps;			/* guest-kernel signals emulated */
	uint64_t kernel_faults;		/* delivered to the guest as exceptions */
	uint64_t irq_in_guest;		/* timer delivered from a signal */
	uint64_t timer_signals;
	uint64_t syscalls;		/* user syscalls (PTRACE_SYSEMU stops) */
	uint64_t user_faults;		/* user exceptions delivered */
	uint64_t user_pagefaults;	/* stub faults resolved by mapping */
	uint64_t user_irqs;		/* interrupts delivered from user mode */
	uint64_t user_runs;
	uint64_t injections;		/* batches run in a stub */
	uint64_t injected_ops;
	uint64_t stubs_created, stubs_reused;
	uint64_t cr3_loads, kernel_walks;
	uint64_t idles;
	uint64_t syncs;			/* stub mappings validated (stub_sync) */
	uint64_t stub_stops;		/* stub stops waited for (each a host switch pair) */
	uint64_t handoffs;		/* --user=seccomp: events through the shared page */
	uint64_t refused;		/* ... address-space calls not in a batch */
	uint64_t stub_kicks;		/* ... waits that timed out */
	uint64_t kernel_maps;		/* i386: guest pages mirrored on a fault */
	uint64_t kernel_premaps;	/* ... mapped again at a CR3 load */
};

/* ---- The host --------------------------------------------------------- */

enum run_state {
	RUN_HOST,		/* host or wedge code: interrupts stay pending */
	RUN_GUEST,		/* guest kernel code may run (see trap.c) */
	RUN_USER,		/* waiting for a stub: interrupt it */
};

struct host {
	/* options */
	const char *image_path;
	const char *initrd_path;	/* --initrd, or NULL */
	const char *cmdline;
	uint64_t mem_size;
	bool patch;		/* afterburnt sites into thunks */
	bool pure_trap;		/* --no-patch=pure: not even ud2 */
	bool fast;		/* fast paths for cli/sti/pushf/popf (--no-fast) */
	bool stats;
	int verbose;
	bool user_seccomp;	/* --user=seccomp (else ptrace) */
	const char *user_opt;	/* --user as given, or NULL */

	/* memory */
	int memfd;
	uint8_t *phys;		/* host view: RAM, stub pages, wedge window */
	struct pt_phys pt;	/* RAM for the walker */
	uint64_t kernel_pml4e;	/* the slot-32 entry last mirrored */
	struct pt_extent kext[64];	/* kernel half as mirrored */
	unsigned int nkext;

	/* image */
	struct afb_image *image;
	uint64_t entry;
	uint64_t image_end;	/* end of the highest PT_LOAD, guest-physical */

	/* wedge */
	uint8_t *wedge;			/* our view of the window (in phys) */
	struct wedge_data *wd;		/* at the start of the wedge window */
	struct site_info *sites;	/* patch: by thunk index; trap: sorted */
	size_t nsites, sites_cap;
	struct afb_patch_stats patch_stats;

	/* the virtual CPU (&vcpu_mem; its fast-path fields mirrored in wd->vf) */
	struct afb_vcpu *vcpu;
	struct afb_vcpu vcpu_mem;
	volatile sig_atomic_t state;	/* enum run_state */

	/* devices */
	struct uart uart;
	struct pic pic[2];
	struct pit pit;

	/* user mode */
	struct stub stubs[MAX_STUBS];
	unsigned int nstubs;
	struct stub *cur;		/* the stub running (RUN_USER) */
	volatile pid_t cur_pid;
	uint64_t clock;			/* for the stubs' LRU */
	struct stub_data *stub_data;	/* host view of the data page */
	struct stub_op ops[STUB_MAX_OPS];	/* the batch being queued */
	unsigned int nops, max_ops;
	struct stub *ops_stub;		/* ... for this stub */
	int sc_fd;			/* --user=seccomp: the shared pages */
	struct sc_page *sc_pages;
	bool fsgsbase;			/* wrgsbase usable */
	uint64_t gs_loaded;		/* this process's GS base (ops.c) */

	/* an i386 guest (boot32.c ... trap32.c) */
	bool guest32;
	uint64_t load_delta;		/* virtual - physical of its image */
	uint64_t area_va, area_pa, area_size;	/* the wedge area */
	struct { uint64_t start, end; } early[8];	/* run with paging off */
	unsigned int nearly;
	struct compat_ldt ldt;		/* its %fs/%gs as LDT entries */
	uint16_t sel32[2];		/* ... the host selectors to load */
	uint64_t mapped[16], mapped_ng[16];	/* 4 MiB regions with mirrored
					   pages, ... with non-global ones */
	uint64_t paging_mode;		/* CR0.PG, CR4.PSE/PAE/PGE mirrored */
	struct recent_root {		/* user pages the guest kernel faulted
					   on under a root, mapped again at
					   its next load (memory32.c) */
		uint64_t root;
		uint32_t va[RECENT_PAGES];	/* most recent first */
		unsigned int n;
	} recent[RECENT_ROOTS];
	unsigned int recent_next;	/* the entry to take for a new root */

	struct host_stats st;
};

extern struct host the_host;

/* main.c */
__attribute__((noreturn, format(printf, 1, 2)))
void guest_crash(const char *fmt, ...);
__attribute__((noreturn)) void host_exit(int status);
void host_booted(void);		/* the guest starts: --stats from here */
void host_print_stats(void);
void host_stats_line(const char *line, size_t len);

/* memory.c */
int memory__init(struct host *h);
int memory__load_image(struct host *h);
int memory__boot_info(struct host *h);
int memory__mirror_kernel(struct host *h, uint64_t root, bool force);
int memory__read(struct host *h, uint64_t root, uint64_t gva, void *buf,
		 size_t len, unsigned int access);
int memory__write(struct host *h, uint64_t root, uint64_t gva,
		  const void *buf, size_t len, unsigned int access);
bool memory__kernel_mapped(struct host *h, uint64_t gva, size_t len,
			   bool write);
uint8_t *memory__kernel_view(struct host *h, uint64_t gva, size_t len,
			     bool write);

/* thunk.c */
int wedge__init(struct host *h);
bool wedge__traps_at_cpl3(unsigned int kind);
int wedge__site_add(struct host *h, const struct afb_site *site,
		    const struct afb_insn *insn, bool trapping);
int wedge__apply(struct host *h);
void wedge__pull(struct host *h);
void wedge__push(struct host *h);
void wedge__push_pending(struct host *h);
const struct site_info *wedge__find_site(struct host *h, uint64_t addr);
const struct site_info *wedge__find_thunk(struct host *h, uint64_t rip);

/* run.c */
void ptrace_site_entry(struct afb_frame *frame);	/* from entry.S */
void run__site(struct afb_frame *frame, const struct afb_insn *insn);
void run__finish(struct afb_frame *frame, int ret);
void run__check(int ret, const char *what);

/* trap.c */
struct afb_frame *ptrace_trap_continue(void);		/* from entry.S */
bool trap__from_outside(int sig, const siginfo_t *si, const char *to);
int trap__init(struct host *h);
void trap__frame_from_uc(struct afb_frame *f, const void *uc);
void trap__frame_to_uc(const struct afb_frame *f, void *uc);
uint8_t trap__exception_of(int sig, int code, uint64_t err, uint32_t *ec);

/* syscall.c */
void syscall__guest(struct host *h, struct afb_frame *f, uint64_t call_addr);

/* seccomp.c */
int seccomp__install(struct host *h);
int seccomp__install_stub(uint64_t syscall_ip);

/* stub.c */
int stub__init(struct host *h);
void stub__run_user(struct host *h, struct afb_frame *frame);
void stub__invlpg(struct host *h, uint64_t gva);
void stub__flush(struct host *h, bool global);
void stub__cr3(struct host *h, uint64_t cr3);
void stub__interrupt(struct host *h);
const char *stub__who(const struct stub *s, char *buf, size_t len);
void stub__queue(struct host *h, struct stub *s, uint64_t nr, uint64_t a0,
		 uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		 uint64_t a5);
int stub__user_signal(struct host *h, struct stub *s, struct afb_frame *f,
		      int sig, const siginfo_t *si);

/* stub32.c: guest user mode of a 32-bit guest (compatibility mode) */
bool stub32__mode(const struct host *h);
uint8_t *stub32__desc_area(struct host *h, struct stub *s, unsigned int slot);
uint64_t stub32__desc_addr(const struct host *h, unsigned int slot);
int stub32__segments(struct host *h, struct stub *s, uint16_t sel[STUB_LDT_SLOTS]);
void stub32__regs(struct host *h, struct stub *s, struct user_regs_struct *r,
		  const struct afb_frame *f);
int stub32__event(struct host *h, struct stub *s, struct afb_frame *f,
		  const struct user_regs_struct *r, bool syscall, int sig,
		  const siginfo_t *si);

/* boot32.c */
bool boot32__is_elf32(const char *path);
__attribute__((noreturn)) void boot32__run(struct host *h);

/* memory32.c */
int memory32__init(struct host *h);
int memory32__translate(struct host *h, uint64_t gva, size_t len,
			unsigned int access, uint64_t *pa);
bool memory32__fault(struct host *h, uint64_t addr, bool write, bool fetch,
		     uint32_t *present);
void memory32__drop_all(struct host *h);
void memory32__new_root(struct host *h);
void memory32__drop_page(struct host *h, uint64_t gva);

/* thunk32.c */
int wedge32__apply(struct host *h);
bool wedge32__early(const struct host *h, uint64_t addr);
const struct site_info *wedge32__find_trap(struct host *h, uint64_t eip);
int thunk32__exit(struct compat_regs *r);

/* trap32.c */
int trap32__init(struct host *h);
void trap32__on_signal(int sig, siginfo_t *si, void *uc);
__attribute__((noreturn)) void trap32__resume(struct afb_frame *f);
int trap32__load_seg(struct host *h, enum afb_sreg sreg, uint16_t sel,
		     const struct afb_seg_hidden *hid);

/* devices.c */
int devices__in(struct host *h, uint16_t port, unsigned int size,
		uint32_t *val);
int devices__out(struct host *h, uint16_t port, unsigned int size,
		 uint32_t val);
void devices__timer_tick(struct host *h);
void uart__flush(struct uart *u);
void uart__update_irq(struct host *h);
__attribute__((noreturn)) void devices__reset(struct host *h, const char *how);

/* console.c */
int console__init(struct host *h);
void console__poll(struct host *h);
void console__restore(void);
void ptrace_quit_entry(int sig, siginfo_t *si, void *uc);	/* entry.S */
void ptrace_on_quit(int sig, siginfo_t *si, void *uc);

/* initrd.c */
uint64_t initrd__load(struct host *h, uint64_t modlist);

/* asan.c: ASan's shadow next to the guest's window (no-ops without it) */
uint64_t asan__window_start(void);
void asan__leave_stack(void);
void asan__on_wedge_stack(void);

/* ops.c */
extern const struct afb_host_ops ptrace_host_ops;
void ops__set_gs(struct host *h, uint64_t base);

/* entry.S */
void ptrace_thunk_common(void);
__attribute__((noreturn)) void ptrace_resume(const struct afb_frame *frame);
void ptrace_trap_trampoline(void);
extern uint64_t ptrace_host_fs_base;
extern uint8_t ptrace_have_fsgsbase;
void ptrace_fault_entry(int sig, siginfo_t *si, void *uc);
void ptrace_alarm_entry(int sig, siginfo_t *si, void *uc);
void ptrace_on_fault(int sig, siginfo_t *si, void *uc);
void ptrace_on_alarm(int sig, siginfo_t *si, void *uc);
extern const uint8_t ptrace_stub_code[], ptrace_stub_syscall[],
	ptrace_stub_int3[], ptrace_stub_code_end[];
extern uint8_t ptrace_wedge_stack_bottom[], ptrace_wedge_stack_top[];
__attribute__((noreturn))
void ptrace_run_on_wedge_stack(void (*fn)(void *), void *arg);

_Static_assert(sizeof(struct wedge_data) <= WEDGE_DATA_SIZE,
	       "struct wedge_data does not fit its pages");

#endif
