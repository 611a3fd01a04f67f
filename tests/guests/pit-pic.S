/*
 * The in-kernel PIT's IRQ0 reaches the CPU through the 8259 PIC (real
 * mode, IVT entry 0x20): TICKS_WANTED interrupts must arrive while the CPU
 * waits in HLT.
 */
#include "guest.h"
#include "pic-init.h"

#define TICKS SCRATCH

	.text
	.code16
	.globl test_main16
test_main16:
	PUTS16(msg_start)
	movw $0, TICKS
	movw $RM(irq0), 0x20 * 4
	movw $0xf000, 0x20 * 4 + 2
	PIC_INIT(0xfe)
	PIT_START_1KHZ
	sti
1:	hlt
	cmpw $TICKS_WANTED, TICKS
	jb 1b
	cli
	PUTS16(msg_ok)
	EXIT16(0)

irq0:
	pushw %ax
	incw TICKS
	movb $0x20, %al			/* non-specific EOI (OCW2) */
	outb %al, $0x20
	popw %ax
	iret

	.section .rodata
msg_start:	.asciz "waiting for PIT ticks through the PIC\n"
msg_ok:		.asciz "got 20 PIT interrupts through the PIC\n"
