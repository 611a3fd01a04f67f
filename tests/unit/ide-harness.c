/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest and host sides of the IDE unit tests (ide-harness.h): what an
 * ATA host driver does with the PIIX3 IDE registers (ATA/ATAPI-6 section
 * 7 and 9: the PIO data-in, data-out, non-data and PACKET protocols;
 * SFF-8038i: bus-master DMA), on the fake device model.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake-dm.h"
#include "ide-harness.h"
#include "pc.h"

#define PCI_COMMAND   0x04
#define PCI_BAR4      0x20
#define WAIT_ROUNDS   3000      /* polls of up to 2 ms each */

static const char *const vdevs[4] = { "hda", "hdb", "hdc", "hdd" };

/* ------------------------------------------------------------ fixture */

struct ide_fx *ide_fx_new(void)
{
	struct ide_fx *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/hvmkit-ide.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	f->dm = fake_dm_new(IDE_RAM_SIZE);
	assert_non_null(f->dm);
	for (unsigned int i = 0; i < 4; i++)
		snprintf(f->drives[i].vdev, sizeof(f->drives[i].vdev), "%s",
			 vdevs[i]);
	return f;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

bool ide_fx_free(struct ide_fx *f)
{
	bool clean;

	if (!f)
		return true;
	if (f->ide)
		piix_ide_destroy(f->ide);
	for (unsigned int i = 0; i < f->nr_blks; i++)
		blk_close(f->blks[i]);
	clean = fake_dm_free(f->dm);
	remove_dir(f->dir);
	free(f);
	return clean;
}

int ide_fx_setup(void **state)
{
	fake_errors_capture();
	*state = ide_fx_new();
	return 0;
}

int ide_fx_teardown(void **state)
{
	bool clean = ide_fx_free(*state);

	fake_errors_release();
	return clean ? 0 : -1;
}

uint8_t *ide_ram(struct ide_fx *f)
{
	return fake_ram(f->dm);
}

void ide_image(struct ide_fx *f, const char *name, uint64_t size,
	       bool pattern, char *path, size_t path_len)
{
	int fd;

	snprintf(path, path_len, "%s/%s", f->dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (pattern) {
		size_t chunk = 1u << 20;
		uint8_t *buf = malloc(chunk);

		assert_non_null(buf);
		for (uint64_t off = 0; off < size; off += chunk) {
			size_t n = size - off < chunk ? size - off : chunk;

			pattern_fill(buf, off, n);
			assert_int_equal(pwrite(fd, buf, n, (off_t)off),
					 (ssize_t)n);
		}
		free(buf);
	}
	close(fd);
}

struct blk *ide_open(struct ide_fx *f, const char *path, bool read_only,
		     bool direct)
{
	struct blk_config cfg = {
		.path = path,
		.fd = -1,
		.read_only = read_only,
		.cache = BLK_CACHE_WRITEBACK,
		.no_direct = !direct,
	};
	char err[256] = "";
	struct blk *b = blk_open(f->dm, &cfg, err, sizeof(err));

	if (!b)
		fail_msg("blk_open(%s): %s", path, err);
	assert_true(f->nr_blks < sizeof(f->blks) / sizeof(f->blks[0]));
	f->blks[f->nr_blks++] = b;
	return b;
}

void ide_attach(struct ide_fx *f, unsigned int idx, bool cdrom,
		struct blk *blk, const char *path)
{
	struct dm_drive *d = &f->drives[idx];

	d->cdrom = cdrom;
	d->read_only = cdrom || (blk && blk_read_only(blk));
	snprintf(f->paths[idx], sizeof(f->paths[idx]), "%s",
		 path ? path : "");
	d->target = f->paths[idx];
	d->blk = blk;
	assert_true(fake_drive_add(f->dm, d));
}

void ide_attach_disk(struct ide_fx *f, unsigned int idx, uint64_t size)
{
	char name[32], path[192];

	snprintf(name, sizeof(name), "%s.img", vdevs[idx]);
	ide_image(f, name, size, true, path, sizeof(path));
	ide_attach(f, idx, false, ide_open(f, path, false, false), path);
}

void ide_attach_cd(struct ide_fx *f, unsigned int idx, unsigned int blocks)
{
	char name[32], path[192];

	if (!blocks) {
		ide_attach(f, idx, true, NULL, NULL);
		return;
	}
	snprintf(name, sizeof(name), "%s.iso", vdevs[idx]);
	ide_image(f, name, (uint64_t)blocks * 2048, true, path, sizeof(path));
	ide_attach(f, idx, true, ide_open(f, path, true, false), path);
}

void ide_start(struct ide_fx *f)
{
	f->ide = piix_ide_create(f->dm, IDE_DEVFN);
	assert_non_null(f->ide);
	fake_pci_config_write(f->dm, IDE_DEVFN, PCI_BAR4, 4, IDE_BM_BASE | 1);
	fake_pci_config_write(f->dm, IDE_DEVFN, PCI_COMMAND, 2, 0x0005);
	fake_dm_start(f->dm);
	ide_irq_mark(f, 0);
	ide_irq_mark(f, 1);
}

/* ------------------------------------------------------------ pattern */

static uint8_t pattern_byte(uint64_t off)
{
	uint64_t sector = off / 512;
	unsigned int i = off % 512;

	if (i < 8)
		return (uint8_t)(sector >> (8 * i));
	return (uint8_t)(sector * 31 + i * 7 + (sector >> 8) + (sector >> 16));
}

void pattern_fill(uint8_t *buf, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern_byte(off + i);
}

bool pattern_check(const uint8_t *buf, uint64_t off, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != pattern_byte(off + i)) {
			print_message("pattern mismatch at image offset %#llx: "
				      "%#x, expected %#x\n",
				      (unsigned long long)(off + i), buf[i],
				      pattern_byte(off + i));
			return false;
		}
	}
	return true;
}

