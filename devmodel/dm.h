/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the device-model process (not for devices, which see only
 * device.h): the context every part shares, and the functions the parts
 * call in each other.  One section per source file.
 *
 * Locking: dm->lock is the big device-model lock (like QEMU's BQL).  The
 * main thread holds it whenever it is not waiting in epoll_wait(); an ioreq
 * thread takes it for each request or batch of posted writes.  Everything
 * in struct dm except the control channel's send side (its own mutex) and
 * the ioreq areas (shared with the hypervisor, see ioreq.h) is protected by
 * it, and every device callback runs with it held.
 */
#ifndef HVMKIT_DM_H
#define HVMKIT_DM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "device.h"
#include "opts.h"
#include "hvmkit/dm-proto.h"
#include "hvmkit/ioreq.h"

#define DM_PROG "hvmkit-devmodel"
#define DM_MAX_VCPUS 255       /* as the hypervisor: xAPIC IDs */
#define DM_PIO_LIMIT 0x10000ull

/* ------------------------------------------------------------- ctl.c */

/* Descriptions of recent CLAIM messages, for the line a NACK produces. */
#define CTL_RECENT 32

struct ctl_sent {
	uint32_t seq;
	char what[80];
};

/* One received, validated message and the descriptors that came with it
 * (owned by the receiver). */
struct ctl_msg {
	union {
		struct dm_msg_hdr hdr;
		struct dm_msg_setup setup;
		struct dm_msg_fds fds_msg;
		struct dm_msg_status status;
		struct dm_msg_media media;
		uint8_t raw[DM_MSG_MAX];
	};
	int fds[DM_MAX_FDS];
	unsigned int nr_fds;
};

/* Test seam: without a control socket (fd < 0) sent messages go here. */
typedef void ctl_record_fn(void *opaque, const struct dm_msg_hdr *msg);

struct dm_ctl {
	int fd;                   /* the socket, or -1 (unit tests) */
	pthread_mutex_t send_lock;
	uint32_t sent;            /* messages sent (ioreq.ctl_seq) */
	uint32_t received;        /* seq of the last message received */
	bool ready;               /* READY sent: no synchronous requests */
	uint32_t ready_seq;       /* seq of READY: earlier claims were setup */
	bool error_sent;          /* the one DM_MSG_ERROR went out */
	char why[160];            /* what was wrong with the last message */
	struct ctl_sent recent[CTL_RECENT];
	ctl_record_fn *record;
	void *record_opaque;
};

void ctl_init(struct dm *dm, int fd);
/* Fills in the header (magic, version, type, len, seq) and sends msg with
 * fds.  0, or -1 (logged unless the hypervisor is simply gone).  Any
 * thread. */
int ctl_send(struct dm *dm, uint16_t type, void *msg, size_t len,
	     const int *fds, unsigned int nr_fds);
/* As ctl_send, remembering what the message was for a NACK's report. */
int ctl_send_claim(struct dm *dm, uint16_t type, void *msg, size_t len,
		   const char *what);
/* Messages sent so far (the ctl_seq of a response). */
uint32_t ctl_sent_count(struct dm *dm);
/* Before READY only: sends a request and waits for its FDS answer with
 * exactly nr_fds descriptors.  0, or -1 after one error line naming
 * what was asked for. */
int ctl_request(struct dm *dm, uint16_t type, void *msg, size_t len,
		int *fds, unsigned int nr_fds, const char *what);
/* Receives one message (main thread): 1, 0 on EOF, -1 on a protocol
 * error (reason in ctl.why, nothing logged); with dontwait -2 if there is
 * none. */
int ctl_recv(struct dm *dm, struct ctl_msg *m, bool dontwait);
void ctl_msg_close_fds(struct ctl_msg *m);
/* Checks a received packet (pure; unit-tested): true if valid, else false
 * with the reason in why.  expect_seq: the seq it must carry. */
bool ctl_check(const void *buf, size_t len, unsigned int nr_fds,
	       uint32_t expect_seq, char *why, size_t why_len);
/* Reports the refused claim a NACK answers; one made during setup is
 * fatal (dm_fatal). */
void ctl_report_nack(struct dm *dm, const struct dm_msg_status *st);
/* log_error hook during setup: the first error goes to the hypervisor. */
void ctl_route_errors(struct dm *dm, bool on);
/* Sends DM_MSG_ERROR with the text (once).  True if it was sent. */
bool ctl_send_error(struct dm *dm, const char *text);

/* ------------------------------------------------------------ loop.c */

struct dm_watch;

struct dm_loop {
	int epfd;
	int timerfd;
	int wake_fd;              /* eventfd: exit requested by a thread */
	struct dm_watch *watches; /* live */
	struct dm_watch *dead;    /* unwatched; freed after the batch */
	struct dm_timer *timers;  /* armed, sorted by expiry */
	uint64_t armed_at;        /* timerfd's host deadline, 0: disarmed */
	bool paused;
	uint64_t paused_at;       /* host ns when paused */
	uint64_t paused_total;    /* host ns spent paused */
	bool exiting;
	int exit_status;
};

int loop_init(struct dm *dm);
/* Runs until loop_exit(); returns the exit status with dm->lock held. */
int loop_run(struct dm *dm);
/* Makes loop_run return status.  Any thread, with or without the lock. */
void loop_exit(struct dm *dm, int status);
void loop_pause(struct dm *dm);
void loop_resume(struct dm *dm);
/* Runs the timers that are due (loop_run does it; for tests). */
void loop_run_timers(struct dm *dm);
uint64_t host_clock_ns(void);

/* --------------------------------------------------------- ranges.c */

struct dm_range {
	struct dm *dm;
	enum dm_space space;
	uint64_t base, len;
	const struct dm_io_ops *ops;
	void *opaque;
	unsigned int flags;
	uint32_t id;              /* index in dm->ranges + 1 */
	struct ioreq_shadow *shadow; /* its read shadow, or NULL */
	char name[32];
};

struct dm_ranges {
	struct dm_range **by_id;  /* [id - 1], NULL if free */
	uint32_t cap;
	/* dm_shadow_batch_begin/end: the updates held back */
	unsigned int batch_depth, nr_pending;
	struct dm_shadow_update {
		struct dm_range *r;
		uint8_t off, size;
		uint64_t value;
	} pending[32];
};

/* dm_claim without its error line: NULL and why ("overlaps serial"). */
struct dm_range *ranges_claim(struct dm *dm, enum dm_space space,
			      uint64_t base, uint64_t len,
			      const struct dm_io_ops *ops, void *opaque,
			      unsigned int flags, const char *name,
			      char *why, size_t why_len);
/* A PIO or MMIO access from the guest, lock held: through range_id if it
 * names a live range that holds the access, else by address; unclaimed
 * reads give all ones and writes are dropped.  Returns the read value. */
uint64_t ranges_access(struct dm *dm, enum dm_space space, uint32_t range_id,
		       uint64_t addr, unsigned int size, bool is_write,
		       uint64_t value);
void ranges_free_all(struct dm *dm);

/* ------------------------------------------------------------ gmem.c */

struct dm_ram {
	uint64_t gpa, size;
	uint8_t *host;
};

/* Validates SETUP's RAM blocks against the memfd and maps it.  0, or -1
 * after one error line. */
int gmem_setup(struct dm *dm, const struct dm_msg_setup *s, int ram_fd);

/* ------------------------------------------------------------- irq.c */

struct dm_gsi_line {
	bool valid;
	enum dm_irq_trigger_mode mode;
	int irqfd, resample_fd;
	unsigned int asserted;    /* dm_irq handles at level 1 */
};

/* Lowers every line (reset). */
void irq_lower_all(struct dm *dm);
/* From now on this thread's rising edges set their GSI's bit in *edges
 * instead of writing the irqfd (NULL: the irqfd again). */
void irq_collect_edges(uint32_t *edges);

/* ----------------------------------------------------- ioreq-server.c */

struct ioreq_server;

/* Maps and checks the ioreq area.  0, or -1 after one error line. */
int ioreq_server_setup(struct dm *dm, const struct dm_msg_setup *s,
		       int ioreq_fd);
/* Starts one thread per vCPU.  0, or -1 after one error line. */
int ioreq_server_start(struct dm *dm);
/* The read shadow for range id (ioreq.h), or NULL if there is none. */
struct ioreq_shadow *ioreq_server_shadow(struct dm *dm, uint32_t id);
/* Handles every posted write still in the rings (lock held). */
void ioreq_server_drain(struct dm *dm);
/* Checks a request copied out of a slot (pure; unit-tested).  NULL if
 * valid, else why not. */
const char *ioreq_check(const struct ioreq *req);
const char *ioreq_check_posted(const struct ioreq_posted *p);
/* Carries out a checked synchronous request (lock held); items of a REP
 * request are in/out of buf. */
void ioreq_dispatch(struct dm *dm, struct ioreq *req, uint8_t *buf);

/* ------------------------------------------------------------- pci.c */

struct dm_pci {
	struct pci_function *fn[256];
	dm_intx_route_fn *route;  /* the platform's INTx router, or NULL */
	void *route_opaque;
};

/* A config-space access (PCI_CONFIG ioreq), lock held.  Reads of
 * functions nobody registered return all ones (PCI 3.0 section 6.1). */
uint32_t pci_config_read(struct dm *dm, unsigned int devfn, unsigned int reg,
			 unsigned int size);
void pci_config_write(struct dm *dm, unsigned int devfn, unsigned int reg,
		      unsigned int size, uint32_t value);
/* Every function back to its power-on state (RESET), lock held. */
void pci_reset_all(struct dm *dm);
void pci_free_all(struct dm *dm);
/* The GSI a function's INTx# pin drives when the platform has no INTx
 * router (--machine none). */
unsigned int pci_intx_gsi(unsigned int devfn, unsigned int pin);

/* opts.c: see opts.h */

/* ------------------------------------------------------------ args.c */

struct dm_args {
	int control_fd;
	int verbosity;            /* -1 quiet, 0 default, 1+ verbose */
	bool help, version;
	bool machine_set;
	struct dm_opts **devices;
	unsigned int nr_devices;
	char **drives;            /* --drive specs (argv strings), checked */
	unsigned int nr_drives;
};

void dm_usage(FILE *out);
/* 0, or -1 after one error line. */
int dm_args_parse(int argc, char **argv, struct dm_args *a);
void dm_args_free(struct dm_args *a);

/* --------------------------------------------------------- drives.c */

struct dm_drive_slot;

/* Opens the drives of the --drive specs (before devices_create and the
 * sandbox).  0, or -1 after one error line; what was opened is closed by
 * drives_close(). */
int drives_open(struct dm *dm, char *const *specs, unsigned int nr);
/* After devices_create: -1 after one error line if a drive is not
 * claimed by any device. */
int drives_check_claimed(struct dm *dm);
/* DM_MSG_MEDIA (main thread, lock held): changes the medium and answers
 * MEDIA_ACK.  Takes the message's descriptor. */
void drives_media(struct dm *dm, struct ctl_msg *m);
/* Waits for every drive's requests in flight, running their callbacks
 * (at exit, before devices_destroy). */
void drives_drain(struct dm *dm);
/* Closes every medium (at exit, after devices_destroy). */
void drives_close(struct dm *dm);

/* -------------------------------------------------------- sandbox.c */

/* no_new_privs and the seccomp allowlist for every thread.  0, or -1
 * after one error line. */
int sandbox_apply(void);

/* -------------------------------------------------------------- dm.c */

struct dm_device;

struct dm {
	pthread_mutex_t lock;
	struct dm_ctl ctl;
	struct dm_loop loop;
	struct dm_ranges ranges;
	struct dm_pci pci;
	struct dm_ram ram[DM_MAX_RAM_BLOCKS];
	unsigned int nr_ram;
	unsigned int nr_vcpus;
	void *ram_map;
	size_t ram_map_size;
	struct dm_gsi_line gsi[DM_MAX_GSI];
	struct dm_irq *irqs;
	struct ioreq_server *ioreq;
	struct dm_device *devices;
	struct dm_drive_slot *drives;
	unsigned int nr_drives;
	void (*power_button)(void *opaque);
	void *power_button_opaque;
	bool ready;               /* READY sent */
	bool orphaned;            /* the control channel reached EOF */
	struct dm_deferred *deferred, **deferred_tail; /* dm_defer() */
};

/* A context.  ctl_fd < 0: no hypervisor (unit tests): messages go to the
 * record hook and dm_irq_get() makes local eventfds.  NULL after one
 * error line. */
struct dm *dm_new(int ctl_fd);
void dm_lock(struct dm *dm);
/* Runs the deferred work first (dm_defer). */
void dm_unlock(struct dm *dm);
/* Runs the deferred work queued so far, not what that queues (lock
 * held); dm_unlock() runs until nothing is left. */
void dm_run_deferred(struct dm *dm);
/* Handles one message from the hypervisor after SETUP (main thread, lock
 * held). */
void dm_handle_msg(struct dm *dm, struct ctl_msg *m);
/* A fatal error: one line to the hypervisor (DM_MSG_ERROR; stderr if
 * that fails), then the process ends with status 1 in order.  From the
 * main thread this does not return; from another thread it asks the main
 * thread to do it and returns. */
void dm_fatal(struct dm *dm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Runs device destroy hooks and exits (main thread, lock held). */
/* Tears the devices down and exits.  After the hypervisor went away
 * (dm->orphaned) without exit()'s at-exit work: the hypervisor's death
 * also SIGKILLs this process (PR_SET_PDEATHSIG) at any moment, which
 * would cut that work short (a sanitizer's leak check would leave its
 * helper task behind). */
void dm_exit(struct dm *dm, int status) __attribute__((noreturn));

#endif
