/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the PIIX3 IDE model shared by the files of hw/ide/:
 * piix-ide.c (the PCI function, its ports and drives), ata.c (the ATA
 * register protocol and data transfers, ATA/ATAPI-6 sections 7 and 9),
 * ata-cmd.c (the ATA command set, section 8), atapi.c (the PACKET
 * protocol, sense data and media, SFF-8020i/MMC), mmc.c (MMC commands
 * that answer with data) and bmdma.c (the bus-master DMA registers and
 * PRD tables, PIIX3 datasheet).  Nothing here is part of the
 * device API; other parts of the device model use devmodel/pc.h.
 */
#ifndef HVMKIT_HW_IDE_H
#define HVMKIT_HW_IDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "block.h"
#include "device.h"

#define IDE_SECTOR        512u
#define CD_SECTOR         2048u
/* The per-device data buffer: PIO data, ATAPI replies, DMA bounces. */
#define IDE_BUF_SIZE      (128u * 1024)
#define IDE_BUF_SECTORS   (IDE_BUF_SIZE / IDE_SECTOR)
/* READ/WRITE MULTIPLE: the largest block (IDENTIFY word 47). */
#define IDE_MAX_MULT      16u
/* A CD holds at most 80 minutes of 75 sectors a second; a larger
 * medium is reported as a DVD. */
#define CD_MAX_SECTORS    (80u * 60 * 75)

/* Status register (ATA/ATAPI-6 section 7). */
#define ST_ERR            0x01 /* ATAPI: CHK */
#define ST_DRQ            0x08
#define ST_DSC            0x10
#define ST_DF             0x20
#define ST_DRDY           0x40
#define ST_BSY            0x80

/* Error register. */
#define ER_ABRT           0x04
#define ER_IDNF           0x10
#define ER_UNC            0x40

/* Device control register. */
#define CTL_NIEN          0x02
#define CTL_SRST          0x04
#define CTL_HOB           0x80

/* Device register. */
#define DEV_DEV           0x10
#define DEV_LBA           0x40
#define DEV_HEAD          0x0f

/* ATAPI interrupt reason in the sector count register. */
#define IR_COD            0x01
#define IR_IO             0x02

/* Bus-master registers (PIIX3 datasheet, BMICx and BMISx). */
#define BM_CMD_START      0x01
#define BM_CMD_TO_MEMORY  0x08 /* R/W: the controller writes memory */
#define BM_ST_ACTIVE      0x01
#define BM_ST_ERROR       0x02
#define BM_ST_INTR        0x04
#define BM_ST_DMA_CAP     0x60 /* drive 0/1 DMA capable (bits 5, 6) */
/* PRDs a transfer may use: more than any OS builds (Linux at most 256),
 * so a table without EOT ends with an error (a table also may not cross
 * a 64 KiB boundary). */
#define BM_PRD_MAX        512u

/* SCSI sense keys (SPC-3). */
#define SK_NO_SENSE       0x0
#define SK_NOT_READY      0x2
#define SK_MEDIUM_ERROR   0x3
#define SK_ILLEGAL_REQ    0x5
#define SK_UNIT_ATTENTION 0x6
#define SK_ABORTED        0xb

struct ide_dev;
struct ide_channel;
struct piix_ide;

/* Continues a command when a PIO block has moved or DMA may run. */
typedef void ide_fn(struct ide_dev *d);
/* Continues a command when a block request has completed. */
typedef void ide_io_fn(struct ide_dev *d, int64_t ret);

/* One PRD as read from the guest (bmdma.c). */
struct prd_entry {
	uint32_t addr;
	uint32_t len;     /* 2..65536 */
	bool eot;
};

/* Where a DMA transfer is in the PRD table. */
struct prd_pos {
	unsigned int idx;
	uint32_t off;
};

enum bm_result {
	BM_OK,        /* bytes moved (> 0) */
	BM_STALL,     /* the PRD table ended before the transfer */
	BM_FAIL,      /* a PRD outside RAM or a table without end */
};

struct bmdma {
	uint8_t cmd;
	uint8_t status;
	uint32_t prd_reg;
	/* The walk since the start bit was last set: each entry is read
	 * from the guest once, into cache. */
	uint32_t table;
	struct prd_entry *cache;   /* BM_PRD_MAX entries */
	unsigned int nr_cached;
	bool eot_seen;
	struct prd_pos pos;
	bool warned_master;        /* bus master disabled: said once */
};

/* ATAPI state of a CD drive (atapi.c). */
struct atapi {
	uint8_t cdb[12];
	/* Sense data of the last command (REQUEST SENSE). */
	uint8_t key, asc, ascq;
	/* A unit attention waiting for the next command. */
	bool ua;
	uint8_t ua_asc, ua_ascq;
	bool locked;               /* PREVENT ALLOW MEDIUM REMOVAL */
	bool tray_open;            /* the guest ejected (START STOP UNIT) */
	uint8_t event;             /* pending GESN media event, 0: none */
	uint64_t sectors;          /* 2048-byte sectors of the medium */
	/* The command's data phase. */
	bool dma;                  /* by DMA (features bit 0) */
	uint32_t bcl;              /* byte count limit (PIO) */
	uint64_t left;             /* bytes still to move */
	uint64_t rd_off;           /* medium offset of the next read */
	uint64_t rd_left;          /* medium bytes not yet read */
	uint32_t buf_len, buf_pos; /* bytes in buf, and handed out */
};

