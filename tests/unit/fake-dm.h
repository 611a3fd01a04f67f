/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake device model for unit tests of device models (the idea of QEMU's
 * qtest): it implements every function of devmodel/device.h in-process,
 * and lets the test play the guest and the host around one or more
 * devices:
 * - guest: port I/O and MMIO accesses dispatched to the claimed ranges,
 *   PCI config accesses, a guest-RAM buffer at guest-physical address 0;
 * - interrupts: the level of each GSI line and how many rising edges it
 *   saw, MSIs sent, PCI INTx levels;
 * - time: a fake clock that moves only when the test advances it, firing
 *   due timers in expiry order;
 * - host: fd watches that the test triggers (fake_fd_ready) or polls for
 *   real with poll() (fake_fd_poll); deferred work (dm_defer) runs after
 *   each access, timer and fd callback, and in fake_fd_poll;
 * - platform: reset/power-off requests, the power button, console reports;
 * - drives: the test attaches its own struct dm_drive (fake_drive_add) for
 *   dm_drive_find(), and changes media as drives.c does.
 * Device options come from fake_opts_new("key=value,...").
 */
#ifndef HVMKIT_FAKE_DM_H
#define HVMKIT_FAKE_DM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

/* A fake device model with ram_size bytes of zeroed guest RAM at GPA 0. */
struct dm *fake_dm_new(size_t ram_size);
/* Frees it; devices must have been destroyed.  Timers, watches and claims
 * left behind are reported on stderr and make this return false. */
bool fake_dm_free(struct dm *dm);
/* After this, dm_irq_get() and dm_ioeventfd() fail as they do once the
 * guest runs. */
void fake_dm_start(struct dm *dm);

/* --------------------------------------------------------------- guest */

uint8_t *fake_ram(struct dm *dm);
size_t fake_ram_size(struct dm *dm);

/* Accesses as the guest makes them; unclaimed reads give all ones. */
uint64_t fake_pio_read(struct dm *dm, uint64_t addr, unsigned int size);
void fake_pio_write(struct dm *dm, uint64_t addr, uint64_t value,
		    unsigned int size);
uint64_t fake_mmio_read(struct dm *dm, uint64_t addr, unsigned int size);
void fake_mmio_write(struct dm *dm, uint64_t addr, uint64_t value,
		     unsigned int size);
/* Whether addr is claimed, and the claim's DM_CLAIM_* flags and name. */
bool fake_claimed(struct dm *dm, enum dm_space space, uint64_t addr,
		  unsigned int *flags, const char **name);
/* Whether KVM would batch writes to addr (DM_CLAIM_COALESCED, in the
 * claim's zone if it has one). */
bool fake_coalesced(struct dm *dm, enum dm_space space, uint64_t addr);
/* The valid read-shadow byte at addr (dm_shadow_set), if there is one.
 * Every valid byte is checked against a one-byte read after each access,
 * timer and fd callback (a mismatch aborts). */
bool fake_shadow(struct dm *dm, enum dm_space space, uint64_t addr,
		 uint8_t *value);
/* Whether a write to the shadowed byte at addr is a latch
 * (dm_shadow_latch).  After every write the hypervisor would post as a
 * latch, the other shadowed bytes and the interrupt lines are checked to
 * be unchanged (a mismatch aborts). */
bool fake_shadow_latch(struct dm *dm, enum dm_space space, uint64_t addr);
/* The kick bits of the shadowed byte at addr (dm_shadow_kick). */
uint8_t fake_shadow_kick(struct dm *dm, enum dm_space space, uint64_t addr);
unsigned int fake_claim_count(struct dm *dm);

/* ---------------------------------------------------------- interrupts */

/* -1 if nobody asked for the line. */
int fake_irq_level(struct dm *dm, unsigned int gsi);
unsigned int fake_irq_edges(struct dm *dm, unsigned int gsi);
int fake_irq_mode(struct dm *dm, unsigned int gsi);
unsigned int fake_msi_count(struct dm *dm);
/* The last MSI; false if none. */
bool fake_msi_last(struct dm *dm, uint64_t *addr, uint32_t *data);

/* ---------------------------------------------------------------- time */

/* Moves the clock ns forward, running every timer that falls due on the
 * way at its expiry time, earliest first (ties in arming order); timers
 * armed by callbacks run too if they fall inside the step.  0 runs timers
 * already due. */
void fake_clock_advance(struct dm *dm, uint64_t ns);
/* The earliest armed timer's expiry; false if none is armed. */
bool fake_timer_next(struct dm *dm, uint64_t *expire_ns);
unsigned int fake_timers_armed(struct dm *dm);

