/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI configuration mechanism #1 (ports 0xCF8/0xCFC), see pci-cf8.c. */
#ifndef HVMKIT_PCI_CF8_H
#define HVMKIT_PCI_CF8_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* A device-model register at 0xCF9-0xCFB (see pci-cf8.c). */
struct pci_cf8_side {
	uint64_t base, len;
	uint32_t range_id;         /* 0: none */
};

int pci_cf8_register(struct vm *vm);
/* A device-model PIO claim: 0 if it does not touch 0xCF8-0xCFB, 1 if it
 * was taken as the side register, -EEXIST if it collides with the latch
 * or an earlier side claim. */
int pci_cf8_claim_side(struct vm *vm, uint64_t base, uint64_t len,
		       uint32_t range_id);
/* Drops the side claim at base; false if there is none there. */
bool pci_cf8_release_side(struct vm *vm, uint64_t base);

#endif
