/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MMC commands the ATAPI drive answers from its own state, after MMC-3
 * (T10/1363-D revision 10g) and SPC-3 where MMC-3 defers to it:
 *
 * - INQUIRY (SPC-3): peripheral type 05h, removable, version 0 and
 *   response format 1 as ATAPI drives report (so hosts do not ask for
 *   SPC-3 features); vendor "HVMKIT", product "DVD-ROM".  The allocation
 *   length is the 16-bit field of bytes 3-4 (SFF-8020i's byte 3 is
 *   reserved, zero).  EVPD pages 00h, 80h (unit serial number) and 83h
 *   (a T10 vendor ID designator).
 * - READ CAPACITY: last LBA and 2048.
 * - READ TOC/PMA/ATIP: formats 0 (TOC: track 1, lead-out),
 *   1 (session information) and 2 (full TOC: points A0h, A1h, A2h and
 *   track 1, always in MSF); the format comes from byte 2, or from the
 *   SFF-8020i field in byte 9 bits 7:6 when byte 2 gives 0; MSF bit
 *   honoured for formats 0 and 1.  One data track from LBA 0.
 * - GET CONFIGURATION (with MMC-3's profiles and features): RT 0, 1,
 *   2; the profile list (DVD-ROM 0010h, CD-ROM 0008h; current by medium
 *   size, a medium of more than 80 minutes is a DVD) and the Core
 *   (ATAPI), Morphing (polling only), Removable Medium (tray, eject,
 *   lock), Random Readable, CD Read and DVD Read features.
 * - GET EVENT STATUS NOTIFICATION: polled only (asynchronous
 *   requests fail with 05/24/00); the media class with new media, media
 *   removal and eject request events, each reported once; other classes
 *   answer "no event available".
 * - MODE SENSE(10) (SPC-3, with MMC-3's mode pages): pages 01h (read error
 *   recovery), 0Dh (CD device parameters), 2Ah (capabilities and
 *   mechanical status: tray, eject, lock and its state) and 3Fh (all);
 *   current, changeable (all zero) and default values; saved values
 *   fail with 05/39/00.
 * - READ DISC INFORMATION and READ TRACK INFORMATION:
 *   a complete disc with one session of one data track.
 * - MECHANISM STATUS: no changer; the door-open bit is the tray.
 * - READ DVD STRUCTURE: formats 00h (physical, one layer),
 *   01h (no copy protection) and FFh (structure list) of a DVD medium;
 *   a CD medium fails with 05/30/02.
 *
 * Deliberate deviations: the capabilities page claims audio play and
 * mode 2 forms (as QEMU, some guests look for them before they mount),
 * though CD-DA commands are not implemented; MODE SENSE(6), READ
 * SUBCHANNEL and the audio commands are not implemented (05/20/00, as
 * many ATAPI drives answer MODE SENSE(6)).
 */
#include <stdio.h>
#include <string.h>

#include "ide.h"

#ifndef HVMKIT_VERSION
#define HVMKIT_VERSION "unknown"
#endif

#define GPCMD_INQUIRY           0x12
#define GPCMD_READ_CAPACITY     0x25
#define GPCMD_READ_TOC          0x43
#define GPCMD_GET_CONFIGURATION 0x46
#define GPCMD_GET_EVENT_STATUS  0x4a
#define GPCMD_READ_DISC_INFO    0x51
#define GPCMD_READ_TRACK_INFO   0x52
#define GPCMD_MODE_SENSE_10     0x5a
#define GPCMD_READ_DVD_STRUCT   0xad
#define GPCMD_MECHANISM_STATUS  0xbd

#define PROFILE_CD_ROM          0x0008
#define PROFILE_DVD_ROM         0x0010

/* The largest reply built here (READ DVD STRUCTURE format 00h). */
#define MMC_REPLY_MAX           (2048 + 4)

static bool medium_is_dvd(const struct ide_dev *d)
{
	return atapi_medium(d) && d->at.sectors > CD_MAX_SECTORS;
}

static void pad_copy(uint8_t *dst, const char *s, size_t len)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < len; i++)
		dst[i] = i < n ? (uint8_t)s[i] : ' ';
}

