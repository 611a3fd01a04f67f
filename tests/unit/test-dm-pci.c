/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the device-model core (devmodel/), linked as it is built:
 * the PCI bus (type-0 header, BAR sizing and mapping, decode enables,
 * INTx, reset; PCI Local Bus Specification 3.0 sections 6.1 and 6.2),
 * control-message and ioreq checks, device option parsing, guest-memory
 * bounds, and the paused clock.  The context runs without a hypervisor
 * (dm_new(-1)): the messages it would send are recorded here, and
 * interrupt lines are local eventfds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dm.h"
#include "hvmkit/log.h"

/* ----------------------------------------------- recorded messages */

#define MAX_MSGS 64

static union {
	struct dm_msg_hdr hdr;
	struct dm_msg_range range;
	struct dm_msg_pci pci;
	uint8_t raw[DM_MSG_MAX];
} msgs[MAX_MSGS];
static unsigned int nr_msgs;

static void record(void *opaque, const struct dm_msg_hdr *m)
{
	(void)opaque;
	assert_true(nr_msgs < MAX_MSGS);
	memcpy(msgs[nr_msgs++].raw, m, m->len);
}

/* The index of the first recorded message of type at or after from, or
 * -1. */
static int find_msg(uint16_t type, unsigned int from)
{
	for (unsigned int i = from; i < nr_msgs; i++)
		if (msgs[i].hdr.type == type)
			return (int)i;
	return -1;
}

static unsigned int count_msgs(uint16_t type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nr_msgs; i++)
		n += msgs[i].hdr.type == type;
	return n;
}

/* -------------------------------------------------- a test device */

struct probe {
	unsigned int reads, writes, resets;
	unsigned int bar;
	uint64_t offset, value;
	unsigned int size;
	unsigned int cfg_offset, cfg_size;
	uint32_t cfg_value;
};

static uint64_t probe_bar_read(void *opaque, unsigned int bar,
			       uint64_t offset, unsigned int size)
{
	struct probe *p = opaque;

	p->reads++;
	p->bar = bar;
	p->offset = offset;
	p->size = size;
	return 0x1234;
}

static void probe_bar_write(void *opaque, unsigned int bar, uint64_t offset,
			    uint64_t value, unsigned int size)
{
	struct probe *p = opaque;

	p->writes++;
	p->bar = bar;
	p->offset = offset;
	p->value = value;
	p->size = size;
}

static uint32_t probe_config_read(void *opaque, unsigned int offset,
				  unsigned int size)
{
	struct probe *p = opaque;

	p->cfg_offset = offset;
	p->cfg_size = size;
	return 0xabcd0000u | offset;
}

static void probe_config_write(void *opaque, unsigned int offset,
			       unsigned int size, uint32_t value)
{
	struct probe *p = opaque;

	p->cfg_offset = offset;
	p->cfg_size = size;
	p->cfg_value = value;
}

static void probe_reset(void *opaque)
{
	((struct probe *)opaque)->resets++;
}

static const struct pci_ops probe_ops = {
	.name = "probe",
	.reset = probe_reset,
	.config_read = probe_config_read,
	.config_write = probe_config_write,
	.bar_read = probe_bar_read,
	.bar_write = probe_bar_write,
};

static const struct pci_ops plain_ops = { .name = "plain" };

static const struct pci_ids ids = {
	.vendor = 0x8086, .device = 0x100e,
	.subsystem_vendor = 0x1af4, .subsystem = 0x1100,
	.revision = 0x03, .class_code = 0x020000,
	.header_type = 0x00, .interrupt_pin = 1,
};

#define DEVFN 0x18 /* 00:03.0 */

/* BAR0: 32 bytes I/O; BAR1: 4 KiB 32-bit prefetchable memory; BAR2+3:
 * 1 MiB 64-bit memory; BAR4+5: 8 GiB 64-bit prefetchable memory. */
static const struct pci_bar_desc bars[6] = {
	{ .size = 32, .space = DM_SPACE_PIO },
	{ .size = 4096, .space = DM_SPACE_MMIO, .prefetchable = true },
	{ .size = 1 << 20, .space = DM_SPACE_MMIO, .is_64bit = true },
	{ 0 },
	{ .size = 8ull << 30, .space = DM_SPACE_MMIO, .is_64bit = true,
	  .prefetchable = true },
	{ 0 },
};

struct fixture {
	struct dm *dm;
	struct probe probe;
	struct pci_function *fn;
};

/* One context for all tests (like the process, it lives until exit); each
 * test starts with no ranges, one fresh function and every line low. */
static struct dm *the_dm;

static int group_setup(void **state)
{
	(void)state;
	the_dm = dm_new(-1);
	if (!the_dm)
		return -1;
	the_dm->ctl.record = record;
	return 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	fx->dm = the_dm;
	irq_lower_all(fx->dm);
	for (unsigned int i = 0; i < DM_MAX_GSI; i++) {
		uint64_t v;

		if (fx->dm->gsi[i].valid &&
		    read(fx->dm->gsi[i].irqfd, &v, sizeof(v)) < 0 &&
		    errno != EAGAIN)
			return -1;
	}
	nr_msgs = 0;
	fx->fn = dm_pci_register(fx->dm, DEVFN, &ids, bars, &probe_ops,
				 &fx->probe);
	if (!fx->fn)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	pci_free_all(fx->dm);
	ranges_free_all(fx->dm);
	free(fx);
	return 0;
}

/* Swallows the error lines of registrations that are meant to fail. */
static bool quiet_errors(const char *msg)
{
	(void)msg;
	return true;
}

