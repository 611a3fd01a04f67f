/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SMBIOS tables of the PC platform, after DMTF DSP0134 version 2.8
 * (section numbers below are that specification's), handed to the
 * firmware as QEMU does (hw/smbios/smbios.c): etc/smbios/smbios-tables
 * holds the structures, etc/smbios/smbios-anchor a 2.1-style (32-bit)
 * entry point (5.2.1).  SeaBIOS (src/fw/biostables.c,
 * smbios_romfile_setup) takes the anchor only if it is exactly 31 bytes
 * with "_SM_" and a table length equal to the tables file's size; it
 * copies the tables to RAM, sets the table address, recomputes both
 * checksums and adds its own type 0 only when there is none.  OVMF
 * (SmbiosPlatformDxe) uses the same two files.
 *
 * Structures: 0 BIOS (7.1), 1 system (7.2), 3 chassis (7.4), 4 processor
 * (7.5) per vCPU, 16 physical memory array (7.17), 17 memory devices
 * (7.18) of up to 16 GiB each, as QEMU splits RAM, 19 memory array
 * mapped addresses (7.20) for RAM below and above 4 GiB, 32 system boot
 * information, 127 end of table.  Handles follow QEMU's scheme (type
 * << 8, plus an index).  Fields with no meaning for a virtual machine
 * are 0 ("unknown") or absent strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpi-out.h"
#include "hvmkit/log.h"
#include "pc.h"

#ifndef HVMKIT_VERSION
#define HVMKIT_VERSION "unknown"
#endif

#define SMBIOS_TABLES_FILE "etc/smbios/smbios-tables"
#define SMBIOS_ANCHOR_FILE "etc/smbios/smbios-anchor"

#define SMBIOS_VENDOR      "hvmkit"
#define SMBIOS_PRODUCT     "hvmkit HVM domU"
#define SMBIOS_FAMILY      "Virtual Machine"
#define SMBIOS_BIOS_DATE   "01/01/2025"  /* MM/DD/YYYY (7.1) */

#define SMBIOS_MAJOR       2
#define SMBIOS_MINOR       8
#define SMBIOS_ANCHOR_LEN  0x1f
/* The structure table length is a WORD in the 2.1 entry point. */
#define SMBIOS_MAX_TABLES  0xffff

#define HANDLE_NONE        0xfffe  /* "not provided" (7.17, 7.18) */
#define HANDLE_NO_CACHE    0xffff  /* no cache structure (7.5) */
#define HANDLE_ARRAY       0x1000  /* the type 16 structure */

#define GiB                (1ull << 30)
#define MiB                (1ull << 20)
#define KiB                (1ull << 10)
#define DIMM_MAX_SIZE      (16 * GiB)
#define MAX_DIMMS          256     /* handles 0x1100-0x11ff */

struct smbios_builder {
	struct acpi_out o;
	size_t start;            /* of the current structure */
	unsigned int count;      /* structures so far */
	size_t max_size;         /* largest structure, with its strings */
};

/* The formatted area's header (6.1.2). */
static void smb_begin(struct smbios_builder *b, uint8_t type, uint8_t len,
		      uint16_t handle)
{
	b->start = b->o.len;
	out_le(&b->o, type, 1);
	out_le(&b->o, len, 1);
	out_le(&b->o, handle, 2);
}

/*
 * Ends the formatted area (checking its length) and appends the strings,
 * numbered from 1 in the order given (6.1.3).  The set ends with an
 * extra NUL; a structure without strings ends with two.
 */
static void smb_end(struct smbios_builder *b, const char *const *strings,
		    size_t n)
{
	size_t i, size;

	if (b->o.buf && b->o.len - b->start != b->o.buf[b->start + 1])
		log_error("smbios: type %u has a wrong length",
			  b->o.buf[b->start]);
	for (i = 0; i < n; i++)
		out_bytes(&b->o, strings[i], strlen(strings[i]) + 1);
	if (!n)
		out_le(&b->o, 0, 1);
	out_le(&b->o, 0, 1);

	size = b->o.len - b->start;
	b->count++;
	if (size > b->max_size)
		b->max_size = size;
}

