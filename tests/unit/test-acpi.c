/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the ACPI and SMBIOS tables (devmodel/acpi-*.c, smbios.c)
 * with the real fw_cfg device and chipset on the fake device model.  The
 * test plays the firmware: it reads the fw_cfg file directory and the
 * files through the selector/data ports, runs etc/table-loader into guest
 * RAM as SeaBIOS's romfile_loader.c does (checking every command), then
 * checks the tables as an operating system finds them: the RSDP in the F
 * segment (ACPI 6.x 5.2.5), RSDT/XSDT, FADT, FACS, DSDT, MADT, SSDT
 * (checksums, lengths, fields), and the SMBIOS 2.8 entry point and
 * structures as SeaBIOS's biostables.c walks them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "fake-dm.h"
#include "hvmkit/log.h"
#include "pc.h"

#define RAM_SIZE     0x400000u   /* 4 MiB of fake guest RAM */
#define FSEG_BASE    0xf0000u
#define FSEG_END     0x100000u
#define HIGH_BASE    0x200000u   /* where "high" allocations go */

#define BELOW_4G     0x80000000ull
#define ABOVE_4G     0x40000000ull

#define PM_DEVFN     ((1u << 3) | 3)  /* 00:01.3 */
#define PMBA         0x40
#define PMREGMISC    0x80

#define LOADER_ENTRY 128
#define LOADER_NAME  56

struct fx {
	struct dm *dm;
	struct i440fx *host;
	struct piix3 *isa;
	struct piix4_pm *pm;
	struct fw_cfg *c;
	struct acpi_tables *acpi;
	struct acpi_config cfg;
};

/* --------------------------------------------------------- error lines */

/* ------------------------------------------------------------ fixtures */

static struct fx *fx_new(unsigned int vcpus, uint64_t below, uint64_t above)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct dm_machine m;

	assert_non_null(f);
	f->dm = fake_dm_new(RAM_SIZE);
	assert_non_null(f->dm);
	fake_dm_set_machine(f->dm, vcpus, below, above);
	f->host = i440fx_create(f->dm);
	f->isa = piix3_create(f->dm);
	f->pm = piix4_pm_create(f->dm);
	f->c = fw_cfg_create(f->dm);
	assert_non_null(f->host);
	assert_non_null(f->isa);
	assert_non_null(f->pm);
	assert_non_null(f->c);
	dm_machine_get(f->dm, &m);
	f->cfg = (struct acpi_config){
		.nr_vcpus = m.nr_vcpus, .ram_below_4g = m.ram_below_4g,
		.ram_above_4g = m.ram_above_4g, .pm = f->pm,
	};
	return f;
}

/* The platform with both table sets, as pc.c creates it. */
static struct fx *fx_tables(unsigned int vcpus, uint64_t below,
			    uint64_t above)
{
	struct fx *f = fx_new(vcpus, below, above);

	f->acpi = acpi_tables_create(f->dm, f->c, &f->cfg);
	assert_non_null(f->acpi);
	assert_int_equal(smbios_tables_add(f->c, &f->cfg), 0);
	fake_dm_start(f->dm);
	return f;
}

static void fx_free(struct fx *f)
{
	if (f->acpi)
		acpi_tables_destroy(f->acpi);
	fw_cfg_destroy(f->c);
	piix4_pm_destroy(f->pm);
	piix3_destroy(f->isa);
	i440fx_destroy(f->host);
	assert_true(fake_dm_free(f->dm));
	free(f);
}

static int setup(void **state)
{
	fake_errors_capture();
	*state = fx_tables(4, BELOW_4G, ABOVE_4G);
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	fake_errors_release();
	return 0;
}

/* For tests that build their own platform: only capture error lines. */
static int setup_log(void **state)
{
	(void)state;
	fake_errors_capture();
	return 0;
}

static int teardown_log(void **state)
{
	(void)state;
	fake_errors_release();
	return 0;
}

/* -------------------------------------------------------------- helpers */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* ------------------------------------------------- fw_cfg, as firmware */

static void cfg_select(struct fx *f, uint16_t key)
{
	fake_pio_write(f->dm, FW_CFG_PORT_SEL, key, 2);
}

static void cfg_read(struct fx *f, void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)fake_pio_read(f->dm, FW_CFG_PORT_DATA, 1);
}

/* Looks name up in the file directory; false if absent. */
static bool cfg_find(struct fx *f, const char *name, uint16_t *key,
		     uint32_t *size)
{
	uint8_t count[4], e[64];
	uint32_t n;

	cfg_select(f, FW_CFG_FILE_DIR);
	cfg_read(f, count, sizeof(count));
	n = be32(count);
	for (uint32_t i = 0; i < n; i++) {
		cfg_read(f, e, sizeof(e));
		if (!strncmp((const char *)e + 8, name, 56)) {
			*key = (uint16_t)(e[4] << 8 | e[5]);
			*size = be32(e);
			return true;
		}
	}
	return false;
}

