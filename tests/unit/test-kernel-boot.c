/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of direct kernel boot (devmodel/kernel-boot.c) and its option
 * ROM (firmware/linuxboot/linuxboot.S).  Synthetic bzImages (a setup area
 * with a boot protocol 2.15 header, then a patterned protected-mode part)
 * are written to a temporary directory; kernel_boot_setup() puts them into
 * a real fw_cfg (devmodel/fw-cfg.c) on the fake device model, and the
 * tests read every item back through the fw_cfg ports as firmware would:
 * the setup header fields a loader writes (Linux boot.rst), the layout,
 * the initrd placement, the command line, the option ROM's header, PnP
 * header and checksums; and every bad input gives -1 with one error line
 * and no items.
 *
 * Where /dev/kvm can be used, the option ROM itself runs: a KVM vCPU in
 * real mode starts at the ROM's boot entry (BEV) with its port I/O
 * forwarded to the fake device model (fw_cfg DMA lands in the fake's RAM,
 * copied to and from the VM's memory around each DMA doorbell), and a
 * small INT 15h E801h stub in place of the BIOS.  The synthetic setup code
 * halts at once, so the test sees the state the ROM hands to the kernel.
 * Without KVM those tests are skipped.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "fake-dm.h"
#include "hvmkit/log.h"
#include "pc.h"

#define MiB        (1024u * 1024u)
#define RAM_SIZE   (32 * MiB)   /* the fake's RAM (used by the KVM runs) */
#define ACPI_ROOM  0x28000u     /* what kernel-boot.c leaves at the top */

/* Setup header offsets (Linux Documentation/arch/x86/boot.rst). */
#define H_SETUP_SECTS     0x1f1
#define H_VID_MODE        0x1fa
#define H_BOOT_FLAG       0x1fe
#define H_JUMP            0x200
#define H_HEADER          0x202
#define H_VERSION         0x206
#define H_TYPE_OF_LOADER  0x210
#define H_LOADFLAGS       0x211
#define H_CODE32_START    0x214
#define H_RAMDISK_IMAGE   0x218
#define H_RAMDISK_SIZE    0x21c
#define H_HEAP_END_PTR    0x224
#define H_CMD_LINE_PTR    0x228
#define H_INITRD_ADDR_MAX 0x22c
#define H_XLOADFLAGS      0x236
#define H_CMDLINE_SIZE    0x238
#define H_KERNEL_INFO     0x268
#define SETUP_HLT         0x280 /* where the synthetic setup code halts */

/* --------------------------------------------------------- error lines */

/* ------------------------------------------------------------ fixtures */

struct fx {
	struct dm *dm;
	struct fw_cfg *c;
	char dir[64];
	char kernel[128];
	char initrd[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fake_errors_capture();
	snprintf(f->dir, sizeof(f->dir), "/tmp/hvmkit-kboot-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->kernel, sizeof(f->kernel), "%s/bzImage", f->dir);
	snprintf(f->initrd, sizeof(f->initrd), "%s/initrd", f->dir);
	f->dm = fake_dm_new(RAM_SIZE);
	if (!f->dm)
		return -1;
	f->c = fw_cfg_create(f->dm);
	if (!f->c)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	bool clean;

	fw_cfg_destroy(f->c);
	clean = fake_dm_free(f->dm);
	unlink(f->kernel);
	unlink(f->initrd);
	rmdir(f->dir);
	fake_errors_release();
	free(f);
	return clean ? 0 : -1;
}

/* ------------------------------------------------------------- helpers */

static uint16_t le16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Bytes that differ between neighbours and between files (seed). */
static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 131 + (i >> 8) * 7 + seed);
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A file of len patterned bytes. */
static uint8_t *write_pattern_file(const char *path, size_t len,
				   unsigned int seed)
{
	uint8_t *d = malloc(len ? len : 1);

	assert_non_null(d);
	for (size_t i = 0; i < len; i++)
		d[i] = pattern(i, seed);
	write_file(path, d, len);
	return d;
}

/* What the synthetic bzImage looks like. */
struct kimg {
	unsigned int setup_sects;  /* as stored (0 means 4) */
	uint16_t version;
	uint8_t loadflags;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	size_t pm_len;             /* protected-mode part */
	bool no_magic;
	size_t truncate;           /* write only this many bytes if set */
};

static const struct kimg default_kimg = {
	.setup_sects = 8,
	.version = 0x020f,
	.loadflags = 0x01,         /* LOADED_HIGH */
	.initrd_addr_max = 0x7fffffff,
	.cmdline_size = 2047,
	.pm_len = 100003,
};

/* Writes f->kernel; returns its bytes (the caller frees) and length. */
static uint8_t *write_kernel(struct fx *f, const struct kimg *k,
			     size_t *len)
{
	unsigned int sects = k->setup_sects ? k->setup_sects : 4;
	size_t setup_len = (sects + 1) * 512;
	size_t n = setup_len + k->pm_len;
	uint8_t *d = malloc(n);

	assert_non_null(d);
	for (size_t i = 0; i < n; i++)
		d[i] = pattern(i, 1);
	d[H_SETUP_SECTS] = (uint8_t)k->setup_sects;
	put_le16(d + H_VID_MODE, 0x1234);      /* the loader replaces it */
	put_le16(d + H_BOOT_FLAG, 0xaa55);
	d[H_JUMP] = 0xeb;                      /* jmp to SETUP_HLT */
	d[H_JUMP + 1] = SETUP_HLT - (H_JUMP + 2);
	if (k->no_magic)
		memcpy(d + H_HEADER, "HdrT", 4);
	else
		memcpy(d + H_HEADER, "HdrS", 4);
	put_le16(d + H_VERSION, k->version);
	d[H_TYPE_OF_LOADER] = 0;
	d[H_LOADFLAGS] = k->loadflags;
	put_le32(d + H_CODE32_START, 0x100000);
	put_le32(d + H_RAMDISK_IMAGE, 0xdeadbeef); /* must be rewritten */
	put_le32(d + H_RAMDISK_SIZE, 0xfeedface);
	put_le16(d + H_HEAP_END_PTR, 0);
	put_le32(d + H_CMD_LINE_PTR, 0);
	put_le32(d + H_INITRD_ADDR_MAX, k->initrd_addr_max);
	put_le16(d + H_XLOADFLAGS, 0x0003);
	put_le32(d + H_CMDLINE_SIZE, k->cmdline_size);
	put_le32(d + H_KERNEL_INFO, 0);
	d[SETUP_HLT] = 0xf4;                   /* hlt */
	if (k->truncate)
		n = k->truncate;
	write_file(f->kernel, d, n);
	*len = n;
	return d;
}

/* ---------------------------------------------------- fw_cfg, as a guest */

static void fw_select(struct dm *dm, uint16_t key)
{
	fake_pio_write(dm, FW_CFG_PORT_SEL, key, 2);
}

/* len bytes of item key (the caller frees). */
static uint8_t *fw_read(struct dm *dm, uint16_t key, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	assert_non_null(d);
	fw_select(dm, key);
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)fake_pio_read(dm, FW_CFG_PORT_DATA, 1);
	return d;
}

static uint32_t fw_read32(struct dm *dm, uint16_t key)
{
	uint8_t *d = fw_read(dm, key, 4);
	uint32_t v = le32_at(d);

	free(d);
	return v;
}

static uint32_t fw_file_count(struct dm *dm)
{
	uint8_t *d = fw_read(dm, FW_CFG_FILE_DIR, 4);
	uint32_t n = be32_at(d);

	free(d);
	return n;
}

/* Finds a file in the directory: its key and size. */
static bool fw_find_file(struct dm *dm, const char *name, uint16_t *key,
			 uint32_t *size)
{
	uint32_t n = fw_file_count(dm);
	uint8_t *dir = fw_read(dm, FW_CFG_FILE_DIR, 4 + 64 * (size_t)n);
	bool found = false;

	for (uint32_t i = 0; i < n && !found; i++) {
		const uint8_t *e = dir + 4 + 64 * i;

		if (strncmp((const char *)e + 8, name, 56))
			continue;
		*size = be32_at(e);
		*key = (uint16_t)(e[4] << 8 | e[5]);
		found = true;
	}
	free(dir);
	return found;
}

/* The option ROM as the firmware gets it (the caller frees). */
static uint8_t *fw_read_rom(struct dm *dm, uint32_t *size)
{
	uint16_t key = 0;

	assert_true(fw_find_file(dm, "genroms/linuxboot.bin", &key, size));
	return fw_read(dm, key, *size);
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* A fresh fw_cfg, for another kernel_boot_setup() (it adds a file, which
 * cannot be added twice). */
static void reset_fw_cfg(struct fx *f)
{
	fw_cfg_destroy(f->c);
	f->c = fw_cfg_create(f->dm);
	assert_non_null(f->c);
}

/* Runs kernel_boot_setup() on f's files. */
static int boot_setup(struct fx *f, bool with_initrd, const char *cmdline,
		      uint64_t ram_below_4g)
{
	struct kernel_boot_config cfg = {
		.kernel = f->kernel,
		.initrd = with_initrd ? f->initrd : NULL,
		.cmdline = cmdline,
		.ram_below_4g = ram_below_4g,
	};

	return kernel_boot_setup(f->c, &cfg);
}

/* The setup area the loader should produce from the file's. */
static void expect_setup(uint8_t *setup, uint32_t initrd_addr,
			 uint32_t initrd_size, uint16_t vid_mode)
{
	put_le16(setup + H_VID_MODE, vid_mode);
	setup[H_TYPE_OF_LOADER] = 0xb0;
	setup[H_LOADFLAGS] |= 0x80;
	put_le16(setup + H_HEAP_END_PTR, 0xfe00);
	put_le32(setup + H_CMD_LINE_PTR, 0x20000);
	put_le32(setup + H_RAMDISK_IMAGE, initrd_addr);
	put_le32(setup + H_RAMDISK_SIZE, initrd_size);
}

/* Checks the setup, kernel and command line items against the file. */
static void check_items(struct fx *f, const uint8_t *file, size_t setup_len,
			size_t pm_len, uint32_t initrd_addr,
			uint32_t initrd_size, uint16_t vid_mode,
			const char *cmdline)
{
	uint8_t *want = malloc(setup_len), *got;
	size_t cl = strlen(cmdline) + 1;

	assert_non_null(want);
	memcpy(want, file, setup_len);
	expect_setup(want, initrd_addr, initrd_size, vid_mode);

	assert_int_equal(fw_read32(f->dm, FW_CFG_SETUP_ADDR), 0x10000);
	assert_int_equal(fw_read32(f->dm, FW_CFG_SETUP_SIZE), setup_len);
	got = fw_read(f->dm, FW_CFG_SETUP_DATA, setup_len);
	/* Field by field first, for a readable failure; then the rest. */
	assert_int_equal(got[H_TYPE_OF_LOADER], 0xb0);
	assert_int_equal(got[H_LOADFLAGS], file[H_LOADFLAGS] | 0x80);
	assert_int_equal(le16_at(got + H_HEAP_END_PTR), 0xfe00);
	assert_int_equal(le32_at(got + H_CMD_LINE_PTR), 0x20000);
	assert_int_equal(le32_at(got + H_RAMDISK_IMAGE), initrd_addr);
	assert_int_equal(le32_at(got + H_RAMDISK_SIZE), initrd_size);
	assert_int_equal(le16_at(got + H_VID_MODE), vid_mode);
	assert_memory_equal(got, want, setup_len);
	free(got);
	free(want);

	assert_int_equal(fw_read32(f->dm, FW_CFG_KERNEL_ADDR), 0x100000);
	assert_int_equal(fw_read32(f->dm, FW_CFG_KERNEL_SIZE), pm_len);
	got = fw_read(f->dm, FW_CFG_KERNEL_DATA, pm_len);
	assert_memory_equal(got, file + setup_len, pm_len);
	free(got);
	assert_int_equal(fw_read32(f->dm, FW_CFG_KERNEL_ENTRY), 0x100000);

	assert_int_equal(fw_read32(f->dm, FW_CFG_CMDLINE_ADDR), 0x20000);
	assert_int_equal(fw_read32(f->dm, FW_CFG_CMDLINE_SIZE), cl);
	got = fw_read(f->dm, FW_CFG_CMDLINE_DATA, cl);
	assert_memory_equal(got, cmdline, cl);
	free(got);
}

/* -------------------------------------------------------------- layout */

/* Everything in place: header fields, addresses, initrd at the top of
 * RAM less the ACPI room (initrd_addr_max is higher), 4 KiB aligned. */
static void test_layout_with_initrd(void **state)
{
	struct fx *f = *state;
	const char *cmdline = "console=ttyS0 root=/dev/ram0 rw";
	const uint64_t ram = 64 * MiB;
	const size_t initrd_len = 300001;
	size_t len, setup_len = 9 * 512;
	uint8_t *file = write_kernel(f, &default_kimg, &len);
	uint8_t *initrd = write_pattern_file(f->initrd, initrd_len, 2);
	uint32_t addr, top = (uint32_t)(ram - ACPI_ROOM);
	uint8_t *got;

	assert_int_equal(boot_setup(f, true, cmdline, ram), 0);
	assert_int_equal(fake_nr_errors, 0);

	addr = fw_read32(f->dm, FW_CFG_INITRD_ADDR);
	assert_int_equal(addr & 0xfff, 0);
	assert_true(addr + initrd_len <= top);
	assert_true(addr + initrd_len > top - 0x1000); /* at the very top */
	assert_int_equal(addr, (top - initrd_len) & ~0xfffu);
	assert_int_equal(fw_read32(f->dm, FW_CFG_INITRD_SIZE), initrd_len);
	got = fw_read(f->dm, FW_CFG_INITRD_DATA, initrd_len);
	assert_memory_equal(got, initrd, initrd_len);
	free(got);

	check_items(f, file, setup_len, len - setup_len, addr,
		    (uint32_t)initrd_len, 0xffff, cmdline);
	free(initrd);
	free(file);
}

/* initrd_addr_max below the top of RAM is the limit then. */
static void test_initrd_addr_max(void **state)
{
	struct fx *f = *state;
	struct kimg k = default_kimg;
	size_t len;
	uint8_t *file, *initrd;
	uint32_t addr;

	k.initrd_addr_max = 0x37ffffff;        /* boot.rst's old default */
	file = write_kernel(f, &k, &len);
	initrd = write_pattern_file(f->initrd, 8192, 3);
	assert_int_equal(boot_setup(f, true, "", 0xc0000000), 0);
	addr = fw_read32(f->dm, FW_CFG_INITRD_ADDR);
	assert_int_equal(addr, 0x38000000 - 8192);
	assert_true(addr + 8192 - 1 <= k.initrd_addr_max);
	free(initrd);
	free(file);
}

/* No initrd, no command line: an empty string, initrd keys 0, the
 * header's ramdisk fields cleared, setup_sects 0 meaning 4. */
static void test_no_initrd_no_cmdline(void **state)
{
	struct fx *f = *state;
	struct kimg k = default_kimg;
	size_t len;
	uint8_t *file;

	k.setup_sects = 0;
	file = write_kernel(f, &k, &len);
	assert_int_equal(boot_setup(f, false, NULL, 64 * MiB), 0);
	assert_int_equal(fw_read32(f->dm, FW_CFG_INITRD_ADDR), 0);
	assert_int_equal(fw_read32(f->dm, FW_CFG_INITRD_SIZE), 0);
	check_items(f, file, 5 * 512, len - 5 * 512, 0, 0, 0xffff, "");
	free(file);
}

/* vga= sets vid_mode (boot.rst "Special Command Line Options"). */
static void test_vga_option(void **state)
{
	static const struct {
		const char *cmdline;
		uint16_t mode;
	} cases[] = {
		{ "vga=ext", 0xfffe },
		{ "quiet vga=ask", 0xfffd },
		{ "vga=normal console=ttyS0", 0xffff },
		{ "vga=0x317", 0x317 },
		{ "vga=791 vga=ext", 0xfffe },   /* the last one wins */
		{ "xvga=5", 0xffff },            /* not the vga= option */
	};
	struct fx *f = *state;
	size_t len;
	uint8_t *file = write_kernel(f, &default_kimg, &len);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *setup;

		reset_fw_cfg(f);
		assert_int_equal(boot_setup(f, false, cases[i].cmdline,
					    64 * MiB), 0);
		setup = fw_read(f->dm, FW_CFG_SETUP_DATA, 0x240);
		assert_int_equal(le16_at(setup + H_VID_MODE), cases[i].mode);
		free(setup);
	}
	assert_int_equal(fake_nr_errors, 0);
	free(file);
}

/* The command line may be exactly cmdline_size characters long. */
static void test_cmdline_at_limit(void **state)
{
	struct fx *f = *state;
	struct kimg k = default_kimg;
	char line[17];
	size_t len;
	uint8_t *file, *got;

	k.cmdline_size = 16;
	file = write_kernel(f, &k, &len);
	memset(line, 'a', 16);
	line[16] = '\0';
	assert_int_equal(boot_setup(f, false, line, 64 * MiB), 0);
	assert_int_equal(fw_read32(f->dm, FW_CFG_CMDLINE_SIZE), 17);
	got = fw_read(f->dm, FW_CFG_CMDLINE_DATA, 17);
	assert_memory_equal(got, line, 17);
	free(got);
	free(file);
}

/* ---------------------------------------------------------- option ROM */

static void test_option_rom(void **state)
{
	struct fx *f = *state;
	size_t len, raw = (size_t)(linuxboot_rom_end - linuxboot_rom);
	uint8_t *file = write_kernel(f, &default_kimg, &len);
	uint32_t size;
	uint8_t *rom;
	unsigned int pnp, plen, bev, name;

	assert_int_equal(boot_setup(f, false, "", 64 * MiB), 0);
	rom = fw_read_rom(f->dm, &size);

	/* Option ROM header: 55 AA, size in 512-byte blocks, init entry a
	 * far return, no PCI data structure; the whole sums to 0. */
	assert_int_equal(size % 512, 0);
	assert_true(size > raw);                /* room for the checksum */
	assert_int_equal(rom[0], 0x55);
	assert_int_equal(rom[1], 0xaa);
	assert_int_equal(rom[2] * 512u, size);
	assert_int_equal(rom[3], 0xcb);         /* retf */
	assert_int_equal(le16_at(rom + 0x18), 0);
	assert_int_equal(sum8(rom, size), 0);

	/* PnP expansion header: "$PnP", revision 1, length in 16-byte
	 * units, its own checksum, a product name and a BEV. */
	pnp = le16_at(rom + 0x1a);
	assert_int_equal(pnp % 16, 0);
	assert_true(pnp + 0x20 <= raw);
	assert_memory_equal(rom + pnp, "$PnP", 4);
	assert_int_equal(rom[pnp + 4], 1);
	plen = rom[pnp + 5] * 16u;
	assert_int_equal(plen, 0x20);
	assert_int_equal(le16_at(rom + pnp + 6), 0);     /* no next header */
	assert_int_equal(sum8(rom + pnp, plen), 0);
	name = le16_at(rom + pnp + 0x10);
	assert_true(name > 0 && name < raw);
	assert_string_equal((const char *)rom + name, "hvmkit Linux loader");
	assert_int_equal(le16_at(rom + pnp + 0x16), 0);  /* no BCV */
	bev = le16_at(rom + pnp + 0x1a);
	assert_true(bev > pnp + plen && bev < raw);
	assert_int_equal(rom[bev], 0xfa);                /* cli */

	/* Otherwise the bytes that were built, padded with zeros. */
	for (size_t i = 0; i < size - 1; i++) {
		uint8_t want = i < raw ? linuxboot_rom[i] : 0;

		if (i == 2 || i == pnp + 9)
			continue;
		assert_int_equal(rom[i], want);
	}
	free(rom);
	free(file);
}

/* -------------------------------------------------------------- errors */

/* Expects one error line that mentions what, and no item added; why
 * names the case in a failure message. */
static void expect_error(struct fx *f, int ret, const char *what,
			 const char *why)
{
	if (ret != -1)
		fail_msg("%s: returned %d, not -1", why, ret);
	if (fake_nr_errors != 1)
		fail_msg("%s: %u error lines, not 1", why, fake_nr_errors);
	if (!strstr(fake_last_error, what))
		fail_msg("%s: error \"%s\" does not mention \"%s\"", why,
			 fake_last_error, what);
	assert_int_equal(fw_file_count(f->dm), 0);
	assert_int_equal(fw_read32(f->dm, FW_CFG_KERNEL_SIZE), 0);
	assert_int_equal(fw_read32(f->dm, FW_CFG_SETUP_SIZE), 0);
	fake_nr_errors = 0;
	fake_last_error[0] = '\0';
}

static void bad_kernel(struct fx *f, const struct kimg *k, const char *why)
{
	size_t len;
	uint8_t *file = write_kernel(f, k, &len);

	expect_error(f, boot_setup(f, false, "", 64 * MiB), f->kernel, why);
	free(file);
}

static void test_bad_kernels(void **state)
{
	struct fx *f = *state;
	struct kimg k;

	/* Cannot open; not a regular file. */
	expect_error(f, boot_setup(f, false, "", 64 * MiB), f->kernel,
		     "no such file");
	expect_error(f, kernel_boot_setup(f->c, &(struct kernel_boot_config){
			.kernel = f->dir, .ram_below_4g = 64 * MiB }), f->dir,
		     "a directory");

	k = default_kimg;
	k.truncate = 0x200;
	bad_kernel(f, &k, "too small for the header");
	k = default_kimg;
	k.no_magic = true;
	bad_kernel(f, &k, "no HdrS");
	k = default_kimg;
	k.version = 0x0205;
	bad_kernel(f, &k, "protocol older than 2.06");
	k = default_kimg;
	k.loadflags = 0;
	bad_kernel(f, &k, "zImage");
	k = default_kimg;
	k.setup_sects = 64;
	bad_kernel(f, &k, "setup over 32 KiB");
	k = default_kimg;
	k.truncate = 9 * 512;
	bad_kernel(f, &k, "setup only, no protected-mode kernel");
	k = default_kimg;
	k.truncate = 9 * 512 - 1;
	bad_kernel(f, &k, "setup cut short");
}

static void test_bad_initrds(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *file = write_kernel(f, &default_kimg, &len);
	uint8_t *initrd;
	int fd;

	/* Missing, empty. */
	expect_error(f, boot_setup(f, true, "", 64 * MiB), f->initrd,
		     "no such initrd");
	write_file(f->initrd, "", 0);
	expect_error(f, boot_setup(f, true, "", 64 * MiB), f->initrd,
		     "empty initrd");

	/* Larger than the window below RAM's top (sparse file). */
	fd = open(f->initrd, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 * MiB), 0);
	close(fd);
	expect_error(f, boot_setup(f, true, "", 64 * MiB), f->initrd,
		     "initrd as large as RAM");

	/* Fits under RAM's top but would overlap the kernel at 1 MiB. */
	initrd = write_pattern_file(f->initrd, 2 * MiB - ACPI_ROOM - MiB, 4);
	expect_error(f, boot_setup(f, true, "", 2 * MiB), f->initrd,
		     "initrd over the kernel");
	free(initrd);
	free(file);
}

