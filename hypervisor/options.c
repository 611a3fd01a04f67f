/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line parsing for hvmkit-hypervisor. */
#include "options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "hvmkit/disk-spec.h"
#include "hvmkit/getopt-error.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"

#define RAM_MIN   (2 * MiB)
#define RAM_ALIGN (4 * KiB)
/* 1 TiB: far below the 40+ physical address bits of any KVM host and
 * above what anyone runs as an HVM guest on one host process. */
#define RAM_MAX   (1024 * GiB)

void hv_options_usage(FILE *out, const char *prog)
{
	fprintf(out,
"Usage: %s --firmware FILE [OPTION]...\n"
"Run one hardware-virtualized PC guest on Linux KVM.\n"
"\n"
"  -f, --firmware FILE        firmware image mapped below 4 GiB (SeaBIOS,\n"
"                             OVMF or a test image; 64 KiB multiple, <= 16 MiB)\n"
"  -m, --memory SIZE          guest RAM; suffix K, M, G, T, a bare number\n"
"                             means MiB (default 128M)\n"
"  -c, --vcpus N              number of vCPUs (default 1)\n"
"  -d, --debugcon FILE        where debug-port output (0x402, 0xe9) goes\n"
"                             (default: standard output; '-' as well)\n"
"      --serial SPEC          COM1: none (default), stdio, pty, file:PATH,\n"
"                             unix:PATH (a listening socket)\n"
"      --paused               create the guest with its vCPUs paused\n"
"\n"
"Platform (emulated by the device model):\n"
"      --machine pc|none      pc (default): the i440FX/PIIX3/PIIX4 PC with\n"
"                             RTC, i8042, fw_cfg and ACPI; none: only the\n"
"                             devices given with --dm-arg\n"
"      --kernel FILE          boot this Linux bzImage directly (through\n"
"                             the firmware and an option ROM)\n"
"      --initrd FILE          its initial ramdisk\n"
"      --append TEXT          its command line\n"
"      --boot ORDER           boot device order, up to three of a (floppy),\n"
"                             c (disk), d (CD), n (network); default cd\n"
"      --disk SPEC            attach a disk or CD drive (repeatable), in\n"
"                             xl.cfg syntax: 'vdev=hda,target=disk.img',\n"
"                             'vdev=hdc,devtype=cdrom,target=x.iso' (an\n"
"                             empty target: no medium); raw images, IDE\n"
"                             hda-hdd, access=ro|rw, cache=writeback|\n"
"                             writethrough; see hvmkit.cfg(5)\n"
"\n"
"What ends the domain (xl.cfg's on_poweroff, on_reboot, on_crash):\n"
"      --on-poweroff ACT      destroy (default) or restart\n"
"      --on-reboot ACT        restart (default) or destroy\n"
"      --on-crash ACT         destroy (default), restart or preserve (keep\n"
"                             it paused for inspection)\n"
"      --on-triple-fault ACT  older spelling: stop = destroy, reset = restart\n"
"\n"
"Device model (hvmkit-devmodel, a separate sandboxed process):\n"
"      --device-model PATH    its binary, or 'none' to run without one\n"
"                             (default: next to this program, then\n"
"                             " HVMKIT_LIBEXECDIR "/hvmkit)\n"
"      --dm-arg ARG           pass ARG to it (repeatable), e.g.\n"
"                             --dm-arg=--device=testdev\n"
"      --dm-timeout MS        declare it failed when it does not answer an\n"
"                             access for MS milliseconds (default 1000)\n"
"\n"
"Management (used by the hvmkit command):\n"
"      --name NAME            domain name\n"
"      --control-socket PATH  accept hvmkit commands on this socket\n"
"      --ready-fd FD          write \"ready\" to FD once the guest runs\n"
"\n"
"      --stats                print exit and I/O counters when the guest stops\n"
"  -v, --verbose              more messages (twice for debug)\n"
"  -q, --quiet                errors only\n"
"  -h, --help                 this help\n"
"  -V, --version              version\n"
"\n"
"Exit status: the value the guest wrote to the test-exit port (0xf4) if it\n"
"did; 0 after the guest powered off or the domain was destroyed; 1 host\n"
"error; 2 usage error; 3 guest crash (triple fault or KVM emulation\n"
"failure, with --on-crash=destroy); 4 the device model failed; 128+N\n"
"when stopped by signal N (SIGINT, SIGTERM, SIGHUP).\n", prog);
}

