/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the fw_cfg device (devmodel/fw-cfg.c) on the fake device
 * model: the guest side as QEMU docs/specs/fw_cfg.rst describes it
 * (selector and data ports, the DMA interface and its signature, the file
 * directory) and as SeaBIOS uses it, guest mistakes (bad descriptors,
 * huge lengths, wrong access sizes), and the host-side item API of pc.h.
 */
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
#include "pc.h"

#define RAM_SIZE  0x10000u
#define PORT_SEL  0x510
#define PORT_DATA 0x511
#define PORT_DMA_HI 0x514
#define PORT_DMA_LO 0x518

#define CTL_ERROR  0x01u
#define CTL_READ   0x02u
#define CTL_SKIP   0x04u
#define CTL_SELECT 0x08u
#define CTL_WRITE  0x10u

#define DESC 0x100   /* where the tests put DMA descriptors */
#define BUF  0x1000  /* and DMA buffers */

struct fx {
	struct dm *dm;
	struct fw_cfg *c;
};

/* --------------------------------------------------------- error lines */

/* ------------------------------------------------------------ fixtures */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fake_errors_capture();
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
	fake_errors_release();
	free(f);
	/* Both port claims were given back. */
	return clean ? 0 : -1;
}

/* ------------------------------------------------------------- helpers */

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* A 32-bit port write whose bytes, in port order, are v big-endian (as
 * SeaBIOS's outl(cpu_to_be32(x), port)). */
static void out_be32(struct fx *f, uint16_t port, uint32_t v)
{
	uint32_t le = 0;

	for (int i = 0; i < 4; i++)
		le |= ((v >> (24 - 8 * i)) & 0xffu) << (8 * i);
	fake_pio_write(f->dm, port, le, 4);
}

static void sel(struct fx *f, uint16_t key)
{
	fake_pio_write(f->dm, PORT_SEL, key, 2);
}

static uint8_t rd8(struct fx *f)
{
	return (uint8_t)fake_pio_read(f->dm, PORT_DATA, 1);
}

static void rd(struct fx *f, void *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)buf)[i] = rd8(f);
}

static uint8_t *ram(struct fx *f)
{
	return fake_ram(f->dm);
}

/* Starts the transfer of the descriptor at desc (64-bit address: high
 * half first, as OVMF does). */
static void dma_kick(struct fx *f, uint64_t desc)
{
	if (desc >> 32)
		out_be32(f, PORT_DMA_HI, (uint32_t)(desc >> 32));
	out_be32(f, PORT_DMA_LO, (uint32_t)desc);
}

/* Writes a descriptor at DESC, runs it, returns its control word after. */
static uint32_t dma(struct fx *f, uint32_t control, uint32_t len,
		    uint64_t addr)
{
	put_be32(ram(f) + DESC, control);
	put_be32(ram(f) + DESC + 4, len);
	put_be64(ram(f) + DESC + 8, addr);
	dma_kick(f, DESC);
	return be32_at(ram(f) + DESC);
}

/* The key of a file, looked up in the directory as firmware does. */
static uint16_t file_key(struct fx *f, const char *name)
{
	uint8_t count[4], e[64];
	uint32_t n;

	sel(f, FW_CFG_FILE_DIR);
	rd(f, count, sizeof(count));
	n = be32_at(count);
	for (uint32_t i = 0; i < n; i++) {
		rd(f, e, sizeof(e));
		if (!strncmp((const char *)e + 8, name, 56))
			return (uint16_t)(e[4] << 8 | e[5]);
	}
	return 0;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* --------------------------------------------------------------- tests */

static void test_claims(void **state)
{
	struct fx *f = *state;
	const char *name;

	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, PORT_SEL, NULL, &name));
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, PORT_DATA, NULL, NULL));
	for (unsigned int p = 0x514; p <= 0x51b; p++)
		assert_true(fake_claimed(f->dm, DM_SPACE_PIO, p, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0x512, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0x51c, NULL, NULL));
	assert_int_equal(fake_claim_count(f->dm), 2);
	/* A second instance cannot take the same ports. */
	assert_null(fw_cfg_create(f->dm));
	assert_int_equal(fake_claim_count(f->dm), 2);
}

