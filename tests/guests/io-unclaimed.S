/*
 * Address-space semantics: unclaimed ports and MMIO read as all ones and
 * drop writes (each access counted by the hypervisor: the test checks the
 * counts printed by --stats); the firmware ROM at the top of 4 GiB ignores
 * writes; the BIOS shadow below 1 MiB starts as a copy of the ROM and is
 * RAM (PAM is not enforced, see memory-layout.h); RAM below and above
 * 1 MiB holds data.
 *
 * Unclaimed port reads: inb, inw, inl, rep insb x16  = 19
 * Unclaimed port writes: outb, rep outsb x16         = 17
 * Unclaimed MMIO reads: 32-, 8-, 16-bit at the PCI hole, one re-read after
 *   the write, one in the VGA window                 = 5
 * Unclaimed MMIO writes: PCI hole, ROM               = 2
 */
#include "guest.h"

#define PORT       0x300
#define HOLE       0xe0000000
#define VGA_WINDOW 0xa0000
#define BUF        (SCRATCH + 0x100)

	.text
	.code16
	.globl test_main16
test_main16:
	call enter_unreal16
	movw $PORT, %dx
	inb %dx, %al
	cmpb $0xff, %al
	jne bad_port
	inw %dx, %ax
	cmpw $0xffff, %ax
	jne bad_port
	inl %dx, %eax
	cmpl $0xffffffff, %eax
	jne bad_port
	outb %al, %dx
	movw $BUF, %di
	movw $16, %cx
	rep insb
	movw $BUF, %si
	movw $16, %cx
1:	cmpb $0xff, (%si)
	jne bad_port
	incw %si
	loop 1b
	movw $BUF, %si
	movw $16, %cx
	rep outsb

	movl $HOLE, %esi
	movl (%esi), %eax
	cmpl $0xffffffff, %eax
	jne bad_mmio
	movb (%esi), %al
	cmpb $0xff, %al
	jne bad_mmio
	movw (%esi), %ax
	cmpw $0xffff, %ax
	jne bad_mmio
	movl $0x12345678, %eax
	movl %eax, (%esi)
	movl (%esi), %eax
	cmpl $0xffffffff, %eax
	jne bad_mmio
	movl $VGA_WINDOW, %esi
	movl (%esi), %eax
	cmpl $0xffffffff, %eax
	jne bad_mmio

	/* ROM at the top of 4 GiB ignores writes; the shadow holds the ROM's
	 * bytes and takes writes. */
	movl $rom_word, %esi
	movl $0, %eax
	movl %eax, (%esi)
	movl (%esi), %eax
	cmpl $0xc0ffee11, %eax
	jne bad_rom
	movl $(rom_word - ROM_BASE + 0xf0000), %esi
	cmpl $0xc0ffee11, (%esi)
	jne bad_shadow
	movl $0x12345678, %eax
	movl %eax, (%esi)
	cmpl %eax, (%esi)
	jne bad_shadow

	/* RAM in the upper-memory area and above 1 MiB. */
	movl $0xc0000, %esi
	movl $0x5a5aa5a5, %eax
	movl %eax, (%esi)
	cmpl %eax, (%esi)
	jne bad_ram
	movl $0x100000, %esi
	movl %eax, (%esi)
	cmpl %eax, (%esi)
	jne bad_ram

	PUTS16(msg_ok)
	EXIT16(0)
bad_port:
	PUTS16(msg_port)
	EXIT16(0x71)
bad_mmio:
	PUTS16(msg_mmio)
	EXIT16(0x72)
bad_rom:
	PUTS16(msg_rom)
	EXIT16(0x73)
bad_ram:
	PUTS16(msg_ram)
	EXIT16(0x74)
bad_shadow:
	PUTS16(msg_shadow)
	EXIT16(0x75)

	.section .rodata
	.balign 4
rom_word:	.long 0xc0ffee11
msg_ok:		.asciz "unclaimed I/O reads all ones; ROM is read-only; shadow and RAM ok\n"
msg_port:	.asciz "FAIL: unclaimed port did not read all ones\n"
msg_mmio:	.asciz "FAIL: unclaimed MMIO did not read all ones\n"
msg_rom:	.asciz "FAIL: a write to the firmware ROM stuck\n"
msg_ram:	.asciz "FAIL: RAM did not hold a value\n"
msg_shadow:	.asciz "FAIL: the BIOS shadow is not a writable copy of the ROM\n"
