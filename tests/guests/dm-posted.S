/*
 * Posted writes keep the vCPU's program order: testdev's LOG_PIO port is
 * claimed with DM_CLAIM_POSTED_WRITES (the hypervisor does not wait for
 * the device model) and its LOG_MMIO window with dm_claim_zone (posted,
 * and from offset 80h on KVM batches the writes in its coalesced-MMIO
 * ring until the next exit); both append to one log that a synchronous
 * port reads back.
 *
 *   phase 0x50: 100 posted PIO writes (sizes 4/2/1 in turn, plus one at
 *               another offset), then a synchronous read of the same
 *               port sees all of them; the log holds them in order
 *   phase 0x58: 100 MMIO writes (sizes 4/2/1, offsets 4-190h: posted
 *               below 80h, coalesced from 80h on, in one window)
 *   phase 0x60: 300 writes alternating PIO and MMIO (more than the
 *               posted ring's 128 slots), in order across both kinds
 *   phase 0x68: 1100 posted writes into the 1024-entry log: the overflow
 *               is counted as 76 guest errors, the first 1024 are intact
 *   phase 0x70: LOG_PIO has a read shadow: after 5 posted writes the
 *               first read sees all five (the device model answers it,
 *               unless it had handled them already), the next eleven come
 *               from the shadow (the hypervisor answers them:
 *               LOG_PIO_READS stays at most 1) and still say 5; a
 *               synchronous LOG_READ then makes them say 4
 *   phase 0x71: latches (testdev LATCH): eight times two posted writes of
 *               the latched value bytes, each followed by a read of the
 *               other bytes, which the hypervisor answers although the
 *               writes may be pending (LATCH_READS at most 2: a read that
 *               meets the device model's shadow update goes synchronous);
 *               a read of the value sees the writes; a pending write that
 *               is not a latch (MARK, which zeroes the value) holds back
 *               reads of every byte
 *
 * Statuses: phase + 1 wrong count, + 2 wrong value (order), + 3 wrong
 * origin/size/offset, + 4 wrong error count, + 5 more reads answered by
 * the device model than allowed (LOG_PIO_READS).  Big real mode (the MMIO
 * window is at 0xff010000).
 *
 * Run with: hvmkit-hypervisor -f dm-posted.bin --dm-arg=--device=testdev
 */
#include "guest.h"

#define PHASE      SCRATCH		/* status base of the running phase */
#define META_PIO4  (4 << 24)
#define META_PIO2  (2 << 24)
#define META_PIO1  (1 << 24)

	.text
	.code16
	.globl test_main16
test_main16:
	call enter_unreal16
	PUTS16(msg_start)
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)

	/* ---- phase 0x50: posted PIO */
	movb $0x50, PHASE
	TD_OUTL(TD_LOG_COUNT, 0)
	TD_OUTL(TD_ERRORS, 0)
	movl $1, %ecx
	xorl %esi, %esi			/* size cycle: 4, 2, 1 bytes */
1:	movw $TD_LOG_PIO, %dx
	movl %ecx, %eax
	call out_sized
	call next_cycle
	incl %ecx
	cmpl $100, %ecx
	jbe 1b
	movw $(TD_LOG_PIO + 3), %dx
	movb $0x77, %al
	outb %al, %dx
	/* A synchronous read of the posted port sees every earlier write. */
	movw $TD_LOG_PIO, %dx
	inl %dx, %eax
	movl $101, %ecx
	call check_count
	TD_INL(TD_LOG_COUNT)
	call check_count
	movl $1, %ecx
	xorl %esi, %esi
2:	call cycle_meta
	call check_entry
	call next_cycle
	incl %ecx
	cmpl $100, %ecx
	jbe 2b
	movl $0x77, %ecx
	movl $(META_PIO1 | 3), %edi
	call check_entry
	PUTS16(msg_pio_ok)

	/* ---- phase 0x58: coalesced MMIO; offset (i * 4) & 0xfff */
	movb $0x58, PHASE
	TD_OUTL(TD_LOG_COUNT, 0)
	movl $1, %ecx
	xorl %esi, %esi
3:	call mmio_addr
	movl %ecx, %eax
	call mov_sized
	call next_cycle
	incl %ecx
	cmpl $100, %ecx
	jbe 3b
	/* The synchronous read of the window itself sees them all. */
	movl $TD_LOG_MMIO, %ebx
	movl (%ebx), %eax
	movl $100, %ecx
	call check_count
	movl $1, %ecx
	xorl %esi, %esi
