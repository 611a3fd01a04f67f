/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82371AB PIIX4 power management function (function 3, 00:01.3),
 * after the 82371AB datasheet (Intel 290562): its PCI configuration
 * registers (PMBA 40h, DEVACTB 58h, PMREGMISC 80h, SMBBA 90h, SMBHSTCFG
 * D2h) and the ACPI fixed hardware in its PM I/O space, PM1 status/enable
 * (PMSTS/PMEN), PM1 control (PMCNTRL) and the PM timer (PMTMR), as the
 * ACPI specification 6.4 describes them: 4.8.4.1.1 (PM1 status, Table
 * 4.11), 4.8.4.1.2 (PM1 enable, Table 4.12), 4.8.4.2.1 (PM1 control,
 * Table 4.13), 4.8.4.3 (PM timer); the GPE0 block of 4.8.5.1.1 at the
 * fixed port 0xAFE0 that QEMU's i440FX machine uses (not a PIIX4 block:
 * the chip's own general-purpose events, GPSTS/GPEN at PMBA + 0Ch, are
 * not modelled; piix4_pm_gpe_event() latches GPE0 events); the APM ports
 * APMC (B2h) and APMS (B3h); SCI on IRQ 9 and the power button.  The PCI
 * core keeps the header (8086:7113 revision 3, class 068000, subsystem
 * 1af4:1100; no interrupt pin: the SCI is wired to IRQ 9, and the
 * Interrupt Line register the firmware writes is only stored).
 *
 * PM I/O space: PMBA bits 15:6 give the base of the 64-byte block (bit 0
 * reads 1: I/O space), PMREGMISC bit 0 (PMIOSE) enables it; whenever
 * either changes the block is released and claimed again at the new base.
 * Like the PCI core with BARs, a base of 0 counts as not mapped.  Both
 * registers reset to "disabled" (datasheet defaults PMBA 00000001h,
 * PMREGMISC 00h, and QEMU's piix4 reset does the same): after a reset the
 * block is gone until the firmware programs it again.  Offsets 00h-0Bh are
 * modelled; the rest of the block (the PIIX4's own GPSTS/GPEN, processor
 * control, GLBSTS/GLBCTL/DEVCTL and the GP input/output registers) reads
 * 0 and ignores writes.  Accesses of any size and alignment act on the
 * bytes they cover, as the chip's byte enables do.
 *
 * The PM timer counts at 3.579545 MHz from the device-model clock and
 * keeps the PIIX4's 24 bits (bits 31:24 read 0; the FADT's TMR_VAL_EXT
 * flag is clear, see PIIX4_PM_TMR_VAL_EXT).  TMR_STS is set each time bit
 * 23 of the count changes; a device-model timer runs only while TMR_EN is
 * set and TMR_STS clear, to raise the SCI on time.
 *
 * SCI (IRQ 9, level): SCI_EN && (PM1 status & enable bits of TMR, GBL,
 * PWRBTN, RTC || GPE0 status & enable).  The line is shared with the
 * PIIX3's PIRQs routed to IRQ 9 (the device-model core ORs the handles).
 *
 * Deliberate deviations:
 * - ACPI-only platform (no SMM, SMI_CMD = 0 in the FADT): PM1 control
 *   starts with SCI_EN set, as QEMU does when SMM is off, and DEVACTB
 *   starts with APMC_EN (5Bh = 02h), which tells SeaBIOS's bios-256k.bin
 *   that SMM is already set up (src/fw/smm.c); QEMU presets it the same
 *   way.  No SMI is ever raised: APMC and APMS only store what is written
 *   (so SeaBIOS's wait for APMS to read 0 ends at once), except that the
 *   ACPI enable/disable commands F1h/F0h written to APMC set/clear SCI_EN
 *   as a firmware SMI handler would (QEMU does the same).  GBL_RLS and
 *   the SMI-related registers are ignored.
 * - Sleep: SLP_EN with SLP_TYP 0 (our DSDT's \_S5 = {0,0,0,0}) powers
 *   off; any other SLP_TYP is reported with dm_request_guest_sleep(),
 *   the guest runs on, and WAK_STS (Table 4.11) is set at once as though
 *   it had slept and woken: OSPM polls it after writing SLP_EN for S1-S4
 *   (Linux: ACPICA's acpi_hw_legacy_sleep()) and would otherwise spin.
 * - No SMBus controller: SMBBA (90h) and SMBHSTCFG (D2h) are stored and
 *   read back, but no I/O block appears at the SMBus base.
 * - BM_STS, GBL_STS, RTC_STS and PWRBTNOR_STS have no source here (no bus
 *   master monitoring, no BIOS SMI handler, no RTC alarm wake-up wiring,
 *   no power button override); they are write-1-to-clear and stay 0.
 * - Other configuration registers (device monitoring and resource
 *   decoding, 44h-7Fh; SMBus slave registers) are plain storage.
 */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hvmkit/log.h"
#include "pc.h"

#define PM_DEVFN                0x0b /* 00:01.3 */
#define PM_VENDOR               0x8086
#define PM_DEVICE               0x7113
#define PM_REVISION             0x03
#define PM_CLASS                0x068000 /* other bridge device */
#define SUBSYS_VENDOR_QEMU      0x1af4
#define SUBSYS_QEMU             0x1100

#define CFG_DEV_START           0x40
#define CFG_SIZE                256

/* Configuration registers (function 3). */
#define PM_CFG_PMBA             0x40 /* 32 bits */
#define  PMBA_IO                0x00000001u /* resource type: I/O */
#define  PMBA_BASE_MASK         0x0000ffc0u /* bits 15:6 */
#define PM_CFG_DEVACTB          0x58 /* 32 bits */
#define  DEVACTB_APMC_EN        (1u << 25)
#define PM_CFG_PMREGMISC        0x80
#define  PMREGMISC_PMIOSE       0x01
#define PM_CFG_SMBBA            0x90 /* 32 bits */
#define  SMBBA_IO               0x00000001u
#define  SMBBA_BASE_MASK        0x0000fff0u /* bits 15:4 */
#define PM_CFG_SMBHSTCFG        0xd2
#define  SMBHSTCFG_WMASK        0x0f /* interrupt select, host enable */
#define PM_CFG_SMBREV           0xd6 /* read-only */

/* PM I/O registers (offsets from PMBA). */
#define PM1_STS                 0x00
#define PM1_EN                  0x02
#define PM1_CNT                 0x04
#define PM_TMR                  0x08
#define PM_MODELLED_END         0x0c

/* PM1 status (Table 4.11) and enable (Table 4.12) bits. */
#define PM1_TMR                 0x0001
#define PM1_BM                  0x0010 /* status only */
#define PM1_GBL                 0x0020
#define PM1_PWRBTN              0x0100
#define PM1_RTC                 0x0400
#define PM1_PWRBTNOR            0x0800 /* status only (PIIX4) */
#define PM1_WAK                 0x8000 /* status only */
#define PM1_STS_W1C             (PM1_TMR | PM1_BM | PM1_GBL | PM1_PWRBTN | \
				 PM1_RTC | PM1_PWRBTNOR | PM1_WAK)
#define PM1_EN_MASK             (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_RTC)
#define PM1_SCI_EVENTS          PM1_EN_MASK

/* PM1 control bits (Table 4.13). */
#define PM1_CNT_SCI_EN          0x0001
#define PM1_CNT_BM_RLD          0x0002
#define PM1_CNT_GBL_RLS         0x0004 /* write-only */
#define PM1_CNT_SLP_TYP         0x1c00
#define  PM1_CNT_SLP_TYP_SHIFT  10
#define PM1_CNT_SLP_EN          0x2000 /* write-only */
#define PM1_CNT_RW              (PM1_CNT_SCI_EN | PM1_CNT_BM_RLD | \
				 PM1_CNT_SLP_TYP)

/* PM timer (4.8.4.3): 3.579545 MHz, 24 bits on the PIIX4. */
#define PM_TMR_HZ               3579545ull
#define PM_TMR_MASK             0x00ffffffu
#define PM_TMR_TOGGLE_MASK      0x007fffffull /* bit 23 changes past it */
#define NSEC_PER_SEC            1000000000ull

/* APM commands a firmware SMI handler takes as "ACPI on/off" (the values
 * SeaBIOS's built-in FADT names as ACPI_ENABLE/ACPI_DISABLE). */
#define APM_ACPI_ENABLE         0xf1
#define APM_ACPI_DISABLE        0xf0

struct piix4_pm {
	struct dm *dm;
	struct pci_function *fn;
	uint8_t *cfg;               /* the PCI core's config bytes */
	struct dm_irq *sci;
	bool sci_level;
	struct dm_timer *tmr_timer;

	struct dm_range *io_range;  /* the PM block, while mapped */
	uint16_t io_mapped_at;      /* its base, 0 if not mapped */
	uint16_t io_failed_at;      /* last base a claim failed at */
	struct dm_range *gpe_range, *apm_range;

	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint64_t tmr_next_toggle;   /* count at which bit 23 next changes */
	uint8_t gpe_sts[2], gpe_en[2];
	uint8_t apmc, apms;
};

static uint32_t cfg_get32(const uint8_t *c)
{
	return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 |
	       (uint32_t)c[3] << 24;
}

static void cfg_put32(uint8_t *c, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		c[i] = (uint8_t)(v >> (8 * i));
}

/* ------------------------------------------------- PM timer and SCI */

/* The PM timer's count since the device-model clock started. */
static uint64_t pm_tmr_count(struct piix4_pm *pm)
{
	unsigned __int128 t = dm_clock_ns(pm->dm);

	return (uint64_t)(t * PM_TMR_HZ / NSEC_PER_SEC);
}

/* First clock time (ns) at which the count is at least `count`. */
static uint64_t pm_tmr_count_to_ns(uint64_t count)
{
	unsigned __int128 c = count;

	return (uint64_t)((c * NSEC_PER_SEC + PM_TMR_HZ - 1) / PM_TMR_HZ);
}

/* Latches TMR_STS if bit 23 of the count changed since the last look. */
static void pm_tmr_sample(struct piix4_pm *pm)
{
	uint64_t now = pm_tmr_count(pm);

	if (now >= pm->tmr_next_toggle) {
		pm->pm1_sts |= PM1_TMR;
		pm->tmr_next_toggle = (now | PM_TMR_TOGGLE_MASK) + 1;
	}
}

static bool pm_sci_wanted(const struct piix4_pm *pm)
{
	if (!(pm->pm1_cnt & PM1_CNT_SCI_EN))
		return false;
	if (pm->pm1_sts & pm->pm1_en & PM1_SCI_EVENTS)
		return true;
	return (pm->gpe_sts[0] & pm->gpe_en[0]) ||
	       (pm->gpe_sts[1] & pm->gpe_en[1]);
}

/* Brings TMR_STS, the SCI line and the overflow timer up to date. */
static void pm_update(struct piix4_pm *pm)
{
	bool level;

	pm_tmr_sample(pm);
	level = pm_sci_wanted(pm);
	if (level != pm->sci_level) {
		pm->sci_level = level;
		dm_irq_set(pm->sci, level);
	}
	if ((pm->pm1_en & PM1_TMR) && !(pm->pm1_sts & PM1_TMR))
		dm_timer_mod(pm->tmr_timer,
			     pm_tmr_count_to_ns(pm->tmr_next_toggle));
	else
		dm_timer_del(pm->tmr_timer);
}

static void pm_tmr_fire(void *opaque)
{
	pm_update(opaque);
}

static void pm_power_button(void *opaque)
{
	struct piix4_pm *pm = opaque;

	/* Status bits latch whether or not their enable bit is set; the
	 * enable only decides about the SCI (4.8.4.1). */
	pm->pm1_sts |= PM1_PWRBTN;
	pm_update(pm);
}

void piix4_pm_gpe_event(struct piix4_pm *pm, unsigned int gpe)
{
	if (gpe >= 8 * sizeof(pm->gpe_sts)) {
		log_error("piix4-pm: no GPE %u in GPE0", gpe);
		return;
	}
	pm->gpe_sts[gpe / 8] |= (uint8_t)(1u << (gpe % 8));
	pm_update(pm);
}

/* ------------------------------------------------------ PM I/O block */

/* The byte at offset off of the block, from values sampled once per
 * access (so a wide read sees one consistent timer value). */
static uint8_t pm_io_byte(const struct piix4_pm *pm, uint64_t off,
			  uint32_t tmr)
{
	uint16_t cnt = pm->pm1_cnt & PM1_CNT_RW;

	switch (off) {
	case PM1_STS:
	case PM1_STS + 1:
		return (uint8_t)(pm->pm1_sts >> (8 * (off - PM1_STS)));
	case PM1_EN:
	case PM1_EN + 1:
		return (uint8_t)(pm->pm1_en >> (8 * (off - PM1_EN)));
	case PM1_CNT:
	case PM1_CNT + 1:
		return (uint8_t)(cnt >> (8 * (off - PM1_CNT)));
	case PM_TMR:
	case PM_TMR + 1:
	case PM_TMR + 2:
	case PM_TMR + 3:
		return (uint8_t)(tmr >> (8 * (off - PM_TMR)));
	default:
		return off < PIIX4_PM_IO_LEN ? 0 : 0xff;
	}
}

static uint64_t pm_io_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct piix4_pm *pm = opaque;
	uint32_t tmr;
	uint64_t v = 0;

	pm_update(pm); /* TMR_STS as of now */
	tmr = (uint32_t)pm_tmr_count(pm) & PM_TMR_MASK;
	for (unsigned int i = 0; i < size && i < 8; i++)
		v |= (uint64_t)pm_io_byte(pm, offset + i, tmr) << (8 * i);
	return v;
}

