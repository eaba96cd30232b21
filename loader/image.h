/* SPDX-License-Identifier: MIT */
/*
 * Internal interfaces between the files of libafterburn: the image
 * object behind struct afb_image, and the instruction helpers that the
 * validator shares with the decoder.
 */
#ifndef AFB_LOADER_IMAGE_H
#define AFB_LOADER_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gelf.h>

#include <afterburn/afterburn.h>

#define AFB_INSN_MAX	15	/* architectural instruction length limit */
#define AFB_NO_FILE	UINT64_MAX /* afb_site.file_offset: not in the file */

/* An opened ELF file and the sites its notes describe. */
struct afb_image {
	char *name;			/* file name, for messages */
	const uint8_t *buf;		/* the whole file */
	size_t size;			/* bytes at buf */
	void *map;			/* our read-only mapping, or NULL */
	Elf *elf;			/* libelf handle on buf */
	bool relocatable;		/* ET_REL */
	unsigned int default_mode;	/* 32 (ELFCLASS32) or 64 */
	size_t shnum;			/* section headers, 0 if none */
	size_t shstrndx;		/* section name string table */
	struct afb_site *sites;		/* sorted by section, then address */
	size_t *site_scn;		/* section index of each site, 0: none */
	size_t nr_sites;
	size_t cap_sites;		/* allocated entries of sites/site_scn */
	struct afb_mode_switch *switches; /* in note order */
	size_t nr_switches;
	size_t cap_switches;
	struct afb_data_range *data;	/* in note order */
	size_t nr_data;
	size_t cap_data;
	struct afb_area *areas;		/* AFB_NT_AREA, in note order */
	size_t nr_areas;
	size_t cap_areas;
	size_t nr_notes;		/* Afterburn notes of every type */
};

/* layout.c */
int afb_image_check_layout(const struct afb_image *img, struct afb_error *err);

/* decode.c */
int afb_decode_modrm(const uint8_t *bytes, size_t avail, size_t pos,
		     struct afb_insn *insn);

/* nops.c */
bool afb_nops_valid(const uint8_t *bytes, size_t len, unsigned int mode);

#endif