4:	call cycle_meta
	call mmio_addr
	subl $TD_LOG_MMIO, %ebx
	orl %ebx, %edi
	orl $TD_META_MMIO, %edi
	call check_entry
	call next_cycle
	incl %ecx
	cmpl $100, %ecx
	jbe 4b
	PUTS16(msg_mmio_ok)

	/* ---- phase 0x60: interleaved, even i PIO, odd i MMIO */
	movb $0x60, PHASE
	TD_OUTL(TD_LOG_COUNT, 0)
	xorl %ecx, %ecx
	movl $TD_LOG_MMIO, %ebx
	movw $TD_LOG_PIO, %dx
5:	movl %ecx, %eax
	testb $1, %cl
	jnz 6f
	outl %eax, %dx
	jmp 7f
6:	movl %eax, (%ebx)
7:	incl %ecx
	cmpl $300, %ecx
	jb 5b
	TD_INL(TD_LOG_COUNT)
	movl $300, %ecx
	call check_count
	xorl %ecx, %ecx
8:	movl $META_PIO4, %edi
	testb $1, %cl
	jz 9f
	orl $TD_META_MMIO, %edi
9:	call check_entry
	incl %ecx
	cmpl $300, %ecx
	jb 8b
	PUTS16(msg_mixed_ok)

	/* ---- phase 0x68: overflow the 1024-entry log */
	movb $0x68, PHASE
	TD_OUTL(TD_LOG_COUNT, 0)
	TD_OUTL(TD_ERRORS, 0)
	xorl %ecx, %ecx
	movw $TD_LOG_PIO, %dx
10:	movl %ecx, %eax
	outl %eax, %dx
	incl %ecx
	cmpl $1100, %ecx
	jb 10b
	TD_INL(TD_LOG_COUNT)
	movl $1024, %ecx
	call check_count
	TD_INL(TD_ERRORS)
	movl $76, %ecx
	cmpl %ecx, %eax
	je 11f
	movb PHASE, %bl
	addb $4, %bl
	movw $RM(msg_errors), %si
	jmp fail_want16
11:	xorl %ecx, %ecx
12:	movl $META_PIO4, %edi
	call check_entry
	incl %ecx
	cmpl $1024, %ecx
	jb 12b
	PUTS16(msg_overflow_ok)

	/* ---- phase 0x70: the read shadow of LOG_PIO */
	movb $0x70, PHASE
	TD_OUTL(TD_LOG_COUNT, 0)
	TD_OUTL(TD_LOG_PIO_READS, 0)
	movw $TD_LOG_PIO, %dx
	movl $5, %ecx
13:	outl %eax, %dx
	decl %ecx
	jnz 13b
	inl %dx, %eax			/* waits for the five writes */
	movl $5, %ecx
	call check_count
	movl $10, %edi
14:	inl %dx, %eax			/* from the shadow */
	call check_count
	decl %edi
	jnz 14b
	movw $(TD_LOG_PIO + 1), %dx	/* byte 1 of the count */
	inb %dx, %al
	movzbl %al, %eax
	xorl %ecx, %ecx
	call check_count
	movl $1, %ecx
	call check_pio_reads
	TD_INL(TD_LOG_READ)		/* synchronous: the log shrinks */
	movw $TD_LOG_PIO, %dx
	inl %dx, %eax
	movl $4, %ecx
	call check_count
	movl $1, %ecx
	call check_pio_reads
	PUTS16(msg_shadow_ok)

	/* ---- phase 0x71: latches */
	movb $0x71, PHASE
	movw $(TD_LATCH + 2), %dx
	xorb %al, %al
	outb %al, %dx			/* MARK 0: not a latch */
	inb %dx, %al			/* waits for it */
	TD_OUTL(TD_LATCH_READS, 0)
	movl $8, %edi
15:	movw $TD_LATCH, %dx
	movl %edi, %eax
	outb %al, %dx			/* value bytes: latches */
	incw %dx
	movb $0x22, %al
	outb %al, %dx
	incw %dx
	inw %dx, %ax			/* MARK and 0x5a: not held back */
	movzwl %ax, %eax
	movl $0x5a00, %ecx
	call check_count
	decl %edi
	jnz 15b
	movl $2, %ecx
	call check_latch_reads
	movw $TD_LATCH, %dx
	inw %dx, %ax			/* the value sees both writes */
	movzwl %ax, %eax
	movl $0x2201, %ecx
	call check_count
	movw $(TD_LATCH + 2), %dx
	movb $0x77, %al
	outb %al, %dx			/* MARK: zeroes the value */
	movw $TD_LATCH, %dx
	inw %dx, %ax			/* held back: sees the zero */
	movzwl %ax, %eax
	xorl %ecx, %ecx
	call check_count
	movw $(TD_LATCH + 2), %dx
	movb $0x78, %al
	outb %al, %dx
	movw $TD_LATCH, %dx
	movb $0x33, %al
	outb %al, %dx			/* after a MARK: not a latch */
	movw $TD_LATCH, %dx
	inl %dx, %eax			/* in order: MARK, then the value */
	movl $0x5a780033, %ecx
	call check_count
	PUTS16(msg_latch_ok)

	PUTS16(msg_ok)
	EXIT16(0)

