/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A guest's view of the PIIX3 IDE function for the unit tests of hw/ide/
 * (test-ide.c, test-atapi.c): the fake device model with the controller
 * at 00:01.1, drives on temporary image files, and what an ATA host
 * driver does with the registers: task file writes for LBA28, LBA48 and
 * CHS commands, PIO data blocks, the bus-master DMA registers and PRD
 * tables in guest RAM, the ATAPI PACKET protocol, and waiting for BSY to
 * clear by running the block backend's completions.
 *
 * Register layout: ATA/ATAPI-6 (T13/1410D) section 7; bus master: the
 * PIIX3 datasheet (290550) section 2.7 and SFF-8038i.
 */
#ifndef HVMKIT_IDE_HARNESS_H
#define HVMKIT_IDE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "block.h"
#include "device.h"

#define IDE_DEVFN      0x09     /* 00:01.1 */
#define IDE_RAM_SIZE   (4u << 20)
#define IDE_BM_BASE    0xc000   /* what the tests program into BAR4 */

/* Command block registers (offsets from 0x1F0/0x170). */
#define REG_DATA       0
#define REG_ERROR      1        /* read */
#define REG_FEATURE    1        /* write */
#define REG_NSECT      2        /* ATAPI: interrupt reason */
#define REG_LBAL       3
#define REG_LBAM       4        /* ATAPI: byte count low */
#define REG_LBAH       5        /* ATAPI: byte count high */
#define REG_DEVICE     6
#define REG_STATUS     7        /* read */
#define REG_COMMAND    7        /* write */

/* Status register. */
#define ST_BSY         0x80
#define ST_DRDY        0x40
#define ST_DF          0x20
#define ST_DRQ         0x08
#define ST_ERR         0x01

/* Error register. */
#define ER_ICRC        0x80
#define ER_UNC         0x40
#define ER_IDNF        0x10
#define ER_ABRT        0x04

/* Device control register. */
#define CTL_NIEN       0x02
#define CTL_SRST       0x04
#define CTL_HOB        0x80

/* Device register. */
#define DEV_LBA        0x40
#define DEV_OBS        0xa0     /* obsolete bits 7 and 5, set by hosts */

/* ATAPI interrupt reason (sector count register). */
#define IR_COD         0x01
#define IR_IO          0x02

/* Bus-master registers (offsets in BAR4; secondary channel at +8). */
#define BM_CMD         0
#define BM_STATUS      2
#define BM_PRD         4
#define BM_CMD_START   0x01
#define BM_CMD_READ    0x08     /* the controller writes memory */
#define BM_ST_ACTIVE   0x01
#define BM_ST_ERROR    0x02
#define BM_ST_INTR     0x04

#define PRD_EOT        0x8000

/* ATA commands (ATA/ATAPI-6 section 8, ACS-3). */
#define ATA_NOP                0x00
#define ATA_DEVICE_RESET       0x08
#define ATA_READ_SECTORS       0x20
#define ATA_READ_SECTORS_EXT   0x24
#define ATA_READ_DMA_EXT       0x25
#define ATA_READ_MULTIPLE_EXT  0x29
#define ATA_WRITE_SECTORS      0x30
#define ATA_WRITE_SECTORS_EXT  0x34
#define ATA_WRITE_DMA_EXT      0x35
#define ATA_WRITE_MULTIPLE_EXT 0x39
#define ATA_READ_VERIFY        0x40
#define ATA_DIAGNOSTIC         0x90
#define ATA_PACKET             0xa0
#define ATA_IDENTIFY_PACKET    0xa1
#define ATA_SMART              0xb0
#define ATA_READ_MULTIPLE      0xc4
#define ATA_WRITE_MULTIPLE     0xc5
#define ATA_SET_MULTIPLE       0xc6
#define ATA_READ_DMA           0xc8
#define ATA_WRITE_DMA          0xca
#define ATA_CHECK_POWER_MODE   0xe5
#define ATA_FLUSH_CACHE        0xe7
#define ATA_IDENTIFY           0xec
#define ATA_FLUSH_CACHE_EXT    0xea
#define ATA_SET_FEATURES       0xef

struct piix_ide;

struct ide_fx {
	struct dm *dm;
	struct piix_ide *ide;
	char dir[128];             /* temporary directory for images */
	struct dm_drive drives[4]; /* hda, hdb, hdc, hdd */
	struct blk *blks[16];      /* every medium opened, closed at the end */
	unsigned int nr_blks;
	char paths[4][192];        /* image of each drive ("" if none) */
	unsigned int edges[2];     /* IRQ 14/15 edges at the last mark */
};

