/*
 * Port I/O to the device model (testdev, devmodel/testdev.c): IN/OUT of
 * sizes 1, 2 and 4 round-trip through the scratch register with byte-lane
 * semantics; single accesses and REP OUTSB/OUTSW/OUTSD fill the FIFO in
 * order and REP INSD/INSW/INSB read it back (4 KiB, several exits' worth);
 * the FIFO's byte count, write count and checksum match; an overflowing
 * write and a read from the empty FIFO are counted as guest errors and do
 * not hurt the device model.
 *
 * Run with: hvmkit-hypervisor -f dm-pio.bin --dm-arg=--device=testdev
 */
#include "guest.h"

#define REP_BYTES  4096
#define ROM_SEG    0xf000		/* source data: the image itself */
#define BUF_SEG    0x1000		/* readback buffer at 0x10000 */
#define SUM        SCRATCH

	.text
	.code16
	.globl test_main16
test_main16:
	PUTS16(msg_start)
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)

	/* Scratch register: every size, every lane. */
	movl $0x11223344, %eax
	outl %eax, $TD_SCRATCH_PORT
	xorl %eax, %eax
	inl $TD_SCRATCH_PORT, %eax
	CHECK_EAX16(0x11223344, msg_scr32, 0x11)
	movb $0xaa, %al
	outb %al, $(TD_SCRATCH_PORT + 1)
	inl $TD_SCRATCH_PORT, %eax
	CHECK_EAX16(0x1122aa44, msg_scr8, 0x12)
	movw $0xbeef, %ax
	outw %ax, $(TD_SCRATCH_PORT + 2)
	inl $TD_SCRATCH_PORT, %eax
	CHECK_EAX16(0xbeefaa44, msg_scr16, 0x13)
	xorl %eax, %eax
	inb $(TD_SCRATCH_PORT + 3), %al
	CHECK_EAX16(0xbe, msg_scr_in8, 0x14)
	xorl %eax, %eax
	inw $TD_SCRATCH_PORT, %ax
	CHECK_EAX16(0xaa44, msg_scr_in16, 0x15)
	xorl %eax, %eax
	inw $(TD_SCRATCH_PORT + 1), %ax
	CHECK_EAX16(0xefaa, msg_scr_in16u, 0x16)

	/* FIFO, single accesses of each size. */
	TD_OUTL(TD_FIFO_LEN, 0)
	TD_OUTL(TD_ERRORS, 0)
	movw $TD_FIFO, %dx
	movb $0x01, %al
	outb %al, %dx
	movw $0x0302, %ax
	outw %ax, %dx
	movl $0x07060504, %eax
	outl %eax, %dx
	TD_INL(TD_FIFO_LEN)
	CHECK_EAX16(7, msg_fifo_len, 0x20)
	TD_INL(TD_FIFO_WRITES)
	CHECK_EAX16(3, msg_fifo_writes, 0x21)
	TD_INL(TD_FIFO_SUM)
	CHECK_EAX16(28, msg_fifo_sum, 0x22)
	movw $TD_FIFO, %dx
	inl %dx, %eax
	CHECK_EAX16(0x04030201, msg_fifo_in32, 0x23)
	xorl %eax, %eax
	inw %dx, %ax
	CHECK_EAX16(0x0605, msg_fifo_in16, 0x24)
	xorl %eax, %eax
	inb %dx, %al
	CHECK_EAX16(0x07, msg_fifo_in8, 0x25)
	TD_INL(TD_ERRORS)
	CHECK_EAX16(0, msg_errors, 0x26)
	/* Empty FIFO: all ones, one error counted. */
	movw $TD_FIFO, %dx
	xorl %eax, %eax
	inb %dx, %al
	CHECK_EAX16(0xff, msg_underflow, 0x27)
	TD_INL(TD_ERRORS)
	CHECK_EAX16(1, msg_underflow_err, 0x28)
	TD_OUTL(TD_ERRORS, 0)

	/* Checksum of the source bytes. */
	pushw %ds
	movw $ROM_SEG, %ax
	movw %ax, %ds
	xorw %si, %si
	xorl %ebx, %ebx
	movw $REP_BYTES, %cx
	xorl %eax, %eax
