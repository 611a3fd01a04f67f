/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the block backend (devmodel/block.c) on the fake device
 * model: images are files in a temporary directory under /var/tmp (a disk
 * file system, so O_DIRECT is real), checked through a descriptor of the
 * test's own.  Completions come through the backend's eventfd watch
 * (fake_fd_poll) or blk_poll().
 *
 * The test interposes io_submit, io_getevents, fdatasync, statx and
 * pread64 (the executable's definitions win over libaio's and libc's): it
 * records the write flags and flush calls, and can make the kernel look
 * busy (EAGAIN, partial submits), transfers short or failed, flushes
 * failed, and a file system without STATX_DIOALIGN whose O_DIRECT wants
 * 4 KiB offsets, so the backend's queueing, resubmission, error and
 * fallback paths run on demand.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "block.h"
#include "fake-dm.h"

/* devmodel/sandbox.c (declared in dm.h, which is not for tests). */
int sandbox_apply(void);

#define MiB (1024u * 1024u)
#define IMG_SIZE (4 * MiB)

/* ------------------------------------------------------- interposition */

static atomic_uint nr_fdatasync;
static unsigned int kernel_limit;   /* 0: no limit; else iocbs at most */
static unsigned int kernel_busy;    /* iocbs the test's kernel holds */
static unsigned int nr_eagain, nr_partial;
static unsigned int shorten;        /* events still to report short */
static unsigned int nr_dsync_writes, nr_plain_writes;
static unsigned int fail_writes;    /* write events still to fail (EIO) */
static atomic_int fail_fdatasync;   /* fdatasync calls still to fail */
static bool no_dioalign;            /* statx: no STATX_DIOALIGN */
static bool direct_4k;              /* O_DIRECT: 4 KiB offsets only */

int io_submit(io_context_t ctx, long nr, struct iocb **ios)
{
	long n = nr, ret;

	for (long i = 0; i < nr; i++) {
		if (ios[i]->aio_lio_opcode != IO_CMD_PWRITEV)
			continue;
		if (ios[i]->aio_rw_flags & RWF_DSYNC)
			nr_dsync_writes++;
		else
			nr_plain_writes++;
	}
	if (kernel_limit) {
		if (kernel_busy >= kernel_limit) {
			nr_eagain++;
			return -EAGAIN;
		}
		if (n > (long)(kernel_limit - kernel_busy)) {
			n = kernel_limit - kernel_busy;
			nr_partial++;
		}
	}
	ret = syscall(SYS_io_submit, ctx, n, ios);
	if (ret < 0)
		return -errno;
	kernel_busy += (unsigned int)ret;
	return (int)ret;
}

int io_getevents(io_context_t ctx, long min_nr, long nr,
		 struct io_event *events, struct timespec *timeout)
{
	long ret = syscall(SYS_io_getevents, ctx, min_nr, nr, events,
			   timeout);

	if (ret < 0)
		return -errno;
	kernel_busy -= (unsigned int)ret;
	for (long i = 0; i < ret && fail_writes; i++) {
		struct iocb *cb = events[i].obj;

		if (cb->aio_lio_opcode == IO_CMD_PWRITEV) {
			events[i].res = (unsigned long)-EIO;
			fail_writes--;
		}
	}
	for (long i = 0; i < ret && shorten; i++) {
		if ((long)events[i].res > 512) {
			/* Reported short; the backend redoes the rest. */
			events[i].res = (events[i].res / 2 + 511) & ~511ul;
			shorten--;
		}
	}
	return (int)ret;
}

int fdatasync(int fd)
{
	nr_fdatasync++;
	if (atomic_load(&fail_fdatasync) > 0) {
		atomic_fetch_sub(&fail_fdatasync, 1);
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

int statx(int dirfd, const char *path, int flags, unsigned int mask,
	  struct statx *buf)
{
	long ret = syscall(SYS_statx, dirfd, path, flags, mask, buf);

	if (ret < 0)
		return -1;
	if (no_dioalign)
		buf->stx_mask &= ~(unsigned int)STATX_DIOALIGN;
	return 0;
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	if (direct_4k && (fcntl(fd, F_GETFL) & O_DIRECT) &&
	    ((off | n) & 4095)) {
		errno = EINVAL;
		return -1;
	}
	return syscall(SYS_pread64, fd, buf, n, off);
}

/* ------------------------------------------------------------- fixture */

struct fx {
	struct dm *dm;
	char dir[64];
	char img[96];
	int fd; /* the test's own view of the image */
};

static bool in_submit;

struct done {
	unsigned int calls;
	int64_t ret;
};

static void done_cb(void *opaque, int64_t ret)
{
	struct done *d = opaque;

	assert_false(in_submit);
	d->calls++;
	d->ret = ret;
}

static int submit(struct blk *b, enum blk_op op, uint64_t offset,
		  const struct iovec *iov, unsigned int iovcnt, struct done *d)
{
	int ret;

	in_submit = true;
	ret = blk_submit(b, op, offset, iov, iovcnt, done_cb, d);
	in_submit = false;
	return ret;
}

/* Runs the event loop until d has its callback. */
static void wait_done(struct fx *f, struct done *d)
{
	for (int i = 0; i < 1000 && !d->calls; i++)
		fake_fd_poll(f->dm, 100);
	assert_int_equal(d->calls, 1);
}

/* Submits one request and waits for its result. */
static int64_t run(struct fx *f, struct blk *b, enum blk_op op,
		   uint64_t offset, const struct iovec *iov,
		   unsigned int iovcnt)
{
	struct done d = { 0 };

	assert_int_equal(submit(b, op, offset, iov, iovcnt, &d), 0);
	assert_int_equal(d.calls, 0);
	wait_done(f, &d);
	return d.ret;
}

static void make_file(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	uint8_t buf[4096];

	assert_true(fd >= 0);
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)((off + i) * 7 / 512 + 1);
		assert_int_equal(pwrite(fd, buf, n, (off_t)off), (ssize_t)n);
	}
	close(fd);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/var/tmp/hvmkit-blk-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->img, sizeof(f->img), "%s/disk.img", f->dir);
	make_file(f->img, IMG_SIZE);
	f->fd = open(f->img, O_RDWR);
	f->dm = fake_dm_new(4096);
	kernel_limit = shorten = 0;
	nr_eagain = nr_partial = nr_dsync_writes = nr_plain_writes = 0;
	nr_fdatasync = 0;
	fail_writes = 0;
	fail_fdatasync = 0;
	no_dioalign = direct_4k = false;
	*state = f;
	return f->fd < 0 || !f->dm ? -1 : 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	bool clean = fake_dm_free(f->dm);

	close(f->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return clean ? 0 : -1;
}

static struct blk *open_img(struct fx *f, const char *path, bool ro,
			    bool no_direct, char *err)
{
	struct blk_config cfg = { .path = path, .fd = -1, .read_only = ro,
				  .no_direct = no_direct };

	err[0] = 0;
	return blk_open(f->dm, &cfg, err, 256);
}

static struct blk *open_ok(struct fx *f, bool ro, bool no_direct)
{
	char err[256];
	struct blk *b = open_img(f, f->img, ro, no_direct, err);

	if (!b)
		fail_msg("blk_open: %s", err);
	assert_string_equal(err, "");
	return b;
}

static void *aligned(size_t len)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 4096, len), 0);
	return p;
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

