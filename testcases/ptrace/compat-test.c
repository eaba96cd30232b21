// SPDX-License-Identifier: MIT
/*
 * The i386 mechanism of afterburn-ptrace (wedge/ptrace/compat*.c, ldt.c,
 * compat-entry.S), exercised with the 32-bit blobs of compat-test-code.S:
 *
 *  1. the low 4 GiB reserved (and refused, naming the intruder, when
 *     something of the host is there already), guest pages mapped into it
 *     and given back;
 *  2. 32-bit code entered with a register frame: it runs in compatibility
 *     mode (CS 0x23) with every register as given;
 *  3. left through an exit thunk: registers, flags and the thunk's index
 *     reach C, which resumes 32-bit code or returns; the host's FS base
 *     is back before C (eager mode), or left to compat_host_fs() (lazy);
 *  4. %fs:/%gs: of 32-bit code reach the bases (and stop at the limits)
 *     of LDT entries that mirror guest descriptors, through the cache;
 *  5. SIGSEGV (a page mapped by the handler), SIGSEGV (#GP at a segment
 *     limit), SIGILL (ud2), SIGALRM (spinning code) from 32-bit code: the
 *     handler sees CS 0x23, gets a 32-bit frame, runs with the host's FS
 *     base, and resumes 32-bit code with changed registers and %gs, or
 *     returns to host code (CS 0x33) that resumes it.
 *
 * compat-test --probe: exit 0 if this host kernel runs 32-bit code with
 * LDT segments, 3 (and why) if not; compat.sh then runs the test in
 * scripts/kvm-vm's VM.
 *
 * Exit status: 0 pass, 1 fail.
 */
#include <asm/ldt.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "compat-test.h"

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: ", __func__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

#define EAX(r)	((uint32_t)(r).frame.gpr[AFB_RAX])
#define ECX(r)	((uint32_t)(r).frame.gpr[AFB_RCX])
#define EDX(r)	((uint32_t)(r).frame.gpr[AFB_RDX])
#define EBX(r)	((uint32_t)(r).frame.gpr[AFB_RBX])
#define ESP(r)	((uint32_t)(r).frame.gpr[AFB_RSP])
#define EBP(r)	((uint32_t)(r).frame.gpr[AFB_RBP])
#define ESI(r)	((uint32_t)(r).frame.gpr[AFB_RSI])
#define EDI(r)	((uint32_t)(r).frame.gpr[AFB_RDI])

static struct harness H;
static uint8_t altstack[1 << 16] __attribute__((aligned(16)));
static bool tcg;	/* under QEMU's TCG (cpuid's hypervisor vendor) */
static struct compat_ldt ldt;
static uint16_t fs_sel, gs_sel, gs2_sel;

/* A guest data descriptor: present, DPL 0, 32-bit, @type (0x2: RW). */
static uint64_t data_desc(uint32_t base, uint32_t limit, bool pages,
			  unsigned int type)
{
	return (limit & 0xffffULL) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)type << 40) | (1ULL << 44) | (1ULL << 47) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) | (1ULL << 54) |
	       (pages ? 1ULL << 55 : 0) | ((uint64_t)(base >> 24) << 56);
}

/* A 32-bit load from the guest's address @va, not through ASan (whose
   shadow of low memory lies inside the guest's 4 GiB). */
static uint32_t guest_load(uint64_t va)
{
	uint32_t v;

	__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(va) : "memory");
	return v;
}

/* %fs:0: glibc's thread pointer with the host's FS base (the compiler
   may move __builtin_thread_pointer() across calls: it is not volatile). */
static uint64_t fs0(void)
{
	uint64_t v;

	__asm__ volatile("movq %%fs:0, %0" : "=r"(v) : : "memory");
	return v;
}

/* The permissions of the mapping that holds @va, or "" if none. */
static const char *maps_prot(uint64_t va)
{
	static char prot[8];
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	prot[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char p[8];

		if (sscanf(line, "%lx-%lx %7s", &s, &e, p) == 3 && va >= s &&
		    va < e) {
			strcpy(prot, p);
			break;
		}
	}
	if (f)
		fclose(f);
	return prot;
}

