/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Computes the guest-physical memory map described in memory-layout.h. */
#include "memory-layout.h"

#include <string.h>

static struct mem_block *add_block(struct memory_layout *l, uint64_t gpa,
				   uint64_t len, uint64_t offset,
				   int is_firmware)
{
	if (!len)
		return NULL;
	l->blocks[l->nr_blocks] = (struct mem_block){
		.gpa = gpa, .len = len, .offset = offset,
		.is_firmware = is_firmware,
	};
	return &l->blocks[l->nr_blocks++];
}

void memory_layout_compute(struct memory_layout *l, uint64_t ram_size,
			   uint64_t firmware_size)
{
	uint64_t hole = ram_size < LAYOUT_HOLE_START_DEFAULT ?
		LAYOUT_HOLE_START_DEFAULT : LAYOUT_HOLE_START_LARGE;
	uint64_t alias = firmware_size < FIRMWARE_ALIAS_MAX ?
		firmware_size : FIRMWARE_ALIAS_MAX;
	uint64_t alias_start = LAYOUT_1M - alias;
	struct mem_block *shadow;

	memset(l, 0, sizeof(*l));
	l->ram_size = ram_size;
	l->firmware_size = firmware_size;
	l->below_4g = ram_size < hole ? ram_size : hole;
	l->above_4g = ram_size - l->below_4g;

	add_block(l, 0, LAYOUT_VGA_WINDOW_START, 0, 0);
	add_block(l, LAYOUT_UMA_START, alias_start - LAYOUT_UMA_START,
		  LAYOUT_UMA_START, 0);
	shadow = add_block(l, alias_start, alias, alias_start, 0);
	if (shadow) {
		shadow->is_shadow = 1;
		shadow->shadow_src = firmware_size - alias;
	}
	add_block(l, LAYOUT_1M, l->below_4g - LAYOUT_1M, LAYOUT_1M, 0);
	add_block(l, LAYOUT_4G - firmware_size, firmware_size, 0, 1);
	add_block(l, LAYOUT_4G, l->above_4g, l->below_4g, 0);
}
