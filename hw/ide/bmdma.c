/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PIIX3's bus-master IDE function, after the 82371FB/82371SB
 * datasheet (Intel 290550): its bus master IDE I/O registers (BMICx
 * command, BMISx status and BMIDTPx descriptor table pointer, 8 bytes
 * per channel in BAR4) and its description of bus master IDE operation,
 * and Intel's "Programming Interface for Bus Master IDE Controller"
 * revision 1.0 (SFF-8038i):
 *
 * - Command: bit 0 starts (0 -> 1: ACTIVE set, the walk begins at the
 *   table's first entry) or stops the transfer; bit 3 is the direction
 *   (1: the controller writes memory), ignored while a transfer runs.
 * - Status: ACTIVE (read-only), ERROR and INTERRUPT (write 1 to clear),
 *   the drive 0/1 DMA capable bits 5 and 6 (read/write, for software).
 * - The descriptor table pointer: bits 31:2.
 * - A PRD is two dwords: the buffer address (bit 0 ignored: word
 *   aligned), the byte count in bits 15:0 (bit 0 ignored, 0 means 64 KiB)
 *   and EOT in bit 31.
 * - When a transfer ends: the device interrupt sets INTERRUPT; ACTIVE
 *   clears if the PRDs ended exactly with the device's data, and stays
 *   set if they describe more.  If the PRDs end first, ACTIVE clears
 *   without INTERRUPT and the device keeps waiting for data (the
 *   specification's table 1); a new start continues its transfer with
 *   the new table.
 *
 * Guest tables are never trusted: each PRD is copied out of guest RAM
 * once (dm_gmem_read) into a per-channel cache and checked there; the
 * buffers are mapped with dm_gmem_map (page by page where a buffer does
 * not lie inside one RAM block) into the iovec of one block request.  A
 * PRD or a table outside RAM, or a table without EOT in its first 512
 * entries (more than any OS uses: Linux builds at most 256) or before a
 * 64 KiB boundary (the datasheet forbids crossing one), ends the
 * transfer with ERROR and INTERRUPT and the command with an error; each
 * of these is logged rate-limited.  So a looping or endless table costs
 * at most 512 entries per transfer.
 *
 * Deliberate deviations:
 * - INTERRUPT is set whenever a device of the channel asserts INTRQ, also
 *   while nIEN keeps the line quiet (OVMF polls it so; QEMU does the
 *   same), not only on a rising edge of the IRQ line.
 * - The PCI command register's bus master enable bit is not required:
 *   DMA runs without it (logged once), as with QEMU's PIIX IDE before
 *   bus-master address spaces existed; firmware and OSes set it anyway.
 * - A DMA transfer whose chunk is cut by the block request size (256
 *   buffers) continues with the next chunk; between chunks the device
 *   shows BSY clear and DRQ set.
 */
#include <string.h>

#include "hvmkit/log.h"
#include "ide.h"

#define BM_REG_CMD     0
#define BM_REG_STATUS  2
#define BM_REG_PRD     4

#define PCI_COMMAND        0x04
#define PCI_COMMAND_MASTER 0x04

#define PAGE_SIZE_4K   4096u

bool bm_running(const struct ide_channel *ch)
{
	return (ch->bm.cmd & BM_CMD_START) && (ch->bm.status & BM_ST_ACTIVE);
}

static void bm_walk_reset(struct bmdma *bm)
{
	bm->table = bm->prd_reg;
	bm->nr_cached = 0;
	bm->eot_seen = false;
	bm->pos = (struct prd_pos){ 0, 0 };
}

void bm_reset(struct ide_channel *ch)
{
	struct bmdma *bm = &ch->bm;

	bm->cmd = 0;
	bm->status = 0;
	bm->prd_reg = 0;
	bm->warned_master = false;
	bm_walk_reset(bm);
}

/* -------------------------------------------------------- registers */

uint8_t bm_readb(struct ide_channel *ch, unsigned int off)
{
	struct bmdma *bm = &ch->bm;

	switch (off) {
	case BM_REG_CMD:
		return bm->cmd;
	case BM_REG_STATUS:
		return bm->status;
	case BM_REG_PRD:
	case BM_REG_PRD + 1:
	case BM_REG_PRD + 2:
	case BM_REG_PRD + 3:
		return (uint8_t)(bm->prd_reg >> (8 * (off - BM_REG_PRD)));
	}
	return 0; /* reserved */
}

/* Stops the transfer: a block request in flight completes first (its
 * data has moved), then the channel's DMA waits for a new start. */
static void bm_stop(struct ide_channel *ch)
{
	ch->bm.status &= (uint8_t)~BM_ST_ACTIVE;
	for (unsigned int i = 0; i < 2; i++) {
		struct ide_dev *d = &ch->dev[i];

		if (d->dma_pending && d->in_flight && d->blk)
			blk_poll(d->blk, true);
	}
}

static void bm_start(struct ide_channel *ch)
{
	struct bmdma *bm = &ch->bm;
	const uint8_t *cfg = ch->ide->cfg;

	bm->status |= BM_ST_ACTIVE;
	bm_walk_reset(bm);
	if (cfg && !(cfg[PCI_COMMAND] & PCI_COMMAND_MASTER) &&
	    !bm->warned_master) {
		bm->warned_master = true;
		log_guest("ide%u: bus master started while the PCI bus "
			  "master enable bit is clear; doing the DMA anyway",
			  ch->index);
	}
	ide_dma_kick(ch);
}

void bm_writeb(struct ide_channel *ch, unsigned int off, uint8_t v)
{
	struct bmdma *bm = &ch->bm;
	unsigned int shift;

	switch (off) {
	case BM_REG_CMD: {
		uint8_t old = bm->cmd;

		bm->cmd = v & (BM_CMD_START | BM_CMD_TO_MEMORY);
		if (old & BM_CMD_START && bm->status & BM_ST_ACTIVE &&
		    v & BM_CMD_START)
			bm->cmd = (uint8_t)((bm->cmd & ~BM_CMD_TO_MEMORY) |
					    (old & BM_CMD_TO_MEMORY));
		if (!(old & BM_CMD_START) && (v & BM_CMD_START))
			bm_start(ch);
		else if ((old & BM_CMD_START) && !(v & BM_CMD_START))
			bm_stop(ch);
		return;
	}
	case BM_REG_STATUS:
		bm->status = (uint8_t)((bm->status & BM_ST_ACTIVE) |
				       (bm->status & ~v &
					(BM_ST_ERROR | BM_ST_INTR)) |
				       (v & BM_ST_DMA_CAP));
		return;
	case BM_REG_PRD:
	case BM_REG_PRD + 1:
	case BM_REG_PRD + 2:
	case BM_REG_PRD + 3:
		shift = 8 * (off - BM_REG_PRD);
		bm->prd_reg = (bm->prd_reg & ~(0xffu << shift)) |
			      (uint32_t)v << shift;
		bm->prd_reg &= ~3u; /* dword aligned */
		return;
	}
}

/* ------------------------------------------------------------ status */

void bm_set_intr(struct ide_channel *ch)
{
	ch->bm.status |= BM_ST_INTR;
}

void bm_device_done(struct ide_channel *ch)
{
	struct bmdma *bm = &ch->bm;

	if (bm->eot_seen && bm->pos.idx == bm->nr_cached)
		bm->status &= (uint8_t)~BM_ST_ACTIVE;
}

void bm_stall(struct ide_channel *ch)
{
	log_guest("ide%u: the PRD table at %#x ends before the transfer; "
		  "the bus master stops, the device waits", ch->index,
		  ch->bm.table);
	ch->bm.status &= (uint8_t)~BM_ST_ACTIVE;
}

void bm_fail(struct ide_channel *ch)
{
	ch->bm.status = (uint8_t)((ch->bm.status & ~BM_ST_ACTIVE) |
				  BM_ST_ERROR | BM_ST_INTR);
}

/* --------------------------------------------------------- PRD walk */

/* Entry idx of the table, read from the guest the first time; NULL
 * after the EOT entry (*fail clear) or for a bad table (*fail set). */
static const struct prd_entry *prd_get(struct ide_channel *ch,
				       unsigned int idx, bool *fail)
{
	struct bmdma *bm = &ch->bm;
	struct prd_entry *e;
	uint64_t gpa = (uint64_t)bm->table + 8ull * idx;
	uint8_t raw[8];
	uint32_t count;

	if (idx < bm->nr_cached)
		return &bm->cache[idx];
	if (bm->eot_seen)
		return NULL;
	if (idx >= BM_PRD_MAX ||
	    (bm->table & 0xffffu) + 8ull * idx + 8 > 0x10000) {
		log_guest("ide%u: PRD table at %#x has no EOT in its first "
			  "%u entries or before its 64 KiB boundary",
			  ch->index, bm->table, BM_PRD_MAX);
		*fail = true;
		return NULL;
	}
	if (dm_gmem_read(ch->ide->dm, gpa, raw, sizeof(raw)) < 0) {
		log_guest("ide%u: PRD at %#llx is outside guest RAM",
			  ch->index, (unsigned long long)gpa);
		*fail = true;
		return NULL;
	}
	e = &bm->cache[bm->nr_cached++];
	e->addr = ((uint32_t)raw[0] | (uint32_t)raw[1] << 8 |
		   (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 24) & ~1u;
	count = ((uint32_t)raw[4] | (uint32_t)raw[5] << 8) & 0xfffeu;
	e->len = count ? count : 0x10000;
	e->eot = raw[7] & 0x80;
	bm->eot_seen = e->eot;
	return e;
}

/* The position len bytes after pos (entries already cached). */
static struct prd_pos prd_advance(const struct bmdma *bm,
				  struct prd_pos pos, uint64_t len)
{
	while (len) {
		uint64_t r = bm->cache[pos.idx].len - pos.off;

		if (len < r) {
			pos.off += (uint32_t)len;
			break;
		}
		len -= r;
		pos.idx++;
		pos.off = 0;
	}
	return pos;
}

/* Maps [gpa, gpa + len) into iov, page by page where it is not inside
 * one RAM block.  Returns the bytes mapped (< len if iov is full), or -1
 * if some of it is not RAM. */
static int64_t map_range(struct ide_channel *ch, uint64_t gpa, uint64_t len,
			 struct iovec *iov, unsigned int max_iov,
			 unsigned int *n)
{
	uint64_t done = 0;

	while (done < len) {
		uint64_t piece = len - done;
		uint8_t *h = dm_gmem_map(ch->ide->dm, gpa + done, piece);

		if (!h) {
			uint64_t in_page = PAGE_SIZE_4K -
					   ((gpa + done) & (PAGE_SIZE_4K - 1));

			piece = piece < in_page ? piece : in_page;
			h = dm_gmem_map(ch->ide->dm, gpa + done, piece);
			if (!h) {
				log_guest("ide%u: PRD buffer at %#llx is "
					  "outside guest RAM", ch->index,
					  (unsigned long long)(gpa + done));
				return -1;
			}
		}
		if (*n && (uint8_t *)iov[*n - 1].iov_base +
			  iov[*n - 1].iov_len == h) {
			iov[*n - 1].iov_len += piece;
		} else {
			if (*n == max_iov)
				break;
			iov[(*n)++] = (struct iovec){ h, piece };
		}
		done += piece;
	}
	return (int64_t)done;
}

enum bm_result bm_map(struct ide_channel *ch, uint64_t want, uint64_t unit,
		      struct iovec *iov, unsigned int max_iov,
		      unsigned int *iovcnt, uint64_t *got)
{
	struct bmdma *bm = &ch->bm;
	struct prd_pos pos = bm->pos;
	uint64_t bytes = 0, keep, drop;
	unsigned int n = 0;
	bool fail = false, full = false;

	while (bytes < want && !full) {
		const struct prd_entry *e = prd_get(ch, pos.idx, &fail);
		uint64_t take, mapped;
		int64_t r;

		if (!e)
			break;
		take = e->len - pos.off;
		if (take > want - bytes)
			take = want - bytes;
		r = map_range(ch, (uint64_t)e->addr + pos.off, take, iov,
			      max_iov, &n);
		if (r < 0) {
			fail = true;
			break;
		}
		mapped = (uint64_t)r;
		full = mapped < take;
		bytes += mapped;
		pos = prd_advance(bm, pos, mapped);
	}
	if (fail)
		return BM_FAIL;
	keep = bytes - bytes % unit;
	if (!keep) {
		if (full) { /* cannot happen: every buffer is >= 2 bytes */
			log_guest("ide%u: PRD buffers too small to move one "
				  "sector", ch->index);
			return BM_FAIL;
		}
		return BM_STALL;
	}
	/* Give back what does not fill a whole unit. */
	for (drop = bytes - keep; drop;) {
		struct iovec *last = &iov[n - 1];

		if (last->iov_len <= drop) {
			drop -= last->iov_len;
			n--;
		} else {
			last->iov_len -= drop;
			drop = 0;
		}
	}
	bm->pos = prd_advance(bm, bm->pos, keep);
	*iovcnt = n;
	*got = keep;
	return BM_OK;
}

enum bm_result bm_copy(struct ide_channel *ch, uint8_t *buf, uint64_t len,
		       bool to_memory, uint64_t *got)
{
	struct bmdma *bm = &ch->bm;
	uint64_t done = 0;
	bool fail = false;

	while (done < len) {
		const struct prd_entry *e = prd_get(ch, bm->pos.idx, &fail);
		uint64_t take, gpa;
		int r;

		if (!e)
			break;
		take = e->len - bm->pos.off;
		if (take > len - done)
			take = len - done;
		gpa = (uint64_t)e->addr + bm->pos.off;
		if (to_memory)
			r = dm_gmem_write(ch->ide->dm, gpa, buf + done, take);
		else
			r = dm_gmem_read(ch->ide->dm, gpa, buf + done, take);
		if (r < 0) {
			log_guest("ide%u: PRD buffer at %#llx is outside "
				  "guest RAM", ch->index,
				  (unsigned long long)gpa);
			fail = true;
			break;
		}
		done += take;
		bm->pos = prd_advance(bm, bm->pos, take);
	}
	*got = done;
	if (fail)
		return BM_FAIL;
	return done < len ? BM_STALL : BM_OK;
}
