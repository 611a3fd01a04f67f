/* Benchmark baseline: the same start-up as bench-pio, with no PIO loop. */
#include "guest.h"
	.text
	.code16
	.globl test_main16
test_main16:
	EXIT16(0)