static void invalid_field(struct ide_dev *d)
{
	atapi_fail(d, SK_ILLEGAL_REQ, 0x24, 0x00);
}

/* ------------------------------------------------------------ INQUIRY */

static void mmc_inquiry(struct ide_dev *d)
{
	const uint8_t *c = d->at.cdb;
	uint32_t alloc = get_be16(c + 3), len;
	uint8_t *b = d->buf;
	char serial[24];

	snprintf(serial, sizeof(serial), "HVMKIT-%s", d->vdev);
	memset(b, 0, 96);
	b[0] = 0x05; /* CD/DVD device */
	if (!(c[1] & 1)) {
		if (c[2]) {
			invalid_field(d);
			return;
		}
		b[1] = 0x80; /* removable */
		b[2] = 0x00;
		b[3] = 0x21; /* ATAPI version 2, response data format 1 */
		b[4] = 36 - 5;
		pad_copy(b + 8, "HVMKIT", 8);
		pad_copy(b + 16, "DVD-ROM", 16);
		pad_copy(b + 32, HVMKIT_VERSION, 4);
		atapi_reply(d, 36, alloc);
		return;
	}
	b[1] = c[2];
	switch (c[2]) {
	case 0x00: /* supported pages */
		b[3] = 3;
		b[4] = 0x00;
		b[5] = 0x80;
		b[6] = 0x83;
		break;
	case 0x80: /* unit serial number */
		len = (uint32_t)strlen(serial);
		b[3] = (uint8_t)len;
		memcpy(b + 4, serial, len);
		break;
	case 0x83: /* device identification: T10 vendor ID based */
		len = 8 + (uint32_t)strlen(serial);
		b[4] = 0x02; /* ASCII */
		b[5] = 0x01; /* T10 vendor ID, associated with the LU */
		b[7] = (uint8_t)len;
		pad_copy(b + 8, "HVMKIT", 8);
		memcpy(b + 16, serial, len - 8);
		b[3] = (uint8_t)(len + 4);
		break;
	default:
		invalid_field(d);
		return;
	}
	atapi_reply(d, 4u + b[3], alloc);
}

/* ------------------------------------------------------- capacity/TOC */

static void mmc_read_capacity(struct ide_dev *d)
{
	uint64_t last = d->at.sectors - 1;

	put_be32(d->buf, last > 0xffffffffu ? 0xffffffffu : (uint32_t)last);
	put_be32(d->buf + 4, CD_SECTOR);
	atapi_reply(d, 8, 8);
}

/* An address in a TOC descriptor: LBA, or MSF (2 s lead-in offset). */
static void put_addr(uint8_t *p, uint64_t lba, bool msf)
{
	if (!msf) {
		put_be32(p, lba > 0xffffffffu ? 0xffffffffu : (uint32_t)lba);
		return;
	}
	lba += 150;
	if (lba > 255ull * 60 * 75 + 59 * 75 + 74)
		lba = 255ull * 60 * 75 + 59 * 75 + 74;
	p[0] = 0;
	p[1] = (uint8_t)(lba / 75 / 60);
	p[2] = (uint8_t)(lba / 75 % 60);
	p[3] = (uint8_t)(lba % 75);
}

