/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the PIIX3 IDE controller and its ATA disks (hw/ide/) on
 * the fake device model, through the device API only: port I/O and PCI
 * configuration as the guest does them, guest RAM for PRD tables and
 * buffers, image files in a temporary directory (ide-harness.c).
 *
 * Expectations come from the specifications, not the implementation:
 * - PIIX3 datasheet (Intel 290550): PCI identity, IDETIM, the bus-master
 *   registers (section 2.7);
 * - SFF-8038i (bus-master programming interface): PRD tables, the
 *   Interrupt/Active status combinations;
 * - ATA/ATAPI-6 (T13/1410D) and ACS-3: IDENTIFY DEVICE (8.15), the
 *   register protocols (section 9), signatures (9.12), commands and
 *   their error bits, the device 0 only configuration (single device:
 *   device 1 selected reads Status 00h), nIEN and HOB (7.9).
 */
#define _GNU_SOURCE
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
#include "ide-harness.h"
#include "pc.h"

#define DISK_SIZE   (4ull << 20)
#define DISK_SECTS  (DISK_SIZE / 512)
#define BIG_SIZE    (200ull << 30)   /* beyond LBA28's 128 GiB */
#define BIG_SECTS   (BIG_SIZE / 512)

#define PRD_TABLE   0x1000
#define BUF0        0x10000
#define BUF1        0x40010          /* not 512-aligned on purpose */
#define BUF2        0x80000

/* ------------------------------------------------------------ fixtures */

/* One 4 MiB disk as hda. */
static struct ide_fx *one_disk(void **state)
{
	struct ide_fx *f = *state;

	ide_attach_disk(f, 0, DISK_SIZE);
	ide_start(f);
	return f;
}

/* ------------------------------------------------------------- helpers */

static void identify(struct ide_fx *f, unsigned int ch, unsigned int dev,
		     uint16_t w[256])
{
	uint8_t st = ata_identify(f, ch, dev, ATA_IDENTIFY, w);

	assert_int_equal(st & (ST_BSY | ST_DRQ | ST_ERR), 0);
}

/* The error-completion shape of ATA/ATAPI-6: DRDY and ERR, no BSY/DRQ. */
static void assert_error(struct ide_fx *f, unsigned int ch, uint8_t st,
			 uint8_t error_bits)
{
	uint8_t err = ide_in(f, ch, REG_ERROR);

	assert_int_equal(st & (ST_BSY | ST_DRQ | ST_ERR | ST_DRDY),
			 ST_ERR | ST_DRDY);
	if (!(err & error_bits))
		fail_msg("error register %#04x, expected one of %#04x", err,
			 error_bits);
}

static void assert_ok(uint8_t st)
{
	if ((st & (ST_BSY | ST_DRQ | ST_ERR | ST_DF | ST_DRDY)) != ST_DRDY)
		fail_msg("status %#04x, expected DRDY only", st);
}

/* A distinct, non-pattern buffer for writes. */
static void write_data(uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed ^ (i * 13) ^ (i >> 9));
}

/* Issues a DMA command the way Linux's ata_bmdma does: PRD table and
 * direction, command, then the start bit; waits for the end and returns
 * the ATA status (alternate, the interrupt left pending). */
static uint8_t dma_cmd(struct ide_fx *f, unsigned int ch, unsigned int dev,
		       uint8_t cmd, uint64_t lba, unsigned int count,
		       const struct prd *p, unsigned int n, bool to_memory)
{
	bool ext = cmd == ATA_READ_DMA_EXT || cmd == ATA_WRITE_DMA_EXT;

	prd_write(f, PRD_TABLE, p, n);
	bm_setup(f, ch, PRD_TABLE, to_memory);
	ide_irq_mark(f, ch);
	if (ext)
		ata_cmd48(f, ch, dev, cmd, 0, lba, (uint16_t)count);
	else
		ata_cmd28(f, ch, dev, cmd, 0, (uint32_t)lba, (uint8_t)count);
	bm_start(f, ch, to_memory);
	return dma_wait(f, ch);
}

/* ------------------------------------------------------------ PCI, ports */

static void test_pci_identity(void **state)
{
	struct ide_fx *f = one_disk(state);
	struct dm *dm = f->dm;
	unsigned int flags;
	const char *name;

	assert_int_equal(fake_pci_config_read(dm, IDE_DEVFN, 0x00, 2), 0x8086);
	assert_int_equal(fake_pci_config_read(dm, IDE_DEVFN, 0x02, 2), 0x7010);
	/* Mass storage, IDE, prog-if 80h: legacy mode, bus master. */
	assert_int_equal(fake_pci_config_read(dm, IDE_DEVFN, 0x08, 4) >> 8,
			 0x010180);
	/* Function 1 of the PIIX3: a plain header. */
	assert_int_equal(fake_pci_config_read(dm, IDE_DEVFN, 0x0e, 1) & 0x7f,
			 0);
	/* IDETIM, both channels: IDE decode enabled (plan, as QEMU and
	 * SeaBIOS expect). */
	assert_int_equal(fake_pci_config_read(dm, IDE_DEVFN, 0x40, 2), 0x8000);
	assert_int_equal(fake_pci_config_read(dm, IDE_DEVFN, 0x42, 2), 0x8000);
	fake_pci_config_write(dm, IDE_DEVFN, 0x40, 2, 0xa307);
	assert_int_equal(fake_pci_config_read(dm, IDE_DEVFN, 0x40, 2), 0xa307);
	/* Legacy mode: BARs 0-3 unused; BAR4 a 16-byte I/O BAR. */
	for (unsigned int bar = 0; bar < 4; bar++)
		assert_int_equal(fake_pci_config_read(dm, IDE_DEVFN,
						      0x10 + 4 * bar, 4), 0);
	/* Sized with decoding off, as firmware does. */
	fake_pci_config_write(dm, IDE_DEVFN, 0x04, 2, 0);
	fake_pci_config_write(dm, IDE_DEVFN, 0x20, 4, 0xffffffff);
	assert_int_equal(fake_pci_config_read(dm, IDE_DEVFN, 0x20, 4) & 0xffff,
			 0xfff1);
	fake_pci_config_write(dm, IDE_DEVFN, 0x20, 4, IDE_BM_BASE | 1);
	fake_pci_config_write(dm, IDE_DEVFN, 0x04, 2, 0x0005);

	for (unsigned int p = 0; p < 8; p++) {
		/* KVM batches the task file writes (1-5), never the data
		 * port, the Device or the Command register, whose writes
		 * the guest may wait on without another exit. */
		bool zone = p >= 1 && p <= 5;

		assert_true(fake_claimed(dm, DM_SPACE_PIO, 0x1f0 + p, &flags,
					 NULL));
		assert_true(flags & DM_CLAIM_POSTED_WRITES);
		assert_true(flags & DM_CLAIM_SHADOWED);
		assert_true(fake_claimed(dm, DM_SPACE_PIO, 0x170 + p, NULL,
					 NULL));
		assert_int_equal(fake_coalesced(dm, DM_SPACE_PIO, 0x1f0 + p),
				 zone);
		assert_int_equal(fake_coalesced(dm, DM_SPACE_PIO, 0x170 + p),
				 zone);
	}
	assert_true(fake_claimed(dm, DM_SPACE_PIO, 0x3f6, &flags, &name));
	assert_false(fake_coalesced(dm, DM_SPACE_PIO, 0x3f6));
	assert_true(fake_claimed(dm, DM_SPACE_PIO, 0x376, NULL, NULL));
	/* 3F7h/377h belong to the floppy controller. */
	assert_false(fake_claimed(dm, DM_SPACE_PIO, 0x3f7, NULL, NULL));
	assert_false(fake_claimed(dm, DM_SPACE_PIO, 0x377, NULL, NULL));
	for (unsigned int p = 0; p < 16; p++) {
		assert_true(fake_claimed(dm, DM_SPACE_PIO, IDE_BM_BASE + p,
					 NULL, NULL));
		assert_false(fake_coalesced(dm, DM_SPACE_PIO,
					    IDE_BM_BASE + p));
	}
	assert_int_equal(fake_irq_mode(dm, 14), DM_IRQ_MODE_EDGE);
	assert_int_equal(fake_irq_mode(dm, 15), DM_IRQ_MODE_EDGE);
	assert_true(f->drives[0].claimed);
	if (fake_nr_errors)
		fail_msg("error line: %s", fake_last_error);
}

/* With two vCPUs nothing is batched: KVM's coalesced ring is per VM, so
 * another vCPU's exit could move the task file behind a Command write. */
static void test_no_coalescing_with_two_vcpus(void **state)
{
	struct ide_fx *f = *state;
	unsigned int flags;

	fake_dm_set_machine(f->dm, 2, 64 << 20, 0);
	ide_attach_disk(f, 0, DISK_SIZE);
	ide_start(f);
	for (unsigned int p = 0; p < 8; p++) {
		assert_true(fake_claimed(f->dm, DM_SPACE_PIO, 0x1f0 + p,
					 &flags, NULL));
		assert_int_equal(flags, DM_CLAIM_POSTED_WRITES |
					DM_CLAIM_SHADOWED);
		assert_false(fake_coalesced(f->dm, DM_SPACE_PIO, 0x1f0 + p));
		assert_false(fake_coalesced(f->dm, DM_SPACE_PIO, 0x170 + p));
	}
}

