/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interrupt lines, MSIs and ioeventfds.
 *
 * A GSI line is an irqfd the hypervisor registered with KVM and handed
 * over (IRQ_REQ -> FDS).  Several devices may share a GSI (PCI INTx): the
 * line is the OR of its handles.  Edge lines: a write to the irqfd is a
 * rising edge, so it is written when the line goes from 0 to 1.  Level
 * lines use KVM's resample irqfds (KVM_IRQFD_FLAG_RESAMPLE): the write
 * asserts the GSI, KVM de-asserts it at the guest's EOI and signals the
 * resample fd, and the device model asserts again if the line is still
 * high, which is what a level-triggered IOAPIC pin sees on real hardware.
 * A line the device lowers before the EOI stays pending until then
 * (device.h).
 *
 * An edge raised while an ioreq thread handles a synchronous request
 * travels in the answer instead (irq_collect_edges, ioreq.h "Edges"): KVM
 * injects an irqfd of an IOAPIC pin from a kernel worker, one more thread
 * to run before the guest sees the interrupt, while the hypervisor raises
 * the line itself before the vCPU goes on.
 *
 * Without a hypervisor (unit tests) the fds are local eventfds, so a test
 * can read what a device did to its line.
 */
#define _GNU_SOURCE
#include "dm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvmkit/log.h"

struct dm_irq {
	struct dm *dm;
	unsigned int gsi;
	int level;
	struct dm_irq *next;
};

/* Where this thread collects the edges of the request it handles. */
static __thread uint32_t *collected_edges;

void irq_collect_edges(uint32_t *edges)
{
	collected_edges = edges;
}

static void irq_pulse(struct dm_gsi_line *line)
{
	uint64_t one = 1;

	if (write(line->irqfd, &one, sizeof(one)) != sizeof(one))
		log_guest("cannot signal an irqfd: %s", strerror(errno));
}

/* Drains the eventfd counter; true if it was signalled. */
static bool eventfd_drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v);
}

static void irq_resample(void *opaque, int fd, unsigned int events)
{
	struct dm_gsi_line *line = opaque;

	(void)events;
	if (eventfd_drain(fd) && line->asserted)
		irq_pulse(line);
}

static int local_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0)
		log_error("eventfd: %s", strerror(errno));
	return fd;
}

/* Gets the line's fds from the hypervisor.  0, or -1 after a log line. */
static int gsi_line_open(struct dm *dm, unsigned int gsi,
			 enum dm_irq_trigger_mode mode,
			 struct dm_gsi_line *line)
{
	unsigned int nr = mode == DM_IRQ_MODE_LEVEL ? 2 : 1;
	int fds[2] = { -1, -1 };

	if (dm->ctl.fd < 0) {
		for (unsigned int i = 0; i < nr; i++)
			if ((fds[i] = local_eventfd()) < 0)
				return -1;
	} else {
		struct dm_msg_irq_req req;
		char what[48];

		snprintf(what, sizeof(what), "the %s-triggered interrupt "
			 "line GSI %u", nr == 2 ? "level" : "edge", gsi);
		memset(&req, 0, sizeof(req));
		req.gsi = gsi;
		req.trigger = mode == DM_IRQ_MODE_LEVEL ? DM_IRQ_LEVEL :
							  DM_IRQ_EDGE;
		if (ctl_request(dm, DM_MSG_IRQ_REQ, &req, sizeof(req), fds,
				nr, what) < 0)
			return -1;
	}
	line->irqfd = fds[0];
	line->resample_fd = fds[1];
	if (nr == 2) {
		/* The resample fd is read from the loop; never block. */
		fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
		if (dm_fd_watch(dm, fds[1], DM_FD_READ, irq_resample,
				line) < 0)
			return -1;
	}
	line->mode = mode;
	line->valid = true;
	return 0;
}

struct dm_irq *dm_irq_get(struct dm *dm, unsigned int gsi,
			  enum dm_irq_trigger_mode mode)
{
	struct dm_gsi_line *line;
	struct dm_irq *irq;

