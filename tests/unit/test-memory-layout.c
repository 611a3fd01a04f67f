/* Unit tests for memory_layout_compute() and guest_memory_ptr() (no KVM). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "guest-memory.h"
#include "hvmkit/util.h"
#include "memory-layout.h"

#define FW_64K  (64 * KiB)
#define FW_128K (128 * KiB)
#define FW_256K (256 * KiB)
#define FW_16M  (16 * MiB)

static void assert_block(const struct memory_layout *l, unsigned int i,
			 uint64_t gpa, uint64_t len, uint64_t offset,
			 int is_firmware)
{
	assert_true(i < l->nr_blocks);
	assert_int_equal(l->blocks[i].gpa, gpa);
	assert_int_equal(l->blocks[i].len, len);
	assert_int_equal(l->blocks[i].offset, offset);
	assert_int_equal(l->blocks[i].is_firmware, is_firmware);
}

/* Invariants every layout must satisfy. */
static void assert_layout_sane(const struct memory_layout *l)
{
	uint64_t ram = 0, fw = 0;

	assert_in_range(l->nr_blocks, 1, LAYOUT_MAX_BLOCKS);
	assert_int_equal(l->below_4g + l->above_4g, l->ram_size);
	assert_true(l->below_4g <= LAYOUT_HOLE_START_DEFAULT);
	for (unsigned int i = 0; i < l->nr_blocks; i++) {
		const struct mem_block *b = &l->blocks[i];

		assert_true(b->len > 0);
		assert_true(b->gpa + b->len > b->gpa);
		if (i)
			assert_true(l->blocks[i - 1].gpa +
				    l->blocks[i - 1].len <= b->gpa);
		if (b->is_firmware) {
			assert_true(b->offset + b->len <= l->firmware_size);
			fw += b->len;
		} else {
			/* Low RAM sits at file offset = guest address. */
			if (b->gpa < LAYOUT_4G)
				assert_int_equal(b->offset, b->gpa);
			assert_true(b->offset + b->len <= l->ram_size);
			ram += b->len;
		}
	}
	/* RAM blocks cover all of RAM but the VGA window; the firmware
	 * appears once, at the top of 4 GiB. */
	assert_int_equal(fw, l->firmware_size);
	if (l->ram_size > LAYOUT_1M)
		assert_int_equal(ram + (LAYOUT_UMA_START -
					LAYOUT_VGA_WINDOW_START),
				 l->ram_size);
}

static void test_layout_128m_64k_firmware(void **state)
{
	struct memory_layout l;

	(void)state;
	memory_layout_compute(&l, 128 * MiB, FW_64K);
	assert_layout_sane(&l);
	assert_int_equal(l.ram_size, 128 * MiB);
	assert_int_equal(l.firmware_size, FW_64K);
	assert_int_equal(l.below_4g, 128 * MiB);
	assert_int_equal(l.above_4g, 0);
	assert_int_equal(l.nr_blocks, 5);
	assert_block(&l, 0, 0, 0xa0000, 0, 0);
	assert_block(&l, 1, 0xc0000, 0x30000, 0xc0000, 0);
	assert_block(&l, 2, 0xf0000, 0x10000, 0xf0000, 0);
	assert_true(l.blocks[2].is_shadow);
	assert_int_equal(l.blocks[2].shadow_src, 0);
	assert_block(&l, 3, LAYOUT_1M, 128 * MiB - LAYOUT_1M, LAYOUT_1M, 0);
	assert_block(&l, 4, LAYOUT_4G - FW_64K, FW_64K, 0, 1);
}

static void test_layout_128k_firmware_alias_whole_image(void **state)
{
	struct memory_layout l;

	(void)state;
	memory_layout_compute(&l, 128 * MiB, FW_128K);
	assert_layout_sane(&l);
	assert_int_equal(l.nr_blocks, 5);
	assert_block(&l, 1, 0xc0000, 0x20000, 0xc0000, 0);
	assert_block(&l, 2, 0xe0000, FW_128K, 0xe0000, 0);
	assert_int_equal(l.blocks[2].shadow_src, 0);
	assert_block(&l, 4, LAYOUT_4G - FW_128K, FW_128K, 0, 1);
}