/* "Signature": key 0 reads "QEMU" through the data port. */
static void test_signature(void **state)
{
	struct fx *f = *state;
	char sig[5] = "";

	sel(f, FW_CFG_SIGNATURE);
	rd(f, sig, 4);
	assert_string_equal(sig, "QEMU");
	/* Past the end: zeros. */
	assert_int_equal(rd8(f), 0);
	assert_int_equal(rd8(f), 0);
	/* Selecting again starts over. */
	sel(f, FW_CFG_SIGNATURE);
	assert_int_equal(rd8(f), 'Q');
}

/* "Revision / feature bitmap": le32, bit 0 traditional, bit 1 DMA. */
static void test_id(void **state)
{
	struct fx *f = *state;
	uint8_t id[4];

	sel(f, FW_CFG_ID);
	rd(f, id, sizeof(id));
	assert_int_equal(id[0], 3);
	assert_int_equal(id[1] | id[2] | id[3], 0);
	assert_int_equal(rd8(f), 0);
}

/* Reading the DMA address register gives "QEMU CFG" big-endian. */
static void test_dma_signature(void **state)
{
	struct fx *f = *state;
	const char *sig = "QEMU CFG";

	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(fake_pio_read(f->dm, 0x514 + i, 1), sig[i]);
	/* inl(0x514) = 0x554d4551 ("QEMU" in port order). */
	assert_int_equal(fake_pio_read(f->dm, 0x514, 4), 0x554d4551);
	assert_int_equal(fake_pio_read(f->dm, 0x518, 4), 0x47464320);
	assert_int_equal(fake_pio_read(f->dm, 0x516, 2), 0x554d);
	/* Still the signature after a transfer. */
	sel(f, FW_CFG_SIGNATURE);
	assert_int_equal(dma(f, CTL_READ, 4, BUF), 0);
	assert_int_equal(fake_pio_read(f->dm, 0x514, 4), 0x554d4551);
}

/* SeaBIOS's qemu_cfg_read_entry: select and read in one descriptor. */
static void test_dma_select_read_file(void **state)
{
	struct fx *f = *state;
	uint8_t data[300];
	uint16_t key;

	fill(data, sizeof(data), 5);
	assert_non_null(fw_cfg_add_file(f->c, "etc/test", data, sizeof(data),
					NULL, NULL, false));
	key = file_key(f, "etc/test");
	assert_int_equal(key, FW_CFG_FILE_FIRST);
	memset(ram(f) + BUF, 0xaa, 512);
	assert_int_equal(dma(f, (uint32_t)key << 16 | CTL_SELECT | CTL_READ,
			     sizeof(data), BUF), 0);
	assert_memory_equal(ram(f) + BUF, data, sizeof(data));
	/* Not a byte more. */
	assert_int_equal(ram(f)[BUF + sizeof(data)], 0xaa);
	/* The descriptor's other fields are left alone. */
	assert_int_equal(be32_at(ram(f) + DESC + 4), sizeof(data));
}

/* A DMA read goes on from where port reads (or earlier DMA) stopped. */
static void test_dma_continues_offset(void **state)
{
	struct fx *f = *state;
	uint8_t data[64];
	uint16_t key;

	fill(data, sizeof(data), 1);
	assert_non_null(fw_cfg_add_file(f->c, "a", data, sizeof(data), NULL,
					NULL, false));
	key = file_key(f, "a");
	sel(f, key);
	assert_int_equal(rd8(f), data[0]);
	assert_int_equal(rd8(f), data[1]);
	assert_int_equal(dma(f, CTL_READ, 10, BUF), 0);
	assert_memory_equal(ram(f) + BUF, data + 2, 10);
	assert_int_equal(dma(f, CTL_READ, 10, BUF), 0);
	assert_memory_equal(ram(f) + BUF, data + 12, 10);
	assert_int_equal(rd8(f), data[22]);
}

