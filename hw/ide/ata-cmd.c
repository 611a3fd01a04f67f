/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ATA command set of the IDE disks, after ATA/ATAPI-6 (T13/1410D
 * revision 3b) section 8 (command descriptions): IDENTIFY DEVICE,
 * READ/WRITE SECTOR(S) (EXT), READ/WRITE MULTIPLE (EXT), SET MULTIPLE
 * MODE, READ/WRITE DMA (EXT), READ VERIFY SECTOR(S) (EXT), FLUSH CACHE
 * (EXT), SET FEATURES (transfer mode 03h, write cache 02h/82h, read
 * look-ahead 55h/AAh, revert to defaults 66h/CCh), the power management
 * commands CHECK POWER MODE, IDLE, IDLE IMMEDIATE, STANDBY, STANDBY
 * IMMEDIATE, SLEEP (and their ATA-3 opcodes 94h-99h), EXECUTE DEVICE
 * DIAGNOSTIC, NOP, DEVICE RESET; from earlier standards INITIALIZE
 * DEVICE PARAMETERS (ATA-5), RECALIBRATE and SEEK (ATA-3); and the
 * PACKET feature set's ATA commands for CD drives (Table 4 of ATA-6;
 * the packets themselves are in atapi.c).
 *
 * IDENTIFY DEVICE describes a fixed disk with LBA28 and LBA48, a CHS
 * geometry of 16 heads and 63 sectors per track (at most 16383
 * cylinders; INITIALIZE DEVICE PARAMETERS sets the current translation of
 * words 54-58), PIO modes 3-4, multiword DMA 0-2 and Ultra DMA 0-2 (the
 * mode SET FEATURES selected is reported in words 63 and 88), READ/WRITE
 * MULTIPLE up to 16 sectors, the write cache, read look-ahead, power
 * management and FLUSH CACHE (EXT) (words 82-87), serial "HVMKIT-<vdev>",
 * model "HVMKIT HARDDISK" and the hvmkit version as firmware revision.
 *
 * Errors: an address outside the disk (or a CHS address outside the
 * current translation) ends the command with IDNF; a read the backend
 * fails with UNC, a failed write or flush with ABRT; the LBA registers
 * then hold the first sector of the failed request.  On success they hold
 * the last sector moved (ATA-3 style).  Every command this model does
 * not implement (SMART, security, host protected area, removable media
 * status, logs, ...) is aborted with ABRT, as a drive without those
 * feature sets does.
 *
 * Deliberate deviations:
 * - A read-only disk (access=ro) aborts every write command with ABRT
 *   before any data moves; ATA has no write-protect status for fixed
 *   disks.
 * - READ VERIFY checks the address range without reading the medium.
 * - SLEEP and STANDBY are accepted and the disk stays active (CHECK
 *   POWER MODE always answers FFh); no reset is needed to wake it.
 * - SET FEATURES 82h (write cache off) flushes the cache before it
 *   completes, as drives do.
 * - On a disk the host configured write-through (cache=writethrough),
 *   SET FEATURES 02h (write cache on) completes without error but the
 *   writes stay write-through (block.h): IDENTIFY word 85 bit 5 reports
 *   the effective state, so the guest can see its request had no
 *   effect.  Word 82 still says the feature set is supported.
 */
#include <stdio.h>
#include <string.h>

#include "hvmkit/log.h"
#include "ide.h"

#ifndef HVMKIT_VERSION
#define HVMKIT_VERSION "unknown"
#endif

