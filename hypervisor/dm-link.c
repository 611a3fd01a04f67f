/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control channel to the device model (include/hvmkit/dm-proto.h) and
 * its lifecycle: start and setup, requests and answers, failure detection
 * and the end.  Runs on the main thread, except dm_link_fail() and the
 * vCPU-side helpers at the bottom.
 *
 * Nothing the device model sends is trusted: every message is checked for
 * magic, version, sequence number, exact size for its type, field ranges
 * and carried descriptors before it has any effect, and a violation ends
 * the device model as failed.
 */
#define _GNU_SOURCE
#include "dm-link.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dm-kvm.h"
#include "dm-spawn.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"
#include "vcpu.h"
#include "vm.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- send */

static int dm_kill(struct dm_link *dm);

static int dm_send(struct dm_link *dm, void *msg, size_t len, unsigned int type,
		   const int *fds, unsigned int nr_fds)
{
	dm_msg_init(msg, len, type, ++dm->tx_seq);
	/* Never block the main thread on a device model that does not
	 * read its socket: a full socket is its failure. */
	if (dm->ctl_fd < 0)
		return -1;
	if (dm_msg_send(dm->ctl_fd, msg, len, fds, nr_fds,
			MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len) {
		if (errno == EAGAIN && dm->vm)
			dm_link_fail(dm->vm, "device model (pid %d) does not "
				     "read its control channel", (int)dm->pid);
		return -1;
	}
	return 0;
}

static void dm_send_status(struct dm_link *dm, unsigned int type,
			   uint32_t req_seq, int status)
{
	struct dm_msg_status m = { .req_seq = req_seq, .status = status };

	dm_send(dm, &m, sizeof(m), type, NULL, 0);
}

static void dm_send_fds(struct dm_link *dm, uint32_t req_seq, const int *fds,
			unsigned int nr)
{
	struct dm_msg_fds m = { .req_seq = req_seq, .nr_fds = nr };

	dm_send(dm, &m, sizeof(m), DM_MSG_FDS, fds, nr);
}

/* ------------------------------------------------------------- failure */

/* SIGKILL through the pidfd: it cannot hit a recycled pid, and the pidfd
 * lives as long as the link. */
static int dm_kill(struct dm_link *dm)
{
	if (dm->pidfd < 0)
		return -1;
	return (int)syscall(SYS_pidfd_send_signal, dm->pidfd, SIGKILL, NULL,
			    0);
}

void dm_link_fail(struct vm *vm, const char *fmt, ...)
{
	struct dm_link *dm = vm->dm;
	char msg[512];
	va_list ap;
	bool was_dead = false;

	if (!atomic_compare_exchange_strong(&dm->dead, &was_dead, true))
		return; /* the first failure is the one reported */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (dm->ready)
		log_error("%s; stopping the guest", msg);
	else
		log_error("%s", msg);
	dm_kill(dm);
	vm_request_stop(vm, VM_STOP_DM_FAILURE, EXIT_DM_FAILURE);
	vm_wake_vcpus(vm);
}

/* ------------------------------------------------------------- receive */

static size_t dm_msg_size(unsigned int type)
{
	switch (type) {
	case DM_MSG_IRQ_REQ:
		return sizeof(struct dm_msg_irq_req);
	case DM_MSG_IOEVENTFD_REQ:
		return sizeof(struct dm_msg_ioeventfd_req);
	case DM_MSG_CLAIM_RANGE:
	case DM_MSG_RELEASE_RANGE:
		return sizeof(struct dm_msg_range);
	case DM_MSG_CLAIM_PCI:
	case DM_MSG_RELEASE_PCI:
		return sizeof(struct dm_msg_pci);
	case DM_MSG_MSI:
		return sizeof(struct dm_msg_msi);
	case DM_MSG_CONSOLE:
	case DM_MSG_ERROR:
		return sizeof(struct dm_msg_text);
	case DM_MSG_ACK:
		return sizeof(struct dm_msg_status);
	case DM_MSG_MEDIA_ACK:
		return sizeof(struct dm_msg_media_ack);
	case DM_MSG_READY:
	case DM_MSG_GUEST_POWEROFF:
	case DM_MSG_GUEST_RESET:
		return sizeof(struct dm_msg_hdr);
	case DM_MSG_GUEST_SLEEP:
		return sizeof(struct dm_msg_sleep);
	default:
		return 0;
	}
}

static bool dm_text_ok(const struct dm_msg_text *m)
{
	return dm_msg_text_ok(m->text, sizeof(m->text));
}

static void dm_handle_irq_req(struct vm *vm, const struct dm_msg_irq_req *m)
{
	struct dm_link *dm = vm->dm;
	int fds[2] = { -1, -1 };
	unsigned int nr;
	int err = dm_kvm_irq(vm, m, fds, &nr);

	if (err) {
		log_info("device model's interrupt request for GSI %u "
			 "refused: %s", m->gsi, strerror(-err));
		dm_send_status(dm, DM_MSG_NACK, m->hdr.seq, err);
		return;
	}
	dm_send_fds(dm, m->hdr.seq, fds, nr);
}

static void dm_handle_ioeventfd_req(struct vm *vm,
				    const struct dm_msg_ioeventfd_req *m)
{
	int fd = -1;
	int err = dm_kvm_ioeventfd(vm, m, &fd);

	if (err) {
		log_info("device model's ioeventfd at %#llx refused: %s",
			 (unsigned long long)m->addr, strerror(-err));
		dm_send_status(vm->dm, DM_MSG_NACK, m->hdr.seq, err);
		return;
	}
	dm_send_fds(vm->dm, m->hdr.seq, &fd, 1);
}

static void dm_handle_range(struct vm *vm, const struct dm_msg_range *m)
{
	bool claim = m->hdr.type == DM_MSG_CLAIM_RANGE;
	int err = claim ? dm_kvm_claim(vm, m) : dm_kvm_release(vm, m);

	if (!err)
		return;
	/* The device model reports a refused claim itself; after setup the
	 * address usually comes from a guest-programmed BAR. */
	log_guest_at(LOG_INFO, "device model's %s of %s %#llx+%#llx "
		     "refused: %s",
		     claim ? "claim" : "release",
		     m->space == IOREQ_TYPE_PIO ? "ports" : "MMIO",
		     (unsigned long long)m->base, (unsigned long long)m->len,
		     strerror(-err));
	dm_send_status(vm->dm, DM_MSG_NACK, m->hdr.seq, err);
}

static void dm_handle_pci(struct vm *vm, const struct dm_msg_pci *m)
{
	uint32_t bit = 1u << (m->devfn % 32);

	if (m->hdr.type == DM_MSG_CLAIM_PCI)
		atomic_fetch_or(&vm->dm->pci_claimed[m->devfn / 32], bit);
	else
		atomic_fetch_and(&vm->dm->pci_claimed[m->devfn / 32], ~bit);
}

/* Returns false on a protocol violation (already reported). */
static bool dm_dispatch(struct vm *vm, const void *buf, size_t len)
{
	struct dm_link *dm = vm->dm;
	const struct dm_msg_hdr *h = buf;
	size_t want;

	if (len < sizeof(*h) || h->magic != DM_PROTO_MAGIC ||
	    h->version != DM_PROTO_VERSION || h->len != len) {
		dm_link_fail(vm, "device model sent a malformed message");
		return false;
	}
	want = dm_msg_size(h->type);
	if (!want || want != len) {
		dm_link_fail(vm, "device model sent a message of unknown type "
			     "%u or wrong size %zu", h->type, len);
		return false;
	}
	if (h->seq != dm->rx_seq + 1) {
		dm_link_fail(vm, "device model sent message %u out of "
			     "sequence (expected %u)", h->seq, dm->rx_seq + 1);
		return false;
	}
	dm->rx_seq = h->seq;
	switch (h->type) {
	case DM_MSG_IRQ_REQ:
	case DM_MSG_IOEVENTFD_REQ:
		if (dm->ready) {
			dm_link_fail(vm, "device model asked for interrupt "
				     "or doorbell fds after setup");
			return false;
		}
		if (h->type == DM_MSG_IRQ_REQ)
			dm_handle_irq_req(vm, buf);
		else
			dm_handle_ioeventfd_req(vm, buf);
		break;
	case DM_MSG_CLAIM_RANGE:
	case DM_MSG_RELEASE_RANGE:
		dm_handle_range(vm, buf);
		break;
	case DM_MSG_CLAIM_PCI:
	case DM_MSG_RELEASE_PCI:
		if (((const struct dm_msg_pci *)buf)->devfn > 255) {
			dm_link_fail(vm, "device model claimed PCI function "
				     "%u", ((const struct dm_msg_pci *)buf)->devfn);
			return false;
		}
		dm_handle_pci(vm, buf);
		break;
	case DM_MSG_MSI: {
		const struct dm_msg_msi *m = buf;
		int err = dm_kvm_msi(vm, m);

		/* The address and data come from guest-programmed MSI
		 * registers: a bad pair is a guest mistake. */
		if (err)
			log_guest("MSI to %#llx data %#x not delivered: %s",
				  (unsigned long long)m->addr, m->data,
				  strerror(-err));
		break;
	}
	case DM_MSG_CONSOLE:
	case DM_MSG_ERROR: {
		const struct dm_msg_text *m = buf;

		if (!dm_text_ok(m)) {
			dm_link_fail(vm, "device model sent an unterminated "
				     "or unprintable text");
			return false;
		}
		if (h->type == DM_MSG_CONSOLE) {
			snprintf(dm->console, sizeof(dm->console), "%s",
				 m->text);
			log_info("guest console: %s", dm->console);
		} else {
			snprintf(dm->error, sizeof(dm->error), "%s", m->text);
		}
		break;
	}
	case DM_MSG_READY:
		if (dm->ready) {
			dm_link_fail(vm, "device model reported ready twice");
			return false;
		}
		dm->ready = true;
		break;
	case DM_MSG_ACK: {
		const struct dm_msg_status *m = buf;

		if (m->status > 0 || m->status < -4095) {
			dm_link_fail(vm, "device model answered with status "
				     "%d", m->status);
			return false;
		}
		if (m->req_seq == dm->ack_wait_seq && !dm->ack_received &&
		    dm->ack_wait_type == DM_MSG_ACK) {
			dm->ack_received = true;
			dm->ack_status = m->status;
		}
		break;
	}
	case DM_MSG_MEDIA_ACK: {
		const struct dm_msg_media_ack *m = buf;

		if (m->status > 0 || m->status < -4095 ||
		    !dm_msg_text_ok(m->text, sizeof(m->text)) ||
		    (m->status && !m->text[0])) {
			dm_link_fail(vm, "device model answered a media change "
				     "with status %d and a bad reason text",
				     m->status);
			return false;
		}
		if (m->req_seq == dm->ack_wait_seq && !dm->ack_received &&
		    dm->ack_wait_type == DM_MSG_MEDIA_ACK) {
			dm->ack_received = true;
			dm->ack_status = m->status;
			snprintf(dm->ack_text, sizeof(dm->ack_text), "%s",
				 m->text);
		} else if (dm->media_late && m->req_seq == dm->media_late_seq) {
			/* The answer to a change whose client was told it
			 * timed out: only the log hears how it ended. */
			dm->media_late = false;
			if (m->status)
				log_warn("media change of %s answered late: "
					 "%s", dm->media_late_vdev, m->text);
			else
				log_warn("media change of %s answered late: "
					 "done", dm->media_late_vdev);
		}
		break;
	}
	case DM_MSG_GUEST_POWEROFF:
		vm_guest_poweroff(vm);
		break;
	case DM_MSG_GUEST_RESET:
		vm_guest_reboot(vm);
		break;
	case DM_MSG_GUEST_SLEEP: {
		const struct dm_msg_sleep *m = buf;

		log_guest("guest asked for ACPI sleep (SLP_TYP %u): hvmkit "
			  "has no sleep states; the guest keeps running",
			  m->slp_typ & 7);
		break;
	}
	}
	pthread_mutex_lock(&dm->ctl_lock);
	atomic_store(&dm->ctl_done, dm->rx_seq);
	pthread_cond_broadcast(&dm->ctl_cond);
	pthread_mutex_unlock(&dm->ctl_lock);
	return true;
}

/* Reads and handles every queued message.  Returns -1 when the channel is
 * closed or broken. */
static int dm_receive(struct vm *vm)
{
	struct dm_link *dm = vm->dm;
	union {
		char buf[CMSG_SPACE(sizeof(int) * DM_MAX_FDS)];
		struct cmsghdr align;
	} u;
	uint64_t buf[DM_MSG_MAX / 8];

	/* A bounded batch per call, so that a device model flooding its
	 * channel cannot keep the main thread from signals, the control
	 * socket and its own deadlines. */
	for (unsigned int batch = 0; batch < 32 && dm->ctl_fd >= 0 &&
	     !atomic_load(&dm->dead); batch++) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
		};
		ssize_t n = recvmsg(dm->ctl_fd, &mh,
				    MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		bool had_fds = false;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;
		/* The device model never sends descriptors. */
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) /
			     sizeof(int); i++)
				close(((int *)CMSG_DATA(c))[i]);
			had_fds = true;
		}
		if (had_fds || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
			dm_link_fail(vm, "device model sent an oversized "
				     "message or descriptors");
			return -1;
		}
		if (!dm_dispatch(vm, buf, (size_t)n))
			return -1;
	}
	return 0;
}

