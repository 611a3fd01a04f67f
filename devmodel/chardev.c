/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character backends for console devices (API and semantics in chardev.h):
 * none, stdio, pty, file:PATH and unix:PATH, driven by the device model's
 * event loop.  Every fd is non-blocking; flow control is done by watching
 * fds only while there is something to do: DM_FD_READ while the frontend
 * has room, DM_FD_WRITE while output is held back.
 *
 * Choices worth knowing:
 * - pty: the device model keeps a slave fd open, so that the master never
 *   reads EIO (or polls as hung up, which would spin the event loop) while
 *   nobody is attached, and the slave's raw mode survives attach/detach.
 *   The price is that the master cannot tell whether anyone is attached;
 *   an inotify watch on the /dev/pts node counts the other openers
 *   instead (IN_OPEN / IN_CLOSE).  While nobody is attached, output still
 *   goes into the pty's kernel buffer (about 64 KiB), so that whoever
 *   attaches first sees the console from its beginning (a guest's banner
 *   is not lost to the race between start-up and attaching); once that is
 *   full, unattended output is discarded instead of stalling the guest.
 *   With a reader attached, a full pty holds output back (lossless).
 *   Without inotify, a full pty always discards.
 * - stdio: a terminal or pipe on fd 0/1 is reopened through /proc/self/fd
 *   to get a private, non-blocking open file description, leaving the
 *   hypervisor's (shared) fds and the user's shell untouched.  Without
 *   /proc the shared description is made non-blocking and restored on
 *   close.  Sockets are used with MSG_DONTWAIT; regular files and other
 *   devices as they are.  The raw terminal mode keeps ISIG (so Ctrl-C
 *   still stops hvmkit, as QEMU's -serial stdio does) and OPOST.
 * - unix: the socket file is mode 0600 (the console is a login prompt);
 *   one client at a time, further clients wait in the listen backlog.  A
 *   client is dropped when it closes (EOF) or a write to it fails.  Output
 *   while no client is connected is kept, up to CHR_BACKLOG_SIZE, and
 *   sent to the next client first (as the pty's buffer does, and Xen's
 *   xenconsoled); beyond that it is discarded.
 */
#define _GNU_SOURCE
#include "chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "device.h"
#include "hvmkit/log.h"

#define CHR_READ_MAX     1024
#define CHR_MAX_WATCHES  4
#define CHR_ACCEPT_RETRY_NS 1000000000ull
#define CHR_BACKLOG_SIZE (64 * 1024)

enum chr_kind {
	CHR_NONE,
	CHR_STDIO,
	CHR_PTY,
	CHR_FILE,
	CHR_UNIX,
};

struct chr_watch {
	int fd;
	unsigned int events;
};

struct chardev {
	struct dm *dm;
	enum chr_kind kind;
	char *spec;
	char *owner;

	const struct chardev_frontend *fe;
	void *fe_opaque;

	int in_fd;            /* -1: no input (now) */
	int out_fd;           /* -1: no peer (now): see chardev_write() */
	bool in_sock;         /* recv/send with MSG_DONTWAIT */
	bool out_sock;
	bool in_eof;          /* input ended or failed */
	bool out_gone;        /* output failed for good: discard */
	bool out_blocked;     /* held back, waiting for DM_FD_WRITE */
	bool discard_if_full; /* would block: discard instead of holding */
	bool notify_write;    /* call write_ready() after the event */

	struct chr_watch watch[CHR_MAX_WATCHES];
	unsigned int nr_watches;

	/* stdio: fds we opened (or -1), and fd flags to put back */
	int stdio_own[2];
	int stdio_flags[2];   /* -1: untouched */

	/* pty */
	int pty_slave;
	int pty_inotify;
	int pty_peers;        /* other openers of the slave; -1: unknown */
	char pty_name[64];

	/* unix */
	int listen_fd;
	char *path;
	bool bound;           /* path is our socket: unlink on close */
	struct dm_timer *accept_timer;
	bool accept_paused;
	uint8_t *backlog;     /* output kept for the next client */
	size_t backlog_len;
};

/* The terminal on fd 0 while stdio has it in raw mode. */
static bool stdio_in_use;
static bool stdio_raw;
static bool stdio_atexit_done;
static struct termios stdio_saved_termios;

static void chr_fd_event(void *opaque, int fd, unsigned int events);

/* ------------------------------------------------------------- helpers */

static void chr_error(const char *owner, const char *spec, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static void chr_error(const char *owner, const char *spec, const char *fmt,
		      ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_error("%s: backend \"%s\": %s", owner, spec, why);
}

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

/* A write to a pipe whose reader left raises SIGPIPE, which would end
 * the device model; the write's EPIPE is handled instead.  Sockets use
 * MSG_NOSIGNAL and need none of this. */
static void chr_ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, NULL);
	}
}