/* Selects and reads a whole file into a new buffer. */
static uint8_t *cfg_load(struct fx *f, const char *name, uint32_t *size)
{
	uint16_t key;
	uint8_t *buf;

	assert_true(cfg_find(f, name, &key, size));
	buf = malloc(*size ? *size : 1);
	assert_non_null(buf);
	cfg_select(f, key);
	cfg_read(f, buf, *size);
	return buf;
}

/* ------------------------------------------ the loader, as SeaBIOS runs it */

struct loaded_file {
	char name[LOADER_NAME];
	uint32_t addr, size;
	/* checksummed ranges so far: no pointer may change them later */
	uint32_t ck_start[16], ck_len[16];
	unsigned int nr_ck;
};

struct firmware {
	struct loaded_file files[4];
	unsigned int nr_files;
	uint32_t high, fseg;         /* next free addresses */
	unsigned int allocs, pointers, checksums;
};

/* A file name field of a loader entry: NUL-terminated in its 56 bytes. */
static const char *entry_name(const uint8_t *field)
{
	assert_int_equal(field[LOADER_NAME - 1], 0);
	assert_true(field[0]);
	return (const char *)field;
}

static struct loaded_file *fw_file(struct firmware *fw, const char *name)
{
	for (unsigned int i = 0; i < fw->nr_files; i++)
		if (!strcmp(fw->files[i].name, name))
			return &fw->files[i];
	return NULL;
}

static void fw_allocate(struct fx *f, struct firmware *fw, const uint8_t *e)
{
	const char *name = entry_name(e + 4);
	uint32_t align = le32(e + 60), addr, size;
	uint8_t zone = e[64], *data;
	struct loaded_file *lf;

	assert_null(fw_file(fw, name));          /* once per file */
	assert_true(align && !(align & (align - 1)));
	assert_true(fw->nr_files < 4);
	if (zone == 1) {
		addr = (fw->high + align - 1) & ~(align - 1);
	} else {
		assert_int_equal(zone, 2);
		addr = (fw->fseg + align - 1) & ~(align - 1);
	}
	data = cfg_load(f, name, &size);
	assert_true(size > 0);
	if (zone == 1) {
		assert_true(addr + size <= RAM_SIZE);
		fw->high = addr + size;
	} else {
		assert_true(addr + size <= FSEG_END);
		fw->fseg = addr + size;
	}
	memcpy(fake_ram(f->dm) + addr, data, size);
	free(data);
	lf = &fw->files[fw->nr_files++];
	memset(lf, 0, sizeof(*lf));
	strcpy(lf->name, name);
	lf->addr = addr;
	lf->size = size;
	fw->allocs++;
}

static void fw_add_pointer(struct fx *f, struct firmware *fw,
			   const uint8_t *e)
{
	struct loaded_file *dst = fw_file(fw, entry_name(e + 4));
	struct loaded_file *src = fw_file(fw, entry_name(e + 60));
	uint32_t off = le32(e + 116);
	uint8_t size = e[120], *p;
	uint64_t v = 0;

	assert_non_null(dst);
	assert_non_null(src);
	assert_true(size == 1 || size == 2 || size == 4 || size == 8);
	assert_true(off + size <= dst->size);
	for (unsigned int i = 0; i < dst->nr_ck; i++)
		assert_true(off + size <= dst->ck_start[i] ||
			    off >= dst->ck_start[i] + dst->ck_len[i]);
	p = fake_ram(f->dm) + dst->addr + off;
	memcpy(&v, p, size);
	/* The field holds an offset inside the source file. */
	assert_true(v < src->size);
	v += src->addr;
	memcpy(p, &v, size);
	fw->pointers++;
}

static void fw_add_checksum(struct fx *f, struct firmware *fw,
			    const uint8_t *e)
{
	struct loaded_file *lf = fw_file(fw, entry_name(e + 4));
	uint32_t off = le32(e + 60), start = le32(e + 64), len = le32(e + 68);
	uint8_t *base;

	assert_non_null(lf);
	assert_true(off < lf->size);
	assert_true(start + len >= start && start + len <= lf->size);
	assert_true(off >= start && off < start + len);
	base = fake_ram(f->dm) + lf->addr;
	base[off] = (uint8_t)(base[off] - sum8(base + start, len));
	assert_true(lf->nr_ck < 16);
	lf->ck_start[lf->nr_ck] = start;
	lf->ck_len[lf->nr_ck++] = len;
	fw->checksums++;
}

/* Reads etc/table-loader and runs it; the tables are then in fake RAM. */
static void run_loader(struct fx *f, struct firmware *fw)
{
	uint32_t size;
	uint8_t *script = cfg_load(f, "etc/table-loader", &size);

	memset(fw, 0, sizeof(*fw));
	fw->high = HIGH_BASE;
	fw->fseg = FSEG_BASE;
	memset(fake_ram(f->dm) + FSEG_BASE, 0, FSEG_END - FSEG_BASE);
	assert_true(size > 0);
	assert_int_equal(size % LOADER_ENTRY, 0);
	for (uint32_t o = 0; o < size; o += LOADER_ENTRY) {
		const uint8_t *e = script + o;

		switch (le32(e)) {
		case 1:
			fw_allocate(f, fw, e);
			break;
		case 2:
			fw_add_pointer(f, fw, e);
			break;
		case 3:
			fw_add_checksum(f, fw, e);
			break;
		default:
			fail_msg("loader command %u at %u", le32(e), o);
		}
	}
	free(script);
}

