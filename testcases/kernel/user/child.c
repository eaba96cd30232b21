// A separate program for the spawn test: it is loaded from its own ELF
// image into a fresh address space. Prints a line and exits with 2*arg+1.

#include "user.h"

static volatile int value = 1000;  // in .data: the loader must copy it in

int main(long arg)
{
	printf("# child: pid %d arg %ld value %d\n", getpid(), arg, value);
	if (value != 1000)
		return 99;
	return (int)(2 * arg + 1);
}
