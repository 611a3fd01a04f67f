/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hypervisor's side of read shadows, latches and doorbells
 * (include/hvmkit/ioreq.h): what lets a vCPU thread answer a register
 * read without waking the device model, and decide how a posted write
 * goes.
 *
 * Program order: a shadow read must see every earlier write of the guest.
 * The device model advances a ring's tail only after it has handled the
 * write and updated its shadows, so the writes still between tail and
 * head of any vCPU's ring are the ones the shadow may not show yet.  Any
 * of them holds a read back unless it is a latch of other bytes.  The
 * entries are the hypervisor's own (the device model only reads them);
 * the scan reads each field once, and an entry overwritten meanwhile is a
 * newer pending write, which is held against the read just the same.
 *
 * A write is a latch only if no unfinished write other than latches is
 * pending when it is classified, checked before the shadow is copied (the
 * tail's acquire pairs with the device model's release after handling):
 * the latch and kick bits it goes by are then those of the state every
 * earlier write left, as latches change neither.  Only in a one-vCPU
 * domain: another vCPU could post a write that changes the bits between
 * this classification and this write's handling.
 */
#include "ioreq-client.h"

#include <string.h>

#include "dm-link.h"
#include "hvmkit/util.h"
#include "vm.h"

/* Whether an unfinished posted write may change what a read of
 * [addr, addr + len) of claim range_id returns (range_id 0: whether any
 * write other than a latch is unfinished). */
static bool posted_blocks(const struct ioreq_client *c, uint32_t range_id,
			  uint64_t addr, unsigned int len)
{
	for (unsigned int i = 0; i < c->nr_vcpus; i++) {
		const struct ioreq_vcpu *s = ioreq_client_slot(c, i);
		uint32_t head = __atomic_load_n(&s->posted_head,
						__ATOMIC_ACQUIRE);
		uint32_t tail = __atomic_load_n(&s->posted_tail,
						__ATOMIC_ACQUIRE);

		if (head - tail > IOREQ_POSTED_SLOTS)
			return true; /* a tail the device model broke */
		for (; tail != head; tail++) {
			const struct ioreq_posted *p =
				&s->posted[tail % IOREQ_POSTED_SLOTS];
			uint64_t paddr = __atomic_load_n(&p->addr,
							 __ATOMIC_RELAXED);
			uint32_t size = __atomic_load_n(&p->size,
							__ATOMIC_RELAXED);

			if (!(__atomic_load_n(&p->flags, __ATOMIC_RELAXED) &
			      IOREQ_POSTED_LATCH))
				return true;
			if (range_id && __atomic_load_n(&p->range_id,
							__ATOMIC_RELAXED) ==
					range_id &&
			    paddr < addr + len && addr < paddr + size)
				return true;
		}
	}
	return false;
}

/* A stable copy of shadow entry range_id (seqlock); false if there is
 * none or the device model is writing it. */
static bool shadow_copy(const struct ioreq_client *c, uint32_t range_id,
			struct ioreq_shadow *out)
{
	const struct ioreq_area_header *h =
		(const struct ioreq_area_header *)c->area;
	const struct ioreq_shadow *e;
	uint32_t seq;

	if (range_id - 1 >= IOREQ_SHADOWS)
		return false;
	e = &h->shadows[range_id - 1];
	seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	if (seq & 1)
		return false;
	out->valid = __atomic_load_n(&e->valid, __ATOMIC_RELAXED);
	out->latch = __atomic_load_n(&e->latch, __ATOMIC_RELAXED);
	out->base = __atomic_load_n(&e->base, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < IOREQ_SHADOW_BYTES; i++) {
		out->bytes[i] = __atomic_load_n(&e->bytes[i],
						__ATOMIC_RELAXED);
		out->kick[i] = __atomic_load_n(&e->kick[i],
					       __ATOMIC_RELAXED);
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&e->seq, __ATOMIC_RELAXED) == seq;
}

/* The shadow bits of len bytes at off, or 0 if they are not all inside
 * the shadow's window (or len is 0). */
static uint16_t window_bits(unsigned int off, unsigned int len)
{
	if (!len || off > IOREQ_SHADOW_BYTES || len > IOREQ_SHADOW_BYTES - off)
		return 0;
	return ioreq_shadow_mask(off, len);
}

bool ioreq_shadow_read(struct vm *vm, uint32_t range_id, uint64_t base,
		       unsigned int off, unsigned int len, uint8_t *data,
		       uint32_t *ctl_seq)
{
	const struct ioreq_client *c = &vm->dm->ioreq;
	const struct ioreq_area_header *h =
		(const struct ioreq_area_header *)c->area;
	uint16_t need = window_bits(off, len);
	struct ioreq_shadow e;

	if (!need || atomic_load(&vm->dm->dead) ||
	    posted_blocks(c, range_id, base + off, len) ||
	    !shadow_copy(c, range_id, &e))
		return false;
	if (e.base != base || (e.valid & need) != need)
		return false;
	memcpy(data, e.bytes + off, len);
	*ctl_seq = __atomic_load_n(&h->posted_ctl_seq, __ATOMIC_ACQUIRE);
	return true;
}

enum ioreq_write_kind ioreq_classify_write(struct vm *vm, uint32_t range_id,
					   uint64_t base, unsigned int off,
					   unsigned int len,
					   const uint8_t *data)
{
	const struct ioreq_client *c = &vm->dm->ioreq;
	uint16_t bytes = window_bits(off, len);
	struct ioreq_shadow e;
	bool rings = false, quiet;

	if (!bytes)
		return IOREQ_WRITE_POSTED;
	quiet = c->nr_vcpus == 1 && !posted_blocks(c, 0, 0, 0);
	if (!shadow_copy(c, range_id, &e) || e.base != base)
		return IOREQ_WRITE_POSTED;
	for (unsigned int i = 0; i < len; i++) {
		unsigned int b = off + i;

		/* A byte whose value is not known: its kick bits may
		 * change. */
		if (e.kick[b] && (!(e.valid >> b & 1) ||
				  (e.kick[b] & (data[i] ^ e.bytes[b]))))
			rings = true;
	}
	if (rings)
		return thread_may_spin(ioreq_clock_ns()) ? IOREQ_WRITE_POSTED :
							  IOREQ_WRITE_SYNC;
	if (quiet && (e.latch & bytes) == bytes)
		return IOREQ_WRITE_LATCH;
	return IOREQ_WRITE_POSTED;
}
