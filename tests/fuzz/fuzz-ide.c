/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the PIIX3 IDE controller (hw/ide/) with ATA disks
 * and ATAPI CD-ROMs on the real block backend (devmodel/block.c, libaio)
 * and the fake device model (tests/unit/fake-dm.c) with 2 MiB of guest
 * RAM.  The input is a program for a guest (and a host) that pokes at the
 * controller: port accesses on both channels and the bus-master block,
 * PCI configuration writes, guest RAM and PRD tables, block completions,
 * resets and media changes.  A run must not crash, hang, trip ASan/UBSan
 * or leave a claim, timer or watch behind; PRD tables pointing outside
 * RAM, looping or with zero lengths included.
 *
 * Build: `make fuzz` (clang, ASan+UBSan, -laio).  Run:
 *   build/fuzz/fuzz-ide -max_total_time=30 tests/fuzz/corpus-ide
 * Seeds: tests/fuzz/corpus-ide/ (tests/fuzz/make-corpus-ide.py).
 *
 * Images are made in a private temporary directory (under /dev/shm when
 * it exists) and unlinked at once, then opened through duplicates of
 * their descriptors (blk_config.fd, as cd-insert does): a 4 MiB disk,
 * zeroed for every input (ftruncate), and two read-only CD images
 * (1 MiB, and 100 KiB + 512 bytes: not a whole number of 2048-byte
 * blocks), without O_DIRECT.
 *
 * Input: one configuration byte, then operations, each an opcode byte
 * (low nibble: the operation, bits 4-5: the access size 1/2/4/1) and its
 * arguments, numbers little-endian.  The run stops where the input ends
 * or after MAX_OPS operations.
 *   config: bit 0 a CD with a medium as hdb (primary slave), bit 1 an
 *           empty CD drive as hdd, bit 2 the disk read-only; hda is
 *           always the disk and hdc always a CD with a medium.
 *   0 port read    u8 port choice [u16 port]
 *   1 port write   u8 port choice [u16 port] u32 value
 *   2 PCI read     u8 offset
 *   3 PCI write    u8 offset u32 value
 *   4 RAM write    u32 address (reduced into RAM) u8 length, bytes
 *   5 PRD table    u32 table address (reduced into RAM) u8 entries
 *                  (up to 16; bit 7: channel), each u32 address
 *                  u16 count u8 flags (bit 0 EOT, bit 1 address
 *                  reduced into RAM); then the table's address goes
 *                  into the channel's PRD register
 *   6 completions  u8: bit 0 give the flush thread a few chances
 *   7 reset        u8: bits 0-1: 0 piix_ide_reset, 1 platform PCI
 *                  reset, 2-3 an SRST pulse on channel (bit 2)
 *   8 media        u8: drive (bits 0-1: hdb, hdc, hdd, hdc), bits 2-3:
 *                  eject, insert CD 1, insert CD 2, insert CD 1
 *   9 data burst   u8 channel (bit 0) and direction (bit 1: write),
 *                  u16 word count (up to 1024): data port accesses of
 *                  the op's size, writes of a counting pattern
 *  10 ATA command  u8 channel (bit 0) device (bit 1) LBA48 (bit 2),
 *                  u8 command, u8 feature, u8 count, u32 LBA; with
 *                  LBA48 the count's high byte is count >> 4 and LBA
 *                  bits 32-36 are the first byte's bits 3-7
 *  11 PACKET       u8 channel (bit 0) device (bit 1), u8 features,
 *                  u16 byte count limit, 12 CDB bytes: the command, a
 *                  wait for DRQ (bounded), the CDB through the data port
 *  12 clock        u32 nanoseconds
 *  13 BM command   u8 channel (bit 0), u8 value
 * Port choices 0-33 pick 1F0h-1F7h, 3F6h, 170h-177h, 376h, then
 * BM_BASE + 0-15; other values read a u16 port number.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "block.h"
#include "device.h"
#include "fake-dm.h"
#include "fuzz-ops.h"
#include "pc.h"

#define RAM_SIZE     (2u << 20)
#define MAX_OPS      600
#define MAX_BURST    1024
#define MAX_MEDIA    16            /* media opened per run */
#define DISK_SIZE    (4u << 20)
#define CD1_SIZE     (1u << 20)
#define CD2_SIZE     (100u * 1024 + 512)
#define IDE_DEVFN    0x09
#define BM_BASE      0xc000
#define PACKET_SPINS 64

