// SPDX-License-Identifier: MIT
/*
 * The i386 mechanism's memory and glue (compat.h).
 *
 * The low 4 GiB of this process belong to the guest: guest-virtual ==
 * host-virtual there.  compat_reserve() checks that nothing of the host
 * lies in [mmap_min_addr, 4 GiB) (/proc/self/maps) and reserves it
 * PROT_NONE, so that nothing of the host lands there later; guest pages
 * are then mapped over the reservation from the memfd (compat_map) and
 * given back to it (compat_unmap).  Both are raw system calls: they
 * touch no TLS (errno), so a signal handler may use them before the
 * host's FS base is back (COMPAT_FS_LAZY), and they bypass the
 * sanitizers' interceptors.
 *
 * Under AddressSanitizer, its shadow of low memory lies at 0x7fff8000
 * and its shadow gap above it, both inside the guest's 4 GiB: the
 * reservation maps over them (MAP_FIXED) and reserves only the rest with
 * MAP_FIXED_NOREPLACE.  That shadow is the shadow of guest addresses,
 * which instrumented host code never touches (it reads guest memory
 * through its own view of the memfd), so ASan never looks there.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "compat.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE		(1 << 1)
#endif
#define UC_SIGCONTEXT_SS	0x2
#define UC_STRICT_RESTORE_SS	0x4

#define PAGE_MASK_4K		0xfffULL

static uint64_t low_start;	/* the reservation: [low_start, 4 GiB) */

/* A system call that leaves errno (TLS) alone: -errno on failure. */
long compat_syscall6(long nr, long a, long b, long c, long d, long e,
			 long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static uint64_t mmap_min_addr(void)
{
	unsigned long v = 0x10000;
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0x10000;
		fclose(f);
	}
	if (v < 0x1000)
		v = 0x1000;
	return (v + PAGE_MASK_4K) & ~PAGE_MASK_4K;
}

/* Where the sanitizer's own mappings start inside the 4 GiB (or 4 GiB). */
static uint64_t sanitizer_start(void)
{
#ifdef __SANITIZE_ADDRESS__
	size_t scale, offset;

	__asan_get_shadow_mapping(&scale, &offset);
	offset &= ~0xffffULL;	/* its first page lies below the offset */
	return offset < COMPAT_TOP ? offset : COMPAT_TOP;
#else
	return COMPAT_TOP;
#endif
}

/*
 * The first mapping of this process in [from, to) (with a file name, for
 * @named: the sanitizer's own are anonymous), as an error message naming
 * it: 0 if there is none, -1 if /proc/self/maps cannot be read.
 */
static int find_intruder(uint64_t from, uint64_t to, bool named, char *err,
			 size_t errlen)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f) {
		snprintf(err, errlen, "cannot read /proc/self/maps: %s",
			 strerror(errno));
		return -1;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		int name = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end,
			   &name) < 2)
			continue;
		if (end <= from || start >= to)
			continue;
		if (named && (!name || line[name] != '/'))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(err, errlen, "the host's own %s lies at 0x%lx-0x%lx, "
			 "inside the guest's low 4 GiB (a non-PIE build, or a "
			 "library loaded low?)",
			 name && line[name] ? line + name : "anonymous mapping",
			 start, end);
		found = 1;
	}
	fclose(f);
	return found;
}

static int reserve(uint64_t start, uint64_t end, int flags)
{
	long p = compat_syscall6(SYS_mmap, (long)start, (long)(end - start),
			      PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			      MAP_NORESERVE | flags, -1, 0);

	if (p < 0)
		return (int)p;
	if ((uint64_t)p != start)	/* a kernel without MAP_FIXED_NOREPLACE */
		return -EEXIST;
	return 0;
}

/*
 * Reserve the guest's low 4 GiB; fails with a message in @err if any of
 * the host already lives there.  Call it early, before anything else
 * might map memory low.
 */
int compat_reserve(char *err, size_t errlen)
{
	uint64_t san = sanitizer_start();
	int ret;

	uint64_t start = mmap_min_addr();

	ret = find_intruder(start, san, false, err, errlen);
	if (!ret && san < COMPAT_TOP)
		ret = find_intruder(san, COMPAT_TOP, true, err, errlen);
	if (ret)
		return ret < 0 ? -EIO : -EEXIST;
	ret = reserve(start, san, MAP_FIXED_NOREPLACE);
	if (ret == -EEXIST && find_intruder(start, san, false, err, errlen) <= 0)
		snprintf(err, errlen, "[0x%lx, 0x%lx) is not free for the guest",
			 (unsigned long)start, (unsigned long)san);
	else if (ret)
		snprintf(err, errlen, "reserving [0x%lx, 0x%lx): %s",
			 (unsigned long)start, (unsigned long)san,
			 strerror(-ret));
	if (!ret && san < COMPAT_TOP) {
		ret = reserve(san, COMPAT_TOP, MAP_FIXED);
		if (ret)
			snprintf(err, errlen, "reserving the sanitizer's part "
				 "[0x%lx, 4 GiB): %s", (unsigned long)san,
				 strerror(-ret));
	}
	if (!ret)
		low_start = start;
	return ret;
}

