/* SPDX-License-Identifier: MIT */
/*
 * The PVH boot ABI (Xen's public start_info.h): what afterburn-ptrace
 * writes into guest-physical memory for a guest's PVH entry, the same
 * for a 64-bit (memory.c) and a 32-bit guest (boot32.c), and the
 * --initrd module list (initrd.c).
 */
#ifndef AFB_PTRACE_PVH_H
#define AFB_PTRACE_PVH_H

#include <stdint.h>

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

#define HVM_START_MAGIC		0x336ec578
#define HVM_MEMMAP_RAM		1
#define HVM_MEMMAP_RESERVED	2

#endif
