/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device model's side of the ioreq transport (include/hvmkit/ioreq.h):
 * one thread per vCPU serving that vCPU's slot in the shared ioreq area.
 *
 * Each thread first drains the posted-write rings (every slot's: its own
 * writes came earlier in the vCPU's program order, and KVM's per-VM
 * coalesced ring may have been moved into another vCPU's ring), then takes
 * a published request: it copies the request (and a REP request's items)
 * out of shared memory once, checks it, handles it under the device-model
 * lock, runs the deferred work the handler left (dm_defer: a DMA from the
 * page cache completes there), and publishes the answer with release
 * semantics, with the edges raised meanwhile (ioreq.h, "Edges").  With no
 * work it spins for a short while (the guest often issues the next access within
 * microseconds, and then neither side makes a system call), then sets
 * dm_sleeping and sleeps in FUTEX_WAIT on the doorbell.  The area is
 * shared between processes, so the futex operations are the shared
 * (non-PRIVATE) ones.
 *
 * A thread that may run on one CPU only (taskset, a cpuset) shares it
 * with the vCPU thread as a rule, and then does two things differently
 * (thread_may_spin, rechecked every second):
 * - It does not spin: the vCPU it waits for would need that CPU.
 * - It runs as SCHED_BATCH, so that the vCPU's posted write waking it
 *   does not preempt the vCPU (CFS wakeup preemption skips batch tasks).
 *   The writes then wait until the vCPU blocks (its next synchronous
 *   access, HLT) or a scheduler tick or two, and come in one batch: the
 *   half-dozen posted writes of an IDE command cost one pair of context
 *   switches instead of one pair each.
 *
 * The hypervisor is trusted with the protocol but not assumed correct: a
 * malformed request or ring index is a fatal protocol error (DM_MSG_ERROR),
 * never an out-of-bounds access.
 */
#define _GNU_SOURCE
#include "dm.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hvmkit/log.h"
#include "hvmkit/util.h"

/* How long a thread spins for more work before it sleeps, and how often
 * (in pause iterations) it looks at the clock meanwhile. */
#define IOREQ_SPIN_NS     50000ull
#define IOREQ_SPIN_PURE_NS 5000ull /* then spin with sched_yield() */
#define IOREQ_SPIN_CHECK  64

struct ioreq_thread {
	struct dm *dm;
	unsigned int vcpu;
	struct ioreq_vcpu *slot;
	pthread_t tid;
	bool own_policy; /* may switch SCHED_OTHER <-> SCHED_BATCH */
	bool batch;
	uint8_t buf[IOREQ_BUF_SIZE]; /* a REP request's items, copied once */
};

struct ioreq_server {
	uint8_t *area;
	size_t size;
	unsigned int nr_vcpus;
	struct ioreq_thread *threads;
	/* Threads that finished starting: the sandbox must come after all
	 * of glibc's thread start-up calls (set_robust_list, rseq...). */
	pthread_mutex_t start_lock;
	pthread_cond_t start_cond;
	unsigned int started;
};

/* Stops the compiler from re-reading shared memory instead of a copy. */
#define compiler_barrier() __asm__ __volatile__("" ::: "memory")

static void futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void futex_wait(uint32_t *word, uint32_t val)
{
	syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0);
}

/* ------------------------------------------------------------ checks */

static bool size_ok(uint32_t size, uint32_t type)
{
	return size == 1 || size == 2 || size == 4 ||
	       (size == 8 && type == IOREQ_TYPE_MMIO);
}

const char *ioreq_check(const struct ioreq *req)
{
	if (req->type > IOREQ_TYPE_PCI_CONFIG)
		return "unknown request type";
	if (req->dir != IOREQ_READ && req->dir != IOREQ_WRITE)
		return "unknown direction";
	if (!size_ok(req->size, req->type))
		return "bad access size";
	if (req->count < 1 || (uint64_t)req->count * req->size >
	    IOREQ_BUF_SIZE)
		return "bad count";
	if (req->count > 1 && req->type != IOREQ_TYPE_PIO)
		return "REP count outside port I/O";
	if (req->type == IOREQ_TYPE_PIO && req->addr >= DM_PIO_LIMIT)
		return "port above 0xffff";
	if (req->type == IOREQ_TYPE_PCI_CONFIG && req->addr > 0xffff)
		return "PCI config address beyond bus 0";
	return NULL;
}

const char *ioreq_check_posted(const struct ioreq_posted *p)
{
	if (p->type != IOREQ_TYPE_PIO && p->type != IOREQ_TYPE_MMIO)
		return "posted write of a bad type";
	if (!size_ok(p->size, p->type))
		return "posted write of a bad size";
	if (p->type == IOREQ_TYPE_PIO && p->addr >= DM_PIO_LIMIT)
		return "posted write above port 0xffff";
	return NULL;
}

static struct ioreq_area_header *header(struct dm *dm)
{
	return (struct ioreq_area_header *)dm->ioreq->area;
}

struct ioreq_shadow *ioreq_server_shadow(struct dm *dm, uint32_t id)
{
	if (!dm->ioreq || id < 1 || id > IOREQ_SHADOWS)
		return NULL;
	return &header(dm)->shadows[id - 1];
}

/* ---------------------------------------------------------- dispatch */

static uint64_t le_load(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size); /* x86: little-endian */
	return v;
}

