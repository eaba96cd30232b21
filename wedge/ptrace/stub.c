// SPDX-License-Identifier: MIT
/*
 * Guest user mode: one stub process per guest address space (per CR3),
 * as UML's skas mode does it.
 *
 * A stub is a fork of the host that unmapped everything but the two stub
 * pages (ptrace.h) and can make no system call but mmap and munmap, and
 * those only from the stub page's own syscall instruction (a seccomp
 * filter, seccomp.c; anything else is SIGSYS).  The host traces it (PTRACE_SEIZE) and:
 *
 *  - mirrors the guest's user page tables into it by mmap()ing memfd
 *    pages at the user addresses: lazily, on the stub's page faults
 *    (every user page the guest maps in the faulting 2 MiB region at
 *    once), with a per-stub record of what is mapped.  A CR3 load of the
 *    root, invlpg of a recorded page, or a TLB flush marks the record
 *    for validation, which re-walks the guest's tables for every
 *    recorded page before the stub runs again and unmaps what changed:
 *    the stubs' mappings behave like a TLB that a CR3 load flushes.
 *    The mmap/munmap calls are run as a batch by the stub's code
 *    (stub_batch(): set its registers, PTRACE_CONT, int3);
 *
 *  - runs the guest's user code in it with PTRACE_SYSEMU: a system call
 *    stops the stub before Linux runs it and becomes afb_vcpu_syscall()
 *    into the guest kernel; a signal (fault) becomes the exception the
 *    guest would see; a timer tick stops it with PTRACE_INTERRUPT and
 *    the interrupt is delivered from user mode.
 *
 * Guest user code therefore never makes a host system call: syscall and
 * int $0x80 stop at PTRACE_SYSEMU before Linux runs them, and the
 * vsyscall page (emulated by Linux in its page-fault handler, outside
 * the system-call path and so invisible to PTRACE_SYSEMU) goes through
 * seccomp, whose filter allows only the stub's own syscall instruction.
 * It cannot reach guest kernel memory either: the stub maps nothing but
 * user pages (and the stub pages).
 *
 * Stubs are caches: the guest's user state lives in the guest kernel and
 * in the frame we pass in, so a stub can be emptied and given to another
 * address space at any time.  All MAX_STUBS are forked and seized during
 * setup (stub__init), before the host's seccomp filter goes on: after
 * it, the host can neither fork nor attach to a process (it may only
 * ptrace the stubs it already traces).  When every stub is in use, the
 * least recently used one is emptied (every user mapping unmapped) and
 * reused.
 *
 * Nothing a stub reports is trusted blindly: a signal that some process
 * sent it (kill(1): si_code SI_USER, SI_TKILL, SI_QUEUE) is logged and
 * dropped, never delivered to the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "ptrace.h"
#include "seccomp.h"
#include "stub-seccomp.h"

#define USER_CS		0x33	/* the host's 64-bit user selectors */
#define USER_SS		0x2b
#define TASK_TOP	0x00007ffffffff000ULL
#define REGION		PT_PAGE_2M

static pid_t host_pid;		/* for the ticks we send a stub */

static uint64_t stub_syscall_ip(void)
{
	return STUB_CODE_ADDR + (uint64_t)(ptrace_stub_syscall - ptrace_stub_code) + 2;
}

static uint64_t stub_trap_ip(void)
{
	return STUB_CODE_ADDR + (uint64_t)(ptrace_stub_int3 - ptrace_stub_code) + 1;
}

/* ---- The child side ------------------------------------------------- */

/*
 * glibc registered this thread's rseq area in its TLS, which the stub is
 * about to unmap: Linux would then kill the stub (SIGSEGV) on its way
 * back to user mode.  Unregistering needs the length glibc registered,
 * which is not __rseq_size (the feature size) on every glibc: try both.
 */
static void rseq_unregister(void)
{
	void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	unsigned int len[] = { __rseq_size, 32 };
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (!syscall(SYS_rseq, area, len[i], RSEQ_FLAG_UNREGISTER, RSEQ_SIG))
			return;
	_exit(5);
}

static int stub_map_ptrace(struct host *h)
{
	/* MAP_FIXED: what this copy of the host had there (ASan's shadow
	   does) goes with the rest at the first batch anyway. */
	if (mmap((void *)STUB_CODE_ADDR, 0x1000, PROT_READ | PROT_EXEC,
		 MAP_SHARED | MAP_FIXED, h->memfd,
		 (off_t)h->mem_size) == MAP_FAILED ||
	    mmap((void *)STUB_DATA_ADDR, 0x1000, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, h->memfd,
		 (off_t)h->mem_size + 0x1000) == MAP_FAILED)
		return -1;
	return 0;
}

__attribute__((noreturn))
static void stub_child(struct host *h, int go, unsigned int index)
{
	struct sigaction sa;
	sigset_t all;
	char c;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(go, &c, 1) != 1)
		_exit(1);
	if ((h->user_seccomp ? ss_map(h, index) : stub_map_ptrace(h)) < 0)
		_exit(2);
	/* glibc registered this thread's rseq area in its TLS, which the
	   stub is about to unmap: Linux would then kill it with SIGSEGV at
	   its next preemption. */
	if (__rseq_size)
		rseq_unregister();
	/* Nothing but the memfd stays open. */
	if (h->memfd > 0)
		syscall(SYS_close_range, 0, h->memfd - 1, 0);
	syscall(SYS_close_range, h->memfd + 1, ~0U, 0);
	if (h->user_seccomp)
		ss_child();
	if (seccomp__install_stub(stub_syscall_ip()) < 0)
		_exit(3);
	/* The first batch (stub__init) unmaps everything else, our stack
	   included: never come back. */
	((void (*)(void))STUB_CODE_ADDR)();
	_exit(4);
}

