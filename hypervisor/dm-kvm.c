/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * KVM objects and I/O ranges made for the device model (see dm-kvm.h).
 *
 * Interrupts: one irqfd per requested GSI and trigger mode.  An edge line
 * is a plain irqfd: each write is a 0-1-0 pulse on the GSI.  A level line
 * is an irqfd with KVM_IRQFD_FLAG_RESAMPLE: a write asserts the GSI until
 * the guest's EOI, when KVM deasserts it and signals the resample fd, and
 * the device model re-asserts it if its line is still high (the scheme
 * VFIO uses for INTx; Linux Documentation/virt/kvm/api.rst, KVM_IRQFD).
 * The IOAPIC and PIC OR the levels of their sources, so a GSI may have an
 * edge and a level irqfd at once.  The edges the device model raised while
 * answering a synchronous request come with the answer instead
 * (include/hvmkit/ioreq.h, "Edges"): dm_kvm_raise_edges() pulses them with
 * KVM_IRQ_LINE from the vCPU thread, the same 0-1-0 under the same source
 * id as KVM's irqfd, for GSIs that have an edge irqfd only.
 */
#define _GNU_SOURCE
#include "dm-kvm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dm-link.h"
#include "hvmkit/ioreq.h"
#include "hvmkit/log.h"
#include "memory-layout.h"
#include "pci-cf8.h"
#include "vcpu.h"
#include "vm.h"

#define MAX_IRQFDS      64
#define MAX_IOEVENTFDS  64
#define MAX_ZONES       16
#define MAX_RANGES      256

struct dm_kvm_regs {
	struct kvm_irqfd irqfds[MAX_IRQFDS];
	unsigned int nr_irqfds;
	struct kvm_ioeventfd ioeventfds[MAX_IOEVENTFDS];
	unsigned int nr_ioeventfds;
	struct kvm_coalesced_mmio_zone zones[MAX_ZONES];
	unsigned int nr_zones;
	uint32_t edge_gsis;  /* bit n: GSI n has an edge irqfd */
};

struct dm_range_reg {
	struct dm_range_reg *next;
	struct vm *vm;
	uint32_t space;
	uint32_t flags;
	uint32_t range_id;
	uint64_t base;
	uint64_t len;
	uint64_t zone_base;  /* KVM's coalesced zone, DM_RANGE_COALESCED */
};

static struct dm_kvm_regs *regs(struct vm *vm)
{
	if (!vm->dm->kvm)
		vm->dm->kvm = calloc(1, sizeof(*vm->dm->kvm));
	return vm->dm->kvm;
}

int dm_kvm_irq(struct vm *vm, const struct dm_msg_irq_req *m, int fds[2],
	       unsigned int *nr_fds)
{
	struct dm_kvm_regs *r = regs(vm);
	struct kvm_irqfd irqfd = { .gsi = m->gsi };
	bool level = m->trigger == DM_IRQ_LEVEL;

	*nr_fds = 0;
	if (!r)
		return -ENOMEM;
	if (m->gsi >= DM_MAX_GSI || m->gsi == 2 ||
	    (m->trigger != DM_IRQ_EDGE && m->trigger != DM_IRQ_LEVEL))
		return -EINVAL;
	if (r->nr_irqfds == MAX_IRQFDS)
		return -ENOSPC;
	fds[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fds[1] = level ? eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) : -1;
	if (fds[0] < 0 || (level && fds[1] < 0))
		goto fail;
	irqfd.fd = (uint32_t)fds[0];
	if (level) {
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = (uint32_t)fds[1];
	}
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		goto fail;
	r->irqfds[r->nr_irqfds++] = irqfd;
	if (!level)
		__atomic_or_fetch(&r->edge_gsis, 1u << m->gsi,
				  __ATOMIC_RELEASE);
	*nr_fds = level ? 2 : 1;
	return 0;
fail:
	{
		int err = errno;

		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return -err;
	}
}

static bool overlaps_memory(const struct vm *vm, uint64_t base,
			    uint64_t len);
static iobus_fn dm_range_io;

