/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the PC chipset (devmodel/i440fx.c, piix3.c, piix4-pm.c)
 * on the fake device model (fake-dm.h): PCI identities and register
 * power-on values, PAM/SMRAM storage, PIIX3 PIRQ routing of PCI INTx#
 * (programmed as SeaBIOS does), the CF9h and 92h resets, the PIIX4 PM
 * block (PMBA mapping, PM timer, PM1 status/enable/control, SCI, power
 * button, sleep and power-off, GPE0, APM ports) and reset.
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

#define HOST_DEVFN  0x00 /* 00:00.0 */
#define ISA_DEVFN   0x08 /* 00:01.0 */
#define PM_DEVFN    0x0b /* 00:01.3 */

/* PIIX4 PM configuration and I/O registers. */
#define PMBA        0x40
#define DEVACTB     0x58
#define PMREGMISC   0x80
#define SMBBA       0x90
#define SMBHSTCFG   0xd2
#define PM1_STS     0x00
#define PM1_EN      0x02
#define PM1_CNT     0x04
#define PM_TMR      0x08
#define TMR_BIT     0x0001
#define GBL_BIT     0x0020
#define PWRBTN_BIT  0x0100
#define WAK_BIT     0x8000
#define SCI_EN      0x0001
#define SLP_EN      0x2000
#define SLP_TYP(t)  ((t) << 10)

#define PM_HZ       3579545ull
#define SEC         1000000000ull
#define PM_BASE     0x600 /* what SeaBIOS programs with etc/table-loader */

#define SCI_GSI     9

struct fx {
	struct dm *dm;
	struct i440fx *host;
	struct piix3 *isa;
	struct piix4_pm *pm;
};

/* --------------------------------------------------------- error lines */

/* ------------------------------------------------------------ fixtures */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fake_errors_capture();
	f->dm = fake_dm_new(4096);
	if (!f->dm)
		return -1;
	f->host = i440fx_create(f->dm);
	f->isa = piix3_create(f->dm);
	f->pm = piix4_pm_create(f->dm);
	if (!f->host || !f->isa || !f->pm || fake_nr_errors)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	bool clean;

	piix4_pm_destroy(f->pm);
	piix3_destroy(f->isa);
	i440fx_destroy(f->host);
	clean = fake_dm_free(f->dm);
	fake_errors_release();
	free(f);
	/* Every claim and timer was given back. */
	return clean ? 0 : -1;
}

static uint32_t cfg_rd(struct fx *f, unsigned int devfn, unsigned int off,
		       unsigned int size)
{
	return fake_pci_config_read(f->dm, devfn, off, size);
}

static void cfg_wr(struct fx *f, unsigned int devfn, unsigned int off,
		   unsigned int size, uint32_t v)
{
	fake_pci_config_write(f->dm, devfn, off, size, v);
}

/* The PM block where SeaBIOS puts it (src/fw/pciinit.c). */
static void pm_map(struct fx *f, uint16_t base)
{
	cfg_wr(f, PM_DEVFN, PMBA, 4, base | 1u);
	cfg_wr(f, PM_DEVFN, PMREGMISC, 1, 1);
}

static uint32_t pm_rd(struct fx *f, unsigned int off, unsigned int size)
{
	return (uint32_t)fake_pio_read(f->dm, PM_BASE + off, size);
}

static void pm_wr(struct fx *f, unsigned int off, unsigned int size,
		  uint32_t v)
{
	fake_pio_write(f->dm, PM_BASE + off, v, size);
}

static int sci(struct fx *f)
{
	return fake_irq_level(f->dm, SCI_GSI);
}

/* PM timer count at the fake clock's time ns. */
static uint32_t pm_count_at(uint64_t ns)
{
	return (uint32_t)((unsigned __int128)ns * PM_HZ / SEC) & 0xffffff;
}

/* A PCI function with an interrupt pin, as a NIC or disk would be. */
static const struct pci_ops dummy_ops = {
	.name = "dummy",
};

static struct pci_function *dummy_fn(struct fx *f, unsigned int slot,
				     unsigned int pin)
{
	const struct pci_ids ids = {
		.vendor = 0x1234,
		.device = 0x5678,
		.class_code = 0x020000,
		.interrupt_pin = (uint8_t)pin,
	};
	struct pci_function *fn = dm_pci_register(f->dm, slot << 3, &ids,
						  NULL, &dummy_ops, NULL);

	assert_non_null(fn);
	return fn;
}

/* SeaBIOS's piix_isa_bridge_setup(): PIRQA-D to IRQ 10, 10, 11, 11. */
static void pirq_seabios(struct fx *f)
{
	static const uint8_t irqs[4] = { 10, 10, 11, 11 };

	for (unsigned int i = 0; i < 4; i++)
		cfg_wr(f, ISA_DEVFN, 0x60 + i, 1, irqs[i]);
}

static void assert_lines(struct fx *f, int l5, int l9, int l10, int l11)
{
	assert_int_equal(fake_irq_level(f->dm, 5), l5);
	assert_int_equal(fake_irq_level(f->dm, 9), l9);
	assert_int_equal(fake_irq_level(f->dm, 10), l10);
	assert_int_equal(fake_irq_level(f->dm, 11), l11);
}

/* ----------------------------------------------------------- identity */

static void test_ids(void **state)
{
	struct fx *f = *state;

	/* i440FX: 8086:1237 rev 2, class 060000, single function. */
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x00, 4), 0x12378086);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x08, 4), 0x06000002);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x0e, 1), 0x00);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x2c, 4), 0x11001af4);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x3d, 1), 0);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x10, 4), 0); /* no BAR */
	/* PIIX3: 8086:7000, class 060100, multi-function. */
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x00, 4), 0x70008086);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x08, 4) >> 8, 0x060100);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x0e, 1), 0x80);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x2c, 4), 0x11001af4);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x3d, 1), 0);
	/* PIIX4 PM: 8086:7113 rev 3, class 068000, no pin. */
	assert_int_equal(cfg_rd(f, PM_DEVFN, 0x00, 4), 0x71138086);
	assert_int_equal(cfg_rd(f, PM_DEVFN, 0x08, 4), 0x06800003);
	assert_int_equal(cfg_rd(f, PM_DEVFN, 0x2c, 4), 0x11001af4);
	assert_int_equal(cfg_rd(f, PM_DEVFN, 0x3d, 1), 0);
	/* Functions 1, 2 (IDE/USB) do not exist yet. */
	assert_int_equal(cfg_rd(f, 0x09, 0x00, 4), 0xffffffffu);
	/* SCI on IRQ 9, level; PIRQ lines 5, 9, 10, 11 level. */
	assert_int_equal(fake_irq_mode(f->dm, 9), DM_IRQ_MODE_LEVEL);
	assert_int_equal(fake_irq_mode(f->dm, 10), DM_IRQ_MODE_LEVEL);
	assert_lines(f, 0, 0, 0, 0);
}

