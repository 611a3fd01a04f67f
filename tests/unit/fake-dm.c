/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake device model of fake-dm.h: every device.h function, backed by
 * plain data structures the test inspects and drives.  It checks what the
 * real device-model core checks (overlapping claims, GSI range, claims in
 * the port space, creation-only calls) and logs the same kind of error
 * line, so device error paths can be tested too.
 */
#define _GNU_SOURCE
#include "fake-dm.h"
#include "opts.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvmkit/ioreq.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"

#define FAKE_NR_GSI   24
#define FAKE_PIO_END  0x10000ull
#define PCI_CFG_SIZE  256
#define PCI_COMMAND   0x04
#define PCI_CMD_IO    0x0001
#define PCI_CMD_MEM   0x0002
#define PCI_CMD_WRITABLE 0x0407 /* IO, memory, bus master, INTx disable */
#define PCI_BAR0      0x10
#define PCI_INT_LINE  0x3c
#define PCI_DEV_REGS  0x40
#define FAKE_MAX_DRIVES 16

struct dm_range {
	struct dm *dm;
	enum dm_space space;
	uint64_t base, len;
	const struct dm_io_ops *ops;
	void *opaque;
	unsigned int flags;
	uint16_t zone_off, zone_len; /* dm_claim_zone */
	uint8_t shadow[16];          /* DM_CLAIM_SHADOWED */
	uint16_t shadow_valid;
	uint8_t kick[16];            /* dm_shadow_kick */
	uint16_t latch;              /* dm_shadow_latch */
	char name[32];
	struct dm_range *next;
};

struct fake_line {
	bool valid;
	enum dm_irq_trigger_mode mode;
	unsigned int asserted;    /* handles at level 1 (wired OR) */
	unsigned int edges;
};

struct dm_irq {
	struct dm *dm;
	unsigned int gsi;
	bool level;
	struct dm_irq *next;
};

struct dm_timer {
	struct dm *dm;
	dm_timer_fn *fn;
	void *opaque;
	bool armed;
	uint64_t expire;
	uint64_t seq;             /* arming order, for ties */
	struct dm_timer *next;
};

struct fake_watch {
	int fd;
	unsigned int events;
	dm_fd_fn *fn;
	void *opaque;
	uint64_t id;
	struct fake_watch *next;
};

struct fake_ioeventfd {
	enum dm_space space;
	uint64_t addr;
	int fd;
	struct fake_ioeventfd *next;
};

struct fake_bar {
	struct pci_function *f;
	unsigned int index;
	struct dm_range *range;
	uint64_t addr;
};

struct pci_function {
	struct dm *dm;
	unsigned int devfn;
	struct pci_bar_desc bars[6];
	const struct pci_ops *ops;
	void *opaque;
	uint8_t config[PCI_CFG_SIZE];
	int intx;
	struct fake_bar bar[6];
};

struct dm {
	uint8_t *ram;
	size_t ram_size;
	bool started;
	struct dm_range *ranges;
	struct fake_line lines[FAKE_NR_GSI];
	struct dm_irq *irqs;
	unsigned int msi_count;
	uint64_t msi_addr;
	uint32_t msi_data;
	uint64_t now;
	uint64_t timer_seq;
	struct dm_timer *timers;
	struct fake_watch *watches;
	uint64_t watch_id;
	struct fake_ioeventfd *ioeventfds;
	unsigned int resets, poweroffs;
	void (*power_button)(void *opaque);
	void *power_button_opaque;
	char *console;
	unsigned int console_reports;
	struct pci_function *pci[256];
	dm_intx_route_fn *intx_route;
	void *intx_route_opaque;
	unsigned int sleeps, last_sleep;
	struct dm_machine machine;
	struct dm_drive *drives[FAKE_MAX_DRIVES];
	unsigned int nr_drives;
	struct dm_deferred *deferred;
};

static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* ------------------------------------------------------------ the fake */

struct dm *fake_dm_new(size_t ram_size)
{
	struct dm *dm = calloc(1, sizeof(*dm));

	if (!dm)
		return NULL;
	dm->ram = calloc(1, ram_size ? ram_size : 1);
	if (!dm->ram) {
		free(dm);
		return NULL;
	}
	dm->ram_size = ram_size;
	dm->machine.nr_vcpus = 1;
	dm->machine.ram_below_4g = ram_size;
	return dm;
}

void fake_dm_set_machine(struct dm *dm, unsigned int nr_vcpus,
			 uint64_t ram_below_4g, uint64_t ram_above_4g)
{
	dm->machine.nr_vcpus = nr_vcpus;
	dm->machine.ram_below_4g = ram_below_4g;
	dm->machine.ram_above_4g = ram_above_4g;
}

void dm_machine_get(struct dm *dm, struct dm_machine *m)
{
	*m = dm->machine;
}

void fake_dm_start(struct dm *dm)
{
	dm->started = true;
}

static void pci_function_free(struct pci_function *f)
{
	for (int i = 0; i < 6; i++)
		if (f->bar[i].range)
			dm_release(f->dm, f->bar[i].range);
	free(f);
}

bool fake_dm_free(struct dm *dm)
{
	bool clean = true;

	if (!dm)
		return true;
	for (int i = 0; i < 256; i++)
		if (dm->pci[i])
			pci_function_free(dm->pci[i]);
	while (dm->ranges) {
		struct dm_range *r = dm->ranges;

		fprintf(stderr, "fake-dm: range %s at %#llx still claimed\n",
			r->name, (unsigned long long)r->base);
		clean = false;
		dm->ranges = r->next;
		free(r);
	}
	while (dm->timers) {
		struct dm_timer *t = dm->timers;

		fprintf(stderr, "fake-dm: a timer was not freed\n");
		clean = false;
		dm->timers = t->next;
		free(t);
	}
	while (dm->watches) {
		struct fake_watch *w = dm->watches;

		fprintf(stderr, "fake-dm: fd %d is still watched\n", w->fd);
		clean = false;
		dm->watches = w->next;
		free(w);
	}
	while (dm->irqs) {
		struct dm_irq *irq = dm->irqs;

		dm->irqs = irq->next;
		free(irq);
	}
	while (dm->ioeventfds) {
		struct fake_ioeventfd *e = dm->ioeventfds;

		dm->ioeventfds = e->next;
		free(e);
	}
	free(dm->console);
	free(dm->ram);
	free(dm);
	return clean;
}