/* ---- Exits -------------------------------------------------------------- */

static uint8_t *tramp_stack_top;	/* test_trampoline's stack */
static struct compat_regs last;
static int exits_seen;
static uint64_t tp_at_exit, tp_after_host_fs;
static uint32_t unaligned;
static uint8_t df_buf[3 * 4096];
static bool df_ok;

/* Record the frame and leave; exit 1 resumes blob_chain up to eax 10. */
static int exit_record(struct compat_regs *r)
{
	static uint8_t bytes[16] __attribute__((aligned(8)));

	tp_at_exit = fs0();
	exits_seen++;
	/* An unaligned load: #AC (SIGBUS) if the guest's AC were left set
	   (on a CPU: QEMU's TCG checks no alignment); a memset long enough
	   for 'rep stosb', which runs backwards if DF were left set. */
	__asm__ volatile("movl (%1), %0" : "=r"(unaligned) : "r"(bytes + 1));
	memset(df_buf, 0, sizeof(df_buf));
	memset(df_buf + 4096, 0x5a, 4096);
	df_ok = df_buf[4095] == 0 && df_buf[8191] == 0x5a;
	if (r->index == 1 && (uint32_t)r->frame.gpr[AFB_RAX] < 10) {
		r->frame.rip = blob_addr(blob_chain);
		return COMPAT_RESUME;
	}
	compat_host_fs();
	tp_after_host_fs = fs0();
	last = *r;
	return 1;
}

static int run(const uint8_t *blob, struct compat_regs *r)
{
	/* While 32-bit code runs, this thread's stack below compat_enter's
	   frame is free: the trampoline runs there (ASan knows this stack). */
	tramp_stack_top = (uint8_t *)__builtin_frame_address(0) - 8192;
	exits_seen = 0;
	memset(&last, 0, sizeof(last));
	r->frame.rip = blob_addr(blob);
	return compat_enter(r);
}

/* ---- Signals ------------------------------------------------------------ */

static struct {
	int count, missed;
	int sig, code;
	uint64_t addr;
	bool cs32;
	uint16_t ss;
	uint32_t fs_at_entry;
	uint64_t tp;
	struct compat_regs r;
	bool ud2_bytes;
} seen;

/* The signal handler sends SIGILL here (compat_uc_to_host) for test_trampoline. */
static bool redirect;
static struct compat_regs tramp_regs;
static uint64_t tramp_tp;
static uint16_t tramp_cs;

__attribute__((noreturn)) static void trampoline(void *arg)
{
	struct compat_regs *r = arg;

	tramp_tp = fs0();
	__asm__ volatile("movw %%cs, %0" : "=r"(tramp_cs));
	r->frame.rip += 2;
	r->frame.gpr[AFB_RAX] = 0x7a;
	r->gs = gs2_sel;
	compat_resume(r);
}

