/*
 * Real mode -> 32-bit protected mode -> 4-level paging and long mode, with
 * 2 MiB pages identity-mapping the first 4 GiB (lib.S's enter_lm64);
 * checks EFER.LMA and 64-bit arithmetic, and prints from each mode.
 */
#include "guest.h"

	.text
	.code16
	.globl test_main16
test_main16:
	PUTS16(msg_rm)
	ENTER_PM32(pm)

	.code32
pm:
	PUTS32(msg_pm)
	ENTER_LM64(lm)

	.code64
lm:
	movl $MSR_EFER, %ecx
	rdmsr
	testl $EFER_LMA, %eax
	jz bad_lma
	/* A 64-bit-only computation: rotate a 64-bit constant. */
	movabsq $0x0123456789abcdef, %rax
	rolq $32, %rax
	movabsq $0x89abcdef01234567, %rbx
	cmpq %rbx, %rax
	jne bad_math
	movl $msg_lm, %esi
	call puts64
	movb $0, %al
	outb %al, $TEST_EXIT
3:	hlt
	jmp 3b
bad_lma:
	movl $msg_bad_lma, %esi
	call puts64
	movb $0x21, %al
	outb %al, $TEST_EXIT
	jmp 3b
bad_math:
	movl $msg_bad_math, %esi
	call puts64
	movb $0x22, %al
	outb %al, $TEST_EXIT
	jmp 3b

puts64:
	movw $DEBUGCON, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	ret

	.section .rodata
msg_rm:		.asciz "real mode\n"
msg_pm:		.asciz "protected mode\n"
msg_lm:		.asciz "long mode: EFER.LMA set, 64-bit ok\n"
msg_bad_lma:	.asciz "FAIL: EFER.LMA clear in 64-bit code\n"
msg_bad_math:	.asciz "FAIL: 64-bit rotate gave a wrong result\n"