/* -------------------------------------------------------------- ranges */

static struct dm_range *range_find(struct dm *dm, enum dm_space space,
				   uint64_t addr)
{
	for (struct dm_range *r = dm->ranges; r; r = r->next)
		if (r->space == space && addr >= r->base &&
		    addr - r->base < r->len)
			return r;
	return NULL;
}

static struct dm_range *claim(struct dm *dm, enum dm_space space,
			      uint64_t base, uint64_t len,
			      const struct dm_io_ops *ops, void *opaque,
			      unsigned int flags, uint16_t zone_off,
			      uint16_t zone_len, const char *name)
{
	struct dm_range *r;

	if (!len || base + len < base || !ops ||
	    (space != DM_SPACE_PIO && space != DM_SPACE_MMIO) ||
	    (space == DM_SPACE_PIO && base + len > FAKE_PIO_END) ||
	    (flags & ~(DM_CLAIM_COALESCED | DM_CLAIM_SHADOWED)) ||
	    (uint64_t)zone_off + zone_len > len) {
		log_error("%s: invalid claim of %#llx+%#llx", name,
			  (unsigned long long)base, (unsigned long long)len);
		return NULL;
	}
	for (r = dm->ranges; r; r = r->next) {
		if (r->space == space && base < r->base + r->len &&
		    r->base < base + len) {
			log_error("%s: %#llx+%#llx overlaps %s", name,
				  (unsigned long long)base,
				  (unsigned long long)len, r->name);
			return NULL;
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_error("out of memory");
		return NULL;
	}
	r->dm = dm;
	r->space = space;
	r->base = base;
	r->len = len;
	r->ops = ops;
	r->opaque = opaque;
	/* As the device model does: no shadow for a claim that long. */
	r->flags = len > 16 ? flags & ~DM_CLAIM_SHADOWED : flags;
	r->zone_off = zone_off;
	r->zone_len = zone_len;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "?");
	r->next = dm->ranges;
	dm->ranges = r;
	return r;
}

struct dm_range *dm_claim(struct dm *dm, enum dm_space space, uint64_t base,
			  uint64_t len, const struct dm_io_ops *ops,
			  void *opaque, unsigned int flags, const char *name)
{
	return claim(dm, space, base, len, ops, opaque, flags, 0, 0, name);
}

struct dm_range *dm_claim_zone(struct dm *dm, enum dm_space space,
			       uint64_t base, uint64_t len, uint16_t zone_off,
			       uint16_t zone_len, const struct dm_io_ops *ops,
			       void *opaque, unsigned int flags,
			       const char *name)
{
	if (!zone_len || (flags & ~DM_CLAIM_SHADOWED)) {
		log_error("%s: empty coalesced zone or bad flags", name);
		return NULL;
	}
	return claim(dm, space, base, len, ops, opaque,
		     DM_CLAIM_COALESCED | flags, zone_off, zone_len, name);
}

void dm_release(struct dm *dm, struct dm_range *r)
{
	for (struct dm_range **pp = &dm->ranges; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			free(r);
			return;
		}
	}
}

/* ------------------------------------------------------- read shadows */

static bool shadow_args_ok(const struct dm_range *r, unsigned int off,
			   unsigned int size)
{
	if (size >= 1 && size <= 8 && off + size <= 16 &&
	    off + size <= r->len)
		return true;
	fprintf(stderr, "fake-dm: %s: bad read shadow %u bytes at %u\n",
		r->name, size, off);
	abort();
}

void dm_shadow_set(struct dm_range *r, unsigned int off, unsigned int size,
		   uint64_t value)
{
	if (!r || !(r->flags & DM_CLAIM_SHADOWED) ||
	    !shadow_args_ok(r, off, size))
		return;
	for (unsigned int i = 0; i < size; i++)
		r->shadow[off + i] = (uint8_t)(value >> (8 * i));
	r->shadow_valid |= ioreq_shadow_mask(off, size);
}

void dm_shadow_clear(struct dm_range *r, unsigned int off,
		     unsigned int size)
{
	if (!r || !(r->flags & DM_CLAIM_SHADOWED) ||
	    !shadow_args_ok(r, off, size))
		return;
	r->shadow_valid &= (uint16_t)~ioreq_shadow_mask(off, size);
}

void dm_shadow_kick(struct dm_range *r, unsigned int off, uint8_t bits)
{
	if (r && (r->flags & DM_CLAIM_SHADOWED) && shadow_args_ok(r, off, 1))
		r->kick[off] = bits;
}

void dm_shadow_latch(struct dm_range *r, unsigned int off, unsigned int size,
		     bool latch)
{
	uint16_t bits;

	if (!r || !(r->flags & DM_CLAIM_SHADOWED) ||
	    !shadow_args_ok(r, off, size))
		return;
	bits = ioreq_shadow_mask(off, size);
	r->latch = latch ? r->latch | bits : r->latch & ~bits;
}

bool fake_shadow_latch(struct dm *dm, enum dm_space space, uint64_t addr)
{
	struct dm_range *r = range_find(dm, space, addr);

	return r && (r->flags & DM_CLAIM_SHADOWED) && addr - r->base < 16 &&
	       (r->latch >> (addr - r->base) & 1);
}

uint8_t fake_shadow_kick(struct dm *dm, enum dm_space space, uint64_t addr)
{
	struct dm_range *r = range_find(dm, space, addr);

	if (!r || !(r->flags & DM_CLAIM_SHADOWED) || addr - r->base >= 16)
		return 0;
	return r->kick[addr - r->base];
}

