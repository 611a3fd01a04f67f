/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the ATAPI CD-ROM of the PIIX3 IDE (hw/ide/) on the fake
 * device model, through the device API only (ide-harness.c): the CD is
 * the secondary master (hdc) on a read-only ISO-like image whose 512-byte
 * sectors carry the harness's pattern.
 *
 * Expectations come from the specifications:
 * - ATA/ATAPI-6 (T13/1410D): IDENTIFY PACKET DEVICE (8.16), the PACKET
 *   command and its protocol (8.21, 9.8: interrupt reason, byte count
 *   limit), signatures (9.12), IDENTIFY DEVICE aborted with the PACKET
 *   signature (8.15);
 * - SFF-8020i: the ATAPI CD-ROM model (error register sense key);
 * - SPC-3: INQUIRY, REQUEST SENSE fixed format, TEST UNIT READY, unit
 *   attention conditions;
 * - MMC-3/MMC-5: READ(10)/(12), READ CAPACITY, READ TOC/PMA/ATIP format
 *   0 and 1, GET CONFIGURATION, GET EVENT STATUS NOTIFICATION (polled,
 *   media class), MODE SENSE(10) page 2Ah, START STOP UNIT, PREVENT
 *   ALLOW MEDIUM REMOVAL, and their sense codes (02/3A, 05/20, 05/21,
 *   05/24, 05/53/02, 06/28).
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

#define CH          1          /* secondary channel */
#define DEV         0          /* master: hdc */
#define CD_IDX      2
#define CD_BLOCKS   64u
#define BLK         2048u
#define BCL         0xfffe     /* byte count limit most tests use */

#define PRD_TABLE   0x1000
#define BUF0        0x10000
#define BUF1        0x30000

/* Sense keys, additional sense codes. */
#define KEY_NOT_READY        2
#define KEY_ILLEGAL_REQUEST  5
#define KEY_UNIT_ATTENTION   6

/* ------------------------------------------------------------ fixtures */

/* A disk as hda (so the controller has both kinds) and the CD as hdc
 * with blocks blocks (0: no medium). */
static struct ide_fx *start(void **state, unsigned int blocks)
{
	struct ide_fx *f = *state;

	ide_attach_disk(f, 0, 1u << 20);
	ide_attach_cd(f, CD_IDX, blocks);
	ide_start(f);
	assert_true(f->drives[CD_IDX].claimed);
	return f;
}

/* ------------------------------------------------------------- helpers */

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)be16(p) << 16 | be16(p + 2);
}

static struct atapi_result run(struct ide_fx *f, const uint8_t cdb[12],
			       void *buf, size_t len)
{
	return atapi_cmd(f, CH, DEV, cdb, buf, len, BCL);
}

/* GOOD status: no BSY/DRQ/CHK, interrupt reason "command complete"
 * (CoD=1, IO=1), and the completion interrupt. */
static void assert_good(const struct atapi_result *r)
{
	if (r->status & (ST_BSY | ST_DRQ | ST_ERR))
		fail_msg("ATAPI status %#04x error %#04x", r->status,
			 r->error);
	assert_true(r->protocol_ok);
	assert_int_equal(r->ireason & (IR_COD | IR_IO), IR_COD | IR_IO);
	assert_int_equal(r->irqs, r->blocks + 1);
}

/* CHECK CONDITION with sense key key in the error register (bits 7:4),
 * then REQUEST SENSE; returns the sense. */
static uint32_t check_condition(struct ide_fx *f,
				const struct atapi_result *r, uint8_t key)
{
	uint32_t sense;

	if (!(r->status & ST_ERR))
		fail_msg("expected CHECK CONDITION, status %#04x",
			 r->status);
	assert_int_equal(r->status & (ST_BSY | ST_DRQ), 0);
	assert_int_equal(r->ireason & (IR_COD | IR_IO), IR_COD | IR_IO);
	assert_int_equal(r->error >> 4, key);
	sense = atapi_sense(f, CH, DEV);
	assert_int_equal(sense >> 16, key);
	return sense;
}

static void assert_sense(uint32_t sense, uint32_t expected)
{
	if (sense != expected)
		fail_msg("sense %02x/%02x/%02x, expected %02x/%02x/%02x",
			 sense >> 16, (sense >> 8) & 0xff, sense & 0xff,
			 expected >> 16, (expected >> 8) & 0xff,
			 expected & 0xff);
}

static struct atapi_result tur(struct ide_fx *f)
{
	uint8_t cdb[12] = { 0x00 };

	return run(f, cdb, NULL, 0);
}

/* Clears the power-on unit attention (SPC-3 6.x: 29h) if the drive
 * reports one; then the drive is ready. */
static void drain_unit_attention(struct ide_fx *f)
{
	struct atapi_result r;

	for (unsigned int i = 0; i < 3; i++) {
		r = tur(f);
		if (!(r.status & ST_ERR))
			return;
		assert_int_equal(r.error >> 4, KEY_UNIT_ATTENTION);
		atapi_sense(f, CH, DEV);
	}
	fail_msg("drive not ready after the unit attentions");
}

static struct atapi_result read10(struct ide_fx *f, uint32_t lba,
				  uint16_t n, void *buf, size_t len,
				  uint16_t bcl)
{
	uint8_t cdb[12] = { 0x28 };

	put_be32(cdb + 2, lba);
	put_be16(cdb + 7, n);
	return atapi_cmd(f, CH, DEV, cdb, buf, len, bcl);
}

/* GET EVENT STATUS NOTIFICATION, polled, media class: the event code
 * (low nibble of byte 4) and the media status (byte 5). */
