// Open files: the console or one end of a pipe, shared by reference.
#ifndef KERNEL_FILE_H
#define KERNEL_FILE_H

#include "types.h"

enum filetype { FD_NONE, FD_CONSOLE, FD_PIPE };

struct file {
	enum filetype type;
	int ref;                 // file descriptors pointing here
	char readable, writable;
	struct pipe *pipe;       // FD_PIPE
};

#endif