/* Long-only options get values outside the range of short letters. */
enum {
	OPT_ON_TRIPLE_FAULT = 256, OPT_STATS, OPT_SERIAL, OPT_PAUSED,
	OPT_ON_POWEROFF, OPT_ON_REBOOT, OPT_ON_CRASH, OPT_DEVICE_MODEL,
	OPT_DM_ARG, OPT_DM_TIMEOUT, OPT_NAME, OPT_CONTROL_SOCKET,
	OPT_READY_FD, OPT_MACHINE, OPT_KERNEL, OPT_INITRD, OPT_APPEND,
	OPT_BOOT, OPT_DISK,
};

static const char short_opts[] = ":f:m:c:d:vqhV";

static const struct option long_opts[] = {
	{ "firmware", required_argument, NULL, 'f' },
	{ "memory", required_argument, NULL, 'm' },
	{ "vcpus", required_argument, NULL, 'c' },
	{ "on-triple-fault", required_argument, NULL, OPT_ON_TRIPLE_FAULT },
	{ "on-poweroff", required_argument, NULL, OPT_ON_POWEROFF },
	{ "on-reboot", required_argument, NULL, OPT_ON_REBOOT },
	{ "on-crash", required_argument, NULL, OPT_ON_CRASH },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "paused", no_argument, NULL, OPT_PAUSED },
	{ "device-model", required_argument, NULL, OPT_DEVICE_MODEL },
	{ "dm-arg", required_argument, NULL, OPT_DM_ARG },
	{ "dm-timeout", required_argument, NULL, OPT_DM_TIMEOUT },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "control-socket", required_argument, NULL, OPT_CONTROL_SOCKET },
	{ "ready-fd", required_argument, NULL, OPT_READY_FD },
	{ "machine", required_argument, NULL, OPT_MACHINE },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "boot", required_argument, NULL, OPT_BOOT },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "debugcon", required_argument, NULL, 'd' },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* "destroy", "restart" or (if allowed) "preserve". */
static int parse_action(const char *opt, const char *arg, bool preserve_ok,
			enum vm_action *action)
{
	if (!strcmp(arg, "destroy")) {
		*action = ACTION_DESTROY;
	} else if (!strcmp(arg, "restart")) {
		*action = ACTION_RESTART;
	} else if (preserve_ok && !strcmp(arg, "preserve")) {
		*action = ACTION_PRESERVE;
	} else {
		log_error("--%s '%s': must be 'destroy', 'restart'%s", opt, arg,
			  preserve_ok ? " or 'preserve'" : "");
		return -1;
	}
	return 0;
}

/* What --serial accepts; the device model opens it. */
static bool serial_spec_valid(const char *spec)
{
	return !strcmp(spec, "none") || !strcmp(spec, "stdio") ||
	       !strcmp(spec, "pty") ||
	       (!strncmp(spec, "file:", 5) && spec[5]) ||
	       (!strncmp(spec, "unix:", 5) && spec[5]);
}

/* --disk SPEC: checked here, opened by the device model (--drive). */
static int add_disk(struct hv_options *opts, const char *spec)
{
	struct disk_spec d;
	char err[256];
	int ret = -1;

	if (disk_spec_parse(spec, &d, err, sizeof(err)) < 0) {
		log_error("--disk '%s': %s", spec, err);
		return -1;
	}
	for (unsigned int i = 0; i < opts->dm.nr_drives; i++) {
		struct disk_spec o;
		bool same;

		if (disk_spec_parse(opts->disks[i], &o, err, sizeof(err)) < 0)
			continue;
		same = !strcmp(o.vdev, d.vdev);
		disk_spec_free(&o);
		if (same) {
			log_error("--disk '%s': %s is attached twice", spec,
				  d.vdev);
			goto out;
		}
	}
	if (opts->dm.nr_drives == HV_MAX_DISKS) {
		log_error("--disk: at most %d disks", HV_MAX_DISKS);
		goto out;
	}
	opts->disks[opts->dm.nr_drives++] = spec;
	ret = 0;
out:
	disk_spec_free(&d);
	return ret;
}

/* Options of the device model and management; 0, 1 (not one of them) or
 * -1 (error reported). */