static void mmc_read_toc(struct ide_dev *d)
{
	const uint8_t *c = d->at.cdb;
	bool msf = c[1] & 2;
	unsigned int format = c[2] & 0x0f, track = c[6];
	uint8_t *b = d->buf;
	uint32_t p = 4;

	if (!format)
		format = c[9] >> 6;
	memset(b, 0, 64);
	b[2] = 1;
	b[3] = 1;
	switch (format) {
	case 0:
		if (track > 1 && track != 0xaa) {
			invalid_field(d);
			return;
		}
		if (track <= 1) {
			b[p + 1] = 0x14; /* ADR 1, data track */
			b[p + 2] = 1;
			put_addr(b + p + 4, 0, msf);
			p += 8;
		}
		b[p + 1] = 0x14;
		b[p + 2] = 0xaa;
		put_addr(b + p + 4, d->at.sectors, msf);
		p += 8;
		break;
	case 1:
		b[p + 1] = 0x14;
		b[p + 2] = 1;
		put_addr(b + p + 4, 0, msf);
		p += 8;
		break;
	case 2: {
		static const uint8_t points[] = { 0xa0, 0xa1, 0xa2, 0x01 };

		for (unsigned int i = 0; i < 4; i++, p += 11) {
			b[p] = 1;        /* session */
			b[p + 1] = 0x14;
			b[p + 3] = points[i];
			if (points[i] == 0xa0 || points[i] == 0xa1)
				b[p + 8] = 1; /* first/last track */
			else
				put_addr(b + p + 7, points[i] == 0xa2 ?
					 d->at.sectors : 0, true);
		}
		break;
	}
	default:
		invalid_field(d);
		return;
	}
	put_be16(b, p - 2);
	atapi_reply(d, p, get_be16(c + 7));
}

/* -------------------------------------------------- GET CONFIGURATION */

struct feature_list {
	uint8_t *b;
	uint32_t p;
	unsigned int rt;
	uint32_t start;
};

static void add_feature(struct feature_list *f, uint16_t code, bool current,
			const uint8_t *data, uint8_t len)
{
	uint8_t *q = f->b + f->p;

	if ((f->rt == 2 && code != f->start) || code < f->start ||
	    (f->rt == 1 && !current))
		return;
	put_be16(q, code);
	/* Version 0; persistent for the features that do not depend on
	 * the medium. */
	q[2] = (uint8_t)((current ? 1 : 0) |
			 (code <= 0x0003 ? 2 : 0));
	q[3] = len;
	if (len)
		memcpy(q + 4, data, len);
	f->p += 4u + len;
}

static void mmc_get_configuration(struct ide_dev *d)
{
	const uint8_t *c = d->at.cdb;
	bool dvd = medium_is_dvd(d), cd = atapi_medium(d) && !dvd;
	struct feature_list f = {
		.b = d->buf, .p = 8, .rt = c[1] & 3,
		.start = get_be16(c + 2),
	};
	uint8_t profiles[8] = { 0 }, core[4] = { 0, 0, 0, 2 };
	uint8_t zero4[4] = { 0 }, removable[4] = { 0x29 }, random[8] = { 0 };

	if (f.rt == 3) {
		invalid_field(d);
		return;
	}
	memset(d->buf, 0, 128);
	put_be16(d->buf + 6, dvd ? PROFILE_DVD_ROM :
		 cd ? PROFILE_CD_ROM : 0);
	put_be16(profiles, PROFILE_DVD_ROM);
	profiles[2] = dvd;
	put_be16(profiles + 4, PROFILE_CD_ROM);
	profiles[6] = cd;
	put_be32(random, CD_SECTOR);
	put_be16(random + 4, dvd ? 16 : 1);
	add_feature(&f, 0x0000, true, profiles, sizeof(profiles));
	add_feature(&f, 0x0001, true, core, sizeof(core));
	add_feature(&f, 0x0002, true, zero4, sizeof(zero4));
	add_feature(&f, 0x0003, true, removable, sizeof(removable));
	add_feature(&f, 0x0010, cd || dvd, random, sizeof(random));
	add_feature(&f, 0x001e, cd, zero4, sizeof(zero4));
	add_feature(&f, 0x001f, dvd, NULL, 0);
	put_be32(d->buf, f.p - 4);
	atapi_reply(d, f.p, get_be16(c + 7));
}

/* --------------------------------------- GET EVENT STATUS NOTIFICATION */