static uint32_t cfg_read(struct fixture *fx, unsigned int reg,
			 unsigned int size)
{
	return pci_config_read(fx->dm, DEVFN, reg, size);
}

static void cfg_write(struct fixture *fx, unsigned int reg,
		      unsigned int size, uint32_t v)
{
	pci_config_write(fx->dm, DEVFN, reg, size, v);
}

/* ------------------------------------------------------ header */

static void test_header_ids_and_claim(void **state)
{
	struct fixture *fx = *state;
	int i = find_msg(DM_MSG_CLAIM_PCI, 0);

	assert_true(i >= 0);
	assert_int_equal(msgs[i].pci.devfn, DEVFN);
	assert_int_equal(cfg_read(fx, 0x00, 4), 0x100e8086);
	assert_int_equal(cfg_read(fx, 0x02, 2), 0x100e);
	assert_int_equal(cfg_read(fx, 0x08, 4), 0x02000003);
	assert_int_equal(cfg_read(fx, 0x0e, 1), 0x00);
	assert_int_equal(cfg_read(fx, 0x2c, 4), 0x11001af4);
	assert_int_equal(cfg_read(fx, 0x3d, 1), 1);
	assert_int_equal(cfg_read(fx, 0x04, 4), 0); /* command, status */
	assert_int_equal(cfg_read(fx, 0x30, 4), 0); /* no ROM BAR */
}

static void test_read_only_and_writable_fields(void **state)
{
	struct fixture *fx = *state;

	cfg_write(fx, 0x00, 4, 0xdeadbeef);
	assert_int_equal(cfg_read(fx, 0x00, 4), 0x100e8086);
	cfg_write(fx, 0x08, 4, 0xffffffff);
	assert_int_equal(cfg_read(fx, 0x08, 4), 0x02000003);
	cfg_write(fx, 0x3c, 2, 0xffff); /* line writable, pin not */
	assert_int_equal(cfg_read(fx, 0x3c, 2), 0x01ff);
	cfg_write(fx, 0x0c, 1, 0x10);
	assert_int_equal(cfg_read(fx, 0x0c, 1), 0x10);
	/* Command: only the implemented bits stick; status is read-only. */
	cfg_write(fx, 0x04, 4, 0xffffffff);
	assert_int_equal(cfg_read(fx, 0x04, 2), 0x0547);
	assert_int_equal(cfg_read(fx, 0x06, 2), 0);
}

static void test_unregistered_function_reads_all_ones(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(pci_config_read(fx->dm, 0x20, 0, 4), 0xffffffffu);
	assert_int_equal(pci_config_read(fx->dm, 0x20, 2, 2), 0xffff);
	assert_int_equal(pci_config_read(fx->dm, 0x19, 0x3d, 1), 0xff);
	pci_config_write(fx->dm, 0x20, 0x04, 2, 3); /* dropped */
	assert_int_equal(pci_config_read(fx->dm, 0x20, 0x04, 2), 0xffff);
}

static void test_access_crossing_a_dword_reads_all_ones(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(cfg_read(fx, 0x02, 4), 0xffffffffu);
	assert_int_equal(cfg_read(fx, 0x03, 2), 0xffff);
	cfg_write(fx, 0x03, 2, 0xffff); /* would reach the command reg */
	assert_int_equal(cfg_read(fx, 0x04, 2), 0);
}

static void test_config_above_0x40_goes_to_the_device(void **state)
{
	struct fixture *fx = *state;
	struct pci_function *plain;

	assert_int_equal(cfg_read(fx, 0x44, 2), 0x0044);
	assert_int_equal(fx->probe.cfg_offset, 0x44);
	assert_int_equal(fx->probe.cfg_size, 2);
	cfg_write(fx, 0x50, 4, 0x11223344);
	assert_int_equal(fx->probe.cfg_offset, 0x50);
	assert_int_equal(fx->probe.cfg_value, 0x11223344);
	/* Without a config_read the device's own bytes are read. */
	plain = dm_pci_register(fx->dm, 0x20, &ids, NULL, &plain_ops, NULL);
	assert_non_null(plain);
	pci_config_bytes(plain)[0x40] = 0x5a;
	assert_int_equal(pci_config_read(fx->dm, 0x20, 0x40, 1), 0x5a);
	pci_config_write(fx->dm, 0x20, 0x40, 1, 0); /* no config_write */
	assert_int_equal(pci_config_read(fx->dm, 0x20, 0x40, 1), 0x5a);
}

/* -------------------------------------------------- BAR sizing */

static void test_io_bar_sizing(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(cfg_read(fx, 0x10, 4), 0x1);
	cfg_write(fx, 0x10, 4, 0xffffffff);
	/* 6.2.5.1: the size is the complement of the writable bits. */
	assert_int_equal(cfg_read(fx, 0x10, 4), 0xffffffe1);
	cfg_write(fx, 0x10, 4, 0xc000);
	assert_int_equal(cfg_read(fx, 0x10, 4), 0xc001);
	cfg_write(fx, 0x10, 4, 0xc01f); /* low bits are hardwired */
	assert_int_equal(cfg_read(fx, 0x10, 4), 0xc001);
}

static void test_mem32_bar_sizing(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(cfg_read(fx, 0x14, 4), 0x8); /* prefetchable */
	cfg_write(fx, 0x14, 4, 0xffffffff);
	assert_int_equal(cfg_read(fx, 0x14, 4), 0xfffff008);
	cfg_write(fx, 0x14, 4, 0xfebf0000);
	assert_int_equal(cfg_read(fx, 0x14, 4), 0xfebf0008);
}