void file_read(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

void file_write(const char *path, uint64_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* ------------------------------------------------------------- ports */

uint16_t ide_cmd_port(unsigned int ch)
{
	return ch ? 0x170 : 0x1f0;
}

uint16_t ide_ctl_port(unsigned int ch)
{
	return ch ? 0x376 : 0x3f6;
}

unsigned int ide_gsi(unsigned int ch)
{
	return ch ? 15 : 14;
}

uint8_t ide_in(struct ide_fx *f, unsigned int ch, unsigned int reg)
{
	return (uint8_t)fake_pio_read(f->dm, ide_cmd_port(ch) + reg, 1);
}

void ide_out(struct ide_fx *f, unsigned int ch, unsigned int reg,
	     uint8_t v)
{
	fake_pio_write(f->dm, ide_cmd_port(ch) + reg, v, 1);
}

uint8_t ide_alt(struct ide_fx *f, unsigned int ch)
{
	return (uint8_t)fake_pio_read(f->dm, ide_ctl_port(ch), 1);
}

void ide_ctl(struct ide_fx *f, unsigned int ch, uint8_t v)
{
	fake_pio_write(f->dm, ide_ctl_port(ch), v, 1);
}

void ide_select(struct ide_fx *f, unsigned int ch, unsigned int dev)
{
	ide_out(f, ch, REG_DEVICE, (uint8_t)(DEV_OBS | dev << 4));
}

void ide_settle(struct ide_fx *f, unsigned int ms)
{
	for (unsigned int i = 0; i < ms; i++) {
		if (fake_fd_watch_count(f->dm))
			fake_fd_poll(f->dm, 1);
		fake_clock_advance(f->dm, 1000000);
	}
}

uint8_t ide_wait_clear(struct ide_fx *f, unsigned int ch, uint8_t mask)
{
	uint8_t st = 0;

	for (unsigned int i = 0; i < WAIT_ROUNDS; i++) {
		st = ide_alt(f, ch);
		if (!(st & mask))
			return st;
		if (fake_fd_watch_count(f->dm))
			fake_fd_poll(f->dm, 2);
		fake_clock_advance(f->dm, 100000);
	}
	fail_msg("channel %u: status %#04x still has %#04x after waiting", ch,
		 st, mask);
	return st;
}

void ide_irq_mark(struct ide_fx *f, unsigned int ch)
{
	f->edges[ch] = fake_irq_edges(f->dm, ide_gsi(ch));
}

unsigned int ide_irq_new(struct ide_fx *f, unsigned int ch)
{
	return fake_irq_edges(f->dm, ide_gsi(ch)) - f->edges[ch];
}

int ide_irq_level(struct ide_fx *f, unsigned int ch)
{
	return fake_irq_level(f->dm, ide_gsi(ch));
}

/* ---------------------------------------------------------- commands */

void ata_cmd28(struct ide_fx *f, unsigned int ch, unsigned int dev,
	       uint8_t cmd, uint8_t feature, uint32_t lba, uint8_t count)
{
	ide_out(f, ch, REG_DEVICE, (uint8_t)(DEV_OBS | DEV_LBA | dev << 4 |
					     ((lba >> 24) & 0x0f)));
	ide_out(f, ch, REG_FEATURE, feature);
	ide_out(f, ch, REG_NSECT, count);
	ide_out(f, ch, REG_LBAL, (uint8_t)lba);
	ide_out(f, ch, REG_LBAM, (uint8_t)(lba >> 8));
	ide_out(f, ch, REG_LBAH, (uint8_t)(lba >> 16));
	ide_irq_mark(f, ch);
	ide_out(f, ch, REG_COMMAND, cmd);
}

void ata_cmd48(struct ide_fx *f, unsigned int ch, unsigned int dev,
	       uint8_t cmd, uint16_t feature, uint64_t lba, uint16_t count)
{
	ide_out(f, ch, REG_DEVICE, (uint8_t)(DEV_LBA | dev << 4));
	ide_out(f, ch, REG_FEATURE, (uint8_t)(feature >> 8));
	ide_out(f, ch, REG_FEATURE, (uint8_t)feature);
	ide_out(f, ch, REG_NSECT, (uint8_t)(count >> 8));
	ide_out(f, ch, REG_NSECT, (uint8_t)count);
	ide_out(f, ch, REG_LBAL, (uint8_t)(lba >> 24));
	ide_out(f, ch, REG_LBAL, (uint8_t)lba);
	ide_out(f, ch, REG_LBAM, (uint8_t)(lba >> 32));
	ide_out(f, ch, REG_LBAM, (uint8_t)(lba >> 8));
	ide_out(f, ch, REG_LBAH, (uint8_t)(lba >> 40));
	ide_out(f, ch, REG_LBAH, (uint8_t)(lba >> 16));
	ide_irq_mark(f, ch);
	ide_out(f, ch, REG_COMMAND, cmd);
}

void ata_cmd_chs(struct ide_fx *f, unsigned int ch, unsigned int dev,
		 uint8_t cmd, unsigned int cyl, unsigned int head,
		 unsigned int sector, uint8_t count)
{
	ide_out(f, ch, REG_DEVICE, (uint8_t)(DEV_OBS | dev << 4 |
					     (head & 0x0f)));
	ide_out(f, ch, REG_FEATURE, 0);
	ide_out(f, ch, REG_NSECT, count);
	ide_out(f, ch, REG_LBAL, (uint8_t)sector);
	ide_out(f, ch, REG_LBAM, (uint8_t)cyl);
	ide_out(f, ch, REG_LBAH, (uint8_t)(cyl >> 8));
	ide_irq_mark(f, ch);
	ide_out(f, ch, REG_COMMAND, cmd);
}

uint8_t ata_nodata(struct ide_fx *f, unsigned int ch, unsigned int dev,
		   uint8_t cmd, uint8_t feature, uint8_t count)
{
	ide_select(f, ch, dev);
	ide_out(f, ch, REG_FEATURE, feature);
	ide_out(f, ch, REG_NSECT, count);
	ide_irq_mark(f, ch);
	ide_out(f, ch, REG_COMMAND, cmd);
	return ide_wait(f, ch);
}

void pio_in(struct ide_fx *f, unsigned int ch, void *buf, size_t bytes,
	    unsigned int size)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < bytes; i += size) {
		uint32_t v = (uint32_t)fake_pio_read(f->dm, ide_cmd_port(ch),
						     size);

		for (unsigned int j = 0; j < size && i + j < bytes; j++)
			p[i + j] = (uint8_t)(v >> (8 * j));
	}
}