/* The part of a write at `offset` that falls on the 16-bit register at
 * `reg`: its value and a mask of the bits written. */
static uint16_t pm_io_part(uint64_t offset, uint64_t value, unsigned int size,
			   unsigned int reg, uint16_t *mask)
{
	uint16_t v = 0;

	*mask = 0;
	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t off = offset + i;

		if (off < reg || off >= reg + 2u)
			continue;
		v |= (uint16_t)(((value >> (8 * i)) & 0xff) <<
				(8 * (off - reg)));
		*mask |= (uint16_t)(0xff << (8 * (off - reg)));
	}
	return v;
}

static void pm1_cnt_write(struct piix4_pm *pm, uint16_t val, uint16_t mask)
{
	unsigned int typ;

	pm->pm1_cnt = (uint16_t)((pm->pm1_cnt & ~(mask & PM1_CNT_RW)) |
				 (val & mask & PM1_CNT_RW));
	if (val & mask & PM1_CNT_GBL_RLS)
		log_debug("piix4-pm: GBL_RLS ignored (no SMI handler)");
	if (!(val & mask & PM1_CNT_SLP_EN))
		return;
	typ = (pm->pm1_cnt & PM1_CNT_SLP_TYP) >> PM1_CNT_SLP_TYP_SHIFT;
	if (typ == 0) {
		log_debug("piix4-pm: guest entered S5 (power off)");
		dm_request_guest_poweroff(pm->dm);
	} else {
		log_debug("piix4-pm: guest asked for sleep type %u", typ);
		dm_request_guest_sleep(pm->dm, typ);
		pm->pm1_sts |= PM1_WAK;
	}
}