static void stop_timer(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint64_t csgsfs = (uint64_t)uc->uc_mcontext.gregs[REG_CSGSFS];
	uint64_t tp = fs0();
	struct compat_regs r;
	const uint8_t *code;

	compat_host_fs();	/* lazy mode: before any libc; eager: no-op */
	if (!compat_uc_is32(uc)) {
		if (sig == SIGALRM) {	/* a tick outside 32-bit code: wait */
			seen.missed++;
			return;
		}
		fprintf(stderr, "compat-test: signal %d at rip 0x%llx in 64-bit "
			"code\n", sig, (unsigned long long)uc->uc_mcontext.gregs[REG_RIP]);
		_exit(1);
	}
	seen.count++;
	seen.sig = sig;
	seen.code = si->si_code;
	seen.addr = (uint64_t)(uintptr_t)si->si_addr;
	seen.cs32 = true;
	seen.ss = (uint16_t)(csgsfs >> 48);
	seen.fs_at_entry = compat_sig_fs;
	seen.tp = tp;
	compat_regs_from_uc(&r, uc);
	seen.r = r;
	switch (sig) {
	case SIGSEGV:
		if (r.frame.rip == blob_addr(blob_limit)) {	/* skip the load */
			r.frame.gpr[AFB_RAX] = 0xbad;
			r.frame.rip += 6;
			compat_regs_to_uc(&r, uc);
		} else if (harness_map(&H, seen.addr & ~0xfffULL,
				       PROT_READ | PROT_WRITE)) {
			fprintf(stderr, "compat-test: SIGSEGV (code %d) at eip "
				"0x%lx, address 0x%lx: not a test page\n",
				si->si_code, (unsigned long)r.frame.rip,
				(unsigned long)seen.addr);
			_exit(1);
		}
		break;
	case SIGILL:
		if (redirect) {		/* continue in host code, not here */
			tramp_regs = r;
			compat_uc_to_host(uc, trampoline, &tramp_regs,
					  tramp_stack_top);
			break;
		}
		code = harness_page(&H, r.frame.rip);
		seen.ud2_bytes = code && code[0] == 0x0f && code[1] == 0x0b;
		r.frame.rip += 2;
		if (r.frame.rip == blob_addr(blob_ud2) + 2) {
			r.frame.gpr[AFB_RAX] = 0xdd;
			r.frame.gpr[AFB_RBX] = 0xbb;
			r.gs = gs2_sel;
		}
		compat_regs_to_uc(&r, uc);
		break;
	case SIGALRM:
		stop_timer();
		r.frame.gpr[AFB_RCX] = 0;
		r.frame.gpr[AFB_RSI] = 0x7777;
		compat_regs_to_uc(&r, uc);
		break;
	}
}

static void signals_init(void)
{
	static const int sigs[] = { SIGSEGV, SIGILL, SIGALRM };
	struct sigaction sa;
	stack_t ss;
	unsigned int i;

	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) < 0) {
		perror("sigaltstack");
		exit(1);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = compat_signal_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	compat_signal_fn = on_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0) {
			perror("sigaction");
			exit(1);
		}
}

/* ---- 1. The low 4 GiB ------------------------------------------------- */

/* Something of the host already below 4 GiB: refused, and named. */
static void test_reserve_refused(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		char err[256] = "";
		void *p = mmap((void *)0x500000, 0x3000, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);
		int ret;

		if (p == MAP_FAILED)
			_exit(2);
		ret = compat_reserve(err, sizeof(err));
		fprintf(stderr, "compat-test: (expected) %s\n", err);
		_exit(ret == -EEXIST && strstr(err, "0x500000-0x503000") &&
		      !compat_reserved() ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "a low mapping was not refused by name");
}

static void test_low_memory(void)
{
	char line[512];
	uint64_t covered = 0, min = 0;
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	void *p;

	if (!f || fscanf(f, "%lu", &min) != 1)
		min = 0x10000;
	if (f)
		fclose(f);
	min = (min + 0xfff) & ~0xfffULL;
	if (min < 0x1000)
		min = 0x1000;
	/* [min, 4 GiB) is covered by mappings, all ours. */
	f = fopen("/proc/self/maps", "r");
	covered = min;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s <= covered &&
		    e > covered)
			covered = e;
	}
	if (f)
		fclose(f);
	CHECK(covered >= COMPAT_TOP, "[0x%lx, 4 GiB) not all reserved: a hole at "
	      "0x%lx", (unsigned long)min, (unsigned long)covered);
	p = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED && (uint64_t)(uintptr_t)p >= COMPAT_TOP,
	      "a host mmap landed at %p", p);
	if (p != MAP_FAILED)
		munmap(p, 1 << 20);
	CHECK(!strcmp(maps_prot(T_FAULT), "---p"), "T_FAULT is %s, not reserved",
	      maps_prot(T_FAULT));
	CHECK(compat_map(COMPAT_TOP, 0x1000, PROT_READ, H.memfd, 0) == -EINVAL,
	      "a guest page at 4 GiB was mapped");
	CHECK(compat_map(T_FAULT + 8, 0x1000, PROT_READ, H.memfd, 0) == -EINVAL,
	      "an unaligned guest page was mapped");
	CHECK(compat_unmap(0, 0x1000) == -EINVAL, "page 0 was unmapped");

	/* A memfd page at a guest address, then given back. */
	memcpy(harness_page(&H, T_FAULT), "\x11\x22\x33\x44", 4);
	CHECK(harness_map(&H, T_FAULT, PROT_READ) == 0, "mapping T_FAULT");
	CHECK(guest_load(T_FAULT) == 0x44332211, "T_FAULT reads 0x%x",
	      guest_load(T_FAULT));
	CHECK(compat_unmap(T_FAULT, 0x1000) == 0, "unmapping T_FAULT");
	CHECK(!strcmp(maps_prot(T_FAULT), "---p"), "T_FAULT is %s after unmap",
	      maps_prot(T_FAULT));
	memset(harness_page(&H, T_FAULT), 0, 8);
}

