/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvmkit list: one line per domain in the runtime directory, from each
 * hypervisor's "info" answer.  Sockets nobody answers on are left over
 * from domains that ended without cleaning up: skipped, and removed once
 * no process of the domain holds its log lock.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain-config.h"
#include "hvmkit/log.h"
#include "xalloc.h"

#define FIELD_MAX 128

struct row {
	char name[DOMAIN_NAME_MAX + 1];
	char pid[FIELD_MAX];
	char mem[FIELD_MAX];
	char vcpus[FIELD_MAX];
	char state[FIELD_MAX];
	char time[FIELD_MAX];
	char console[FIELD_MAX];
};

/* NAME.sock with a valid NAME. */
static int is_domain_socket(const struct dirent *e)
{
	size_t len = strlen(e->d_name);
	char name[DOMAIN_NAME_MAX + 1];

	if (len <= 5 || strcmp(e->d_name + len - 5, ".sock") ||
	    len - 5 > DOMAIN_NAME_MAX)
		return 0;
	memcpy(name, e->d_name, len - 5);
	name[len - 5] = '\0';
	return domain_name_valid(name);
}

static void field(const struct ctl_reply *r, const char *key, char *out)
{
	if (!ctl_get(r, key, out, FIELD_MAX))
		strcpy(out, "-");
}

/* Fills row from the domain's info; false if it is to be left out. */
static bool query(const char *name, struct row *row)
{
	struct domain_ref ref;
	struct ctl_reply r;
	int rc;

	if (domain_ref_init(&ref, name, false) < 0)
		return false;
	rc = ctl_call(ref.sock, "info", &r);
	if (rc == -ECONNREFUSED || rc == -ENOENT) {
		domain_remove_stale(&ref);
		domain_ref_free(&ref);
		return false;
	}
	if (rc < 0 || !r.ok) {
		log_warn("domain '%s': info: %s", name,
			 rc < 0 ? strerror(-rc) : r.text);
		domain_ref_free(&ref);
		return false;
	}
	snprintf(row->name, sizeof(row->name), "%s", name);
	field(&r, "pid", row->pid);
	field(&r, "memory_mib", row->mem);
	field(&r, "vcpus", row->vcpus);
	field(&r, "state", row->state);
	field(&r, "uptime_s", row->time);
	field(&r, "console", row->console);
	domain_ref_free(&ref);
	return true;
}

int cmd_list(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "long", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct dirent **entries = NULL;
	struct row *rows;
	int n = 0, n_rows = 0, width = 4, c;
	bool lng = false;
	char *dir;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":l", long_opts, NULL)) != -1) {
		if (c != 'l')
			return usage_error("list", "unknown option '%s'",
					   argv[optind - 1]);
		lng = true;
	}
	if (optind < argc)
		return usage_error("list", "unexpected argument '%s'",
				   argv[optind]);
	dir = rundir_get(false);
	if (!dir)
		return EXIT_ERROR;
	n = scandir(dir, &entries, is_domain_socket, alphasort);
	if (n < 0) {
		if (errno != ENOENT) {
			log_error("runtime directory %s: %s", dir,
				  strerror(errno));
			free(dir);
			return EXIT_ERROR;
		}
		n = 0;
	}
	rows = xzalloc((size_t)(n ? n : 1) * sizeof(*rows));
	for (int i = 0; i < n; i++) {
		size_t len = strlen(entries[i]->d_name) - 5;

		entries[i]->d_name[len] = '\0';
		if (query(entries[i]->d_name, &rows[n_rows])) {
			if ((int)strlen(rows[n_rows].name) > width)
				width = (int)strlen(rows[n_rows].name);
			n_rows++;
		}
		free(entries[i]);
	}
	free(entries);
	printf("%-*s %8s %9s %6s %-13s %9s%s\n", width, "Name", "PID",
	       "Mem(MiB)", "VCPUs", "State", "Time(s)",
	       lng ? "  Console" : "");
	for (int i = 0; i < n_rows; i++)
		printf("%-*s %8s %9s %6s %-13s %9s%s%s\n", width, rows[i].name,
		       rows[i].pid, rows[i].mem, rows[i].vcpus, rows[i].state,
		       rows[i].time, lng ? "  " : "",
		       lng ? rows[i].console : "");
	free(rows);
	free(dir);
	return EXIT_OK;
}
