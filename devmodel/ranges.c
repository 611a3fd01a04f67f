/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port-I/O and MMIO ranges claimed by devices (dm_claim), and the dispatch
 * of guest accesses to them.  Each claim gets a small integer id that the
 * hypervisor echoes in every ioreq for the range, so the usual lookup is
 * one array index; the id is only a hint, though: the request is checked
 * against the range it names (live, same space, access wholly inside) and
 * otherwise looked up by address, because a BAR may have moved between the
 * hypervisor routing the access and the device model handling it.
 * Accesses nothing claims read as all ones and writes are dropped, as on
 * a PC bus with no device answering.
 * A shadowed claim's read shadow (ioreq.h), its latch and kick bits
 * included, is written here, as a seqlock with this process as the only
 * writer (the device-model lock is held).
 */
#include "dm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvmkit/log.h"
#include "hvmkit/util.h"

#define RANGES_MAX 4096

/* The claim flags are the protocol's range flags. */
_Static_assert(DM_CLAIM_POSTED_WRITES == DM_RANGE_POSTED_WRITES &&
	       DM_CLAIM_COALESCED ==
	       (DM_RANGE_POSTED_WRITES | DM_RANGE_COALESCED) &&
	       DM_CLAIM_SHADOWED == DM_RANGE_SHADOWED,
	       "DM_CLAIM_* and DM_RANGE_* differ");

static const char *space_name(enum dm_space space)
{
	return space == DM_SPACE_PIO ? "port" : "MMIO";
}

static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* True if [addr, addr + size) lies wholly in r (no overflow: size is
 * at most 8 and r->len at least 1). */
static bool range_holds(const struct dm_range *r, enum dm_space space,
			uint64_t addr, unsigned int size)
{
	return r->space == space && addr >= r->base &&
	       addr - r->base < r->len && size <= r->len - (addr - r->base);
}

static struct dm_range *range_find(struct dm *dm, enum dm_space space,
				   uint64_t addr, unsigned int size)
{
	for (uint32_t i = 0; i < dm->ranges.cap; i++) {
		struct dm_range *r = dm->ranges.by_id[i];

		if (r && range_holds(r, space, addr, size))
			return r;
	}
	return NULL;
}

static bool ranges_overlap(struct dm *dm, enum dm_space space, uint64_t base,
			   uint64_t last, const char **owner)
{
	for (uint32_t i = 0; i < dm->ranges.cap; i++) {
		struct dm_range *r = dm->ranges.by_id[i];

		if (r && r->space == space && base <= r->base + (r->len - 1) &&
		    r->base <= last) {
			*owner = r->name;
			return true;
		}
	}
	return false;
}

/* The lowest free id, growing the table if needed; 0 if full. */
static uint32_t range_id_alloc(struct dm *dm)
{
	struct dm_ranges *t = &dm->ranges;
	struct dm_range **n;
	uint32_t cap, id;

	for (uint32_t i = 0; i < t->cap; i++)
		if (!t->by_id[i])
			return i + 1;
	if (t->cap >= RANGES_MAX)
		return 0;
	cap = t->cap ? t->cap * 2 : 32;
	n = realloc(t->by_id, cap * sizeof(*n));
	if (!n)
		return 0;
	memset(n + t->cap, 0, (cap - t->cap) * sizeof(*n));
	id = t->cap + 1;
	t->by_id = n;
	t->cap = cap;
	return id;
}

/* The shadow's seqlock around an update: odd while it is written. */
static uint32_t shadow_seq_begin(struct ioreq_shadow *e)
{
	uint32_t seq = e->seq;

	__atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return seq;
}

static void shadow_seq_end(struct ioreq_shadow *e, uint32_t seq)
{
	__atomic_store_n(&e->seq, seq + 2, __ATOMIC_RELEASE);
}

/* True if the shadow already shows value (all of its bytes valid). */
static bool shadow_shows(const struct ioreq_shadow *e, unsigned int off,
			 unsigned int size, uint64_t value)
{
	uint16_t bits = ioreq_shadow_mask(off, size);

	if ((e->valid & bits) != bits)
		return false;
	for (unsigned int i = 0; i < size; i++)
		if (e->bytes[off + i] != (uint8_t)(value >> (8 * i)))
			return false;
	return true;
}