static void test_layout_256k_firmware_alias_is_last_128k(void **state)
{
	struct memory_layout l;

	(void)state;
	memory_layout_compute(&l, 128 * MiB, FW_256K);
	assert_layout_sane(&l);
	assert_int_equal(l.nr_blocks, 5);
	assert_block(&l, 1, 0xc0000, 0x20000, 0xc0000, 0);
	assert_block(&l, 2, 0xe0000, FW_128K, 0xe0000, 0);
	assert_int_equal(l.blocks[2].shadow_src, FW_256K - FW_128K);
	assert_block(&l, 4, LAYOUT_4G - FW_256K, FW_256K, 0, 1);
}

static void test_layout_16m_firmware_alias_is_last_128k(void **state)
{
	struct memory_layout l;

	(void)state;
	memory_layout_compute(&l, 128 * MiB, FW_16M);
	assert_layout_sane(&l);
	assert_int_equal(l.nr_blocks, 5);
	assert_block(&l, 2, 0xe0000, FW_128K, 0xe0000, 0);
	assert_int_equal(l.blocks[2].shadow_src, FW_16M - FW_128K);
	assert_block(&l, 4, 0xff000000, FW_16M, 0, 1);
}

static void test_layout_just_below_3_5g_is_all_low(void **state)
{
	struct memory_layout l;
	uint64_t ram = LAYOUT_HOLE_START_DEFAULT - 4 * KiB;

	(void)state;
	memory_layout_compute(&l, ram, FW_64K);
	assert_layout_sane(&l);
	assert_int_equal(l.below_4g, ram);
	assert_int_equal(l.above_4g, 0);
	assert_int_equal(l.nr_blocks, 5);
	assert_block(&l, 3, LAYOUT_1M, ram - LAYOUT_1M, LAYOUT_1M, 0);
}

static void test_layout_exactly_3_5g_uses_3g_hole(void **state)
{
	struct memory_layout l;
	uint64_t ram = 3 * GiB + 512 * MiB;

	(void)state;
	memory_layout_compute(&l, ram, FW_64K);
	assert_layout_sane(&l);
	assert_int_equal(l.below_4g, 3 * GiB);
	assert_int_equal(l.above_4g, 512 * MiB);
	assert_int_equal(l.nr_blocks, 6);
	assert_block(&l, 3, LAYOUT_1M, 3 * GiB - LAYOUT_1M, LAYOUT_1M, 0);
	assert_block(&l, 4, LAYOUT_4G - FW_64K, FW_64K, 0, 1);
	assert_block(&l, 5, LAYOUT_4G, 512 * MiB, 3 * GiB, 0);
}

static void test_layout_8g_splits_at_3g(void **state)
{
	struct memory_layout l;

	(void)state;
	memory_layout_compute(&l, 8 * GiB, FW_256K);
	assert_layout_sane(&l);
	assert_int_equal(l.below_4g, 3 * GiB);
	assert_int_equal(l.above_4g, 5 * GiB);
	assert_int_equal(l.nr_blocks, 6);
	assert_block(&l, 0, 0, 0xa0000, 0, 0);
	assert_block(&l, 3, LAYOUT_1M, 3 * GiB - LAYOUT_1M, LAYOUT_1M, 0);
	assert_block(&l, 5, LAYOUT_4G, 5 * GiB, 3 * GiB, 0);
}

static void test_layout_sane_across_sizes(void **state)
{
	static const uint64_t rams[] = {
		2 * MiB, 3 * MiB, 128 * MiB, GiB, 3 * GiB,
		LAYOUT_HOLE_START_DEFAULT - 4 * KiB, LAYOUT_HOLE_START_DEFAULT,
		4 * GiB, 64 * GiB, 1024 * GiB,
	};
	static const uint64_t fws[] = { FW_64K, FW_128K, 192 * KiB, FW_256K,
					2 * MiB, FW_16M };

	(void)state;
	for (size_t i = 0; i < sizeof(rams) / sizeof(rams[0]); i++) {
		for (size_t j = 0; j < sizeof(fws) / sizeof(fws[0]); j++) {
			struct memory_layout l;

			memory_layout_compute(&l, rams[i], fws[j]);
			assert_layout_sane(&l);
			assert_int_equal(l.ram_size, rams[i]);
		}
	}
}

/* ------------------------------------------------------ guest_memory_ptr */

static void setup_mem(struct guest_memory *m, uint64_t ram_size,
		      uint8_t *ram, uint8_t *fw, uint64_t fw_size)
{
	memset(m, 0, sizeof(*m));
	memory_layout_compute(&m->layout, ram_size, fw_size);
	m->ram_fd = -1;
	m->ram = ram;
	m->firmware = fw;
}

