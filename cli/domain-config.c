/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Domain configuration: the xl.cfg keys hvmkit implements, the xl keys it
 * knows but cannot do yet, and the hypervisor command line they become.
 * Key meanings follow Xen's xl.cfg(5); where hvmkit is narrower (one
 * serial port, no ballooning, HVM only) the key is refused with a message
 * saying so rather than ignored.
 */
#define _GNU_SOURCE
#include "domain-config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvmkit/disk-spec.h"
#include "hvmkit/util.h"
#include "xalloc.h"

const char *domain_seabios_path = "/usr/share/seabios/bios-256k.bin";
const char *domain_ovmf_path = "/usr/share/ovmf/OVMF.fd";

/* State while the settings are walked. */
struct loader {
	struct domain_config *dc;
	const struct xlcfg *cfg;
	struct diag *d;
	const struct xlcfg_setting *firmware;
	const struct xlcfg_setting *bios;
	const struct xlcfg_setting *maxmem, *maxvcpus;
	const struct xlcfg_setting *kernel, *ramdisk, *cmdline, *root, *extra;
	uint64_t maxmem_mib, maxvcpus_n;
};

typedef int key_handler(struct loader *L, const struct xlcfg_setting *s);

/* ---------------------------------------------------------- helpers */

/* An error about setting s at the line where value v starts. */
static void verr(struct loader *L, const struct xlcfg_setting *s,
		 const struct xlcfg_value *v, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void verr(struct loader *L, const struct xlcfg_setting *s,
		 const struct xlcfg_value *v, const char *fmt, ...)
{
	char msg[DIAG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_error(L->d, "%s:%d: %s: %s", s->source, v ? v->line : s->line,
		   s->key, msg);
}

/* How a value is shown after "got": "text", 512 or "a list". */
static const char *show(const struct xlcfg_value *v, char *buf, size_t len)
{
	if (v->kind == XLCFG_LIST)
		return "a list";
	if (v->kind == XLCFG_NUMBER)
		return v->text;
	return diag_quote(v->text, buf, len);
}

/* A single string; xl takes a number's text as a string too. */
static const char *get_string(struct loader *L, const struct xlcfg_setting *s,
			      const struct xlcfg_value *v)
{
	if (v->kind == XLCFG_LIST) {
		verr(L, s, v, "expected a string, got a list");
		return NULL;
	}
	return v->text;
}

/* A number; as in xl, a quoted string holding a number is one too. */
static int get_number(struct loader *L, const struct xlcfg_setting *s,
		      uint64_t *out)
{
	const struct xlcfg_value *v = s->value;
	char buf[96];
	int rc;

	if (s->added) {
		verr(L, s, v, "'+=' does not work with numbers");
		return -1;
	}
	switch (v->kind) {
	case XLCFG_NUMBER:
		*out = v->number;
		return 0;
	case XLCFG_STRING:
		rc = xlcfg_parse_number(v->text, out);
		if (rc == XLCFG_NUM_OK)
			return 0;
		if (rc == XLCFG_NUM_BAD)
			verr(L, s, v, "expected a number, got %s",
			     show(v, buf, sizeof(buf)));
		else
			verr(L, s, v, "%s: %s", show(v, buf, sizeof(buf)),
			     xlcfg_number_error(rc));
		return -1;
	default:
		verr(L, s, v, "expected a number, got a list");
		return -1;
	}
}

static int get_ranged(struct loader *L, const struct xlcfg_setting *s,
		      uint64_t min, uint64_t max, const char *unit,
		      uint64_t *out)
{
	if (get_number(L, s, out) < 0)
		return -1;
	if (*out < min || *out > max) {
		verr(L, s, s->value, "%llu is out of range (%llu to %llu%s)",
		     (unsigned long long)*out, (unsigned long long)min,
		     (unsigned long long)max, unit);
		return -1;
	}
	return 0;
}

/* False, zero or empty: how xl configs say "no such device". */
static bool value_is_off(const struct xlcfg_value *v)
{
	switch (v->kind) {
	case XLCFG_NUMBER:
		return v->number == 0;
	case XLCFG_STRING:
		return !strcmp(v->text, "") || !strcmp(v->text, "0") ||
		       !strcmp(v->text, "none");
	default:
		return v->n_items == 0;
	}
}

/* path made absolute against the current directory (the hypervisor runs
 * in "/"); NULL if the current directory is unknown. */
static char *absolute_path(const char *path)
{
	char *cwd, *abs;

	if (path[0] == '/')
		return xstrdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	abs = xasprintf("%s/%s", cwd, path);
	free(cwd);
	return abs;
}

/* ------------------------------------------------------- key handlers */

bool domain_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > DOMAIN_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return false;
	return true;
}

static int key_name(struct loader *L, const struct xlcfg_setting *s)
{
	const char *name = get_string(L, s, s->value);
	char buf[96];

	if (!name)
		return -1;
	if (!domain_name_valid(name)) {
		verr(L, s, s->value, "%s is not a valid domain name (letters, "
		     "digits, '.', '_', '-', at most %d, not starting with "
		     "'.' or '-')", show(s->value, buf, sizeof(buf)),
		     DOMAIN_NAME_MAX);
		return -1;
	}
	free(L->dc->name);
	L->dc->name = xstrdup(name);
	return 0;
}

static int key_builder(struct loader *L, const struct xlcfg_setting *s)
{
	const char *b = get_string(L, s, s->value);
	char buf[96];

	if (!b)
		return -1;
	if (strcmp(b, "hvm")) {
		verr(L, s, s->value, "%s is not supported (only \"hvm\")",
		     show(s->value, buf, sizeof(buf)));
		return -1;
	}
	return 0;
}

static int key_memory(struct loader *L, const struct xlcfg_setting *s)
{
	return get_ranged(L, s, DOMAIN_MEMORY_MIN_MIB, DOMAIN_MEMORY_MAX_MIB,
			  " MiB", &L->dc->memory_mib);
}

static int key_maxmem(struct loader *L, const struct xlcfg_setting *s)
{
	L->maxmem = s;
	return get_ranged(L, s, DOMAIN_MEMORY_MIN_MIB, DOMAIN_MEMORY_MAX_MIB,
			  " MiB", &L->maxmem_mib);
}

static int key_vcpus(struct loader *L, const struct xlcfg_setting *s)
{
	uint64_t n;

	if (get_ranged(L, s, 1, DOMAIN_VCPUS_MAX, "", &n) < 0)
		return -1;
	L->dc->vcpus = (unsigned int)n;
	return 0;
}

static int key_maxvcpus(struct loader *L, const struct xlcfg_setting *s)
{
	L->maxvcpus = s;
	return get_ranged(L, s, 1, DOMAIN_VCPUS_MAX, "", &L->maxvcpus_n);
}

static int key_firmware(struct loader *L, const struct xlcfg_setting *s)
{
	if (!get_string(L, s, s->value))
		return -1;
	L->firmware = s;
	return 0;
}

static int key_bios(struct loader *L, const struct xlcfg_setting *s)
{
	const char *v = get_string(L, s, s->value);
	char buf[96];

	if (!v)
		return -1;
	if (!strcmp(v, "rombios")) {
		verr(L, s, s->value, "%s is not supported yet (seabios or "
		     "ovmf)", show(s->value, buf, sizeof(buf)));
		return -1;
	}
	if (strcmp(v, "seabios") && strcmp(v, "ovmf")) {
		verr(L, s, s->value, "%s is not a BIOS hvmkit knows (seabios "
		     "or ovmf; firmware = \"PATH\" takes an image)",
		     show(s->value, buf, sizeof(buf)));
		return -1;
	}
	L->bios = s;
	return 0;
}

static int key_serial(struct loader *L, const struct xlcfg_setting *s)
{
	const struct xlcfg_value *v = s->value;
	const char *spec, *path = NULL;
	char buf[96], *abs;

	if (v->kind == XLCFG_LIST) {
		if (v->n_items > 1) {
			verr(L, s, v, "only one serial port supported");
			return -1;
		}
		if (v->n_items == 0) {
			free(L->dc->serial);
			L->dc->serial = xstrdup("none");
			return 0;
		}
		v = v->items[0];
	}
	spec = get_string(L, s, v);
	if (!spec)
		return -1;
	if (!strcmp(spec, "none") || !strcmp(spec, "stdio") ||
	    !strcmp(spec, "pty")) {
		free(L->dc->serial);
		L->dc->serial = xstrdup(spec);
		return 0;
	}
	if (!strncmp(spec, "file:", 5) || !strncmp(spec, "unix:", 5))
		path = spec + 5;
	if (!path) {
		verr(L, s, v, "%s is not supported (none, stdio, pty, "
		     "file:PATH or unix:PATH)", show(v, buf, sizeof(buf)));
		return -1;
	}
	if (!*path) {
		verr(L, s, v, "%s needs a path after ':'",
		     show(v, buf, sizeof(buf)));
		return -1;
	}
	if (strchr(path, ',')) {
		verr(L, s, v, "%s: options after ',' are not supported",
		     show(v, buf, sizeof(buf)));
		return -1;
	}
	abs = absolute_path(path);
	if (!abs) {
		verr(L, s, v, "cannot make %s absolute: %s",
		     diag_plain(path, buf, sizeof(buf)), strerror(errno));
		return -1;
	}
	free(L->dc->serial);
	L->dc->serial = xasprintf("%.5s%s", spec, abs);
	free(abs);
	return 0;
}

/* kernel, ramdisk, cmdline, root, extra: direct kernel boot, as xl.cfg(5)
 * documents them for HVM guests; checked together in check_boot(). */
static int key_boot_string(struct loader *L, const struct xlcfg_setting *s)
{
	const char *v = get_string(L, s, s->value);

	if (!v)
		return -1;
	if (!*v && (!strcmp(s->key, "kernel") || !strcmp(s->key, "ramdisk")))
		return 0; /* "" is "none", as for the keys xl turns off */
	if (!strcmp(s->key, "kernel"))
		L->kernel = s;
	else if (!strcmp(s->key, "ramdisk"))
		L->ramdisk = s;
	else if (!strcmp(s->key, "cmdline"))
		L->cmdline = s;
	else if (!strcmp(s->key, "root"))
		L->root = s;
	else
		L->extra = s;
	return 0;
}

/* boot = "cd": up to three of a (floppy), c (disk), d (CD), n (network),
 * each once. */
static int key_boot(struct loader *L, const struct xlcfg_setting *s)
{
	const char *v = get_string(L, s, s->value);
	char buf[96];

	if (!v)
		return -1;
	if (!boot_order_valid(v)) {
		verr(L, s, s->value, "%s is not a boot order (up to three of "
		     "a, c, d, n, each once, e.g. \"cd\")",
		     show(s->value, buf, sizeof(buf)));
		return -1;
	}
	free(L->dc->boot);
	L->dc->boot = xstrdup(v);
	return 0;
}

static void free_disks(struct domain_config *dc)
{
	for (size_t i = 0; i < dc->nr_disks; i++)
		free(dc->disks[i]);
	free(dc->disks);
	dc->disks = NULL;
	dc->nr_disks = 0;
}

/* One disk spec as the hypervisor gets it: checked, the target made
 * absolute (the hypervisor runs in "/") and existing; NULL after an
 * error.  vdevs holds the vdevs of the disks before it. */
static char *disk_arg(struct loader *L, const struct xlcfg_setting *s,
		      const struct xlcfg_value *v, char (*vdevs)[16],
		      size_t n)
{
	const char *spec = get_string(L, s, v);
	char err[256], buf[200], pbuf[96], *abs, *arg = NULL;
	struct disk_spec ds;
	struct stat st;

	if (!spec)
		return NULL;
	if (disk_spec_parse(spec, &ds, err, sizeof(err)) < 0) {
		verr(L, s, v, "%s: %s", show(v, buf, sizeof(buf)), err);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(vdevs[i], ds.vdev)) {
			verr(L, s, v, "%s: %s is attached twice",
			     show(v, buf, sizeof(buf)), ds.vdev);
			goto out;
		}
	}
	snprintf(vdevs[n], sizeof(vdevs[n]), "%s", ds.vdev);
	abs = *ds.target ? absolute_path(ds.target) : xstrdup("");
	if (!abs) {
		verr(L, s, v, "cannot make %s absolute: %s",
		     diag_plain(ds.target, pbuf, sizeof(pbuf)),
		     strerror(errno));
		goto out;
	}
	if (*abs && stat(abs, &st) < 0) {
		verr(L, s, v, "%s: %s", diag_plain(abs, pbuf, sizeof(pbuf)),
		     strerror(errno));
		free(abs);
		goto out;
	}
	arg = xasprintf("vdev=%s,access=%s%s%s,target=%s", ds.vdev,
			ds.read_only ? "ro" : "rw",
			ds.cdrom ? ",devtype=cdrom" : "",
			ds.writethrough ? ",cache=writethrough" : "", abs);
	free(abs);
out:
	disk_spec_free(&ds);
	return arg;
}