static int parse_dm_option(int c, struct hv_options *opts)
{
	uint64_t v;

	switch (c) {
	case OPT_SERIAL:
		if (!serial_spec_valid(optarg)) {
			log_error("--serial '%s': must be none, stdio, pty, "
				  "file:PATH or unix:PATH", optarg);
			return -1;
		}
		opts->dm.serial = strcmp(optarg, "none") ? optarg : NULL;
		return 0;
	case OPT_DEVICE_MODEL:
		opts->dm.path = optarg;
		return 0;
	case OPT_DM_ARG:
		if (opts->dm.nr_args == HV_MAX_DM_ARGS) {
			log_error("--dm-arg: at most %d of them",
				  HV_MAX_DM_ARGS);
			return -1;
		}
		opts->dm_args[opts->dm.nr_args++] = optarg;
		return 0;
	case OPT_DM_TIMEOUT:
		if (!parse_u64(optarg, 10, 3600000, &v)) {
			log_error("--dm-timeout '%s': must be milliseconds "
				  "from 10 to 3600000", optarg);
			return -1;
		}
		opts->dm.timeout_ms = (unsigned int)v;
		return 0;
	case OPT_NAME:
		if (!domctl_name_valid(optarg)) {
			log_error("--name '%s': use 1-64 letters, digits, "
				  "'.', '_' or '-' (not starting with '.')",
				  optarg);
			return -1;
		}
		opts->domctl.name = optarg;
		return 0;
	case OPT_CONTROL_SOCKET:
		opts->domctl.socket_path = optarg;
		return 0;
	case OPT_READY_FD:
		if (!parse_u64(optarg, 3, 65535, &v)) {
			log_error("--ready-fd '%s': must be a descriptor "
				  "number from 3", optarg);
			return -1;
		}
		opts->domctl.ready_fd = (int)v;
		return 0;
	case OPT_PAUSED:
		opts->vm.start_paused = true;
		return 0;
	case OPT_MACHINE:
		if (strcmp(optarg, "pc") && strcmp(optarg, "none")) {
			log_error("--machine '%s': must be pc or none", optarg);
			return -1;
		}
		opts->machine_none = !strcmp(optarg, "none");
		return 0;
	case OPT_KERNEL:
		opts->kernel = optarg;
		return 0;
	case OPT_INITRD:
		opts->initrd = optarg;
		return 0;
	case OPT_APPEND:
		opts->append = optarg;
		return 0;
	case OPT_BOOT:
		if (!boot_order_valid(optarg)) {
			log_error("--boot '%s': up to three of a (floppy), c "
				  "(disk), d (CD), n (network), each once",
				  optarg);
			return -1;
		}
		opts->boot = optarg;
		return 0;
	case OPT_DISK:
		return add_disk(opts, optarg);
	case OPT_ON_POWEROFF:
		return parse_action("on-poweroff", optarg, false,
				    &opts->vm.on_poweroff);
	case OPT_ON_REBOOT:
		return parse_action("on-reboot", optarg, false,
				    &opts->vm.on_reboot);
	case OPT_ON_CRASH:
		return parse_action("on-crash", optarg, true,
				    &opts->vm.on_crash);
	}
	return 1;
}

/* Appends ",key=value" with ',' doubled (the device model's option
 * syntax).  -1 when out of memory. */
static int spec_add(char **spec, const char *key, const char *value)
{
	size_t len = strlen(*spec), extra = strlen(key) + 2;
	char *s, *p;

	for (const char *c = value; *c; c++)
		extra += *c == ',' ? 2 : 1;
	s = realloc(*spec, len + extra + 1);
	if (!s)
		return -1;
	p = s + len;
	p += sprintf(p, ",%s=", key);
	for (const char *c = value; *c; c++) {
		*p++ = *c;
		if (*c == ',')
			*p++ = ',';
	}
	*p = 0;
	*spec = s;
	return 0;
}

/* The --machine argument of the device model. */
static int machine_spec(struct hv_options *opts)
{
	const char *keys[] = { "kernel", "initrd", "cmdline", "boot" };
	const char *vals[] = { opts->kernel, opts->initrd, opts->append,
			       opts->boot };

	if (opts->machine_none) {
		for (size_t i = 0; i < 4; i++) {
			if (vals[i]) {
				log_error("--%s needs --machine pc",
					  i == 2 ? "append" : keys[i]);
				return -1;
			}
		}
		if (opts->dm.nr_drives) {
			log_error("--disk needs --machine pc (its IDE "
				  "controller)");
			return -1;
		}
		return 0;
	}
	if ((opts->initrd || opts->append) && !opts->kernel) {
		log_error("--%s needs --kernel",
			  opts->initrd ? "initrd" : "append");
		return -1;
	}
	opts->machine_spec = strdup("pc");
	for (size_t i = 0; opts->machine_spec && i < 4; i++)
		if (vals[i] && spec_add(&opts->machine_spec, keys[i],
					vals[i]) < 0) {
			free(opts->machine_spec);
			opts->machine_spec = NULL;
		}
	if (!opts->machine_spec) {
		log_error("out of memory");
		return -1;
	}
	opts->dm.machine = opts->machine_spec;
	return 0;
}

