/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device options: "--device NAME[,key=value...]" split into a device name
 * and key/value pairs (",," inside a value is a literal comma, as in
 * QEMU's option syntax), and the lookups devices make with dm_opt_*().
 * Every lookup marks its key as used, so that the device table can reject
 * options a device does not know instead of ignoring a typo.
 */
#include "device.h"
#include "opts.h"

#include <stdlib.h>
#include <string.h>

#include "hvmkit/log.h"
#include "hvmkit/util.h"

void dm_opts_free(struct dm_opts *o)
{
	if (!o)
		return;
	for (unsigned int i = 0; i < o->nr; i++) {
		free(o->opt[i].key);
		free(o->opt[i].value);
	}
	free(o->opt);
	free(o->device);
	free(o);
}

/* Takes the next comma-separated item from *p, undoing ",," escapes;
 * *more says whether a separator followed it. */
static char *next_item(const char **p, bool *more)
{
	const char *s = *p;
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (*s == ',') {
			if (s[1] != ',')
				break;
			s++;
		}
		*o++ = *s++;
	}
	*o = '\0';
	*more = *s == ',';
	*p = *more ? s + 1 : s;
	return out;
}

static bool key_ok(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
		      *k == '-' || *k == '_'))
			return false;
	return true;
}

static int opts_add(struct dm_opts *o, char *key, char *value)
{
	struct dm_opt *n = realloc(o->opt, (o->nr + 1) * sizeof(*n));

	if (!n)
		return -1;
	o->opt = n;
	n[o->nr].key = key;
	n[o->nr].value = value;
	n[o->nr].used = false;
	o->nr++;
	return 0;
}

struct dm_opts *dm_opts_parse(const char *arg)
{
	struct dm_opts *o = calloc(1, sizeof(*o));
	const char *p = arg;
	char *item = NULL;
	bool more;

	if (!o)
		goto nomem;
	o->arg = arg;
	o->device = next_item(&p, &more);
	if (!o->device)
		goto nomem;
	if (!key_ok(o->device)) {
		log_error("--device '%s': '%s' is not a device name (see "
			  "--help)", arg, o->device);
		goto fail;
	}
	while (more) {
		char *eq, *value;

		item = next_item(&p, &more);
		if (!item)
			goto nomem;
		if (!*item) {
			log_error("--device '%s': empty option (a stray "
				  "comma?)", arg);
			goto fail;
		}
		eq = strchr(item, '=');
		if (!eq) {
			log_error("--device '%s': '%s' is not key=value", arg,
				  item);
			goto fail;
		}
		*eq = '\0';
		if (!key_ok(item)) {
			log_error("--device '%s': bad option name '%s'", arg,
				  item);
			goto fail;
		}
		for (unsigned int i = 0; i < o->nr; i++) {
			if (!strcmp(o->opt[i].key, item)) {
				log_error("--device '%s': option '%s' given "
					  "twice", arg, item);
				goto fail;
			}
		}
		value = strdup(eq + 1);
		if (!value || opts_add(o, item, value) < 0) {
			free(value);
			goto nomem;
		}
		item = NULL;
	}
	return o;
nomem:
	log_error("out of memory");
fail:
	free(item);
	dm_opts_free(o);
	return NULL;
}

struct dm_opts *dm_opts_single(const char *arg, const char *device,
			       const char *key, const char *value)
{
	struct dm_opts *o = calloc(1, sizeof(*o));
	char *k = strdup(key), *v = strdup(value);

	if (!o || !k || !v || !(o->device = strdup(device)) ||
	    opts_add(o, k, v) < 0) {
		free(k);
		free(v);
		dm_opts_free(o);
		log_error("out of memory");
		return NULL;
	}
	o->arg = arg;
	return o;
}

const char *dm_opts_unused(const struct dm_opts *o)
{
	for (unsigned int i = 0; i < o->nr; i++)
		if (!o->opt[i].used)
			return o->opt[i].key;
	return NULL;
}

const char *dm_opt_get(const struct dm_opts *opts, const char *key)
{
	for (unsigned int i = 0; i < opts->nr; i++) {
		if (!strcmp(opts->opt[i].key, key)) {
			/* The lookup is the record of a known key; opts is
			 * const only towards the device. */
			((struct dm_opt *)&opts->opt[i])->used = true;
			return opts->opt[i].value;
		}
	}
	return NULL;
}

int dm_opt_u64(const struct dm_opts *opts, const char *key, uint64_t def,
	       uint64_t *value)
{
	const char *s = dm_opt_get(opts, key);

	if (!s) {
		*value = def;
		return 0;
	}
	if (!parse_u64(s, 0, UINT64_MAX, value)) {
		log_error("--device %s: %s=%s is not a number (decimal or 0x "
			  "hex)", opts->device, key, s);
		return -1;
	}
	return 0;
}
