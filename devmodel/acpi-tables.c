/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ACPI tables of the PC platform, as acpi-build.c hands them to the
 * firmware.  Sections cited are ACPI 6.x; the revisions are those of
 * QEMU's i440FX machine (hw/i386/acpi-build.c), which Linux and Windows
 * accept:
 * - FACS (5.2.10): no S3/S4, so no waking vector is ever used;
 * - DSDT: firmware/acpi/dsdt.asl compiled by iasl, its PMIN constant (the
 *   start of the 32-bit PCI window) set to the end of low RAM;
 * - FADT revision 3 (5.2.9, 244 bytes: the ACPI 2.0 layout with the
 *   64-bit X_ fields): SCI 9; no SMI command port (no SMM: the PIIX4
 *   starts with SCI_EN set); PM1a event/control and the PM timer at the
 *   PIIX4's base + 0/4/8, GPE0 at 0xAFE0; no C2/C3; RTC century at CMOS
 *   0x32; legacy devices and an 8042; reset by writing 6 to 0xCF9;
 * - MADT revision 1 (5.2.12): a local APIC per vCPU (ACPI processor UID
 *   = APIC ID = vCPU index), the I/O APIC, ISA overrides IRQ 0 -> GSI 2
 *   and IRQ 5, 9, 10, 11 level/active high (the PCI links and the SCI),
 *   NMI on LINT1 of every CPU;
 * - SSDT: a processor device (8.4: Device with _HID ACPI0007 and _UID =
 *   its MADT processor UID) per vCPU, AML (20.2) encoded here since the
 *   count is known only at run time;
 * - RSDT and XSDT (5.2.7, 5.2.8) listing FADT, MADT and SSDT;
 * - RSDP revision 2 (5.2.5.3) in its own file.
 * Every pointer field holds the target's offset inside its file and gets
 * an ADD_POINTER; checksums are left 0 and get an ADD_CHECKSUM after the
 * pointers into the same table.
 */
#include <string.h>

#include "acpi-tables.h"
#include "pc.h"

#define ACPI_OEM_ID       "HVMKIT"    /* 6 bytes */
#define ACPI_OEM_TABLE_ID "HVMKITPC"  /* 8 bytes */
#define ACPI_CREATOR_ID   "HVMK"      /* 4 bytes */

/* A pointer field of size bytes in etc/acpi/tables to the table at
 * target (an offset in the same file), fixed up by the loader. */
static void table_pointer(struct acpi_out *t, struct acpi_out *l,
			  size_t target, uint8_t size)
{
	loader_add_pointer(l, ACPI_TABLES_FILE, ACPI_TABLES_FILE,
			   (uint32_t)t->len, size);
	out_le(t, target, size);
}

/* System description table header (5.2.6). */
#define ACPI_HDR_LEN        36
#define ACPI_HDR_LENGTH     4
#define ACPI_HDR_CHECKSUM   9

static size_t table_begin(struct acpi_out *t, const char *sig, uint8_t rev)
{
	size_t start = t->len;

	out_bytes(t, sig, 4);
	out_le(t, 0, 4);                 /* length: table_end() */
	out_le(t, rev, 1);
	out_le(t, 0, 1);                 /* checksum: the loader */
	out_str_fixed(t, ACPI_OEM_ID, 6);
	out_str_fixed(t, ACPI_OEM_TABLE_ID, 8);
	out_le(t, 1, 4);                 /* OEM revision */
	out_bytes(t, ACPI_CREATOR_ID, 4);
	out_le(t, 1, 4);                 /* creator revision */
	return start;
}

/* Sets the length and has the loader checksum the table. */
static void table_end(struct acpi_out *t, struct acpi_out *l, size_t start)
{
	size_t len = t->len - start;

	out_patch_le(t, start + ACPI_HDR_LENGTH, len, 4);
	loader_add_checksum(l, ACPI_TABLES_FILE,
			    (uint32_t)(start + ACPI_HDR_CHECKSUM),
			    (uint32_t)start, (uint32_t)len);
}

/* FACS (5.2.10): 64 bytes, nothing for the firmware to fill in. */
#define FACS_LEN 64

static size_t build_facs(struct acpi_out *t)
{
	size_t start = t->len;

	out_bytes(t, "FACS", 4);
	out_le(t, FACS_LEN, 4);
	out_zero(t, 4 + 4 + 4 + 4 + 8); /* HW signature .. X waking vector */
	out_le(t, 1, 1);                 /* version: the ACPI 2.0 layout */
	out_zero(t, FACS_LEN - 33);
	return start;
}

