/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Port-I/O and MMIO handler registry: a sorted array searched with binary
 * search under a read lock.  Registrations are few (tens of ranges), so a
 * sorted array beats a tree on both lookup cost and simplicity.
 */
#include "iobus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void iobus_init(struct iobus *bus, const char *name)
{
	pthread_rwlockattr_t attr;

	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	/* Writers (rare range changes) must not starve behind a stream of
	 * vCPU lookups. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&bus->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

void iobus_destroy(struct iobus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first range whose end lies above addr (bus->nr if none). */
static unsigned int iobus_lower_bound(const struct iobus *bus, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct iobus_range *r = &bus->ranges[mid];

		if (r->base + r->len - 1 < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   iobus_fn *fn, void *opaque, const char *name)
{
	return iobus_register_rep(bus, base, len, fn, NULL, opaque, name);
}

int iobus_register_rep(struct iobus *bus, uint64_t base, uint64_t len,
		       iobus_fn *fn, iobus_rep_fn *rep, void *opaque,
		       const char *name)
{
	unsigned int i;
	int ret = 0;

	if (!len || !fn || base + len - 1 < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = iobus_lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base <= base + len - 1) {
		ret = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		unsigned int cap = bus->cap ? bus->cap * 2 : 16;
		struct iobus_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i],
		(bus->nr - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct iobus_range){
		.base = base, .len = len, .fn = fn, .rep = rep,
		.opaque = opaque, .name = name,
	};
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool iobus_overlaps_other(struct iobus *bus, uint64_t base, uint64_t len,
			  iobus_fn *fn)
{
	bool found = false;

	if (!len || base + len - 1 < base)
		return false;
	pthread_rwlock_rdlock(&bus->lock);
	for (unsigned int i = iobus_lower_bound(bus, base);
	     i < bus->nr && bus->ranges[i].base <= base + len - 1; i++) {
		if (bus->ranges[i].fn != fn) {
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return found;
}

int iobus_unregister(struct iobus *bus, uint64_t base)
{
	unsigned int i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = iobus_lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base == base) {
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nr - i - 1) * sizeof(bus->ranges[0]));
		bus->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

/* The range that wholly contains [addr, addr + len), or NULL (lock held). */
static const struct iobus_range *iobus_find(const struct iobus *bus,
					    uint64_t addr, unsigned int len)
{
	unsigned int i = iobus_lower_bound(bus, addr);

	if (i < bus->nr && bus->ranges[i].base <= addr &&
	    addr + len - 1 <= bus->ranges[i].base + bus->ranges[i].len - 1 &&
	    addr + len - 1 >= addr)
		return &bus->ranges[i];
	return NULL;
}

static void iobus_count_unclaimed(struct iobus *bus, uint8_t *data,
				  unsigned int len, bool is_write)
{
	if (is_write) {
		atomic_fetch_add_explicit(&bus->stats.unclaimed_writes, 1,
					  memory_order_relaxed);
	} else {
		memset(data, 0xff, len);
		atomic_fetch_add_explicit(&bus->stats.unclaimed_reads, 1,
					  memory_order_relaxed);
	}
}

bool iobus_access(struct iobus *bus, unsigned int vcpu, uint64_t addr,
		  uint8_t *data, unsigned int len, bool is_write)
{
	const struct iobus_range *r;

	atomic_fetch_add_explicit(&bus->stats.accesses, 1,
				  memory_order_relaxed);
	pthread_rwlock_rdlock(&bus->lock);
	r = iobus_find(bus, addr, len);
	if (r)
		r->fn(r->opaque, vcpu, addr, data, len, is_write);
	pthread_rwlock_unlock(&bus->lock);
	if (r)
		return true;
	iobus_count_unclaimed(bus, data, len, is_write);
	return false;
}

void iobus_access_rep(struct iobus *bus, unsigned int vcpu, uint64_t addr,
		      uint8_t *data, unsigned int size, unsigned int count,
		      bool is_write)
{
	const struct iobus_range *r;

	if (count == 1) {
		iobus_access(bus, vcpu, addr, data, size, is_write);
		return;
	}
	pthread_rwlock_rdlock(&bus->lock);
	r = iobus_find(bus, addr, size);
	if (r && r->rep) {
		atomic_fetch_add_explicit(&bus->stats.accesses, count,
					  memory_order_relaxed);
		r->rep(r->opaque, vcpu, addr, data, size, count, is_write);
		pthread_rwlock_unlock(&bus->lock);
		return;
	}
	pthread_rwlock_unlock(&bus->lock);
	for (unsigned int i = 0; i < count; i++)
		iobus_access(bus, vcpu, addr, data + (size_t)i * size, size,
			     is_write);
}