/* Writes size bytes of value at off into the shadow, valid or not; no
 * write at all if it already says so. */
static void shadow_write(struct ioreq_shadow *e, unsigned int off,
			 unsigned int size, uint64_t value, bool valid)
{
	uint16_t bits = ioreq_shadow_mask(off, size);
	uint32_t seq;

	if (valid ? shadow_shows(e, off, size, value) : !(e->valid & bits))
		return;
	seq = shadow_seq_begin(e);
	for (unsigned int i = 0; valid && i < size; i++)
		__atomic_store_n(&e->bytes[off + i],
				 (uint8_t)(value >> (8 * i)), __ATOMIC_RELAXED);
	__atomic_store_n(&e->valid, valid ? e->valid | bits : e->valid & ~bits,
			 __ATOMIC_RELAXED);
	shadow_seq_end(e, seq);
}

static bool shadow_args_ok(const struct dm_range *r, unsigned int off,
			   unsigned int size)
{
	if (size >= 1 && size <= 8 && off <= IOREQ_SHADOW_BYTES - size &&
	    off + size <= r->len)
		return true;
	log_error("%s: bad read shadow %u bytes at %u", r->name, size, off);
	return false;
}

void dm_shadow_set(struct dm_range *r, unsigned int off, unsigned int size,
		   uint64_t value)
{
	struct dm_ranges *t;

	if (!r || !r->shadow || !shadow_args_ok(r, off, size))
		return;
	t = &r->dm->ranges;
	if (!t->batch_depth) {
		shadow_write(r->shadow, off, size, value, true);
		return;
	}
	if (shadow_shows(r->shadow, off, size, value))
		return;
	/* Withdrawn now, published at the batch's end; if there is no room
	 * to remember it, it stays withdrawn (reads go to the device). */
	shadow_write(r->shadow, off, size, 0, false);
	if (t->nr_pending < ARRAY_SIZE(t->pending))
		t->pending[t->nr_pending++] = (struct dm_shadow_update){
			.r = r, .off = (uint8_t)off, .size = (uint8_t)size,
			.value = value,
		};
}

void dm_shadow_batch_begin(struct dm *dm)
{
	dm->ranges.batch_depth++;
}

void dm_shadow_batch_end(struct dm *dm)
{
	struct dm_ranges *t = &dm->ranges;

	if (!t->batch_depth || --t->batch_depth)
		return;
	for (unsigned int i = 0; i < t->nr_pending; i++) {
		struct dm_shadow_update *u = &t->pending[i];

		shadow_write(u->r->shadow, u->off, u->size, u->value, true);
	}
	t->nr_pending = 0;
}

void dm_shadow_clear(struct dm_range *r, unsigned int off,
		     unsigned int size)
{
	if (r && r->shadow && shadow_args_ok(r, off, size))
		shadow_write(r->shadow, off, size, 0, false);
}

/* Sets the kick bits of byte off (off < 16) and the latch bits in mask to
 * latch, under the seqlock; nothing is written if nothing changes. */
static void shadow_meta_write(struct ioreq_shadow *e, int off, uint8_t kick,
			      uint16_t mask, bool latch)
{
	uint16_t bits = latch ? e->latch | mask : e->latch & ~mask;
	uint32_t seq;

	if (bits == e->latch && (off < 0 || e->kick[off] == kick))
		return;
	seq = shadow_seq_begin(e);
	if (off >= 0)
		__atomic_store_n(&e->kick[off], kick, __ATOMIC_RELAXED);
	__atomic_store_n(&e->latch, bits, __ATOMIC_RELAXED);
	shadow_seq_end(e, seq);
}

void dm_shadow_kick(struct dm_range *r, unsigned int off, uint8_t bits)
{
	if (r && r->shadow && shadow_args_ok(r, off, 1))
		shadow_meta_write(r->shadow, (int)off, bits, 0, false);
}

void dm_shadow_latch(struct dm_range *r, unsigned int off, unsigned int size,
		     bool latch)
{
	if (r && r->shadow && shadow_args_ok(r, off, size))
		shadow_meta_write(r->shadow, -1, 0,
				  ioreq_shadow_mask(off, size), latch);
}

