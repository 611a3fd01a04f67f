/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device API: everything a device model in devmodel/ or hw/ may use.
 * Devices never see KVM, the ioreq transport or the control channel; they
 * claim address ranges with a const ops table, raise and lower interrupt
 * lines, touch guest memory through checked helpers, and put timers and
 * file descriptors on the device model's event loop.  Unit tests link the
 * same device files against a fake implementation of this API
 * (tests/unit/fake-dm.c) with a guest-RAM buffer.
 *
 * Threading: every device callback (range ops, timers, fd callbacks, PCI
 * config and BAR ops, reset) runs with the device-model lock held, so a
 * device needs no locking of its own.  Functions here may be called from
 * any device callback.
 */
#ifndef HVMKIT_DEVICE_H
#define HVMKIT_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dm;

/* ------------------------------------------------------------ I/O ranges */

/*
 * Handlers get the offset into the claimed range and the access size
 * (1, 2, 4, or 8 for MMIO).  Values are little-endian, in the low bytes.
 */
struct dm_io_ops {
	uint64_t (*read)(void *opaque, uint64_t offset, unsigned int size);
	void (*write)(void *opaque, uint64_t offset, uint64_t value,
		      unsigned int size);
};

enum dm_space {
	DM_SPACE_PIO = 0,  /* == IOREQ_TYPE_PIO */
	DM_SPACE_MMIO = 1, /* == IOREQ_TYPE_MMIO */
};

/* Flags for dm_claim(): the guest's writes to the range do not wait for
 * the device (Xen's buffered ioreqs), and may also be batched by KVM
 * until the next exit (coalesced MMIO/PIO).  Reads stay synchronous and
 * see every earlier write of the same vCPU. */
#define DM_CLAIM_POSTED_WRITES 1u
#define DM_CLAIM_COALESCED     3u /* implies posted */
/* Reads may be answered from the range's read shadow (dm_shadow_set).
 * Claims of at most 16 bytes; on a longer one, or with no shadow slot
 * left, the flag is dropped and every read reaches the device. */
#define DM_CLAIM_SHADOWED      4u

struct dm_range;

/* Claims [base, base + len) in space.  Returns NULL (and logs) if the range
 * overlaps another claim or is invalid. */
struct dm_range *dm_claim(struct dm *dm, enum dm_space space, uint64_t base,
			  uint64_t len, const struct dm_io_ops *ops,
			  void *opaque, unsigned int flags, const char *name);
/* dm_claim with posted writes (flags: 0 or DM_CLAIM_SHADOWED), of which KVM
 * batches (coalesces) only those
 * to [base + zone_off, base + zone_off + zone_len).  For registers whose
 * writes do nothing until a later access does (an ATA task file before
 * its command register): a write the guest then waits on without another
 * exit (a command, a doorbell) must not be in the zone, or it would wait
 * until some unrelated exit. */
struct dm_range *dm_claim_zone(struct dm *dm, enum dm_space space,
			       uint64_t base, uint64_t len, uint16_t zone_off,
			       uint16_t zone_len, const struct dm_io_ops *ops,
			       void *opaque, unsigned int flags,
			       const char *name);
/* Releases a claim; no handler call for it starts after this returns. */
void dm_release(struct dm *dm, struct dm_range *r);

/*
 * Read shadows (DM_CLAIM_SHADOWED): the device publishes what a read of
 * size bytes at offset off returns, for a register whose read has no side
 * effect, and the hypervisor then answers the guest's reads of exactly
 * those bytes itself, without waking the device model, whenever every
 * earlier write of the guest has been handled.  So the value must always
 * be current: set it again in every callback that changes it (before
 * raising an interrupt that makes the guest read it), and clear it while
 * a read would have a side effect (a status register whose read
 * acknowledges an interrupt) or would need the device.  A new claim starts
 * with nothing valid.  Both are no-ops for a NULL range or one without a
 * shadow; off + size must lie within the claim's first 16 bytes.
 */
void dm_shadow_set(struct dm_range *r, unsigned int off, unsigned int size,
		   uint64_t value);