static void gesn_media(struct ide_fx *f, uint8_t *event, uint8_t *status)
{
	uint8_t cdb[12] = { 0x4a, 0x01, 0, 0, 0x10, 0, 0, 0, 8 };
	uint8_t b[8];
	struct atapi_result r;

	memset(b, 0, sizeof(b));
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(r.bytes, 8);
	assert_int_equal(be16(b), 6);          /* descriptor length */
	assert_int_equal(b[2] & 0x80, 0);      /* NEA */
	assert_int_equal(b[2] & 0x07, 4);      /* media class */
	assert_true(b[3] & 0x10);              /* media class supported */
	*event = b[4] & 0x0f;
	*status = b[5];
}

/* Host media change (what `hvmkit cd-insert`/`cd-eject` end in). */
static int change(struct ide_fx *f, struct blk *b, char *why, size_t len)
{
	why[0] = '\0';
	return fake_drive_change_media(f->dm, "hdc", b, why, len);
}

/* A second ISO: the pattern, except block 0 filled with 5Ch. */
static struct blk *second_iso(struct ide_fx *f, unsigned int blocks)
{
	char path[192];
	uint8_t b[BLK];

	ide_image(f, "second.iso", (uint64_t)blocks * BLK, true, path,
		  sizeof(path));
	memset(b, 0x5c, sizeof(b));
	file_write(path, 0, b, sizeof(b));
	return ide_open(f, path, true, false);
}

/* ------------------------------------------------------------ IDENTIFY */

static void test_identify_packet(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint16_t w[256];
	char model[41], serial[21];
	uint8_t st, sum = 0;

	st = ata_identify(f, CH, DEV, ATA_IDENTIFY_PACKET, w);
	assert_int_equal(st & (ST_BSY | ST_DRQ | ST_ERR), 0);
	/* Word 0: ATAPI (10b), CD-ROM (05h), removable, 12-byte packets. */
	assert_int_equal(w[0] >> 14, 2);
	assert_int_equal((w[0] >> 8) & 0x1f, 5);
	assert_true(w[0] & 0x80);
	assert_int_equal(w[0] & 3, 0);
	/* Word 49: DMA (for PACKET DMA) and LBA. */
	assert_true(w[49] & (1u << 8));
	assert_true(w[49] & (1u << 9));
	id_string(w, 27, 20, model);
	id_string(w, 10, 10, serial);
	assert_memory_equal(model, "HVMKIT DVD-ROM", 14);
	for (unsigned int i = 14; i < 40; i++)
		assert_int_equal(model[i], ' ');
	for (unsigned int i = 0; i < 20; i++)
		assert_true(serial[i] >= 0x20 && serial[i] < 0x7f);
	if ((w[255] & 0xff) == 0xa5) {
		for (unsigned int i = 0; i < 256; i++)
			sum = (uint8_t)(sum + (w[i] & 0xff) + (w[i] >> 8));
		assert_int_equal(sum, 0);
	}
	if (fake_nr_errors)
		fail_msg("error line: %s", fake_last_error);
}

/* IDENTIFY DEVICE to a PACKET device: aborted, with the PACKET
 * signature in the registers (ATA/ATAPI-6 8.15.8). */
static void test_identify_device_aborts(void **state)
{
	struct ide_fx *f = start(state, 0);
	uint16_t w[256];
	uint8_t st;

	st = ata_identify(f, CH, DEV, ATA_IDENTIFY, w);
	assert_true(st & ST_ERR);
	assert_int_equal(st & ST_DRQ, 0);
	assert_true(ide_in(f, CH, REG_ERROR) & ER_ABRT);
	assert_int_equal(ide_in(f, CH, REG_LBAM), 0x14);
	assert_int_equal(ide_in(f, CH, REG_LBAH), 0xeb);
	/* IDENTIFY PACKET DEVICE works without a medium. */
	st = ata_identify(f, CH, DEV, ATA_IDENTIFY_PACKET, w);
	assert_int_equal(st & (ST_ERR | ST_DRQ), 0);
}

/* DEVICE RESET and EXECUTE DEVICE DIAGNOSTIC leave the signature; SRST
 * too (9.12). */
static void test_resets_signature(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t st;

	ide_select(f, CH, DEV);
	ide_out(f, CH, REG_LBAM, 0x00);
	ide_out(f, CH, REG_COMMAND, ATA_DEVICE_RESET);
	st = ide_wait(f, CH);
	assert_int_equal(st & (ST_ERR | ST_DRQ), 0);
	assert_int_equal(ide_in(f, CH, REG_NSECT), 0x01);
	assert_int_equal(ide_in(f, CH, REG_LBAL), 0x01);
	assert_int_equal(ide_in(f, CH, REG_LBAM), 0x14);
	assert_int_equal(ide_in(f, CH, REG_LBAH), 0xeb);

	ide_out(f, CH, REG_LBAM, 0x00);
	ide_out(f, CH, REG_COMMAND, ATA_DIAGNOSTIC);
	st = ide_wait(f, CH);
	assert_int_equal(st & (ST_ERR | ST_DRQ), 0);
	assert_int_equal(ide_in(f, CH, REG_ERROR), 0x01);
	assert_int_equal(ide_in(f, CH, REG_LBAM), 0x14);
	assert_int_equal(ide_in(f, CH, REG_LBAH), 0xeb);

	ide_out(f, CH, REG_LBAM, 0x00);
	ide_ctl(f, CH, CTL_SRST);
	ide_ctl(f, CH, 0);
	st = ide_wait(f, CH);
	assert_int_equal(st & (ST_ERR | ST_DRQ), 0);
	assert_int_equal(ide_in(f, CH, REG_LBAM), 0x14);
	assert_int_equal(ide_in(f, CH, REG_LBAH), 0xeb);
	/* And it still takes packets. */
	drain_unit_attention(f);
}