/* ------------------------------------------------------- deferred work */

void dm_defer(struct dm *dm, struct dm_deferred *d)
{
	struct dm_deferred **p = &dm->deferred;

	if (d->queued)
		return;
	while (*p)
		p = &(*p)->next;
	d->next = NULL;
	d->queued = true;
	*p = d;
}

void dm_defer_cancel(struct dm *dm, struct dm_deferred *d)
{
	for (struct dm_deferred **p = &dm->deferred; *p; p = &(*p)->next)
		if (*p == d) {
			*p = d->next;
			d->queued = false;
			return;
		}
}

unsigned int fake_run_deferred(struct dm *dm)
{
	struct dm_deferred *d;
	unsigned int n = 0;

	while ((d = dm->deferred)) {
		dm->deferred = d->next;
		d->queued = false;
		d->fn(d->opaque);
		n++;
	}
	return n;
}

/* One thread and no guest here: nothing can look between the updates. */
void dm_shadow_batch_begin(struct dm *dm)
{
	(void)dm;
}

void dm_shadow_batch_end(struct dm *dm)
{
	(void)dm;
}

bool fake_shadow(struct dm *dm, enum dm_space space, uint64_t addr,
		 uint8_t *value)
{
	struct dm_range *r = range_find(dm, space, addr);
	unsigned int off;

	if (!r || !(r->flags & DM_CLAIM_SHADOWED) || addr - r->base >= 16)
		return false;
	off = (unsigned int)(addr - r->base);
	if (!(r->shadow_valid >> off & 1))
		return false;
	*value = r->shadow[off];
	return true;
}

/* Every range's shadow, latch and kick bits, in the ranges' order. */
struct shadow_snap {
	uint8_t bytes[16];
	uint16_t valid;
	uint8_t kick[16];
	uint16_t latch;
};

static struct shadow_snap *snap_take(struct dm *dm, unsigned int *n)
{
	struct shadow_snap *s;
	struct dm_range *r;
	unsigned int i = 0;

	*n = 0;
	for (r = dm->ranges; r; r = r->next)
		(*n)++;
	s = calloc(*n ? *n : 1, sizeof(*s));
	if (!s)
		abort();
	for (r = dm->ranges; r; r = r->next, i++) {
		memcpy(s[i].bytes, r->shadow, 16);
		s[i].valid = r->shadow_valid;
		memcpy(s[i].kick, r->kick, 16);
		s[i].latch = r->latch;
	}
	return s;
}

/*
 * Aborts unless every byte valid in want (n ranges) is what the device
 * returns for a one-byte read there; latch_write names the write want was
 * taken before, or is NULL.  The reads may make a device publish again
 * (any of its ranges): the shadows are put back as they were, so that a
 * device missing an update is not mended by the check.
 */
static void snap_verify(struct dm *dm, const struct shadow_snap *want,
			unsigned int n, const char *latch_write)
{
	unsigned int i, now_n;
	struct shadow_snap *now = snap_take(dm, &now_n);
	struct dm_range *r;

	for (r = dm->ranges, i = 0; r && i < n; r = r->next, i++)
		for (unsigned int b = 0; b < 16; b++) {
			uint8_t v;

			if (!(want[i].valid >> b & 1))
				continue;
			v = (uint8_t)r->ops->read(r->opaque, b, 1);
			if (v == want[i].bytes[b])
				continue;
			if (latch_write)
				fprintf(stderr, "fake-dm: a latch write to %s "
					"changed byte %u of %s from %#x to "
					"%#x\n", latch_write, b, r->name,
					want[i].bytes[b], v);
			else
				fprintf(stderr, "fake-dm: %s: read shadow of "
					"byte %u is %#x, a read returns %#x\n",
					r->name, b, want[i].bytes[b], v);
			abort();
		}
	for (r = dm->ranges, i = 0; r && i < now_n; r = r->next, i++) {
		memcpy(r->shadow, now[i].bytes, 16);
		r->shadow_valid = now[i].valid;
	}
	free(now);
}

/*
 * The invariant the hypervisor relies on: every valid shadow byte is what
 * the device returns for a one-byte read there, a read without side
 * effects.  Checked after everything that can change a device's state (an
 * access, a timer, an fd callback) and whenever a line rises, so every
 * unit test and the fuzzers check it; a mismatch is a device bug and
 * aborts.
 */
static void check_shadows(struct dm *dm)
{
	unsigned int n;
	struct shadow_snap *s = snap_take(dm, &n);

	snap_verify(dm, s, n, NULL);
	free(s);
}

static uint64_t fake_read(struct dm *dm, enum dm_space space, uint64_t addr,
			  unsigned int size)
{
	struct dm_range *r = range_find(dm, space, addr);
	uint64_t v;

	if (!r || !r->ops->read)
		return size_mask(size);
	v = r->ops->read(r->opaque, addr - r->base, size) & size_mask(size);
	fake_run_deferred(dm);
	check_shadows(dm);
	return v;
}

/* Whether the hypervisor would post this write as a latch (ioreq.h): its
 * bytes are all latches and it changes no kick bits of a valid byte. */
static bool write_is_latch(const struct dm_range *r, unsigned int off,
			   uint64_t value, unsigned int size)
{
	if (!(r->flags & DM_CLAIM_SHADOWED) || off + size > 16)
		return false;
	for (unsigned int i = 0; i < size; i++) {
		unsigned int b = off + i;
		uint8_t v = (uint8_t)(value >> (8 * i));

		if (!(r->latch >> b & 1) ||
		    (r->kick[b] && (!(r->shadow_valid >> b & 1) ||
				    (r->kick[b] & (v ^ r->shadow[b])))))
			return false;
	}
	return true;
}

/* What a latch may not change: every valid shadow byte but the written
 * ones, every latch and kick bit, and every line. */
