/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the ACPI table builder: acpi-build.c (fw_cfg files, rebuilds),
 * acpi-tables.c (the tables) and acpi-loader.c (the linker/loader
 * script).  Not for other parts of the device model: they use pc.h.
 */
#ifndef HVMKIT_ACPI_TABLES_H
#define HVMKIT_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "acpi-out.h"

/* The fw_cfg files (QEMU hw/i386/acpi-build.c names them so). */
#define ACPI_TABLES_FILE  "etc/acpi/tables"
#define ACPI_RSDP_FILE    "etc/acpi/rsdp"
#define ACPI_LOADER_FILE  "etc/table-loader"

/* ------------------------------------------------------ acpi-loader.c */

/* The linker/loader script (QEMU hw/acpi/bios-linker-loader.c, SeaBIOS
 * src/fw/romfile_loader.h): 128-byte little-endian entries. */
#define LOADER_ENTRY_LEN      128
#define LOADER_FILE_LEN       56    /* NUL-terminated file names */
#define LOADER_ALLOCATE       1
#define LOADER_ADD_POINTER    2
#define LOADER_ADD_CHECKSUM   3
#define LOADER_ZONE_HIGH      1
#define LOADER_ZONE_FSEG      2

/* Load file into guest RAM, aligned (a power of two), in zone. */
void loader_allocate(struct acpi_out *l, const char *file, uint32_t align,
		     uint8_t zone);
/* The size-byte integer at offset in dest gets src's address added. */
void loader_add_pointer(struct acpi_out *l, const char *dest,
			const char *src, uint32_t offset, uint8_t size);
/* The byte at offset in file makes [start, start + len) sum to zero. */
void loader_add_checksum(struct acpi_out *l, const char *file,
			 uint32_t offset, uint32_t start, uint32_t len);

/* ------------------------------------------------------ acpi-tables.c */

struct acpi_build_params {
	unsigned int nr_vcpus;   /* 1 to 255 */
	uint16_t pm_base;        /* PIIX4 PM I/O base, 0 if disabled */
	uint32_t pci_start;      /* start of the 32-bit PCI window */
	size_t dsdt_pmin;        /* offset of PMIN's DWORD in dsdt_aml */
};

/* Writes etc/acpi/tables, etc/acpi/rsdp and the script that links them
 * to t, r and l; with NULL buffers, only counts their sizes. */
void acpi_tables_write(const struct acpi_build_params *p,
		       struct acpi_out *t, struct acpi_out *r,
		       struct acpi_out *l);

#endif