void ioreq_dispatch(struct dm *dm, struct ioreq *req, uint8_t *buf)
{
	bool is_write = req->dir == IOREQ_WRITE;
	enum dm_space space = (enum dm_space)req->type;

	if (req->type == IOREQ_TYPE_PCI_CONFIG) {
		unsigned int devfn = (unsigned int)(req->addr >> 8);
		unsigned int reg = (unsigned int)(req->addr & 0xff);

		if (is_write)
			pci_config_write(dm, devfn, reg, req->size,
					 (uint32_t)req->data);
		else
			req->data = pci_config_read(dm, devfn, reg,
						    req->size);
		return;
	}
	if (req->count == 1) {
		uint64_t v = ranges_access(dm, space, req->range_id,
					   req->addr, req->size, is_write,
					   req->data);
		if (!is_write)
			req->data = v;
		return;
	}
	/* REP INS/OUTS: every item goes to the same port, in order. */
	for (uint32_t i = 0; i < req->count; i++) {
		uint8_t *item = buf + (size_t)i * req->size;
		uint64_t v;

		v = ranges_access(dm, space, req->range_id, req->addr,
				  req->size, is_write,
				  is_write ? le_load(item, req->size) : 0);
		if (!is_write)
			memcpy(item, &v, req->size);
	}
}

/* Handles the slot's posted writes (lock held).  NULL, or why the ring
 * is broken.  The tail moves past a write only once it is handled: the
 * hypervisor answers reads from shadows only when the rings are empty
 * (ioreq.h). */
static const char *drain_posted(struct dm *dm, struct ioreq_vcpu *slot)
{
	uint32_t tail = slot->posted_tail;

	for (;;) {
		uint32_t head = __atomic_load_n(&slot->posted_head,
						__ATOMIC_ACQUIRE);
		struct ioreq_posted p;
		const char *why;

		if (head == tail)
			return NULL;
		if (head - tail > IOREQ_POSTED_SLOTS)
			return "posted ring head out of range";
		memcpy(&p, &slot->posted[tail % IOREQ_POSTED_SLOTS],
		       sizeof(p));
		compiler_barrier();
		why = ioreq_check_posted(&p);
		if (why)
			return why;
		ranges_access(dm, (enum dm_space)p.type, p.range_id, p.addr,
			      p.size, true, p.data);
		__atomic_store_n(&header(dm)->posted_ctl_seq,
				 ctl_sent_count(dm), __ATOMIC_RELAXED);
		__atomic_store_n(&slot->posted_tail, ++tail,
				 __ATOMIC_RELEASE);
	}
}

void ioreq_server_drain(struct dm *dm)
{
	struct ioreq_server *s = dm->ioreq;

	for (unsigned int i = 0; s && i < s->nr_vcpus; i++) {
		const char *why = drain_posted(dm, s->threads[i].slot);

		if (why)
			dm_fatal(dm, "hypervisor protocol error: vCPU %u: %s",
				 i, why);
	}
}

/* ------------------------------------------------------------ threads */

/* After a fatal protocol error this thread does nothing more; the main
 * thread ends the process. */
static void __attribute__((noreturn)) ioreq_thread_park(void)
{
	uint32_t never = 0;

	for (;;)
		futex_wait(&never, 0);
}

static void __attribute__((noreturn)) ioreq_fail(struct ioreq_thread *t,
						  const char *why)
{
	dm_fatal(t->dm, "hypervisor protocol error: vCPU %u: %s", t->vcpu,
		 why);
	ioreq_thread_park();
}

