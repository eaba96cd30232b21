// The open-file table: reference-counted files that descriptors point to.
// Reads and writes take user addresses and move the data in bounded
// chunks through a kernel buffer.

#include "types.h"
#include "defs.h"
#include "file.h"
#include "param.h"
#include "proc.h"
#include "x86.h"

#define CHUNK 256

static struct file ftable[NFILE];

struct file *filealloc(void)
{
	uintptr f = intr_save();
	for (struct file *fp = ftable; fp < &ftable[NFILE]; fp++) {
		if (fp->ref == 0) {
			fp->ref = 1;
			intr_restore(f);
			return fp;
		}
	}
	intr_restore(f);
	return NULL;
}

struct file *filedup(struct file *fp)
{
	if (fp->ref < 1)
		panic("filedup");
	fp->ref++;
	return fp;
}

// Drop a reference; the last one closes the console or the pipe end.
void fileclose(struct file *fp)
{
	if (fp->ref < 1)
		panic("fileclose");
	if (--fp->ref > 0)
		return;
	if (fp->type == FD_PIPE)
		pipeclose(fp->pipe, fp->writable);
	fp->type = FD_NONE;
}

// A new reference to a console file (read is not supported: -1).
struct file *console_open(void)
{
	struct file *fp = filealloc();
	if (!fp)
		panic("console_open");
	fp->type = FD_CONSOLE;
	fp->writable = 1;
	return fp;
}

// Write n bytes from user address ubuf. Returns n, or -1 if nothing could
// be written; a pipe whose reader went away ends the write early.
long filewrite(struct file *fp, uintptr ubuf, uintptr n)
{
	char buf[CHUNK];
	uintptr done = 0;
	if (!fp->writable)
		return -1;
	while (done < n) {
		uintptr m = n - done < CHUNK ? n - done : CHUNK;
		if (copyin(myproc()->pgdir, buf, ubuf + done, m) < 0)
			return done ? (long)done : -1;
		if (fp->type == FD_CONSOLE)
			console_write(buf, m);
		else if (pipewrite(fp->pipe, buf, m) < 0)
			return done ? (long)done : -1;
		done += m;
	}
	return done;
}

// Read up to n bytes into user address ubuf; 0 at end of file.
long fileread(struct file *fp, uintptr ubuf, uintptr n)
{
	char buf[CHUNK];
	if (!fp->readable || fp->type != FD_PIPE)
		return -1;
	if (n > CHUNK)
		n = CHUNK;
	long m = piperead(fp->pipe, buf, n);
	if (m > 0 && copyout(myproc()->pgdir, ubuf, buf, m) < 0)
		return -1;
	return m;
}
