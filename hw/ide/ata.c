/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ATA register protocol of one IDE channel (two devices), after
 * ATA/ATAPI-6 (T13/1410D revision 3b): the command block and control
 * block registers (section 7: Status, Error, Device, Device Control with
 * nIEN, SRST and HOB, the 48-bit register pairs), and from section 9 the
 * device selection and software reset protocols, the signatures after a
 * reset, and the data transfer protocols: PIO data-in and data-out with
 * one DRQ block per interrupt, and DMA through the PIIX3 bus master
 * (bmdma.c).  The commands are in ata-cmd.c (ATA) and atapi.c (PACKET).
 *
 * Each device keeps its own task file; the host's register writes go to
 * both devices and only the selected one answers reads and executes
 * commands.  A device that is not there (device 1 without a drive)
 * reads 00h from its Status and Error registers and stores the rest, as
 * ATA-6 asks of device 0 answering for an absent device 1; a channel
 * without any device reads 00h everywhere (as QEMU: host drivers read a
 * 00h status as "no device" after their 55h/AAh register check fails).
 *
 * Data goes through the block backend asynchronously: BSY is set while a
 * request is in flight and the host can poll the status (or take the
 * interrupt).  PIO reads fetch up to 128 KiB ahead into the device's
 * buffer and hand it out one DRQ block (a sector, or the READ MULTIPLE
 * block) per interrupt; PIO writes collect up to 128 KiB of blocks
 * before writing (each block is acknowledged with DRQ for the next one
 * and an interrupt, as a write cache would), so an error is reported at
 * the block that completes the batch.  32-bit data port accesses move
 * two words (the PIIX3 splits them into two 16-bit cycles); 8-bit ones
 * move nothing (logged).  If the first word ends a DRQ block (an ATAPI
 * block of 2 mod 4 bytes), the second cycle finds DRQ clear and moves
 * nothing, even if the next block is already there: a read gives 0000h
 * in the upper half (what a read without DRQ gives here, as in QEMU),
 * a write drops its upper half.
 *
 * Deliberate deviations:
 * - INTRQ is modelled as a pending flag per device, visible on the
 *   channel's (edge-triggered ISA) IRQ line while that device is
 *   selected and nIEN is clear.  A device that asserts INTRQ while its
 *   previous interrupt is still pending (the host never read the status)
 *   pulses the line for a new edge, where a real line would stay high
 *   and the interrupt be lost.
 * - Settings the host made (multiple count, transfer mode, write cache,
 *   read look-ahead, CHS translation) survive SRST, as on drives that
 *   power on with "revert to power-on defaults" disabled (SET FEATURES
 *   66h); a platform reset restores the power-on values.
 * - A block request in flight when the host resets the device (SRST,
 *   DEVICE RESET, platform reset) is waited for and then dropped.
 */
#include <errno.h>
#include <string.h>

#include "hvmkit/log.h"
#include "ide.h"

/* Command block register offsets (section 7). */
#define REG_DATA    0
#define REG_ERROR   1 /* write: Features */
#define REG_NSECT   2
#define REG_LBAL    3
#define REG_LBAM    4
#define REG_LBAH    5
#define REG_DEVICE  6
#define REG_STATUS  7 /* write: Command */

#define CMD_DEVICE_RESET 0x08

static bool channel_empty(const struct ide_channel *ch)
{
	return !ch->dev[0].present && !ch->dev[1].present;
}

/* ------------------------------------------------------------ INTRQ */

static void ide_update_irq(struct ide_channel *ch)
{
	struct ide_dev *d = ide_selected(ch);
	int level = d->present && d->intrq && !(ch->ctl & CTL_NIEN);

	if (level != ch->irq_level) {
		ch->irq_level = level;
		/* The guest may read the registers as soon as it takes the
		 * interrupt, from their read shadows (piix-ide.c): they must
		 * say why before it is raised. */
		if (level)
			ide_publish(ch);
		dm_irq_set(ch->irq, level);
	}
}

void ide_set_irq(struct ide_dev *d)
{
	struct ide_channel *ch = d->ch;

	/* The bus master latches the device's interrupt whatever nIEN
	 * says: firmware polls it with interrupts disabled (OVMF's
	 * AtaUdmaInOut) and QEMU sets it the same way. */
	bm_set_intr(ch);
	if (d->intrq && ch->irq_level && ide_selected(ch) == d) {
		ch->irq_level = 0;
		dm_irq_set(ch->irq, 0);
	}
	d->intrq = true;
	ide_update_irq(ch);
}