/* --------------------------------------------------------- fd watches */

/* Sets the events watched on fd (0: none).  0, or -1 if the event loop
 * refused the fd. */
static int chr_watch_fd(struct chardev *c, int fd, unsigned int events)
{
	unsigned int i;

	for (i = 0; i < c->nr_watches; i++)
		if (c->watch[i].fd == fd)
			break;
	if (i == c->nr_watches) {
		if (!events)
			return 0;
		if (i == CHR_MAX_WATCHES)
			return -1;
		c->watch[i].fd = fd;
		c->watch[i].events = 0;
		c->nr_watches++;
	}
	if (c->watch[i].events == events)
		return 0;
	if (!events) {
		dm_fd_unwatch(c->dm, fd);
		c->watch[i] = c->watch[--c->nr_watches];
		return 0;
	}
	if (dm_fd_watch(c->dm, fd, events, chr_fd_event, c) < 0) {
		if (c->watch[i].events)
			dm_fd_unwatch(c->dm, fd);
		c->watch[i] = c->watch[--c->nr_watches];
		return -1;
	}
	c->watch[i].events = events;
	return 0;
}

static bool chr_wants_input(struct chardev *c)
{
	return c->in_fd >= 0 && !c->in_eof && c->fe &&
	       c->fe->can_receive(c->fe_opaque) > 0;
}

/* Brings the event-loop watches in line with the state. */
static void chr_update_watches(struct chardev *c)
{
	unsigned int in = chr_wants_input(c) ? DM_FD_READ : 0;
	unsigned int out = c->out_fd >= 0 && c->out_blocked ? DM_FD_WRITE : 0;

	if (c->in_fd >= 0 && c->in_fd == c->out_fd) {
		if (chr_watch_fd(c, c->in_fd, in | out) < 0) {
			log_warn("%s: cannot watch the backend; console "
				 "disconnected", c->owner);
			c->in_eof = true;
			c->out_gone = true;
			c->out_blocked = false;
			c->notify_write = true;
		}
	} else {
		if (c->in_fd >= 0 && chr_watch_fd(c, c->in_fd, in) < 0) {
			log_warn("%s: cannot watch the input fd; no console "
				 "input", c->owner);
			c->in_eof = true;
		}
		if (c->out_fd >= 0 && chr_watch_fd(c, c->out_fd, out) < 0) {
			log_warn("%s: cannot watch the output fd; console "
				 "output discarded", c->owner);
			c->out_gone = true;
			c->out_blocked = false;
			c->notify_write = true;
		}
	}
	if (c->listen_fd >= 0)
		chr_watch_fd(c, c->listen_fd,
			     c->in_fd < 0 && !c->accept_paused ?
			     DM_FD_READ : 0);
	if (c->pty_inotify >= 0 && chr_watch_fd(c, c->pty_inotify,
						DM_FD_READ) < 0) {
		close(c->pty_inotify);
		c->pty_inotify = -1;
		c->pty_peers = -1;
		c->discard_if_full = true;
	}
}

/* ------------------------------------------------------------------ pty */

/* Reads the inotify events for the slave node: who opened and closed it
 * since the last call. */