static void pm_io_write(void *opaque, uint64_t offset, uint64_t value,
			unsigned int size)
{
	struct piix4_pm *pm = opaque;
	uint16_t val, mask;

	pm_tmr_sample(pm); /* a TMR_STS that is due can be cleared now */
	val = pm_io_part(offset, value, size, PM1_STS, &mask);
	pm->pm1_sts &= (uint16_t)~(val & mask & PM1_STS_W1C);
	val = pm_io_part(offset, value, size, PM1_EN, &mask);
	pm->pm1_en = (uint16_t)((pm->pm1_en & ~mask) |
				(val & mask & PM1_EN_MASK));
	val = pm_io_part(offset, value, size, PM1_CNT, &mask);
	if (mask)
		pm1_cnt_write(pm, val, mask);
	if (offset + size > PM_MODELLED_END)
		log_debug("piix4-pm: write of %u bytes at PM offset %#llx "
			  "ignored beyond 0x0b", size,
			  (unsigned long long)offset);
	pm_update(pm);
}

static const struct dm_io_ops pm_io_ops = {
	.read = pm_io_read,
	.write = pm_io_write,
};

/* Maps the PM block where PMBA and PMREGMISC say, if it moved. */
static void pm_io_remap(struct piix4_pm *pm)
{
	uint16_t base = piix4_pm_io_base(pm);

	if (base == pm->io_mapped_at)
		return;
	if (pm->io_range) {
		dm_release(pm->dm, pm->io_range);
		pm->io_range = NULL;
	}
	pm->io_mapped_at = 0;
	if (!base) {
		pm->io_failed_at = 0;
		return;
	}
	pm->io_range = dm_claim(pm->dm, DM_SPACE_PIO, base, PIIX4_PM_IO_LEN,
				&pm_io_ops, pm, 0, "piix4-pm");
	if (pm->io_range) {
		pm->io_mapped_at = base;
		pm->io_failed_at = 0;
	} else if (pm->io_failed_at != base) {
		pm->io_failed_at = base;
		log_guest("piix4-pm: PM registers not mapped at %#x: the "
			  "ports are taken", base);
	}
}