/* ------------------------------------------------------------- i440FX */

static void test_i440fx_reset_values(void **state)
{
	struct fx *f = *state;

	for (unsigned int i = 0x59; i <= 0x5f; i++)
		assert_int_equal(cfg_rd(f, HOST_DEVFN, i, 1), 0x00);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x72, 1), 0x02);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x50, 2), 0x0100);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x53, 1), 0x80);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x57, 1), 0x01);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x58, 1), 0x10);
	/* Reserved offsets read 0 and ignore writes. */
	cfg_wr(f, HOST_DEVFN, 0x40, 4, 0xffffffff);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x40, 4), 0);
}

static void test_pam_readback(void **state)
{
	struct fx *f = *state;

	/* SeaBIOS make_bios_writable: dword read-modify-write at 58h and
	 * 5Ch (DRAMT shares the first dword and must survive). */
	uint32_t lo = cfg_rd(f, HOST_DEVFN, 0x58, 4);
	uint32_t hi = cfg_rd(f, HOST_DEVFN, 0x5c, 4);

	assert_int_equal(lo, 0x00000010);
	assert_int_equal(hi, 0x00000000);
	cfg_wr(f, HOST_DEVFN, 0x58, 4, 0x33333010);
	cfg_wr(f, HOST_DEVFN, 0x5c, 4, 0x33333333);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x58, 4), 0x33333010);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x5c, 4), 0x33333333);
	/* make_bios_readonly: 0x11/0x31 for the ROM segments, 0x10 for
	 * 0xF0000. */
	cfg_wr(f, HOST_DEVFN, 0x59, 1, 0x10);
	cfg_wr(f, HOST_DEVFN, 0x5a, 1, 0x31);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x58, 4), 0x33311010);
	/* Reserved bits: PAM0's low nibble, bits 7:6 and 3:2. */
	cfg_wr(f, HOST_DEVFN, 0x59, 1, 0xff);
	cfg_wr(f, HOST_DEVFN, 0x5f, 1, 0xff);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x59, 1), 0x30);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x5f, 1), 0x33);
	/* Nothing was mapped or claimed by it. */
	assert_false(fake_claimed(f->dm, DM_SPACE_MMIO, 0xf0000, NULL,
				  NULL));
	/* Reset puts PAM back to 0. */
	fake_pci_reset(f->dm);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x58, 4), 0x00000010);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x5c, 4), 0);
}

static void test_smram(void **state)
{
	struct fx *f = *state;

	/* SeaBIOS smm.c opens SMRAM (0x02 | 0x48), then closes it. */
	cfg_wr(f, HOST_DEVFN, 0x72, 1, 0x4a);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x72, 1), 0x4a);
	cfg_wr(f, HOST_DEVFN, 0x72, 1, 0x0a);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x72, 1), 0x0a);
	/* Bits 2:0 are hardwired to 010b, bit 7 is reserved. */
	cfg_wr(f, HOST_DEVFN, 0x72, 1, 0x85);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x72, 1), 0x02);
	/* D_LCK clears D_OPEN and freezes both until reset. */
	cfg_wr(f, HOST_DEVFN, 0x72, 1, 0x5a);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x72, 1), 0x1a);
	cfg_wr(f, HOST_DEVFN, 0x72, 1, 0x4a);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x72, 1), 0x1a);
	cfg_wr(f, HOST_DEVFN, 0x72, 1, 0x22);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x72, 1), 0x32);
	fake_pci_reset(f->dm);
	assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x72, 1), 0x02);
}

/* -------------------------------------------------------------- PIIX3 */

static void test_piix3_reset_values(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x60, 4), 0x80808080);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x4c, 1), 0x4d);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x4e, 2), 0x0003);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x69, 1), 0x02);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x70, 1), 0x80);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x76, 2), 0x0c0c);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0xa0, 1), 0x08);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0xa8, 1), 0x0f);
	assert_int_equal(fake_pio_read(f->dm, PIIX3_RCR_PORT, 1), 0);
	assert_int_equal(fake_pio_read(f->dm, 0x92, 1), 0);
	/* PIRQRC bits 6:4 are reserved. */
	cfg_wr(f, ISA_DEVFN, 0x61, 1, 0xff);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x61, 1), 0x8f);
}

static void test_pirq_routing(void **state)
{
	struct fx *f = *state;
	/* Slot 3 INTA#: PIRQ (3 - 1 + 0) & 3 = C. */
	struct pci_function *nic = dummy_fn(f, 3, 1);
	/* Slot 5 INTA#: (4 + 0) & 3 = A; slot 4 INTA#: 3 = D; slot 2
	 * INTC#: (1 + 2) & 3 = D as well. */
	struct pci_function *a = dummy_fn(f, 5, 1);
	struct pci_function *d = dummy_fn(f, 4, 1);
	struct pci_function *d2 = dummy_fn(f, 2, 3);

	pirq_seabios(f);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x60, 4), 0x0b0b0a0a);
	assert_lines(f, 0, 0, 0, 0);
	pci_set_irq(nic, 1);
	assert_lines(f, 0, 0, 0, 1);
	assert_int_equal(fake_irq_edges(f->dm, 11), 1);
	pci_set_irq(nic, 1); /* no change, no new edge */
	assert_int_equal(fake_irq_edges(f->dm, 11), 1);
	pci_set_irq(nic, 0);
	assert_lines(f, 0, 0, 0, 0);

	pci_set_irq(a, 1);
	assert_lines(f, 0, 0, 1, 0);
	pci_set_irq(d, 1);
	assert_lines(f, 0, 0, 1, 1);
	pci_set_irq(a, 0);
	pci_set_irq(d, 0);
	assert_lines(f, 0, 0, 0, 0);
	/* Which PIRQ it is shows when only D is moved. */
	cfg_wr(f, ISA_DEVFN, 0x63, 1, 5);
	pci_set_irq(d2, 1);
	assert_lines(f, 1, 0, 0, 0);
	pci_set_irq(d2, 0);
	assert_lines(f, 0, 0, 0, 0);
}

