// SPDX-License-Identifier: MIT
/*
 * What happens when the guest kernel reaches the wedge (a thunk) or
 * traps (trap.c): emulate the instruction with the core, deliver what
 * it raised, and then keep the virtual CPU going until it can run guest
 * kernel code again: while it is in user mode, run the stub (stub.c);
 * while it is halted, sleep until an interrupt.  The caller then resumes
 * the frame (entry.S).
 */
#include <stdio.h>
#include <string.h>

#include "ptrace.h"

/* Stop on a shutdown or a host error; anything else goes on. */
void run__check(int ret, const char *what)
{
	struct afb_vcpu *v = the_host.vcpu;

	if (ret == AFB_VCPU_SHUTDOWN) {
		if (v->halted && !(v->rflags & AFB_RFLAGS_IF))
			guest_crash("hlt with interrupts off (%s): the guest stopped "
				    "for good", what);
		guest_crash("triple fault (%s)", what);
	}
	if (ret < 0)
		die("%s: %s", what, strerror(-ret));
}

/*
 * A guest that would jump outside its kernel half (a wild iret, a bad
 * IDT entry) is stopped here before it can run host code.
 */
static void check_resumable(const struct afb_frame *f)
{
	if (the_host.guest32) {		/* compat_resume takes 32 bits */
		if (f->rip >> 32 || f->gpr[AFB_RSP] >> 32)
			guest_crash("the guest kernel would continue at 0x%lx "
				    "(esp 0x%lx), beyond 32 bits",
				    (unsigned long)f->rip,
				    (unsigned long)f->gpr[AFB_RSP]);
		return;
	}
	if (!memory__kernel_mapped(&the_host, f->rip, 1, false))
		guest_crash("the guest kernel would continue at 0x%lx, outside "
			    "its kernel half (rsp 0x%lx)", (unsigned long)f->rip,
			    (unsigned long)f->gpr[AFB_RSP]);
}

void run__finish(struct afb_frame *frame, int ret)
{
	struct host *h = &the_host;
	struct afb_vcpu *v = h->vcpu;

	run__check(ret, "emulating the guest");
	for (;;) {
		if (v->cpl == 3) {
			stub__run_user(h, frame);
			continue;
		}
		if (v->halted) {
			ret = ptrace_host_ops.idle(v);
			if (!ret)
				ret = afb_vcpu_deliver_pending(v, frame);
			run__check(ret < 0 || ret == AFB_VCPU_SHUTDOWN ? ret : 0,
				   "waking from hlt");
			continue;
		}
		break;
	}
	check_resumable(frame);
	wedge__push(h);
}

void run__site(struct afb_frame *frame, const struct afb_insn *insn)
{
	struct afb_vcpu *v = the_host.vcpu;
	int ret = afb_vcpu_emulate(v, frame, insn);

	if (ret == AFB_VCPU_EXCEPTION)
		ret = afb_vcpu_exception(v, frame, v->exc.vector,
					 v->exc.error_code);
	run__finish(frame, ret);
}

/* From ptrace_thunk_common: a slow thunk (thunk.c) jumped there. */
void ptrace_site_entry(struct afb_frame *frame)
{
	struct host *h = &the_host;
	uint32_t index = h->wd->index;
	const struct site_info *s;

	wedge__pull(h);
	/* The guest kernel can write wedge_data: check what it says. */
	if (index >= h->nsites)
		guest_crash("the guest kernel entered the wedge with site index %u "
			    "(%zu sites): it wrote the wedge's data page", index,
			    h->nsites);
	s = &h->sites[index];
	frame->gpr[AFB_RSP] = h->wd->guest_rsp;
	frame->rip = s->addr;
	frame->next_rip = s->end;
	h->st.thunk_calls++;
	run__site(frame, &s->insn);
}
