/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line parsing for hvmkit-hypervisor. */
#include "options.h"

#include <getopt.h>
#include <string.h>

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
"      --on-triple-fault ACT  'stop' (default) or 'reset'\n"
"  -d, --debugcon FILE        where debug-port output (0x402, 0xe9) goes\n"
"                             (default: standard output; '-' as well)\n"
"      --stats                print exit and I/O counters when the guest stops\n"
"  -v, --verbose              more messages (twice for debug)\n"
"  -q, --quiet                errors only\n"
"  -h, --help                 this help\n"
"  -V, --version              version\n"
"\n"
"Exit status: the value the guest wrote to the test-exit port (0xf4) if it\n"
"did; 0 after an orderly stop; 1 host error; 2 usage error; 3 guest crash\n"
"(triple fault with --on-triple-fault=stop, or KVM emulation failure);\n"
"128+N when stopped by signal N (SIGINT, SIGTERM, SIGHUP).\n", prog);
}

/* Long-only options get values outside the range of short letters. */
enum { OPT_ON_TRIPLE_FAULT = 256, OPT_STATS };

static const char short_opts[] = ":f:m:c:d:vqhV";

static const struct option long_opts[] = {
	{ "firmware", required_argument, NULL, 'f' },
	{ "memory", required_argument, NULL, 'm' },
	{ "vcpus", required_argument, NULL, 'c' },
	{ "on-triple-fault", required_argument, NULL, OPT_ON_TRIPLE_FAULT },
	{ "debugcon", required_argument, NULL, 'd' },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* "--name=value" for a flag that takes no value, or an unknown name. */
static void report_bad_long_option(const char *arg)
{
	size_t len = strcspn(arg + 2, "=");

	for (const struct option *o = long_opts; o->name; o++) {
		if (o->has_arg == no_argument && strlen(o->name) == len &&
		    !strncmp(o->name, arg + 2, len) && arg[2 + len] == '=') {
			log_error("option '--%s' takes no argument", o->name);
			return;
		}
	}
	log_error("unknown or ambiguous option '%.*s' (see --help)",
		  (int)len + 2, arg);
}

int hv_options_parse(int argc, char **argv, struct hv_options *opts)
{
	uint64_t v;
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->vm.ram_size = 128 * MiB;
	opts->vm.nr_vcpus = 1;
	opts->vm.on_triple_fault = TRIPLE_FAULT_STOP;
	optind = 0; /* 0, not 1: glibc then also forgets a half-read "-abc" */
	opterr = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts,
				NULL)) != -1) {
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
				opts->vm.on_triple_fault = TRIPLE_FAULT_STOP;
			} else if (!strcmp(optarg, "reset")) {
				opts->vm.on_triple_fault = TRIPLE_FAULT_RESET;
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
		case ':':
			if (!strncmp(argv[optind - 1], "--", 2))
				log_error("option '%s' needs an argument",
					  argv[optind - 1]);
			else
				log_error("option '-%c' needs an argument",
					  optopt);
			return -1;
		default:
			/* getopt sets optopt to the bad letter for a short
			 * option, and to 0 or a long option's value for a
			 * long one (then argv[optind - 1] is that option). */
			if (optopt > 0 && optopt < 256 &&
			    !strchr(short_opts, optopt))
				log_error("unknown option '-%c' (see --help)",
					  optopt);
			else
				report_bad_long_option(argv[optind - 1]);
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
	return 0;
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