struct latch_view {
	struct shadow_snap *snap;
	unsigned int n;
	struct fake_line lines[FAKE_NR_GSI];
	unsigned int msi_count;
};

static void latch_view_take(struct dm *dm, const struct dm_range *written,
			    uint16_t written_bytes, struct latch_view *v)
{
	unsigned int i = 0;

	v->snap = snap_take(dm, &v->n);
	for (struct dm_range *r = dm->ranges; r; r = r->next, i++)
		if (r == written)
			v->snap[i].valid &= (uint16_t)~written_bytes;
	memcpy(v->lines, dm->lines, sizeof(v->lines));
	v->msi_count = dm->msi_count;
}

/*
 * The latch invariant (dm_shadow_latch): after a write the device declared
 * a latch, every byte the shadows showed before, but the written ones,
 * still reads the same, no latch or kick bit changed, and no line or MSI
 * moved.  The hypervisor answers such reads from the old shadow while the
 * write is on its way.
 */
static void latch_view_check(struct dm *dm, const char *name,
			     struct latch_view *v)
{
	struct dm_range *r;
	unsigned int i;

	for (r = dm->ranges, i = 0; r && i < v->n; r = r->next, i++) {
		if (r->latch == v->snap[i].latch &&
		    !memcmp(r->kick, v->snap[i].kick, 16))
			continue;
		fprintf(stderr, "fake-dm: a latch write to %s changed the "
			"latch or kick bits of %s\n", name, r->name);
		abort();
	}
	snap_verify(dm, v->snap, v->n, name);
	if (memcmp(v->lines, dm->lines, sizeof(v->lines)) ||
	    v->msi_count != dm->msi_count) {
		fprintf(stderr, "fake-dm: a latch write to %s moved an "
			"interrupt\n", name);
		abort();
	}
	free(v->snap);
}

static void fake_write(struct dm *dm, enum dm_space space, uint64_t addr,
		       uint64_t value, unsigned int size)
{
	struct dm_range *r = range_find(dm, space, addr);
	unsigned int off;
	struct latch_view view;
	bool latch;

	if (!r || !r->ops->write)
		return;
	off = (unsigned int)(addr - r->base);
	value &= size_mask(size);
	latch = write_is_latch(r, off, value, size);
	if (latch)
		latch_view_take(dm, r, ioreq_shadow_mask(off, size),
				&view);
	r->ops->write(r->opaque, off, value, size);
	fake_run_deferred(dm);
	if (latch)
		latch_view_check(dm, r->name, &view);
	check_shadows(dm);
}

uint64_t fake_pio_read(struct dm *dm, uint64_t addr, unsigned int size)
{
	return fake_read(dm, DM_SPACE_PIO, addr, size);
}

void fake_pio_write(struct dm *dm, uint64_t addr, uint64_t value,
		    unsigned int size)
{
	fake_write(dm, DM_SPACE_PIO, addr, value, size);
}

uint64_t fake_mmio_read(struct dm *dm, uint64_t addr, unsigned int size)
{
	return fake_read(dm, DM_SPACE_MMIO, addr, size);
}

void fake_mmio_write(struct dm *dm, uint64_t addr, uint64_t value,
		     unsigned int size)
{
	fake_write(dm, DM_SPACE_MMIO, addr, value, size);
}

bool fake_claimed(struct dm *dm, enum dm_space space, uint64_t addr,
		  unsigned int *flags, const char **name)
{
	struct dm_range *r = range_find(dm, space, addr);

	if (!r)
		return false;
	if (flags)
		*flags = r->flags;
	if (name)
		*name = r->name;
	return true;
}

bool fake_coalesced(struct dm *dm, enum dm_space space, uint64_t addr)
{
	struct dm_range *r = range_find(dm, space, addr);

	if (!r || (r->flags & DM_CLAIM_COALESCED) != DM_CLAIM_COALESCED)
		return false;
	return !r->zone_len || (addr - r->base >= r->zone_off &&
				addr - r->base < r->zone_off + r->zone_len);
}

unsigned int fake_claim_count(struct dm *dm)
{
	unsigned int n = 0;

	for (struct dm_range *r = dm->ranges; r; r = r->next)
		n++;
	return n;
}

/* ---------------------------------------------------------- interrupts */

struct dm_irq *dm_irq_get(struct dm *dm, unsigned int gsi,
			  enum dm_irq_trigger_mode mode)
{
	struct dm_irq *irq;

	if (dm->started) {
		log_error("GSI %u requested after device creation", gsi);
		return NULL;
	}
	if (gsi >= FAKE_NR_GSI ||
	    (mode != DM_IRQ_MODE_EDGE && mode != DM_IRQ_MODE_LEVEL)) {
		log_error("invalid interrupt line: GSI %u", gsi);
		return NULL;
	}
	if (dm->lines[gsi].valid && dm->lines[gsi].mode != mode) {
		log_error("GSI %u requested as both edge and level", gsi);
		return NULL;
	}
	irq = calloc(1, sizeof(*irq));
	if (!irq) {
		log_error("out of memory");
		return NULL;
	}
	irq->dm = dm;
	irq->gsi = gsi;
	irq->next = dm->irqs;
	dm->irqs = irq;
	dm->lines[gsi].valid = true;
	dm->lines[gsi].mode = mode;
	return irq;
}

void dm_irq_set(struct dm_irq *irq, int level)
{
	struct fake_line *l = &irq->dm->lines[irq->gsi];
	bool on = level != 0;

	if (on == irq->level)
		return;
	/* The guest may take the interrupt and read the registers through
	 * their shadows at once: those must be current already. */
	if (on)
		check_shadows(irq->dm);
	irq->level = on;
	if (on) {
		if (!l->asserted++)
			l->edges++;
	} else {
		l->asserted--;
	}
}

void dm_msi_send(struct dm *dm, uint64_t addr, uint32_t data)
{
	dm->msi_count++;
	dm->msi_addr = addr;
	dm->msi_data = data;
}