struct ptr_fixture {
	struct guest_memory m;
	uint8_t fw[FW_64K];
};

#define SMALL_RAM (128 * MiB)

static int setup_small(void **state)
{
	struct ptr_fixture *f = malloc(sizeof(*f));
	uint8_t *ram = malloc(SMALL_RAM);

	if (!f || !ram) {
		free(f);
		free(ram);
		return -1;
	}
	setup_mem(&f->m, SMALL_RAM, ram, f->fw, sizeof(f->fw));
	*state = f;
	return 0;
}

static int teardown_small(void **state)
{
	struct ptr_fixture *f = *state;

	free(f->m.ram);
	free(f);
	return 0;
}

static void test_ptr_in_ram_is_ram_plus_offset(void **state)
{
	struct ptr_fixture *f = *state;
	uint8_t *ram = f->m.ram;

	assert_ptr_equal(guest_memory_ptr(&f->m, 0, 1), ram);
	assert_ptr_equal(guest_memory_ptr(&f->m, 0x7c00, 512), ram + 0x7c00);
	assert_ptr_equal(guest_memory_ptr(&f->m, 0x9fff0, 0x10), ram + 0x9fff0);
	assert_ptr_equal(guest_memory_ptr(&f->m, 0xc0000, 0x30000),
			 ram + 0xc0000);
	assert_ptr_equal(guest_memory_ptr(&f->m, LAYOUT_1M, 4096),
			 ram + LAYOUT_1M);
	assert_ptr_equal(guest_memory_ptr(&f->m, SMALL_RAM - 8, 8),
			 ram + SMALL_RAM - 8);
	/* All of the RAM above 1 MiB in one go. */
	assert_ptr_equal(guest_memory_ptr(&f->m, LAYOUT_1M,
					  SMALL_RAM - LAYOUT_1M),
			 ram + LAYOUT_1M);
}

static void test_ptr_crossing_block_end_is_null(void **state)
{
	struct ptr_fixture *f = *state;

	/* Conventional memory into the VGA window. */
	assert_null(guest_memory_ptr(&f->m, 0x9fffc, 8));
	assert_null(guest_memory_ptr(&f->m, 0, 0xa0001));
	/* Upper-memory RAM into the BIOS shadow (another block). */
	assert_null(guest_memory_ptr(&f->m, 0xefffc, 8));
	/* Top of RAM. */
	assert_null(guest_memory_ptr(&f->m, SMALL_RAM - 4, 8));
}

static void test_ptr_in_vga_hole_is_null(void **state)
{
	struct ptr_fixture *f = *state;

	assert_null(guest_memory_ptr(&f->m, LAYOUT_VGA_WINDOW_START, 1));
	assert_null(guest_memory_ptr(&f->m, 0xb8000, 4000));
	assert_null(guest_memory_ptr(&f->m, 0xbffff, 1));
	/* Starting in the hole and ending in RAM is no better. */
	assert_null(guest_memory_ptr(&f->m, 0xbfff0, 0x20));
}

static void test_ptr_in_firmware_is_null(void **state)
{
	struct ptr_fixture *f = *state;

	assert_null(guest_memory_ptr(&f->m, LAYOUT_4G - 16, 16));
	assert_null(guest_memory_ptr(&f->m, LAYOUT_4G - FW_64K, 1));
	/* The BIOS shadow is RAM, but one block: not into RAM above 1 MiB. */
	assert_ptr_equal(guest_memory_ptr(&f->m, 0xffff0, 16),
			 f->m.ram + 0xffff0);
	assert_null(guest_memory_ptr(&f->m, 0xffff0, 0x20));
}

static void test_ptr_beyond_ram_is_null(void **state)
{
	struct ptr_fixture *f = *state;

	assert_null(guest_memory_ptr(&f->m, SMALL_RAM, 1));
	assert_null(guest_memory_ptr(&f->m, 3 * GiB, 4096));
	assert_null(guest_memory_ptr(&f->m, LAYOUT_4G, 1));
	assert_null(guest_memory_ptr(&f->m, 0, SMALL_RAM));
}

static void test_ptr_gpa_plus_len_overflow_is_null(void **state)
{
	struct ptr_fixture *f = *state;

	assert_null(guest_memory_ptr(&f->m, UINT64_MAX, 1));
	assert_null(guest_memory_ptr(&f->m, UINT64_MAX - 3, 8));
	assert_null(guest_memory_ptr(&f->m, 0x1000, UINT64_MAX));
	assert_null(guest_memory_ptr(&f->m, LAYOUT_1M, UINT64_MAX - 0x1000));
}