/* ---- Tracing ---------------------------------------------------------- */

static void regs_init(struct user_regs_struct *r)
{
	memset(r, 0, sizeof(*r));
	r->cs = USER_CS;
	r->ss = USER_SS;
	r->eflags = 0x202;
}

/* Wait for @pid's next stop; EINTR (the timer) is not an event. */
static int stub_wait(struct host *h, pid_t pid)
{
	int status;

	h->st.stub_stops++;
	while (waitpid(pid, &status, __WALL) < 0)
		if (errno != EINTR)
			die("waitpid(stub %d): %s", pid, strerror(errno));
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		struct stub *s;
		unsigned int i;

		for (i = 0; i < h->nstubs; i++) {
			s = &h->stubs[i];
			if (s->pid == pid)
				die("the stub of guest root 0x%lx (pid %d) %s %d",
					 (unsigned long)s->cr3, pid,
					 WIFEXITED(status) ? "exited with status"
							   : "was killed by signal",
					 WIFEXITED(status) ? WEXITSTATUS(status)
							   : WTERMSIG(status));
		}
		die("stub %d ended (status 0x%x)", pid, status);
	}
	return status;
}

/* Did someone else send the signal @pid stopped with?  Then log it. */
static bool stub_signal_from_outside(pid_t pid, int sig)
{
	siginfo_t si;
	char who[48];

	if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0)
		die("PTRACE_GETSIGINFO(stub %d): %s", pid, strerror(errno));
	snprintf(who, sizeof(who), "stub %d", pid);
	return trap__from_outside(sig, &si, who);
}

/*
 * Run the queued batch in @pid: until its int3 comes back.  The data
 * page is writable by the guest's user code in every stub, so nothing in
 * it is trusted: the count is ours, every op was written by us just now,
 * and the user code of no stub runs until the batch is done.
 */
static void stub_batch_ptrace(struct host *h, pid_t pid)
{
	struct stub_data *d = h->stub_data;
	struct user_regs_struct r;
	unsigned int i;
	int status;

	memcpy(d->op, h->ops, h->nops * sizeof(d->op[0]));
	d->count = h->nops;
	regs_init(&r);
	r.rip = STUB_CODE_ADDR;
	if (ptrace(PTRACE_SETREGS, pid, 0, &r) < 0)
		die("PTRACE_SETREGS(stub %d): %s", pid, strerror(errno));
	for (;;) {
		if (ptrace(PTRACE_CONT, pid, 0, 0) < 0)
			die("PTRACE_CONT(stub %d): %s", pid, strerror(errno));
		status = stub_wait(h, pid);
		if (WSTOPSIG(status) != SIGTRAP || (status >> 16) ||
		    stub_signal_from_outside(pid, SIGTRAP))
			continue;	/* an interrupt, or a stray signal */
		if (ptrace(PTRACE_GETREGS, pid, 0, &r) < 0)
			die("PTRACE_GETREGS(stub %d): %s", pid, strerror(errno));
		if (r.rip == stub_trap_ip())
			break;
		die("stub %d trapped at 0x%llx running its batch", pid, r.rip);
	}
	for (i = 0; i < h->nops; i++)
		if (d->op[i].ret < 0 && d->op[i].ret > -4096)
			die("stub %d: system call %lu (0x%lx, 0x%lx, ...) failed: %s",
				 pid, (unsigned long)d->op[i].nr,
				 (unsigned long)d->op[i].arg[0],
				 (unsigned long)d->op[i].arg[1],
				 strerror((int)-d->op[i].ret));
	/* Leave nothing for the guest's user code to read there. */
	memset(d, 0, offsetof(struct stub_data, op) + h->nops * sizeof(d->op[0]));
}

/*
 * Run the queued batch (h->ops, ours: the copy in a shared page is only
 * what the stub reads) in @s.
 */
static void stub_batch(struct host *h, struct stub *s)
{
	char who[64];

	if (!h->nops)
		return;
	h->st.injections++;
	h->st.injected_ops += h->nops;
	if (!h->user_seccomp)
		stub_batch_ptrace(h, s->pid);
	else if (ss_batch(h, s, h->ops, h->nops) < 0 && !s->dead)
		die("%s does not run its batch", stub__who(s, who, sizeof(who)));
	h->nops = 0;
}

/*
 * The queued batch must run before @s runs user code again: now
 * (--user=ptrace), or as part of the reply that resumes it
 * (--user=seccomp, user_run_seccomp()).
 */
static void stub_batch_soon(struct host *h, struct stub *s)
{
	if (!h->user_seccomp)
		stub_batch(h, s);
}

static void stub_queue(struct host *h, struct stub *s, uint64_t nr, uint64_t a0,
		       uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		       uint64_t a5)
{
	if (h->nops && h->ops_stub != s)
		stub_batch(h, h->ops_stub);
	if (h->nops == h->max_ops)
		stub_batch(h, s);
	h->ops_stub = s;
	h->ops[h->nops++] = (struct stub_op){
		.nr = nr, .arg = { a0, a1, a2, a3, a4, a5 },
	};
}

void stub__queue(struct host *h, struct stub *s, uint64_t nr, uint64_t a0,
		 uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		 uint64_t a5)
{
	stub_queue(h, s, nr, a0, a1, a2, a3, a4, a5);
}