static void test_bad_memory_and_cmdline(void **state)
{
	struct fx *f = *state;
	struct kimg k = default_kimg;
	char line[18];
	size_t len;
	uint8_t *file;

	k.cmdline_size = 16;
	file = write_kernel(f, &k, &len);

	/* The protected-mode kernel does not fit in RAM. */
	expect_error(f, boot_setup(f, false, "", MiB + 0x10000), f->kernel,
		     "kernel beyond RAM");

	/* One character over cmdline_size. */
	memset(line, 'a', 17);
	line[17] = '\0';
	expect_error(f, boot_setup(f, false, line, 64 * MiB), "command line",
		     "command line too long");

	/* A vga= value that is not a mode. */
	expect_error(f, boot_setup(f, false, "vga=big", 64 * MiB), "vga=",
		     "vga=big");
	expect_error(f, boot_setup(f, false, "vga=0x10000", 64 * MiB),
		     "vga=", "vga=0x10000");
	expect_error(f, boot_setup(f, false, "vga= 5", 64 * MiB), "vga=",
		     "vga= 5");
	free(file);
}

/* ------------------------------------------------- the ROM under KVM */

#define ROM_SEG      0xc800     /* where the BIOS would have copied it */
#define E801_STUB    0x600      /* our INT 15h handler */
#define WATCHDOG_S   30         /* a hung ROM fails the test */