static void chr_pty_count_peers(struct chardev *c)
{
	char buf[4096]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	if (c->pty_inotify < 0)
		return;
	while ((n = read(c->pty_inotify, buf, sizeof(buf))) > 0) {
		const struct inotify_event *ev;
		size_t off = 0;

		while (off + sizeof(*ev) <= (size_t)n) {
			ev = (const struct inotify_event *)(buf + off);
			if (ev->mask & IN_Q_OVERFLOW) {
				/* Lost count: assume one peer until the next
				 * close. */
				c->pty_peers = 1;
			} else if (ev->mask & IN_OPEN) {
				c->pty_peers++;
			} else if (ev->mask & IN_CLOSE) {
				if (c->pty_peers > 0)
					c->pty_peers--;
			}
			off += sizeof(*ev) + ev->len;
		}
	}
	if (c->pty_peers == 0 && c->out_blocked) {
		/* The reader left: what was held back is discarded. */
		c->out_blocked = false;
		c->notify_write = true;
		chr_update_watches(c);
	}
}

static int chr_pty_open(struct chardev *c)
{
	struct termios t;
	char where[96];
	int m;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (m < 0) {
		chr_error(c->owner, c->spec, "cannot open a pty: %s",
			  strerror(errno));
		return -1;
	}
	c->in_fd = c->out_fd = m;
	if (set_nonblock_cloexec(m) < 0 || grantpt(m) < 0 ||
	    unlockpt(m) < 0 ||
	    ptsname_r(m, c->pty_name, sizeof(c->pty_name)) != 0) {
		chr_error(c->owner, c->spec, "cannot set up the pty: %s",
			  strerror(errno));
		return -1;
	}
	c->pty_slave = open(c->pty_name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->pty_slave < 0) {
		chr_error(c->owner, c->spec, "cannot open %s: %s",
			  c->pty_name, strerror(errno));
		return -1;
	}
	if (tcgetattr(c->pty_slave, &t) < 0) {
		chr_error(c->owner, c->spec, "cannot get the mode of %s: %s",
			  c->pty_name, strerror(errno));
		return -1;
	}
	cfmakeraw(&t);
	if (tcsetattr(c->pty_slave, TCSANOW, &t) < 0) {
		chr_error(c->owner, c->spec, "cannot set raw mode on %s: %s",
			  c->pty_name, strerror(errno));
		return -1;
	}
	/* Our own open of the slave came before the watch: not counted. */
	c->pty_peers = 0;
	c->pty_inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (c->pty_inotify < 0 ||
	    inotify_add_watch(c->pty_inotify, c->pty_name,
			      IN_OPEN | IN_CLOSE) < 0) {
		log_debug("%s: cannot watch %s for openers (%s); output is "
			  "discarded only when the pty is full", c->owner,
			  c->pty_name, strerror(errno));
		if (c->pty_inotify >= 0)
			close(c->pty_inotify);
		c->pty_inotify = -1;
		c->pty_peers = -1;
		c->discard_if_full = true;
	}
	snprintf(where, sizeof(where), "pty %s", c->pty_name);
	dm_report_console(c->dm, where);
	log_info("%s: console on %s", c->owner, where);
	return 0;
}

/* ---------------------------------------------------------------- stdio */

static void chr_stdio_restore_tty(void)
{
	if (stdio_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &stdio_saved_termios);
		stdio_raw = false;
	}
}

/* Puts the terminal on fd 0 in raw mode (see the top of the file).
 * False if input should not be read (a background process group would
 * be stopped by SIGTTIN). */
static bool chr_stdio_raw_tty(struct chardev *c)
{
	struct termios raw;
	pid_t fg;

	if (!isatty(STDIN_FILENO))
		return true;
	fg = tcgetpgrp(STDIN_FILENO);
	if (fg >= 0 && fg != getpgrp()) {
		log_warn("%s: stdin is a terminal this process does not have "
			 "in the foreground; no console input", c->owner);
		return false;
	}
	if (tcgetattr(STDIN_FILENO, &stdio_saved_termios) < 0)
		return true;
	raw = stdio_saved_termios;
	raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
				  IGNCR | ICRNL | IXON);
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN);
	raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	raw.c_cflag |= CS8;
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (!stdio_atexit_done) {
		atexit(chr_stdio_restore_tty);
		stdio_atexit_done = true;
	}
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
		stdio_raw = true;
	return true;
}

