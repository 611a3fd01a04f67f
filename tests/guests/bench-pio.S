/*
 * Benchmark guest: PIO_EXITS writes to port 0x80 (POST code, a port both
 * hvmkit's hypervisor and QEMU handle in user space), then test exit.
 * Runs unchanged under hvmkit and under QEMU (-bios, isa-debug-exit).
 */
#include "guest.h"
	.text
	.code16
	.globl test_main16
test_main16:
	movl $PIO_EXITS, %ecx
	xorb %al, %al
1:	outb %al, $POST_PORT
	decl %ecx
	jnz 1b
	EXIT16(0)
