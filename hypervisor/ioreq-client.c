/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sending ioreqs to the device model (protocol in include/hvmkit/ioreq.h).
 *
 * Waiting: the vCPU thread first spins for a short while, because the
 * device model's thread for this slot spins too after each request and
 * usually answers within a microsecond or two; after 5 us it spins by
 * sched_yield() (on a loaded host the device model's thread may need this
 * CPU), and after 50 us it sets hv_sleeping and FUTEX_WAITs on the state
 * word.  A vCPU thread that may run on one CPU only sleeps at once
 * (thread_may_spin): the device model's thread would need that CPU.  Both
 * sides use the Dekker pattern (store own flag, full fence, load the
 * other's), so a wake is never lost and is only a system call when the
 * other side sleeps.
 * Reads of a claim with a read shadow are answered without a request, and
 * posted writes are told apart as latches and doorbells, in
 * ioreq-shadow.c; the edges in an answer are raised before the vCPU goes
 * on (ioreq.h, "Edges").
 * The wait is bounded by the device-model timeout: a device model that
 * does not answer is a failed device model (docs/architecture.md).
 */
#define _GNU_SOURCE
#include "ioreq-client.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dm-kvm.h"
#include "dm-link.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"
#include "vm.h"

/* How long a vCPU spins for an answer before sleeping. */
#define IOREQ_SPIN_NS 50000ull
/* ... of which the first part without giving up the CPU. */
#define IOREQ_SPIN_PURE_NS 5000ull
/* Sleep slices while waiting: the longest a vCPU takes to notice that the
 * device model died or the VM is stopping, if nobody wakes it. */
#define IOREQ_SLICE_NS 20000000ull

uint64_t ioreq_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void futex_wait(uint32_t *word, uint32_t val, uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	syscall(SYS_futex, word, FUTEX_WAIT, val, &ts, NULL, 0);
}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

int ioreq_client_create(struct ioreq_client *c, unsigned int nr_vcpus)
{
	struct ioreq_area_header *h;

	memset(c, 0, sizeof(*c));
	c->nr_vcpus = nr_vcpus;
	c->size = IOREQ_AREA_SIZE(nr_vcpus);
	c->fd = memfd_create("hvmkit-ioreq", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	/* Sealed at its size, so no holder of the fd can shrink it under
	 * the hypervisor's mapping (SIGBUS). */
	if (c->fd < 0 || ftruncate(c->fd, (off_t)c->size) < 0 ||
	    fcntl(c->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		  F_SEAL_SEAL) < 0) {
		log_error("cannot create the ioreq area: %s", strerror(errno));
		goto fail;
	}
	c->area = mmap(NULL, c->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       c->fd, 0);
	if (c->area == MAP_FAILED) {
		c->area = NULL;
		log_error("cannot map the ioreq area: %s", strerror(errno));
		goto fail;
	}
	h = (struct ioreq_area_header *)c->area;
	h->magic = IOREQ_MAGIC;
	h->version = IOREQ_VERSION;
	h->nr_vcpus = nr_vcpus;
	h->vcpu_stride = (uint32_t)IOREQ_VCPU_STRIDE;
	return 0;
fail:
	ioreq_client_destroy(c);
	return -1;
}

void ioreq_client_destroy(struct ioreq_client *c)
{
	if (c->area)
		munmap(c->area, c->size);
	if (c->fd >= 0)
		close(c->fd);
	c->area = NULL;
	c->fd = -1;
}

struct ioreq_vcpu *ioreq_client_slot(const struct ioreq_client *c,
				     unsigned int vcpu)
{
	return (struct ioreq_vcpu *)(c->area + IOREQ_VCPU_OFFSET(vcpu));
}

void ioreq_client_wake_all(const struct ioreq_client *c)
{
	for (unsigned int i = 0; c->area && i < c->nr_vcpus; i++)
		syscall(SYS_futex, &ioreq_client_slot(c, i)->state,
			FUTEX_WAKE, 1 << 30, NULL, NULL, 0);
}

/* Tells the device model's thread for this slot that there is work. */
static void ring_doorbell(struct ioreq_vcpu *s)
{
	__atomic_fetch_add(&s->doorbell, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->dm_sleeping, __ATOMIC_SEQ_CST))
		futex_wake(&s->doorbell);
}

bool ioreq_send_posted(struct vm *vm, unsigned int vcpu,
		       const struct ioreq *req, uint32_t flags)
{
	struct ioreq_vcpu *s = ioreq_client_slot(&vm->dm->ioreq, vcpu);
	uint32_t head = s->posted_head;
	uint32_t tail = __atomic_load_n(&s->posted_tail, __ATOMIC_ACQUIRE);
	struct ioreq_posted *p;

	if (head - tail >= IOREQ_POSTED_SLOTS)
		return false;
	/* Other vCPU threads read pending entries (ioreq-shadow.c). */
	p = &s->posted[head % IOREQ_POSTED_SLOTS];
	__atomic_store_n(&p->addr, req->addr, __ATOMIC_RELAXED);
	__atomic_store_n(&p->data, req->data, __ATOMIC_RELAXED);
	__atomic_store_n(&p->size, req->size, __ATOMIC_RELAXED);
	__atomic_store_n(&p->type, req->type, __ATOMIC_RELAXED);
	__atomic_store_n(&p->range_id, req->range_id, __ATOMIC_RELAXED);
	__atomic_store_n(&p->flags, flags, __ATOMIC_RELAXED);
	__atomic_store_n(&s->posted_head, head + 1, __ATOMIC_RELEASE);
	ring_doorbell(s);
	return true;
}

static const char *ioreq_describe(const struct ioreq *req, char *buf,
				  size_t len)
{
	static const char *const types[] = { "port I/O", "MMIO",
					     "PCI config" };

	snprintf(buf, len, "%s %s of %#llx", types[req->type],
		 req->dir == IOREQ_WRITE ? "write" : "read",
		 (unsigned long long)req->addr);
	return buf;
}

/* Waits for state DONE.  0, or -1 on failure, stop or timeout. */
static int ioreq_wait(struct vm *vm, unsigned int vcpu,
		      struct ioreq_vcpu *s, const struct ioreq *req)
{
	struct dm_link *dm = vm->dm;
	uint64_t start = ioreq_clock_ns(), deadline;
	char what[64];

	for (unsigned int i = 1; thread_may_spin(start); i++) {
		uint64_t spent;

		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) ==
		    IOREQ_STATE_DONE)
			return 0;
		if (i % 64) {
			cpu_relax();
			continue;
		}
		spent = ioreq_clock_ns() - start;
		if (spent > IOREQ_SPIN_NS)
			break;
		/* On a busy host the device model's thread may be waiting
		 * for this very CPU: after the first microseconds, spin by
		 * yielding it. */
		if (spent > IOREQ_SPIN_PURE_NS)
			sched_yield();
	}
	deadline = start + (uint64_t)dm->cfg.timeout_ms * 1000000ull;
	__atomic_store_n(&s->hv_sleeping, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		uint64_t now;

		if (__atomic_load_n(&s->state, __ATOMIC_SEQ_CST) ==
		    IOREQ_STATE_DONE)
			break;
		if (atomic_load(&dm->dead) || vm_stopping(vm)) {
			__atomic_store_n(&s->hv_sleeping, 0, __ATOMIC_RELAXED);
			return -1;
		}
		now = ioreq_clock_ns();
		if (now >= deadline) {
			__atomic_store_n(&s->hv_sleeping, 0, __ATOMIC_RELAXED);
			dm_link_fail(vm, "device model (pid %d) did not answer "
				     "a %s from vCPU %u within %u ms",
				     (int)dm->pid, ioreq_describe(req, what,
				     sizeof(what)), vcpu, dm->cfg.timeout_ms);
			return -1;
		}
		futex_wait(&s->state, IOREQ_STATE_READY,
			   deadline - now < IOREQ_SLICE_NS ?
			   deadline - now : IOREQ_SLICE_NS);
	}
	__atomic_store_n(&s->hv_sleeping, 0, __ATOMIC_RELAXED);
	return 0;
}