uint16_t piix4_pm_io_base(const struct piix4_pm *pm)
{
	if (!(pm->cfg[PM_CFG_PMREGMISC] & PMREGMISC_PMIOSE))
		return 0;
	return (uint16_t)(cfg_get32(pm->cfg + PM_CFG_PMBA) & PMBA_BASE_MASK);
}

/* ---------------------------------------------------- GPE0 and APM */

static uint64_t pm_gpe_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct piix4_pm *pm = opaque;
	uint64_t v = 0;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t off = offset + i;
		uint8_t b = 0xff;

		if (off < 2)
			b = pm->gpe_sts[off];
		else if (off < PIIX4_PM_GPE0_LEN)
			b = pm->gpe_en[off - 2];
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

/* GPE0_STS bytes are write-1-to-clear, GPE0_EN bytes read/write
 * (4.8.5.1.1: each register is accessed as bytes). */
static void pm_gpe_write(void *opaque, uint64_t offset, uint64_t value,
			 unsigned int size)
{
	struct piix4_pm *pm = opaque;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t off = offset + i;
		uint8_t b = (uint8_t)(value >> (8 * i));

		if (off < 2)
			pm->gpe_sts[off] &= (uint8_t)~b;
		else if (off < PIIX4_PM_GPE0_LEN)
			pm->gpe_en[off - 2] = b;
	}
	pm_update(pm);
}

