/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCI configuration mechanism #1 (ports 0xCF8/0xCFC), see pci-cf8.c. */
#ifndef HVMKIT_PCI_CF8_H
#define HVMKIT_PCI_CF8_H

struct vm;

int pci_cf8_register(struct vm *vm);

#endif
