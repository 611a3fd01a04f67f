/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC machine (--machine pc, the device "pc"): creates the i440FX/PIIX
 * platform in the order the parts depend on each other and tells the
 * firmware what the hypervisor built.
 *
 * What the firmware learns, and where SeaBIOS 1.16.2 reads it
 * (src/fw/paravirt.c, src/hw/rtc.h, src/boot.c; QEMU hw/i386/pc.c
 * pc_cmos_init and hw/i386/fw_cfg.c fill the same fields):
 * - CPU count: fw_cfg key 0x05 and CMOS 0x5f (count - 1).  SeaBIOS waits
 *   for exactly max(both) CPUs to check in, so both say the same.
 * - RAM: fw_cfg "etc/e820" (RAM below and above 4 GiB, the KVM TSS and
 *   identity-map pages reserved), and the CMOS fields for firmware that
 *   does not read it: 0x15/0x16 base memory, 0x17/0x18 and 0x30/0x31 KiB
 *   above 1 MiB, 0x34/0x35 64 KiB units above 16 MiB, 0x5b-0x5d 64 KiB
 *   units above 4 GiB.
 * - Boot order: CMOS 0x3d/0x38 from boot=, and the "bootorder" file
 *   putting the direct-kernel-boot option ROM first when kernel= is given.
 * - ACPI and SMBIOS tables through fw_cfg (acpi-build.c, smbios.c).
 * - Disks and CD drives (hda-hdd) on the PIIX3 IDE at 00:01.1 (hw/ide/),
 *   which SeaBIOS and OVMF find on the PCI bus.
 */
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"
#include "pc.h"

/* CMOS layout (IBM PC/AT BIOS convention; SeaBIOS src/hw/rtc.h). */
#define CMOS_FLOPPY_TYPES     0x10
#define CMOS_EQUIPMENT        0x14
#define CMOS_BASE_MEM_LO      0x15
#define CMOS_EXT_MEM_LO       0x17
#define CMOS_EXT_MEM2_LO      0x30
#define CMOS_MEM_ABOVE_16M_LO 0x34
#define CMOS_BOOT_FLAGS_3     0x38
#define CMOS_BOOT_FLAGS_12    0x3d
#define CMOS_MEM_ABOVE_4G     0x5b /* 3 bytes */
#define CMOS_CPU_COUNT        0x5f

#define E820_RAM      1
#define E820_RESERVED 2

/* The KVM TSS and identity-map pages (hypervisor/memory-layout.h). */
#define KVM_PRIVATE_BASE 0xfeffc000ull
#define KVM_PRIVATE_LEN  0x4000ull

struct pc {
	struct dm *dm;
	struct pc_parts parts;
};