struct vm {
	int kvm, vm, vcpu;
	uint8_t *mem;
	size_t mem_len;
	struct kvm_run *run;
	size_t run_len;
};

static void on_alarm(int sig)
{
	(void)sig;      /* only interrupts KVM_RUN */
}

/* false if KVM cannot be used here (the caller skips). */
static bool vm_open(struct vm *v, size_t mem_len)
{
	struct kvm_userspace_memory_region region;
	int n;

	memset(v, 0, sizeof(*v));
	v->kvm = v->vm = v->vcpu = -1;
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		return false;
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0) {
		close(v->kvm);
		return false;
	}
	/* Real mode on VMX without unrestricted guest needs a TSS. */
	assert_int_equal(ioctl(v->vm, KVM_SET_TSS_ADDR, 0xfffbd000ul), 0);
	v->mem_len = mem_len;
	v->mem = mmap(NULL, mem_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(v->mem != MAP_FAILED);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem_len,
		.userspace_addr = (uintptr_t)v->mem,
	};
	assert_int_equal(ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &region),
			 0);
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	assert_true(v->vcpu >= 0);
	n = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	assert_true(n > 0);
	v->run_len = (size_t)n;
	v->run = mmap(NULL, v->run_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu, 0);
	assert_true(v->run != MAP_FAILED);
	return true;
}