/* Wait until stub @pid stops at its int3, after its first batch. */
static void stub_wait_started(struct host *h, pid_t pid)
{
	for (;;) {
		struct user_regs_struct r;
		int status = stub_wait(h, pid);

		if (WSTOPSIG(status) == SIGTRAP && !(status >> 16) &&
		    ptrace(PTRACE_GETREGS, pid, 0, &r) == 0 &&
		    r.rip == stub_trap_ip())
			return;
		if (ptrace(PTRACE_CONT, pid, 0, 0) < 0)
			die("PTRACE_CONT(stub %d): %s", pid, strerror(errno));
	}
}

/* ---- The stubs ------------------------------------------------------ */

/*
 * Unmap everything but the stub's own pages from @s (NULL: queue only):
 * the whole window in --user=seccomp, its first two pages (code, data)
 * in --user=ptrace, whose stubs map nothing else there.
 */
static void stub_queue_unmap_all(struct host *h, struct stub *s)
{
	uint64_t end = STUB_CODE_ADDR + (h->user_seccomp ? STUB_SIZE : 0x2000);

	stub_queue(h, s, SYS_munmap, 0, STUB_CODE_ADDR, 0, 0, 0, 0);
	stub_queue(h, s, SYS_munmap, end, TASK_TOP - end, 0, 0, 0, 0);
}

/* --user=ptrace: the first batch is in the data page before the fork. */
static void stub_prepare_ptrace(struct host *h)
{
	memcpy(h->phys + h->mem_size, ptrace_stub_code,
	       (size_t)(ptrace_stub_code_end - ptrace_stub_code));
	h->max_ops = STUB_MAX_OPS;
	h->nops = 0;
	stub_queue_unmap_all(h, NULL);
	memcpy(h->stub_data->op, h->ops, h->nops * sizeof(h->ops[0]));
	h->stub_data->count = h->nops;
}

static void stub_started_ptrace(struct host *h)
{
	unsigned int i;

	for (i = 0; i < MAX_STUBS; i++)
		stub_wait_started(h, h->stubs[i].pid);
	if (h->stub_data->op[0].ret || h->stub_data->op[1].ret)
		die("a stub could not unmap the host");
	memset(h->stub_data, 0, sizeof(*h->stub_data));
	h->nops = 0;
}

/* --user=seccomp: each stub reports ready, then runs the first batch. */
static void stub_started_seccomp(struct host *h)
{
	unsigned int i;
	char who[64];
	int ret;

	for (i = 0; i < MAX_STUBS; i++) {
		struct stub *s = &h->stubs[i];

		ret = ss_start(h, s, i);
		if (ret < 0)
			die("%s did not start: %s", stub__who(s, who, sizeof(who)),
			    strerror(-ret));
		h->nops = 0;
		stub_queue_unmap_all(h, s);
		stub_batch(h, s);
	}
}

/*
 * Fork every stub (and seize it, --user=ptrace): setup only (see the top
 * of this file).  All are forked first and started together, so that
 * their setup (and, --user=ptrace, the first batch, which unmaps
 * everything but the stub pages and which they run on their own,
 * untraced when they start) overlaps.
 */
