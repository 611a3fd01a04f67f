/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ATAPI CD/DVD-ROM drive: the PACKET command protocols of ATA/ATAPI-6
 * (T13/1410D) section 9 (PACKET PIO data-in/out, PACKET DMA) with the
 * PACKET and IDENTIFY PACKET DEVICE commands, SFF-8020i for the drive's
 * behaviour as a removable medium device, and the MMC-3 (T10/1363-D)
 * commands the drive executes here: TEST UNIT READY, REQUEST SENSE
 * (SPC-3, fixed format 70h), START STOP UNIT, PREVENT ALLOW MEDIUM
 * REMOVAL, READ(10), READ(12), READ CD (user data only), SEEK(10), MODE
 * SELECT(10) (accepted, parameters ignored) and SET CD SPEED (accepted);
 * the commands answered from the drive's state are in mmc.c.
 *
 * PACKET: the host writes the byte count limit into LBA mid/high and
 * features bit 0 (DMA), then the 12-byte CDB through the data port (DRQ
 * with interrupt reason CoD=1 IO=0; IDENTIFY PACKET DEVICE word 0 says
 * "accelerated DRQ", so no interrupt for it).  Data-in by PIO comes in
 * DRQ blocks of at most the byte count limit (even unless it is the
 * last block; FFFFh counts as FFFEh, the invalid 0 as FFFEh and 1 as 2),
 * each with IO=1 CoD=0, the block's byte count in LBA mid/high and an
 * interrupt; the status phase has IO=1 CoD=1, an interrupt, and ERR (CHK)
 * with the sense key in the error register's high nibble when the
 * command failed.  With DMA the data moves through the bus master and
 * only the status phase interrupts.  Data-out (MODE SELECT) goes the
 * same way with IO=0.
 *
 * Medium: the image as 2048-byte sectors (size / 2048; an image whose
 * size is not a multiple of 2048 is accepted with one warning, its last
 * partial sector unreadable; one smaller than 2048 bytes is no medium).
 * Media changes come from the host (`hvmkit cd-insert`/`cd-eject`,
 * atapi_change_media) and from the guest (START STOP UNIT with LoEj
 * opens and closes the tray; the image stays in the drive while the tray
 * is open).  A new medium is announced with UNIT ATTENTION 06/28/00 for
 * the next command that does not allow it (INQUIRY, REQUEST SENSE, GET
 * CONFIGURATION and GET EVENT STATUS NOTIFICATION run, as in MMC),
 * and a NEW MEDIA event for GET EVENT STATUS NOTIFICATION; removal gives
 * a MEDIA REMOVAL event and NOT READY 02/3A/00 for the commands that
 * need a medium.  While the guest has locked the tray (PREVENT ALLOW
 * MEDIUM REMOVAL) the host's changes are refused with "the guest has
 * locked the tray" and an EJECT REQUEST event tells the guest, and a
 * guest eject fails with ILLEGAL REQUEST 05/53/02.  Ejecting an empty
 * drive succeeds and changes nothing.
 *
 * Deliberate deviations:
 * - No UNIT ATTENTION 06/29/00 after power-on or reset (as QEMU): SeaBIOS
 *   and the guests' drivers see a ready drive at once.
 * - READ CD returns user data only (2048 bytes per sector); requests for
 *   sync, headers, EDC/ECC or C2 data, and subchannel data, fail with
 *   05/24/00; CD-DA sectors do not exist (05/64/00).
 * - A failed read of the image reports MEDIUM ERROR 03/11/00; a bad PRD
 *   table ABORTED COMMAND 0B/4B/00 (data phase error).
 * - A host media change while a command is in progress ends that
 *   command: UNIT ATTENTION 06/28/00 (new medium) or NOT READY 02/3A/00.
 * - The lock and the tray survive SRST and DEVICE RESET; a platform
 *   reset unlocks and closes the tray.
 */
#include <stdio.h>
#include <string.h>

#include "hvmkit/log.h"
#include "ide.h"

