/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The drives of the command line (--drive SPEC, an xl.cfg disk spec each;
 * include/hvmkit/disk-spec.h) and their media (device.h, "drives").
 *
 * - drives_open() opens every image with blk_open() after SETUP, before
 *   the devices are created and before the sandbox (which allows no
 *   open()); a failure is one error line naming the disk.
 * - The device serving a vdev (the PIIX3 IDE for hda-hdd) finds its
 *   drives with dm_drive_find() and claims them; drives_check_claimed()
 *   then refuses a drive nobody claimed.
 * - Media changes (hvmkit cd-insert / cd-eject): the hypervisor opens the
 *   image, read-only, and sends DM_MSG_MEDIA with the descriptor (none to
 *   eject).  drives_media() makes a blk of it, asks the drive's device
 *   (change_media), and answers DM_MSG_MEDIA_ACK with a status and, if
 *   refused, the reason the user sees ("hdc: the guest has locked the
 *   tray").
 *
 * Ownership: drive->blk belongs to this file; devices use it but never
 * close it.  After a successful change the old medium is closed here (the
 * device's handler is done with it when it returns).  At exit the
 * requests in flight complete first (their callbacks reach live devices),
 * then the devices are destroyed (a device whose callbacks submitted more
 * waits for them in its destroy hook), then every medium is closed.
 */
#define _GNU_SOURCE
#include "dm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block.h"
#include "hvmkit/disk-spec.h"
#include "hvmkit/log.h"

struct dm_drive_slot {
	struct dm_drive drive;   /* first: devices see only this */
	char *target;            /* drive.target points here */
};

struct dm_drive *dm_drive_find(struct dm *dm, const char *vdev)
{
	for (unsigned int i = 0; i < dm->nr_drives; i++)
		if (!strcmp(dm->drives[i].drive.vdev, vdev))
			return &dm->drives[i].drive;
	return NULL;
}

static struct dm_drive_slot *slot_find(struct dm *dm, const char *vdev)
{
	return (struct dm_drive_slot *)dm_drive_find(dm, vdev);
}

static int open_one(struct dm *dm, struct dm_drive_slot *s, const char *spec)
{
	struct disk_spec d;
	char err[DM_TEXT_MAX];
	struct blk_config cfg;

	if (disk_spec_parse(spec, &d, err, sizeof(err)) < 0) {
		/* dm_args_parse() checked it already. */
		log_error("--drive '%s': %s", spec, err);
		return -1;
	}
	snprintf(s->drive.vdev, sizeof(s->drive.vdev), "%s", d.vdev);
	s->drive.cdrom = d.cdrom;
	s->drive.read_only = d.read_only;
	s->target = d.target;     /* taken over */
	s->drive.target = s->target;
	if (!*d.target)
		return 0;         /* an empty CD drive */
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = d.target;
	cfg.fd = -1;
	cfg.read_only = d.read_only;
	cfg.cache = d.writethrough ? BLK_CACHE_WRITETHROUGH :
				     BLK_CACHE_WRITEBACK;
	s->drive.blk = blk_open(dm, &cfg, err, sizeof(err));
	if (!s->drive.blk) {
		log_error("disk %s: %s", d.vdev, err);
		return -1;
	}
	log_info("disk %s: %s%s, %llu bytes%s", d.vdev, d.target,
		 d.read_only ? " (read-only)" : "",
		 (unsigned long long)blk_size(s->drive.blk),
		 d.cdrom ? ", CD-ROM" : "");
	return 0;
}

int drives_open(struct dm *dm, char *const *specs, unsigned int nr)
{
	if (!nr)
		return 0;
	dm->drives = calloc(nr, sizeof(*dm->drives));
	if (!dm->drives) {
		log_error("out of memory");
		return -1;
	}
	for (unsigned int i = 0; i < nr; i++) {
		dm->nr_drives = i + 1; /* closed at exit even if half-made */
		if (open_one(dm, &dm->drives[i], specs[i]) < 0)
			return -1;
		for (unsigned int j = 0; j < i; j++) {
			if (!strcmp(dm->drives[j].drive.vdev,
				    dm->drives[i].drive.vdev)) {
				log_error("--drive '%s': %s is attached "
					  "twice", specs[i],
					  dm->drives[i].drive.vdev);
				return -1;
			}
		}
	}
	return 0;
}

int drives_check_claimed(struct dm *dm)
{
	for (unsigned int i = 0; i < dm->nr_drives; i++) {
		const struct dm_drive *d = &dm->drives[i].drive;

		if (d->claimed)
			continue;
		log_error("disk %s: no controller for this vdev (the IDE "
			  "controller of --machine pc serves hda-hdd)",
			  d->vdev);
		return -1;
	}
	return 0;
}

void drives_drain(struct dm *dm)
{
	for (unsigned int i = 0; i < dm->nr_drives; i++)
		if (dm->drives[i].drive.blk)
			blk_poll(dm->drives[i].drive.blk, true);
}

void drives_close(struct dm *dm)
{
	for (unsigned int i = 0; i < dm->nr_drives; i++) {
		struct dm_drive_slot *s = &dm->drives[i];

		if (s->drive.blk)
			blk_close(s->drive.blk);
		s->drive.blk = NULL;
		free(s->target);
		s->target = NULL;
	}
	free(dm->drives);
	dm->drives = NULL;
	dm->nr_drives = 0;
}

/* ------------------------------------------------------ media changes */

static void media_ack(struct dm *dm, uint32_t req_seq, int status,
		      const char *why)
{
	struct dm_msg_media_ack a;

	memset(&a, 0, sizeof(a));
	a.req_seq = req_seq;
	a.status = status;
	if (status) {
		snprintf(a.text, sizeof(a.text), "%s", why);
		/* One printable line, as the hypervisor requires. */
		dm_msg_text_printable(a.text, ' ');
	}
	ctl_send(dm, DM_MSG_MEDIA_ACK, &a, sizeof(a), NULL, 0);
}

/* Carries out one change; 0, or -errno with the reason in why.  *fd
 * becomes -1 once blk_open() has taken it over. */
static int change(struct dm *dm, const struct dm_msg_media *req, int *fd,
		  char *why, size_t why_len)
{
	struct dm_drive_slot *s = slot_find(dm, req->vdev);
	struct blk *nb = NULL, *old;
	struct blk_config cfg;
	char err[DM_TEXT_MAX - 24], reason[DM_TEXT_MAX - 24] = "";
	char *target;

	if (!s) {
		snprintf(why, why_len, "no drive %s", req->vdev);
		return -ENODEV;
	}
	if (!s->drive.cdrom) {
		snprintf(why, why_len, "%s: not a CD drive", req->vdev);
		return -EMEDIUMTYPE;
	}
	if (!s->drive.change_media) {
		snprintf(why, why_len, "%s: the drive does not support media "
			 "changes", req->vdev);
		return -ENOTSUP;
	}
	target = strdup(req->insert ? req->path : "");
	if (!target) {
		snprintf(why, why_len, "%s: out of memory", req->vdev);
		return -ENOMEM;
	}
	if (req->insert) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.path = req->path;
		cfg.fd = *fd;     /* taken over by blk_open, even if it fails */
		cfg.read_only = true;
		*fd = -1;
		nb = blk_open(dm, &cfg, err, sizeof(err));
		if (!nb) {
			snprintf(why, why_len, "%s: %s", req->vdev, err);
			free(target);
			return -EINVAL;
		}
	}
	if (s->drive.change_media(s->drive.change_opaque, nb, reason,
				  sizeof(reason)) < 0) {
		snprintf(why, why_len, "%s: %s", req->vdev,
			 reason[0] ? reason : "the drive refused the change");
		if (nb)
			blk_close(nb);
		free(target);
		return -EBUSY;
	}
	old = s->drive.blk;
	s->drive.blk = nb;
	free(s->target);
	s->target = target;
	s->drive.target = target;
	if (old)
		blk_close(old);
	if (nb)
		log_info("disk %s: %s inserted", req->vdev, req->path);
	else
		log_info("disk %s: medium ejected", req->vdev);
	return 0;
}

void drives_media(struct dm *dm, struct ctl_msg *m)
{
	struct dm_msg_media req = m->media;
	char why[DM_TEXT_MAX] = "";
	int fd = m->nr_fds ? m->fds[0] : -1;
	int status;

	m->nr_fds = 0;            /* fd is ours now */
	status = change(dm, &req, &fd, why, sizeof(why));
	if (fd >= 0)              /* refused before blk_open() took it */
		close(fd);
	media_ack(dm, req.hdr.seq, status, why);
}
