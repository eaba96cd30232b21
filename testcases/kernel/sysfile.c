// File system calls: descriptors, read/write, pipes.

#include "types.h"
#include "defs.h"
#include "file.h"
#include "proc.h"

// The open file behind descriptor argument n, or NULL.
static struct file *argfd(int n, int *fdp)
{
	uintptr fd = argraw(n);
	if (fd >= NOFILE || !myproc()->ofile[fd])
		return NULL;
	if (fdp)
		*fdp = (int)fd;
	return myproc()->ofile[fd];
}

static int fdalloc(struct file *fp)
{
	struct proc *p = myproc();
	for (int fd = 0; fd < NOFILE; fd++) {
		if (!p->ofile[fd]) {
			p->ofile[fd] = fp;
			return fd;
		}
	}
	return -1;
}

uintptr sys_write(void)
{
	struct file *fp = argfd(0, NULL);
	return fp ? (uintptr)filewrite(fp, argraw(1), argraw(2)) : (uintptr)-1;
}

uintptr sys_read(void)
{
	struct file *fp = argfd(0, NULL);
	return fp ? (uintptr)fileread(fp, argraw(1), argraw(2)) : (uintptr)-1;
}

uintptr sys_close(void)
{
	int fd;
	struct file *fp = argfd(0, &fd);
	if (!fp)
		return -1;
	myproc()->ofile[fd] = NULL;
	fileclose(fp);
	return 0;
}

// pipe(int fds[2]): fds[0] reads, fds[1] writes.
uintptr sys_pipe(void)
{
	struct proc *p = myproc();
	struct file *rf, *wf;
	if (pipealloc(&rf, &wf) < 0)
		return -1;
	int fds[2] = { fdalloc(rf), -1 };
	if (fds[0] >= 0)
		fds[1] = fdalloc(wf);
	if (fds[1] < 0 || copyout(p->pgdir, argraw(0), fds, sizeof(fds)) < 0) {
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				p->ofile[fds[i]] = NULL;
		fileclose(rf);
		fileclose(wf);
		return -1;
	}
	return 0;
}
