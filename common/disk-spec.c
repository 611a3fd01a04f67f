/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The xl.cfg disk spec parser (include/hvmkit/disk-spec.h), following
 * Xen's xl-disk-configuration(5) and its scanner (libxlu_disk_l.l):
 *
 * - Items are separated by commas; whitespace before an item is ignored
 *   (hvmkit also drops it after an item).  "target=" takes the whole rest
 *   of the spec, commas included, less one trailing comma.
 * - key=value items and flags (cdrom, discard, ...) may come anywhere;
 *   other items fill the first unset of target, format, vdev, access in
 *   that order ("positional"), an empty item meaning "the default".
 * - Deprecated forms: prefixes at the start of an item (raw:, qcow2:,
 *   vhd: set the format; tap:, tap2:, tapdisk:, aio:, ioemu:, file:,
 *   phy: are dropped; after any of them the format position is skipped),
 *   "VDEV:cdrom" / "VDEV:disk", and ",hdc:cdrom,r" for an empty CD drive.
 * - A value given twice is an error unless the first was empty.
 *
 * hvmkit's narrower rules, each refused with one line saying so: raw
 * images only (format=), IDE disks hda-hdd only (vdev=), no driver
 * domains (backend=), no block scripts (script=, iscsi: ...), no COLO, no
 * virtio specification.  Accepted and ignored because they change nothing
 * here: backendtype=, direct-io-safe, discard, no-discard, trusted,
 * untrusted, grant_usage=.  Deviation: a target that does not start with
 * '/' is not put under /dev (xl does that for block devices); it is a
 * path relative to the current directory.  Added: cache=writeback|
 * writethrough.  A CD-ROM is always read-only (access=rw on one is an
 * error) and only a CD drive may have an empty target.
 */
#define _GNU_SOURCE
#include "hvmkit/disk-spec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ACCESS_UNSET = -1, ACCESS_RO = 0, ACCESS_RW = 1 };

struct parser {
	char *err;
	size_t err_len;
	bool failed;
	char *target;            /* NULL: not given */
	bool format_set;         /* always raw once set */
	char *vdev;              /* NULL: not given */
	bool access_set;         /* the access position is taken */
	int access;
	bool cdrom;
	bool writethrough;
	bool depr_prefix;        /* a deprecated prefix: no format position */
};

