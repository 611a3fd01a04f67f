/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Domain configuration: turns parsed xl.cfg settings (xlcfg.h) into what
 * one hvmkit domain needs, and that into hvmkit-hypervisor's argv.  The
 * keys and their rules are documented in docs/man/hvmkit.cfg.5.
 */
#ifndef HVMKIT_CLI_DOMAIN_CONFIG_H
#define HVMKIT_CLI_DOMAIN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "xlcfg.h"

#define DOMAIN_NAME_MAX 64
#define DOMAIN_MEMORY_MIN_MIB 2
#define DOMAIN_MEMORY_MAX_MIB (1024 * 1024)   /* 1 TiB, the hypervisor's */
#define DOMAIN_VCPUS_MAX 255

/* Where bios = "seabios" / "ovmf" point (Debian's packages); variables so
 * that tests can point them elsewhere. */
extern const char *domain_seabios_path;
extern const char *domain_ovmf_path;

struct domain_config {
	char *name;
	uint64_t memory_mib;
	unsigned int vcpus;
	char *firmware;         /* absolute path of an existing file */
	char *serial;           /* none | stdio | pty | file:ABS | unix:ABS */
	char *kernel;           /* direct kernel boot: absolute paths, or */
	char *ramdisk;          /* NULL */
	char *cmdline;          /* its command line (cmdline, or root+extra) */
	char *boot;             /* boot order ("cd"), NULL: the default */
	char **disks;           /* --disk specs: "vdev=hda,access=rw,...,
				 * target=ABS" (checked, targets absolute) */
	size_t nr_disks;
	const char *on_poweroff;
	const char *on_reboot;
	const char *on_crash;
};

/* How the hypervisor is started, besides the domain's own settings. */
struct launch_params {
	const char *hypervisor;      /* program path */
	const char *control_socket;
	int ready_fd;                /* < 0: no --ready-fd */
	bool paused;
};

/*
 * Fills dc from cfg with the defaults for keys not given.  Unknown keys
 * give warnings through d; returns 0, or -1 with the first error in d.
 */
int domain_config_load(struct domain_config *dc, const struct xlcfg *cfg,
		       struct diag *d);
void domain_config_free(struct domain_config *dc);

/* True for names hvmkit accepts: letters, digits, '.', '_', '-', at most
 * DOMAIN_NAME_MAX, not starting with '.' or '-'. */
bool domain_name_valid(const char *name);

/* The hypervisor's argv (NULL-terminated, freed with argv_free()). */
char **domain_config_argv(const struct domain_config *dc,
			  const struct launch_params *lp);
void argv_free(char **argv);

#endif