int fake_irq_level(struct dm *dm, unsigned int gsi)
{
	if (gsi >= FAKE_NR_GSI || !dm->lines[gsi].valid)
		return -1;
	return dm->lines[gsi].asserted ? 1 : 0;
}

unsigned int fake_irq_edges(struct dm *dm, unsigned int gsi)
{
	return gsi < FAKE_NR_GSI ? dm->lines[gsi].edges : 0;
}

int fake_irq_mode(struct dm *dm, unsigned int gsi)
{
	if (gsi >= FAKE_NR_GSI || !dm->lines[gsi].valid)
		return -1;
	return (int)dm->lines[gsi].mode;
}

unsigned int fake_msi_count(struct dm *dm)
{
	return dm->msi_count;
}

bool fake_msi_last(struct dm *dm, uint64_t *addr, uint32_t *data)
{
	if (!dm->msi_count)
		return false;
	*addr = dm->msi_addr;
	*data = dm->msi_data;
	return true;
}

/* -------------------------------------------------------- guest memory */

static bool gmem_inside(struct dm *dm, uint64_t gpa, size_t len)
{
	return gpa <= dm->ram_size && len <= dm->ram_size - gpa;
}

int dm_gmem_read(struct dm *dm, uint64_t gpa, void *buf, size_t len)
{
	if (!gmem_inside(dm, gpa, len))
		return -1;
	memcpy(buf, dm->ram + gpa, len);
	return 0;
}

int dm_gmem_write(struct dm *dm, uint64_t gpa, const void *buf, size_t len)
{
	if (!gmem_inside(dm, gpa, len))
		return -1;
	memcpy(dm->ram + gpa, buf, len);
	return 0;
}

void *dm_gmem_map(struct dm *dm, uint64_t gpa, size_t len)
{
	if (!gmem_inside(dm, gpa, len) || gpa == dm->ram_size)
		return NULL;
	return dm->ram + gpa;
}

uint8_t *fake_ram(struct dm *dm)
{
	return dm->ram;
}

size_t fake_ram_size(struct dm *dm)
{
	return dm->ram_size;
}

/* -------------------------------------------------------------- timers */

uint64_t dm_clock_ns(struct dm *dm)
{
	return dm->now;
}

struct dm_timer *dm_timer_new(struct dm *dm, dm_timer_fn *fn, void *opaque)
{
	struct dm_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->dm = dm;
	t->fn = fn;
	t->opaque = opaque;
	t->next = dm->timers;
	dm->timers = t;
	return t;
}

void dm_timer_mod(struct dm_timer *t, uint64_t expire_ns)
{
	t->armed = true;
	t->expire = expire_ns;
	t->seq = ++t->dm->timer_seq;
}

void dm_timer_del(struct dm_timer *t)
{
	t->armed = false;
}

void dm_timer_free(struct dm_timer *t)
{
	struct dm *dm;

	if (!t)
		return;
	dm = t->dm;
	for (struct dm_timer **pp = &dm->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	free(t);
}

static struct dm_timer *timer_earliest(struct dm *dm)
{
	struct dm_timer *best = NULL;

	for (struct dm_timer *t = dm->timers; t; t = t->next)
		if (t->armed && (!best || t->expire < best->expire ||
				 (t->expire == best->expire &&
				  t->seq < best->seq)))
			best = t;
	return best;
}

void fake_clock_advance(struct dm *dm, uint64_t ns)
{
	uint64_t target = dm->now + ns;
	struct dm_timer *t;

	while ((t = timer_earliest(dm)) && t->expire <= target) {
		if (t->expire > dm->now)
			dm->now = t->expire;
		t->armed = false;
		t->fn(t->opaque);
		fake_run_deferred(dm);
		check_shadows(dm);
	}
	dm->now = target;
}

bool fake_timer_next(struct dm *dm, uint64_t *expire_ns)
{
	struct dm_timer *t = timer_earliest(dm);

	if (!t)
		return false;
	*expire_ns = t->expire;
	return true;
}

unsigned int fake_timers_armed(struct dm *dm)
{
	unsigned int n = 0;

	for (struct dm_timer *t = dm->timers; t; t = t->next)
		n += t->armed;
	return n;
}

/* ----------------------------------------------------------------- fds */

static struct fake_watch *watch_find(struct dm *dm, int fd)
{
	for (struct fake_watch *w = dm->watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int dm_fd_watch(struct dm *dm, int fd, unsigned int events, dm_fd_fn *fn,
		void *opaque)
{
	struct fake_watch *w;

	if (fd < 0 || !fn || (events & ~(DM_FD_READ | DM_FD_WRITE))) {
		log_error("internal error: dm_fd_watch(%d, %#x)", fd, events);
		return -1;
	}
	w = watch_find(dm, fd);
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w) {
			log_error("out of memory");
			return -1;
		}
		w->fd = fd;
		w->id = ++dm->watch_id;
		w->next = dm->watches;
		dm->watches = w;
	}
	w->events = events;
	w->fn = fn;
	w->opaque = opaque;
	return 0;
}

void dm_fd_unwatch(struct dm *dm, int fd)
{
	for (struct fake_watch **pp = &dm->watches; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			struct fake_watch *w = *pp;

			*pp = w->next;
			free(w);
			return;
		}
	}
}

unsigned int fake_fd_events(struct dm *dm, int fd)
{
	struct fake_watch *w = watch_find(dm, fd);

	return w ? w->events : 0;
}

unsigned int fake_fd_watch_count(struct dm *dm)
{
	unsigned int n = 0;

	for (struct fake_watch *w = dm->watches; w; w = w->next)
		n++;
	return n;
}

unsigned int fake_fd_list(struct dm *dm, int *fds, unsigned int max)
{
	unsigned int n = 0;

	for (struct fake_watch *w = dm->watches; w; w = w->next, n++)
		if (n < max)
			fds[n] = w->fd;
	return n;
}