int dm_kvm_ioeventfd(struct vm *vm, const struct dm_msg_ioeventfd_req *m,
		     int *fd)
{
	struct dm_kvm_regs *r = regs(vm);
	struct kvm_ioeventfd ev = {
		.addr = m->addr, .len = m->len, .datamatch = m->datamatch,
	};

	if (!r)
		return -ENOMEM;
	if ((m->space != IOREQ_TYPE_PIO && m->space != IOREQ_TYPE_MMIO) ||
	    (m->len != 1 && m->len != 2 && m->len != 4 && m->len != 8) ||
	    m->addr + m->len < m->addr ||
	    (m->space == IOREQ_TYPE_PIO &&
	     (m->len == 8 || m->addr >= 0x10000 ||
	      m->addr + m->len > 0x10000)) ||
	    (m->space == IOREQ_TYPE_MMIO &&
	     overlaps_memory(vm, m->addr, m->len)) ||
	    (m->flags & ~DM_IOEVENTFD_DATAMATCH))
		return -EINVAL;
	/* KVM would take these writes before any handler: only inside the
	 * device model's own claims (or unclaimed space). */
	if (iobus_overlaps_other(m->space == IOREQ_TYPE_PIO ? &vm->pio :
				 &vm->mmio, m->addr, m->len, dm_range_io))
		return -EEXIST;
	if (r->nr_ioeventfds == MAX_IOEVENTFDS)
		return -ENOSPC;
	if (m->space == IOREQ_TYPE_PIO)
		ev.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (m->flags & DM_IOEVENTFD_DATAMATCH)
		ev.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	*fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*fd < 0)
		return -errno;
	ev.fd = *fd;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ev) < 0) {
		int err = errno;

		close(*fd);
		return -err;
	}
	r->ioeventfds[r->nr_ioeventfds++] = ev;
	return 0;
}

/* ------------------------------------------------------ forwarded ranges */

static void dm_range_note_barrier(struct vm *vm, unsigned int vcpu,
				  uint32_t ctl_seq)
{
	uint32_t *cur;

	if (vcpu >= vm->cfg.nr_vcpus)
		return;
	/* The highest of the exit's answers (0: none yet). */
	cur = &vm->vcpus[vcpu].dm_ctl_seq;
	if (!*cur || (int32_t)(ctl_seq - *cur) > 0)
		*cur = ctl_seq;
}

static void dm_range_io(void *opaque, unsigned int vcpu, uint64_t addr,
			uint8_t *data, unsigned int len, bool is_write)
{
	struct dm_range_reg *reg = opaque;
	struct ioreq req = {
		.addr = addr, .size = len, .count = 1, .type = reg->space,
		.dir = is_write ? IOREQ_WRITE : IOREQ_READ,
		.range_id = reg->range_id,
	};
	unsigned int off = (unsigned int)(addr - reg->base);
	enum ioreq_write_kind kind = IOREQ_WRITE_POSTED;
	uint32_t seq;

	if (!is_write && (reg->flags & DM_RANGE_SHADOWED) &&
	    ioreq_shadow_read(reg->vm, reg->range_id, reg->base, off, len,
			      data, &seq)) {
		dm_range_note_barrier(reg->vm, vcpu, seq);
		return;
	}
	if (is_write)
		memcpy(&req.data, data, len);
	if (is_write && (reg->flags & DM_RANGE_SHADOWED))
		kind = ioreq_classify_write(reg->vm, reg->range_id, reg->base,
					    off, len, data);
	if (is_write && (reg->flags & DM_RANGE_POSTED_WRITES) &&
	    kind != IOREQ_WRITE_SYNC &&
	    ioreq_send_posted(reg->vm, vcpu, &req,
			      kind == IOREQ_WRITE_LATCH ?
			      IOREQ_POSTED_LATCH : 0))
		return;
	ioreq_send_sync(reg->vm, vcpu, &req, data, &seq);
	dm_range_note_barrier(reg->vm, vcpu, seq);
}

static void dm_range_io_rep(void *opaque, unsigned int vcpu, uint64_t addr,
			    uint8_t *data, unsigned int size,
			    unsigned int count, bool is_write)
{
	struct dm_range_reg *reg = opaque;
	unsigned int per = IOREQ_BUF_SIZE / size;

	/* One ioreq per buffer's worth of items, in order. */
	while (count) {
		unsigned int n = count < per ? count : per;
		struct ioreq req = {
			.addr = addr, .size = size, .count = n,
			.type = reg->space,
			.dir = is_write ? IOREQ_WRITE : IOREQ_READ,
			.range_id = reg->range_id,
		};
		uint32_t seq;

		if (ioreq_send_sync(reg->vm, vcpu, &req, data, &seq) < 0)
			return;
		dm_range_note_barrier(reg->vm, vcpu, seq);
		data += (size_t)n * size;
		count -= n;
	}
}