void dm_shadow_clear(struct dm_range *r, unsigned int off,
		     unsigned int size);
/* Makes the dm_shadow_set calls up to the matching end appear to the guest
 * together: a changed value is withdrawn at once (reads of it wait for the
 * device model) and published at the end.  For registers that must agree
 * (a status and the bus master status it goes with). */
void dm_shadow_batch_begin(struct dm *dm);
void dm_shadow_batch_end(struct dm *dm);
/* Latches: declares that a write to [off, off + size) of the claim that
 * changes no kick bits (below) changes nothing but what reads of the bytes
 * it writes return: no interrupt, no other register, no other range, no
 * latch or kick bit (an address or a task file register).  The hypervisor
 * then goes on answering reads of the claim's other bytes from the shadow
 * while such a write is on its way.  Change it only while handling a guest access: it
 * must describe the state the guest's writes left.
 * Kick bits of byte off: a write changing them does more than a latch.
 * Mark a doorbell so (a write that starts work ending in an interrupt, a
 * DMA start): when the guest's vCPU shares its CPU with the device model,
 * a posted claim's write changing them is then handled at once instead of
 * when the vCPU next blocks, and the interrupt reaches the guest before its
 * next instruction.  Both are no-ops without a shadow. */
void dm_shadow_latch(struct dm_range *r, unsigned int off, unsigned int size,
		     bool latch);
void dm_shadow_kick(struct dm_range *r, unsigned int off, uint8_t bits);

/* ------------------------------------------------------------ interrupts */

enum dm_irq_trigger_mode {
	DM_IRQ_MODE_EDGE = 0,  /* ISA-style: the guest sees the rising edge */
	DM_IRQ_MODE_LEVEL = 1, /* PCI INTx/SCI: re-delivered after EOI while
				* still asserted */
};

struct dm_irq;

/* An interrupt line to GSI gsi (0-23).  Only during device creation (before
 * the guest runs); NULL and a log line on failure. */
struct dm_irq *dm_irq_get(struct dm *dm, unsigned int gsi,
			  enum dm_irq_trigger_mode mode);
/* Sets the line's level (0 or 1).  A level line that the device lowers
 * stays pending in the interrupt controller until the guest's EOI, as with
 * KVM's resample irqfds (see docs/architecture.md). */
void dm_irq_set(struct dm_irq *irq, int level);
/* Sends an MSI (PCI MSI address/data pair). */
void dm_msi_send(struct dm *dm, uint64_t addr, uint32_t data);

/* ---------------------------------------------------------- guest memory */

/* Copy to/from guest-physical memory; -1 unless [gpa, gpa + len) is wholly
 * guest RAM (the read-only firmware is not guest RAM here). */
int dm_gmem_read(struct dm *dm, uint64_t gpa, void *buf, size_t len);
int dm_gmem_write(struct dm *dm, uint64_t gpa, const void *buf, size_t len);
/* Host pointer to [gpa, gpa + len) if wholly inside one RAM block, else
 * NULL.  The guest can change the memory at any time: copy descriptors
 * out once before checking them. */
void *dm_gmem_map(struct dm *dm, uint64_t gpa, size_t len);

/* ---------------------------------------------------------- event loop */

/* Monotonic time in nanoseconds; device-model time stops while the guest
 * is paused. */
uint64_t dm_clock_ns(struct dm *dm);

struct dm_timer;
typedef void dm_timer_fn(void *opaque);
struct dm_timer *dm_timer_new(struct dm *dm, dm_timer_fn *fn, void *opaque);
/* Arms the timer to fire once at dm_clock_ns() time expire_ns. */
void dm_timer_mod(struct dm_timer *t, uint64_t expire_ns);
void dm_timer_del(struct dm_timer *t);
void dm_timer_free(struct dm_timer *t);

#define DM_FD_READ  1u
#define DM_FD_WRITE 2u
/* events is DM_FD_* (plus DM_FD_HUP reported on hangup/error). */
#define DM_FD_HUP   4u
typedef void dm_fd_fn(void *opaque, int fd, unsigned int events);
/* Watches fd for events (DM_FD_READ/WRITE); 0 or -1.  One watch per fd;
 * calling again changes the events. */