static void mmc_event_status(struct ide_dev *d)
{
	const uint8_t *c = d->at.cdb;
	uint8_t *b = d->buf;
	uint32_t len = 4;

	if (!(c[1] & 1)) { /* asynchronous operation is not supported */
		invalid_field(d);
		return;
	}
	memset(b, 0, 8);
	b[3] = 1u << 4; /* supported event classes: media */
	if (c[4] & (1u << 4)) {
		b[2] = 4; /* media class */
		b[4] = d->at.event;
		b[5] = (uint8_t)((atapi_medium(d) ? 2 : 0) |
				 (d->at.tray_open ? 1 : 0));
		d->at.event = 0;
		len = 8;
	} else {
		b[2] = 0x80; /* no event available */
	}
	put_be16(b, len - 2);
	atapi_reply(d, len, get_be16(c + 7));
}

/* ---------------------------------------------------------- MODE SENSE */

static uint32_t mode_page(struct ide_dev *d, unsigned int page, bool mask,
			  uint8_t *q)
{
	uint32_t len;

	switch (page) {
	case 0x01: /* read error recovery */
		len = 12;
		memset(q, 0, len);
		q[3] = 5; /* read retry count */
		break;
	case 0x0d: /* CD device parameters */
		len = 8;
		memset(q, 0, len);
		q[3] = 1;  /* inactivity timer multiplier */
		put_be16(q + 4, 60);
		put_be16(q + 6, 75);
		break;
	case 0x2a: /* capabilities and mechanical status */
		len = 22;
		memset(q, 0, len);
		q[2] = 0x3b; /* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
		q[4] = 0x71; /* audio play, mode 2 form 1/2, multisession */
		q[5] = 0x60; /* ISRC, UPC */
		/* Tray, eject, lock (and whether it is locked). */
		q[6] = (uint8_t)(0x29 | (d->at.locked ? 0x02 : 0));
		put_be16(q + 8, 706);   /* 4x, in kB/s */
		put_be16(q + 10, 2);    /* volume levels */
		put_be16(q + 12, 512);  /* buffer, KiB */
		put_be16(q + 14, 706);
		break;
	default:
		return 0;
	}
	if (mask)
		memset(q + 2, 0, len - 2); /* nothing is changeable */
	q[0] = (uint8_t)page;
	q[1] = (uint8_t)(len - 2);
	return len;
}

static void mmc_mode_sense(struct ide_dev *d)
{
	const uint8_t *c = d->at.cdb;
	unsigned int pc = c[2] >> 6, page = c[2] & 0x3f;
	static const uint8_t all[] = { 0x01, 0x0d, 0x2a };
	uint8_t *b = d->buf;
	uint32_t p = 8;

	if (pc == 3) {
		atapi_fail(d, SK_ILLEGAL_REQ, 0x39, 0x00);
		return;
	}
	memset(b, 0, 8);
	b[2] = d->at.tray_open ? 0x71 : atapi_medium(d) ? 0x01 : 0x70;
	if (page == 0x3f) {
		for (unsigned int i = 0; i < sizeof(all); i++)
			p += mode_page(d, all[i], pc == 1, b + p);
	} else {
		uint32_t n = mode_page(d, page, pc == 1, b + p);

		if (!n) {
			invalid_field(d);
			return;
		}
		p += n;
	}
	put_be16(b, p - 2);
	atapi_reply(d, p, get_be16(c + 7));
}

/* ------------------------------------------------------- disc / track */

static void mmc_disc_info(struct ide_dev *d)
{
	const uint8_t *c = d->at.cdb;
	uint8_t *b = d->buf;

	if (c[1] & 7) { /* only standard disc information */
		invalid_field(d);
		return;
	}
	memset(b, 0, 34);
	put_be16(b, 32);
	b[2] = 0x0e; /* last session complete, disc complete */
	b[3] = 1;    /* first track on disc */
	b[4] = 1;    /* sessions */
	b[5] = 1;    /* first track in last session */
	b[6] = 1;    /* last track in last session */
	b[7] = 0x20; /* unrestricted use */
	b[8] = 0x00; /* CD-DA or CD-ROM disc */
	atapi_reply(d, 34, get_be16(c + 7));
}