/*
 * The DSDT from iasl, its checksum left to the loader and the DWORD of
 * PMIN set to the start of the PCI window.
 */
static size_t build_dsdt(struct acpi_out *t, struct acpi_out *l,
			 size_t pmin_offset, uint32_t pci_start)
{
	size_t start = t->len;

	out_bytes(t, dsdt_aml, (size_t)(dsdt_aml_end - dsdt_aml));
	out_patch_le(t, start + ACPI_HDR_CHECKSUM, 0, 1);
	out_patch_le(t, start + pmin_offset, pci_start, 4);
	loader_add_checksum(l, ACPI_TABLES_FILE,
			    (uint32_t)(start + ACPI_HDR_CHECKSUM),
			    (uint32_t)start, (uint32_t)(t->len - start));
	return start;
}

/* Generic Address Structure (5.2.3.2). */
#define GAS_SYSTEM_IO     1
#define GAS_ACCESS_LEGACY 0
#define GAS_ACCESS_BYTE   1

static void out_gas(struct acpi_out *t, uint8_t space, uint8_t bit_width,
		    uint8_t access, uint64_t address)
{
	out_le(t, space, 1);
	out_le(t, bit_width, 1);
	out_le(t, 0, 1);                 /* bit offset */
	out_le(t, access, 1);
	out_le(t, address, 8);
}

/* An I/O register block of len bytes, or nothing if addr is 0. */
static void out_gas_io(struct acpi_out *t, uint16_t addr, uint8_t len)
{
	if (addr)
		out_gas(t, GAS_SYSTEM_IO, (uint8_t)(len * 8),
			GAS_ACCESS_LEGACY, addr);
	else
		out_zero(t, 12);
}

/* FADT fixed feature flags (5.2.9). */
#define FADT_F_WBINVD              (1u << 0)
#define FADT_F_PROC_C1             (1u << 2)
#define FADT_F_SLP_BUTTON          (1u << 5)
#define FADT_F_TMR_VAL_EXT         (1u << 8)
#define FADT_F_RESET_REG_SUP       (1u << 10)
#define FADT_F_FORCE_APIC_CLUSTER  (1u << 18)
/* IA-PC boot architecture flags (5.2.9.3). */
#define FADT_BOOT_LEGACY_DEVICES   (1u << 0)
#define FADT_BOOT_8042             (1u << 1)

#define FADT_REVISION     3
#define FADT_PM1_EVT_LEN  4
#define FADT_PM1_CNT_LEN  2
#define FADT_PM_TMR_LEN   4
#define FADT_RESET_VALUE  0x06  /* PIIX3 RCR: hard reset, reset CPU */
#define RTC_CENTURY_INDEX 0x32
/* Latencies above 100 and 1000 us say C2 and C3 are not supported. */
#define FADT_NO_C2        101
#define FADT_NO_C3        1001

/* The PM timer's width: 24 bits on the PIIX4 (piix4-pm.c), so
 * TMR_VAL_EXT is clear. */
#define FADT_TIMER_FLAGS  (PIIX4_PM_TMR_VAL_EXT ? FADT_F_TMR_VAL_EXT : 0u)

