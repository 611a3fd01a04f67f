/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Starting the device model: fork, then in the child make sure it dies
 * with us (PR_SET_PDEATHSIG, and a check that the parent is still the one
 * that forked it), leave terminal and termination signals to the
 * hypervisor (SIGINT, SIGHUP and SIGTERM ignored: the hypervisor stops the
 * guest in order and then tells the device model to quit), put the control socket at fd 3, close every
 * other descriptor, and exec.  The device model therefore starts with
 * nothing of the hypervisor's: no /dev/kvm, VM or vCPU descriptors.
 */
#define _GNU_SOURCE
#include "dm-spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hvmkit/log.h"

#ifndef HVMKIT_LIBEXECDIR
#define HVMKIT_LIBEXECDIR "/usr/local/libexec"
#endif

#define DM_BINARY "hvmkit-devmodel"

char *dm_spawn_find(const char *configured)
{
	char self[PATH_MAX], *path = NULL, *slash;
	ssize_t n;

	if (configured) {
		if (access(configured, X_OK) == 0)
			return strdup(configured);
		log_error("--device-model %s: %s", configured, strerror(errno));
		return NULL;
	}
	/* Next to our own binary (the build tree, or a bin dir that holds
	 * both), then the installed libexec directory. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&path, "%s/" DM_BINARY, self) < 0)
				path = NULL;
			if (path && access(path, X_OK) == 0)
				return path;
			free(path);
		}
	}
	if (access(HVMKIT_LIBEXECDIR "/hvmkit/" DM_BINARY, X_OK) == 0)
		return strdup(HVMKIT_LIBEXECDIR "/hvmkit/" DM_BINARY);
	log_error("cannot find the device model " DM_BINARY " (looked next "
		  "to this program and in " HVMKIT_LIBEXECDIR "/hvmkit; "
		  "use --device-model PATH)");
	return NULL;
}

/* argv: path --control-fd 3 [-v..|-q] [--machine SPEC] [--serial SPEC]
 * [--drive SPEC]... [args...] */
static char **dm_argv(const char *path, const struct dm_config *cfg)
{
	char **argv = calloc(cfg->nr_args + 2 * cfg->nr_drives + 10,
			     sizeof(*argv));
	unsigned int n = 0;

	if (!argv)
		return NULL;
	argv[n++] = (char *)path;
	argv[n++] = (char *)"--control-fd";
	argv[n++] = (char *)"3";
	if (cfg->verbosity < 0)
		argv[n++] = (char *)"-q";
	for (int v = 0; v < cfg->verbosity && v < 2; v++)
		argv[n++] = (char *)"-v";
	if (cfg->machine) {
		argv[n++] = (char *)"--machine";
		argv[n++] = (char *)cfg->machine;
	}
	if (cfg->serial) {
		argv[n++] = (char *)"--serial";
		argv[n++] = (char *)cfg->serial;
	}
	for (unsigned int i = 0; i < cfg->nr_drives; i++) {
		argv[n++] = (char *)"--drive";
		argv[n++] = (char *)cfg->drives[i];
	}
	for (unsigned int i = 0; i < cfg->nr_args; i++)
		argv[n++] = (char *)cfg->args[i];
	argv[n] = NULL;
	return argv;
}

static void dm_child(char **argv, int ctl_child, pid_t parent)
{
	sigset_t none;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* the parent died before prctl */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (ctl_child != 3) {
		if (dup2(ctl_child, 3) < 0)
			_exit(127);
	} else if (fcntl(3, F_SETFD, 0) < 0) {
		_exit(127);
	}
	syscall(SYS_close_range, 4u, ~0u, 0u);
	execv(argv[0], argv);
	/* The one line the user sees comes from the hypervisor, which sees
	 * the exit status; this adds the reason. */
	fprintf(stderr, "hvmkit-hypervisor: error: cannot run %s: %s\n",
		argv[0], strerror(errno));
	_exit(127);
}

pid_t dm_spawn(const char *path, const struct dm_config *cfg, int ctl_child,
	       int *pidfd)
{
	char **argv = dm_argv(path, cfg);
	pid_t parent = getpid(), pid;

	if (!argv) {
		log_error("out of memory starting the device model");
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		dm_child(argv, ctl_child, parent);
	free(argv);
	if (pid < 0) {
		log_error("cannot start the device model: fork: %s",
			  strerror(errno));
		return -1;
	}
	*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (*pidfd < 0) {
		log_error("pidfd_open: %s (Linux 5.3 or later is needed)",
			  strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	fcntl(*pidfd, F_SETFD, FD_CLOEXEC);
	return pid;
}

void dm_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		snprintf(buf, len, "exited with status %d",
			 WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		snprintf(buf, len, "was killed by signal %d (SIG%s%s)", sig,
			 sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			 sig == SIGSYS ? ": a forbidden system call, "
					 "stopped by its seccomp sandbox" : "");
	} else {
		snprintf(buf, len, "ended with wait status %#x", status);
	}
}

int dm_reap(pid_t pid, int pidfd, unsigned int grace_ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	int status = 0;

	if (pid <= 0)
		return 0;
	while (poll(&pfd, 1, (int)grace_ms) < 0 && errno == EINTR)
		;
	if (!(pfd.revents & POLLIN))
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}