/* True if [base, base + len) touches guest RAM, ROM or the KVM-owned
 * pages: a claim there would never see an access (or shadow KVM's). */
static bool overlaps_memory(const struct vm *vm, uint64_t base, uint64_t len)
{
	const struct memory_layout *l = &vm->mem.layout;
	uint64_t end = base + len;

	for (unsigned int i = 0; i < l->nr_blocks; i++) {
		const struct mem_block *b = &l->blocks[i];

		if (base < b->gpa + b->len && b->gpa < end)
			return true;
	}
	return (base < LAYOUT_TSS_ADDR + 3 * 4096 &&
		LAYOUT_IDENTITY_MAP_ADDR < end) ||
	       (base < LAYOUT_IOAPIC_BASE + 0x1000 &&
		LAYOUT_IOAPIC_BASE < end) ||
	       (base < LAYOUT_LAPIC_BASE + 0x1000 && LAYOUT_LAPIC_BASE < end);
}

/* The range's zone: zone_len bytes at zone_off, or all of it. */
static int dm_zone_add(struct vm *vm, const struct dm_msg_range *m)
{
	struct dm_kvm_regs *r = regs(vm);
	uint64_t len = m->zone_len ? m->zone_len : m->len;
	struct kvm_coalesced_mmio_zone z = {
		.addr = m->base + m->zone_off, .size = (uint32_t)len,
		.pio = m->space == IOREQ_TYPE_PIO,
	};

	if (!r)
		return -ENOMEM;
	if (r->nr_zones == MAX_ZONES || len > UINT32_MAX)
		return -ENOSPC;
	if (ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &z) < 0)
		return -errno;
	r->zones[r->nr_zones++] = z;
	return 0;
}

static void dm_zone_remove(struct vm *vm, uint64_t base, uint32_t pio)
{
	struct dm_kvm_regs *r = vm->dm->kvm;

	for (unsigned int i = 0; r && i < r->nr_zones; i++) {
		if (r->zones[i].addr != base || r->zones[i].pio != pio)
			continue;
		ioctl(vm->vm_fd, KVM_UNREGISTER_COALESCED_MMIO, &r->zones[i]);
		r->zones[i] = r->zones[--r->nr_zones];
		return;
	}
}

int dm_kvm_claim(struct vm *vm, const struct dm_msg_range *m)
{
	struct iobus *bus = m->space == IOREQ_TYPE_PIO ? &vm->pio : &vm->mmio;
	struct dm_range_reg *reg, **pp;
	unsigned int n = 0;
	int err;

	if ((m->space != IOREQ_TYPE_PIO && m->space != IOREQ_TYPE_MMIO) ||
	    !m->len || m->base + m->len < m->base ||
	    (m->flags & ~DM_RANGE_FLAGS) ||
	    ((m->flags & DM_RANGE_COALESCED) &&
	     !(m->flags & DM_RANGE_POSTED_WRITES)) ||
	    (!(m->flags & DM_RANGE_COALESCED) &&
	     (m->zone_off || m->zone_len)) ||
	    (!m->zone_len && m->zone_off) ||
	    (uint64_t)m->zone_off + m->zone_len > m->len ||
	    ((m->flags & DM_RANGE_SHADOWED) &&
	     (m->range_id < 1 || m->range_id > IOREQ_SHADOWS ||
	      m->len > IOREQ_SHADOW_BYTES)) ||
	    (m->space == IOREQ_TYPE_PIO && m->base + m->len > 0x10000) ||
	    (m->space == IOREQ_TYPE_MMIO && overlaps_memory(vm, m->base,
							    m->len)))
		return -EINVAL;
	if (m->space == IOREQ_TYPE_PIO) {
		err = pci_cf8_claim_side(vm, m->base, m->len, m->range_id);
		if (err)
			return err < 0 ? err : 0;
	}
	for (pp = &vm->dm->ranges; *pp; pp = &(*pp)->next)
		n++;
	if (n >= MAX_RANGES)
		return -ENOSPC;
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return -ENOMEM;
	*reg = (struct dm_range_reg){
		.vm = vm, .space = m->space, .flags = m->flags,
		.range_id = m->range_id, .base = m->base, .len = m->len,
		.zone_base = m->base + m->zone_off,
	};
	err = iobus_register_rep(bus, m->base, m->len, dm_range_io,
				 m->space == IOREQ_TYPE_PIO ? dm_range_io_rep :
				 NULL, reg, "devmodel");
	if (!err && (m->flags & DM_RANGE_COALESCED)) {
		err = dm_zone_add(vm, m);
		if (err)
			iobus_unregister(bus, m->base);
	}
	if (err) {
		free(reg);
		return err;
	}
	*pp = reg;
	return 0;
}