/* MMC-3 opcodes handled here (the others are in mmc.c). */
#define GPCMD_TEST_UNIT_READY   0x00
#define GPCMD_REQUEST_SENSE     0x03
#define GPCMD_INQUIRY           0x12
#define GPCMD_START_STOP_UNIT   0x1b
#define GPCMD_PREVENT_REMOVAL   0x1e
#define GPCMD_READ_CAPACITY     0x25
#define GPCMD_READ_10           0x28
#define GPCMD_SEEK_10           0x2b
#define GPCMD_READ_TOC          0x43
#define GPCMD_GET_CONFIGURATION 0x46
#define GPCMD_GET_EVENT_STATUS  0x4a
#define GPCMD_READ_DISC_INFO    0x51
#define GPCMD_READ_TRACK_INFO   0x52
#define GPCMD_MODE_SELECT_10    0x55
#define GPCMD_MODE_SENSE_10     0x5a
#define GPCMD_READ_12           0xa8
#define GPCMD_READ_DVD_STRUCT   0xad
#define GPCMD_SET_CD_SPEED      0xbb
#define GPCMD_MECHANISM_STATUS  0xbd
#define GPCMD_READ_CD           0xbe

/* GET EVENT STATUS NOTIFICATION media event codes (MMC-3 Table 309). */
#define MEC_EJECT_REQUEST       1
#define MEC_NEW_MEDIA           2
#define MEC_MEDIA_REMOVAL       3

#define ALLOW_UA    1u /* runs while a unit attention is pending */
#define NEED_MEDIUM 2u /* NOT READY without a medium */

static const struct {
	uint8_t op, flags;
} atapi_cmds[] = {
	{ GPCMD_TEST_UNIT_READY, NEED_MEDIUM },
	{ GPCMD_REQUEST_SENSE, ALLOW_UA },
	{ GPCMD_INQUIRY, ALLOW_UA },
	{ GPCMD_READ_CAPACITY, NEED_MEDIUM },
	{ GPCMD_READ_10, NEED_MEDIUM },
	{ GPCMD_SEEK_10, NEED_MEDIUM },
	{ GPCMD_READ_TOC, NEED_MEDIUM },
	{ GPCMD_GET_CONFIGURATION, ALLOW_UA },
	{ GPCMD_GET_EVENT_STATUS, ALLOW_UA },
	{ GPCMD_READ_DISC_INFO, NEED_MEDIUM },
	{ GPCMD_READ_TRACK_INFO, NEED_MEDIUM },
	{ GPCMD_READ_12, NEED_MEDIUM },
	{ GPCMD_READ_DVD_STRUCT, NEED_MEDIUM },
	{ GPCMD_READ_CD, NEED_MEDIUM },
};

bool atapi_medium(const struct ide_dev *d)
{
	return d->blk && !d->at.tray_open && d->at.sectors;
}

/* ------------------------------------------------------ status phase */

void atapi_ok(struct ide_dev *d)
{
	d->error = 0;
	d->status = ST_DRDY;
	d->nsect = IR_IO | IR_COD;
	ide_set_irq(d);
}

void atapi_fail(struct ide_dev *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
	struct atapi *at = &d->at;

	at->key = key;
	at->asc = asc;
	at->ascq = ascq;
	d->error = (uint8_t)(key << 4 |
			     (key == SK_ILLEGAL_REQ || key == SK_ABORTED ?
			      ER_ABRT : 0));
	d->status = ST_DRDY | ST_ERR;
	d->nsect = IR_IO | IR_COD;
	ide_set_irq(d);
}

/* ------------------------------------------------------- PIO data in */

static uint32_t atapi_bcl(const struct ide_dev *d)
{
	uint32_t bcl = d->at.bcl;

	if (bcl == 0 || bcl == 0xffff)
		return 0xfffe;
	return bcl < 2 ? 2 : bcl; /* a block of at least one word */
}

static void atapi_pio_in(struct ide_dev *d);