int stub__init(struct host *h)
{
	char go_bytes[MAX_STUBS];
	unsigned int i;
	int go[2], ret;

	host_pid = getpid();
	if (h->user_seccomp) {
		ret = ss_init(h);
		if (ret < 0)
			return ret;
	} else {
		stub_prepare_ptrace(h);
	}
	if (pipe2(go, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	uart__flush(&h->uart);
	for (i = 0; i < MAX_STUBS; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0)
			stub_child(h, go[0], i);
		if (!h->user_seccomp &&
		    ptrace(PTRACE_SEIZE, pid, 0,
			   PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0)
			die("PTRACE_SEIZE(stub %d): %s", pid, strerror(errno));
		h->stubs[i].pid = pid;
	}
	close(go[0]);
	memset(go_bytes, 'g', sizeof(go_bytes));
	if (write(go[1], go_bytes, sizeof(go_bytes)) != (ssize_t)sizeof(go_bytes))
		die("starting the stubs: %s", strerror(errno));
	close(go[1]);
	if (h->user_seccomp)
		stub_started_seccomp(h);
	else
		stub_started_ptrace(h);
	h->st.stubs_created += MAX_STUBS;
	return 0;
}

/* The guest's paging format, as the vCPU's CR4 and EFER say. */
static void stub_paging(const struct host *h, struct pt_paging *pg)
{
	pt_paging_of(pg, h->vcpu->cr4, h->vcpu->efer);
}

/* The root a CR3 value names (PAE: 32-byte aligned). */
static uint64_t stub_root(const struct host *h, uint64_t cr3)
{
	struct pt_paging pg;

	stub_paging(h, &pg);
	return pg.format == PT_FMT_PAE ? cr3 & 0xffffffe0 : cr3 & PT_ADDR;
}

static int stub_walk(struct host *h, const struct stub *s, uint64_t va,
		     struct pt_map *map)
{
	struct pt_paging pg;

	stub_paging(h, &pg);
	return pt_walk(&h->pt, &pg, s->cr3, va, map);
}

static struct stub *stub_find(struct host *h, uint64_t cr3)
{
	unsigned int i;

	cr3 = stub_root(h, cr3);
	for (i = 0; i < h->nstubs; i++)
		if (h->stubs[i].cr3 == cr3 && !h->stubs[i].dead)
			return &h->stubs[i];
	return NULL;
}

/* Unmap every user page of @s, for another address space. */
static void stub_empty(struct host *h, struct stub *s)
{
	stub_queue_unmap_all(h, s);
	stub_batch_soon(h, s);
	stub_pages_clear(&s->pages);
	s->stack_va = 1;
	s->fault_va = 1;
	h->st.stubs_reused++;
}

static struct stub *stub_get(struct host *h, uint64_t cr3)
{
	struct stub *s = stub_find(h, cr3);
	unsigned int i;

	if (!s) {
		if (h->nstubs < MAX_STUBS) {
			s = &h->stubs[h->nstubs++];
		} else {
			s = NULL;
			for (i = 0; i < h->nstubs; i++)
				if (!h->stubs[i].dead &&
				    (!s || h->stubs[i].last_used < s->last_used))
					s = &h->stubs[i];
			if (!s)
				die("every stub died: no guest user mode left");
			stub_empty(h, s);
		}
		s->cr3 = stub_root(h, cr3);
		s->validate = false;
		stub_pages_clear(&s->pages);
		s->stack_va = 1;
		s->fault_va = 1;
	}
	s->last_used = ++h->clock;
	return s;
}

static unsigned int prot_of(unsigned int flags)
{
	return PROT_READ | PROT_EXEC | (flags & PT_W ? PROT_WRITE : 0);
}

/* Does the guest still map @p as recorded (or more permissively)? */
static bool page_valid(struct host *h, struct stub *s,
		       const struct stub_page *p)
{
	struct pt_map map;

	if (stub_walk(h, s, p->va, &map) || !(map.flags & PT_U))
		return false;
	if ((map.pa & PT_ADDR) != p->pa)
		return false;
	return (prot_of(map.flags) & p->prot) == p->prot;
}

static int cmp_va(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Unmap the @n pages at @va[] (sorted here), a munmap per run. */
static void stub_unmap_pages(struct host *h, struct stub *s, uint64_t *va,
			     size_t n)
{
	size_t i, j;

	qsort(va, n, sizeof(*va), cmp_va);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && va[j] == va[j - 1] + PT_PAGE_4K; j++)
			;
		stub_queue(h, s, SYS_munmap, va[i], (j - i) * PT_PAGE_4K,
			   0, 0, 0, 0);
	}
}

/* Before the stub runs: drop what the guest no longer maps. */
static void stub_sync(struct host *h, struct stub *s)
{
	static uint64_t *gone;	/* kept: this runs at every switch */
	static size_t gone_cap;
	struct stub_pages *set = &s->pages;
	size_t i, n = 0;

	if (!s->validate)
		return;
	s->validate = false;
	s->stack_va = 1;
	h->st.syncs++;
	if (set->n > gone_cap) {
		free(gone);
		gone_cap = set->cap;
		gone = malloc(gone_cap * sizeof(*gone));
		if (!gone)
			die("out of memory");
	}
	for (i = set->n; i-- > 0;) {
		if (page_valid(h, s, &set->page[i]))
			continue;
		gone[n++] = set->page[i].va;
		stub_pages_remove(set, i);
	}
	stub_unmap_pages(h, s, gone, n);
	stub_batch_soon(h, s);
}

static bool stub_va_ok(uint64_t va)
{
	return va < TASK_TOP &&
	       !(va + PT_PAGE_4K > STUB_CODE_ADDR && va < STUB_CODE_ADDR + STUB_SIZE);
}

struct map_ctx {
	struct host *h;
	struct stub *s;
	uint64_t run_va, run_pa, run_len;
	unsigned int run_prot;
};

static void map_run_flush(struct map_ctx *c)
{
	if (!c->run_len)
		return;
	stub_queue(c->h, c->s, SYS_mmap, c->run_va, c->run_len, c->run_prot,
		   MAP_SHARED | MAP_FIXED, (uint64_t)c->h->memfd, c->run_pa);
	c->run_len = 0;
}

static int map_extent(void *ctx, const struct pt_extent *e)
{
	struct map_ctx *c = ctx;
	unsigned int prot = prot_of(e->flags);
	uint64_t off;

	if (!(e->flags & PT_U))
		return 0;
	for (off = 0; off < e->len; off += PT_PAGE_4K) {
		uint64_t va = e->va + off, pa = e->pa + off;
		struct stub_page *p = stub_pages_find(&c->s->pages, va);

		if (!stub_va_ok(va) || pa + PT_PAGE_4K > c->h->mem_size ||
		    (p && p->pa == pa && p->prot == prot)) {
			map_run_flush(c);
			continue;
		}
		if (!(c->run_len && c->run_va + c->run_len == va &&
		      c->run_pa + c->run_len == pa && c->run_prot == prot)) {
			map_run_flush(c);
			c->run_va = va;
			c->run_pa = pa;
			c->run_prot = prot;
		}
		c->run_len += PT_PAGE_4K;
		if (stub_pages_set(&c->s->pages, va, pa, prot))
			die("out of memory");
	}
	map_run_flush(c);
	return 0;
}

/*
 * A page fault of the stub at @addr: map what the guest maps there (and
 * around it) and return true to retry, or false with the #PF error code
 * the guest kernel must see.
 */
static bool stub_fault(struct host *h, struct stub *s, uint64_t addr,
		       uint32_t *err)
{
	uint64_t va = addr & ~(PT_PAGE_4K - 1), region = va & ~(REGION - 1);
	struct map_ctx c = { .h = h, .s = s };
	struct pt_paging pg;
	struct stub_page *p;
	struct pt_map map;

	*err = AFB_ACCESS_USER | (s->event_err & AFB_ACCESS_WRITE);
	if (!stub_va_ok(va) || stub_walk(h, s, va, &map))
		return false;
	*err |= AFB_PF_PRESENT;
	if (!(map.flags & PT_U) || map.pa >= h->mem_size)
		return false;
	p = stub_pages_find(&s->pages, va);
	if (p && p->pa == (map.pa & PT_ADDR) && p->prot == prot_of(map.flags)) {
		*err |= AFB_ACCESS_WRITE;	/* mapped as the guest says */
		return false;
	}
	stub_paging(h, &pg);
	if (pt_extents_of(&h->pt, &pg, s->cr3, region, region + REGION,
			  map_extent, &c))
		return false;
	stub_batch_soon(h, s);
	return true;
}

/* ---- Notifications from the core ---------------------------------------- */

void stub__cr3(struct host *h, uint64_t cr3)
{
	struct stub *s = stub_find(h, cr3);

	if (s)
		s->validate = true;
}

void stub__invlpg(struct host *h, uint64_t gva)
{
	struct stub *s = stub_find(h, h->vcpu->cr3);

	if (s && stub_pages_find(&s->pages, gva & ~(PT_PAGE_4K - 1)))
		s->validate = true;
}

void stub__flush(struct host *h, bool global)
{
	unsigned int i;

	for (i = 0; i < h->nstubs; i++)
		if (global || h->stubs[i].cr3 == stub_root(h, h->vcpu->cr3))
			h->stubs[i].validate = true;
}

/* From the SIGALRM handler, while a stub runs. */
void stub__interrupt(struct host *h)
{
	if (h->user_seccomp)
		ss_interrupt(h->cur_pid);
	else
		ptrace(PTRACE_INTERRUPT, h->cur_pid, 0, 0);
}

/* ---- Running user mode -------------------------------------------------- */

static void regs_from_frame(struct user_regs_struct *r,
			    const struct afb_frame *f, const struct afb_vcpu *v)
{
	regs_init(r);
	r->rax = f->gpr[AFB_RAX];
	r->rcx = f->gpr[AFB_RCX];
	r->rdx = f->gpr[AFB_RDX];
	r->rbx = f->gpr[AFB_RBX];
	r->rsp = f->gpr[AFB_RSP];
	r->rbp = f->gpr[AFB_RBP];
	r->rsi = f->gpr[AFB_RSI];
	r->rdi = f->gpr[AFB_RDI];
	r->r8 = f->gpr[AFB_R8];
	r->r9 = f->gpr[AFB_R9];
	r->r10 = f->gpr[AFB_R10];
	r->r11 = f->gpr[AFB_R11];
	r->r12 = f->gpr[AFB_R12];
	r->r13 = f->gpr[AFB_R13];
	r->r14 = f->gpr[AFB_R14];
	r->r15 = f->gpr[AFB_R15];
	r->rip = f->rip;
	r->eflags = (f->rflags & AFB_RFLAGS_REAL) | 0x202;
	r->orig_rax = (unsigned long long)-1;
	r->fs_base = v->fs_base;
	r->gs_base = v->gs_base;
}

static void frame_from_regs(struct afb_frame *f,
			    const struct user_regs_struct *r)
{
	f->gpr[AFB_RAX] = r->rax;
	f->gpr[AFB_RCX] = r->rcx;
	f->gpr[AFB_RDX] = r->rdx;
	f->gpr[AFB_RBX] = r->rbx;
	f->gpr[AFB_RSP] = r->rsp;
	f->gpr[AFB_RBP] = r->rbp;
	f->gpr[AFB_RSI] = r->rsi;
	f->gpr[AFB_RDI] = r->rdi;
	f->gpr[AFB_R8] = r->r8;
	f->gpr[AFB_R9] = r->r9;
	f->gpr[AFB_R10] = r->r10;
	f->gpr[AFB_R11] = r->r11;
	f->gpr[AFB_R12] = r->r12;
	f->gpr[AFB_R13] = r->r13;
	f->gpr[AFB_R14] = r->r14;
	f->gpr[AFB_R15] = r->r15;
	f->rip = r->rip;
	f->next_rip = 0;
	f->rflags = r->eflags;
}

/* Decode the sensitive instruction at user @rip; false if it is none. */
static bool user_decode(struct host *h, struct stub *s, uint64_t rip,
			struct afb_insn *insn)
{
	struct afb_vcpu *v = h->vcpu;
	unsigned int mode = stub32__mode(h) ? 32 : 64;
	uint8_t bytes[15];
	size_t n = 0;

	(void)s;	/* user mode runs the vCPU's root: the stub's */
	if (mode == 32 && rip >= 0x100000000ULL)
		return false;
	while (n < sizeof(bytes) &&
	       !v->ops->mem_read(v, rip + n, bytes + n, 1, AFB_ACCESS_USER))
		n++;
	return n && afb_decode(bytes, n, mode, insn) > 0;
}

/*
 * Under --user=ptrace no #PF error code reaches us: is the instruction at
 * @rip, which faulted at @addr, a plain store to memory (mov to r/m,
 * stos, a push or call)?  Its one memory operand, then, is what it
 * wrote.  Anything else counts as a read: a read fault on a page the
 * guest would have let it write costs a second fault, never a wrong
 * result (a write fault on a read-only one would be a SIGSEGV).
 */
static bool user_insn_stores(struct host *h, uint64_t rip, uint64_t addr)
{
	struct afb_vcpu *v = h->vcpu;
	bool longmode = !stub32__mode(h);
	uint8_t b[15];
	size_t n = 0, i = 0;

	while (n < sizeof(b) &&
	       !v->ops->mem_read(v, rip + n, b + n, 1, AFB_ACCESS_USER))
		n++;
	if ((addr ^ rip) < PT_PAGE_4K || ((addr ^ (rip + n)) < PT_PAGE_4K))
		return false;	/* perhaps the fetch */
	while (i < n && (b[i] == 0x26 || b[i] == 0x2e || b[i] == 0x36 ||
			 b[i] == 0x3e || b[i] == 0x64 || b[i] == 0x65 ||
			 b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf2 ||
			 b[i] == 0xf3 || (longmode && (b[i] & 0xf0) == 0x40)))
		i++;
	if (i >= n)
		return false;
	switch (b[i]) {
	case 0x88: case 0x89:			/* mov r, r/m */
		return i + 1 < n && b[i + 1] >> 6 != 3;
	case 0xc6: case 0xc7:			/* mov $imm, r/m */
		return i + 1 < n && b[i + 1] >> 6 != 3 &&
		       !(b[i + 1] >> 3 & 7);
	case 0xaa: case 0xab:			/* stos */
	case 0x50: case 0x51: case 0x52: case 0x53:	/* push */
	case 0x54: case 0x55: case 0x56: case 0x57:
	case 0x68: case 0x6a: case 0xe8:	/* push $imm, call */
		return true;
	}
	return false;
}

/* Emulate the instruction at frame->rip as the user's CPU would run it. */
static int user_emulate(struct afb_vcpu *v, struct afb_frame *f,
			const struct afb_insn *insn)
{
	int ret;

	f->next_rip = 0;
	ret = afb_vcpu_emulate(v, f, insn);
	if (ret == AFB_VCPU_EXCEPTION)
		ret = afb_vcpu_exception(v, f, v->exc.vector, v->exc.error_code);
	return ret;
}

/* A PTRACE_SYSEMU stop: the user's syscall (or int $0x80) instruction. */
static int user_syscall(struct host *h, struct stub *s, struct afb_frame *f,
			const struct user_regs_struct *r)
{
	struct afb_vcpu *v = h->vcpu;
	struct afb_insn insn;
	uint8_t b[2] = { 0, 0 };

	h->st.syscalls++;
	f->gpr[AFB_RAX] = r->orig_rax;
	f->rip = r->rip - 2;
	f->next_rip = r->rip;
	/* The stub's own pages are no guest page: on the guest's CPU,
	   running there is an instruction fetch #PF. */
	if (!stub_va_ok(f->rip)) {
		f->next_rip = 0;
		v->cr2 = f->rip;
		return afb_vcpu_exception(v, f, AFB_EXC_PF, AFB_ACCESS_USER | 0x10);
	}
	memory__read(h, s->cr3, f->rip, b, 2, AFB_ACCESS_USER);
	if (r->cs == USER_CS && b[0] == 0x0f && b[1] == 0x05)
		return afb_vcpu_syscall(v, f);
	/* int $n (0x80 is a system call gate to Linux, not to the guest),
	   or a syscall from a code segment the guest never gave it. */
	if (user_decode(h, s, f->rip, &insn) && insn.kind == AFB_KIND_INT)
		return user_emulate(v, f, &insn);
	f->next_rip = 0;
	return afb_vcpu_exception(v, f, AFB_EXC_UD, 0);
}

const char *stub__who(const struct stub *s, char *buf, size_t len)
{
	snprintf(buf, len, "the stub of guest root 0x%lx (pid %d)",
		 (unsigned long)s->cr3, s->pid);
	return buf;
}

/*
 * A signal stopped the stub.  Returns 1 to retry the user code, or the
 * result of delivering an exception to the guest kernel (0 and cpl 0).
 */
int stub__user_signal(struct host *h, struct stub *s, struct afb_frame *f,
		      int sig, const siginfo_t *sip)
{
	struct afb_vcpu *v = h->vcpu;
	struct afb_insn insn;
	uint32_t err = 0;
	char who[64];
	uint8_t vec;
	siginfo_t si = *sip;

	if (trap__from_outside(sig, &si, stub__who(s, who, sizeof(who))))
		return 1;	/* sent by someone (kill, tty): not the guest's */
	switch (sig) {
	case SIGSEGV:
		if (si.si_code == SEGV_MAPERR || si.si_code == SEGV_ACCERR) {
			if (stub_fault(h, s, (uint64_t)si.si_addr, &err)) {
				h->st.user_pagefaults++;
				return 1;
			}
			v->cr2 = (uint64_t)si.si_addr;
			if (!h->user_seccomp && !(err & AFB_PF_PRESENT) &&
			    user_insn_stores(h, f->rip, v->cr2))
				err |= AFB_ACCESS_WRITE;
			s->fault_va = v->cr2 & ~(PT_PAGE_4K - 1);
			vec = AFB_EXC_PF;
			break;
		}
		/* #GP: a privileged instruction, or a non-canonical address */
		if (user_decode(h, s, f->rip, &insn))
			return user_emulate(v, f, &insn);
		vec = AFB_EXC_GP;
		break;
	case SIGILL:
		if (user_decode(h, s, f->rip, &insn))
			return user_emulate(v, f, &insn);
		vec = AFB_EXC_UD;
		break;
	case SIGTRAP:
		/* int3 (cc) and int $3 (cd 03) report the address after them */
		if (user_decode(h, s, f->rip - 1, &insn) &&
		    insn.kind == AFB_KIND_INT3) {
			f->rip--;
			return user_emulate(v, f, &insn);
		}
		if (si.si_code == SI_KERNEL &&
		    user_decode(h, s, f->rip - 2, &insn) &&
		    insn.kind == AFB_KIND_INT && insn.imm == 3) {
			f->rip -= 2;
			return user_emulate(v, f, &insn);
		}
		vec = AFB_EXC_DB;
		break;
	case SIGFPE:
		vec = si.si_code == FPE_INTDIV || si.si_code == FPE_INTOVF ?
		      AFB_EXC_DE : 16;
		break;
	case SIGBUS:
		vec = si.si_code == BUS_ADRALN ? 17 : AFB_EXC_GP;
		break;
	case SIGSYS:
		/* The seccomp filter: a host system call that PTRACE_SYSEMU
		   did not see (the vsyscall page).  On the guest's CPU that
		   page is not mapped: an instruction fetch #PF there. */
		v->cr2 = (uint64_t)si.si_call_addr;
		err = AFB_ACCESS_USER | 0x10;
		vec = AFB_EXC_PF;
		break;
	default:
		return 1;
	}
	h->st.user_faults++;
	if (h->verbose)
		fprintf(stderr, "afterburn-ptrace: user exception %u (err 0x%x) at "
			"rip 0x%lx, signal %d code %d addr %p\n", vec, err,
			(unsigned long)f->rip, sig, si.si_code, si.si_addr);
	return afb_vcpu_exception(v, f, vec, err);
}

/* A stop of @s under PTRACE_SYSEMU, as an event: 1 to retry. */
static int user_stop_ptrace(struct host *h, struct stub *s,
			    struct afb_frame *f, int status)
{
	struct user_regs_struct r;
	siginfo_t si;

	if (ptrace(PTRACE_GETREGS, s->pid, 0, &r) < 0)
		die("PTRACE_GETREGS(stub %d): %s", s->pid, strerror(errno));
	s->event_err = 0;	/* ptrace does not report it */
	if (stub32__mode(h)) {
		bool sys = WSTOPSIG(status) == (SIGTRAP | 0x80);

		memset(&si, 0, sizeof(si));
		if (!sys && !(status >> 16) &&
		    ptrace(PTRACE_GETSIGINFO, s->pid, 0, &si) < 0)
			die("PTRACE_GETSIGINFO(stub %d): %s", s->pid, strerror(errno));
		return stub32__event(h, s, f, &r, sys,
				     sys || (status >> 16) ? 0 : WSTOPSIG(status),
				     &si);
	}
	frame_from_regs(f, &r);
	if (WSTOPSIG(status) == (SIGTRAP | 0x80))
		return user_syscall(h, s, f, &r);
	if (status >> 16)
		return 1;	/* PTRACE_EVENT_STOP: the timer */
	if (ptrace(PTRACE_GETSIGINFO, s->pid, 0, &si) < 0)
		die("PTRACE_GETSIGINFO(stub %d): %s", s->pid, strerror(errno));
	return stub__user_signal(h, s, f, WSTOPSIG(status), &si);
}

static int user_run_ptrace(struct host *h, struct stub *s, struct afb_frame *f)
{
	struct user_regs_struct r;
	int status;

	if (stub32__mode(h))
		stub32__regs(h, s, &r, f);
	else
		regs_from_frame(&r, f, h->vcpu);
	if (ptrace(PTRACE_SETREGS, s->pid, 0, &r) < 0 ||
	    ptrace(PTRACE_SYSEMU, s->pid, 0, 0) < 0)
		die("running stub %d: %s", s->pid, strerror(errno));
	status = stub_wait(h, s->pid);
	h->state = RUN_HOST;
	return user_stop_ptrace(h, s, f, status);
}

/* gregs order (<sys/ucontext.h>) <-> struct afb_frame */
static const uint8_t greg_of[16] = {
	[AFB_RAX] = REG_RAX, [AFB_RCX] = REG_RCX, [AFB_RDX] = REG_RDX,
	[AFB_RBX] = REG_RBX, [AFB_RSP] = REG_RSP, [AFB_RBP] = REG_RBP,
	[AFB_RSI] = REG_RSI, [AFB_RDI] = REG_RDI, [AFB_R8] = REG_R8,
	[AFB_R9] = REG_R9, [AFB_R10] = REG_R10, [AFB_R11] = REG_R11,
	[AFB_R12] = REG_R12, [AFB_R13] = REG_R13, [AFB_R14] = REG_R14,
	[AFB_R15] = REG_R15,
};

/*
 * An event of a --user=seccomp stub, as the ptrace stop it stands for.
 * Every value came from the guest's page: only registers and facts
 * that user code could make true anyway, checked as in ptrace mode.
 */
static int user_event_seccomp(struct host *h, struct stub *s,
			      struct afb_frame *f, const struct sc_event *ev)
{
	struct user_regs_struct r;
	siginfo_t si;

	regs_init(&r);
	r.rax = ev->gregs[REG_RAX];
	r.rcx = ev->gregs[REG_RCX];
	r.rdx = ev->gregs[REG_RDX];
	r.rbx = ev->gregs[REG_RBX];
	r.rsp = ev->gregs[REG_RSP];
	r.rbp = ev->gregs[REG_RBP];
	r.rsi = ev->gregs[REG_RSI];
	r.rdi = ev->gregs[REG_RDI];
	r.r8 = ev->gregs[REG_R8];
	r.r9 = ev->gregs[REG_R9];
	r.r10 = ev->gregs[REG_R10];
	r.r11 = ev->gregs[REG_R11];
	r.r12 = ev->gregs[REG_R12];
	r.r13 = ev->gregs[REG_R13];
	r.r14 = ev->gregs[REG_R14];
	r.r15 = ev->gregs[REG_R15];
	r.rip = ev->gregs[REG_RIP];
	r.eflags = ev->gregs[REG_EFL];
	r.orig_rax = ev->gregs[REG_RAX];
	r.cs = ev->gregs[REG_CSGSFS] & 0xffff;
	r.es = ev->segs[0];
	r.ds = ev->segs[1];
	r.fs = ev->segs[2];
	r.gs = ev->segs[3];
	memset(&si, 0, sizeof(si));
	si.si_signo = ev->sig;
	si.si_code = ev->code;
	si.si_addr = (void *)(uintptr_t)ev->addr;	/* si_pid for SI_USER */
	s->event_err = ev->sig == SIGSEGV ? (uint32_t)ev->gregs[REG_ERR] : 0;
	if (ev->sig == SIGSYS && ev->code == SYS_SECCOMP && ev->addr < TASK_TOP) {
		if (stub32__mode(h))
			return stub32__event(h, s, f, &r, true, 0, &si);
		frame_from_regs(f, &r);
		return user_syscall(h, s, f, &r);
	}
	if (ev->sig == SC_PREEMPT_SIG && ev->code == SI_USER &&
	    ev->pid == host_pid) {
		if (stub32__mode(h))	/* the tick */
			return stub32__event(h, s, f, &r, false, 0, &si);
		frame_from_regs(f, &r);
		return 1;
	}
	if (stub32__mode(h))
		return stub32__event(h, s, f, &r, false, ev->sig, &si);
	frame_from_regs(f, &r);
	return stub__user_signal(h, s, f, ev->sig, &si);
}

/*
 * The stub of this process died (user code can make it): what it ran
 * last is lost, so the process takes a #GP where it was last resumed, and
 * the guest kernel deals with it as with any fault.
 */
static int user_stub_died(struct host *h, struct afb_frame *f)
{
	h->state = RUN_HOST;
	h->st.user_faults++;
	f->next_rip = 0;
	return afb_vcpu_exception(h->vcpu, f, AFB_EXC_GP, 0);
}

static int user_run_seccomp(struct host *h, struct stub *s, struct afb_frame *f)
{
	uint64_t reply[SC_NREPLY];
	struct sc_event ev;
	unsigned int i, n = 0;

	if (s->dead)
		return user_stub_died(h, f);
	for (i = 0; i < 16; i++)
		reply[greg_of[i]] = f->gpr[i];
	reply[REG_RIP] = f->rip;
	/* TF is not the guest's here: it would trap in the stub's code */
	reply[REG_EFL] = (f->rflags & AFB_RFLAGS_REAL & ~AFB_RFLAGS_TF) | 0x202;
	if (stub32__mode(h)) {
		struct user_regs_struct r;

		stub32__regs(h, s, &r, f);
		for (i = 0; i < 16; i++)
			reply[greg_of[i]] = i < 8 ? (uint32_t)f->gpr[i] : 0;
		reply[REG_RIP] = r.rip;
	}
	if (h->nops && h->ops_stub == s) {
		h->st.injections++;
		h->st.injected_ops += h->nops;
		n = h->nops;
		h->nops = 0;
	}
	if (ss_run(h, s, reply, h->ops, n, &ev) < 0)
		return user_stub_died(h, f);
	h->state = RUN_HOST;
	return user_event_seccomp(h, s, f, &ev);
}

/*
 * A 32-bit guest: realise its segments in @s (stub32.c) before user code
 * runs.  A code segment that is not 32-bit code, or a segment no LDT
 * entry can mirror, is #GP(0) instead (returns true: delivered).
 */
static bool user_segments32(struct host *h, struct stub *s, struct afb_frame *f)
{
	struct afb_vcpu *v = h->vcpu;
	uint16_t sel[STUB_LDT_SLOTS];

	uint64_t stack = (uint32_t)f->gpr[AFB_RSP] & ~(PT_PAGE_4K - 1);
	uint32_t err;

	if ((v->hidden[AFB_CS].attr & AFB_SEG_DB) &&
	    stub32__segments(h, s, sel) == 0) {
		s->resume_rip = (uint32_t)f->rip;
		/* Linux's fast 32-bit system call (sysenter) reads the user
		   stack before it reports the call: have it mapped */
		if (stack != s->stack_va) {
			if (!stub_pages_find(&s->pages, stack))
				stub_fault(h, s, stack, &err);
			s->stack_va = stack;
		}
		stub_batch_soon(h, s);
		return false;
	}
	h->st.user_faults++;
	f->next_rip = 0;
	run__check(afb_vcpu_exception(v, f, AFB_EXC_GP, 0),
		   "entering the guest kernel from user mode");
	return true;
}

void stub__run_user(struct host *h, struct afb_frame *f)
{
	struct afb_vcpu *v = h->vcpu;
	struct stub *s = stub_get(h, v->cr3);
	int ret;

	stub_sync(h, s);
	/* The page of the #PF the guest just handled: map it now, not
	   at the fault the stub would take on it */
	if (s->fault_va != 1) {
		uint32_t err;

		if (!stub_pages_find(&s->pages, s->fault_va))
			stub_fault(h, s, s->fault_va, &err);
		s->fault_va = 1;
	}
	h->st.user_runs++;
	while (v->cpl == 3) {
		h->cur_pid = s->pid;
		h->state = RUN_USER;
		ret = afb_vcpu_deliver_pending(v, f);
		if (ret) {
			h->state = RUN_HOST;
			run__check(ret == 1 ? 0 : ret, "interrupting user mode");
			h->st.user_irqs += ret == 1;
			continue;
		}
		if (stub32__mode(h) && user_segments32(h, s, f)) {
			h->state = RUN_HOST;
			continue;
		}
		if (h->user_seccomp)
			ret = user_run_seccomp(h, s, f);
		else
			ret = user_run_ptrace(h, s, f);
		if (ret != 1)
			run__check(ret, "entering the guest kernel from user mode");
	}
}
