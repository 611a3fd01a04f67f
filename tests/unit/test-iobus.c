/* Unit tests for hypervisor/iobus.c: range registry, dispatch and stats. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iobus.h"

/* What the last handler call saw; opaque points at one of these. */
struct probe {
	unsigned int calls;
	unsigned int vcpu;
	uint64_t addr;
	unsigned int len;
	bool is_write;
	uint8_t written[8];
	uint8_t read_value; /* byte a read fills the buffer with */
};

static void probe_fn(void *opaque, unsigned int vcpu, uint64_t addr,
		     uint8_t *data, unsigned int len, bool is_write)
{
	struct probe *p = opaque;

	p->calls++;
	p->vcpu = vcpu;
	p->addr = addr;
	p->len = len;
	p->is_write = is_write;
	if (is_write)
		memcpy(p->written, data, len);
	else
		memset(data, p->read_value, len);
}

static int setup_bus(void **state)
{
	struct iobus *bus = malloc(sizeof(*bus));

	if (!bus)
		return -1;
	iobus_init(bus, "test");
	*state = bus;
	return 0;
}

static int teardown_bus(void **state)
{
	iobus_destroy(*state);
	free(*state);
	return 0;
}

/* Reads one byte at addr; true if a handler claimed it. */
static bool read1(struct iobus *bus, uint64_t addr)
{
	uint8_t b = 0;

	return iobus_access(bus, 0, addr, &b, 1, false);
}

static void test_register_then_access_reaches_handler(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { .read_value = 0x5a };
	uint8_t data[2] = { 0, 0 };

	assert_int_equal(iobus_register(bus, 0x60, 5, probe_fn, &p, "kbd"), 0);
	assert_int_equal(bus->nr, 1);
	assert_true(iobus_access(bus, 0, 0x60, data, 2, false));
	assert_int_equal(p.calls, 1);
	assert_int_equal(data[0], 0x5a);
	assert_int_equal(data[1], 0x5a);
	/* First and last byte of [0x60, 0x65) are claimed, neighbours not. */
	assert_true(read1(bus, 0x64));
	assert_false(read1(bus, 0x5f));
	assert_false(read1(bus, 0x65));
	assert_int_equal(p.calls, 2);
}

static void test_handler_gets_absolute_addr_len_write_and_vcpu(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };
	uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	assert_int_equal(iobus_register(bus, 0xfed00000, 0x1000, probe_fn, &p,
					"hpet"), 0);
	assert_true(iobus_access(bus, 7, 0xfed000f0, data, 8, true));
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.vcpu, 7);
	assert_int_equal(p.addr, 0xfed000f0);
	assert_int_equal(p.len, 8);
	assert_true(p.is_write);
	assert_memory_equal(p.written, data, 8);

	assert_true(iobus_access(bus, 3, 0xfed00004, data, 4, false));
	assert_int_equal(p.calls, 2);
	assert_int_equal(p.vcpu, 3);
	assert_int_equal(p.addr, 0xfed00004);
	assert_int_equal(p.len, 4);
	assert_false(p.is_write);
}

static void test_overlap_at_start_is_eexist(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };

	assert_int_equal(iobus_register(bus, 0x100, 0x10, probe_fn, &p, "a"), 0);
	/* [0xf8, 0x101) ends on the first byte of [0x100, 0x110). */
	assert_int_equal(iobus_register(bus, 0xf8, 9, probe_fn, &p, "b"),
			 -EEXIST);
	assert_int_equal(bus->nr, 1);
}

static void test_overlap_at_end_is_eexist(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };

	assert_int_equal(iobus_register(bus, 0x100, 0x10, probe_fn, &p, "a"), 0);
	/* [0x10f, 0x120) starts on the last byte of [0x100, 0x110). */
	assert_int_equal(iobus_register(bus, 0x10f, 0x11, probe_fn, &p, "b"),
			 -EEXIST);
	assert_int_equal(bus->nr, 1);
}

static void test_overlap_containing_is_eexist(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };

	assert_int_equal(iobus_register(bus, 0x100, 0x10, probe_fn, &p, "a"), 0);
	assert_int_equal(iobus_register(bus, 0x80, 0x100, probe_fn, &p, "b"),
			 -EEXIST);
	/* The same range again is also an overlap. */
	assert_int_equal(iobus_register(bus, 0x100, 0x10, probe_fn, &p, "c"),
			 -EEXIST);
	assert_int_equal(bus->nr, 1);
}