/* The image at offset holds what fill(seed) makes. */
static void check_file(struct fx *f, uint64_t offset, size_t len,
		       unsigned int seed)
{
	uint8_t *want = malloc(len), *got = malloc(len);

	assert_non_null(want);
	assert_non_null(got);
	fill(want, len, seed);
	assert_int_equal(pread(f->fd, got, len, (off_t)offset), (ssize_t)len);
	assert_memory_equal(got, want, len);
	free(want);
	free(got);
}

/* --------------------------------------------------------------- tests */

/* Aligned buffers: straight O_DIRECT reads and writes. */
static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct blk *b = open_ok(f, false, false);
	uint8_t *buf = aligned(8192), *back = aligned(8192);
	struct iovec w = { buf, 8192 }, r = { back, 8192 };

	assert_true(blk_is_direct(b));
	assert_false(blk_read_only(b));
	assert_int_equal(blk_size(b), IMG_SIZE);
	assert_string_equal(blk_path(b), f->img);
	assert_true(blk_write_cache(b));
	fill(buf, 8192, 1);
	assert_int_equal(run(f, b, BLK_WRITE, 3 * 4096, &w, 1), 8192);
	check_file(f, 3 * 4096, 8192, 1);
	assert_int_equal(run(f, b, BLK_READ, 3 * 4096, &r, 1), 8192);
	assert_memory_equal(back, buf, 8192);
	/* The last sector of the image. */
	w.iov_len = 512;
	assert_int_equal(run(f, b, BLK_WRITE, IMG_SIZE - 512, &w, 1), 512);
	check_file(f, IMG_SIZE - 512, 512, 1);
	assert_int_equal(blk_in_flight(b), 0);
	blk_close(b);
	free(buf);
	free(back);
}

/* Misaligned buffers and odd segment lengths: bounced under O_DIRECT,
 * direct without it; the same bytes either way. */
