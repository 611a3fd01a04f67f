/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The block backend (block.c): a raw image file read and written with
 * Linux native AIO (libaio), for the IDE model now and the PV disk backend
 * later.  Devices use it through this header and the device API only, so
 * unit tests link it against tests/unit/fake-dm.c.
 *
 * - Images are opened before the device model is sandboxed (or arrive as
 *   descriptors the hypervisor opened, for CD changes).
 * - O_DIRECT is used when the file system allows it; otherwise the page
 *   cache, with one log line saying so.  The backend bounces any request
 *   whose buffers or offsets do not meet O_DIRECT's alignment, so callers
 *   may pass any iovec.
 * - Write-back (default): a write completes when the kernel has it; a
 *   flush (fdatasync) makes every completed write durable.  Write-through:
 *   each write is durable (RWF_DSYNC / O_DSYNC) before it completes, and a
 *   flush still syncs.  blk_set_write_cache() is the guest's switch (ATA
 *   SET FEATURES 02h/82h): it may turn write-back off, but a backend the
 *   host configured write-through (BLK_CACHE_WRITETHROUGH, cache= in
 *   hvmkit.cfg) stays write-through whatever the guest asks;
 *   blk_write_cache() reports the effective mode.
 * - Errors: a failed flush (or a failed write without O_DIRECT, whose data
 *   the page cache may have dropped) is sticky: Linux reports a writeback
 *   error to one fdatasync only, so every later flush, and every later
 *   write without O_DIRECT, fails with the same error.  That is logged
 *   once; other I/O errors are logged rate-limited (path, operation,
 *   offset, error).
 * - Completions run on the device model's event loop (an eventfd watched
 *   with dm_fd_watch), with the device-model lock held, never inside
 *   blk_submit().
 */
#ifndef HVMKIT_BLOCK_H
#define HVMKIT_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "device.h"

#define BLK_SECTOR 512u
/* Requests a backend keeps in the kernel at once: its AIO context's size
 * (io_setup's nr_events; the device model's sandbox allows no more). */
#define BLK_QUEUE_DEPTH 128

enum blk_cache {
	BLK_CACHE_WRITEBACK = 0,
	BLK_CACHE_WRITETHROUGH,
};

struct blk_config {
	const char *path;         /* for open and for messages */
	int fd;                   /* >= 0: use this descriptor (taken over);
				   * path then only names it */
	bool read_only;
	enum blk_cache cache;
	bool no_direct;           /* do not try O_DIRECT (tests) */
};

struct blk;

/*
 * Opens the image.  The size must be a non-zero multiple of 512.  A
 * read-write image is locked with an OFD write lock (a read-only one with
 * a read lock), so the same image cannot be attached read-write twice, in
 * this or another domain.  NULL after writing one line naming path and
 * the problem into err.
 */
struct blk *blk_open(struct dm *dm, const struct blk_config *cfg, char *err,
		     size_t err_len);
/* Waits for every request in flight (their callbacks run), then closes. */
void blk_close(struct blk *b);

uint64_t blk_size(const struct blk *b);      /* bytes */
bool blk_read_only(const struct blk *b);
const char *blk_path(const struct blk *b);
bool blk_is_direct(const struct blk *b);     /* O_DIRECT in use */
/* The guest's write cache setting; enabled has no effect on a backend
 * opened with BLK_CACHE_WRITETHROUGH (the host's guarantee). */
void blk_set_write_cache(struct blk *b, bool enabled);
/* Whether writes are write-back now (false: each is durable first). */
bool blk_write_cache(const struct blk *b);

enum blk_op {
	BLK_READ,
	BLK_WRITE,
	BLK_FLUSH,                /* offset/iov ignored */
};

/* ret: bytes transferred (the whole request), 0 for a flush, or -errno. */
typedef void blk_done_fn(void *opaque, int64_t ret);

/*
 * Starts a request: offset and the iovec total must be multiples of 512
 * and inside the image; the iovec (at most BLK_MAX_IOV entries, copied)
 * points at memory that stays valid until the callback.  A write to a
 * read-only image fails with -EROFS, out of range with -EINVAL (both
 * through the callback).  Returns 0, or -1 if the request could not be
 * queued at all (no callback then).
 */
#define BLK_MAX_IOV 256
int blk_submit(struct blk *b, enum blk_op op, uint64_t offset,
	       const struct iovec *iov, unsigned int iovcnt, blk_done_fn *cb,
	       void *opaque);
/* Runs the callbacks of requests that have completed (the event loop does
 * this; tests call it) and, with wait, first waits until every request in
 * flight has completed (device reset, media change, close). */
void blk_poll(struct blk *b, bool wait);
unsigned int blk_in_flight(const struct blk *b);

#endif