static void atapi_pio_in_done(struct ide_dev *d)
{
	d->at.buf_pos += d->cur_block;
	d->at.left -= d->cur_block;
	if (!d->at.left)
		atapi_ok(d);
	else
		atapi_pio_in(d);
}

static void atapi_read_done(struct ide_dev *d, int64_t ret)
{
	struct atapi *at = &d->at;

	if (ret < 0) {
		atapi_fail(d, SK_MEDIUM_ERROR, 0x11, 0x00);
		return;
	}
	at->buf_len = d->chunk;
	at->buf_pos = 0;
	at->rd_off += d->chunk;
	at->rd_left -= d->chunk;
	atapi_pio_in(d);
}

/* The next DRQ block, reading the medium first if the buffer is used
 * up. */
static void atapi_pio_in(struct ide_dev *d)
{
	struct atapi *at = &d->at;
	uint32_t size, bcl = atapi_bcl(d);

	if (at->buf_pos == at->buf_len) {
		if (!at->rd_left) { /* cannot happen: left == rd_left here */
			atapi_ok(d);
			return;
		}
		d->chunk = (uint32_t)(at->rd_left < IDE_BUF_SIZE ?
				      at->rd_left : IDE_BUF_SIZE);
		d->iov[0] = (struct iovec){ d->buf, d->chunk };
		d->status = ST_DRDY | ST_BSY;
		ide_submit(d, BLK_READ, at->rd_off, 1, atapi_read_done);
		return;
	}
	size = at->buf_len - at->buf_pos;
	if (size > at->left)
		size = (uint32_t)at->left;
	if (size > bcl)
		size = bcl & ~1u;
	else if (size < at->left && size > 1)
		size &= ~1u;
	d->cur_block = size;
	d->lbam = (uint8_t)size;
	d->lbah = (uint8_t)(size >> 8);
	d->nsect = IR_IO;
	d->status = ST_DRDY;
	ide_pio_start(d, at->buf_pos, size, false, atapi_pio_in_done);
	ide_set_irq(d);
}

/* ------------------------------------------------------ PIO data out */

static void atapi_pio_out(struct ide_dev *d);

static void atapi_pio_out_done(struct ide_dev *d)
{
	d->at.buf_pos += d->cur_block;
	d->at.left -= d->cur_block;
	if (!d->at.left)
		atapi_ok(d); /* MODE SELECT: the parameters are ignored */
	else
		atapi_pio_out(d);
}

static void atapi_pio_out(struct ide_dev *d)
{
	struct atapi *at = &d->at;
	uint32_t size = (uint32_t)at->left, bcl = atapi_bcl(d);

	if (size > bcl)
		size = bcl & ~1u;
	d->cur_block = size;
	d->lbam = (uint8_t)size;
	d->lbah = (uint8_t)(size >> 8);
	d->nsect = 0; /* IO=0 CoD=0: data to the device */
	d->status = ST_DRDY;
	ide_pio_start(d, at->buf_pos, size, true, atapi_pio_out_done);
	ide_set_irq(d);
}

/* ------------------------------------------------------------- DMA */

static void atapi_dma_error(struct ide_dev *d)
{
	atapi_fail(d, SK_ABORTED, 0x4b, 0x00);
}

/* Replies and MODE SELECT data: copied between buf and the PRDs. */
static void atapi_dma_copy(struct ide_dev *d)
{
	struct atapi *at = &d->at;
	uint64_t got = 0;
	enum bm_result r;

	r = bm_copy(d->ch, d->buf + at->buf_pos, at->left, d->dma_to_memory,
		    &got);
	at->buf_pos += (uint32_t)got;
	at->left -= got;
	if (r == BM_FAIL) {
		d->dma_pending = false;
		d->dma_run = NULL;
		bm_fail(d->ch);
		atapi_dma_error(d);
	} else if (r == BM_STALL) {
		bm_stall(d->ch);
	} else {
		ide_dma_finished(d);
		atapi_ok(d);
	}
}