bool fake_fd_ready(struct dm *dm, int fd, unsigned int events)
{
	struct fake_watch *w = watch_find(dm, fd);

	if (!w)
		return false;
	events &= w->events | DM_FD_HUP;
	if (!events)
		return false;
	w->fn(w->opaque, fd, events);
	fake_run_deferred(dm);
	check_shadows(dm);
	return true;
}

int fake_fd_poll(struct dm *dm, int timeout_ms)
{
	unsigned int n = fake_fd_watch_count(dm), i = 0;
	struct pollfd *pfd;
	uint64_t *ids;
	int ready, ran = (int)fake_run_deferred(dm);

	if (ran) {
		check_shadows(dm);
		return ran;
	}
	if (!n) {
		if (timeout_ms != 0)
			fprintf(stderr, "fake-dm: poll with nothing watched\n");
		return 0;
	}
	pfd = calloc(n, sizeof(*pfd));
	ids = calloc(n, sizeof(*ids));
	if (!pfd || !ids) {
		free(pfd);
		free(ids);
		return -1;
	}
	for (struct fake_watch *w = dm->watches; w; w = w->next, i++) {
		pfd[i].fd = w->fd;
		if (w->events & DM_FD_READ)
			pfd[i].events |= POLLIN;
		if (w->events & DM_FD_WRITE)
			pfd[i].events |= POLLOUT;
		ids[i] = w->id;
	}
	do {
		ready = poll(pfd, n, timeout_ms);
	} while (ready < 0 && errno == EINTR);
	for (i = 0; ready > 0 && i < n; i++) {
		struct fake_watch *w = watch_find(dm, pfd[i].fd);
		unsigned int ev = 0;

		if (!pfd[i].revents)
			continue;
		if (pfd[i].revents & POLLNVAL) {
			fprintf(stderr, "fake-dm: watched fd %d is closed\n",
				pfd[i].fd);
			continue;
		}
		/* Skip watches removed or replaced by an earlier callback. */
		if (!w || w->id != ids[i])
			continue;
		if (pfd[i].revents & POLLIN)
			ev |= DM_FD_READ;
		if (pfd[i].revents & POLLOUT)
			ev |= DM_FD_WRITE;
		if (pfd[i].revents & (POLLHUP | POLLERR))
			ev |= DM_FD_HUP;
		ev &= w->events | DM_FD_HUP;
		if (!ev)
			continue;
		w->fn(w->opaque, w->fd, ev);
		fake_run_deferred(dm);
		check_shadows(dm);
		ran++;
	}
	free(pfd);
	free(ids);
	return ready < 0 ? -1 : ran;
}

int fake_fd_poll_idle(struct dm *dm, unsigned int max_rounds)
{
	int total = 0, ran;

	while (max_rounds-- && (ran = fake_fd_poll(dm, 0)) > 0)
		total += ran;
	return total;
}

int dm_ioeventfd(struct dm *dm, enum dm_space space, uint64_t addr,
		 unsigned int len, bool has_match, uint64_t datamatch)
{
	struct fake_ioeventfd *e;

	(void)has_match;
	(void)datamatch;
	if (dm->started || !len || len > 8) {
		log_error("ioeventfd at %#llx refused",
			  (unsigned long long)addr);
		return -1;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->fd < 0) {
		free(e);
		return -1;
	}
	e->space = space;
	e->addr = addr;
	e->next = dm->ioeventfds;
	dm->ioeventfds = e;
	return e->fd;
}

int fake_ioeventfd(struct dm *dm, enum dm_space space, uint64_t addr)
{
	for (struct fake_ioeventfd *e = dm->ioeventfds; e; e = e->next)
		if (e->space == space && e->addr == addr)
			return e->fd;
	return -1;
}

/* -------------------------------------------------------- error lines */

unsigned int fake_nr_errors;
char fake_last_error[512];

static bool capture_error(const char *msg)
{
	fake_nr_errors++;
	snprintf(fake_last_error, sizeof(fake_last_error), "%s", msg);
	return true;
}

void fake_errors_capture(void)
{
	fake_nr_errors = 0;
	fake_last_error[0] = '\0';
	log_set_error_hook(capture_error);
}

void fake_errors_release(void)
{
	log_set_error_hook(NULL);
}

/* ------------------------------------------------------------ platform */

void dm_request_guest_reset(struct dm *dm)
{
	dm->resets++;
}

void dm_request_guest_poweroff(struct dm *dm)
{
	dm->poweroffs++;
}

void dm_request_guest_sleep(struct dm *dm, unsigned int state)
{
	dm->sleeps++;
	dm->last_sleep = state;
}

unsigned int fake_sleep_requests(struct dm *dm, unsigned int *last_state)
{
	if (last_state)
		*last_state = dm->last_sleep;
	return dm->sleeps;
}

void dm_set_power_button(struct dm *dm, void (*press)(void *opaque),
			 void *opaque)
{
	dm->power_button = press;
	dm->power_button_opaque = opaque;
}

void dm_report_console(struct dm *dm, const char *where)
{
	free(dm->console);
	dm->console = strdup(where);
	dm->console_reports++;
}

unsigned int fake_reset_requests(struct dm *dm)
{
	return dm->resets;
}

unsigned int fake_poweroff_requests(struct dm *dm)
{
	return dm->poweroffs;
}

bool fake_power_button(struct dm *dm)
{
	if (!dm->power_button)
		return false;
	dm->power_button(dm->power_button_opaque);
	return true;
}

const char *fake_console(struct dm *dm)
{
	return dm->console;
}

unsigned int fake_console_reports(struct dm *dm)
{
	return dm->console_reports;
}

/* -------------------------------------------------------------- drives */

bool fake_drive_add(struct dm *dm, struct dm_drive *drive)
{
	if (dm->nr_drives == FAKE_MAX_DRIVES ||
	    dm_drive_find(dm, drive->vdev))
		return false;
	dm->drives[dm->nr_drives++] = drive;
	return true;
}

