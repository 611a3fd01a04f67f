/* Halts with interrupts off: the vCPU must sleep, not spin. */
#include "guest.h"
	.text
	.code16
	.globl test_main16
test_main16:
	PUTS16(msg)
	cli
1:	hlt
	jmp 1b

	.section .rodata
msg:	.asciz "halting\n"