/* out_sized: OUT EAX to port DX with size 4/2/1 for ESI = 0/1/2. */
out_sized:
	cmpl $1, %esi
	je 1f
	ja 2f
	outl %eax, %dx
	ret
1:	outw %ax, %dx
	ret
2:	outb %al, %dx
	ret

/* mov_sized: store EAX at [EBX] with size 4/2/1 for ESI = 0/1/2. */
mov_sized:
	cmpl $1, %esi
	je 1f
	ja 2f
	movl %eax, (%ebx)
	ret
1:	movw %ax, (%ebx)
	ret
2:	movb %al, (%ebx)
	ret

/* mmio_addr: EBX = TD_LOG_MMIO + ((ECX * 4) & 0xfff) */
mmio_addr:
	movl %ecx, %ebx
	shll $2, %ebx
	andl $0xfff, %ebx
	addl $TD_LOG_MMIO, %ebx
	ret

next_cycle:
	incl %esi
	cmpl $3, %esi
	jb 1f
	xorl %esi, %esi
1:	ret

/* cycle_meta: EDI = size field for cycle ESI (PIO, offset 0). */
cycle_meta:
	movl $META_PIO4, %edi
	cmpl $1, %esi
	jb 1f
	movl $META_PIO2, %edi
	je 1f
	movl $META_PIO1, %edi
1:	ret

/* check_count: fail (PHASE + 1) unless EAX == ECX. */
check_count:
	cmpl %ecx, %eax
	jne 1f
	ret
1:	movb PHASE, %bl
	incb %bl
	movw $RM(msg_count), %si
	jmp fail_want16

/* check_pio_reads: fail (PHASE + 5) if LOG_PIO_READS > ECX. */
check_pio_reads:
	TD_INL(TD_LOG_PIO_READS)
	cmpl %ecx, %eax
	ja 1f
	ret
1:	movb PHASE, %bl
	addb $5, %bl
	movw $RM(msg_pio_reads), %si
	jmp fail_want16

/* check_latch_reads: fail (PHASE + 5) if LATCH_READS > ECX. */
check_latch_reads:
	TD_INL(TD_LATCH_READS)
	cmpl %ecx, %eax
	ja 1f
	ret
1:	movb PHASE, %bl
	addb $5, %bl
	movw $RM(msg_latch_reads), %si
	jmp fail_want16

/* check_entry: the next log entry must be value ECX with meta EDI. */
check_entry:
	pushw %dx
	movw $TD_LOG_READ, %dx
	inl %dx, %eax
	cmpl %ecx, %eax
	jne 1f
	movw $TD_LOG_META, %dx
	inl %dx, %eax
	cmpl %edi, %eax
	jne 2f
	popw %dx
	ret
1:	movb PHASE, %bl
	addb $2, %bl
	movw $RM(msg_value), %si
	jmp fail_want16
2:	movl %edi, %ecx
	movb PHASE, %bl
	addb $3, %bl
	movw $RM(msg_meta), %si
	jmp fail_want16

	DEFINE_FAIL_GOT16

	.section .rodata
msg_start:	.asciz "testdev posted writes: order of posted PIO and coalesced MMIO\n"
msg_pio_ok:	.asciz "posted PIO writes arrived in order\n"
msg_mmio_ok:	.asciz "coalesced MMIO writes arrived in order\n"
msg_mixed_ok:	.asciz "interleaved posted PIO and coalesced MMIO writes arrived in order\n"
msg_overflow_ok: .asciz "log overflow counted, first 1024 entries intact\n"
msg_shadow_ok:	.asciz "LOG_PIO reads answered from the read shadow, in order\n"
msg_latch_ok:	.asciz "LATCH reads answered past pending latches, in order\n"
msg_ok:		.asciz "testdev posted writes: all in program order\n"
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_count:	.asciz "FAIL: number of logged writes:"
msg_value:	.asciz "FAIL: log entry out of order or wrong:"
msg_meta:	.asciz "FAIL: log entry origin/size/offset:"
msg_errors:	.asciz "FAIL: log overflow error count:"
msg_pio_reads:	.asciz "FAIL: LOG_PIO reads the device model answered (at most):"
msg_latch_reads: .asciz "FAIL: LATCH reads the device model answered (at most):"