int ioreq_send_sync(struct vm *vm, unsigned int vcpu, const struct ioreq *req,
		    uint8_t *data, uint32_t *ctl_seq)
{
	struct ioreq_vcpu *s = ioreq_client_slot(&vm->dm->ioreq, vcpu);
	size_t bytes = (size_t)req->size * req->count;
	uint32_t edges;
	uint64_t value;
	int err;

	if (atomic_load(&vm->dm->dead))
		goto failed;
	/* Only an abandoned wait (VM stopping) leaves a slot busy; a busy
	 * slot otherwise means the device model wrote it on its own. */
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != IOREQ_STATE_IDLE) {
		if (!vm_stopping(vm))
			dm_link_fail(vm, "device model (pid %d) changed the "
				     "state of vCPU %u's idle ioreq slot",
				     (int)vm->dm->pid, vcpu);
		goto failed;
	}
	s->req = *req;
	s->req.ctl_seq = 0;
	s->req.edge_gsis = 0;
	if (req->count > 1 && req->dir == IOREQ_WRITE)
		memcpy(s->buf, data, bytes);
	__atomic_store_n(&s->state, IOREQ_STATE_READY, __ATOMIC_SEQ_CST);
	ring_doorbell(s);
	if (ioreq_wait(vm, vcpu, s, req) < 0)
		goto failed;
	/* The response is read once; only data, ctl_seq and edge_gsis are
	 * used. */
	value = __atomic_load_n(&s->req.data, __ATOMIC_RELAXED);
	*ctl_seq = __atomic_load_n(&s->req.ctl_seq, __ATOMIC_RELAXED);
	edges = __atomic_load_n(&s->req.edge_gsis, __ATOMIC_RELAXED);
	if (req->dir == IOREQ_READ) {
		if (req->count > 1)
			memcpy(data, s->buf, bytes);
		else
			memcpy(data, &value, req->size);
	}
	__atomic_store_n(&s->state, IOREQ_STATE_IDLE, __ATOMIC_RELEASE);
	if (edges && (err = dm_kvm_raise_edges(vm, edges)) < 0) {
		dm_link_fail(vm, "device model (pid %d) answered vCPU %u "
			     "with interrupts %#x it cannot raise: %s",
			     (int)vm->dm->pid, vcpu, edges, strerror(-err));
		return -1;
	}
	return 0;
failed:
	if (req->dir == IOREQ_READ)
		memset(data, 0xff, bytes);
	*ctl_seq = 0;
	return -1;
}