static void test_pirq_shared(void **state)
{
	struct fx *f = *state;
	/* One PIRQ, two functions: slot 3 INTA# and slot 4 INTD# are both
	 * on PIRQC ((3 + 3) & 3 = 2). */
	struct pci_function *a = dummy_fn(f, 3, 1);
	struct pci_function *b = dummy_fn(f, 4, 4);
	/* One IRQ, two PIRQs: slot 9 INTA# (PIRQA) and slot 6 INTA#
	 * (PIRQB), both routed to IRQ 10 by SeaBIOS. */
	struct pci_function *pa = dummy_fn(f, 9, 1);
	struct pci_function *pb = dummy_fn(f, 6, 1);

	pirq_seabios(f);
	pci_set_irq(a, 1);
	pci_set_irq(b, 1);
	assert_lines(f, 0, 0, 0, 1);
	pci_set_irq(a, 0);
	assert_lines(f, 0, 0, 0, 1); /* b still holds PIRQC */
	pci_set_irq(b, 0);
	assert_lines(f, 0, 0, 0, 0);
	assert_int_equal(fake_irq_edges(f->dm, 11), 1);

	pci_set_irq(pa, 1);
	pci_set_irq(pb, 1);
	assert_lines(f, 0, 0, 1, 0);
	pci_set_irq(pa, 0);
	assert_lines(f, 0, 0, 1, 0);
	pci_set_irq(pb, 0);
	assert_lines(f, 0, 0, 0, 0);
	assert_int_equal(fake_irq_edges(f->dm, 10), 1);
}

static void test_pirq_reroute(void **state)
{
	struct fx *f = *state;
	struct pci_function *nic = dummy_fn(f, 3, 1); /* PIRQC */

	pirq_seabios(f);
	pci_set_irq(nic, 1);
	assert_lines(f, 0, 0, 0, 1);
	/* The guest (an OS's link device _SRS) moves PIRQC to IRQ 5. */
	cfg_wr(f, ISA_DEVFN, 0x62, 1, 5);
	assert_lines(f, 1, 0, 0, 0);
	/* Then to 9, shared with the SCI line. */
	cfg_wr(f, ISA_DEVFN, 0x62, 1, 9);
	assert_lines(f, 0, 1, 0, 0);
	/* A dword write that also rewrites A, B, D unchanged. */
	cfg_wr(f, ISA_DEVFN, 0x60, 4, 0x0b0a0a0a);
	assert_lines(f, 0, 0, 1, 0);
	/* Disabled: goes nowhere. */
	cfg_wr(f, ISA_DEVFN, 0x62, 1, 0x8a);
	assert_lines(f, 0, 0, 0, 0);
	/* Enabled again while the device still asserts INTA#. */
	cfg_wr(f, ISA_DEVFN, 0x62, 1, 0x0b);
	assert_lines(f, 0, 0, 0, 1);
	/* An IRQ this platform cannot drive: the interrupt is lost. */
	cfg_wr(f, ISA_DEVFN, 0x62, 1, 0x03);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x62, 1), 0x03);
	assert_lines(f, 0, 0, 0, 0);
	assert_int_equal(fake_irq_level(f->dm, 3), -1);
	pci_set_irq(nic, 0);
	cfg_wr(f, ISA_DEVFN, 0x62, 1, 0x0b);
	assert_lines(f, 0, 0, 0, 0);
}

static void test_pirq_disabled_at_reset(void **state)
{
	struct fx *f = *state;
	struct pci_function *nic = dummy_fn(f, 3, 1);

	/* Power-on: every PIRQRC is 80h, nothing is routed. */
	pci_set_irq(nic, 1);
	assert_lines(f, 0, 0, 0, 0);
	pirq_seabios(f);
	assert_lines(f, 0, 0, 0, 1);
	/* Platform reset: RST# drops INTx#, routing is off again. */
	fake_pci_reset(f->dm);
	assert_int_equal(cfg_rd(f, ISA_DEVFN, 0x60, 4), 0x80808080);
	assert_lines(f, 0, 0, 0, 0);
	pirq_seabios(f);
	assert_lines(f, 0, 0, 0, 0);
	pci_set_irq(nic, 1);
	assert_lines(f, 0, 0, 0, 1);
}

static void test_pirq_and_sci_share_irq9(void **state)
{
	struct fx *f = *state;
	struct pci_function *nic = dummy_fn(f, 3, 1);

	pm_map(f, PM_BASE);
	cfg_wr(f, ISA_DEVFN, 0x62, 1, 9);
	pci_set_irq(nic, 1);
	assert_int_equal(sci(f), 1);
	/* The SCI on the same line: both hold it. */
	pm_wr(f, PM1_EN, 2, PWRBTN_BIT);
	assert_true(fake_power_button(f->dm));
	pci_set_irq(nic, 0);
	assert_int_equal(sci(f), 1);
	pm_wr(f, PM1_STS, 2, PWRBTN_BIT);
	assert_int_equal(sci(f), 0);
}

