/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI bus 0 as the device model owns it: the configuration space of every
 * function a device registers (the hypervisor decodes the 0xCF8/0xCFC
 * mechanism and forwards accesses of claimed functions as PCI_CONFIG
 * ioreqs), BAR sizing and mapping, and INTx.
 *
 * References: PCI Local Bus Specification 3.0, section 6.1 (configuration
 * space organization: reads of functions that do not exist return all
 * ones), 6.2 (the type-0 header: 6.2.1 IDs, 6.2.2 command, 6.2.3 status,
 * 6.2.4 miscellaneous registers) and 6.2.5 (base address registers).
 *
 * The core keeps the header (0x00-0x3f) itself: read-only IDs, the
 * writable bits of the command register, BARs whose low address bits are
 * hardwired to zero so that writing all ones reads back the size mask
 * (6.2.5.1), interrupt line and pin.  Offsets 0x40 and above belong to the
 * device (config_read/config_write).  A BAR is mapped (claimed from the
 * hypervisor, dm_claim) while its decode bit in the command register is
 * set and its address is valid, and remapped whenever either changes.
 * Like QEMU, a BAR at address 0 counts as unmapped, and an I/O BAR must
 * lie below 64 KiB.
 */
#include "dm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvmkit/log.h"

/* Header offsets and bits (PCI 3.0 section 6.2). */
#define PCI_VENDOR_ID        0x00
#define PCI_DEVICE_ID        0x02
#define PCI_COMMAND          0x04
#define  PCI_COMMAND_IO      0x0001
#define  PCI_COMMAND_MEMORY  0x0002
#define  PCI_COMMAND_MASTER  0x0004
#define  PCI_COMMAND_PARITY  0x0040
#define  PCI_COMMAND_SERR    0x0100
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS           0x06
#define  PCI_STATUS_INTERRUPT 0x08
#define PCI_REVISION_ID      0x08
#define PCI_CLASS_PROG       0x09
#define PCI_CACHE_LINE_SIZE  0x0c
#define PCI_HEADER_TYPE      0x0e
#define PCI_BASE_ADDRESS_0   0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID     0x2e
#define PCI_INTERRUPT_LINE   0x3c
#define PCI_INTERRUPT_PIN    0x3d
#define PCI_HEADER_END       0x40

/* BAR type bits (6.2.5.1). */
#define BAR_IO               0x1
#define BAR_MEM_64           0x4
#define BAR_MEM_PREFETCH     0x8

/* Highest guest-physical address a 64-bit BAR may reach: x86 physical
 * addresses have at most 52 bits, so anything above (e.g. a BAR still
 * holding all ones halfway through sizing) is not mapped. */
#define MMIO64_LIMIT (1ull << 52)
#define NO_ADDR      UINT64_MAX

struct pci_bar {
	struct pci_function *fn;
	unsigned int index;
	struct pci_bar_desc desc;  /* size 0: none, or a 64-bit BAR's top */
	struct dm_range *range;    /* mapped here, or NULL */
	uint64_t failed_at;        /* last address a claim failed at */
};

