/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM and firmware ROM: RAM is one sealed memfd (so the device model
 * can map the same pages for DMA), the firmware image a private read-only
 * copy.  Both are registered with KVM as memory slots per memory-layout.h.
 */
#ifndef HVMKIT_GUEST_MEMORY_H
#define HVMKIT_GUEST_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "memory-layout.h"

struct guest_memory {
	struct memory_layout layout;
	int ram_fd;            /* memfd holding all guest RAM */
	uint8_t *ram;          /* shared mapping of ram_fd */
	uint8_t *firmware;     /* read-only copy of the firmware image */
};

/* Creates and maps the RAM memfd and takes over the firmware copy
 * (firmware_map()'s result).  Logs one error line and returns -1 on failure. */
int guest_memory_create(struct guest_memory *m, uint64_t ram_size,
			uint8_t *firmware, uint64_t firmware_size);
void guest_memory_destroy(struct guest_memory *m);

/* Registers every block as a KVM memory slot of vm_fd (ROM read-only),
 * after loading the BIOS shadow with its power-on contents (a fresh boot
 * of the same RAM, as on every reset). */
int guest_memory_map_into(const struct guest_memory *m, int vm_fd);

/*
 * Host pointer for guest-physical [gpa, gpa + len) if that range is wholly
 * inside one RAM block, else NULL.  The only way hypervisor code touches
 * guest memory by guest address.
 */
void *guest_memory_ptr(const struct guest_memory *m, uint64_t gpa,
		       uint64_t len);

#endif