/* The device-model process ended: reap it and report unless expected. */
static void dm_exited(struct vm *vm)
{
	struct dm_link *dm = vm->dm;
	char how[160];
	int status = dm_reap(dm->pid, dm->pidfd, 0);
	pid_t pid = dm->pid;

	dm->pid = -1;
	if (dm->quitting)
		return;
	/* Status 2 before READY: it rejected its command line and said why
	 * on stderr itself; a second line would only repeat it. */
	if (!dm->ready && !dm->error[0] && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 2) {
		atomic_store(&dm->dead, true);
		return;
	}
	dm_describe_status(status, how, sizeof(how));
	if (dm->error[0])
		dm_link_fail(vm, "device model: %s", dm->error);
	else
		dm_link_fail(vm, "device model (pid %d) %s", (int)pid, how);
}

unsigned int dm_link_pollfds(struct vm *vm, struct pollfd *pfd)
{
	struct dm_link *dm = vm->dm;
	unsigned int n = 0;

	if (!dm)
		return 0;
	pfd[n++] = (struct pollfd){ .fd = dm->ctl_fd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = dm->pid > 0 ? dm->pidfd : -1,
				    .events = POLLIN };
	return n;
}

void dm_link_handle(struct vm *vm, const struct pollfd *pfd)
{
	struct dm_link *dm = vm->dm;

	if (!dm)
		return;
	if (pfd[0].revents && dm_receive(vm) < 0 && dm->ctl_fd >= 0) {
		/* Closed or broken: the exit status tells why, if it
		 * exited; otherwise it is a failure of its own. */
		close(dm->ctl_fd);
		dm->ctl_fd = -1;
		if (!dm->quitting && dm->pid > 0) {
			struct pollfd p = { .fd = dm->pidfd, .events = POLLIN };

			if (poll(&p, 1, 1000) > 0)
				dm_exited(vm);
			else
				dm_link_fail(vm, "device model (pid %d) closed "
					     "its control channel",
					     (int)dm->pid);
		}
	}
	if (pfd[1].revents && dm->pid > 0)
		dm_exited(vm);
}