static void atapi_dma_read(struct ide_dev *d);

static void atapi_dma_read_done(struct ide_dev *d, int64_t ret)
{
	struct atapi *at = &d->at;

	if (ret < 0) {
		d->dma_pending = false;
		d->dma_run = NULL;
		atapi_fail(d, SK_MEDIUM_ERROR, 0x11, 0x00);
		return;
	}
	at->rd_off += d->dma_chunk;
	at->rd_left -= d->dma_chunk;
	at->left -= d->dma_chunk;
	if (!at->left) {
		ide_dma_finished(d);
		atapi_ok(d);
		return;
	}
	d->status = ST_DRDY | ST_DRQ;
	ide_dma_kick(d->ch);
}

static void atapi_dma_read(struct ide_dev *d)
{
	if (ide_dma_blk(d, BLK_READ, d->at.rd_off, d->at.rd_left,
			atapi_dma_read_done) == BM_FAIL)
		atapi_dma_error(d);
}

/* ------------------------------------------------------ data phases */

void atapi_reply(struct ide_dev *d, uint32_t len, uint32_t alloc)
{
	struct atapi *at = &d->at;

	if (len > alloc)
		len = alloc;
	at->left = len;
	at->buf_len = len;
	at->buf_pos = 0;
	at->rd_left = 0;
	if (!len) {
		atapi_ok(d);
	} else if (at->dma) {
		d->status = ST_DRDY | ST_DRQ;
		ide_dma_request(d, true, atapi_dma_copy);
	} else {
		atapi_pio_in(d);
	}
}

/* Data-out of len bytes (MODE SELECT), discarded. */
static void atapi_receive(struct ide_dev *d, uint32_t len)
{
	struct atapi *at = &d->at;

	at->left = len;
	at->buf_len = 0;
	at->buf_pos = 0;
	if (!len) {
		atapi_ok(d);
	} else if (at->dma) {
		d->status = ST_DRDY | ST_DRQ;
		ide_dma_request(d, false, atapi_dma_copy);
	} else {
		atapi_pio_out(d);
	}
}

static void atapi_read(struct ide_dev *d, uint64_t lba, uint64_t n)
{
	struct atapi *at = &d->at;

	if (lba > at->sectors || n > at->sectors - lba) {
		atapi_fail(d, SK_ILLEGAL_REQ, 0x21, 0x00);
		return;
	}
	at->left = n * CD_SECTOR;
	at->rd_off = lba * CD_SECTOR;
	at->rd_left = at->left;
	at->buf_len = 0;
	at->buf_pos = 0;
	if (!n) {
		atapi_ok(d);
	} else if (at->dma) {
		d->status = ST_DRDY | ST_DRQ;
		ide_dma_request(d, true, atapi_dma_read);
	} else {
		atapi_pio_in(d);
	}
}

/* ---------------------------------------------------------- commands */

static void atapi_request_sense(struct ide_dev *d)
{
	struct atapi *at = &d->at;
	uint8_t *b = d->buf;

	memset(b, 0, 18);
	b[0] = 0x70; /* current error, fixed format */
	b[7] = 10;   /* additional sense length */
	if (at->ua) {
		at->ua = false;
		b[2] = SK_UNIT_ATTENTION;
		b[12] = at->ua_asc;
		b[13] = at->ua_ascq;
	} else {
		b[2] = at->key;
		b[12] = at->asc;
		b[13] = at->ascq;
	}
	at->key = at->asc = at->ascq = 0;
	atapi_reply(d, 18, d->at.cdb[4]);
}

