/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The domain control socket: how the `hvmkit` CLI reaches a running
 * hypervisor (info, pause, unpause, shutdown, reboot, reset, destroy,
 * cd-insert, cd-eject).
 * Protocol in docs/architecture.md ("Domain control socket").
 */
#ifndef HVMKIT_DOMCTL_H
#define HVMKIT_DOMCTL_H

#include <poll.h>

struct vm;

struct domctl_config {
	const char *name;        /* domain name, or NULL */
	const char *socket_path; /* where to listen, or NULL for none */
	int ready_fd;            /* -1: none */
};

#define DOMCTL_MAX_POLLFDS 5

/* Validates the config and creates the socket; one error line and -1 on
 * failure.  A stale socket (nobody answers) is replaced; a live one is
 * "a domain with this name is already running". */
int domctl_open(struct vm *vm, const struct domctl_config *cfg);
/* Reports "ready" on the ready fd (once). */
void domctl_ready(struct vm *vm);
unsigned int domctl_pollfds(struct vm *vm, struct pollfd *pfd);
void domctl_handle(struct vm *vm, const struct pollfd *pfd);
/* Closes the clients and removes the socket. */
void domctl_close(struct vm *vm);

/* A valid domain name: 1-64 of [A-Za-z0-9._-], not starting with '.'. */
int domctl_name_valid(const char *name);

#endif
