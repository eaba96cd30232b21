/* SPDX-License-Identifier: MIT */
/*
 * Crafted linked images for the tests of images that lie (issue 9): a
 * small ELF64 x86-64 executable written byte by byte, so that each
 * variant differs from a good image in exactly one way that no linker
 * would produce.  Used by the unit tests (test_image, test_patch) and by
 * the command-line generator mkimage (testcases/sites/crafted.sh).
 *
 * The good image: one R+X PT_LOAD from file offset 0 at CRAFT_BASE that
 * holds the headers, .text (CRAFT_TEXT, CRAFT_TEXT_SIZE bytes: a cli site
 * at +0 and an out site at +7, nops, ret) and .notes (their Afterburn
 * notes, also a PT_NOTE); then .shstrtab and the section headers.  No
 * guest runs it: it is for the readers of images.
 */
#ifndef AFB_TEST_CRAFT_H
#define AFB_TEST_CRAFT_H

#include <stddef.h>
#include <stdint.h>

#define CRAFT_BASE	0x400000ULL
#define CRAFT_TEXT_OFF	0x100
#define CRAFT_TEXT	(CRAFT_BASE + CRAFT_TEXT_OFF)
#define CRAFT_TEXT_SIZE	0x40
#define CRAFT_ALIAS_TEXT 0x600100ULL

enum craft_variant {
	CRAFT_GOOD,		/* two good sites in .text */
	CRAFT_SPLIT,		/* .text's sh_offset names a copy at the end
				   of the file; the PT_LOAD maps the original */
	CRAFT_SPLIT_HIDDEN,	/* as SPLIT, and the loaded code has a cli
				   (fa) where the copy has a nop (90) */
	CRAFT_OVERLAP,		/* .alt overlaps .text; an out site in .text
				   and a cli site in .alt share bytes */
	CRAFT_ALIAS,		/* a second R+X PT_LOAD (and section .text2)
				   maps .text's file bytes at CRAFT_ALIAS_TEXT,
				   with a site of its own: two sites, one
				   place in the file */
	CRAFT_CUT_PHDRS,	/* cut inside the program header table */
	CRAFT_CUT_SEGMENT,	/* cut inside the PT_LOAD segment (.text) */
	CRAFT_CUT_SHDRS,	/* the last byte of the section headers cut */
	CRAFT_CUT_SECTION,	/* a section after the section headers cut */
	CRAFT_NR_VARIANTS
};

/* The variant's name ("good", "split", ... "cut-section"), or NULL. */
const char *craft_name(enum craft_variant v);

/* The image (malloc'd) and its size; NULL for an unknown variant. */
uint8_t *craft_image(enum craft_variant v, size_t *size);

#endif
