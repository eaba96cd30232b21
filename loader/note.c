// SPDX-License-Identifier: MIT
/*
 * Walking the ELF notes of one section and checking the Afterburn ones
 * (doc/notes.md, "What a reader checks").  Every offset is checked against
 * the section size before it is used, in a way that cannot overflow, and
 * every field is read byte by byte in little-endian order: the buffer may
 * be unaligned and the input hostile (the fuzz target feeds it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "note.h"
#include "table.h"

#define NOTE_HEADER	12	/* n_namesz, n_descsz, n_type */
#define SITE_DESC	12	/* sizeof(struct afb_note_site) */
#define MODE_DESC	8	/* sizeof(struct afb_note_mode) */
#define OBJECT_DESC	8	/* sizeof(struct afb_note_object) */
#define DATA_DESC	12	/* sizeof(struct afb_note_data) */
#define AREA_DESC	32	/* sizeof(struct afb_note_area) */

_Static_assert(sizeof(struct afb_note_site) == SITE_DESC, "note site size");
_Static_assert(sizeof(struct afb_note_mode) == MODE_DESC, "note mode size");
_Static_assert(sizeof(struct afb_note_object) == OBJECT_DESC, "note object size");
_Static_assert(sizeof(struct afb_note_data) == DATA_DESC, "note data size");
_Static_assert(sizeof(struct afb_note_area) == AREA_DESC, "note area size");

/* A note header as it is in the section. */
struct note_header {
	uint32_t namesz;		/* owner name bytes, NUL included */
	uint32_t descsz;		/* descriptor bytes */
	uint32_t type;			/* n_type */
	size_t name;			/* offset of the name in the section */
	size_t desc;			/* offset of the descriptor */
	size_t next;			/* offset of the next note */
};

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static uint16_t get_le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

/* @n rounded up to @align, or SIZE_MAX if that overflows. */
static size_t align_up(size_t n, size_t align)
{
	if (n > SIZE_MAX - (align - 1))
		return SIZE_MAX;
	return (n + align - 1) & ~(align - 1);
}

/*
 * Read the header at @off and check that name and descriptor lie inside
 * the section.  The last note may end without padding.
 */
static int read_header(const uint8_t *buf, size_t size, size_t off,
		       size_t align, struct note_header *h)
{
	size_t name_end, desc_end;

	if (size - off < NOTE_HEADER)
		return -1;
	h->namesz = get_le32(buf + off);
	h->descsz = get_le32(buf + off + 4);
	h->type = get_le32(buf + off + 8);
	h->name = off + NOTE_HEADER;
	if (h->namesz > size - h->name)
		return -1;
	name_end = align_up(h->name + h->namesz, align);
	h->desc = name_end < size ? name_end : size;
	if (h->descsz > size - h->desc)
		return -1;
	desc_end = align_up(h->desc + h->descsz, align);
	h->next = desc_end < size ? desc_end : size;
	return 0;
}

static bool is_ours(const uint8_t *buf, const struct note_header *h)
{
	return h->namesz == sizeof(AFB_NOTE_NAME) &&
	       !memcmp(buf + h->name, AFB_NOTE_NAME, sizeof(AFB_NOTE_NAME));
}

/* Why a site entry is bad, or NULL if it is good. */
static const char *check_site(const struct afb_note_site *s,
			      char *why, size_t len)
{
	const struct afb_kind_desc *k;

	if (s->kind == 0 || s->kind > AFB_KIND_MAX || !afb_kinds[s->kind].name ||
	    !afb_kinds[s->kind].name[0]) {
		snprintf(why, len, "unknown kind %u", s->kind);
		return why;
	}
	k = &afb_kinds[s->kind];
	if (s->mode != 16 && s->mode != 32 && s->mode != 64)
		snprintf(why, len, "%s site: mode %u is not 16, 32 or 64", k->name, s->mode);
	else if (s->insn_len == 0 || s->insn_len > 15)
		snprintf(why, len, "%s site: instruction length %u is not 1..15", k->name, s->insn_len);
	else if (s->len < s->insn_len)
		snprintf(why, len, "%s site: length %u is shorter than its instruction (%u)",
			 k->name, s->len, s->insn_len);
	else if (s->len < k->site_len)
		snprintf(why, len, "%s site: length %u is below the kind's minimum of %u",
			 k->name, s->len, k->site_len);
	else
		return NULL;
	return why;
}

static void read_site(const uint8_t *d, struct afb_note_site *s)
{
	s->site = (int32_t)get_le32(d);
	s->version = d[4];
	s->kind = d[5];
	s->len = d[6];
	s->insn_len = d[7];
	s->mode = d[8];
	s->flags = d[9];
	s->reserved = get_le16(d + 10);
}

