/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hypervisor's link to its device model (hvmkit-devmodel): starting
 * and stopping the process, the control channel (include/hvmkit/dm-proto.h),
 * the KVM objects made on its behalf (irqfds, ioeventfds, coalesced zones,
 * claimed PIO/MMIO ranges and PCI functions), and noticing when it fails.
 */
#ifndef HVMKIT_DM_LINK_H
#define HVMKIT_DM_LINK_H

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include "hvmkit/dm-proto.h"
#include "ioreq-client.h"

struct vm;

struct dm_config {
	const char *path;        /* NULL: look it up; "none": no device model */
	const char *serial;      /* --serial SPEC or NULL */
	const char *machine;     /* --machine SPEC for it, or NULL (none) */
	const char **args;       /* --dm-arg values */
	unsigned int nr_args;
	const char **drives;     /* --drive SPEC for each --disk */
	unsigned int nr_drives;
	unsigned int timeout_ms; /* longest answer time before "failed" */
	int verbosity;
};

#define DM_DEFAULT_TIMEOUT_MS 1000
#define DM_SETUP_TIMEOUT_MS   10000
/* A media change may wait for the drive's requests in flight; one that
 * takes longer fails for the client only (not a device-model failure). */
#define DM_MEDIA_TIMEOUT_MS   5000

struct dm_range_reg;
struct dm_kvm_regs;

struct dm_link {
	struct vm *vm;
	struct dm_config cfg;
	pid_t pid;
	int pidfd;
	int ctl_fd;
	atomic_bool dead;         /* exited, killed, or declared failed */
	bool ready;
	bool quitting;            /* we asked it to exit */
	char console[DM_TEXT_MAX];
	char error[DM_TEXT_MAX];  /* its last DM_MSG_ERROR */
	uint32_t tx_seq;          /* messages sent to it */
	uint32_t rx_seq;          /* messages received from it */

	/* ctl_seq barrier (ioreq.h): vCPUs wait here until the main thread
	 * has processed the control messages a response depends on. */
	pthread_mutex_t ctl_lock;
	pthread_cond_t ctl_cond;
	atomic_uint ctl_done;

	/* Answer to the one outstanding RESET/PAUSE/RESUME/POWER_BUTTON
	 * (ACK) or MEDIA (MEDIA_ACK, with a reason text). */
	uint32_t ack_wait_seq;
	unsigned int ack_wait_type;   /* DM_MSG_ACK or DM_MSG_MEDIA_ACK */
	bool ack_received;
	int ack_status;
	char ack_text[DM_TEXT_MAX];
	/* The last media change that timed out: its answer, if it comes,
	 * is logged and otherwise ignored. */
	bool media_late;
	uint32_t media_late_seq;
	char media_late_vdev[DM_VDEV_MAX];

	struct ioreq_client ioreq;
	struct dm_kvm_regs *kvm;      /* irqfds, ioeventfds, zones */
	struct dm_range_reg *ranges;  /* claimed ranges, a list */
	pthread_mutex_t coalesced_lock;
	atomic_uint pci_claimed[8];   /* bitmap of claimed devfns */

	struct termios saved_tty;     /* restored if it dies in raw mode */
	bool tty_saved;
};

/* Starts the device model and runs its setup up to READY.  Returns 0, or
 * -1 after one error line (and nothing left running). */
int dm_link_start(struct vm *vm, const struct dm_config *cfg);
/* Ends it (QUIT, then SIGKILL after a grace period) and reaps it. */
void dm_link_stop(struct vm *vm);

/* Main loop integration: the fds to poll, and their events. */
unsigned int dm_link_pollfds(struct vm *vm, struct pollfd *pfd);
void dm_link_handle(struct vm *vm, const struct pollfd *pfd);

/* After the KVM VM was rebuilt (reset): registers the device model's
 * irqfds, ioeventfds and coalesced zones with the new VM. */
int dm_link_rebind(struct vm *vm);

/* Sends a lifecycle request (DM_MSG_RESET, PAUSE, RESUME, POWER_BUTTON)
 * and waits for its ACK while processing other control messages.
 * Returns the ACK's status, or -EIO if the device model failed. */
int dm_link_call(struct vm *vm, unsigned int type);

/* Changes the medium of CD drive vdev (hvmkit cd-insert / cd-eject):
 * sends DM_MSG_MEDIA with fd (the new medium, opened read-only; -1 to
 * eject; the caller keeps and closes its descriptor) and path (for
 * messages; control characters are sent as '?'), and waits for
 * MEDIA_ACK, at least DM_MEDIA_TIMEOUT_MS.  0, or -1 with one line in why
 * ("hdc: the guest has locked the tray", "no drive hdd", "hdc: the device
 * model did not answer within 5 s": the domain goes on then). */
int dm_link_media(struct vm *vm, const char *vdev, int fd, const char *path,
		  char *why, size_t why_len);

/* Declares the device model failed: one error line, stop the guest. */
void dm_link_fail(struct vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* vCPU threads: waits until control message seq has been processed. */
void dm_link_ctl_barrier(struct vm *vm, uint32_t seq);
/* vCPU threads: forwards KVM's coalesced MMIO/PIO ring to the DM. */
void dm_link_drain_coalesced(struct vm *vm, unsigned int vcpu,
			     void *ring_page);

bool dm_link_pci_claimed(const struct dm_link *dm, unsigned int devfn);

#endif