int dm_kvm_release(struct vm *vm, const struct dm_msg_range *m)
{
	struct dm_range_reg **pp, *reg;

	if (m->space == IOREQ_TYPE_PIO && pci_cf8_release_side(vm, m->base))
		return 0;
	for (pp = &vm->dm->ranges; (reg = *pp); pp = &reg->next) {
		if (reg->space != m->space || reg->base != m->base)
			continue;
		/* Drop the zone first so KVM stops batching, then the range;
		 * iobus_unregister waits for handlers still running. */
		if (reg->flags & DM_RANGE_COALESCED)
			dm_zone_remove(vm, reg->zone_base,
				       reg->space == IOREQ_TYPE_PIO);
		iobus_unregister(reg->space == IOREQ_TYPE_PIO ? &vm->pio :
				 &vm->mmio, reg->base);
		*pp = reg->next;
		free(reg);
		return 0;
	}
	return -ENOENT;
}

int dm_kvm_msi(struct vm *vm, const struct dm_msg_msi *m)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)m->addr,
		.address_hi = (uint32_t)(m->addr >> 32),
		.data = m->data,
	};

	/* x86 MSIs target the LAPIC window 0xFEExxxxx (Intel SDM vol. 3
	 * 11.11.1); anything else is not an interrupt. */
	if ((m->addr & ~0xfffffull) != 0xfee00000ull)
		return -EINVAL;
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		return -errno;
	return 0;
}

int dm_kvm_raise_edges(struct vm *vm, uint32_t gsis)
{
	struct dm_kvm_regs *r = vm->dm->kvm;
	uint32_t allowed = r ? __atomic_load_n(&r->edge_gsis,
					       __ATOMIC_ACQUIRE) : 0;

	if (gsis & ~allowed)
		return -EINVAL;
	for (unsigned int gsi = 0; gsis; gsi++, gsis >>= 1) {
		struct kvm_irq_level up = { .irq = gsi, .level = 1 };
		struct kvm_irq_level down = { .irq = gsi, .level = 0 };

		if (!(gsis & 1))
			continue;
		if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &up) < 0 ||
		    ioctl(vm->vm_fd, KVM_IRQ_LINE, &down) < 0)
			return -errno;
	}
	return 0;
}

int dm_kvm_rebind(struct vm *vm)
{
	struct dm_kvm_regs *r = vm->dm ? vm->dm->kvm : NULL;

	for (unsigned int i = 0; r && i < r->nr_irqfds; i++)
		if (ioctl(vm->vm_fd, KVM_IRQFD, &r->irqfds[i]) < 0)
			goto fail;
	for (unsigned int i = 0; r && i < r->nr_ioeventfds; i++)
		if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &r->ioeventfds[i]) < 0)
			goto fail;
	for (unsigned int i = 0; r && i < r->nr_zones; i++)
		if (ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO,
			  &r->zones[i]) < 0)
			goto fail;
	return 0;
fail:
	log_error("cannot register the device model's eventfds with the "
		  "reset VM: %s", strerror(errno));
	return -1;
}

void dm_kvm_destroy(struct vm *vm)
{
	struct dm_range_reg *reg;

	while ((reg = vm->dm->ranges)) {
		iobus_unregister(reg->space == IOREQ_TYPE_PIO ? &vm->pio :
				 &vm->mmio, reg->base);
		vm->dm->ranges = reg->next;
		free(reg);
	}
	if (vm->dm->kvm) {
		for (unsigned int i = 0; i < vm->dm->kvm->nr_irqfds; i++) {
			close((int)vm->dm->kvm->irqfds[i].fd);
			if (vm->dm->kvm->irqfds[i].flags &
			    KVM_IRQFD_FLAG_RESAMPLE)
				close((int)vm->dm->kvm->irqfds[i].resamplefd);
		}
		for (unsigned int i = 0; i < vm->dm->kvm->nr_ioeventfds; i++)
			close(vm->dm->kvm->ioeventfds[i].fd);
	}
	free(vm->dm->kvm);
	vm->dm->kvm = NULL;
}