/*
 * Guest pages high in the 4 GiB: 0x80000000 (inside AddressSanitizer's
 * shadow of low memory, in an ASan build) and 0xc0000000 (i386 Linux's
 * PAGE_OFFSET; inside ASan's shadow gap), written by 32-bit code while
 * instrumented host code runs: ASan never touches them.
 */
static void test_high_pages(void)
{
	static const uint64_t vas[] = { 0x80000000, 0xc0000000 };
	uint32_t *w = (uint32_t *)harness_page(&H, T_FAULT);
	struct compat_regs r;
	unsigned int i, j;
	int ret;

	for (i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
		for (j = 0; j < 1024; j++)
			w[j] = 0xa5000000u + j;
		ret = compat_map(vas[i], 0x1000, PROT_READ | PROT_WRITE, H.memfd,
				 6 << 12);
		CHECK(ret == 0, "mapping 0x%lx: %s", (unsigned long)vas[i],
		      strerror(-ret));
		harness_regs(&r, blob_fault);
		r.frame.gpr[AFB_RBX] = vas[i];
		ret = run(blob_fault, &r);
		for (j = 0; j < 64; j++) {	/* instrumented host work */
			char *p = malloc(100 + j);

			if (p)
				memset(p, (int)j, 100 + j);
			free(p);
		}
		CHECK(ret == 1 && EAX(last) == 0xa5000000 && w[1] == 0x12345678,
		      "0x%lx: eax 0x%x word 0x%x", (unsigned long)vas[i], EAX(last),
		      w[1]);
		w[1] = 0xa5000001;
		for (j = 0; j < 1024 && w[j] == 0xa5000000u + j; j++)
			;
		CHECK(j == 1024, "0x%lx: word %u changed to 0x%x",
		      (unsigned long)vas[i], j, j < 1024 ? w[j] : 0);
		CHECK(compat_unmap(vas[i], 0x1000) == 0, "unmapping 0x%lx",
		      (unsigned long)vas[i]);
	}
	memset(w, 0, 0x1000);
}

/* ---- 2, 3. Entering and leaving --------------------------------------- */