struct dm_drive *dm_drive_find(struct dm *dm, const char *vdev)
{
	for (unsigned int i = 0; i < dm->nr_drives; i++)
		if (!strcmp(dm->drives[i]->vdev, vdev))
			return dm->drives[i];
	return NULL;
}

int fake_drive_change_media(struct dm *dm, const char *vdev, struct blk *blk,
			    char *why, size_t why_len)
{
	struct dm_drive *d = dm_drive_find(dm, vdev);

	if (!d) {
		snprintf(why, why_len, "no drive %s", vdev);
		return -1;
	}
	if (!d->cdrom) {
		snprintf(why, why_len, "%s: not a CD drive", vdev);
		return -1;
	}
	if (!d->change_media) {
		snprintf(why, why_len, "%s: the drive does not support media "
			 "changes", vdev);
		return -1;
	}
	if (d->change_media(d->change_opaque, blk, why, why_len) < 0)
		return -1;
	d->blk = blk;
	return 0;
}

/* ----------------------------------------------------------------- PCI */

static void cfg_put(uint8_t *cfg, unsigned int off, uint64_t v,
		    unsigned int size)
{
	for (unsigned int i = 0; i < size; i++)
		cfg[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t cfg_get(const uint8_t *cfg, unsigned int off,
			unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)cfg[off + i] << (8 * i);
	return v;
}

static uint64_t bar_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct fake_bar *b = opaque;
	struct pci_function *f = b->f;

	if (!f->ops->bar_read)
		return ~0ull;
	return f->ops->bar_read(f->opaque, b->index, offset, size);
}

static void bar_write(void *opaque, uint64_t offset, uint64_t value,
		      unsigned int size)
{
	struct fake_bar *b = opaque;
	struct pci_function *f = b->f;

	if (f->ops->bar_write)
		f->ops->bar_write(f->opaque, b->index, offset, value, size);
}

static const struct dm_io_ops bar_ops = {
	.read = bar_read,
	.write = bar_write,
};

/* The BAR's type bits (the low bits that are not address). */
static uint32_t bar_type_bits(const struct pci_bar_desc *d)
{
	if (d->space == DM_SPACE_PIO)
		return 1;
	return (d->is_64bit ? 4u : 0u) | (d->prefetchable ? 8u : 0u);
}

/* Claims or releases each BAR as COMMAND and the BAR registers say. */
static void pci_map_bars(struct pci_function *f)
{
	uint16_t cmd = (uint16_t)cfg_get(f->config, PCI_COMMAND, 2);

	for (unsigned int i = 0; i < 6; i++) {
		const struct pci_bar_desc *d = &f->bars[i];
		struct fake_bar *b = &f->bar[i];
		uint64_t addr;
		bool on;

		if (!d->size)
			continue;
		addr = cfg_get(f->config, PCI_BAR0 + 4 * i, 4) &
		       ~(uint64_t)(d->space == DM_SPACE_PIO ? 3 : 15);
		if (d->is_64bit && i < 5)
			addr |= cfg_get(f->config, PCI_BAR0 + 4 * (i + 1), 4)
				<< 32;
		on = (d->space == DM_SPACE_PIO ? cmd & PCI_CMD_IO :
		      cmd & PCI_CMD_MEM) && addr;
		if (b->range && (!on || b->addr != addr)) {
			dm_release(f->dm, b->range);
			b->range = NULL;
		}
		if (on && !b->range) {
			char name[32];

			snprintf(name, sizeof(name), "pci %02x.%x bar%u",
				 f->devfn >> 3, f->devfn & 7, i);
			b->range = dm_claim(f->dm, d->space, addr, d->size,
					    &bar_ops, b, d->flags, name);
			b->addr = addr;
		}
	}
}

struct dm_range *pci_bar_range(struct pci_function *f, unsigned int bar)
{
	return f && bar < 6 ? f->bar[bar].range : NULL;
}

static void pci_header_reset(struct pci_function *f)
{
	cfg_put(f->config, PCI_COMMAND, 0, 2);
	for (unsigned int i = 0; i < 6; i++) {
		bool upper = i > 0 && f->bars[i - 1].is_64bit &&
			     f->bars[i - 1].size;

		cfg_put(f->config, PCI_BAR0 + 4 * i,
			f->bars[i].size && !upper ?
			bar_type_bits(&f->bars[i]) : 0, 4);
	}
	f->config[PCI_INT_LINE] = 0;
	pci_map_bars(f);
}

struct pci_function *dm_pci_register(struct dm *dm, unsigned int devfn,
				     const struct pci_ids *ids,
				     const struct pci_bar_desc bars[6],
				     const struct pci_ops *ops, void *opaque)
{
	struct pci_function *f;

	if (devfn > 255 || dm->pci[devfn] || !ids || !ops) {
		log_error("PCI function %#x: taken or invalid", devfn);
		return NULL;
	}
	for (unsigned int i = 0; bars && i < 6; i++) {
		const struct pci_bar_desc *d = &bars[i];

		if (!d->size)
			continue;
		if ((d->size & (d->size - 1)) ||
		    d->size < (d->space == DM_SPACE_PIO ? 4u : 16u) ||
		    (d->is_64bit && (i == 5 || d->space != DM_SPACE_MMIO ||
				     bars[i + 1].size))) {
			log_error("PCI function %#x: invalid BAR %u", devfn,
				  i);
			return NULL;
		}
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		log_error("out of memory");
		return NULL;
	}
	f->dm = dm;
	f->devfn = devfn;
	f->ops = ops;
	f->opaque = opaque;
	if (bars)
		memcpy(f->bars, bars, sizeof(f->bars));
	for (unsigned int i = 0; i < 6; i++) {
		f->bar[i].f = f;
		f->bar[i].index = i;
	}
	cfg_put(f->config, 0x00, ids->vendor, 2);
	cfg_put(f->config, 0x02, ids->device, 2);
	f->config[0x08] = ids->revision;
	cfg_put(f->config, 0x09, ids->class_code, 3);
	f->config[0x0e] = ids->header_type;
	cfg_put(f->config, 0x2c, ids->subsystem_vendor, 2);
	cfg_put(f->config, 0x2e, ids->subsystem, 2);
	f->config[0x3d] = ids->interrupt_pin;
	pci_header_reset(f);
	dm->pci[devfn] = f;
	return f;
}