static void test_dma_skip(void **state)
{
	struct fx *f = *state;
	uint8_t data[40];
	uint16_t key;

	fill(data, sizeof(data), 9);
	assert_non_null(fw_cfg_add_file(f->c, "skip", data, sizeof(data),
					NULL, NULL, false));
	key = file_key(f, "skip");
	assert_int_equal(dma(f, (uint32_t)key << 16 | CTL_SELECT | CTL_SKIP,
			     10, 0), 0);
	assert_int_equal(dma(f, CTL_READ, 5, BUF), 0);
	assert_memory_equal(ram(f) + BUF, data + 10, 5);
	/* Skip with no select, then a port read. */
	assert_int_equal(dma(f, CTL_SKIP, 20, 0), 0);
	assert_int_equal(rd8(f), data[35]);
	/* Skipping past the end is no error; what follows reads zeros. */
	assert_int_equal(dma(f, CTL_SKIP, 1000, 0), 0);
	memset(ram(f) + BUF, 0xaa, 8);
	assert_int_equal(dma(f, CTL_READ, 8, BUF), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(ram(f)[BUF + i], 0);
	assert_int_equal(rd8(f), 0);
}

/* Writes: only to files added writable, only wholly inside them. */
static void test_dma_write(void **state)
{
	struct fx *f = *state;
	uint8_t init[16] = { 0 }, ro_data[8] = "readonly";
	uint8_t *rw, *ro;
	uint16_t rw_key, ro_key;

	rw = fw_cfg_add_file(f->c, "etc/rw", init, sizeof(init), NULL, NULL,
			     true);
	ro = fw_cfg_add_file(f->c, "etc/ro", ro_data, sizeof(ro_data), NULL,
			     NULL, false);
	assert_non_null(rw);
	assert_non_null(ro);
	rw_key = file_key(f, "etc/rw");
	ro_key = file_key(f, "etc/ro");

	/* Select, skip 4, write 8 (SeaBIOS's WRITE_POINTER does this). */
	fill(ram(f) + BUF, 8, 0x40);
	assert_int_equal(dma(f, (uint32_t)rw_key << 16 | CTL_SELECT |
			     CTL_SKIP, 4, 0), 0);
	assert_int_equal(dma(f, CTL_WRITE, 8, BUF), 0);
	assert_memory_equal(rw + 4, ram(f) + BUF, 8);
	assert_int_equal(rw[0] | rw[1] | rw[2] | rw[3], 0);
	assert_int_equal(rw[12] | rw[13] | rw[14] | rw[15], 0);
	/* The guest reads back what it wrote. */
	sel(f, rw_key);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rd8(f), 0);
	assert_int_equal(rd8(f), ram(f)[BUF]);

	/* Past the end of the item: refused whole. */
	fill(ram(f) + BUF, 16, 0x90);
	assert_int_equal(dma(f, (uint32_t)rw_key << 16 | CTL_SELECT |
			     CTL_SKIP, 12, 0), 0);
	assert_int_equal(dma(f, CTL_WRITE, 8, BUF) & CTL_ERROR, CTL_ERROR);
	assert_int_equal(rw[12] | rw[13] | rw[14] | rw[15], 0);

	/* Read-only file. */
	assert_int_equal(dma(f, (uint32_t)ro_key << 16 | CTL_SELECT |
			     CTL_WRITE, 8, BUF), CTL_ERROR);
	assert_memory_equal(ro, "readonly", 8);
	/* Numbered items and absent keys are read-only too. */
	assert_int_equal(dma(f, FW_CFG_SIGNATURE << 16 | CTL_SELECT |
			     CTL_WRITE, 4, BUF), CTL_ERROR);
	sel(f, FW_CFG_SIGNATURE);
	assert_int_equal(rd8(f), 'Q');
	assert_int_equal(dma(f, 0x1234u << 16 | CTL_SELECT | CTL_WRITE, 4,
			     BUF), CTL_ERROR);
	/* Source buffer outside RAM: refused, item untouched. */
	assert_int_equal(dma(f, (uint32_t)rw_key << 16 | CTL_SELECT |
			     CTL_WRITE, 16, RAM_SIZE - 8), CTL_ERROR);
	assert_int_equal(rw[0], 0);
	/* A zero-length write is a no-op, not an error. */
	assert_int_equal(dma(f, (uint32_t)ro_key << 16 | CTL_SELECT |
			     CTL_WRITE, 0, BUF), 0);
}

/* "After the data offset has passed the end ... reads will return 0". */
static void test_read_past_end(void **state)
{
	struct fx *f = *state;
	uint8_t data[16];
	uint16_t key;

	fill(data, sizeof(data), 3);
	assert_non_null(fw_cfg_add_file(f->c, "short", data, sizeof(data),
					NULL, NULL, false));
	key = file_key(f, "short");
	memset(ram(f) + BUF, 0xaa, 64);
	assert_int_equal(dma(f, (uint32_t)key << 16 | CTL_SELECT | CTL_READ,
			     32, BUF), 0);
	assert_memory_equal(ram(f) + BUF, data, 16);
	for (int i = 16; i < 32; i++)
		assert_int_equal(ram(f)[BUF + i], 0);
	assert_int_equal(ram(f)[BUF + 32], 0xaa);
	/* Through the port. */
	sel(f, key);
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd8(f), data[i]);
	for (int i = 0; i < 8; i++)
		assert_int_equal(rd8(f), 0);
}