static void misaligned_round_trip(struct fx *f, bool no_direct)
{
	struct blk *b = open_ok(f, false, no_direct);
	uint8_t *buf = aligned(8192), *back = aligned(8192);
	struct iovec w[3] = { { buf + 1, 100 }, { buf + 101, 0 },
			      { buf + 200, 1436 } };
	struct iovec r[2] = { { back + 3, 1000 }, { back + 2000, 536 } };

	assert_int_equal(blk_is_direct(b), !no_direct);
	fill(buf + 1, 100, 5);
	for (unsigned int i = 0; i < 1436; i++)
		buf[200 + i] = (uint8_t)((100 + i) * 31 + 5);
	assert_int_equal(run(f, b, BLK_WRITE, 1536, w, 3), 1536);
	check_file(f, 1536, 1536, 5);
	assert_int_equal(run(f, b, BLK_READ, 1536, r, 2), 1536);
	assert_memory_equal(back + 3, buf + 1, 100);
	for (unsigned int i = 100; i < 1000; i++)
		assert_int_equal(back[3 + i], (uint8_t)(i * 31 + 5));
	for (unsigned int i = 0; i < 536; i++)
		assert_int_equal(back[2000 + i],
				 (uint8_t)((1000 + i) * 31 + 5));
	blk_close(b);
	free(buf);
	free(back);
}

static void test_misaligned_direct(void **state)
{
	misaligned_round_trip(*state, false);
}

static void test_misaligned_no_direct(void **state)
{
	misaligned_round_trip(*state, true);
}

/* On the page cache the transfer is over when io_submit() returns: the
 * callback comes from deferred work right after the submitting handler
 * (fake_run_deferred here), not through the eventfd, so the event loop is
 * not woken; a short completion is resubmitted the same way. */
static void test_page_cache_completes_deferred(void **state)
{
	struct fx *f = *state;
	struct blk *b = open_ok(f, false, true);
	uint8_t *buf = aligned(4096);
	struct iovec v = { buf, 4096 };
	struct done d = { 0 };

	assert_false(blk_is_direct(b));
	fill(buf, 4096, 9);
	shorten = 1;
	assert_int_equal(submit(b, BLK_WRITE, 8192, &v, 1, &d), 0);
	assert_int_equal(d.calls, 0);
	assert_int_equal(blk_in_flight(b), 1);
	assert_true(fake_run_deferred(f->dm) >= 1);
	assert_int_equal(shorten, 0);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.ret, 4096);
	assert_int_equal(blk_in_flight(b), 0);
	check_file(f, 8192, 4096, 9);
	assert_int_equal(fake_fd_poll(f->dm, 0), 0); /* eventfd quiet */
	memset(&d, 0, sizeof(d));
	assert_int_equal(submit(b, BLK_READ, 8192, &v, 1, &d), 0);
	assert_int_equal(fake_run_deferred(f->dm), 1);
	assert_int_equal(d.ret, 4096);
	assert_int_equal(fake_fd_poll(f->dm, 0), 0);
	blk_close(b);
	free(buf);
}

/* tmpfs: no STATX_DIOALIGN (and O_DIRECT refused before Linux 6.6): the
 * default alignment or the page cache, the same bytes either way. */
static void test_tmpfs(void **state)
{
	struct fx *f = *state;
	char path[64], err[256];
	struct blk *b;
	uint8_t *buf = aligned(4096), file[1024];
	struct iovec v = { buf + 16, 1024 };
	int fd;

	if (access("/dev/shm", W_OK) != 0) {
		free(buf);
		skip();
	}
	snprintf(path, sizeof(path), "/dev/shm/hvmkit-blk-%d.img", getpid());
	make_file(path, 65536);
	b = open_img(f, path, false, false, err);
	assert_non_null(b);
	fill(buf + 16, 1024, 21);
	assert_int_equal(run(f, b, BLK_WRITE, 2048, &v, 1), 1024);
	memset(buf, 0, 4096);
	v.iov_base = buf + 64;
	assert_int_equal(run(f, b, BLK_READ, 2048, &v, 1), 1024);
	blk_close(b);
	fd = open(path, O_RDONLY);
	unlink(path);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, file, 1024, 2048), 1024);
	close(fd);
	for (unsigned int i = 0; i < 1024; i++) {
		assert_int_equal(file[i], (uint8_t)(i * 31 + 21));
		assert_int_equal(buf[64 + i], (uint8_t)(i * 31 + 21));
	}
	free(buf);
}

/* A descriptor handed over (a CD from the hypervisor): O_DIRECT is
 * turned on with F_SETFL, and the backend owns the descriptor. */