enum op {
	OP_PIO_READ,
	OP_PIO_WRITE,
	OP_PCI_READ,
	OP_PCI_WRITE,
	OP_RAM_WRITE,
	OP_PRD,
	OP_POLL,
	OP_RESET,
	OP_MEDIA,
	OP_BURST,
	OP_ATA,
	OP_PACKET,
	OP_CLOCK,
	OP_BM_CMD,
	NR_OPS,
};

static const uint16_t fixed_ports[] = {
	0x1f0, 0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x1f7, 0x3f6,
	0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376,
};
#define NR_FIXED_PORTS (sizeof(fixed_ports) / sizeof(fixed_ports[0]))
#define NR_BM_PORTS    16

static const char *const vdevs[4] = { "hda", "hdb", "hdc", "hdd" };

struct rig {
	struct dm *dm;
	struct piix_ide *ide;
	struct dm_drive drives[4];
	struct blk *blks[MAX_MEDIA];
	unsigned int nr_blks;
};

/* Set up once per process. */
static char dir[128];
static const char disk_path[] = "disk.img", cd1_path[] = "cd1.iso",
		  cd2_path[] = "cd2.iso";
static int disk_fd = -1, cd1_fd = -1, cd2_fd = -1;

/* ------------------------------------------------- AIO contexts, pooled */

/*
 * libaio's io_setup() and io_destroy(), interposed for the block backend
 * linked into this program.  io_destroy() waits for an RCU grace period
 * (some 30 ms on the development hosts, one after the other), which
 * would hold this target to a few inputs a second with two or three
 * media per input.  blk_close() destroys a context only after every
 * request on it has completed and been reaped, so an idle context can be
 * kept and handed to the next io_setup() of the same size.
 */
#define MAX_CTX 64

/* Every context made, with its size; the idle ones are pooled. */
static struct {
	io_context_t ctx;
	int nr;
	bool idle;
} ctxs[MAX_CTX];
static unsigned int nr_ctxs;

int io_setup(int nr, io_context_t *ctx)
{
	for (unsigned int i = 0; i < nr_ctxs; i++) {
		if (ctxs[i].idle && ctxs[i].nr == nr) {
			ctxs[i].idle = false;
			*ctx = ctxs[i].ctx;
			return 0;
		}
	}
	*ctx = 0;
	if (syscall(SYS_io_setup, nr, ctx) < 0)
		return -errno;
	if (nr_ctxs < MAX_CTX) {
		ctxs[nr_ctxs].ctx = *ctx;
		ctxs[nr_ctxs].nr = nr;
		ctxs[nr_ctxs].idle = false;
		nr_ctxs++;
	}
	return 0;
}

int io_destroy(io_context_t ctx)
{
	for (unsigned int i = 0; i < nr_ctxs; i++) {
		if (ctxs[i].ctx == ctx && !ctxs[i].idle) {
			ctxs[i].idle = true;
			return 0;
		}
	}
	return syscall(SYS_io_destroy, ctx) < 0 ? -errno : 0;
}

/* ------------------------------------------------------------ images */

static void die(const char *what)
{
	fprintf(stderr, "fuzz-ide: %s\n", what);
	abort();
}

/* Creates name in dir with size bytes (a pattern, or sparse zeros),
 * opens it with flags and unlinks it: the images need no cleanup, even
 * after a crash. */
static int image_fd(const char *name, size_t size, bool pattern, int flags)
{
	char path[256];
	uint8_t *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		die("cannot create an image");
	if (pattern) {
		buf = malloc(size);
		if (!buf)
			die("out of memory");
		for (size_t i = 0; i < size; i++)
			buf[i] = (uint8_t)(i / 512 * 7 + i);
		if (pwrite(fd, buf, size, 0) != (ssize_t)size)
			die("cannot write an image");
		free(buf);
	}
	close(fd);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		die("cannot open an image");
	unlink(path);
	return fd;
}

static void images_create(void)
{
	struct stat st;
	const char *tmp = getenv("TMPDIR");

	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK) == 0)
		tmp = "/dev/shm";
	snprintf(dir, sizeof(dir), "%s/hvmkit-fuzz-ide.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		die("cannot make a temporary directory");
	cd1_fd = image_fd(cd1_path, CD1_SIZE, true, O_RDONLY);
	cd2_fd = image_fd(cd2_path, CD2_SIZE, true, O_RDONLY);
	disk_fd = image_fd(disk_path, DISK_SIZE, false, O_RDWR);
	rmdir(dir);
}