/* Type 0, BIOS information (7.1; length 0x18 since 2.4). */
static void smbios_type0(struct smbios_builder *b)
{
	static const char *const s[] = { SMBIOS_VENDOR, HVMKIT_VERSION,
					 SMBIOS_BIOS_DATE };
	struct acpi_out *o = &b->o;

	smb_begin(b, 0, 0x18, 0x0000);
	out_le(o, 1, 1);                 /* vendor */
	out_le(o, 2, 1);                 /* BIOS version */
	out_le(o, 0xe800, 2);            /* starting segment, as SeaBIOS */
	out_le(o, 3, 1);                 /* release date */
	out_le(o, 0, 1);                 /* ROM size: unknown */
	out_le(o, 1u << 3, 8);           /* characteristics not supported */
	out_le(o, 0, 1);                 /* extension byte 1 */
	/* Extension byte 2 (7.1.2.2): targeted content distribution
	 * (needed for Microsoft's SVVP) and "a virtual machine", as QEMU. */
	out_le(o, (1u << 2) | (1u << 4), 1);
	out_le(o, 0, 1);                 /* system BIOS major release */
	out_le(o, 0, 1);                 /* minor release */
	out_le(o, 0xff, 1);              /* no embedded controller */
	out_le(o, 0xff, 1);
	smb_end(b, s, 3);
}

/* Type 1, system information (7.2; length 0x1b since 2.4). */
static void smbios_type1(struct smbios_builder *b, const uint8_t uuid[16])
{
	static const char *const s[] = { SMBIOS_VENDOR, SMBIOS_PRODUCT,
					 SMBIOS_FAMILY };
	struct acpi_out *o = &b->o;
	uint8_t u[16];

	/* 7.2.1: since 2.6 the first three UUID fields are little-endian;
	 * the configuration holds the RFC 4122 (network) byte order. */
	memcpy(u, uuid, 16);
	u[0] = uuid[3];
	u[1] = uuid[2];
	u[2] = uuid[1];
	u[3] = uuid[0];
	u[4] = uuid[5];
	u[5] = uuid[4];
	u[6] = uuid[7];
	u[7] = uuid[6];

	smb_begin(b, 1, 0x1b, 0x0100);
	out_le(o, 1, 1);                 /* manufacturer */
	out_le(o, 2, 1);                 /* product name */
	out_le(o, 0, 1);                 /* version */
	out_le(o, 0, 1);                 /* serial number */
	out_bytes(o, u, 16);
	out_le(o, 0x06, 1);              /* wake-up type: power switch */
	out_le(o, 0, 1);                 /* SKU number */
	out_le(o, 3, 1);                 /* family */
	smb_end(b, s, 3);
}

/* Type 3, system enclosure (7.4; length 0x15 + n * m + 1 since 2.7). */
static void smbios_type3(struct smbios_builder *b)
{
	static const char *const s[] = { SMBIOS_VENDOR };
	struct acpi_out *o = &b->o;

	smb_begin(b, 3, 0x16, 0x0300);
	out_le(o, 1, 1);                 /* manufacturer */
	out_le(o, 0x01, 1);              /* type: other */
	out_le(o, 0, 1);                 /* version */
	out_le(o, 0, 1);                 /* serial number */
	out_le(o, 0, 1);                 /* asset tag */
	out_le(o, 0x03, 1);              /* boot-up state: safe */
	out_le(o, 0x03, 1);              /* power supply state: safe */
	out_le(o, 0x03, 1);              /* thermal state: safe */
	out_le(o, 0x02, 1);              /* security status: unknown */
	out_le(o, 0, 4);                 /* OEM-defined */
	out_le(o, 0, 1);                 /* height: unspecified */
	out_le(o, 0, 1);                 /* power cords: unspecified */
	out_le(o, 0, 1);                 /* contained elements: none */
	out_le(o, 0, 1);                 /* their record length */
	out_le(o, 0, 1);                 /* SKU number */
	smb_end(b, s, 1);
}

/* Type 4, processor information (7.5; length 0x2a since 2.6): each vCPU
 * a socket with one core and one thread. */
static void smbios_type4(struct smbios_builder *b, unsigned int cpu)
{
	struct acpi_out *o = &b->o;
	char socket[16];
	const char *s[] = { socket, SMBIOS_VENDOR };

	snprintf(socket, sizeof(socket), "CPU %u", cpu);
	smb_begin(b, 4, 0x2a, (uint16_t)(0x0400 + cpu));
	out_le(o, 1, 1);                 /* socket designation */
	out_le(o, 0x03, 1);              /* type: central processor */
	out_le(o, 0x01, 1);              /* family: other */
	out_le(o, 2, 1);                 /* manufacturer */
	out_le(o, 0, 8);                 /* processor ID: not known here */
	out_le(o, 0, 1);                 /* version */
	out_le(o, 0, 1);                 /* voltage: unknown */
	out_le(o, 0, 2);                 /* external clock: unknown */
	out_le(o, 0, 2);                 /* max speed: unknown */
	out_le(o, 0, 2);                 /* current speed: unknown */
	out_le(o, 0x41, 1);              /* socket populated, CPU enabled */
	out_le(o, 0x01, 1);              /* upgrade: other */
	out_le(o, HANDLE_NO_CACHE, 2);   /* L1, L2, L3 cache handles */
	out_le(o, HANDLE_NO_CACHE, 2);
	out_le(o, HANDLE_NO_CACHE, 2);
	out_le(o, 0, 1);                 /* serial number */
	out_le(o, 0, 1);                 /* asset tag */
	out_le(o, 0, 1);                 /* part number */
	out_le(o, 1, 1);                 /* core count */
	out_le(o, 1, 1);                 /* cores enabled */
	out_le(o, 1, 1);                 /* thread count */
	out_le(o, 1u << 1, 2);           /* characteristics: unknown */
	out_le(o, 0x01, 2);              /* family 2: other */
	smb_end(b, s, 2);
}