/* ------------------------------------------- the tables, as an OS sees them */

static uint8_t *gpa(struct fx *f, uint64_t addr, size_t len)
{
	assert_true(addr + len <= RAM_SIZE);
	return fake_ram(f->dm) + addr;
}

/* A table at addr with signature sig, checked; returns it. */
static uint8_t *table_at(struct fx *f, uint64_t addr, const char *sig)
{
	uint8_t *t = gpa(f, addr, 36);
	uint32_t len = le32(t + 4);

	assert_memory_equal(t, sig, 4);
	assert_true(len >= 36);
	gpa(f, addr, len);
	assert_int_equal(sum8(t, len), 0);
	assert_memory_equal(t + 10, "HVMKIT", 6);
	return t;
}

/* The RSDP, found by scanning the F segment on 16-byte boundaries. */
static uint8_t *find_rsdp(struct fx *f)
{
	for (uint32_t a = FSEG_BASE; a < FSEG_END; a += 16) {
		uint8_t *p = fake_ram(f->dm) + a;

		if (!memcmp(p, "RSD PTR ", 8) && !sum8(p, 20))
			return p;
	}
	fail_msg("no RSDP in the F segment");
	return NULL;
}

struct os_view {
	uint8_t *rsdp, *rsdt, *xsdt, *fadt, *facs, *dsdt, *madt, *ssdt;
	uint32_t facs_addr;
};

/* Walks RSDP -> RSDT/XSDT -> tables as an OS does, checking all. */
static void os_find_tables(struct fx *f, struct os_view *v)
{
	uint32_t n;

	memset(v, 0, sizeof(*v));
	v->rsdp = find_rsdp(f);
	assert_int_equal(v->rsdp[15], 2);              /* revision */
	assert_int_equal(le32(v->rsdp + 20), 36);     /* length */
	assert_int_equal(sum8(v->rsdp, 36), 0);       /* extended */
	v->rsdt = table_at(f, le32(v->rsdp + 16), "RSDT");
	v->xsdt = table_at(f, le64(v->rsdp + 24), "XSDT");

	n = (le32(v->rsdt + 4) - 36) / 4;
	assert_int_equal(le32(v->rsdt + 4), 36 + 4 * n);
	assert_int_equal(le32(v->xsdt + 4), 36 + 8 * n);
	assert_int_equal(n, 3);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = le32(v->rsdt + 36 + 4 * i);
		uint8_t *t = gpa(f, a, 36);

		/* Both lists name the same tables, in the same order. */
		assert_int_equal(le64(v->xsdt + 36 + 8 * i), a);
		if (!memcmp(t, "FACP", 4))
			v->fadt = table_at(f, a, "FACP");
		else if (!memcmp(t, "APIC", 4))
			v->madt = table_at(f, a, "APIC");
		else if (!memcmp(t, "SSDT", 4))
			v->ssdt = table_at(f, a, "SSDT");
		else
			fail_msg("unexpected table %.4s", (const char *)t);
	}
	assert_non_null(v->fadt);
	assert_non_null(v->madt);
	assert_non_null(v->ssdt);

	assert_int_equal(le32(v->fadt + 4), 244);
	assert_int_equal(v->fadt[8], 3);
	v->facs_addr = le32(v->fadt + 36);
	v->facs = gpa(f, v->facs_addr, 64);
	assert_memory_equal(v->facs, "FACS", 4);
	assert_int_equal(le32(v->facs + 4), 64);
	assert_int_equal(v->facs_addr % 64, 0);
	assert_int_equal(le64(v->fadt + 132), 0);     /* X_FIRMWARE_CTRL */
	v->dsdt = table_at(f, le32(v->fadt + 40), "DSDT");
	assert_int_equal(le64(v->fadt + 140), le32(v->fadt + 40));
}

/* Loads the tables as firmware and finds them as an OS. */
static void boot(struct fx *f, struct os_view *v)
{
	struct firmware fw;

	run_loader(f, &fw);
	assert_int_equal(fw.allocs, 2);
	os_find_tables(f, v);
}

/* The 32-bit value of the DSDT's Name (PMIN, ...). */
static uint32_t dsdt_pmin(const uint8_t *dsdt)
{
	static const uint8_t pat[] = { 0x08, 'P', 'M', 'I', 'N', 0x0c };
	uint32_t len = le32(dsdt + 4);

	for (uint32_t i = 36; i + sizeof(pat) + 4 <= len; i++)
		if (!memcmp(dsdt + i, pat, sizeof(pat)))
			return le32(dsdt + i + sizeof(pat));
	fail_msg("no PMIN in the DSDT");
	return 0;
}

/* A GAS (5.2.3.2) in system I/O at addr, bit_width wide; or all zero. */
static void check_gas(const uint8_t *g, uint16_t addr, uint8_t bits)
{
	if (!addr) {
		static const uint8_t zero[12];

		assert_memory_equal(g, zero, 12);
		return;
	}
	assert_int_equal(g[0], 1);
	assert_int_equal(g[1], bits);
	assert_int_equal(g[2], 0);
	assert_int_equal(le64(g + 4), addr);
}

