/* Real-mode code prints over the debug port and reports success. */
#include "guest.h"
	.text
	.code16
	.globl test_main16
test_main16:
	PUTS16(msg)
	EXIT16(0)

	.section .rodata
msg:	.asciz "hello from real mode\n"