/* PIIX3 BMICX/BMISX/BMIDTPX (290550 2.7.1-2.7.3). */
static void test_bm_registers(void **state)
{
	struct ide_fx *f = one_disk(state);

	for (unsigned int ch = 0; ch < 2; ch++) {
		uint16_t cmd = bm_port(ch, BM_CMD), st = bm_port(ch, BM_STATUS);
		uint16_t prd = bm_port(ch, BM_PRD);

		assert_int_equal(fake_pio_read(f->dm, cmd, 1), 0);
		fake_pio_write(f->dm, cmd, BM_CMD_READ, 1);
		assert_int_equal(fake_pio_read(f->dm, cmd, 1), BM_CMD_READ);
		fake_pio_write(f->dm, cmd, 0, 1);
		/* Bits 6:5 are software's, bit 7 (simplex) reads 0, bit 0
		 * is clear with nothing running. */
		fake_pio_write(f->dm, st, 0x60, 1);
		assert_int_equal(fake_pio_read(f->dm, st, 1) & 0xe7, 0x60);
		fake_pio_write(f->dm, st, 0x06, 1);
		assert_int_equal(fake_pio_read(f->dm, st, 1) & 0x60, 0);
		/* The table address is dword aligned. */
		fake_pio_write(f->dm, prd, 0x12345677, 4);
		assert_int_equal(fake_pio_read(f->dm, prd, 4), 0x12345674);
	}
	/* The channels' registers are separate. */
	fake_pio_write(f->dm, bm_port(0, BM_PRD), 0x1000, 4);
	fake_pio_write(f->dm, bm_port(1, BM_PRD), 0x2000, 4);
	assert_int_equal(fake_pio_read(f->dm, bm_port(0, BM_PRD), 4), 0x1000);
	/* Odd accesses do not crash. */
	for (unsigned int off = 0; off < 16; off++) {
		fake_pio_read(f->dm, IDE_BM_BASE + off, 1);
		fake_pio_read(f->dm, IDE_BM_BASE + off, 2);
		fake_pio_read(f->dm, IDE_BM_BASE + off, 4);
	}
}

/* --------------------------------------------------------- signatures */

static void assert_signature(struct ide_fx *f, unsigned int ch,
			     unsigned int dev, bool atapi)
{
	ide_select(f, ch, dev);
	assert_int_equal(ide_in(f, ch, REG_NSECT), 0x01);
	assert_int_equal(ide_in(f, ch, REG_LBAL), 0x01);
	assert_int_equal(ide_in(f, ch, REG_LBAM), atapi ? 0x14 : 0x00);
	assert_int_equal(ide_in(f, ch, REG_LBAH), atapi ? 0xeb : 0x00);
}

/* ATA/ATAPI-6 9.2 and 9.12: SRST, then each device's signature, and the
 * diagnostic code 01h (device 0 passed, device 1 passed). */
static void test_srst_signatures(void **state)
{
	struct ide_fx *f = *state;
	uint8_t st;

	ide_attach_disk(f, 0, DISK_SIZE);
	ide_attach_cd(f, 1, 16);
	ide_start(f);

	/* At power-on already (9.1): signatures, diagnostic code 01h. */
	ide_select(f, 0, 0);
	assert_int_equal(ide_in(f, 0, REG_ERROR), 0x01);
	assert_signature(f, 0, 0, false);
	assert_signature(f, 0, 1, true);

	/* Scribble over the task file first. */
	ide_select(f, 0, 0);
	ide_out(f, 0, REG_NSECT, 0x55);
	ide_out(f, 0, REG_LBAL, 0x66);
	ide_out(f, 0, REG_LBAM, 0x77);
	ide_out(f, 0, REG_LBAH, 0x88);
	ide_irq_mark(f, 0);
	ide_ctl(f, 0, CTL_SRST);
	ide_ctl(f, 0, 0);
	st = ide_wait(f, 0);
	/* Software reset does not interrupt. */
	assert_int_equal(ide_irq_new(f, 0), 0);
	ide_select(f, 0, 0);
	st = ide_wait(f, 0);
	assert_int_equal(st & (ST_BSY | ST_DRQ | ST_ERR | ST_DRDY), ST_DRDY);
	assert_int_equal(ide_in(f, 0, REG_ERROR), 0x01);
	assert_signature(f, 0, 0, false);
	assert_signature(f, 0, 1, true);
	st = ide_alt(f, 0);
	assert_int_equal(st & (ST_BSY | ST_DRQ | ST_ERR), 0);
	assert_int_equal(ide_in(f, 0, REG_ERROR), 0x01);

	/* EXECUTE DEVICE DIAGNOSTIC (8.11): the same, with an interrupt. */
	ide_select(f, 0, 0);
	ide_out(f, 0, REG_LBAM, 0x12);
	ide_irq_mark(f, 0);
	ide_out(f, 0, REG_COMMAND, ATA_DIAGNOSTIC);
	st = ide_wait(f, 0);
	assert_int_equal(st & (ST_BSY | ST_DRQ | ST_ERR), 0);
	assert_int_equal(ide_irq_new(f, 0), 1);
	assert_int_equal(ide_in(f, 0, REG_ERROR), 0x01);
	assert_signature(f, 0, 0, false);
	assert_signature(f, 0, 1, true);
}

/* Device 0 only (ATA/ATAPI-6 9.16.1 / 7.x): with device 1 selected,
 * Status and Alternate Status read 00h and commands to device 1 are
 * ignored.  A channel without devices floats (00h, 7Fh or FFh). */
static void test_absent_devices(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint16_t w[256];
	uint8_t st;

	ide_select(f, 0, 1);
	assert_int_equal(ide_in(f, 0, REG_STATUS), 0x00);
	assert_int_equal(ide_alt(f, 0), 0x00);
	ide_irq_mark(f, 0);
	ide_out(f, 0, REG_COMMAND, ATA_IDENTIFY);
	ide_settle(f, 5);
	assert_int_equal(ide_alt(f, 0), 0x00);
	assert_int_equal(ide_irq_new(f, 0), 0);
	/* The master is still there. */
	identify(f, 0, 0, w);

	/* The secondary channel has nothing attached. */
	for (unsigned int dev = 0; dev < 2; dev++) {
		ide_select(f, 1, dev);
		st = ide_in(f, 1, REG_STATUS);
		if (st != 0x00 && st != 0x7f && st != 0xff)
			fail_msg("empty channel: status %#04x", st);
		ide_irq_mark(f, 1);
		ide_out(f, 1, REG_COMMAND, ATA_IDENTIFY);
		ide_settle(f, 2);
		assert_int_equal(ide_irq_new(f, 1), 0);
		st = ide_in(f, 1, REG_STATUS);
		assert_false(st & ST_DRQ && st != 0xff && st != 0x7f);
	}
	/* Data port reads with no DRQ do not crash either. */
	fake_pio_read(f->dm, 0x170, 2);
	fake_pio_read(f->dm, 0x1f0, 2);
	fake_pio_write(f->dm, 0x1f0, 0x1234, 2);
	fake_pio_read(f->dm, 0x1f0, 4);
}

/* ----------------------------------------------------------- IDENTIFY */

static void check_id_strings(const uint16_t *w)
{
	char serial[21], fw[9], model[41];
	size_t i;

	id_string(w, 10, 10, serial);
	id_string(w, 23, 4, fw);
	id_string(w, 27, 20, model);
	for (i = 0; i < 20; i++)
		assert_true(serial[i] >= 0x20 && serial[i] < 0x7f);
	for (i = 0; i < 8; i++)
		assert_true(fw[i] >= 0x20 && fw[i] < 0x7f);
	/* First character in bits 15:8 (ATA/ATAPI-6 3.2.9): decoded that
	 * way the strings read right. */
	assert_memory_equal(serial, "HVMKIT", 6);
	assert_memory_equal(model, "HVMKIT HARDDISK", 15);
	for (i = 15; i < 40; i++)
		assert_int_equal(model[i], ' ');
}

static void check_checksum(const uint16_t *w)
{
	uint8_t sum = 0;

	/* Word 255: signature A5h, checksum making the byte sum 0. */
	assert_int_equal(w[255] & 0xff, 0xa5);
	for (unsigned int i = 0; i < 256; i++)
		sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
	assert_int_equal(sum, 0);
}

static unsigned int popcount(unsigned int v)
{
	return (unsigned int)__builtin_popcount(v);
}

