// The PVH boot ABI (Xen's "x86/HVM direct boot", also used by QEMU's
// -kernel for ELF images): the loader passes the physical address of this
// structure in %ebx (32-bit entry) or %rdi (our 64-bit entry).
#ifndef KERNEL_PVH_H
#define KERNEL_PVH_H

#define XEN_ELFNOTE_PHYS32_ENTRY 18          // note type of the 32-bit entry
#define HVM_START_MAGIC 0x336ec578           // "xEn3" with 0x80 set in 'E'
#define HVM_MEMMAP_RAM  1

#ifndef __ASSEMBLER__
#include "types.h"

struct hvm_start_info {
	u32 magic;               // HVM_START_MAGIC
	u32 version;             // 0 has no memory map, 1 does
	u32 flags;
	u32 nr_modules;
	u64 modlist_paddr;
	u64 cmdline_paddr;       // NUL-terminated command line, 0 if none
	u64 rsdp_paddr;
	u64 memmap_paddr;        // version >= 1: array of hvm_memmap_entry
	u32 memmap_entries;
	u32 reserved;
};

struct hvm_memmap_entry {
	u64 addr;
	u64 size;
	u32 type;                // HVM_MEMMAP_RAM = usable
	u32 reserved;
};
#endif

#endif