static void test_passed_fd(void **state)
{
	struct fx *f = *state;
	int fd = open(f->img, O_RDONLY);
	struct blk_config cfg = { .path = "cd.iso", .fd = fd,
				  .read_only = true };
	char err[256] = "";
	uint8_t *buf = aligned(4096);
	struct iovec r = { buf, 4096 };
	struct blk *b;

	assert_true(fd >= 0);
	b = blk_open(f->dm, &cfg, err, sizeof(err));
	assert_non_null(b);
	assert_true(blk_is_direct(b));
	assert_true(fcntl(fd, F_GETFL) & O_DIRECT);
	assert_string_equal(blk_path(b), "cd.iso");
	assert_int_equal(run(f, b, BLK_READ, 0, &r, 1), 4096);
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[512], (uint8_t)(512 * 7 / 512 + 1));
	blk_close(b);
	assert_int_equal(fcntl(fd, F_GETFD), -1);

	/* A read-only descriptor cannot back a read-write disk; it is
	 * closed all the same. */
	fd = open(f->img, O_RDONLY);
	cfg.fd = fd;
	cfg.read_only = false;
	assert_null(blk_open(f->dm, &cfg, err, sizeof(err)));
	assert_string_equal(err,
			    "cd.iso: the descriptor is not open for writing");
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	free(buf);
}

/* Writes to a read-only image fail with EROFS through the callback;
 * reads and flushes work. */
static void test_read_only(void **state)
{
	struct fx *f = *state;
	struct blk *b = open_ok(f, true, false);
	uint8_t *buf = aligned(512);
	struct iovec v = { buf, 512 };

	assert_true(blk_read_only(b));
	fill(buf, 512, 9);
	assert_int_equal(run(f, b, BLK_WRITE, 0, &v, 1), -EROFS);
	assert_int_equal(run(f, b, BLK_READ, 512, &v, 1), 512);
	assert_int_equal(buf[0], 8); /* 512 * 7 / 512 + 1 */
	assert_int_equal(run(f, b, BLK_FLUSH, 0, NULL, 0), 0);
	blk_close(b);
	free(buf);
}

static void test_out_of_range(void **state)
{
	struct fx *f = *state;
	struct blk *b = open_ok(f, false, false);
	uint8_t *buf = aligned(4096);
	struct iovec v = { buf, 1024 }, odd = { buf, 700 };
	struct iovec big[2] = { { buf, 4096 }, { buf, SIZE_MAX - 100 } };

	assert_int_equal(run(f, b, BLK_READ, IMG_SIZE, &v, 1), -EINVAL);
	assert_int_equal(run(f, b, BLK_WRITE, IMG_SIZE - 512, &v, 1),
			 -EINVAL);
	assert_int_equal(run(f, b, BLK_READ, UINT64_MAX - 511, &v, 1),
			 -EINVAL);
	assert_int_equal(run(f, b, BLK_READ, 100, &v, 1), -EINVAL);
	assert_int_equal(run(f, b, BLK_READ, 0, &odd, 1), -EINVAL);
	assert_int_equal(run(f, b, BLK_READ, 0, big, 2), -EINVAL);
	/* Nothing to do is not an error. */
	assert_int_equal(run(f, b, BLK_READ, 0, NULL, 0), 0);
	/* Caller bugs: no callback at all. */
	fake_errors_capture();
	assert_int_equal(blk_submit(b, BLK_READ, 0, &v, BLK_MAX_IOV + 1,
				    done_cb, NULL), -1);
	assert_int_equal(blk_submit(b, BLK_READ, 0, &v, 1, NULL, NULL), -1);
	assert_int_equal(fake_nr_errors, 2);
	fake_errors_release();
	assert_int_equal(blk_in_flight(b), 0);
	blk_close(b);
	free(buf);
}

static void expect_open_error(struct fx *f, const char *path, bool ro,
			      const char *want)
{
	char err[256];

	assert_null(open_img(f, path, ro, false, err));
	assert_string_equal(err, want);
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	char path[160], want[256];

	snprintf(path, sizeof(path), "%s/missing.img", f->dir);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	expect_open_error(f, path, false, want);
	expect_open_error(f, path, true, want);

	snprintf(want, sizeof(want), "%s: Is a directory", f->dir);
	expect_open_error(f, f->dir, false, want);
	expect_open_error(f, f->dir, true, want);

	snprintf(path, sizeof(path), "%s/empty.img", f->dir);
	make_file(path, 0);
	snprintf(want, sizeof(want), "%s: the image is empty (0 bytes)",
		 path);
	expect_open_error(f, path, true, want);

	snprintf(path, sizeof(path), "%s/odd.img", f->dir);
	make_file(path, 1000);
	snprintf(want, sizeof(want),
		 "%s: size 1000 bytes is not a multiple of 512", path);
	expect_open_error(f, path, false, want);

	snprintf(path, sizeof(path), "%s/locked.img", f->dir);
	make_file(path, 512);
	chmod(path, 0400);
	if (geteuid() != 0) {
		snprintf(want, sizeof(want), "%s: Permission denied", path);
		expect_open_error(f, path, false, want);
	}
	assert_int_equal(fake_fd_watch_count(f->dm), 0);
}