/* The fd to use for std fd i (0 or 1); -1 if it is not open. */
static int chr_stdio_fd(struct chardev *c, int i, bool *is_sock)
{
	char proc[32];
	struct stat st;
	int fd, fl;

	*is_sock = false;
	if (fstat(i, &st) < 0)
		return -1;
	if (S_ISSOCK(st.st_mode)) {
		*is_sock = true;
		return i;
	}
	if (!S_ISFIFO(st.st_mode) && !isatty(i)) {
		/* Files and devices such as /dev/null: writing them does not
		 * block for long, and epoll cannot watch them for input. */
		if (i == STDIN_FILENO) {
			log_debug("%s: stdin is not a terminal, pipe or "
				  "socket; no console input", c->owner);
			return -1;
		}
		return i;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", i);
	fd = open(proc, (i ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_NOCTTY |
		  O_CLOEXEC);
	if (fd >= 0) {
		c->stdio_own[i] = fd;
		return fd;
	}
	fl = fcntl(i, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK) &&
	    fcntl(i, F_SETFL, fl | O_NONBLOCK) == 0)
		c->stdio_flags[i] = fl;
	return i;
}

static int chr_stdio_open(struct chardev *c)
{
	if (stdio_in_use) {
		chr_error(c->owner, c->spec,
			  "stdio is already used by another device");
		return -1;
	}
	c->out_fd = chr_stdio_fd(c, STDOUT_FILENO, &c->out_sock);
	if (c->out_fd < 0) {
		chr_error(c->owner, c->spec, "stdout is not open: %s",
			  strerror(errno));
		return -1;
	}
	stdio_in_use = true;
	chr_ignore_sigpipe();
	if (chr_stdio_raw_tty(c))
		c->in_fd = chr_stdio_fd(c, STDIN_FILENO, &c->in_sock);
	return 0;
}

static void chr_stdio_close(struct chardev *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->stdio_own[i] >= 0)
			close(c->stdio_own[i]);
		if (c->stdio_flags[i] >= 0)
			fcntl(i, F_SETFL, c->stdio_flags[i]);
	}
	chr_stdio_restore_tty();
	stdio_in_use = false;
}

/* ----------------------------------------------------------------- file */

static int chr_file_open(struct chardev *c, const char *path)
{
	/* O_NONBLOCK: a FIFO without a reader is an error, not a hang. */
	c->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY |
			 O_NONBLOCK | O_CLOEXEC, 0644);
	if (c->out_fd < 0) {
		chr_error(c->owner, c->spec, "cannot open %s: %s", path,
			  strerror(errno));
		return -1;
	}
	chr_ignore_sigpipe();
	return 0;
}

/* ----------------------------------------------------------------- unix */

static void chr_unix_disconnect(struct chardev *c);

/* Keeps what fits of output that has no client to go to. */
static size_t chr_keep_backlog(struct chardev *c, const uint8_t *buf,
			       size_t len)
{
	size_t n;

	if (c->backlog) {
		n = CHR_BACKLOG_SIZE - c->backlog_len;
		if (n > len)
			n = len;
		memcpy(c->backlog + c->backlog_len, buf, n);
		c->backlog_len += n;
	}
	return len;
}

/* Sends the backlog to the client; it may block (out_blocked) or find
 * the client gone. */
static void chr_flush_backlog(struct chardev *c)
{
	while (c->backlog_len && c->out_fd >= 0 && !c->out_blocked) {
		ssize_t n = send(c->out_fd, c->backlog, c->backlog_len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			c->backlog_len -= (size_t)n;
			memmove(c->backlog, c->backlog + n, c->backlog_len);
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->out_blocked = true;
			chr_update_watches(c);
		} else if (n == 0 || errno != EINTR) {
			chr_unix_disconnect(c);
		}
	}
}