static void handle_request(struct ioreq_thread *t)
{
	struct ioreq_vcpu *slot = t->slot;
	struct dm *dm = t->dm;
	struct ioreq req;
	const char *why;
	size_t bytes;
	uint32_t seq, edges = 0;
	bool more;

	dm_lock(dm);
	irq_collect_edges(&edges);
	/* Every slot's ring, not only this one's: KVM's coalesced ring is
	 * per VM, and whichever vCPU exits first moves its entries (possibly
	 * this vCPU's earlier writes) into its own posted ring. */
	for (unsigned int i = 0; i < dm->ioreq->nr_vcpus; i++) {
		why = drain_posted(dm, dm->ioreq->threads[i].slot);
		if (why) {
			irq_collect_edges(NULL);
			dm_unlock(dm);
			ioreq_fail(t, why);
		}
	}
	memcpy(&req, &slot->req, sizeof(req));
	compiler_barrier();
	why = ioreq_check(&req);
	if (why) {
		irq_collect_edges(NULL);
		dm_unlock(dm);
		ioreq_fail(t, why);
	}
	bytes = (size_t)req.count * req.size;
	if (req.count > 1 && req.dir == IOREQ_WRITE) {
		memcpy(t->buf, slot->buf, bytes);
		compiler_barrier();
	}
	ioreq_dispatch(dm, &req, t->buf);
	/* What the access finished at once (a DMA from the page cache)
	 * completes before the answer, its interrupt with it.  Only the
	 * work queued by now: what that queues (a long transfer's next
	 * chunk) runs after the answer, in dm_unlock(), so that no request
	 * waits for more than one chunk. */
	dm_run_deferred(dm);
	irq_collect_edges(NULL);
	/* Counts every message the handler sent (a BAR move's claims). */
	seq = ctl_sent_count(dm);
	/* The lock is dropped first unless work remains: a vCPU woken on
	 * this CPU would preempt a thread holding it. */
	more = dm->deferred != NULL;
	if (!more)
		dm_unlock(dm);

	if (req.dir == IOREQ_READ) {
		if (req.count > 1)
			memcpy(slot->buf, t->buf, bytes);
		else
			__atomic_store_n(&slot->req.data, req.data,
					 __ATOMIC_RELAXED);
	}
	__atomic_store_n(&slot->req.ctl_seq, seq, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->req.edge_gsis, edges, __ATOMIC_RELAXED);
	/* Publish, then look whether the hypervisor sleeps (it sets
	 * hv_sleeping and then re-reads state: Dekker, both SEQ_CST). */
	__atomic_store_n(&slot->state, IOREQ_STATE_DONE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&slot->hv_sleeping, __ATOMIC_SEQ_CST))
		futex_wake(&slot->state);
	if (more)
		dm_unlock(dm);
}

static bool has_posted(struct ioreq_vcpu *slot)
{
	return __atomic_load_n(&slot->posted_head, __ATOMIC_ACQUIRE) !=
	       __atomic_load_n(&slot->posted_tail, __ATOMIC_RELAXED);
}

static bool has_request(struct ioreq_vcpu *slot)
{
	return __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) ==
	       IOREQ_STATE_READY;
}

/* SCHED_BATCH while the thread may run on one CPU only (see the top of
 * the file), SCHED_OTHER otherwise. */
static void set_batch(struct ioreq_thread *t, bool batch)
{
	struct sched_param sp = { .sched_priority = 0 };

	if (!t->own_policy || t->batch == batch)
		return;
	if (sched_setscheduler(0, batch ? SCHED_BATCH : SCHED_OTHER,
			       &sp) < 0) {
		log_warn("ioreq thread %u: cannot change its scheduling "
			 "policy: %s", t->vcpu, strerror(errno));
		t->own_policy = false;
		return;
	}
	t->batch = batch;
}

/* Waits for work: spin, then sleep on the doorbell.  bell is the
 * doorbell value read before the last look for work, so a bump after it
 * makes FUTEX_WAIT return at once. */
static void wait_for_work(struct ioreq_thread *t, uint32_t bell)
{
	struct ioreq_vcpu *slot = t->slot;
	uint64_t start = host_clock_ns();
	bool spin = thread_may_spin(start);

	set_batch(t, !spin);
	for (unsigned int i = 1; spin; i++) {
		uint64_t spent;

		if (has_request(slot) || has_posted(slot))
			return;
		if (i % IOREQ_SPIN_CHECK)
			goto relax;
		spent = host_clock_ns() - start;
		if (spent > IOREQ_SPIN_NS)
			break;
		/* Past the first microseconds the vCPU thread may be waiting
		 * for this CPU: give it up rather than spin against it. */
		if (spent > IOREQ_SPIN_PURE_NS) {
			sched_yield();
			continue;
		}
relax:
		__builtin_ia32_pause();
	}
	__atomic_store_n(&slot->dm_sleeping, 1, __ATOMIC_SEQ_CST);
	if (!has_request(slot) && !has_posted(slot) &&
	    __atomic_load_n(&slot->doorbell, __ATOMIC_SEQ_CST) == bell)
		futex_wait(&slot->doorbell, bell);
	__atomic_store_n(&slot->dm_sleeping, 0, __ATOMIC_RELAXED);
}

