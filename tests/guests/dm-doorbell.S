/*
 * An ioeventfd doorbell: testdev asked for an eventfd on its DOORBELL port
 * (dm_ioeventfd, 4-byte writes) and watches it on its event loop.  KVM
 * signals the eventfd without an exit to user space, so the device model
 * counts the rings asynchronously: the guest rings 10 times and polls
 * DOORBELLS (a bounded number of times: a hang guard) until all 10 have
 * been counted, then checks that no more show up.  A 1-byte write, which
 * the 4-byte doorbell does not match, must not ring it.
 *
 * Run with: hvmkit-hypervisor -f dm-doorbell.bin --dm-arg=--device=testdev
 */
#include "guest.h"

#define RINGS      10
#define MAX_POLLS  1000000	/* hang guard: about 1e6 device-model exits */
#define EXTRA_POLLS 1000

	.text
	.code16
	.globl test_main16
test_main16:
	PUTS16(msg_start)
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	TD_OUTL(TD_DOORBELLS, 0)

	/* The wrong size first: falls through to the (unclaimed) port. */
	movw $TD_DOORBELL, %dx
	movb $1, %al
	outb %al, %dx
	movl $RINGS, %ecx
1:	movl %ecx, %eax
	outl %eax, %dx
	loopl 1b

	movl $MAX_POLLS, %ecx
	movw $TD_DOORBELLS, %dx
2:	inl %dx, %eax
	cmpl $RINGS, %eax
	jae 3f
	loopl 2b
	movl $RINGS, %ecx
	movw $RM(msg_timeout), %si
	movb $0x21, %bl
	jmp fail_want16
3:	je 4f
	movl $RINGS, %ecx
	movw $RM(msg_too_many), %si
	movb $0x22, %bl
	jmp fail_want16
4:	PUTS16(msg_counted)
	movl $EXTRA_POLLS, %ecx
5:	inl %dx, %eax
	cmpl $RINGS, %eax
	jne 6f
	loopl 5b
	PUTS16(msg_ok)
	EXIT16(0)
6:	movl $RINGS, %ecx
	movw $RM(msg_later), %si
	movb $0x23, %bl
	jmp fail_want16

	DEFINE_FAIL_GOT16

	.section .rodata
msg_start:	.asciz "testdev doorbell: 10 rings on an ioeventfd\n"
msg_counted:	.asciz "device model counted 10 doorbell rings\n"
msg_ok:		.asciz "testdev doorbell: all rings counted, none extra\n"
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_timeout:	.asciz "FAIL: the device model did not count the doorbell rings:"
msg_too_many:	.asciz "FAIL: more doorbell rings counted than rung (the 1-byte write?):"
msg_later:	.asciz "FAIL: doorbell count changed after reaching 10:"
