// A hostile guest kernel: the test kernel plus this file, whose attacks
// run at CPL0 from main() just before the scheduler (ld --wrap=scheduler,
// see Makefile).  Every attack is written so that a real CPU gives it a
// defined result, which the attack checks; the same image behaves the
// same on bare metal (QEMU) and on every host:
//
//  - raw 'syscall' with host system-call numbers (mkdir, openat, write,
//    execve): with LSTAR pointed at a landing here, the CPU enters it at
//    CPL0 with the return address in rcx and rax untouched;
//  - 'int $0x80' (an i386 mkdir) and 'sysenter' (with SYSENTER_CS = 0),
//    from code written at run time (no afterburn site): the first goes
//    through a gate we install, the second raises #UD (AMD) or #GP(0);
//  - the wedge window (KERNEL_BASE - 1 GiB), which the contract says the
//    guest never touches: read the data pages, looking for a host
//    pointer; overwrite every word with a guest address, run a slow
//    site, and check that nothing jumped there; write to the thunks
//    (which must fault).  On metal nothing is mapped there: every access
//    is a #PF, which the attack counts as "nothing to find".
//
// It then makes the #BP gate DPL 3, for the user-mode int3 checks of
// uattack.c.  With "attack=cr3" on the command line it then loads a CR3 beyond RAM;
// with "attack=extents" it maps its kernel half in 512 extents and
// flushes the TLB.  A host must stop such a guest as crashed.
//
// Output lines start with "ATTACK ok" or "ATTACK FAIL"; the last one is
// "ATTACK summary failures=N".  The host side (no file created) is
// checked by testcases/ptrace/hostile-kernel.sh.

#include "types.h"
#include "defs.h"
#include "memlayout.h"
#include "mmu.h"
#include "x86.h"

#define MARK              "/tmp/afterburn-hostile-kernel-mark"
#define HOST_WRITE        1
#define HOST_EXECVE       59
#define HOST_MKDIR        83
#define HOST_OPENAT       257
#define I386_MKDIR        39
#define AT_FDCWD          (-100)
#define MSR_SYSENTER_CS   0x174
#define WEDGE_DATA_BYTES  0x2000     // afterburn-ptrace's wedge data pages
#define WEDGE_THUNKS      (WEDGE_BASE + WEDGE_DATA_BYTES)
#define GUEST_ADDR        (KERNEL_BASE + 0x100000)  // no rflags bits set

extern char cmdline[];
NORETURN void __real_scheduler(void);
void __wrap_scheduler(void);

static int failures;

#define RESULT(name, ok, fmt, ...) do {					\
	int ok_ = (ok);							\
									\
	if (!ok_)							\
		failures++;						\
	kprintf("ATTACK %s %s: " fmt "\n", ok_ ? "ok" : "FAIL", (name),	\
		__VA_ARGS__);						\
} while (0)

// ---- Landings: what the CPU enters instead of the host -------------------

__attribute__((used)) u64 landed_count, landed_rcx, landed_vec, landed_err;
void syscall_landing(void);
void ud_skip2(void);
void gp_skip2(void);
void pf_skip3(void);
void int80_landing(void);

asm(".text\n"
    "syscall_landing:\n"          // syscall at CPL0: back to rcx, flags from r11
    "	incq landed_count(%rip)\n"
    "	movq %rcx, landed_rcx(%rip)\n"
    "	pushq %r11\n"
    "	popfq\n"
    "	jmp *%rcx\n"
    "ud_skip2:\n"                 // #UD at a 2-byte instruction: skip it
    "	movq $6, landed_vec(%rip)\n"
    "	addq $2, (%rsp)\n"
    "	iretq\n"
    "gp_skip2:\n"                 // #GP (error code) at a 2-byte instruction
    "	movq $13, landed_vec(%rip)\n"
    "	popq landed_err(%rip)\n"
    "	addq $2, (%rsp)\n"
    "	iretq\n"
    "pf_skip3:\n"                 // #PF (error code) at a 3-byte mov
    "	movq $14, landed_vec(%rip)\n"
    "	popq landed_err(%rip)\n"
    "	addq $3, (%rsp)\n"
    "	iretq\n"
    "int80_landing:\n"
    "	movq $0x80, landed_vec(%rip)\n"
    "	iretq\n");