static void check_identify_common(const uint16_t *w, uint64_t sectors)
{
	uint32_t lba28 = (uint32_t)(w[60] | (uint32_t)w[61] << 16);
	uint64_t lba48 = w[100] | (uint64_t)w[101] << 16 |
			 (uint64_t)w[102] << 32 | (uint64_t)w[103] << 48;
	uint32_t chs_cap = (uint32_t)(w[57] | (uint32_t)w[58] << 16);

	assert_int_equal(w[0] & 0x8000, 0);                /* ATA device */
	/* Default and current CHS translation (8.15.x). */
	assert_true(w[3] >= 1 && w[3] <= 16);
	assert_true(w[6] >= 1 && w[6] <= 63);
	assert_true(w[1] >= 1 && w[1] <= 16383);
	assert_true((uint64_t)w[1] * w[3] * w[6] <= sectors);
	assert_int_equal(w[54], w[1]);
	assert_int_equal(w[55], w[3]);
	assert_int_equal(w[56], w[6]);
	assert_int_equal(chs_cap, (uint32_t)w[54] * w[55] * w[56]);
	check_id_strings(w);
	/* Word 47: 80h in the high byte, READ/WRITE MULTIPLE maximum. */
	assert_int_equal(w[47] >> 8, 0x80);
	assert_true((w[47] & 0xff) >= 1);
	/* Word 49: LBA (shall be one) and DMA supported. */
	assert_true(w[49] & (1u << 9));
	assert_true(w[49] & (1u << 8));
	/* Word 53: words 64-70 and 88 valid. */
	assert_int_equal(w[53] & 0x0006, 0x0006);
	/* LBA28 capacity, capped at 0FFFFFFFh with LBA48 (8.15.x). */
	assert_int_equal(lba28, sectors > 0x0fffffff ? 0x0fffffff :
			 (uint32_t)sectors);
	/* Word 63: MWDMA 0-2 supported, at most one selected. */
	assert_int_equal(w[63] & 0x0007, 0x0007);
	assert_true(popcount((w[63] >> 8) & 7) <= 1);
	/* Word 80: major versions; LBA48 needs ATA/ATAPI-6 or later. */
	assert_true(w[80] != 0 && w[80] != 0xffff);
	assert_true(w[80] >> 6);
	/* Words 82-87: bit 14 one, bit 15 zero in 83, 84, 87. */
	assert_int_equal(w[83] & 0xc000, 0x4000);
	assert_int_equal(w[84] & 0xc000, 0x4000);
	assert_int_equal(w[87] & 0xc000, 0x4000);
	assert_true(w[82] & (1u << 5));                    /* write cache */
	assert_true(w[85] & (1u << 5));                    /* ... enabled */
	assert_true(w[83] & (1u << 10));                   /* LBA48 */
	assert_true(w[86] & (1u << 10));
	assert_true(w[83] & (1u << 12));                   /* FLUSH CACHE */
	assert_true(w[86] & (1u << 12));
	assert_true(w[83] & (1u << 13));                   /* ... EXT */
	assert_true(w[86] & (1u << 13));
	/* Enabled features are supported ones. */
	assert_int_equal(w[85] & ~w[82], 0);
	/* Word 88: UDMA 0-2 supported, at most one mode selected, and not
	 * together with a multiword mode. */
	assert_int_equal(w[88] & 0x0007, 0x0007);
	assert_true(popcount((w[88] >> 8) & 0x7f) <= 1);
	assert_int_equal((w[88] >> 8) & ~w[88] & 0x7f, 0);
	assert_false(((w[88] >> 8) & 0x7f) && ((w[63] >> 8) & 7));
	assert_int_equal(lba48, sectors);
	check_checksum(w);
}

static void test_identify(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint16_t w[256];

	ide_irq_mark(f, 0);
	identify(f, 0, 0, w);
	assert_int_equal(ide_irq_new(f, 0), 0); /* after the one block */
	check_identify_common(w, DISK_SECTS);
	/* Under 8.4 GB: the translation covers the disk (16 heads, 63
	 * sectors as the plan picks). */
	assert_int_equal(w[3], 16);
	assert_int_equal(w[6], 63);
	assert_int_equal(w[1], DISK_SECTS / (16 * 63));
	if (fake_nr_errors)
		fail_msg("error line: %s", fake_last_error);
}

static void test_identify_big(void **state)
{
	struct ide_fx *f = *state;
	char path[192];
	uint16_t w[256];

	ide_image(f, "big.img", BIG_SIZE, false, path, sizeof(path));
	ide_attach(f, 0, false, ide_open(f, path, false, false), path);
	ide_start(f);
	identify(f, 0, 0, w);
	check_identify_common(w, BIG_SECTS);
	/* Over 8.4 GB: 16383/16/63 (ATA/ATAPI-6 6.2.1). */
	assert_int_equal(w[1], 16383);
	assert_int_equal(w[3], 16);
	assert_int_equal(w[6], 63);
}

/* -------------------------------------------------------------- PIO */

static void test_read_sectors(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t buf[3 * 512];
	uint8_t st;

	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, 100, 3);
	st = pio_read_blocks(f, 0, buf, sizeof(buf), 512);
	assert_ok(st);
	/* No interrupt after the last data-in block. */
	assert_int_equal(ide_irq_new(f, 0), 0);
	assert_true(pattern_check(buf, 100 * 512, sizeof(buf)));

	/* The last sector of the disk. */
	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, DISK_SECTS - 1, 1);
	st = pio_read_blocks(f, 0, buf, 512, 512);
	assert_ok(st);
	assert_true(pattern_check(buf, (DISK_SECTS - 1) * 512, 512));
}

/* A count of 0 means 256 sectors (ATA/ATAPI-6 8.27). */
static void test_read_sectors_count0(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t *buf = malloc(256 * 512);
	uint8_t st;

	assert_non_null(buf);
	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, 1000, 0);
	st = pio_read_blocks(f, 0, buf, 256 * 512, 512);
	assert_ok(st);
	assert_true(pattern_check(buf, 1000 * 512, 256 * 512));
	free(buf);
}

/* 32-bit data port accesses, as the PIIX3 allows (Linux pio32). */
static void test_read_pio32(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t buf[2 * 512];
	uint8_t st;

	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, 7, 2);
	for (unsigned int s = 0; s < 2; s++) {
		st = ide_wait(f, 0);
		assert_true(st & ST_DRQ);
		ide_in(f, 0, REG_STATUS);
		pio_in(f, 0, buf + 512 * s, 512, 4);
	}
	assert_ok(ide_wait(f, 0));
	assert_true(pattern_check(buf, 7 * 512, sizeof(buf)));
}

static void test_read_chs(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t buf[2 * 512];
	uint16_t w[256];
	unsigned int heads, spt, lba;

	identify(f, 0, 0, w);
	heads = w[55];
	spt = w[56];
	/* Cylinder 1, head 2, sector 3 (sectors count from 1). */
	lba = (1 * heads + 2) * spt + 3 - 1;
	ata_cmd_chs(f, 0, 0, ATA_READ_SECTORS, 1, 2, 3, 2);
	assert_ok(pio_read_blocks(f, 0, buf, sizeof(buf), 512));
	assert_true(pattern_check(buf, (uint64_t)lba * 512, sizeof(buf)));
	/* Sector 0 does not exist in CHS addressing. */
	ata_cmd_chs(f, 0, 0, ATA_READ_SECTORS, 0, 0, 0, 1);
	assert_error(f, 0, pio_read_blocks(f, 0, buf, 512, 512),
		     ER_IDNF | ER_ABRT);
}

static void test_read_sectors_ext(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t buf[2 * 512];

	ata_cmd48(f, 0, 0, ATA_READ_SECTORS_EXT, 0, 0x1234, 2);
	assert_ok(pio_read_blocks(f, 0, buf, sizeof(buf), 512));
	assert_true(pattern_check(buf, 0x1234 * 512, sizeof(buf)));
}

static void test_write_sectors(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t data[3 * 512], back[3 * 512];

	write_data(data, sizeof(data), 0x5a);
	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_WRITE_SECTORS, 0, 10, 3);
	assert_ok(pio_write_blocks(f, 0, data, sizeof(data), 512));
	/* Data-out ends with an interrupt (ATA/ATAPI-6 9.7). */
	assert_int_equal(ide_irq_new(f, 0), 1);
	ide_in(f, 0, REG_STATUS);
	file_read(f->paths[0], 10 * 512, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(data));
	/* Neighbours untouched. */
	file_read(f->paths[0], 9 * 512, back, 512);
	assert_true(pattern_check(back, 9 * 512, 512));
	file_read(f->paths[0], 13 * 512, back, 512);
	assert_true(pattern_check(back, 13 * 512, 512));

	/* WRITE SECTOR(S) EXT, then read both back through the device. */
	write_data(data, 2 * 512, 0xa5);
	ata_cmd48(f, 0, 0, ATA_WRITE_SECTORS_EXT, 0, 20, 2);
	assert_ok(pio_write_blocks(f, 0, data, 2 * 512, 512));
	file_read(f->paths[0], 20 * 512, back, 2 * 512);
	assert_memory_equal(back, data, 2 * 512);
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, 20, 2);
	assert_ok(pio_read_blocks(f, 0, back, 2 * 512, 512));
	assert_memory_equal(back, data, 2 * 512);
}

/* READ/WRITE MULTIPLE (8.31, 8.49, 8.39 SET MULTIPLE MODE). */
static void test_multiple(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t buf[10 * 512], data[6 * 512];
	uint16_t w[256];
	unsigned int max;
	uint8_t st;

	identify(f, 0, 0, w);
	max = w[47] & 0xff;
	assert_true(max >= 4);
	/* Disabled (word 59 bit 8 clear or a zero setting): aborted. */
	if (!(w[59] & 0x100) || !(w[59] & 0xff)) {
		ide_irq_mark(f, 0);
		ata_cmd28(f, 0, 0, ATA_READ_MULTIPLE, 0, 0, 1);
		st = ide_wait(f, 0);
		assert_error(f, 0, st, ER_ABRT);
		assert_int_equal(ide_irq_new(f, 0), 1);
		ata_cmd28(f, 0, 0, ATA_WRITE_MULTIPLE, 0, 0, 1);
		assert_error(f, 0, ide_wait(f, 0), ER_ABRT);
	}
	/* A block count over the maximum is aborted. */
	if (max < 128) {
		st = ata_nodata(f, 0, 0, ATA_SET_MULTIPLE, 0,
				(uint8_t)(max * 2));
		assert_error(f, 0, st, ER_ABRT);
	}
	st = ata_nodata(f, 0, 0, ATA_SET_MULTIPLE, 0, 4);
	assert_ok(st);
	identify(f, 0, 0, w);
	assert_int_equal(w[59] & 0x1ff, 0x104);

	/* 10 sectors in blocks of 4, 4, 2, an interrupt each. */
	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_READ_MULTIPLE, 0, 40, 10);
	assert_ok(pio_read_blocks(f, 0, buf, sizeof(buf), 4 * 512));
	assert_true(pattern_check(buf, 40 * 512, sizeof(buf)));

	write_data(data, sizeof(data), 0x33);
	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_WRITE_MULTIPLE, 0, 60, 6);
	assert_ok(pio_write_blocks(f, 0, data, sizeof(data), 4 * 512));
	assert_int_equal(ide_irq_new(f, 0), 1);
	file_read(f->paths[0], 60 * 512, buf, sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));

	/* The EXT forms. */
	ide_irq_mark(f, 0);
	ata_cmd48(f, 0, 0, ATA_READ_MULTIPLE_EXT, 0, 200, 5);
	assert_ok(pio_read_blocks(f, 0, buf, 5 * 512, 4 * 512));
	assert_true(pattern_check(buf, 200 * 512, 5 * 512));
	write_data(data, 5 * 512, 0x44);
	ide_irq_mark(f, 0);
	ata_cmd48(f, 0, 0, ATA_WRITE_MULTIPLE_EXT, 0, 300, 5);
	assert_ok(pio_write_blocks(f, 0, data, 5 * 512, 4 * 512));
	file_read(f->paths[0], 300 * 512, buf, 5 * 512);
	assert_memory_equal(buf, data, 5 * 512);
}

