/*
 * Guest reset requested by a device: the first boot leaves a marker in RAM
 * (a PC reset keeps memory) and sets testdev's scratch register, then makes
 * the device model call dm_request_guest_reset() and halts with interrupts
 * off: only the reset gets the CPU out of there.  The second boot finds the
 * marker and checks that the platform reset reached the device model too
 * (its scratch register is back to 0), then exits 0.
 *
 * Run with: hvmkit-hypervisor -f dm-reset.bin --dm-arg=--device=testdev
 */
#include "guest.h"

#define MARKER       SCRATCH
#define MARKER_MAGIC 0x5e7b007

	.text
	.code16
	.globl test_main16
test_main16:
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	cmpl $MARKER_MAGIC, MARKER
	je second_boot
	movl $MARKER_MAGIC, MARKER
	movl $0x12345678, %eax
	outl %eax, $TD_SCRATCH_PORT
	PUTS16(msg_first)
	TD_OUTL(TD_COMMAND, TD_CMD_RESET)
1:	cli
	hlt
	jmp 1b

second_boot:
	movl $0, MARKER
	PUTS16(msg_second)
	inl $TD_SCRATCH_PORT, %eax
	CHECK_EAX16(0, msg_not_reset, 0x65)
	PUTS16(msg_ok)
	EXIT16(0)

	DEFINE_FAIL_GOT16

	.section .rodata
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_first:	.asciz "first boot: asking the device model for a guest reset\n"
msg_second:	.asciz "second boot after the device-requested reset\n"
msg_not_reset:	.asciz "FAIL: testdev kept its scratch value across the platform reset:"
msg_ok:		.asciz "device-requested reset: guest rebooted and the device was reset\n"
