/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest-physical memory map of an hvmkit PC (i440FX-style):
 *
 *   0x00000000 - 0x0009ffff   RAM (conventional memory)
 *   0x000a0000 - 0x000bffff   legacy VGA window: no RAM, MMIO to devices
 *   0x000c0000 - 1M - shadow  RAM (option-ROM and upper-memory area)
 *   1M - shadow - 0x000fffff  BIOS shadow: RAM that holds a copy of the
 *                             last min(size, 128 KiB) of the firmware
 *                             image at every (re)start
 *   0x00100000 - below_4g     RAM
 *   below_4g   - 0xfebfffff   PCI hole (32-bit BARs)
 *   0xfec00000                IOAPIC (in-kernel)
 *   0xfee00000                LAPIC (in-kernel)
 *   0xfeffc000 - 0xfeffffff   KVM identity-map page and TSS (reserved)
 *   4G - fwsize - 4G          firmware image, read-only
 *   4G - 4G + above_4g        the rest of RAM
 *
 * The BIOS shadow is RAM from the start, as in Xen's HVM guests: the
 * i440FX's PAM registers (which on real hardware switch 0xC0000-0xFFFFF
 * between ROM and RAM) are stored by the device model but not enforced.
 * SeaBIOS unlocks PAM and copies its image from 4 GiB down to 0xF0000,
 * which here copies the same bytes; its final read-only lock is not
 * enforced (the guest can only harm itself).
 *
 * The hole starts at 3.5 GiB; a guest with 3.5 GiB of RAM or more gets a
 * hole from 3 GiB so that both RAM blocks stay 1 GiB aligned (QEMU's pc machine
 * makes the same choice; Xen's default hole is smaller).  All RAM lives in
 * one memfd, low RAM at file offset = guest address, high RAM after it.
 */
#ifndef HVMKIT_MEMORY_LAYOUT_H
#define HVMKIT_MEMORY_LAYOUT_H

#include <stdint.h>

#define LAYOUT_VGA_WINDOW_START   0x000a0000ull
#define LAYOUT_UMA_START          0x000c0000ull
#define LAYOUT_1M                 0x00100000ull
#define LAYOUT_HOLE_START_DEFAULT 0xe0000000ull
#define LAYOUT_HOLE_START_LARGE   0xc0000000ull
#define LAYOUT_IOAPIC_BASE        0xfec00000ull
#define LAYOUT_LAPIC_BASE         0xfee00000ull
#define LAYOUT_IDENTITY_MAP_ADDR  0xfeffc000ull
#define LAYOUT_TSS_ADDR           0xfeffd000ull /* 3 pages */
#define LAYOUT_4G                 0x100000000ull

/* Firmware images: 64 KiB granules, at most 16 MiB (0xff000000 - 4G). */
#define FIRMWARE_SIZE_ALIGN       0x10000ull
#define FIRMWARE_SIZE_MAX         0x1000000ull
#define FIRMWARE_ALIAS_MAX        0x20000ull

/* A RAM or ROM block: guest address, length, and where its bytes are. */
struct mem_block {
	uint64_t gpa;
	uint64_t len;
	uint64_t offset;   /* into the RAM memfd, or into the firmware image */
	int is_firmware;
	int is_shadow;     /* RAM loaded from the firmware at offset
			    * shadow_src at every (re)start */
	uint64_t shadow_src;
};

#define LAYOUT_MAX_BLOCKS 6

struct memory_layout {
	uint64_t ram_size;
	uint64_t below_4g;
	uint64_t above_4g;
	uint64_t firmware_size;
	unsigned int nr_blocks;
	struct mem_block blocks[LAYOUT_MAX_BLOCKS];
};

/*
 * Computes the map for ram_size bytes of RAM (at least 2 MiB, a multiple of
 * 4 KiB) and a firmware image of firmware_size bytes (checked by the
 * caller).  Blocks come out sorted by guest address.
 */
void memory_layout_compute(struct memory_layout *l, uint64_t ram_size,
			   uint64_t firmware_size);

#endif
