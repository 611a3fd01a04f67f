/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2):
 * CONFIG_ADDRESS at 0xCF8 (enable bit 31, bus 23:16, device 15:11,
 * function 10:8, register 7:2) and CONFIG_DATA at 0xCFC-0xCFF.
 *
 * As in Xen, the hypervisor keeps the CONFIG_ADDRESS latch and forwards a
 * CONFIG_DATA access as one IOREQ_TYPE_PCI_CONFIG request carrying the
 * decoded function and register, so a configuration read or write costs
 * one round trip to the device model instead of two.  Only functions the
 * device model claimed are forwarded; any other function reads as all
 * ones (no device: master abort, spec 6.1) without leaving the hypervisor.
 *
 * Only 32-bit accesses to 0xCF8 reach the latch (spec 3.2.2.3.2); byte and
 * word accesses to 0xCF8-0xCFB are other registers on a real chipset: the
 * PIIX3's reset control at 0xCF9 (82371SB datasheet 4.1.x, "RC").  The
 * device model claims such a register like any port (pci_cf8_claim_side);
 * those accesses go to it as ordinary PIO requests, others read as all
 * ones.  Bus numbers other than 0 read as all ones: hvmkit has one root
 * bus.
 */
#include "pci-cf8.h"

#include <errno.h>
#include <string.h>

#include "dm-link.h"
#include "hvmkit/ioreq.h"
#include "vcpu.h"
#include "vm.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA    0xcfc
#define CF8_ENABLE         0x80000000u

/* A byte or word register inside 0xCF8-0xCFB that the device model owns. */
static bool side_io(struct vm *vm, unsigned int vcpu, uint64_t addr,
		    uint8_t *data, unsigned int len, bool is_write)
{
	struct pci_cf8_side *s = &vm->cf8_side;
	uint32_t range_id = __atomic_load_n(&s->range_id, __ATOMIC_ACQUIRE);
	struct ioreq req = {
		.addr = addr, .size = len, .count = 1, .type = IOREQ_TYPE_PIO,
		.dir = is_write ? IOREQ_WRITE : IOREQ_READ,
		.range_id = range_id,
	};
	uint32_t seq;

	if (!range_id || addr < s->base || addr + len > s->base + s->len ||
	    !vm->dm)
		return false;
	if (is_write)
		memcpy(&req.data, data, len);
	ioreq_send_sync(vm, vcpu, &req, data, &seq);
	vm->vcpus[vcpu].dm_ctl_seq = seq;
	return true;
}

int pci_cf8_claim_side(struct vm *vm, uint64_t base, uint64_t len,
		       uint32_t range_id)
{
	struct pci_cf8_side *s = &vm->cf8_side;

	if (base + len <= PCI_CONFIG_ADDRESS || base >= PCI_CONFIG_DATA)
		return 0;
	/* Only registers beside the latch's first byte, one claim. */
	if (base <= PCI_CONFIG_ADDRESS || base + len > PCI_CONFIG_DATA)
		return -EEXIST;
	if (__atomic_load_n(&s->range_id, __ATOMIC_ACQUIRE))
		return -EEXIST;
	s->base = base;
	s->len = len;
	__atomic_store_n(&s->range_id, range_id, __ATOMIC_RELEASE);
	return 1;
}

bool pci_cf8_release_side(struct vm *vm, uint64_t base)
{
	struct pci_cf8_side *s = &vm->cf8_side;

	if (!__atomic_load_n(&s->range_id, __ATOMIC_ACQUIRE) ||
	    s->base != base)
		return false;
	__atomic_store_n(&s->range_id, 0, __ATOMIC_RELEASE);
	return true;
}

static void cf8_io(void *opaque, unsigned int vcpu, uint64_t addr,
		   uint8_t *data, unsigned int len, bool is_write)
{
	struct vm *vm = opaque;
	uint32_t v;

	if (addr != PCI_CONFIG_ADDRESS || len != 4) {
		if (!side_io(vm, vcpu, addr, data, len, is_write) &&
		    !is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write) {
		memcpy(&v, data, 4);
		/* Bits 1:0 are read-only zero; 30:24 are reserved. */
		__atomic_store_n(&vm->pci_cf8, v & 0x80fffffcu,
				 __ATOMIC_RELAXED);
	} else {
		v = __atomic_load_n(&vm->pci_cf8, __ATOMIC_RELAXED);
		memcpy(data, &v, 4);
	}
}

static void cfc_io(void *opaque, unsigned int vcpu, uint64_t addr,
		   uint8_t *data, unsigned int len, bool is_write)
{
	struct vm *vm = opaque;
	uint32_t cf8 = __atomic_load_n(&vm->pci_cf8, __ATOMIC_RELAXED);
	unsigned int devfn = (cf8 >> 8) & 0xff;
	unsigned int reg = (cf8 & 0xfc) + (unsigned int)(addr & 3);
	struct ioreq req = {
		.size = len, .count = 1, .type = IOREQ_TYPE_PCI_CONFIG,
		.dir = is_write ? IOREQ_WRITE : IOREQ_READ,
	};
	uint32_t seq;

	/* An access must stay inside the dword (x86 cannot split one, but
	 * a word access at 0xCFF would reach 0xD00). */
	if (!(cf8 & CF8_ENABLE) || (cf8 & 0x00ff0000u) ||
	    (addr & 3) + len > 4 || !vm->dm ||
	    !dm_link_pci_claimed(vm->dm, devfn)) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	req.addr = IOREQ_PCI_ADDR(devfn, reg);
	if (is_write)
		memcpy(&req.data, data, len);
	ioreq_send_sync(vm, vcpu, &req, data, &seq);
	vm->vcpus[vcpu].dm_ctl_seq = seq;
}

int pci_cf8_register(struct vm *vm)
{
	if (iobus_register(&vm->pio, PCI_CONFIG_ADDRESS, 4, cf8_io, vm,
			   "pci-config-address") ||
	    iobus_register(&vm->pio, PCI_CONFIG_DATA, 4, cfc_io, vm,
			   "pci-config-data"))
		return -1;
	return 0;
}