/* Type 16, physical memory array (7.17; length 0x17 since 2.7). */
static void smbios_type16(struct smbios_builder *b, uint64_t ram,
			  unsigned int dimms)
{
	struct acpi_out *o = &b->o;
	uint64_t kib = ram / KiB;

	smb_begin(b, 16, 0x17, HANDLE_ARRAY);
	out_le(o, 0x01, 1);              /* location: other */
	out_le(o, 0x03, 1);              /* use: system memory */
	out_le(o, 0x03, 1);              /* error correction: none */
	/* Maximum capacity in KiB; from 2 TiB on, in the extended field. */
	out_le(o, kib < 0x80000000ull ? kib : 0x80000000ull, 4);
	out_le(o, HANDLE_NONE, 2);       /* memory error information */
	out_le(o, dimms, 2);
	out_le(o, kib < 0x80000000ull ? 0 : ram, 8);
	smb_end(b, NULL, 0);
}

/* Type 17, memory device (7.18; length 0x28 since 2.8). */
static void smbios_type17(struct smbios_builder *b, unsigned int i,
			  uint64_t size)
{
	struct acpi_out *o = &b->o;
	uint64_t mib = (size + MiB - 1) / MiB;
	char locator[16];
	const char *s[] = { locator, SMBIOS_VENDOR };

	snprintf(locator, sizeof(locator), "DIMM %u", i);
	smb_begin(b, 17, 0x28, (uint16_t)(0x1100 + i));
	out_le(o, HANDLE_ARRAY, 2);
	out_le(o, HANDLE_NONE, 2);       /* memory error information */
	out_le(o, 64, 2);                /* total width */
	out_le(o, 64, 2);                /* data width */
	/* Size in MiB; from 32 GiB - 1 MiB on, in the extended field. */
	out_le(o, mib < 0x7fff ? mib : 0x7fff, 2);
	out_le(o, 0x09, 1);              /* form factor: DIMM */
	out_le(o, 0, 1);                 /* device set: none */
	out_le(o, 1, 1);                 /* device locator */
	out_le(o, 0, 1);                 /* bank locator */
	out_le(o, 0x07, 1);              /* memory type: RAM */
	out_le(o, 1u << 1, 2);           /* type detail: other */
	out_le(o, 0, 2);                 /* speed: unknown */
	out_le(o, 2, 1);                 /* manufacturer */
	out_le(o, 0, 1);                 /* serial number */
	out_le(o, 0, 1);                 /* asset tag */
	out_le(o, 0, 1);                 /* part number */
	out_le(o, 0, 1);                 /* attributes: unknown rank */
	out_le(o, mib < 0x7fff ? 0 : mib, 4);
	out_le(o, 0, 2);                 /* configured speed: unknown */
	out_le(o, 0, 2);                 /* minimum voltage: unknown */
	out_le(o, 0, 2);                 /* maximum voltage: unknown */
	out_le(o, 0, 2);                 /* configured voltage: unknown */
	smb_end(b, s, 2);
}

/* Type 19, memory array mapped address (7.20; length 0x1f since 2.7):
 * [start, start + size). */
static void smbios_type19(struct smbios_builder *b, unsigned int i,
			  uint64_t start, uint64_t size)
{
	struct acpi_out *o = &b->o;
	uint64_t end = start + size - 1;
	/* Addresses in KiB, or in the extended fields from 4 TiB on. */
	bool ext = end / KiB >= 0xffffffffull;

	smb_begin(b, 19, 0x1f, (uint16_t)(0x1300 + i));
	out_le(o, ext ? 0xffffffffull : start / KiB, 4);
	out_le(o, ext ? 0xffffffffull : end / KiB, 4);
	out_le(o, HANDLE_ARRAY, 2);
	out_le(o, 1, 1);                 /* partition width */
	out_le(o, ext ? start : 0, 8);
	out_le(o, ext ? end : 0, 8);
	smb_end(b, NULL, 0);
}

