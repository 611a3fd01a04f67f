/*
 * A guest that shuts down when its power button is pressed: it waits
 * (halting between polls of testdev's POWER_BUTTON register, woken by the
 * PIT) until `hvmkit shutdown` / the control socket's "shutdown" pressed
 * it through the device model, then asks for a power-off as an ACPI guest
 * would after its SCI handler saw PWRBTN_STS.  The hypervisor must then
 * end the domain with status 0.
 *
 * Run with: hvmkit-hypervisor -f dm-shutdown.bin --dm-arg=--device=testdev
 *           --control-socket SOCK, then send "shutdown" on SOCK.
 */
#include "guest.h"
#include "pic-init.h"

	.text
	.code16
	.globl test_main16
test_main16:
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	/* PIT ticks through the PIC (vector 0x20), so that HLT wakes up. */
	cli
	movw $RM(timer_isr), 0x20 * 4
	movw $0xf000, 0x20 * 4 + 2
	PIC_INIT(0xfe)
	PIT_START_1KHZ
	PUTS16(msg_waiting)
1:	sti
	hlt
	cli
	TD_INL(TD_POWER_BUTTON)
	testl %eax, %eax
	jz 1b
	PUTS16(msg_pressed)
	TD_OUTL(TD_COMMAND, TD_CMD_POWEROFF)
2:	hlt
	jmp 2b

timer_isr:
	pushw %ax
	movb $0x20, %al			/* non-specific EOI (OCW2) */
	outb %al, $0x20
	popw %ax
	iret

	DEFINE_FAIL_GOT16

	.section .rodata
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_waiting:	.asciz "waiting for the power button\n"
msg_pressed:	.asciz "power button pressed: powering off\n"