struct ide_dev {
	struct ide_channel *ch;
	unsigned int unit;         /* 0 master, 1 slave */
	bool present;
	bool atapi;
	char vdev[16];
	struct dm_drive *drive;
	struct blk *blk;           /* the medium, or NULL */
	uint64_t sectors;          /* ATA: 512-byte sectors */

	/* Task file, as the host last wrote it or the device set it. */
	uint8_t feature, nsect, lbal, lbam, lbah;
	uint8_t hob_feature, hob_nsect, hob_lbal, hob_lbam, hob_lbah;
	uint8_t select;            /* device register */
	uint8_t status, error;
	bool intrq;                /* interrupt pending (cleared by status) */

	/* Settings (SET FEATURES, SET MULTIPLE, INITIALIZE DEVICE
	 * PARAMETERS). */
	unsigned int mult;         /* 0: multiple mode disabled */
	uint8_t xfer_mode;         /* SET FEATURES 03h value */
	bool wcache, wcache_default;
	bool lookahead;
	unsigned int cyls, heads, spt;          /* default geometry */
	unsigned int cur_cyls, cur_heads, cur_spt; /* current geometry */

	/* The command in progress. */
	uint8_t cmd;
	uint8_t *buf;              /* IDE_BUF_SIZE, page-aligned */
	/* PIO data phase: bytes [data_pos, data_end) of buf. */
	uint32_t data_pos, data_end;
	bool data_out;
	ide_fn *data_done;
	/* ATA reads and writes. */
	bool lba48, chs;
	uint64_t lba;              /* next sector for the backend */
	uint32_t left;             /* sectors not yet moved to/from host */
	unsigned int block;        /* sectors per DRQ block */
	unsigned int buf_sects, buf_idx;
	/* Sectors (ATA) or bytes (ATAPI) of the DRQ block being moved, and
	 * of the block request in flight. */
	uint32_t cur_block;
	uint32_t chunk;
	/* DMA: waiting for (or doing) a bus-master transfer. */
	bool dma_pending;
	bool dma_to_memory;
	ide_fn *dma_run;
	uint32_t dma_chunk;        /* bytes of the DMA request in flight */
	/* The block request in flight (at most one per device). */
	bool in_flight;
	uint64_t gen, req_gen;     /* a request of an older gen is dropped */
	ide_io_fn *io_done;
	struct iovec iov[BLK_MAX_IOV];
	unsigned int iovcnt;

	struct atapi at;
};

struct ide_channel {
	struct piix_ide *ide;
	unsigned int index;
	struct ide_dev dev[2];
	unsigned int sel;          /* selected device (DEV bit) */
	uint8_t ctl;               /* device control register */
	bool srst;                 /* SRST asserted */
	struct dm_irq *irq;
	int irq_level;
	struct bmdma bm;
	struct dm_range *cmd_range, *ctl_range;
};

struct piix_ide {
	struct dm *dm;
	struct pci_function *fn;
	uint8_t *cfg;
	struct ide_channel ch[2];
};

/* ------------------------------------------------------------- ata.c */

static inline struct dm *ide_dm(const struct ide_dev *d)
{
	return d->ch->ide->dm;
}

static inline struct ide_dev *ide_selected(struct ide_channel *ch)
{
	return &ch->dev[ch->sel];
}

uint64_t ide_cmd_read(struct ide_channel *ch, unsigned int reg);
/* What a read of command block register reg (1-7) returns, without its
 * side effect; and whether reading the Status register has one now (it
 * acknowledges a pending interrupt). */
uint8_t ide_cmd_peek(struct ide_channel *ch, unsigned int reg);
bool ide_status_read_acks(struct ide_channel *ch);
void ide_cmd_write(struct ide_channel *ch, unsigned int reg, uint8_t v);
/* Data port cycles; *ended / the result: a DRQ block ended, the only
 * time a data cycle changes anything but the buffer position. */
uint32_t ide_data_read(struct ide_channel *ch, unsigned int size,
		       bool *ended);
bool ide_data_write(struct ide_channel *ch, uint32_t v, unsigned int size);
uint8_t ide_alt_status(struct ide_channel *ch);
void ide_ctl_write(struct ide_channel *ch, uint8_t v);

/* Power-on state of a channel and its devices. */
void ide_channel_reset(struct ide_channel *ch);
/* Brings the read shadows of the channel's registers without read side
 * effects up to date (piix-ide.c); at the end of everything that may
 * change one. */
void ide_publish(struct ide_channel *ch);
/* Puts the signature into the task file (ATA 01h/01h/00h/00h, PACKET
 * 01h/01h/14h/EBh, absent FFh/FFh in LBA mid/high). */
void ide_set_signature(struct ide_dev *d);
/* Ends the command in progress and waits out its block request (its
 * completion then does nothing). */
void ide_cancel(struct ide_dev *d);

