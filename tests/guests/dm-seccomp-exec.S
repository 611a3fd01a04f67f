/*
 * The device model's seccomp sandbox, as dm-seccomp but with execve(2) of a
 * path that does not exist (harmless if the call were allowed): the device
 * model must be killed by SIGSYS and the hypervisor exit with status 4.
 *
 * Run with: hvmkit-hypervisor -f dm-seccomp-exec.bin --dm-arg=--device=testdev
 */
#include "guest.h"

	.text
	.code16
	.globl test_main16
test_main16:
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	PUTS16(msg_poke)
	TD_OUTL(TD_COMMAND, TD_CMD_EXECVE)
	PUTS16(msg_survived)
	EXIT16(0x62)

	DEFINE_FAIL_GOT16

	.section .rodata
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_poke:	.asciz "asking the device model to call execve(2)\n"
msg_survived:	.asciz "FAIL: the I/O completed: the device model survived a forbidden execve(2)\n"
