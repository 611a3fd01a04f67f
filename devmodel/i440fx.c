/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82441FX PCI and Memory Controller (PMC, the host bridge of the
 * 440FX PCIset) at 00:00.0, after the 82441FX/82442FX datasheet (Intel
 * 290549), chapter 3 "Register Description": the PMC's PCI configuration
 * registers.  The PCI core keeps the header (vendor 8086, device 1237,
 * revision 2, class 060000, subsystem 1af4:1100 as QEMU gives every
 * function so that SeaBIOS recognises the machine); this file keeps the
 * device registers from 0x40: PMCCFG (50h-51h), DETURBO (52h), DBC (53h),
 * AXC (54h), DRAMR (55h-56h), DRAMC (57h), DRAMT (58h), PAM0-PAM6
 * (59h-5Fh), DRB0-DRB7 (60h-67h), FDHC (68h), MTT (70h), CLT (71h), SMRAM
 * (72h), ERRCMD (90h), ERRSTS (91h) and TRC (93h), each with its power-on
 * value and its writable bits.  Offsets the datasheet lists as reserved
 * read 0 and ignore writes.  The reset values of 50h-58h are those Bochs'
 * model of this chip uses (iodev/pci.cc), which follow the datasheet.
 *
 * Deliberate deviations:
 * - The registers only hold values; nothing they configure exists.  The
 *   hypervisor keeps 0xC0000-0xFFFFF as RAM that holds a copy of the BIOS
 *   from the start, as Xen does for HVM guests, whatever the Programmable
 *   Attribute Map (PAM) registers say.  SeaBIOS's shadowing (src/fw/
 *   shadow.c: PAM to 0x30/0x33, copy the image from its 4 GiB alias to
 *   0xF0000, then PAM to 0x10/0x11) therefore copies the image onto an
 *   identical copy of itself, and the read-only "lock" it asks for at the
 *   end is not enforced: a guest can write its BIOS area.
 * - There is no SMM: SMRAM (72h) is stored with its lock semantics (D_LCK
 *   clears and freezes D_OPEN), but 0xA0000-0xBFFFF always belongs to the
 *   VGA range, never to SMRAM.
 * - DRAM sizing and timing registers (DRAMR, DRAMC, DRAMT, DRB) are plain
 *   storage; firmware learns the RAM size from fw_cfg and CMOS instead.
 * - The error registers never report anything: no parity or ECC errors
 *   happen, so ERRSTS stays 0 and writing it has nothing to clear.
 * Writes that set reserved bits or touch reserved offsets are logged at
 * debug level and otherwise ignored, as the hardware would.
 */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hvmkit/log.h"
#include "pc.h"

#define I440FX_DEVFN            0x00 /* 00:00.0 */
#define I440FX_VENDOR           0x8086
#define I440FX_DEVICE           0x1237
#define I440FX_REVISION         0x02
#define I440FX_CLASS            0x060000 /* host bridge */
#define SUBSYS_VENDOR_QEMU      0x1af4
#define SUBSYS_QEMU             0x1100

#define CFG_DEV_START           0x40
#define CFG_SIZE                256

/* Device registers (datasheet chapter 3). */
#define I440FX_PMCCFG           0x50
#define I440FX_PAM0             0x59
#define I440FX_PAM6             0x5f
#define I440FX_SMRAM            0x72
#define  SMRAM_C_BASE_SEG       0x07 /* hardwired 010b: 0xA0000 */
#define  SMRAM_C_BASE_A0000     0x02
#define  SMRAM_G_SMRAME         0x08
#define  SMRAM_D_LCK            0x10
#define  SMRAM_D_CLS            0x20
#define  SMRAM_D_OPEN           0x40

struct i440fx_reg {
	uint8_t reset;  /* power-on value */
	uint8_t wmask;  /* bits the guest may write */
	bool present;   /* false: reserved, reads 0 */
};

#define REG(rst, mask) { .reset = (rst), .wmask = (mask), .present = true }

static const struct i440fx_reg i440fx_regs[CFG_SIZE] = {
	/* PMCCFG: bits 6:4 of the low byte and bit 15 are writable; bit 8
	 * reads as 1 (Bochs: 0x70 and 0x80 | 0x01). */
	[0x50] = REG(0x00, 0x70),
	[0x51] = REG(0x01, 0x80),
	[0x52] = REG(0x00, 0xff), /* DETURBO */
	[0x53] = REG(0x80, 0xff), /* DBC */
	[0x54] = REG(0x00, 0xff), /* AXC */
	[0x55] = REG(0x00, 0xff), /* DRAMR */
	[0x56] = REG(0x00, 0xff),
	[0x57] = REG(0x01, 0xff), /* DRAMC */
	[0x58] = REG(0x10, 0xff), /* DRAMT */
	/* PAM0: only the high nibble (0xF0000-0xFFFFF: bit 4 RE, bit 5 WE);
	 * PAM1-6: RE/WE of two segments each.  Bits 7:6 and 3:2 are
	 * reserved on the 82441FX (caching is the CPU's MTRRs' business). */
	[0x59] = REG(0x00, 0x30),
	[0x5a] = REG(0x00, 0x33),
	[0x5b] = REG(0x00, 0x33),
	[0x5c] = REG(0x00, 0x33),
	[0x5d] = REG(0x00, 0x33),
	[0x5e] = REG(0x00, 0x33),
	[0x5f] = REG(0x00, 0x33),
	/* DRB0-7: cumulative row boundaries in 8 MiB units. */
	[0x60] = REG(0x01, 0xff),
	[0x61] = REG(0x01, 0xff),
	[0x62] = REG(0x01, 0xff),
	[0x63] = REG(0x01, 0xff),
	[0x64] = REG(0x01, 0xff),
	[0x65] = REG(0x01, 0xff),
	[0x66] = REG(0x01, 0xff),
	[0x67] = REG(0x01, 0xff),
	[0x68] = REG(0x00, 0xc0), /* FDHC: fixed DRAM hole control */
	[0x70] = REG(0x20, 0xf8), /* MTT: multi-transaction timer */
	[0x71] = REG(0x10, 0xf8), /* CLT: CPU latency timer */
	/* SMRAM: written through i440fx_smram_write(). */
	[I440FX_SMRAM] = REG(SMRAM_C_BASE_A0000, 0x78),
	[0x90] = REG(0x00, 0xff), /* ERRCMD */
	[0x91] = REG(0x00, 0x00), /* ERRSTS: nothing ever to clear */
	[0x93] = REG(0x00, 0xff), /* TRC */
};

