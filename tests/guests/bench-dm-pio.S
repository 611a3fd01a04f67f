/*
 * Benchmark guest: PIO_EXITS writes to port 0xe0, a synchronous port of the
 * device model (testdev's scratch register; under QEMU the same port is
 * pc-testdev's, also handled in user space), then test exit.  Compare with
 * bench-pio (port 0x80, handled in the hypervisor process).
 */
#include "guest.h"
	.text
	.code16
	.globl test_main16
test_main16:
	movl $PIO_EXITS, %ecx
	xorb %al, %al
1:	outb %al, $TD_SCRATCH_PORT
	decl %ecx
	jnz 1b
	EXIT16(0)