/* Type 32, system boot information: no errors. */
static void smbios_type32(struct smbios_builder *b)
{
	smb_begin(b, 32, 0x0b, 0x2000);
	out_zero(&b->o, 6);              /* reserved */
	out_le(&b->o, 0, 1);             /* no errors detected */
	smb_end(b, NULL, 0);
}

/* Type 127, end of table. */
static void smbios_type127(struct smbios_builder *b)
{
	smb_begin(b, 127, 0x04, 0x7f00);
	smb_end(b, NULL, 0);
}

static void smbios_build(struct smbios_builder *b,
			 const struct acpi_config *cfg)
{
	uint64_t ram = cfg->ram_below_4g + cfg->ram_above_4g;
	uint64_t dimm = DIMM_MAX_SIZE, left;
	unsigned int i, dimms;

	/* Bigger DIMMs if RAM would need more than MAX_DIMMS. */
	while ((ram + dimm - 1) / dimm > MAX_DIMMS)
		dimm *= 2;
	dimms = (unsigned int)((ram + dimm - 1) / dimm);

	smbios_type0(b);
	smbios_type1(b, cfg->uuid);
	smbios_type3(b);
	for (i = 0; i < cfg->nr_vcpus; i++)
		smbios_type4(b, i);
	smbios_type16(b, ram, dimms);
	for (i = 0, left = ram; i < dimms; i++, left -= dimm)
		smbios_type17(b, i, left < dimm ? left : dimm);
	i = 0;
	if (cfg->ram_below_4g)
		smbios_type19(b, i++, 0, cfg->ram_below_4g);
	if (cfg->ram_above_4g)
		smbios_type19(b, i++, 4 * GiB, cfg->ram_above_4g);
	smbios_type32(b);
	smbios_type127(b);
}

/* The 2.1 (32-bit) entry point (5.2.1); the firmware fills in the
 * structure table address and redoes the checksums. */
static void smbios_anchor(uint8_t a[SMBIOS_ANCHOR_LEN], size_t tables_len,
			  unsigned int count, size_t max_size)
{
	struct acpi_out o = { .buf = a };

	out_bytes(&o, "_SM_", 4);
	out_le(&o, 0, 1);                /* checksum */
	out_le(&o, SMBIOS_ANCHOR_LEN, 1);
	out_le(&o, SMBIOS_MAJOR, 1);
	out_le(&o, SMBIOS_MINOR, 1);
	out_le(&o, max_size, 2);
	out_le(&o, 0, 1);                /* entry point revision */
	out_zero(&o, 5);                 /* formatted area */
	out_bytes(&o, "_DMI_", 5);
	out_le(&o, 0, 1);                /* intermediate checksum */
	out_le(&o, tables_len, 2);
	out_le(&o, 0, 4);                /* structure table address */
	out_le(&o, count, 2);
	out_le(&o, SMBIOS_MAJOR << 4 | SMBIOS_MINOR, 1);   /* BCD */
	/* The intermediate checksum covers 0x10-0x1e, the other the
	 * first 16 bytes: together, all 31 bytes sum to zero. */
	a[0x15] = table_checksum(a + 0x10, SMBIOS_ANCHOR_LEN - 0x10);
	a[0x04] = table_checksum(a, 0x10);
}

int smbios_tables_add(struct fw_cfg *c, const struct acpi_config *cfg)
{
	struct smbios_builder b = { .count = 0 };
	uint8_t anchor[SMBIOS_ANCHOR_LEN];
	size_t len;
	int ret = -1;

	smbios_build(&b, cfg);
	len = b.o.len;
	if (len > SMBIOS_MAX_TABLES) {
		log_error("smbios: %zu bytes of tables, more than the entry "
			  "point can describe (%u vCPUs)", len, cfg->nr_vcpus);
		return -1;
	}
	b = (struct smbios_builder){ .o.buf = malloc(len) };
	if (!b.o.buf) {
		log_error("smbios: out of memory");
		return -1;
	}
	smbios_build(&b, cfg);
	smbios_anchor(anchor, len, b.count, b.max_size);

	if (fw_cfg_add_file(c, SMBIOS_TABLES_FILE, b.o.buf, len, NULL, NULL,
			    false) &&
	    fw_cfg_add_file(c, SMBIOS_ANCHOR_FILE, anchor, sizeof(anchor),
			    NULL, NULL, false))
		ret = 0;
	free(b.o.buf);
	return ret;
}
