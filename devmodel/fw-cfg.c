/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU's firmware configuration device (fw_cfg) as the x86 PC has it, after
 * QEMU docs/specs/fw_cfg.rst; section names below are that document's.
 * SeaBIOS (src/fw/paravirt.c) and Linux's qemu_fw_cfg driver use it to
 * fetch numbered items (CPU count, boot menu, kernel/initrd for direct
 * boot) and named files (ACPI/SMBIOS tables, e820, bootorder, option ROMs).
 *
 * Ports ("Register Locations", x86):
 * - 0x510 selector register, 16-bit write ("Selector (Control) Register"):
 *   selects item key & 0x3fff of the generic (bit 15 clear) or x86 (bit
 *   15 set) set and sets the data offset to 0; bit 14 (the old write
 *   channel) is ignored, as in QEMU since v2.4.
 * - 0x511 data register, 8-bit ("Data Register"): a read gives the next
 *   byte of the selected item, 0 past its end or for an absent key.
 * - 0x514-0x51b DMA address register, big-endian ("Guest-side DMA
 *   Interface"): 0x514 takes the high 32 bits, 0x518 the low 32 bits and
 *   starts the transfer, after which the register is 0 again.  Reads give
 *   the signature "QEMU CFG" ("Signature").
 *
 * Items: key 0 "QEMU", key 1 the feature bitmap (bit 0 traditional, bit 1
 * DMA), key 0x19 the file directory ("File Directory": a big-endian count,
 * then 64-byte entries {be32 size, be16 select, be16 reserved, name[56]}),
 * files at 0x20 and up in the order added, and whatever numbered items
 * pc.c and kernel-boot.c add.
 *
 * DMA: the FWCfgDmaAccess descriptor (be32 control, be32 length, be64
 * address) is copied out of guest RAM once, then acted on: select (bit 3,
 * key in bits 31:16) first, then read (bit 1: item bytes to the guest,
 * zeros past the item's end), else write (bit 4: guest bytes into a file
 * added writable, wholly inside it), else skip (bit 2: the offset moves
 * on).  The transfer runs to completion before the port write returns;
 * the control word is then written back as 0, or as 1 (error bit) if the
 * descriptor or buffer was not guest RAM or the write was refused.  Zero
 * padding is written in bounded chunks, so a huge length costs no memory.
 *
 * Deviations from QEMU:
 * - Files are numbered in the order they are added; QEMU sorts them by
 *   name (or by a legacy order table on old machine types).  Firmware finds
 *   files through the directory, so the order does not matter to it.
 * - The directory is as long as the files in it (4 + 64 * count bytes);
 *   QEMU pads it to its slot count with empty entries.
 * - Reading the selector port returns 0 (the register is write-only); in
 *   QEMU a byte read of 0x510 returns a data byte, because one handler
 *   serves both ports.  Accesses of the wrong size are logged as guest
 *   mistakes and ignored (reads give 0).
 * - A refused DMA write does not move the data offset.
 * - Data port writes are ignored, as in QEMU since v2.4; the first one is
 *   logged.
 */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hvmkit/log.h"
#include "pc.h"

#define FW_CFG_KEY_ARCH        0x8000 /* x86-specific item */
#define FW_CFG_KEY_INDEX       0x3fff /* bit 14 (write channel) ignored */
#define FW_CFG_NR_GENERIC      (FW_CFG_FILE_FIRST + FW_CFG_FILE_MAX)
#define FW_CFG_NR_ARCH         FW_CFG_FILE_FIRST

#define FW_CFG_ID_TRADITIONAL  0x01
#define FW_CFG_ID_DMA          0x02

#define FW_CFG_DMA_CTL_ERROR   0x01
#define FW_CFG_DMA_CTL_READ    0x02
#define FW_CFG_DMA_CTL_SKIP    0x04
#define FW_CFG_DMA_CTL_SELECT  0x08
#define FW_CFG_DMA_CTL_WRITE   0x10
#define FW_CFG_DMA_DESC_LEN    16     /* control, length, address */
#define FW_CFG_DMA_LEN         8      /* ports 0x514-0x51b */
#define FW_CFG_DMA_ZERO_CHUNK  4096
/* Deviation: QEMU zero-fills any length past an item's end.  Here the
 * padding of one transfer is bounded, so that one guest request cannot
 * keep the device model busy for seconds (and past the hypervisor's
 * ioreq timeout); a longer one fails with the error bit.  Firmware reads
 * items by their size and never needs more than a few bytes of it. */
#define FW_CFG_DMA_ZERO_MAX    (16u << 20)

#define FW_CFG_DIR_ENTRY_LEN   64

/* "QEMU CFG": the DMA register's bytes in port order. */
static const uint8_t fw_cfg_dma_signature[FW_CFG_DMA_LEN] = {
	'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G',
};
static const uint8_t fw_cfg_zeros[FW_CFG_DMA_ZERO_CHUNK];

struct fw_cfg_item {
	uint8_t *data;           /* NULL: absent (or empty) */
	uint32_t len;
	bool writable;           /* by guest DMA writes */
	fw_cfg_select_fn *on_select;
	void *opaque;
};

struct fw_cfg {
	struct dm *dm;
	struct dm_range *ctl_range;  /* 0x510-0x511 */
	struct dm_range *dma_range;  /* 0x514-0x51b */

	struct fw_cfg_item generic[FW_CFG_NR_GENERIC];
	struct fw_cfg_item arch[FW_CFG_NR_ARCH];
	char names[FW_CFG_FILE_MAX][FW_CFG_FILE_NAME_MAX];
	unsigned int nr_files;

	uint16_t selector;
	uint32_t offset;             /* into the selected item, <= its len */
	uint64_t dma_addr;
	bool data_write_logged;
};

/* ---------------------------------------------------------- helpers */

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const uint8_t *p)
{
	return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The item slot a key names, or NULL if no item can have that key. */
static struct fw_cfg_item *fw_cfg_slot(struct fw_cfg *c, uint16_t key)
{
	unsigned int index = key & FW_CFG_KEY_INDEX;

	if (key & FW_CFG_KEY_ARCH)
		return index < FW_CFG_NR_ARCH ? &c->arch[index] : NULL;
	return index < FW_CFG_NR_GENERIC ? &c->generic[index] : NULL;
}

/* Replaces a slot's data with a copy of data (zeros if data is NULL). */
static int fw_cfg_set_item(struct fw_cfg_item *it, const void *data,
			   size_t len)
{
	uint8_t *copy;

	if (len > UINT32_MAX) {
		log_error("fw_cfg: an item of %zu bytes is too large (at "
			  "most 4 GiB - 1)", len);
		return -1;
	}
	copy = malloc(len ? len : 1);
	if (!copy) {
		log_error("fw_cfg: out of memory");
		return -1;
	}
	if (data)
		memcpy(copy, data, len);
	else
		memset(copy, 0, len);
	free(it->data);
	it->data = copy;
	it->len = (uint32_t)len;
	return 0;
}

/* ---------------------------------------------------- guest accesses */

/* Selector write or DMA select ("Selector (Control) Register"). */
static void fw_cfg_select(struct fw_cfg *c, uint16_t key)
{
	struct fw_cfg_item *it = fw_cfg_slot(c, key);

	c->selector = key;
	c->offset = 0;
	if (it && it->on_select)
		it->on_select(it->opaque);
}

/* The selected item; NULL if absent (reads give zeros). */
static struct fw_cfg_item *fw_cfg_current(struct fw_cfg *c)
{
	struct fw_cfg_item *it = fw_cfg_slot(c, c->selector);

	return it && it->data ? it : NULL;
}

/* Bytes of the selected item left after the data offset. */
static uint32_t fw_cfg_left(struct fw_cfg *c, struct fw_cfg_item *it)
{
	return it && c->offset < it->len ? it->len - c->offset : 0;
}

static uint8_t fw_cfg_read_byte(struct fw_cfg *c)
{
	struct fw_cfg_item *it = fw_cfg_current(c);

	if (!fw_cfg_left(c, it))
		return 0;
	return it->data[c->offset++];
}

/* Zeros to [gpa, gpa + len): false at the first byte that is not RAM. */
static bool fw_cfg_dma_zero(struct fw_cfg *c, uint64_t gpa, uint32_t len)
{
	void *p = dm_gmem_map(c->dm, gpa, len);

	if (p) {
		memset(p, 0, len);
		return true;
	}
	while (len) {
		uint32_t n = len < FW_CFG_DMA_ZERO_CHUNK ? len :
			     FW_CFG_DMA_ZERO_CHUNK;

		if (dm_gmem_write(c->dm, gpa, fw_cfg_zeros, n) < 0)
			return false;
		gpa += n;
		len -= n;
	}
	return true;
}

static bool fw_cfg_dma_read(struct fw_cfg *c, uint64_t gpa, uint32_t len)
{
	struct fw_cfg_item *it = fw_cfg_current(c);
	uint32_t n = fw_cfg_left(c, it);

	if (n > len)
		n = len;
	if (n) {
		if (dm_gmem_write(c->dm, gpa, it->data + c->offset, n) < 0)
			goto bad_buffer;
		c->offset += n;
		gpa += n;
		len -= n;
	}
	/* Past the end of the item (spec: "any reads will return ... 0"). */
	if (len > FW_CFG_DMA_ZERO_MAX) {
		log_guest("fw_cfg: DMA read of key %#x: %#x bytes past its end "
			  "(at most %#x): refused", c->selector, len,
			  FW_CFG_DMA_ZERO_MAX);
		return false;
	}
	if (len && !fw_cfg_dma_zero(c, gpa, len))
		goto bad_buffer;
	return true;
bad_buffer:
	log_guest("fw_cfg: DMA read of key %#x into %#llx+%#x: buffer is "
		  "not guest RAM", c->selector, (unsigned long long)gpa, len);
	return false;
}

/* "QEMU prevents starting or finishing the write beyond the end of the
 * item ... Writes to read-only items are also rejected." */
static bool fw_cfg_dma_write(struct fw_cfg *c, uint64_t gpa, uint32_t len)
{
	struct fw_cfg_item *it = fw_cfg_current(c);

	if (!len)
		return true;
	if (!it || !it->writable) {
		log_guest("fw_cfg: DMA write to read-only or absent key %#x "
			  "refused", c->selector);
		return false;
	}
	if (len > fw_cfg_left(c, it)) {
		log_guest("fw_cfg: DMA write of %u bytes at offset %u of key "
			  "%#x (%u bytes) refused: past its end", len,
			  c->offset, c->selector, it->len);
		return false;
	}
	if (dm_gmem_read(c->dm, gpa, it->data + c->offset, len) < 0) {
		log_guest("fw_cfg: DMA write to key %#x from %#llx+%#x: buffer "
			  "is not guest RAM", c->selector,
			  (unsigned long long)gpa, len);
		return false;
	}
	c->offset += len;
	return true;
}

static void fw_cfg_dma_skip(struct fw_cfg *c, uint32_t len)
{
	uint32_t n = fw_cfg_left(c, fw_cfg_current(c));

	c->offset += n < len ? n : len;
}

/* One transfer for the descriptor at desc ("Guest-side DMA Interface"). */
static void fw_cfg_dma_run(struct fw_cfg *c, uint64_t desc)
{
	uint8_t d[FW_CFG_DMA_DESC_LEN], status[4];
	uint32_t control, len;
	uint64_t gpa;
	bool ok = true;

	if (dm_gmem_read(c->dm, desc, d, sizeof(d)) < 0) {
		log_guest("fw_cfg: DMA descriptor at %#llx is not guest RAM",
			  (unsigned long long)desc);
		ok = false;
		goto done;
	}
	control = get_be32(d);
	len = get_be32(d + 4);
	gpa = get_be64(d + 8);

	if (control & FW_CFG_DMA_CTL_SELECT)
		fw_cfg_select(c, (uint16_t)(control >> 16));
	if (control & FW_CFG_DMA_CTL_READ)
		ok = fw_cfg_dma_read(c, gpa, len);
	else if (control & FW_CFG_DMA_CTL_WRITE)
		ok = fw_cfg_dma_write(c, gpa, len);
	else if (control & FW_CFG_DMA_CTL_SKIP)
		fw_cfg_dma_skip(c, len);
done:
	/* The control word alone may still be RAM if the rest is not. */
	put_be32(status, ok ? 0 : FW_CFG_DMA_CTL_ERROR);
	dm_gmem_write(c->dm, desc, status, sizeof(status));
}

/* Ports 0x510 (selector) and 0x511 (data). */
static uint64_t fw_cfg_ctl_read(void *opaque, uint64_t offset,
				unsigned int size)
{
	struct fw_cfg *c = opaque;

	if (offset == 1 && size == 1)
		return fw_cfg_read_byte(c);
	log_guest("fw_cfg: %u-byte read of port %#llx ignored (the selector "
		  "is write-only, the data port 8-bit)", size,
		  (unsigned long long)(FW_CFG_PORT_SEL + offset));
	return 0;
}

static void fw_cfg_ctl_write(void *opaque, uint64_t offset, uint64_t value,
			     unsigned int size)
{
	struct fw_cfg *c = opaque;

	if (offset == 0 && size == 2) {
		fw_cfg_select(c, (uint16_t)value);
	} else if (offset == 1 && size == 1) {
		/* "writes to the fw_cfg data register are no longer
		 * supported, and will be ignored" (QEMU v2.4+). */
		if (!c->data_write_logged) {
			c->data_write_logged = true;
			log_guest("fw_cfg: writes to the data port are "
				  "ignored (use DMA)");
		}
	} else {
		log_guest("fw_cfg: %u-byte write %#llx to port %#llx ignored "
			  "(the selector is 16-bit, the data port 8-bit)",
			  size, (unsigned long long)value,
			  (unsigned long long)(FW_CFG_PORT_SEL + offset));
	}
}

/* Ports 0x514-0x51b: the DMA address register. */
static uint64_t fw_cfg_dma_reg_read(void *opaque, uint64_t offset,
				    unsigned int size)
{
	uint64_t v = 0;

	(void)opaque;
	for (unsigned int i = 0; i < size && i < 8; i++)
		if (offset < FW_CFG_DMA_LEN && i < FW_CFG_DMA_LEN - offset)
			v |= (uint64_t)fw_cfg_dma_signature[offset + i] <<
			     (8 * i);
	return v;
}

static void fw_cfg_dma_reg_write(void *opaque, uint64_t offset,
				 uint64_t value, unsigned int size)
{
	struct fw_cfg *c = opaque;
	uint64_t desc;

	/* Port byte order is the register's big-endian byte order. */
	if (size == 4 && offset == 0) {
		c->dma_addr = (uint64_t)__builtin_bswap32((uint32_t)value) <<
			      32 | (c->dma_addr & 0xffffffffu);
		return;
	}
	if (size == 4 && offset == 4) {
		desc = (c->dma_addr & ~0xffffffffull) |
		       __builtin_bswap32((uint32_t)value);
	} else if (size == 8 && offset == 0) {
		desc = __builtin_bswap64(value);
	} else {
		log_guest("fw_cfg: %u-byte write to DMA port %#llx ignored "
			  "(32-bit writes to 0x514 and 0x518 only)", size,
			  (unsigned long long)(FW_CFG_PORT_DMA + offset));
		return;
	}
	/* "The value for the register is 0 at startup and after an
	 * operation." */
	c->dma_addr = 0;
	fw_cfg_dma_run(c, desc);
}

static const struct dm_io_ops fw_cfg_ctl_ops = {
	.read = fw_cfg_ctl_read,
	.write = fw_cfg_ctl_write,
};

static const struct dm_io_ops fw_cfg_dma_ops = {
	.read = fw_cfg_dma_reg_read,
	.write = fw_cfg_dma_reg_write,
};

/* ------------------------------------------------------------ items */

int fw_cfg_add_bytes(struct fw_cfg *c, uint16_t key, const void *data,
		     size_t len)
{
	unsigned int index = key & ~FW_CFG_KEY_ARCH;

	if (index >= FW_CFG_FILE_FIRST || key == FW_CFG_SIGNATURE ||
	    key == FW_CFG_ID || key == FW_CFG_FILE_DIR) {
		log_error("fw_cfg: key %#x is not a numbered item one may add "
			  "(0x02-0x1f except 0x19, or 0x8000-0x801f)", key);
		return -1;
	}
	return fw_cfg_set_item(fw_cfg_slot(c, key), data, len);
}

int fw_cfg_add_le16(struct fw_cfg *c, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return fw_cfg_add_bytes(c, key, b, sizeof(b));
}

int fw_cfg_add_le32(struct fw_cfg *c, uint16_t key, uint32_t v)
{
	uint8_t b[4];

	for (unsigned int i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(c, key, b, sizeof(b));
}

int fw_cfg_add_le64(struct fw_cfg *c, uint16_t key, uint64_t v)
{
	uint8_t b[8];

	for (unsigned int i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(c, key, b, sizeof(b));
}

/* Rebuilds the file directory (key 0x19) from the files. */
static int fw_cfg_update_dir(struct fw_cfg *c)
{
	size_t len = 4 + (size_t)c->nr_files * FW_CFG_DIR_ENTRY_LEN;
	uint8_t *dir = calloc(1, len);
	int ret;

	if (!dir) {
		log_error("fw_cfg: out of memory");
		return -1;
	}
	put_be32(dir, c->nr_files);
	for (unsigned int i = 0; i < c->nr_files; i++) {
		uint8_t *e = dir + 4 + (size_t)i * FW_CFG_DIR_ENTRY_LEN;

		put_be32(e, c->generic[FW_CFG_FILE_FIRST + i].len);
		put_be16(e + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
		memcpy(e + 8, c->names[i], FW_CFG_FILE_NAME_MAX);
	}
	ret = fw_cfg_set_item(&c->generic[FW_CFG_FILE_DIR], dir, len);
	free(dir);
	return ret;
}

uint8_t *fw_cfg_add_file(struct fw_cfg *c, const char *name,
			 const void *data, size_t len,
			 fw_cfg_select_fn *on_select, void *opaque,
			 bool writable)
{
	size_t name_len = name ? strlen(name) : 0;
	struct fw_cfg_item *it;

	if (!name_len || name_len >= FW_CFG_FILE_NAME_MAX) {
		log_error("fw_cfg: file name \"%s\" must have 1 to %d "
			  "characters", name ? name : "", FW_CFG_FILE_NAME_MAX - 1);
		return NULL;
	}
	for (unsigned int i = 0; i < c->nr_files; i++) {
		if (!strcmp(c->names[i], name)) {
			log_error("fw_cfg: duplicate file name \"%s\"", name);
			return NULL;
		}
	}
	if (c->nr_files >= FW_CFG_FILE_MAX) {
		log_error("fw_cfg: cannot add \"%s\": all %d file slots are "
			  "taken", name, FW_CFG_FILE_MAX);
		return NULL;
	}
	it = &c->generic[FW_CFG_FILE_FIRST + c->nr_files];
	if (fw_cfg_set_item(it, data, len) < 0)
		return NULL;
	memset(c->names[c->nr_files], 0, FW_CFG_FILE_NAME_MAX);
	memcpy(c->names[c->nr_files], name, name_len);
	c->nr_files++;
	if (fw_cfg_update_dir(c) < 0) {
		c->nr_files--;
		free(it->data);
		it->data = NULL;
		it->len = 0;
		return NULL;
	}
	it->writable = writable;
	it->on_select = on_select;
	it->opaque = opaque;
	return it->data;
}

/* -------------------------------------------------------- lifecycle */

void fw_cfg_reset(struct fw_cfg *c)
{
	c->selector = FW_CFG_SIGNATURE;
	c->offset = 0;
	c->dma_addr = 0;
}

void fw_cfg_destroy(struct fw_cfg *c)
{
	if (!c)
		return;
	if (c->ctl_range)
		dm_release(c->dm, c->ctl_range);
	if (c->dma_range)
		dm_release(c->dm, c->dma_range);
	for (unsigned int i = 0; i < FW_CFG_NR_GENERIC; i++)
		free(c->generic[i].data);
	for (unsigned int i = 0; i < FW_CFG_NR_ARCH; i++)
		free(c->arch[i].data);
	free(c);
}

struct fw_cfg *fw_cfg_create(struct dm *dm)
{
	static const uint8_t signature[4] = { 'Q', 'E', 'M', 'U' };
	uint8_t id[4] = { FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA, 0, 0, 0 };
	struct fw_cfg *c = calloc(1, sizeof(*c));

	if (!c) {
		log_error("fw_cfg: out of memory");
		return NULL;
	}
	c->dm = dm;
	if (fw_cfg_set_item(&c->generic[FW_CFG_SIGNATURE], signature,
			    sizeof(signature)) < 0 ||
	    fw_cfg_set_item(&c->generic[FW_CFG_ID], id, sizeof(id)) < 0 ||
	    fw_cfg_update_dir(c) < 0)
		goto fail;
	c->ctl_range = dm_claim(dm, DM_SPACE_PIO, FW_CFG_PORT_SEL, 2,
				&fw_cfg_ctl_ops, c, 0, "fw_cfg");
	if (!c->ctl_range)
		goto fail;
	c->dma_range = dm_claim(dm, DM_SPACE_PIO, FW_CFG_PORT_DMA,
				FW_CFG_DMA_LEN, &fw_cfg_dma_ops, c, 0,
				"fw_cfg-dma");
	if (!c->dma_range)
		goto fail;
	fw_cfg_reset(c);
	return c;
fail:
	fw_cfg_destroy(c);
	return NULL;
}