/* Processes control messages until *done, the device model fails, or
 * deadline (ms) passes; returns true if *done. */
static bool dm_pump_until(struct vm *vm, const bool *done, uint64_t deadline)
{
	struct dm_link *dm = vm->dm;

	while (!*done && !atomic_load(&dm->dead)) {
		struct pollfd pfd[2];
		uint64_t now = now_ms();

		if (now >= deadline)
			return false;
		dm_link_pollfds(vm, pfd);
		if (poll(pfd, 2, (int)(deadline - now)) < 0 && errno != EINTR) {
			dm_link_fail(vm, "poll: %s", strerror(errno));
			break;
		}
		dm_link_handle(vm, pfd);
	}
	return *done;
}

/* Sends a request and waits for its answer (answer_type).  Returns the
 * answer's status (dm->ack_received is set then), -EIO if it was not
 * sent or the device model failed, or -ETIMEDOUT if no answer came within
 * timeout_ms and !fatal_timeout (otherwise that is a failure: -EIO). */
static int dm_request(struct vm *vm, void *msg, size_t len, unsigned int type,
		      const int *fds, unsigned int nr_fds,
		      unsigned int answer_type, const char *name,
		      unsigned int timeout_ms, bool fatal_timeout)
{
	struct dm_link *dm = vm->dm;

	/* No answer yet, and none of an earlier request stays visible. */
	dm->ack_wait_type = 0;
	dm->ack_received = false;
	dm->ack_status = -EIO;
	dm->ack_text[0] = '\0';
	if (atomic_load(&dm->dead) || dm_send(dm, msg, len, type, fds,
					      nr_fds) < 0)
		return -EIO;
	dm->ack_wait_seq = dm->tx_seq;
	dm->ack_wait_type = answer_type;
	if (dm_pump_until(vm, &dm->ack_received, now_ms() + timeout_ms))
		return dm->ack_status;
	dm->ack_wait_type = 0;    /* a late answer is not this one */
	if (atomic_load(&dm->dead))
		return -EIO;
	if (!fatal_timeout)
		return -ETIMEDOUT;
	dm_link_fail(vm, "device model (pid %d) did not answer a %s request "
		     "within %u ms", (int)dm->pid, name, timeout_ms);
	return -EIO;
}