static void test_cf9_reset(void **state)
{
	struct fx *f = *state;

	/* SeaBIOS (and Linux reboot=pci): 02h, then 06h. */
	fake_pio_write(f->dm, PIIX3_RCR_PORT, 0x02, 1);
	assert_int_equal(fake_reset_requests(f->dm), 0);
	assert_int_equal(fake_pio_read(f->dm, PIIX3_RCR_PORT, 1), 0x02);
	fake_pio_write(f->dm, PIIX3_RCR_PORT, 0x06, 1);
	assert_int_equal(fake_reset_requests(f->dm), 1);
	/* RCPU is not stored; SRST is. */
	assert_int_equal(fake_pio_read(f->dm, PIIX3_RCR_PORT, 1), 0x02);
	/* Only bits 2:1 mean anything. */
	fake_pio_write(f->dm, PIIX3_RCR_PORT, 0xf9, 1);
	assert_int_equal(fake_reset_requests(f->dm), 1);
	assert_int_equal(fake_pio_read(f->dm, PIIX3_RCR_PORT, 1), 0x00);
	/* OVMF writes 06h alone. */
	fake_pio_write(f->dm, PIIX3_RCR_PORT, 0x06, 1);
	assert_int_equal(fake_reset_requests(f->dm), 2);
	fake_pci_reset(f->dm);
	assert_int_equal(fake_pio_read(f->dm, PIIX3_RCR_PORT, 1), 0x00);
	/* The neighbouring port belongs to the hypervisor's CF8h logic. */
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0xcf8, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0xcfa, NULL, NULL));
}

static void test_port92(void **state)
{
	struct fx *f = *state;

	/* A20 gate: stored, reads back, no reset. */
	fake_pio_write(f->dm, 0x92, 0x02, 1);
	assert_int_equal(fake_pio_read(f->dm, 0x92, 1), 0x02);
	assert_int_equal(fake_reset_requests(f->dm), 0);
	/* FAST_INIT 0 -> 1 resets. */
	fake_pio_write(f->dm, 0x92, 0x03, 1);
	assert_int_equal(fake_reset_requests(f->dm), 1);
	assert_int_equal(fake_pio_read(f->dm, 0x92, 1), 0x03);
	/* Still 1: no new transition. */
	fake_pio_write(f->dm, 0x92, 0x03, 1);
	assert_int_equal(fake_reset_requests(f->dm), 1);
	fake_pio_write(f->dm, 0x92, 0x02, 1);
	fake_pio_write(f->dm, 0x92, 0x01, 1);
	assert_int_equal(fake_reset_requests(f->dm), 2);
	/* Reserved bits read 0. */
	fake_pio_write(f->dm, 0x92, 0xfc, 1);
	assert_int_equal(fake_pio_read(f->dm, 0x92, 1), 0x00);
	fake_pio_write(f->dm, 0x92, 0x02, 1);
	fake_pci_reset(f->dm);
	assert_int_equal(fake_pio_read(f->dm, 0x92, 1), 0x00);
}

/* ---------------------------------------------------------- PIIX4 PM */

static void test_pm_config_reset_values(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cfg_rd(f, PM_DEVFN, PMBA, 4), 0x00000001);
	assert_int_equal(cfg_rd(f, PM_DEVFN, PMREGMISC, 1), 0);
	assert_int_equal(cfg_rd(f, PM_DEVFN, SMBBA, 4), 0x00000001);
	assert_int_equal(cfg_rd(f, PM_DEVFN, SMBHSTCFG, 1), 0);
	/* APMC_EN preset: SeaBIOS's bios-256k.bin skips its SMM setup. */
	assert_int_equal(cfg_rd(f, PM_DEVFN, 0x5b, 1), 0x02);
	assert_true(cfg_rd(f, PM_DEVFN, DEVACTB, 4) & (1u << 25));
	assert_int_equal(piix4_pm_io_base(f->pm), 0);
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE, NULL, NULL));
	assert_int_equal(sci(f), 0);
}

static void test_pmba_mapping(void **state)
{
	struct fx *f = *state;
	const char *name;

	/* SeaBIOS: PMBA first, then PMREGMISC. */
	cfg_wr(f, PM_DEVFN, PMBA, 4, PM_BASE | 1);
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE, NULL, NULL));
	assert_int_equal(piix4_pm_io_base(f->pm), 0);
	cfg_wr(f, PM_DEVFN, PMREGMISC, 1, 1);
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE, NULL, &name));
	assert_string_equal(name, "piix4-pm");
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE + 0x3f, NULL,
				 NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE + 0x40, NULL,
				  NULL));
	assert_int_equal(piix4_pm_io_base(f->pm), PM_BASE);
	assert_int_equal(cfg_rd(f, PM_DEVFN, PMBA, 4), PM_BASE | 1);
	/* SCI_EN is set from the start (ACPI-only platform). */
	assert_int_equal(pm_rd(f, PM1_CNT, 2), SCI_EN);

	/* Moved (OVMF's 0xB000). */
	cfg_wr(f, PM_DEVFN, PMBA, 4, 0xb001);
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE, NULL, NULL));
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, 0xb000, NULL, NULL));
	assert_int_equal(piix4_pm_io_base(f->pm), 0xb000);
	assert_int_equal(fake_pio_read(f->dm, 0xb004, 2), SCI_EN);
	/* Only bits 15:6 are address; bit 0 reads 1. */
	cfg_wr(f, PM_DEVFN, PMBA, 4, 0xffffffff);
	assert_int_equal(cfg_rd(f, PM_DEVFN, PMBA, 4), 0xffc1);
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, 0xffc0, NULL, NULL));
	/* Byte write of the high byte moves it as well. */
	cfg_wr(f, PM_DEVFN, PMBA + 1, 1, 0x06);
	assert_int_equal(piix4_pm_io_base(f->pm), 0x6c0);
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, 0x6c0, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0xffc0, NULL, NULL));
	/* PMIOSE off: gone. */
	cfg_wr(f, PM_DEVFN, PMREGMISC, 1, 0xfe);
	assert_int_equal(cfg_rd(f, PM_DEVFN, PMREGMISC, 1), 0);
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0x6c0, NULL, NULL));
	assert_int_equal(piix4_pm_io_base(f->pm), 0);
	/* Base 0 with PMIOSE on counts as unmapped. */
	cfg_wr(f, PM_DEVFN, PMBA, 4, 1);
	cfg_wr(f, PM_DEVFN, PMREGMISC, 1, 1);
	assert_int_equal(piix4_pm_io_base(f->pm), 0);
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0, NULL, NULL));
	assert_int_equal(fake_nr_errors, 0);
}

static uint64_t other_read(void *opaque, uint64_t offset, unsigned int size)
{
	(void)opaque;
	(void)offset;
	(void)size;
	return 0x5a;
}

static const struct dm_io_ops other_ops = {
	.read = other_read,
};

