/*
 * Multiprocessor start-up the PC way: the BSP sends INIT and two
 * STARTUP IPIs to all other CPUs through its in-kernel LAPIC (SDM vol. 3A
 * 8.4.4, "MP Initialization Example"); each AP starts in real mode at the
 * SIPI vector page, checks in, and records whether its CPUID initial APIC
 * ID (leaf 1 EBX[31:24]) matches its LAPIC ID register.  The BSP expects as
 * many CPUs as CPUID leaf 0xB (core level) reports.
 */
#include "guest.h"

#define AP_COUNT     (SCRATCH + 0)
#define AP_TICKET    (SCRATCH + 2)
#define NR_CPUS      (SCRATCH + 4)
#define AP_TABLE     (SCRATCH + 0x100)   /* 4 bytes per APIC ID */
#define LAPIC_ID     (LAPIC_BASE + 0x20)
#define LAPIC_SVR    (LAPIC_BASE + 0xf0)
#define LAPIC_ICR_LO (LAPIC_BASE + 0x300)
#define LAPIC_ICR_HI (LAPIC_BASE + 0x310)
#define ICR_INIT_ALL_BUT_SELF 0x000c4500
#define ICR_SIPI_ALL_BUT_SELF (0x000c4600 | (AP_TRAMPOLINE >> 12))

	.text
	.code16
	.globl test_main16
test_main16:
	call enter_unreal16
	movw $0, AP_COUNT
	movw $0, AP_TICKET
	/* Number of logical processors in the package: leaf 0xB, level 1. */
	movl $0xb, %eax
	movl $1, %ecx
	cpuid
	movzwl %bx, %ebx
	movl %ebx, NR_CPUS
	cmpl $2, %ebx
	jae 1f
	PUTS16(msg_one_cpu)
	EXIT16(0x51)
1:
	/* The BSP's own IDs must agree too. */
	call check_ids
	jz 2f
	PUTS16(msg_bsp_ids)
	EXIT16(0x52)
2:
	/* Trampoline: ljmp $0xf000, $ap_entry at the SIPI page. */
	movb $0xea, AP_TRAMPOLINE
	movw $RM(ap_entry), AP_TRAMPOLINE + 1
	movw $0xf000, AP_TRAMPOLINE + 3

	movl $LAPIC_SVR, %esi
	movl $0x1ff, %eax
	movl %eax, (%esi)
	movl $LAPIC_ICR_HI, %esi
	xorl %eax, %eax
	movl %eax, (%esi)
	movl $LAPIC_ICR_LO, %esi
	movl $ICR_INIT_ALL_BUT_SELF, %eax
	movl %eax, (%esi)
	movl $ICR_SIPI_ALL_BUT_SELF, %eax
	movl %eax, (%esi)
	movl %eax, (%esi)
	PUTS16(msg_sent)

	/* Wait for NR_CPUS - 1 check-ins. */
	movl NR_CPUS, %ecx
	decl %ecx
3:	pause
	movzwl AP_COUNT, %eax
	cmpl %ecx, %eax
	jb 3b

	/* Every AP 1..NR_CPUS-1 must have recorded matching IDs. */
	movl $1, %ebx
4:	movl AP_TABLE(,%ebx,4), %eax
	movl %ebx, %edx
	orl $0x100, %edx
	cmpl %edx, %eax
	je 5f
	PUTS16(msg_ap_ids)
	EXIT16(0x53)
5:	incl %ebx
	cmpl NR_CPUS, %ebx
	jb 4b
	PUTS16(msg_ok)
	EXIT16(0)

/* ZF set if CPUID.1 EBX[31:24] equals the LAPIC ID; EBX = that ID. */
check_ids:
	movl $1, %eax
	cpuid
	shrl $24, %ebx
	movl $LAPIC_ID, %esi
	movl (%esi), %eax
	shrl $24, %eax
	cmpl %eax, %ebx
	ret

ap_entry:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %ss
	/* A private stack per AP, below the BSP's. */
	movw $1, %ax
	lock xaddw %ax, AP_TICKET
	shlw $8, %ax
	movw $AP_STACKS_RM, %sp
	subw %ax, %sp
	call enter_unreal16
	call check_ids
	jnz 6f
	movl %ebx, %eax
	orl $0x100, %eax
	movl %eax, AP_TABLE(,%ebx,4)
6:	lock incw AP_COUNT
7:	cli
	hlt
	jmp 7b

	.section .rodata
msg_sent:	.asciz "INIT-SIPI-SIPI sent\n"
msg_ok:		.asciz "all APs started; CPUID and LAPIC IDs agree\n"
msg_one_cpu:	.asciz "FAIL: CPUID reports fewer than 2 CPUs\n"
msg_bsp_ids:	.asciz "FAIL: BSP CPUID APIC ID differs from its LAPIC ID\n"
msg_ap_ids:	.asciz "FAIL: an AP's CPUID APIC ID differs from its LAPIC ID\n"