static size_t build_fadt(struct acpi_out *t, struct acpi_out *l,
			 size_t facs, size_t dsdt, uint16_t pm_base,
			 unsigned int nr_vcpus)
{
	size_t start = table_begin(t, "FACP", FADT_REVISION);
	uint16_t evt = pm_base, cnt = 0, tmr = 0;
	uint32_t flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
			 FADT_F_RESET_REG_SUP | FADT_TIMER_FLAGS;

	/* Flat logical APIC mode reaches 8 CPUs only (as QEMU). */
	if (nr_vcpus > 8)
		flags |= FADT_F_FORCE_APIC_CLUSTER;
	if (pm_base) {
		cnt = (uint16_t)(pm_base + 4);
		tmr = (uint16_t)(pm_base + 8);
	}

	table_pointer(t, l, facs, 4);    /* FIRMWARE_CTRL */
	table_pointer(t, l, dsdt, 4);    /* DSDT */
	out_le(t, 1, 1);                 /* ex-INT_MODEL: 1 for ACPI 1.0 OSes */
	out_le(t, 0, 1);                 /* Preferred_PM_Profile: unspecified */
	out_le(t, PIIX4_PM_SCI_IRQ, 2);
	out_le(t, 0, 4);                 /* SMI_CMD: none */
	out_zero(t, 4);                  /* ACPI_ENABLE .. PSTATE_CNT */
	out_le(t, evt, 4);               /* PM1a_EVT_BLK */
	out_le(t, 0, 4);                 /* PM1b_EVT_BLK */
	out_le(t, cnt, 4);               /* PM1a_CNT_BLK */
	out_le(t, 0, 4);                 /* PM1b_CNT_BLK */
	out_le(t, 0, 4);                 /* PM2_CNT_BLK */
	out_le(t, tmr, 4);               /* PM_TMR_BLK */
	out_le(t, PIIX4_PM_GPE0_BASE, 4);
	out_le(t, 0, 4);                 /* GPE1_BLK */
	out_le(t, FADT_PM1_EVT_LEN, 1);
	out_le(t, FADT_PM1_CNT_LEN, 1);
	out_le(t, 0, 1);                 /* PM2_CNT_LEN */
	out_le(t, FADT_PM_TMR_LEN, 1);
	out_le(t, PIIX4_PM_GPE0_LEN, 1);
	out_le(t, 0, 1);                 /* GPE1_BLK_LEN */
	out_le(t, 0, 1);                 /* GPE1_BASE */
	out_le(t, 0, 1);                 /* CST_CNT */
	out_le(t, FADT_NO_C2, 2);        /* P_LVL2_LAT */
	out_le(t, FADT_NO_C3, 2);        /* P_LVL3_LAT */
	out_zero(t, 2 + 2 + 1 + 1);      /* FLUSH_SIZE .. DUTY_WIDTH */
	out_le(t, 0, 1);                 /* DAY_ALRM */
	out_le(t, 0, 1);                 /* MON_ALRM */
	out_le(t, RTC_CENTURY_INDEX, 1);
	out_le(t, FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042, 2);
	out_le(t, 0, 1);                 /* reserved */
	out_le(t, flags, 4);
	out_gas(t, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, PIIX3_RCR_PORT);
	out_le(t, FADT_RESET_VALUE, 1);
	out_zero(t, 2);                  /* ARM_BOOT_ARCH */
	out_le(t, 0, 1);                 /* FADT minor version */
	/* X_FIRMWARE_CTRL stays 0: the FACS is below 4 GiB, and a
	 * non-zero X_FIRMWARE_CTRL would make the OS ignore
	 * FIRMWARE_CTRL anyway (5.2.9). */
	out_le(t, 0, 8);
	table_pointer(t, l, dsdt, 8);    /* X_DSDT */
	out_gas_io(t, evt, FADT_PM1_EVT_LEN);       /* X_PM1a_EVT_BLK */
	out_zero(t, 12);                            /* X_PM1b_EVT_BLK */
	out_gas_io(t, cnt, FADT_PM1_CNT_LEN);       /* X_PM1a_CNT_BLK */
	out_zero(t, 12);                            /* X_PM1b_CNT_BLK */
	out_zero(t, 12);                            /* X_PM2_CNT_BLK */
	out_gas_io(t, tmr, FADT_PM_TMR_LEN);        /* X_PM_TMR_BLK */
	out_gas_io(t, PIIX4_PM_GPE0_BASE, PIIX4_PM_GPE0_LEN);
	out_zero(t, 12);                            /* X_GPE1_BLK */
	table_end(t, l, start);
	return start;
}

/* MADT (5.2.12) and its interrupt controller structures. */
#define MADT_REVISION         1
#define MADT_PCAT_COMPAT      1u
#define MADT_LOCAL_APIC       0
#define MADT_IO_APIC          1
#define MADT_INT_OVERRIDE     2
#define MADT_LOCAL_APIC_NMI   4
#define MADT_LAPIC_ENABLED    1u
#define MADT_ALL_PROCESSORS   0xff
/* MPS INTI flags (5.2.12.5): polarity bits 1:0, trigger mode bits 3:2. */
#define MPS_INTI_CONFORMS     0x0
#define MPS_INTI_HIGH_LEVEL   0xd

#define LOCAL_APIC_ADDRESS    0xfee00000u
#define IO_APIC_ADDRESS       0xfec00000u
#define IO_APIC_ID            0

static void madt_override(struct acpi_out *t, uint8_t irq, uint32_t gsi,
			  uint16_t flags)
{
	out_le(t, MADT_INT_OVERRIDE, 1);
	out_le(t, 10, 1);
	out_le(t, 0, 1);                 /* bus: ISA */
	out_le(t, irq, 1);
	out_le(t, gsi, 4);
	out_le(t, flags, 2);
}