/* INITIALIZE DEVICE PARAMETERS (ATA-5 8.16; obsolete since ATA/ATAPI-6
 * but used by old BIOSes): the current CHS translation (words 54-58)
 * changes and CHS commands use it; addresses outside it fail. */
static void test_init_dev_params(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t buf[512];
	uint16_t w[256];
	unsigned int lba;

	/* 4 heads (device register bits 3:0 = heads - 1), 17 sectors. */
	ide_out(f, 0, REG_DEVICE, DEV_OBS | 3);
	ide_out(f, 0, REG_NSECT, 17);
	ide_out(f, 0, REG_COMMAND, 0x91);
	assert_ok(ide_wait(f, 0));
	identify(f, 0, 0, w);
	assert_int_equal(w[55], 4);
	assert_int_equal(w[56], 17);
	assert_true(w[54] >= 1 && (uint64_t)w[54] * 4 * 17 <= DISK_SECTS);
	assert_int_equal(w[57] | (uint32_t)w[58] << 16, w[54] * 4u * 17);
	/* The default translation (words 1, 3, 6) stays. */
	assert_int_equal(w[3], 16);
	assert_int_equal(w[6], 63);

	lba = (2 * 4 + 3) * 17 + 5 - 1;
	ata_cmd_chs(f, 0, 0, ATA_READ_SECTORS, 2, 3, 5, 1);
	assert_ok(pio_read_blocks(f, 0, buf, 512, 512));
	assert_true(pattern_check(buf, (uint64_t)lba * 512, 512));
	/* Head 5 and sector 18 do not exist in this translation. */
	ata_cmd_chs(f, 0, 0, ATA_READ_SECTORS, 0, 5, 1, 1);
	assert_error(f, 0, pio_read_blocks(f, 0, buf, 512, 512),
		     ER_IDNF | ER_ABRT);
	ata_cmd_chs(f, 0, 0, ATA_READ_SECTORS, 0, 0, 18, 1);
	assert_error(f, 0, pio_read_blocks(f, 0, buf, 512, 512),
		     ER_IDNF | ER_ABRT);
	/* LBA addressing is unaffected. */
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, 4000, 1);
	assert_ok(pio_read_blocks(f, 0, buf, 512, 512));
	assert_true(pattern_check(buf, 4000 * 512, 512));
}

/* READ VERIFY SECTOR(S) (8.36): no data, an interrupt at the end. */
static void test_read_verify(void **state)
{
	struct ide_fx *f = one_disk(state);

	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_READ_VERIFY, 0, 100, 8);
	assert_ok(ide_wait(f, 0));
	assert_int_equal(ide_irq_new(f, 0), 1);
	ata_cmd28(f, 0, 0, ATA_READ_VERIFY, 0, DISK_SECTS, 1);
	assert_error(f, 0, ide_wait(f, 0), ER_IDNF | ER_ABRT);
}

/* ---------------------------------------------------------------- DMA */

static void test_dma_read(void **state)
{
	struct ide_fx *f = one_disk(state);
	const struct prd p[] = {
		{ BUF0, 2048, false },
		{ BUF1, 4096, false },
		{ BUF2, 2048, true },
	};
	uint8_t st, bm;

	memset(ide_ram(f) + BUF0, 0xee, 0x90000);
	st = dma_cmd(f, 0, 0, ATA_READ_DMA, 50, 16, p, 3, true);
	bm = bm_status(f, 0);
	/* Interrupt=1, Active=0: the PRDs exactly covered the transfer
	 * (SFF-8038i table). */
	assert_int_equal(bm & (BM_ST_INTR | BM_ST_ACTIVE | BM_ST_ERROR),
			 BM_ST_INTR);
	assert_int_equal(ide_irq_new(f, 0), 1);
	assert_int_equal(ide_irq_level(f, 0), 1);
	assert_ok(st);
	assert_ok(ide_in(f, 0, REG_STATUS));
	assert_int_equal(ide_irq_level(f, 0), 0);
	bm_stop(f, 0);
	fake_pio_write(f->dm, bm_port(0, BM_STATUS), BM_ST_INTR, 1);
	assert_int_equal(bm_status(f, 0) & BM_ST_INTR, 0);

	assert_true(pattern_check(ide_ram(f) + BUF0, 50 * 512, 2048));
	assert_true(pattern_check(ide_ram(f) + BUF1, 54 * 512, 4096));
	assert_true(pattern_check(ide_ram(f) + BUF2, 62 * 512, 2048));
	/* Nothing written around the buffers. */
	assert_int_equal(ide_ram(f)[BUF0 + 2048], 0xee);
	assert_int_equal(ide_ram(f)[BUF1 - 1], 0xee);
	assert_int_equal(ide_ram(f)[BUF1 + 4096], 0xee);
	assert_int_equal(ide_ram(f)[BUF2 + 2048], 0xee);

	/* READ DMA EXT, with the start bit set before the command. */
	prd_write(f, PRD_TABLE, (struct prd[]){ { BUF0, 8 * 512, true } }, 1);
	bm_setup(f, 0, PRD_TABLE, true);
	bm_start(f, 0, true);
	ide_irq_mark(f, 0);
	ata_cmd48(f, 0, 0, ATA_READ_DMA_EXT, 0, 4000, 8);
	assert_ok(dma_wait(f, 0));
	assert_int_equal(bm_status(f, 0) & (BM_ST_INTR | BM_ST_ACTIVE),
			 BM_ST_INTR);
	assert_int_equal(ide_irq_new(f, 0), 1);
	bm_stop(f, 0);
	assert_true(pattern_check(ide_ram(f) + BUF0, 4000 * 512, 8 * 512));
}

static void test_dma_write(void **state)
{
	struct ide_fx *f = one_disk(state);
	const struct prd p[] = {
		{ BUF0, 1024, false },
		{ BUF1, 3072, true },
	};
	uint8_t back[4096];
	uint8_t st;

	write_data(ide_ram(f) + BUF0, 1024, 0x11);
	write_data(ide_ram(f) + BUF1, 3072, 0x22);
	st = dma_cmd(f, 0, 0, ATA_WRITE_DMA, 500, 8, p, 2, false);
	assert_ok(st);
	assert_int_equal(bm_status(f, 0) & (BM_ST_INTR | BM_ST_ACTIVE |
					    BM_ST_ERROR), BM_ST_INTR);
	assert_int_equal(ide_irq_new(f, 0), 1);
	bm_stop(f, 0);
	ide_in(f, 0, REG_STATUS);
	file_read(f->paths[0], 500 * 512, back, sizeof(back));
	assert_memory_equal(back, ide_ram(f) + BUF0, 1024);
	assert_memory_equal(back + 1024, ide_ram(f) + BUF1, 3072);

	write_data(ide_ram(f) + BUF2, 4096, 0x77);
	st = dma_cmd(f, 0, 0, ATA_WRITE_DMA_EXT, 0x700, 8,
		     (struct prd[]){ { BUF2, 4096, true } }, 1, false);
	assert_ok(st);
	bm_stop(f, 0);
	file_read(f->paths[0], 0x700 * 512, back, sizeof(back));
	assert_memory_equal(back, ide_ram(f) + BUF2, 4096);

	/* Read back through DMA into other memory. */
	st = dma_cmd(f, 0, 0, ATA_READ_DMA, 500, 8,
		     (struct prd[]){ { BUF2 + 0x10000, 4096, true } }, 1,
		     true);
	assert_ok(st);
	bm_stop(f, 0);
	file_read(f->paths[0], 500 * 512, back, sizeof(back));
	assert_memory_equal(ide_ram(f) + BUF2 + 0x10000, back, sizeof(back));
}

/* A byte count of 0 means 64 KiB (PIIX3 2.7.4, SFF-8038i); a sector
 * count of 0 means 256 sectors: 128 KiB in two entries. */
static void test_dma_zero_length_entries(void **state)
{
	struct ide_fx *f = one_disk(state);
	const struct prd p[] = {
		{ 0x100000, 0, false },
		{ 0x200000, 0, true },
	};

	assert_ok(dma_cmd(f, 0, 0, ATA_READ_DMA, 2048, 0, p, 2, true));
	assert_int_equal(bm_status(f, 0) & (BM_ST_INTR | BM_ST_ACTIVE |
					    BM_ST_ERROR), BM_ST_INTR);
	bm_stop(f, 0);
	assert_true(pattern_check(ide_ram(f) + 0x100000, 2048 * 512, 0x10000));
	assert_true(pattern_check(ide_ram(f) + 0x200000, 2176 * 512, 0x10000));
}

/* READ DMA EXT with a count of 0: 65536 sectors (ATA/ATAPI-6 8.26),
 * 32 MiB through 512 PRDs of 64 KiB (the plan's longest table) that all
 * point at one buffer, which ends up with the last 64 KiB. */
