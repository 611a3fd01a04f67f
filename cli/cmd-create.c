/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvmkit create: parse and check the configuration, start
 * hvmkit-hypervisor as a daemon in its own session with its output in
 * NAME.log, and wait until it reports the guest running ("ready\n" on the
 * --ready-fd pipe) or fails; on failure nothing of the domain is left and
 * the hypervisor's error becomes hvmkit's one error line.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "domain-config.h"
#include "hvmkit/log.h"
#include "xalloc.h"
#include "xlcfg.h"

#define HYPERVISOR_NAME "hvmkit-hypervisor"
/* The fd number the hypervisor gets the ready pipe on. */
#define READY_FD 3
/* How long a failed or interrupted start may take to end by itself
 * before it is killed. */
#define STOP_TIMEOUT_MS 10000
/* How much of NAME.log a failed start reads back for the message. */
#define LOG_TAIL_MAX (64 * 1024)
#define MESSAGE_MAX 480

struct create_opts {
	bool console;
	bool paused;
	bool dry_run;
	const char *file;
	char **overrides;
	unsigned int n_overrides;
};

/* ----------------------------------------------- finding the program */

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

/*
 * $HVMKIT_HYPERVISOR, else hvmkit-hypervisor next to this program (the
 * build tree, or BINDIR when installed), else the first one in $PATH.
 */
static char *find_hypervisor(void)
{
	const char *env = getenv("HVMKIT_HYPERVISOR");
	const char *path = getenv("PATH");
	char self[PATH_MAX], *slash, *candidate;
	ssize_t n;

	if (env && *env) {
		if (!is_executable_file(env)) {
			log_error("HVMKIT_HYPERVISOR=%s: %s", env,
				  access(env, F_OK) ? strerror(errno) :
				  "not an executable file");
			return NULL;
		}
		return xstrdup(env);
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			candidate = xasprintf("%s/%s", self, HYPERVISOR_NAME);
			if (is_executable_file(candidate))
				return candidate;
			free(candidate);
		}
	}
	while (path && *path) {
		size_t len = strcspn(path, ":");

		candidate = len ? xasprintf("%.*s/%s", (int)len, path,
					    HYPERVISOR_NAME) :
				  xasprintf("./%s", HYPERVISOR_NAME);
		if (is_executable_file(candidate))
			return candidate;
		free(candidate);
		path += len;
		if (*path)
			path++;
	}
	log_error("cannot find %s (not next to hvmkit, not in PATH; set "
		  "HVMKIT_HYPERVISOR)", HYPERVISOR_NAME);
	return NULL;
}

/* ---------------------------------------------------- configuration */

static int load_config(const struct create_opts *o, struct domain_config *dc)
{
	struct diag d = { 0 };
	struct xlcfg cfg;
	int rc = -1;

	xlcfg_init(&cfg);
	if (xlcfg_parse_file(&cfg, o->file, &d) < 0)
		goto out;
	for (unsigned int i = 0; i < o->n_overrides; i++)
		if (xlcfg_parse_override(&cfg, o->overrides[i], i + 1, &d) < 0)
			goto out;
	rc = domain_config_load(dc, &cfg, &d);
out:
	if (rc < 0)
		log_error("%s", d.error);
	xlcfg_free(&cfg);
	return rc;
}

/* Prints argv as one line a POSIX shell would read back the same. */
static void print_command_line(char **argv)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
				   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				   "_-./:=,+@%";

	for (char **a = argv; *a; a++) {
		if (a != argv)
			putchar(' ');
		if (**a && strspn(*a, safe) == strlen(*a)) {
			fputs(*a, stdout);
			continue;
		}
		putchar('\'');
		for (const char *p = *a; *p; p++) {
			if (*p == '\'')
				fputs("'\\''", stdout);
			else
				putchar(*p);
		}
		putchar('\'');
	}
	putchar('\n');
}

/* ------------------------------------------------------ the daemon */

