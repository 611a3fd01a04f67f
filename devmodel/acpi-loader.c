/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The commands of etc/table-loader, the script in which QEMU-style
 * firmware (SeaBIOS src/fw/romfile_loader.c, OVMF QemuFwCfgAcpi.c) finds
 * how to load and link the ACPI table files: the format of QEMU's
 * hw/acpi/bios-linker-loader.c.  Every entry is 128 bytes: a 32-bit
 * command, then its fields, then zero padding; file names are 56-byte
 * NUL-padded strings.
 */
#include "acpi-tables.h"

static void loader_pad(struct acpi_out *l, size_t start)
{
	out_zero(l, start + LOADER_ENTRY_LEN - l->len);
}

/* ALLOCATE: file, u32 alignment, u8 zone. */
void loader_allocate(struct acpi_out *l, const char *file, uint32_t align,
		     uint8_t zone)
{
	size_t start = l->len;

	out_le(l, LOADER_ALLOCATE, 4);
	out_str_fixed(l, file, LOADER_FILE_LEN);
	out_le(l, align, 4);
	out_le(l, zone, 1);
	loader_pad(l, start);
}

/* ADD_POINTER: destination file, source file, u32 offset, u8 size. */
void loader_add_pointer(struct acpi_out *l, const char *dest,
			const char *src, uint32_t offset, uint8_t size)
{
	size_t start = l->len;

	out_le(l, LOADER_ADD_POINTER, 4);
	out_str_fixed(l, dest, LOADER_FILE_LEN);
	out_str_fixed(l, src, LOADER_FILE_LEN);
	out_le(l, offset, 4);
	out_le(l, size, 1);
	loader_pad(l, start);
}

/* ADD_CHECKSUM: file, u32 checksum offset, u32 start, u32 length. */
void loader_add_checksum(struct acpi_out *l, const char *file,
			 uint32_t offset, uint32_t start, uint32_t len)
{
	size_t entry = l->len;

	out_le(l, LOADER_ADD_CHECKSUM, 4);
	out_str_fixed(l, file, LOADER_FILE_LEN);
	out_le(l, offset, 4);
	out_le(l, start, 4);
	out_le(l, len, 4);
	loader_pad(l, entry);
}
