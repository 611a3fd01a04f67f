/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device table and the device instances of the device model. */
#include "devices.h"

#include <stdlib.h>
#include <string.h>

#include "dm.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"

static const struct device_ops *const device_types[] = {
	&pc_device_ops,
	&serial_device_ops,
	&testdev_device_ops,
};

struct dm_device {
	const struct device_ops *ops;
	void *state;
	struct dm_device *next;   /* the one created before */
};

const struct device_ops *device_type_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(device_types); i++)
		if (!strcmp(device_types[i]->name, name))
			return device_types[i];
	return NULL;
}

void device_types_help(FILE *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(device_types); i++)
		fprintf(out, "  %-10s %s\n", device_types[i]->name,
			device_types[i]->help ? device_types[i]->help : "");
}

static int device_create(struct dm *dm, const struct dm_opts *spec)
{
	const struct device_ops *ops = device_type_find(spec->device);
	struct dm_device *d;
	const char *unused;

	if (!ops) {
		log_error("--device %s: no such device (see --help)",
			  spec->device);
		return -1;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		log_error("out of memory");
		return -1;
	}
	d->ops = ops;
	d->state = ops->create(dm, spec);
	if (!d->state) {
		/* The device logged why; this line only shows if it did
		 * not. */
		log_error("--device %s: cannot create the device",
			  spec->device);
		free(d);
		return -1;
	}
	d->next = dm->devices;
	dm->devices = d;
	unused = dm_opts_unused(spec);
	if (unused) {
		log_error("--device %s: unknown option '%s' (it takes: %s)",
			  spec->device, unused, ops->help ? ops->help :
			  "no options");
		return -1;
	}
	/* A device that logged an error but still returned its state. */
	return dm->ctl.error_sent ? -1 : 0;
}

int devices_create(struct dm *dm, struct dm_opts *const *specs,
		   unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		if (device_create(dm, specs[i]) < 0)
			return -1;
	return 0;
}

static void reset_in_order(struct dm_device *d)
{
	if (!d)
		return;
	reset_in_order(d->next);
	if (d->ops->reset)
		d->ops->reset(d->state);
}

void devices_reset(struct dm *dm)
{
	reset_in_order(dm->devices);
}

void devices_destroy(struct dm *dm)
{
	while (dm->devices) {
		struct dm_device *d = dm->devices;

		dm->devices = d->next;
		if (d->ops->destroy)
			d->ops->destroy(d->state);
		free(d);
	}
}