static void read_mode(const uint8_t *d, struct afb_note_mode *m)
{
	m->at = (int32_t)get_le32(d);
	m->version = d[4];
	m->mode = d[5];
	m->flags = d[6];
	m->reserved = d[7];
}

static void read_data(const uint8_t *d, struct afb_note_data *x)
{
	x->at = (int32_t)get_le32(d);
	x->version = d[4];
	x->reserved = d[5];
	x->reserved2 = get_le16(d + 6);
	x->size = get_le32(d + 8);
}

/* The descriptor size of note type @type, 0 if the type is unknown. */
static size_t desc_size(uint32_t type)
{
	switch (type) {
	case AFB_NT_SITE: return SITE_DESC;
	case AFB_NT_MODE: return MODE_DESC;
	case AFB_NT_OBJECT: return OBJECT_DESC;
	case AFB_NT_DATA: return DATA_DESC;
	case AFB_NT_AREA: return AREA_DESC;
	}
	return 0;
}

/* Decode and check one of our notes into @e; NULL or why it is bad. */
static const char *check_entry(const uint8_t *buf, const struct note_header *h,
			       struct afb_note_entry *e, char *why, size_t len)
{
	size_t want = desc_size(h->type);

	if (!want) {
		snprintf(why, len, "unknown note type %u", h->type);
		return why;
	}
	if (h->descsz != want) {
		snprintf(why, len, "descriptor of type %u is %u bytes, not %zu",
			 h->type, h->descsz, want);
		return why;
	}
	if (buf[h->desc + 4] != AFB_NOTE_VERSION) {
		snprintf(why, len, "version %u (this reader knows %u)",
			 buf[h->desc + 4], AFB_NOTE_VERSION);
		return why;
	}
	e->type = h->type;
	e->field = h->desc;
	if (h->type == AFB_NT_OBJECT) {
		e->object.version = buf[h->desc + 4];
		return NULL;
	}
	if (h->type == AFB_NT_DATA) {
		read_data(buf + h->desc, &e->data);
		return NULL;
	}
	if (h->type == AFB_NT_AREA) {
		e->area.version = buf[h->desc + 4];
		e->area.vaddr = get_le64(buf + h->desc + 8);
		e->area.paddr = get_le64(buf + h->desc + 16);
		e->area.size = get_le64(buf + h->desc + 24);
		if (e->area.size && e->area.vaddr + e->area.size > e->area.vaddr &&
		    e->area.paddr + e->area.size > e->area.paddr)
			return NULL;
		snprintf(why, len, "area of 0x%llx bytes at 0x%llx (physical 0x%llx) is empty or wraps",
			 (unsigned long long)e->area.size,
			 (unsigned long long)e->area.vaddr,
			 (unsigned long long)e->area.paddr);
		return why;
	}
	if (h->type == AFB_NT_MODE) {
		read_mode(buf + h->desc, &e->mode);
		if (e->mode.mode == 16 || e->mode.mode == 32 || e->mode.mode == 64)
			return NULL;
		snprintf(why, len, "mode switch to %u (not 16, 32 or 64)", e->mode.mode);
		return why;
	}
	read_site(buf + h->desc, &e->site);
	return check_site(&e->site, why, len);
}

/**
 * afb_note_parse - walk the notes of one section
 * @buf, @size: the section's bytes
 * @align:   note alignment: 4, or 8 for a section aligned to 8 bytes
 * @section: the section's name, for messages
 * @fn, @ctx: called for every valid Afterburn entry, in order
 * @err:     describes the first bad note
 *
 * Notes of other owners are skipped.  A note that runs past the section,
 * or an Afterburn note that fails a check, stops the walk with -EINVAL
 * and a message naming @section and the note's offset.  Returns 0 or the
 * first nonzero value @fn returned.
 */
int afb_note_parse(const uint8_t *buf, size_t size, size_t align,
		   const char *section, afb_note_fn fn, void *ctx,
		   struct afb_error *err)
{
	struct afb_note_entry e;
	struct note_header h;
	const char *bad;
	char why[160];
	size_t off;
	int ret;

	if (align != 8)
		align = 4;
	for (off = 0; off < size; off = h.next) {
		if (read_header(buf, size, off, align, &h))
			return afb_error_set(err, -EINVAL,
				"section %s, offset 0x%zx: note runs past the end of the section (%zu bytes)",
				section, off, size);
		if (!is_ours(buf, &h))
			continue;
		memset(&e, 0, sizeof(e));
		e.offset = off;
		bad = check_entry(buf, &h, &e, why, sizeof(why));
		if (bad)
			return afb_error_set(err, -EINVAL,
				"section %s, offset 0x%zx: bad Afterburn note: %s",
				section, off, bad);
		ret = fn(ctx, &e, err);
		if (ret)
			return ret;
	}
	return 0;
}