/* OFD locks: one read-write user, or any number of readers. */
static void test_locks(void **state)
{
	struct fx *f = *state;
	struct blk *rw = open_ok(f, false, false), *ro, *ro2;
	char err[256], want[256];

	snprintf(want, sizeof(want),
		 "%s: is in use read-write (by another disk of this domain or another domain)",
		 f->img);
	expect_open_error(f, f->img, false, want);
	expect_open_error(f, f->img, true, want);
	blk_close(rw);

	ro = open_ok(f, true, false);
	ro2 = open_ok(f, true, true);
	snprintf(want, sizeof(want),
		 "%s: is in use read-only (by another disk of this domain or another domain)",
		 f->img);
	expect_open_error(f, f->img, false, want);
	blk_close(ro);
	blk_close(ro2);
	rw = open_img(f, f->img, false, false, err);
	assert_non_null(rw);
	blk_close(rw);
}

static void test_flush(void **state)
{
	struct fx *f = *state;
	struct blk *b = open_ok(f, false, false);
	uint8_t *buf = aligned(512);
	struct iovec v = { buf, 512 };
	struct done d[5] = { { 0 } };

	fill(buf, 512, 3);
	assert_int_equal(run(f, b, BLK_WRITE, 0, &v, 1), 512);
	assert_int_equal(run(f, b, BLK_FLUSH, 0, NULL, 0), 0);
	assert_int_equal(nr_fdatasync, 1);
	/* Flushes queue on the worker; all complete. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(submit(b, BLK_FLUSH, 0, NULL, 0, &d[i]), 0);
	blk_poll(b, true);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].ret, 0);
	}
	assert_int_equal(nr_fdatasync, 6);
	blk_close(b);
	free(buf);
}

/* Write-through writes carry RWF_DSYNC; switching at run time works. */
static void test_write_through(void **state)
{
	struct fx *f = *state;
	struct blk_config cfg = { .path = f->img, .fd = -1,
				  .cache = BLK_CACHE_WRITETHROUGH };
	char err[256];
	struct blk *b = blk_open(f->dm, &cfg, err, sizeof(err));
	uint8_t *buf = aligned(1024);
	struct iovec v = { buf, 1024 }, mis = { buf + 8, 512 };

	assert_non_null(b);
	assert_false(blk_write_cache(b));
	fill(buf, 1024, 11);
	assert_int_equal(run(f, b, BLK_WRITE, 4096, &v, 1), 1024);
	check_file(f, 4096, 1024, 11);
	assert_int_equal(run(f, b, BLK_WRITE, 0, &mis, 1), 512);
	assert_int_equal(nr_dsync_writes, 2);
	assert_int_equal(nr_plain_writes, 0);
	/* The host's write-through is kept: the guest cannot turn the
	 * write cache on (ATA SET FEATURES 02h), only off. */
	blk_set_write_cache(b, true);
	assert_false(blk_write_cache(b));
	assert_int_equal(run(f, b, BLK_WRITE, 4096, &v, 1), 1024);
	assert_int_equal(nr_dsync_writes, 3);
	assert_int_equal(nr_plain_writes, 0);
	blk_set_write_cache(b, false);
	assert_false(blk_write_cache(b));
	blk_close(b);

	/* A write-back disk switches both ways at run time. */
	cfg.cache = BLK_CACHE_WRITEBACK;
	b = blk_open(f->dm, &cfg, err, sizeof(err));
	assert_non_null(b);
	assert_true(blk_write_cache(b));
	blk_set_write_cache(b, false);
	assert_false(blk_write_cache(b));
	assert_int_equal(run(f, b, BLK_WRITE, 4096, &v, 1), 1024);
	assert_int_equal(nr_dsync_writes, 4);
	blk_set_write_cache(b, true);
	assert_true(blk_write_cache(b));
	assert_int_equal(run(f, b, BLK_WRITE, 4096, &v, 1), 1024);
	assert_int_equal(nr_dsync_writes, 4);
	assert_int_equal(nr_plain_writes, 1);
	blk_close(b);
	free(buf);
}

/* A failed flush is sticky (Linux reports a writeback error to one
 * fdatasync only): that flush, the ones queued with it and every later
 * one fail with its error, with one error line naming the image.
 * O_DIRECT writes go on. */
static void test_flush_error_sticky(void **state)
{
	struct fx *f = *state;
	struct blk *b = open_ok(f, false, false);
	uint8_t *buf = aligned(512);
	struct iovec v = { buf, 512 };
	struct done d[3] = { { 0 } };

	fill(buf, 512, 4);
	assert_int_equal(run(f, b, BLK_WRITE, 0, &v, 1), 512);
	fake_errors_capture();
	fail_fdatasync = 1;
	for (int i = 0; i < 3; i++)
		assert_int_equal(submit(b, BLK_FLUSH, 0, NULL, 0, &d[i]), 0);
	blk_poll(b, true);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].ret, -EIO);
	}
	assert_int_equal(fake_nr_errors, 1);
	assert_non_null(strstr(fake_last_error, f->img));
	assert_non_null(strstr(fake_last_error, "flush failed"));
	/* fdatasync would succeed now; the flush must not. */
	assert_int_equal(fail_fdatasync, 0);
	assert_int_equal(run(f, b, BLK_FLUSH, 0, NULL, 0), -EIO);
	assert_int_equal(run(f, b, BLK_FLUSH, 0, NULL, 0), -EIO);
	assert_true(blk_is_direct(b));
	assert_int_equal(run(f, b, BLK_WRITE, 0, &v, 1), 512);
	assert_int_equal(run(f, b, BLK_READ, 0, &v, 1), 512);
	assert_int_equal(fake_nr_errors, 1);
	fake_errors_release();
	blk_close(b);
	free(buf);
}

