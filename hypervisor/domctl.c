/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The domain control socket (see domctl.h): an AF_UNIX SOCK_SEQPACKET
 * socket, mode 0600, one text command per packet and one text answer per
 * packet ("ok\n" + "key=value\n" lines, or "error MESSAGE\n").
 * Clients are served on the main thread between other events, without
 * blocking: at most four are connected at once and a fifth is told
 * "busy".  Only the socket's owner (mode 0600) can connect.
 * "cd-insert VDEV PATH" opens PATH here (read-only; the sandboxed device
 * model cannot open files) and hands the descriptor to the device model.
 */
#define _GNU_SOURCE
#include "domctl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dm-link.h"
#include "hvmkit/disk-spec.h"
#include "hvmkit/dm-proto.h"
#include "hvmkit/log.h"
#include "vm.h"

#define MAX_CLIENTS (DOMCTL_MAX_POLLFDS - 1)

struct domctl {
	char *name;
	char *path;
	int listen_fd;
	int ready_fd;
	int spare_fd;           /* given up to refuse a client at EMFILE */
	int clients[MAX_CLIENTS];
	struct timespec started;
};

static struct domctl *ctl_of(struct vm *vm)
{
	return vm->domctl;
}

int domctl_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > 64 || name[0] == '.')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._-") == n;
}

/* Binds path; replaces a stale socket.  -1 after one error line. */
static int domctl_bind(struct domctl *c, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, ret;

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		log_error("--control-socket %s: path too long", c->path);
		return -1;
	}
	strcpy(sa.sun_path, c->path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_error("socket: %s", strerror(errno));
		return -1;
	}
	old = umask(077);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret < 0 && errno == EADDRINUSE) {
		int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa,
					  sizeof(sa)) == 0) {
			close(probe);
			umask(old);
			close(fd);
			log_error("a domain named '%s' is already running "
				  "(%s answers)", name ? name : "?", c->path);
			return -1;
		}
		if (probe >= 0)
			close(probe);
		/* Only a stale socket is replaced, never another file. */
		if (lstat(c->path, &st) == 0 && S_ISSOCK(st.st_mode)) {
			unlink(c->path);
			ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		}
	}
	umask(old);
	if (ret < 0 || listen(fd, MAX_CLIENTS) < 0) {
		log_error("--control-socket %s: %s", c->path, strerror(errno));
		close(fd);
		return -1;
	}
	c->listen_fd = fd;
	return 0;
}

int domctl_open(struct vm *vm, const struct domctl_config *cfg)
{
	struct domctl *c = calloc(1, sizeof(*c));

	if (!c) {
		log_error("out of memory");
		return -1;
	}
	c->listen_fd = -1;
	c->ready_fd = cfg->ready_fd;
	c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		c->clients[i] = -1;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	c->name = cfg->name ? strdup(cfg->name) : NULL;
	vm->domctl = c;
	if (cfg->socket_path) {
		c->path = strdup(cfg->socket_path);
		if (!c->path || domctl_bind(c, cfg->name) < 0) {
			free(c->path);
			c->path = NULL; /* not ours to remove */
			domctl_close(vm);
			return -1;
		}
	}
	return 0;
}

void domctl_ready(struct vm *vm)
{
	struct domctl *c = ctl_of(vm);

	if (!c || c->ready_fd < 0)
		return;
	if (write(c->ready_fd, "ready\n", 6) != 6)
		log_warn("cannot report readiness: %s", strerror(errno));
	close(c->ready_fd);
	c->ready_fd = -1;
}

unsigned int domctl_pollfds(struct vm *vm, struct pollfd *pfd)
{
	struct domctl *c = ctl_of(vm);

	for (unsigned int i = 0; i < DOMCTL_MAX_POLLFDS; i++)
		pfd[i] = (struct pollfd){ .fd = -1 };
	if (!c)
		return DOMCTL_MAX_POLLFDS;
	pfd[0] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		pfd[i + 1] = (struct pollfd){ .fd = c->clients[i],
					      .events = POLLIN };
	return DOMCTL_MAX_POLLFDS;
}

/* ------------------------------------------------------------ commands */

struct reply {
	char buf[1024];
	size_t len;
};

