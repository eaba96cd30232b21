// The subset of the ELF32 format the program loader (exec.c) reads.
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
	u32 entry;
	u32 phoff;
	u32 shoff;
	u32 flags;
	u16 ehsize;
	u16 phentsize;
	u16 phnum;
	u16 shentsize;
	u16 shnum;
	u16 shstrndx;
};

struct proghdr {                 // ELF32 keeps flags after the sizes
	u32 type;
	u32 off;
	u32 vaddr;
	u32 paddr;
	u32 filesz;
	u32 memsz;
	u32 flags;
	u32 align;
};

#define ELF_PROG_LOAD   1
#define ELF_PROG_FLAG_W 2
#define EM_386          3
#define ELF_MACHINE     EM_386   // what exec.c accepts

#endif