static const struct dm_io_ops pm_gpe_ops = {
	.read = pm_gpe_read,
	.write = pm_gpe_write,
};

static uint64_t pm_apm_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct piix4_pm *pm = opaque;
	uint64_t v = 0;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t off = offset + i;
		uint8_t b = off == 0 ? pm->apmc : off == 1 ? pm->apms : 0xff;

		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static void pm_apm_write(void *opaque, uint64_t offset, uint64_t value,
			 unsigned int size)
{
	struct piix4_pm *pm = opaque;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t off = offset + i;
		uint8_t b = (uint8_t)(value >> (8 * i));

		if (off == 1) {
			pm->apms = b;
		} else if (off == 0) {
			pm->apmc = b;
			if (b == APM_ACPI_ENABLE)
				pm->pm1_cnt |= PM1_CNT_SCI_EN;
			else if (b == APM_ACPI_DISABLE)
				pm->pm1_cnt &= (uint16_t)~PM1_CNT_SCI_EN;
			else
				log_debug("piix4-pm: APM command %#x: no SMI",
					  b);
		}
	}
	pm_update(pm);
}

static const struct dm_io_ops pm_apm_ops = {
	.read = pm_apm_read,
	.write = pm_apm_write,
};

/* ---------------------------------------------------- configuration */

/* Guest-writable bits of each device register byte; 0 for read-only. */
static uint8_t pm_cfg_wmask(unsigned int off)
{
	switch (off) {
	case PM_CFG_PMBA:
		return (uint8_t)PMBA_BASE_MASK;
	case PM_CFG_PMBA + 1:
		return (uint8_t)(PMBA_BASE_MASK >> 8);
	case PM_CFG_PMBA + 2:
	case PM_CFG_PMBA + 3:
		return 0;
	case PM_CFG_PMREGMISC:
		return PMREGMISC_PMIOSE;
	case PM_CFG_SMBBA:
		return (uint8_t)SMBBA_BASE_MASK;
	case PM_CFG_SMBBA + 1:
		return (uint8_t)(SMBBA_BASE_MASK >> 8);
	case PM_CFG_SMBBA + 2:
	case PM_CFG_SMBBA + 3:
		return 0;
	case PM_CFG_SMBHSTCFG:
		return SMBHSTCFG_WMASK;
	case PM_CFG_SMBREV:
		return 0;
	default:
		return 0xff;
	}
}

static void pm_config_write(void *opaque, unsigned int offset,
			    unsigned int size, uint32_t value)
{
	struct piix4_pm *pm = opaque;
	bool remap = false;

	if (size > 4 || offset + size > CFG_SIZE)
		return;
	for (unsigned int i = 0; i < size; i++) {
		unsigned int off = offset + i;
		uint8_t m = pm_cfg_wmask(off), b = (uint8_t)(value >> (8 * i));

		if (off < CFG_DEV_START)
			continue;
		pm->cfg[off] = (uint8_t)((pm->cfg[off] & ~m) | (b & m));
		remap |= off == PM_CFG_PMBA || off == PM_CFG_PMBA + 1 ||
			 off == PM_CFG_PMREGMISC;
	}
	if (remap)
		pm_io_remap(pm);
}

