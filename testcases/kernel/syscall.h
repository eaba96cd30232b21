// System call numbers and the few constants user programs share with the
// kernel. Included by both sides: keep it to plain #defines.
//
// Calling convention (Linux's): on x86-64, number in %rax, arguments in
// %rdi, %rsi, %rdx, %r10, the `syscall` instruction, result in %rax; on
// i386, number in %eax, arguments in %ebx, %ecx, %edx, %esi,
// `int $SYSCALL_VECTOR`, result in %eax. -1 on error.
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#define SYS_write     1
#define SYS_read      2
#define SYS_exit      3
#define SYS_getpid    4
#define SYS_yield     5
#define SYS_fork      6
#define SYS_spawn     7
#define SYS_wait      8
#define SYS_pipe      9
#define SYS_close     10
#define SYS_sbrk      11
#define SYS_privloop  12
#define SYS_uptime    13
#define SYS_poweroff  14
#define SYS_cmdline   15
#define SYS_tsckhz    16
#define SYS_nsyscall  17

#define SYSCALL_VECTOR 0x40   // i386: the one gate user code may use

// privloop(kind, n): privileged-operation loops run inside the kernel.
#define PRIV_IRQ      0   // n x (cli; sti; pushf; popf)
#define PRIV_CR3      1   // n page-table switches (mov %cr3) between two roots

// A process killed by a fault exits with this status; exit() keeps only
// the low 8 bits of voluntary exit codes, so the two never collide.
#define EXIT_KILLED(trapno) (0x100 | (trapno))

#define TICK_HZ 250       // timer interrupt rate (kernel param.h HZ)

#endif