static size_t build_madt(struct acpi_out *t, struct acpi_out *l,
			 unsigned int nr_vcpus)
{
	/* The PCI link IRQs (dsdt.asl) and the SCI: level, active high. */
	static const uint8_t level_irqs[] = { 5, 9, 10, 11 };
	size_t start = table_begin(t, "APIC", MADT_REVISION);
	unsigned int i;

	out_le(t, LOCAL_APIC_ADDRESS, 4);
	out_le(t, MADT_PCAT_COMPAT, 4);
	for (i = 0; i < nr_vcpus; i++) {
		out_le(t, MADT_LOCAL_APIC, 1);
		out_le(t, 8, 1);
		out_le(t, i, 1);         /* ACPI processor UID */
		out_le(t, i, 1);         /* APIC ID */
		out_le(t, MADT_LAPIC_ENABLED, 4);
	}

	out_le(t, MADT_IO_APIC, 1);
	out_le(t, 12, 1);
	out_le(t, IO_APIC_ID, 1);
	out_le(t, 0, 1);
	out_le(t, IO_APIC_ADDRESS, 4);
	out_le(t, 0, 4);                 /* GSI base */

	/* The PIT's IRQ 0 is wired to I/O APIC pin 2 (KVM does the same). */
	madt_override(t, 0, 2, MPS_INTI_CONFORMS);
	for (i = 0; i < sizeof(level_irqs); i++)
		madt_override(t, level_irqs[i], level_irqs[i],
			      MPS_INTI_HIGH_LEVEL);

	out_le(t, MADT_LOCAL_APIC_NMI, 1);
	out_le(t, 6, 1);
	out_le(t, MADT_ALL_PROCESSORS, 1);
	out_le(t, MPS_INTI_CONFORMS, 2);
	out_le(t, 1, 1);                 /* LINT1 */
	table_end(t, l, start);
	return start;
}

/* AML encodings (20.2). */
#define AML_ZERO_OP       0x00
#define AML_ONE_OP        0x01
#define AML_NAME_OP       0x08
#define AML_BYTE_PREFIX   0x0a
#define AML_STRING_PREFIX 0x0d
#define AML_SCOPE_OP      0x10
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP     0x82  /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR     '\\'

/* Bytes of the PkgLength (20.2.4) in front of inner bytes. */
static size_t aml_pkglength_size(size_t inner)
{
	size_t n;

	if (inner + 1 < 0x40)
		return 1;
	for (n = 2; n < 4; n++)
		if (inner + n < (size_t)1 << (4 + 8 * (n - 1)))
			break;
	return n;
}

/* A PkgLength: the length of itself plus the inner bytes after it. */
static void aml_pkglength(struct acpi_out *o, size_t inner)
{
	size_t n = aml_pkglength_size(inner), total = inner + n;
	size_t i;

	if (n == 1) {
		out_le(o, total, 1);
		return;
	}
	out_le(o, ((n - 1) << 6) | (total & 0xf), 1);
	for (i = 0; i < n - 1; i++)
		out_le(o, total >> (4 + 8 * i), 1);
}

static size_t aml_int_size(unsigned int v)
{
	return v <= 1 ? 1 : 2;
}

/* An integer up to 255 (ZeroOp, OneOp or a ByteConst). */
static void aml_int(struct acpi_out *o, unsigned int v)
{
	if (v <= 1) {
		out_le(o, v ? AML_ONE_OP : AML_ZERO_OP, 1);
		return;
	}
	out_le(o, AML_BYTE_PREFIX, 1);
	out_le(o, v, 1);
}

#define CPU_HID "ACPI0007"

/* Device (Cnnn) { Name (_HID, "ACPI0007") Name (_UID, n) }: the inner
 * bytes after the PkgLength. */
static size_t cpu_device_inner(unsigned int n)
{
	return 4 + (1 + 4 + 1 + sizeof(CPU_HID)) + (1 + 4 + aml_int_size(n));
}