/* Invalidates the whole shadow, latch and kick bits included, and ties
 * it to the claim at base. */
static void shadow_reset(struct ioreq_shadow *e, uint64_t base)
{
	uint32_t seq = shadow_seq_begin(e);

	__atomic_store_n(&e->valid, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->latch, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->base, base, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < IOREQ_SHADOW_BYTES; i++)
		__atomic_store_n(&e->kick[i], 0, __ATOMIC_RELAXED);
	shadow_seq_end(e, seq);
}

static void range_describe(char *buf, size_t len, enum dm_space space,
			   uint64_t base, uint64_t llen, const char *name)
{
	snprintf(buf, len, "%s %#llx-%#llx (%s)", space_name(space),
		 (unsigned long long)base,
		 (unsigned long long)(base + (llen - 1)), name);
}

/* ranges_claim with a coalesced zone (dm_claim_zone; zone_len 0: all). */
static struct dm_range *claim(struct dm *dm, enum dm_space space,
			      uint64_t base, uint64_t len,
			      const struct dm_io_ops *ops, void *opaque,
			      unsigned int flags, uint16_t zone_off,
			      uint16_t zone_len, const char *name,
			      char *why, size_t why_len)
{
	struct dm_msg_range msg;
	struct dm_range *r;
	const char *owner;
	char what[80];
	uint32_t id;

	if (space != DM_SPACE_PIO && space != DM_SPACE_MMIO) {
		snprintf(why, why_len, "no such address space");
		return NULL;
	}
	if (!len || base + (len - 1) < base ||
	    (space == DM_SPACE_PIO && (base >= DM_PIO_LIMIT ||
				       len > DM_PIO_LIMIT - base))) {
		snprintf(why, why_len, "empty or outside the address space");
		return NULL;
	}
	if (!ops || flags & ~(DM_CLAIM_COALESCED | DM_CLAIM_SHADOWED) ||
	    (zone_len && ((flags & DM_CLAIM_COALESCED) != DM_CLAIM_COALESCED ||
			  (uint64_t)zone_off + zone_len > len))) {
		snprintf(why, why_len, "bad ops, flags or zone");
		return NULL;
	}
	if (ranges_overlap(dm, space, base, base + (len - 1), &owner)) {
		snprintf(why, why_len, "overlaps %s", owner);
		return NULL;
	}
	id = range_id_alloc(dm);
	r = id ? calloc(1, sizeof(*r)) : NULL;
	if (!r) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	r->dm = dm;
	r->space = space;
	r->base = base;
	r->len = len;
	r->ops = ops;
	r->opaque = opaque;
	/* Coalesced implies posted (device.h). */
	r->flags = flags & DM_RANGE_COALESCED ?
		   flags | DM_RANGE_POSTED_WRITES : flags;
	r->id = id;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "?");
	/* A shadow is an optimisation: without a slot, reads go through. */
	if (r->flags & DM_CLAIM_SHADOWED) {
		r->shadow = len <= IOREQ_SHADOW_BYTES ?
			    ioreq_server_shadow(dm, id) : NULL;
		if (r->shadow)
			shadow_reset(r->shadow, base);
		else
			r->flags &= ~DM_CLAIM_SHADOWED;
	}

	memset(&msg, 0, sizeof(msg));
	msg.space = space;
	msg.flags = r->flags;
	msg.base = base;
	msg.len = len;
	msg.range_id = id;
	msg.zone_off = zone_off;
	msg.zone_len = zone_len;
	range_describe(what, sizeof(what), space, base, len, r->name);
	if (ctl_send_claim(dm, DM_MSG_CLAIM_RANGE, &msg, sizeof(msg),
			   what) < 0) {
		free(r);
		snprintf(why, why_len, "the hypervisor is not reachable");
		return NULL;
	}
	dm->ranges.by_id[id - 1] = r;
	return r;
}

struct dm_range *ranges_claim(struct dm *dm, enum dm_space space,
			      uint64_t base, uint64_t len,
			      const struct dm_io_ops *ops, void *opaque,
			      unsigned int flags, const char *name,
			      char *why, size_t why_len)
{
	return claim(dm, space, base, len, ops, opaque, flags, 0, 0, name,
		     why, why_len);
}