/* Keys nobody added read as zeros (SeaBIOS reads some unconditionally). */
static void test_absent_keys(void **state)
{
	struct fx *f = *state;
	static const uint16_t keys[] = {
		FW_CFG_NUMA, FW_CFG_BOOT_MENU, 0x8000, 0x801f, 0x8020,
		FW_CFG_FILE_FIRST + 5, 0x3fff, 0xffff,
	};

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		sel(f, keys[k]);
		for (int i = 0; i < 4; i++)
			assert_int_equal(rd8(f), 0);
		memset(ram(f) + BUF, 0xaa, 16);
		assert_int_equal(dma(f, (uint32_t)keys[k] << 16 | CTL_SELECT |
				     CTL_READ, 16, BUF), 0);
		for (int i = 0; i < 16; i++)
			assert_int_equal(ram(f)[BUF + i], 0);
	}
}

/* "File Directory": be32 count, 64-byte entries, names NUL-padded. */
static void test_file_directory(void **state)
{
	struct fx *f = *state;
	static const char *names[] = { "etc/e820", "bootorder",
		"etc/a-name-of-exactly-fifty-five-characters-for-the-dir" };
	static const size_t sizes[] = { 40, 0, 70000 };
	uint8_t *dir, *big = calloc(1, 70000);
	size_t len = 4 + 64 * 3;

	assert_non_null(big);
	assert_int_equal(strlen(names[2]), 55);
	for (int i = 0; i < 3; i++)
		assert_non_null(fw_cfg_add_file(f->c, names[i], big, sizes[i],
						NULL, NULL, false));
	free(big);

	dir = ram(f) + BUF;
	memset(dir, 0xaa, len + 16);
	assert_int_equal(dma(f, FW_CFG_FILE_DIR << 16 | CTL_SELECT | CTL_READ,
			     (uint32_t)len + 16, BUF), 0);
	assert_int_equal(be32_at(dir), 3);
	for (int i = 0; i < 3; i++) {
		const uint8_t *e = dir + 4 + 64 * i;
		char name[56];

		assert_int_equal(be32_at(e), sizes[i]);
		/* be16 select, then 2 reserved zero bytes */
		assert_int_equal(e[4], 0);
		assert_int_equal(e[5], FW_CFG_FILE_FIRST + i);
		assert_int_equal(e[6] | e[7], 0);
		memset(name, 0, sizeof(name));
		strcpy(name, names[i]);
		assert_memory_equal(e + 8, name, 56);
	}
	/* The directory ends after the last entry. */
	for (int i = 0; i < 16; i++)
		assert_int_equal(dir[len + i], 0);
	/* 70000 = 0x11170: the size's high bytes really are big-endian. */
	assert_int_equal(dir[4 + 128], 0x00);
	assert_int_equal(dir[4 + 128 + 1], 0x01);
	assert_int_equal(dir[4 + 128 + 2], 0x11);
	assert_int_equal(dir[4 + 128 + 3], 0x70);
}

static void test_empty_directory(void **state)
{
	struct fx *f = *state;

	sel(f, FW_CFG_FILE_DIR);
	for (int i = 0; i < 8; i++)
		assert_int_equal(rd8(f), 0);
}

struct select_log {
	unsigned int calls;
	uint8_t *data;     /* rewritten in place by the callback */
};

static void on_select(void *opaque)
{
	struct select_log *s = opaque;

	s->calls++;
	/* The data are rebuilt before any byte is read (acpi-build.c). */
	if (s->data)
		s->data[0] = (uint8_t)(0x80 + s->calls);
}