void pio_out(struct ide_fx *f, unsigned int ch, const void *buf,
	     size_t bytes, unsigned int size)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < bytes; i += size) {
		uint32_t v = 0;

		for (unsigned int j = 0; j < size && i + j < bytes; j++)
			v |= (uint32_t)p[i + j] << (8 * j);
		fake_pio_write(f->dm, ide_cmd_port(ch), v, size);
	}
}

/* The PIO data-in (in) or data-out (out) protocol, block by block. */
static uint8_t pio_blocks(struct ide_fx *f, unsigned int ch, uint8_t *in,
			  const uint8_t *out, size_t bytes, size_t block)
{
	size_t done = 0;
	uint8_t st;

	while (done < bytes) {
		size_t n = bytes - done < block ? bytes - done : block;
		/* Data-in: one interrupt per DRQ block (ATA/ATAPI-6 9.6).
		 * Data-out: none before the first block, one before each
		 * further block (9.7). */
		unsigned int irqs = out && !done ? 0 : 1;

		st = ide_wait(f, ch);
		if (!(st & ST_DRQ) || (st & ST_ERR))
			return st;
		if (ide_irq_new(f, ch) != irqs)
			fail_msg("PIO data-%s block at byte %zu: %u "
				 "interrupts, expected %u", out ? "out" : "in",
				 done, ide_irq_new(f, ch), irqs);
		ide_in(f, ch, REG_STATUS);
		ide_irq_mark(f, ch);
		if (out)
			pio_out(f, ch, out + done, n, 2);
		else
			pio_in(f, ch, in + done, n, 2);
		done += n;
	}
	return ide_wait(f, ch);
}