/* A medium on a new descriptor of the image (as the hypervisor hands
 * them over for cd-insert); name is for messages. */
static struct blk *media_open(struct rig *r, int fd, const char *name,
			      bool read_only)
{
	struct blk_config cfg = {
		.path = name,
		.read_only = read_only,
		.no_direct = true,
	};
	char err[256];
	struct blk *b;

	if (r->nr_blks == MAX_MEDIA)
		return NULL;
	cfg.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (cfg.fd < 0)
		die("cannot duplicate an image descriptor");
	b = blk_open(r->dm, &cfg, err, sizeof(err));
	if (!b) {
		fprintf(stderr, "fuzz-ide: %s\n", err);
		abort();
	}
	r->blks[r->nr_blks++] = b;
	return b;
}

/* ------------------------------------------------------------ the rig */

static void drive_add(struct rig *r, unsigned int idx, bool cdrom,
		      struct blk *b, const char *path)
{
	struct dm_drive *d = &r->drives[idx];

	snprintf(d->vdev, sizeof(d->vdev), "%s", vdevs[idx]);
	d->cdrom = cdrom;
	d->read_only = cdrom || (b && blk_read_only(b));
	d->target = path ? path : "";
	d->blk = b;
	if (!fake_drive_add(r->dm, d))
		die("fake_drive_add failed");
}

static void rig_create(struct rig *r, uint8_t config)
{
	memset(r, 0, sizeof(*r));
	/* A fresh, zeroed disk for every input. */
	if (ftruncate(disk_fd, 0) < 0 || ftruncate(disk_fd, DISK_SIZE) < 0)
		die("cannot reset the disk image");
	r->dm = fake_dm_new(RAM_SIZE);
	if (!r->dm)
		die("out of memory");
	drive_add(r, 0, false,
		  media_open(r, disk_fd, disk_path, config & 4), disk_path);
	if (config & 1)
		drive_add(r, 1, true, media_open(r, cd2_fd, cd2_path, true),
			  cd2_path);
	drive_add(r, 2, true, media_open(r, cd1_fd, cd1_path, true),
		  cd1_path);
	if (config & 2)
		drive_add(r, 3, true, NULL, NULL);
	r->ide = piix_ide_create(r->dm, IDE_DEVFN);
	if (!r->ide)
		die("piix_ide_create failed");
	fake_pci_config_write(r->dm, IDE_DEVFN, 0x20, 4, BM_BASE | 1);
	fake_pci_config_write(r->dm, IDE_DEVFN, 0x04, 2, 0x0005);
	fake_dm_start(r->dm);
}

static void rig_destroy(struct rig *r)
{
	piix_ide_destroy(r->ide);
	for (unsigned int i = 0; i < r->nr_blks; i++)
		blk_close(r->blks[i]);
	/* Every claim, timer and watch must have been given back. */
	if (!fake_dm_free(r->dm))
		die("resources left behind");
}

/* ---------------------------------------------------------- operations */

/* The fixed ports, then the bus-master block. */
static bool op_pio(struct rig *r, struct input *in, unsigned int size,
		   bool write)
{
	uint16_t port;

	return fuzz_pick_port(in, fixed_ports, NR_FIXED_PORTS, BM_BASE,
			      NR_BM_PORTS, &port) &&
	       fuzz_pio(r->dm, in, port, size, write);
}

static bool op_pci(struct rig *r, struct input *in, unsigned int size,
		   bool write)
{
	uint8_t offset;

	return take_u8(in, &offset) &&
	       fuzz_pci(r->dm, in, IDE_DEVFN, offset, size, write);
}

