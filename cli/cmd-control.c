/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvmkit pause, unpause, shutdown, reboot, destroy, cd-insert and
 * cd-eject: one control-socket command each; shutdown -w and destroy also
 * wait for the domain's processes to end, through pidfds of the pids that
 * "info" reports.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvmkit/log.h"

/* How long destroy lets each process end by itself before SIGKILL. */
#define DESTROY_TIMEOUT_MS 10000

/*
 * Parses "[-FLAG] DOM" (flag_char 0: no flag) into ref; returns EXIT_OK
 * or the exit status to return.
 */
static int parse_domain_args(const char *cmd, int argc, char **argv,
			     char flag_char, bool *flag,
			     struct domain_ref *ref)
{
	char optstring[4] = ":";
	int c;

	if (flag_char)
		optstring[1] = flag_char;
	optind = 0;
	opterr = 0;
	while ((c = getopt(argc, argv, optstring)) != -1) {
		if (!flag_char || c != flag_char)
			return usage_error(cmd, "unknown option '%s'",
					   argv[optind - 1]);
		*flag = true;
	}
	if (optind >= argc)
		return usage_error(cmd, "no domain given");
	if (optind + 1 < argc)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[optind + 1]);
	if (domain_ref_init(ref, argv[optind], false) < 0)
		return EXIT_ERROR;
	return EXIT_OK;
}

/* Sends one command; EXIT_OK if the hypervisor answered "ok". */
static int simple_command(const char *cmd, const char *ctl_cmd, int argc,
			  char **argv, char flag_char, const char *flag_cmd)
{
	struct domain_ref ref;
	struct ctl_reply r;
	bool flag = false;
	int rc;

	rc = parse_domain_args(cmd, argc, argv, flag_char, &flag, &ref);
	if (rc != EXIT_OK)
		return rc;
	rc = domain_call(&ref, flag ? flag_cmd : ctl_cmd, &r) < 0 ?
		EXIT_ERROR : EXIT_OK;
	domain_ref_free(&ref);
	return rc;
}

int cmd_pause(int argc, char **argv)
{
	return simple_command("pause", "pause", argc, argv, 0, NULL);
}

int cmd_unpause(int argc, char **argv)
{
	return simple_command("unpause", "unpause", argc, argv, 0, NULL);
}

int cmd_reboot(int argc, char **argv)
{
	return simple_command("reboot", "reboot", argc, argv, 'F', "reset");
}

/* The hypervisor's and device model's pids from "info" (0 if absent). */
static int domain_pids(const struct domain_ref *ref, pid_t *pid,
		       pid_t *dm_pid)
{
	struct ctl_reply r;
	char buf[32];

	if (domain_call(ref, "info", &r) < 0)
		return -1;
	*pid = ctl_get(&r, "pid", buf, sizeof(buf)) ? atoi(buf) : 0;
	*dm_pid = ctl_get(&r, "dm_pid", buf, sizeof(buf)) ? atoi(buf) : 0;
	if (*pid <= 0) {
		log_error("domain '%s': info has no pid", ref->name);
		return -1;
	}
	return 0;
}

/*
 * A pidfd for the hypervisor that really is the one answering on the
 * socket: the pid is asked again after pidfd_open(), so a pid recycled in
 * between cannot be signalled.  -1 if the process is already gone.
 */