static void mmc_track_info(struct ide_dev *d)
{
	const uint8_t *c = d->at.cdb;
	uint32_t v = get_be32(c + 2);
	uint8_t *b = d->buf;
	bool ok;

	switch (c[1] & 3) {
	case 0: /* LBA */
		if (v >= d->at.sectors) {
			atapi_fail(d, SK_ILLEGAL_REQ, 0x21, 0x00);
			return;
		}
		ok = true;
		break;
	case 1: /* track number */
	case 2: /* session number: its first track */
		ok = v == 1;
		break;
	default:
		ok = false;
	}
	if (!ok) {
		invalid_field(d);
		return;
	}
	memset(b, 0, 36);
	put_be16(b, 34);
	b[2] = 1;    /* track */
	b[3] = 1;    /* session */
	b[5] = 0x04; /* data track, recorded uninterrupted */
	b[6] = 0x01; /* data mode 1 */
	put_be32(b + 24, d->at.sectors > 0xffffffffu ? 0xffffffffu :
		 (uint32_t)d->at.sectors);
	atapi_reply(d, 36, get_be16(c + 7));
}

static void mmc_mechanism_status(struct ide_dev *d)
{
	uint8_t *b = d->buf;

	memset(b, 0, 8);
	b[1] = d->at.tray_open ? 0x10 : 0; /* door open */
	atapi_reply(d, 8, get_be16(d->at.cdb + 8));
}

static void mmc_dvd_structure(struct ide_dev *d)
{
	const uint8_t *c = d->at.cdb;
	uint8_t *b = d->buf;
	uint32_t len;

	if (c[1] & 0x0f || (c[7] != 0xff && c[6])) {
		invalid_field(d); /* not DVD media type, or layer > 0 */
		return;
	}
	if (c[7] != 0xff && !medium_is_dvd(d)) {
		atapi_fail(d, SK_ILLEGAL_REQ, 0x30, 0x02);
		return;
	}
	memset(b, 0, MMC_REPLY_MAX);
	switch (c[7]) {
	case 0x00: /* physical format information */
		len = MMC_REPLY_MAX;
		b[4] = 0x01; /* DVD-ROM, part version 1 */
		b[5] = 0x0f; /* 120 mm, maximum rate not specified */
		b[6] = 0x01; /* one layer, embossed */
		put_be32(b + 8, 0x30000); /* start of the data area */
		put_be32(b + 12, (uint32_t)(0x30000 + d->at.sectors - 1));
		break;
	case 0x01: /* copyright: no protection, all regions */
		len = 8;
		break;
	case 0xff: /* the structures there are */
		len = 12;
		b[4] = 0x00;
		b[5] = 0x40; /* readable */
		put_be16(b + 6, MMC_REPLY_MAX);
		b[8] = 0x01;
		b[9] = 0x40;
		put_be16(b + 10, 8);
		break;
	default:
		invalid_field(d);
		return;
	}
	put_be16(b, len - 2);
	atapi_reply(d, len, get_be16(c + 8));
}

bool mmc_exec(struct ide_dev *d)
{
	switch (d->at.cdb[0]) {
	case GPCMD_INQUIRY:
		mmc_inquiry(d);
		return true;
	case GPCMD_READ_CAPACITY:
		mmc_read_capacity(d);
		return true;
	case GPCMD_READ_TOC:
		mmc_read_toc(d);
		return true;
	case GPCMD_GET_CONFIGURATION:
		mmc_get_configuration(d);
		return true;
	case GPCMD_GET_EVENT_STATUS:
		mmc_event_status(d);
		return true;
	case GPCMD_MODE_SENSE_10:
		mmc_mode_sense(d);
		return true;
	case GPCMD_READ_DISC_INFO:
		mmc_disc_info(d);
		return true;
	case GPCMD_READ_TRACK_INFO:
		mmc_track_info(d);
		return true;
	case GPCMD_MECHANISM_STATUS:
		mmc_mechanism_status(d);
		return true;
	case GPCMD_READ_DVD_STRUCT:
		mmc_dvd_structure(d);
		return true;
	}
	return false;
}
