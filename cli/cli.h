/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared pieces of the hvmkit command-line tool: the runtime directory,
 * the domain control-socket client and the commands (one file each).
 */
#ifndef HVMKIT_CLI_CLI_H
#define HVMKIT_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Exit statuses of hvmkit. */
#define EXIT_OK    0
#define EXIT_ERROR 1
#define EXIT_USAGE 2

/* ------------------------------------------------------- rundir.c */

/*
 * The runtime directory: $HVMKIT_RUNDIR, else /run/hvmkit for root, else
 * $XDG_RUNTIME_DIR/hvmkit.  With create, it is made (mode 0700) if
 * missing.  Returns a malloc'd absolute path, or NULL after one error
 * line.
 */
char *rundir_get(bool create);

/* A domain's files in the runtime directory. */
struct domain_ref {
	char *name;
	char *dir;
	char *sock;        /* NAME.sock: the hypervisor's control socket */
	char *log;         /* NAME.log: the hypervisor's and DM's stderr */
};

/*
 * Fills ref for name (checked as a domain name) in the runtime
 * directory.  Returns 0, or -1 after one error line.
 */
int domain_ref_init(struct domain_ref *ref, const char *name, bool create);
void domain_ref_free(struct domain_ref *ref);

/*
 * True if no process of the domain is left: nobody holds the lock on
 * NAME.log that hvmkit create takes and the hypervisor and device model
 * inherit as their stderr.  A domain without a log (not started by
 * hvmkit) counts as gone once its socket refuses connections.
 */
bool domain_processes_gone(const struct domain_ref *ref);

/* Removes NAME.sock if it is left over from a domain that is gone. */
void domain_remove_stale(const struct domain_ref *ref);

/* ------------------------------------------------------ control.c */

#define CTL_REPLY_MAX 4096
#define CTL_TIMEOUT_S 10

struct ctl_reply {
	bool ok;                     /* "ok" rather than "error MESSAGE" */
	char text[CTL_REPLY_MAX];    /* key=value lines, or the message */
};

/*
 * Sends one command over the control socket at path and reads the
 * answer.  Returns 0 with r filled, or a negative errno: -ENOENT (no
 * socket), -ECONNREFUSED (nobody listening), -ETIMEDOUT (no answer
 * within CTL_TIMEOUT_S), -EPROTO (malformed answer), others.
 */
int ctl_call(const char *path, const char *cmd, struct ctl_reply *r);

/* The value of key in an "ok" answer, copied into buf; NULL if absent. */
const char *ctl_get(const struct ctl_reply *r, const char *key, char *buf,
		    size_t len);

/*
 * ctl_call() for a named domain, with one error line on any failure:
 * "domain 'NAME' does not exist" when nothing answers (a stale socket is
 * then removed), the hypervisor's message for an "error" answer.
 * Returns 0 for an "ok" answer, -1 otherwise.
 */
int domain_call(const struct domain_ref *ref, const char *cmd,
		struct ctl_reply *r);
/* The same, naming the command name in messages instead of cmd (which
 * may carry long arguments). */
int domain_call_as(const struct domain_ref *ref, const char *cmd,
		   const char *name, struct ctl_reply *r);

/* ------------------------------------------------------ process.c */

/* pidfd_open(2); -1 with errno on failure. */
int pidfd_open_pid(pid_t pid);
/*
 * Waits until the process behind pidfd has exited, at most timeout_ms
 * (negative: no limit).  Returns true once it has.
 */
bool pidfd_wait_exit(int pidfd, int timeout_ms);
/* pidfd_send_signal(2). */
int pidfd_kill(int pidfd, int sig);
/* The parent pid of pid from /proc, or -1. */
pid_t process_ppid(pid_t pid);

/* ------------------------------------------------------- commands */

int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_cd_insert(int argc, char **argv);
int cmd_cd_eject(int argc, char **argv);

/* Attaches the terminal to a domain's console until Ctrl-] or until the
 * console goes away; returns an exit status. */
int console_attach(const struct domain_ref *ref);

/* Prints "hvmkit: error: MSG (see 'hvmkit CMD --help')" and returns
 * EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