static void test_pmba_conflict(void **state)
{
	struct fx *f = *state;
	struct dm_range *other = dm_claim(f->dm, DM_SPACE_PIO, PM_BASE + 8,
					  4, &other_ops, NULL, 0, "other");
	const char *name;

	assert_non_null(other);
	pm_map(f, PM_BASE);
	/* The claim failed (the fake logs it as the core does): the block
	 * stays unmapped, the other device keeps its ports. */
	assert_true(fake_nr_errors > 0);
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE, NULL, NULL));
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE + 8, NULL,
				 &name));
	assert_string_equal(name, "other");
	/* Programmed elsewhere, it maps. */
	cfg_wr(f, PM_DEVFN, PMBA, 4, 0x701);
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, 0x700, NULL, &name));
	assert_string_equal(name, "piix4-pm");
	/* And back: still taken, nothing changes for the other device. */
	cfg_wr(f, PM_DEVFN, PMBA, 4, PM_BASE | 1);
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0x700, NULL, NULL));
	assert_int_equal(fake_pio_read(f->dm, PM_BASE + 8, 1), 0x5a);
	dm_release(f->dm, other);
	/* Once free, programming the base again maps it. */
	cfg_wr(f, PM_DEVFN, PMBA, 4, PM_BASE | 1);
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE, NULL, &name));
	assert_string_equal(name, "piix4-pm");
}

static void test_pm_timer(void **state)
{
	struct fx *f = *state;
	uint32_t t0, t1;

	pm_map(f, PM_BASE);
	assert_int_equal(pm_rd(f, PM_TMR, 4), 0);
	fake_clock_advance(f->dm, 123456789);
	t0 = pm_rd(f, PM_TMR, 4);
	assert_int_equal(t0, pm_count_at(123456789));
	/* 3579545 counts per second. */
	fake_clock_advance(f->dm, SEC);
	t1 = pm_rd(f, PM_TMR, 4);
	assert_int_equal((t1 - t0) & 0xffffff, 3579545);
	assert_int_equal(t1, t0 + 3579545);
	/* 24 bits: wraps after 2^24 counts (4.69 s). */
	fake_clock_advance(f->dm, 4 * SEC);
	t1 = pm_rd(f, PM_TMR, 4);
	assert_int_equal(t1, pm_count_at(123456789 + 5 * SEC));
	assert_true(t1 < t0 + 5 * 3579545u);
	assert_int_equal(t1, (t0 + 5 * 3579545u) & 0xffffff);
	assert_int_equal(t1 >> 24, 0);
	/* Byte reads see the same count; writes do nothing. */
	assert_int_equal(pm_rd(f, PM_TMR + 2, 1), (t1 >> 16) & 0xff);
	assert_int_equal(pm_rd(f, PM_TMR + 3, 1), 0);
	pm_wr(f, PM_TMR, 4, 0);
	assert_int_equal(pm_rd(f, PM_TMR, 4), t1);
	/* Unimplemented offsets read 0. */
	assert_int_equal(pm_rd(f, 0x0c, 4), 0);
	assert_int_equal(pm_rd(f, 0x3c, 4), 0);
}

static void test_tmr_sts_sci(void **state)
{
	struct fx *f = *state;
	/* Bit 23 first changes at count 0x800000 (2.3435 s). */
	const uint64_t toggle_ns = (0x800000ull * SEC + PM_HZ - 1) / PM_HZ;
	uint64_t when;

	pm_map(f, PM_BASE);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	pm_wr(f, PM1_EN, 2, TMR_BIT);
	assert_int_equal(pm_rd(f, PM1_EN, 2), TMR_BIT);
	assert_true(fake_timer_next(f->dm, &when));
	assert_int_equal(when, toggle_ns);
	fake_clock_advance(f->dm, toggle_ns - 1);
	assert_int_equal(pm_rd(f, PM1_STS, 2) & TMR_BIT, 0);
	assert_int_equal(sci(f), 0);
	fake_clock_advance(f->dm, 1);
	assert_int_equal(sci(f), 1);
	assert_int_equal(pm_rd(f, PM_TMR, 4), 0x800000);
	assert_int_equal(pm_rd(f, PM1_STS, 2) & TMR_BIT, TMR_BIT);
	/* While TMR_STS is set no timer is needed. */
	assert_int_equal(fake_timers_armed(f->dm), 0);
	/* Clearing it lowers the SCI and waits for the next change of bit
	 * 23 (count 0x1000000, the wrap). */
	pm_wr(f, PM1_STS, 2, TMR_BIT);
	assert_int_equal(sci(f), 0);
	assert_int_equal(pm_rd(f, PM1_STS, 2) & TMR_BIT, 0);
	assert_true(fake_timer_next(f->dm, &when));
	assert_int_equal(when, (0x1000000ull * SEC + PM_HZ - 1) / PM_HZ);
	fake_clock_advance(f->dm, 3 * SEC);
	assert_int_equal(sci(f), 1);
	/* SCI_EN off masks it; on again shows it. */
	pm_wr(f, PM1_CNT, 2, 0);
	assert_int_equal(sci(f), 0);
	pm_wr(f, PM1_CNT, 2, SCI_EN);
	assert_int_equal(sci(f), 1);
	/* TMR_EN off: no SCI and no timer, but TMR_STS still latches. */
	pm_wr(f, PM1_EN, 2, 0);
	pm_wr(f, PM1_STS, 2, TMR_BIT);
	assert_int_equal(sci(f), 0);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	fake_clock_advance(f->dm, 3 * SEC);
	assert_int_equal(sci(f), 0);
	assert_int_equal(pm_rd(f, PM1_STS, 2) & TMR_BIT, TMR_BIT);
	/* Enabling it with TMR_STS set raises the SCI at once. */
	pm_wr(f, PM1_EN, 2, TMR_BIT);
	assert_int_equal(sci(f), 1);
}