/* ------------------------------------------------------------ protocol */

/* Byte count limit (ATA/ATAPI-6 8.21, 9.8): the drive sends at most
 * that many bytes per DRQ block, CoD=0 IO=1 for data, an interrupt per
 * block and one at the end. */
static void test_byte_count_limit(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t *buf = malloc(4 * BLK);
	struct atapi_result r;

	assert_non_null(buf);
	drain_unit_attention(f);
	r = read10(f, 4, 4, buf, 4 * BLK, BLK);
	assert_good(&r);
	assert_int_equal(r.bytes, 4 * BLK);
	assert_int_equal(r.blocks, 4);
	assert_int_equal(r.max_block, BLK);
	assert_true(pattern_check(buf, 4 * BLK, 4 * BLK));

	memset(buf, 0, 4 * BLK);
	r = read10(f, 9, 1, buf, BLK, 1000);
	assert_good(&r);
	assert_int_equal(r.bytes, BLK);
	assert_true(r.max_block <= 1000);
	assert_false(r.odd_block);
	assert_true(r.blocks >= 3);
	assert_true(pattern_check(buf, 9 * BLK, BLK));

	/* An odd limit. */
	memset(buf, 0, 4 * BLK);
	r = read10(f, 2, 2, buf, 2 * BLK, 777);
	assert_good(&r);
	assert_int_equal(r.bytes, 2 * BLK);
	assert_true(r.max_block <= 777);
	/* ATA/ATAPI-6 8.21: an odd count only in the last block. */
	assert_false(r.odd_block);
	assert_true(pattern_check(buf, 2 * BLK, 2 * BLK));

	/* A big one. */
	memset(buf, 0, 4 * BLK);
	r = read10(f, 0, 4, buf, 4 * BLK, 0xfffe);
	assert_good(&r);
	assert_int_equal(r.bytes, 4 * BLK);
	assert_true(pattern_check(buf, 0, 4 * BLK));
	free(buf);
}

/* Issues PACKET with byte count limit bcl and writes the CDB with
 * 32-bit accesses; returns the status after it. */
static uint8_t packet32(struct ide_fx *f, const uint8_t cdb[12], uint16_t bcl)
{
	ide_select(f, CH, DEV);
	ide_wait(f, CH);
	ide_out(f, CH, REG_FEATURE, 0);
	ide_out(f, CH, REG_LBAM, (uint8_t)bcl);
	ide_out(f, CH, REG_LBAH, (uint8_t)(bcl >> 8));
	ide_out(f, CH, REG_COMMAND, ATA_PACKET);
	assert_true(ide_wait(f, CH) & ST_DRQ);
	pio_out(f, CH, cdb, 12, 4);
	return ide_wait(f, CH);
}

static uint32_t data_in32(struct ide_fx *f)
{
	return (uint32_t)fake_pio_read(f->dm, ide_cmd_port(CH), 4);
}

static void data_out32(struct ide_fx *f, uint32_t v)
{
	fake_pio_write(f->dm, ide_cmd_port(CH), v, 4);
}

/* 32-bit data port accesses, which the PIIX3 splits into two 16-bit
 * cycles, on DRQ blocks of 2 mod 4 bytes (byte count limit 6): when the
 * first cycle ends a block, the second one moves nothing (DRQ is clear
 * for it), even though the next block is ready at once.  A read gives
 * 0000h in the upper half; a write drops it. */
static void test_pio32_block_end(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t cdb[12] = { 0x28 };    /* READ(10) of block 3 */
	uint8_t sel[12] = { 0x55, 0x10 }; /* MODE SELECT(10), 12 bytes */
	uint8_t *buf = calloc(1, BLK);
	size_t total = 0;
	unsigned int blocks = 0;
	uint8_t st;

	assert_non_null(buf);
	drain_unit_attention(f);
	put_be32(cdb + 2, 3);
	put_be16(cdb + 7, 1);
	st = packet32(f, cdb, 6);
	while (st & ST_DRQ) {
		size_t n = ide_in(f, CH, REG_LBAM) |
			   (size_t)ide_in(f, CH, REG_LBAH) << 8;

		assert_true(n == 6 || n == BLK % 6);
		assert_true(total + n <= BLK);
		for (size_t i = 0; i < n; i += 4) {
			uint32_t v = data_in32(f);

			for (size_t j = 0; j < 4 && i + j < n; j++)
				buf[total + i + j] = (uint8_t)(v >> (8 * j));
			if (i + 2 == n)
				assert_int_equal(v >> 16, 0);
		}
		total += n;
		blocks++;
		st = ide_wait(f, CH);
	}
	assert_int_equal(st & (ST_BSY | ST_ERR), 0);
	assert_int_equal(total, BLK);
	assert_int_equal(blocks, BLK / 6 + 1);
	assert_true(pattern_check(buf, 3 * BLK, BLK));

	/* Data-out: two blocks of 6 bytes. */
	put_be16(sel + 7, 12);
	st = packet32(f, sel, 6);
	assert_true(st & ST_DRQ);
	data_out32(f, 0x04030201);
	data_out32(f, 0xdead0605);     /* the upper half is dropped */
	st = ide_wait(f, CH);
	assert_true(st & ST_DRQ);
	assert_int_equal(ide_in(f, CH, REG_LBAM), 6);
	data_out32(f, 0x0a090807);
	/* The second block has 2 bytes to go. */
	assert_true(ide_alt(f, CH) & ST_DRQ);
	data_out32(f, 0x00000c0b);
	st = ide_wait(f, CH);
	assert_int_equal(st & (ST_BSY | ST_DRQ | ST_ERR), 0);
	assert_int_equal(ide_in(f, CH, REG_NSECT) & (IR_COD | IR_IO),
			 IR_COD | IR_IO);
	free(buf);
}