/* ATA opcodes (section 8; obsolete ATA-3 ones where accepted). */
#define ATA_NOP                  0x00
#define ATA_DEVICE_RESET         0x08
#define ATA_READ_SECTORS         0x20
#define ATA_READ_SECTORS_NR      0x21
#define ATA_READ_SECTORS_EXT     0x24
#define ATA_READ_DMA_EXT         0x25
#define ATA_READ_MULTIPLE_EXT    0x29
#define ATA_WRITE_SECTORS        0x30
#define ATA_WRITE_SECTORS_NR     0x31
#define ATA_WRITE_SECTORS_EXT    0x34
#define ATA_WRITE_DMA_EXT        0x35
#define ATA_WRITE_MULTIPLE_EXT   0x39
#define ATA_READ_VERIFY          0x40
#define ATA_READ_VERIFY_NR       0x41
#define ATA_READ_VERIFY_EXT      0x42
#define ATA_DIAGNOSTIC           0x90
#define ATA_INIT_DEV_PARAMS      0x91
#define ATA_STANDBY_IMM_OLD      0x94
#define ATA_SLEEP_OLD            0x99
#define ATA_CHECK_POWER_OLD      0x98
#define ATA_PACKET               0xa0
#define ATA_IDENTIFY_PACKET      0xa1
#define ATA_READ_MULTIPLE        0xc4
#define ATA_WRITE_MULTIPLE       0xc5
#define ATA_SET_MULTIPLE         0xc6
#define ATA_READ_DMA             0xc8
#define ATA_READ_DMA_NR          0xc9
#define ATA_WRITE_DMA            0xca
#define ATA_WRITE_DMA_NR         0xcb
#define ATA_STANDBY_IMM          0xe0
#define ATA_IDLE_IMM             0xe1
#define ATA_STANDBY              0xe2
#define ATA_IDLE                 0xe3
#define ATA_CHECK_POWER          0xe5
#define ATA_SLEEP                0xe6
#define ATA_FLUSH_CACHE          0xe7
#define ATA_FLUSH_CACHE_EXT      0xea
#define ATA_IDENTIFY             0xec
#define ATA_SET_FEATURES         0xef

/* SET FEATURES subcommands. */
#define SF_WCACHE_ON             0x02
#define SF_XFER_MODE             0x03
#define SF_LOOKAHEAD_OFF         0x55
#define SF_REVERT_OFF            0x66
#define SF_WCACHE_OFF            0x82
#define SF_LOOKAHEAD_ON          0xaa
#define SF_REVERT_ON             0xcc

/* SET FEATURES 03h transfer mode values (sector count). */
#define XFER_PIO_DEFAULT         0x00
#define XFER_PIO_NO_IORDY        0x01
#define XFER_PIO                 0x08 /* + mode 0-4 */
#define XFER_MWDMA               0x20 /* + mode 0-2 */
#define XFER_UDMA                0x40 /* + mode 0-2 */

#define LBA28_MAX                0x0fffffffull
#define CHS_MAX_CYLS             16383u