int dm_fd_watch(struct dm *dm, int fd, unsigned int events, dm_fd_fn *fn,
		void *opaque);
void dm_fd_unwatch(struct dm *dm, int fd);

/* Deferred work: fn runs once in the thread handling the device model now,
 * after the handler running (an access, a timer, an fd callback, other
 * deferred work) has returned and before the guest hears the access's
 * answer.  For results known while a call must not yet report them (a
 * block request that completed inside its submission).  The caller owns d
 * and fills fn and opaque; deferring a queued d again does nothing. */
struct dm_deferred {
	void (*fn)(void *opaque);
	void *opaque;
	struct dm_deferred *next;
	bool queued;
};
void dm_defer(struct dm *dm, struct dm_deferred *d);
/* Takes d off the queue (before freeing what it points to). */
void dm_defer_cancel(struct dm *dm, struct dm_deferred *d);

/* An eventfd KVM signals when the guest writes len bytes to addr (matching
 * datamatch if has_match): a doorbell with no exit to user space.  Only
 * during device creation; -1 on failure.  Watch it with dm_fd_watch(). */
int dm_ioeventfd(struct dm *dm, enum dm_space space, uint64_t addr,
		 unsigned int len, bool has_match, uint64_t datamatch);

/* ------------------------------------------------------------ lifecycle */

/* Platform events a device can raise (reset control, ACPI S5). */
void dm_request_guest_reset(struct dm *dm);
void dm_request_guest_poweroff(struct dm *dm);
/* An ACPI sleep request (SLP_TYP of S1-S4) the platform does not carry
 * out: reported to the hypervisor, which logs it; the guest runs on. */
void dm_request_guest_sleep(struct dm *dm, unsigned int state);
/* A power button for `hvmkit shutdown` (ACPI PM1 PWRBTN); the last one
 * registered wins.  Without one, a shutdown request is refused. */
void dm_set_power_button(struct dm *dm, void (*press)(void *opaque),
			 void *opaque);
/* Where the guest's console can be reached ("pty /dev/pts/3", "socket
 * /path"), reported to `hvmkit list` and `hvmkit console`. */
void dm_report_console(struct dm *dm, const char *where);

/* --------------------------------------------------------- PCI (bus 0) */

struct pci_function;

struct pci_bar_desc {
	uint64_t size;       /* power of two >= 4 (PIO) / 16 (MMIO); 0: none */
	enum dm_space space;
	bool prefetchable;
	bool is_64bit;       /* MMIO only; takes this BAR and the next */
	unsigned int flags;  /* DM_CLAIM_* for the range while mapped */
};

/*
 * A PCI function's own behaviour.  The PCI core owns the standard header
 * (IDs, command/status, BARs, interrupt line/pin) and calls config_read /
 * config_write only for offsets 0x40 and above, and bar_read / bar_write
 * for accesses to a mapped BAR (offset inside the BAR).  Without a
 * config_read the core reads those offsets from the function's config
 * bytes (pci_config_bytes()), for functions whose registers read back as
 * stored.
 */
struct pci_ops {
	const char *name;
	void (*reset)(void *opaque);
	uint32_t (*config_read)(void *opaque, unsigned int offset,
				unsigned int size);
	void (*config_write)(void *opaque, unsigned int offset,
			     unsigned int size, uint32_t value);
	uint64_t (*bar_read)(void *opaque, unsigned int bar, uint64_t offset,
			     unsigned int size);
	void (*bar_write)(void *opaque, unsigned int bar, uint64_t offset,
			  uint64_t value, unsigned int size);
};

struct pci_ids {
	uint16_t vendor, device;
	uint16_t subsystem_vendor, subsystem;
	uint8_t revision;
	uint32_t class_code; /* class << 16 | subclass << 8 | prog-if */
	uint8_t header_type; /* 0x00, or 0x80 for multi-function */
	uint8_t interrupt_pin; /* 0 none, 1-4 INTA#-INTD# */
};