/* ------------------------------------------------------ TUR, sense */

static void test_no_medium(void **state)
{
	struct ide_fx *f = start(state, 0);
	struct atapi_result r;
	uint8_t cdb[12] = { 0x25 }, buf[BLK];
	uint32_t sense;

	for (unsigned int i = 0; i < 2; i++) {
		r = tur(f);
		sense = check_condition(f, &r, KEY_NOT_READY);
		assert_int_equal((sense >> 8) & 0xff, 0x3a);
	}
	r = run(f, cdb, buf, 8);
	check_condition(f, &r, KEY_NOT_READY);
	r = read10(f, 0, 1, buf, sizeof(buf), BCL);
	assert_int_equal(r.bytes, 0);
	sense = check_condition(f, &r, KEY_NOT_READY);
	assert_int_equal((sense >> 8) & 0xff, 0x3a);
}

static void test_ready_and_sense(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t cdb[12] = { 0x03, 0, 0, 0, 8 };
	uint8_t s[32];
	struct atapi_result r;

	drain_unit_attention(f);
	r = tur(f);
	assert_good(&r);
	assert_int_equal(r.bytes, 0);
	/* No sense after a good command. */
	assert_sense(atapi_sense(f, CH, DEV), SENSE(0, 0, 0));
	/* Allocation length 8: 8 bytes. */
	memset(s, 0xee, sizeof(s));
	r = run(f, cdb, s, sizeof(s));
	assert_good(&r);
	assert_int_equal(r.bytes, 8);
	assert_int_equal(s[0] & 0x7f, 0x70);
}

/* SPC-3 4.5.3: REQUEST SENSE's fixed-format data, after a bad opcode. */
static void test_bad_opcode(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t cdb[12] = { 0x02 }, s[18], cdb_rs[12] = { 0x03, 0, 0, 0, 18 };
	struct atapi_result r;

	drain_unit_attention(f);
	r = run(f, cdb, NULL, 0);
	assert_sense(check_condition(f, &r, KEY_ILLEGAL_REQUEST),
		     SENSE(5, 0x20, 0x00));
	r = run(f, cdb, NULL, 0);
	assert_true(r.status & ST_ERR);
	memset(s, 0, sizeof(s));
	r = run(f, cdb_rs, s, sizeof(s));
	assert_good(&r);
	assert_int_equal(s[0] & 0x7f, 0x70);
	assert_int_equal(s[2] & 0x0f, 5);
	assert_true(s[7] >= 10);
	assert_int_equal(s[12], 0x20);
	assert_int_equal(s[13], 0x00);
	/* The sense was consumed. */
	assert_sense(atapi_sense(f, CH, DEV), SENSE(0, 0, 0));
}

/* ------------------------------------------------------------ INQUIRY */

static void test_inquiry(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t cdb[12] = { 0x12, 0, 0, 0, 96 }, b[96];
	struct atapi_result r;

	memset(b, 0, sizeof(b));
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_true(r.bytes >= 36 && r.bytes <= 96);
	assert_int_equal(b[0], 0x05);                /* CD/DVD device */
	assert_int_equal(b[1] & 0x80, 0x80);         /* RMB */
	assert_true((b[3] & 0x0f) == 1 || (b[3] & 0x0f) == 2);
	assert_true(b[4] >= 31);
	assert_int_equal(r.bytes, (size_t)b[4] + 5 > 96 ? 96 : b[4] + 5u);
	for (unsigned int i = 8; i < 36; i++)
		assert_true(b[i] >= 0x20 && b[i] < 0x7f);

	/* Allocation length truncates (SPC-3 4.3.4.6). */
	cdb[4] = 5;
	memset(b, 0, sizeof(b));
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(r.bytes, 5);
	assert_int_equal(b[0], 0x05);
	cdb[4] = 0;
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(r.bytes, 0);
}

/* ----------------------------------------------------------- capacity */

static void test_read_capacity(void **state)
{
	struct ide_fx *f = *state;
	uint8_t cdb[12] = { 0x25 }, b[8];
	struct atapi_result r;
	char path[192];

	/* A size that is not a whole number of blocks: the tail is cut. */
	ide_attach_disk(f, 0, 1u << 20);
	ide_image(f, "odd.iso", 10 * BLK + 512, true, path, sizeof(path));
	ide_attach(f, CD_IDX, true, ide_open(f, path, true, false), path);
	ide_start(f);
	drain_unit_attention(f);
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(r.bytes, 8);
	assert_int_equal(be32(b), 9);
	assert_int_equal(be32(b + 4), BLK);
	r = read10(f, 10, 1, NULL, 0, BCL);
	assert_sense(check_condition(f, &r, KEY_ILLEGAL_REQUEST),
		     SENSE(5, 0x21, 0x00));
}

/* --------------------------------------------------------------- READ */

