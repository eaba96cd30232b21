// Functions shared between kernel files, grouped by the file defining them.
#ifndef KERNEL_DEFS_H
#define KERNEL_DEFS_H

#include "types.h"

struct context;
struct file;
struct hvm_memmap_entry;
struct pipe;
struct proc;
struct trapframe;

#define NORETURN __attribute__((noreturn))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

#define POWEROFF_PANIC 0x7f      // machine_poweroff status after a panic

// console.c
void uart_init(void);
void console_putc(int c);
void console_write(const char *s, size_t n);
void kprintf(const char *fmt, ...) PRINTF(1, 2);
NORETURN void panic(const char *fmt, ...) PRINTF(1, 2);

// cpu.c
void seg_init(void);
void syscall_init(void);
void cpu_setkstack(u64 top);
void cpu_identify(void);

// exec.c
int exec_load(struct proc *p, const char *name);

// file.c
struct file *filealloc(void);
struct file *filedup(struct file *fp);
void fileclose(struct file *fp);
struct file *console_open(void);
long filewrite(struct file *fp, u64 ubuf, u64 n);
long fileread(struct file *fp, u64 ubuf, u64 n);

// kalloc.c
void kinit(const struct hvm_memmap_entry *map, int n);
void *kalloc(void);
void kfree(void *va);

// main.c
extern char cmdline[];
NORETURN void machine_poweroff(int status);

// picirq.c
void pic_init(void);
void pic_eoi(int irq);
void pic_spurious(int irq);

// pipe.c
int pipealloc(struct file **rf, struct file **wf);
void pipeclose(struct pipe *pi, int writable);
int pipewrite(struct pipe *pi, const char *buf, u64 n);
long piperead(struct pipe *pi, char *buf, u64 n);

// proc.c
int spawn(const char *name, long arg);
int fork(void);
NORETURN void exit(int status);
int wait(u64 ustatus);
void sched(void);
void yield(void);
void sleep(void *chan);
void wakeup(void *chan);
NORETURN void scheduler(void);

// string.c
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);
char *safestrcpy(char *dst, const char *src, size_t n);

// syscall.c
u64 argraw(int n);
void syscall(struct trapframe *tf);

// sysfile.c
u64 sys_write(void);
u64 sys_read(void);
u64 sys_close(void);
u64 sys_pipe(void);

// sysproc.c
u64 sys_exit(void);
u64 sys_getpid(void);
u64 sys_yield(void);
u64 sys_fork(void);
u64 sys_spawn(void);
u64 sys_wait(void);
u64 sys_sbrk(void);
u64 sys_privloop(void);
u64 sys_uptime(void);
u64 sys_poweroff(void);
u64 sys_cmdline(void);
u64 sys_tsckhz(void);

// timer.c
extern volatile u64 ticks;
extern u64 tsc_khz;
void timer_init(void);
void timer_intr(void);
void tsc_calibrate(void);

// trap.c
void idt_init(void);
void trap(struct trapframe *tf);

// trapasm.S
void syscall_entry(void);
void swtch(struct context **old, struct context *new);

// vm.c
void kvm_init(void);
u64 kvm_root(void);
pte_t *uvm_create(void);
int uvm_alloc(pte_t *pml4, u64 start, u64 end, int perm);
void uvm_dealloc(pte_t *pml4, u64 start, u64 end);
void uvm_free(pte_t *pml4);
int uvm_copy(pte_t *src, pte_t *dst);
char *uvm_kaddr(pte_t *pml4, u64 va);
int copyout(pte_t *pml4, u64 dstva, const void *src, u64 len);
int copyin(pte_t *pml4, void *dst, u64 srcva, u64 len);
int copyinstr(pte_t *pml4, char *dst, u64 srcva, u64 max);
void switchuvm(struct proc *p);

#endif