/* The device asserts INTRQ (the bus master's interrupt bit too). */
void ide_set_irq(struct ide_dev *d);
/* Starts a PIO data block of buf [pos, pos + len); done runs when the
 * host has moved it. */
void ide_pio_start(struct ide_dev *d, uint32_t pos, uint32_t len, bool out,
		   ide_fn *done);
/* Submits the one block request of d; done runs on completion (at once
 * with -EIO if it cannot be queued). */
void ide_submit(struct ide_dev *d, enum blk_op op, uint64_t offset,
		unsigned int iovcnt, ide_io_fn *done);
/* The device wants a bus-master transfer: run starts each chunk. */
void ide_dma_request(struct ide_dev *d, bool to_memory, ide_fn *run);
/* Runs the channel's DMA if the bus master and a device are ready. */
void ide_dma_kick(struct ide_channel *ch);
/* DMA between the medium and the PRD buffers: maps the next chunk of
 * at most max bytes (a multiple of 512) into d->iov and submits it
 * (d->dma_chunk bytes); done runs on completion.  BM_STALL: the PRD
 * table ended early (the bus master has stopped, the device waits for a
 * new start); BM_FAIL: a bad table (the bus master has flagged the
 * error; the caller ends the command with an error).  Nothing is
 * submitted then. */
enum bm_result ide_dma_blk(struct ide_dev *d, enum blk_op op, uint64_t offset,
		 uint64_t max, ide_io_fn *done);
/* The device has moved all its data: the bus master goes idle if the PRD
 * table ended exactly there. */
void ide_dma_finished(struct ide_dev *d);

/* ---------------------------------------------------------- ata-cmd.c */

/* Executes an ATA command written to the command register. */
void ata_exec(struct ide_dev *d, uint8_t cmd);
/* Ends a command with ERR set and error register err. */
void ata_error(struct ide_dev *d, uint8_t err);
/* Ends a command: DRDY (and DSC for ATA), INTRQ. */
void ata_ok(struct ide_dev *d);
/* Fills in an IDENTIFY string (two characters per word, first one in
 * the high byte, padded with spaces). */
void ide_id_string(uint16_t *w, unsigned int first, unsigned int words,
		   const char *s);
void ide_id_common(struct ide_dev *d, uint16_t *w);
/* Word 255 (signature A5h and checksum) and the words into d->buf. */
void ide_id_finish(struct ide_dev *d, uint16_t *w);
/* Power-on settings of a disk (geometry, multiple, cache). */
void ata_dev_init(struct ide_dev *d);

/* ------------------------------------------------------------ atapi.c */

void atapi_identify(struct ide_dev *d);
void atapi_packet(struct ide_dev *d);
/* Power-on state of a CD drive (tray closed, unlocked). */
void atapi_dev_init(struct ide_dev *d);
/* Reset (SRST, DEVICE RESET): keeps the medium and the lock. */
void atapi_dev_reset(struct ide_dev *d);
int atapi_change_media(void *opaque, struct blk *blk, char *why,
		       size_t why_len);
/* Command ends (status phase). */
void atapi_ok(struct ide_dev *d);
void atapi_fail(struct ide_dev *d, uint8_t key, uint8_t asc, uint8_t ascq);
/* Sends len bytes of d->buf to the host (at most alloc of them). */
void atapi_reply(struct ide_dev *d, uint32_t len, uint32_t alloc);
bool atapi_medium(const struct ide_dev *d);

/* -------------------------------------------------------------- mmc.c */

/* MMC commands answered from the drive's state; false if op is not one
 * of them. */
bool mmc_exec(struct ide_dev *d);

/* ------------------------------------------------------------ bmdma.c */

/* One byte of the channel's 8 bus-master registers. */
uint8_t bm_readb(struct ide_channel *ch, unsigned int off);
void bm_writeb(struct ide_channel *ch, unsigned int off, uint8_t v);
void bm_reset(struct ide_channel *ch);
bool bm_running(const struct ide_channel *ch);

/* Maps at most want bytes at the table's position into iov (at most
 * max_iov entries), a multiple of unit unless the table ends; advances
 * the position. */
enum bm_result bm_map(struct ide_channel *ch, uint64_t want, uint64_t unit,
		      struct iovec *iov, unsigned int max_iov,
		      unsigned int *iovcnt, uint64_t *got);
/* Copies len bytes between buf and the PRD buffers. */
enum bm_result bm_copy(struct ide_channel *ch, uint8_t *buf, uint64_t len,
		       bool to_memory, uint64_t *got);
/* The device is done: ACTIVE clears if the table ended exactly. */
void bm_device_done(struct ide_channel *ch);
/* The table ended early: ACTIVE clears, no interrupt (Intel bus-master
 * IDE programming interface, table 1). */
void bm_stall(struct ide_channel *ch);
/* A bad table: ERROR and INTR set, ACTIVE clear. */
void bm_fail(struct ide_channel *ch);
void bm_set_intr(struct ide_channel *ch);

/* ---------------------------------------------------------- helpers */

static inline void put_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

static inline uint32_t get_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return get_be16(p) << 16 | get_be16(p + 2);
}

#endif