static void test_mode(void)
{
	struct compat_regs r;
	int ret;

	harness_regs(&r, blob_mode);
	r.frame.gpr[AFB_RBX] = 0x100;
	r.frame.gpr[AFB_RCX] = 0x200;
	r.frame.gpr[AFB_RSI] = 0x300;
	r.frame.gpr[AFB_RDI] = 0x400;
	ret = run(blob_mode, &r);
	CHECK(ret == 1 && exits_seen == 1, "compat_enter returned %d after %d "
	      "exits", ret, exits_seen);
	CHECK(EAX(last) == 0xffffffff, "eax 0x%x: not 32-bit code", EAX(last));
	CHECK(EBP(last) == COMPAT_CS32, "cs was 0x%x", EBP(last));
	CHECK(EDX(last) == T_STACK + 0x1000 && ESP(last) == T_STACK + 0x1000,
	      "esp 0x%x, saved 0x%x", EDX(last), ESP(last));
	CHECK(EBX(last) == 0x101 && ECX(last) == 0x201 && ESI(last) == 0x301 &&
	      EDI(last) == 0x401, "registers 0x%x 0x%x 0x%x 0x%x", EBX(last),
	      ECX(last), ESI(last), EDI(last));
	CHECK((last.frame.rflags & (AFB_RFLAGS_CF | AFB_RFLAGS_DF | AFB_RFLAGS_AC)) ==
	      (AFB_RFLAGS_CF | AFB_RFLAGS_DF | AFB_RFLAGS_AC),
	      "CF, DF or AC lost: eflags 0x%lx", (unsigned long)last.frame.rflags);
	CHECK(last.index == 0, "index %u", last.index);
	CHECK(df_ok, "the exit's C ran with the guest's DF");
	CHECK(tp_at_exit == compat_host_fs_base(), "eager: the FS base at the "
	      "exit's C is 0x%lx, not the host's", (unsigned long)tp_at_exit);
	CHECK(fs0() ==
	      compat_host_fs_base(), "the FS base after compat_enter");

	/* Exit 1 resumes 32-bit code from C, nine times. */
	harness_regs(&r, blob_chain);
	ret = run(blob_chain, &r);
	CHECK(ret == 1 && exits_seen == 10 && EAX(last) == 10 && last.index == 1,
	      "chain: ret %d, %d exits, eax %u, index %u", ret, exits_seen,
	      EAX(last), last.index);
}

/* Lazy: C runs with the guest's FS base until compat_host_fs(). */
static void test_lazy(void)
{
	struct compat_regs r;
	uint64_t guest_word;
	int ret = compat_set_fs_mode(COMPAT_FS_LAZY);

#if defined(__SANITIZE_ADDRESS__)
	CHECK(ret == -EINVAL, "lazy FS mode accepted in an ASan build");
	return;
#endif
	CHECK(ret == 0, "lazy mode refused");
	memcpy(&guest_word, harness_page(&H, T_FSPAGE), 8);
	harness_regs(&r, blob_mode);
	r.fs = fs_sel;
	r.gs = gs_sel;
	ret = run(blob_mode, &r);
	CHECK(ret == 1 && EAX(last) == 0xffffffff, "lazy: ret %d eax 0x%x", ret,
	      EAX(last));
	CHECK(tp_at_exit == guest_word, "lazy: %%fs:0 at the exit read 0x%lx, "
	      "not the guest's 0x%lx", (unsigned long)tp_at_exit,
	      (unsigned long)guest_word);
	CHECK(tp_after_host_fs == compat_host_fs_base(), "lazy: compat_host_fs "
	      "left 0x%lx", (unsigned long)tp_after_host_fs);

	/* A signal in lazy mode: the handler restores FS itself. */
	memset(&seen, 0, sizeof(seen));
	harness_regs(&r, blob_ud2);
	r.fs = fs_sel;
	r.gs = gs_sel;
	ret = run(blob_ud2, &r);
	CHECK(ret == 1 && seen.sig == SIGILL && seen.tp == guest_word &&
	      EAX(last) == 0xdd, "lazy signal: ret %d sig %d tp 0x%lx eax 0x%x",
	      ret, seen.sig, (unsigned long)seen.tp, EAX(last));
	compat_set_fs_mode(COMPAT_FS_EAGER);
}

/* ---- 4. Segments ------------------------------------------------------ */

static void fill_seg_pages(void)
{
	uint32_t *fsw = (uint32_t *)harness_page(&H, T_FSPAGE);
	uint32_t *gsw = (uint32_t *)harness_page(&H, T_GSPAGE);
	int i;

	for (i = 0; i < 1024; i++) {
		fsw[i] = 0xf5000000u + (uint32_t)i;
		gsw[i] = 0x65000000u + (uint32_t)i;
	}
}

static uint64_t ldt_desc(uint16_t sel)
{
	struct user_desc buf[COMPAT_LDT_FIRST + COMPAT_LDT_SLOTS];
	uint64_t d;
	long n;

	memset(buf, 0, sizeof(buf));
	n = syscall(SYS_modify_ldt, 0, buf, sizeof(buf));
	if (n < (long)(((sel >> 3) + 1) * 8))
		return ~0ULL;
	memcpy(&d, (uint8_t *)buf + (sel >> 3) * 8, 8);
	return d;
}

