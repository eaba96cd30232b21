/* SPDX-License-Identifier: MIT */
/* lx.h: the little run-time of the Linux user programs that
 * make check-linux-ptrace and make bench-linux-ptrace put into a guest
 * Linux (testcases/linux/ptrace/hostile.c, bench/lx-ops.c).
 *
 * No libc: this machine has no i386 libc (gcc-multilib), and the guest is
 * a tinyconfig Linux, so the programs are built with
 *   gcc -m32 (or -m64) -static -nostdlib -ffreestanding -fno-pic
 *       -fno-stack-protector -O2
 * and make their system calls themselves, through the ABI of the build:
 * i386 (int $0x80, numbers of arch/x86/entry/syscalls/syscall_32.tbl) or
 * x86-64 (syscall, syscall_64.tbl).  Only calls that a tinyconfig Linux
 * has are used: the 64-bit time calls on i386 (no COMPAT_32BIT_TIME), no
 * POSIX timers, no /proc.
 *
 * One file per program includes this; it defines _start, memset and
 * memcpy (gcc may call those), and calls the program's
 *   int lx_main(int argc, char **argv, char **envp);
 * whose value is the exit status.  Output: lx_printf (%s %c %d %ld %u
 * %lu %x %lx %llu %p, a width for numbers), one write(2) per call.
 */
#ifndef LX_H
#define LX_H

typedef unsigned long long u64;
typedef long long s64;

#if defined(__i386__)
#define LX_ARCH "i386"
enum {
	NR_exit = 1, NR_fork = 2, NR_read = 3, NR_write = 4, NR_open = 5,
	NR_close = 6, NR_execve = 11, NR_getpid = 20, NR_mount = 21,
	NR_kill = 37, NR_mkdir = 39, NR_pipe = 42, NR_umask = 60,
	NR_getppid = 64, NR_reboot = 88, NR_munmap = 91, NR_wait4 = 114,
	NR_sigreturn = 119, NR_clone = 120, NR_rt_sigaction = 174,
	NR_rt_sigprocmask = 175, NR_mmap = 192 /* mmap2: offset in pages */,
	NR_sched_setaffinity = 241, NR_sched_getaffinity = 242,
	NR_sched_yield = 158, NR_set_thread_area = 243,
	NR_exit_group = 252, NR_clock_gettime = 403 /* clock_gettime64 */,
	NR_clock_nanosleep = 407 /* clock_nanosleep_time64 */,
};
#elif defined(__x86_64__)
#define LX_ARCH "x86_64"
enum {
	NR_read = 0, NR_write = 1, NR_open = 2, NR_close = 3, NR_mmap = 9,
	NR_munmap = 11, NR_rt_sigaction = 13, NR_rt_sigprocmask = 14,
	NR_pipe = 22, NR_sched_yield = 24, NR_getpid = 39, NR_clone = 56,
	NR_fork = 57, NR_execve = 59, NR_exit = 60, NR_wait4 = 61,
	NR_kill = 62, NR_mkdir = 83, NR_umask = 95, NR_getppid = 110,
	NR_reboot = 169, NR_mount = 165, NR_sched_setaffinity = 203,
	NR_sched_getaffinity = 204, NR_clock_gettime = 228,
	NR_clock_nanosleep = 230, NR_exit_group = 231,
};
#else
#error "lx.h: i386 or x86-64 only"
#endif

#if defined(__i386__)
static inline long lx_sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	long r;

	/* %ebp is the sixth argument, and may be gcc's frame pointer: these
	 * programs pass 0 there (mmap2's page offset) and nothing else. */
	(void)f;
	__asm__ volatile("push %%ebp\n\txor %%ebp, %%ebp\n\tint $0x80\n\tpop %%ebp"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory");
	return r;
}
#else
static inline long lx_sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}
#endif