static struct dm_range *claim_or_log(struct dm *dm, enum dm_space space,
				     uint64_t base, uint64_t len,
				     const struct dm_io_ops *ops,
				     void *opaque, unsigned int flags,
				     uint16_t zone_off, uint16_t zone_len,
				     const char *name)
{
	struct dm_range *r;
	char what[80], why[64];

	r = claim(dm, space, base, len, ops, opaque, flags, zone_off,
		  zone_len, name, why, sizeof(why));
	if (r)
		return r;
	range_describe(what, sizeof(what), space, base, len ? len : 1,
		       name ? name : "?");
	/* While the guest runs, a failing claim is something the guest set
	 * up (a relocatable device it pointed at another one). */
	if (dm->ready)
		log_guest("cannot claim %s: %s", what, why);
	else
		log_error("cannot claim %s: %s", what, why);
	return NULL;
}

struct dm_range *dm_claim(struct dm *dm, enum dm_space space, uint64_t base,
			  uint64_t len, const struct dm_io_ops *ops,
			  void *opaque, unsigned int flags, const char *name)
{
	return claim_or_log(dm, space, base, len, ops, opaque, flags, 0, 0,
			    name);
}

struct dm_range *dm_claim_zone(struct dm *dm, enum dm_space space,
			       uint64_t base, uint64_t len, uint16_t zone_off,
			       uint16_t zone_len, const struct dm_io_ops *ops,
			       void *opaque, unsigned int flags,
			       const char *name)
{
	if (!zone_len || (flags & ~DM_CLAIM_SHADOWED)) {
		/* zone_len 0 would mean the whole range */
		log_error("%s: empty coalesced zone or bad flags",
			  name ? name : "?");
		return NULL;
	}
	return claim_or_log(dm, space, base, len, ops, opaque,
			    DM_CLAIM_COALESCED | flags, zone_off, zone_len,
			    name);
}

void dm_release(struct dm *dm, struct dm_range *r)
{
	struct dm_ranges *t = &dm->ranges;
	struct dm_msg_range msg;

	if (!r)
		return;
	/* Reads still under way go to the device model, which drops them
	 * after the release (ranges_access). */
	if (r->shadow)
		shadow_reset(r->shadow, ~0ull);
	/* An update held back for it must not outlive it. */
	for (unsigned int i = 0; i < t->nr_pending;) {
		if (t->pending[i].r == r)
			t->pending[i] = t->pending[--t->nr_pending];
		else
			i++;
	}
	memset(&msg, 0, sizeof(msg));
	msg.space = r->space;
	msg.base = r->base;
	msg.len = r->len;
	msg.range_id = r->id;
	/* Nothing to do if this fails: the hypervisor is gone. */
	ctl_send(dm, DM_MSG_RELEASE_RANGE, &msg, sizeof(msg), NULL, 0);
	dm->ranges.by_id[r->id - 1] = NULL;
	free(r);
}

uint64_t ranges_access(struct dm *dm, enum dm_space space, uint32_t range_id,
		       uint64_t addr, unsigned int size, bool is_write,
		       uint64_t value)
{
	struct dm_range *r = NULL;
	uint64_t mask = size_mask(size);

	if (range_id >= 1 && range_id <= dm->ranges.cap)
		r = dm->ranges.by_id[range_id - 1];
	if (!r || !range_holds(r, space, addr, size))
		r = range_find(dm, space, addr, size);
	if (!r) {
		log_guest_at(LOG_INFO, "unclaimed %u-byte %s %s at %#llx",
			     size, space_name(space),
			     is_write ? "write" : "read",
			     (unsigned long long)addr);
		return mask;
	}
	if (is_write) {
		if (r->ops->write)
			r->ops->write(r->opaque, addr - r->base, value & mask,
				      size);
		return 0;
	}
	return r->ops->read ? r->ops->read(r->opaque, addr - r->base,
					   size) & mask : mask;
}

void ranges_free_all(struct dm *dm)
{
	for (uint32_t i = 0; i < dm->ranges.cap; i++)
		free(dm->ranges.by_id[i]);
	free(dm->ranges.by_id);
	dm->ranges.by_id = NULL;
	dm->ranges.cap = 0;
}