uint8_t *pci_config_bytes(struct pci_function *f)
{
	return f->config;
}

void pci_set_irq(struct pci_function *f, int level)
{
	struct dm *dm = f->dm;

	f->intx = level != 0;
	if (dm->intx_route && f->config[0x3d])
		dm->intx_route(dm->intx_route_opaque, f->devfn,
			       f->config[0x3d], f->intx);
}

void dm_pci_set_intx_router(struct dm *dm, dm_intx_route_fn *fn,
			    void *opaque)
{
	dm->intx_route = fn;
	dm->intx_route_opaque = opaque;
}

static bool cfg_access_ok(unsigned int offset, unsigned int size)
{
	return (size == 1 || size == 2 || size == 4) &&
	       offset < PCI_CFG_SIZE && !(offset & (size - 1));
}

uint32_t fake_pci_config_read(struct dm *dm, unsigned int devfn,
			      unsigned int offset, unsigned int size)
{
	struct pci_function *f = devfn < 256 ? dm->pci[devfn] : NULL;

	if (!f || !cfg_access_ok(offset, size))
		return (uint32_t)size_mask(size);
	if (offset >= PCI_DEV_REGS && f->ops->config_read)
		return f->ops->config_read(f->opaque, offset, size) &
		       (uint32_t)size_mask(size);
	return (uint32_t)cfg_get(f->config, offset, size);
}

/* A write to a BAR register: address bits as the BAR's size allows, type
 * bits fixed (PCI 3.0 section 6.2.5.1). */
static void bar_reg_write(struct pci_function *f, unsigned int i,
			  uint32_t v)
{
	const struct pci_bar_desc *d = &f->bars[i];
	bool upper = i > 0 && f->bars[i - 1].is_64bit && f->bars[i - 1].size;

	if (upper) {
		uint64_t size = f->bars[i - 1].size;

		cfg_put(f->config, PCI_BAR0 + 4 * i,
			v & (uint32_t)(~(size - 1) >> 32), 4);
	} else if (d->size) {
		cfg_put(f->config, PCI_BAR0 + 4 * i,
			(v & ~(uint32_t)(d->size - 1) &
			 ~(uint32_t)(d->space == DM_SPACE_PIO ? 3 : 15)) |
			bar_type_bits(d), 4);
	}
}

void fake_pci_config_write(struct dm *dm, unsigned int devfn,
			   unsigned int offset, unsigned int size,
			   uint32_t value)
{
	struct pci_function *f = devfn < 256 ? dm->pci[devfn] : NULL;

	if (!f || !cfg_access_ok(offset, size))
		return;
	if (offset >= PCI_DEV_REGS) {
		if (f->ops->config_write)
			f->ops->config_write(f->opaque, offset, size, value);
		else
			cfg_put(f->config, offset, value, size);
		return;
	}
	for (unsigned int i = 0; i < size; i++) {
		unsigned int off = offset + i;
		uint8_t b = (uint8_t)(value >> (8 * i));

		if (off == PCI_COMMAND || off == PCI_COMMAND + 1) {
			uint8_t mask = (uint8_t)(PCI_CMD_WRITABLE >>
						 (8 * (off - PCI_COMMAND)));

			f->config[off] = (uint8_t)((f->config[off] & ~mask) |
						   (b & mask));
		} else if (off == 0x0c || off == 0x0d ||
			   off == PCI_INT_LINE) {
			f->config[off] = b;
		} else if (off >= PCI_BAR0 && off < PCI_BAR0 + 24) {
			unsigned int bar = (off - PCI_BAR0) / 4;
			uint32_t cur = (uint32_t)cfg_get(f->config,
							 PCI_BAR0 + 4 * bar,
							 4);
			unsigned int shift = 8 * ((off - PCI_BAR0) % 4);

			cur = (cur & ~(0xffu << shift)) | (uint32_t)b << shift;
			/* Whole dword writes are the norm; apply the mask
			 * once the last byte of the access is in. */
			cfg_put(f->config, PCI_BAR0 + 4 * bar, cur, 4);
			if (i == size - 1 || (off + 1) % 4 == 0)
				bar_reg_write(f, bar, cur);
		}
	}
	pci_map_bars(f);
}

struct pci_function *fake_pci_function(struct dm *dm, unsigned int devfn)
{
	return devfn < 256 ? dm->pci[devfn] : NULL;
}

int fake_pci_intx(struct dm *dm, unsigned int devfn)
{
	struct pci_function *f = fake_pci_function(dm, devfn);

	return f ? f->intx : -1;
}

void fake_pci_reset(struct dm *dm)
{
	for (unsigned int i = 0; i < 256; i++) {
		struct pci_function *f = dm->pci[i];

		if (!f)
			continue;
		pci_header_reset(f);
		f->intx = 0;
		if (f->ops->reset)
			f->ops->reset(f->opaque);
	}
}

/* ------------------------------------------------------------- options */

/* The device model's own option parser (devmodel/opts.c), so devices are
 * tested against the real option semantics. */
void fake_opts_free(struct dm_opts *opts)
{
	if (!opts)
		return;
	free((char *)opts->arg); /* fake_opts_new's text */
	dm_opts_free(opts);
}

struct dm_opts *fake_opts_new(const char *text)
{
	char *arg;
	struct dm_opts *o;

	if (asprintf(&arg, "fake%s%s", *text ? "," : "", text) < 0)
		return NULL;
	o = dm_opts_parse(arg);
	if (!o)
		free(arg);
	return o;
}