static void test_read10_read12(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t *buf = calloc(8, BLK);
	uint8_t cdb[12] = { 0xa8 };
	uint8_t b8[8];
	struct atapi_result r;

	assert_non_null(buf);
	drain_unit_attention(f);
	r = read10(f, 5, 3, buf, 3 * BLK, BCL);
	assert_good(&r);
	assert_int_equal(r.bytes, 3 * BLK);
	assert_true(pattern_check(buf, 5 * BLK, 3 * BLK));

	put_be32(cdb + 2, 10);
	put_be32(cdb + 6, 2);
	memset(buf, 0, 8 * BLK);
	r = run(f, cdb, buf, 2 * BLK);
	assert_good(&r);
	assert_int_equal(r.bytes, 2 * BLK);
	assert_true(pattern_check(buf, 10 * BLK, 2 * BLK));

	/* The last block, and a zero-length read. */
	r = read10(f, CD_BLOCKS - 1, 1, buf, BLK, BCL);
	assert_good(&r);
	assert_true(pattern_check(buf, (CD_BLOCKS - 1) * BLK, BLK));
	r = read10(f, 0, 0, buf, BLK, BCL);
	assert_good(&r);
	assert_int_equal(r.bytes, 0);

	/* Past the end (MMC: 05/21/00). */
	r = read10(f, CD_BLOCKS, 1, buf, BLK, BCL);
	assert_sense(check_condition(f, &r, KEY_ILLEGAL_REQUEST),
		     SENSE(5, 0x21, 0x00));
	r = read10(f, CD_BLOCKS - 1, 2, buf, 2 * BLK, BCL);
	assert_sense(check_condition(f, &r, KEY_ILLEGAL_REQUEST),
		     SENSE(5, 0x21, 0x00));
	r = read10(f, 0xffffffff, 1, buf, BLK, BCL);
	assert_sense(check_condition(f, &r, KEY_ILLEGAL_REQUEST),
		     SENSE(5, 0x21, 0x00));
	put_be32(cdb + 2, CD_BLOCKS - 2);
	put_be32(cdb + 6, 0x80000000u);
	r = run(f, cdb, buf, BLK);
	assert_true(r.status & ST_ERR);
	atapi_sense(f, CH, DEV);

	/* The drive still answers. */
	r = run(f, (uint8_t[12]){ 0x25 }, b8, sizeof(b8));
	assert_good(&r);
	free(buf);
}

/* ------------------------------------------------------------ READ TOC */

static void test_read_toc(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t cdb[12] = { 0x43, 0, 0, 0, 0, 0, 0, 0, 100 };
	uint8_t b[100];
	uint32_t lo = CD_BLOCKS + 150;   /* lead-out in MSF frames */
	struct atapi_result r;

	drain_unit_attention(f);
	/* Format 0, LBA. */
	memset(b, 0xee, sizeof(b));
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(r.bytes, 20);
	assert_int_equal(be16(b), 18);
	assert_int_equal(b[2], 1);                   /* first track */
	assert_int_equal(b[3], 1);                   /* last track */
	assert_int_equal(b[5], 0x14);                /* ADR 1, data track */
	assert_int_equal(b[6], 1);
	assert_int_equal(be32(b + 8), 0);
	assert_int_equal(b[13], 0x14);
	assert_int_equal(b[14], 0xaa);               /* lead-out */
	assert_int_equal(be32(b + 16), CD_BLOCKS);

	/* Format 0, MSF: track 1 at 00:02:00, lead-out at LBA + 150. */
	cdb[1] = 0x02;
	memset(b, 0xee, sizeof(b));
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(be16(b), 18);
	assert_int_equal(b[8], 0);
	assert_int_equal(b[9], 0);
	assert_int_equal(b[10], 2);
	assert_int_equal(b[11], 0);
	assert_int_equal(b[17], lo / (60 * 75));
	assert_int_equal(b[18], (lo / 75) % 60);
	assert_int_equal(b[19], lo % 75);

	/* Allocation length 12: truncated. */
	cdb[1] = 0;
	cdb[8] = 12;
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(r.bytes, 12);

	/* Format 1 (session information). */
	cdb[2] = 1;
	cdb[8] = 100;
	memset(b, 0xee, sizeof(b));
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(r.bytes, 12);
	assert_int_equal(be16(b), 10);
	assert_int_equal(b[2], 1);
	assert_int_equal(b[3], 1);
	assert_int_equal(b[6], 1);
	assert_int_equal(be32(b + 8), 0);
}

/* ------------------------------------------------------ configuration */

/* GET CONFIGURATION (MMC-5 6.6): header with the current profile, the
 * Profile List feature naming it as current. */
static uint16_t current_profile(struct ide_fx *f, bool *listed)
{
	uint8_t cdb[12] = { 0x46, 0, 0, 0, 0, 0, 0, 0x02, 0x00 };
	uint8_t b[512];
	struct atapi_result r;
	uint16_t cur;

	memset(b, 0, sizeof(b));
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_true(r.bytes >= 12);
	assert_int_equal(be32(b), r.bytes - 4);
	cur = be16(b + 6);
	assert_int_equal(be16(b + 8), 0x0000);      /* Profile List */
	assert_int_equal(b[11] % 4, 0);
	*listed = false;
	for (unsigned int i = 12; i < 12u + b[11] && i + 4 <= r.bytes;
	     i += 4) {
		if (b[i + 2] & 1) {
			assert_int_equal(be16(b + i), cur);
			*listed = true;
		}
	}
	/* Allocation length 8: just the header. */
	cdb[8] = 8;
	cdb[7] = 0;
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(r.bytes, 8);
	assert_int_equal(be16(b + 6), cur);
	return cur;
}

static void test_get_configuration(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	char why[128];
	bool listed;
	uint16_t cur;

	cur = current_profile(f, &listed);
	assert_true(cur == 0x0008 || cur == 0x0010);
	assert_true(listed);
	assert_int_equal(change(f, NULL, why, sizeof(why)), 0);
	cur = current_profile(f, &listed);
	assert_int_equal(cur, 0);
	assert_false(listed);
}

