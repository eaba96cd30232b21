// Pipes: a PIPESIZE-byte ring buffer in one page, with sleep/wakeup for
// a full buffer (writers) and an empty one (readers).

#include "types.h"
#include "defs.h"
#include "file.h"
#include "param.h"
#include "proc.h"
#include "x86.h"

struct pipe {
	char data[PIPESIZE];
	uintptr nread;           // bytes read so far
	uintptr nwrite;          // bytes written so far
	int readopen;            // read end still open
	int writeopen;           // write end still open
};

// Make a pipe and its two files. 0, or -1 with nothing allocated.
int pipealloc(struct file **rf, struct file **wf)
{
	struct pipe *pi = kalloc();
	*rf = filealloc();
	*wf = *rf ? filealloc() : NULL;
	if (!pi || !*wf) {
		if (pi)
			kfree(pi);
		if (*rf)
			fileclose(*rf);
		return -1;
	}
	pi->readopen = pi->writeopen = 1;
	**rf = (struct file){ .type = FD_PIPE, .ref = 1, .readable = 1, .pipe = pi };
	**wf = (struct file){ .type = FD_PIPE, .ref = 1, .writable = 1, .pipe = pi };
	return 0;
}

void pipeclose(struct pipe *pi, int writable)
{
	uintptr f = intr_save();
	if (writable) {
		pi->writeopen = 0;
		wakeup(&pi->nread);
	} else {
		pi->readopen = 0;
		wakeup(&pi->nwrite);
	}
	int done = !pi->readopen && !pi->writeopen;
	intr_restore(f);
	if (done)
		kfree(pi);
}

// Write all n bytes, sleeping while the buffer is full. -1 if the read
// end is (or becomes) closed.
int pipewrite(struct pipe *pi, const char *buf, uintptr n)
{
	uintptr f = intr_save();
	for (uintptr i = 0; i < n; i++) {
		while (pi->nwrite == pi->nread + PIPESIZE) {
			if (!pi->readopen) {
				intr_restore(f);
				return -1;
			}
			wakeup(&pi->nread);
			sleep(&pi->nwrite);
		}
		if (!pi->readopen) {
			intr_restore(f);
			return -1;
		}
		pi->data[pi->nwrite++ % PIPESIZE] = buf[i];
	}
	wakeup(&pi->nread);
	intr_restore(f);
	return 0;
}

// Read what is there (at most n bytes), sleeping while the buffer is
// empty and a writer remains. 0 at end of file.
long piperead(struct pipe *pi, char *buf, uintptr n)
{
	uintptr f = intr_save();
	while (pi->nread == pi->nwrite && pi->writeopen)
		sleep(&pi->nread);
	uintptr i;
	for (i = 0; i < n && pi->nread < pi->nwrite; i++)
		buf[i] = pi->data[pi->nread++ % PIPESIZE];
	wakeup(&pi->nwrite);
	intr_restore(f);
	return i;
}
