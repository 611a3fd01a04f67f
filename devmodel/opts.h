/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device options: "NAME[,key=value...]" as given to --device, parsed once
 * and looked up by the device's create() with dm_opt_get()/dm_opt_u64()
 * (device.h).  Shared by the device model and the unit tests' fake.
 */
#ifndef HVMKIT_DM_OPTS_H
#define HVMKIT_DM_OPTS_H

#include <stdbool.h>

struct dm_opt {
	char *key;
	char *value;
	bool used;                /* looked up by the device */
};

struct dm_opts {
	char *device;             /* device type name */
	const char *arg;          /* the command-line text, for messages */
	struct dm_opt *opt;
	unsigned int nr;
};

/* Parses "NAME[,key=value...]" (",," is a literal comma).  NULL after one
 * error line. */
struct dm_opts *dm_opts_parse(const char *arg);
/* A device with one option: NAME,key=value (value taken verbatim). */
struct dm_opts *dm_opts_single(const char *arg, const char *device,
			       const char *key, const char *value);
void dm_opts_free(struct dm_opts *o);
/* The first option no one looked up, or NULL. */
const char *dm_opts_unused(const struct dm_opts *o);

#endif