struct pci_function {
	struct dm *dm;
	unsigned int devfn;
	const struct pci_ops *ops;
	void *opaque;
	uint8_t config[256];
	uint8_t wmask[256];        /* header bits the guest may write */
	struct pci_bar bars[6];
	struct dm_irq *intx;       /* without a router: the GSI line */
	int intx_level;
	int intx_out;              /* the level the router was last told */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t size_mask32(unsigned int size)
{
	return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

void dm_pci_set_intx_router(struct dm *dm, dm_intx_route_fn *fn,
			    void *opaque)
{
	dm->pci.route = fn;
	dm->pci.route_opaque = opaque;
}

unsigned int pci_intx_gsi(unsigned int devfn, unsigned int pin)
{
	/* Without a platform router (--machine none): INTA#-INTD# of slot
	 * S swizzled onto the four IOAPIC pins 16-19. */
	return 16 + (((devfn >> 3) + pin - 1) & 3);
}

static uint8_t bar_type_bits(const struct pci_bar_desc *d)
{
	if (d->space == DM_SPACE_PIO)
		return BAR_IO;
	return (uint8_t)((d->is_64bit ? BAR_MEM_64 : 0) |
			 (d->prefetchable ? BAR_MEM_PREFETCH : 0));
}

static const char *fn_name(const struct pci_function *f, char *buf,
			   size_t len)
{
	snprintf(buf, len, "00:%02x.%x %s", f->devfn >> 3, f->devfn & 7,
		 f->ops->name ? f->ops->name : "");
	return buf;
}

/* ------------------------------------------------------ BAR mapping */

static uint64_t pci_bar_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct pci_bar *b = opaque;
	struct pci_function *f = b->fn;

	if (!f->ops->bar_read)
		return ~0ull;
	return f->ops->bar_read(f->opaque, b->index, offset, size);
}

static void pci_bar_write(void *opaque, uint64_t offset, uint64_t value,
			  unsigned int size)
{
	struct pci_bar *b = opaque;
	struct pci_function *f = b->fn;

	if (f->ops->bar_write)
		f->ops->bar_write(f->opaque, b->index, offset, value, size);
}

static const struct dm_io_ops pci_bar_ops = {
	.read = pci_bar_read,
	.write = pci_bar_write,
};

/* Where BAR b should be mapped now, or NO_ADDR (6.2.2: decode enables;
 * 6.2.5.1: address bits). */
static uint64_t bar_address(const struct pci_function *f,
			    const struct pci_bar *b)
{
	uint16_t cmd = get16(f->config + PCI_COMMAND);
	const uint8_t *reg = f->config + PCI_BASE_ADDRESS_0 + 4 * b->index;
	uint64_t size = b->desc.size, addr;

	if (!size)
		return NO_ADDR;
	if (b->desc.space == DM_SPACE_PIO) {
		if (!(cmd & PCI_COMMAND_IO))
			return NO_ADDR;
		addr = get32(reg) & ~3u;
		if (!addr || addr + size > DM_PIO_LIMIT)
			return NO_ADDR;
		return addr;
	}
	if (!(cmd & PCI_COMMAND_MEMORY))
		return NO_ADDR;
	addr = get32(reg) & ~0xfu;
	if (b->desc.is_64bit) {
		addr |= (uint64_t)get32(reg + 4) << 32;
		if (addr >= MMIO64_LIMIT || size > MMIO64_LIMIT - addr)
			return NO_ADDR;
	}
	/* As QEMU does for 32-bit BARs: one that reaches the last byte
	 * below 4 GiB (the firmware's reset vector) is a BAR in the middle
	 * of sizing, not a mapping. */
	if (addr <= 0xffffffffull && addr + size - 1 >= 0xffffffffull)
		return NO_ADDR;
	return addr ? addr : NO_ADDR;
}

/* Brings every function's mappings in line with its registers: first all
 * releases, then all claims, so a claim that failed because another BAR
 * was in the way is retried once that BAR has moved. */
static void pci_update_mappings(struct dm *dm)
{
	for (unsigned int d = 0; d < 256; d++) {
		struct pci_function *f = dm->pci.fn[d];

		for (unsigned int i = 0; f && i < 6; i++) {
			struct pci_bar *b = &f->bars[i];

			if (b->range && b->range->base != bar_address(f, b)) {
				dm_release(dm, b->range);
				b->range = NULL;
			}
		}
	}
	for (unsigned int d = 0; d < 256; d++) {
		struct pci_function *f = dm->pci.fn[d];

		for (unsigned int i = 0; f && i < 6; i++) {
			struct pci_bar *b = &f->bars[i];
			uint64_t addr = bar_address(f, b);
			char name[32], why[64], fname[24];

			if (b->range || addr == NO_ADDR)
				continue;
			snprintf(name, sizeof(name), "%02x.%x BAR%u",
				 d >> 3, d & 7, i);
			b->range = ranges_claim(dm, b->desc.space, addr,
						b->desc.size, &pci_bar_ops, b,
						b->desc.flags, name, why,
						sizeof(why));
			if (b->range) {
				b->failed_at = NO_ADDR;
			} else if (b->failed_at != addr) {
				b->failed_at = addr;
				log_guest("%s BAR%u at %#llx not mapped: %s",
					  fn_name(f, fname, sizeof(fname)), i,
					  (unsigned long long)addr, why);
			}
		}
	}
}

struct dm_range *pci_bar_range(struct pci_function *f, unsigned int bar)
{
	return f && bar < 6 ? f->bars[bar].range : NULL;
}

/* ------------------------------------------------------------ INTx */

static void pci_update_intx(struct pci_function *f)
{
	uint16_t cmd = get16(f->config + PCI_COMMAND);
	uint16_t status = get16(f->config + PCI_STATUS);
	int out;

	/* 6.2.3: Interrupt Status shows the function's interrupt whether or
	 * not Interrupt Disable (6.2.2) keeps it off INTx#. */
	if (f->intx_level)
		status |= PCI_STATUS_INTERRUPT;
	else
		status &= (uint16_t)~PCI_STATUS_INTERRUPT;
	put16(f->config + PCI_STATUS, status);
	out = f->intx_level && !(cmd & PCI_COMMAND_INTX_DISABLE);
	if (f->dm->pci.route && f->config[PCI_INTERRUPT_PIN]) {
		if (out != f->intx_out)
			f->dm->pci.route(f->dm->pci.route_opaque, f->devfn,
					 f->config[PCI_INTERRUPT_PIN], out);
	} else {
		dm_irq_set(f->intx, out);
	}
	f->intx_out = out;
}

void pci_set_irq(struct pci_function *f, int level)
{
	f->intx_level = !!level;
	pci_update_intx(f);
}

/* ------------------------------------------------------ registration */

static bool bars_valid(const struct pci_bar_desc bars[6], const char *name)
{
	for (unsigned int i = 0; i < 6; i++) {
		const struct pci_bar_desc *d = &bars[i];
		uint64_t min = d->space == DM_SPACE_PIO ? 4 : 16;
		const char *why = NULL;

		if (!d->size)
			continue;
		if (d->size & (d->size - 1) || d->size < min)
			why = "size is not a power of two >= 4 (I/O) or 16";
		else if (d->space == DM_SPACE_PIO &&
			 (d->size > DM_PIO_LIMIT || d->is_64bit ||
			  d->prefetchable))
			why = "not a valid I/O BAR";
		else if (d->space != DM_SPACE_PIO &&
			 d->space != DM_SPACE_MMIO)
			why = "no such address space";
		else if (!d->is_64bit && d->size > (1ull << 31))
			why = "too large for a 32-bit BAR";
		else if (d->is_64bit && (i == 5 || bars[i + 1].size))
			why = "a 64-bit BAR needs the next BAR free";
		else if (d->flags & ~(DM_CLAIM_COALESCED | DM_CLAIM_SHADOWED))
			why = "bad flags";
		if (why) {
			log_error("PCI device %s: BAR%u: %s", name, i, why);
			return false;
		}
		if (d->is_64bit)
			i++;
	}
	return true;
}

/* The power-on header (6.2) and the mask of its guest-writable bits. */
static void header_init(struct pci_function *f, const struct pci_ids *ids)
{
	uint8_t *c = f->config, *w = f->wmask;

	put16(c + PCI_VENDOR_ID, ids->vendor);
	put16(c + PCI_DEVICE_ID, ids->device);
	c[PCI_REVISION_ID] = ids->revision;
	c[PCI_CLASS_PROG] = (uint8_t)ids->class_code;
	c[PCI_CLASS_PROG + 1] = (uint8_t)(ids->class_code >> 8);
	c[PCI_CLASS_PROG + 2] = (uint8_t)(ids->class_code >> 16);
	c[PCI_HEADER_TYPE] = ids->header_type;
	put16(c + PCI_SUBSYSTEM_VENDOR_ID, ids->subsystem_vendor);
	put16(c + PCI_SUBSYSTEM_ID, ids->subsystem);
	c[PCI_INTERRUPT_PIN] = ids->interrupt_pin;

	put16(w + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
	      PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
	      PCI_COMMAND_INTX_DISABLE);
	w[PCI_CACHE_LINE_SIZE] = 0xff;
	w[PCI_INTERRUPT_LINE] = 0xff;
	for (unsigned int i = 0; i < 6; i++) {
		const struct pci_bar_desc *d = &f->bars[i].desc;
		uint8_t *reg = c + PCI_BASE_ADDRESS_0 + 4 * i;
		uint64_t mask = ~(d->size - 1);

		if (!d->size)
			continue;
		put32(reg, bar_type_bits(d));
		put32(w + PCI_BASE_ADDRESS_0 + 4 * i,
		      (uint32_t)mask & (d->space == DM_SPACE_PIO ? ~3u :
					~0xfu));
		if (d->is_64bit)
			put32(w + PCI_BASE_ADDRESS_0 + 4 * (i + 1),
			      (uint32_t)(mask >> 32));
	}
}

struct pci_function *dm_pci_register(struct dm *dm, unsigned int devfn,
				     const struct pci_ids *ids,
				     const struct pci_bar_desc bars[6],
				     const struct pci_ops *ops, void *opaque)
{
	const char *name = ops && ops->name ? ops->name : "?";
	struct pci_function *f;
	struct dm_msg_pci msg;

	if (devfn >= 256 || !ids || !ops || ids->interrupt_pin > 4 ||
	    ids->header_type & 0x7f) {
		log_error("PCI device %s: bad registration", name);
		return NULL;
	}
	if (dm->pci.fn[devfn]) {
		log_error("PCI device %s: slot 00:%02x.%x is taken by %s",
			  name, devfn >> 3, devfn & 7,
			  dm->pci.fn[devfn]->ops->name ?
			  dm->pci.fn[devfn]->ops->name : "another device");
		return NULL;
	}
	if (dm->ready) {
		log_error("PCI device %s: no hotplug", name);
		return NULL;
	}
	if (bars && !bars_valid(bars, name))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f) {
		log_error("out of memory");
		return NULL;
	}
	f->dm = dm;
	f->devfn = devfn;
	f->ops = ops;
	f->opaque = opaque;
	for (unsigned int i = 0; i < 6; i++) {
		f->bars[i].fn = f;
		f->bars[i].index = i;
		f->bars[i].failed_at = NO_ADDR;
		if (bars) /* a 64-bit BAR's top half has size 0 (checked) */
			f->bars[i].desc = bars[i];
	}
	header_init(f, ids);
	if (ids->interrupt_pin && !dm->pci.route) {
		f->intx = dm_irq_get(dm, pci_intx_gsi(devfn,
						      ids->interrupt_pin),
				     DM_IRQ_MODE_LEVEL);
		if (!f->intx) {
			free(f);
			return NULL;
		}
	}
	memset(&msg, 0, sizeof(msg));
	msg.devfn = devfn;
	if (ctl_send_claim(dm, DM_MSG_CLAIM_PCI, &msg, sizeof(msg),
			   "a PCI function") < 0) {
		free(f);
		return NULL;
	}
	dm->pci.fn[devfn] = f;
	return f;
}

