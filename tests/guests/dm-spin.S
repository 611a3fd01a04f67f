/*
 * Keeps the device model busy for the fault tests of tests/dm-tests.sh
 * (killing the device model or the hypervisor while a guest runs, and
 * looking at the running device model's sandbox): reads testdev's ID
 * register forever, one device-model round trip each.
 *
 * Run with: hvmkit-hypervisor -f dm-spin.bin --dm-arg=--device=testdev
 */
#include "guest.h"

	.text
	.code16
	.globl test_main16
test_main16:
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	PUTS16(msg_spin)
	movw $TD_ID, %dx
1:	inl %dx, %eax
	cmpl $TD_ID_VALUE, %eax
	je 1b
	movw $RM(msg_bad_id), %si
	movb $0x11, %bl
	jmp fail_got16

	DEFINE_FAIL_GOT16

	.section .rodata
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_spin:	.asciz "spinning on device-model I/O\n"
msg_bad_id:	.asciz "FAIL: testdev ID changed:"
