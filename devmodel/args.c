/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line parsing for hvmkit-devmodel. */
#include "dm.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "hvmkit/disk-spec.h"
#include "hvmkit/getopt-error.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"

void dm_usage(FILE *out)
{
	fprintf(out,
"Usage: " DM_PROG " --control-fd N [OPTION]...\n"
"The device-model process of one hvmkit domain.  hvmkit-hypervisor starts\n"
"it; it is not meant to be run by hand.\n"
"\n"
"      --control-fd N         the control socket (SOCK_SEQPACKET) to the\n"
"                             hypervisor (required)\n"
"      --device NAME[,KEY=VALUE...]\n"
"                             add a device (repeatable); ',,' in a value is\n"
"                             a literal comma\n"
"      --drive SPEC           attach a disk or CD drive (repeatable): an\n"
"                             xl.cfg disk spec, e.g. 'vdev=hda,target=PATH'\n"
"                             or 'vdev=hdc,devtype=cdrom,target=PATH' (an\n"
"                             empty target: no medium); raw images; the\n"
"                             IDE controller of --machine pc serves\n"
"                             hda-hdd; cache=writeback (default) or\n"
"                             writethrough\n"
"      --machine pc[,KEY=VALUE...] | none\n"
"                             the platform (default none): pc is the\n"
"                             i440FX/PIIX PC, see the device pc below\n"
"      --serial SPEC          the same as --device serial,backend=SPEC\n"
"                             (COM1); SPEC: none, stdio, pty, file:PATH,\n"
"                             unix:PATH\n"
"  -v, --verbose              more messages (twice for debug)\n"
"  -q, --quiet                errors only\n"
"  -h, --help                 this help\n"
"  -V, --version              version\n"
"\n"
"Devices:\n");
	device_types_help(out);
	fprintf(out,
"\n"
"Exit status: 0 when the hypervisor says QUIT or goes away; 1 after a\n"
"fatal error (reported to the hypervisor); 2 usage error.\n");
}

enum {
	OPT_CONTROL_FD = 256, OPT_DEVICE, OPT_SERIAL, OPT_MACHINE, OPT_DRIVE,
};

static const char short_opts[] = ":vqhV";

static const struct option long_opts[] = {
	{ "control-fd", required_argument, NULL, OPT_CONTROL_FD },
	{ "device", required_argument, NULL, OPT_DEVICE },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "machine", required_argument, NULL, OPT_MACHINE },
	{ "drive", required_argument, NULL, OPT_DRIVE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int add_device(struct dm_args *a, struct dm_opts *o)
{
	struct dm_opts **n;

	if (!o)
		return -1;
	if (!device_type_find(o->device)) {
		log_error("--device %s: no such device (see --help)",
			  o->device);
		dm_opts_free(o);
		return -1;
	}
	n = realloc(a->devices, (a->nr_devices + 1) * sizeof(*n));
	if (!n) {
		log_error("out of memory");
		dm_opts_free(o);
		return -1;
	}
	a->devices = n;
	a->devices[a->nr_devices++] = o;
	return 0;
}

/* --machine pc[,OPTIONS] is the device "pc", created before the others
 * (its PIIX3 routes the interrupts of PCI functions added later);
 * --machine none adds nothing. */
static int set_machine(struct dm_args *a, const char *spec)
{
	struct dm_opts *o;

	if (a->machine_set) {
		log_error("--machine given twice");
		return -1;
	}
	a->machine_set = true;
	if (!strcmp(spec, "none"))
		return 0;
	o = dm_opts_parse(spec);
	if (!o)
		return -1;
	if (strcmp(o->device, "pc")) {
		log_error("--machine %s: no such machine (pc or none)",
			  o->device);
		dm_opts_free(o);
		return -1;
	}
	if (add_device(a, o) < 0)
		return -1;
	memmove(a->devices + 1, a->devices,
		(a->nr_devices - 1) * sizeof(*a->devices));
	a->devices[0] = o;
	return 0;
}

/* --drive SPEC: checked here (a usage error), opened by drives.c. */
static int add_drive(struct dm_args *a, char *spec)
{
	struct disk_spec d;
	char err[256], **n;
	bool twice = false;

	if (disk_spec_parse(spec, &d, err, sizeof(err)) < 0) {
		log_error("--drive '%s': %s", spec, err);
		return -1;
	}
	for (unsigned int i = 0; i < a->nr_drives && !twice; i++) {
		struct disk_spec o;

		if (disk_spec_parse(a->drives[i], &o, err, sizeof(err)) == 0) {
			twice = !strcmp(o.vdev, d.vdev);
			disk_spec_free(&o);
		}
	}
	if (twice) {
		log_error("--drive '%s': %s is attached twice", spec, d.vdev);
		disk_spec_free(&d);
		return -1;
	}
	disk_spec_free(&d);
	n = realloc(a->drives, (a->nr_drives + 1) * sizeof(*n));
	if (!n) {
		log_error("out of memory");
		return -1;
	}
	a->drives = n;
	a->drives[a->nr_drives++] = spec;
	return 0;
}

void dm_args_free(struct dm_args *a)
{
	for (unsigned int i = 0; i < a->nr_devices; i++)
		dm_opts_free(a->devices[i]);
	free(a->devices);
	a->devices = NULL;
	a->nr_devices = 0;
	free(a->drives);
	a->drives = NULL;
	a->nr_drives = 0;
}

static int parse_one(struct dm_args *a, int c, char **argv)
{
	uint64_t v;

	switch (c) {
	case OPT_CONTROL_FD:
		if (!parse_u64(optarg, 0, INT_MAX, &v)) {
			log_error("--control-fd '%s': not a file descriptor "
				  "number", optarg);
			return -1;
		}
		a->control_fd = (int)v;
		return 0;
	case OPT_DEVICE:
		return add_device(a, dm_opts_parse(optarg));
	case OPT_MACHINE:
		return set_machine(a, optarg);
	case OPT_DRIVE:
		return add_drive(a, optarg);
	case OPT_SERIAL:
		if (!*optarg) {
			log_error("--serial '': empty (none, stdio, pty, "
				  "file:PATH or unix:PATH)");
			return -1;
		}
		return add_device(a, dm_opts_single(optarg, "serial",
						    "backend", optarg));
	case 'v':
		if (a->verbosity >= 0)
			a->verbosity++;
		return 0;
	case 'q':
		a->verbosity = -1;
		return 0;
	default:
		getopt_report_error(c, argv, short_opts, long_opts);
		return -1;
	}
}

int dm_args_parse(int argc, char **argv, struct dm_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->control_fd = -1;
	optind = 0; /* 0, not 1: glibc then also forgets a half-read "-abc" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts,
				NULL)) != -1) {
		if (c == 'h') {
			a->help = true;
			return 0;
		}
		if (c == 'V') {
			a->version = true;
			return 0;
		}
		if (parse_one(a, c, argv) < 0)
			goto fail;
	}
	if (optind < argc) {
		log_error("unexpected argument '%s' (see --help)",
			  argv[optind]);
		goto fail;
	}
	if (a->control_fd < 0) {
		log_error("no control channel given (--control-fd N); "
			  "hvmkit-hypervisor starts this program");
		goto fail;
	}
	return 0;
fail:
	dm_args_free(a);
	return -1;
}