/* The access rights of @sel (lar), or 0 if this CPL cannot see it. */
static uint32_t access_rights(uint32_t sel)
{
	uint32_t ar = 0;
	uint8_t ok;

	__asm__ volatile("lar %2, %0; setz %1" : "+r"(ar), "=q"(ok) : "r"(sel));
	return ok ? ar : 0;
}

#define AR_P		0x8000
#define AR_CODE		0x0800
#define AR_L		0x200000
#define AR_DB		0x400000

/*
 * Can this process run 32-bit code with LDT segments?  The host kernel
 * must have its 32-bit user code segment (0x23) in the GDT (no IA-32
 * emulation switched off: Linux's ia32_emulation=false, or a PVM guest
 * kernel, which runs 64-bit user code only) and load this process's LDT
 * (modify_ldt).  Tries LDT slot COMPAT_LDT_FIRST.  0, or -ENOSYS with
 * the reason in @err.
 */
int compat_supported(char *err, size_t errlen)
{
	uint32_t ar = access_rights(COMPAT_CS32);
	uint32_t sel = (COMPAT_LDT_FIRST << 3) | 7;
	uint8_t ud[16];
	long r = -EINVAL;

	if (!(ar & AR_P) || !(ar & AR_CODE) || !(ar & AR_DB) || (ar & AR_L)) {
		snprintf(err, errlen, "this host kernel runs no 32-bit user code "
			 "(no 32-bit code segment 0x%x: IA-32 emulation is off, "
			 "as under PVM or with ia32_emulation=false)", COMPAT_CS32);
		return -ENOSYS;
	}
	if (compat_ldt_user_desc(0x00cff2000000ffffULL, COMPAT_LDT_FIRST, ud) ||
	    (r = compat_syscall6(SYS_modify_ldt, 0x11, (long)ud, 16, 0, 0, 0)) < 0) {
		snprintf(err, errlen, "modify_ldt: %s (CONFIG_MODIFY_LDT_SYSCALL "
			 "off?)", strerror(-(int)r));
		return -ENOSYS;
	}
	if (!(access_rights(sel) & AR_P)) {
		snprintf(err, errlen, "this host kernel accepts modify_ldt but the "
			 "CPU does not see the LDT entry (a paravirtualized kernel?)");
		return -ENOSYS;
	}
	return 0;
}

bool compat_reserved(void)
{
	return low_start != 0;
}

static bool in_low(uint64_t va, size_t len)
{
	return low_start && !(va & PAGE_MASK_4K) && !(len & PAGE_MASK_4K) &&
	       len && va >= low_start && va + len <= COMPAT_TOP &&
	       va + len > va;
}

/* Map [va, va + len) of the guest from @fd at @off (MAP_SHARED). */
int compat_map(uint64_t va, size_t len, int prot, int fd, off_t off)
{
	long p;

	if (!in_low(va, len))
		return -EINVAL;
	p = compat_syscall6(SYS_mmap, (long)va, (long)len, prot,
			 MAP_SHARED | MAP_FIXED, fd, (long)off);
	return p < 0 ? (int)p : 0;
}

/* Give [va, va + len) back to the reservation. */
int compat_unmap(uint64_t va, size_t len)
{
	if (!in_low(va, len))
		return -EINVAL;
	return reserve(va, va + len, MAP_FIXED);
}

/*
 * Where exits go: the landing pad and the index slot at @l (both below
 * 4 GiB; the caller maps them and writes the pad with compat_pad_write),
 * the C function @fn, the FS mode.
 */
int compat_init(const struct compat_layout *l, compat_exit_fn fn,
		enum compat_fs_mode mode)
{
	if (!fn || !l->pad || !l->slot)
		return -EINVAL;
	compat_slot_addr = l->slot;
	compat_exit_call = fn;
	compat_host_fs_value = (uint64_t)(uintptr_t)__builtin_thread_pointer();
	compat_have_fsgsbase = !!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE);
	return compat_set_fs_mode(mode);
}

int compat_set_fs_mode(enum compat_fs_mode mode)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	if (mode == COMPAT_FS_LAZY)
		return -EINVAL;	/* the runtime's interceptors read TLS */
#endif
	compat_fs_eager = mode == COMPAT_FS_EAGER;
	return 0;
}

