/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hvmkit runtime directory and a domain's files in it.
 *
 * A domain is alive while some process holds the flock(2) that hvmkit
 * create takes on NAME.log: the log's open file description becomes the
 * hypervisor's stdout and stderr and is inherited by the device model, so
 * the lock lasts exactly as long as any process of the domain.  That
 * makes "does a domain of this name exist?" race-free between concurrent
 * creates and tells a stale control socket from one still being set up.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "domain-config.h"
#include "hvmkit/log.h"
#include "xalloc.h"

/* dir as an absolute path (the hypervisor runs in "/"). */
static char *make_absolute(char *dir)
{
	char *cwd, *abs;

	if (dir[0] == '/')
		return dir;
	cwd = getcwd(NULL, 0);
	if (!cwd) {
		log_error("runtime directory %s: cannot find the current "
			  "directory: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	abs = xasprintf("%s/%s", cwd, dir);
	free(cwd);
	free(dir);
	return abs;
}

char *rundir_get(bool create)
{
	const char *env = getenv("HVMKIT_RUNDIR");
	struct stat st;
	char *dir;

	if (env && *env) {
		dir = xasprintf("%s", env);
	} else if (geteuid() == 0) {
		dir = xasprintf("/run/hvmkit");
	} else {
		const char *xdg = getenv("XDG_RUNTIME_DIR");

		if (!xdg || !*xdg) {
			log_error("XDG_RUNTIME_DIR is not set, so there is no "
				  "runtime directory (set HVMKIT_RUNDIR, or "
				  "run as root to use /run/hvmkit)");
			return NULL;
		}
		dir = xasprintf("%s/hvmkit", xdg);
	}
	dir = make_absolute(dir);
	if (!dir)
		return NULL;
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_error("runtime directory %s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	if (stat(dir, &st) < 0) {
		if (errno == ENOENT && !create)
			return dir;     /* no domains yet */
		log_error("runtime directory %s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("runtime directory %s: not a directory", dir);
		free(dir);
		return NULL;
	}
	if (st.st_uid != geteuid()) {
		log_error("runtime directory %s: owned by uid %u, not by you "
			  "(uid %u)", dir, (unsigned int)st.st_uid,
			  (unsigned int)geteuid());
		free(dir);
		return NULL;
	}
	return dir;
}

int domain_ref_init(struct domain_ref *ref, const char *name, bool create)
{
	struct sockaddr_un sun;

	memset(ref, 0, sizeof(*ref));
	if (!domain_name_valid(name)) {
		char buf[96];

		log_error("%s is not a valid domain name (letters, digits, "
			  "'.', '_', '-', at most %d, not starting with '.' "
			  "or '-')", diag_quote(name, buf, sizeof(buf)),
			  DOMAIN_NAME_MAX);
		return -1;
	}
	ref->dir = rundir_get(create);
	if (!ref->dir)
		return -1;
	ref->name = xasprintf("%s", name);
	ref->sock = xasprintf("%s/%s.sock", ref->dir, name);
	ref->log = xasprintf("%s/%s.log", ref->dir, name);
	if (strlen(ref->sock) >= sizeof(sun.sun_path)) {
		log_error("control socket path %s is too long (%zu bytes, at "
			  "most %zu): use a shorter HVMKIT_RUNDIR", ref->sock,
			  strlen(ref->sock), sizeof(sun.sun_path) - 1);
		domain_ref_free(ref);
		return -1;
	}
	return 0;
}

void domain_ref_free(struct domain_ref *ref)
{
	free(ref->name);
	free(ref->dir);
	free(ref->sock);
	free(ref->log);
	memset(ref, 0, sizeof(*ref));
}

bool domain_processes_gone(const struct domain_ref *ref)
{
	int fd = open(ref->log, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	bool gone;

	if (fd < 0)
		return true;
	gone = flock(fd, LOCK_SH | LOCK_NB) == 0;
	close(fd);
	return gone;
}

void domain_remove_stale(const struct domain_ref *ref)
{
	if (domain_processes_gone(ref) && unlink(ref->sock) < 0 &&
	    errno != ENOENT)
		log_warn("cannot remove stale control socket %s: %s",
			 ref->sock, strerror(errno));
}
