/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest RAM as the device model sees it: the hypervisor's RAM memfd mapped
 * shared, and the guest-physical blocks SETUP lists in it.  Devices reach
 * it only through dm_gmem_*(), which check the whole range against the
 * blocks with overflow-safe arithmetic (a guest can hand a device any
 * 64-bit address and length).
 */
#define _GNU_SOURCE
#include "dm.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvmkit/log.h"

#define PAGE_MASK 4095ull

int gmem_setup(struct dm *dm, const struct dm_msg_setup *s, int ram_fd)
{
	uint64_t fd_size = s->ram_fd_size;
	struct stat st;
	void *map;

	if (fstat(ram_fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != fd_size || !fd_size ||
	    fd_size & PAGE_MASK || fd_size > SIZE_MAX) {
		log_error("hypervisor protocol error: SETUP: the RAM memfd is "
			  "not a file of ram_fd_size (%llu) bytes",
			  (unsigned long long)fd_size);
		return -1;
	}
	for (unsigned int i = 0; i < s->nr_ram_blocks; i++) {
		const struct dm_ram_block *b = &s->ram[i];

		if (!b->size || (b->gpa | b->size | b->offset) & PAGE_MASK ||
		    b->offset > fd_size || b->size > fd_size - b->offset ||
		    b->gpa + (b->size - 1) < b->gpa) {
			log_error("hypervisor protocol error: SETUP: RAM "
				  "block %u (%#llx+%#llx at offset %#llx) is "
				  "not page-aligned inside the memfd", i,
				  (unsigned long long)b->gpa,
				  (unsigned long long)b->size,
				  (unsigned long long)b->offset);
			return -1;
		}
		for (unsigned int j = 0; j < i; j++) {
			const struct dm_ram_block *o = &s->ram[j];

			if (b->gpa <= o->gpa + (o->size - 1) &&
			    o->gpa <= b->gpa + (b->size - 1)) {
				log_error("hypervisor protocol error: SETUP: "
					  "RAM blocks %u and %u overlap", j, i);
				return -1;
			}
		}
	}
	map = mmap(NULL, (size_t)fd_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_NORESERVE, ram_fd, 0);
	if (map == MAP_FAILED) {
		log_error("cannot map guest RAM (%llu bytes): %s",
			  (unsigned long long)fd_size, strerror(errno));
		return -1;
	}
	/* Guest memory has no place in a core dump of the device model;
	 * huge pages where the host allows them (see the hypervisor's
	 * guest-memory.c), so DMA touches fewer page table entries. */
	madvise(map, (size_t)fd_size, MADV_DONTDUMP);
	madvise(map, (size_t)fd_size, MADV_HUGEPAGE);
	dm->ram_map = map;
	dm->ram_map_size = (size_t)fd_size;
	for (unsigned int i = 0; i < s->nr_ram_blocks; i++) {
		dm->ram[i].gpa = s->ram[i].gpa;
		dm->ram[i].size = s->ram[i].size;
		dm->ram[i].host = (uint8_t *)map + s->ram[i].offset;
	}
	dm->nr_ram = s->nr_ram_blocks;
	dm->nr_vcpus = s->nr_vcpus;
	return 0;
}

void dm_machine_get(struct dm *dm, struct dm_machine *m)
{
	memset(m, 0, sizeof(*m));
	m->nr_vcpus = dm->nr_vcpus;
	for (unsigned int i = 0; i < dm->nr_ram; i++) {
		const struct dm_ram *b = &dm->ram[i];

		if (b->gpa >= 1ull << 32)
			m->ram_above_4g += b->size;
		else if (b->gpa + b->size > m->ram_below_4g)
			m->ram_below_4g = b->gpa + b->size;
	}
}

/* The block holding gpa, and how many bytes of it follow gpa. */
static const struct dm_ram *ram_block(struct dm *dm, uint64_t gpa,
				      uint64_t *avail)
{
	for (unsigned int i = 0; i < dm->nr_ram; i++) {
		const struct dm_ram *b = &dm->ram[i];

		if (gpa >= b->gpa && gpa - b->gpa < b->size) {
			*avail = b->size - (gpa - b->gpa);
			return b;
		}
	}
	return NULL;
}

void *dm_gmem_map(struct dm *dm, uint64_t gpa, size_t len)
{
	uint64_t avail;
	const struct dm_ram *b = ram_block(dm, gpa, &avail);

	if (!b || len > avail)
		return NULL;
	return b->host + (gpa - b->gpa);
}

/* True if [gpa, gpa + len) is all RAM (it may span adjacent blocks). */
static bool gmem_is_ram(struct dm *dm, uint64_t gpa, size_t len)
{
	while (len) {
		uint64_t avail;

		if (!ram_block(dm, gpa, &avail))
			return false;
		if (avail >= len)
			return true;
		len -= (size_t)avail;
		gpa += avail;
		if (!gpa)
			return false; /* wrapped */
	}
	return true;
}

static int gmem_copy(struct dm *dm, uint64_t gpa, void *buf, size_t len,
		     bool to_guest)
{
	uint8_t *p = buf;

	if (!gmem_is_ram(dm, gpa, len))
		return -1;
	while (len) {
		uint64_t avail;
		const struct dm_ram *b = ram_block(dm, gpa, &avail);
		size_t n = avail < len ? (size_t)avail : len;
		uint8_t *host = b->host + (gpa - b->gpa);

		if (to_guest)
			memcpy(host, p, n);
		else
			memcpy(p, host, n);
		p += n;
		len -= n;
		gpa += n;
	}
	return 0;
}

int dm_gmem_read(struct dm *dm, uint64_t gpa, void *buf, size_t len)
{
	return gmem_copy(dm, gpa, buf, len, false);
}

int dm_gmem_write(struct dm *dm, uint64_t gpa, const void *buf, size_t len)
{
	return gmem_copy(dm, gpa, (void *)buf, len, true);
}
