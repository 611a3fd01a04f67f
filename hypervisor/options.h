/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Command-line options of hvmkit-hypervisor. */
#ifndef HVMKIT_HV_OPTIONS_H
#define HVMKIT_HV_OPTIONS_H

#include <stdbool.h>

#include "dm-link.h"
#include "domctl.h"
#include "vm.h"

#define HV_MAX_DM_ARGS 64
#define HV_MAX_DISKS   16

struct hv_options {
	struct vm_config vm;
	struct dm_config dm;
	const char *dm_args[HV_MAX_DM_ARGS];
	const char *disks[HV_MAX_DISKS];   /* --disk specs, checked */
	struct domctl_config domctl;
	const char *debugcon_path;  /* NULL or "-" = stdout */
	bool machine_none;          /* --machine none */
	const char *kernel, *initrd, *append, *boot;
	char *machine_spec;         /* built for the device model */
	int verbosity;              /* -1 quiet, 0 default, 1 info, 2 debug */
	bool stats;
	bool help;
	bool version;
};

/*
 * Parses argv into opts (defaults: 128 MiB, 1 vCPU, on_poweroff destroy,
 * on_reboot restart, on_crash destroy).
 * Returns 0, or -1 after printing one error line naming the problem.
 * Limits that depend on the host (vCPUs KVM allows, host RAM) are checked
 * later by hv_options_check_host().
 */
int hv_options_parse(int argc, char **argv, struct hv_options *opts);
int hv_options_check_host(const struct hv_options *opts,
			  unsigned int max_vcpus, unsigned long long host_ram);
void hv_options_usage(FILE *out, const char *prog);

#endif
