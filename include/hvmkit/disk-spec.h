/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One disk of a domain, as xl.cfg writes it (Xen's
 * docs/misc/xl-disk-configuration.txt):
 *
 *   'format=raw, vdev=hda, access=rw, target=/path/disk.img'
 *   'vdev=hdc, devtype=cdrom, access=ro, target=/path/x.iso'
 *   '/path/disk.img,raw,hda,rw'   (positional: target, format, vdev, access)
 *   '/path/x.iso,,hdc:cdrom,r'    (legacy ":cdrom" suffix on the vdev)
 *
 * target= must come last (it may contain commas); an empty target is an
 * empty CD drive.  hvmkit adds cache=writeback|writethrough.  The one
 * parser for the CLI, the hypervisor (--disk) and the device model
 * (--drive) (common/disk-spec.c).
 */
#ifndef HVMKIT_DISK_SPEC_H
#define HVMKIT_DISK_SPEC_H

#include <stdbool.h>
#include <stddef.h>

struct disk_spec {
	char vdev[16];            /* hda..hdd */
	bool cdrom;
	bool read_only;
	bool writethrough;        /* cache=writethrough */
	char *target;             /* malloc'd; "" for an empty CD drive */
};

/* Parses s into d.  0, or -1 with one line in err naming the problem
 * (without the spec itself; the caller says where it came from). */
int disk_spec_parse(const char *s, struct disk_spec *d, char *err,
		    size_t err_len);
void disk_spec_free(struct disk_spec *d);

#endif