static void test_dma_ext_count0(void **state)
{
	struct ide_fx *f = *state;
	const uint64_t lba = 1000, last = lba + 65536 - 128;
	struct prd *p = calloc(512, sizeof(*p));
	uint8_t *buf = malloc(0x10000);
	char path[192];

	assert_non_null(p);
	assert_non_null(buf);
	ide_image(f, "64m.img", 64ull << 20, false, path, sizeof(path));
	pattern_fill(buf, last * 512, 0x10000);
	file_write(path, last * 512, buf, 0x10000);
	ide_attach(f, 0, false, ide_open(f, path, false, false), path);
	ide_start(f);
	for (unsigned int i = 0; i < 512; i++)
		p[i] = (struct prd){ 0x100000, 0, i == 511 };
	assert_ok(dma_cmd(f, 0, 0, ATA_READ_DMA_EXT, lba, 0, p, 512, true));
	assert_int_equal(bm_status(f, 0) & (BM_ST_INTR | BM_ST_ACTIVE |
					    BM_ST_ERROR), BM_ST_INTR);
	assert_int_equal(ide_irq_new(f, 0), 1);
	bm_stop(f, 0);
	assert_true(pattern_check(ide_ram(f) + 0x100000, last * 512, 0x10000));
	free(p);
	free(buf);
}

/* PRDs larger than the transfer: Interrupt=1, Active=1 (SFF-8038i). */
static void test_dma_prd_larger(void **state)
{
	struct ide_fx *f = one_disk(state);
	const struct prd p[] = { { BUF0, 8192, true } };

	assert_ok(dma_cmd(f, 0, 0, ATA_READ_DMA, 8, 4, p, 1, true));
	assert_int_equal(bm_status(f, 0) & (BM_ST_INTR | BM_ST_ACTIVE |
					    BM_ST_ERROR),
			 BM_ST_INTR | BM_ST_ACTIVE);
	bm_stop(f, 0);
	assert_int_equal(bm_status(f, 0) & BM_ST_ACTIVE, 0);
	assert_true(pattern_check(ide_ram(f) + BUF0, 8 * 512, 2048));
}

/* PRDs smaller than the transfer: the controller runs out (Active=0),
 * an error the host resolves with a reset.  No crash, no hang. */
static void test_dma_prd_short(void **state)
{
	struct ide_fx *f = one_disk(state);
	const struct prd p[] = { { BUF0, 1024, true } };
	uint16_t w[256];

	prd_write(f, PRD_TABLE, p, 1);
	bm_setup(f, 0, PRD_TABLE, true);
	ata_cmd28(f, 0, 0, ATA_READ_DMA, 0, 0, 8);
	bm_start(f, 0, true);
	ide_settle(f, 20);
	assert_int_equal(bm_status(f, 0) & BM_ST_ACTIVE, 0);
	bm_stop(f, 0);
	ide_ctl(f, 0, CTL_SRST);
	ide_ctl(f, 0, 0);
	ide_wait(f, 0);
	identify(f, 0, 0, w);
}

/* Guest mistakes in PRD tables end the command with the bus-master
 * error bit and an interrupt (plan; PIIX3 2.7.2 bit 1 for master
 * aborts), never with a crash. */
static void check_bad_dma(struct ide_fx *f, uint32_t table,
			  const struct prd *p, unsigned int n, uint8_t cmd,
			  unsigned int count)
{
	uint8_t st, bm;

	if (n)
		prd_write(f, table, p, n);
	bm_setup(f, 0, table, cmd == ATA_READ_DMA);
	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, cmd, 0, 0, (uint8_t)count);
	bm_start(f, 0, cmd == ATA_READ_DMA);
	st = dma_wait(f, 0);
	bm = bm_status(f, 0);
	assert_int_equal(bm & (BM_ST_ERROR | BM_ST_INTR),
			 BM_ST_ERROR | BM_ST_INTR);
	assert_int_equal(ide_irq_new(f, 0), 1);
	/* The plan ends the ATA command with ERR (ABRT). */
	assert_error(f, 0, st, ER_ABRT);
	ide_in(f, 0, REG_STATUS);
	bm_stop(f, 0);
}

static void test_dma_bad_prd(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint16_t w[256];
	uint8_t back[512], data[512];

	/* An entry outside RAM. */
	check_bad_dma(f, PRD_TABLE, (struct prd[]){
		{ BUF0, 512, false }, { 0x10000000, 512, true } }, 2,
		ATA_READ_DMA, 2);
	/* An entry straddling the end of RAM. */
	check_bad_dma(f, PRD_TABLE, (struct prd[]){
		{ IDE_RAM_SIZE - 512, 4096, true } }, 1, ATA_READ_DMA, 8);
	/* The table itself outside RAM. */
	check_bad_dma(f, 0x20000000, NULL, 0, ATA_READ_DMA, 1);
	/* A table without EOT running off the end of RAM. */
	check_bad_dma(f, IDE_RAM_SIZE - 16, (struct prd[]){
		{ BUF0, 512, false }, { BUF1, 512, false } }, 2,
		ATA_READ_DMA, 8);
	/* Writes from outside RAM leave the image alone. */
	file_read(f->paths[0], 0, data, sizeof(data));
	check_bad_dma(f, PRD_TABLE, (struct prd[]){
		{ 0xfffff000, 512, true } }, 1, ATA_WRITE_DMA, 1);
	file_read(f->paths[0], 0, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(data));
	/* The device still works. */
	identify(f, 0, 0, w);
	assert_ok(dma_cmd(f, 0, 0, ATA_READ_DMA, 1, 1,
			  (struct prd[]){ { BUF0, 512, true } }, 1, true));
	assert_true(pattern_check(ide_ram(f) + BUF0, 512, 512));
	bm_stop(f, 0);
}

/* A table of 600 two-byte entries without EOT: the plan's 512-entry
 * walk limit ends it with the error bit; it must end either way. */
static void test_dma_prd_no_eot(void **state)
{
	struct ide_fx *f = one_disk(state);
	struct prd *p = calloc(600, sizeof(*p));
	uint16_t w[256];
	uint8_t bm;

	assert_non_null(p);
	for (unsigned int i = 0; i < 600; i++)
		p[i] = (struct prd){ BUF0 + 2 * i, 2, false };
	prd_write(f, PRD_TABLE, p, 600);
	bm_setup(f, 0, PRD_TABLE, true);
	ata_cmd28(f, 0, 0, ATA_READ_DMA, 0, 0, 64);
	bm_start(f, 0, true);
	ide_settle(f, 20);
	bm = bm_status(f, 0);
	assert_int_equal(bm & (BM_ST_ACTIVE | BM_ST_ERROR), BM_ST_ERROR);
	bm_stop(f, 0);
	free(p);
	ide_ctl(f, 0, CTL_SRST);
	ide_ctl(f, 0, 0);
	ide_wait(f, 0);
	identify(f, 0, 0, w);
}

/* O_DIRECT with guest buffers that are not 512-aligned (the backend
 * bounces them). */
static void test_dma_direct_unaligned(void **state)
{
	struct ide_fx *f = *state;
	char path[192];
	const struct prd p[] = {
		{ BUF1 + 2, 510, false },
		{ BUF0 + 6, 1538, true },
	};
	uint8_t back[2048];

	ide_image(f, "direct.img", DISK_SIZE, true, path, sizeof(path));
	ide_attach(f, 0, false, ide_open(f, path, false, true), path);
	ide_start(f);
	assert_ok(dma_cmd(f, 0, 0, ATA_READ_DMA, 33, 4, p, 2, true));
	bm_stop(f, 0);
	assert_true(pattern_check(ide_ram(f) + BUF1 + 2, 33 * 512, 510));
	assert_true(pattern_check(ide_ram(f) + BUF0 + 6, 33 * 512 + 510, 1538));
	write_data(ide_ram(f) + BUF1 + 2, 510, 0x19);
	write_data(ide_ram(f) + BUF0 + 6, 1538, 0x91);
	assert_ok(dma_cmd(f, 0, 0, ATA_WRITE_DMA, 77, 4, p, 2, false));
	bm_stop(f, 0);
	file_read(path, 77 * 512, back, sizeof(back));
	assert_memory_equal(back, ide_ram(f) + BUF1 + 2, 510);
	assert_memory_equal(back + 510, ide_ram(f) + BUF0 + 6, 1538);
}

/* -------------------------------------------------------------- LBA48 */