/* ---------------------------------------------------- block requests */

static void ide_blk_done(void *opaque, int64_t ret)
{
	struct ide_dev *d = opaque;
	ide_io_fn *fn = d->io_done;

	d->in_flight = false;
	if (d->req_gen != d->gen || !fn)
		return; /* the command was cancelled */
	d->io_done = NULL;
	fn(d, ret);
	ide_publish(d->ch);
}

void ide_submit(struct ide_dev *d, enum blk_op op, uint64_t offset,
		unsigned int iovcnt, ide_io_fn *done)
{
	d->io_done = done;
	d->req_gen = d->gen;
	d->in_flight = true;
	d->status |= ST_BSY;
	if (d->blk && blk_submit(d->blk, op, offset, d->iov, iovcnt,
				 ide_blk_done, d) == 0)
		return;
	d->in_flight = false;
	d->io_done = NULL;
	done(d, -EIO);
}

void ide_cancel(struct ide_dev *d)
{
	d->gen++;
	if (d->in_flight && d->blk)
		blk_poll(d->blk, true);
	d->in_flight = false;
	d->io_done = NULL;
	d->data_done = NULL;
	d->data_pos = d->data_end = 0;
	d->dma_pending = false;
	d->dma_run = NULL;
	d->status &= (uint8_t)~(ST_BSY | ST_DRQ);
}

/* ------------------------------------------------------------- PIO */

void ide_pio_start(struct ide_dev *d, uint32_t pos, uint32_t len, bool out,
		   ide_fn *done)
{
	d->data_pos = pos;
	d->data_end = pos + len;
	d->data_out = out;
	d->data_done = done;
	d->status = (uint8_t)((d->status & ~ST_BSY) | ST_DRQ);
}

/* The host has moved the last word of the block. */
static void ide_pio_end(struct ide_dev *d)
{
	ide_fn *fn = d->data_done;

	d->data_done = NULL;
	d->status &= (uint8_t)~ST_DRQ;
	if (fn)
		fn(d);
}

static bool ide_pio_ready(struct ide_dev *d, bool out)
{
	return d->present && !d->ch->srst && (d->status & ST_DRQ) &&
	       !(d->status & ST_BSY) && d->data_out == out &&
	       d->data_pos < d->data_end;
}

/* One 16-bit cycle; *ended: it moved the last word of a DRQ block. */
static uint16_t ide_data_in16(struct ide_dev *d, bool *ended)
{
	uint32_t pos = d->data_pos;
	uint16_t v;

	*ended = false;
	if (!ide_pio_ready(d, false))
		return 0;
	/* An odd-sized ATAPI block ends with a pad byte of 0. */
	v = (uint16_t)(d->buf[pos] |
		       (pos + 1 < d->data_end ? d->buf[pos + 1] << 8 : 0));
	d->data_pos = pos + 2;
	if (d->data_pos >= d->data_end) {
		*ended = true;
		ide_pio_end(d);
	}
	return v;
}

static void ide_data_out16(struct ide_dev *d, uint16_t v, bool *ended)
{
	uint32_t pos = d->data_pos;

	*ended = false;
	if (!ide_pio_ready(d, true))
		return;
	d->buf[pos] = (uint8_t)v;
	if (pos + 1 < d->data_end)
		d->buf[pos + 1] = (uint8_t)(v >> 8);
	d->data_pos = pos + 2;
	if (d->data_pos >= d->data_end) {
		*ended = true;
		ide_pio_end(d);
	}
}

uint32_t ide_data_read(struct ide_channel *ch, unsigned int size,
		       bool *ended_block)
{
	bool ended = false;
	uint32_t v;

	*ended_block = false;
	if (size == 1) {
		log_guest("ide%u: 8-bit read of the data port (no 8-bit "
			  "transfers): nothing moved", ch->index);
		return 0xff;
	}
	v = ide_data_in16(ide_selected(ch), &ended);
	/* The second cycle of a 32-bit read after the end of a block sees
	 * DRQ clear (see the top of the file). */
	if (size == 4 && !ended)
		v |= (uint32_t)ide_data_in16(ide_selected(ch), &ended) << 16;
	*ended_block = ended;
	return v;
}

