/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block backend for raw images (block.h): Linux native AIO through
 * libaio.
 *
 * - Open: O_DIRECT unless the file system refuses it (EINVAL, or statx
 *   STATX_DIOALIGN reporting no direct I/O), or it needs offsets aligned
 *   to more than 512 bytes (4Kn disks: a 512-byte request would need a
 *   read-modify-write); then the page cache, with one log_info line.  The
 *   alignment comes from statx STATX_DIOALIGN (Linux 6.1), else BLKSSZGET
 *   for block devices, else 512 for offsets and 4096 for memory, checked
 *   with one 512-byte O_DIRECT read (a file on a 4Kn disk without
 *   STATX_DIOALIGN refuses it with EINVAL: the page cache then).  An OFD
 *   lock (F_OFD_SETLK: write lock read-write, read lock read-only) keeps
 *   an image from being attached read-write twice; file systems without
 *   locks get a warning and no lock.
 * - Write-through configured by the host (BLK_CACHE_WRITETHROUGH) stays:
 *   blk_set_write_cache(true) from the guest does not turn it off.
 * - Requests: the iovec is copied; under O_DIRECT a request whose buffers
 *   miss the alignment goes through one aligned bounce buffer (filled
 *   before a write, copied out after a read).  At most BLK_QUEUE_DEPTH iocbs
 *   are in the kernel; the rest, and whatever io_submit() refuses with
 *   EAGAIN, wait in a FIFO and go in as completions come back.  A short
 *   completion (also the kernel's 2 GiB cap per call) is resubmitted for
 *   the rest, so big requests need no splitting of their own.
 *   Write-through writes carry RWF_DSYNC (aio_rw_flags, Linux 4.13).
 * - Errors from the kernel are logged rate-limited.  A failed flush, or a
 *   failed write without O_DIRECT, sets the backend's sticky error (one
 *   log_error line): Linux reports a writeback error to one fdatasync
 *   only and may have dropped the dirty pages, so from then on every
 *   flush, and every write without O_DIRECT, fails with that error
 *   (flushes already queued too), and the guest never hears "durable"
 *   for data that is not.
 * - Flush: fdatasync() on a worker thread of the backend (AIO's FDSYNC
 *   is missing on older kernels and file systems).  A read-only backend
 *   has nothing to sync: its flushes complete with 0 and it starts no
 *   thread, so a CD opened after the sandbox needs no clone().
 * - Completions: under O_DIRECT every iocb signals the backend's eventfd
 *   (io_set_eventfd), and the flush worker writes the same eventfd; the
 *   event loop's watch on it (dm lock held) reaps and runs the callbacks.
 *   What is over by the time io_submit() returns, which is everything on
 *   the page cache (Linux AIO copies there inside io_submit()), and what
 *   fails before reaching the kernel (range, read-only, io_submit errors)
 *   is reaped by deferred work (dm_defer) instead: its callback runs right
 *   after the device's handler that submitted it, in the same thread, so
 *   a DMA from the page cache ends before the guest's access does, with no
 *   wake-up of the event loop.  No callback ever runs inside blk_submit()
 *   or on the worker.
 *
 * Deviations and limits: without O_DIRECT, Linux AIO does the transfer
 * inside io_submit() (the page cache copy, and a read may wait for the
 * disk), so the event loop can stall on slow storage; a read-write image
 * starts a thread, so it must be opened before the sandbox (drives.c
 * does); a descriptor handed over is closed when blk_open() fails too;
 * blk_close() must not be called from a callback of the same backend.
 */
#define _GNU_SOURCE
#include "block.h"

#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <linux/fs.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hvmkit/log.h"

#define SUBMIT_BATCH 32
#define BOUNCE_ALIGN 4096

struct blk_req {
	struct blk *b;
	struct blk_req *next;
	enum blk_op op;
	uint64_t offset;
	uint64_t len;            /* bytes in the whole request */
	uint64_t done;           /* bytes completed so far */
	int64_t ret;             /* result, for the done lists */
	int rw_flags;            /* RWF_DSYNC for write-through */
	uint8_t *bounce;         /* aligned copy of the data, or NULL */
	struct iovec biov;       /* the bounce buffer's rest */
	unsigned int iov_idx;    /* first iov entry not yet done */
	unsigned int iovcnt;
	blk_done_fn *cb;
	void *opaque;
	struct iocb iocb;
	struct iovec iov[];      /* copy of the caller's iovec */
};