uint8_t pio_read_blocks(struct ide_fx *f, unsigned int ch, void *buf,
			size_t bytes, size_t block)
{
	return pio_blocks(f, ch, buf, NULL, bytes, block);
}

uint8_t pio_write_blocks(struct ide_fx *f, unsigned int ch, const void *buf,
			 size_t bytes, size_t block)
{
	return pio_blocks(f, ch, NULL, buf, bytes, block);
}

uint8_t ata_identify(struct ide_fx *f, unsigned int ch, unsigned int dev,
		     uint8_t cmd, uint16_t words[256])
{
	uint8_t b[512];
	uint8_t st;

	ide_select(f, ch, dev);
	ide_wait(f, ch);
	ide_irq_mark(f, ch);
	ide_out(f, ch, REG_COMMAND, cmd);
	memset(b, 0, sizeof(b));
	st = pio_read_blocks(f, ch, b, sizeof(b), sizeof(b));
	for (unsigned int i = 0; i < 256; i++)
		words[i] = (uint16_t)(b[2 * i] | b[2 * i + 1] << 8);
	return st;
}

void id_string(const uint16_t *words, unsigned int first, unsigned int n,
	       char *out)
{
	for (unsigned int i = 0; i < n; i++) {
		out[2 * i] = (char)(words[first + i] >> 8);
		out[2 * i + 1] = (char)words[first + i];
	}
	out[2 * n] = '\0';
}

/* ------------------------------------------------------------ bus master */

uint16_t bm_port(unsigned int ch, unsigned int reg)
{
	return (uint16_t)(IDE_BM_BASE + 8 * ch + reg);
}

uint8_t bm_status(struct ide_fx *f, unsigned int ch)
{
	return (uint8_t)fake_pio_read(f->dm, bm_port(ch, BM_STATUS), 1);
}

void prd_write(struct ide_fx *f, uint32_t table, const struct prd *p,
	       unsigned int n)
{
	uint8_t *ram = fake_ram(f->dm);

	for (unsigned int i = 0; i < n; i++) {
		uint8_t *e = ram + table + 8 * i;
		uint32_t cnt = p[i].len & 0xffff;

		assert_true(table + 8 * (i + 1) <= IDE_RAM_SIZE);
		for (int j = 0; j < 4; j++)
			e[j] = (uint8_t)(p[i].addr >> (8 * j));
		e[4] = (uint8_t)cnt;
		e[5] = (uint8_t)(cnt >> 8);
		e[6] = 0;
		e[7] = p[i].eot ? 0x80 : 0;
	}
}

void bm_setup(struct ide_fx *f, unsigned int ch, uint32_t table,
	      bool to_memory)
{
	uint8_t st;

	fake_pio_write(f->dm, bm_port(ch, BM_CMD),
		       to_memory ? BM_CMD_READ : 0, 1);
	st = bm_status(f, ch);
	fake_pio_write(f->dm, bm_port(ch, BM_STATUS),
		       st | BM_ST_INTR | BM_ST_ERROR, 1);
	fake_pio_write(f->dm, bm_port(ch, BM_PRD), table, 4);
}