/* GET EVENT STATUS NOTIFICATION (MMC-5 6.7): polled only; media events. */
static void test_gesn(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t async[12] = { 0x4a, 0x00, 0, 0, 0x10, 0, 0, 0, 8 };
	uint8_t other[12] = { 0x4a, 0x01, 0, 0, 0x02, 0, 0, 0, 8 };
	uint8_t b[8], ev = 0, ms = 0;
	struct atapi_result r;
	char why[128];

	/* Asynchronous notification is not supported over ATAPI. */
	r = run(f, async, b, sizeof(b));
	assert_sense(check_condition(f, &r, KEY_ILLEGAL_REQUEST),
		     SENSE(5, 0x24, 0x00));

	/* Whatever power-on reports, it settles to "no change", present. */
	for (unsigned int i = 0; i < 3; i++) {
		gesn_media(f, &ev, &ms);
		if (!ev)
			break;
	}
	assert_int_equal(ev, 0);
	assert_true(ms & 0x02);

	/* A class the drive does not support alone: NEA, header only. */
	memset(b, 0, sizeof(b));
	r = run(f, other, b, sizeof(b));
	assert_good(&r);
	if (!(b[3] & 0x02)) {
		assert_true(b[2] & 0x80);
		assert_int_equal(r.bytes, 4);
	}

	/* Host eject: media removal, then nothing. */
	assert_int_equal(change(f, NULL, why, sizeof(why)), 0);
	gesn_media(f, &ev, &ms);
	assert_int_equal(ev, 3);
	assert_int_equal(ms & 0x02, 0);
	gesn_media(f, &ev, &ms);
	assert_int_equal(ev, 0);

	/* Host insert: new media, present. */
	assert_int_equal(change(f, second_iso(f, 32), why, sizeof(why)), 0);
	gesn_media(f, &ev, &ms);
	assert_int_equal(ev, 2);
	assert_true(ms & 0x02);
	gesn_media(f, &ev, &ms);
	assert_int_equal(ev, 0);
	assert_true(ms & 0x02);
}

/* MODE SENSE(10) page 2Ah (MMC-3 5.5.10 / MMC capabilities page). */
static void mode_page_2a(struct ide_fx *f, uint8_t *byte6)
{
	uint8_t cdb[12] = { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0x01, 0x00 };
	uint8_t b[256];
	struct atapi_result r;

	memset(b, 0, sizeof(b));
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_true(r.bytes >= 8 + 2 + 0x12);
	assert_int_equal(be16(b), r.bytes - 2);
	assert_int_equal(be16(b + 6), 0);            /* no block descr. */
	assert_int_equal(b[8] & 0x3f, 0x2a);
	assert_true(b[9] >= 0x12);
	assert_true(b[8 + 6] & 0x01);                /* lock supported */
	assert_true(b[8 + 6] & 0x08);                /* eject supported */
	*byte6 = b[8 + 6];
}

static void test_mode_sense(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t cdb[12] = { 0x5a, 0, 0x15, 0, 0, 0, 0, 0x01, 0x00 };
	uint8_t b[256], byte6;
	struct atapi_result r;

	drain_unit_attention(f);
	mode_page_2a(f, &byte6);
	assert_int_equal(byte6 & 0x02, 0);           /* not locked */
	r = run(f, (uint8_t[12]){ 0x1e, 0, 0, 0, 1 }, NULL, 0);
	assert_good(&r);
	mode_page_2a(f, &byte6);
	assert_int_equal(byte6 & 0x02, 0x02);        /* lock state */
	r = run(f, (uint8_t[12]){ 0x1e, 0, 0, 0, 0 }, NULL, 0);
	assert_good(&r);
	/* A page that does not exist. */
	r = run(f, cdb, b, sizeof(b));
	assert_sense(check_condition(f, &r, KEY_ILLEGAL_REQUEST),
		     SENSE(5, 0x24, 0x00));
	/* Truncation to the header. */
	cdb[2] = 0x2a;
	cdb[7] = 0;
	cdb[8] = 8;
	r = run(f, cdb, b, sizeof(b));
	assert_good(&r);
	assert_int_equal(r.bytes, 8);
}

/* ------------------------------------------------------------ media */

/* START STOP UNIT with LoEj (MMC-5 6.39): the medium goes; the host can
 * insert another, which comes with one UNIT ATTENTION 06/28/00. */
static void test_guest_eject(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	struct atapi_result r;
	uint8_t buf[BLK];
	char why[128];
	uint32_t sense;

	drain_unit_attention(f);
	r = run(f, (uint8_t[12]){ 0x1b, 0, 0, 0, 0x01 }, NULL, 0); /* start */
	assert_good(&r);
	r = run(f, (uint8_t[12]){ 0x1b, 0, 0, 0, 0x02 }, NULL, 0); /* eject */
	assert_good(&r);
	r = tur(f);
	sense = check_condition(f, &r, KEY_NOT_READY);
	assert_int_equal((sense >> 8) & 0xff, 0x3a);
	r = read10(f, 0, 1, buf, sizeof(buf), BCL);
	check_condition(f, &r, KEY_NOT_READY);

	assert_int_equal(change(f, second_iso(f, 32), why, sizeof(why)), 0);
	r = tur(f);
	assert_sense(check_condition(f, &r, KEY_UNIT_ATTENTION),
		     SENSE(6, 0x28, 0x00));
	r = tur(f);
	assert_good(&r);
	r = read10(f, 0, 1, buf, sizeof(buf), BCL);
	assert_good(&r);
	for (unsigned int i = 0; i < BLK; i++)
		assert_int_equal(buf[i], 0x5c);
}

/* PREVENT ALLOW MEDIUM REMOVAL (MMC-5 6.13): a locked tray refuses the
 * guest's eject (05/53/02) and the host's media changes (plan). */
