/*
 * A device model that stops answering: testdev's COMMAND register makes the
 * device model's ioreq thread sleep forever while handling this OUT.  The
 * hypervisor must give up waiting (its --dm-timeout), stop the guest and
 * exit with status 4, saying that the device model stopped answering.
 * The guest's 0x63 would mean the OUT completed.
 *
 * Run with: hvmkit-hypervisor -f dm-hang.bin --dm-arg=--device=testdev
 */
#include "guest.h"

	.text
	.code16
	.globl test_main16
test_main16:
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	PUTS16(msg_poke)
	TD_OUTL(TD_COMMAND, TD_CMD_HANG)
	PUTS16(msg_survived)
	EXIT16(0x63)

	DEFINE_FAIL_GOT16

	.section .rodata
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_poke:	.asciz "asking the device model to hang\n"
msg_survived:	.asciz "FAIL: the I/O completed: the device model did not hang\n"