void bm_start(struct ide_fx *f, unsigned int ch, bool to_memory)
{
	fake_pio_write(f->dm, bm_port(ch, BM_CMD),
		       (to_memory ? BM_CMD_READ : 0) | BM_CMD_START, 1);
}

void bm_stop(struct ide_fx *f, unsigned int ch)
{
	uint8_t cmd = (uint8_t)fake_pio_read(f->dm, bm_port(ch, BM_CMD), 1);

	fake_pio_write(f->dm, bm_port(ch, BM_CMD), cmd & ~BM_CMD_START, 1);
}

uint8_t dma_wait(struct ide_fx *f, unsigned int ch)
{
	return ide_wait_clear(f, ch, ST_BSY | ST_DRQ);
}

/* --------------------------------------------------------------- ATAPI */

struct atapi_result atapi_cmd(struct ide_fx *f, unsigned int ch,
			      unsigned int dev, const uint8_t cdb[12],
			      void *buf, size_t buf_len, uint16_t bcl)
{
	struct atapi_result r = { .protocol_ok = true };
	uint8_t *p = buf, st, junk[2];

	ide_select(f, ch, dev);
	ide_wait(f, ch);
	ide_out(f, ch, REG_FEATURE, 0);
	ide_out(f, ch, REG_LBAM, (uint8_t)bcl);
	ide_out(f, ch, REG_LBAH, (uint8_t)(bcl >> 8));
	ide_irq_mark(f, ch);
	ide_out(f, ch, REG_COMMAND, ATA_PACKET);
	st = ide_wait(f, ch);
	if (!(st & ST_DRQ) || (st & ST_ERR)) {
		/* The PACKET command itself was refused. */
		r.status = ide_in(f, ch, REG_STATUS);
		r.error = ide_in(f, ch, REG_ERROR);
		r.ireason = ide_in(f, ch, REG_NSECT);
		r.protocol_ok = false;
		return r;
	}
	/* Ready for the packet: CoD=1, IO=0 (ATA/ATAPI-6 9.8). */
	if ((ide_in(f, ch, REG_NSECT) & (IR_COD | IR_IO)) != IR_COD)
		r.protocol_ok = false;
	pio_out(f, ch, cdb, 12, 2);
	for (size_t last = 0;; ) {
		size_t n;

		st = ide_wait(f, ch);
		r.irqs += ide_irq_new(f, ch);
		ide_irq_mark(f, ch);
		if (!(st & ST_DRQ))
			break;
		if ((ide_in(f, ch, REG_NSECT) & (IR_COD | IR_IO)) != IR_IO)
			r.protocol_ok = false;
		n = ide_in(f, ch, REG_LBAM) |
		    (size_t)ide_in(f, ch, REG_LBAH) << 8;
		ide_in(f, ch, REG_STATUS);
		if (n > r.max_block)
			r.max_block = n;
		/* Only the last block may have an odd count. */
		if (last & 1)
			r.odd_block = true;
		last = n;
		if (!n) {
			r.protocol_ok = false;
			/* Drain one word so a broken device moves on. */
			pio_in(f, ch, junk, 2, 2);
		}
		for (size_t i = 0; i < n; i += 2) {
			uint8_t w[2];

			pio_in(f, ch, w, 2, 2);
			for (size_t j = 0; j < 2 && i + j < n; j++)
				if (r.bytes + i + j < buf_len)
					p[r.bytes + i + j] = w[j];
		}
		r.bytes += n;
		r.blocks++;
		if (r.blocks > 100000)
			fail_msg("ATAPI command %#x: no end of data", cdb[0]);
	}
	r.status = ide_in(f, ch, REG_STATUS);
	r.error = ide_in(f, ch, REG_ERROR);
	r.ireason = ide_in(f, ch, REG_NSECT);
	return r;
}

uint32_t atapi_sense(struct ide_fx *f, unsigned int ch, unsigned int dev)
{
	uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 };
	uint8_t s[18];
	struct atapi_result r;

	memset(s, 0, sizeof(s));
	r = atapi_cmd(f, ch, dev, cdb, s, sizeof(s), 0xfffe);
	assert_false(r.status & ST_ERR);
	assert_int_equal(r.bytes, 18);
	/* Fixed format, current error (SPC-3 4.5.3). */
	assert_int_equal(s[0] & 0x7f, 0x70);
	assert_true(s[7] >= 10);
	return SENSE(s[2] & 0x0f, s[12], s[13]);
}
