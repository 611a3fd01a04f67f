/*
 * MSR and CPUID policy as the guest sees it:
 *  - CPUID.1:ECX[31] (hypervisor present) set, VMX (ECX[5]) and SVM
 *    (CPUID.80000001h:ECX[2]) hidden;
 *  - an MSR no one implements raises #GP on RDMSR and WRMSR;
 *  - the nested-virtualization control MSR of the vendor reads "locked,
 *    disabled" (AMD VM_CR = LOCK|SVMDIS; Intel IA32_FEATURE_CONTROL = lock),
 *    and changing it raises #GP.
 * Runs in real mode: #GP arrives through IVT entry 13.
 */
#include "guest.h"

#define GP_COUNT      (SCRATCH + 0)
#define MSR_BOGUS     0x40001234
#define MSR_VM_CR     0xc0010114
#define MSR_FEAT_CTL  0x3a

	.text
	.code16
	.globl test_main16
test_main16:
	movw $RM(gp_handler), 13 * 4
	movw $0xf000, 13 * 4 + 2
	movw $0, GP_COUNT

	movl $1, %eax
	cpuid
	testl $(1 << 31), %ecx
	jnz 1f
	PUTS16(msg_no_hv)
	EXIT16(0x61)
1:	testl $(1 << 5), %ecx
	jz 2f
	PUTS16(msg_vmx)
	EXIT16(0x62)
2:	movl $0x80000001, %eax
	cpuid
	testl $(1 << 2), %ecx
	jz 3f
	PUTS16(msg_svm)
	EXIT16(0x63)
3:
	/* Unknown MSR: both directions fault. */
	movl $MSR_BOGUS, %ecx
	rdmsr
	xorl %eax, %eax
	xorl %edx, %edx
	wrmsr
	cmpw $2, GP_COUNT
	je 4f
	PUTS16(msg_bogus)
	EXIT16(0x64)
4:
	xorl %eax, %eax
	cpuid
	cmpl $0x68747541, %ebx		/* "Auth"enticAMD */
	je amd
	cmpl $0x756e6547, %ebx		/* "Genu"ineIntel */
	je intel
	PUTS16(msg_vendor)
	EXIT16(0)

amd:
	movl $MSR_VM_CR, %ecx
	rdmsr
	cmpw $2, GP_COUNT
	jne bad_owned
	cmpl $0x18, %eax		/* LOCK | SVMDIS */
	jne bad_owned
	wrmsr				/* same value: accepted */
	cmpw $2, GP_COUNT
	jne bad_owned
	xorl %eax, %eax
	wrmsr				/* clearing SVMDIS: #GP */
	cmpw $3, GP_COUNT
	jne bad_owned
	jmp done

intel:
	movl $MSR_FEAT_CTL, %ecx
	rdmsr
	cmpw $2, GP_COUNT
	jne bad_owned
	cmpl $1, %eax			/* locked, VMX off */
	jne bad_owned
	movl $5, %eax			/* lock + VMX outside SMX: #GP */
	wrmsr
	cmpw $3, GP_COUNT
	jne bad_owned
done:
	PUTS16(msg_ok)
	EXIT16(0)
bad_owned:
	PUTS16(msg_owned)
	EXIT16(0x65)

/* #GP in real mode: no error code; skip the 2-byte RDMSR/WRMSR. */
gp_handler:
	pushw %bp
	movw %sp, %bp
	addw $2, 2(%bp)
	incw GP_COUNT
	popw %bp
	iret

	.section .rodata
msg_ok:		.asciz "MSR and CPUID policy as expected\n"
msg_no_hv:	.asciz "FAIL: CPUID.1:ECX hypervisor bit clear\n"
msg_vmx:	.asciz "FAIL: VMX visible to the guest\n"
msg_svm:	.asciz "FAIL: SVM visible to the guest\n"
msg_bogus:	.asciz "FAIL: unknown MSR did not raise #GP twice\n"
msg_owned:	.asciz "FAIL: nested-virtualization MSR not locked/disabled\n"
msg_vendor:	.asciz "unknown CPU vendor: vendor MSR checks skipped\n"