static void program_pm_base(struct fx *f, uint16_t base)
{
	fake_pci_config_write(f->dm, PM_DEVFN, PMBA, 4, base | 1u);
	fake_pci_config_write(f->dm, PM_DEVFN, PMREGMISC, 1, 1);
	assert_int_equal(piix4_pm_io_base(f->pm), base);
}

/* ---------------------------------------------------------- ACPI tests */

static void test_files_present(void **state)
{
	struct fx *f = *state;
	uint16_t key;
	uint32_t size;

	assert_true(cfg_find(f, "etc/acpi/tables", &key, &size));
	assert_true(cfg_find(f, "etc/acpi/rsdp", &key, &size));
	assert_int_equal(size, 36);
	assert_true(cfg_find(f, "etc/table-loader", &key, &size));
	assert_int_equal(size % LOADER_ENTRY, 0);
	assert_true(cfg_find(f, "etc/smbios/smbios-tables", &key, &size));
	assert_true(cfg_find(f, "etc/smbios/smbios-anchor", &key, &size));
	assert_int_equal(size, 31);
	assert_int_equal(fake_nr_errors, 0);
}

/* Every command is well formed (checked by run_loader); the script links
 * every reference and checksums every table. */
static void test_loader_script(void **state)
{
	struct fx *f = *state;
	struct firmware fw;
	struct loaded_file *tables, *rsdp;

	run_loader(f, &fw);
	assert_int_equal(fw.allocs, 2);
	tables = fw_file(&fw, "etc/acpi/tables");
	rsdp = fw_file(&fw, "etc/acpi/rsdp");
	assert_non_null(tables);
	assert_non_null(rsdp);
	assert_int_equal(tables->addr % 64, 0);
	assert_int_equal(rsdp->addr % 16, 0);
	assert_true(rsdp->addr >= FSEG_BASE && rsdp->addr < FSEG_END);
	/* RSDT 3 + XSDT 3 + FADT (FACS, DSDT, X_DSDT) + RSDP 2. */
	assert_int_equal(fw.pointers, 3 + 3 + 3 + 2);
	/* DSDT, FADT, MADT, SSDT, RSDT, XSDT and the RSDP's two. */
	assert_int_equal(fw.checksums, 6 + 2);
	assert_int_equal(tables->nr_ck, 6);
	assert_int_equal(rsdp->nr_ck, 2);
}

static void test_rsdp(void **state)
{
	struct fx *f = *state;
	struct os_view v;

	boot(f, &v);
	assert_int_equal(sum8(v.rsdp, 20), 0);
	assert_int_equal(sum8(v.rsdp, 36), 0);
	assert_memory_equal(v.rsdp + 9, "HVMKIT", 6);
	/* The RSDT and XSDT are in the high allocation. */
	assert_true(le32(v.rsdp + 16) >= HIGH_BASE);
	assert_true(le64(v.rsdp + 24) >= HIGH_BASE);
}

static void test_fadt_before_pm_base(void **state)
{
	struct fx *f = *state;
	struct os_view v;

	assert_int_equal(piix4_pm_io_base(f->pm), 0);
	boot(f, &v);
	assert_int_equal(le32(v.fadt + 56), 0);       /* PM1a_EVT_BLK */
	assert_int_equal(le32(v.fadt + 64), 0);       /* PM1a_CNT_BLK */
	assert_int_equal(le32(v.fadt + 76), 0);       /* PM_TMR_BLK */
	check_gas(v.fadt + 148, 0, 0);
	check_gas(v.fadt + 208, 0, 0);
	assert_int_equal(le32(v.fadt + 80), 0xafe0);  /* GPE0 is fixed */
}