static void test_pm1_sts_w1c(void **state)
{
	struct fx *f = *state;

	pm_map(f, PM_BASE);
	fake_clock_advance(f->dm, 3 * SEC); /* TMR_STS */
	assert_true(fake_power_button(f->dm)); /* PWRBTN_STS */
	assert_int_equal(pm_rd(f, PM1_STS, 2), TMR_BIT | PWRBTN_BIT);
	/* Writing 0s or bits that are clear changes nothing. */
	pm_wr(f, PM1_STS, 2, 0);
	pm_wr(f, PM1_STS, 2, GBL_BIT);
	assert_int_equal(pm_rd(f, PM1_STS, 2), TMR_BIT | PWRBTN_BIT);
	/* Writing 1 clears just that bit (high byte alone). */
	pm_wr(f, PM1_STS + 1, 1, PWRBTN_BIT >> 8);
	assert_int_equal(pm_rd(f, PM1_STS, 2), TMR_BIT);
	pm_wr(f, PM1_STS, 2, 0xffff);
	assert_int_equal(pm_rd(f, PM1_STS, 2), 0);
	/* PM1_EN: only the defined enables stick. */
	pm_wr(f, PM1_EN, 2, 0xffff);
	assert_int_equal(pm_rd(f, PM1_EN, 2), 0x0521);
	/* A dword at the event block: status low, enable high. */
	assert_int_equal(pm_rd(f, PM1_STS, 4), 0x05210000);
	/* A dword write sets EN and clears STS together. */
	assert_true(fake_power_button(f->dm));
	pm_wr(f, PM1_STS, 4, 0x01000100);
	assert_int_equal(pm_rd(f, PM1_STS, 4), 0x01000000);
}

static void test_power_button(void **state)
{
	struct fx *f = *state;

	pm_map(f, PM_BASE);
	/* Without PWRBTN_EN: status only. */
	assert_true(fake_power_button(f->dm));
	assert_int_equal(pm_rd(f, PM1_STS, 2) & PWRBTN_BIT, PWRBTN_BIT);
	assert_int_equal(sci(f), 0);
	/* Enabling it raises the SCI for the pending press. */
	pm_wr(f, PM1_EN, 2, PWRBTN_BIT);
	assert_int_equal(sci(f), 1);
	assert_int_equal(fake_irq_edges(f->dm, SCI_GSI), 1);
	/* The OS clears the status: SCI drops. */
	pm_wr(f, PM1_STS, 2, PWRBTN_BIT);
	assert_int_equal(sci(f), 0);
	/* Without SCI_EN, no SCI. */
	pm_wr(f, PM1_CNT, 2, 0);
	assert_true(fake_power_button(f->dm));
	assert_int_equal(sci(f), 0);
	pm_wr(f, PM1_CNT, 2, SCI_EN);
	assert_int_equal(sci(f), 1);
	assert_int_equal(fake_irq_edges(f->dm, SCI_GSI), 2);
	/* Pressed again while pending: still one level, no new edge. */
	assert_true(fake_power_button(f->dm));
	assert_int_equal(fake_irq_edges(f->dm, SCI_GSI), 2);
	/* The button works while PM I/O is unmapped too. */
	cfg_wr(f, PM_DEVFN, PMREGMISC, 1, 0);
	assert_int_equal(sci(f), 1);
}

static void test_sleep_and_poweroff(void **state)
{
	struct fx *f = *state;
	unsigned int last = 99;

	pm_map(f, PM_BASE);
	/* SLP_TYP alone does nothing. */
	pm_wr(f, PM1_CNT, 2, SCI_EN | SLP_TYP(1));
	assert_int_equal(pm_rd(f, PM1_CNT, 2), SCI_EN | SLP_TYP(1));
	assert_int_equal(fake_sleep_requests(f->dm, NULL), 0);
	/* SLP_TYP 1 + SLP_EN: a sleep request; SLP_EN reads 0. */
	pm_wr(f, PM1_CNT, 2, SCI_EN | SLP_TYP(1) | SLP_EN);
	assert_int_equal(fake_sleep_requests(f->dm, &last), 1);
	assert_int_equal(last, 1);
	assert_int_equal(fake_poweroff_requests(f->dm), 0);
	assert_int_equal(pm_rd(f, PM1_CNT, 2), SCI_EN | SLP_TYP(1));
	/* The guest runs on as though it woke at once. */
	assert_int_equal(pm_rd(f, PM1_STS, 2) & WAK_BIT, WAK_BIT);
	pm_wr(f, PM1_STS, 2, WAK_BIT);
	assert_int_equal(pm_rd(f, PM1_STS, 2) & WAK_BIT, 0);
	/* S5 as Linux/ACPICA writes it: SLP_TYP first, then SLP_EN. */
	pm_wr(f, PM1_CNT, 2, SCI_EN | SLP_TYP(0));
	pm_wr(f, PM1_CNT, 2, SCI_EN | SLP_TYP(0) | SLP_EN);
	assert_int_equal(fake_poweroff_requests(f->dm), 1);
	assert_int_equal(fake_sleep_requests(f->dm, NULL), 1);
	/* A byte write of the high byte carries SLP_TYP and SLP_EN. */
	pm_wr(f, PM1_CNT + 1, 1, (SLP_TYP(5) | SLP_EN) >> 8);
	assert_int_equal(fake_sleep_requests(f->dm, &last), 2);
	assert_int_equal(last, 5);
	assert_int_equal(pm_rd(f, PM1_CNT, 2), SCI_EN | SLP_TYP(5));
	pm_wr(f, PM1_CNT + 1, 1, SLP_EN >> 8);
	assert_int_equal(fake_poweroff_requests(f->dm), 2);
	/* GBL_RLS is write-only and raises nothing. */
	pm_wr(f, PM1_CNT, 2, SCI_EN | 0x0004);
	assert_int_equal(pm_rd(f, PM1_CNT, 2), SCI_EN);
}