static uint32_t min_u32(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

/* ------------------------------------------------------------ status */

void ata_error(struct ide_dev *d, uint8_t err)
{
	d->error = err;
	d->status = ST_DRDY | ST_ERR | (d->atapi ? 0 : ST_DSC);
	ide_set_irq(d);
}

void ata_ok(struct ide_dev *d)
{
	d->error = 0;
	d->status = ST_DRDY | (d->atapi ? 0 : ST_DSC);
	ide_set_irq(d);
}

/* ---------------------------------------------------------- IDENTIFY */

void ide_id_string(uint16_t *w, unsigned int first, unsigned int words,
		   const char *s)
{
	size_t len = strlen(s);

	for (unsigned int i = 0; i < 2 * words; i++) {
		uint8_t c = i < len ? (uint8_t)s[i] : ' ';

		if (i & 1)
			w[first + i / 2] |= c;
		else
			w[first + i / 2] = (uint16_t)(c << 8);
	}
}

/* Words both IDENTIFY commands share: strings, DMA modes, word 93. */
void ide_id_common(struct ide_dev *d, uint16_t *w)
{
	char serial[24];
	bool dev1 = d->ch->dev[1].present;

	snprintf(serial, sizeof(serial), "HVMKIT-%s", d->vdev);
	ide_id_string(w, 10, 10, serial);
	ide_id_string(w, 23, 4, HVMKIT_VERSION);
	ide_id_string(w, 27, 20, d->atapi ? "HVMKIT DVD-ROM" :
		      "HVMKIT HARDDISK");
	w[49] = 0x0b00;  /* IORDY, LBA, DMA */
	w[50] = 0x4000;
	w[53] = 0x0007;  /* words 54-58, 64-70 and 88 valid */
	/* Multiword DMA 0-2 and Ultra DMA 0-2 supported, and the mode SET
	 * FEATURES selected. */
	w[63] = 0x0007;
	if ((d->xfer_mode & 0xf8) == XFER_MWDMA)
		w[63] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
	w[64] = 0x0003;  /* PIO 3 and 4 */
	w[65] = 120;     /* minimum multiword DMA cycle, ns */
	w[66] = 120;
	w[67] = 120;     /* minimum PIO cycle without and with IORDY */
	w[68] = 120;
	w[80] = 0x007e;  /* ATA/ATAPI-1 to -6 */
	w[88] = 0x0007;
	if ((d->xfer_mode & 0xf8) == XFER_UDMA)
		w[88] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
	/* Word 93, hardware reset result: device numbers by jumper,
	 * diagnostics passed; device 0 saw device 1 (PDIAG-, DASP-) or
	 * answers for it. */
	if (d->unit == 1)
		w[93] = 0x4b00;
	else
		w[93] = dev1 ? 0x403b : 0x404b;
}

void ide_id_finish(struct ide_dev *d, uint16_t *w)
{
	uint8_t sum = 0xa5;

	/* Word 255, integrity word: A5h, and a checksum that makes the sum
	 * of all 512 bytes 0. */
	for (unsigned int i = 0; i < 255; i++)
		sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
	w[255] = (uint16_t)((uint8_t)-sum << 8 | 0xa5);
	for (unsigned int i = 0; i < 256; i++) {
		d->buf[2 * i] = (uint8_t)w[i];
		d->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
}

static void ata_identify(struct ide_dev *d)
{
	uint16_t w[256];
	uint64_t n = d->sectors;
	uint32_t cur = d->cur_cyls * d->cur_heads * d->cur_spt;

	memset(w, 0, sizeof(w));
	w[0] = 0x0040;   /* fixed device */
	w[1] = (uint16_t)d->cyls;
	w[3] = (uint16_t)d->heads;
	w[6] = (uint16_t)d->spt;
	w[20] = 3;       /* obsolete buffer type, as drives still report */
	w[21] = IDE_BUF_SIZE / IDE_SECTOR;
	w[47] = 0x8000 | IDE_MAX_MULT;
	w[51] = 0x0200;  /* obsolete PIO timing: mode 2 */
	w[52] = 0x0200;
	w[54] = (uint16_t)d->cur_cyls;
	w[55] = (uint16_t)d->cur_heads;
	w[56] = (uint16_t)d->cur_spt;
	w[57] = (uint16_t)cur;
	w[58] = (uint16_t)(cur >> 16);
	if (d->mult)
		w[59] = (uint16_t)(0x100 | d->mult);
	w[60] = (uint16_t)min_u32(n, LBA28_MAX);
	w[61] = (uint16_t)(min_u32(n, LBA28_MAX) >> 16);
	/* Supported: NOP, read look-ahead, write cache, power management;
	 * FLUSH CACHE EXT, FLUSH CACHE, 48-bit addresses. */
	w[82] = 0x4068;
	w[83] = 0x7400;
	w[84] = 0x4000;
	w[85] = (uint16_t)(0x4008 | (d->lookahead ? 0x40 : 0) |
			   (d->wcache ? 0x20 : 0));
	w[86] = 0x3400;
	w[87] = 0x4000;
	ide_id_common(d, w);
	for (unsigned int i = 0; i < 4; i++)
		w[100 + i] = (uint16_t)(n >> (16 * i));
	ide_id_finish(d, w);
	d->status = ST_DRDY | ST_DSC;
	ide_pio_start(d, 0, IDE_SECTOR, false, NULL);
	ide_set_irq(d);
}

void ata_dev_init(struct ide_dev *d)
{
	uint64_t cyls = d->sectors / (16 * 63);

	d->heads = 16;
	d->spt = 63;
	d->cyls = (unsigned int)(cyls > CHS_MAX_CYLS ? CHS_MAX_CYLS :
				 cyls ? cyls : 1);
	d->cur_cyls = d->cyls;
	d->cur_heads = d->heads;
	d->cur_spt = d->spt;
	d->mult = 0;
	d->xfer_mode = XFER_PIO_DEFAULT;
	d->lookahead = true;
	d->wcache = d->wcache_default;
	if (d->blk)
		blk_set_write_cache(d->blk, d->wcache);
}

/* --------------------------------------------------------- addresses */

/* The command's first sector and count from the task file (LBA28,
 * LBA48, or CHS through the current translation).  false: the CHS
 * address does not exist in the current translation. */
static bool ata_address(struct ide_dev *d, uint64_t *lba, uint32_t *count)
{
	if (d->lba48) {
		*count = (uint32_t)(d->hob_nsect << 8 | d->nsect);
		if (!*count)
			*count = 65536;
		*lba = (uint64_t)d->hob_lbah << 40 |
		       (uint64_t)d->hob_lbam << 32 |
		       (uint64_t)d->hob_lbal << 24 |
		       (uint64_t)d->lbah << 16 | (uint64_t)d->lbam << 8 |
		       d->lbal;
		return true;
	}
	*count = d->nsect ? d->nsect : 256;
	if (!d->chs) {
		*lba = (uint64_t)(d->select & DEV_HEAD) << 24 |
		       (uint64_t)d->lbah << 16 | (uint64_t)d->lbam << 8 |
		       d->lbal;
		return true;
	}
	unsigned int cyl = (unsigned int)(d->lbah << 8 | d->lbam);
	unsigned int head = d->select & DEV_HEAD;
	unsigned int sect = d->lbal;

	if (!sect || sect > d->cur_spt || head >= d->cur_heads)
		return false;
	*lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + sect - 1;
	return true;
}

/* Writes a sector address back into the task file, in the command's
 * addressing mode. */
static void ata_set_pos(struct ide_dev *d, uint64_t lba)
{
	if (d->chs) {
		uint64_t track = lba / d->cur_spt;

		d->lbal = (uint8_t)(lba % d->cur_spt + 1);
		d->lbam = (uint8_t)(track / d->cur_heads);
		d->lbah = (uint8_t)(track / d->cur_heads >> 8);
		d->select = (uint8_t)((d->select & ~DEV_HEAD) |
				      track % d->cur_heads);
		return;
	}
	d->lbal = (uint8_t)lba;
	d->lbam = (uint8_t)(lba >> 8);
	d->lbah = (uint8_t)(lba >> 16);
	if (d->lba48) {
		d->hob_lbal = (uint8_t)(lba >> 24);
		d->hob_lbam = (uint8_t)(lba >> 32);
		d->hob_lbah = (uint8_t)(lba >> 40);
	} else {
		d->select = (uint8_t)((d->select & ~DEV_HEAD) |
				      ((lba >> 24) & DEV_HEAD));
	}
}

static void ata_rw_error(struct ide_dev *d, uint8_t err)
{
	ata_set_pos(d, d->lba);
	ata_error(d, err);
}

/* ------------------------------------------------------------ PIO in */

static void ata_pio_read_next(struct ide_dev *d);

static void ata_pio_in_done(struct ide_dev *d)
{
	d->buf_idx += d->cur_block;
	d->left -= d->cur_block;
	if (!d->left) {
		ata_set_pos(d, d->lba + d->buf_idx - 1);
		d->status = ST_DRDY | ST_DSC;
		return; /* no interrupt after the last block (PIO data-in) */
	}
	if (d->buf_idx < d->buf_sects) {
		unsigned int bs = min_u32(d->block, d->buf_sects - d->buf_idx);

		d->cur_block = bs;
		d->status = ST_DRDY | ST_DSC;
		ide_pio_start(d, d->buf_idx * IDE_SECTOR, bs * IDE_SECTOR,
			      false, ata_pio_in_done);
		ide_set_irq(d);
		return;
	}
	d->lba += d->buf_sects;
	ata_pio_read_next(d);
}

static void ata_pio_read_done(struct ide_dev *d, int64_t ret)
{
	unsigned int bs;

	if (ret < 0) {
		ata_rw_error(d, ER_UNC);
		return;
	}
	d->buf_sects = d->chunk;
	d->buf_idx = 0;
	bs = min_u32(d->block, d->buf_sects);
	d->cur_block = bs;
	d->status = ST_DRDY | ST_DSC;
	ide_pio_start(d, 0, bs * IDE_SECTOR, false, ata_pio_in_done);
	ide_set_irq(d);
}

static void ata_pio_read_next(struct ide_dev *d)
{
	d->chunk = min_u32(d->left, IDE_BUF_SECTORS);
	d->iov[0] = (struct iovec){ d->buf, d->chunk * IDE_SECTOR };
	d->status = ST_DRDY | ST_DSC | ST_BSY;
	ide_submit(d, BLK_READ, d->lba * IDE_SECTOR, 1, ata_pio_read_done);
}

/* ----------------------------------------------------------- PIO out */

static void ata_pio_out_block(struct ide_dev *d, bool irq);

static void ata_pio_write_done(struct ide_dev *d, int64_t ret)
{
	if (ret < 0) {
		ata_rw_error(d, ER_ABRT);
		return;
	}
	d->lba += d->chunk;
	d->buf_idx = 0;
	if (!d->left) {
		ata_set_pos(d, d->lba - 1);
		ata_ok(d);
		return;
	}
	ata_pio_out_block(d, true);
}

static void ata_pio_out_done(struct ide_dev *d)
{
	d->buf_idx += d->cur_block;
	d->left -= d->cur_block;
	if (d->left && d->buf_idx + min_u32(d->block, d->left) <=
		       IDE_BUF_SECTORS) {
		ata_pio_out_block(d, true);
		return;
	}
	d->chunk = d->buf_idx;
	d->iov[0] = (struct iovec){ d->buf, d->chunk * IDE_SECTOR };
	d->status = ST_DRDY | ST_DSC | ST_BSY;
	ide_submit(d, BLK_WRITE, d->lba * IDE_SECTOR, 1, ata_pio_write_done);
}

/* The next DRQ block: the first comes without an interrupt (PIO
 * data-out protocol). */
static void ata_pio_out_block(struct ide_dev *d, bool irq)
{
	unsigned int bs = min_u32(d->block, d->left);

	d->cur_block = bs;
	d->status = ST_DRDY | ST_DSC;
	ide_pio_start(d, d->buf_idx * IDE_SECTOR, bs * IDE_SECTOR, true,
		      ata_pio_out_done);
	if (irq)
		ide_set_irq(d);
}

/* --------------------------------------------------------------- DMA */

static void ata_dma_run(struct ide_dev *d);

static void ata_dma_done(struct ide_dev *d, int64_t ret)
{
	uint32_t n = d->dma_chunk / IDE_SECTOR;

	if (ret < 0) {
		d->dma_pending = false;
		d->dma_run = NULL;
		ata_rw_error(d, d->dma_to_memory ? ER_UNC : ER_ABRT);
		return;
	}
	d->lba += n;
	d->left -= n;
	if (!d->left) {
		ata_set_pos(d, d->lba - 1);
		ide_dma_finished(d);
		ata_ok(d);
		return;
	}
	d->status = ST_DRDY | ST_DSC | ST_DRQ;
	ide_dma_kick(d->ch);
}

static void ata_dma_run(struct ide_dev *d)
{
	enum blk_op op = d->dma_to_memory ? BLK_READ : BLK_WRITE;

	if (ide_dma_blk(d, op, d->lba * IDE_SECTOR,
			(uint64_t)d->left * IDE_SECTOR, ata_dma_done) ==
	    BM_FAIL)
		ata_rw_error(d, ER_ABRT);
}

/* ------------------------------------------------------ read / write */

static void ata_rw(struct ide_dev *d, bool lba48, bool write, bool dma,
		   unsigned int block)
{
	uint64_t lba;
	uint32_t count;

	d->lba48 = lba48;
	d->chs = !lba48 && !(d->select & DEV_LBA);
	if (!ata_address(d, &lba, &count) || lba > d->sectors ||
	    count > d->sectors - lba) {
		ata_error(d, ER_IDNF);
		return;
	}
	if (write && (d->drive->read_only || blk_read_only(d->blk))) {
		log_guest("%s: write to a read-only disk: aborted", d->vdev);
		ata_error(d, ER_ABRT);
		return;
	}
	d->lba = lba;
	d->left = count;
	d->block = block;
	d->buf_idx = 0;
	d->buf_sects = 0;
	if (dma) {
		d->status = ST_DRDY | ST_DSC | ST_DRQ;
		ide_dma_request(d, !write, ata_dma_run);
	} else if (write) {
		ata_pio_out_block(d, false);
	} else {
		ata_pio_read_next(d);
	}
}

static void ata_rw_multiple(struct ide_dev *d, bool lba48, bool write)
{
	if (!d->mult) {
		ata_error(d, ER_ABRT); /* multiple mode disabled */
		return;
	}
	ata_rw(d, lba48, write, false, d->mult);
}

static void ata_verify(struct ide_dev *d, bool lba48)
{
	uint64_t lba;
	uint32_t count;

	d->lba48 = lba48;
	d->chs = !lba48 && !(d->select & DEV_LBA);
	if (!ata_address(d, &lba, &count) || lba > d->sectors ||
	    count > d->sectors - lba) {
		ata_error(d, ER_IDNF);
		return;
	}
	ata_set_pos(d, lba + count - 1);
	ata_ok(d);
}

/* ------------------------------------------------- non-data commands */

static void ata_flush_done(struct ide_dev *d, int64_t ret)
{
	if (ret < 0)
		ata_error(d, ER_ABRT);
	else
		ata_ok(d);
}

static void ata_flush(struct ide_dev *d)
{
	d->status = ST_DRDY | ST_DSC | ST_BSY;
	ide_submit(d, BLK_FLUSH, 0, 0, ata_flush_done);
}

static bool xfer_mode_valid(uint8_t m)
{
	switch (m & 0xf8) {
	case XFER_PIO_DEFAULT:
		return m == XFER_PIO_DEFAULT || m == XFER_PIO_NO_IORDY;
	case XFER_PIO:
		return (m & 7) <= 4;
	case XFER_MWDMA:
	case XFER_UDMA:
		return (m & 7) <= 2;
	}
	return false;
}

static void ata_set_features(struct ide_dev *d)
{
	switch (d->feature) {
	case SF_XFER_MODE:
		if (!xfer_mode_valid(d->nsect))
			break;
		d->xfer_mode = d->nsect;
		ata_ok(d);
		return;
	case SF_WCACHE_ON:
	case SF_WCACHE_OFF:
		if (d->atapi)
			break;
		/* The backend keeps a host write-through setting. */
		blk_set_write_cache(d->blk, d->feature == SF_WCACHE_ON);
		d->wcache = blk_write_cache(d->blk);
		if (d->feature == SF_WCACHE_ON)
			ata_ok(d);
		else
			ata_flush(d);
		return;
	case SF_LOOKAHEAD_OFF:
	case SF_LOOKAHEAD_ON:
		if (d->atapi)
			break;
		d->lookahead = d->feature == SF_LOOKAHEAD_ON;
		ata_ok(d);
		return;
	case SF_REVERT_OFF:
	case SF_REVERT_ON:
		if (d->atapi)
			break;
		ata_ok(d);
		return;
	}
	ata_error(d, ER_ABRT);
}

static void ata_set_multiple(struct ide_dev *d)
{
	unsigned int n = d->nsect;

	/* Powers of two up to word 47's maximum; 0 disables. */
	if (n > IDE_MAX_MULT || (n & (n - 1))) {
		ata_error(d, ER_ABRT);
		return;
	}
	d->mult = n;
	ata_ok(d);
}

static void ata_init_dev_params(struct ide_dev *d)
{
	unsigned int spt = d->nsect;
	unsigned int heads = (d->select & DEV_HEAD) + 1u;
	uint64_t cyls;

	if (!spt) {
		ata_error(d, ER_ABRT);
		return;
	}
	cyls = d->sectors / (heads * spt);
	d->cur_spt = spt;
	d->cur_heads = heads;
	d->cur_cyls = (unsigned int)(cyls > 65535 ? 65535 : cyls);
	ata_ok(d);
}

/* EXECUTE DEVICE DIAGNOSTIC: both devices run it, device 0 reports. */
static void ata_diagnostic(struct ide_dev *d)
{
	for (unsigned int i = 0; i < 2; i++) {
		struct ide_dev *x = &d->ch->dev[i];

		if (x != d)
			ide_cancel(x);
		ide_set_signature(x);
		x->error = x->present ? 0x01 : 0;
		x->status = !x->present || x->atapi ? 0 : ST_DRDY | ST_DSC;
		if (x->atapi)
			atapi_dev_reset(x);
	}
	ide_set_irq(d);
}

static void ata_device_reset(struct ide_dev *d)
{
	ide_cancel(d);
	ide_set_signature(d);
	atapi_dev_reset(d);
	d->error = 0x01;
	d->status = 0; /* no interrupt (DEVICE RESET) */
}

/* ---------------------------------------------------------- dispatch */

/* A PACKET device (ATA/ATAPI-6 Table 4: the commands of the PACKET
 * feature set; IDENTIFY DEVICE and READ SECTOR(S) abort and leave the
 * signature). */
static void atapi_exec_ata(struct ide_dev *d, uint8_t cmd)
{
	switch (cmd) {
	case ATA_PACKET:
		atapi_packet(d);
		return;
	case ATA_IDENTIFY_PACKET:
		atapi_identify(d);
		return;
	case ATA_DEVICE_RESET:
		ata_device_reset(d);
		return;
	case ATA_IDENTIFY:
	case ATA_READ_SECTORS:
	case ATA_READ_SECTORS_NR:
		ide_set_signature(d);
		ata_error(d, ER_ABRT);
		return;
	case ATA_CHECK_POWER:
	case ATA_CHECK_POWER_OLD:
		d->nsect = 0xff;
		ata_ok(d);
		return;
	case ATA_IDLE_IMM:
	case ATA_STANDBY_IMM:
	case ATA_SLEEP:
		ata_ok(d);
		return;
	case ATA_SET_FEATURES:
		ata_set_features(d);
		return;
	case ATA_DIAGNOSTIC:
		ata_diagnostic(d);
		return;
	}
	ata_error(d, ER_ABRT);
}

void ata_exec(struct ide_dev *d, uint8_t cmd)
{
	d->cmd = cmd;
	d->data_pos = d->data_end = 0;
	d->data_done = NULL;
	if (d->atapi) {
		atapi_exec_ata(d, cmd);
		return;
	}
	if ((cmd & 0xf0) == 0x10) { /* RECALIBRATE */
		ata_ok(d);
		return;
	}
	if ((cmd & 0xf0) == 0x70) { /* SEEK */
		ata_ok(d);
		return;
	}
	switch (cmd) {
	case ATA_READ_SECTORS:
	case ATA_READ_SECTORS_NR:
		ata_rw(d, false, false, false, 1);
		return;
	case ATA_READ_SECTORS_EXT:
		ata_rw(d, true, false, false, 1);
		return;
	case ATA_WRITE_SECTORS:
	case ATA_WRITE_SECTORS_NR:
		ata_rw(d, false, true, false, 1);
		return;
	case ATA_WRITE_SECTORS_EXT:
		ata_rw(d, true, true, false, 1);
		return;
	case ATA_READ_MULTIPLE:
		ata_rw_multiple(d, false, false);
		return;
	case ATA_READ_MULTIPLE_EXT:
		ata_rw_multiple(d, true, false);
		return;
	case ATA_WRITE_MULTIPLE:
		ata_rw_multiple(d, false, true);
		return;
	case ATA_WRITE_MULTIPLE_EXT:
		ata_rw_multiple(d, true, true);
		return;
	case ATA_READ_DMA:
	case ATA_READ_DMA_NR:
		ata_rw(d, false, false, true, 1);
		return;
	case ATA_READ_DMA_EXT:
		ata_rw(d, true, false, true, 1);
		return;
	case ATA_WRITE_DMA:
	case ATA_WRITE_DMA_NR:
		ata_rw(d, false, true, true, 1);
		return;
	case ATA_WRITE_DMA_EXT:
		ata_rw(d, true, true, true, 1);
		return;
	case ATA_READ_VERIFY:
	case ATA_READ_VERIFY_NR:
		ata_verify(d, false);
		return;
	case ATA_READ_VERIFY_EXT:
		ata_verify(d, true);
		return;
	case ATA_IDENTIFY:
		ata_identify(d);
		return;
	case ATA_SET_FEATURES:
		ata_set_features(d);
		return;
	case ATA_SET_MULTIPLE:
		ata_set_multiple(d);
		return;
	case ATA_INIT_DEV_PARAMS:
		ata_init_dev_params(d);
		return;
	case ATA_FLUSH_CACHE:
	case ATA_FLUSH_CACHE_EXT:
		ata_flush(d);
		return;
	case ATA_CHECK_POWER:
	case ATA_CHECK_POWER_OLD:
		d->nsect = 0xff; /* active or idle */
		ata_ok(d);
		return;
	case ATA_STANDBY_IMM:
	case ATA_IDLE_IMM:
	case ATA_STANDBY:
	case ATA_IDLE:
	case ATA_SLEEP:
		ata_ok(d);
		return;
	case ATA_DIAGNOSTIC:
		ata_diagnostic(d);
		return;
	}
	if (cmd >= ATA_STANDBY_IMM_OLD && cmd <= ATA_SLEEP_OLD) {
		ata_ok(d); /* ATA-3 power management opcodes */
		return;
	}
	/* NOP (always aborts), DEVICE RESET on a disk, PACKET and IDENTIFY
	 * PACKET DEVICE on a disk, SMART and everything else. */
	ata_error(d, ER_ABRT);
}
