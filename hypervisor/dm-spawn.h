/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting, ending and reaping the device-model process. */
#ifndef HVMKIT_DM_SPAWN_H
#define HVMKIT_DM_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "dm-link.h"

/* Finds the device-model binary; one error line and NULL if none.
 * The result is malloc'ed. */
char *dm_spawn_find(const char *configured);
/* Starts it with control socket ctl_child as fd 3.  Returns its pid (and
 * *pidfd), or -1 after one error line. */
pid_t dm_spawn(const char *path, const struct dm_config *cfg, int ctl_child,
	       int *pidfd);
/* Describes a wait status: "exited with status 1", "was killed by signal
 * 31 (SIGSYS: a forbidden system call, seccomp)". */
void dm_describe_status(int status, char *buf, size_t len);
/* Waits up to grace_ms for the process to exit, then SIGKILLs it; reaps
 * it.  Returns its wait status. */
int dm_reap(pid_t pid, int pidfd, unsigned int grace_ms);

#endif