static void vm_close(struct vm *v)
{
	munmap(v->run, v->run_len);
	munmap(v->mem, v->mem_len);
	close(v->vcpu);
	close(v->vm);
	close(v->kvm);
}

/* One port access exit, forwarded to the fake device model.  The DMA
 * doorbell sees the VM's memory and its result goes back there. */
static void vm_io(struct vm *v, struct dm *dm)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	bool dma = r->io.port >= FW_CFG_PORT_DMA &&
		   r->io.port < FW_CFG_PORT_DMA + 8;

	for (uint32_t i = 0; i < r->io.count; i++) {
		uint8_t *p = data + (size_t)i * r->io.size;
		uint64_t val = 0;

		if (r->io.direction == KVM_EXIT_IO_OUT) {
			memcpy(&val, p, r->io.size);
			if (dma)
				memcpy(fake_ram(dm), v->mem, v->mem_len);
			fake_pio_write(dm, r->io.port, val, r->io.size);
			if (dma)
				memcpy(v->mem, fake_ram(dm), v->mem_len);
		} else {
			val = fake_pio_read(dm, r->io.port, r->io.size);
			memcpy(p, &val, r->io.size);
		}
	}
}

/* Runs the vCPU from ROM_SEG:ip until it halts. */
static void vm_run_until_hlt(struct vm *v, struct dm *dm, uint16_t ip)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	assert_int_equal(ioctl(v->vcpu, KVM_GET_SREGS, &sregs), 0);
	sregs.cs.selector = ROM_SEG;
	sregs.cs.base = ROM_SEG * 16u;
	assert_int_equal(ioctl(v->vcpu, KVM_SET_SREGS, &sregs), 0);
	memset(&regs, 0, sizeof(regs));
	regs.rip = ip;
	regs.rflags = 0x202;            /* IF set, as SeaBIOS calls a BEV */
	regs.rsp = 0x6000;
	assert_int_equal(ioctl(v->vcpu, KVM_SET_REGS, &regs), 0);

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarm(WATCHDOG_S);
	for (;;) {
		if (ioctl(v->vcpu, KVM_RUN, 0) < 0) {
			alarm(0);
			sigaction(SIGALRM, &old, NULL);
			fail_msg("KVM_RUN: %s (the ROM hung?)",
				 strerror(errno));
		}
		if (v->run->exit_reason == KVM_EXIT_HLT)
			break;
		if (v->run->exit_reason != KVM_EXIT_IO) {
			alarm(0);
			sigaction(SIGALRM, &old, NULL);
			fail_msg("unexpected KVM exit %u",
				 v->run->exit_reason);
		}
		vm_io(v, dm);
	}
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
}