static void test_overlap_contained_is_eexist(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };

	assert_int_equal(iobus_register(bus, 0x100, 0x10, probe_fn, &p, "a"), 0);
	assert_int_equal(iobus_register(bus, 0x104, 2, probe_fn, &p, "b"),
			 -EEXIST);
	assert_int_equal(bus->nr, 1);
}

static void test_overlap_spanning_two_ranges_is_eexist(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };

	assert_int_equal(iobus_register(bus, 0x100, 0x10, probe_fn, &p, "a"), 0);
	assert_int_equal(iobus_register(bus, 0x200, 0x10, probe_fn, &p, "b"), 0);
	/* Lies in the gap except for its last byte, the first of "b". */
	assert_int_equal(iobus_register(bus, 0x110, 0xf1, probe_fn, &p, "c"),
			 -EEXIST);
	/* Filling the gap exactly is fine. */
	assert_int_equal(iobus_register(bus, 0x110, 0xf0, probe_fn, &p, "d"), 0);
	assert_int_equal(bus->nr, 3);
}

static void test_zero_length_is_einval(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };

	assert_int_equal(iobus_register(bus, 0x100, 0, probe_fn, &p, "a"),
			 -EINVAL);
	assert_int_equal(bus->nr, 0);
}

static void test_wrapping_range_is_einval(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };

	assert_int_equal(iobus_register(bus, UINT64_MAX, 2, probe_fn, &p, "a"),
			 -EINVAL);
	assert_int_equal(iobus_register(bus, 2, UINT64_MAX, probe_fn, &p, "b"),
			 -EINVAL);
	assert_int_equal(bus->nr, 0);
	/* A range that ends exactly at the top of the space is valid. */
	assert_int_equal(iobus_register(bus, UINT64_MAX - 3, 4, probe_fn, &p,
					"top"), 0);
	assert_true(read1(bus, UINT64_MAX));
}

static void test_null_handler_is_einval(void **state)
{
	struct iobus *bus = *state;

	assert_int_equal(iobus_register(bus, 0x100, 1, NULL, NULL, "a"),
			 -EINVAL);
	assert_int_equal(bus->nr, 0);
}

static void test_access_straddling_range_end_is_unclaimed(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };
	uint8_t data[4];

	assert_int_equal(iobus_register(bus, 0x3f8, 8, probe_fn, &p, "com1"), 0);
	/* 4 bytes at 0x3fe cover 0x3fe..0x401: two inside, two outside. */
	memset(data, 0, sizeof(data));
	assert_false(iobus_access(bus, 0, 0x3fe, data, 4, false));
	assert_int_equal(p.calls, 0);
	assert_int_equal(data[0], 0xff);
	/* 4 bytes at 0x3f6 straddle the start. */
	assert_false(iobus_access(bus, 0, 0x3f6, data, 4, true));
	assert_int_equal(p.calls, 0);
	/* The last 4 bytes of the range are claimed. */
	assert_true(iobus_access(bus, 0, 0x3fc, data, 4, false));
	assert_int_equal(p.calls, 1);
}

static void test_access_straddling_adjacent_ranges_is_unclaimed(void **state)
{
	struct iobus *bus = *state;
	struct probe a = { 0 }, b = { 0 };
	uint8_t data[2];

	assert_int_equal(iobus_register(bus, 0x70, 2, probe_fn, &a, "a"), 0);
	assert_int_equal(iobus_register(bus, 0x72, 2, probe_fn, &b, "b"), 0);
	assert_false(iobus_access(bus, 0, 0x71, data, 2, false));
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 0);
}

static void test_access_wrapping_top_of_space_is_unclaimed(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };
	uint8_t data[4];

	assert_int_equal(iobus_register(bus, UINT64_MAX - 1, 2, probe_fn, &p,
					"top"), 0);
	assert_int_equal(iobus_register(bus, 0, 2, probe_fn, &p, "bottom"), 0);
	/* UINT64_MAX-1 .. UINT64_MAX+2 wraps to 1: in neither range. */
	assert_false(iobus_access(bus, 0, UINT64_MAX - 1, data, 4, false));
	assert_int_equal(p.calls, 0);
}

static void test_unclaimed_read_fills_all_ones(void **state)
{
	struct iobus *bus = *state;
	static const unsigned int lens[] = { 1, 2, 4, 8 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t data[10], want[10];

		memset(data, 0x11, sizeof(data));
		memset(want, 0x11, sizeof(want));
		memset(want + 1, 0xff, lens[i]);
		assert_false(iobus_access(bus, 0, 0x1234, data + 1, lens[i],
					  false));
		/* Exactly len bytes are filled; nothing around them. */
		assert_memory_equal(data, want, sizeof(data));
	}
}