static void test_lba48_big(void **state)
{
	struct ide_fx *f = *state;
	const uint64_t far = 0x10000005ull;       /* past 2^28 */
	const uint64_t far2 = 0x12345678ull;
	const uint64_t top28 = 0x0ffffff0ull;
	uint8_t buf[4096], data[1024];
	char path[192];

	ide_image(f, "big.img", BIG_SIZE, false, path, sizeof(path));
	pattern_fill(buf, far * 512, 1024);
	file_write(path, far * 512, buf, 1024);
	pattern_fill(buf, far2 * 512, 4096);
	file_write(path, far2 * 512, buf, 4096);
	pattern_fill(buf, top28 * 512, 512);
	file_write(path, top28 * 512, buf, 512);
	pattern_fill(buf, (BIG_SECTS - 1) * 512, 512);
	file_write(path, (BIG_SECTS - 1) * 512, buf, 512);
	ide_attach(f, 0, false, ide_open(f, path, false, false), path);
	ide_start(f);

	memset(buf, 0, sizeof(buf));
	ata_cmd48(f, 0, 0, ATA_READ_SECTORS_EXT, 0, far, 2);
	assert_ok(pio_read_blocks(f, 0, buf, 1024, 512));
	assert_true(pattern_check(buf, far * 512, 1024));

	assert_ok(dma_cmd(f, 0, 0, ATA_READ_DMA_EXT, far2, 8,
			  (struct prd[]){ { BUF0, 4096, true } }, 1, true));
	bm_stop(f, 0);
	assert_true(pattern_check(ide_ram(f) + BUF0, far2 * 512, 4096));

	ata_cmd48(f, 0, 0, ATA_READ_SECTORS_EXT, 0, BIG_SECTS - 1, 1);
	assert_ok(pio_read_blocks(f, 0, buf, 512, 512));
	assert_true(pattern_check(buf, (BIG_SECTS - 1) * 512, 512));

	/* LBA28 reaches 2^28 - 16 through the device register's low
	 * nibble. */
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, (uint32_t)top28, 1);
	assert_ok(pio_read_blocks(f, 0, buf, 512, 512));
	assert_true(pattern_check(buf, top28 * 512, 512));

	write_data(data, sizeof(data), 0x48);
	ata_cmd48(f, 0, 0, ATA_WRITE_SECTORS_EXT, 0, 0x18000000ull, 2);
	assert_ok(pio_write_blocks(f, 0, data, sizeof(data), 512));
	file_read(path, 0x18000000ull * 512, buf, sizeof(data));
	assert_memory_equal(buf, data, sizeof(data));

	/* Past the end. */
	ata_cmd48(f, 0, 0, ATA_READ_SECTORS_EXT, 0, BIG_SECTS, 1);
	assert_error(f, 0, pio_read_blocks(f, 0, buf, 512, 512),
		     ER_IDNF | ER_ABRT);
	ata_cmd48(f, 0, 0, ATA_READ_SECTORS_EXT, 0, 0xffffffffffffull, 1);
	assert_error(f, 0, pio_read_blocks(f, 0, buf, 512, 512),
		     ER_IDNF | ER_ABRT);
}

/* HOB (ATA/ATAPI-6 7.9.6): reads give the previous register contents
 * with HOB set; any Command Block write clears HOB. */
static void test_hob(void **state)
{
	struct ide_fx *f = one_disk(state);

	ide_select(f, 0, 0);
	ide_out(f, 0, REG_NSECT, 0x12);
	ide_out(f, 0, REG_NSECT, 0x34);
	ide_out(f, 0, REG_LBAL, 0x56);
	ide_out(f, 0, REG_LBAL, 0x78);
	assert_int_equal(ide_in(f, 0, REG_NSECT), 0x34);
	assert_int_equal(ide_in(f, 0, REG_LBAL), 0x78);
	ide_ctl(f, 0, CTL_HOB);
	assert_int_equal(ide_in(f, 0, REG_NSECT), 0x12);
	assert_int_equal(ide_in(f, 0, REG_LBAL), 0x56);
	ide_out(f, 0, REG_LBAM, 0x9a);
	assert_int_equal(ide_in(f, 0, REG_NSECT), 0x34);
	ide_ctl(f, 0, 0);
}

/* -------------------------------------------------------------- flush */

static void test_flush(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t data[512];

	write_data(data, sizeof(data), 0x66);
	ata_cmd28(f, 0, 0, ATA_WRITE_SECTORS, 0, 5, 1);
	assert_ok(pio_write_blocks(f, 0, data, sizeof(data), 512));
	ide_irq_mark(f, 0);
	assert_ok(ata_nodata(f, 0, 0, ATA_FLUSH_CACHE, 0, 0));
	assert_int_equal(ide_irq_new(f, 0), 1);
	ide_in(f, 0, REG_STATUS);
	ide_irq_mark(f, 0);
	assert_ok(ata_nodata(f, 0, 0, ATA_FLUSH_CACHE_EXT, 0, 0));
	assert_int_equal(ide_irq_new(f, 0), 1);
	/* Also with the write cache off. */
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x82, 0));
	assert_ok(ata_nodata(f, 0, 0, ATA_FLUSH_CACHE, 0, 0));
}

/* ------------------------------------------------------------- errors */

static void test_out_of_range(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t buf[4 * 512];
	uint8_t st;

	/* IDNF, or ABRT (ATA/ATAPI-6 8.27: either, not both, for an
	 * address outside the user-accessible range). */
	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, DISK_SECTS, 1);
	st = pio_read_blocks(f, 0, buf, 512, 512);
	assert_error(f, 0, st, ER_IDNF | ER_ABRT);
	assert_int_equal(ide_irq_new(f, 0), 1);
	ide_in(f, 0, REG_STATUS);

	/* Crossing the end: sectors before it may come, then the error. */
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, DISK_SECTS - 2, 4);
	for (unsigned int i = 0; i < 5; i++) {
		st = ide_wait(f, 0);
		if (!(st & ST_DRQ))
			break;
		assert_true(i < 2);
		ide_in(f, 0, REG_STATUS);
		pio_in(f, 0, buf, 512, 2);
		assert_true(pattern_check(buf, (DISK_SECTS - 2 + i) * 512,
					  512));
	}
	assert_error(f, 0, st, ER_IDNF | ER_ABRT);

	/* Writes: refused before or after the data, nothing written. */
	write_data(buf, 512, 0x99);
	ata_cmd28(f, 0, 0, ATA_WRITE_SECTORS, 0, DISK_SECTS, 1);
	st = ide_wait(f, 0);
	if (st & ST_DRQ) {
		pio_out(f, 0, buf, 512, 2);
		st = ide_wait(f, 0);
	}
	assert_error(f, 0, st, ER_IDNF | ER_ABRT);

	/* DMA: the device interrupts with the error, no data moved. */
	memset(ide_ram(f) + BUF0, 0xee, 512);
	ide_irq_mark(f, 0);
	prd_write(f, PRD_TABLE, (struct prd[]){ { BUF0, 512, true } }, 1);
	bm_setup(f, 0, PRD_TABLE, true);
	ata_cmd28(f, 0, 0, ATA_READ_DMA, 0, DISK_SECTS, 1);
	bm_start(f, 0, true);
	st = dma_wait(f, 0);
	assert_error(f, 0, st, ER_IDNF | ER_ABRT);
	assert_true(bm_status(f, 0) & BM_ST_INTR);
	assert_int_equal(ide_irq_new(f, 0), 1);
	bm_stop(f, 0);
	assert_int_equal(ide_ram(f)[BUF0], 0xee);

	ata_cmd48(f, 0, 0, ATA_READ_DMA_EXT, 0, 1ull << 40, 1);
	bm_setup(f, 0, PRD_TABLE, true);
	bm_start(f, 0, true);
	assert_error(f, 0, dma_wait(f, 0), ER_IDNF | ER_ABRT);
	bm_stop(f, 0);
}

static void test_unsupported_commands(void **state)
{
	struct ide_fx *f = one_disk(state);
	static const uint8_t cmds[] = {
		ATA_NOP,             /* always aborts (8.24) */
		0x01,                /* reserved */
		ATA_DEVICE_RESET,    /* PACKET devices only (8.10) */
		ATA_PACKET,          /* no PACKET feature set on a disk */
		ATA_IDENTIFY_PACKET,
	};
	uint16_t w[256];
	uint8_t st;

	for (size_t i = 0; i < sizeof(cmds); i++) {
		ide_irq_mark(f, 0);
		st = ata_nodata(f, 0, 0, cmds[i], 0, 0);
		if (st & ST_DRQ)
			fail_msg("command %#04x: DRQ", cmds[i]);
		assert_error(f, 0, st, ER_ABRT);
		assert_int_equal(ide_in(f, 0, REG_ERROR) & ER_ABRT, ER_ABRT);
		assert_int_equal(ide_irq_new(f, 0), 1);
		ide_in(f, 0, REG_STATUS);
	}
	/* SMART RETURN STATUS: aborted unless SMART is supported and
	 * enabled (words 82/85 bit 0). */
	identify(f, 0, 0, w);
	ide_select(f, 0, 0);
	ide_out(f, 0, REG_LBAM, 0x4f);
	ide_out(f, 0, REG_LBAH, 0xc2);
	st = ata_nodata(f, 0, 0, ATA_SMART, 0xda, 0);
	if (!(w[82] & 1) || !(w[85] & 1))
		assert_error(f, 0, st, ER_ABRT);
	else
		assert_ok(st);
	/* An unsupported SET FEATURES transfer mode (UDMA 6 unless word
	 * 88 has it). */
	if (!(w[88] & 0x40)) {
		st = ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x03, 0x46);
		assert_error(f, 0, st, ER_ABRT);
	}
	/* CHECK POWER MODE (8.6): active or idle. */
	st = ata_nodata(f, 0, 0, ATA_CHECK_POWER_MODE, 0, 0);
	assert_ok(st);
	assert_true(ide_in(f, 0, REG_NSECT) == 0xff ||
		    ide_in(f, 0, REG_NSECT) == 0x80);
	/* The device goes on working after all that. */
	identify(f, 0, 0, w);
}

static void test_read_only(void **state)
{
	struct ide_fx *f = *state;
	char path[192];
	uint8_t data[512], back[512], st;
	uint16_t w[256];

	ide_image(f, "ro.img", DISK_SIZE, true, path, sizeof(path));
	ide_attach(f, 0, false, ide_open(f, path, true, false), path);
	ide_start(f);
	identify(f, 0, 0, w);

	write_data(data, sizeof(data), 0x42);
	ata_cmd28(f, 0, 0, ATA_WRITE_SECTORS, 0, 3, 1);
	st = ide_wait(f, 0);
	if (st & ST_DRQ) {
		pio_out(f, 0, data, sizeof(data), 2);
		st = ide_wait(f, 0);
	}
	assert_error(f, 0, st, ER_ABRT);
	file_read(path, 3 * 512, back, sizeof(back));
	assert_true(pattern_check(back, 3 * 512, 512));

	write_data(ide_ram(f) + BUF0, 512, 0x43);
	prd_write(f, PRD_TABLE, (struct prd[]){ { BUF0, 512, true } }, 1);
	bm_setup(f, 0, PRD_TABLE, false);
	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_WRITE_DMA, 0, 4, 1);
	bm_start(f, 0, false);
	st = dma_wait(f, 0);
	assert_error(f, 0, st, ER_ABRT);
	assert_int_equal(ide_irq_new(f, 0), 1);
	assert_true(bm_status(f, 0) & BM_ST_INTR);
	bm_stop(f, 0);
	file_read(path, 4 * 512, back, sizeof(back));
	assert_true(pattern_check(back, 4 * 512, 512));

	/* Reads work. */
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, 3, 1);
	assert_ok(pio_read_blocks(f, 0, back, 512, 512));
	assert_true(pattern_check(back, 3 * 512, 512));
}