static void test_fadt_pm_base(void **state)
{
	struct fx *f = *state;
	struct os_view v;
	uint32_t flags;

	program_pm_base(f, 0x600);
	boot(f, &v);
	assert_int_equal(le16(v.fadt + 46), 9);        /* SCI_INT */
	assert_int_equal(le32(v.fadt + 48), 0);        /* SMI_CMD */
	assert_int_equal(le32(v.fadt + 56), 0x600);
	assert_int_equal(le32(v.fadt + 60), 0);        /* PM1b_EVT_BLK */
	assert_int_equal(le32(v.fadt + 64), 0x604);
	assert_int_equal(le32(v.fadt + 76), 0x608);
	assert_int_equal(le32(v.fadt + 80), 0xafe0);
	assert_int_equal(v.fadt[88], 4);               /* PM1_EVT_LEN */
	assert_int_equal(v.fadt[89], 2);               /* PM1_CNT_LEN */
	assert_int_equal(v.fadt[91], 4);               /* PM_TMR_LEN */
	assert_int_equal(v.fadt[92], 4);               /* GPE0_BLK_LEN */
	assert_true(le16(v.fadt + 96) > 100);          /* no C2 */
	assert_true(le16(v.fadt + 98) > 1000);         /* no C3 */
	assert_int_equal(v.fadt[108], 0x32);           /* CENTURY */
	assert_int_equal(le16(v.fadt + 109), 0x3);     /* legacy, 8042 */
	flags = le32(v.fadt + 112);
	assert_int_equal(flags & 0x1, 0x1);            /* WBINVD */
	assert_int_equal(flags & 0x4, 0x4);            /* PROC_C1 */
	assert_int_equal(flags & 0x10, 0);             /* power button */
	assert_int_equal(flags & 0x20, 0x20);          /* no sleep button */
	assert_int_equal(flags & 0x100, 0);            /* 24-bit timer */
	assert_int_equal(flags & 0x400, 0x400);        /* RESET_REG_SUP */
	assert_int_equal(flags & (1u << 18), 0);       /* 4 vCPUs: flat */
	check_gas(v.fadt + 116, 0xcf9, 8);             /* RESET_REG */
	assert_int_equal(v.fadt[128], 6);              /* RESET_VALUE */
	check_gas(v.fadt + 148, 0x600, 32);            /* X_PM1a_EVT_BLK */
	check_gas(v.fadt + 160, 0, 0);
	check_gas(v.fadt + 172, 0x604, 16);            /* X_PM1a_CNT_BLK */
	check_gas(v.fadt + 184, 0, 0);
	check_gas(v.fadt + 196, 0, 0);
	check_gas(v.fadt + 208, 0x608, 32);            /* X_PM_TMR_BLK */
	check_gas(v.fadt + 220, 0xafe0, 32);           /* X_GPE0_BLK */
	check_gas(v.fadt + 232, 0, 0);
}

/* Each selection rebuilds: a new base shows up, the sizes stay. */
static void test_rebuild_on_select(void **state)
{
	struct fx *f = *state;
	struct os_view v;
	uint16_t key;
	uint32_t t0, r0, l0, t1, r1, l1;

	assert_true(cfg_find(f, "etc/acpi/tables", &key, &t0));
	assert_true(cfg_find(f, "etc/acpi/rsdp", &key, &r0));
	assert_true(cfg_find(f, "etc/table-loader", &key, &l0));
	program_pm_base(f, 0x600);
	boot(f, &v);
	assert_int_equal(le32(v.fadt + 56), 0x600);
	program_pm_base(f, 0xb000);
	boot(f, &v);
	assert_int_equal(le32(v.fadt + 56), 0xb000);
	assert_int_equal(le32(v.fadt + 76), 0xb008);
	check_gas(v.fadt + 208, 0xb008, 32);
	/* PM I/O disabled again (PMREGMISC bit 0 clear). */
	fake_pci_config_write(f->dm, PM_DEVFN, PMREGMISC, 1, 0);
	boot(f, &v);
	assert_int_equal(le32(v.fadt + 56), 0);
	assert_true(cfg_find(f, "etc/acpi/tables", &key, &t1));
	assert_true(cfg_find(f, "etc/acpi/rsdp", &key, &r1));
	assert_true(cfg_find(f, "etc/table-loader", &key, &l1));
	assert_int_equal(t0, t1);
	assert_int_equal(r0, r1);
	assert_int_equal(l0, l1);
	assert_int_equal(fake_nr_errors, 0);
}

static void test_dsdt(void **state)
{
	struct fx *f = *state;
	struct os_view v;

	boot(f, &v);
	assert_int_equal(v.dsdt[8], 2);                /* 64-bit integers */
	assert_memory_equal(v.dsdt + 16, "HVMKITPC", 8);
	assert_int_equal(dsdt_pmin(v.dsdt), BELOW_4G);
	/* The blob embedded in the device model is not changed. */
	assert_int_equal(dsdt_pmin(dsdt_aml), 0x80000000u);
	assert_int_equal(le32(v.dsdt + 4), dsdt_aml_end - dsdt_aml);
}

static void test_dsdt_pmin_other_ram(void **state)
{
	struct fx *f = fx_tables(1, 0x20000000, 0);
	struct os_view v;

	(void)state;
	boot(f, &v);
	assert_int_equal(dsdt_pmin(v.dsdt), 0x20000000);
	fx_free(f);
}