/* disk = [ 'SPEC', ... ]: Xen's disk specs (xl-disk-configuration(5),
 * include/hvmkit/disk-spec.h); a single string is one disk. */
static int key_disk(struct loader *L, const struct xlcfg_setting *s)
{
	const struct xlcfg_value *v = s->value;
	size_t n = v->kind == XLCFG_LIST ? v->n_items : 1;
	char (*vdevs)[16] = xzalloc((n ? n : 1) * sizeof(*vdevs));
	int ret = 0;

	free_disks(L->dc);
	L->dc->disks = xzalloc((n ? n : 1) * sizeof(*L->dc->disks));
	for (size_t i = 0; i < n; i++) {
		char *arg = disk_arg(L, s, v->kind == XLCFG_LIST ?
				     v->items[i] : v, vdevs, i);

		if (!arg) {
			ret = -1;
			break;
		}
		L->dc->disks[L->dc->nr_disks++] = arg;
	}
	free(vdevs);
	return ret;
}

/* on_poweroff, on_reboot, on_crash: xl's actions, of which hvmkit does
 * destroy and restart (and preserve after a crash). */
static int get_action(struct loader *L, const struct xlcfg_setting *s,
		      bool preserve_ok, const char **out)
{
	static const char *const xl_actions[] = {
		"rename-restart", "coredump-destroy", "coredump-restart",
		"soft-reset", "preserve",
	};
	const char *a = get_string(L, s, s->value);
	char buf[96];

	if (!a)
		return -1;
	if (!strcmp(a, "destroy") || !strcmp(a, "restart") ||
	    (preserve_ok && !strcmp(a, "preserve"))) {
		*out = !strcmp(a, "destroy") ? "destroy" :
		       !strcmp(a, "restart") ? "restart" : "preserve";
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(xl_actions); i++) {
		if (!strcmp(a, xl_actions[i])) {
			verr(L, s, s->value, "%s is not supported yet (use "
			     "destroy or restart%s)",
			     show(s->value, buf, sizeof(buf)),
			     preserve_ok ? " or preserve" : "");
			return -1;
		}
	}
	verr(L, s, s->value, "%s is not an action (destroy or restart%s)",
	     show(s->value, buf, sizeof(buf)),
	     preserve_ok ? " or preserve" : "");
	return -1;
}