/* ----------------------------------------------------------------- fds */

/* The DM_FD_* events fd is watched for; 0 if not watched. */
unsigned int fake_fd_events(struct dm *dm, int fd);
unsigned int fake_fd_watch_count(struct dm *dm);
/* The watched fds (up to max of them); returns how many are watched. */
unsigned int fake_fd_list(struct dm *dm, int *fds, unsigned int max);
/* Calls fd's callback with events (masked to the watched ones plus
 * DM_FD_HUP); false if fd is not watched or none of events is. */
bool fake_fd_ready(struct dm *dm, int fd, unsigned int events);
/* One poll() over every watched fd, then the callbacks of the ready ones
 * (a callback may change any watch).  Returns how many callbacks ran, 0
 * after timeout_ms (-1: wait forever) with nothing ready. */
int fake_fd_poll(struct dm *dm, int timeout_ms);
/* Runs the deferred work queued (dm_defer) first, as the real device
 * model does before it sleeps; returns how much ran. */
unsigned int fake_run_deferred(struct dm *dm);
/* Polls until no watched fd is ready (at most max_rounds rounds). */
int fake_fd_poll_idle(struct dm *dm, unsigned int max_rounds);
/* The eventfd dm_ioeventfd() made for addr, or -1. */
int fake_ioeventfd(struct dm *dm, enum dm_space space, uint64_t addr);

/* --------------------------------------------------------- error lines */

/* From fake_errors_capture() until fake_errors_release(), log_error()
 * lines are counted and the last one kept here instead of printed. */
extern unsigned int fake_nr_errors;
extern char fake_last_error[512];
void fake_errors_capture(void);
void fake_errors_release(void);

/* ------------------------------------------------------------ platform */

/* What dm_machine_get() reports (default: 1 vCPU, all RAM below 4 GiB). */
void fake_dm_set_machine(struct dm *dm, unsigned int nr_vcpus,
			 uint64_t ram_below_4g, uint64_t ram_above_4g);
unsigned int fake_reset_requests(struct dm *dm);
/* dm_request_guest_sleep() calls, and the last state asked for. */
unsigned int fake_sleep_requests(struct dm *dm, unsigned int *last_state);
unsigned int fake_poweroff_requests(struct dm *dm);
/* Presses the registered power button; false if there is none. */
bool fake_power_button(struct dm *dm);
/* The last dm_report_console() text (NULL if none) and how many. */
const char *fake_console(struct dm *dm);
unsigned int fake_console_reports(struct dm *dm);

/* -------------------------------------------------------------- drives */

/* Attaches a drive for dm_drive_find() (as --drive does); the test owns
 * drive and its blk and keeps both alive until fake_dm_free().  False if
 * the vdev is taken or there are too many. */
bool fake_drive_add(struct dm *dm, struct dm_drive *drive);
/* What `hvmkit cd-insert`/`cd-eject` does in devmodel/drives.c: refuses
 * (-1, reason in why) a missing or non-CD drive or one without a
 * change_media handler, else calls the handler and, on success, sets
 * drive->blk = blk.  Unlike drives.c it never closes a medium (the test
 * owns them). */
int fake_drive_change_media(struct dm *dm, const char *vdev, struct blk *blk,
			    char *why, size_t why_len);

/* ----------------------------------------------------------------- PCI */

/* Config-space accesses as through 0xCF8/0xCFC on bus 0.  The fake owns
 * the standard header as the real PCI core does: IDs, command, status,
 * BARs (with sizing; a BAR is claimed while its decode bit in COMMAND is
 * set and it holds a non-zero address), interrupt line/pin; offsets from
 * 0x40 go to the function's config_read/config_write (or its raw bytes
 * if it has none).  Unregistered functions read all ones. */
uint32_t fake_pci_config_read(struct dm *dm, unsigned int devfn,
			      unsigned int offset, unsigned int size);
void fake_pci_config_write(struct dm *dm, unsigned int devfn,
			   unsigned int offset, unsigned int size,
			   uint32_t value);
struct pci_function *fake_pci_function(struct dm *dm, unsigned int devfn);
/* INTx# level of a function; -1 if not registered. */
int fake_pci_intx(struct dm *dm, unsigned int devfn);
/* Calls every function's reset op (as a platform reset does). */
void fake_pci_reset(struct dm *dm);

/* ------------------------------------------------------------- options */

/* Device options from "key=value,key=value" (",," is a literal comma).
 * NULL if malformed. */
struct dm_opts *fake_opts_new(const char *text);
void fake_opts_free(struct dm_opts *opts);

#endif