static void check_madt(const uint8_t *madt, unsigned int vcpus)
{
	uint32_t len = le32(madt + 4), off;
	unsigned int lapics = 0, ioapics = 0, overrides = 0, nmis = 0;
	uint8_t seen_irq[16] = { 0 };

	assert_int_equal(le32(madt + 36), 0xfee00000);
	assert_int_equal(le32(madt + 40), 1);          /* PCAT_COMPAT */
	for (off = 44; off < len; off += madt[off + 1]) {
		const uint8_t *e = madt + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], lapics);   /* UID */
			assert_int_equal(e[3], lapics);   /* APIC ID */
			assert_int_equal(le32(e + 4), 1); /* enabled */
			lapics++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], 0);
			assert_int_equal(le32(e + 4), 0xfec00000);
			assert_int_equal(le32(e + 8), 0);
			ioapics++;
			break;
		case 2:
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);        /* ISA */
			assert_true(e[3] < 16);
			seen_irq[e[3]]++;
			if (e[3] == 0) {
				assert_int_equal(le32(e + 4), 2);
				assert_int_equal(le16(e + 8), 0);
			} else {
				assert_int_equal(le32(e + 4), e[3]);
				assert_int_equal(le16(e + 8), 0xd);
			}
			overrides++;
			break;
		case 4:
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1);        /* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(lapics, vcpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(overrides, 5);
	assert_int_equal(nmis, 1);
	assert_int_equal(seen_irq[0], 1);
	assert_int_equal(seen_irq[5], 1);
	assert_int_equal(seen_irq[9], 1);
	assert_int_equal(seen_irq[10], 1);
	assert_int_equal(seen_irq[11], 1);
}

/* A PkgLength (ACPI 6.x 20.2.4): its value, *n gets its byte count. */
static uint32_t pkglength(const uint8_t *p, unsigned int *n)
{
	unsigned int extra = p[0] >> 6;
	uint32_t v;

	*n = 1 + extra;
	if (!extra)
		return p[0] & 0x3f;
	v = p[0] & 0x0f;
	for (unsigned int i = 0; i < extra; i++)
		v |= (uint32_t)p[1 + i] << (4 + 8 * i);
	return v;
}

/* The SSDT holds Scope (\_SB) { Device (Cnnn) { _HID "ACPI0007",
 * _UID n } ... } for n = 0 .. vcpus - 1, each PkgLength exact. */
static void check_ssdt(const uint8_t *ssdt, unsigned int vcpus)
{
	uint32_t len = le32(ssdt + 4), off = 36, end, dev_end;
	unsigned int n, i;
	char name[5];

	assert_int_equal(ssdt[off], 0x10);             /* ScopeOp */
	end = off + 1 + pkglength(ssdt + off + 1, &n);
	assert_int_equal(end, len);
	off += 1 + n;
	assert_memory_equal(ssdt + off, "\\_SB_", 5);
	off += 5;
	for (i = 0; off < end; i++) {
		assert_int_equal(ssdt[off], 0x5b);
		assert_int_equal(ssdt[off + 1], 0x82);  /* DeviceOp */
		dev_end = off + 2 + pkglength(ssdt + off + 2, &n);
		assert_true(dev_end <= end);
		off += 2 + n;
		snprintf(name, sizeof(name), "C%03X", i);
		assert_memory_equal(ssdt + off, name, 4);
		off += 4;
		assert_memory_equal(ssdt + off, "\x08_HID\x0d" "ACPI0007",
				    14);
		assert_int_equal(ssdt[off + 14], 0);
		off += 15;
		assert_memory_equal(ssdt + off, "\x08_UID", 5);
		off += 5;
		if (i <= 1) {
			assert_int_equal(ssdt[off], i);  /* Zero/OneOp */
			off++;
		} else {
			assert_int_equal(ssdt[off], 0x0a);
			assert_int_equal(ssdt[off + 1], i);
			off += 2;
		}
		assert_int_equal(off, dev_end);
	}
	assert_int_equal(i, vcpus);
}

static void test_madt_ssdt(void **state)
{
	struct fx *f = *state;
	struct os_view v;

	boot(f, &v);
	check_madt(v.madt, 4);
	check_ssdt(v.ssdt, 4);
}

/* The most vCPUs the MADT can name: multi-byte PkgLengths, the cluster
 * APIC model flag. */
static void test_255_vcpus(void **state)
{
	struct fx *f = fx_tables(255, BELOW_4G, 0);
	struct os_view v;

	(void)state;
	boot(f, &v);
	check_madt(v.madt, 255);
	check_ssdt(v.ssdt, 255);
	assert_int_equal(le32(v.fadt + 112) & (1u << 18), 1u << 18);
	fx_free(f);
}

static void test_one_vcpu(void **state)
{
	struct fx *f = fx_tables(1, BELOW_4G, 0);
	struct os_view v;

	(void)state;
	boot(f, &v);
	check_madt(v.madt, 1);
	check_ssdt(v.ssdt, 1);
	fx_free(f);
}

/* Loading twice (as after a reboot) gives the same tables. */
static void test_reload(void **state)
{
	struct fx *f = *state;
	struct os_view v;
	uint8_t *first;
	uint32_t len;

	program_pm_base(f, 0x600);
	boot(f, &v);
	len = le32(v.fadt + 4);
	first = malloc(len);
	assert_non_null(first);
	memcpy(first, v.fadt, len);
	boot(f, &v);
	assert_memory_equal(first, v.fadt, len);
	free(first);
}

