/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACPI tables of the PC platform, handed to the firmware through fw_cfg
 * the way QEMU does it (hw/i386/acpi-build.c, hw/acpi/bios-linker-loader.c;
 * SeaBIOS src/fw/romfile_loader.c and OVMF QemuFwCfgAcpi.c run the
 * script):
 * - etc/acpi/tables: FACS, DSDT, FADT, MADT, SSDT, RSDT, XSDT in one blob
 *   that the firmware loads high in RAM, 64-byte aligned, so the FACS at
 *   offset 0 has the alignment ACPI 6.x 5.2.10 demands;
 * - etc/acpi/rsdp: the ACPI 2.0 RSDP, loaded into the F segment where
 *   operating systems look for it (5.2.5.1);
 * - etc/table-loader: the linker script: ALLOCATE both files, ADD_POINTER
 *   for every table reference, ADD_CHECKSUM for every table and the
 *   RSDP's two checksums.
 * acpi-tables.c writes the tables, acpi-loader.c the script commands.
 *
 * Selecting any of the three files rebuilds all of them in place, so the
 * FADT carries the PM I/O base the firmware has just programmed into the
 * PIIX4 (SeaBIOS writes PMBA before it runs the loader; QEMU's
 * acpi_build_update does the same).  The sizes never change: they depend
 * only on the vCPU count.  While PM I/O is disabled (base 0) the PM1 and
 * PM timer addresses are 0: valid tables that describe no PM block.
 */
#include <stdlib.h>
#include <string.h>

#include "acpi-tables.h"
#include "device.h"
#include "hvmkit/log.h"
#include "pc.h"

/* xAPIC IDs are 8 bits and 0xFF is the broadcast ID. */
#define ACPI_MAX_VCPUS     255
/* The 32-bit PCI window ends below the I/O APIC (dsdt.asl). */
#define ACPI_PCI_WINDOW_END 0xfec00000u

struct acpi_tables {
	struct dm *dm;
	struct piix4_pm *pm;
	struct acpi_build_params params;  /* pm_base: filled per build */
	/* fw_cfg's copies of the three files, rebuilt in place */
	uint8_t *tables, *rsdp, *loader;
	size_t tables_len, rsdp_len, loader_len;
};

/* Builds the three files into fresh buffers; false if out of memory. */
static bool acpi_build(struct acpi_tables *a, struct acpi_out *t,
		       struct acpi_out *r, struct acpi_out *l)
{
	a->params.pm_base = a->pm ? piix4_pm_io_base(a->pm) : 0;

	*t = (struct acpi_out){ 0 };
	*r = (struct acpi_out){ 0 };
	*l = (struct acpi_out){ 0 };
	acpi_tables_write(&a->params, t, r, l);

	t->buf = calloc(1, t->len);
	r->buf = calloc(1, r->len);
	l->buf = calloc(1, l->len);
	if (!t->buf || !r->buf || !l->buf) {
		free(t->buf);
		free(r->buf);
		free(l->buf);
		return false;
	}
	t->len = r->len = l->len = 0;
	acpi_tables_write(&a->params, t, r, l);
	return true;
}

/* on_select of each file: rebuild all three for the current PM base. */
static void acpi_tables_update(void *opaque)
{
	struct acpi_tables *a = opaque;
	struct acpi_out t, r, l;

	if (!a->loader)
		return;          /* acpi_tables_create() failed half-way */
	if (!acpi_build(a, &t, &r, &l)) {
		log_error("acpi: out of memory rebuilding the tables");
		return;
	}
	if (t.len == a->tables_len && r.len == a->rsdp_len &&
	    l.len == a->loader_len) {
		memcpy(a->tables, t.buf, t.len);
		memcpy(a->rsdp, r.buf, r.len);
		memcpy(a->loader, l.buf, l.len);
	} else {
		log_error("acpi: rebuilt tables changed size; kept the old");
	}
	free(t.buf);
	free(r.buf);
	free(l.buf);
}

/*
 * Offset of the DWORD of Name (PMIN, <DWordConst>) in the DSDT: the AML
 * bytes NameOp 'P' 'M' 'I' 'N' DWordPrefix (ACPI 6.x 20.2.5.1, 20.2.3),
 * which must occur exactly once.  0 if the DSDT is malformed or has no
 * (or several) such Names.
 */
static size_t dsdt_find_pmin(const uint8_t *aml, size_t len)
{
	static const uint8_t pattern[] = { 0x08, 'P', 'M', 'I', 'N', 0x0c };
	size_t i, found = 0;

	if (len < 36 || memcmp(aml, "DSDT", 4) ||
	    (aml[4] | aml[5] << 8 | aml[6] << 16 |
	     (uint32_t)aml[7] << 24) != len)
		return 0;
	for (i = 36; i + sizeof(pattern) + 4 <= len; i++) {
		if (memcmp(aml + i, pattern, sizeof(pattern)))
			continue;
		if (found)
			return 0;
		found = i + sizeof(pattern);
	}
	return found;
}

struct acpi_tables *acpi_tables_create(struct dm *dm, struct fw_cfg *c,
				       const struct acpi_config *cfg)
{
	struct acpi_tables *a;
	struct acpi_out t, r, l;
	size_t pmin;

	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > ACPI_MAX_VCPUS) {
		log_error("acpi: %u vCPUs: the MADT describes 1 to %u",
			  cfg->nr_vcpus, ACPI_MAX_VCPUS);
		return NULL;
	}
	if (cfg->ram_below_4g >= ACPI_PCI_WINDOW_END) {
		log_error("acpi: low RAM ends at %#llx, leaving no PCI window "
			  "below %#x", (unsigned long long)cfg->ram_below_4g,
			  ACPI_PCI_WINDOW_END);
		return NULL;
	}
	pmin = dsdt_find_pmin(dsdt_aml, (size_t)(dsdt_aml_end - dsdt_aml));
	if (!pmin) {
		log_error("acpi: the built-in DSDT (firmware/acpi/dsdt.asl) "
			  "has no single Name (PMIN, <DWORD>) to patch");
		return NULL;
	}

	a = calloc(1, sizeof(*a));
	if (!a) {
		log_error("acpi: out of memory");
		return NULL;
	}
	a->dm = dm;
	a->pm = cfg->pm;
	a->params.nr_vcpus = cfg->nr_vcpus;
	a->params.pci_start = (uint32_t)cfg->ram_below_4g;
	a->params.dsdt_pmin = pmin;
	if (!acpi_build(a, &t, &r, &l)) {
		log_error("acpi: out of memory");
		free(a);
		return NULL;
	}
	a->tables_len = t.len;
	a->rsdp_len = r.len;
	a->loader_len = l.len;

	/* The loader file last: acpi_tables_update() acts once it is set. */
	a->tables = fw_cfg_add_file(c, ACPI_TABLES_FILE, t.buf, t.len,
				    acpi_tables_update, a, false);
	if (a->tables)
		a->rsdp = fw_cfg_add_file(c, ACPI_RSDP_FILE, r.buf, r.len,
					  acpi_tables_update, a, false);
	if (a->rsdp)
		a->loader = fw_cfg_add_file(c, ACPI_LOADER_FILE, l.buf, l.len,
					    acpi_tables_update, a, false);
	free(t.buf);
	free(r.buf);
	free(l.buf);
	if (!a->loader) {
		/* fw_cfg logged why.  A file already added still calls
		 * acpi_tables_update(), so a must then stay allocated. */
		if (!a->tables)
			free(a);
		return NULL;
	}
	return a;
}

void acpi_tables_destroy(struct acpi_tables *a)
{
	free(a);
}