static void chr_unix_accept(struct chardev *c)
{
	int fd;

	if (c->in_fd >= 0 || c->listen_fd < 0 || c->accept_paused)
		return;
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			return;
		/* Out of fds or memory: the listening socket stays readable,
		 * so retry later instead of spinning (log rate-limited). */
		log_guest("%s: cannot accept a client on %s: %s", c->owner,
			  c->path, strerror(errno));
		c->accept_paused = true;
		chr_update_watches(c);
		dm_timer_mod(c->accept_timer,
			     dm_clock_ns(c->dm) + CHR_ACCEPT_RETRY_NS);
		return;
	}
	c->in_fd = c->out_fd = fd;
	c->in_sock = c->out_sock = true;
	c->in_eof = c->out_gone = false;
	/* Kept output goes first, from the loop once the socket is
	 * writable; new output waits behind it. */
	c->out_blocked = c->backlog_len > 0;
	log_info("%s: client connected to %s", c->owner, c->path);
	chr_update_watches(c);
}

static void chr_unix_accept_retry(void *opaque)
{
	struct chardev *c = opaque;

	c->accept_paused = false;
	chr_update_watches(c);
	chr_unix_accept(c);
}

/* Drops the client (it closed, or writing to it failed); output goes to
 * the backlog until the next one connects. */
static void chr_unix_disconnect(struct chardev *c)
{
	int fd = c->in_fd;

	if (fd < 0)
		return;
	chr_watch_fd(c, fd, 0);
	close(fd);
	c->in_fd = c->out_fd = -1;
	c->out_blocked = false;
	c->notify_write = true;
	log_info("%s: client disconnected from %s", c->owner, c->path);
	chr_update_watches(c);
}

/* Is there a live socket at path?  1 yes, 0 stale (refused), -1 error. */
static int chr_unix_probe(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
		ret = 1;
	else if (errno == ECONNREFUSED)
		ret = 0;
	else
		ret = -1;
	close(fd);
	return ret;
}

static int chr_unix_open(struct chardev *c, const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	char where[sizeof(addr.sun_path) + 16];

	if (strlen(path) >= sizeof(addr.sun_path)) {
		chr_error(c->owner, c->spec,
			  "socket path longer than %zu bytes",
			  sizeof(addr.sun_path) - 1);
		return -1;
	}
	strcpy(addr.sun_path, path);
	c->path = strdup(path);
	if (!c->path) {
		chr_error(c->owner, c->spec, "out of memory");
		return -1;
	}
	if (lstat(path, &st) == 0) {
		int live;

		if (!S_ISSOCK(st.st_mode)) {
			chr_error(c->owner, c->spec,
				  "%s exists and is not a socket", path);
			return -1;
		}
		live = chr_unix_probe(&addr);
		if (live > 0) {
			chr_error(c->owner, c->spec,
				  "%s is in use by another process", path);
			return -1;
		}
		if (live < 0 || unlink(path) < 0) {
			chr_error(c->owner, c->spec,
				  "cannot replace the socket %s: %s", path,
				  strerror(errno));
			return -1;
		}
		log_info("%s: replacing the stale socket %s", c->owner, path);
	} else if (errno != ENOENT) {
		chr_error(c->owner, c->spec, "cannot check %s: %s", path,
			  strerror(errno));
		return -1;
	}

	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			      SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 ||
	    bind(c->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		chr_error(c->owner, c->spec, "cannot create the socket %s: %s",
			  path, strerror(errno));
		return -1;
	}
	c->bound = true;
	/* Not yet listening: nobody can connect before the mode is set. */
	if (chmod(path, 0600) < 0 || listen(c->listen_fd, 1) < 0) {
		chr_error(c->owner, c->spec, "cannot set up the socket %s: %s",
			  path, strerror(errno));
		return -1;
	}
	c->accept_timer = dm_timer_new(c->dm, chr_unix_accept_retry, c);
	c->backlog = malloc(CHR_BACKLOG_SIZE);
	if (!c->accept_timer || !c->backlog) {
		chr_error(c->owner, c->spec, "out of memory");
		return -1;
	}
	snprintf(where, sizeof(where), "socket %s", path);
	dm_report_console(c->dm, where);
	log_info("%s: console on %s", c->owner, where);
	return 0;
}