#define lx_sys0(n) lx_sys6(n, 0, 0, 0, 0, 0, 0)
#define lx_sys1(n, a) lx_sys6(n, (long)(a), 0, 0, 0, 0, 0)
#define lx_sys2(n, a, b) lx_sys6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define lx_sys3(n, a, b, c) lx_sys6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define lx_sys4(n, a, b, c, d) lx_sys6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* Results: -4095..-1 is -errno. */
static inline int lx_err(long r) { return r < 0 && r > -4096; }

#define LX_EPERM 1
#define LX_ENOENT 2
#define LX_EFAULT 14
#define LX_EINVAL 22
#define LX_ENOSYS 38

#define LX_O_RDONLY 0
#define LX_PROT_READ 1
#define LX_PROT_WRITE 2
#define LX_MAP_PRIVATE 2
#define LX_MAP_FIXED 0x10
#define LX_MAP_ANONYMOUS 0x20
#define LX_SIG_BLOCK 0
#define LX_SIGKILL 9
#define LX_SIGSEGV 11
#define LX_SIGCHLD 17
#define LX_CLOCK_MONOTONIC 1

/* wait status */
#define LX_WIFEXITED(s) (((s) & 0x7f) == 0)
#define LX_WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define LX_WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define LX_WTERMSIG(s) ((s) & 0x7f)

struct lx_timespec {		/* __kernel_timespec: 64-bit on both */
	s64 tv_sec;
	s64 tv_nsec;
};

void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

static inline __attribute__((noreturn)) void lx_exit(int status)
{
	for (;;)
		lx_sys1(NR_exit_group, status);
}

static inline long lx_write(int fd, const void *p, unsigned long n)
{
	return lx_sys3(NR_write, fd, p, n);
}

static inline long lx_getpid(void) { return lx_sys0(NR_getpid); }

static inline long lx_fork(void) { return lx_sys0(NR_fork); }

static inline long lx_wait(long pid, int *status)
{
	return lx_sys4(NR_wait4, pid, status, 0, 0);
}

static inline void *lx_mmap(void *addr, unsigned long len, int prot, int flags)
{
	return (void *)lx_sys6(NR_mmap, (long)addr, (long)len, prot, flags, -1, 0);
}

static inline long lx_munmap(void *addr, unsigned long len)
{
	return lx_sys2(NR_munmap, addr, len);
}