static bool op_prd(struct rig *r, struct input *in)
{
	uint8_t *ram = fake_ram(r->dm);
	uint32_t table, addr;
	uint64_t count;
	uint8_t n, flags, ch;

	if (!take_u32(in, &table) || !take_u8(in, &n))
		return false;
	ch = n >> 7;
	table = (table % RAM_SIZE) & ~3u;
	n = (uint8_t)((n & 0x7f) % 17);
	for (unsigned int i = 0; i < n; i++) {
		uint32_t at = table + 8 * i;

		if (!take_u32(in, &addr) || !take_le(in, &count, 2) ||
		    !take_u8(in, &flags))
			return false;
		if (flags & 2)
			addr %= RAM_SIZE;
		/* Entries that would run past RAM are left out; the table
		 * then goes on with whatever RAM holds (or ends at RAM's
		 * end), which the device must survive too. */
		if (at + 8 > RAM_SIZE)
			break;
		for (int j = 0; j < 4; j++)
			ram[at + j] = (uint8_t)(addr >> (8 * j));
		ram[at + 4] = (uint8_t)count;
		ram[at + 5] = (uint8_t)(count >> 8);
		ram[at + 6] = 0;
		ram[at + 7] = flags & 1 ? 0x80 : 0;
	}
	fake_pio_write(r->dm, BM_BASE + 8 * ch + 4, table, 4);
	return true;
}

/* Runs the completions that are ready.  Reads and writes of the images
 * (buffered, on tmpfs or a page-cached file) complete inside io_submit();
 * only flushes go through the backend's thread, which wait gives a few
 * chances to finish, without sleeping. */
static void poll_completions(struct rig *r, bool wait)
{
	if (!fake_fd_watch_count(r->dm))
		return;
	for (unsigned int i = 0; i < (wait ? 4u : 1u); i++) {
		if (fake_fd_poll_idle(r->dm, 8) > 0)
			break;
		if (wait)
			sched_yield();
	}
}

static bool op_reset(struct rig *r, struct input *in)
{
	uint8_t c;
	uint16_t ctl;

	if (!take_u8(in, &c))
		return false;
	switch (c & 3) {
	case 0:
		piix_ide_reset(r->ide);
		break;
	case 1:
		fake_pci_reset(r->dm);
		fake_pci_config_write(r->dm, IDE_DEVFN, 0x20, 4, BM_BASE | 1);
		fake_pci_config_write(r->dm, IDE_DEVFN, 0x04, 2, 0x0005);
		break;
	default:
		ctl = c & 4 ? 0x376 : 0x3f6;
		fake_pio_write(r->dm, ctl, 0x04, 1);
		fake_pio_write(r->dm, ctl, 0x00, 1);
		break;
	}
	return true;
}

static bool op_media(struct rig *r, struct input *in)
{
	static const unsigned int drive_of[4] = { 1, 2, 3, 2 };
	struct blk *b = NULL;
	char why[256];
	uint8_t c;

	if (!take_u8(in, &c))
		return false;
	switch ((c >> 2) & 3) {
	case 1:
		b = media_open(r, cd1_fd, cd1_path, true);
		break;
	case 2:
		b = media_open(r, cd2_fd, cd2_path, true);
		break;
	case 3:
		b = media_open(r, cd1_fd, cd1_path, true);
		break;
	}
	if (((c >> 2) & 3) && !b)
		return true; /* out of media for this run */
	/* Refusals (no such drive, a locked tray) are fine; the medium
	 * stays ours either way and is closed at the end. */
	fake_drive_change_media(r->dm, vdevs[drive_of[c & 3]], b, why,
				sizeof(why));
	return true;
}

static bool op_burst(struct rig *r, struct input *in, unsigned int size)
{
	uint64_t count;
	uint8_t c;
	uint16_t port;

	if (!take_u8(in, &c) || !take_le(in, &count, 2))
		return false;
	port = c & 1 ? 0x170 : 0x1f0;
	count %= MAX_BURST + 1;
	for (unsigned int i = 0; i < count; i++) {
		if (c & 2)
			fake_pio_write(r->dm, port, i * 0x01010101u, size);
		else
			fake_pio_read(r->dm, port, size);
	}
	return true;
}