struct prd {
	uint32_t addr;
	uint32_t len;              /* bytes; 65536 is written as 0 */
	bool eot;
};

/* ------------------------------------------------------------ fixture */

struct ide_fx *ide_fx_new(void);
/* Destroys the controller, closes the media, removes the files; false
 * if the fake device model found something left behind. */
bool ide_fx_free(struct ide_fx *f);
/* cmocka setup and teardown: a new fixture in *state, with the fake
 * device model's error messages captured; the teardown fails if
 * ide_fx_free() does. */
int ide_fx_setup(void **state);
int ide_fx_teardown(void **state);
/* A test with those (cmocka.h must come first). */
#define IDE_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, ide_fx_setup, ide_fx_teardown)
/* Guest RAM (IDE_RAM_SIZE bytes from guest-physical 0). */
uint8_t *ide_ram(struct ide_fx *f);

/* Creates dir/name with size bytes: the sector pattern (pattern_fill)
 * if pattern, else sparse zeros.  Returns the path (static storage in f
 * per drive index slot is not needed: it is copied by the caller). */
void ide_image(struct ide_fx *f, const char *name, uint64_t size,
	       bool pattern, char *path, size_t path_len);
struct blk *ide_open(struct ide_fx *f, const char *path, bool read_only,
		     bool direct);
/* Attaches drive idx (0 hda .. 3 hdd) with medium blk (NULL: empty CD
 * drive) and path for checks. */
void ide_attach(struct ide_fx *f, unsigned int idx, bool cdrom,
		struct blk *blk, const char *path);
/* A disk of size bytes with the pattern on drive idx. */
void ide_attach_disk(struct ide_fx *f, unsigned int idx, uint64_t size);
/* A CD of blocks 2048-byte blocks with the pattern on drive idx (0: no
 * medium). */
void ide_attach_cd(struct ide_fx *f, unsigned int idx, unsigned int blocks);
/* piix_ide_create(), then BAR4 at IDE_BM_BASE with I/O and bus master
 * enabled, then fake_dm_start(). */
void ide_start(struct ide_fx *f);

/* ------------------------------------------------------------ pattern */

/* The bytes of image offset off .. off + len of a pattern image: each
 * 512-byte sector n starts with n (u64 LE) and goes on with a byte
 * function of n and the position. */
void pattern_fill(uint8_t *buf, uint64_t off, size_t len);
bool pattern_check(const uint8_t *buf, uint64_t off, size_t len);
/* Reads bytes back from an image file. */
void file_read(const char *path, uint64_t off, void *buf, size_t len);
void file_write(const char *path, uint64_t off, const void *buf, size_t len);

/* ------------------------------------------------------------- ports */

uint8_t ide_in(struct ide_fx *f, unsigned int ch, unsigned int reg);
void ide_out(struct ide_fx *f, unsigned int ch, unsigned int reg,
	     uint8_t v);
uint8_t ide_alt(struct ide_fx *f, unsigned int ch);
void ide_ctl(struct ide_fx *f, unsigned int ch, uint8_t v);
uint16_t ide_cmd_port(unsigned int ch);
uint16_t ide_ctl_port(unsigned int ch);
unsigned int ide_gsi(unsigned int ch);
void ide_select(struct ide_fx *f, unsigned int ch, unsigned int dev);

/* Runs completions (and moves the fake clock) until the alternate status
 * has none of mask; fails the test after a few seconds.  Returns the
 * alternate status. */
uint8_t ide_wait_clear(struct ide_fx *f, unsigned int ch, uint8_t mask);
static inline uint8_t ide_wait(struct ide_fx *f, unsigned int ch)
{
	return ide_wait_clear(f, ch, ST_BSY);
}
/* Runs the completions that are ready, up to ms milliseconds. */
void ide_settle(struct ide_fx *f, unsigned int ms);

/* IRQ edges on the channel's line since the last ide_irq_mark(). */
void ide_irq_mark(struct ide_fx *f, unsigned int ch);
unsigned int ide_irq_new(struct ide_fx *f, unsigned int ch);
int ide_irq_level(struct ide_fx *f, unsigned int ch);

/* The command issuers below mark the channel's IRQ edges (ide_irq_mark)
 * just before writing the command register. */