static void test_on_select(void **state)
{
	struct fx *f = *state;
	struct select_log log = { 0 }, other = { 0 };
	uint8_t init[4] = { 1, 2, 3, 4 };
	uint16_t key;

	log.data = fw_cfg_add_file(f->c, "etc/acpi/tables", init,
				   sizeof(init), on_select, &log, false);
	assert_non_null(log.data);
	assert_non_null(fw_cfg_add_file(f->c, "other", init, sizeof(init),
					on_select, &other, false));
	key = file_key(f, "etc/acpi/tables");
	/* Reading the directory selects no file. */
	assert_int_equal(log.calls, 0);

	/* Port select. */
	sel(f, key);
	assert_int_equal(log.calls, 1);
	assert_int_equal(rd8(f), 0x81);
	assert_int_equal(rd8(f), 2);
	assert_int_equal(log.calls, 1);

	/* DMA select+read. */
	assert_int_equal(dma(f, (uint32_t)key << 16 | CTL_SELECT | CTL_READ, 4,
			     BUF), 0);
	assert_int_equal(log.calls, 2);
	assert_int_equal(ram(f)[BUF], 0x82);
	assert_int_equal(ram(f)[BUF + 3], 4);

	/* Reads and skips without select do not call it. */
	assert_int_equal(dma(f, CTL_SKIP, 1, 0), 0);
	assert_int_equal(dma(f, CTL_READ, 1, BUF), 0);
	assert_int_equal(log.calls, 2);

	/* A DMA select alone, and the write-channel bit (ignored). */
	assert_int_equal(dma(f, (uint32_t)key << 16 | CTL_SELECT, 0, 0), 0);
	assert_int_equal(log.calls, 3);
	sel(f, (uint16_t)(key | 0x4000));
	assert_int_equal(log.calls, 4);
	assert_int_equal(rd8(f), 0x84);
	assert_int_equal(other.calls, 0);
}

/* A descriptor that is not (wholly) guest RAM. */
static void test_bad_descriptor(void **state)
{
	struct fx *f = *state;
	uint8_t *copy = malloc(RAM_SIZE);

	assert_non_null(copy);
	fill(ram(f), RAM_SIZE, 0x11);
	memcpy(copy, ram(f), RAM_SIZE);

	/* Entirely outside RAM: nothing happens, nothing crashes. */
	dma_kick(f, RAM_SIZE + 0x100);
	dma_kick(f, 0xfffffffffffffff8ull);
	dma_kick(f, 0x100000000ull);
	assert_memory_equal(ram(f), copy, RAM_SIZE);

	/* The control word is RAM, the rest is not: error bit set there. */
	put_be32(ram(f) + RAM_SIZE - 8, CTL_READ);
	dma_kick(f, RAM_SIZE - 8);
	assert_int_equal(be32_at(ram(f) + RAM_SIZE - 8), CTL_ERROR);
	assert_memory_equal(ram(f) + RAM_SIZE - 4, copy + RAM_SIZE - 4, 4);

	/* Buffer outside RAM. */
	sel(f, FW_CFG_SIGNATURE);
	assert_int_equal(dma(f, FW_CFG_SIGNATURE << 16 | CTL_SELECT |
			     CTL_READ, 4, RAM_SIZE), CTL_ERROR);
	assert_int_equal(dma(f, FW_CFG_SIGNATURE << 16 | CTL_SELECT |
			     CTL_READ, 4, 0xfffffffffffffffeull), CTL_ERROR);
	/* Buffer straddling the end of RAM. */
	assert_int_equal(dma(f, FW_CFG_SIGNATURE << 16 | CTL_SELECT |
			     CTL_READ, 8, RAM_SIZE - 2), CTL_ERROR);
	free(copy);

	/* The register was cleared after each attempt: a 32-bit descriptor
	 * address works again with one write. */
	assert_int_equal(dma(f, FW_CFG_ID << 16 | CTL_SELECT | CTL_READ, 4,
			     BUF), 0);
	assert_int_equal(ram(f)[BUF], 3);
}

/* A 64-bit descriptor address: high half, then low half. */
static void test_dma_high_half(void **state)
{
	struct fx *f = *state;

	put_be32(ram(f) + DESC, FW_CFG_ID << 16 | CTL_SELECT | CTL_READ);
	put_be32(ram(f) + DESC + 4, 4);
	put_be64(ram(f) + DESC + 8, BUF);
	/* High half 1: the descriptor is at 4 GiB + DESC, not RAM. */
	out_be32(f, PORT_DMA_HI, 1);
	out_be32(f, PORT_DMA_LO, DESC);
	assert_int_equal(be32_at(ram(f) + DESC),
			 FW_CFG_ID << 16 | CTL_SELECT | CTL_READ);
	/* An explicit high half of 0 works. */
	out_be32(f, PORT_DMA_HI, 0);
	out_be32(f, PORT_DMA_LO, DESC);
	assert_int_equal(be32_at(ram(f) + DESC), 0);
	assert_int_equal(ram(f)[BUF], 3);
}

/* Lengths up to 4 GiB - 1 are neither allocated nor zero-filled: padding
 * past an item's end is limited to 16 MiB per transfer. */