uint64_t compat_host_fs_base(void)
{
	return compat_host_fs_value;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/*
 * The landing pad, 64-bit code for a page below 4 GiB: 'jmp *0(%rip)'
 * and its literal, @host_entry (compat_exit).  COMPAT_PAD_SIZE bytes.
 */
size_t compat_pad_write(uint8_t *buf, uint64_t host_entry)
{
	static const uint8_t jmp[6] = { 0xff, 0x25, 0, 0, 0, 0 };

	memcpy(buf, jmp, sizeof(jmp));
	memcpy(buf + 6, &host_entry, 8);
	buf[14] = 0xcc;
	buf[15] = 0xcc;
	return COMPAT_PAD_SIZE;
}

/*
 * An exit thunk, 32-bit code: 'movl $index, slot' then 'ljmp $0x33, $pad'.
 * Every register and flag reaches compat_exit as the guest left it.
 * COMPAT_THUNK_SIZE bytes.
 */
size_t compat_thunk_write(uint8_t *buf, const struct compat_layout *l,
			  uint32_t index)
{
	buf[0] = 0xc7;			/* movl $imm32, disp32 */
	buf[1] = 0x05;
	put32(buf + 2, l->slot);
	put32(buf + 6, index);
	buf[10] = 0xea;			/* ljmp ptr16:32 */
	put32(buf + 11, l->pad);
	buf[15] = COMPAT_CS64;
	buf[16] = 0;
	return COMPAT_THUNK_SIZE;
}

/* ---- Signals ---------------------------------------------------------- */

static const int gpr_reg[8] = {
	[AFB_RAX] = REG_RAX, [AFB_RCX] = REG_RCX, [AFB_RDX] = REG_RDX,
	[AFB_RBX] = REG_RBX, [AFB_RSP] = REG_RSP, [AFB_RBP] = REG_RBP,
	[AFB_RSI] = REG_RSI, [AFB_RDI] = REG_RDI,
};

/* Did the signal interrupt 32-bit code (CS 0x23)? */
bool compat_uc_is32(const void *ucv)
{
	const ucontext_t *uc = ucv;

	return ((uint64_t)uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff) ==
	       COMPAT_CS32;
}

/*
 * The 32-bit frame of a signal's context, with the selectors
 * compat_signal_entry found in %fs and %gs (Linux puts none in a 64-bit
 * frame).  Call it from compat_signal_fn only.
 */
void compat_regs_from_uc(struct compat_regs *r, const void *ucv)
{
	const ucontext_t *uc = ucv;
	const greg_t *g = uc->uc_mcontext.gregs;
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 8; i++)
		r->frame.gpr[i] = (uint32_t)g[gpr_reg[i]];
	r->frame.rip = (uint32_t)g[REG_RIP];
	r->frame.rflags = (uint32_t)g[REG_EFL];
	r->fs = compat_sig_fs;
	r->gs = compat_sig_gs;
}

/*
 * Make the signal return to 32-bit code with @r: CS 0x23 and SS 0x2b,
 * restored as they are (UC_STRICT_RESTORE_SS), and %fs/%gs reloaded by
 * compat_signal_entry on its way out.
 */
void compat_regs_to_uc(const struct compat_regs *r, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t csgsfs = (uint64_t)g[REG_CSGSFS];
	int i;

	for (i = 0; i < 8; i++)
		g[gpr_reg[i]] = (greg_t)(uint32_t)r->frame.gpr[i];
	g[REG_RIP] = (greg_t)(uint32_t)r->frame.rip;
	g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~(uint64_t)AFB_RFLAGS_REAL) |
			      (r->frame.rflags & AFB_RFLAGS_REAL));
	csgsfs = (csgsfs & 0x0000ffffffff0000ULL) | COMPAT_CS32 |
		 ((uint64_t)COMPAT_DS << 48);
	g[REG_CSGSFS] = (greg_t)csgsfs;
	uc->uc_flags |= UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	compat_sig_fs = r->fs;
	compat_sig_gs = r->gs;
}

/*
 * Make the signal return to 64-bit host code instead: @fn(@arg) on the
 * stack that ends at @stack_top (as if called there), with the host's
 * selectors (CS 0x33, SS 0x2b) and without TF, DF or AC; %fs and %gs
 * stay as the handler leaves them (not reloaded).  @fn must not return:
 * it resumes 32-bit code with compat_resume().  So the long work of a
 * trap (emulation, waiting for user mode) runs outside signal context.
 */
void compat_uc_to_host(void *ucv, void (*fn)(void *), void *arg,
		       void *stack_top)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t csgsfs = (uint64_t)g[REG_CSGSFS];

	g[REG_RIP] = (greg_t)(uintptr_t)fn;
	g[REG_RSP] = (greg_t)(((uintptr_t)stack_top & ~(uintptr_t)15) - 8);
	g[REG_RDI] = (greg_t)(uintptr_t)arg;
	g[REG_EFL] &= ~(greg_t)(AFB_RFLAGS_TF | AFB_RFLAGS_DF | AFB_RFLAGS_AC);
	csgsfs = (csgsfs & 0x0000ffffffff0000ULL) | COMPAT_CS64 |
		 ((uint64_t)COMPAT_DS << 48);
	g[REG_CSGSFS] = (greg_t)csgsfs;
	uc->uc_flags |= UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	compat_sig_fs = 0;
	compat_sig_gs = 0;
}