static int key_on_poweroff(struct loader *L, const struct xlcfg_setting *s)
{
	return get_action(L, s, false, &L->dc->on_poweroff);
}

static int key_on_reboot(struct loader *L, const struct xlcfg_setting *s)
{
	return get_action(L, s, false, &L->dc->on_reboot);
}

static int key_on_crash(struct loader *L, const struct xlcfg_setting *s)
{
	return get_action(L, s, true, &L->dc->on_crash);
}

/* pae, apic, nx: the vCPUs always have them, so only "off" is refused. */
static int key_always_on(struct loader *L, const struct xlcfg_setting *s)
{
	uint64_t v;

	if (get_number(L, s, &v) < 0)
		return -1;
	if (!v) {
		verr(L, s, s->value, "turning it off is not supported yet");
		return -1;
	}
	return 0;
}

/* Keys hvmkit implements. */
static const struct {
	const char *key;
	key_handler *handler;
} supported_keys[] = {
	{ "name", key_name },
	{ "type", key_builder },
	{ "builder", key_builder },
	{ "memory", key_memory },
	{ "maxmem", key_maxmem },
	{ "vcpus", key_vcpus },
	{ "maxvcpus", key_maxvcpus },
	{ "firmware", key_firmware },
	{ "bios", key_bios },
	{ "serial", key_serial },
	{ "kernel", key_boot_string },
	{ "ramdisk", key_boot_string },
	{ "cmdline", key_boot_string },
	{ "root", key_boot_string },
	{ "extra", key_boot_string },
	{ "boot", key_boot },
	{ "disk", key_disk },
	{ "on_poweroff", key_on_poweroff },
	{ "on_reboot", key_on_reboot },
	{ "on_crash", key_on_crash },
	{ "pae", key_always_on },
	{ "apic", key_always_on },
	{ "nx", key_always_on },
};