static void test_unclaimed_write_leaves_data_alone(void **state)
{
	struct iobus *bus = *state;
	static const unsigned int lens[] = { 1, 2, 4, 8 };

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t data[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
		const uint8_t want[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

		assert_false(iobus_access(bus, 0, 0x1234, data, lens[i], true));
		assert_memory_equal(data, want, sizeof(data));
	}
}

static void test_stats_count_exactly(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };
	uint8_t data[4] = { 0 };

	assert_int_equal(iobus_register(bus, 0x80, 1, probe_fn, &p, "post"), 0);
	assert_int_equal(bus->stats.accesses, 0);

	iobus_access(bus, 0, 0x80, data, 1, true);   /* claimed write */
	iobus_access(bus, 0, 0x80, data, 1, false);  /* claimed read */
	iobus_access(bus, 0, 0x81, data, 1, false);  /* unclaimed read */
	iobus_access(bus, 0, 0x82, data, 2, false);  /* unclaimed read */
	iobus_access(bus, 0, 0x80, data, 2, false);  /* straddles: unclaimed */
	iobus_access(bus, 0, 0x90, data, 4, true);   /* unclaimed write */

	assert_int_equal(bus->stats.accesses, 6);
	assert_int_equal(bus->stats.unclaimed_reads, 3);
	assert_int_equal(bus->stats.unclaimed_writes, 1);
	assert_int_equal(p.calls, 2);
}

static void test_unregister_releases_range(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 }, q = { 0 };

	assert_int_equal(iobus_register(bus, 0x20, 2, probe_fn, &p, "pic1"), 0);
	assert_int_equal(iobus_register(bus, 0xa0, 2, probe_fn, &p, "pic2"), 0);
	assert_int_equal(iobus_unregister(bus, 0x20), 0);
	assert_int_equal(bus->nr, 1);
	assert_false(read1(bus, 0x20));
	assert_true(read1(bus, 0xa0));
	/* The space is free again for another handler. */
	assert_int_equal(iobus_register(bus, 0x20, 2, probe_fn, &q, "new"), 0);
	assert_true(read1(bus, 0x21));
	assert_int_equal(q.calls, 1);
}

static void test_unregister_unknown_base_is_enoent(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };

	assert_int_equal(iobus_unregister(bus, 0x20), -ENOENT);
	assert_int_equal(iobus_register(bus, 0x20, 4, probe_fn, &p, "a"), 0);
	/* Inside the range, but not its base. */
	assert_int_equal(iobus_unregister(bus, 0x21), -ENOENT);
	assert_int_equal(iobus_unregister(bus, 0x24), -ENOENT);
	assert_int_equal(iobus_unregister(bus, 0x1f), -ENOENT);
	assert_int_equal(bus->nr, 1);
	assert_int_equal(iobus_unregister(bus, 0x20), 0);
	assert_int_equal(iobus_unregister(bus, 0x20), -ENOENT);
}

#define MANY 100

static void test_many_ranges_in_random_order_all_found(void **state)
{
	struct iobus *bus = *state;
	struct probe p[MANY];
	unsigned int order[MANY];
	uint64_t seed = 0x2545f4914f6cdd1dull;

	memset(p, 0, sizeof(p));
	for (unsigned int i = 0; i < MANY; i++)
		order[i] = i;
	/* Fisher-Yates with a fixed xorshift seed: reproducible. */
	for (unsigned int i = MANY - 1; i > 0; i--) {
		unsigned int j, t;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		j = (unsigned int)(seed % (i + 1));
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	/*
	 * Range k is [k*0x100, k*0x100 + len): even k are 0x100 long, so
	 * range k and k+1 are adjacent ([a,b) and [b,c)); odd k are 0x80
	 * long, leaving a gap after them.
	 */
	for (unsigned int n = 0; n < MANY; n++) {
		unsigned int k = order[n];
		uint64_t len = k % 2 ? 0x80 : 0x100;

		assert_int_equal(iobus_register(bus, 0x10000 + k * 0x100ull,
						len, probe_fn, &p[k], "r"), 0);
	}
	assert_int_equal(bus->nr, MANY);
	for (unsigned int i = 1; i < bus->nr; i++)
		assert_true(bus->ranges[i - 1].base < bus->ranges[i].base);

	for (unsigned int k = 0; k < MANY; k++) {
		uint64_t base = 0x10000 + k * 0x100ull;
		uint64_t len = k % 2 ? 0x80 : 0x100;
		uint8_t b;

		assert_true(iobus_access(bus, 0, base, &b, 1, false));
		assert_true(iobus_access(bus, 0, base + len / 2, &b, 1, false));
		assert_true(iobus_access(bus, 0, base + len - 1, &b, 1, false));
		assert_int_equal(p[k].calls, 3);
		assert_int_equal(p[k].addr, base + len - 1);
		if (k % 2) {
			/* The gap after an odd range is unclaimed. */
			assert_false(iobus_access(bus, 0, base + len, &b, 1,
						  false));
			assert_false(iobus_access(bus, 0, base + 0xff, &b, 1,
						  false));
		}
	}
	assert_false(read1(bus, 0xffff));
	assert_false(read1(bus, 0x10000 + MANY * 0x100ull));
	for (unsigned int k = 0; k < MANY; k++)
		assert_int_equal(p[k].calls, 3);
}

static void test_adjacent_ranges_dispatch_to_own_handler(void **state)
{
	struct iobus *bus = *state;
	struct probe a = { 0 }, b = { 0 };

	/* Registered in reverse order: [0x50, 0x60) then [0x40, 0x50). */
	assert_int_equal(iobus_register(bus, 0x50, 0x10, probe_fn, &b, "b"), 0);
	assert_int_equal(iobus_register(bus, 0x40, 0x10, probe_fn, &a, "a"), 0);
	assert_true(read1(bus, 0x4f));
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	assert_true(read1(bus, 0x50));
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.addr, 0x50);
}