uint8_t *pci_config_bytes(struct pci_function *f)
{
	return f->config;
}

/* ------------------------------------------------------ config space */

/* Accesses must be 1, 2 or 4 bytes within one dword (the 0xCFC window). */
static bool access_ok(unsigned int devfn, unsigned int reg,
		      unsigned int size)
{
	if ((size == 1 || size == 2 || size == 4) && devfn < 256 &&
	    reg < 256 && (reg & 3) + size <= 4)
		return true;
	log_guest("PCI config access of %u bytes at %02x.%x offset %#x "
		  "crosses a dword", size, (devfn >> 3) & 0x1f, devfn & 7,
		  reg);
	return false;
}

uint32_t pci_config_read(struct dm *dm, unsigned int devfn, unsigned int reg,
			 unsigned int size)
{
	struct pci_function *f;
	uint32_t v = 0;

	if (!access_ok(devfn, reg, size))
		return size_mask32(size);
	f = dm->pci.fn[devfn];
	if (!f)
		return size_mask32(size); /* 6.1: no such function */
	if (reg >= PCI_HEADER_END && f->ops->config_read)
		return f->ops->config_read(f->opaque, reg, size) &
		       size_mask32(size);
	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)f->config[reg + i] << (8 * i);
	return v;
}

void pci_config_write(struct dm *dm, unsigned int devfn, unsigned int reg,
		      unsigned int size, uint32_t value)
{
	struct pci_function *f;
	bool cmd = false, bar = false;

	if (!access_ok(devfn, reg, size))
		return;
	f = dm->pci.fn[devfn];
	if (!f)
		return;
	value &= size_mask32(size);
	if (reg >= PCI_HEADER_END) {
		if (f->ops->config_write)
			f->ops->config_write(f->opaque, reg, size, value);
		return;
	}
	for (unsigned int i = 0; i < size; i++) {
		unsigned int r = reg + i;
		uint8_t b = (uint8_t)(value >> (8 * i)), m = f->wmask[r];

		f->config[r] = (uint8_t)((f->config[r] & ~m) | (b & m));
		cmd |= r == PCI_COMMAND || r == PCI_COMMAND + 1;
		bar |= r >= PCI_BASE_ADDRESS_0 && r < PCI_BASE_ADDRESS_0 + 24;
	}
	if (cmd)
		pci_update_intx(f);
	if (cmd || bar)
		pci_update_mappings(dm);
}