/*
 * Keys xl reads (tools/xl/xl_parse.c) that hvmkit cannot do yet: an error
 * unless the value says "off" (0, "", "0", "none" or []).
 */
static const char *const unsupported_keys[] = {
	"acpi", "acpi_firmware", "acpi_laptop_slate", "acpi_s3", "acpi_s4",
	"altp2m", "altp2m_count", "altp2mhvm", "bios_path_override",
	"bootloader", "bootloader_args", "bootloader_restrict",
	"bootloader_user", "cap", "channel", "cpu_weight", "cpuid",
	"cpus", "cpus_soft", "device_model", "device_model_args",
	"device_model_args_hvm", "device_model_override",
	"device_model_stubdomain_override",
	"device_model_stubdomain_seclabel", "device_model_user",
	"device_model_version", "device_tree", "dm_restrict",
	"driver_domain", "dtdev", "e820_host", "extratime",
	"firmware_override", "gfx_passthru", "hap", "hdtype", "hpet",
	"hvm_pirq", "init_seclabel", "iomem", "ioports", "irqs",
	"keymap", "latency", "localtime", "max_event_channels",
	"max_grant_frames", "max_grant_version", "max_maptrack_frames",
	"mca_caps", "mmio_hole", "ms_vm_genid", "msr_relaxed", "nestedhvm",
	"nographic", "nomigrate", "on_soft_reset", "on_watchdog", "oos",
	"opengl", "p9", "passthrough", "pci", "pci_msitranslate",
	"pci_permissive", "pci_power_mgmt", "pci_seize", "period", "pool",
	"pvcalls", "pvshim", "pvshim_cmdline", "pvshim_extra", "pvshim_path",
	"rdm", "rdm_mem_boundary", "rtc_timeoffset", "sdl",
	"seclabel", "shadow_memory", "slice", "smbios", "smbios_firmware",
	"soundhw", "spice", "spice_clipboard_sharing",
	"spice_image_compression", "spice_streaming_video",
	"spiceagent_mouse", "spicedisable_ticketing", "spicehost",
	"spicepasswd", "spiceport", "spicetls_port", "spiceusbredirection",
	"spicevdagent", "stdvga", "stubdomain_cmdline", "stubdomain_kernel",
	"stubdomain_memory", "stubdomain_ramdisk", "timer_mode", "tsc_mode",
	"usb", "usbctrl", "usbdev", "usbdevice", "usbversion", "uuid",
	"vendor_device", "vfb", "vga", "videoram", "vif", "vif2", "viridian",
	"vkb", "vnc", "vncdisplay", "vnclisten", "vncpasswd", "vncunused",
	"vncviewer", "vnuma", "vpmu", "vpt_align", "vtpm", "vuart",
	"xen_platform_pci", "xen_platform_pci_bar_uc",
};