static void atapi_start_stop(struct ide_dev *d)
{
	struct atapi *at = &d->at;
	bool start = at->cdb[4] & 1, loej = at->cdb[4] & 2;

	/* A power condition (bits 7:4) means no load or eject. */
	if ((at->cdb[4] & 0xf0) || !loej) {
		atapi_ok(d);
		return;
	}
	if (!start && !at->tray_open) {
		if (at->locked) {
			atapi_fail(d, SK_ILLEGAL_REQ, 0x53, 0x02);
			return;
		}
		at->tray_open = true;
		if (d->blk)
			at->event = MEC_MEDIA_REMOVAL;
	} else if (start && at->tray_open) {
		at->tray_open = false;
		if (atapi_medium(d)) {
			at->event = MEC_NEW_MEDIA;
			at->ua = true;
			at->ua_asc = 0x28;
			at->ua_ascq = 0x00;
		}
	}
	atapi_ok(d);
}

static void atapi_read_cd(struct ide_dev *d)
{
	const uint8_t *c = d->at.cdb;
	uint8_t type = (c[1] >> 2) & 7, flags = c[9] & 0xf8;
	uint32_t n = (uint32_t)c[6] << 16 | get_be16(c + 7);

	if (type != 0 && type != 2) { /* any type, or mode 1 */
		atapi_fail(d, SK_ILLEGAL_REQ, 0x64, 0x00);
		return;
	}
	if (c[10] & 7 || (flags && flags != 0x10)) {
		atapi_fail(d, SK_ILLEGAL_REQ, 0x24, 0x00);
		return;
	}
	atapi_read(d, get_be32(c + 2), flags ? n : 0);
}

static void atapi_seek(struct ide_dev *d)
{
	if (get_be32(d->at.cdb + 2) >= d->at.sectors)
		atapi_fail(d, SK_ILLEGAL_REQ, 0x21, 0x00);
	else
		atapi_ok(d);
}

static unsigned int atapi_flags(uint8_t op)
{
	for (size_t i = 0; i < sizeof(atapi_cmds) / sizeof(atapi_cmds[0]);
	     i++)
		if (atapi_cmds[i].op == op)
			return atapi_cmds[i].flags;
	return 0;
}

static void atapi_dispatch(struct ide_dev *d)
{
	struct atapi *at = &d->at;
	const uint8_t *c = at->cdb;
	unsigned int flags = atapi_flags(c[0]);

	/* Sense data describes the last command (SPC-3). */
	if (c[0] != GPCMD_REQUEST_SENSE)
		at->key = at->asc = at->ascq = 0;
	if (at->ua && !(flags & ALLOW_UA)) {
		at->ua = false;
		atapi_fail(d, SK_UNIT_ATTENTION, at->ua_asc, at->ua_ascq);
		return;
	}
	if (flags & NEED_MEDIUM && !atapi_medium(d)) {
		atapi_fail(d, SK_NOT_READY, 0x3a, 0x00);
		return;
	}
	switch (c[0]) {
	case GPCMD_TEST_UNIT_READY:
	case GPCMD_SET_CD_SPEED:
		atapi_ok(d);
		return;
	case GPCMD_REQUEST_SENSE:
		atapi_request_sense(d);
		return;
	case GPCMD_START_STOP_UNIT:
		atapi_start_stop(d);
		return;
	case GPCMD_PREVENT_REMOVAL:
		at->locked = c[4] & 1;
		atapi_ok(d);
		return;
	case GPCMD_READ_10:
		atapi_read(d, get_be32(c + 2), get_be16(c + 7));
		return;
	case GPCMD_READ_12:
		atapi_read(d, get_be32(c + 2), get_be32(c + 6));
		return;
	case GPCMD_READ_CD:
		atapi_read_cd(d);
		return;
	case GPCMD_SEEK_10:
		atapi_seek(d);
		return;
	case GPCMD_MODE_SELECT_10:
		atapi_receive(d, get_be16(c + 7));
		return;
	}
	if (!mmc_exec(d))
		atapi_fail(d, SK_ILLEGAL_REQ, 0x20, 0x00);
}

/* The host has written the 12 CDB bytes. */
static void atapi_cdb_done(struct ide_dev *d)
{
	memcpy(d->at.cdb, d->buf, sizeof(d->at.cdb));
	d->status = ST_DRDY | ST_BSY;
	atapi_dispatch(d);
}

