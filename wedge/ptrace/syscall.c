// SPDX-License-Identifier: MIT
/*
 * The guest kernel's own system-call instructions.
 *
 * The guest kernel runs natively in this process, so its 'syscall',
 * 'sysenter' and 'int $0x80' would be this process's system calls.  The
 * seccomp filter (seccomp.c) stops every system call made from the
 * guest's window with SIGSYS before Linux runs it; trap.c sends it here,
 * and the guest gets what a CPU at CPL0 does with the guest's own MSRs
 * and IDT: syscall enters the guest's LSTAR (#UD without EFER.SCE),
 * int $n goes through the guest's IDT, sysenter does what the host's CPU
 * vendor (the one the guest's cpuid reports) does in 64-bit mode: #UD on
 * AMD, #GP(0) with a null SYSENTER_CS, else the jump to SYSENTER_EIP.
 * A jump to the host's vsyscall page (Linux emulates it as a system
 * call) is an instruction fetch #PF there, as on the guest's CPU, where
 * nothing maps that page.
 */
#include <cpuid.h>
#include <string.h>

#include "ptrace.h"

#define VSYSCALL_PAGE	0xffffffffff600000ULL

static bool read_code(struct host *h, uint64_t gva, uint8_t *b, size_t n)
{
	const uint8_t *p = memory__kernel_view(h, gva, n, false);

	if (!p)
		return false;
	memcpy(b, p, n);
	return true;
}

static bool cpu_is_amd(void)
{
	unsigned int a, b, c, d;

	__cpuid(0, a, b, c, d);
	(void)a, (void)c, (void)d;
	return b == 0x68747541 /* "Auth" enticAMD */ ||
	       b == 0x6f677948 /* "Hygo" nGenuine */;
}

static int sysenter(struct afb_vcpu *v, struct afb_frame *f)
{
	uint16_t cs = (uint16_t)v->sysenter_cs & 0xfffc;

	if (cpu_is_amd())
		return afb_vcpu_exception(v, f, AFB_EXC_UD, 0);
	if (!cs)
		return afb_vcpu_exception(v, f, AFB_EXC_GP, 0);
	v->rflags &= ~(uint64_t)(AFB_RFLAGS_IF | AFB_RFLAGS_RF | AFB_RFLAGS_VM);
	f->rflags &= ~(uint64_t)(AFB_RFLAGS_RF | AFB_RFLAGS_VM);
	v->seg[AFB_CS] = cs;
	v->seg_dpl[AFB_CS] = 0;
	v->seg[AFB_SS] = (uint16_t)(cs + 8);
	v->seg_dpl[AFB_SS] = 0;
	v->cpl = 0;
	f->rip = v->sysenter_eip;
	f->gpr[AFB_RSP] = v->sysenter_esp;
	f->next_rip = 0;
	return 0;
}

/*
 * syscall__guest - the guest kernel made a system call at @call_addr
 * (the address after its instruction); @f holds its registers as they
 * were at the instruction.
 */
void syscall__guest(struct host *h, struct afb_frame *f, uint64_t call_addr)
{
	struct afb_vcpu *v = h->vcpu;
	struct afb_insn insn;
	uint8_t b[2];

	if ((call_addr & ~0xfffULL) == VSYSCALL_PAGE) {
		/* Linux's emulation has already "returned" to the caller. */
		f->gpr[AFB_RSP] -= 8;
		f->rip = call_addr;
		v->cr2 = call_addr;
		run__finish(f, afb_vcpu_exception(v, f, AFB_EXC_PF, 0x10));
		return;
	}
	if (!read_code(h, call_addr - 2, b, 2))
		guest_crash("a system call from guest address 0x%lx, whose code is "
			    "not mapped", (unsigned long)call_addr);
	f->rip = call_addr - 2;
	f->next_rip = call_addr;
	if (b[0] == 0x0f && b[1] == 0x05) {
		run__finish(f, afb_vcpu_syscall(v, f));
		return;
	}
	if (b[0] == 0x0f && b[1] == 0x34) {
		f->next_rip = 0;
		run__finish(f, sysenter(v, f));
		return;
	}
	if (b[0] == 0xcd && afb_decode(b, 2, 64, &insn) > 0 &&
	    insn.kind == AFB_KIND_INT) {
		run__site(f, &insn);
		return;
	}
	guest_crash("a system call from guest address 0x%lx after bytes %02x %02x, "
		    "which are no system-call instruction", (unsigned long)call_addr,
		    b[0], b[1]);
}
