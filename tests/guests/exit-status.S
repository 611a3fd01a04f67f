/* The value written to the test-exit port becomes the exit status. */
#include "guest.h"
	.text
	.code16
	.globl test_main16
test_main16:
	PUTS16(msg)
	EXIT16(42)

	.section .rodata
msg:	.asciz "exiting with 42\n"
