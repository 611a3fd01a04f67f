/*
 * Guest power-off requested by a device: testdev's COMMAND register makes
 * the device model call dm_request_guest_poweroff().  The hypervisor must
 * end the run with status 0 (power-off, --on-poweroff destroy) without the
 * guest ever reaching the test-exit port.  If the vCPU keeps running, the
 * guest reports 0x64 after a bounded spin: the hypervisor keeps the first
 * stop reason, so a power-off that was processed still wins.
 *
 * Run with: hvmkit-hypervisor -f dm-poweroff.bin --dm-arg=--device=testdev
 */
#include "guest.h"

#define SPIN_READS 100000

	.text
	.code16
	.globl test_main16
test_main16:
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	PUTS16(msg_poke)
	TD_OUTL(TD_COMMAND, TD_CMD_POWEROFF)
	/* Reads of the ID register: each one a device-model round trip. */
	movl $SPIN_READS, %ecx
	movw $TD_ID, %dx
1:	inl %dx, %eax
	loopl 1b
	PUTS16(msg_survived)
	EXIT16(0x64)

	DEFINE_FAIL_GOT16

	.section .rodata
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_poke:	.asciz "asking the device model for a guest power-off\n"
msg_survived:	.asciz "FAIL: still running after the power-off request\n"