/* ------------------------------------------------------------ reset */

void pci_reset_all(struct dm *dm)
{
	for (unsigned int d = 0; d < 256; d++) {
		struct pci_function *f = dm->pci.fn[d];
		uint8_t *c;

		if (!f)
			continue;
		c = f->config;
		/* What RST# clears (6.2.2, 6.2.4, 6.2.5): decoding, bus
		 * mastering and the other command bits, the cache line
		 * size, the interrupt line and the BAR addresses. */
		put16(c + PCI_COMMAND, 0);
		c[PCI_CACHE_LINE_SIZE] = 0;
		c[PCI_INTERRUPT_LINE] = 0;
		for (unsigned int i = 0; i < 6; i++) {
			const struct pci_bar_desc *bd = &f->bars[i].desc;

			f->bars[i].failed_at = NO_ADDR;
			if (!bd->size)
				continue;
			put32(c + PCI_BASE_ADDRESS_0 + 4 * i,
			      bar_type_bits(bd));
			if (bd->is_64bit)
				put32(c + PCI_BASE_ADDRESS_0 + 4 * (i + 1), 0);
		}
		f->intx_level = 0;
		pci_update_intx(f);
		if (f->ops->reset)
			f->ops->reset(f->opaque);
	}
	pci_update_mappings(dm);
}

void pci_free_all(struct dm *dm)
{
	for (unsigned int d = 0; d < 256; d++) {
		free(dm->pci.fn[d]);
		dm->pci.fn[d] = NULL;
	}
}