/* --------------------------------------------------------- interrupts */

/* nIEN (ATA/ATAPI-6 7.9.6): INTRQ not asserted while it is set. */
static void test_nien(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t buf[512];

	ide_ctl(f, 0, CTL_NIEN);
	ide_irq_mark(f, 0);
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, 1, 1);
	assert_true(ide_wait(f, 0) & ST_DRQ);
	assert_int_equal(ide_irq_new(f, 0), 0);
	assert_true(ide_irq_level(f, 0) <= 0);
	pio_in(f, 0, buf, 512, 2);
	assert_ok(ide_wait(f, 0));
	assert_true(pattern_check(buf, 512, 512));
	assert_ok(ata_nodata(f, 0, 0, ATA_FLUSH_CACHE, 0, 0));
	assert_int_equal(ide_irq_new(f, 0), 0);
	ide_in(f, 0, REG_STATUS);

	ide_ctl(f, 0, 0);
	ide_irq_mark(f, 0);
	assert_ok(ata_nodata(f, 0, 0, ATA_FLUSH_CACHE, 0, 0));
	assert_int_equal(ide_irq_new(f, 0), 1);
}

/* Reading Status acknowledges INTRQ, Alternate Status does not (7.15,
 * 7.2). */
static void test_status_clears_intrq(void **state)
{
	struct ide_fx *f = one_disk(state);

	ide_irq_mark(f, 0);
	assert_ok(ata_nodata(f, 0, 0, ATA_FLUSH_CACHE, 0, 0));
	assert_int_equal(ide_irq_new(f, 0), 1);
	assert_int_equal(ide_irq_level(f, 0), 1);
	ide_alt(f, 0);
	ide_alt(f, 0);
	assert_int_equal(ide_irq_level(f, 0), 1);
	assert_ok(ide_in(f, 0, REG_STATUS));
	assert_int_equal(ide_irq_level(f, 0), 0);
	assert_int_equal(ide_irq_new(f, 0), 1);
	/* The secondary line never moved. */
	assert_int_equal(ide_irq_new(f, 1), 0);
}

/*
 * Read shadows: the hypervisor may answer a register read itself only
 * where the read has no side effect.  (fake-dm checks after every access
 * that each published byte equals what a read returns.)
 */
static void test_read_shadows(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t v;

	/* Never the data port; Status while no interrupt is pending. */
	assert_false(fake_shadow(f->dm, DM_SPACE_PIO, 0x1f0, &v));
	assert_true(fake_shadow(f->dm, DM_SPACE_PIO, 0x1f7, &v));
	assert_int_equal(v, ide_alt(f, 0));
	assert_true(fake_shadow(f->dm, DM_SPACE_PIO, 0x3f6, &v));
	assert_int_equal(v, ide_alt(f, 0));
	for (unsigned int p = 1; p < 7; p++)
		assert_true(fake_shadow(f->dm, DM_SPACE_PIO, 0x1f0 + p, &v));
	/* A new BAR claim has nothing valid until the next access that
	 * publishes (not a data cycle inside a DRQ block). */
	bm_status(f, 0);
	for (unsigned int p = 0; p < 16; p++)
		assert_true(fake_shadow(f->dm, DM_SPACE_PIO, IDE_BM_BASE + p,
					&v));
	/* An interrupt pending: reading Status would acknowledge it. */
	assert_ok(ata_nodata(f, 0, 0, ATA_FLUSH_CACHE, 0, 0));
	assert_int_equal(ide_irq_level(f, 0), 1);
	assert_false(fake_shadow(f->dm, DM_SPACE_PIO, 0x1f7, &v));
	assert_true(fake_shadow(f->dm, DM_SPACE_PIO, 0x3f6, &v));
	assert_int_equal(v & (ST_BSY | ST_DRQ | ST_ERR | ST_DRDY), ST_DRDY);
	assert_true(fake_shadow(f->dm, DM_SPACE_PIO, 0x177, &v));
	assert_ok(ide_in(f, 0, REG_STATUS));
	assert_true(fake_shadow(f->dm, DM_SPACE_PIO, 0x1f7, &v));
	assert_int_equal(v & (ST_BSY | ST_DRQ | ST_ERR | ST_DRDY), ST_DRDY);
	/* The bus master registers, as the guest set them. */
	bm_setup(f, 0, 0x10000, true);
	assert_true(fake_shadow(f->dm, DM_SPACE_PIO, bm_port(0, BM_STATUS),
				&v));
	assert_false(v & BM_ST_INTR);
	assert_true(fake_shadow(f->dm, DM_SPACE_PIO, bm_port(0, BM_PRD) + 1,
				&v));
	assert_int_equal(v, 0x00);
	assert_true(fake_shadow(f->dm, DM_SPACE_PIO, bm_port(0, BM_PRD) + 2,
				&v));
	assert_int_equal(v, 0x01);
	if (fake_nr_errors)
		fail_msg("error line: %s", fake_last_error);
}

/* Latches and doorbells (dm_shadow_latch, dm_shadow_kick).  The fake
 * checks after every write it would post as a latch that no other
 * published byte and no line changed; this checks the declarations. */
static void test_latches(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint8_t v;

	bm_status(f, 0);
	for (unsigned int p = 1; p < 7; p++)
		assert_true(fake_shadow_latch(f->dm, DM_SPACE_PIO, 0x1f0 + p));
	assert_false(fake_shadow_latch(f->dm, DM_SPACE_PIO, 0x1f0));
	assert_false(fake_shadow_latch(f->dm, DM_SPACE_PIO, 0x1f7));
	assert_false(fake_shadow_latch(f->dm, DM_SPACE_PIO, 0x3f6));
	assert_int_equal(fake_shadow_kick(f->dm, DM_SPACE_PIO, 0x1f6),
			 0x10); /* DEV */
	for (unsigned int p = 0; p < 16; p++)
		assert_true(fake_shadow_latch(f->dm, DM_SPACE_PIO,
					      IDE_BM_BASE + p));
	assert_int_equal(fake_shadow_kick(f->dm, DM_SPACE_PIO,
					  bm_port(0, BM_CMD)), BM_CMD_START);
	assert_int_equal(fake_shadow_kick(f->dm, DM_SPACE_PIO,
					  bm_port(1, BM_CMD)), BM_CMD_START);
	/* With HOB set a task file write changes the other registers'
	 * reads (it clears HOB): no latch until one has cleared it. */
	ide_ctl(f, 0, CTL_HOB);
	assert_false(fake_shadow_latch(f->dm, DM_SPACE_PIO, 0x1f2));
	ide_out(f, 0, REG_NSECT, 0x12);
	assert_true(fake_shadow_latch(f->dm, DM_SPACE_PIO, 0x1f2));
	/* Latches checked by the fake on the way: the task file, the
	 * Device register keeping DEV, the PRD address, a bus master status
	 * write and a direction change without START. */
	ide_out(f, 0, REG_LBAL, 0x34);
	ide_select(f, 0, 0);
	bm_setup(f, 0, 0x10000, true);
	fake_pio_write(f->dm, bm_port(0, BM_STATUS), BM_ST_INTR, 1);
	fake_pio_write(f->dm, bm_port(0, BM_CMD), BM_CMD_READ, 1);
	assert_true(fake_shadow(f->dm, DM_SPACE_PIO, 0x1f0 + REG_LBAL, &v));
	assert_int_equal(v, 0x34);
	if (fake_nr_errors)
		fail_msg("error line: %s", fake_last_error);
}

/* --------------------------------------------------------- SET FEATURES */

static void test_set_features(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint16_t w[256];

	/* Write cache off and on (8.37.2): IDENTIFY and the backend's
	 * write-back mode follow (block.h). */
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x82, 0));
	identify(f, 0, 0, w);
	assert_true(w[82] & (1u << 5));
	assert_false(w[85] & (1u << 5));
	assert_false(blk_write_cache(f->drives[0].blk));
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x02, 0));
	identify(f, 0, 0, w);
	assert_true(w[85] & (1u << 5));
	assert_true(blk_write_cache(f->drives[0].blk));

	/* Transfer modes (8.37.9): UDMA 2, then MWDMA 2, then PIO. */
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x03, 0x42));
	identify(f, 0, 0, w);
	assert_int_equal((w[88] >> 8) & 0x7f, 0x04);
	assert_int_equal((w[63] >> 8) & 0x07, 0);
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x03, 0x22));
	identify(f, 0, 0, w);
	assert_int_equal((w[63] >> 8) & 0x07, 0x04);
	assert_int_equal((w[88] >> 8) & 0x7f, 0);
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x03, 0x08));
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x03, 0x0a));
	/* DMA still works after a mode change. */
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x03, 0x42));
	assert_ok(dma_cmd(f, 0, 0, ATA_READ_DMA, 3, 1,
			  (struct prd[]){ { BUF0, 512, true } }, 1, true));
	bm_stop(f, 0);
	assert_true(pattern_check(ide_ram(f) + BUF0, 3 * 512, 512));
}

