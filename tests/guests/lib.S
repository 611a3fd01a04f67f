/*
 * Runtime shared by the tiny test guests: reset vector, real-mode and
 * 32-bit console output over the debug port, test exit, the switch to flat
 * protected mode, a default IDT, and IDT gate installation.
 */
#include "guest.h"

	.section .reset, "ax"
	.code16
	.globl reset_vector
reset_vector:
	/* CS base is 0xffff0000 here; reload CS to run from the alias at
	 * 0xf0000, which real-mode code and IVT entries can name. */
	ljmp $0xf000, $RM(rm_start)

	.text
	.code16
rm_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7000, %sp
	jmp test_main16

/* puts16: print the string at CS:SI */
	.globl puts16
puts16:
	pushw %ax
	pushw %dx
	movw $DEBUGCON, %dx
1:	movb %cs:(%si), %al
	testb %al, %al
	jz 2f
	outb %al, %dx
	incw %si
	jmp 1b
2:	popw %dx
	popw %ax
	ret

/* exit16: status in AL */
	.globl exit16
exit16:
	outb %al, $TEST_EXIT
1:	cli
	hlt
	jmp 1b

/* enter_unreal16: gives DS and ES a 4 GiB limit ("big real mode") so that
 * real-mode code can reach the IOAPIC and LAPIC with 32-bit addresses. */
	.globl enter_unreal16
enter_unreal16:
	pushl %eax
	pushfl
	cli
	lgdtl %cs:RM(gdt_desc)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	movw $SEL_DATA32, %ax
	movw %ax, %ds
	movw %ax, %es
	movl %cr0, %eax
	andl $~1, %eax
	movl %eax, %cr0
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	popfl
	popl %eax
	ret

/* enter_pm32: EBX = 32-bit entry point, ECX = stack top or 0 for the
 * default stack (then the IDT is also filled with the catch-all gate; APs
 * pass their own stack and share the BSP's IDT). */
	.globl enter_pm32
enter_pm32:
	cli
	lgdtl %cs:RM(gdt_desc)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $pm32_start

	.code32
pm32_start:
	movw $SEL_DATA32, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	lidt idt_desc
	testl %ecx, %ecx
	jz 1f
	movl %ecx, %esp
	jmp *%ebx
1:	movl $STACK32_TOP, %esp
	pushl %ebx
	/* Fill the IDT with the catch-all handler. */
	xorl %eax, %eax
2:	movl $unexpected_int, %ebx
	call set_gate32
	incl %eax
	cmpl $256, %eax
	jb 2b
	popl %ebx
	jmp *%ebx

/* enter_lm64 (from 32-bit protected mode): EBX = 64-bit entry point.
 * Builds 4-level paging at PAGE_TABLES with 2 MiB pages identity-mapping
 * the first 4 GiB, enables PAE, EFER.LME and paging, and jumps there in
 * 64-bit mode (SDM vol. 3A 10.8.5, "Initializing IA-32e Mode"). */
	.globl enter_lm64
enter_lm64:
	/* Zero PML4, PDPT and four page directories. */
	movl $PAGE_TABLES, %edi
	movl $(6 * 4096 / 4), %ecx
	xorl %eax, %eax
	rep stosl
	movl $(PAGE_TABLES + 0x1000 + 3), PAGE_TABLES
	/* PDPT[i] -> PD i, for i = 0..3 */
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $12, %eax
	addl $(PAGE_TABLES + 0x2000 + 3), %eax
	movl %eax, PAGE_TABLES + 0x1000(,%ecx,8)
	incl %ecx
	cmpl $4, %ecx
	jb 1b
	/* 2048 PDEs: entry j maps j * 2 MiB, present + writable + large */
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, PAGE_TABLES + 0x2000(,%ecx,8)
	movl %ecx, %eax
	shrl $11, %eax
	movl %eax, PAGE_TABLES + 0x2004(,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jb 2b
	movl %cr4, %eax
	orl $(1 << 5), %eax		/* PAE */
	movl %eax, %cr4
	movl $PAGE_TABLES, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(1 << 31), %eax		/* PG */
	movl %eax, %cr0
	ljmpl $SEL_CODE64, $lm64_start

	.code64
lm64_start:
	movl %ebx, %ebx			/* upper half undefined after the switch */
	jmp *%rbx

	.code32
/* set_gate32: EAX = vector, EBX = handler; 32-bit interrupt gate */
	.globl set_gate32
set_gate32:
	pushl %edi
	leal IDT_BASE(,%eax,8), %edi
	movw %bx, (%edi)
	movw $SEL_CODE32, 2(%edi)
	movw $0x8e00, 4(%edi)
	pushl %ebx
	shrl $16, %ebx
	movw %bx, 6(%edi)
	popl %ebx
	popl %edi
	ret

unexpected_int:
	FAIL32(msg_unexpected, 0x7f)

/* puts32: print the string at ESI */
	.globl puts32
puts32:
	pushl %eax
	pushl %edx
	pushl %esi
	movw $DEBUGCON, %dx
1:	lodsb
	testb %al, %al
	jz 2f
	outb %al, %dx
	jmp 1b
2:	popl %esi
	popl %edx
	popl %eax
	ret

/* puthex32: print EAX as 8 hex digits */
	.globl puthex32
puthex32:
	pushl %eax
	pushl %ecx
	pushl %edx
	movl %eax, %ecx
	movl $8, %edx
1:	roll $4, %ecx
	movl %ecx, %eax
	andl $0xf, %eax
	movb hexdigits(%eax), %al
	pushl %edx
	movw $DEBUGCON, %dx
	outb %al, %dx
	popl %edx
	decl %edx
	jnz 1b
	popl %edx
	popl %ecx
	popl %eax
	ret

/* fail32: ESI = message, AL = status */
	.globl fail32
fail32:
	pushl %eax
	pushl %esi
	movl $msg_fail, %esi
	call puts32
	popl %esi
	call puts32
	popl %eax
	jmp exit32

	.globl exit32
exit32:
	outb %al, $TEST_EXIT
1:	cli
	hlt
	jmp 1b

	.section .rodata
	.balign 8
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff	/* 0x08 code32, flat (accessed: the GDT is in ROM) */
	.quad 0x00cf93000000ffff	/* 0x10 data32, flat */
	.quad 0x00af9b000000ffff	/* 0x18 code64 */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
idt_desc:
	.word 256 * 8 - 1
	.long IDT_BASE
hexdigits:
	.ascii "0123456789abcdef"
msg_unexpected:
	.asciz "unexpected interrupt or exception\n"
msg_fail:
	.asciz "FAIL: "