/* Runs in the child: becomes the hypervisor or exits 127. */
static void exec_hypervisor(char **argv, int log_fd, int ready_fd)
{
	sigset_t none;
	int devnull, fds[3];

	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* Move everything above the target numbers first, so that no dup2
	 * below overwrites a descriptor still to be placed. */
	fds[0] = fcntl(devnull, F_DUPFD_CLOEXEC, 10);
	fds[1] = fcntl(log_fd, F_DUPFD_CLOEXEC, 10);
	fds[2] = fcntl(ready_fd, F_DUPFD_CLOEXEC, 10);
	if (devnull < 0 || fds[0] < 0 || fds[1] < 0 || fds[2] < 0 ||
	    dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 ||
	    dup2(fds[1], 2) < 0 || dup2(fds[2], READY_FD) < 0) {
		dprintf(log_fd, "hvmkit: error: setting up the hypervisor's "
			"descriptors: %s\n", strerror(errno));
		_exit(127);
	}
	syscall(SYS_close_range, READY_FD + 1, ~0u, 0);
	if (chdir("/") < 0) {
		dprintf(2, "hvmkit: error: chdir /: %s\n", strerror(errno));
		_exit(127);
	}
	execv(argv[0], argv);
	dprintf(2, "hvmkit: error: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	interrupted = sig;
}

/*
 * Waits for "ready\n" on fd with SIGINT/SIGTERM/SIGHUP blocked except
 * inside ppoll (so none is lost between checks).  Returns 0 when ready,
 * -EINTR when interrupted, -ENODATA on EOF or anything else.
 */
static int wait_ready(int fd, const sigset_t *waitmask)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[8];
	size_t got = 0;

	for (;;) {
		ssize_t n;

		if (interrupted)
			return -EINTR;
		if (ppoll(&pfd, 1, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			return -ENODATA;
		}
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ENODATA;
		got += (size_t)n;
		if (got >= 6 && !memcmp(buf, "ready\n", 6))
			return 0;
		if (memcmp(buf, "ready\n", got < 6 ? got : 6))
			return -ENODATA;
	}
}

/* Reaps the child, killing it if it does not end within the timeout. */
static int reap_child(pid_t pid, bool terminate)
{
	int pidfd = pidfd_open_pid(pid);
	int status = 0;

	if (terminate)
		kill(pid, SIGTERM);
	if (pidfd >= 0) {
		if (!pidfd_wait_exit(pidfd, STOP_TIMEOUT_MS))
			kill(pid, SIGKILL);
		close(pidfd);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/*
 * After a failed start: waits until no process holds the domain's log
 * lock (the device model may outlive the hypervisor briefly); kills the
 * daemon's process group if something does not go away by itself.
 */
static void ensure_nothing_left(const struct domain_ref *ref, pid_t pgid)
{
	const struct timespec tick = { .tv_nsec = 20 * 1000 * 1000 };
	int waited_ms = 0;
	bool killed = false;

	while (!domain_processes_gone(ref)) {
		if (!killed && waited_ms >= STOP_TIMEOUT_MS / 2) {
			kill(-pgid, SIGKILL);
			killed = true;
		}
		if (waited_ms >= STOP_TIMEOUT_MS) {
			log_warn("domain '%s': a process still holds %s",
				 ref->name, ref->log);
			break;
		}
		nanosleep(&tick, NULL);
		waited_ms += 20;
	}
	if (unlink(ref->sock) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", ref->sock, strerror(errno));
}

/* "PROG: error: MSG" -> MSG; other lines unchanged. */
static const char *strip_error_prefix(const char *line, bool *is_error)
{
	const char *p = strstr(line, ": error: ");

	*is_error = p && (size_t)(p - line) + 1 == strcspn(line, " ");
	return *is_error ? p + 9 : line;
}

/*
 * The message of a failed start: the error lines the hypervisor (or
 * device model) wrote to the log since offset, joined with "; "; else
 * its last line; else how it ended.
 */
static void failure_message(int log_fd, off_t offset, int status, char *msg,
			    size_t len)
{
	char *buf = xzalloc(LOG_TAIL_MAX + 1), *line, *save, *last = NULL;
	size_t used = 0;
	ssize_t n;

	msg[0] = '\0';
	n = pread(log_fd, buf, LOG_TAIL_MAX, offset);
	if (n > 0)
		buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		bool is_error;
		const char *text = strip_error_prefix(line, &is_error);

		if (!*text)
			continue;
		last = line;
		if (!is_error || used >= len - 1)
			continue;
		used += (size_t)snprintf(msg + used, len - used, "%s%s",
					 used ? "; " : "", text);
	}
	if (!msg[0] && last)
		snprintf(msg, len, "%s", last);
	else if (!msg[0] && WIFEXITED(status))
		snprintf(msg, len, "%s exited with status %d before the guest "
			 "ran", HYPERVISOR_NAME, WEXITSTATUS(status));
	else if (!msg[0] && WIFSIGNALED(status))
		snprintf(msg, len, "%s was killed by signal %d (%s)",
			 HYPERVISOR_NAME, WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	free(buf);
}

/* Opens and locks NAME.log; -1 after an error line. */
static int lock_log(const struct domain_ref *ref)
{
	struct ctl_reply r;
	int fd;

	fd = open(ref->log, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC |
		  O_NOCTTY, 0600);
	if (fd < 0) {
		log_error("%s: %s", ref->log, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			log_error("domain '%s' already exists", ref->name);
		else
			log_error("%s: lock: %s", ref->log, strerror(errno));
		close(fd);
		return -1;
	}
	/* A hypervisor started by hand with --control-socket has no lock. */
	if (ctl_call(ref->sock, "info", &r) == 0) {
		log_error("domain '%s' already exists", ref->name);
		close(fd);
		return -1;
	}
	if (unlink(ref->sock) < 0 && errno != ENOENT) {
		log_error("cannot remove stale %s: %s", ref->sock,
			  strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void log_start_marker(int fd, const char *name)
{
	char when[64] = "";
	time_t now = time(NULL);
	struct tm tm;

	if (localtime_r(&now, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	dprintf(fd, "hvmkit: creating domain %s at %s\n", name, when);
}

static int start_domain(const struct create_opts *o,
			const struct domain_config *dc, const char *hv,
			const struct domain_ref *ref)
{
	struct launch_params lp = {
		.hypervisor = hv,
		.control_socket = ref->sock,
		.ready_fd = READY_FD,
		.paused = o->paused,
	};
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigset_t block, waitmask;
	char msg[MESSAGE_MAX];
	int log_fd, pipefd[2], rc, status;
	char **argv;
	off_t offset;
	pid_t pid;

	log_fd = lock_log(ref);
	if (log_fd < 0)
		return EXIT_ERROR;
	log_start_marker(log_fd, dc->name);
	offset = lseek(log_fd, 0, SEEK_END);
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		log_error("pipe: %s", strerror(errno));
		close(log_fd);
		return EXIT_ERROR;
	}
	argv = domain_config_argv(dc, &lp);

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGHUP);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		argv_free(argv);
		close(log_fd);
		return EXIT_ERROR;
	}
	if (pid == 0)
		exec_hypervisor(argv, log_fd, pipefd[1]);
	argv_free(argv);
	close(pipefd[1]);
	rc = wait_ready(pipefd[0], &waitmask);
	close(pipefd[0]);
	if (rc == 0) {
		/* The lock stays with the daemon's copies of the log. */
		close(log_fd);
		sigprocmask(SIG_UNBLOCK, &block, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		printf("Domain %s created (pid %d).\n", dc->name, (int)pid);
		fflush(stdout);
		return o->console ? console_attach(ref) : EXIT_OK;
	}

	status = reap_child(pid, rc == -EINTR);
	failure_message(log_fd, offset, status, msg, sizeof(msg));
	close(log_fd);
	ensure_nothing_left(ref, pid);
	if (rc == -EINTR)
		log_error("interrupted: domain '%s' was not created",
			  dc->name);
	else
		log_error("domain '%s' did not start: %s", dc->name, msg);
	return EXIT_ERROR;
}

static const struct option create_long_opts[] = {
	{ "console", no_argument, NULL, 'c' },
	{ "paused", no_argument, NULL, 'p' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int parse_create_args(int argc, char **argv, struct create_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->overrides = xzalloc((size_t)argc * sizeof(*o->overrides));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":cpn", create_long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			o->console = true;
			break;
		case 'p':
			o->paused = true;
			break;
		case 'n':
			o->dry_run = true;
			break;
		default:
			return usage_error("create", "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++) {
		if (strchr(argv[i], '=')) {
			o->overrides[o->n_overrides++] = argv[i];
		} else if (!o->file) {
			o->file = argv[i];
		} else {
			return usage_error("create", "unexpected argument "
					   "'%s' (overrides are KEY=VALUE)",
					   argv[i]);
		}
	}
	if (!o->file)
		return usage_error("create", "no configuration file given");
	if (o->dry_run && o->console)
		return usage_error("create", "-n and -c do not go together");
	return EXIT_OK;
}

int cmd_create(int argc, char **argv)
{
	struct domain_config dc;
	struct create_opts o;
	struct domain_ref ref;
	char *hv = NULL;
	int rc;

	rc = parse_create_args(argc, argv, &o);
	if (rc != EXIT_OK)
		goto out_opts;
	rc = EXIT_ERROR;
	if (load_config(&o, &dc) < 0)
		goto out_opts;
	hv = find_hypervisor();
	if (!hv)
		goto out_config;
	if (domain_ref_init(&ref, dc.name, !o.dry_run) < 0)
		goto out_config;
	if (o.dry_run) {
		struct launch_params lp = {
			.hypervisor = hv,
			.control_socket = ref.sock,
			.ready_fd = READY_FD,
			.paused = o.paused,
		};
		char **hv_argv = domain_config_argv(&dc, &lp);

		print_command_line(hv_argv);
		argv_free(hv_argv);
		rc = EXIT_OK;
	} else {
		rc = start_domain(&o, &dc, hv, &ref);
	}
	domain_ref_free(&ref);
out_config:
	free(hv);
	domain_config_free(&dc);
out_opts:
	free(o.overrides);
	return rc;
}
