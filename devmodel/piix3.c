/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82371SB PIIX3 PCI-to-ISA bridge, function 0 (00:01.0), after the
 * 82371FB/82371SB datasheet (Intel 290550): the PCI configuration
 * registers of function 0, the PIRQ router, the Reset Control register at
 * I/O port CF9h and Port 92h.  The PCI core keeps the header (8086:7000,
 * class 060100, header type 80h: the IDE function 00:01.1 and the PIIX4
 * power management function 00:01.3 share the device; subsystem
 * 1af4:1100 as QEMU).  The ISA devices the real chip contains (8259 PICs,
 * ELCR, 8254 PIT) are KVM's in-kernel ones, the RTC is rtc.c, and DMA is
 * not modelled.
 *
 * PIRQ routing (datasheet: PIRQRC[A:D], 60h-63h): each PCI INTx# of the
 * platform is wired to one of the four PIRQ lines as on QEMU's and
 * SeaBIOS's PC, PIRQ = (slot - 1 + pin - 1) mod 4 (QEMU pci_slot_get_pirq,
 * SeaBIOS piix_pci_slot_get_irq); bit 7 of PIRQRCx disables the routing,
 * bits 3:0 name the ISA IRQ it drives.  A PIRQ line is asserted while any
 * INTx# wired to it is (PCI INTx# are shared, active-low open-drain
 * wires); an IRQ line is the OR of every enabled PIRQ routed to it.  The
 * IRQ lines are level-triggered GSIs that KVM delivers to both the 8259
 * and the IOAPIC pin with the same number.
 *
 * Deliberate deviations:
 * - Only IRQ 5, 9, 10 and 11 can be driven: 5, 10 and 11 are the lines
 *   the DSDT's link devices offer (SeaBIOS uses 10 and 11), 9 is the
 *   SCI's, which firmware may share.  A PIRQ the
 *   guest routes elsewhere is logged and its interrupts go nowhere; the
 *   datasheet allows 3-7, 9-12, 14 and 15.
 * - RC (CF9h): the RCPU bit (2) starts a reset on its 0-to-1 transition;
 *   it is not stored (reads 0), so every write with it set is such a
 *   transition, as in QEMU; the reset that follows clears the register
 *   anyway.  A soft reset (SRST = 0, which the chip signals as INIT#) is
 *   done as a full platform reset, like the hard one.
 * - Port 92h: FAST_INIT (bit 0) going from 0 to 1 pulses INIT# on the
 *   real chip; here it resets the platform, as QEMU does.  ALT_A20_GATE
 *   (bit 1) is stored and reads back but masks nothing: KVM has no A20
 *   gate (address bit 20 is never forced to 0), so the A20 line is always
 *   enabled, which is what every 32/64-bit guest and SeaBIOS ask for.
 * - The other configuration registers are plain storage with the
 *   datasheet's reset values (all bits writable): none of the functions
 *   they control (ISA timing, X-Bus chip selects, motherboard IRQ/DMA
 *   routing, APIC chip select, SMI) exists here.
 */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hvmkit/log.h"
#include "pc.h"

#define PIIX3_DEVFN             0x08 /* 00:01.0 */
#define PIIX3_VENDOR            0x8086
#define PIIX3_DEVICE            0x7000
#define PIIX3_CLASS             0x060100 /* ISA bridge */
#define SUBSYS_VENDOR_QEMU      0x1af4
#define SUBSYS_QEMU             0x1100

#define CFG_DEV_START           0x40
#define CFG_SIZE                256

/* PIRQRC[A:D] (60h-63h). */
#define PIIX3_PIRQRC            0x60
#define PIIX3_NR_PIRQS          4
#define  PIRQRC_DISABLE         0x80 /* IRQROUTEN: 1 = not routed */
#define  PIRQRC_IRQ             0x0f
#define  PIRQRC_WMASK           0x8f /* bits 6:4 reserved */

/* Port 92h. */
#define PORT92                  0x92
#define  PORT92_FAST_INIT       0x01
#define  PORT92_A20             0x02
#define  PORT92_WMASK           0x03 /* bits 7:2 reserved */

/* RC, Reset Control (CF9h). */
#define  RCR_SRST               0x02 /* system (hard) reset */
#define  RCR_RCPU               0x04 /* reset CPU on 0 -> 1 */

/* The IRQs the PIIX3 can drive here (see above). */
static const unsigned int piix3_irqs[] = { 5, 9, 10, 11 };
#define PIIX3_NR_LINES (sizeof(piix3_irqs) / sizeof(piix3_irqs[0]))

/* Power-on values of the other device registers (datasheet register
 * summary; QEMU's piix3 reset uses the same). */
static const struct {
	uint8_t off, val;
} piix3_cfg_reset[] = {
	{ 0x4c, 0x4d }, /* IORT: ISA I/O recovery timer */
	{ 0x4e, 0x03 }, /* XBCS: X-Bus chip select */
	{ 0x60, 0x80 }, { 0x61, 0x80 }, { 0x62, 0x80 }, { 0x63, 0x80 },
	{ 0x69, 0x02 }, /* TOM: top of memory */
	{ 0x70, 0x80 }, /* MBIRQ0: motherboard IRQ route, disabled */
	{ 0x76, 0x0c }, { 0x77, 0x0c }, /* MBDMA0/1: none */
	{ 0x78, 0x02 }, /* PCSC: programmable chip select */
	{ 0xa0, 0x08 }, /* SMICNTL */
	{ 0xa8, 0x0f }, /* FTMR: fast-off timer */
};

struct piix3 {
	struct dm *dm;
	struct pci_function *fn;
	uint8_t *cfg;                    /* the PCI core's config bytes */
	struct dm_irq *line[PIIX3_NR_LINES];
	bool line_level[PIIX3_NR_LINES];
	/* INTx# levels: bit (pin - 1) of intx[devfn], and how many asserted
	 * INTx# each PIRQ has. */
	uint8_t intx[256];
	uint8_t pirq_sources[PIIX3_NR_PIRQS];
	struct dm_range *rcr_range, *port92_range;
	uint8_t rcr, port92;
};

/* PIRQ index of INTx# pin (1-4) of the function at devfn. */
static unsigned int piix3_pirq_of(unsigned int devfn, unsigned int pin)
{
	return ((devfn >> 3) + pin - 2) & 3; /* (slot - 1 + pin - 1) mod 4 */
}

static bool piix3_irq_supported(unsigned int irq, unsigned int *index)
{
	for (unsigned int i = 0; i < PIIX3_NR_LINES; i++) {
		if (piix3_irqs[i] == irq) {
			if (index)
				*index = i;
			return true;
		}
	}
	return false;
}

/* Drives each IRQ line to the OR of the enabled PIRQs routed to it. */
static void piix3_update_lines(struct piix3 *p)
{
	bool level[PIIX3_NR_LINES] = { false };

	for (unsigned int pirq = 0; pirq < PIIX3_NR_PIRQS; pirq++) {
		uint8_t route = p->cfg[PIIX3_PIRQRC + pirq];
		unsigned int i;

		if (!(route & PIRQRC_DISABLE) && p->pirq_sources[pirq] &&
		    piix3_irq_supported(route & PIRQRC_IRQ, &i))
			level[i] = true;
	}
	for (unsigned int i = 0; i < PIIX3_NR_LINES; i++) {
		if (level[i] != p->line_level[i]) {
			p->line_level[i] = level[i];
			dm_irq_set(p->line[i], level[i]);
		}
	}
}

/* The INTx router (dm_pci_set_intx_router). */
static void piix3_route_intx(void *opaque, unsigned int devfn,
			     unsigned int pin, int level)
{
	struct piix3 *p = opaque;
	unsigned int pirq;
	uint8_t bit;

	if (devfn >= 256 || pin < 1 || pin > 4) {
		log_guest("piix3: INTx of devfn %#x pin %u ignored", devfn,
			  pin);
		return;
	}
	bit = (uint8_t)(1u << (pin - 1));
	if (!(p->intx[devfn] & bit) == !level)
		return;
	pirq = piix3_pirq_of(devfn, pin);
	if (level) {
		p->intx[devfn] |= bit;
		p->pirq_sources[pirq]++;
	} else {
		p->intx[devfn] &= (uint8_t)~bit;
		p->pirq_sources[pirq]--;
	}
	piix3_update_lines(p);
}

/* ------------------------------------------------------ configuration */

static void piix3_write_pirqrc(struct piix3 *p, unsigned int pirq,
			       uint8_t val)
{
	uint8_t route = val & PIRQRC_WMASK;

	if (route == p->cfg[PIIX3_PIRQRC + pirq])
		return;
	p->cfg[PIIX3_PIRQRC + pirq] = route;
	if (!(route & PIRQRC_DISABLE) &&
	    !piix3_irq_supported(route & PIRQRC_IRQ, NULL))
		log_guest("piix3: PIRQ%c routed to IRQ %u, which this "
			  "platform cannot drive (only 5, 9, 10, 11): its "
			  "interrupts are lost", 'A' + pirq,
			  route & PIRQRC_IRQ);
}

static void piix3_config_write(void *opaque, unsigned int offset,
			       unsigned int size, uint32_t value)
{
	struct piix3 *p = opaque;
	bool pirq_written = false;

	if (size > 4 || offset + size > CFG_SIZE)
		return;
	for (unsigned int i = 0; i < size; i++) {
		unsigned int off = offset + i;
		uint8_t b = (uint8_t)(value >> (8 * i));

		if (off < CFG_DEV_START)
			continue;
		if (off >= PIIX3_PIRQRC &&
		    off < PIIX3_PIRQRC + PIIX3_NR_PIRQS) {
			piix3_write_pirqrc(p, off - PIIX3_PIRQRC, b);
			pirq_written = true;
		} else {
			p->cfg[off] = b;
		}
	}
	/* Re-drive the lines: the old IRQ loses the PIRQ's contribution,
	 * the new one gains it. */
	if (pirq_written)
		piix3_update_lines(p);
}

/* --------------------------------------------------- CF9h and port 92h */

static uint64_t piix3_rcr_read(void *opaque, uint64_t offset,
			       unsigned int size)
{
	struct piix3 *p = opaque;

	(void)offset;
	(void)size;
	return p->rcr | ~0xffull; /* bytes above CF9h are not ours */
}

static void piix3_rcr_write(void *opaque, uint64_t offset, uint64_t value,
			    unsigned int size)
{
	struct piix3 *p = opaque;

	(void)offset;
	if (size != 1)
		log_guest("piix3: %u-byte write to the reset control "
			  "register (CF9h); using its low byte", size);
	p->rcr = value & RCR_SRST;
	if (value & RCR_RCPU) {
		log_debug("piix3: guest reset through CF9h (%s)",
			  value & RCR_SRST ? "hard" : "soft");
		dm_request_guest_reset(p->dm);
	}
}

static const struct dm_io_ops piix3_rcr_ops = {
	.read = piix3_rcr_read,
	.write = piix3_rcr_write,
};

static uint64_t piix3_port92_read(void *opaque, uint64_t offset,
				  unsigned int size)
{
	struct piix3 *p = opaque;

	(void)offset;
	(void)size;
	return p->port92 | ~0xffull;
}

static void piix3_port92_write(void *opaque, uint64_t offset,
			       uint64_t value, unsigned int size)
{
	struct piix3 *p = opaque;
	uint8_t old = p->port92;

	(void)offset;
	if (size != 1)
		log_guest("piix3: %u-byte write to port 92h; using its low "
			  "byte", size);
	p->port92 = value & PORT92_WMASK;
	if (!(old & PORT92_FAST_INIT) && (p->port92 & PORT92_FAST_INIT)) {
		log_debug("piix3: guest reset through port 92h");
		dm_request_guest_reset(p->dm);
	}
}

static const struct dm_io_ops piix3_port92_ops = {
	.read = piix3_port92_read,
	.write = piix3_port92_write,
};

/* ------------------------------------------------------------ lifecycle */

static void piix3_reset(void *opaque)
{
	struct piix3 *p = opaque;

	memset(p->cfg + CFG_DEV_START, 0, CFG_SIZE - CFG_DEV_START);
	for (size_t i = 0; i < sizeof(piix3_cfg_reset) /
			       sizeof(piix3_cfg_reset[0]); i++)
		p->cfg[piix3_cfg_reset[i].off] = piix3_cfg_reset[i].val;
	/* RST# deasserts every INTx# as well (the PCI core lowers each
	 * function's during the same reset). */
	memset(p->intx, 0, sizeof(p->intx));
	memset(p->pirq_sources, 0, sizeof(p->pirq_sources));
	piix3_update_lines(p);
	p->rcr = 0;
	p->port92 = 0;
}

static const struct pci_ops piix3_pci_ops = {
	.name = "piix3",
	.reset = piix3_reset,
	.config_write = piix3_config_write,
};

struct piix3 *piix3_create(struct dm *dm)
{
	static const struct pci_ids ids = {
		.vendor = PIIX3_VENDOR,
		.device = PIIX3_DEVICE,
		.subsystem_vendor = SUBSYS_VENDOR_QEMU,
		.subsystem = SUBSYS_QEMU,
		.revision = 0x00,
		.class_code = PIIX3_CLASS,
		.header_type = 0x80, /* multi-function */
		.interrupt_pin = 0,
	};
	struct piix3 *p = calloc(1, sizeof(*p));

	if (!p) {
		log_error("piix3: out of memory");
		return NULL;
	}
	p->dm = dm;
	for (unsigned int i = 0; i < PIIX3_NR_LINES; i++) {
		p->line[i] = dm_irq_get(dm, piix3_irqs[i], DM_IRQ_MODE_LEVEL);
		if (!p->line[i]) {
			log_error("piix3: cannot get level-triggered IRQ %u",
				  piix3_irqs[i]);
			goto fail;
		}
	}
	p->rcr_range = dm_claim(dm, DM_SPACE_PIO, PIIX3_RCR_PORT, 1,
				&piix3_rcr_ops, p, 0, "piix3-rcr");
	p->port92_range = dm_claim(dm, DM_SPACE_PIO, PORT92, 1,
				   &piix3_port92_ops, p, 0, "piix3-port92");
	if (!p->rcr_range || !p->port92_range) {
		log_error("piix3: cannot claim ports CF9h and 92h");
		goto fail;
	}
	p->fn = dm_pci_register(dm, PIIX3_DEVFN, &ids, NULL, &piix3_pci_ops,
				p);
	if (!p->fn) {
		log_error("piix3: cannot register PCI function 00:01.0");
		goto fail;
	}
	p->cfg = pci_config_bytes(p->fn);
	piix3_reset(p);
	dm_pci_set_intx_router(dm, piix3_route_intx, p);
	return p;

fail:
	piix3_destroy(p);
	return NULL;
}

/* Only at device-model teardown: the PCI functions and the INTx router
 * stay registered with the core (there is no way to take them back), so
 * nothing may raise INTx# or touch 00:01.0 afterwards. */
void piix3_destroy(struct piix3 *p)
{
	if (!p)
		return;
	if (p->rcr_range)
		dm_release(p->dm, p->rcr_range);
	if (p->port92_range)
		dm_release(p->dm, p->port92_range);
	free(p);
}
