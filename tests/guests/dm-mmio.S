/*
 * MMIO to the device model (testdev's 64 KiB scratch window at 0xff000000,
 * the address of QEMU pc-testdev's iomem): reads and writes of 1, 2, 4
 * and 8 bytes reach the device model with the right data and byte lanes.
 * Then reads that cross the window's end, which KVM splits at the page
 * boundary into fragments of 1 to 7 bytes: the hypervisor must turn each
 * into accesses the device model takes (a guest must not be able to break
 * the device model with an odd access).  Runs in long mode (4-level
 * paging, 2 MiB pages identity-mapping the first 4 GiB: lib.S's
 * enter_lm64) so that 64-bit MOVs make 8-byte accesses.
 *
 * Run with: hvmkit-hypervisor -f dm-mmio.bin --dm-arg=--device=testdev
 */
#include "guest.h"

/* 64-bit: unless RAX == RBX, fail with msg and status st. */
#define CHECK64(msg, st)			\
	cmpq %rbx, %rax;			\
	je 9f;					\
	movl $(msg), %esi;			\
	movb $(st), %bl;			\
	jmp fail64;				\
9:

	.text
	.code16
	.globl test_main16
test_main16:
	PUTS16(msg_start)
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	ENTER_PM32(pm)

	.code32
pm:
	ENTER_LM64(lm)

	.code64
lm:
	movl $TD_MMIO, %edi

	/* 8 bytes */
	movabsq $0x1122334455667788, %rbx
	movq %rbx, (%rdi)
	movq (%rdi), %rax
	CHECK64(msg_w64, 0x40)

	/* 4 bytes, and the 8-byte view of them */
	movl $0xdeadbeef, %ebx
	movl %ebx, 8(%rdi)
	xorq %rax, %rax
	movl 8(%rdi), %eax
	CHECK64(msg_w32, 0x41)
	movq 8(%rdi), %rax
	CHECK64(msg_w32_as64, 0x42)

	/* 2 bytes */
	movl $0xcafe, %ebx
	movw %bx, 0x10(%rdi)
	xorq %rax, %rax
	movw 0x10(%rdi), %ax
	CHECK64(msg_w16, 0x43)

	/* 1 byte */
	movl $0x5a, %ebx
	movb %bl, 0x18(%rdi)
	xorq %rax, %rax
	movb 0x18(%rdi), %al
	CHECK64(msg_w8, 0x44)

	/* Byte lanes inside the first quadword. */
	movb $0xaa, 1(%rdi)
	movq (%rdi), %rax
	movabsq $0x112233445566aa88, %rbx
	CHECK64(msg_lane8, 0x45)
	xorq %rax, %rax
	movw 6(%rdi), %ax
	movl $0x1122, %ebx
	CHECK64(msg_lane16, 0x46)
	xorq %rax, %rax
	movl 4(%rdi), %eax
	movl $0x11223344, %ebx
	CHECK64(msg_lane32, 0x47)
	movw $0x7788, 2(%rdi)
	movq (%rdi), %rax
	movabsq $0x112233447788aa88, %rbx
	CHECK64(msg_lane16w, 0x48)

	/* The window's last quadword. */
	movabsq $0x0f1e2d3c4b5a6978, %rbx
	movq %rbx, 0xfff8(%rdi)
	movq 0xfff8(%rdi), %rax
	CHECK64(msg_last, 0x49)

	/* Earlier data is still there (no aliasing). */
	movabsq $0x112233447788aa88, %rbx
	movq (%rdi), %rax
	CHECK64(msg_alias, 0x4a)

	movl $msg_ok, %esi
	call puts64

	/*
	 * Reads across the scratch window's end: KVM splits them at the
	 * page boundary into fragments of any length from 1 to 7 bytes; the
	 * part beyond comes from the log window, whose reads give LOG_COUNT
	 * (0 here) however they are split.  The last quadword holds
	 * 0x0f1e2d3c4b5a6978, so bytes 0xfffc-0xffff are 3c 2d 1e 0f.
	 */
	movw $TD_LOG_COUNT, %dx
	outl %eax, %dx
	movq 0xfffc(%rdi), %rax		/* 4 + 4 */
	movl $0x0f1e2d3c, %ebx
	CHECK64(msg_split44, 0x50)
	xorq %rax, %rax
	movl 0xfffd(%rdi), %eax		/* 3 + 1 */
	movl $0x000f1e2d, %ebx
	CHECK64(msg_split31, 0x51)
	xorq %rax, %rax
	movw 0xffff(%rdi), %ax		/* 1 + 1 */
	movl $0x0f, %ebx
	CHECK64(msg_split11, 0x52)
	movq 0xffff(%rdi), %rax		/* 1 + 7 */
	movl $0x0f, %ebx
	CHECK64(msg_split17, 0x53)
	movq 0xfffb(%rdi), %rax		/* 5 + 3 */
	movabsq $0x0f1e2d3c4b, %rbx
	CHECK64(msg_split53, 0x54)
	/* A write split 3 + 5: three bytes into the scratch window, five
	 * into the (coalesced) log window, which logs them in some number
	 * of pieces. */
	movabsq $0x1122334455667788, %rbx
	movq %rbx, 0xfffd(%rdi)
	xorq %rax, %rax
	movl 0xfffc(%rdi), %eax
	movl $0x6677883c, %ebx
	CHECK64(msg_split_w35, 0x56)
	movw $TD_LOG_COUNT, %dx
	xorq %rax, %rax
	inl %dx, %eax
	testl %eax, %eax
	jnz 1f
	movl $msg_split_log, %esi
	movb $0x57, %bl
	jmp fail64