static unsigned int rep_calls, rep_count;

static void rep_fn(void *opaque, unsigned int vcpu, uint64_t addr,
		   uint8_t *data, unsigned int size, unsigned int count,
		   bool is_write)
{
	(void)opaque;
	(void)vcpu;
	(void)addr;
	(void)is_write;
	rep_calls++;
	rep_count = count;
	memset(data, 0x5a, (size_t)size * count);
}

/* REP string I/O reaches a batch handler once with every item. */
static void test_rep_batch_handler_gets_all_items_once(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };
	uint8_t buf[64];

	rep_calls = 0;
	assert_int_equal(iobus_register_rep(bus, 0x600, 4, probe_fn, rep_fn,
					    &p, "rep"), 0);
	iobus_access_rep(bus, 0, 0x600, buf, 2, 32, false);
	assert_int_equal(rep_calls, 1);
	assert_int_equal(rep_count, 32);
	assert_int_equal(p.calls, 0);
	assert_int_equal(buf[63], 0x5a);
	assert_int_equal(bus->stats.accesses, 32);
	/* a single item goes to the plain handler */
	iobus_access_rep(bus, 0, 0x600, buf, 2, 1, false);
	assert_int_equal(rep_calls, 1);
	assert_int_equal(p.calls, 1);
}

/* Without a batch handler, each item is one access, in order. */
static void test_rep_without_batch_handler_is_per_item(void **state)
{
	struct iobus *bus = *state;
	struct probe p = { 0 };
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	assert_int_equal(iobus_register(bus, 0x600, 1, probe_fn, &p, "x"), 0);
	iobus_access_rep(bus, 0, 0x600, buf, 1, 8, true);
	assert_int_equal(p.calls, 8);
	assert_int_equal(p.written[0], 8);
	/* unclaimed port: every item counted and filled with ones */
	iobus_access_rep(bus, 0, 0x700, buf, 2, 4, false);
	assert_int_equal(bus->stats.unclaimed_reads, 4);
	assert_int_equal(buf[7], 0xff);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_bus, teardown_bus)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_register_then_access_reaches_handler),
		T(test_handler_gets_absolute_addr_len_write_and_vcpu),
		T(test_overlap_at_start_is_eexist),
		T(test_overlap_at_end_is_eexist),
		T(test_overlap_containing_is_eexist),
		T(test_overlap_contained_is_eexist),
		T(test_overlap_spanning_two_ranges_is_eexist),
		T(test_zero_length_is_einval),
		T(test_wrapping_range_is_einval),
		T(test_null_handler_is_einval),
		T(test_access_straddling_range_end_is_unclaimed),
		T(test_access_straddling_adjacent_ranges_is_unclaimed),
		T(test_access_wrapping_top_of_space_is_unclaimed),
		T(test_unclaimed_read_fills_all_ones),
		T(test_unclaimed_write_leaves_data_alone),
		T(test_stats_count_exactly),
		T(test_unregister_releases_range),
		T(test_unregister_unknown_base_is_enoent),
		T(test_many_ranges_in_random_order_all_found),
		T(test_adjacent_ranges_dispatch_to_own_handler),
		T(test_rep_batch_handler_gets_all_items_once),
		T(test_rep_without_batch_handler_is_per_item),
	};

	return cmocka_run_group_tests_name("iobus", tests, NULL, NULL);
}