/*
 * INT 15h at E801_STUB: mov ax/bx/cx/dx, clc (or stc: not supported),
 * retf 2 (keeps the flags it set, as BIOS handlers return).
 */
static void put_e801_stub(uint8_t *mem, bool ok, uint16_t ax, uint16_t bx,
			  uint16_t cx, uint16_t dx)
{
	uint8_t *p = mem + E801_STUB;

	*p++ = 0xb8; put_le16(p, ax); p += 2;
	*p++ = 0xbb; put_le16(p, bx); p += 2;
	*p++ = 0xb9; put_le16(p, cx); p += 2;
	*p++ = 0xba; put_le16(p, dx); p += 2;
	*p++ = ok ? 0xf8 : 0xf9;
	*p++ = 0xca; put_le16(p, 2);
	put_le16(mem + 0x15 * 4, E801_STUB);    /* IVT: offset, segment 0 */
	put_le16(mem + 0x15 * 4 + 2, 0);
}

struct rom_run {
	bool e801_ok;
	uint16_t ax, bx, cx, dx;
	uint64_t ram_below_4g;  /* what kernel_boot_setup is told */
	uint32_t initrd_addr;   /* out: where the ROM put it */
};

/* Boots the ROM with f's kernel and initrd; false if KVM is missing. */
static bool run_rom(struct fx *f, struct rom_run *rr, struct vm *v)
{
	uint32_t size;
	uint8_t *rom;
	unsigned int pnp;

	reset_fw_cfg(f);
	assert_int_equal(boot_setup(f, true, "console=ttyS0 quiet",
				    rr->ram_below_4g), 0);
	if (!vm_open(v, RAM_SIZE))
		return false;
	rom = fw_read_rom(f->dm, &size);
	memcpy(v->mem + ROM_SEG * 16u, rom, size);
	pnp = le16_at(rom + 0x1a);
	put_e801_stub(v->mem, rr->e801_ok, rr->ax, rr->bx, rr->cx, rr->dx);
	vm_run_until_hlt(v, f->dm, le16_at(rom + pnp + 0x1a));
	free(rom);
	return true;
}