static void aml_cpu_device(struct acpi_out *o, unsigned int n)
{
	static const char hex[] = "0123456789ABCDEF";
	char name[4] = { 'C', hex[(n >> 8) & 0xf], hex[(n >> 4) & 0xf],
			 hex[n & 0xf] };

	out_le(o, AML_EXT_OP_PREFIX, 1);
	out_le(o, AML_DEVICE_OP, 1);
	aml_pkglength(o, cpu_device_inner(n));
	out_bytes(o, name, 4);
	out_le(o, AML_NAME_OP, 1);
	out_bytes(o, "_HID", 4);
	out_le(o, AML_STRING_PREFIX, 1);
	out_bytes(o, CPU_HID, sizeof(CPU_HID));   /* with the NUL */
	out_le(o, AML_NAME_OP, 1);
	out_bytes(o, "_UID", 4);
	aml_int(o, n);
}

/* SSDT: Scope (\_SB) { the processor devices }. */
static size_t build_ssdt(struct acpi_out *t, struct acpi_out *l,
			 unsigned int nr_vcpus)
{
	size_t start = table_begin(t, "SSDT", 2);
	size_t inner = 5, dev;
	unsigned int i;

	for (i = 0; i < nr_vcpus; i++) {
		dev = cpu_device_inner(i);
		inner += 2 + aml_pkglength_size(dev) + dev;
	}
	out_le(t, AML_SCOPE_OP, 1);
	aml_pkglength(t, inner);
	out_le(t, AML_ROOT_CHAR, 1);
	out_bytes(t, "_SB_", 4);
	for (i = 0; i < nr_vcpus; i++)
		aml_cpu_device(t, i);
	table_end(t, l, start);
	return start;
}

/* RSDT (5.2.7) or XSDT (5.2.8): entry-byte pointers to the tables. */
static size_t build_sdt(struct acpi_out *t, struct acpi_out *l,
			const char *sig, uint8_t entry, const size_t *tables,
			size_t n)
{
	size_t start = table_begin(t, sig, 1);
	size_t i;

	for (i = 0; i < n; i++)
		table_pointer(t, l, tables[i], entry);
	table_end(t, l, start);
	return start;
}

/* RSDP (5.2.5.3), revision 2: 36 bytes. */
#define RSDP_LEN           36
#define RSDP_CHECKSUM      8
#define RSDP_V1_LEN        20
#define RSDP_EXT_CHECKSUM  32

static void build_rsdp(struct acpi_out *r, struct acpi_out *l, size_t rsdt,
		       size_t xsdt)
{
	out_bytes(r, "RSD PTR ", 8);
	out_le(r, 0, 1);                 /* checksum of the first 20 bytes */
	out_str_fixed(r, ACPI_OEM_ID, 6);
	out_le(r, 2, 1);                 /* revision: ACPI 2.0 and later */
	loader_add_pointer(l, ACPI_RSDP_FILE, ACPI_TABLES_FILE,
			   (uint32_t)r->len, 4);
	out_le(r, rsdt, 4);
	out_le(r, RSDP_LEN, 4);
	loader_add_pointer(l, ACPI_RSDP_FILE, ACPI_TABLES_FILE,
			   (uint32_t)r->len, 8);
	out_le(r, xsdt, 8);
	out_le(r, 0, 1);                 /* extended checksum */
	out_zero(r, 3);
	/* The extended checksum covers the first one: that one first. */
	loader_add_checksum(l, ACPI_RSDP_FILE, RSDP_CHECKSUM, 0, RSDP_V1_LEN);
	loader_add_checksum(l, ACPI_RSDP_FILE, RSDP_EXT_CHECKSUM, 0,
			    RSDP_LEN);
}

void acpi_tables_write(const struct acpi_build_params *p,
		       struct acpi_out *t, struct acpi_out *r,
		       struct acpi_out *l)
{
	size_t facs, dsdt, sdt[3], rsdt, xsdt;

	loader_allocate(l, ACPI_TABLES_FILE, 64, LOADER_ZONE_HIGH);
	loader_allocate(l, ACPI_RSDP_FILE, 16, LOADER_ZONE_FSEG);

	facs = build_facs(t);
	dsdt = build_dsdt(t, l, p->dsdt_pmin, p->pci_start);
	out_align(t, 8);
	sdt[0] = build_fadt(t, l, facs, dsdt, p->pm_base, p->nr_vcpus);
	out_align(t, 8);
	sdt[1] = build_madt(t, l, p->nr_vcpus);
	out_align(t, 8);
	sdt[2] = build_ssdt(t, l, p->nr_vcpus);
	out_align(t, 8);
	rsdt = build_sdt(t, l, "RSDT", 4, sdt, 3);
	out_align(t, 8);
	xsdt = build_sdt(t, l, "XSDT", 8, sdt, 3);

	build_rsdp(r, l, rsdt, xsdt);
}