/* Without O_DIRECT a failed write may have lost page-cache data: later
 * writes and flushes fail too.  Under O_DIRECT it is one request's
 * failure, logged (rate-limited) with path, operation and offset. */
static void test_write_error(void **state)
{
	struct fx *f = *state;
	struct blk *b = open_ok(f, false, true);
	uint8_t *buf = aligned(512);
	struct iovec v = { buf, 512 };
	unsigned int syncs;

	fill(buf, 512, 6);
	fake_errors_capture();
	fail_writes = 1;
	assert_int_equal(run(f, b, BLK_WRITE, 4096, &v, 1), -EIO);
	assert_int_equal(fail_writes, 0);
	assert_int_equal(fake_nr_errors, 1);
	assert_non_null(strstr(fake_last_error, f->img));
	assert_non_null(strstr(fake_last_error, "offset 4096"));
	syncs = nr_fdatasync;
	assert_int_equal(run(f, b, BLK_FLUSH, 0, NULL, 0), -EIO);
	assert_int_equal(run(f, b, BLK_WRITE, 8192, &v, 1), -EIO);
	assert_int_equal(run(f, b, BLK_READ, 8192, &v, 1), 512);
	assert_int_equal(nr_fdatasync, syncs);
	assert_int_equal(fake_nr_errors, 1);
	blk_close(b);

	b = open_ok(f, false, false);
	assert_true(blk_is_direct(b));
	fail_writes = 1;
	assert_int_equal(run(f, b, BLK_WRITE, 1024, &v, 1), -EIO);
	assert_int_equal(fake_nr_errors, 2);
	assert_non_null(strstr(fake_last_error, f->img));
	assert_non_null(strstr(fake_last_error,
			       "write of 512 bytes at offset 1024 failed"));
	assert_int_equal(run(f, b, BLK_WRITE, 1024, &v, 1), 512);
	assert_int_equal(run(f, b, BLK_FLUSH, 0, NULL, 0), 0);
	assert_int_equal(fake_nr_errors, 2);
	fake_errors_release();
	blk_close(b);
	free(buf);
}

/* No STATX_DIOALIGN (kernels before 6.1, some file systems): a 512-byte
 * O_DIRECT read decides; a file system whose O_DIRECT wants 4 KiB
 * offsets (a 4Kn disk) gets the page cache rather than failing every
 * request that is not 4 KiB aligned. */
static void test_direct_probe(void **state)
{
	struct fx *f = *state;
	struct blk *b;
	uint8_t *buf = aligned(4096);
	struct iovec v = { buf + 512, 512 };

	no_dioalign = true;
	b = open_ok(f, false, false);
	assert_true(blk_is_direct(b));
	blk_close(b);

	direct_4k = true;
	b = open_ok(f, false, false);
	assert_false(blk_is_direct(b));
	fill(buf + 512, 512, 8);
	assert_int_equal(run(f, b, BLK_WRITE, 1536, &v, 1), 512);
	check_file(f, 1536, 512, 8);
	assert_int_equal(run(f, b, BLK_READ, 1536, &v, 1), 512);
	blk_close(b);
	free(buf);
}