bool ide_data_write(struct ide_channel *ch, uint32_t v, unsigned int size)
{
	bool ended;

	if (size == 1) {
		log_guest("ide%u: 8-bit write of the data port (no 8-bit "
			  "transfers): ignored", ch->index);
		return false;
	}
	ide_data_out16(ide_selected(ch), (uint16_t)v, &ended);
	if (size == 4 && !ended)
		ide_data_out16(ide_selected(ch), (uint16_t)(v >> 16), &ended);
	return ended;
}

/* ------------------------------------------------------------- DMA */

void ide_dma_request(struct ide_dev *d, bool to_memory, ide_fn *run)
{
	d->dma_pending = true;
	d->dma_to_memory = to_memory;
	d->dma_run = run;
	ide_dma_kick(d->ch);
}

void ide_dma_kick(struct ide_channel *ch)
{
	struct ide_dev *d = ide_selected(ch);

	if (!bm_running(ch))
		return;
	if (!d->dma_pending)
		d = &ch->dev[ch->sel ^ 1];
	if (!d->dma_pending || d->in_flight || !d->dma_run)
		return;
	if (!(ch->bm.cmd & BM_CMD_TO_MEMORY) != !d->dma_to_memory)
		log_guest("ide%u: bus master direction (%s memory) does not "
			  "match the command's; the command's is used",
			  ch->index, d->dma_to_memory ? "from" : "to");
	d->dma_run(d);
}

enum bm_result ide_dma_blk(struct ide_dev *d, enum blk_op op,
			   uint64_t offset, uint64_t max, ide_io_fn *done)
{
	struct ide_channel *ch = d->ch;
	unsigned int cnt = 0;
	uint64_t got = 0;
	enum bm_result r;

	r = bm_map(ch, max, IDE_SECTOR, d->iov, BLK_MAX_IOV, &cnt, &got);
	if (r == BM_STALL) {
		bm_stall(ch);
		return r;
	}
	if (r == BM_FAIL) {
		d->dma_pending = false;
		d->dma_run = NULL;
		bm_fail(ch);
		return r;
	}
	d->dma_chunk = (uint32_t)got;
	ide_submit(d, op, offset, cnt, done);
	return BM_OK;
}

void ide_dma_finished(struct ide_dev *d)
{
	d->dma_pending = false;
	d->dma_run = NULL;
	bm_device_done(d->ch);
}

/* --------------------------------------------------------- registers */

void ide_set_signature(struct ide_dev *d)
{
	d->nsect = 1;
	d->lbal = 1;
	if (d->atapi) {
		d->lbam = 0x14;
		d->lbah = 0xeb;
	} else if (d->present) {
		d->lbam = 0;
		d->lbah = 0;
	} else {
		d->lbam = 0xff;
		d->lbah = 0xff;
	}
	d->hob_nsect = d->hob_lbal = d->hob_lbam = d->hob_lbah = 0;
	d->select &= (uint8_t)~DEV_HEAD;
}

uint8_t ide_cmd_peek(struct ide_channel *ch, unsigned int reg)
{
	struct ide_dev *d = ide_selected(ch);
	bool hob = ch->ctl & CTL_HOB;

	if (channel_empty(ch))
		return 0;
	switch (reg) {
	case REG_ERROR:
		return d->present ? (hob ? d->hob_feature : d->error) : 0;
	case REG_NSECT:
		return hob ? d->hob_nsect : d->nsect;
	case REG_LBAL:
		return hob ? d->hob_lbal : d->lbal;
	case REG_LBAM:
		return hob ? d->hob_lbam : d->lbam;
	case REG_LBAH:
		return hob ? d->hob_lbah : d->lbah;
	case REG_DEVICE:
		return d->select;
	case REG_STATUS:
		return ide_alt_status(ch);
	}
	return 0;
}

bool ide_status_read_acks(struct ide_channel *ch)
{
	struct ide_dev *d = ide_selected(ch);

	return d->present && d->intrq;
}

uint64_t ide_cmd_read(struct ide_channel *ch, unsigned int reg)
{
	uint8_t v = ide_cmd_peek(ch, reg);

	/* Reading the Status register clears the pending interrupt, the
	 * Alternate Status does not. */
	if (reg == REG_STATUS && ide_status_read_acks(ch)) {
		ide_selected(ch)->intrq = false;
		ide_update_irq(ch);
	}
	return v;
}