int dm_link_call(struct vm *vm, unsigned int type)
{
	static const char *const names[] = {
		[DM_MSG_RESET] = "reset", [DM_MSG_PAUSE] = "pause",
		[DM_MSG_RESUME] = "resume",
		[DM_MSG_POWER_BUTTON] = "power-button",
	};
	struct dm_link *dm = vm->dm;
	struct dm_msg_hdr m;

	if (!dm)
		return type == DM_MSG_POWER_BUTTON ? -ENOTSUP : 0;
	return dm_request(vm, &m, sizeof(m), type, NULL, 0, DM_MSG_ACK,
			  names[type], dm->cfg.timeout_ms, true);
}

int dm_link_media(struct vm *vm, const char *vdev, int fd, const char *path,
		  char *why, size_t why_len)
{
	struct dm_link *dm = vm->dm;
	struct dm_msg_media m;
	unsigned int timeout_ms;
	int status;

	if (!dm) {
		snprintf(why, why_len, "no drive %s (no device model)", vdev);
		return -1;
	}
	memset(&m, 0, sizeof(m));
	if (strlen(vdev) >= sizeof(m.vdev)) {
		snprintf(why, why_len, "no drive %.32s", vdev);
		return -1;
	}
	strcpy(m.vdev, vdev);
	m.insert = fd >= 0;
	if (fd >= 0) {
		size_t n = strlen(path);

		/* Only for messages: a long path keeps its end. */
		if (n < sizeof(m.path))
			strcpy(m.path, path);
		else
			snprintf(m.path, sizeof(m.path), "...%s",
				 path + n - (sizeof(m.path) - 4));
		/* The device model takes only printable text (the file
		 * itself travels as the descriptor). */
		dm_msg_text_printable(m.path, '?');
	}
	timeout_ms = dm->cfg.timeout_ms > DM_MEDIA_TIMEOUT_MS ?
		     dm->cfg.timeout_ms : DM_MEDIA_TIMEOUT_MS;
	/* A slow change (the drive's requests in flight first) is not a
	 * failure of the device model: the client hears of it, the domain
	 * goes on, and a late answer is only logged. */
	status = dm_request(vm, &m, sizeof(m), DM_MSG_MEDIA, &fd, fd >= 0,
			    DM_MSG_MEDIA_ACK, "media change", timeout_ms,
			    false);
	if (dm->ack_received) {
		if (!status)
			return 0;
		snprintf(why, why_len, "%s", dm->ack_text);
	} else if (status == -ETIMEDOUT) {
		dm->media_late = true;
		dm->media_late_seq = dm->ack_wait_seq;
		snprintf(dm->media_late_vdev, sizeof(dm->media_late_vdev),
			 "%s", vdev);
		if (timeout_ms % 1000)
			snprintf(why, why_len, "%s: the device model did not "
				 "answer within %u ms", vdev, timeout_ms);
		else
			snprintf(why, why_len, "%s: the device model did not "
				 "answer within %u s", vdev, timeout_ms / 1000);
	} else if (atomic_load(&dm->dead)) {
		snprintf(why, why_len, "%s: the device model failed", vdev);
	} else {
		snprintf(why, why_len, "%s: the device model did not answer",
			 vdev);
	}
	return -1;
}