static void test_huge_length(void **state)
{
	struct fx *f = *state;
	uint8_t data[32];
	uint16_t key;

	fill(data, sizeof(data), 0x21);
	assert_non_null(fw_cfg_add_file(f->c, "f", data, sizeof(data), NULL,
					NULL, false));
	key = file_key(f, "f");
	memset(ram(f) + 0x8000, 0xaa, RAM_SIZE - 0x8000);
	/* Item bytes, then an error without zero-filling 4 GiB. */
	assert_int_equal(dma(f, (uint32_t)key << 16 | CTL_SELECT | CTL_READ,
			     0xffffffffu, 0x8000), CTL_ERROR);
	assert_memory_equal(ram(f) + 0x8000, data, sizeof(data));
	assert_int_equal(ram(f)[0x8000 + sizeof(data)], 0xaa);
	/* A modest overrun is zero-filled as the spec says. */
	assert_int_equal(dma(f, (uint32_t)key << 16 | CTL_SELECT | CTL_READ,
			     sizeof(data) + 0x1000, 0x8000), 0);
	assert_int_equal(ram(f)[0x8000 + sizeof(data)], 0);
	assert_int_equal(ram(f)[0x8000 + sizeof(data) + 0xfff], 0);
	assert_int_equal(ram(f)[0x8000 + sizeof(data) + 0x1000], 0xaa);
	/* Absent key, huge length, buffer outside RAM: a quick error. */
	assert_int_equal(dma(f, 0x7u << 16 | CTL_SELECT | CTL_READ,
			     0xffffffffu, 0x40000000), CTL_ERROR);
	/* Huge skip: clamps at the end. */
	assert_int_equal(dma(f, (uint32_t)key << 16 | CTL_SELECT | CTL_SKIP,
			     0xffffffffu, 0), 0);
	assert_int_equal(rd8(f), 0);
	/* Huge write to a writable file: refused. */
	assert_non_null(fw_cfg_add_file(f->c, "w", data, sizeof(data), NULL,
					NULL, true));
	assert_int_equal(dma(f, (uint32_t)file_key(f, "w") << 16 |
			     CTL_SELECT | CTL_WRITE, 0xffffffffu, BUF),
			 CTL_ERROR);
	/* The device still works. */
	assert_int_equal(dma(f, (uint32_t)key << 16 | CTL_SELECT | CTL_READ,
			     4, BUF), 0);
	assert_memory_equal(ram(f) + BUF, data, 4);
}

/* Unknown control bits and none of read/write/skip: nothing moves. */
static void test_dma_control_bits(void **state)
{
	struct fx *f = *state;
	uint8_t data[8] = "abcdefgh";
	uint8_t *rw;
	uint16_t key;

	rw = fw_cfg_add_file(f->c, "rw", data, sizeof(data), NULL, NULL,
			     true);
	assert_non_null(rw);
	key = file_key(f, "rw");
	sel(f, key);
	assert_int_equal(dma(f, 0xe0, 4, BUF), 0);
	assert_int_equal(rd8(f), 'a');
	/* Read and write both set: a read (QEMU's precedence). */
	memset(ram(f) + BUF, 0, 8);
	assert_int_equal(dma(f, CTL_READ | CTL_WRITE | CTL_SKIP, 2, BUF), 0);
	assert_memory_equal(ram(f) + BUF, "bc", 2);
	assert_memory_equal(rw, "abcdefgh", 8);
	/* Write and skip: a write. */
	memcpy(ram(f) + BUF, "XY", 2);
	assert_int_equal(dma(f, CTL_WRITE | CTL_SKIP, 2, BUF), 0);
	assert_memory_equal(rw, "abcXYfgh", 8);
	/* An error bit the guest left set is cleared on success. */
	assert_int_equal(dma(f, CTL_ERROR | CTL_READ, 1, BUF), 0);
	assert_int_equal(ram(f)[BUF], 'f');
}

static void test_reset(void **state)
{
	struct fx *f = *state;

	sel(f, FW_CFG_ID);
	rd8(f);
	out_be32(f, PORT_DMA_HI, 0x12345678);
	fw_cfg_reset(f->c);
	/* Selector 0, offset 0. */
	assert_int_equal(rd8(f), 'Q');
	assert_int_equal(rd8(f), 'E');
	/* The DMA high half was cleared: a low-half write alone works. */
	assert_int_equal(dma(f, FW_CFG_ID << 16 | CTL_SELECT | CTL_READ, 4,
			     BUF), 0);
	assert_int_equal(ram(f)[BUF], 3);
	/* Items stay. */
	assert_int_equal(fw_cfg_add_le16(f->c, FW_CFG_NB_CPUS, 4), 0);
	assert_non_null(fw_cfg_add_file(f->c, "kept", "k", 1, NULL, NULL,
					false));
	fw_cfg_reset(f->c);
	sel(f, FW_CFG_NB_CPUS);
	assert_int_equal(rd8(f), 4);
	sel(f, file_key(f, "kept"));
	assert_int_equal(rd8(f), 'k');
}