static void test_prevent_removal(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	struct atapi_result r;
	struct blk *other;
	uint8_t buf[BLK], ev, ms;
	char why[128];

	drain_unit_attention(f);
	other = second_iso(f, 32);
	assert_non_null(f->drives[CD_IDX].change_media);
	r = run(f, (uint8_t[12]){ 0x1e, 0, 0, 0, 0x01 }, NULL, 0);
	assert_good(&r);
	r = run(f, (uint8_t[12]){ 0x1b, 0, 0, 0, 0x02 }, NULL, 0);
	assert_sense(check_condition(f, &r, KEY_ILLEGAL_REQUEST),
		     SENSE(5, 0x53, 0x02));
	assert_int_equal(change(f, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "lock"));
	assert_int_equal(change(f, other, why, sizeof(why)), -1);
	assert_true(why[0] != '\0');
	/* The refused eject reaches the guest as an eject request, like a
	 * press of the drive's button (MMC-5 table 6.7, event 1). */
	gesn_media(f, &ev, &ms);
	assert_int_equal(ev, 1);
	assert_true(ms & 0x02);
	/* The old medium stays, without a unit attention. */
	r = tur(f);
	assert_good(&r);
	r = read10(f, 1, 1, buf, sizeof(buf), BCL);
	assert_good(&r);
	assert_true(pattern_check(buf, BLK, BLK));

	/* Unlocked: both work again. */
	r = run(f, (uint8_t[12]){ 0x1e, 0, 0, 0, 0x00 }, NULL, 0);
	assert_good(&r);
	assert_int_equal(change(f, other, why, sizeof(why)), 0);
	r = tur(f);
	assert_sense(check_condition(f, &r, KEY_UNIT_ATTENTION),
		     SENSE(6, 0x28, 0x00));
	r = run(f, (uint8_t[12]){ 0x1b, 0, 0, 0, 0x02 }, NULL, 0);
	assert_good(&r);

	/* A hard reset clears the prevention (SPC-3 6.13, MMC-5 6.13). */
	r = run(f, (uint8_t[12]){ 0x1e, 0, 0, 0, 0x01 }, NULL, 0);
	assert_good(&r);
	piix_ide_reset(f->ide);
	assert_int_equal(change(f, NULL, why, sizeof(why)), 0);
}

/* Host insert into an empty drive, eject, insert; the unit attention is
 * reported once, INQUIRY is not held up by it, REQUEST SENSE reports and
 * clears it (SPC-3 5.9.7, MMC-5 4.1.6). */
static void test_host_media_change(void **state)
{
	struct ide_fx *f = start(state, 0);
	uint8_t inq[12] = { 0x12, 0, 0, 0, 36 }, b[64];
	uint8_t cap[12] = { 0x25 };
	struct atapi_result r;
	struct blk *first, *second;
	char path[192], why[128];
	uint32_t sense;

	ide_image(f, "first.iso", 16 * BLK, true, path, sizeof(path));
	first = ide_open(f, path, true, false);
	second = second_iso(f, 32);

	assert_int_equal(change(f, first, why, sizeof(why)), 0);
	r = run(f, inq, b, sizeof(b));
	assert_good(&r);
	r = tur(f);
	assert_sense(check_condition(f, &r, KEY_UNIT_ATTENTION),
		     SENSE(6, 0x28, 0x00));
	r = tur(f);
	assert_good(&r);
	r = run(f, cap, b, 8);
	assert_good(&r);
	assert_int_equal(be32(b), 15);
	r = read10(f, 3, 1, b, sizeof(b), BCL);
	assert_good(&r);
	assert_true(pattern_check(b, 3 * BLK, sizeof(b)));

	assert_int_equal(change(f, NULL, why, sizeof(why)), 0);
	r = tur(f);
	sense = check_condition(f, &r, KEY_NOT_READY);
	assert_int_equal((sense >> 8) & 0xff, 0x3a);

	assert_int_equal(change(f, second, why, sizeof(why)), 0);
	assert_sense(atapi_sense(f, CH, DEV), SENSE(6, 0x28, 0x00));
	r = tur(f);
	assert_good(&r);
	r = run(f, cap, b, 8);
	assert_good(&r);
	assert_int_equal(be32(b), 31);

	/* Straight from one medium to the next. */
	assert_int_equal(change(f, first, why, sizeof(why)), 0);
	r = tur(f);
	check_condition(f, &r, KEY_UNIT_ATTENTION);
	r = run(f, cap, b, 8);
	assert_good(&r);
	assert_int_equal(be32(b), 15);
}

/* ---------------------------------------------------------------- DMA */

/* PACKET with Features bit 0 (DMA): the data goes through the bus
 * master; one interrupt at the end (9.9). */