struct req_list {
	struct blk_req *head, *tail;
};

struct blk {
	struct dm *dm;
	char *path;
	int fd;
	int efd;                 /* completions: AIO, worker, early errors */
	io_context_t ctx;
	uint64_t size;
	bool read_only, direct, write_cache;
	bool host_wt;            /* configured write-through: kept */
	int sticky_err;          /* 0, or -errno of a lost write (see top) */
	unsigned int off_align, mem_align;
	unsigned int in_flight;  /* accepted, callback not yet run */
	unsigned int aio_in_flight; /* iocbs in the kernel */
	struct req_list pending; /* waiting for io_submit */
	struct req_list done;    /* completed before reaching the kernel */
	struct dm_deferred reap_later; /* see "Completions" above */
	/* The flush worker (read-write only); wlock guards the two lists. */
	bool has_worker, wstarted, wstop;
	pthread_t worker;
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	struct req_list wqueue, wdone;
};

static void list_push(struct req_list *l, struct blk_req *r)
{
	r->next = NULL;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
}

static struct blk_req *list_pop(struct req_list *l)
{
	struct blk_req *r = l->head;

	if (r) {
		l->head = r->next;
		if (!l->head)
			l->tail = NULL;
	}
	return r;
}

static void kick(struct blk *b)
{
	uint64_t one = 1;

	if (write(b->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("%s: eventfd write: %s", b->path, strerror(errno));
}

/* Completes r after the running handler (never inside blk_submit). */
static void defer(struct blk_req *r, int64_t ret)
{
	r->ret = ret;
	list_push(&r->b->done, r);
	dm_defer(r->b->dm, &r->b->reap_later);
}

/* ----------------------------------------------------------- flush worker */

static void *worker_main(void *opaque)
{
	struct blk *b = opaque;
	struct blk_req *r;

	pthread_mutex_lock(&b->wlock);
	b->wstarted = true;
	pthread_cond_broadcast(&b->wcond);
	for (;;) {
		while (!b->wstop && !b->wqueue.head)
			pthread_cond_wait(&b->wcond, &b->wlock);
		r = list_pop(&b->wqueue);
		if (!r)
			break;
		pthread_mutex_unlock(&b->wlock);
		r->ret = fdatasync(b->fd) < 0 ? -errno : 0;
		pthread_mutex_lock(&b->wlock);
		list_push(&b->wdone, r);
		kick(b);
	}
	pthread_mutex_unlock(&b->wlock);
	return NULL;
}

static int worker_start(struct blk *b)
{
	sigset_t all, old;
	int err;

	pthread_mutex_init(&b->wlock, NULL);
	pthread_cond_init(&b->wcond, NULL);
	/* Signals stay with the threads that handle them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&b->worker, NULL, worker_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_cond_destroy(&b->wcond);
		pthread_mutex_destroy(&b->wlock);
		return -err;
	}
	/* Started means past glibc's thread start-up system calls
	 * (set_robust_list, rseq), which a sandbox applied right after this
	 * would not allow. */
	pthread_mutex_lock(&b->wlock);
	while (!b->wstarted)
		pthread_cond_wait(&b->wcond, &b->wlock);
	pthread_mutex_unlock(&b->wlock);
	b->has_worker = true;
	return 0;
}

static void worker_stop(struct blk *b)
{
	if (!b->has_worker)
		return;
	pthread_mutex_lock(&b->wlock);
	b->wstop = true;
	pthread_cond_signal(&b->wcond);
	pthread_mutex_unlock(&b->wlock);
	pthread_join(b->worker, NULL);
	pthread_cond_destroy(&b->wcond);
	pthread_mutex_destroy(&b->wlock);
	b->has_worker = false;
}

/* ------------------------------------------------------------- requests */

/* Copies between the caller's buffers and the bounce buffer. */
static void bounce_copy(struct blk_req *r, bool to_bounce)
{
	uint8_t *p = r->bounce;

	for (unsigned int i = 0; i < r->iovcnt; i++) {
		if (to_bounce)
			memcpy(p, r->iov[i].iov_base, r->iov[i].iov_len);
		else
			memcpy(r->iov[i].iov_base, p, r->iov[i].iov_len);
		p += r->iov[i].iov_len;
	}
}

/* Host I/O errors, rate-limited: a failing disk must not flood the log. */
#define log_io_error(...) log_guest_at(LOG_ERROR, __VA_ARGS__)

static const char *const op_names[] = {
	[BLK_READ] = "read", [BLK_WRITE] = "write", [BLK_FLUSH] = "flush",
};

/* The kernel failed r with err.  may_lose: the failure may have lost
 * written data (a completed flush or write), which makes it sticky. */
static void io_error(struct blk *b, const struct blk_req *r, int64_t err,
		     bool may_lose)
{
	const char *what = strerror((int)-err);

	if (may_lose && !b->sticky_err &&
	    (r->op == BLK_FLUSH || (r->op == BLK_WRITE && !b->direct))) {
		b->sticky_err = (int)err;
		if (r->op == BLK_FLUSH)
			log_error("%s: flush failed: %s; data written before "
				  "it may be lost, so every later flush of "
				  "this disk fails", b->path, what);
		else
			log_error("%s: write at offset %llu failed: %s; the "
				  "page cache may have dropped data, so every "
				  "later write and flush of this disk fails",
				  b->path, (unsigned long long)r->offset,
				  what);
		return;
	}
	if (r->op == BLK_FLUSH)
		log_io_error("%s: flush failed: %s", b->path, what);
	else
		log_io_error("%s: %s of %llu bytes at offset %llu failed: %s",
			     b->path, op_names[r->op],
			     (unsigned long long)r->len,
			     (unsigned long long)r->offset, what);
}

static void complete(struct blk_req *r, int64_t ret)
{
	struct blk *b = r->b;
	blk_done_fn *cb = r->cb;
	void *opaque = r->opaque;

	if (ret > 0 && r->bounce && r->op == BLK_READ)
		bounce_copy(r, false);
	b->in_flight--;
	free(r->bounce);
	free(r);
	cb(opaque, ret);
}

/* Fills r->iocb for the part of r not done yet. */
static void prep(struct blk *b, struct blk_req *r)
{
	const struct iovec *iov = r->iov + r->iov_idx;
	int cnt = (int)(r->iovcnt - r->iov_idx);
	long long off = (long long)(r->offset + r->done);

	if (r->bounce) {
		r->biov.iov_base = r->bounce + r->done;
		r->biov.iov_len = r->len - r->done;
		iov = &r->biov;
		cnt = 1;
	}
	if (r->op == BLK_READ)
		io_prep_preadv(&r->iocb, b->fd, iov, cnt, off);
	else
		io_prep_pwritev2(&r->iocb, b->fd, iov, cnt, off, r->rw_flags);
	if (b->direct)
		io_set_eventfd(&r->iocb, b->efd);
	r->iocb.data = r;
}

/* Hands queued requests to the kernel, up to BLK_QUEUE_DEPTH in flight. */
static void submit_pending(struct blk *b)
{
	struct iocb *cbs[SUBMIT_BATCH];

	while (b->pending.head && b->aio_in_flight < BLK_QUEUE_DEPTH) {
		struct blk_req *r = b->pending.head;
		int n = 0, ret;

		for (; r && n < SUBMIT_BATCH &&
		       b->aio_in_flight + n < BLK_QUEUE_DEPTH; r = r->next) {
			prep(b, r);
			cbs[n++] = &r->iocb;
		}
		ret = io_submit(b->ctx, n, cbs);
		if (ret > 0) {
			for (int i = 0; i < ret; i++)
				list_pop(&b->pending);
			b->aio_in_flight += (unsigned int)ret;
			if (!b->direct)
				dm_defer(b->dm, &b->reap_later);
			continue;
		}
		if (ret == 0)
			ret = -EAGAIN;
		/* Out of kernel resources: retried when a completion frees
		 * some; with nothing in flight that would never happen. */
		if (ret == -EAGAIN && b->aio_in_flight)
			break;
		/* The first request cannot be submitted at all. */
		r = list_pop(&b->pending);
		io_error(b, r, ret, false);
		defer(r, ret);
	}
}

static void advance_iov(struct blk_req *r, uint64_t n)
{
	while (n && r->iov_idx < r->iovcnt) {
		struct iovec *v = &r->iov[r->iov_idx];

		if (n < v->iov_len) {
			v->iov_base = (uint8_t *)v->iov_base + n;
			v->iov_len -= n;
			return;
		}
		n -= v->iov_len;
		r->iov_idx++;
	}
}

static void handle_event(struct blk *b, const struct io_event *ev)
{
	struct blk_req *r = ev->data;
	long res = (long)ev->res;

	b->aio_in_flight--;
	/* res == 0: end of file inside the checked range (the image
	 * shrank); more than asked: a broken kernel. */
	if (res <= 0 || (uint64_t)res > r->len - r->done) {
		int64_t err = res < 0 ? res : -EIO;

		io_error(b, r, err, true);
		complete(r, err);
		return;
	}
	r->done += (uint64_t)res;
	if (r->done == r->len) {
		complete(r, (int64_t)r->len);
		return;
	}
	/* Short transfer: the rest goes in again. */
	if (!r->bounce)
		advance_iov(r, (uint64_t)res);
	list_push(&b->pending, r);
}

/* Runs the callbacks of everything completed so far, then submits what
 * waits.  Requests that callbacks queue meanwhile wait for the next call
 * (their eventfd signal or deferred work is still pending).  wait: first
 * wait for at least one iocb if any is in the kernel.  False if
 * io_getevents() failed (logged). */
static bool reap(struct blk *b, bool wait)
{
	bool ok = true;
	struct io_event ev[SUBMIT_BATCH];
	struct timespec zero = { 0, 0 };
	struct req_list l;
	struct blk_req *r;
	int n;

	do {
		n = 0;
		if (b->aio_in_flight)
			n = io_getevents(b->ctx, wait ? 1 : 0, SUBMIT_BATCH,
					 ev, wait ? NULL : &zero);
		wait = false;
		if (n < 0 && n != -EINTR) {
			log_error("%s: io_getevents: %s", b->path,
				  strerror(-n));
			ok = false;
		}
		for (int i = 0; i < n; i++)
			handle_event(b, &ev[i]);
	} while (n == SUBMIT_BATCH);
	if (b->has_worker) {
		pthread_mutex_lock(&b->wlock);
		l = b->wdone;
		b->wdone.head = b->wdone.tail = NULL;
		pthread_mutex_unlock(&b->wlock);
		while ((r = list_pop(&l))) {
			if (r->ret < 0)
				io_error(b, r, r->ret, true);
			/* Flushes queued before the error fail too. */
			complete(r, b->sticky_err ? b->sticky_err : r->ret);
		}
	}
	l = b->done;
	b->done.head = b->done.tail = NULL;
	while ((r = list_pop(&l)))
		complete(r, r->ret);
	submit_pending(b);
	return ok;
}

static void drain_eventfd(struct blk *b)
{
	uint64_t v;

	if (read(b->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_error("%s: eventfd read: %s", b->path, strerror(errno));
}

static void blk_event(void *opaque, int fd, unsigned int events)
{
	struct blk *b = opaque;

	(void)fd;
	(void)events;
	drain_eventfd(b);
	(void)reap(b, false);
}

/* The deferred reap (see "Completions" above).  Without O_DIRECT nothing
 * signals the eventfd for an iocb: should a kernel ever leave one in
 * flight after io_submit(), this waits for it, as io_submit() would. */
static void blk_reap_later(void *opaque)
{
	struct blk *b = opaque;

	while (reap(b, !b->direct) && !b->direct && b->aio_in_flight)
		;
}

void blk_poll(struct blk *b, bool wait)
{
	struct pollfd pfd = { .fd = b->efd, .events = POLLIN };

	for (;;) {
		bool ok;

		drain_eventfd(b);
		ok = reap(b, !b->direct);
		if (!wait || !b->in_flight || !ok)
			return;
		/* Deferred completions signal nothing: reap them now. */
		if (b->done.head || (!b->direct && b->aio_in_flight))
			continue;
		/* Whatever is in flight signals the eventfd when done. */
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			log_error("%s: poll: %s", b->path, strerror(errno));
			return;
		}
	}
}

/* Whether O_DIRECT cannot take r's buffers as they are. */
static bool misaligned(const struct blk *b, const struct blk_req *r)
{
	for (unsigned int i = 0; i < r->iovcnt; i++)
		if ((uintptr_t)r->iov[i].iov_base % b->mem_align ||
		    r->iov[i].iov_len % b->off_align)
			return true;
	return false;
}

int blk_submit(struct blk *b, enum blk_op op, uint64_t offset,
	       const struct iovec *iov, unsigned int iovcnt, blk_done_fn *cb,
	       void *opaque)
{
	struct blk_req *r;
	uint64_t len = 0;
	bool too_long = false;

	if (op == BLK_FLUSH)
		iovcnt = 0;
	if (!b || !cb || (op != BLK_READ && op != BLK_WRITE &&
			  op != BLK_FLUSH) ||
	    iovcnt > BLK_MAX_IOV || (iovcnt && !iov)) {
		log_error("internal error: blk_submit(op %d, %u entries)",
			  (int)op, iovcnt);
		return -1;
	}
	r = calloc(1, sizeof(*r) + iovcnt * sizeof(*iov));
	if (!r) {
		log_error("%s: out of memory", b->path);
		return -1;
	}
	*r = (struct blk_req){ .b = b, .op = op, .offset = offset, .cb = cb,
			       .opaque = opaque };
	b->in_flight++;
	if (op == BLK_FLUSH) {
		if (b->sticky_err) {
			defer(r, b->sticky_err);
			return 0;
		}
		if (!b->has_worker) {
			defer(r, 0); /* read-only: nothing to sync */
			return 0;
		}
		pthread_mutex_lock(&b->wlock);
		list_push(&b->wqueue, r);
		pthread_cond_broadcast(&b->wcond);
		pthread_mutex_unlock(&b->wlock);
		return 0;
	}
	for (unsigned int i = 0; i < iovcnt; i++) {
		if (!iov[i].iov_len)
			continue;
		if (iov[i].iov_len > b->size - len) {
			too_long = true;
			break;
		}
		len += iov[i].iov_len;
		r->iov[r->iovcnt++] = iov[i];
	}
	r->len = len;
	if (op == BLK_WRITE && b->read_only) {
		defer(r, -EROFS);
	} else if (too_long || offset % BLK_SECTOR || len % BLK_SECTOR ||
		   offset > b->size || len > b->size - offset) {
		defer(r, -EINVAL);
	} else if (op == BLK_WRITE && b->sticky_err && !b->direct) {
		defer(r, b->sticky_err);
	} else if (!len) {
		defer(r, 0);
	} else {
		if (op == BLK_WRITE && !b->write_cache)
			r->rw_flags = RWF_DSYNC;
		if (b->direct && misaligned(b, r)) {
			void *p;

			if (posix_memalign(&p, BOUNCE_ALIGN, len)) {
				defer(r, -ENOMEM);
				return 0;
			}
			r->bounce = p;
			if (op == BLK_WRITE)
				bounce_copy(r, true);
		}
		list_push(&b->pending, r);
		submit_pending(b);
	}
	return 0;
}

/* ------------------------------------------------------------------ open */

static int set_direct(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? fl | O_DIRECT : fl & ~O_DIRECT;
	return fcntl(fd, F_SETFL, fl);
}

static const char no_dio[] = "O_DIRECT not supported by this file system";

static void no_direct(struct blk *b, const char *why)
{
	if (b->direct && set_direct(b->fd, false) < 0)
		log_warn("%s: cannot turn O_DIRECT off: %s", b->path,
			 strerror(errno));
	log_info("%s: %s; using the page cache", b->path, why);
	b->direct = false;
	b->off_align = b->mem_align = 1;
}

/* Opens (or adopts) the descriptor, with O_DIRECT if asked and possible;
 * -1 with errno, -2 if a descriptor handed over is read-only. */
static int open_fd(struct blk *b, const struct blk_config *cfg)
{
	int fl = (cfg->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;

	b->direct = !cfg->no_direct;
	if (cfg->fd < 0) {
		b->fd = open(b->path, fl | (b->direct ? O_DIRECT : 0));
		if (b->fd < 0 && b->direct && errno == EINVAL) {
			b->direct = false;
			b->fd = open(b->path, fl);
			if (b->fd >= 0)
				no_direct(b, no_dio);
		}
		return b->fd < 0 ? -1 : 0;
	}
	b->fd = cfg->fd;
	fl = fcntl(b->fd, F_GETFL);
	if (fl < 0)
		return -1;
	if (!cfg->read_only && (fl & O_ACCMODE) != O_RDWR)
		return -2;
	if (set_direct(b->fd, b->direct) < 0) {
		if (errno != EINVAL)
			return -1;
		b->direct = false;
		no_direct(b, no_dio);
	}
	return 0;
}

/* Whether O_DIRECT takes a 512-byte read at a 512-byte offset, for a
 * file whose alignment the kernel does not tell (no STATX_DIOALIGN): one
 * on a 4Kn disk refuses it with EINVAL.  Other errors say nothing about
 * alignment and keep O_DIRECT. */
static bool direct_512_ok(const struct blk *b)
{
	void *p;
	bool ok;

	if (posix_memalign(&p, BOUNCE_ALIGN, BLK_SECTOR))
		return true;
	ok = pread(b->fd, p, BLK_SECTOR,
		   b->size > BLK_SECTOR ? BLK_SECTOR : 0) >= 0 ||
	     errno != EINVAL;
	free(p);
	return ok;
}

/* Size and O_DIRECT alignment; 0 or -1 with a message. */
static int check_image(struct blk *b, char *err, size_t err_len)
{
	struct stat st;
	unsigned int lbs = 0;
	bool known;               /* the kernel told the alignment */

	if (fstat(b->fd, &st) < 0) {
		snprintf(err, err_len, "%s: %s", b->path, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		b->size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &b->size) < 0 ||
		    ioctl(b->fd, BLKSSZGET, &lbs) < 0) {
			snprintf(err, err_len, "%s: cannot get the size: %s",
				 b->path, strerror(errno));
			return -1;
		}
	} else {
		snprintf(err, err_len, "%s: %s", b->path,
			 S_ISDIR(st.st_mode) ? strerror(EISDIR) :
			 "not a regular file or block device");
		return -1;
	}
	if (!b->size) {
		snprintf(err, err_len, "%s: the image is empty (0 bytes)",
			 b->path);
		return -1;
	}
	if (b->size % BLK_SECTOR) {
		snprintf(err, err_len,
			 "%s: size %llu bytes is not a multiple of %u",
			 b->path, (unsigned long long)b->size, BLK_SECTOR);
		return -1;
	}
	b->off_align = lbs ? lbs : BLK_SECTOR;
	b->mem_align = lbs ? lbs : 4096;
	known = lbs != 0;
#ifdef STATX_DIOALIGN
	struct statx stx;

	if (b->direct &&
	    !statx(b->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN)) {
		if (!stx.stx_dio_offset_align) {
			no_direct(b, no_dio);
			return 0;
		}
		b->off_align = stx.stx_dio_offset_align;
		b->mem_align = stx.stx_dio_mem_align ?: 1;
		known = true;
	}
#endif
	if (!b->direct) {
		b->off_align = b->mem_align = 1;
	} else if (b->off_align > BLK_SECTOR) {
		char why[80];

		snprintf(why, sizeof(why), "O_DIRECT needs %u-byte offsets",
			 b->off_align);
		no_direct(b, why);
	} else if (!known && !direct_512_ok(b)) {
		no_direct(b, "O_DIRECT needs offsets aligned to more than "
			  "512 bytes");
	}
	return 0;
}

/* The OFD lock: no second read-write user of the image. */
static int lock_image(struct blk *b, char *err, size_t err_len)
{
	struct flock fl = { .l_type = b->read_only ? F_RDLCK : F_WRLCK,
			    .l_whence = SEEK_SET };
	const char *mode = "read-write";

	if (!fcntl(b->fd, F_OFD_SETLK, &fl))
		return 0;
	if (errno != EAGAIN && errno != EACCES) {
		log_warn("%s: cannot lock the image (%s); it is not protected against a second read-write user",
			 b->path, strerror(errno));
		return 0;
	}
	fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET };
	if (!b->read_only && !fcntl(b->fd, F_OFD_GETLK, &fl) &&
	    fl.l_type == F_RDLCK)
		mode = "read-only";
	snprintf(err, err_len,
		 "%s: is in use %s (by another disk of this domain or another domain)",
		 b->path, mode);
	return -1;
}

struct blk *blk_open(struct dm *dm, const struct blk_config *cfg, char *err,
		     size_t err_len)
{
	struct blk *b = calloc(1, sizeof(*b));
	char dummy[1];
	int ret;

	if (!err || !err_len) {
		err = dummy;
		err_len = sizeof(dummy);
	}
	if (!b || !(b->path = strdup(cfg->path ? cfg->path : "(image)"))) {
		snprintf(err, err_len, "%s: out of memory",
			 cfg->path ? cfg->path : "(image)");
		free(b);
		if (cfg->fd >= 0)
			close(cfg->fd);
		return NULL;
	}
	b->dm = dm;
	b->efd = -1;
	b->reap_later = (struct dm_deferred){ .fn = blk_reap_later,
					      .opaque = b };
	b->read_only = cfg->read_only;
	b->host_wt = cfg->cache == BLK_CACHE_WRITETHROUGH;
	b->write_cache = !b->host_wt;
	ret = open_fd(b, cfg);
	if (ret < 0) {
		snprintf(err, err_len, "%s: %s", b->path, ret == -2 ?
			 "the descriptor is not open for writing" :
			 strerror(errno));
		goto fail;
	}
	if (check_image(b, err, err_len) < 0 || lock_image(b, err, err_len) < 0)
		goto fail;
	ret = io_setup(BLK_QUEUE_DEPTH, &b->ctx);
	if (ret < 0) {
		snprintf(err, err_len, "%s: io_setup: %s%s", b->path,
			 strerror(-ret), ret == -EAGAIN ?
			 " (the host's limit fs.aio-max-nr is reached)" : "");
		b->ctx = 0;
		goto fail;
	}
	b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->efd < 0) {
		snprintf(err, err_len, "%s: eventfd: %s", b->path,
			 strerror(errno));
		goto fail;
	}
	if (!b->read_only && (ret = worker_start(b)) < 0) {
		snprintf(err, err_len, "%s: cannot start the flush thread: %s",
			 b->path, strerror(-ret));
		goto fail;
	}
	if (dm_fd_watch(dm, b->efd, DM_FD_READ, blk_event, b) < 0) {
		snprintf(err, err_len, "%s: cannot watch the completions",
			 b->path);
		goto fail;
	}
	return b;
fail:
	worker_stop(b);
	if (b->efd >= 0)
		close(b->efd);
	if (b->ctx)
		io_destroy(b->ctx);
	if (b->fd >= 0)
		close(b->fd);
	free(b->path);
	free(b);
	return NULL;
}

void blk_close(struct blk *b)
{
	if (!b)
		return;
	blk_poll(b, true);
	dm_defer_cancel(b->dm, &b->reap_later);
	dm_fd_unwatch(b->dm, b->efd);
	worker_stop(b);
	io_destroy(b->ctx);
	close(b->efd);
	close(b->fd); /* drops the OFD lock */
	free(b->path);
	free(b);
}

uint64_t blk_size(const struct blk *b)
{
	return b->size;
}

bool blk_read_only(const struct blk *b)
{
	return b->read_only;
}

const char *blk_path(const struct blk *b)
{
	return b->path;
}

bool blk_is_direct(const struct blk *b)
{
	return b->direct;
}

void blk_set_write_cache(struct blk *b, bool enabled)
{
	b->write_cache = enabled && !b->host_wt;
}

bool blk_write_cache(const struct blk *b)
{
	return b->write_cache;
}

unsigned int blk_in_flight(const struct blk *b)
{
	return b->in_flight;
}