struct i440fx {
	struct dm *dm;
	struct pci_function *fn;
	uint8_t *cfg;  /* the function's 256 config bytes (PCI core's) */
};

/* SMRAM (72h): bits 2:0 hardwired to 010b, bit 7 reserved.  Setting
 * D_LCK clears D_OPEN; once D_LCK is set, D_LCK and D_OPEN keep their
 * values (1 and 0) until the next power-on reset. */
static uint8_t i440fx_smram_write(uint8_t old, uint8_t val)
{
	uint8_t v = (uint8_t)((val & i440fx_regs[I440FX_SMRAM].wmask) |
			      SMRAM_C_BASE_A0000);

	if (old & SMRAM_D_LCK)
		v |= SMRAM_D_LCK;
	if (v & SMRAM_D_LCK)
		v &= (uint8_t)~SMRAM_D_OPEN;
	if (v & (SMRAM_G_SMRAME | SMRAM_D_OPEN))
		log_debug("i440fx: SMRAM %#x: no SMM, 0xA0000 stays VGA", v);
	return v;
}

static void i440fx_write_byte(struct i440fx *h, unsigned int off, uint8_t val)
{
	const struct i440fx_reg *r = &i440fx_regs[off];
	uint8_t old = h->cfg[off];

	if (!r->present) {
		log_debug("i440fx: write %#x to reserved offset %#x ignored",
			  val, off);
		return;
	}
	if (val & ~r->wmask && off != I440FX_SMRAM)
		log_debug("i440fx: write %#x to %#x sets read-only bits %#x",
			  val, off, val & ~r->wmask);
	if (off == I440FX_SMRAM)
		h->cfg[off] = i440fx_smram_write(old, val);
	else
		h->cfg[off] = (uint8_t)((old & ~r->wmask) | (val & r->wmask));
	if (off >= I440FX_PAM0 && off <= I440FX_PAM6 && h->cfg[off] != old)
		log_debug("i440fx: PAM%u = %#x (stored; 0xC0000-0xFFFFF is "
			  "always RAM)", off - I440FX_PAM0, h->cfg[off]);
}

static void i440fx_config_write(void *opaque, unsigned int offset,
				unsigned int size, uint32_t value)
{
	struct i440fx *h = opaque;

	if (size > 4 || offset + size > CFG_SIZE)
		return;
	for (unsigned int i = 0; i < size; i++)
		if (offset + i >= CFG_DEV_START)
			i440fx_write_byte(h, offset + i,
					  (uint8_t)(value >> (8 * i)));
}

static void i440fx_reset(void *opaque)
{
	struct i440fx *h = opaque;

	for (unsigned int off = CFG_DEV_START; off < CFG_SIZE; off++)
		h->cfg[off] = i440fx_regs[off].reset;
}

static const struct pci_ops i440fx_pci_ops = {
	.name = "i440fx",
	.reset = i440fx_reset,
	.config_write = i440fx_config_write,
};

struct i440fx *i440fx_create(struct dm *dm)
{
	static const struct pci_ids ids = {
		.vendor = I440FX_VENDOR,
		.device = I440FX_DEVICE,
		.subsystem_vendor = SUBSYS_VENDOR_QEMU,
		.subsystem = SUBSYS_QEMU,
		.revision = I440FX_REVISION,
		.class_code = I440FX_CLASS,
		.header_type = 0x00,
		.interrupt_pin = 0,
	};
	struct i440fx *h = calloc(1, sizeof(*h));

	if (!h) {
		log_error("i440fx: out of memory");
		return NULL;
	}
	h->dm = dm;
	h->fn = dm_pci_register(dm, I440FX_DEVFN, &ids, NULL,
				&i440fx_pci_ops, h);
	if (!h->fn) {
		log_error("i440fx: cannot register PCI function 00:00.0");
		free(h);
		return NULL;
	}
	h->cfg = pci_config_bytes(h->fn);
	i440fx_reset(h);
	return h;
}

void i440fx_destroy(struct i440fx *h)
{
	free(h);
}