static void test_mem64_bar_sizing(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(cfg_read(fx, 0x18, 4), 0x4);
	assert_int_equal(cfg_read(fx, 0x1c, 4), 0);
	cfg_write(fx, 0x18, 4, 0xffffffff);
	cfg_write(fx, 0x1c, 4, 0xffffffff);
	assert_int_equal(cfg_read(fx, 0x18, 4), 0xfff00004);
	assert_int_equal(cfg_read(fx, 0x1c, 4), 0xffffffff);
	/* 8 GiB: the size reaches into the upper dword. */
	cfg_write(fx, 0x20, 4, 0xffffffff);
	cfg_write(fx, 0x24, 4, 0xffffffff);
	assert_int_equal(cfg_read(fx, 0x20, 4), 0x0000000c);
	assert_int_equal(cfg_read(fx, 0x24, 4), 0xfffffffe);
}

static void test_bad_registrations_are_refused(void **state)
{
	struct fixture *fx = *state;
	struct pci_bar_desc bad[6] = {
		[5] = { .size = 4096, .space = DM_SPACE_MMIO,
			.is_64bit = true },
	};
	struct pci_bar_desc odd[6] = {
		[0] = { .size = 24, .space = DM_SPACE_PIO },
	};

	log_set_error_hook(quiet_errors);
	assert_null(dm_pci_register(fx->dm, DEVFN, &ids, NULL, &plain_ops,
				    NULL));
	assert_null(dm_pci_register(fx->dm, 0x28, &ids, bad, &plain_ops,
				    NULL));
	assert_null(dm_pci_register(fx->dm, 0x28, &ids, odd, &plain_ops,
				    NULL));
	assert_null(dm_pci_register(fx->dm, 256, &ids, NULL, &plain_ops,
				    NULL));
	log_set_error_hook(NULL);
}

/* ------------------------------------------------ BAR mapping */

static void test_io_bar_mapped_by_command_and_moved(void **state)
{
	struct fixture *fx = *state;
	unsigned int before;
	int i;

	cfg_write(fx, 0x10, 4, 0xc000);
	assert_int_equal(count_msgs(DM_MSG_CLAIM_RANGE), 0);
	/* Unclaimed while I/O decode is off. */
	assert_int_equal(ranges_access(fx->dm, DM_SPACE_PIO, 0, 0xc004, 2,
				       false, 0), 0xffff);
	assert_int_equal(fx->probe.reads, 0);

	cfg_write(fx, 0x04, 2, 0x0001);
	i = find_msg(DM_MSG_CLAIM_RANGE, 0);
	assert_true(i >= 0);
	assert_int_equal(msgs[i].range.space, DM_SPACE_PIO);
	assert_int_equal(msgs[i].range.base, 0xc000);
	assert_int_equal(msgs[i].range.len, 32);
	assert_int_equal(ranges_access(fx->dm, DM_SPACE_PIO,
				       msgs[i].range.range_id, 0xc004, 2,
				       false, 0), 0x1234);
	assert_int_equal(fx->probe.bar, 0);
	assert_int_equal(fx->probe.offset, 4);
	assert_int_equal(fx->probe.size, 2);
	ranges_access(fx->dm, DM_SPACE_PIO, 0, 0xc01f, 1, true, 0x1ab);
	assert_int_equal(fx->probe.writes, 1);
	assert_int_equal(fx->probe.offset, 0x1f);
	assert_int_equal(fx->probe.value, 0xab); /* masked to the size */

	/* Moving the BAR releases the old range before claiming the new. */
	before = nr_msgs;
	cfg_write(fx, 0x10, 4, 0xd000);
	i = find_msg(DM_MSG_RELEASE_RANGE, before);
	assert_true(i >= 0);
	assert_int_equal(msgs[i].range.base, 0xc000);
	i = find_msg(DM_MSG_CLAIM_RANGE, (unsigned int)i);
	assert_true(i >= 0);
	assert_int_equal(msgs[i].range.base, 0xd000);
	assert_int_equal(ranges_access(fx->dm, DM_SPACE_PIO, 0, 0xc004, 2,
				       false, 0), 0xffff);
	assert_int_equal(ranges_access(fx->dm, DM_SPACE_PIO, 0, 0xd004, 2,
				       false, 0), 0x1234);

	/* Decode off: released. */
	before = nr_msgs;
	cfg_write(fx, 0x04, 2, 0);
	i = find_msg(DM_MSG_RELEASE_RANGE, before);
	assert_true(i >= 0);
	assert_int_equal(msgs[i].range.base, 0xd000);
	assert_int_equal(count_msgs(DM_MSG_CLAIM_RANGE),
			 count_msgs(DM_MSG_RELEASE_RANGE));
}

static void test_memory_bars_need_memory_decode(void **state)
{
	struct fixture *fx = *state;
	int i;

	cfg_write(fx, 0x10, 4, 0xc000);
	cfg_write(fx, 0x14, 4, 0xfebf0000);
	cfg_write(fx, 0x18, 4, 0x00000000);
	cfg_write(fx, 0x1c, 4, 0x00000010); /* 64 GiB */
	/* Memory decode alone maps the memory BARs, not the I/O BAR;
	 * BAR4 at address 0 stays unmapped. */
	cfg_write(fx, 0x04, 2, 0x0002);
	assert_int_equal(count_msgs(DM_MSG_CLAIM_RANGE), 2);
	i = find_msg(DM_MSG_CLAIM_RANGE, 0);
	for (; i >= 0; i = find_msg(DM_MSG_CLAIM_RANGE, (unsigned int)i + 1)) {
		assert_int_equal(msgs[i].range.space, DM_SPACE_MMIO);
		assert_true(msgs[i].range.base == 0xfebf0000 ||
			    msgs[i].range.base == 0x1000000000ull);
	}
	assert_int_equal(ranges_access(fx->dm, DM_SPACE_MMIO, 0,
				       0x1000000008ull, 8, false, 0), 0x1234);
	assert_int_equal(fx->probe.bar, 2);
	assert_int_equal(fx->probe.offset, 8);
	assert_int_equal(ranges_access(fx->dm, DM_SPACE_PIO, 0, 0xc000, 1,
				       false, 0), 0xff);
}