#define MANY 300

/* More requests than the queue depth, and a kernel that takes only a
 * few at a time: all complete, none inside blk_submit. */
static void many_in_flight(struct fx *f, unsigned int limit)
{
	struct blk *b = open_ok(f, false, false);
	uint8_t *buf = aligned(MANY * 512);
	struct iovec v[MANY];
	struct done d[MANY] = { { 0 } };

	kernel_limit = limit;
	for (unsigned int i = 0; i < MANY; i++) {
		fill(buf + i * 512, 512, i);
		v[i] = (struct iovec){ buf + i * 512, 512 };
		assert_int_equal(submit(b, BLK_WRITE, 8192 + i * 1024ull,
					&v[i], 1, &d[i]), 0);
	}
	assert_int_equal(blk_in_flight(b), MANY);
	for (int i = 0; i < 10000 && blk_in_flight(b); i++)
		fake_fd_poll(f->dm, 100);
	assert_int_equal(blk_in_flight(b), 0);
	for (unsigned int i = 0; i < MANY; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].ret, 512);
		check_file(f, 8192 + i * 1024ull, 512, i);
	}
	if (limit) {
		assert_true(nr_eagain > 0);
		assert_true(nr_partial > 0);
	}
	kernel_limit = 0;
	blk_close(b);
	free(buf);
}

static void test_many(void **state)
{
	many_in_flight(*state, 0);
}

static void test_kernel_busy(void **state)
{
	many_in_flight(*state, 5);
}

/* Short transfers are resubmitted for the rest, with and without a
 * bounce buffer, for reads and writes. */
static void test_short(void **state)
{
	struct fx *f = *state;
	struct blk *b = open_ok(f, false, false);
	uint8_t *buf = aligned(65536), *back = aligned(65536);
	struct iovec w[3] = { { buf, 4096 }, { buf + 4096, 8192 },
			      { buf + 12288, 53248 } };
	struct iovec r = { back, 65536 }, mis = { back + 1, 65024 };

	fill(buf, 65536, 7);
	shorten = 3;
	assert_int_equal(run(f, b, BLK_WRITE, 65536, w, 3), 65536);
	assert_int_equal(shorten, 0);
	check_file(f, 65536, 65536, 7);
	shorten = 3;
	assert_int_equal(run(f, b, BLK_READ, 65536, &r, 1), 65536);
	assert_memory_equal(back, buf, 65536);
	memset(back, 0, 65536);
	shorten = 3;
	assert_int_equal(run(f, b, BLK_READ, 65536, &mis, 1), 65024);
	assert_memory_equal(back + 1, buf, 65024);
	shorten = 0;
	blk_close(b);
	free(buf);
	free(back);
}

/* blk_poll(wait) and blk_close() finish everything in flight, running
 * the callbacks. */
static void test_drain(void **state)
{
	struct fx *f = *state;
	struct blk *b = open_ok(f, false, false);
	uint8_t *buf = aligned(64 * 4096);
	struct iovec v[64];
	struct done d[66] = { { 0 } };

	for (unsigned int i = 0; i < 64; i++) {
		v[i] = (struct iovec){ buf + i * 4096, 4096 };
		assert_int_equal(submit(b, BLK_READ, i * 4096ull, &v[i], 1,
					&d[i]), 0);
	}
	assert_int_equal(submit(b, BLK_FLUSH, 0, NULL, 0, &d[64]), 0);
	assert_int_equal(submit(b, BLK_READ, 1, &v[0], 1, &d[65]), 0);
	blk_poll(b, true);
	assert_int_equal(blk_in_flight(b), 0);
	for (unsigned int i = 0; i < 66; i++)
		assert_int_equal(d[i].calls, 1);
	assert_int_equal(d[65].ret, -EINVAL);

	memset(d, 0, sizeof(d));
	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(submit(b, BLK_WRITE, i * 4096ull, &v[i], 1,
					&d[i]), 0);
	assert_int_equal(submit(b, BLK_FLUSH, 0, NULL, 0, &d[64]), 0);
	assert_int_equal(submit(b, BLK_READ, 1, &v[0], 1, &d[65]), 0);
	blk_close(b);
	for (unsigned int i = 0; i < 64; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].ret, 4096);
	}
	assert_int_equal(d[64].calls, 1);
	assert_int_equal(d[64].ret, 0);
	assert_int_equal(d[65].ret, -EINVAL);
	free(buf);
}