struct e820_entry {
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __attribute__((packed));

static void put_le16(struct rtc *r, unsigned int index, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	rtc_cmos_set(r, index, (uint8_t)v);
	rtc_cmos_set(r, index + 1, (uint8_t)(v >> 8));
}

/* "cdn" -> CMOS boot device codes: 1 floppy, 2 hard disk, 3 CD, 4
 * network (SeaBIOS src/boot.c boot_init).  -1 if not a boot order. */
static int boot_codes(const char *order, uint8_t codes[3])
{
	if (!boot_order_valid(order))
		return -1;
	memset(codes, 0, 3);
	for (size_t i = 0; order[i]; i++)
		codes[i] = (uint8_t)(strchr("acdn", order[i]) - "acdn" + 1);
	return 0;
}

static void cmos_init(struct rtc *r, const struct dm_machine *m,
		      const uint8_t boot[3])
{
	uint64_t low = m->ram_below_4g;

	rtc_cmos_set(r, CMOS_FLOPPY_TYPES, 0);
	/* Bit 1: FPU present; bit 2: PS/2 mouse; bits 5:4 = 0: VGA. */
	rtc_cmos_set(r, CMOS_EQUIPMENT, 0x06);
	put_le16(r, CMOS_BASE_MEM_LO, 640);
	put_le16(r, CMOS_EXT_MEM_LO, low > MiB ? (low - MiB) / 1024 : 0);
	put_le16(r, CMOS_EXT_MEM2_LO, low > MiB ? (low - MiB) / 1024 : 0);
	put_le16(r, CMOS_MEM_ABOVE_16M_LO,
		 low > 16 * MiB ? (low - 16 * MiB) >> 16 : 0);
	rtc_cmos_set(r, CMOS_MEM_ABOVE_4G, (uint8_t)(m->ram_above_4g >> 16));
	rtc_cmos_set(r, CMOS_MEM_ABOVE_4G + 1,
		     (uint8_t)(m->ram_above_4g >> 24));
	rtc_cmos_set(r, CMOS_MEM_ABOVE_4G + 2,
		     (uint8_t)(m->ram_above_4g >> 32));
	rtc_cmos_set(r, CMOS_CPU_COUNT, (uint8_t)(m->nr_vcpus - 1));
	rtc_cmos_set(r, CMOS_BOOT_FLAGS_12, (uint8_t)(boot[0] | boot[1] << 4));
	/* Bit 0 clear: check the floppy boot signature. */
	rtc_cmos_set(r, CMOS_BOOT_FLAGS_3, (uint8_t)(boot[2] << 4));
}

static int fw_cfg_init(struct pc *pc, const struct dm_machine *m,
		       bool direct_kernel)
{
	struct e820_entry e820[3];
	unsigned int n = 0;
	static const char order[] = KERNEL_BOOT_ORDER_ENTRY "\n";

	e820[n++] = (struct e820_entry){ 0, m->ram_below_4g, E820_RAM };
	e820[n++] = (struct e820_entry){ KVM_PRIVATE_BASE, KVM_PRIVATE_LEN,
					 E820_RESERVED };
	if (m->ram_above_4g)
		e820[n++] = (struct e820_entry){ 1ull << 32, m->ram_above_4g,
						 E820_RAM };
	if (fw_cfg_add_le16(pc->parts.fw_cfg, FW_CFG_NB_CPUS,
			    (uint16_t)m->nr_vcpus) < 0 ||
	    fw_cfg_add_le16(pc->parts.fw_cfg, FW_CFG_MAX_CPUS,
			    (uint16_t)m->nr_vcpus) < 0 ||
	    !fw_cfg_add_file(pc->parts.fw_cfg, "etc/e820", e820,
			     n * sizeof(e820[0]), NULL, NULL, false))
		return -1;
	/* Without a bootorder file SeaBIOS boots in CMOS order, which has
	 * no entry for an option ROM's boot vector. */
	if (direct_kernel &&
	    !fw_cfg_add_file(pc->parts.fw_cfg, "bootorder", order,
			     sizeof(order) - 1, NULL, NULL, false))
		return -1;
	return 0;
}

void pc_parts_destroy(struct pc_parts *p)
{
	if (p->acpi)
		acpi_tables_destroy(p->acpi);
	if (p->fw_cfg)
		fw_cfg_destroy(p->fw_cfg);
	if (p->i8042)
		i8042_destroy(p->i8042);
	if (p->rtc)
		rtc_destroy(p->rtc);
	if (p->pm)
		piix4_pm_destroy(p->pm);
	if (p->ide)
		piix_ide_destroy(p->ide);
	if (p->piix3)
		piix3_destroy(p->piix3);
	if (p->i440fx)
		i440fx_destroy(p->i440fx);
	memset(p, 0, sizeof(*p));
}

int pc_parts_create(struct dm *dm, struct pc_parts *p,
		    struct acpi_config *cfg)
{
	memset(p, 0, sizeof(*p));
	p->i440fx = i440fx_create(dm);
	p->piix3 = p->i440fx ? piix3_create(dm) : NULL;
	p->ide = p->piix3 ? piix_ide_create(dm, PIIX_IDE_DEVFN) : NULL;
	p->pm = p->ide ? piix4_pm_create(dm) : NULL;
	p->rtc = p->pm ? rtc_create(dm) : NULL;
	p->i8042 = p->rtc ? i8042_create(dm) : NULL;
	p->fw_cfg = p->i8042 ? fw_cfg_create(dm) : NULL;
	cfg->pm = p->pm;
	p->acpi = p->fw_cfg ? acpi_tables_create(dm, p->fw_cfg, cfg) : NULL;
	if (!p->acpi || smbios_tables_add(p->fw_cfg, cfg) < 0) {
		pc_parts_destroy(p);
		return -1;
	}
	return 0;
}

static void pc_destroy(void *opaque)
{
	struct pc *pc = opaque;

	if (!pc)
		return;
	pc_parts_destroy(&pc->parts);
	free(pc);
}

static void *pc_create(struct dm *dm, const struct dm_opts *opts)
{
	struct kernel_boot_config kb = {
		.kernel = dm_opt_get(opts, "kernel"),
		.initrd = dm_opt_get(opts, "initrd"),
		.cmdline = dm_opt_get(opts, "cmdline"),
	};
	const char *boot = dm_opt_get(opts, "boot");
	struct acpi_config acpi;
	struct dm_machine m;
	uint8_t codes[3];
	struct pc *pc;

	if (boot_codes(boot ? boot : "cd", codes) < 0) {
		log_error("--machine pc: boot=%s: want up to three different "
			  "letters of a (floppy), c (disk), d (CD), n "
			  "(network)", boot);
		return NULL;
	}
	if ((kb.initrd || kb.cmdline) && !kb.kernel) {
		log_error("--machine pc: %s= needs kernel=",
			  kb.initrd ? "initrd" : "cmdline");
		return NULL;
	}
	dm_machine_get(dm, &m);
	kb.ram_below_4g = m.ram_below_4g;
	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		log_error("out of memory");
		return NULL;
	}
	pc->dm = dm;
	acpi = (struct acpi_config){
		.nr_vcpus = m.nr_vcpus, .ram_below_4g = m.ram_below_4g,
		.ram_above_4g = m.ram_above_4g,
	};
	if (pc_parts_create(dm, &pc->parts, &acpi) < 0)
		goto fail;
	cmos_init(pc->parts.rtc, &m, codes);
	if (fw_cfg_init(pc, &m, kb.kernel != NULL) < 0)
		goto fail;
	if (kb.kernel && kernel_boot_setup(pc->parts.fw_cfg, &kb) < 0)
		goto fail;
	return pc;
fail:
	pc_destroy(pc);
	return NULL;
}

/* The chipset functions are reset by the PCI core (their pci_ops); the
 * IDE's drives and channels here. */
static void pc_reset(void *opaque)
{
	struct pc *pc = opaque;

	piix_ide_reset(pc->parts.ide);
	rtc_reset(pc->parts.rtc);
	i8042_reset(pc->parts.i8042);
	fw_cfg_reset(pc->parts.fw_cfg);
}

const struct device_ops pc_device_ops = {
	.name = "pc",
	.help = "the PC platform (--machine pc; IDE at 00:01.1 for the "
		"drives hda-hdd): kernel=PATH, initrd=PATH, cmdline=TEXT, "
		"boot=ORDER (of a c d n; default cd)",
	.create = pc_create,
	.reset = pc_reset,
	.destroy = pc_destroy,
};