/* Levenshtein distance, capped: enough to suggest a key for a typo. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[40], prev, tmp;

	if (la >= ARRAY_SIZE(row) || lb >= ARRAY_SIZE(row))
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

static void warn_unknown(struct loader *L, const struct xlcfg_setting *s)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < ARRAY_SIZE(supported_keys); i++) {
		size_t dist = edit_distance(s->key, supported_keys[i].key);

		if (dist < best_d) {
			best_d = dist;
			best = supported_keys[i].key;
		}
	}
	if (best)
		diag_warn(L->d, "%s:%d: %s: unknown key, ignored (did you "
			  "mean '%s'?)", s->source, s->line, s->key, best);
	else
		diag_warn(L->d, "%s:%d: %s: unknown key, ignored", s->source,
			  s->line, s->key);
}

static int load_setting(struct loader *L, const struct xlcfg_setting *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(supported_keys); i++)
		if (!strcmp(s->key, supported_keys[i].key))
			return supported_keys[i].handler(L, s);
	for (size_t i = 0; i < ARRAY_SIZE(unsupported_keys); i++) {
		if (strcmp(s->key, unsupported_keys[i]))
			continue;
		if (value_is_off(s->value))
			return 0;
		verr(L, s, s->value, "not supported yet");
		return -1;
	}
	warn_unknown(L, s);
	return 0;
}

/* ------------------------------------------------------------ checks */

/* The image a firmware name or path (or a checked bios name) stands for,
 * made absolute; the key (firmware or bios) names it in errors.  The
 * names are xl's: firmware = "bios" / "seabios", "uefi" / "ovmf". */
