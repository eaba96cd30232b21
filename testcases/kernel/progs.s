# The built-in user programs, embedded whole (exec.c lists them by name).
# Assembled by $(AS) with -I pointing at the directory holding the
# user ELF files; there is no code here, only data.

.macro PROG name
	.section .rodata.progs, "a"
	.balign 16
	.globl prog_\name\()_start, prog_\name\()_end
prog_\name\()_start:
	.incbin "\name\().elf"
prog_\name\()_end:
.endm

	PROG init
	PROG child

	.section .note.GNU-stack, "", @progbits