/* --------------------------------------------------------------- setup */

static int dm_send_setup(struct vm *vm)
{
	struct dm_link *dm = vm->dm;
	const struct memory_layout *l = &vm->mem.layout;
	struct dm_msg_setup m = {
		.nr_vcpus = vm->cfg.nr_vcpus,
		.ram_fd_size = vm->cfg.ram_size,
		.ioreq_size = dm->ioreq.size,
	};
	int fds[2] = { vm->mem.ram_fd, dm->ioreq.fd };

	for (unsigned int i = 0; i < l->nr_blocks; i++) {
		struct dm_ram_block *last = m.nr_ram_blocks ?
			&m.ram[m.nr_ram_blocks - 1] : NULL;

		if (l->blocks[i].is_firmware)
			continue;
		/* Blocks that continue each other in the guest and in the
		 * memfd are one block to the device model (the BIOS shadow
		 * and the RAM around it). */
		if (last && last->gpa + last->size == l->blocks[i].gpa &&
		    last->offset + last->size == l->blocks[i].offset) {
			last->size += l->blocks[i].len;
			continue;
		}
		if (m.nr_ram_blocks == DM_MAX_RAM_BLOCKS) {
			errno = E2BIG;
			return -1;
		}
		m.ram[m.nr_ram_blocks++] = (struct dm_ram_block){
			.gpa = l->blocks[i].gpa, .size = l->blocks[i].len,
			.offset = l->blocks[i].offset,
		};
	}
	return dm_send(dm, &m, sizeof(m), DM_MSG_SETUP, fds, 2);
}

