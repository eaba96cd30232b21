// SPDX-License-Identifier: MIT
/*
 * struct afb_host_ops of the ptrace host: what the shared virtual-CPU
 * core asks of it.
 */
#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <x86intrin.h>

#include "ptrace.h"

static struct host *host_of(struct afb_vcpu *v)
{
	return v->host;
}

static int op_mem_read(struct afb_vcpu *v, uint64_t gva, void *buf, size_t len,
		       unsigned int access)
{
	return memory__read(host_of(v), v->cr3, gva, buf, len, access);
}

static int op_mem_write(struct afb_vcpu *v, uint64_t gva, const void *buf,
			size_t len, unsigned int access)
{
	return memory__write(host_of(v), v->cr3, gva, buf, len, access);
}

static int op_io_in(struct afb_vcpu *v, uint16_t port, unsigned int size,
		    uint32_t *val)
{
	return devices__in(host_of(v), port, size, val);
}

static int op_io_out(struct afb_vcpu *v, uint16_t port, unsigned int size,
		     uint32_t val)
{
	return devices__out(host_of(v), port, size, val);
}

/*
 * The host's cpuid, trimmed to what the core virtualizes: basic leaves up
 * to 1 and extended ones up to 0x80000001; no XSAVE/OSXSAVE, no
 * hypervisor-specific leaves.
 */
static void op_cpuid(struct afb_vcpu *v, uint32_t leaf, uint32_t sub,
		     uint32_t out[4])
{
	uint32_t max;

	(void)v;
	memset(out, 0, 4 * sizeof(out[0]));
	max = leaf >= 0x80000000 ? 0x80000001 : 1;
	if (leaf > max)
		return;
	__cpuid_count(leaf, sub, out[0], out[1], out[2], out[3]);
	if (leaf == 0 || leaf == 0x80000000)
		out[0] = out[0] < max ? out[0] : max;
	if (leaf == 1)
		out[2] &= ~((1u << 26) | (1u << 27) | (1u << 31));
}

/* The guest's TSC is the host's: the same one that guest code reads
   natively (rdtsc does not trap at CPL3 and is left unpatched). */
static uint64_t op_rdtsc(struct afb_vcpu *v)
{
	(void)v;
	return __rdtsc();
}

/*
 * Mirror the kernel half of @cr3.  A root outside the guest's RAM or a
 * kernel half this host cannot mirror stops the guest (a CPU would walk
 * tables of nothing and shut down); only a failing mmap is our error.
 */
static void mirror(struct host *h, uint64_t cr3, bool force)
{
	int ret = memory__mirror_kernel(h, cr3, force);

	if (ret == -EFAULT)
		guest_crash("cr3 0x%lx: its page-table root lies beyond the guest's "
			    "%lu MiB of RAM", (unsigned long)cr3,
			    (unsigned long)(h->mem_size >> 20));
	if (ret == -E2BIG)
		guest_crash("cr3 0x%lx maps its kernel half in more than %zu "
			    "extents, more than this host mirrors",
			    (unsigned long)cr3, sizeof(h->kext) / sizeof(h->kext[0]));
	if (ret)
		die("mapping the guest's kernel half (cr3 0x%lx): %s",
		    (unsigned long)cr3, strerror(-ret));
}

static int op_set_cr3(struct afb_vcpu *v, uint64_t cr3)
{
	struct host *h = host_of(v);

	if (h->guest32)
		memory32__new_root(h);
	else
		mirror(h, cr3, false);
	h->st.cr3_loads++;
	stub__cr3(h, cr3);
	return 0;
}

static void op_flush_tlb(struct afb_vcpu *v, uint64_t gva, bool all,
			 bool global)
{
	struct host *h = host_of(v);

	if (!all) {
		if (h->guest32)
			memory32__drop_page(h, gva);
		stub__invlpg(h, gva);
		return;
	}
	if (h->guest32) {
		if (global)
			memory32__drop_all(h);
		else
			memory32__new_root(h);
	} else if (global)
		mirror(h, v->cr3, true);
	stub__flush(h, global);
}

void ops__set_gs(struct host *h, uint64_t base)
{
	if (h->fsgsbase)
		__asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
	else if (syscall(SYS_arch_prctl, ARCH_SET_GS, base) < 0)
		die("arch_prctl(ARCH_SET_GS): %s", strerror(errno));
	h->gs_loaded = base;
}

/*
 * The guest kernel's GS base is this process's GS base (its %gs: accesses
 * run natively).  Without FSGSBASE, loading it is a system call that
 * costs several microseconds, and a kernel swaps GS twice per system
 * call.  So this process keeps the kernel's own base loaded across the
 * swapgs pair around user mode: gs_base, or kernel_gs_base after an odd
 * number of swapgs.  User mode runs in a stub and gets the active base.
 * What differs from a CPU: a %gs: access in guest kernel mode between
 * the swapgs on the way out and the return to user mode uses the
 * kernel's base (doc/guest-contract.md).
 *
 * FS is glibc's thread pointer here: the guest kernel must not use %fs
 * (the test kernel sets FS_BASE to 0 and never uses it); its FS base is
 * kept in the vcpu and given to user mode only.
 */
static void op_set_seg_base(struct afb_vcpu *v, enum afb_sreg sreg,
			    uint64_t base)
{
	struct host *h = host_of(v);
	uint64_t kernel_base = v->gs_swapped ? v->kernel_gs_base : v->gs_base;

	(void)base;
	if (sreg == AFB_GS && kernel_base != h->gs_loaded)
		ops__set_gs(h, kernel_base);
}

/* 32-bit protected mode: %fs/%gs as LDT entries (trap32.c). */
static int op_load_seg(struct afb_vcpu *v, enum afb_sreg sreg, uint16_t sel,
		       const struct afb_seg_hidden *hid)
{
	return trap32__load_seg(host_of(v), sreg, sel, hid);
}

/* hlt: sleep until SIGALRM raises something. */
static int op_idle(struct afb_vcpu *v)
{
	struct host *h = host_of(v);
	sigset_t block, old, wait;

	if (!h->pit.running)
		guest_crash("hlt with interrupts on but no timer programmed: "
			    "nothing can ever wake the guest");
	h->st.idles++;
	uart__flush(&h->uart);
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	wait = old;
	sigdelset(&wait, SIGALRM);
	if (!afb_vcpu_irq_pending(v))
		sigsuspend(&wait);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}

const struct afb_host_ops ptrace_host_ops = {
	.mem_read = op_mem_read,
	.mem_write = op_mem_write,
	.io_in = op_io_in,
	.io_out = op_io_out,
	.cpuid = op_cpuid,
	.rdtsc = op_rdtsc,
	.set_cr3 = op_set_cr3,
	.flush_tlb = op_flush_tlb,
	.set_seg_base = op_set_seg_base,
	.load_seg = op_load_seg,
	.idle = op_idle,
};
