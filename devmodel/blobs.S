/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Firmware pieces built with the tree and embedded in the device model:
 * the DSDT (firmware/acpi/dsdt.asl, compiled by iasl) and the direct
 * kernel boot option ROM (firmware/linuxboot/linuxboot.S).  The Makefile
 * assembles this with -I naming the directory that holds both.
 */
	.section .rodata
	.balign 16
	.globl dsdt_aml, dsdt_aml_end
	.hidden dsdt_aml, dsdt_aml_end
	.type dsdt_aml, @object
	.type dsdt_aml_end, @object
dsdt_aml:
	.incbin "dsdt.aml"
dsdt_aml_end:
	.size dsdt_aml, dsdt_aml_end - dsdt_aml

	.balign 16
	.globl linuxboot_rom, linuxboot_rom_end
	.hidden linuxboot_rom, linuxboot_rom_end
	.type linuxboot_rom, @object
	.type linuxboot_rom_end, @object
linuxboot_rom:
	.incbin "linuxboot.bin"
linuxboot_rom_end:
	.size linuxboot_rom, linuxboot_rom_end - linuxboot_rom

	.section .note.GNU-stack, "", @progbits
