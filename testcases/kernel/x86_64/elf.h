// The subset of the ELF64 format the program loader (exec.c) reads.
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include "types.h"

#define ELF_MAGIC 0x464c457fU    // "\x7fELF" read little-endian

struct elfhdr {
	u32 magic;
	u8 elf[12];
	u16 type;
	u16 machine;
	u32 version;
	u64 entry;
	u64 phoff;
	u64 shoff;
	u32 flags;
	u16 ehsize;
	u16 phentsize;
	u16 phnum;
	u16 shentsize;
	u16 shnum;
	u16 shstrndx;
};

struct proghdr {
	u32 type;
	u32 flags;
	u64 off;
	u64 vaddr;
	u64 paddr;
	u64 filesz;
	u64 memsz;
	u64 align;
};

#define ELF_PROG_LOAD   1
#define ELF_PROG_FLAG_W 2
#define EM_X86_64       62
#define ELF_MACHINE     EM_X86_64   // what exec.c accepts

#endif
