/*
 * A level-triggered interrupt raised by the device model: testdev's line
 * (GSI 10, taken with dm_irq_get(..., DM_IRQ_MODE_LEVEL): an irqfd with a
 * resample fd) reaches the CPU through the IOAPIC in level mode (82093AA
 * datasheet 3.2.4: redirection entry bit 15 = level, bit 14 = Remote IRR)
 * and the LAPIC.
 *
 *   1. The device raises the line: the interrupt is delivered.
 *   2. The handler counts it at IRQ_ACK but leaves the line up and EOIs:
 *      the interrupt is delivered again (twice), as a still-asserted level
 *      line must be after EOI.
 *   3. The third time the handler lowers the line before EOI: no further
 *      interrupt, the device counted 3 acknowledgments, Remote IRR clear.
 *   4. Raised once more: delivered exactly once more.
 *
 * The in-kernel PIT (IOAPIC pin 2, 1 kHz) only bounds the waits (a hang
 * guard of 10 s per step) and measures the quiet period after lowering.
 * Big real mode, as pit-ioapic (the software KVM of the development
 * machines cannot emulate a protected-mode IRET).
 *
 * Run with: hvmkit-hypervisor -f dm-level-irq.bin --dm-arg=--device=testdev
 */
#include "guest.h"
#include "pic-init.h"

#define TICKS      (SCRATCH + 0)
#define DEV_IRQS   (SCRATCH + 4)
#define PIT_VECTOR 0x30
#define DEV_VECTOR 0x31
#define IOREGSEL   (IOAPIC_BASE + 0x00)
#define IOWIN      (IOAPIC_BASE + 0x10)
#define LAPIC_TPR  (LAPIC_BASE + 0x80)
#define LAPIC_EOI  (LAPIC_BASE + 0xb0)
#define LAPIC_SVR  (LAPIC_BASE + 0xf0)
#define REDIR_LEVEL   (1 << 15)
#define REDIR_RIRR    (1 << 14)
#define STEP_TIMEOUT  10000	/* ticks: hang guard only */
#define QUIET_TICKS   100	/* time allowed for a wrong re-delivery */
#define ACKS_KEEPING_LEVEL 2

	.text
	.code16
	.globl test_main16
test_main16:
	call enter_unreal16
	PUTS16(msg_start)
	TD_INL(TD_ID)
	CHECK_EAX16(TD_ID_VALUE, msg_no_testdev, 0x10)
	TD_OUTL(TD_IRQ_LEVEL, 0)
	TD_INL(TD_IRQ_ACK)
	CHECK_EAX16(0, msg_acks_initial, 0x11)
	movl $0, TICKS
	movl $0, DEV_IRQS
	PIC_INIT(0xff)
	movw $RM(pit_irq), PIT_VECTOR * 4
	movw $0xf000, PIT_VECTOR * 4 + 2
	movw $RM(dev_irq), DEV_VECTOR * 4
	movw $0xf000, DEV_VECTOR * 4 + 2

	movl $LAPIC_TPR, %esi
	movl $0, %eax
	movl %eax, (%esi)
	movl $LAPIC_SVR, %esi
	movl $(0x100 | 0xff), %eax
	movl %eax, (%esi)
	/* Pin 2 (PIT): edge, active high, unmasked, to APIC 0. */
	movl $2, %ecx
	movl $PIT_VECTOR, %eax
	call set_redir
	/* Pin 10 (testdev): level, active high, unmasked, to APIC 0. */
	movl $TD_GSI, %ecx
	movl $(DEV_VECTOR | REDIR_LEVEL), %eax
	call set_redir

	PIT_START_1KHZ
	sti

	/* 1 + 2: raise; expect 1 + ACKS_KEEPING_LEVEL deliveries. */
	TD_OUTL(TD_IRQ_LEVEL, 1)
	movl $(ACKS_KEEPING_LEVEL + 1), %ecx
	call wait_irqs
	jnc 1f
	movl DEV_IRQS, %eax
	testl %eax, %eax
	jnz 2f
	FAIL16(msg_never, 0x41)
2:	movw $RM(msg_not_again), %si
	movb $0x42, %bl
	jmp fail_want16
1:	PUTS16(msg_redelivered)

	/* 3: lowered by the handler: quiet from now on. */
	call wait_quiet
	movl DEV_IRQS, %eax
	movl $(ACKS_KEEPING_LEVEL + 1), %ecx
	cmpl %ecx, %eax
	je 3f
	movw $RM(msg_after_lower), %si
	movb $0x43, %bl
	jmp fail_want16