/* ------------------------------------------------------------ lifecycle */

static void pm_reset(void *opaque)
{
	struct piix4_pm *pm = opaque;

	memset(pm->cfg + CFG_DEV_START, 0, CFG_SIZE - CFG_DEV_START);
	cfg_put32(pm->cfg + PM_CFG_PMBA, PMBA_IO);
	cfg_put32(pm->cfg + PM_CFG_DEVACTB, DEVACTB_APMC_EN);
	cfg_put32(pm->cfg + PM_CFG_SMBBA, SMBBA_IO);
	pm_io_remap(pm);

	pm->pm1_sts = 0;
	pm->pm1_en = 0;
	pm->pm1_cnt = PM1_CNT_SCI_EN;
	pm->tmr_next_toggle = (pm_tmr_count(pm) | PM_TMR_TOGGLE_MASK) + 1;
	memset(pm->gpe_sts, 0, sizeof(pm->gpe_sts));
	memset(pm->gpe_en, 0, sizeof(pm->gpe_en));
	pm->apmc = 0;
	pm->apms = 0;
	pm_update(pm);
}

static const struct pci_ops pm_pci_ops = {
	.name = "piix4-pm",
	.reset = pm_reset,
	.config_write = pm_config_write,
};

struct piix4_pm *piix4_pm_create(struct dm *dm)
{
	static const struct pci_ids ids = {
		.vendor = PM_VENDOR,
		.device = PM_DEVICE,
		.subsystem_vendor = SUBSYS_VENDOR_QEMU,
		.subsystem = SUBSYS_QEMU,
		.revision = PM_REVISION,
		.class_code = PM_CLASS,
		.header_type = 0x00,
		.interrupt_pin = 0,
	};
	struct piix4_pm *pm = calloc(1, sizeof(*pm));

	if (!pm) {
		log_error("piix4-pm: out of memory");
		return NULL;
	}
	pm->dm = dm;
	pm->sci = dm_irq_get(dm, PIIX4_PM_SCI_IRQ, DM_IRQ_MODE_LEVEL);
	pm->tmr_timer = dm_timer_new(dm, pm_tmr_fire, pm);
	if (!pm->sci || !pm->tmr_timer) {
		log_error("piix4-pm: cannot get the SCI (IRQ %u) or a timer",
			  PIIX4_PM_SCI_IRQ);
		goto fail;
	}
	pm->gpe_range = dm_claim(dm, DM_SPACE_PIO, PIIX4_PM_GPE0_BASE,
				 PIIX4_PM_GPE0_LEN, &pm_gpe_ops, pm, 0,
				 "piix4-pm-gpe0");
	pm->apm_range = dm_claim(dm, DM_SPACE_PIO, APM_CNT_PORT, 2,
				 &pm_apm_ops, pm, 0, "apm");
	if (!pm->gpe_range || !pm->apm_range) {
		log_error("piix4-pm: cannot claim GPE0 (%#x) or the APM "
			  "ports (B2h-B3h)", PIIX4_PM_GPE0_BASE);
		goto fail;
	}
	pm->fn = dm_pci_register(dm, PM_DEVFN, &ids, NULL, &pm_pci_ops, pm);
	if (!pm->fn) {
		log_error("piix4-pm: cannot register PCI function 00:01.3");
		goto fail;
	}
	pm->cfg = pci_config_bytes(pm->fn);
	pm_reset(pm);
	dm_set_power_button(dm, pm_power_button, pm);
	return pm;

fail:
	piix4_pm_destroy(pm);
	return NULL;
}

void piix4_pm_destroy(struct piix4_pm *pm)
{
	if (!pm)
		return;
	if (pm->fn)
		dm_set_power_button(pm->dm, NULL, NULL);
	if (pm->io_range)
		dm_release(pm->dm, pm->io_range);
	if (pm->gpe_range)
		dm_release(pm->dm, pm->gpe_range);
	if (pm->apm_range)
		dm_release(pm->dm, pm->apm_range);
	if (pm->tmr_timer)
		dm_timer_free(pm->tmr_timer);
	free(pm);
}
