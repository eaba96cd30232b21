// Processes: creation (spawn, fork), exit and wait, the scheduler, and
// sleep/wakeup.
//
// One CPU and a non-preemptive kernel: the process table is protected by
// turning interrupts off (intr_save), which also keeps the timer handler's
// wakeup() out. The scheduler runs on the boot stack in its own context;
// processes enter it through sched() and leave it through swtch().

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "proc.h"
#include "x86.h"

static struct proc ptable[NPROC];
static char kstacks[NPROC][KSTACKSIZE] __attribute__((aligned(16)));
static int nextpid = 1;
static struct proc *initproc;

extern char trapret[];           // trapasm.S

// Claim an unused slot and lay out its kernel stack so that the first
// swtch() to it "returns" into trapret, which iretqs to the user state
// in p->tf. Returns an EMBRYO with pid and stack set, or NULL.
static struct proc *allocproc(void)
{
	uintptr f = intr_save();
	struct proc *p = NULL;
	for (int i = 0; i < NPROC && !p; i++)
		if (ptable[i].state == UNUSED)
			p = &ptable[i];
	if (p) {
		p->state = EMBRYO;
		p->pid = nextpid++;
	}
	intr_restore(f);
	if (!p)
		return NULL;

	p->kstack = kstacks[p - ptable];
	char *sp = p->kstack + KSTACKSIZE;
	sp -= sizeof(*p->tf);
	p->tf = (struct trapframe *)sp;
	memset(p->tf, 0, sizeof(*p->tf));
	sp -= sizeof(*p->context);
	p->context = (struct context *)sp;
	memset(p->context, 0, sizeof(*p->context));
	CTX_PC(p->context) = (uintptr)trapret;
	return p;
}

// Give an EMBRYO back (creation failed half way).
static void freeproc(struct proc *p)
{
	if (p->pgdir)
		uvm_free(p->pgdir);
	p->pgdir = NULL;
	p->parent = NULL;
	p->name[0] = '\0';
	p->state = UNUSED;
}

static void dupfiles(struct proc *np, struct proc *p)
{
	for (int fd = 0; fd < NOFILE; fd++)
		np->ofile[fd] = p->ofile[fd] ? filedup(p->ofile[fd]) : NULL;
}

// Start a new process running built-in program `name` with argument arg
// (its main's first parameter). It inherits the caller's open files;
// with no caller (the first process) it gets the console as fds 0-2.
// Returns the pid or -1.
int spawn(const char *name, long arg)
{
	struct proc *p = allocproc(), *parent = myproc();
	if (!p)
		return -1;
	p->pgdir = uvm_create();
	if (!p->pgdir || exec_load(p, name) < 0) {
		freeproc(p);
		return -1;
	}
	TF_ENTRYARG(p->tf) = arg;
	safestrcpy(p->name, name, sizeof(p->name));
	if (parent) {
		dupfiles(p, parent);
	} else {
		for (int fd = 0; fd < 3; fd++)
			p->ofile[fd] = console_open();
		initproc = p;
	}
	p->parent = parent;
	int pid = p->pid;
	uintptr f = intr_save();
	p->state = RUNNABLE;
	intr_restore(f);
	return pid;
}

// Copy the calling process. The child returns 0 from the same syscall.
int fork(void)
{
	struct proc *p = myproc(), *np = allocproc();
	if (!np)
		return -1;
	np->pgdir = uvm_create();
	if (!np->pgdir || uvm_copy(p->pgdir, np->pgdir) < 0) {
		freeproc(np);
		return -1;
	}
	np->brk = p->brk;
	np->heapbase = p->heapbase;
	*np->tf = *p->tf;
	TF_RET(np->tf) = 0;
	dupfiles(np, p);
	safestrcpy(np->name, p->name, sizeof(np->name));
	np->parent = p;
	int pid = np->pid;
	uintptr f = intr_save();
	np->state = RUNNABLE;
	intr_restore(f);
	return pid;
}