static void test_bad_config(void **state)
{
	struct fx *f = fx_new(1, BELOW_4G, 0);
	struct acpi_config cfg = f->cfg;
	uint16_t key;
	uint32_t size;

	(void)state;
	cfg.nr_vcpus = 0;
	assert_null(acpi_tables_create(f->dm, f->c, &cfg));
	assert_int_equal(fake_nr_errors, 1);
	assert_non_null(strstr(fake_last_error, "vCPUs"));
	cfg.nr_vcpus = 256;
	assert_null(acpi_tables_create(f->dm, f->c, &cfg));
	assert_int_equal(fake_nr_errors, 2);
	cfg.nr_vcpus = 1;
	cfg.ram_below_4g = 0xfec00000;
	assert_null(acpi_tables_create(f->dm, f->c, &cfg));
	assert_int_equal(fake_nr_errors, 3);
	assert_non_null(strstr(fake_last_error, "PCI window"));
	/* Nothing was added. */
	assert_false(cfg_find(f, "etc/acpi/tables", &key, &size));
	/* Twice: fw_cfg refuses the duplicate name. */
	f->acpi = acpi_tables_create(f->dm, f->c, &f->cfg);
	assert_non_null(f->acpi);
	assert_null(acpi_tables_create(f->dm, f->c, &f->cfg));
	assert_true(fake_nr_errors >= 4);
	fx_free(f);
}

/* -------------------------------------------------------- SMBIOS tests */

struct smbios_view {
	uint8_t anchor[31];
	uint8_t *tables;
	uint32_t len;
};

static void smbios_load(struct fx *f, struct smbios_view *s)
{
	uint32_t size;
	uint8_t *a = cfg_load(f, "etc/smbios/smbios-anchor", &size);

	assert_int_equal(size, 31);
	memcpy(s->anchor, a, 31);
	free(a);
	s->tables = cfg_load(f, "etc/smbios/smbios-tables", &s->len);
}

/* The string number idx (1-based) of the structure at p, or NULL. */
static const char *smbios_string(const uint8_t *p, const uint8_t *end,
				 unsigned int idx)
{
	const char *s = (const char *)p + p[1];

	if (!idx)
		return NULL;
	while (--idx) {
		s += strlen(s) + 1;
		assert_true((const uint8_t *)s < end && *s);
	}
	return s;
}

static const uint8_t smbios_lengths[128] = {
	[0] = 0x18, [1] = 0x1b, [3] = 0x16, [4] = 0x2a, [16] = 0x17,
	[17] = 0x28, [19] = 0x1f, [32] = 0x0b, [127] = 0x04,
};

struct smbios_walk {
	unsigned int count, per_type[128];
	size_t max_size;
	uint64_t dimm_mib;
	uint64_t range_start[4], range_end[4];   /* type 19, bytes */
	unsigned int ranges;
	const uint8_t *type0, *type1;
};

/* Walks the structures as SeaBIOS's smbios_next() does, checking each. */
static void smbios_walk(const struct smbios_view *s, struct smbios_walk *w)
{
	const uint8_t *p = s->tables, *end = s->tables + s->len;
	uint16_t handles[1024];
	bool last = false;

	memset(w, 0, sizeof(*w));
	while (p < end) {
		const uint8_t *q;
		unsigned int nstr = 0;

		assert_false(last);
		assert_true(p + 4 <= end && p + p[1] <= end);
		assert_true(p[0] < 128);
		assert_int_equal(p[1], smbios_lengths[p[0]]);
		/* Strings: the formatted area, then NUL-terminated
		 * strings, then one more NUL (two if there are none). */
		q = p + p[1];
		if (q[0] == 0) {
			assert_true(q + 1 < end);
			assert_int_equal(q[1], 0);
			q += 2;
		} else {
			while (*q) {
				q += strlen((const char *)q) + 1;
				assert_true(q < end);
				nstr++;
			}
			q++;
		}
		for (unsigned int i = 0; i < w->count; i++)
			assert_int_not_equal(handles[i], le16(p + 2));
		assert_true(w->count < 1024);
		handles[w->count++] = le16(p + 2);
		w->per_type[p[0]]++;
		if ((size_t)(q - p) > w->max_size)
			w->max_size = (size_t)(q - p);

		switch (p[0]) {
		case 0:
			w->type0 = p;
			assert_true(p[4] >= 1 && p[4] <= nstr);
			assert_true(p[5] >= 1 && p[5] <= nstr);
			assert_true(p[8] >= 1 && p[8] <= nstr);
			break;
		case 1:
			w->type1 = p;
			break;
		case 4:
			assert_int_equal(p[0x18], 0x41);   /* enabled */
			assert_int_equal(p[0x23], 1);      /* one core */
			break;
		case 17:
			assert_int_equal(le16(p + 4), 0x1000);
			w->dimm_mib += le16(p + 0x0c) == 0x7fff ?
				       le32(p + 0x1c) : le16(p + 0x0c);
			break;
		case 19:
			assert_true(w->ranges < 4);
			assert_int_equal(le16(p + 0x0c), 0x1000);
			if (le32(p + 4) == 0xffffffff) {
				w->range_start[w->ranges] = le64(p + 0x0f);
				w->range_end[w->ranges] = le64(p + 0x17);
			} else {
				w->range_start[w->ranges] =
					(uint64_t)le32(p + 4) << 10;
				w->range_end[w->ranges] =
					((uint64_t)le32(p + 8) << 10) + 1023;
			}
			w->ranges++;
			break;
		case 127:
			last = true;
			break;
		}
		p = q;
	}
	assert_true(last);
	assert_true(p == end);
}

