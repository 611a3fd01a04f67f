/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of devmodel/drives.c with the real block backend and a
 * context without a hypervisor (dm_new(-1)): opening the --drive images,
 * dm_drive_find(), the unclaimed-drive check, and media changes
 * (DM_MSG_MEDIA -> the drive's change_media -> MEDIA_ACK with a reason).
 * Devices are played by the test: it claims drives and sets handlers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>

#include <cmocka.h>

#include "block.h"
#include "dm.h"
#include "hvmkit/log.h"

static struct dm *dm;
static char dir[64], disk[96], cd1[96], cd2[96], odd[96];
static unsigned int baseline_fds;

static unsigned int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* ----------------------------------------- recorded messages, errors */

static struct dm_msg_media_ack last_ack;
static unsigned int nr_acks;

static void record(void *opaque, const struct dm_msg_hdr *m)
{
	(void)opaque;
	if (m->type == DM_MSG_MEDIA_ACK) {
		assert_int_equal(m->len, sizeof(last_ack));
		memcpy(&last_ack, m, sizeof(last_ack));
		nr_acks++;
	}
}

static char last_error[512];
static unsigned int nr_errors;

static bool catch_error(const char *msg)
{
	snprintf(last_error, sizeof(last_error), "%s", msg);
	nr_errors++;
	return true;
}

static void make_file(char *path, size_t len, const char *name, off_t size)
{
	int fd;

	snprintf(path, len, "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hvmkit-test-drives.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	make_file(disk, sizeof(disk), "disk.img", 1 << 20);
	make_file(cd1, sizeof(cd1), "cd1.iso", 2 << 20);
	make_file(cd2, sizeof(cd2), "cd2.iso", 4 << 20);
	make_file(odd, sizeof(odd), "odd.iso", 1000);
	dm = dm_new(-1);
	if (!dm)
		return -1;
	dm->ctl.record = record;
	baseline_fds = open_fds();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(disk);
	unlink(cd1);
	unlink(cd2);
	unlink(odd);
	rmdir(dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	drives_close(dm);
	log_set_error_hook(NULL);
	/* Every image and medium, and every descriptor MEDIA brought, is
	 * closed. */
	assert_int_equal(open_fds(), baseline_fds);
	return 0;
}

/* Opens the drives of the specs; the error line, if any, in last_error. */
static int open_drives(char **specs, unsigned int nr)
{
	int ret;

	nr_errors = 0;
	last_error[0] = '\0';
	log_set_error_hook(catch_error);
	ret = drives_open(dm, specs, nr);
	log_set_error_hook(NULL);
	assert_int_equal(nr_errors, ret < 0 ? 1 : 0);
	return ret;
}

/* The usual set: a disk (hda), an empty CD drive (hdc), a CD with cd1
 * (hdd). */
static void open_standard(void)
{
	char a[160], c[] = "vdev=hdc,devtype=cdrom", d[160];
	char *specs[] = { a, c, d };

	snprintf(a, sizeof(a), "%s,raw,hda,rw", disk);
	snprintf(d, sizeof(d), "vdev=hdd,cdrom,target=%s", cd1);
	assert_int_equal(open_drives(specs, 3), 0);
}

/* ------------------------------------------------------------ opening */

static void test_open_and_find(void **state)
{
	struct dm_drive *hda, *hdc, *hdd;

	(void)state;
	open_standard();
	hda = dm_drive_find(dm, "hda");
	hdc = dm_drive_find(dm, "hdc");
	hdd = dm_drive_find(dm, "hdd");
	assert_non_null(hda);
	assert_non_null(hdc);
	assert_non_null(hdd);
	assert_null(dm_drive_find(dm, "hdb"));
	assert_null(dm_drive_find(dm, "xvda"));
	assert_false(hda->cdrom);
	assert_false(hda->read_only);
	assert_string_equal(hda->target, disk);
	assert_non_null(hda->blk);
	assert_int_equal(blk_size(hda->blk), 1 << 20);
	assert_false(blk_read_only(hda->blk));
	assert_true(hdc->cdrom);
	assert_true(hdc->read_only);
	assert_string_equal(hdc->target, "");
	assert_null(hdc->blk);
	assert_true(hdd->cdrom);
	assert_non_null(hdd->blk);
	assert_true(blk_read_only(hdd->blk));
	assert_false(hda->claimed);
}

static void test_unclaimed_drive(void **state)
{
	(void)state;
	open_standard();
	dm_drive_find(dm, "hda")->claimed = true;
	dm_drive_find(dm, "hdd")->claimed = true;
	log_set_error_hook(catch_error);
	nr_errors = 0;
	assert_int_equal(drives_check_claimed(dm), -1);
	assert_int_equal(nr_errors, 1);
	assert_string_equal(last_error, "disk hdc: no controller for this "
			    "vdev (the IDE controller of --machine pc serves "
			    "hda-hdd)");
	dm_drive_find(dm, "hdc")->claimed = true;
	assert_int_equal(drives_check_claimed(dm), 0);
	assert_int_equal(nr_errors, 1);
}

static void test_open_errors(void **state)
{
	char a[160], b[160], *one[] = { a }, *two[] = { a, b };

	(void)state;
	snprintf(a, sizeof(a), "vdev=hda,target=%s/nope.img", dir);
	assert_int_equal(open_drives(one, 1), -1);
	assert_non_null(strstr(last_error, "disk hda: "));
	assert_non_null(strstr(last_error, "nope.img: No such file or "
			       "directory"));
	drives_close(dm);

	snprintf(a, sizeof(a), "vdev=hda,target=%s", odd);
	assert_int_equal(open_drives(one, 1), -1);
	assert_non_null(strstr(last_error, "size 1000 bytes is not a "
			       "multiple of 512"));
	drives_close(dm);

	/* The same image read-write twice: the image lock. */
	snprintf(a, sizeof(a), "vdev=hda,target=%s", disk);
	snprintf(b, sizeof(b), "vdev=hdb,target=%s", disk);
	assert_int_equal(open_drives(two, 2), -1);
	assert_non_null(strstr(last_error, "disk hdb: "));
	assert_non_null(strstr(last_error, "in use read-write"));
	drives_close(dm);

	/* Read-only twice is fine. */
	snprintf(a, sizeof(a), "vdev=hda,access=ro,target=%s", disk);
	snprintf(b, sizeof(b), "vdev=hdb,access=ro,target=%s", disk);
	assert_int_equal(open_drives(two, 2), 0);
	drives_close(dm);

	snprintf(a, sizeof(a), "vdev=hda,target=%s", disk);
	snprintf(b, sizeof(b), "vdev=hda,access=ro,target=%s", cd1);
	assert_int_equal(open_drives(two, 2), -1);
	assert_non_null(strstr(last_error, "hda is attached twice"));
}

/* ------------------------------------------------------ media changes */

struct handler {
	unsigned int calls;
	struct blk *got;
	bool locked;
	struct dm_drive *drive;
};

static int change_media(void *opaque, struct blk *blk, char *why,
			size_t why_len)
{
	struct handler *h = opaque;

	h->calls++;
	h->got = blk;
	if (h->locked) {
		snprintf(why, why_len, "the guest has locked the tray");
		return -1;
	}
	/* The old medium is still open while the handler runs. */
	if (h->drive->blk)
		blk_poll(h->drive->blk, true);
	return 0;
}

/* Sends DM_MSG_MEDIA for vdev (path NULL: eject) and returns the ACK's
 * status; the text is in last_ack. */
static int media(const char *vdev, const char *path)
{
	struct ctl_msg m;
	unsigned int before = nr_acks;

	memset(&m, 0, sizeof(m));
	m.media.hdr.type = DM_MSG_MEDIA;
	m.media.hdr.len = sizeof(m.media);
	m.media.hdr.seq = 42;
	snprintf(m.media.vdev, sizeof(m.media.vdev), "%s", vdev);
	if (path) {
		m.media.insert = 1;
		snprintf(m.media.path, sizeof(m.media.path), "%s", path);
		m.fds[0] = open(path, O_RDONLY | O_CLOEXEC);
		assert_true(m.fds[0] >= 0);
		m.nr_fds = 1;
	}
	drives_media(dm, &m);
	assert_int_equal(m.nr_fds, 0);   /* taken */
	assert_int_equal(nr_acks, before + 1);
	assert_int_equal(last_ack.req_seq, 42);
	if (last_ack.status)
		assert_true(last_ack.text[0] != '\0');
	else
		assert_string_equal(last_ack.text, "");
	return last_ack.status;
}

static void test_media_refused_by_drives(void **state)
{
	(void)state;
	open_standard();
	assert_int_equal(media("hdb", cd2), -ENODEV);
	assert_string_equal(last_ack.text, "no drive hdb");
	assert_int_equal(media("hda", cd2), -EMEDIUMTYPE);
	assert_string_equal(last_ack.text, "hda: not a CD drive");
	assert_int_equal(media("hda", NULL), -EMEDIUMTYPE);
	/* No device claimed hdc and set a handler. */
	assert_int_equal(media("hdc", cd2), -ENOTSUP);
	assert_string_equal(last_ack.text, "hdc: the drive does not support "
			    "media changes");
}

static void test_media_insert_eject(void **state)
{
	struct dm_drive *hdc, *hdd;
	struct handler h = { 0 }, h2 = { 0 };

	(void)state;
	open_standard();
	hdc = dm_drive_find(dm, "hdc");
	hdd = dm_drive_find(dm, "hdd");
	h.drive = hdc;
	hdc->change_media = change_media;
	hdc->change_opaque = &h;
	h2.drive = hdd;
	hdd->change_media = change_media;
	hdd->change_opaque = &h2;

	assert_int_equal(media("hdc", cd1), 0);
	assert_int_equal(h.calls, 1);
	assert_non_null(h.got);
	assert_ptr_equal(hdc->blk, h.got);
	assert_true(blk_read_only(hdc->blk));
	assert_int_equal(blk_size(hdc->blk), 2 << 20);
	assert_string_equal(hdc->target, cd1);

	/* A medium replaces the one in the drive (closed afterwards). */
	assert_int_equal(media("hdc", cd2), 0);
	assert_int_equal(h.calls, 2);
	assert_ptr_equal(hdc->blk, h.got);
	assert_int_equal(blk_size(hdc->blk), 4 << 20);
	assert_string_equal(hdc->target, cd2);

	/* The same image in two CD drives: both read-only. */
	assert_int_equal(media("hdd", cd2), 0);
	assert_int_equal(h2.calls, 1);

	assert_int_equal(media("hdc", NULL), 0);
	assert_int_equal(h.calls, 3);
	assert_null(h.got);
	assert_null(hdc->blk);
	assert_string_equal(hdc->target, "");
	/* Ejecting an empty drive: the device decides (here: fine). */
	assert_int_equal(media("hdc", NULL), 0);
	assert_int_equal(h.calls, 4);
}

static void test_media_locked_tray(void **state)
{
	struct dm_drive *hdd;
	struct handler h = { .locked = true };
	struct blk *before;

	(void)state;
	open_standard();
	hdd = dm_drive_find(dm, "hdd");
	before = hdd->blk;
	h.drive = hdd;
	hdd->change_media = change_media;
	hdd->change_opaque = &h;
	assert_int_equal(media("hdd", cd2), -EBUSY);
	assert_string_equal(last_ack.text, "hdd: the guest has locked the "
			    "tray");
	assert_int_equal(media("hdd", NULL), -EBUSY);
	assert_string_equal(last_ack.text, "hdd: the guest has locked the "
			    "tray");
	/* The old medium stays. */
	assert_ptr_equal(hdd->blk, before);
	assert_string_equal(hdd->target, cd1);
	assert_int_equal(blk_size(hdd->blk), 2 << 20);
}

static void test_media_bad_image(void **state)
{
	struct dm_drive *hdc;
	struct handler h = { 0 };
	char want[200];

	(void)state;
	open_standard();
	hdc = dm_drive_find(dm, "hdc");
	h.drive = hdc;
	hdc->change_media = change_media;
	hdc->change_opaque = &h;
	assert_int_equal(media("hdc", odd), -EINVAL);
	snprintf(want, sizeof(want), "hdc: %s: size 1000 bytes is not a "
		 "multiple of 512", odd);
	assert_string_equal(last_ack.text, want);
	assert_int_equal(h.calls, 0);
	assert_null(hdc->blk);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_and_find),
		T(test_unclaimed_drive),
		T(test_open_errors),
		T(test_media_refused_by_drives),
		T(test_media_insert_eject),
		T(test_media_locked_tray),
		T(test_media_bad_image),
	};
#undef T

	log_init("test-drives", LOG_ERROR);
	return cmocka_run_group_tests_name("drives", tests, group_setup,
					   group_teardown);
}