/* Checks the state the ROM handed to the kernel (boot.rst "Running the
 * Kernel") and the memory it loaded. */
static void check_kernel_entry(struct fx *f, struct vm *v,
			       const uint8_t *file, size_t setup_len,
			       size_t pm_len, const uint8_t *initrd,
			       size_t initrd_len, uint32_t initrd_addr)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	uint8_t *setup;
	const char *cmdline = "console=ttyS0 quiet";

	assert_int_equal(ioctl(v->vcpu, KVM_GET_SREGS, &s), 0);
	assert_int_equal(ioctl(v->vcpu, KVM_GET_REGS, &r), 0);
	assert_int_equal(s.cs.selector, 0x1020);
	assert_int_equal(r.rip, SETUP_HLT - 0x200 + 1);
	assert_int_equal(s.ds.selector, 0x1000);
	assert_int_equal(s.es.selector, 0x1000);
	assert_int_equal(s.fs.selector, 0x1000);
	assert_int_equal(s.gs.selector, 0x1000);
	assert_int_equal(s.ss.selector, 0x1000);
	assert_int_equal(r.rsp & 0xffff, 0xfff0);
	assert_int_equal(r.rflags & 0x200, 0);  /* interrupts off */

	/* The setup area as fw_cfg has it, but for ramdisk_image. */
	setup = fw_read(f->dm, FW_CFG_SETUP_DATA, setup_len);
	put_le32(setup + H_RAMDISK_IMAGE, initrd_addr);
	assert_memory_equal(v->mem + 0x10000, setup, setup_len);
	free(setup);
	assert_memory_equal(v->mem + 0x100000, file + setup_len, pm_len);
	assert_memory_equal(v->mem + 0x20000, cmdline, strlen(cmdline) + 1);
	assert_memory_equal(v->mem + initrd_addr, initrd, initrd_len);
}