struct gate {
	u16 off_lo, sel;
	u8 ist, type;
	u16 off_mid;
	u32 off_hi, reserved;
} __attribute__((packed));

static struct gate *gate_of(int vec)
{
	struct {
		u16 limit;
		u64 base;
	} __attribute__((packed)) idtr;

	asm volatile("sidt %0" : "=m"(idtr));
	return (struct gate *)idtr.base + vec;
}

static void gate_set(int vec, void (*fn)(void), struct gate *save)
{
	struct gate *g = gate_of(vec);
	u64 h = (u64)fn;

	*save = *g;
	*g = (struct gate){
		.off_lo = h & 0xffff, .sel = KCODE_SEL, .type = 0x8e,
		.off_mid = (h >> 16) & 0xffff, .off_hi = h >> 32,
	};
}

static void gate_restore(int vec, const struct gate *save)
{
	*gate_of(vec) = *save;
}

// ---- System calls --------------------------------------------------------

static const char mark[] = MARK;
static const char mark_file[] = MARK "/file";
static const char escaped[] = "ESCAPED: a guest kernel wrote to the host's stderr\n";
static const char sh[] = "/bin/sh";
static const char dash_c[] = "-c";
static const char sh_cmd[] = "mkdir " MARK;
static const char *const sh_argv[] = { sh, dash_c, sh_cmd, 0 };

static void raw_syscall(const char *name, long nr, long a0, long a1, long a2,
			long a3)
{
	u64 before = landed_count;
	register long r10 asm("r10") = a3;
	long ret;

	asm volatile("syscall"
		     : "=a"(ret), "+r"(r10)
		     : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
		     : "rcx", "r11", "memory");
	RESULT(name, landed_count == before + 1 && ret == nr,
	       "landed %lu time(s), rax %ld (expected %ld)",
	       landed_count - before, ret, nr);
}

static void attack_syscall(void)
{
	u64 lstar = rdmsr(MSR_LSTAR);

	wrmsr(MSR_LSTAR, (u64)syscall_landing);
	raw_syscall("syscall-mkdir", HOST_MKDIR, (long)mark, 0755, 0, 0);
	raw_syscall("syscall-openat", HOST_OPENAT, AT_FDCWD, (long)mark_file,
		    0101 /* O_WRONLY | O_CREAT */, 0644);
	raw_syscall("syscall-write", HOST_WRITE, 2, (long)escaped,
		    sizeof(escaped) - 1, 0);
	raw_syscall("syscall-execve", HOST_EXECVE, (long)sh, (long)sh_argv, 0, 0);
	wrmsr(MSR_LSTAR, lstar);
}

// Code written at run time: no afterburn site, whatever the assembler.
static u8 code[16] __attribute__((aligned(16)));