/* Wrong access sizes are ignored; the selection and offset stay. */
static void test_bad_sizes(void **state)
{
	struct fx *f = *state;

	sel(f, FW_CFG_SIGNATURE);
	assert_int_equal(rd8(f), 'Q');
	/* 1- and 4-byte selector writes. */
	fake_pio_write(f->dm, PORT_SEL, FW_CFG_ID, 1);
	fake_pio_write(f->dm, PORT_SEL, FW_CFG_ID, 4);
	assert_int_equal(rd8(f), 'E');
	/* Wide data reads, selector reads. */
	assert_int_equal(fake_pio_read(f->dm, PORT_DATA, 2), 0);
	assert_int_equal(fake_pio_read(f->dm, PORT_DATA, 4), 0);
	assert_int_equal(fake_pio_read(f->dm, PORT_SEL, 1), 0);
	assert_int_equal(fake_pio_read(f->dm, PORT_SEL, 2), 0);
	assert_int_equal(rd8(f), 'M');
	/* Data port writes, of any size: ignored. */
	fake_pio_write(f->dm, PORT_DATA, 0x55, 1);
	fake_pio_write(f->dm, PORT_DATA, 0x55, 1);
	fake_pio_write(f->dm, PORT_DATA, 0x5555, 2);
	assert_int_equal(rd8(f), 'U');
	sel(f, FW_CFG_SIGNATURE);
	assert_int_equal(rd8(f), 'Q');
	/* DMA register: byte and 16-bit writes, 32-bit writes at other
	 * offsets: no transfer. */
	put_be32(ram(f) + DESC, FW_CFG_ID << 16 | CTL_SELECT | CTL_READ);
	put_be32(ram(f) + DESC + 4, 4);
	put_be64(ram(f) + DESC + 8, BUF);
	fake_pio_write(f->dm, PORT_DMA_LO, DESC >> 8, 1);
	fake_pio_write(f->dm, PORT_DMA_LO + 2, DESC >> 8, 1);
	fake_pio_write(f->dm, PORT_DMA_LO, 0x0001, 2);
	fake_pio_write(f->dm, PORT_DMA_LO + 2, 0x0001, 2);
	fake_pio_write(f->dm, 0x516, 0x01000000, 4);
	assert_int_equal(be32_at(ram(f) + DESC),
			 FW_CFG_ID << 16 | CTL_SELECT | CTL_READ);
	assert_int_equal(rd8(f), 'E');
	/* None of that left anything in the register. */
	out_be32(f, PORT_DMA_LO, DESC);
	assert_int_equal(be32_at(ram(f) + DESC), 0);
	assert_int_equal(ram(f)[BUF], 3);
}

/* Numbered items: little-endian helpers, replacement, bad keys. */
static void test_numbered_items(void **state)
{
	struct fx *f = *state;
	uint8_t b[8];
	static const uint16_t bad[] = {
		FW_CFG_SIGNATURE, FW_CFG_ID, FW_CFG_FILE_DIR,
		FW_CFG_FILE_FIRST, 0x4005, 0x8020, 0xffff,
	};

	assert_int_equal(fw_cfg_add_le16(f->c, FW_CFG_NB_CPUS, 0x0102), 0);
	sel(f, FW_CFG_NB_CPUS);
	rd(f, b, 3);
	assert_int_equal(b[0], 2);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2], 0);
	/* Adding again replaces, with a new length. */
	assert_int_equal(fw_cfg_add_le32(f->c, FW_CFG_NB_CPUS, 0x0a0b0c0d),
			 0);
	sel(f, FW_CFG_NB_CPUS);
	rd(f, b, 5);
	assert_memory_equal(b, "\x0d\x0c\x0b\x0a\x00", 5);
	assert_int_equal(fw_cfg_add_le64(f->c, FW_CFG_KERNEL_ADDR,
					 0x1122334455667788ull), 0);
	sel(f, FW_CFG_KERNEL_ADDR);
	rd(f, b, 8);
	assert_memory_equal(b, "\x88\x77\x66\x55\x44\x33\x22\x11", 8);
	/* x86 keys (e.g. 0x8003, e820 reservations). */
	assert_int_equal(fw_cfg_add_bytes(f->c, 0x8003, "\x01\x02", 2), 0);
	sel(f, 0x8003);
	assert_int_equal(rd8(f), 1);
	assert_int_equal(rd8(f), 2);
	sel(f, 0x0003);
	assert_int_equal(rd8(f), 0);
	/* Empty items exist and read zeros. */
	assert_int_equal(fw_cfg_add_bytes(f->c, FW_CFG_CMDLINE_DATA, NULL, 0),
			 0);
	sel(f, FW_CFG_CMDLINE_DATA);
	assert_int_equal(rd8(f), 0);

	fake_nr_errors = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fw_cfg_add_bytes(f->c, bad[i], "x", 1), -1);
	assert_int_equal(fake_nr_errors, sizeof(bad) / sizeof(bad[0]));
	/* The signature was not replaced. */
	sel(f, FW_CFG_SIGNATURE);
	assert_int_equal(rd8(f), 'Q');
}