static void chr_unix_close(struct chardev *c)
{
	if (c->in_fd >= 0)
		close(c->in_fd);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		/* Runs sandboxed at exit: one unlink, no stat to check that
		 * the path is still ours (nothing else may take it while we
		 * listen: a second user finds it live and refuses).  The
		 * sandbox makes it fail with EPERM; the hypervisor then
		 * removes the socket of its --serial unix:PATH. */
		if (c->bound)
			unlink(c->path);
	}
	if (c->accept_timer)
		dm_timer_free(c->accept_timer);
	free(c->backlog);
	free(c->path);
}

/* ---------------------------------------------------------------- input */

/* Input stopped: EOF or an error on the input fd. */
static void chr_input_ended(struct chardev *c, int err)
{
	if (c->kind == CHR_UNIX) {
		chr_unix_disconnect(c);
		return;
	}
	if (err)
		log_warn("%s: reading the backend failed: %s; no more console "
			 "input", c->owner, strerror(err));
	else
		log_info("%s: end of console input", c->owner);
	c->in_eof = true;
	chr_update_watches(c);
}

static void chr_read_input(struct chardev *c, unsigned int events)
{
	uint8_t buf[CHR_READ_MAX];
	size_t room;
	ssize_t n;

	if (c->in_fd < 0 || c->in_eof || !c->fe)
		return;
	room = c->fe->can_receive(c->fe_opaque);
	if (!room) {
		chr_update_watches(c);
		return;
	}
	if (room > sizeof(buf))
		room = sizeof(buf);
	if (c->in_sock)
		n = recv(c->in_fd, buf, room, MSG_DONTWAIT);
	else
		n = read(c->in_fd, buf, room);
	if (n > 0) {
		c->fe->receive(c->fe_opaque, buf, (size_t)n);
		chr_update_watches(c);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR) && !(events & DM_FD_HUP))
		return;
	/* EOF, an error, or a hangup with nothing left to read. */
	chr_input_ended(c, n < 0 && errno != EAGAIN &&
			errno != EWOULDBLOCK ? errno : 0);
}

/* --------------------------------------------------------------- output */

/* Whether output has somewhere to go now (the pty's buffer counts). */
static bool chr_has_peer(struct chardev *c)
{
	switch (c->kind) {
	case CHR_NONE:
		return false;
	case CHR_PTY:
		return !c->out_gone;
	case CHR_UNIX:
		/* A client that connected since the loop last looked. */
		if (c->in_fd < 0)
			chr_unix_accept(c);
		return c->out_fd >= 0;
	case CHR_STDIO:
	case CHR_FILE:
		return c->out_fd >= 0 && !c->out_gone;
	}
	return false;
}

static void chr_output_failed(struct chardev *c, int err)
{
	if (c->kind == CHR_UNIX) {
		chr_unix_disconnect(c);
		return;
	}
	log_warn("%s: writing to the backend failed: %s; console output is "
		 "discarded from now on", c->owner, strerror(err));
	c->out_gone = true;
	c->out_blocked = false;
	chr_update_watches(c);
}

size_t chardev_write(struct chardev *c, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (!len)
		return 0;
	/* Older output first. */
	if (c->backlog_len && chr_has_peer(c))
		chr_flush_backlog(c);
	if (!chr_has_peer(c))
		return chr_keep_backlog(c, buf, len);
	if (c->out_blocked || c->backlog_len)
		return 0;
	if (c->out_sock)
		n = send(c->out_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	else
		n = write(c->out_fd, buf, len);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR) {
		chr_output_failed(c, errno);
		return chr_keep_backlog(c, buf, len);
	}
	if (n < 0)
		n = 0;
	if ((size_t)n < len) {
		/* Would block: hold the rest back only for a reader. */
		if (c->discard_if_full)
			return len;
		if (c->kind == CHR_PTY) {
			chr_pty_count_peers(c);
			if (c->pty_peers == 0)
				return len;
		}
		c->out_blocked = true;
		chr_update_watches(c);
		if (!c->out_blocked)   /* could not watch: discarded */
			return len;
	}
	return (size_t)n;
}