/* Adds function devfn (slot << 3 | fn) to bus 0.  NULL if taken. */
struct pci_function *dm_pci_register(struct dm *dm, unsigned int devfn,
				     const struct pci_ids *ids,
				     const struct pci_bar_desc bars[6],
				     const struct pci_ops *ops, void *opaque);
/* Raw access to the function's config bytes (device-specific registers the
 * core reads for the device, e.g. a capability list). */
uint8_t *pci_config_bytes(struct pci_function *f);
/* The claim of a mapped BAR (for dm_shadow_set), or NULL while it is not
 * mapped; a BAR that moves gets a new claim. */
struct dm_range *pci_bar_range(struct pci_function *f, unsigned int bar);
/* Sets INTx# level; routed by the platform's INTx router. */
void pci_set_irq(struct pci_function *f, int level);

/* The platform's INTx router (the PIIX3's PIRQ registers): called with the
 * function's devfn, its pin (1-4) and the new level whenever a function's
 * INTx# changes.  Set before any function with a pin is registered;
 * without one, INTx# goes to IOAPIC pins 16-19 (swizzled by slot). */
typedef void dm_intx_route_fn(void *opaque, unsigned int devfn,
			      unsigned int pin, int level);
void dm_pci_set_intx_router(struct dm *dm, dm_intx_route_fn *fn,
			    void *opaque);

/* ------------------------------------------------------------- drives */

/*
 * The drives the command line attached (--drive, one xl.cfg disk spec
 * each; see include/hvmkit/disk-spec.h).  The device model opens their
 * images before devices are created; the controller that serves a vdev
 * (the PIIX3 IDE for hda-hdd) looks its drives up and claims them, and a
 * drive nobody claims is an error.  A CD drive may have no medium.
 */
struct blk;

struct dm_drive {
	char vdev[16];            /* "hda" */
	bool cdrom;
	bool read_only;           /* access=ro (always for a CD) */
	const char *target;       /* image path, for messages; "" if none */
	struct blk *blk;          /* the medium, or NULL (empty CD drive) */
	bool claimed;
	/* Set by the claiming device: the host changes the medium (hvmkit
	 * cd-insert / cd-eject).  blk is the new medium (NULL: eject); the
	 * handler returns 0 and takes blk over, or -1 with a reason in why
	 * (the old medium stays).  Without a handler, media changes are
	 * refused. */
	int (*change_media)(void *opaque, struct blk *blk, char *why,
			    size_t why_len);
	void *change_opaque;
};

/* The drive attached as vdev, or NULL. */
struct dm_drive *dm_drive_find(struct dm *dm, const char *vdev);

/* ----------------------------------------------------------- machine */

/* What the hypervisor built: vCPUs and where RAM is. */
struct dm_machine {
	unsigned int nr_vcpus;
	uint64_t ram_below_4g;  /* low RAM ends here (the PCI hole starts) */
	uint64_t ram_above_4g;  /* bytes of RAM from 4 GiB up */
};
void dm_machine_get(struct dm *dm, struct dm_machine *m);

/* ------------------------------------------------------------- devices */

/*
 * A device type.  Devices are created from the device model's command line
 * (--device NAME[,key=value...]) by dm_device_create(); create() parses
 * its options with dm_opt_*() and returns its state, or NULL after logging
 * one error line.  reset() returns the device to its power-on state; save
 * and load are for later snapshot support and may be NULL.
 */
struct dm_opts;

struct device_ops {
	const char *name;
	const char *help;    /* one line: options it takes */
	void *(*create)(struct dm *dm, const struct dm_opts *opts);
	void (*reset)(void *state);
	void (*destroy)(void *state);
};

/* Option lookups on "key=value,key=value" device options. */
const char *dm_opt_get(const struct dm_opts *opts, const char *key);
/* *value = parsed number (decimal or 0x hex); def if absent; -1 and a log
 * line if malformed. */
int dm_opt_u64(const struct dm_opts *opts, const char *key, uint64_t def,
	       uint64_t *value);

#endif