int hv_options_parse(int argc, char **argv, struct hv_options *opts)
{
	uint64_t v;
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->vm.ram_size = 128 * MiB;
	opts->vm.nr_vcpus = 1;
	opts->vm.on_poweroff = ACTION_DESTROY;
	opts->vm.on_reboot = ACTION_RESTART;
	opts->vm.on_crash = ACTION_DESTROY;
	opts->dm.args = opts->dm_args;
	opts->dm.drives = opts->disks;
	opts->dm.timeout_ms = DM_DEFAULT_TIMEOUT_MS;
	opts->domctl.ready_fd = -1;
	optind = 0; /* 0, not 1: glibc then also forgets a half-read "-abc" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts,
				NULL)) != -1) {
		int r = parse_dm_option(c, opts);

		if (r < 0)
			return -1;
		if (r == 0)
			continue;
		switch (c) {
		case 'f':
			opts->vm.firmware = optarg;
			break;
		case 'm':
			if (!parse_size(optarg, false, &v)) {
				log_error("--memory '%s': not a size (e.g. "
					  "512M, 2G)", optarg);
				return -1;
			}
			if (v < RAM_MIN || v > RAM_MAX || v % RAM_ALIGN) {
				log_error("--memory '%s': must be a multiple "
					  "of 4 KiB from 2 MiB to 1 TiB",
					  optarg);
				return -1;
			}
			opts->vm.ram_size = v;
			break;
		case 'c':
			if (!parse_u64(optarg, 1, VM_MAX_VCPUS, &v)) {
				log_error("--vcpus '%s': must be a number from "
					  "1 to %d", optarg, VM_MAX_VCPUS);
				return -1;
			}
			opts->vm.nr_vcpus = (unsigned int)v;
			break;
		case OPT_ON_TRIPLE_FAULT:
			if (!strcmp(optarg, "stop")) {
				opts->vm.on_crash = ACTION_DESTROY;
			} else if (!strcmp(optarg, "reset")) {
				opts->vm.on_crash = ACTION_RESTART;
			} else {
				log_error("--on-triple-fault '%s': must be "
					  "'stop' or 'reset'", optarg);
				return -1;
			}
			break;
		case 'd':
			opts->debugcon_path = optarg;
			break;
		case OPT_STATS:
			opts->stats = true;
			break;
		case 'v':
			opts->verbosity++;
			break;
		case 'q':
			opts->verbosity = -1;
			break;
		case 'h':
			opts->help = true;
			return 0;
		case 'V':
			opts->version = true;
			return 0;
		default:
			getopt_report_error(c, argv, short_opts, long_opts);
			return -1;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s' (see --help)",
			  argv[optind]);
		return -1;
	}
	if (!opts->vm.firmware) {
		log_error("no firmware image given (--firmware FILE)");
		return -1;
	}
	if (opts->dm.path && !strcmp(opts->dm.path, "none") &&
	    (opts->kernel || opts->boot || opts->dm.nr_drives)) {
		log_error("--%s needs the device model (not --device-model "
			  "none)", opts->kernel ? "kernel" :
			  opts->boot ? "boot" : "disk");
		return -1;
	}
	return machine_spec(opts);
}

int hv_options_check_host(const struct hv_options *opts,
			  unsigned int max_vcpus, unsigned long long host_ram)
{
	char a[32], b[32];

	if (opts->vm.nr_vcpus > max_vcpus) {
		log_error("--vcpus %u: this host's KVM allows at most %u",
			  opts->vm.nr_vcpus, max_vcpus);
		return -1;
	}
	if (host_ram && opts->vm.ram_size > host_ram) {
		log_error("--memory %s: more than this host's RAM (%s)",
			  format_size(opts->vm.ram_size, a, sizeof(a)),
			  format_size(host_ram, b, sizeof(b)));
		return -1;
	}
	return 0;
}
