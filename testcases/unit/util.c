// SPDX-License-Identifier: MIT
/* Helpers shared by the unit tests; see util.h. */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char tmpdir[256];

static void remove_tmpdir(void)
{
	char cmd[300];

	if (tmpdir[0] && !getenv("AFB_KEEP_TMP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
}

const char *util_srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d && *d ? d : ".";
}

const char *util_fixtures(void)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/testcases/unit/fixtures", util_srcdir());
	return path;
}

const char *util_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0])
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/afb-test-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		fail_msg("mkdtemp %s failed", tmpdir);
	atexit(remove_tmpdir);
	return tmpdir;
}

int util_run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	return ret == -1 ? -1 : WEXITSTATUS(ret);
}

void *util_read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n ? n : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*size = n;
	return buf;
}

void util_write_file(const char *path, const void *buf, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("cannot create %s", path);
	assert_int_equal(fwrite(buf, 1, size, f), size);
	assert_int_equal(fclose(f), 0);
}

char *util_assemble_fixture(const char *file, const char *as_flags)
{
	char *out = malloc(1024);

	assert_non_null(out);
	snprintf(out, 1024, "%s/%s.o", util_tmpdir(), file);
	if (util_run("as %s -I '%s' -o '%s' '%s/%s' 2>'%s.log'", as_flags,
		     util_fixtures(), out, util_fixtures(), file, out)) {
		util_run("cat '%s.log' >&2", out);
		fail_msg("as %s %s failed", as_flags, file);
	}
	return out;
}

char *util_assemble_text(const char *name, const char *text,
			 const char *as_flags)
{
	char src[1024];
	char *out = malloc(1024);

	assert_non_null(out);
	snprintf(src, sizeof(src), "%s/%s.s", util_tmpdir(), name);
	snprintf(out, 1024, "%s/%s.o", util_tmpdir(), name);
	util_write_file(src, text, strlen(text));
	if (util_run("as %s -I '%s' -o '%s' '%s' 2>'%s.log'", as_flags,
		     util_fixtures(), out, src, out)) {
		util_run("cat '%s.log' >&2", out);
		fail_msg("as %s %s failed", as_flags, src);
	}
	return out;
}

char *util_link(const char *obj, const char *out_name, const char *ld_flags)
{
	char *out = malloc(1024);

	assert_non_null(out);
	snprintf(out, 1024, "%s/%s", util_tmpdir(), out_name);
	if (util_run("ld %s -o '%s' '%s' 2>'%s.log'", ld_flags, out, obj, out)) {
		util_run("cat '%s.log' >&2", out);
		fail_msg("ld %s %s failed", ld_flags, obj);
	}
	return out;
}

static Elf_Scn *find_scn(Elf *elf, const char *name, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t strndx;
	const char *n;

	assert_int_equal(elf_getshdrstrndx(elf, &strndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		assert_non_null(gelf_getshdr(scn, sh));
		n = elf_strptr(elf, strndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

uint8_t *util_section(const char *path, const char *name, size_t *size,
		      uint64_t *addr, uint64_t *offset)
{
	int fd = open(path, O_RDONLY);
	Elf_Data *data;
	GElf_Shdr sh;
	Elf_Scn *scn;
	uint8_t *buf;
	Elf *elf;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	scn = find_scn(elf, name, &sh);
	if (!scn)
		fail_msg("%s has no section %s", path, name);
	data = elf_rawdata(scn, NULL);
	assert_non_null(data);
	buf = malloc(data->d_size + 1);
	assert_non_null(buf);
	memcpy(buf, data->d_buf, data->d_size);
	*size = data->d_size;
	if (addr)
		*addr = sh.sh_addr;
	if (offset)
		*offset = sh.sh_offset;
	elf_end(elf);
	close(fd);
	return buf;
}

void util_load_segments(const char *path, struct afb_memory *mem, uint8_t **copy)
{
	size_t size, i, phnum;
	uint8_t *file = util_read_file(path, &size);
	uint64_t lo = UINT64_MAX, hi = 0;
	GElf_Phdr ph;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_memory((char *)file, size);
	assert_non_null(elf);
	assert_int_equal(elf_getphdrnum(elf, &phnum), 0);
	for (i = 0; i < phnum; i++)
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
			lo = ph.p_vaddr < lo ? ph.p_vaddr : lo;
			hi = ph.p_vaddr + ph.p_memsz > hi ? ph.p_vaddr + ph.p_memsz : hi;
		}
	mem->vaddr = lo;
	mem->size = hi - lo;
	mem->base = calloc(1, mem->size);
	*copy = malloc(mem->size);
	assert_non_null(mem->base);
	assert_non_null(*copy);
	for (i = 0; i < phnum; i++)
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD)
			memcpy(mem->base + (ph.p_vaddr - lo), file + ph.p_offset,
			       ph.p_filesz);
	memcpy(*copy, mem->base, mem->size);
	elf_end(elf);
	free(file);
}