static inline u64 lx_now_ns(void)
{
	struct lx_timespec ts;

	lx_sys2(NR_clock_gettime, LX_CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

static inline void lx_sleep_ms(long ms)
{
	struct lx_timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	lx_sys4(NR_clock_nanosleep, LX_CLOCK_MONOTONIC, 0, &ts, 0);
}

/* u64 / u64 without libgcc (i386 has no 64-bit divide instruction, and
 * there is no 32-bit libgcc here). */
static inline u64 lx_udiv(u64 n, u64 d, u64 *rem)
{
	u64 q = 0, r = 0;

	for (int i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ULL << i;
		}
	}
	if (rem)
		*rem = r;
	return q;
}

static inline unsigned long lx_strlen(const char *s)
{
	unsigned long n = 0;

	while (s[n])
		n++;
	return n;
}

static inline int lx_strncmp(const char *a, const char *b, unsigned long n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

static inline long lx_atol(const char *s)
{
	long v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

/* Formatting into a line buffer. */
struct lx_buf {
	char b[512];
	unsigned n;
};

static inline void lx_putc(struct lx_buf *o, char c)
{
	if (o->n < sizeof(o->b))
		o->b[o->n++] = c;
}

static inline void lx_putu(struct lx_buf *o, u64 v, unsigned base, int width)
{
	char d[24];
	int n = 0;

	do {
		u64 r;

		v = lx_udiv(v, base, &r);
		d[n++] = "0123456789abcdef"[r];
	} while (v);
	while (width-- > n)
		lx_putc(o, ' ');
	while (n)
		lx_putc(o, d[--n]);
}

static inline void lx_vfmt(struct lx_buf *o, const char *f, __builtin_va_list ap)
{
	for (; *f; f++) {
		int width = 0, lng = 0;

		if (*f != '%') {
			lx_putc(o, *f);
			continue;
		}
		f++;
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		while (*f == 'l') {
			lng++;
			f++;
		}
		switch (*f) {
		case 's': {
			const char *s = __builtin_va_arg(ap, const char *);

			for (s = s ? s : "(null)"; *s; s++)
				lx_putc(o, *s);
			break;
		}
		case 'c':
			lx_putc(o, (char)__builtin_va_arg(ap, int));
			break;
		case 'd': {
			s64 v = lng >= 2 ? __builtin_va_arg(ap, s64) :
				lng ? __builtin_va_arg(ap, long) : __builtin_va_arg(ap, int);

			if (v < 0) {
				lx_putc(o, '-');
				v = -v;
			}
			lx_putu(o, (u64)v, 10, width);
			break;
		}
		case 'u':
		case 'x': {
			u64 v = lng >= 2 ? __builtin_va_arg(ap, u64) :
				lng ? __builtin_va_arg(ap, unsigned long) :
				__builtin_va_arg(ap, unsigned int);

			lx_putu(o, v, *f == 'x' ? 16 : 10, width);
			break;
		}
		case 'p':
			lx_putc(o, '0');
			lx_putc(o, 'x');
			lx_putu(o, (unsigned long)__builtin_va_arg(ap, void *), 16, 0);
			break;
		default:
			lx_putc(o, '%');
			lx_putc(o, *f);
			break;
		}
	}
}

static inline __attribute__((format(printf, 1, 2))) void lx_printf(const char *f, ...)
{
	struct lx_buf o;
	__builtin_va_list ap;

	o.n = 0;
	__builtin_va_start(ap, f);
	lx_vfmt(&o, f, ap);
	__builtin_va_end(ap);
	lx_write(1, o.b, o.n);
}

static inline __attribute__((format(printf, 2, 3)))
void lx_bprintf(struct lx_buf *o, const char *f, ...)
{
	__builtin_va_list ap;

	__builtin_va_start(ap, f);
	lx_vfmt(o, f, ap);
	__builtin_va_end(ap);
}

/* ns per op with two decimals, from a total over n ops. */
static inline void lx_ns_per_op(struct lx_buf *o, u64 total_ns, u64 n)
{
	u64 c = lx_udiv(total_ns * 100, n, 0), r;
	u64 whole = lx_udiv(c, 100, &r);

	lx_putu(o, whole, 10, 0);
	lx_putc(o, '.');
	lx_putc(o, (char)('0' + r / 10));
	lx_putc(o, (char)('0' + r % 10));
}

void *memset(void *d, int c, unsigned long n)
{
	volatile unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	volatile unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

/* The auxiliary vector, for those who look (AT_SYSINFO: the vDSO entry). */
static unsigned long *lx_auxv;
#define LX_AT_SYSINFO 32

static inline unsigned long lx_getauxval(unsigned long type)
{
	for (unsigned long *a = lx_auxv; a && a[0]; a += 2)
		if (a[0] == type)
			return a[1];
	return 0;
}

int lx_main(int argc, char **argv, char **envp);

__attribute__((used, noreturn)) static void lx_start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char **e = envp;

	while (*e)
		e++;
	lx_auxv = (unsigned long *)(e + 1);
	lx_exit(lx_main(argc, argv, envp));
}

#if defined(__i386__)
__asm__(".text\n\t.globl _start\n_start:\n\t"
	"xor %ebp, %ebp\n\tmov %esp, %eax\n\tand $-16, %esp\n\t"
	"sub $12, %esp\n\tpush %eax\n\tcall lx_start_c\n\thlt\n");
#else
__asm__(".text\n\t.globl _start\n_start:\n\t"
	"xor %ebp, %ebp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\t"
	"call lx_start_c\n\thlt\n");
#endif

static inline const char *lx_getenv(char **envp, const char *name)
{
	unsigned long n = lx_strlen(name);

	for (; envp && *envp; envp++)
		if (lx_strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return 0;
}

#endif