/* ------------------------------------------------------------ the loop */

static void chr_fd_event(void *opaque, int fd, unsigned int events)
{
	struct chardev *c = opaque;

	if (fd == c->listen_fd) {
		chr_unix_accept(c);
	} else if (fd == c->pty_inotify) {
		chr_pty_count_peers(c);
	} else {
		if (fd == c->out_fd && c->out_blocked &&
		    (events & (DM_FD_WRITE | DM_FD_HUP))) {
			c->out_blocked = false;
			c->notify_write = true;
			chr_update_watches(c);
			chr_flush_backlog(c);
		}
		if (fd == c->in_fd && (events & (DM_FD_READ | DM_FD_HUP)))
			chr_read_input(c, events);
	}
	if (c->notify_write && c->fe) {
		c->notify_write = false;
		c->fe->write_ready(c->fe_opaque);
	}
}

/* ------------------------------------------------------------------ API */

struct chardev *chardev_open(struct dm *dm, const char *spec,
			     const char *owner)
{
	struct chardev *c = calloc(1, sizeof(*c));
	int ret;

	if (!c || !(c->spec = strdup(spec)) || !(c->owner = strdup(owner))) {
		chr_error(owner, spec, "out of memory");
		if (c) {
			free(c->spec);
			free(c);
		}
		return NULL;
	}
	c->dm = dm;
	c->in_fd = c->out_fd = -1;
	c->stdio_own[0] = c->stdio_own[1] = -1;
	c->stdio_flags[0] = c->stdio_flags[1] = -1;
	c->pty_slave = c->pty_inotify = -1;
	c->listen_fd = -1;

	if (!strcmp(spec, "none")) {
		c->kind = CHR_NONE;
		ret = 0;
	} else if (!strcmp(spec, "stdio")) {
		c->kind = CHR_STDIO;
		ret = chr_stdio_open(c);
	} else if (!strcmp(spec, "pty")) {
		c->kind = CHR_PTY;
		ret = chr_pty_open(c);
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		c->kind = CHR_FILE;
		ret = chr_file_open(c, spec + 5);
	} else if (!strncmp(spec, "unix:", 5) && spec[5]) {
		c->kind = CHR_UNIX;
		ret = chr_unix_open(c, spec + 5);
	} else {
		chr_error(owner, spec, "unknown backend (expected none, "
			  "stdio, pty, file:PATH or unix:PATH)");
		c->kind = CHR_NONE;
		ret = -1;
	}
	if (ret < 0) {
		chardev_close(c);
		return NULL;
	}
	chr_update_watches(c);
	return c;
}

void chardev_set_frontend(struct chardev *c,
			  const struct chardev_frontend *fe, void *opaque)
{
	c->fe = fe;
	c->fe_opaque = opaque;
	chr_update_watches(c);
}

void chardev_input_ready(struct chardev *c)
{
	chr_update_watches(c);
}

bool chardev_connected(struct chardev *c)
{
	if (c->kind == CHR_PTY) {
		chr_pty_count_peers(c);
		return c->pty_peers != 0 && !c->out_gone;
	}
	return chr_has_peer(c);
}

void chardev_close(struct chardev *c)
{
	if (!c)
		return;
	while (c->nr_watches)
		chr_watch_fd(c, c->watch[0].fd, 0);
	switch (c->kind) {
	case CHR_NONE:
		break;
	case CHR_STDIO:
		/* stdio_in_use is only ours if the open got that far. */
		if (c->out_fd >= 0)
			chr_stdio_close(c);
		break;
	case CHR_PTY:
		if (c->pty_inotify >= 0)
			close(c->pty_inotify);
		if (c->pty_slave >= 0)
			close(c->pty_slave);
		if (c->in_fd >= 0)
			close(c->in_fd);
		break;
	case CHR_FILE:
		if (c->out_fd >= 0)
			close(c->out_fd);
		break;
	case CHR_UNIX:
		chr_unix_close(c);
		break;
	}
	free(c->spec);
	free(c->owner);
	free(c);
}