static void test_gpe0(void **state)
{
	struct fx *f = *state;

	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, PIIX4_PM_GPE0_BASE,
				 NULL, NULL));
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO,
				 PIIX4_PM_GPE0_BASE + 3, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO,
				  PIIX4_PM_GPE0_BASE + 4, NULL, NULL));
	assert_int_equal(fake_pio_read(f->dm, PIIX4_PM_GPE0_BASE, 4), 0);
	/* Enable bytes are read/write. */
	fake_pio_write(f->dm, PIIX4_PM_GPE0_BASE + 2, 0x0204, 2);
	assert_int_equal(fake_pio_read(f->dm, PIIX4_PM_GPE0_BASE + 2, 2),
			 0x0204);
	/* An event latches its status; enabled ones raise the SCI. */
	piix4_pm_gpe_event(f->pm, 1);
	assert_int_equal(fake_pio_read(f->dm, PIIX4_PM_GPE0_BASE, 2), 0x0002);
	assert_int_equal(sci(f), 0);
	piix4_pm_gpe_event(f->pm, 9);
	assert_int_equal(fake_pio_read(f->dm, PIIX4_PM_GPE0_BASE, 2), 0x0202);
	assert_int_equal(sci(f), 1);
	/* Status bytes are write-1-to-clear, byte by byte. */
	fake_pio_write(f->dm, PIIX4_PM_GPE0_BASE, 0x00, 1);
	assert_int_equal(fake_pio_read(f->dm, PIIX4_PM_GPE0_BASE, 2), 0x0202);
	fake_pio_write(f->dm, PIIX4_PM_GPE0_BASE + 1, 0x02, 1);
	assert_int_equal(fake_pio_read(f->dm, PIIX4_PM_GPE0_BASE, 2), 0x0002);
	assert_int_equal(sci(f), 0);
	/* Enabling the pending one raises it; SCI_EN gates GPEs too. */
	fake_pio_write(f->dm, PIIX4_PM_GPE0_BASE + 2, 0x02, 1);
	assert_int_equal(sci(f), 1);
	pm_map(f, PM_BASE);
	pm_wr(f, PM1_CNT, 2, 0);
	assert_int_equal(sci(f), 0);
	pm_wr(f, PM1_CNT, 2, SCI_EN);
	fake_pio_write(f->dm, PIIX4_PM_GPE0_BASE, 0xffffffff, 4);
	assert_int_equal(fake_pio_read(f->dm, PIIX4_PM_GPE0_BASE, 4),
			 0xffff0000);
	assert_int_equal(sci(f), 0);
}

static void test_apm_ports(void **state)
{
	struct fx *f = *state;

	assert_int_equal(fake_pio_read(f->dm, APM_CNT_PORT, 1), 0);
	assert_int_equal(fake_pio_read(f->dm, APM_STS_PORT, 1), 0);
	/* SeaBIOS's SMM setup (if APMC_EN were clear): APMS = 1, APMC = 0,
	 * then waits for APMS to read 0 -- no SMI here, so it reads what
	 * was written; the setup is skipped because of APMC_EN. */
	fake_pio_write(f->dm, APM_STS_PORT, 0x01, 1);
	fake_pio_write(f->dm, APM_CNT_PORT, 0x00, 1);
	assert_int_equal(fake_pio_read(f->dm, APM_STS_PORT, 1), 0x01);
	fake_pio_write(f->dm, APM_STS_PORT, 0x00, 1);
	assert_int_equal(fake_pio_read(f->dm, APM_STS_PORT, 1), 0x00);
	fake_pio_write(f->dm, APM_CNT_PORT, 0x55, 1);
	assert_int_equal(fake_pio_read(f->dm, APM_CNT_PORT, 1), 0x55);
	assert_int_equal(fake_pio_read(f->dm, APM_CNT_PORT, 2), 0x0055);
	/* ACPI disable/enable commands toggle SCI_EN. */
	pm_map(f, PM_BASE);
	fake_pio_write(f->dm, APM_CNT_PORT, 0xf0, 1);
	assert_int_equal(pm_rd(f, PM1_CNT, 2), 0);
	fake_pio_write(f->dm, APM_CNT_PORT, 0xf1, 1);
	assert_int_equal(pm_rd(f, PM1_CNT, 2), SCI_EN);
	assert_int_equal(fake_reset_requests(f->dm), 0);
}

static void test_smbus_stored(void **state)
{
	struct fx *f = *state;

	/* SeaBIOS: SMBBA = base + 0x100 | 1, SMBHSTCFG = 9. */
	cfg_wr(f, PM_DEVFN, SMBBA, 4, (PM_BASE + 0x100) | 1);
	cfg_wr(f, PM_DEVFN, SMBHSTCFG, 1, 0x09);
	assert_int_equal(cfg_rd(f, PM_DEVFN, SMBBA, 4), (PM_BASE + 0x100) | 1);
	assert_int_equal(cfg_rd(f, PM_DEVFN, SMBHSTCFG, 1), 0x09);
	cfg_wr(f, PM_DEVFN, SMBBA, 4, 0xffffffff);
	assert_int_equal(cfg_rd(f, PM_DEVFN, SMBBA, 4), 0xfff1);
	/* No SMBus controller appears. */
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE + 0x100, NULL,
				  NULL));
	/* Interrupt Line (SeaBIOS writes 9) is the core's and reads back. */
	cfg_wr(f, PM_DEVFN, 0x3c, 1, 9);
	assert_int_equal(cfg_rd(f, PM_DEVFN, 0x3c, 1), 9);
}

static void test_pm_reset(void **state)
{
	struct fx *f = *state;

	pm_map(f, PM_BASE);
	pm_wr(f, PM1_EN, 2, PWRBTN_BIT | TMR_BIT);
	assert_true(fake_power_button(f->dm));
	piix4_pm_gpe_event(f->pm, 0);
	fake_pio_write(f->dm, PIIX4_PM_GPE0_BASE + 2, 0xff, 1);
	fake_pio_write(f->dm, APM_STS_PORT, 0x77, 1);
	cfg_wr(f, PM_DEVFN, DEVACTB, 4, 0);
	cfg_wr(f, PM_DEVFN, SMBHSTCFG, 1, 0x09);
	assert_int_equal(sci(f), 1);
	assert_int_equal(fake_timers_armed(f->dm), 1);

	fake_pci_reset(f->dm);
	/* Power-on configuration: PM I/O unmapped until programmed. */
	assert_int_equal(cfg_rd(f, PM_DEVFN, PMBA, 4), 1);
	assert_int_equal(cfg_rd(f, PM_DEVFN, PMREGMISC, 1), 0);
	assert_int_equal(cfg_rd(f, PM_DEVFN, DEVACTB, 4), 0x02000000);
	assert_int_equal(cfg_rd(f, PM_DEVFN, SMBHSTCFG, 1), 0);
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, PM_BASE, NULL, NULL));
	assert_int_equal(piix4_pm_io_base(f->pm), 0);
	assert_int_equal(sci(f), 0);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	assert_int_equal(fake_pio_read(f->dm, PIIX4_PM_GPE0_BASE, 4), 0);
	assert_int_equal(fake_pio_read(f->dm, APM_STS_PORT, 1), 0);
	/* Registers at their power-on values once mapped again. */
	pm_map(f, PM_BASE);
	assert_int_equal(pm_rd(f, PM1_STS, 2), 0);
	assert_int_equal(pm_rd(f, PM1_EN, 2), 0);
	assert_int_equal(pm_rd(f, PM1_CNT, 2), SCI_EN);
	/* No TMR_STS straight after the reset either. */
	fake_clock_advance(f->dm, SEC);
	assert_int_equal(pm_rd(f, PM1_STS, 2), 0);
	/* The power button still reaches the same device. */
	assert_true(fake_power_button(f->dm));
	assert_int_equal(pm_rd(f, PM1_STS, 2), PWRBTN_BIT);
}