static void attack_int80_sysenter(void)
{
	struct gate s80, s6, s13;
	u64 cs = rdmsr(MSR_SYSENTER_CS);
	long eax = I386_MKDIR;

	gate_set(0x80, int80_landing, &s80);
	code[0] = 0xcd, code[1] = 0x80, code[2] = 0xc3;	// int $0x80; ret
	landed_vec = 0;
	asm volatile("call *%1" : "+a"(eax) : "r"(code), "b"(mark), "c"(0755)
		     : "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
	RESULT("int80-mkdir", landed_vec == 0x80 && eax == I386_MKDIR,
	       "vector 0x%lx, eax %ld", landed_vec, eax);
	gate_restore(0x80, &s80);

	gate_set(T_UD, ud_skip2, &s6);
	gate_set(T_GP, gp_skip2, &s13);
	wrmsr(MSR_SYSENTER_CS, 0);
	code[0] = 0x0f, code[1] = 0x34, code[2] = 0xc3;	// sysenter; ret
	landed_vec = 0;
	landed_err = ~0UL;
	asm volatile("call *%0" : : "r"(code)
		     : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10",
		       "r11", "memory");
	RESULT("sysenter", landed_vec == T_UD ||
	       (landed_vec == T_GP && landed_err == 0),
	       "vector %lu (#UD on AMD, #GP(0) on Intel)", landed_vec);
	wrmsr(MSR_SYSENTER_CS, cs);
	gate_restore(T_GP, &s13);
	gate_restore(T_UD, &s6);
}

// ---- The wedge window ----------------------------------------------------

// movq (%rdi), %rax and movq %rax, (%rdi): 3 bytes each, for pf_skip3.
static int probe_read(u64 addr, u64 *val)
{
	u64 v = 0;

	landed_vec = 0;
	asm volatile(".byte 0x48, 0x8b, 0x07" : "+a"(v) : "D"(addr) : "memory");
	*val = v;
	return landed_vec != T_PF;
}

static int probe_write(u64 addr, u64 val)
{
	landed_vec = 0;
	asm volatile(".byte 0x48, 0x89, 0x07" : : "a"(val), "D"(addr) : "memory");
	return landed_vec != T_PF;
}

static int host_pointer(u64 v)
{
	// Where Linux puts a PIE, libraries, the heap's mmaps and the stack.
	return v >= 0x0000500000000000UL && v < 0x0000800000000000UL;
}

static u64 saved[WEDGE_DATA_BYTES / 8];

static void attack_wedge(void)
{
	unsigned int i, n = WEDGE_DATA_BYTES / 8, readable = 0, pointers = 0;
	struct gate s14;
	u64 v, first = 0;

	gate_set(T_PF, pf_skip3, &s14);
	for (i = 0; i < n; i++) {
		if (!probe_read(WEDGE_BASE + 8 * i, &saved[i]))
			continue;
		readable++;
		if (host_pointer(saved[i]) && !pointers++)
			first = saved[i];
	}
	RESULT("wedge-read", pointers == 0,
	       "%u of %u words readable, %u host pointers (first 0x%lx)",
	       readable, n, pointers, first);

	if (readable == n) {
		for (i = 0; i < n; i++)
			probe_write(WEDGE_BASE + 8 * i, GUEST_ADDR);
		outb(0x80, 0);		// a slow site, through the wedge
		for (i = 0; i < n; i++)
			if (probe_read(WEDGE_BASE + 8 * i, &v) && v == GUEST_ADDR)
				probe_write(WEDGE_BASE + 8 * i, saved[i]);
		RESULT("wedge-overwrite", 1, "%s",
		       "a slow site after it still came back here");
	} else {
		RESULT("wedge-overwrite", 1, "%s", "nothing mapped there");
	}

	probe_read(WEDGE_THUNKS, &v);
	RESULT("wedge-thunks-write", !probe_write(WEDGE_THUNKS, v),
	       "write to the thunks: vector %lu error 0x%lx", landed_vec,
	       landed_err);
	gate_restore(T_PF, &s14);
}

// ---- Attacks a host can only answer by stopping the guest ---------------

static int has_word(const char *word)
{
	size_t n = strlen(word);

	for (const char *p = cmdline; *p; p++)
		if ((p == cmdline || p[-1] == ' ') && strncmp(p, word, n) == 0 &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static void attack_cr3(void)
{
	kprintf("ATTACK cr3: loading cr3 = 0x40000000 (beyond RAM)\n");
	lcr3(0x40000000);
	RESULT("cr3", 0, "%s", "the host ran on with a root outside RAM");
}

static void attack_extents(void)
{
	u64 *pml4 = P2V(PTE_ADDR(rcr3()));
	u64 *pdpt = P2V(PTE_ADDR(pml4[(KERNEL_BASE >> 39) & 511]));
	u64 *pd = P2V(PTE_ADDR(pdpt[2]));	// physical 2-3 GiB: no RAM

	kprintf("ATTACK extents: 512 kernel-half extents, then a global flush\n");
	for (int i = 0; i < 512; i += 2)
		pd[i] &= ~(u64)PTE_W;
	lcr4(rcr4() & ~(u64)CR4_PGE);
	lcr4(rcr4() | CR4_PGE);
	for (int i = 0; i < 512; i += 2)
		pd[i] |= PTE_W;
	RESULT("extents", 0, "%s", "the host ran on with 512 extents");
}

void __wrap_scheduler(void)
{
	u64 fl = intr_save();

	attack_syscall();
	attack_int80_sysenter();
	attack_wedge();
	if (has_word("attack=cr3"))
		attack_cr3();
	if (has_word("attack=extents"))
		attack_extents();
	// For uattack.c: #BP reachable from user mode, as Linux has it.
	gate_of(T_BP)->type = 0xee;	// present, DPL 3, interrupt gate
	kprintf("ATTACK summary failures=%d\n", failures);
	intr_restore(fl);
	__real_scheduler();
}