static void test_bar_left_all_ones_is_not_mapped(void **state)
{
	struct fixture *fx = *state;

	/* Sizing with decode on: the intermediate values are no mapping. */
	cfg_write(fx, 0x04, 2, 0x0003);
	cfg_write(fx, 0x14, 4, 0xffffffff);
	cfg_write(fx, 0x18, 4, 0xffffffff);
	cfg_write(fx, 0x1c, 4, 0xffffffff);
	cfg_write(fx, 0x10, 4, 0xffffffff);
	assert_int_equal(count_msgs(DM_MSG_CLAIM_RANGE), 0);
}

static void test_overlapping_bars_map_once_the_other_moves(void **state)
{
	struct fixture *fx = *state;
	struct probe p2 = { 0 };
	struct pci_function *f2;

	f2 = dm_pci_register(fx->dm, 0x20, &ids, bars, &probe_ops, &p2);
	assert_non_null(f2);
	cfg_write(fx, 0x10, 4, 0xc000);
	cfg_write(fx, 0x04, 2, 1);
	pci_config_write(fx->dm, 0x20, 0x10, 4, 0xc000);
	pci_config_write(fx->dm, 0x20, 0x04, 2, 1);
	assert_int_equal(count_msgs(DM_MSG_CLAIM_RANGE), 1);
	cfg_write(fx, 0x10, 4, 0xe000);
	/* The second function got its range when the first moved away. */
	assert_int_equal(count_msgs(DM_MSG_CLAIM_RANGE), 3);
	ranges_access(fx->dm, DM_SPACE_PIO, 0, 0xc000, 1, false, 0);
	assert_int_equal(p2.reads, 1);
	assert_int_equal(fx->probe.reads, 0);
}

/* ---------------------------------------------------- INTx, reset */