	if (gsi >= DM_MAX_GSI ||
	    (mode != DM_IRQ_MODE_EDGE && mode != DM_IRQ_MODE_LEVEL)) {
		log_error("interrupt line GSI %u: no such line (0-%u)", gsi,
			  DM_MAX_GSI - 1);
		return NULL;
	}
	if (dm->ready) {
		log_error("internal error: dm_irq_get(%u) after device "
			  "creation", gsi);
		return NULL;
	}
	line = &dm->gsi[gsi];
	if (line->valid && line->mode != mode) {
		log_error("GSI %u is wanted both edge- and level-triggered",
			  gsi);
		return NULL;
	}
	if (!line->valid && gsi_line_open(dm, gsi, mode, line) < 0)
		return NULL;
	irq = calloc(1, sizeof(*irq));
	if (!irq) {
		log_error("out of memory");
		return NULL;
	}
	irq->dm = dm;
	irq->gsi = gsi;
	irq->next = dm->irqs;
	dm->irqs = irq;
	return irq;
}

void dm_irq_set(struct dm_irq *irq, int level)
{
	struct dm_gsi_line *line;

	if (!irq)
		return;
	level = !!level;
	if (irq->level == level)
		return;
	irq->level = level;
	line = &irq->dm->gsi[irq->gsi];
	if (level) {
		if (line->asserted++ != 0)
			return;
		if (collected_edges && line->mode == DM_IRQ_MODE_EDGE)
			*collected_edges |= 1u << irq->gsi;
		else
			irq_pulse(line);
	} else {
		line->asserted--;
	}
}

void irq_lower_all(struct dm *dm)
{
	for (struct dm_irq *irq = dm->irqs; irq; irq = irq->next)
		irq->level = 0;
	for (unsigned int i = 0; i < DM_MAX_GSI; i++) {
		dm->gsi[i].asserted = 0;
		if (dm->gsi[i].valid && dm->gsi[i].mode == DM_IRQ_MODE_LEVEL)
			eventfd_drain(dm->gsi[i].resample_fd);
	}
}

void dm_msi_send(struct dm *dm, uint64_t addr, uint32_t data)
{
	struct dm_msg_msi msg;

	memset(&msg, 0, sizeof(msg));
	msg.addr = addr;
	msg.data = data;
	ctl_send(dm, DM_MSG_MSI, &msg, sizeof(msg), NULL, 0);
}

int dm_ioeventfd(struct dm *dm, enum dm_space space, uint64_t addr,
		 unsigned int len, bool has_match, uint64_t datamatch)
{
	struct dm_msg_ioeventfd_req req;
	char what[64];
	int fd;

	if ((space != DM_SPACE_PIO && space != DM_SPACE_MMIO) ||
	    (len != 1 && len != 2 && len != 4 &&
	     (len != 8 || space != DM_SPACE_MMIO)) ||
	    (space == DM_SPACE_PIO && addr + len > DM_PIO_LIMIT)) {
		log_error("internal error: bad ioeventfd %#llx/%u",
			  (unsigned long long)addr, len);
		return -1;
	}
	if (dm->ready) {
		log_error("internal error: dm_ioeventfd() after device "
			  "creation");
		return -1;
	}
	if (dm->ctl.fd < 0)
		return local_eventfd();
	memset(&req, 0, sizeof(req));
	req.space = space;
	req.flags = has_match ? DM_IOEVENTFD_DATAMATCH : 0;
	req.addr = addr;
	req.len = len;
	req.datamatch = has_match ? datamatch : 0;
	snprintf(what, sizeof(what), "an ioeventfd at %s %#llx",
		 space == DM_SPACE_PIO ? "port" : "MMIO",
		 (unsigned long long)addr);
	if (ctl_request(dm, DM_MSG_IOEVENTFD_REQ, &req, sizeof(req), &fd,
			1, what) < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}
