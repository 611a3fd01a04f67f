/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device model's end of the control channel (include/hvmkit/dm-proto.h):
 * one SOCK_SEQPACKET socket, one message per packet, descriptors passed
 * with SCM_RIGHTS.  Every received packet is checked in full before it is
 * used (magic, version, length, sequence number, per-type size, field
 * ranges, descriptor count); descriptors that come with a bad message are
 * closed.  Sends come from any thread (ioreq threads claim and release
 * ranges when the guest moves a BAR) and are serialized by send_lock, which
 * also keeps the message counter that ioreq responses carry as ctl_seq.
 */
#define _GNU_SOURCE
#include "dm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hvmkit/log.h"
#include "hvmkit/util.h"

void ctl_init(struct dm *dm, int fd)
{
	struct dm_ctl *c = &dm->ctl;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	pthread_mutex_init(&c->send_lock, NULL);
}

static const char *msg_name(unsigned int type)
{
	static const char *const names[] = {
		[DM_MSG_SETUP] = "SETUP",
		[DM_MSG_FDS] = "FDS",
		[DM_MSG_NACK] = "NACK",
		[DM_MSG_RESET] = "RESET",
		[DM_MSG_PAUSE] = "PAUSE",
		[DM_MSG_RESUME] = "RESUME",
		[DM_MSG_POWER_BUTTON] = "POWER_BUTTON",
		[DM_MSG_QUIT] = "QUIT",
		[DM_MSG_MEDIA] = "MEDIA",
		[DM_MSG_IRQ_REQ] = "IRQ_REQ",
		[DM_MSG_IOEVENTFD_REQ] = "IOEVENTFD_REQ",
		[DM_MSG_CLAIM_RANGE] = "CLAIM_RANGE",
		[DM_MSG_RELEASE_RANGE] = "RELEASE_RANGE",
		[DM_MSG_CLAIM_PCI] = "CLAIM_PCI",
		[DM_MSG_RELEASE_PCI] = "RELEASE_PCI",
		[DM_MSG_MSI] = "MSI",
		[DM_MSG_CONSOLE] = "CONSOLE",
		[DM_MSG_READY] = "READY",
		[DM_MSG_ACK] = "ACK",
		[DM_MSG_GUEST_POWEROFF] = "GUEST_POWEROFF",
		[DM_MSG_GUEST_RESET] = "GUEST_RESET",
		[DM_MSG_ERROR] = "ERROR",
		[DM_MSG_GUEST_SLEEP] = "GUEST_SLEEP",
		[DM_MSG_MEDIA_ACK] = "MEDIA_ACK",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "unknown";
}

/* ------------------------------------------------------------- sending */

static int ctl_send_locked(struct dm *dm, uint16_t type, void *msg,
			   size_t len, const int *fds, unsigned int nr_fds,
			   int *err)
{
	struct dm_ctl *c = &dm->ctl;
	struct dm_msg_hdr *h = msg;
	ssize_t n;

	dm_msg_init(msg, len, type, c->sent + 1);
	if (c->fd < 0) {
		if (c->record)
			c->record(c->record_opaque, h);
		__atomic_store_n(&c->sent, h->seq, __ATOMIC_RELEASE);
		return 0;
	}
	do {
		n = dm_msg_send(c->fd, msg, len, fds, nr_fds, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		*err = n < 0 ? errno : EMSGSIZE;
		return -1;
	}
	__atomic_store_n(&c->sent, h->seq, __ATOMIC_RELEASE);
	return 0;
}

static int ctl_send_common(struct dm *dm, uint16_t type, void *msg,
			   size_t len, const int *fds, unsigned int nr_fds,
			   const char *what)
{
	struct dm_ctl *c = &dm->ctl;
	int err = 0, ret;

	if (len < sizeof(struct dm_msg_hdr) || len > DM_MSG_MAX ||
	    nr_fds > DM_MAX_FDS) {
		log_error("internal error: bad %s message", msg_name(type));
		return -1;
	}
	pthread_mutex_lock(&c->send_lock);
	ret = ctl_send_locked(dm, type, msg, len, fds, nr_fds, &err);
	if (!ret && what) {
		struct ctl_sent *s = &c->recent[c->sent % CTL_RECENT];

		s->seq = c->sent;
		snprintf(s->what, sizeof(s->what), "%s", what);
	}
	pthread_mutex_unlock(&c->send_lock);
	/* Logged outside send_lock: during setup log_error sends ERROR. A
	 * hypervisor that went away shows up as EOF on the main loop. */
	if (ret && err != EPIPE && err != ECONNRESET)
		log_error("cannot send %s to the hypervisor: %s",
			  msg_name(type), strerror(err));
	return ret;
}

int ctl_send(struct dm *dm, uint16_t type, void *msg, size_t len,
	     const int *fds, unsigned int nr_fds)
{
	return ctl_send_common(dm, type, msg, len, fds, nr_fds, NULL);
}

int ctl_send_claim(struct dm *dm, uint16_t type, void *msg, size_t len,
		   const char *what)
{
	return ctl_send_common(dm, type, msg, len, NULL, 0, what);
}

uint32_t ctl_sent_count(struct dm *dm)
{
	return __atomic_load_n(&dm->ctl.sent, __ATOMIC_ACQUIRE);
}

bool ctl_send_error(struct dm *dm, const char *text)
{
	struct dm_ctl *c = &dm->ctl;
	struct dm_msg_text m;
	int err = 0, ret;

	pthread_mutex_lock(&c->send_lock);
	if (c->error_sent) {
		pthread_mutex_unlock(&c->send_lock);
		return true; /* the first error is the one that counts */
	}
	memset(&m, 0, sizeof(m));
	snprintf(m.text, sizeof(m.text), "%s", text);
	/* A file name in the line may hold a tab: the hypervisor takes
	 * only printable text, and would report that instead. */
	dm_msg_text_printable(m.text, '?');
	ret = ctl_send_locked(dm, DM_MSG_ERROR, &m, sizeof(m), NULL, 0, &err);
	if (!ret)
		c->error_sent = true;
	pthread_mutex_unlock(&c->send_lock);
	return !ret;
}

/* log_error() has no context argument; one process, one channel. */
static struct dm *routed_dm;

static bool ctl_error_hook(const char *msg)
{
	return routed_dm && ctl_send_error(routed_dm, msg);
}

void ctl_route_errors(struct dm *dm, bool on)
{
	routed_dm = on ? dm : NULL;
	log_set_error_hook(on ? ctl_error_hook : NULL);
}

/* ----------------------------------------------------------- receiving */

static bool why_fail(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool why_fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

static bool check_setup(const struct dm_msg_setup *s, char *why, size_t wl)
{
	if (s->nr_vcpus < 1 || s->nr_vcpus > DM_MAX_VCPUS)
		return why_fail(why, wl, "SETUP: %u vCPUs (1-%u allowed)",
				s->nr_vcpus, DM_MAX_VCPUS);
	if (s->nr_ram_blocks < 1 || s->nr_ram_blocks > DM_MAX_RAM_BLOCKS)
		return why_fail(why, wl, "SETUP: %u RAM blocks (1-%u allowed)",
				s->nr_ram_blocks, DM_MAX_RAM_BLOCKS);
	if (s->ioreq_size != IOREQ_AREA_SIZE(s->nr_vcpus))
		return why_fail(why, wl, "SETUP: ioreq area of %llu bytes "
				"for %u vCPUs (%zu expected)",
				(unsigned long long)s->ioreq_size,
				s->nr_vcpus, IOREQ_AREA_SIZE(s->nr_vcpus));
	/* The RAM blocks are checked against the memfd in gmem_setup(). */
	return true;
}

static bool check_media(const struct dm_msg_media *m, unsigned int *want_fds,
			char *why, size_t wl)
{
	if (m->insert > 1)
		return why_fail(why, wl, "MEDIA with insert %u", m->insert);
	if (!dm_msg_text_ok(m->vdev, sizeof(m->vdev)) || !m->vdev[0] ||
	    !dm_msg_text_ok(m->path, sizeof(m->path)))
		return why_fail(why, wl, "MEDIA with an unterminated or "
				"unprintable vdev or path");
	*want_fds = m->insert;
	return true;
}

bool ctl_check(const void *buf, size_t len, unsigned int nr_fds,
	       uint32_t expect_seq, char *why, size_t wl)
{
	struct dm_msg_hdr h;
	size_t want_len;
	unsigned int want_fds = 0;

	if (len < sizeof(h))
		return why_fail(why, wl, "%zu-byte message", len);
	memcpy(&h, buf, sizeof(h));
	if (h.magic != DM_PROTO_MAGIC || h.version != DM_PROTO_VERSION)
		return why_fail(why, wl, "bad magic %#x or version %u",
				h.magic, h.version);
	if (h.len != len)
		return why_fail(why, wl, "%s says %u bytes, packet has %zu",
				msg_name(h.type), h.len, len);
	if (h.seq != expect_seq)
		return why_fail(why, wl, "%s with seq %u, expected %u",
				msg_name(h.type), h.seq, expect_seq);
	switch (h.type) {
	case DM_MSG_SETUP:
		want_len = sizeof(struct dm_msg_setup);
		want_fds = 2;
		break;
	case DM_MSG_FDS:
		want_len = sizeof(struct dm_msg_fds);
		break;
	case DM_MSG_NACK:
		want_len = sizeof(struct dm_msg_status);
		break;
	case DM_MSG_MEDIA:
		want_len = sizeof(struct dm_msg_media);
		break;
	case DM_MSG_RESET:
	case DM_MSG_PAUSE:
	case DM_MSG_RESUME:
	case DM_MSG_POWER_BUTTON:
	case DM_MSG_QUIT:
		want_len = sizeof(struct dm_msg_hdr);
		break;
	default:
		return why_fail(why, wl, "message type %u is not one the "
				"hypervisor sends", h.type);
	}
	if (len != want_len)
		return why_fail(why, wl, "%s of %zu bytes (%zu expected)",
				msg_name(h.type), len, want_len);
	if (h.type == DM_MSG_FDS) {
		struct dm_msg_fds f;

		memcpy(&f, buf, sizeof(f));
		if (f.nr_fds < 1 || f.nr_fds > DM_MAX_FDS)
			return why_fail(why, wl, "FDS with nr_fds %u",
					f.nr_fds);
		want_fds = f.nr_fds;
	} else if (h.type == DM_MSG_NACK) {
		struct dm_msg_status st;

		memcpy(&st, buf, sizeof(st));
		if (st.status >= 0 || st.status < -4095)
			return why_fail(why, wl, "NACK with status %d",
					st.status);
	} else if (h.type == DM_MSG_SETUP) {
		struct dm_msg_setup s;

		memcpy(&s, buf, sizeof(s));
		if (!check_setup(&s, why, wl))
			return false;
	} else if (h.type == DM_MSG_MEDIA) {
		struct dm_msg_media m;

		memcpy(&m, buf, sizeof(m));
		if (!check_media(&m, &want_fds, why, wl))
			return false;
	}
	if (nr_fds != want_fds)
		return why_fail(why, wl, "%s came with %u descriptors (%u "
				"expected)", msg_name(h.type), nr_fds,
				want_fds);
	return true;
}

void ctl_msg_close_fds(struct ctl_msg *m)
{
	for (unsigned int i = 0; i < m->nr_fds; i++)
		close(m->fds[i]);
	m->nr_fds = 0;
}

int ctl_recv(struct dm *dm, struct ctl_msg *m, bool dontwait)
{
	struct dm_ctl *c = &dm->ctl;
	/* Room for one descriptor more than any message carries, so that
	 * too many shows up as a count rather than as MSG_CTRUNC. */
	union {
		char buf[CMSG_SPACE(sizeof(int) * (DM_MAX_FDS + 1))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { .iov_base = m->raw, .iov_len = sizeof(m->raw) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	bool odd_cmsg = false;
	unsigned int total = 0;
	ssize_t n;

	m->nr_fds = 0;
	do {
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC |
			    (dontwait ? MSG_DONTWAIT : 0));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -2;
		if (errno == ECONNRESET)
			return 0;
		snprintf(c->why, sizeof(c->why), "recvmsg: %s",
			 strerror(errno));
		return -1;
	}
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		size_t nfd;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			odd_cmsg = true;
			continue;
		}
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(fd));
			total++;
			if (m->nr_fds < ARRAY_SIZE(m->fds))
				m->fds[m->nr_fds++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0) {
		/* EOF (SEQPACKET has no empty messages from a live peer). */
		ctl_msg_close_fds(m);
		return 0;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC) || odd_cmsg) {
		snprintf(c->why, sizeof(c->why), "%s",
			 mh.msg_flags & MSG_TRUNC ?
			 "message longer than DM_MSG_MAX" :
			 mh.msg_flags & MSG_CTRUNC ?
			 "too many descriptors (MSG_CTRUNC)" :
			 "control data other than SCM_RIGHTS");
		ctl_msg_close_fds(m);
		return -1;
	}
	if (!ctl_check(m->raw, (size_t)n, total, c->received + 1, c->why,
		       sizeof(c->why))) {
		ctl_msg_close_fds(m);
		return -1;
	}
	c->received = m->hdr.seq;
	return 1;
}

/* --------------------------------------------------- requests (setup) */

static const char *recent_claim(struct dm_ctl *c, uint32_t seq)
{
	const struct ctl_sent *s = &c->recent[seq % CTL_RECENT];

	return s->seq == seq && seq ? s->what : NULL;
}

void ctl_report_nack(struct dm *dm, const struct dm_msg_status *st)
{
	struct dm_ctl *c = &dm->ctl;
	const char *what;
	char line[200];

	pthread_mutex_lock(&c->send_lock);
	what = recent_claim(c, st->req_seq);
	snprintf(line, sizeof(line), "the hypervisor refused %s (message "
		 "%u): %s", what ? what : "a request", st->req_seq,
		 strerror(-st->status));
	pthread_mutex_unlock(&c->send_lock);
	if (!c->ready || st->req_seq < c->ready_seq)
		dm_fatal(dm, "%s", line); /* a device that is not there */
	else
		log_guest("%s", line);    /* e.g. a BAR the guest moved */
}

int ctl_request(struct dm *dm, uint16_t type, void *msg, size_t len,
		int *fds, unsigned int nr_fds, const char *what)
{
	struct dm_ctl *c = &dm->ctl;
	struct ctl_msg m;
	uint32_t seq;

	if (c->ready) {
		log_error("internal error: %s after READY (only during "
			  "device creation)", msg_name(type));
		return -1;
	}
	if (ctl_send(dm, type, msg, len, NULL, 0) < 0)
		return -1;
	seq = ((struct dm_msg_hdr *)msg)->seq;
	for (;;) {
		int r = ctl_recv(dm, &m, false);

		if (r == 0) { /* the hypervisor is gone */
			dm->orphaned = true;
			dm_exit(dm, 0);
		}
		if (r < 0) {
			log_error("hypervisor protocol error: %s", c->why);
			return -1;
		}
		if (m.hdr.type == DM_MSG_NACK &&
		    m.status.req_seq != seq) {
			ctl_report_nack(dm, &m.status);
			continue; /* not reached: that is fatal in setup */
		}
		if (m.hdr.type == DM_MSG_NACK) {
			log_error("the hypervisor refused %s: %s", what,
				  strerror(-m.status.status));
			return -1;
		}
		if (m.hdr.type != DM_MSG_FDS || m.fds_msg.req_seq != seq ||
		    m.nr_fds != nr_fds) {
			log_error("hypervisor protocol error: %s (seq %u) "
				  "while waiting for the answer to %s "
				  "(seq %u) with %u descriptors",
				  msg_name(m.hdr.type), m.hdr.seq,
				  msg_name(type), seq, nr_fds);
			ctl_msg_close_fds(&m);
			return -1;
		}
		memcpy(fds, m.fds, sizeof(int) * nr_fds);
		return 0;
	}
}