static uint64_t ldt_base(uint16_t sel)
{
	return compat_desc_base(ldt_desc(sel));
}

static uint32_t ldt_limit(uint16_t sel)
{
	return compat_desc_limit(ldt_desc(sel));
}

static void test_segments(void)
{
	uint64_t dfs = data_desc(T_FSPAGE, 0xfff, false, 0x3);
	uint64_t dgs = data_desc(T_GSPAGE + 0x10, 0xfffff, true, 0x2);
	uint64_t dgs2 = data_desc(T_GSPAGE + 0x20, 0xfffff, true, 0x2);
	struct compat_regs r;
	uint64_t misses;
	int i, ret, s;

	fill_seg_pages();
	compat_ldt_init(&ldt);
	CHECK(compat_desc_base(dgs) == T_GSPAGE + 0x10 &&
	      compat_desc_limit(dgs) == 0xffffffff &&
	      compat_desc_limit(dfs) == 0xfff, "descriptor fields");
	fs_sel = (uint16_t)compat_ldt_selector(&ldt, 0xd8, dfs, COMPAT_FS);
	gs_sel = (uint16_t)compat_ldt_selector(&ldt, 0xe0, dgs, COMPAT_GS);
	CHECK((fs_sel & 7) == 7 && (gs_sel & 7) == 7 && fs_sel != gs_sel &&
	      ldt.misses == 2, "selectors 0x%x 0x%x, %lu misses", fs_sel, gs_sel,
	      (unsigned long)ldt.misses);
	CHECK(compat_ldt_selector(&ldt, 0xd8, dfs & ~(1ULL << 40), COMPAT_FS) ==
	      fs_sel && ldt.misses == 2, "no cache hit (accessed bit differs)");
	CHECK(compat_ldt_selector(&ldt, 0, 0, COMPAT_GS) == 0 &&
	      compat_ldt_selector(&ldt, 3, 0, COMPAT_GS) == 0, "null selector");
	CHECK(compat_ldt_selector(&ldt, 0x10, dfs & ~(1ULL << 47), COMPAT_GS) ==
	      -EINVAL, "a not-present descriptor was mirrored");
	CHECK(compat_ldt_selector(&ldt, 0x10, (dfs & ~(0xfULL << 40)) |
				  (0x8ULL << 40), COMPAT_GS) == -EINVAL,
	      "an execute-only code descriptor was mirrored");
	CHECK(compat_ldt_selector(&ldt, 0x10, dfs & ~(1ULL << 44), COMPAT_GS) ==
	      -EINVAL, "a system descriptor was mirrored");

	harness_regs(&r, blob_segs);
	r.fs = fs_sel;
	r.gs = compat_ldt_selector(&ldt, 0xe0, dgs, COMPAT_GS);
	ret = run(blob_segs, &r);
	CHECK(ret == 1 && EAX(last) == 0xf5000000 && EDX(last) == 0x65000004 &&
	      ECX(last) == 0xf50003ff, "fs:0 0x%x gs:0 0x%x fs:0xffc 0x%x",
	      EAX(last), EDX(last), ECX(last));
	CHECK(((uint32_t *)harness_page(&H, T_FSPAGE))[2] == 0x600df00d,
	      "the write to fs:8 went elsewhere");
	CHECK(last.fs == fs_sel && last.gs == gs_sel, "exit saw fs 0x%x gs 0x%x",
	      last.fs, last.gs);

	/* Many descriptors through %gs: %fs's entry is never replaced. */
	misses = ldt.misses;
	for (i = 0; i < 3 * COMPAT_LDT_SLOTS; i++) {
		s = compat_ldt_selector(&ldt, (uint16_t)(0x100 + 8 * i),
					data_desc(0x70000 + 16 * (uint32_t)i,
						  0xfff, false, 0x2), COMPAT_GS);
		CHECK(s > 0 && s != fs_sel, "churn %d: selector %d", i, s);
	}
	CHECK(ldt.misses == misses + 3 * COMPAT_LDT_SLOTS, "churn misses %lu",
	      (unsigned long)(ldt.misses - misses));
	CHECK(ldt_base(fs_sel) == T_FSPAGE, "the LDT entry of %%fs now has base "
	      "0x%lx", (unsigned long)ldt_base(fs_sel));
	CHECK(ldt_limit(fs_sel) == 0xfff, "the LDT entry of %%fs has limit 0x%x",
	      ldt_limit(fs_sel));
	gs_sel = (uint16_t)compat_ldt_selector(&ldt, 0xe0, dgs, COMPAT_GS);
	gs2_sel = (uint16_t)compat_ldt_selector(&ldt, 0xe8, dgs2, COMPAT_GS);
	gs_sel = (uint16_t)compat_ldt_selector(&ldt, 0xe0, dgs, COMPAT_GS);
	CHECK(ldt_base(gs_sel) == T_GSPAGE + 0x10 &&
	      ldt_base(gs2_sel) == T_GSPAGE + 0x20, "gs entries' bases");
	harness_regs(&r, blob_segs);
	r.fs = fs_sel;
	r.gs = gs_sel;
	ret = run(blob_segs, &r);
	CHECK(ret == 1 && EAX(last) == 0xf5000000 && EDX(last) == 0x65000004,
	      "after churn: fs:0 0x%x gs:0 0x%x", EAX(last), EDX(last));
}