static int open_domain_pidfd(const struct domain_ref *ref, pid_t pid)
{
	struct ctl_reply r;
	char buf[32];
	int fd = pidfd_open_pid(pid);

	if (fd < 0)
		return -1;
	if (ctl_call(ref->sock, "info", &r) == 0 &&
	    ctl_get(&r, "pid", buf, sizeof(buf)) && atoi(buf) != pid) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits for a process to end; SIGKILL after timeout_ms.  fd < 0: gone. */
static void wait_or_kill(int fd, const char *what, const char *name)
{
	if (fd < 0)
		return;
	if (!pidfd_wait_exit(fd, DESTROY_TIMEOUT_MS)) {
		log_warn("domain '%s': %s still running after %d s: killing "
			 "it", name, what, DESTROY_TIMEOUT_MS / 1000);
		pidfd_kill(fd, SIGKILL);
		pidfd_wait_exit(fd, -1);
	}
	close(fd);
}

int cmd_destroy(int argc, char **argv)
{
	struct domain_ref ref;
	struct ctl_reply r;
	pid_t pid, dm_pid;
	int rc, hv_fd, dm_fd = -1;

	rc = parse_domain_args("destroy", argc, argv, 0, NULL, &ref);
	if (rc != EXIT_OK)
		return rc;
	rc = EXIT_ERROR;
	if (domain_pids(&ref, &pid, &dm_pid) < 0)
		goto out;
	hv_fd = open_domain_pidfd(&ref, pid);
	/* The device model is the hypervisor's child: checking that after
	 * pidfd_open() rules out a recycled pid. */
	if (dm_pid > 0 && hv_fd >= 0) {
		dm_fd = pidfd_open_pid(dm_pid);
		if (dm_fd >= 0 && process_ppid(dm_pid) != pid) {
			close(dm_fd);
			dm_fd = -1;
		}
	}
	/* No answer is fine if the hypervisor is ending anyway. */
	if (ctl_call(ref.sock, "destroy", &r) == 0 && !r.ok)
		log_warn("domain '%s': destroy: %s", ref.name, r.text);
	wait_or_kill(hv_fd, "the hypervisor", ref.name);
	wait_or_kill(dm_fd, "the device model", ref.name);
	domain_remove_stale(&ref);
	rc = EXIT_OK;
out:
	domain_ref_free(&ref);
	return rc;
}

int cmd_shutdown(int argc, char **argv)
{
	struct domain_ref ref;
	struct ctl_reply r;
	bool wait = false;
	pid_t pid = 0, dm_pid = 0;
	int rc, hv_fd = -1;

	rc = parse_domain_args("shutdown", argc, argv, 'w', &wait, &ref);
	if (rc != EXIT_OK)
		return rc;
	rc = EXIT_ERROR;
	if (wait) {
		if (domain_pids(&ref, &pid, &dm_pid) < 0)
			goto out;
		hv_fd = open_domain_pidfd(&ref, pid);
	}
	if (domain_call(&ref, "shutdown", &r) < 0)
		goto out;
	if (hv_fd >= 0) {
		pidfd_wait_exit(hv_fd, -1);
		domain_remove_stale(&ref);
	}
	rc = EXIT_OK;
out:
	if (hv_fd >= 0)
		close(hv_fd);
	domain_ref_free(&ref);
	return rc;
}

/* ------------------------------------------------- cd-insert, cd-eject */

/* A vdev as the control protocol carries it: 1-15 of [a-z0-9]. */
static bool vdev_word(const char *v)
{
	size_t n = strlen(v);

	return n && n < 16 && strspn(v, "abcdefghijklmnopqrstuvwxyz"
				     "0123456789") == n;
}

/*
 * hvmkit cd-insert DOM [VDEV] FILE / cd-eject DOM [VDEV] (xl's names;
 * without VDEV, the domain's only CD drive, sent as "-"): the hypervisor
 * opens FILE itself (read-only) and hands it to the device model, so FILE
 * is made absolute here: the hypervisor runs in "/".
 */
static int media_command(const char *cmd, int argc, char **argv)
{
	bool insert = !strcmp(cmd, "cd-insert");
	int want = insert ? 3 : 2;
	struct domain_ref ref;
	struct ctl_reply r;
	char *line = NULL, *abs = NULL, *cwd = NULL;
	char *args[3];
	int rc;

	optind = 0;
	opterr = 0;
	if (getopt(argc, argv, ":") != -1)
		return usage_error(cmd, "unknown option '%s'",
				   argv[optind - 1]);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage_error(cmd, "no domain given");
	if (insert && argc < 2)
		return usage_error(cmd, "no image file given");
	if (argc > want)
		return usage_error(cmd, "unexpected argument '%s'",
				   argv[want]);
	if (argc < want) {
		/* No VDEV: the domain's only CD drive. */
		args[0] = argv[0];
		args[1] = (char *)"-";
		if (insert)
			args[2] = argv[1];
		argv = args;
	} else if (!vdev_word(argv[1]))
		return usage_error(cmd, "'%s' is not a virtual device name "
				   "(e.g. hdc)", argv[1]);
	if (insert && (!argv[2][0] || strpbrk(argv[2], "\r\n")))
		return usage_error(cmd, "'%s' is not a file name", argv[2]);
	if (insert && argv[2][0] != '/') {
		cwd = getcwd(NULL, 0);
		if (!cwd) {
			log_error("%s: cannot make %s absolute: %s", cmd,
				  argv[2], strerror(errno));
			return EXIT_ERROR;
		}
		if (asprintf(&abs, "%s/%s", cwd, argv[2]) < 0)
			abs = NULL;
		free(cwd);
	} else if (insert) {
		abs = strdup(argv[2]);
	}
	if (insert && !abs) {
		log_error("out of memory");
		return EXIT_ERROR;
	}
	if (insert && strlen(abs) > PATH_MAX) {
		log_error("%s: %s: file name too long", cmd, abs);
		free(abs);
		return EXIT_ERROR;
	}
	if (domain_ref_init(&ref, argv[0], false) < 0) {
		free(abs);
		return EXIT_ERROR;
	}
	if (insert)
		rc = asprintf(&line, "cd-insert %s %s", argv[1], abs);
	else
		rc = asprintf(&line, "cd-eject %s", argv[1]);
	free(abs);
	if (rc < 0) {
		log_error("out of memory");
		domain_ref_free(&ref);
		return EXIT_ERROR;
	}
	rc = domain_call_as(&ref, line, cmd, &r) < 0 ? EXIT_ERROR : EXIT_OK;
	free(line);
	domain_ref_free(&ref);
	return rc;
}

int cmd_cd_insert(int argc, char **argv)
{
	return media_command("cd-insert", argc, argv);
}

int cmd_cd_eject(int argc, char **argv)
{
	return media_command("cd-eject", argc, argv);
}
