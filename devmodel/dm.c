/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device-model context: the big lock, the platform events devices
 * raise (reset, power-off, power button, console), the hypervisor's
 * lifecycle requests (RESET, PAUSE, RESUME, POWER_BUTTON, MEDIA, QUIT)
 * and the orderly ways out (dm_exit, dm_fatal).
 */
#define _GNU_SOURCE
#include "dm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "devices.h"
#include "hvmkit/log.h"

/* The context lives as long as the process; this keeps it reachable for
 * LeakSanitizer and gives dm_fatal() its main thread. */
static struct dm *the_dm;
static pthread_t main_thread;

struct dm *dm_new(int ctl_fd)
{
	struct dm *dm = calloc(1, sizeof(*dm));

	if (!dm) {
		log_error("out of memory");
		return NULL;
	}
	pthread_mutex_init(&dm->lock, NULL);
	ctl_init(dm, ctl_fd);
	for (unsigned int i = 0; i < DM_MAX_GSI; i++)
		dm->gsi[i].irqfd = dm->gsi[i].resample_fd = -1;
	if (loop_init(dm) < 0) {
		free(dm);
		return NULL;
	}
	the_dm = dm;
	main_thread = pthread_self();
	return dm;
}

void dm_lock(struct dm *dm)
{
	pthread_mutex_lock(&dm->lock);
}

void dm_defer(struct dm *dm, struct dm_deferred *d)
{
	if (d->queued)
		return;
	d->queued = true;
	d->next = NULL;
	if (!dm->deferred)
		dm->deferred_tail = &dm->deferred;
	*dm->deferred_tail = d;
	dm->deferred_tail = &d->next;
}

void dm_defer_cancel(struct dm *dm, struct dm_deferred *d)
{
	struct dm_deferred **p = &dm->deferred;

	if (!d->queued)
		return;
	while (*p && *p != d)
		p = &(*p)->next;
	if (!*p)
		return;
	*p = d->next;
	if (dm->deferred_tail == &d->next)
		dm->deferred_tail = p;
	d->queued = false;
}

void dm_run_deferred(struct dm *dm)
{
	unsigned int n = 0;
	struct dm_deferred *d;

	/* As many as are queued now; what they queue goes behind them (a
	 * cancelled one lets a later one run in this pass). */
	for (d = dm->deferred; d; d = d->next)
		n++;
	while (n-- && (d = dm->deferred)) {
		dm->deferred = d->next;
		if (!dm->deferred)
			dm->deferred_tail = &dm->deferred;
		d->queued = false;
		d->fn(d->opaque);
	}
}

void dm_unlock(struct dm *dm)
{
	while (dm->deferred)
		dm_run_deferred(dm);
	pthread_mutex_unlock(&dm->lock);
}

void dm_exit(struct dm *dm, int status)
{
	/* The lock stays held: no ioreq thread enters a device that is
	 * being destroyed, and exit() ends them. */
	drives_drain(dm);        /* completions reach live devices */
	devices_destroy(dm);
	drives_close(dm);
	if (dm->orphaned)
		_exit(status);
	exit(status);
}

void dm_fatal(struct dm *dm, const char *fmt, ...)
{
	char msg[DM_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!ctl_send_error(dm, msg)) {
		ctl_route_errors(dm, false);
		log_error("%s", msg);
	}
	if (pthread_equal(pthread_self(), main_thread))
		dm_exit(dm, 1);
	loop_exit(dm, 1);
}

/* ------------------------------------------------- platform events */

static void send_event(struct dm *dm, uint16_t type)
{
	struct dm_msg_hdr h;

	memset(&h, 0, sizeof(h));
	ctl_send(dm, type, &h, sizeof(h), NULL, 0);
}

void dm_request_guest_reset(struct dm *dm)
{
	send_event(dm, DM_MSG_GUEST_RESET);
}

void dm_request_guest_poweroff(struct dm *dm)
{
	send_event(dm, DM_MSG_GUEST_POWEROFF);
}

void dm_request_guest_sleep(struct dm *dm, unsigned int state)
{
	struct dm_msg_sleep m;

	memset(&m, 0, sizeof(m));
	m.slp_typ = state & 7;
	ctl_send(dm, DM_MSG_GUEST_SLEEP, &m, sizeof(m), NULL, 0);
}

void dm_set_power_button(struct dm *dm, void (*press)(void *opaque),
			 void *opaque)
{
	dm->power_button = press;
	dm->power_button_opaque = opaque;
}

void dm_report_console(struct dm *dm, const char *where)
{
	struct dm_msg_text m;

	memset(&m, 0, sizeof(m));
	snprintf(m.text, sizeof(m.text), "%s", where);
	dm_msg_text_printable(m.text, '?'); /* a file name may hold a tab */
	ctl_send(dm, DM_MSG_CONSOLE, &m, sizeof(m), NULL, 0);
}

/* ------------------------------------------- hypervisor requests */

static void ack(struct dm *dm, const struct ctl_msg *m, int status)
{
	struct dm_msg_status st;

	memset(&st, 0, sizeof(st));
	st.req_seq = m->hdr.seq;
	st.status = status;
	ctl_send(dm, DM_MSG_ACK, &st, sizeof(st), NULL, 0);
}

/* Platform reset: the posted writes the guest made before it are
 * delivered first, then every device and PCI function returns to its
 * power-on state and every interrupt line is low. */
static void platform_reset(struct dm *dm)
{
	ioreq_server_drain(dm);
	/* Lines low first, so that a level a device raises in its reset
	 * hook is kept. */
	irq_lower_all(dm);
	devices_reset(dm);
	pci_reset_all(dm);
}

void dm_handle_msg(struct dm *dm, struct ctl_msg *m)
{
	switch (m->hdr.type) {
	case DM_MSG_RESET:
		platform_reset(dm);
		ack(dm, m, 0);
		break;
	case DM_MSG_PAUSE:
		loop_pause(dm);
		ack(dm, m, 0);
		break;
	case DM_MSG_RESUME:
		loop_resume(dm);
		ack(dm, m, 0);
		break;
	case DM_MSG_POWER_BUTTON:
		if (dm->power_button) {
			dm->power_button(dm->power_button_opaque);
			ack(dm, m, 0);
		} else {
			ack(dm, m, -ENOTSUP);
		}
		break;
	case DM_MSG_MEDIA:
		drives_media(dm, m);
		break;
	case DM_MSG_QUIT:
		loop_exit(dm, 0);
		break;
	case DM_MSG_NACK:
		ctl_report_nack(dm, &m->status);
		break;
	default:
		ctl_msg_close_fds(m);
		dm_fatal(dm, "hypervisor protocol error: unexpected message "
			 "type %u (seq %u) after setup", m->hdr.type,
			 m->hdr.seq);
	}
}