static int resolve_firmware(struct loader *L, const struct xlcfg_setting *s)
{
	const char *v = s->value->text, *path = NULL;
	bool is_bios = !strcmp(s->key, "bios");
	char buf[96], *abs;
	struct stat st;

	if (!strcmp(v, "seabios") || (!is_bios && !strcmp(v, "bios"))) {
		path = domain_seabios_path;
	} else if (!strcmp(v, "ovmf") || (!is_bios && !strcmp(v, "uefi"))) {
		path = domain_ovmf_path;
	} else if (!strcmp(v, "rombios") || !strcmp(v, "pvh") ||
		   !strncmp(v, "pvgrub", 6)) {
		verr(L, s, s->value, "%s is not supported yet (seabios, ovmf "
		     "or a path)", show(s->value, buf, sizeof(buf)));
		return -1;
	}
	if (path) {
		if (stat(path, &st) < 0) {
			verr(L, s, s->value, "%s needs %s: %s (is the %s "
			     "package installed?)",
			     show(s->value, buf, sizeof(buf)), path,
			     strerror(errno),
			     path == domain_ovmf_path ? "ovmf" : "seabios");
			return -1;
		}
	} else {
		path = v;
		if (!*path) {
			verr(L, s, s->value, "empty path");
			return -1;
		}
		if (stat(path, &st) < 0) {
			verr(L, s, s->value, "%s: %s",
			     diag_plain(path, buf, sizeof(buf)),
			     strerror(errno));
			return -1;
		}
	}
	if (!S_ISREG(st.st_mode)) {
		verr(L, s, s->value, "%s: not a regular file",
		     diag_plain(path, buf, sizeof(buf)));
		return -1;
	}
	abs = realpath(path, NULL);
	if (!abs) {
		verr(L, s, s->value, "%s: %s",
		     diag_plain(path, buf, sizeof(buf)), strerror(errno));
		return -1;
	}
	L->dc->firmware = abs;
	return 0;
}