static void *ioreq_thread_main(void *arg)
{
	struct ioreq_thread *t = arg;
	struct ioreq_vcpu *slot = t->slot;
	struct ioreq_server *srv = t->dm->ioreq;

	/* A policy someone chose (chrt) is theirs: only a thread that
	 * starts as SCHED_OTHER switches between it and SCHED_BATCH. */
	t->own_policy = sched_getscheduler(0) == SCHED_OTHER;
	pthread_mutex_lock(&srv->start_lock);
	srv->started++;
	pthread_cond_signal(&srv->start_cond);
	pthread_mutex_unlock(&srv->start_lock);
	for (;;) {
		uint32_t bell = __atomic_load_n(&slot->doorbell,
						__ATOMIC_SEQ_CST);

		if (has_request(slot)) {
			handle_request(t);
			continue;
		}
		if (has_posted(slot)) {
			const char *why;

			dm_lock(t->dm);
			why = drain_posted(t->dm, slot);
			dm_unlock(t->dm);
			if (why)
				ioreq_fail(t, why);
			continue;
		}
		wait_for_work(t, bell);
	}
	return NULL;
}

/* ------------------------------------------------------------- setup */

int ioreq_server_setup(struct dm *dm, const struct dm_msg_setup *s,
		       int ioreq_fd)
{
	const struct ioreq_area_header *h;
	struct ioreq_server *srv;
	struct stat st;
	void *area;

	if (fstat(ioreq_fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < s->ioreq_size) {
		log_error("hypervisor protocol error: SETUP: the ioreq area "
			  "memfd is smaller than ioreq_size (%llu bytes)",
			  (unsigned long long)s->ioreq_size);
		return -1;
	}
	area = mmap(NULL, (size_t)s->ioreq_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, ioreq_fd, 0);
	if (area == MAP_FAILED) {
		log_error("cannot map the ioreq area: %s", strerror(errno));
		return -1;
	}
	h = area;
	if (h->magic != IOREQ_MAGIC || h->version != IOREQ_VERSION ||
	    h->nr_vcpus != s->nr_vcpus ||
	    h->vcpu_stride != IOREQ_VCPU_STRIDE) {
		log_error("hypervisor protocol error: the ioreq area header "
			  "(magic %#x, version %u, %u vCPUs, stride %u) does "
			  "not match", h->magic, h->version, h->nr_vcpus,
			  h->vcpu_stride);
		munmap(area, (size_t)s->ioreq_size);
		return -1;
	}
	srv = calloc(1, sizeof(*srv));
	if (srv)
		srv->threads = calloc(s->nr_vcpus, sizeof(*srv->threads));
	if (!srv || !srv->threads) {
		free(srv);
		munmap(area, (size_t)s->ioreq_size);
		log_error("out of memory");
		return -1;
	}
	pthread_mutex_init(&srv->start_lock, NULL);
	pthread_cond_init(&srv->start_cond, NULL);
	srv->area = area;
	srv->size = (size_t)s->ioreq_size;
	srv->nr_vcpus = s->nr_vcpus;
	for (unsigned int i = 0; i < s->nr_vcpus; i++) {
		srv->threads[i].dm = dm;
		srv->threads[i].vcpu = i;
		srv->threads[i].slot = (struct ioreq_vcpu *)
			(srv->area + IOREQ_VCPU_OFFSET(i));
	}
	dm->ioreq = srv;
	return 0;
}

int ioreq_server_start(struct dm *dm)
{
	struct ioreq_server *s = dm->ioreq;
	sigset_t all, old;
	unsigned int n = 0;
	int err = 0;

	/* Signals go to the main thread only. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned int i = 0; i < s->nr_vcpus && !err; i++) {
		char name[16];

		err = pthread_create(&s->threads[i].tid, NULL,
				     ioreq_thread_main, &s->threads[i]);
		if (!err) {
			n++;
			snprintf(name, sizeof(name), "ioreq%u", i);
			pthread_setname_np(s->threads[i].tid, name);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_lock(&s->start_lock);
	while (s->started < n)
		pthread_cond_wait(&s->start_cond, &s->start_lock);
	pthread_mutex_unlock(&s->start_lock);
	if (err) {
		log_error("cannot start the ioreq threads: %s",
			  strerror(err));
		return -1;
	}
	return 0;
}