static bool op_ata(struct rig *r, struct input *in)
{
	uint8_t c, cmd, feature, count;
	uint32_t lba;
	uint16_t base;

	if (!take_u8(in, &c) || !take_u8(in, &cmd) || !take_u8(in, &feature) ||
	    !take_u8(in, &count) || !take_u32(in, &lba))
		return false;
	base = c & 1 ? 0x170 : 0x1f0;
	if (c & 4) {
		fake_pio_write(r->dm, base + 6, 0x40 | (c & 2) << 3, 1);
		fake_pio_write(r->dm, base + 1, 0, 1);
		fake_pio_write(r->dm, base + 1, feature, 1);
		fake_pio_write(r->dm, base + 2, count >> 4, 1);
		fake_pio_write(r->dm, base + 2, count, 1);
		fake_pio_write(r->dm, base + 3, lba >> 24, 1);
		fake_pio_write(r->dm, base + 3, lba, 1);
		fake_pio_write(r->dm, base + 4, c >> 3, 1);
		fake_pio_write(r->dm, base + 4, lba >> 8, 1);
		fake_pio_write(r->dm, base + 5, 0, 1);
		fake_pio_write(r->dm, base + 5, lba >> 16, 1);
	} else {
		fake_pio_write(r->dm, base + 6, 0xe0 | (c & 2) << 3 |
			       ((lba >> 24) & 0x0f), 1);
		fake_pio_write(r->dm, base + 1, feature, 1);
		fake_pio_write(r->dm, base + 2, count, 1);
		fake_pio_write(r->dm, base + 3, lba, 1);
		fake_pio_write(r->dm, base + 4, lba >> 8, 1);
		fake_pio_write(r->dm, base + 5, lba >> 16, 1);
	}
	fake_pio_write(r->dm, base + 7, cmd, 1);
	return true;
}

static bool op_packet(struct rig *r, struct input *in)
{
	uint8_t c, features, cdb[12];
	uint64_t bcl;
	uint16_t base;

	if (!take_u8(in, &c) || !take_u8(in, &features) ||
	    !take_le(in, &bcl, 2) || !take(in, cdb, sizeof(cdb)))
		return false;
	base = c & 1 ? 0x170 : 0x1f0;
	fake_pio_write(r->dm, base + 6, 0xa0 | (c & 2) << 3, 1);
	fake_pio_write(r->dm, base + 1, features, 1);
	fake_pio_write(r->dm, base + 4, bcl, 1);
	fake_pio_write(r->dm, base + 5, bcl >> 8, 1);
	fake_pio_write(r->dm, base + 7, 0xa0, 1);
	for (unsigned int i = 0; i < PACKET_SPINS; i++) {
		uint8_t st = (uint8_t)fake_pio_read(r->dm, base + 0x206, 1);

		if (!(st & 0x80))
			break;
		poll_completions(r, true);
	}
	for (unsigned int i = 0; i < 12; i += 2)
		fake_pio_write(r->dm, base, cdb[i] | cdb[i + 1] << 8, 2);
	return true;
}

static bool run_op(struct rig *r, struct input *in)
{
	unsigned int size;
	uint32_t v;
	uint8_t opcode, b;

	if (!take_u8(in, &opcode))
		return false;
	size = fuzz_access_size(opcode);
	switch ((opcode & 0x0f) % NR_OPS) {
	case OP_PIO_READ:
		return op_pio(r, in, size, false);
	case OP_PIO_WRITE:
		return op_pio(r, in, size, true);
	case OP_PCI_READ:
		return op_pci(r, in, size, false);
	case OP_PCI_WRITE:
		return op_pci(r, in, size, true);
	case OP_RAM_WRITE:
		return fuzz_ram_write(r->dm, in, RAM_SIZE);
	case OP_PRD:
		return op_prd(r, in);
	case OP_POLL:
		if (!take_u8(in, &b))
			return false;
		poll_completions(r, b & 1);
		return true;
	case OP_RESET:
		return op_reset(r, in);
	case OP_MEDIA:
		return op_media(r, in);
	case OP_BURST:
		return op_burst(r, in, size);
	case OP_ATA:
		return op_ata(r, in);
	case OP_PACKET:
		return op_packet(r, in);
	case OP_CLOCK:
		if (!take_u32(in, &v))
			return false;
		fake_clock_advance(r->dm, v);
		return true;
	case OP_BM_CMD:
		if (!take_u8(in, &b) || !take_u8(in, &opcode))
			return false;
		fake_pio_write(r->dm, BM_BASE + (b & 1) * 8, opcode, 1);
		return true;
	}
	return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init("fuzz-ide", "FUZZ_IDE_VERBOSE");
	images_create();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .p = data, .left = size };
	struct rig r;
	uint8_t config = 0;

	take_u8(&in, &config);
	rig_create(&r, config);
	for (unsigned int i = 0; i < MAX_OPS && run_op(&r, &in); i++)
		;
	rig_destroy(&r);
	return 0;
}