static uint64_t irqfd_count(struct dm *dm, unsigned int gsi)
{
	uint64_t v = 0;

	if (read(dm->gsi[gsi].irqfd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void test_intx_routing_and_disable(void **state)
{
	struct fixture *fx = *state;
	unsigned int gsi = pci_intx_gsi(DEVFN, 1);

	assert_int_equal(gsi, 19); /* slot 3, INTA#: 16 + (3 + 0) % 4 */
	assert_int_equal(pci_intx_gsi(0x20, 2), 17);
	assert_true(fx->dm->gsi[gsi].valid);
	assert_int_equal(fx->dm->gsi[gsi].mode, DM_IRQ_MODE_LEVEL);
	pci_set_irq(fx->fn, 1);
	assert_int_equal(irqfd_count(fx->dm, gsi), 1);
	assert_int_equal(cfg_read(fx, 0x06, 2) & 0x8, 0x8);
	/* Interrupt Disable takes the line down; the status still shows
	 * the interrupt (6.2.3). */
	cfg_write(fx, 0x04, 2, 0x0400);
	assert_int_equal(fx->dm->gsi[gsi].asserted, 0);
	assert_int_equal(cfg_read(fx, 0x06, 2) & 0x8, 0x8);
	cfg_write(fx, 0x04, 2, 0);
	assert_int_equal(fx->dm->gsi[gsi].asserted, 1);
	assert_int_equal(irqfd_count(fx->dm, gsi), 1);
	pci_set_irq(fx->fn, 0);
	assert_int_equal(fx->dm->gsi[gsi].asserted, 0);
	assert_int_equal(cfg_read(fx, 0x06, 2) & 0x8, 0);
}

static void test_reset_restores_power_on_state(void **state)
{
	struct fixture *fx = *state;
	unsigned int before;

	cfg_write(fx, 0x10, 4, 0xc000);
	cfg_write(fx, 0x14, 4, 0xfebf0000);
	cfg_write(fx, 0x3c, 1, 11);
	cfg_write(fx, 0x0c, 1, 0x10);
	cfg_write(fx, 0x04, 2, 0x0007);
	pci_set_irq(fx->fn, 1);
	before = nr_msgs;
	pci_reset_all(fx->dm);
	assert_int_equal(fx->probe.resets, 1);
	assert_int_equal(cfg_read(fx, 0x04, 4), 0);
	assert_int_equal(cfg_read(fx, 0x10, 4), 0x1);
	assert_int_equal(cfg_read(fx, 0x14, 4), 0x8);
	assert_int_equal(cfg_read(fx, 0x3c, 1), 0);
	assert_int_equal(cfg_read(fx, 0x0c, 1), 0);
	assert_int_equal(cfg_read(fx, 0x00, 4), 0x100e8086);
	assert_int_equal(fx->dm->gsi[pci_intx_gsi(DEVFN, 1)].asserted, 0);
	/* Both mapped BARs were released. */
	assert_true(find_msg(DM_MSG_RELEASE_RANGE, before) >= 0);
	assert_int_equal(count_msgs(DM_MSG_CLAIM_RANGE),
			 count_msgs(DM_MSG_RELEASE_RANGE));
}

/* ---------------------------------------------- protocol checks */

static void test_ctl_check(void **state)
{
	struct dm_msg_hdr h = { .magic = DM_PROTO_MAGIC,
				.version = DM_PROTO_VERSION,
				.type = DM_MSG_PAUSE, .len = sizeof(h),
				.seq = 5 };
	struct dm_msg_setup s;
	struct dm_msg_status st;
	char why[160];

	(void)state;
	assert_true(ctl_check(&h, sizeof(h), 0, 5, why, sizeof(why)));
	assert_false(ctl_check(&h, sizeof(h), 0, 6, why, sizeof(why)));
	assert_false(ctl_check(&h, sizeof(h), 1, 5, why, sizeof(why)));
	assert_false(ctl_check(&h, sizeof(h) - 1, 0, 5, why, sizeof(why)));
	h.magic++;
	assert_false(ctl_check(&h, sizeof(h), 0, 5, why, sizeof(why)));
	h.magic--;
	h.type = DM_MSG_READY; /* one the device model sends */
	assert_false(ctl_check(&h, sizeof(h), 0, 5, why, sizeof(why)));

	memset(&s, 0, sizeof(s));
	s.hdr = h;
	s.hdr.type = DM_MSG_SETUP;
	s.hdr.len = sizeof(s);
	s.nr_vcpus = 2;
	s.nr_ram_blocks = 1;
	s.ioreq_size = IOREQ_AREA_SIZE(2);
	assert_true(ctl_check(&s, sizeof(s), 2, 5, why, sizeof(why)));
	assert_false(ctl_check(&s, sizeof(s), 1, 5, why, sizeof(why)));
	s.nr_vcpus = 0;
	assert_false(ctl_check(&s, sizeof(s), 2, 5, why, sizeof(why)));
	s.nr_vcpus = 2;
	s.nr_ram_blocks = DM_MAX_RAM_BLOCKS + 1;
	assert_false(ctl_check(&s, sizeof(s), 2, 5, why, sizeof(why)));
	s.nr_ram_blocks = 1;
	s.ioreq_size += 4096;
	assert_false(ctl_check(&s, sizeof(s), 2, 5, why, sizeof(why)));

	memset(&st, 0, sizeof(st));
	st.hdr = h;
	st.hdr.type = DM_MSG_NACK;
	st.hdr.len = sizeof(st);
	st.status = -EEXIST;
	assert_true(ctl_check(&st, sizeof(st), 0, 5, why, sizeof(why)));
	st.status = 0;
	assert_false(ctl_check(&st, sizeof(st), 0, 5, why, sizeof(why)));
}

static void test_ctl_check_media(void **state)
{
	struct dm_msg_media m;
	char why[160];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.hdr = (struct dm_msg_hdr){ .magic = DM_PROTO_MAGIC,
				     .version = DM_PROTO_VERSION,
				     .type = DM_MSG_MEDIA, .len = sizeof(m),
				     .seq = 7 };
	strcpy(m.vdev, "hdc");
	/* Eject: no descriptor; insert: exactly one. */
	assert_true(ctl_check(&m, sizeof(m), 0, 7, why, sizeof(why)));
	assert_false(ctl_check(&m, sizeof(m), 1, 7, why, sizeof(why)));
	m.insert = 1;
	strcpy(m.path, "/isos/x.iso");
	assert_true(ctl_check(&m, sizeof(m), 1, 7, why, sizeof(why)));
	assert_false(ctl_check(&m, sizeof(m), 0, 7, why, sizeof(why)));
	assert_false(ctl_check(&m, sizeof(m), 2, 7, why, sizeof(why)));
	m.insert = 2;
	assert_false(ctl_check(&m, sizeof(m), 1, 7, why, sizeof(why)));
	m.insert = 1;
	/* Unterminated or unprintable names. */
	memset(m.vdev, 'a', sizeof(m.vdev));
	assert_false(ctl_check(&m, sizeof(m), 1, 7, why, sizeof(why)));
	strcpy(m.vdev, "");
	assert_false(ctl_check(&m, sizeof(m), 1, 7, why, sizeof(why)));
	strcpy(m.vdev, "hd\nc");
	assert_false(ctl_check(&m, sizeof(m), 1, 7, why, sizeof(why)));
	strcpy(m.vdev, "hdc");
	memset(m.path, 'x', sizeof(m.path));
	assert_false(ctl_check(&m, sizeof(m), 1, 7, why, sizeof(why)));
	strcpy(m.path, "/isos/x.iso");
	assert_false(ctl_check(&m, sizeof(m) - 4, 1, 7, why, sizeof(why)));
}

static void test_ioreq_check(void **state)
{
	struct ioreq r = { .addr = 0x3f8, .size = 1, .count = 1,
			   .type = IOREQ_TYPE_PIO, .dir = IOREQ_READ };
	struct ioreq_posted p = { .addr = 0x3f8, .size = 1,
				  .type = IOREQ_TYPE_PIO };

	(void)state;
	assert_null(ioreq_check(&r));
	r.size = 3;
	assert_non_null(ioreq_check(&r));
	r.size = 8; /* 8 bytes: MMIO only */
	assert_non_null(ioreq_check(&r));
	r.type = IOREQ_TYPE_MMIO;
	assert_null(ioreq_check(&r));
	r.count = 2; /* REP: port I/O only */
	assert_non_null(ioreq_check(&r));
	r.type = IOREQ_TYPE_PIO;
	r.size = 2;
	r.count = IOREQ_BUF_SIZE / 2;
	assert_null(ioreq_check(&r));
	r.count++;
	assert_non_null(ioreq_check(&r));
	r.count = 0;
	assert_non_null(ioreq_check(&r));
	r.count = 1;
	r.addr = 0x10000;
	assert_non_null(ioreq_check(&r));
	r.addr = 0x3f8;
	r.dir = 2;
	assert_non_null(ioreq_check(&r));
	r.dir = IOREQ_WRITE;
	r.type = IOREQ_TYPE_PCI_CONFIG;
	r.addr = IOREQ_PCI_ADDR(0xff, 0xfc);
	assert_null(ioreq_check(&r));
	r.addr = 0x10000;
	assert_non_null(ioreq_check(&r));
	r.type = 3;
	assert_non_null(ioreq_check(&r));

	assert_null(ioreq_check_posted(&p));
	p.type = IOREQ_TYPE_PCI_CONFIG;
	assert_non_null(ioreq_check_posted(&p));
	p.type = IOREQ_TYPE_PIO;
	p.size = 8;
	assert_non_null(ioreq_check_posted(&p));
}

/* REP OUTS/INS go item by item to the same port. */
static void test_rep_dispatch(void **state)
{
	struct fixture *fx = *state;
	struct ioreq r = { .addr = 0xc010, .size = 2, .count = 4,
			   .type = IOREQ_TYPE_PIO, .dir = IOREQ_WRITE };
	uint8_t buf[8] = { 1, 0, 2, 0, 3, 0, 4, 0 };

	cfg_write(fx, 0x10, 4, 0xc000);
	cfg_write(fx, 0x04, 2, 1);
	ioreq_dispatch(fx->dm, &r, buf);
	assert_int_equal(fx->probe.writes, 4);
	assert_int_equal(fx->probe.value, 4);
	assert_int_equal(fx->probe.offset, 0x10);
	r.dir = IOREQ_READ;
	memset(buf, 0, sizeof(buf));
	ioreq_dispatch(fx->dm, &r, buf);
	assert_int_equal(fx->probe.reads, 4);
	assert_int_equal(buf[6], 0x34);
	assert_int_equal(buf[7], 0x12);
	/* PCI config through the same entry point. */
	r = (struct ioreq){ .addr = IOREQ_PCI_ADDR(DEVFN, 0), .size = 4,
			    .count = 1, .type = IOREQ_TYPE_PCI_CONFIG,
			    .dir = IOREQ_READ };
	ioreq_dispatch(fx->dm, &r, buf);
	assert_int_equal(r.data, 0x100e8086);
}

/* ------------------------------------------------ device options */

static void test_device_options(void **state)
{
	struct dm_opts *o;
	uint64_t v;

	(void)state;
	o = dm_opts_parse("serial,backend=file:/tmp/a,,b,port=0x2f8");
	assert_non_null(o);
	assert_string_equal(o->device, "serial");
	assert_string_equal(dm_opt_get(o, "backend"), "file:/tmp/a,b");
	assert_string_equal(dm_opts_unused(o), "port");
	assert_int_equal(dm_opt_u64(o, "port", 0x3f8, &v), 0);
	assert_int_equal(v, 0x2f8);
	assert_int_equal(dm_opt_u64(o, "irq", 4, &v), 0);
	assert_int_equal(v, 4);
	assert_null(dm_opts_unused(o));
	assert_null(dm_opt_get(o, "nosuch"));
	dm_opts_free(o);

	o = dm_opts_parse("testdev,irq=ten");
	assert_non_null(o);
	log_set_error_hook(quiet_errors);
	assert_int_equal(dm_opt_u64(o, "irq", 0, &v), -1);
	log_set_error_hook(NULL);
	dm_opts_free(o);

	o = dm_opts_parse("testdev");
	assert_non_null(o);
	assert_int_equal(o->nr, 0);
	dm_opts_free(o);

	log_set_error_hook(quiet_errors);
	assert_null(dm_opts_parse(""));
	assert_null(dm_opts_parse("serial,"));
	assert_null(dm_opts_parse("serial,port"));
	assert_null(dm_opts_parse("serial,port=1,port=2"));
	assert_null(dm_opts_parse("serial,=1"));
	assert_null(dm_opts_parse(",port=1"));
	log_set_error_hook(NULL);

	o = dm_opts_single("a,b", "serial", "backend", "file:a,b");
	assert_non_null(o);
	assert_string_equal(dm_opt_get(o, "backend"), "file:a,b");
	dm_opts_free(o);
}

static void test_command_line(void **state)
{
	struct dm_args a;
	char *ok[] = { "dm", "--control-fd", "3", "-v", "--serial", "pty",
		       "--device", "testdev,port=0x2100", NULL };
	char *no_fd[] = { "dm", "--serial", "pty", NULL };
	char *bad_dev[] = { "dm", "--control-fd", "3", "--device", "vga",
			    NULL };

	(void)state;
	assert_int_equal(dm_args_parse(8, ok, &a), 0);
	assert_int_equal(a.control_fd, 3);
	assert_int_equal(a.verbosity, 1);
	assert_int_equal(a.nr_devices, 2);
	assert_string_equal(a.devices[0]->device, "serial");
	assert_string_equal(dm_opt_get(a.devices[0], "backend"), "pty");
	assert_string_equal(a.devices[1]->device, "testdev");
	dm_args_free(&a);
	log_set_error_hook(quiet_errors);
	assert_int_equal(dm_args_parse(3, no_fd, &a), -1);
	assert_int_equal(dm_args_parse(5, bad_dev, &a), -1);
	log_set_error_hook(NULL);
}

static void test_command_line_drives(void **state)
{
	struct dm_args a;
	char *ok[] = { "dm", "--control-fd", "3", "--drive",
		       "vdev=hda,target=/a.img", "--drive=/b.iso,,hdc,cdrom",
		       NULL };
	char *bad[] = { "dm", "--control-fd", "3", "--drive",
			"vdev=xvda,target=/a.img", NULL };
	char *twice[] = { "dm", "--control-fd", "3", "--drive",
			  "vdev=hda,target=/a.img", "--drive", "/b.img,,hda",
			  NULL };

	(void)state;
	assert_int_equal(dm_args_parse(6, ok, &a), 0);
	assert_int_equal(a.nr_drives, 2);
	assert_string_equal(a.drives[0], "vdev=hda,target=/a.img");
	assert_string_equal(a.drives[1], "/b.iso,,hdc,cdrom");
	dm_args_free(&a);
	assert_int_equal(a.nr_drives, 0);
	log_set_error_hook(quiet_errors);
	assert_int_equal(dm_args_parse(5, bad, &a), -1);
	assert_int_equal(dm_args_parse(7, twice, &a), -1);
	log_set_error_hook(NULL);
}

/* -------------------------------------------------- guest memory */

static void test_guest_memory_bounds(void **state)
{
	struct fixture *fx = *state;
	static uint8_t low[0x2000], high[0x1000];
	struct dm *dm = fx->dm;
	uint8_t buf[0x20];

	/* Two adjacent blocks, then a hole. */
	dm->ram[0] = (struct dm_ram){ .gpa = 0, .size = sizeof(low),
				      .host = low };
	dm->ram[1] = (struct dm_ram){ .gpa = sizeof(low),
				      .size = sizeof(high), .host = high };
	dm->nr_ram = 2;
	assert_ptr_equal(dm_gmem_map(dm, 0x10, 0x10), low + 0x10);
	assert_ptr_equal(dm_gmem_map(dm, 0x1ff0, 0x10), low + 0x1ff0);
	assert_null(dm_gmem_map(dm, 0x1ff0, 0x11)); /* spans two blocks */
	assert_null(dm_gmem_map(dm, 0x3000, 1));
	assert_null(dm_gmem_map(dm, UINT64_MAX, 2));
	assert_null(dm_gmem_map(dm, 0x10, SIZE_MAX));

	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(dm_gmem_write(dm, 0x1ff0, buf, sizeof(buf)), 0);
	assert_int_equal(low[0x1fff], 0xab);
	assert_int_equal(high[0xf], 0xab);
	assert_int_equal(high[0x10], 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(dm_gmem_read(dm, 0x1ff0, buf, sizeof(buf)), 0);
	assert_int_equal(buf[0x1f], 0xab);
	/* Partly outside: nothing is copied. */
	high[0xff0] = 0;
	memset(buf, 0xcd, sizeof(buf));
	assert_int_equal(dm_gmem_write(dm, 0x2ff0, buf, sizeof(buf)), -1);
	assert_int_equal(high[0xff0], 0);
	assert_int_equal(dm_gmem_read(dm, UINT64_MAX - 4, buf, 8), -1);
	dm->nr_ram = 0;
}

/* ------------------------------------------------ clock and timers */

static unsigned int fired;

static void count_fire(void *opaque)
{
	(void)opaque;
	fired++;
}

static void test_paused_clock_and_timers(void **state)
{
	struct fixture *fx = *state;
	struct dm *dm = fx->dm;
	struct dm_timer *t = dm_timer_new(dm, count_fire, NULL);
	uint64_t a;

	fired = 0;
	loop_pause(dm);
	a = dm_clock_ns(dm);
	assert_int_equal(dm_clock_ns(dm), a); /* stands still */
	dm_timer_mod(t, a);
	loop_run_timers(dm);
	assert_int_equal(fired, 0); /* due, but paused */
	loop_resume(dm);
	assert_true(dm_clock_ns(dm) >= a);
	loop_run_timers(dm);
	assert_int_equal(fired, 1);
	dm_timer_mod(t, UINT64_MAX);
	loop_run_timers(dm);
	assert_int_equal(fired, 1);
	dm_timer_mod(t, 0);
	dm_timer_del(t);
	loop_run_timers(dm);
	assert_int_equal(fired, 1);
	dm_timer_free(t);
}

/* ------------------------------------------------------- read shadows */

static uint64_t shadow_probe_read(void *opaque, uint64_t offset,
				  unsigned int size)
{
	(void)opaque;
	(void)offset;
	(void)size;
	return 0;
}

static const struct dm_io_ops shadow_probe_ops = {
	.read = shadow_probe_read,
};

/* Gives the context an ioreq area (as SETUP does), once. */
static struct ioreq_area_header *shadow_area(struct dm *dm)
{
	static struct ioreq_area_header *h;
	struct dm_msg_setup s = { .nr_vcpus = 1,
				  .ioreq_size = IOREQ_AREA_SIZE(1) };
	int fd;

	if (h)
		return h;
	fd = memfd_create("test-ioreq", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)s.ioreq_size), 0);
	h = mmap(NULL, s.ioreq_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 0);
	assert_true(h != MAP_FAILED);
	*h = (struct ioreq_area_header){ .magic = IOREQ_MAGIC,
		.version = IOREQ_VERSION, .nr_vcpus = 1,
		.vcpu_stride = (uint32_t)IOREQ_VCPU_STRIDE };
	assert_int_equal(ioreq_server_setup(dm, &s, fd), 0);
	close(fd);
	return h;
}

/* The device model's side of ioreq.h's read shadows: the claim asks for
 * one, the entry is tied to the claim's base, every update is a seqlock
 * write, a batch withdraws changed bytes at once and publishes them at
 * its end, a release invalidates the entry and drops what it held back. */
static void test_read_shadows(void **state)
{
	struct fixture *fx = *state;
	struct ioreq_area_header *h = shadow_area(fx->dm);
	struct ioreq_shadow *e;
	struct dm_range *r, *big;
	uint32_t seq;
	int i;

	r = dm_claim(fx->dm, DM_SPACE_PIO, 0x5e0, 8, &shadow_probe_ops, NULL,
		     DM_CLAIM_POSTED_WRITES | DM_CLAIM_SHADOWED, "shadowed");
	assert_non_null(r);
	i = find_msg(DM_MSG_CLAIM_RANGE, 0);
	assert_true(i >= 0);
	assert_int_equal(msgs[i].range.flags,
			 DM_RANGE_POSTED_WRITES | DM_RANGE_SHADOWED);
	assert_in_range(msgs[i].range.range_id, 1, IOREQ_SHADOWS);
	e = &h->shadows[msgs[i].range.range_id - 1];
	assert_int_equal(e->valid, 0);
	assert_int_equal(e->base, 0x5e0);
	assert_int_equal(e->seq % 2, 0);

	seq = e->seq;
	dm_shadow_set(r, 2, 2, 0xbeef);
	assert_int_equal(e->valid, 0x0c);
	assert_int_equal(e->bytes[2], 0xef);
	assert_int_equal(e->bytes[3], 0xbe);
	assert_int_equal(e->seq, seq + 2);
	dm_shadow_set(r, 2, 2, 0xbeef); /* unchanged: no write at all */
	assert_int_equal(e->seq, seq + 2);

	dm_shadow_batch_begin(fx->dm);
	dm_shadow_set(r, 2, 2, 0x1234);
	dm_shadow_set(r, 0, 1, 0x55);
	assert_int_equal(e->valid, 0); /* withdrawn until the end */
	dm_shadow_set(r, 4, 1, 0);
	dm_shadow_batch_end(fx->dm);
	assert_int_equal(e->valid, 0x1d);
	assert_int_equal(e->bytes[0], 0x55);
	assert_int_equal(e->bytes[2], 0x34);
	assert_int_equal(e->bytes[3], 0x12);
	assert_int_equal(e->seq % 2, 0);
	dm_shadow_clear(r, 0, 1);
	assert_int_equal(e->valid, 0x1c);

	/* Latch and kick bits: under the seqlock, no write if unchanged. */
	seq = e->seq;
	dm_shadow_latch(r, 1, 3, true);
	assert_int_equal(e->latch, 0x0e);
	assert_int_equal(e->seq, seq + 2);
	dm_shadow_latch(r, 1, 3, true);
	dm_shadow_kick(r, 3, 0x10);
	assert_int_equal(e->kick[3], 0x10);
	assert_int_equal(e->seq, seq + 4);
	dm_shadow_kick(r, 3, 0x10);
	dm_shadow_latch(r, 2, 1, false);
	assert_int_equal(e->latch, 0x0a);
	assert_int_equal(e->seq, seq + 6);

	dm_shadow_batch_begin(fx->dm);
	dm_shadow_set(r, 0, 1, 0x66);
	dm_release(fx->dm, r);
	dm_shadow_batch_end(fx->dm);
	assert_int_equal(e->valid, 0);
	assert_int_equal(e->latch, 0);
	assert_int_equal(e->kick[3], 0);
	assert_true(e->base == ~0ull);

	/* Longer than a shadow: the claim goes through without one. */
	nr_msgs = 0;
	big = dm_claim(fx->dm, DM_SPACE_PIO, 0x5e0, 32, &shadow_probe_ops,
		       NULL, DM_CLAIM_SHADOWED, "big");
	assert_non_null(big);
	i = find_msg(DM_MSG_CLAIM_RANGE, 0);
	assert_true(i >= 0);
	assert_int_equal(msgs[i].range.flags, 0);
	dm_release(fx->dm, big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_header_ids_and_claim),
		T(test_read_shadows),
		T(test_read_only_and_writable_fields),
		T(test_unregistered_function_reads_all_ones),
		T(test_access_crossing_a_dword_reads_all_ones),
		T(test_config_above_0x40_goes_to_the_device),
		T(test_io_bar_sizing),
		T(test_mem32_bar_sizing),
		T(test_mem64_bar_sizing),
		T(test_bad_registrations_are_refused),
		T(test_io_bar_mapped_by_command_and_moved),
		T(test_memory_bars_need_memory_decode),
		T(test_bar_left_all_ones_is_not_mapped),
		T(test_overlapping_bars_map_once_the_other_moves),
		T(test_intx_routing_and_disable),
		T(test_reset_restores_power_on_state),
		T(test_rep_dispatch),
		T(test_guest_memory_bounds),
		T(test_paused_clock_and_timers),
		cmocka_unit_test(test_ctl_check),
		cmocka_unit_test(test_ctl_check_media),
		cmocka_unit_test(test_ioreq_check),
		cmocka_unit_test(test_device_options),
		cmocka_unit_test(test_command_line),
		cmocka_unit_test(test_command_line_drives),
#undef T
	};

	/* Guest mistakes and refused registrations are expected here. */
	log_init("test-dm-pci", LOG_ERROR);
	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