/* A callback may submit the next request (as a device completing one
 * chunk and starting the next does). */
struct chain {
	struct blk *b;
	struct iovec v;
	unsigned int left, calls;
};

static void chain_cb(void *opaque, int64_t ret)
{
	struct chain *c = opaque;

	assert_false(in_submit);
	assert_int_equal(ret, 512);
	c->calls++;
	if (c->left--) {
		in_submit = true;
		assert_int_equal(blk_submit(c->b, BLK_READ, c->left * 512ull,
					    &c->v, 1, chain_cb, c), 0);
		in_submit = false;
	}
}

static void test_chain(void **state)
{
	struct fx *f = *state;
	struct chain c = { .b = open_ok(f, true, false), .left = 20 };

	c.v = (struct iovec){ aligned(512), 512 };
	in_submit = true;
	assert_int_equal(blk_submit(c.b, BLK_READ, 0, &c.v, 1, chain_cb, &c),
			 0);
	in_submit = false;
	for (int i = 0; i < 1000 && c.calls < 21; i++)
		fake_fd_poll(f->dm, 100);
	assert_int_equal(c.calls, 21);
	blk_close(c.b);
	free(c.v.iov_base);
}

/* In a child under the device model's seccomp filter (devmodel/sandbox.c),
 * as after setup: I/O and flushes on a disk opened before, a CD medium
 * from a descriptor opened and closed after.  A missing rule kills the
 * child with SIGSYS. */
static int sandboxed_child(struct fx *f)
{
	struct dm *dm = fake_dm_new(4096);
	struct blk_config cfg = { .path = f->img, .fd = -1 };
	char err[256];
	struct blk *disk = blk_open(dm, &cfg, err, sizeof(err)), *cd;
	uint8_t *buf = aligned(4096);
	struct iovec v = { buf + 1, 2048 };
	struct done d[3] = { { 0 } };
	char cd_path[160];

	snprintf(cd_path, sizeof(cd_path), "%s/cd.iso", f->dir);
	make_file(cd_path, 2048 * 16);
	cfg = (struct blk_config){ .path = cd_path,
				   .fd = open(cd_path, O_RDONLY),
				   .read_only = true };
	if (!disk || cfg.fd < 0 || sandbox_apply() < 0)
		return 2;
	cd = blk_open(dm, &cfg, err, sizeof(err));
	if (!cd)
		return 3;
	blk_submit(disk, BLK_WRITE, 4096, &v, 1, done_cb, &d[0]);
	blk_submit(disk, BLK_FLUSH, 0, NULL, 0, done_cb, &d[1]);
	blk_submit(cd, BLK_READ, 2048, &v, 1, done_cb, &d[2]);
	while (!d[0].calls || !d[1].calls || !d[2].calls)
		fake_fd_poll(dm, 1000);
	if (d[0].ret != 2048 || d[1].ret != 0 || d[2].ret != 2048)
		return 4;
	blk_close(cd);
	blk_close(disk);
	return fake_dm_free(dm) ? 0 : 5;
}

static void test_sandbox(void **state)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (!pid)
		_exit(sandboxed_child(*state));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("the sandboxed child died of signal %d",
			 WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* The sandbox allows io_setup() up to the backend's queue depth, and
 * kills the process for a bigger context. */
static int aio_limit_child(unsigned int nr_events)
{
	unsigned long ctx = 0;   /* the kernel's aio_context_t */

	if (sandbox_apply() < 0)
		return 2;
	if (syscall(SYS_io_setup, nr_events, &ctx) < 0)
		return 3;
	syscall(SYS_io_destroy, ctx);
	return 0;
}

static int run_aio_limit_child(unsigned int nr_events)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (!pid)
		_exit(aio_limit_child(nr_events));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_sandbox_aio_limit(void **state)
{
	int status;

	(void)state;
	status = run_aio_limit_child(BLK_QUEUE_DEPTH);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	status = run_aio_limit_child(BLK_QUEUE_DEPTH + 1);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	status = run_aio_limit_child(65536);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_round_trip),
		T(test_misaligned_direct),
		T(test_misaligned_no_direct),
		T(test_page_cache_completes_deferred),
		T(test_tmpfs),
		T(test_passed_fd),
		T(test_read_only),
		T(test_out_of_range),
		T(test_open_errors),
		T(test_locks),
		T(test_flush),
		T(test_write_through),
		T(test_flush_error_sticky),
		T(test_write_error),
		T(test_direct_probe),
		T(test_many),
		T(test_kernel_busy),
		T(test_short),
		T(test_drain),
		T(test_chain),
		T(test_sandbox),
		T(test_sandbox_aio_limit),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