static void dm_link_free(struct vm *vm)
{
	struct dm_link *dm = vm->dm;

	/* A device model that died with the terminal in raw mode. */
	if (dm->tty_saved)
		tcsetattr(0, TCSANOW, &dm->saved_tty);
	if (dm->ctl_fd >= 0)
		close(dm->ctl_fd);
	if (dm->pidfd >= 0)
		close(dm->pidfd);
	dm_kvm_destroy(vm);
	ioreq_client_destroy(&dm->ioreq);
	pthread_mutex_destroy(&dm->ctl_lock);
	pthread_cond_destroy(&dm->ctl_cond);
	pthread_mutex_destroy(&dm->coalesced_lock);
	free(dm);
	vm->dm = NULL;
}

int dm_link_start(struct vm *vm, const struct dm_config *cfg)
{
	struct dm_link *dm;
	int sv[2];
	char *path;

	if (cfg->path && !strcmp(cfg->path, "none"))
		return 0;
	path = dm_spawn_find(cfg->path);
	if (!path)
		return -1;
	dm = calloc(1, sizeof(*dm));
	if (!dm) {
		free(path);
		log_error("out of memory");
		return -1;
	}
	vm->dm = dm;
	dm->vm = vm;
	dm->cfg = *cfg;
	if (!dm->cfg.timeout_ms)
		dm->cfg.timeout_ms = DM_DEFAULT_TIMEOUT_MS;
	dm->ctl_fd = dm->pidfd = -1;
	dm->ioreq.fd = -1;
	pthread_mutex_init(&dm->ctl_lock, NULL);
	pthread_cond_init(&dm->ctl_cond, NULL);
	pthread_mutex_init(&dm->coalesced_lock, NULL);
	if (ioreq_client_create(&dm->ioreq, vm->cfg.nr_vcpus) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_error("socketpair: %s", strerror(errno));
		goto fail;
	}
	dm->tty_saved = isatty(0) && tcgetattr(0, &dm->saved_tty) == 0;
	dm->pid = dm_spawn(path, &dm->cfg, sv[1], &dm->pidfd);
	close(sv[1]);
	dm->ctl_fd = sv[0];
	if (dm->pid < 0)
		goto fail;
	/* A device model that is already gone (EPIPE) is reported by the
	 * pump below with how it ended. */
	if (dm_send_setup(vm) < 0 && errno != EPIPE && errno != ECONNRESET) {
		log_error("cannot send the setup to the device model: %s",
			  strerror(errno));
		goto fail;
	}
	if (!dm_pump_until(vm, &dm->ready,
			   now_ms() + DM_SETUP_TIMEOUT_MS)) {
		if (!atomic_load(&dm->dead))
			log_error("device model (pid %d) did not finish its "
				  "setup within %u s", (int)dm->pid,
				  DM_SETUP_TIMEOUT_MS / 1000);
		goto fail;
	}
	free(path);
	log_info("device model running (pid %d)", (int)dm->pid);
	return 0;
fail:
	free(path);
	dm->quitting = true;
	if (dm->pid > 0)
		dm_kill(dm);
	dm_reap(dm->pid, dm->pidfd, 0);
	dm->pid = -1;
	dm_link_free(vm);
	/* The failure is reported; the stop request it made is moot. */
	atomic_store(&vm->stop_reason, VM_RUNNING);
	return -1;
}

