/*
 * First boot: leaves a marker in RAM and triple-faults: in protected mode
 * with a zero-limit IDT, INT3 raises #GP, whose delivery raises #DF, whose
 * delivery shuts the CPU down (SDM vol. 3A 6.15, "Interrupt 8").  After a
 * reset the marker is still in RAM (a PC reset keeps memory), so the
 * second boot reports success.  With --on-triple-fault=stop the first boot
 * ends the run.
 */
#include "guest.h"

#define MARKER      SCRATCH
#define MARKER_MAGIC 0x600db007

	.text
	.code16
	.globl test_main16
test_main16:
	cmpl $MARKER_MAGIC, MARKER
	je second_boot
	movl $MARKER_MAGIC, MARKER
	PUTS16(msg_first)
	ENTER_PM32(pm)

second_boot:
	movl $0, MARKER
	PUTS16(msg_second)
	EXIT16(0)

	.code32
pm:
	lidt null_idt
	int3
	PUTS32(msg_survived)
	EXIT32(0x41)

	.section .rodata
null_idt:	.word 0
		.long 0
msg_first:	.asciz "first boot: triple-faulting\n"
msg_second:	.asciz "second boot after reset\n"
msg_survived:	.asciz "FAIL: the triple fault did not stop the CPU\n"