// Wake the processes sleeping on chan. Interrupts must be off.
static void wakeup1(void *chan)
{
	for (struct proc *p = ptable; p < &ptable[NPROC]; p++)
		if (p->state == SLEEPING && p->chan == chan)
			p->state = RUNNABLE;
}

void wakeup(void *chan)
{
	uintptr f = intr_save();
	wakeup1(chan);
	intr_restore(f);
}

// End the calling process. Its memory is freed by the parent's wait()
// (exit still runs on it). The first process has no one to wait for it:
// its exit powers the machine off with its status.
void exit(int status)
{
	struct proc *p = myproc();
	if (p == initproc) {
		kprintf("kernel: init exited with status %d\n", status);
		machine_poweroff(status);
	}
	for (int fd = 0; fd < NOFILE; fd++) {
		if (p->ofile[fd])
			fileclose(p->ofile[fd]);
		p->ofile[fd] = NULL;
	}
	cli();                   // never restored: sched() does not come back
	for (struct proc *c = ptable; c < &ptable[NPROC]; c++) {
		if (c->parent != p)
			continue;
		c->parent = initproc;
		if (c->state == ZOMBIE)
			wakeup1(initproc);
	}
	p->xstatus = status;
	p->state = ZOMBIE;
	wakeup1(p->parent);
	sched();
	panic("zombie exit");
}

// Wait for a child to exit; store its status at user address ustatus
// (if not 0) and return its pid, or -1 if the caller has no children.
int wait(uintptr ustatus)
{
	struct proc *p = myproc();
	uintptr f = intr_save();
	for (;;) {
		int havekids = 0;
		for (struct proc *c = ptable; c < &ptable[NPROC]; c++) {
			if (c->parent != p)
				continue;
			havekids = 1;
			if (c->state != ZOMBIE)
				continue;
			// Only we reap c, so it can be freed with interrupts on.
			intr_restore(f);
			int pid = c->pid, status = c->xstatus;
			freeproc(c);
			if (ustatus && copyout(p->pgdir, ustatus, &status, sizeof(status)) < 0)
				return -1;
			return pid;
		}
		if (!havekids) {
			intr_restore(f);
			return -1;
		}
		sleep(p);
	}
}

// Switch to the scheduler. Interrupts must be off and the caller must
// already have left the RUNNING state.
void sched(void)
{
	struct proc *p = myproc();
	if (read_flags() & FL_IF)
		panic("sched: interruptible");
	if (p->state == RUNNING)
		panic("sched: running");
	swtch(&p->context, cpu.scheduler);
}

void yield(void)
{
	uintptr f = intr_save();
	myproc()->state = RUNNABLE;
	sched();
	intr_restore(f);
}

// Sleep on chan until a wakeup(chan). The caller disables interrupts
// before testing its condition, so no wakeup falls in between.
void sleep(void *chan)
{
	struct proc *p = myproc();
	uintptr f = intr_save();
	p->chan = chan;
	p->state = SLEEPING;
	sched();
	p->chan = NULL;
	intr_restore(f);
}

// The next RUNNABLE process after the one that ran last, or NULL.
static struct proc *pick(void)
{
	static int last = NPROC - 1;
	for (int i = 1; i <= NPROC; i++) {
		int k = (last + i) % NPROC;
		if (ptable[k].state == RUNNABLE) {
			last = k;
			return &ptable[k];
		}
	}
	return NULL;
}

// The scheduler loop, on the boot stack: run each runnable process in
// turn until it gives the CPU back; halt when there is none.
void scheduler(void)
{
	for (;;) {
		cli();
		struct proc *p = pick();
		if (!p) {
			sti_hlt();       // an interrupt may make someone runnable
			continue;
		}
		switchuvm(p);
		p->state = RUNNING;
		cpu.proc = p;
		swtch(&cpu.scheduler, p->context);
		cpu.proc = NULL;
	}
}
