/* An entry path in assembly: the sites afterburn-as finds in .S files. */
	.text
	.globl	sample_idle
sample_idle:
	sti
	hlt
	ret

	.globl	sample_return_to_user
sample_return_to_user:
	swapgs
	iretq