1:
	/* The device model still answers. */
	movw $TD_ID, %dx
	xorq %rax, %rax
	inl %dx, %eax
	movl $TD_ID_VALUE, %ebx
	CHECK64(msg_split_id, 0x55)
	movl $msg_split_ok, %esi
	call puts64
	movb $0, %al
	outb %al, $TEST_EXIT
3:	cli
	hlt
	jmp 3b

/* fail64: RSI = message, BL = status, RAX = the value seen. */
fail64:
	movq %rax, %rcx
	call puts64
	movl $msg_got, %esi
	call puts64
	movl $16, %edi
1:	rolq $4, %rcx
	movb %cl, %al
	andb $0xf, %al
	addb $0x30, %al
	cmpb $0x3a, %al
	jb 2f
	addb $0x27, %al
2:	outb %al, %dx
	decl %edi
	jnz 1b
	movb $0x0a, %al
	outb %al, %dx
	movb %bl, %al
	outb %al, $TEST_EXIT
	jmp 3b

/* puts64: print the string at RSI; leaves DX = DEBUGCON */
puts64:
	movw $DEBUGCON, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	ret

	.code16
	DEFINE_FAIL_GOT16

	.section .rodata
msg_start:	.asciz "testdev MMIO: sizes 1/2/4/8 at 0xff000000\n"
msg_ok:		.asciz "testdev MMIO: sizes 1/2/4/8 round-trip ok\n"
msg_got:	.asciz " got 0x"
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_w64:	.asciz "FAIL: 8-byte write/read:"
msg_w32:	.asciz "FAIL: 4-byte write/read:"
msg_w32_as64:	.asciz "FAIL: 8-byte read of a 4-byte write (upper half not zero?):"
msg_w16:	.asciz "FAIL: 2-byte write/read:"
msg_w8:		.asciz "FAIL: 1-byte write/read:"
msg_lane8:	.asciz "FAIL: 1-byte write at offset 1, quadword reads:"
msg_lane16:	.asciz "FAIL: 2-byte read at offset 6:"
msg_lane32:	.asciz "FAIL: 4-byte read at offset 4:"
msg_lane16w:	.asciz "FAIL: 2-byte write at offset 2, quadword reads:"
msg_last:	.asciz "FAIL: last quadword of the window:"
msg_alias:	.asciz "FAIL: first quadword changed by the last one:"
msg_split_ok:	.asciz "testdev MMIO: page-split reads of 4+4, 3+1, 1+1, 1+7, 5+3 bytes and a 3+5 write ok\n"
msg_split44:	.asciz "FAIL: 8-byte read split 4+4 at the window end:"
msg_split31:	.asciz "FAIL: 4-byte read split 3+1 at the window end:"
msg_split11:	.asciz "FAIL: 2-byte read split 1+1 at the window end:"
msg_split17:	.asciz "FAIL: 8-byte read split 1+7 at the window end:"
msg_split53:	.asciz "FAIL: 8-byte read split 5+3 at the window end:"
msg_split_w35:	.asciz "FAIL: 8-byte write split 3+5: scratch bytes 0xfffc-0xffff:"
msg_split_log:	.asciz "FAIL: 8-byte write split 3+5: nothing logged from the log window:"
msg_split_id:	.asciz "FAIL: testdev ID after the split reads:"
msg_cross:	.asciz "FAIL: 8-byte read across the window end (scratch | LOG_COUNT):"
