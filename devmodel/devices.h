/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device types hvmkit-devmodel can create (--device NAME) and the
 * instances it created.
 */
#ifndef HVMKIT_DEVICES_H
#define HVMKIT_DEVICES_H

#include <stdio.h>

#include "device.h"

struct dm_opts;

extern const struct device_ops pc_device_ops, serial_device_ops,
	testdev_device_ops;

const struct device_ops *device_type_find(const char *name);
/* One line per type: name and the options it takes. */
void device_types_help(FILE *out);

/* Creates the devices in command-line order.  0, or -1 after one error
 * line (the devices made so far stay listed for devices_destroy). */
int devices_create(struct dm *dm, struct dm_opts *const *specs,
		   unsigned int nr);
/* Back to power-on state, in creation order (RESET). */
void devices_reset(struct dm *dm);
/* Destroys them in reverse order (terminal restoration and the like). */
void devices_destroy(struct dm *dm);

#endif