uint8_t ide_alt_status(struct ide_channel *ch)
{
	struct ide_dev *d = ide_selected(ch);

	if (!d->present)
		return 0;
	return ch->srst ? ST_BSY : d->status;
}

static void ide_exec(struct ide_channel *ch, uint8_t cmd)
{
	struct ide_dev *d = ide_selected(ch);

	/* Commands to a device that is not there go nowhere; during SRST
	 * nothing executes. */
	if (!d->present || ch->srst)
		return;
	/* While BSY or DRQ is set only DEVICE RESET is accepted, and only
	 * by a PACKET device. */
	if (d->status & (ST_BSY | ST_DRQ) &&
	    !(cmd == CMD_DEVICE_RESET && d->atapi)) {
		log_guest("ide%u: command %02xh to %s while %s: ignored",
			  ch->index, cmd, d->vdev,
			  d->status & ST_BSY ? "BSY" : "DRQ");
		return;
	}
	/* Writing the Command register clears a pending interrupt. */
	d->intrq = false;
	ide_update_irq(ch);
	ata_exec(d, cmd);
}

void ide_cmd_write(struct ide_channel *ch, unsigned int reg, uint8_t v)
{
	/* A write of any command block register clears HOB. */
	if (reg != REG_STATUS)
		ch->ctl &= (uint8_t)~CTL_HOB;
	for (unsigned int i = 0; i < 2; i++) {
		struct ide_dev *d = &ch->dev[i];

		switch (reg) {
		case REG_ERROR:
			d->hob_feature = d->feature;
			d->feature = v;
			break;
		case REG_NSECT:
			d->hob_nsect = d->nsect;
			d->nsect = v;
			break;
		case REG_LBAL:
			d->hob_lbal = d->lbal;
			d->lbal = v;
			break;
		case REG_LBAM:
			d->hob_lbam = d->lbam;
			d->lbam = v;
			break;
		case REG_LBAH:
			d->hob_lbah = d->lbah;
			d->lbah = v;
			break;
		case REG_DEVICE:
			d->select = v;
			break;
		}
	}
	if (reg == REG_DEVICE) {
		ch->sel = v & DEV_DEV ? 1 : 0;
		ide_update_irq(ch);
	} else if (reg == REG_STATUS) {
		ide_exec(ch, v);
	}
}

/* ----------------------------------------------------------- resets */

/* The end of a reset (SRST released, power-on): signature, diagnostic
 * code, ready (ATA) or not (PACKET devices until their first command). */
static void ide_reset_done(struct ide_dev *d)
{
	ide_set_signature(d);
	d->error = 0x01; /* diagnostics passed, device 1 passed or absent */
	d->intrq = false;
	if (!d->present)
		d->status = 0;
	else if (d->atapi)
		d->status = 0; /* DRDY clear until the first command */
	else
		d->status = ST_DRDY | ST_DSC;
	if (d->atapi)
		atapi_dev_reset(d);
}

void ide_ctl_write(struct ide_channel *ch, uint8_t v)
{
	bool srst = v & CTL_SRST;

	ch->ctl = v;
	if (srst && !ch->srst) {
		ch->srst = true;
		for (unsigned int i = 0; i < 2; i++) {
			ide_cancel(&ch->dev[i]);
			ch->dev[i].intrq = false;
		}
	} else if (!srst && ch->srst) {
		ch->srst = false;
		for (unsigned int i = 0; i < 2; i++)
			ide_reset_done(&ch->dev[i]);
	}
	ide_update_irq(ch);
}

void ide_channel_reset(struct ide_channel *ch)
{
	for (unsigned int i = 0; i < 2; i++) {
		struct ide_dev *d = &ch->dev[i];

		ide_cancel(d);
		d->feature = d->hob_feature = 0;
		d->select = 0xa0; /* obsolete bits 7 and 5 set, device 0 */
		d->cmd = 0;
		if (d->present && d->atapi)
			atapi_dev_init(d);
		else if (d->present)
			ata_dev_init(d);
		ide_reset_done(d);
	}
	ch->sel = 0;
	ch->ctl = 0;
	ch->srst = false;
	ch->irq_level = 0;
	dm_irq_set(ch->irq, 0);
	bm_reset(ch);
}
