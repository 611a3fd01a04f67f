/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvmkit console: connects the terminal to a domain's serial console,
 * which the hypervisor's "info" names as "pty PATH" (the device model's
 * pseudo-terminal) or "socket PATH" (a unix socket).  On a terminal the
 * line discipline is put in raw mode so every key reaches the guest, and
 * restored on exit; Ctrl-] (0x1d) detaches, as with xl console.  Standard
 * input may also be a pipe or file (tests): at its end, output is still
 * copied until the console goes away.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "hvmkit/log.h"

#define ESCAPE_CHAR 0x1d   /* Ctrl-] */
#define IO_CHUNK 4096

static struct termios saved_tio;
static bool tio_saved;
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void restore_terminal(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
	tio_saved = false;
}

static int make_raw(int fd, struct termios *saved)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) < 0)
		return -1;
	if (saved)
		*saved = tio;
	cfmakeraw(&tio);
	return tcsetattr(fd, TCSADRAIN, &tio);
}

static int open_socket_console(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Opens what "console=KIND PATH" names; -1 after an error line. */
static int open_console(const struct domain_ref *ref, const char *console)
{
	const char *path = strchr(console, ' ');
	int fd;

	if (!path || !path[1]) {
		log_error("domain '%s': cannot use console '%s'", ref->name,
			  console);
		return -1;
	}
	path++;
	if (!strncmp(console, "pty ", 4)) {
		fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		/* The guest's bytes pass unchanged: no echo, no CR/LF
		 * translation on our side of the pseudo-terminal. */
		if (fd >= 0)
			make_raw(fd, NULL);
	} else if (!strncmp(console, "socket ", 7)) {
		fd = open_socket_console(path);
	} else {
		log_error("domain '%s': unknown console type '%s'", ref->name,
			  console);
		return -1;
	}
	if (fd < 0)
		log_error("domain '%s': console %s: %s", ref->name, path,
			  strerror(errno));
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies until detach, end of the console or a signal. */
static int relay(int con)
{
	struct pollfd pfd[2] = {
		{ .fd = con, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	char buf[IO_CHUNK];

	while (!stop_signal) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd[0].revents) {
			n = read(con, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			/* EIO on a pty: the device model closed its side. */
			if (n <= 0)
				return 0;
			if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
				return 0;
		}
		if (pfd[1].revents) {
			char *esc;

			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				pfd[1].fd = -1;   /* input ended: output only */
				continue;
			}
			esc = memchr(buf, ESCAPE_CHAR, (size_t)n);
			if (esc)
				n = esc - buf;
			if (n && write_all(con, buf, (size_t)n) < 0)
				return 0;
			if (esc)
				return 0;
		}
	}
	return 0;
}

int console_attach(const struct domain_ref *ref)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct ctl_reply r;
	char console[CTL_REPLY_MAX];
	bool tty = isatty(STDIN_FILENO);
	int con, rc;

	if (domain_call(ref, "info", &r) < 0)
		return EXIT_ERROR;
	if (!ctl_get(&r, "console", console, sizeof(console))) {
		log_error("domain '%s' has no console (serial = \"pty\" gives "
			  "it one)", ref->name);
		return EXIT_ERROR;
	}
	con = open_console(ref, console);
	if (con < 0)
		return EXIT_ERROR;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (tty) {
		if (make_raw(STDIN_FILENO, &saved_tio) == 0) {
			tio_saved = true;
			atexit(restore_terminal);
		}
		fprintf(stderr, "Connected to domain %s; Ctrl-] detaches."
			"\r\n", ref->name);
	}
	rc = relay(con);
	restore_terminal();
	close(con);
	if (tty)
		fprintf(stderr, "\n");
	if (rc < 0) {
		log_error("domain '%s': console: %s", ref->name,
			  strerror(errno));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

int cmd_console(int argc, char **argv)
{
	struct domain_ref ref;
	int rc;

	if (argc > 1 && argv[1][0] == '-' && strcmp(argv[1], "--"))
		return usage_error("console", "unknown option '%s'", argv[1]);
	if (argc > 1 && !strcmp(argv[1], "--")) {
		argv++;
		argc--;
	}
	if (argc < 2)
		return usage_error("console", "no domain given");
	if (argc > 2)
		return usage_error("console", "unexpected argument '%s'",
				   argv[2]);
	if (domain_ref_init(&ref, argv[1], false) < 0)
		return EXIT_ERROR;
	rc = console_attach(&ref);
	domain_ref_free(&ref);
	return rc;
}