void atapi_packet(struct ide_dev *d)
{
	struct atapi *at = &d->at;

	at->dma = d->feature & 1;
	at->bcl = (uint32_t)(d->lbah << 8 | d->lbam);
	if (!at->dma && !at->bcl)
		log_guest("%s: PACKET with a byte count limit of 0; using "
			  "FFFEh", d->vdev);
	d->error = 0;
	d->nsect = IR_COD; /* the CDB, host to device */
	d->status = ST_DRDY;
	ide_pio_start(d, 0, sizeof(at->cdb), true, atapi_cdb_done);
}

void atapi_identify(struct ide_dev *d)
{
	uint16_t w[256];

	memset(w, 0, sizeof(w));
	/* ATAPI, CD-ROM, removable, accelerated DRQ, 12-byte packets. */
	w[0] = 0x85c0;
	ide_id_common(d, w);
	/* NOP, DEVICE RESET, PACKET and power management supported and
	 * enabled. */
	w[82] = 0x4218;
	w[83] = 0x4000;
	w[84] = 0x4000;
	w[85] = 0x4218;
	w[87] = 0x4000;
	ide_id_finish(d, w);
	d->error = 0;
	d->status = ST_DRDY;
	ide_pio_start(d, 0, IDE_SECTOR, false, NULL);
	ide_set_irq(d);
}

/* ------------------------------------------------------------- media */

static void atapi_set_medium(struct ide_dev *d, struct blk *blk)
{
	uint64_t size = blk ? blk_size(blk) : 0;

	d->blk = blk;
	d->at.sectors = size / CD_SECTOR;
	if (size % CD_SECTOR)
		log_warn("%s: %s: %llu bytes are not a whole number of "
			 "2048-byte CD sectors; the last %llu bytes cannot "
			 "be read", d->vdev, blk_path(blk),
			 (unsigned long long)size,
			 (unsigned long long)(size % CD_SECTOR));
}

void atapi_dev_reset(struct ide_dev *d)
{
	struct atapi *at = &d->at;

	at->key = at->asc = at->ascq = 0;
	at->left = at->rd_left = 0;
	at->buf_len = at->buf_pos = 0;
	at->dma = false;
}

void atapi_dev_init(struct ide_dev *d)
{
	struct atapi *at = &d->at;

	atapi_dev_reset(d);
	at->ua = false;
	at->locked = false;
	at->tray_open = false;
	at->event = 0;
	d->xfer_mode = 0;
	d->at.sectors = d->blk ? blk_size(d->blk) / CD_SECTOR : 0;
}

int atapi_change_media(void *opaque, struct blk *blk, char *why,
		       size_t why_len)
{
	struct ide_dev *d = opaque;
	struct atapi *at = &d->at;
	bool busy = d->status & (ST_BSY | ST_DRQ);

	/* Ejecting an empty drive does nothing, and succeeds (as xl's
	 * cd-eject). */
	if (!blk && !d->blk)
		return 0;
	if (at->locked) {
		snprintf(why, why_len, "the guest has locked the tray");
		at->event = MEC_EJECT_REQUEST;
		return -1;
	}
	/* Done with the old medium: the command in progress ends. */
	if (busy)
		ide_cancel(d);
	atapi_set_medium(d, blk);
	at->tray_open = false;
	if (blk) {
		at->event = MEC_NEW_MEDIA;
		at->ua = true;
		at->ua_asc = 0x28; /* not ready to ready change */
		at->ua_ascq = 0x00;
	} else {
		at->event = MEC_MEDIA_REMOVAL;
		at->ua = false;
	}
	if (busy) {
		if (blk) {
			at->ua = false;
			atapi_fail(d, SK_UNIT_ATTENTION, 0x28, 0x00);
		} else {
			atapi_fail(d, SK_NOT_READY, 0x3a, 0x00);
		}
	}
	ide_publish(d->ch);
	return 0;
}
