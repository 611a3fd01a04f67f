/*
 * The in-kernel PIT's IRQ0 reaches the CPU through the IOAPIC (pin 2, the
 * ISA IRQ0 override of a PC) and the LAPIC, with both 8259s masked.  Also
 * checks the IOAPIC version register (82093AA datasheet 3.2.2: 24 entries).
 *
 * It runs in big real mode (real mode with 4 GiB data-segment limits, as
 * firmware does) rather than protected mode: the software KVM of the
 * development machines cannot emulate a protected-mode IRET, and real-mode
 * interrupt delivery exercises the same IOAPIC -> LAPIC path.
 */
#include "guest.h"
#include "pic-init.h"

#define TICKS      SCRATCH
#define VECTOR     0x30
#define IOREGSEL   (IOAPIC_BASE + 0x00)
#define IOWIN      (IOAPIC_BASE + 0x10)
#define LAPIC_TPR  (LAPIC_BASE + 0x80)
#define LAPIC_EOI  (LAPIC_BASE + 0xb0)
#define LAPIC_SVR  (LAPIC_BASE + 0xf0)

	.text
	.code16
	.globl test_main16
test_main16:
	call enter_unreal16
	PUTS16(msg_start)
	movw $0, TICKS
	PIC_INIT(0xff)
	movw $RM(irq), VECTOR * 4
	movw $0xf000, VECTOR * 4 + 2

	/* IOAPIC version register: max redirection entry in bits 23:16. */
	movl $IOREGSEL, %ebx
	movl $IOWIN, %edi
	movl $1, %eax
	movl %eax, (%ebx)
	movl (%edi), %eax
	shrl $16, %eax
	andl $0xff, %eax
	cmpl $23, %eax
	je 1f
	PUTS16(msg_bad_ver)
	EXIT16(0x31)
1:
	movl $LAPIC_TPR, %esi
	movl $0, %eax
	movl %eax, (%esi)
	movl $LAPIC_SVR, %esi
	movl $(0x100 | 0xff), %eax	/* APIC enable, spurious vector 0xff */
	movl %eax, (%esi)
	/* Redirection entry 2: vector, fixed, physical, edge, active high,
	 * unmasked, destination APIC 0. */
	movl $(0x10 + 2 * 2 + 1), %eax
	movl %eax, (%ebx)
	movl $0, %eax
	movl %eax, (%edi)
	movl $(0x10 + 2 * 2), %eax
	movl %eax, (%ebx)
	movl $VECTOR, %eax
	movl %eax, (%edi)

	PIT_START_1KHZ
	sti
2:	hlt
	cmpw $TICKS_WANTED, TICKS
	jb 2b
	cli
	PUTS16(msg_ok)
	EXIT16(0)

irq:
	pushl %eax
	pushl %esi
	incw TICKS
	movl $LAPIC_EOI, %esi
	xorl %eax, %eax
	movl %eax, (%esi)
	popl %esi
	popl %eax
	iret

	.section .rodata
msg_start:	.asciz "waiting for PIT ticks through the IOAPIC\n"
msg_ok:		.asciz "got 20 PIT interrupts through the IOAPIC\n"
msg_bad_ver:	.asciz "FAIL: IOAPIC does not report 24 redirection entries\n"