static void test_smbios_anchor(void **state)
{
	struct fx *f = *state;
	struct smbios_view s;
	struct smbios_walk w;

	smbios_load(f, &s);
	smbios_walk(&s, &w);
	assert_memory_equal(s.anchor, "_SM_", 4);
	assert_int_equal(s.anchor[5], 31);             /* length */
	assert_int_equal(s.anchor[6], 2);
	assert_int_equal(s.anchor[7], 8);
	assert_int_equal(sum8(s.anchor, 16), 0);
	assert_memory_equal(s.anchor + 16, "_DMI_", 5);
	assert_int_equal(sum8(s.anchor + 16, 15), 0);
	assert_int_equal(le16(s.anchor + 0x16), s.len);
	assert_int_equal(le32(s.anchor + 0x18), 0);    /* firmware sets */
	assert_int_equal(le16(s.anchor + 0x1c), w.count);
	assert_int_equal(le16(s.anchor + 8), w.max_size);
	assert_int_equal(s.anchor[0x1e], 0x28);
	free(s.tables);
}

static void test_smbios_tables(void **state)
{
	struct fx *f = *state;
	const uint8_t *end;
	struct smbios_view s;
	struct smbios_walk w;
	static const uint8_t zero[16];

	smbios_load(f, &s);
	smbios_walk(&s, &w);
	end = s.tables + s.len;
	assert_int_equal(w.per_type[0], 1);
	assert_int_equal(w.per_type[1], 1);
	assert_int_equal(w.per_type[3], 1);
	assert_int_equal(w.per_type[4], 4);
	assert_int_equal(w.per_type[16], 1);
	/* 3 GiB: one 16 GiB DIMM at most. */
	assert_int_equal(w.per_type[17], 1);
	assert_int_equal(w.dimm_mib, (BELOW_4G + ABOVE_4G) >> 20);
	assert_int_equal(w.per_type[19], 2);
	assert_int_equal(w.range_start[0], 0);
	assert_int_equal(w.range_end[0], BELOW_4G - 1);
	assert_int_equal(w.range_start[1], 1ull << 32);
	assert_int_equal(w.range_end[1], (1ull << 32) + ABOVE_4G - 1);
	assert_int_equal(w.per_type[32], 1);
	assert_int_equal(w.per_type[127], 1);
	assert_string_equal(smbios_string(w.type0, end, w.type0[4]),
			    "hvmkit");
	assert_string_equal(smbios_string(w.type1, end, w.type1[4]),
			    "hvmkit");
	assert_memory_equal(w.type1 + 8, zero, 16);    /* no UUID set */
	free(s.tables);
}

static void test_smbios_uuid(void **state)
{
	struct fx *f = fx_new(1, BELOW_4G, 0);
	/* 00112233-4455-6677-8899-aabbccddeeff */
	static const uint8_t uuid[16] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	static const uint8_t smbios_order[16] = {
		0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	struct smbios_view s;
	struct smbios_walk w;

	(void)state;
	memcpy(f->cfg.uuid, uuid, 16);
	assert_int_equal(smbios_tables_add(f->c, &f->cfg), 0);
	smbios_load(f, &s);
	smbios_walk(&s, &w);
	assert_memory_equal(w.type1 + 8, smbios_order, 16);
	assert_int_equal(w.per_type[19], 1);
	free(s.tables);
	fx_free(f);
}

/* Lots of CPUs and RAM: still one WORD of table length; big RAM is split
 * into DIMMs and needs the extended type 16/19 fields. */
static void test_smbios_large(void **state)
{
	uint64_t above = 8ull << 40;   /* 8 TiB above 4 GiB */
	struct fx *f = fx_new(255, 0xc0000000, above);
	struct smbios_view s;
	struct smbios_walk w;
	const uint8_t *p;

	(void)state;
	assert_int_equal(smbios_tables_add(f->c, &f->cfg), 0);
	smbios_load(f, &s);
	smbios_walk(&s, &w);
	assert_int_equal(w.per_type[4], 255);
	assert_true(w.per_type[17] <= 256);
	assert_int_equal(w.dimm_mib, (0xc0000000ull + above) >> 20);
	assert_int_equal(w.range_end[1], (1ull << 32) + above - 1);
	/* Type 16's capacity is in the extended field. */
	for (p = s.tables; p[0] != 16; ) {
		p += p[1];
		while (p[0] || p[1])
			p++;
		p += 2;
	}
	assert_int_equal(le32(p + 7), 0x80000000u);
	assert_int_equal(le64(p + 0x0f), 0xc0000000ull + above);
	free(s.tables);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_files_present),
		T(test_loader_script),
		T(test_rsdp),
		T(test_fadt_before_pm_base),
		T(test_fadt_pm_base),
		T(test_rebuild_on_select),
		T(test_dsdt),
		T(test_madt_ssdt),
		T(test_reload),
		T(test_smbios_anchor),
		T(test_smbios_tables),
#undef T
#define T(t) cmocka_unit_test_setup_teardown(t, setup_log, teardown_log)
		T(test_dsdt_pmin_other_ram),
		T(test_255_vcpus),
		T(test_one_vcpu),
		T(test_bad_config),
		T(test_smbios_uuid),
		T(test_smbios_large),
#undef T
	};

	log_init("test-acpi", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
