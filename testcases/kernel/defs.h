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
void cpu_identify(void);

// desc.c (per arch)
void seg_init(void);
void idt_init(void);
void syscall_init(void);
void cpu_setkstack(uintptr top);
void cpu_check_features(void);

// devtest.c
struct hvm_start_info;
void devtest_modules(const struct hvm_start_info *si);
void devtest_uart_intr(void);
void devtest_run(void);
void devtest_shutdown(void);

// exec.c
int exec_load(struct proc *p, const char *name);

// file.c
struct file *filealloc(void);
struct file *filedup(struct file *fp);
void fileclose(struct file *fp);
struct file *console_open(void);
long filewrite(struct file *fp, uintptr ubuf, uintptr n);
long fileread(struct file *fp, uintptr ubuf, uintptr n);

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
int pipewrite(struct pipe *pi, const char *buf, uintptr n);
long piperead(struct pipe *pi, char *buf, uintptr n);

// proc.c
int spawn(const char *name, long arg);
int fork(void);
NORETURN void exit(int status);
int wait(uintptr ustatus);
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
uintptr argraw(int n);
void syscall(struct trapframe *tf);

// sysfile.c
uintptr sys_write(void);
uintptr sys_read(void);
uintptr sys_close(void);
uintptr sys_pipe(void);

// sysproc.c
uintptr sys_exit(void);
uintptr sys_getpid(void);
uintptr sys_yield(void);
uintptr sys_fork(void);
uintptr sys_spawn(void);
uintptr sys_wait(void);
uintptr sys_sbrk(void);
uintptr sys_privloop(void);
uintptr sys_uptime(void);
uintptr sys_poweroff(void);
uintptr sys_cmdline(void);
uintptr sys_tsckhz(void);

// timer.c
extern volatile uintptr ticks;
extern uintptr tsc_khz;
void timer_init(void);
void timer_intr(void);
void tsc_calibrate(void);

// trap.c
void trap(struct trapframe *tf);

// trapasm.S
void syscall_entry(void);
void swtch(struct context **old, struct context *new);

// kmap.c (per arch)
void kvm_init(void);
uintptr kvm_root(void);

// vm.c
pte_t *uvm_create(void);
int uvm_alloc(pte_t *pgdir, uintptr start, uintptr end, int perm);
void uvm_dealloc(pte_t *pgdir, uintptr start, uintptr end);
void uvm_free(pte_t *pgdir);
int uvm_copy(pte_t *src, pte_t *dst);
char *uvm_kaddr(pte_t *pgdir, uintptr va);
int copyout(pte_t *pgdir, uintptr dstva, const void *src, uintptr len);
int copyin(pte_t *pgdir, void *dst, uintptr srcva, uintptr len);
int copyinstr(pte_t *pgdir, char *dst, uintptr srcva, uintptr max);
void switchuvm(struct proc *p);

#endif