/* The sandboxed device model cannot unlink(2) its listening console
 * socket; once it is gone, the hypervisor removes it (if it still is a
 * socket). */
static void dm_remove_console_socket(const struct dm_link *dm)
{
	const char *path;
	struct stat st;

	if (!dm->cfg.serial || strncmp(dm->cfg.serial, "unix:", 5))
		return;
	path = dm->cfg.serial + 5;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
}

int dm_link_rebind(struct vm *vm)
{
	return vm->dm ? dm_kvm_rebind(vm) : 0;
}

void dm_link_stop(struct vm *vm)
{
	struct dm_link *dm = vm->dm;
	struct dm_msg_hdr m;

	if (!dm)
		return;
	dm->quitting = true;
	if (dm->pid > 0) {
		if (!atomic_load(&dm->dead))
			dm_send(dm, &m, sizeof(m), DM_MSG_QUIT, NULL, 0);
		dm_reap(dm->pid, dm->pidfd, dm->cfg.timeout_ms);
		dm->pid = -1;
	}
	dm_remove_console_socket(dm);
	dm_link_free(vm);
}

/* ---------------------------------------------------- vCPU-side helpers */

void dm_link_ctl_barrier(struct vm *vm, uint32_t seq)
{
	struct dm_link *dm = vm->dm;
	struct timespec ts;
	uint64_t deadline;

	if ((int32_t)(atomic_load(&dm->ctl_done) - seq) >= 0)
		return;
	deadline = now_ms() + dm->cfg.timeout_ms;
	pthread_mutex_lock(&dm->ctl_lock);
	while ((int32_t)(atomic_load(&dm->ctl_done) - seq) < 0 &&
	       !atomic_load(&dm->dead) && !vm_stopping(vm) &&
	       !atomic_load(&vm->reset_pending)) {
		if (now_ms() >= deadline) {
			pthread_mutex_unlock(&dm->ctl_lock);
			dm_link_fail(vm, "device model (pid %d) answered an "
				     "I/O request citing control message %u, "
				     "which did not arrive", (int)dm->pid, seq);
			return;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&dm->ctl_cond, &dm->ctl_lock, &ts);
	}
	pthread_mutex_unlock(&dm->ctl_lock);
}

void dm_link_drain_coalesced(struct vm *vm, unsigned int vcpu,
			     void *ring_page)
{
	struct kvm_coalesced_mmio_ring *ring = ring_page;
	const uint32_t max = (4096 - sizeof(*ring)) /
			     sizeof(struct kvm_coalesced_mmio);

	if (__atomic_load_n(&ring->first, __ATOMIC_RELAXED) ==
	    __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&vm->dm->coalesced_lock);
	for (;;) {
		uint32_t first = __atomic_load_n(&ring->first,
						 __ATOMIC_RELAXED);
		struct kvm_coalesced_mmio e;

		if (first == __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE) ||
		    first >= max)
			break;
		e = ring->coalesced_mmio[first];
		if (e.pio && (e.len == 1 || e.len == 2 || e.len == 4))
			iobus_access(&vm->pio, vcpu, e.phys_addr, e.data,
				     e.len, true);
		else if (!e.pio && e.len && e.len <= 8)
			vcpu_mmio_access(vm, vcpu, e.phys_addr, e.data, e.len,
					 true);
		__atomic_store_n(&ring->first, (first + 1) % max,
				 __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->dm->coalesced_lock);
}

bool dm_link_pci_claimed(const struct dm_link *dm, unsigned int devfn)
{
	return devfn < 256 &&
	       (atomic_load(&dm->pci_claimed[devfn / 32]) >> (devfn % 32)) & 1;
}