static void reply_add(struct reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply_add(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->len >= sizeof(r->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->buf + r->len, sizeof(r->buf) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n;
	if (r->len > sizeof(r->buf) - 1)
		r->len = sizeof(r->buf) - 1;
}

static const char *vm_state_name(struct vm *vm)
{
	if (vm_stopping(vm))
		return "shutting-down";
	if (atomic_load(&vm->crashed))
		return "crashed";
	if (atomic_load(&vm->paused))
		return "paused";
	return "running";
}

static void cmd_info(struct vm *vm, struct reply *r)
{
	struct domctl *c = ctl_of(vm);
	struct timespec now;
	double up;

	clock_gettime(CLOCK_MONOTONIC, &now);
	up = (double)(now.tv_sec - c->started.tv_sec) +
	     (double)(now.tv_nsec - c->started.tv_nsec) / 1e9;
	reply_add(r, "ok\n");
	reply_add(r, "name=%s\n", c->name ? c->name : "");
	reply_add(r, "pid=%d\n", (int)getpid());
	reply_add(r, "dm_pid=%d\n", vm->dm ? (int)vm->dm->pid : 0);
	reply_add(r, "state=%s\n", vm_state_name(vm));
	reply_add(r, "memory_mib=%llu\n",
		  (unsigned long long)(vm->cfg.ram_size >> 20));
	reply_add(r, "vcpus=%u\n", vm->cfg.nr_vcpus);
	reply_add(r, "uptime_s=%.1f\n", up);
	if (vm->dm && vm->dm->console[0])
		reply_add(r, "console=%s\n", vm->dm->console);
}

/* Opens a CD image for the device model: read-only, never blocking (a
 * FIFO would hang the main thread), a regular file or block device. */
static int open_medium(const char *path, struct reply *r)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		reply_add(r, "error %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		reply_add(r, "error %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		reply_add(r, "error %s: %s\n", path, S_ISDIR(st.st_mode) ?
			  strerror(EISDIR) :
			  "not a regular file or block device");
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

/* A vdev as the control protocol carries it: 1-15 of [a-z0-9] (what
 * hvmkit cd-insert checks too; the device model refuses anything
 * unprintable as a protocol violation). */
static bool vdev_valid(const char *v, size_t n)
{
	if (!n || n >= DM_VDEV_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		      (v[i] >= '0' && v[i] <= '9')))
			return false;
	return true;
}

/* VDEV "-": the domain's one CD drive (hvmkit cd-insert DOM FILE).  Its
 * name into vdev; false with an error reply if there is none or several. */
static bool only_cd_drive(struct vm *vm, char *vdev, struct reply *r)
{
	const struct dm_config *cfg = &vm->dm->cfg;
	unsigned int found = 0;
	char names[64] = "", err[160];

	for (unsigned int i = 0; i < cfg->nr_drives; i++) {
		struct disk_spec d;

		if (disk_spec_parse(cfg->drives[i], &d, err, sizeof(err)) < 0)
			continue; /* checked at start-up */
		if (d.cdrom) {
			if (!found++)
				snprintf(vdev, DM_VDEV_MAX, "%s", d.vdev);
			snprintf(names + strlen(names),
				 sizeof(names) - strlen(names), "%s%s",
				 found > 1 ? ", " : "", d.vdev);
		}
		disk_spec_free(&d);
	}
	if (found == 1)
		return true;
	if (!found)
		reply_add(r, "error the domain has no CD drive\n");
	else
		reply_add(r, "error the domain has %u CD drives (%s): name "
			  "one\n", found, names);
	return false;
}

/* "cd-insert VDEV PATH" (PATH: the rest of the line) or "cd-eject
 * VDEV"; arg is what follows the command word ("" or " ...").  VDEV "-"
 * is the domain's only CD drive. */
static void cmd_media(struct vm *vm, bool insert, const char *arg,
		      struct reply *r)
{
	size_t vlen;
	char vdev[DM_VDEV_MAX], why[DM_TEXT_MAX + 64];
	const char *path;
	int fd = -1;

	if (*arg == ' ')
		arg++;
	vlen = strcspn(arg, " ");
	path = arg[vlen] ? arg + vlen + 1 : "";
	if (!vlen || (insert && !*path) || (!insert && arg[vlen])) {
		reply_add(r, "error usage: %s\n", insert ?
			  "cd-insert VDEV PATH" : "cd-eject VDEV");
		return;
	}
	if (vlen == 1 && arg[0] == '-') {
		if (!vm->dm) {
			reply_add(r, "error the domain has no CD drive\n");
			return;
		}
		if (!only_cd_drive(vm, vdev, r))
			return;
	} else if (!vdev_valid(arg, vlen)) {
		/* Shown to the user: unprintable bytes as '?'. */
		char shown[DM_VDEV_MAX + 4];
		size_t n = vlen < DM_VDEV_MAX ? vlen : DM_VDEV_MAX;

		for (size_t i = 0; i < n; i++)
			shown[i] = (unsigned char)arg[i] < 0x20 ||
				   (unsigned char)arg[i] >= 0x7f ? '?' : arg[i];
		strcpy(shown + n, vlen > n ? "..." : "");
		reply_add(r, "error no drive %s\n", shown);
		return;
	} else {
		memcpy(vdev, arg, vlen);
		vdev[vlen] = '\0';
	}
	if (insert) {
		fd = open_medium(path, r);
		if (fd < 0)
			return;
	}
	if (dm_link_media(vm, vdev, fd, path, why, sizeof(why)) < 0)
		reply_add(r, "error %s\n", why);
	else
		reply_add(r, "ok\n");
	if (fd >= 0)
		close(fd);
}

static void cmd_run(struct vm *vm, const char *cmd, struct reply *r)
{
	size_t word = strcspn(cmd, " ");
	int err;

	/* The command word exactly; for the media commands the arguments
	 * follow after one space (or nothing: a usage error). */
	if (word == 9 && !strncmp(cmd, "cd-insert", 9)) {
		cmd_media(vm, true, cmd + 9, r);
	} else if (word == 8 && !strncmp(cmd, "cd-eject", 8)) {
		cmd_media(vm, false, cmd + 8, r);
	} else if (!strcmp(cmd, "info")) {
		cmd_info(vm, r);
	} else if (!strcmp(cmd, "pause")) {
		if (!atomic_load(&vm->paused)) {
			vm_set_paused(vm, true);
			dm_link_call(vm, DM_MSG_PAUSE);
		}
		reply_add(r, "ok\n");
	} else if (!strcmp(cmd, "unpause")) {
		if (atomic_load(&vm->crashed)) {
			reply_add(r, "error the guest crashed and is kept "
				  "for inspection; destroy it\n");
			return;
		}
		if (atomic_load(&vm->paused)) {
			dm_link_call(vm, DM_MSG_RESUME);
			vm_set_paused(vm, false);
		}
		reply_add(r, "ok\n");
	} else if (!strcmp(cmd, "shutdown")) {
		err = dm_link_call(vm, DM_MSG_POWER_BUTTON);
		if (err == -ENOTSUP)
			reply_add(r, "error the guest's platform has no "
				  "power button yet (ACPI arrives with the "
				  "PC platform); use destroy\n");
		else if (err)
			reply_add(r, "error the device model failed\n");
		else
			reply_add(r, "ok\n");
	} else if (!strcmp(cmd, "reboot")) {
		reply_add(r, "error the guest has no reboot request "
			  "mechanism yet (needs PV drivers); reboot -F "
			  "resets it\n");
	} else if (!strcmp(cmd, "reset")) {
		vm_request_reset(vm);
		reply_add(r, "ok\n");
	} else if (!strcmp(cmd, "destroy")) {
		log_info("destroyed through the control socket");
		vm_request_stop(vm, VM_STOP_DESTROY, 0);
		reply_add(r, "ok\n");
	} else {
		reply_add(r, "error unknown command '%.32s'\n", cmd);
	}
}

static void domctl_serve(struct vm *vm, int *fdp)
{
	char cmd[PATH_MAX + 64];  /* cd-insert VDEV PATH */
	struct reply r = { .len = 0 };
	/* MSG_TRUNC: the real length, to refuse a command cut short. */
	ssize_t n = recv(*fdp, cmd, sizeof(cmd) - 1,
			 MSG_DONTWAIT | MSG_TRUNC);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		if ((size_t)n > sizeof(cmd) - 1) {
			n = sizeof(cmd) - 1;
			cmd[n] = '\0';
			reply_add(&r, "error command too long\n");
		} else {
			cmd[n] = '\0';
			cmd[strcspn(cmd, "\r\n")] = '\0';
			cmd_run(vm, cmd, &r);
		}
		if (send(*fdp, r.buf, r.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("control client went away: %s",
				  strerror(errno));
		if (strcmp(cmd, "destroy"))
			return; /* keep the client; it may send more */
	}
	close(*fdp);
	*fdp = -1;
}

void domctl_handle(struct vm *vm, const struct pollfd *pfd)
{
	struct domctl *c = ctl_of(vm);

	if (!c)
		return;
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		if (pfd[i + 1].revents && c->clients[i] >= 0)
			domctl_serve(vm, &c->clients[i]);
	if (pfd[0].revents & POLLIN) {
		int fd = accept4(c->listen_fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		unsigned int i;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE) &&
		    c->spare_fd >= 0) {
			/* Out of descriptors: refuse this client rather than
			 * leave it pending, which would make poll() return
			 * at once forever. */
			close(c->spare_fd);
			fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0)
				close(fd);
			c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			log_warn("out of file descriptors: refused a control "
				 "client");
			return;
		}
		if (fd < 0)
			return;
		for (i = 0; i < MAX_CLIENTS && c->clients[i] >= 0; i++)
			;
		if (i == MAX_CLIENTS) {
			send(fd, "error busy\n", 11, MSG_NOSIGNAL);
			close(fd);
			return;
		}
		c->clients[i] = fd;
	}
}

void domctl_close(struct vm *vm)
{
	struct domctl *c = ctl_of(vm);

	if (!c)
		return;
	for (unsigned int i = 0; i < MAX_CLIENTS; i++)
		if (c->clients[i] >= 0)
			close(c->clients[i]);
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		if (c->path)
			unlink(c->path);
	}
	if (c->ready_fd >= 0)
		close(c->ready_fd);
	if (c->spare_fd >= 0)
		close(c->spare_fd);
	free(c->path);
	free(c->name);
	free(c);
	vm->domctl = NULL;
}