static void test_file_errors(void **state)
{
	struct fx *f = *state;
	char name[64];
	uint8_t *p;

	p = fw_cfg_add_file(f->c, "dup", "abc", 3, NULL, NULL, false);
	assert_non_null(p);
	assert_memory_equal(p, "abc", 3);
	fake_nr_errors = 0;
	assert_null(fw_cfg_add_file(f->c, "dup", "x", 1, NULL, NULL, true));
	assert_int_equal(fake_nr_errors, 1);
	assert_non_null(strstr(fake_last_error, "dup"));
	/* 56 characters do not fit with the NUL. */
	memset(name, 'n', 56);
	name[56] = '\0';
	assert_null(fw_cfg_add_file(f->c, name, "x", 1, NULL, NULL, false));
	name[55] = '\0';
	assert_non_null(fw_cfg_add_file(f->c, name, "x", 1, NULL, NULL,
					false));
	assert_null(fw_cfg_add_file(f->c, "", "x", 1, NULL, NULL, false));
	assert_int_equal(fake_nr_errors, 3);
	/* The failed adds took no key: the directory has two files. */
	sel(f, FW_CFG_FILE_DIR);
	rd(f, name, 4);
	assert_int_equal(be32_at((uint8_t *)name), 2);

	/* NULL data: zero-filled. */
	p = fw_cfg_add_file(f->c, "zeros", NULL, 8, NULL, NULL, true);
	assert_non_null(p);
	for (int i = 0; i < 8; i++)
		assert_int_equal(p[i], 0);
}

static void test_too_many_files(void **state)
{
	struct fx *f = *state;
	char name[32];
	uint8_t count[4];

	for (int i = 0; i < FW_CFG_FILE_MAX; i++) {
		snprintf(name, sizeof(name), "opt/file%d", i);
		assert_non_null(fw_cfg_add_file(f->c, name, &i, sizeof(i),
						NULL, NULL, false));
	}
	fake_nr_errors = 0;
	assert_null(fw_cfg_add_file(f->c, "one-more", "x", 1, NULL, NULL,
				    false));
	assert_int_equal(fake_nr_errors, 1);
	sel(f, FW_CFG_FILE_DIR);
	rd(f, count, 4);
	assert_int_equal(be32_at(count), FW_CFG_FILE_MAX);
	/* The last one is at key 0x11f. */
	assert_int_equal(file_key(f, "opt/file255"), 0x11f);
	sel(f, 0x11f);
	assert_int_equal(rd8(f), 255);
	/* Beyond: absent. */
	sel(f, 0x120);
	assert_int_equal(rd8(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_claims),
		T(test_signature),
		T(test_id),
		T(test_dma_signature),
		T(test_dma_select_read_file),
		T(test_dma_continues_offset),
		T(test_dma_skip),
		T(test_dma_write),
		T(test_read_past_end),
		T(test_absent_keys),
		T(test_file_directory),
		T(test_empty_directory),
		T(test_on_select),
		T(test_bad_descriptor),
		T(test_dma_high_half),
		T(test_huge_length),
		T(test_dma_control_bits),
		T(test_reset),
		T(test_bad_sizes),
		T(test_numbered_items),
		T(test_file_errors),
		T(test_too_many_files),
#undef T
	};

	/* Guest-mistake warnings are expected here; errors are captured. */
	log_init("test-fw-cfg", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