/* E801h reports all of RAM: the initrd stays where the device model put
 * it (the ROM only ever moves it down). */
static void test_rom_boots(void **state)
{
	struct fx *f = *state;
	struct rom_run rr = {
		.e801_ok = true, .ax = 0x3c00, .cx = 0x3c00,
		.bx = (RAM_SIZE - 16 * MiB) >> 16,
		.dx = (RAM_SIZE - 16 * MiB) >> 16,
		.ram_below_4g = RAM_SIZE,
	};
	size_t len, initrd_len = 123457;
	uint8_t *file = write_kernel(f, &default_kimg, &len);
	uint8_t *initrd = write_pattern_file(f->initrd, initrd_len, 5);
	uint32_t addr = (RAM_SIZE - ACPI_ROOM - initrd_len) & ~0xfffu;
	struct vm v;

	if (!run_rom(f, &rr, &v)) {
		free(initrd);
		free(file);
		skip();
	}
	assert_int_equal(fw_read32(f->dm, FW_CFG_INITRD_ADDR), addr);
	check_kernel_entry(f, &v, file, 9 * 512, len - 9 * 512, initrd,
			   initrd_len, addr);
	vm_close(&v);
	free(initrd);
	free(file);
}

/* The BIOS kept more at the top of RAM: the ROM moves the initrd below
 * what E801h reports and updates ramdisk_image.  Both halves of the
 * answer: DX (64 KiB blocks above 16 MiB), or AX/BX when CX = DX = 0,
 * and CX (KiB above 1 MiB) when the end is below 16 MiB. */