/* A disk the host configured write-through (cache=writethrough) stays
 * write-through: SET FEATURES 02h succeeds but IDENTIFY word 85 bit 5
 * and the backend keep saying "no write cache" (block.h). */
static void test_host_writethrough(void **state)
{
	struct ide_fx *f = *state;
	struct blk_config cfg = { .fd = -1, .cache = BLK_CACHE_WRITETHROUGH,
				  .no_direct = true };
	char path[192], err[256] = "";
	uint16_t w[256];
	uint8_t data[512];
	struct blk *b;

	ide_image(f, "wt.img", DISK_SIZE, true, path, sizeof(path));
	cfg.path = path;
	b = blk_open(f->dm, &cfg, err, sizeof(err));
	if (!b)
		fail_msg("blk_open: %s", err);
	f->blks[f->nr_blks++] = b;
	ide_attach(f, 0, false, b, path);
	ide_start(f);
	identify(f, 0, 0, w);
	assert_true(w[82] & (1u << 5));
	assert_false(w[85] & (1u << 5));
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x02, 0));
	identify(f, 0, 0, w);
	assert_false(w[85] & (1u << 5));
	assert_false(blk_write_cache(b));
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x82, 0));
	assert_ok(ata_nodata(f, 0, 0, ATA_SET_FEATURES, 0x02, 0));
	assert_false(blk_write_cache(b));
	/* Writes still work. */
	write_data(data, sizeof(data), 0x21);
	ata_cmd28(f, 0, 0, ATA_WRITE_SECTORS, 0, 7, 1);
	assert_ok(pio_write_blocks(f, 0, data, sizeof(data), 512));
	/* A platform reset keeps it too. */
	piix_ide_reset(f->ide);
	identify(f, 0, 0, w);
	assert_false(w[85] & (1u << 5));
	assert_false(blk_write_cache(b));
}

/* -------------------------------------------------------------- resets */

static void start_big_dma(struct ide_fx *f, unsigned int ch)
{
	const struct prd p[] = {
		{ 0x100000, 0, false },
		{ 0x200000, 0, true },
	};

	prd_write(f, PRD_TABLE + 0x100 * ch, p, 2);
	bm_setup(f, ch, PRD_TABLE + 0x100 * ch, true);
	ata_cmd28(f, ch, 0, ATA_READ_DMA, 0, 0, 0);
	bm_start(f, ch, true);
}

/* Resets with a transfer in flight must not let its completion touch
 * freed or reset state (run under ASan). */
static void test_reset_during_dma(void **state)
{
	struct ide_fx *f = one_disk(state);
	uint16_t w[256];

	/* SRST. */
	start_big_dma(f, 0);
	ide_ctl(f, 0, CTL_SRST);
	ide_ctl(f, 0, 0);
	ide_settle(f, 20);
	ide_wait(f, 0);
	bm_stop(f, 0);
	assert_int_equal(bm_status(f, 0) & BM_ST_ACTIVE, 0);
	assert_signature(f, 0, 0, false);
	identify(f, 0, 0, w);

	/* Stopping the engine mid-transfer. */
	start_big_dma(f, 0);
	bm_stop(f, 0);
	ide_settle(f, 20);
	ide_ctl(f, 0, CTL_SRST);
	ide_ctl(f, 0, 0);
	ide_wait(f, 0);
	identify(f, 0, 0, w);

	/* A platform reset. */
	start_big_dma(f, 0);
	piix_ide_reset(f->ide);
	ide_settle(f, 20);
	fake_pci_config_write(f->dm, IDE_DEVFN, 0x20, 4, IDE_BM_BASE | 1);
	fake_pci_config_write(f->dm, IDE_DEVFN, 0x04, 2, 0x0005);
	ide_wait(f, 0);
	assert_int_equal(bm_status(f, 0) & (BM_ST_ACTIVE | BM_ST_INTR), 0);
	assert_int_equal(fake_pci_config_read(f->dm, IDE_DEVFN, 0x40, 2),
			 0x8000);
	identify(f, 0, 0, w);
	assert_ok(dma_cmd(f, 0, 0, ATA_READ_DMA, 9, 1,
			  (struct prd[]){ { BUF0, 512, true } }, 1, true));
	assert_true(pattern_check(ide_ram(f) + BUF0, 9 * 512, 512));
	bm_stop(f, 0);

	/* A PIO read abandoned by SRST halfway. */
	ata_cmd28(f, 0, 0, ATA_READ_SECTORS, 0, 0, 4);
	assert_true(ide_wait(f, 0) & ST_DRQ);
	pio_in(f, 0, ide_ram(f) + BUF0, 100, 2);
	ide_ctl(f, 0, CTL_SRST);
	ide_ctl(f, 0, 0);
	assert_int_equal(ide_wait(f, 0) & ST_DRQ, 0);
	fake_pio_read(f->dm, 0x1f0, 2);

	/* And one left in flight for the teardown. */
	start_big_dma(f, 0);
}

/* --------------------------------------------------------- two channels */

static void test_two_channels(void **state)
{
	struct ide_fx *f = *state;
	uint8_t marker[512], buf[512];
	uint8_t st0, st1;

	ide_attach_disk(f, 0, DISK_SIZE);
	ide_attach_disk(f, 2, 2 * DISK_SIZE);
	memset(marker, 0xc5, sizeof(marker));
	file_write(f->paths[2], 0, marker, sizeof(marker));
	ide_start(f);
	assert_true(f->drives[2].claimed);

	/* Both DMA transfers at once. */
	prd_write(f, PRD_TABLE, (struct prd[]){ { BUF0, 512, true } }, 1);
	prd_write(f, PRD_TABLE + 0x100,
		  (struct prd[]){ { BUF2, 512, true } }, 1);
	bm_setup(f, 0, PRD_TABLE, true);
	bm_setup(f, 1, PRD_TABLE + 0x100, true);
	ide_irq_mark(f, 0);
	ide_irq_mark(f, 1);
	ata_cmd28(f, 0, 0, ATA_READ_DMA, 0, 0, 1);
	ata_cmd28(f, 1, 0, ATA_READ_DMA, 0, 0, 1);
	bm_start(f, 1, true);
	bm_start(f, 0, true);
	st0 = dma_wait(f, 0);
	st1 = dma_wait(f, 1);
	assert_ok(st0);
	assert_ok(st1);
	assert_int_equal(ide_irq_new(f, 0), 1);
	assert_int_equal(ide_irq_new(f, 1), 1);
	assert_true(bm_status(f, 0) & BM_ST_INTR);
	assert_true(bm_status(f, 1) & BM_ST_INTR);
	bm_stop(f, 0);
	bm_stop(f, 1);
	assert_true(pattern_check(ide_ram(f) + BUF0, 0, 512));
	assert_memory_equal(ide_ram(f) + BUF2, marker, 512);

	/* Secondary PIO raises IRQ 15 only; a reset of the primary leaves
	 * the secondary's command alone. */
	ide_in(f, 0, REG_STATUS);
	ide_in(f, 1, REG_STATUS);
	ide_irq_mark(f, 0);
	ide_irq_mark(f, 1);
	ata_cmd28(f, 1, 0, ATA_READ_SECTORS, 0, 8000 + 2, 1);
	ide_ctl(f, 0, CTL_SRST);
	ide_ctl(f, 0, 0);
	assert_ok(pio_read_blocks(f, 1, buf, 512, 512));
	assert_true(pattern_check(buf, 8002 * 512, 512));
	assert_int_equal(ide_irq_new(f, 0), 0);
	/* The secondary disk is bigger: its end is past the primary's. */
	ata_cmd48(f, 1, 0, ATA_READ_SECTORS_EXT, 0, 2 * DISK_SECTS - 1, 1);
	assert_ok(pio_read_blocks(f, 1, buf, 512, 512));
	ata_cmd48(f, 0, 0, ATA_READ_SECTORS_EXT, 0, 2 * DISK_SECTS - 1, 1);
	assert_error(f, 0, pio_read_blocks(f, 0, buf, 512, 512),
		     ER_IDNF | ER_ABRT);
	/* nIEN on one channel only. */
	ide_ctl(f, 0, CTL_NIEN);
	ide_irq_mark(f, 1);
	assert_ok(ata_nodata(f, 1, 0, ATA_FLUSH_CACHE, 0, 0));
	assert_int_equal(ide_irq_new(f, 1), 1);
	ide_ctl(f, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) IDE_TEST(fn)
		T(test_pci_identity),
		T(test_no_coalescing_with_two_vcpus),
		T(test_bm_registers),
		T(test_srst_signatures),
		T(test_absent_devices),
		T(test_identify),
		T(test_identify_big),
		T(test_read_sectors),
		T(test_read_sectors_count0),
		T(test_read_pio32),
		T(test_read_chs),
		T(test_read_sectors_ext),
		T(test_write_sectors),
		T(test_multiple),
		T(test_init_dev_params),
		T(test_read_verify),
		T(test_dma_read),
		T(test_dma_write),
		T(test_dma_zero_length_entries),
		T(test_dma_ext_count0),
		T(test_dma_prd_larger),
		T(test_dma_prd_short),
		T(test_dma_bad_prd),
		T(test_dma_prd_no_eot),
		T(test_dma_direct_unaligned),
		T(test_lba48_big),
		T(test_hob),
		T(test_flush),
		T(test_out_of_range),
		T(test_unsupported_commands),
		T(test_read_only),
		T(test_nien),
		T(test_status_clears_intrq),
		T(test_read_shadows),
		T(test_latches),
		T(test_set_features),
		T(test_host_writethrough),
		T(test_reset_during_dma),
		T(test_two_channels),
#undef T
	};

	log_init("test-ide", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