3:	TD_INL(TD_IRQ_ACK)
	CHECK_EAX16(ACKS_KEEPING_LEVEL + 1, msg_acks, 0x44)
	TD_INL(TD_IRQ_LEVEL)
	CHECK_EAX16(0, msg_level_up, 0x45)
	movl $TD_GSI, %ecx
	call get_redir
	andl $REDIR_RIRR, %eax
	CHECK_EAX16(0, msg_rirr, 0x46)
	PUTS16(msg_quiet)

	/* 4: raise again: exactly one more delivery. */
	TD_OUTL(TD_IRQ_LEVEL, 1)
	movl $(ACKS_KEEPING_LEVEL + 2), %ecx
	call wait_irqs
	jnc 4f
	FAIL16(msg_not_raised_again, 0x47)
4:	call wait_quiet
	movl DEV_IRQS, %eax
	movl $(ACKS_KEEPING_LEVEL + 2), %ecx
	cmpl %ecx, %eax
	je 5f
	movw $RM(msg_after_lower), %si
	movb $0x48, %bl
	jmp fail_want16
5:	cli
	PUTS16(msg_ok)
	EXIT16(0)

/* set_redir: redirection entry ECX = EAX (low), destination APIC 0. */
set_redir:
	pushl %eax
	movl $IOREGSEL, %ebx
	movl $IOWIN, %edi
	leal 0x11(,%ecx,2), %eax
	movl %eax, (%ebx)
	movl $0, %eax
	movl %eax, (%edi)
	leal 0x10(,%ecx,2), %eax
	movl %eax, (%ebx)
	popl %eax
	movl %eax, (%edi)
	ret

/* get_redir: EAX = low half of redirection entry ECX. */
get_redir:
	movl $IOREGSEL, %ebx
	movl $IOWIN, %edi
	leal 0x10(,%ecx,2), %eax
	movl %eax, (%ebx)
	movl (%edi), %eax
	ret

/* wait_irqs: wait (interrupts on) until DEV_IRQS >= ECX; CF set if
 * STEP_TIMEOUT ticks pass first. */
wait_irqs:
	movl TICKS, %edx
	addl $STEP_TIMEOUT, %edx
1:	cli
	cmpl %ecx, DEV_IRQS
	jae 2f
	cmpl %edx, TICKS
	jae 3f
	sti
	hlt
	jmp 1b
2:	sti
	clc
	ret
3:	sti
	stc
	ret

/* wait_quiet: let QUIET_TICKS ticks pass, interrupts on. */
wait_quiet:
	movl TICKS, %edx
	addl $QUIET_TICKS, %edx
1:	cli
	cmpl %edx, TICKS
	jae 2f
	sti
	hlt
	jmp 1b
2:	sti
	ret

pit_irq:
	pushl %eax
	pushl %esi
	incl TICKS
	movl $LAPIC_EOI, %esi
	xorl %eax, %eax
	movl %eax, (%esi)
	popl %esi
	popl %eax
	iret

/* The device's handler: count it at the device; from the third time on
 * also lower the line; then EOI. */
dev_irq:
	pushl %eax
	pushl %esi
	pushw %dx
	incl DEV_IRQS
	xorl %eax, %eax
	cmpl $ACKS_KEEPING_LEVEL, DEV_IRQS
	jbe 1f
	incl %eax
1:	movw $TD_IRQ_ACK, %dx
	outl %eax, %dx
	movl $LAPIC_EOI, %esi
	xorl %eax, %eax
	movl %eax, (%esi)
	popw %dx
	popl %esi
	popl %eax
	iret

	DEFINE_FAIL_GOT16

	.section .rodata
msg_start:	.asciz "testdev level IRQ on GSI 10 through the IOAPIC\n"
msg_redelivered: .asciz "delivered, and re-delivered after EOI while asserted\n"
msg_quiet:	.asciz "no delivery after the line was lowered; Remote IRR clear\n"
msg_ok:		.asciz "testdev level IRQ: delivered, re-delivered while asserted, quiet when lowered\n"
msg_no_testdev:	.asciz "FAIL: no testdev ID at port 0x2100 (run with --dm-arg=--device=testdev):"
msg_acks_initial: .asciz "FAIL: IRQ_ACK not zero at start:"
msg_never:	.asciz "FAIL: the raised level interrupt was never delivered\n"
msg_not_again:	.asciz "FAIL: not re-delivered after EOI while still asserted: deliveries"
msg_after_lower: .asciz "FAIL: delivered after the line was lowered: deliveries"
msg_acks:	.asciz "FAIL: device counted a different number of acknowledgments:"
msg_level_up:	.asciz "FAIL: IRQ_LEVEL still set after the handler lowered it:"
msg_rirr:	.asciz "FAIL: IOAPIC Remote IRR still set after EOI:"
msg_not_raised_again: .asciz "FAIL: not delivered when raised again after lowering\n"
