/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Client of a domain's control socket (docs/architecture.md): one
 * SOCK_SEQPACKET packet with the command, one packet back with "ok\n" and
 * key=value lines or "error MESSAGE\n".
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "hvmkit/log.h"

static int parse_reply(char *buf, size_t len, struct ctl_reply *r)
{
	const char *body;

	buf[len] = '\0';
	if (!strncmp(buf, "ok\n", 3) || !strcmp(buf, "ok")) {
		r->ok = true;
		body = buf[2] ? buf + 3 : "";
	} else if (!strncmp(buf, "error ", 6)) {
		r->ok = false;
		body = buf + 6;
	} else {
		return -EPROTO;
	}
	snprintf(r->text, sizeof(r->text), "%s", body);
	/* A message is one line: drop its newline. */
	if (!r->ok)
		r->text[strcspn(r->text, "\n")] = '\0';
	return 0;
}

int ctl_call(const char *path, const char *cmd, struct ctl_reply *r)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CTL_TIMEOUT_S };
	char buf[CTL_REPLY_MAX];
	ssize_t n;
	int fd, rc = 0;

	memset(r, 0, sizeof(*r));
	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Also bounds connect(): AF_UNIX waits there for a full backlog. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
		goto out;
	}
	if (send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) < 0) {
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
		goto out;
	}
	do {
		n = recv(fd, buf, sizeof(buf) - 1, MSG_TRUNC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
	else if (n == 0)
		rc = -ECONNRESET;
	else if ((size_t)n > sizeof(buf) - 1)
		rc = -EMSGSIZE;
	else
		rc = parse_reply(buf, (size_t)n, r);
out:
	close(fd);
	return rc;
}

const char *ctl_get(const struct ctl_reply *r, const char *key, char *buf,
		    size_t len)
{
	size_t klen = strlen(key);
	const char *p = r->text;

	if (!r->ok)
		return NULL;
	while (*p) {
		size_t line = strcspn(p, "\n");

		if (line > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			snprintf(buf, len, "%.*s", (int)(line - klen - 1),
				 p + klen + 1);
			return buf;
		}
		p += line;
		if (*p)
			p++;
	}
	return NULL;
}

int domain_call(const struct domain_ref *ref, const char *cmd,
		struct ctl_reply *r)
{
	return domain_call_as(ref, cmd, cmd, r);
}

int domain_call_as(const struct domain_ref *ref, const char *cmd,
		   const char *name, struct ctl_reply *r)
{
	int rc = ctl_call(ref->sock, cmd, r);

	switch (rc) {
	case 0:
		if (r->ok)
			return 0;
		log_error("domain '%s': %s: %s", ref->name, name,
			  r->text[0] ? r->text : "failed");
		return -1;
	case -ENOENT:
	case -ECONNREFUSED:
		if (domain_processes_gone(ref)) {
			domain_remove_stale(ref);
			log_error("domain '%s' does not exist", ref->name);
		} else {
			log_error("domain '%s' is not answering on %s "
				  "(starting or stopping?)", ref->name,
				  ref->sock);
		}
		return -1;
	case -ETIMEDOUT:
		log_error("domain '%s': no answer to '%s' within %d s",
			  ref->name, name, CTL_TIMEOUT_S);
		return -1;
	case -ECONNRESET:
		log_error("domain '%s': the hypervisor closed the control "
			  "connection without answering '%s'", ref->name,
			  name);
		return -1;
	case -EPROTO:
		log_error("domain '%s': malformed answer to '%s'", ref->name,
			  name);
		return -1;
	default:
		log_error("domain '%s': control socket %s: %s", ref->name,
			  ref->sock, strerror(-rc));
		return -1;
	}
}