1:	lodsb
	addl %eax, %ebx
	loop 1b
	popw %ds
	movl %ebx, SUM

	/* REP OUTS of each size: 1024 bytes, 512 words, 512 dwords. */
	TD_OUTL(TD_FIFO_LEN, 0)
	pushw %ds
	movw $ROM_SEG, %ax
	movw %ax, %ds
	xorw %si, %si
	movw $TD_FIFO, %dx
	movw $1024, %cx
	rep outsb
	movw $512, %cx
	rep outsw
	movw $512, %cx
	rep outsl
	popw %ds
	TD_INL(TD_FIFO_LEN)
	CHECK_EAX16(REP_BYTES, msg_rep_len, 0x30)
	TD_INL(TD_FIFO_WRITES)
	CHECK_EAX16(2048, msg_rep_writes, 0x31)
	TD_INL(TD_FIFO_SUM)
	cmpl SUM, %eax
	je 2f
	movw $RM(msg_rep_sum), %si
	movb $0x32, %bl
	jmp fail_got16
2:
	/* One byte too many: dropped and counted. */
	movw $TD_FIFO, %dx
	movb $0x5a, %al
	outb %al, %dx
	TD_INL(TD_ERRORS)
	CHECK_EAX16(1, msg_overflow, 0x33)
	TD_INL(TD_FIFO_LEN)
	CHECK_EAX16(REP_BYTES, msg_overflow_len, 0x34)

	/* REP INS of each size back into RAM, then compare. */
	movw $BUF_SEG, %ax
	movw %ax, %es
	xorw %di, %di
	movw $TD_FIFO, %dx
	movw $512, %cx
	rep insl
	movw $512, %cx
	rep insw
	movw $1024, %cx
	rep insb
	pushw %ds
	movw $ROM_SEG, %ax
	movw %ax, %ds
	xorw %si, %si
	xorw %di, %di
	movw $REP_BYTES, %cx
	repe cmpsb
	popw %ds
	je 3f
	movzwl %di, %eax
	decl %eax
	movw $RM(msg_rep_data), %si
	movb $0x35, %bl
	jmp fail_got16
3:	xorw %ax, %ax
	movw %ax, %es
	TD_INL(TD_FIFO_LEN)
	CHECK_EAX16(0, msg_rep_empty, 0x36)
	TD_INL(TD_ERRORS)
	CHECK_EAX16(1, msg_rep_errors, 0x37)

	PUTS16(msg_ok)
	EXIT16(0)

	DEFINE_FAIL_GOT16

	.section .rodata
msg_start:	.asciz "testdev PIO: sizes 1/2/4, FIFO, REP INS/OUTS\n"
msg_ok:		.asciz "testdev PIO: sizes 1/2/4 and REP INS/OUTS round-trip ok\n"
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_scr32:	.asciz "FAIL: scratch: 32-bit write/read:"
msg_scr8:	.asciz "FAIL: scratch: 8-bit write to lane 1:"
msg_scr16:	.asciz "FAIL: scratch: 16-bit write to lanes 2-3:"
msg_scr_in8:	.asciz "FAIL: scratch: 8-bit read of lane 3:"
msg_scr_in16:	.asciz "FAIL: scratch: 16-bit read of lanes 0-1:"
msg_scr_in16u:	.asciz "FAIL: scratch: 16-bit read of lanes 1-2:"
msg_fifo_len:	.asciz "FAIL: FIFO: length after writes of 1+2+4 bytes:"
msg_fifo_writes: .asciz "FAIL: FIFO: write count after 3 writes:"
msg_fifo_sum:	.asciz "FAIL: FIFO: checksum of bytes 1..7:"
msg_fifo_in32:	.asciz "FAIL: FIFO: 32-bit read:"
msg_fifo_in16:	.asciz "FAIL: FIFO: 16-bit read:"
msg_fifo_in8:	.asciz "FAIL: FIFO: 8-bit read:"
msg_errors:	.asciz "FAIL: FIFO: errors counted on valid accesses:"
msg_underflow:	.asciz "FAIL: FIFO: read of the empty FIFO:"
msg_underflow_err: .asciz "FAIL: FIFO: empty read not counted as an error:"
msg_rep_len:	.asciz "FAIL: REP OUTS: FIFO length:"
msg_rep_writes:	.asciz "FAIL: REP OUTS: items seen by the device (expected 2048):"
msg_rep_sum:	.asciz "FAIL: REP OUTS: checksum differs from the guest's:"
msg_overflow:	.asciz "FAIL: FIFO overflow not counted as one error:"
msg_overflow_len: .asciz "FAIL: FIFO overflow changed the length:"
msg_rep_data:	.asciz "FAIL: REP INS: data differs from what REP OUTS wrote, at byte"
msg_rep_empty:	.asciz "FAIL: REP INS: FIFO not empty afterwards:"
msg_rep_errors:	.asciz "FAIL: REP INS: unexpected error count:"