static void test_rom_moves_initrd(void **state)
{
	static const struct {
		uint16_t ax, bx, cx, dx;
		uint32_t end;
	} cases[] = {
		{ 0x3c00, 224, 0x3c00, 224, 30 * MiB },
		{ 0x3c00, 200, 0, 0, 16 * MiB + 200 * 65536 },
		{ 0x2c00, 0, 0x2c00, 0, MiB + 0x2c00 * 1024 },
	};
	struct fx *f = *state;
	size_t len, initrd_len = 200001;
	uint8_t *file = write_kernel(f, &default_kimg, &len);
	uint8_t *initrd = write_pattern_file(f->initrd, initrd_len, 6);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rom_run rr = {
			.e801_ok = true, .ax = cases[i].ax, .bx = cases[i].bx,
			.cx = cases[i].cx, .dx = cases[i].dx,
			.ram_below_4g = RAM_SIZE,
		};
		uint32_t addr = (cases[i].end - initrd_len) & ~0xfffu;
		struct vm v;

		if (!run_rom(f, &rr, &v)) {
			free(initrd);
			free(file);
			skip();
		}
		check_kernel_entry(f, &v, file, 9 * 512, len - 9 * 512,
				   initrd, initrd_len, addr);
		vm_close(&v);
	}
	free(initrd);
	free(file);
}

/* E801h unsupported (CF set), or an answer that would put the initrd on
 * the kernel: the device model's address stands. */
static void test_rom_keeps_initrd(void **state)
{
	static const struct {
		bool ok;
		uint16_t cx;
	} cases[] = {
		{ false, 0x3c00 },
		{ true, 64 },           /* RAM ends at 1 MiB + 64 KiB */
	};
	struct fx *f = *state;
	size_t len, initrd_len = 4096;
	uint8_t *file = write_kernel(f, &default_kimg, &len);
	uint8_t *initrd = write_pattern_file(f->initrd, initrd_len, 7);
	uint32_t addr = (RAM_SIZE - ACPI_ROOM - initrd_len) & ~0xfffu;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rom_run rr = {
			.e801_ok = cases[i].ok, .ax = cases[i].cx,
			.cx = cases[i].cx, .ram_below_4g = RAM_SIZE,
		};
		struct vm v;

		if (!run_rom(f, &rr, &v)) {
			free(initrd);
			free(file);
			skip();
		}
		check_kernel_entry(f, &v, file, 9 * 512, len - 9 * 512,
				   initrd, initrd_len, addr);
		vm_close(&v);
	}
	free(initrd);
	free(file);
}

/* A DMA that fails (the initrd address is not RAM) stops the ROM with
 * the CPU halted inside it, never entering the kernel. */
static void test_rom_halts_on_dma_error(void **state)
{
	struct fx *f = *state;
	struct rom_run rr = { .e801_ok = false, .ram_below_4g = 2 * RAM_SIZE };
	size_t len;
	uint8_t *file = write_kernel(f, &default_kimg, &len);
	uint8_t *initrd = write_pattern_file(f->initrd, 4096, 8);
	struct kvm_sregs s;
	struct kvm_regs r;
	struct vm v;

	if (!run_rom(f, &rr, &v)) {
		free(initrd);
		free(file);
		skip();
	}
	assert_int_equal(ioctl(v.vcpu, KVM_GET_SREGS, &s), 0);
	assert_int_equal(ioctl(v.vcpu, KVM_GET_REGS, &r), 0);
	assert_int_equal(s.cs.selector, ROM_SEG);
	assert_int_equal(v.mem[ROM_SEG * 16u + r.rip - 1], 0xf4); /* hlt */
	/* What came before the initrd did arrive. */
	assert_memory_equal(v.mem + 0x100000, file + 9 * 512, len - 9 * 512);
	vm_close(&v);
	free(initrd);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_layout_with_initrd),
		T(test_initrd_addr_max),
		T(test_no_initrd_no_cmdline),
		T(test_vga_option),
		T(test_cmdline_at_limit),
		T(test_option_rom),
		T(test_bad_kernels),
		T(test_bad_initrds),
		T(test_bad_memory_and_cmdline),
		T(test_rom_boots),
		T(test_rom_moves_initrd),
		T(test_rom_keeps_initrd),
		T(test_rom_halts_on_dma_error),
#undef T
	};

	/* Errors are captured; guest-mistake warnings stay quiet. */
	log_init("test-kernel-boot", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
