/*
 * Benchmark guest: PIO_EXITS 32-bit MMIO writes to 0xff000000, testdev's
 * scratch window in hvmkit's device model and pc-testdev's iomem under
 * QEMU (both synchronous, handled in user space), then test exit.  Big
 * real mode gives the 32-bit address.
 */
#include "guest.h"
	.text
	.code16
	.globl test_main16
test_main16:
	call enter_unreal16
	movl $PIO_EXITS, %ecx
	movl $TD_MMIO, %esi
	xorl %eax, %eax
1:	movl %eax, (%esi)
	decl %ecx
	jnz 1b
	EXIT16(0)
