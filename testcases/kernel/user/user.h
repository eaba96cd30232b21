// The user-side library: system call stubs (usys.S) and a few helpers
// (ulib.c). User programs are ordinary freestanding programs built with
// the plain toolchain; they know nothing of the host either.
#ifndef USER_USER_H
#define USER_USER_H

#include "../syscall.h"
#include <stdarg.h>

#ifdef __x86_64__
typedef unsigned long u64;
#else
typedef unsigned long long u64;
#endif

// usys.S: one stub per system call; -1 on error.
int write(int fd, const void *buf, long n);
int read(int fd, void *buf, long n);
__attribute__((noreturn)) void exit(int status);
int getpid(void);
int yield(void);
int fork(void);
int spawn(const char *name, long arg);
int wait(int *status);
int pipe(int fds[2]);
int close(int fd);
void *sbrk(long n);
long privloop(int kind, long n);
long uptime(void);
__attribute__((noreturn)) void poweroff(int status);
long cmdline(char *buf, long n);
long tsckhz(void);
long syscall_raw(long num, long a0, long a1, long a2);

// ulib.c
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, int n, const char *fmt, va_list ap);
int snprintf(char *buf, int n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
long strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, long n);
void *memset(void *dst, int c, long n);
void *memcpy(void *dst, const void *src, long n);
long atol(const char *s);

// Operand-size suffix and stack pointer for inline asm that must name them.
#ifdef __x86_64__
#define ASM_SUFFIX "q"
#define ASM_SP "rsp"
#else
#define ASM_SUFFIX "l"
#define ASM_SP "esp"
#endif

static inline u64 rdtsc(void)
{
	unsigned lo, hi;
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

// init.c: the test and benchmark drivers share these.
void test_pass(const char *name);
void test_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// tests.c, bench.c
int run_tests(void);             // returns the number of tests it ran
int count_tests(void);
void run_benchmarks(long base);
int count_benchmarks(void);

#endif