/* ---- 5. Signals -------------------------------------------------------- */

static void check_signal(const char *what, int sig)
{
	CHECK(seen.count >= 1 && seen.sig == sig, "%s: signal %d, %d times", what,
	      seen.sig, seen.count);
	CHECK(seen.cs32 && seen.ss == COMPAT_DS, "%s: cs32 %d ss 0x%x", what,
	      seen.cs32, seen.ss);
	CHECK(seen.fs_at_entry == fs_sel, "%s: %%fs 0x%x at the signal", what,
	      seen.fs_at_entry);
	CHECK(seen.tp == compat_host_fs_base(), "%s: the handler's C ran with FS "
	      "base 0x%lx, not the host's", what, (unsigned long)seen.tp);
}

static void test_signals(void)
{
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	struct compat_regs r;
	int ret;

	/* A page the handler maps. */
	memset(&seen, 0, sizeof(seen));
	((uint32_t *)harness_page(&H, T_FAULT))[0] = 0xfeedface;
	harness_regs(&r, blob_fault);
	r.fs = fs_sel;
	r.frame.gpr[AFB_RBX] = T_FAULT;
	ret = run(blob_fault, &r);
	check_signal("page fault", SIGSEGV);
	CHECK(seen.count == 1 && seen.addr == T_FAULT && seen.code == SEGV_ACCERR,
	      "page fault: %d signals, addr 0x%lx code %d", seen.count,
	      (unsigned long)seen.addr, seen.code);
	CHECK(ret == 1 && EAX(last) == 0xfeedface &&
	      ((uint32_t *)harness_page(&H, T_FAULT))[1] == 0x12345678,
	      "page fault: eax 0x%x", EAX(last));
	compat_unmap(T_FAULT, 0x1000);

	/* Beyond %fs's limit: #GP on a CPU.  QEMU's TCG (where this runs
	   when the host kernel has no 32-bit code) checks no segment limit:
	   there the access reaches the reserved page after the segment. */
	memset(&seen, 0, sizeof(seen));
	harness_regs(&r, blob_limit);
	r.fs = fs_sel;
	ret = run(blob_limit, &r);
	check_signal("segment limit", SIGSEGV);
	CHECK(ret == 1 && EAX(last) == 0xbad && (seen.code == SI_KERNEL ||
	      (tcg && seen.code == SEGV_ACCERR && seen.addr == T_FSPAGE + 0x1000)),
	      "segment limit: si_code %d address 0x%lx eax 0x%x", seen.code,
	      (unsigned long)seen.addr, EAX(last));
	printf("compat-test: an access beyond %%fs's limit: %s\n",
	       seen.code == SI_KERNEL ? "#GP" : "a page fault (no limit check)");

	/* ud2: skipped, with registers and %gs changed. */
	memset(&seen, 0, sizeof(seen));
	harness_regs(&r, blob_ud2);
	r.fs = fs_sel;
	r.gs = gs_sel;
	ret = run(blob_ud2, &r);
	check_signal("ud2", SIGILL);
	CHECK(seen.ud2_bytes && seen.r.frame.rip == blob_addr(blob_ud2) &&
	      seen.r.gs == gs_sel, "ud2: eip 0x%lx gs 0x%x",
	      (unsigned long)seen.r.frame.rip, seen.r.gs);
	CHECK(ret == 1 && EAX(last) == 0xdd && EBX(last) == 0xbb &&
	      EDX(last) == 0x65000008 && last.gs == gs2_sel,
	      "ud2: eax 0x%x ebx 0x%x gs:0 0x%x gs 0x%x", EAX(last), EBX(last),
	      EDX(last), last.gs);

	/* A timer tick while 32-bit code spins. */
	memset(&seen, 0, sizeof(seen));
	harness_regs(&r, blob_spin);
	r.fs = fs_sel;
	r.frame.gpr[AFB_RCX] = 1;
	setitimer(ITIMER_REAL, &it, NULL);
	ret = run(blob_spin, &r);
	stop_timer();
	check_signal("timer", SIGALRM);
	CHECK(ret == 1 && EAX(last) > 0 && ESI(last) == 0x7777 && ECX(last) == 0,
	      "timer: eax %u esi 0x%x (%d ticks outside)", EAX(last), ESI(last),
	      seen.missed);
}