/*
 * len 0 is treated as a point inside a block: a valid address inside a RAM
 * block gives its pointer; an address at or past a block's end (even the
 * one-past-the-end of RAM) gives NULL, as does a non-RAM address.
 */
static void test_ptr_len_zero(void **state)
{
	struct ptr_fixture *f = *state;
	uint8_t *ram = f->m.ram;

	assert_ptr_equal(guest_memory_ptr(&f->m, 0x1000, 0), ram + 0x1000);
	assert_ptr_equal(guest_memory_ptr(&f->m, SMALL_RAM - 1, 0),
			 ram + SMALL_RAM - 1);
	assert_null(guest_memory_ptr(&f->m, LAYOUT_VGA_WINDOW_START, 0));
	assert_null(guest_memory_ptr(&f->m, SMALL_RAM, 0));
	assert_ptr_equal(guest_memory_ptr(&f->m, 0xf0000, 0),
			 ram + 0xf0000);
	assert_null(guest_memory_ptr(&f->m, UINT64_MAX, 0));
}

static void test_ptr_writes_land_in_ram_at_offset(void **state)
{
	struct ptr_fixture *f = *state;
	uint32_t *p = guest_memory_ptr(&f->m, 0x200000, 4);

	assert_non_null(p);
	*p = 0xdeadbeef;
	assert_memory_equal(f->m.ram + 0x200000, p, 4);
}

static void test_ptr_high_ram_uses_offset_below_4g(void **state)
{
	struct guest_memory m;
	uint64_t ram_size = 8 * GiB;
	/* Address space only: pointers are compared, never dereferenced. */
	uint8_t *ram = mmap(NULL, ram_size, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	(void)state;
	if (ram == MAP_FAILED)
		skip();
	setup_mem(&m, ram_size, ram, NULL, FW_64K);
	assert_ptr_equal(guest_memory_ptr(&m, 3 * GiB - 4096, 4096),
			 ram + 3 * GiB - 4096);
	assert_ptr_equal(guest_memory_ptr(&m, LAYOUT_4G, 8), ram + 3 * GiB);
	assert_ptr_equal(guest_memory_ptr(&m, 9 * GiB - 1, 1),
			 ram + 8 * GiB - 1);
	/* The PCI hole from 3 GiB and the end of high RAM. */
	assert_null(guest_memory_ptr(&m, 3 * GiB, 1));
	assert_null(guest_memory_ptr(&m, 3 * GiB - 4, 8));
	assert_null(guest_memory_ptr(&m, LAYOUT_IOAPIC_BASE, 4));
	assert_null(guest_memory_ptr(&m, LAYOUT_4G - 8, 16));
	assert_null(guest_memory_ptr(&m, 9 * GiB - 4, 8));
	assert_null(guest_memory_ptr(&m, 9 * GiB, 1));
	munmap(ram, ram_size);
}

#define P(f) cmocka_unit_test_setup_teardown(f, setup_small, teardown_small)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_128m_64k_firmware),
		cmocka_unit_test(test_layout_128k_firmware_alias_whole_image),
		cmocka_unit_test(test_layout_256k_firmware_alias_is_last_128k),
		cmocka_unit_test(test_layout_16m_firmware_alias_is_last_128k),
		cmocka_unit_test(test_layout_just_below_3_5g_is_all_low),
		cmocka_unit_test(test_layout_exactly_3_5g_uses_3g_hole),
		cmocka_unit_test(test_layout_8g_splits_at_3g),
		cmocka_unit_test(test_layout_sane_across_sizes),
		P(test_ptr_in_ram_is_ram_plus_offset),
		P(test_ptr_crossing_block_end_is_null),
		P(test_ptr_in_vga_hole_is_null),
		P(test_ptr_in_firmware_is_null),
		P(test_ptr_beyond_ram_is_null),
		P(test_ptr_gpa_plus_len_overflow_is_null),
		P(test_ptr_len_zero),
		P(test_ptr_writes_land_in_ram_at_offset),
		cmocka_unit_test(test_ptr_high_ram_uses_offset_below_4g),
	};

	return cmocka_run_group_tests_name("memory-layout", tests, NULL, NULL);
}