static void test_packet_dma(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	const struct prd p[] = {
		{ BUF0, BLK, false },
		{ BUF1, 2 * BLK, true },
	};
	uint8_t cdb[12] = { 0x28 };
	uint8_t st;

	drain_unit_attention(f);
	memset(ide_ram(f) + BUF0, 0xee, 0x40000);
	put_be32(cdb + 2, 7);
	put_be16(cdb + 7, 3);
	prd_write(f, PRD_TABLE, p, 2);
	bm_setup(f, CH, PRD_TABLE, true);
	ide_select(f, CH, DEV);
	ide_out(f, CH, REG_FEATURE, 0x01);
	ide_out(f, CH, REG_LBAM, 0x00);
	ide_out(f, CH, REG_LBAH, 0x00);
	ide_irq_mark(f, CH);
	ide_out(f, CH, REG_COMMAND, ATA_PACKET);
	st = ide_wait(f, CH);
	assert_true(st & ST_DRQ);
	assert_int_equal(ide_in(f, CH, REG_NSECT) & 3, IR_COD);
	pio_out(f, CH, cdb, 12, 2);
	bm_start(f, CH, true);
	st = dma_wait(f, CH);
	assert_int_equal(st & (ST_ERR | ST_DRQ | ST_BSY), 0);
	assert_int_equal(bm_status(f, CH) & (BM_ST_INTR | BM_ST_ERROR |
					     BM_ST_ACTIVE), BM_ST_INTR);
	assert_int_equal(ide_irq_new(f, CH), 1);
	assert_int_equal(ide_in(f, CH, REG_NSECT) & 3, IR_COD | IR_IO);
	ide_in(f, CH, REG_STATUS);
	bm_stop(f, CH);
	assert_true(pattern_check(ide_ram(f) + BUF0, 7 * BLK, BLK));
	assert_true(pattern_check(ide_ram(f) + BUF1, 8 * BLK, 2 * BLK));
	assert_int_equal(ide_ram(f)[BUF0 + BLK], 0xee);

	/* A DMA read past the end: CHECK CONDITION, the interrupt. */
	put_be32(cdb + 2, CD_BLOCKS);
	put_be16(cdb + 7, 1);
	bm_setup(f, CH, PRD_TABLE, true);
	ide_select(f, CH, DEV);
	ide_out(f, CH, REG_FEATURE, 0x01);
	ide_irq_mark(f, CH);
	ide_out(f, CH, REG_COMMAND, ATA_PACKET);
	assert_true(ide_wait(f, CH) & ST_DRQ);
	pio_out(f, CH, cdb, 12, 2);
	bm_start(f, CH, true);
	st = dma_wait(f, CH);
	assert_true(st & ST_ERR);
	assert_int_equal(ide_in(f, CH, REG_ERROR) >> 4, KEY_ILLEGAL_REQUEST);
	assert_int_equal(ide_irq_new(f, CH), 1);
	bm_stop(f, CH);
	assert_sense(atapi_sense(f, CH, DEV), SENSE(5, 0x21, 0x00));

	/* A DMA PACKET into a PRD entry outside RAM: error bit, ends. */
	prd_write(f, PRD_TABLE, (struct prd[]){ { 0x10000000, BLK, true } },
		  1);
	put_be32(cdb + 2, 0);
	bm_setup(f, CH, PRD_TABLE, true);
	ide_select(f, CH, DEV);
	ide_out(f, CH, REG_FEATURE, 0x01);
	ide_out(f, CH, REG_COMMAND, ATA_PACKET);
	assert_true(ide_wait(f, CH) & ST_DRQ);
	pio_out(f, CH, cdb, 12, 2);
	bm_start(f, CH, true);
	dma_wait(f, CH);
	assert_true(bm_status(f, CH) & BM_ST_ERROR);
	bm_stop(f, CH);
	ide_in(f, CH, REG_STATUS);
	drain_unit_attention(f);
}

/* A packet abandoned halfway (SRST while the drive waits for the CDB or
 * for the host to read data) leaves a working drive. */
static void test_packet_abandoned(void **state)
{
	struct ide_fx *f = start(state, CD_BLOCKS);
	uint8_t buf[BLK];
	struct atapi_result r;

	drain_unit_attention(f);
	ide_select(f, CH, DEV);
	ide_out(f, CH, REG_FEATURE, 0);
	ide_out(f, CH, REG_COMMAND, ATA_PACKET);
	assert_true(ide_wait(f, CH) & ST_DRQ);
	pio_out(f, CH, (uint8_t[12]){ 0x28 }, 6, 2);   /* half a CDB */
	ide_ctl(f, CH, CTL_SRST);
	ide_ctl(f, CH, 0);
	assert_int_equal(ide_wait(f, CH) & ST_DRQ, 0);

	ide_select(f, CH, DEV);
	ide_out(f, CH, REG_LBAM, 0x00);
	ide_out(f, CH, REG_LBAH, 0x08);
	ide_out(f, CH, REG_COMMAND, ATA_PACKET);
	assert_true(ide_wait(f, CH) & ST_DRQ);
	pio_out(f, CH, (uint8_t[12]){ 0x28, 0, 0, 0, 0, 0, 0, 0, 4 }, 12, 2);
	assert_true(ide_wait(f, CH) & ST_DRQ);
	pio_in(f, CH, buf, 100, 2);
	ide_ctl(f, CH, CTL_SRST);
	ide_ctl(f, CH, 0);
	assert_int_equal(ide_wait(f, CH) & ST_DRQ, 0);
	fake_pio_read(f->dm, ide_cmd_port(CH), 2);

	drain_unit_attention(f);
	r = read10(f, 2, 1, buf, sizeof(buf), BCL);
	assert_good(&r);
	assert_true(pattern_check(buf, 2 * BLK, BLK));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) IDE_TEST(fn)
		T(test_identify_packet),
		T(test_identify_device_aborts),
		T(test_resets_signature),
		T(test_byte_count_limit),
		T(test_pio32_block_end),
		T(test_no_medium),
		T(test_ready_and_sense),
		T(test_bad_opcode),
		T(test_inquiry),
		T(test_read_capacity),
		T(test_read10_read12),
		T(test_read_toc),
		T(test_get_configuration),
		T(test_gesn),
		T(test_mode_sense),
		T(test_guest_eject),
		T(test_prevent_removal),
		T(test_host_media_change),
		T(test_packet_dma),
		T(test_packet_abandoned),
#undef T
	};

	log_init("test-atapi", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