/* Issues an LBA28 command (device register with LBA set). */
void ata_cmd28(struct ide_fx *f, unsigned int ch, unsigned int dev,
	       uint8_t cmd, uint8_t feature, uint32_t lba, uint8_t count);
/* Issues an LBA48 command: each register written twice, high first. */
void ata_cmd48(struct ide_fx *f, unsigned int ch, unsigned int dev,
	       uint8_t cmd, uint16_t feature, uint64_t lba, uint16_t count);
/* A command with CHS addressing (sector is 1-based). */
void ata_cmd_chs(struct ide_fx *f, unsigned int ch, unsigned int dev,
		 uint8_t cmd, unsigned int cyl, unsigned int head,
		 unsigned int sector, uint8_t count);
/* A non-data command: issue, wait, return status. */
uint8_t ata_nodata(struct ide_fx *f, unsigned int ch, unsigned int dev,
		   uint8_t cmd, uint8_t feature, uint8_t count);

/* Reads/writes n 16-bit words through the data port (size 2 or 4). */
void pio_in(struct ide_fx *f, unsigned int ch, void *buf, size_t bytes,
	    unsigned int size);
void pio_out(struct ide_fx *f, unsigned int ch, const void *buf,
	     size_t bytes, unsigned int size);

/* PIO data-in: waits for each of the blocks of block bytes (the last may
 * be shorter), checks DRQ and the interrupt per block, reads them into
 * buf; returns the final status (after the last block).  Stops early and
 * returns the status if a block does not come (ERR). */
uint8_t pio_read_blocks(struct ide_fx *f, unsigned int ch, void *buf,
			size_t bytes, size_t block);
/* PIO data-out: the first block without an interrupt, then one per
 * block; returns the final status. */
uint8_t pio_write_blocks(struct ide_fx *f, unsigned int ch, const void *buf,
			 size_t bytes, size_t block);

/* IDENTIFY (DEVICE or PACKET DEVICE) into words; returns the status. */
uint8_t ata_identify(struct ide_fx *f, unsigned int ch, unsigned int dev,
		     uint8_t cmd, uint16_t words[256]);
/* An IDENTIFY string (words first .. first + n - 1, two characters per
 * word, first character in the high byte), NUL-terminated. */
void id_string(const uint16_t *words, unsigned int first, unsigned int n,
	       char *out);

/* ------------------------------------------------------------ bus master */

uint16_t bm_port(unsigned int ch, unsigned int reg);
uint8_t bm_status(struct ide_fx *f, unsigned int ch);
/* Writes the PRD table at table (guest-physical) into guest RAM. */
void prd_write(struct ide_fx *f, uint32_t table, const struct prd *p,
	       unsigned int n);
/* Points the channel's PRD register at table, sets the direction, clears
 * the interrupt and error bits (start bit clear). */
void bm_setup(struct ide_fx *f, unsigned int ch, uint32_t table,
	      bool to_memory);
void bm_start(struct ide_fx *f, unsigned int ch, bool to_memory);
void bm_stop(struct ide_fx *f, unsigned int ch);
/* Waits for the end of a DMA command: no BSY, no DRQ. */
uint8_t dma_wait(struct ide_fx *f, unsigned int ch);

/* --------------------------------------------------------------- ATAPI */

struct atapi_result {
	uint8_t status;            /* final status */
	uint8_t error;             /* error register (sense key << 4 ...) */
	uint8_t ireason;           /* final interrupt reason */
	size_t bytes;              /* data bytes transferred */
	unsigned int blocks;       /* DRQ data blocks */
	unsigned int irqs;         /* interrupts during the command */
	size_t max_block;          /* largest byte count of a DRQ block */
	bool odd_block;            /* a block before the last had an odd
				    * byte count */
	bool protocol_ok;          /* every DRQ block had IO=1 CoD=0 */
};

/* The PACKET command with a 12-byte CDB, PIO data-in into buf (at most
 * buf_len bytes kept; more is read and dropped) with byte count limit
 * bcl.  Returns the result. */
struct atapi_result atapi_cmd(struct ide_fx *f, unsigned int ch,
			      unsigned int dev, const uint8_t cdb[12],
			      void *buf, size_t buf_len, uint16_t bcl);
/* REQUEST SENSE; returns key << 16 | asc << 8 | ascq. */
uint32_t atapi_sense(struct ide_fx *f, unsigned int ch, unsigned int dev);
#define SENSE(key, asc, ascq) ((uint32_t)(key) << 16 | (asc) << 8 | (ascq))

#endif