static void test_create_twice_fails(void **state)
{
	struct fx *f = *state;

	/* The functions and ports are taken: one error line each, NULL. */
	fake_nr_errors = 0;
	assert_null(i440fx_create(f->dm));
	assert_true(fake_nr_errors > 0);
	fake_nr_errors = 0;
	assert_null(piix3_create(f->dm));
	assert_true(fake_nr_errors > 0);
	fake_nr_errors = 0;
	assert_null(piix4_pm_create(f->dm));
	assert_true(fake_nr_errors > 0);
	/* The failed PM did not take the power button away. */
	pm_map(f, PM_BASE);
	assert_true(fake_power_button(f->dm));
	assert_int_equal(pm_rd(f, PM1_STS, 2), PWRBTN_BIT);
}

/* Random guest accesses to every register of the three functions and
 * their ports, with INTx# changes and time passing: nothing may crash
 * (ASan/UBSan builds), and the routed lines and fixed bits stay
 * consistent with the registers. */
static void test_random_accesses(void **state)
{
	struct fx *f = *state;
	static const uint16_t ports[] = {
		PIIX3_RCR_PORT, 0x92, APM_CNT_PORT, APM_STS_PORT,
		PIIX4_PM_GPE0_BASE, PM_BASE, 0xb000,
	};
	static const unsigned int devfns[] = { HOST_DEVFN, ISA_DEVFN,
					       PM_DEVFN };
	struct pci_function *fn[4];
	int level[4] = { 0 };
	uint32_t seed = 12345;

	for (unsigned int i = 0; i < 4; i++)
		fn[i] = dummy_fn(f, 2 + i, 1 + i % 4);
	pm_map(f, PM_BASE);
	for (unsigned int n = 0; n < 200000; n++) {
		bool want[16] = { false };
		unsigned int size, what;

		seed = seed * 1103515245u + 12345u;
		size = 1u << ((seed >> 8) & 3);
		what = (seed >> 12) & 7;
		if (size > 4)
			size = 4;
		if (what < 3) {
			unsigned int devfn = devfns[(seed >> 16) % 3];
			unsigned int off = (seed >> 20) & 0xff & ~(size - 1);

			/* Leave PMBA alone half the time, so that the PM
			 * block stays mapped for a while. */
			if (devfn == PM_DEVFN && off >= 0x40 && off < 0x44 &&
			    (seed & 0x10000000))
				continue;
			if (what == 0)
				cfg_wr(f, devfn, off, size, seed ^ (seed >> 7));
			else
				cfg_rd(f, devfn, off, size);
		} else if (what < 6) {
			uint64_t port = ports[(seed >> 16) % 7] +
					((seed >> 24) & 0x3f);

			if (what == 3)
				fake_pio_write(f->dm, port, seed >> 3, size);
			else
				fake_pio_read(f->dm, port, size);
		} else if (what == 6) {
			unsigned int i = (seed >> 16) & 3;

			level[i] = !level[i];
			pci_set_irq(fn[i], level[i]);
		} else {
			fake_clock_advance(f->dm, (seed >> 10) & 0xffffff);
		}

		/* Each of IRQ 5, 10, 11 is the OR of its PIRQs. */
		for (unsigned int i = 0; i < 4; i++) {
			unsigned int slot = 2 + i, pin = 1 + i % 4;
			uint8_t r = (uint8_t)cfg_rd(f, ISA_DEVFN,
						    0x60 + ((slot + pin - 2) &
							    3), 1);

			assert_int_equal(r & 0x70, 0);
			if (level[i] && !(r & 0x80))
				want[r & 0xf] = true;
		}
		assert_int_equal(fake_irq_level(f->dm, 5), want[5]);
		assert_int_equal(fake_irq_level(f->dm, 10), want[10]);
		assert_int_equal(fake_irq_level(f->dm, 11), want[11]);
		assert_int_equal(cfg_rd(f, PM_DEVFN, PMBA, 1) & 0x3f, 1);
		assert_int_equal(cfg_rd(f, HOST_DEVFN, 0x72, 1) & 0x87, 2);
	}
	for (unsigned int i = 0; i < 4; i++)
		pci_set_irq(fn[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_ids),
		T(test_i440fx_reset_values),
		T(test_pam_readback),
		T(test_smram),
		T(test_piix3_reset_values),
		T(test_pirq_routing),
		T(test_pirq_shared),
		T(test_pirq_reroute),
		T(test_pirq_disabled_at_reset),
		T(test_pirq_and_sci_share_irq9),
		T(test_cf9_reset),
		T(test_port92),
		T(test_pm_config_reset_values),
		T(test_pmba_mapping),
		T(test_pmba_conflict),
		T(test_pm_timer),
		T(test_tmr_sts_sci),
		T(test_pm1_sts_w1c),
		T(test_power_button),
		T(test_sleep_and_poweroff),
		T(test_gpe0),
		T(test_apm_ports),
		T(test_smbus_stored),
		T(test_pm_reset),
		T(test_create_twice_fails),
		T(test_random_accesses),
#undef T
	};

	/* Guest-mistake warnings are expected here; errors are captured. */
	log_init("test-chipset", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