static int fail(struct parser *P, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *P, const char *fmt, ...)
{
	va_list ap;

	if (P->failed)
		return -1;
	P->failed = true;
	va_start(ap, fmt);
	vsnprintf(P->err, P->err_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Sets a string field; a second non-empty value is an error. */
static int set_string(struct parser *P, char **field, const char *name,
		      const char *value)
{
	char *copy;

	if (*field && **field)
		return fail(P, "%s given twice ('%s' and '%s')", name, *field,
			    value);
	copy = strdup(value);
	if (!copy)
		return fail(P, "out of memory");
	free(*field);
	*field = copy;
	return 0;
}

static const char *const other_formats[] = {
	"qcow", "qcow2", "vhd", "qed",
};

/* The format from format=, its position or a prefix: raw or nothing. */
static int set_format(struct parser *P, const char *value, bool positional)
{
	if (!*value || !strcmp(value, "raw")) {
		P->format_set = true;
		return 0;
	}
	for (size_t i = 0; i < sizeof(other_formats) / sizeof(*other_formats);
	     i++)
		if (!strcmp(value, other_formats[i]))
			return fail(P, "format=%s: only raw images are "
				    "supported", value);
	if (positional)
		return fail(P, "format=%s: not an image format (the fields "
			    "without a key are target,format,vdev,access; "
			    "only raw is supported)", value);
	return fail(P, "format=%s: not an image format (only raw is "
		    "supported)", value);
}

static int set_access(struct parser *P, const char *value)
{
	int a;

	if (!*value)
		return 0;
	if (!strcmp(value, "r") || !strcmp(value, "ro"))
		a = ACCESS_RO;
	else if (!strcmp(value, "rw") || !strcmp(value, "w"))
		a = ACCESS_RW;
	else
		return fail(P, "access=%s: not an access mode (r, ro, rw or "
			    "w)", value);
	if (P->access != ACCESS_UNSET && P->access != a)
		return fail(P, "access given twice, differently");
	P->access = a;
	return 0;
}

/* vdev, or the deprecated "vdev:cdrom" / "vdev:disk". */
static int set_vdev(struct parser *P, const char *value)
{
	const char *colon = strrchr(value, ':');
	char *v;
	int ret;

	if (!colon)
		return set_string(P, &P->vdev, "vdev", value);
	if (!strcmp(colon + 1, "cdrom"))
		P->cdrom = true;
	else if (!strcmp(colon + 1, "disk"))
		P->cdrom = false;
	else
		return fail(P, "vdev %s: unknown device type '%s' after ':' "
			    "(cdrom or disk)", value, colon + 1);
	v = strndup(value, (size_t)(colon - value));
	if (!v)
		return fail(P, "out of memory");
	ret = set_string(P, &P->vdev, "vdev", v);
	free(v);
	return ret;
}

/* ------------------------------------------------------------ items */

/* Flags: items without '=' that are keywords, not positional values. */
static bool flag_item(struct parser *P, const char *item)
{
	static const char *const ignored[] = {
		"direct-io-safe", "discard", "no-discard", "trusted",
		"untrusted", "no-colo",
	};

	if (!strcmp(item, "cdrom")) {
		P->cdrom = true;
		return true;
	}
	if (!strcmp(item, "colo")) {
		fail(P, "colo: COLO disk replication is not supported");
		return true;
	}
	for (size_t i = 0; i < sizeof(ignored) / sizeof(*ignored); i++)
		if (!strcmp(item, ignored[i]))
			return true;
	return false;
}

static int key_item(struct parser *P, const char *key, const char *value)
{
	if (!strcmp(key, "format"))
		return set_format(P, value, false);
	if (!strcmp(key, "vdev"))
		return set_vdev(P, value);
	if (!strcmp(key, "access"))
		return set_access(P, value);
	if (!strcmp(key, "devtype")) {
		if (!strcmp(value, "cdrom"))
			P->cdrom = true;
		else if (!strcmp(value, "disk"))
			P->cdrom = false;
		else
			return fail(P, "devtype=%s: not a device type (cdrom "
				    "or disk)", value);
		return 0;
	}
	if (!strcmp(key, "cache")) {
		if (!strcmp(value, "writeback"))
			P->writethrough = false;
		else if (!strcmp(value, "writethrough"))
			P->writethrough = true;
		else
			return fail(P, "cache=%s: must be writeback or "
				    "writethrough", value);
		return 0;
	}
	if (!strcmp(key, "backend")) {
		if (*value && strcmp(value, "0") && strcmp(value, "Domain-0"))
			return fail(P, "backend=%s: driver domains are not "
				    "supported", value);
		return 0;
	}
	if (!strcmp(key, "backendtype")) {
		if (*value && strcmp(value, "phy") && strcmp(value, "qdisk") &&
		    strcmp(value, "tap") && strcmp(value, "standalone"))
			return fail(P, "backendtype=%s: not a backend type "
				    "(phy, qdisk, tap or standalone)", value);
		return 0; /* hvmkit has one backend */
	}
	if (!strcmp(key, "specification")) {
		if (!strcmp(value, "virtio"))
			return fail(P, "specification=virtio: only emulated "
				    "IDE disks are supported yet");
		if (*value && strcmp(value, "xen"))
			return fail(P, "specification=%s: not a "
				    "specification (xen or virtio)", value);
		return 0;
	}
	if (!strcmp(key, "script")) {
		if (*value)
			return fail(P, "script=%s: block scripts are not "
				    "supported", value);
		return 0;
	}
	if (!strcmp(key, "grant_usage")) {
		if (strcmp(value, "0") && strcmp(value, "1"))
			return fail(P, "grant_usage=%s: must be 0 or 1", value);
		return 0;
	}
	if (!strcmp(key, "colo-host") || !strcmp(key, "colo-port") ||
	    !strcmp(key, "colo-export") || !strcmp(key, "active-disk") ||
	    !strcmp(key, "hidden-disk"))
		return fail(P, "%s: COLO disk replication is not supported",
			    key);
	return fail(P, "unknown parameter '%s=%s'", key, value);
}

/* An item without a key: the first free position takes it. */
static int positional_item(struct parser *P, const char *item)
{
	if (!P->target)
		return set_string(P, &P->target, "target", item);
	if (!P->depr_prefix && !P->format_set) {
		/* xend's empty CD drive: ",hdc:cdrom,r". */
		if (!*P->target && strchr(item, ':')) {
			P->format_set = true;
			return set_vdev(P, item);
		}
		return set_format(P, item, true);
	}
	if (!P->vdev)
		return set_vdev(P, item);
	if (!P->access_set) {
		P->access_set = true;
		return set_access(P, item);
	}
	return fail(P, "'%s': too many fields without a key (the order is "
		    "target,format,vdev,access)", item);
}

/*
 * A deprecated prefix at *p ("phy:", "raw:", "tap:aio:"): consumed and
 * true, or false if there is none.  An unknown one is an error (true).
 */
static bool prefix(struct parser *P, const char **p)
{
	static const char *const dropped[] = {
		"tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy",
	};
	static const char *const scripts[] = { "iscsi", "nbd", "enbd", "drbd" };
	static const char *const formats[] = {
		"raw", "qcow", "qcow2", "vhd",
	};
	const char *s = *p;
	size_t n = 0;
	char name[16];

	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9'))
		n++;
	if (s[n] != ':' || n >= sizeof(name))
		return false;
	memcpy(name, s, n);
	name[n] = '\0';
	for (size_t i = 0; i < sizeof(dropped) / sizeof(*dropped); i++) {
		if (!strcmp(name, dropped[i])) {
			P->depr_prefix = true;
			*p = s + n + 1;
			return true;
		}
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++) {
		if (!strcmp(name, formats[i])) {
			P->depr_prefix = true;
			*p = s + n + 1;
			set_format(P, name, false);
			return true;
		}
	}
	for (size_t i = 0; i < sizeof(scripts) / sizeof(*scripts); i++) {
		if (!strcmp(name, scripts[i])) {
			fail(P, "%s: block scripts are not supported", name);
			return true;
		}
	}
	/* "hdc:cdrom" is a vdev, not a prefix: as in xl, a prefix is
	 * followed by something other than a letter or digit. */
	if ((s[n + 1] >= 'a' && s[n + 1] <= 'z') ||
	    (s[n + 1] >= '0' && s[n + 1] <= '9'))
		return false;
	fail(P, "%s: unknown prefix", name);
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

static int parse_items(struct parser *P, const char *s)
{
	const char *p = s;

	while (*p && !P->failed) {
		const char *end, *eq;
		char *item;
		size_t len;
		bool was_prefixed;

		while (is_space(*p))
			p++;
		if (!*p)
			break;
		if (!strncmp(p, "target=", 7)) {
			len = strlen(p + 7);
			item = strndup(p + 7, len && p[7 + len - 1] == ',' ?
				       len - 1 : len);
			if (!item)
				return fail(P, "out of memory");
			set_string(P, &P->target, "target", item);
			free(item);
			break;
		}
		was_prefixed = false;
		while (!P->failed && prefix(P, &p))
			was_prefixed = true;
		if (P->failed)
			break;
		if (was_prefixed)
			continue; /* the item goes on after the prefix */
		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		while (len && is_space(p[len - 1]))
			len--;
		item = strndup(p, len);
		if (!item)
			return fail(P, "out of memory");
		p = *end ? end + 1 : end;
		eq = strchr(item, '=');
		if (eq) {
			item[eq - item] = '\0';
			key_item(P, item, item + (eq - item) + 1);
		} else if (!flag_item(P, item)) {
			positional_item(P, item);
		}
		free(item);
	}
	return P->failed ? -1 : 0;
}

/* ----------------------------------------------------------- checks */

/* True for names of disks other systems give guests: hdX, sdX, xvdX,
 * dN... (xen-vbd-interface(7)), which hvmkit does not offer yet. */
static bool other_disk_name(const char *v)
{
	if (!strncmp(v, "hd", 2) || !strncmp(v, "sd", 2))
		v += 2;
	else if (!strncmp(v, "xvd", 3))
		v += 3;
	else
		return v[0] == 'd' && v[1] >= '0' && v[1] <= '9';
	if (!*v)
		return false;
	for (; *v; v++)
		if (!(*v >= 'a' && *v <= 'z') && !(*v >= '0' && *v <= '9'))
			return false;
	return true;
}

static int check(struct parser *P, struct disk_spec *d)
{
	const char *v = P->vdev;

	if (!v || !*v)
		return fail(P, "no vdev given (vdev=hda, hdb, hdc or hdd)");
	if (strlen(v) != 3 || strncmp(v, "hd", 2) || v[2] < 'a' || v[2] > 'd') {
		if (other_disk_name(v))
			return fail(P, "vdev %s: only IDE disks hda-hdd are "
				    "supported yet", v);
		return fail(P, "vdev %s: not a disk name (hda, hdb, hdc or "
			    "hdd)", v);
	}
	if (P->cdrom && P->access == ACCESS_RW)
		return fail(P, "access=rw on a cdrom: CD-ROM drives are "
			    "read-only");
	if (!P->target && !P->cdrom)
		return fail(P, "no target given (the image: target=PATH)");
	if (P->target && !*P->target && !P->cdrom)
		return fail(P, "empty target: only a CD drive (devtype=cdrom) "
			    "may be empty");
	memset(d, 0, sizeof(*d));
	snprintf(d->vdev, sizeof(d->vdev), "%s", v);
	d->cdrom = P->cdrom;
	d->read_only = P->cdrom || P->access == ACCESS_RO;
	d->writethrough = P->writethrough;
	d->target = P->target ? P->target : strdup("");
	P->target = NULL;
	if (!d->target)
		return fail(P, "out of memory");
	return 0;
}

int disk_spec_parse(const char *s, struct disk_spec *d, char *err,
		    size_t err_len)
{
	struct parser P = {
		.err = err, .err_len = err_len, .access = ACCESS_UNSET,
	};
	int ret = -1;

	memset(d, 0, sizeof(*d));
	if (err_len)
		err[0] = '\0';
	if (!s[strspn(s, " \t\n")]) {
		fail(&P, "empty disk spec");
		return -1;
	}
	if (parse_items(&P, s) == 0 && check(&P, d) == 0)
		ret = 0;
	free(P.target);
	free(P.vdev);
	return ret;
}

void disk_spec_free(struct disk_spec *d)
{
	free(d->target);
	d->target = NULL;
}