/* A file the hypervisor will read: absolute, existing, regular. */
static char *boot_file(struct loader *L, const struct xlcfg_setting *s)
{
	const char *path = s->value->text;
	char buf[96], *abs;
	struct stat st;

	if (!*path) {
		verr(L, s, s->value, "empty path");
		return NULL;
	}
	if (stat(path, &st) < 0) {
		verr(L, s, s->value, "%s: %s",
		     diag_plain(path, buf, sizeof(buf)), strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		verr(L, s, s->value, "%s: not a regular file",
		     diag_plain(path, buf, sizeof(buf)));
		return NULL;
	}
	abs = realpath(path, NULL);
	if (!abs)
		verr(L, s, s->value, "%s: %s",
		     diag_plain(path, buf, sizeof(buf)), strerror(errno));
	return abs;
}

/* xl.cfg(5): cmdline wins; otherwise "root=ROOT EXTRA". */
static int check_boot(struct loader *L)
{
	const struct xlcfg_setting *need = L->ramdisk ? L->ramdisk :
		L->cmdline ? L->cmdline : L->root ? L->root : L->extra;

	if (!L->kernel) {
		if (need) {
			verr(L, need, need->value, "needs kernel = \"PATH\"");
			return -1;
		}
		return 0;
	}
	L->dc->kernel = boot_file(L, L->kernel);
	if (!L->dc->kernel)
		return -1;
	if (L->ramdisk) {
		L->dc->ramdisk = boot_file(L, L->ramdisk);
		if (!L->dc->ramdisk)
			return -1;
	}
	if (L->cmdline)
		L->dc->cmdline = xstrdup(L->cmdline->value->text);
	else if (L->root || L->extra)
		L->dc->cmdline = xasprintf("%s%s%s%s",
			L->root ? "root=" : "",
			L->root ? L->root->value->text : "",
			L->root && L->extra ? " " : "",
			L->extra ? L->extra->value->text : "");
	return 0;
}

static int check_config(struct loader *L)
{
	const char *src = L->cfg->source ? L->cfg->source : "config";

	if (!L->dc->name) {
		if (!L->cfg->n_settings)
			diag_error(L->d, "%s: the configuration is empty "
				   "(name = \"...\" and firmware = \"...\" or "
				   "bios = \"...\" are needed)", src);
		else
			diag_error(L->d, "%s: name: not set (every domain "
				   "needs name = \"...\")", src);
		return -1;
	}
	if (L->maxmem && L->maxmem_mib != L->dc->memory_mib) {
		verr(L, L->maxmem, L->maxmem->value, "must equal memory "
		     "(%llu): ballooning is not supported yet",
		     (unsigned long long)L->dc->memory_mib);
		return -1;
	}
	if (L->maxvcpus && L->maxvcpus_n != L->dc->vcpus) {
		verr(L, L->maxvcpus, L->maxvcpus->value, "must equal vcpus "
		     "(%u): vCPU hot-plug is not supported yet", L->dc->vcpus);
		return -1;
	}
	if (check_boot(L) < 0)
		return -1;
	if (L->firmware)
		return resolve_firmware(L, L->firmware);
	if (L->bios)
		return resolve_firmware(L, L->bios);
	diag_error(L->d, "%s: firmware: not set (give firmware = \"PATH\", "
		   "or bios = \"seabios\" or \"ovmf\")", src);
	return -1;
}

int domain_config_load(struct domain_config *dc, const struct xlcfg *cfg,
		       struct diag *d)
{
	struct loader L = { .dc = dc, .cfg = cfg, .d = d };

	memset(dc, 0, sizeof(*dc));
	dc->memory_mib = 128;
	dc->vcpus = 1;
	dc->serial = xstrdup("pty");
	dc->on_poweroff = "destroy";
	dc->on_reboot = "restart";
	dc->on_crash = "destroy";
	for (size_t i = 0; i < cfg->n_settings; i++) {
		if (load_setting(&L, &cfg->settings[i]) < 0)
			goto fail;
	}
	if (check_config(&L) < 0)
		goto fail;
	return 0;
fail:
	domain_config_free(dc);
	return -1;
}

void domain_config_free(struct domain_config *dc)
{
	free(dc->name);
	free(dc->firmware);
	free(dc->serial);
	free(dc->kernel);
	free(dc->ramdisk);
	free(dc->cmdline);
	free(dc->boot);
	free_disks(dc);
	memset(dc, 0, sizeof(*dc));
}

/* ------------------------------------------------------------- argv */

struct argv_builder {
	char **v;
	size_t n;
};

static void add_arg(struct argv_builder *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_arg(struct argv_builder *b, const char *fmt, ...)
{
	va_list ap;

	b->v = xrealloc(b->v, (b->n + 2) * sizeof(*b->v));
	va_start(ap, fmt);
	b->v[b->n] = xvasprintf(fmt, ap);
	va_end(ap);
	b->v[++b->n] = NULL;
}

char **domain_config_argv(const struct domain_config *dc,
			  const struct launch_params *lp)
{
	struct argv_builder b = { 0 };

	add_arg(&b, "%s", lp->hypervisor);
	add_arg(&b, "--name");
	add_arg(&b, "%s", dc->name);
	add_arg(&b, "--control-socket");
	add_arg(&b, "%s", lp->control_socket);
	if (lp->ready_fd >= 0) {
		add_arg(&b, "--ready-fd");
		add_arg(&b, "%d", lp->ready_fd);
	}
	add_arg(&b, "--firmware");
	add_arg(&b, "%s", dc->firmware);
	add_arg(&b, "--memory");
	add_arg(&b, "%lluM", (unsigned long long)dc->memory_mib);
	add_arg(&b, "--vcpus");
	add_arg(&b, "%u", dc->vcpus);
	add_arg(&b, "--serial");
	add_arg(&b, "%s", dc->serial);
	add_arg(&b, "--on-poweroff");
	add_arg(&b, "%s", dc->on_poweroff);
	add_arg(&b, "--on-reboot");
	add_arg(&b, "%s", dc->on_reboot);
	add_arg(&b, "--on-crash");
	add_arg(&b, "%s", dc->on_crash);
	if (dc->kernel) {
		add_arg(&b, "--kernel");
		add_arg(&b, "%s", dc->kernel);
	}
	if (dc->ramdisk) {
		add_arg(&b, "--initrd");
		add_arg(&b, "%s", dc->ramdisk);
	}
	if (dc->cmdline) {
		add_arg(&b, "--append");
		add_arg(&b, "%s", dc->cmdline);
	}
	if (dc->boot) {
		add_arg(&b, "--boot");
		add_arg(&b, "%s", dc->boot);
	}
	for (size_t i = 0; i < dc->nr_disks; i++) {
		add_arg(&b, "--disk");
		add_arg(&b, "%s", dc->disks[i]);
	}
	if (lp->paused)
		add_arg(&b, "--paused");
	return b.v;
}

void argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}
