/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One registry per address space (port I/O, MMIO) of the handlers that
 * claimed a range.  Lookups happen on every exit; registration is rare.
 * Accesses to unclaimed addresses read as all ones and drop writes, as an
 * ISA/PCI bus does when no device decodes the cycle; both are counted.
 */
#ifndef HVMKIT_IOBUS_H
#define HVMKIT_IOBUS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * A handler gets the absolute address, the access width in bytes (1, 2, 4
 * or 8) and a little-endian data buffer to fill (read) or take (write).
 */
typedef void iobus_fn(void *opaque, unsigned int vcpu, uint64_t addr,
		      uint8_t *data, unsigned int len, bool is_write);

/* Optional: count items of size bytes each at once (REP INS/OUTS). */
typedef void iobus_rep_fn(void *opaque, unsigned int vcpu, uint64_t addr,
			  uint8_t *data, unsigned int size, unsigned int count,
			  bool is_write);

struct iobus_range {
	uint64_t base;
	uint64_t len;
	iobus_fn *fn;
	iobus_rep_fn *rep;
	void *opaque;
	const char *name;
};

struct iobus_stats {
	atomic_ullong accesses;
	atomic_ullong unclaimed_reads;
	atomic_ullong unclaimed_writes;
};

struct iobus {
	const char *name;
	pthread_rwlock_t lock;
	struct iobus_range *ranges; /* sorted by base, never overlapping */
	unsigned int nr, cap;
	struct iobus_stats stats;
};

void iobus_init(struct iobus *bus, const char *name);
void iobus_destroy(struct iobus *bus);

/*
 * Claims [base, base + len).  Returns 0, -EEXIST if the range overlaps a
 * claimed one, -EINVAL for an empty or wrapping range, -ENOMEM.
 * A handler must not (un)register ranges on the bus that called it.
 */
int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   iobus_fn *fn, void *opaque, const char *name);
/* The same with a handler for whole string-I/O batches. */
int iobus_register_rep(struct iobus *bus, uint64_t base, uint64_t len,
		       iobus_fn *fn, iobus_rep_fn *rep, void *opaque,
		       const char *name);
/* True if [base, base + len) overlaps a range whose handler is not fn. */
bool iobus_overlaps_other(struct iobus *bus, uint64_t base, uint64_t len,
			  iobus_fn *fn);
/* Releases the range that starts exactly at base; -ENOENT if none. */
int iobus_unregister(struct iobus *bus, uint64_t base);

/*
 * Dispatches one access of len bytes.  An access must lie wholly inside
 * one claimed range to reach its handler; anything else is unclaimed.
 * Returns true if a handler took it.
 */
bool iobus_access(struct iobus *bus, unsigned int vcpu, uint64_t addr,
		  uint8_t *data, unsigned int len, bool is_write);
/* count accesses of size bytes at the same address (REP INS/OUTS), data
 * holding the items in order: one call to the range's rep handler if it
 * has one, else one access per item. */
void iobus_access_rep(struct iobus *bus, unsigned int vcpu, uint64_t addr,
		      uint8_t *data, unsigned int size, unsigned int count,
		      bool is_write);

#endif