/* A trap handled outside signal context: the signal returns to host code,
   which resumes 32-bit code itself. */
static void test_trampoline(void)
{
	struct compat_regs r;
	int ret;

	memset(&seen, 0, sizeof(seen));
	redirect = true;
	harness_regs(&r, blob_ud2);
	r.fs = fs_sel;
	r.gs = gs_sel;
	ret = run(blob_ud2, &r);
	redirect = false;
	check_signal("trampoline", SIGILL);
	CHECK(tramp_cs == COMPAT_CS64 && tramp_tp == compat_host_fs_base(),
	      "trampoline: cs 0x%x, FS base 0x%lx", tramp_cs,
	      (unsigned long)tramp_tp);
	CHECK(ret == 1 && EAX(last) == 0x7a && EDX(last) == 0x65000008 &&
	      last.fs == fs_sel && last.gs == gs2_sel,
	      "trampoline: eax 0x%x gs:0 0x%x fs 0x%x gs 0x%x", EAX(last),
	      EDX(last), last.fs, last.gs);
}

static bool is_tcg(void)
{
	uint32_t a = 0x40000000, b, c, d;
	char v[13];

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	memcpy(v, &b, 4);
	memcpy(v + 4, &c, 4);
	memcpy(v + 8, &d, 4);
	v[12] = 0;
	return !strcmp(v, "TCGTCGTCGTCG");
}

int main(int argc, char **argv)
{
	char err[256];
	int ret = compat_supported(err, sizeof(err));

	if (argc > 1 && !strcmp(argv[1], "--probe")) {
		if (ret)
			printf("compat-test: %s\n", err);
		return ret ? 3 : 0;
	}
	if (ret) {
		fprintf(stderr, "compat-test: %s\n", err);
		return 1;
	}
	tcg = is_tcg();
	test_reserve_refused();
	if (harness_init(&H, exit_record, COMPAT_FS_EAGER, err, sizeof(err))) {
		fprintf(stderr, "compat-test: %s\n", err);
		return 1;
	}
	signals_init();
	test_low_memory();
	test_mode();
	test_high_pages();
	test_segments();
	test_signals();
	test_trampoline();
	test_lazy();
	if (failures) {
		fprintf(stderr, "compat-test: %d checks failed\n", failures);
		return 1;
	}
	printf("compat-test: low 4 GiB, 32-bit entry and exits, LDT segments, "
	       "signals: all passed\n");
	return 0;
}
