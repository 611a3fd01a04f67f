/*
 * The device model's seccomp sandbox: testdev's COMMAND register makes the
 * device model call socket(2), which its allowlist forbids.  The kernel
 * must kill the device model (SIGSYS); the hypervisor then stops the guest
 * and exits with status 4 and one line naming the forbidden system call.
 * The OUT never completes, so the guest's 0x61 means the sandbox failed.
 *
 * Run with: hvmkit-hypervisor -f dm-seccomp.bin --dm-arg=--device=testdev
 */
#include "guest.h"

	.text
	.code16
	.globl test_main16
test_main16:
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	PUTS16(msg_poke)
	TD_OUTL(TD_COMMAND, TD_CMD_SOCKET)
	PUTS16(msg_survived)
	EXIT16(0x61)

	DEFINE_FAIL_GOT16

	.section .rodata
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_poke:	.asciz "asking the device model to call socket(2)\n"
msg_survived:	.asciz "FAIL: the I/O completed: the device model survived a forbidden socket(2)\n"
