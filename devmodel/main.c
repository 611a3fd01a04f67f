/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvmkit-devmodel: the device-model process of one domain.  Parses the
 * command line, takes SETUP from the hypervisor (guest RAM and the ioreq
 * area), opens the drives' images, creates the devices (which claim the
 * drives), starts the ioreq threads, sandboxes itself, says READY and
 * runs the event loop until QUIT or until the hypervisor goes away.
 *
 * Errors: a bad command line is one line on stderr and status 2 (there may
 * be no hypervisor).  Once the control channel is known, a setup error is
 * sent to the hypervisor as one DM_MSG_ERROR, which prints it, and the
 * process exits with status 1 without printing anything itself.
 */
#define _GNU_SOURCE
#include "dm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices.h"
#include "hvmkit/log.h"

#ifndef HVMKIT_VERSION
#define HVMKIT_VERSION "unknown"
#endif

/* The fd must be an AF_UNIX SOCK_SEQPACKET socket. */
static int check_control_fd(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);

	if (fcntl(fd, F_GETFD) < 0) {
		log_error("--control-fd %d: not an open file descriptor", fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0 ||
	    sa.ss_family != AF_UNIX) {
		log_error("--control-fd %d: not a unix SOCK_SEQPACKET socket",
			  fd);
		return -1;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Nothing but stdio and the control socket: a descriptor leaked by
 * whoever started us (the hypervisor's /dev/kvm, say) is not ours to
 * keep. */
static void close_other_fds(int keep)
{
	unsigned int k = (unsigned int)keep;

	if (k > 3)
		syscall(SYS_close_range, 3u, k - 1, 0u);
	syscall(SYS_close_range, k < 3 ? 3u : k + 1, ~0u, 0u);
}

/* ------------------------------------------------------ after READY */

static void ctl_ready(void *opaque, int fd, unsigned int events)
{
	struct dm *dm = opaque;
	struct ctl_msg m;

	(void)fd;
	(void)events;
	for (;;) {
		int r = ctl_recv(dm, &m, true);

		if (r == -2)
			return;
		if (r == 0) {
			log_info("the hypervisor closed the control channel");
			dm->orphaned = true;
			loop_exit(dm, 0);
			return;
		}
		if (r < 0)
			dm_fatal(dm, "hypervisor protocol error: %s",
				 dm->ctl.why);
		dm_handle_msg(dm, &m);
		if (m.hdr.type == DM_MSG_QUIT)
			return;
	}
}

/* ------------------------------------------------------------ setup */

static int receive_setup(struct dm *dm)
{
	struct ctl_msg m;
	int r = ctl_recv(dm, &m, false), ret = -1;

	if (r == 0) { /* the hypervisor went away first */
		dm->orphaned = true;
		dm_exit(dm, 0);
	}
	if (r < 0) {
		log_error("hypervisor protocol error: %s", dm->ctl.why);
		return -1;
	}
	if (m.hdr.type != DM_MSG_SETUP) {
		log_error("hypervisor protocol error: %s before SETUP",
			  m.hdr.type == DM_MSG_QUIT ? "QUIT" : "a message");
		ctl_msg_close_fds(&m);
		if (m.hdr.type == DM_MSG_QUIT)
			dm_exit(dm, 0);
		return -1;
	}
	if (gmem_setup(dm, &m.setup, m.fds[0]) == 0 &&
	    ioreq_server_setup(dm, &m.setup, m.fds[1]) == 0)
		ret = 0;
	ctl_msg_close_fds(&m); /* both are mapped; the fds are not needed */
	return ret;
}

static int setup(struct dm *dm, const struct dm_args *args)
{
	struct dm_msg_hdr ready;

	if (receive_setup(dm) < 0 ||
	    drives_open(dm, args->drives, args->nr_drives) < 0 ||
	    devices_create(dm, args->devices, args->nr_devices) < 0 ||
	    drives_check_claimed(dm) < 0 ||
	    dm_fd_watch(dm, dm->ctl.fd, DM_FD_READ, ctl_ready, dm) < 0 ||
	    ioreq_server_start(dm) < 0 ||
	    sandbox_apply() < 0)
		return -1;
	/* No more synchronous requests; NACKs of claims with a lower seq
	 * than READY's are setup failures (ctl_report_nack). */
	dm->ctl.ready_seq = ctl_sent_count(dm) + 1;
	memset(&ready, 0, sizeof(ready));
	if (ctl_send(dm, DM_MSG_READY, &ready, sizeof(ready), NULL, 0) < 0)
		return -1;
	dm->ctl.ready = true;
	dm->ready = true;
	return 0;
}

int main(int argc, char **argv)
{
	struct dm_args args;
	struct dm *dm;
	int status;

	/* The hypervisor handles terminal and termination signals and then
	 * sends QUIT: a SIGTERM sent to the whole process group (timeout(1),
	 * a service manager) must not end the device model first, which the
	 * hypervisor would rightly report as a device-model failure.  It
	 * ends with QUIT, control-socket EOF, or SIGKILL (also through
	 * PR_SET_PDEATHSIG when the hypervisor dies). */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	log_init(DM_PROG, LOG_WARN);
	if (dm_args_parse(argc, argv, &args) < 0)
		return 2;
	if (args.help) {
		dm_usage(stdout);
		return 0;
	}
	if (args.version) {
		printf(DM_PROG " %s\n", HVMKIT_VERSION);
		return 0;
	}
	log_set_level(args.verbosity < 0 ? LOG_ERROR :
		      args.verbosity == 0 ? LOG_WARN :
		      args.verbosity == 1 ? LOG_INFO : LOG_DEBUG);
	if (check_control_fd(args.control_fd) < 0)
		return 2;
	close_other_fds(args.control_fd);

	dm = dm_new(args.control_fd);
	if (!dm)
		return 1;
	ctl_route_errors(dm, true);
	dm_lock(dm);
	if (setup(dm, &args) < 0)
		dm_exit(dm, 1);
	ctl_route_errors(dm, false);
	log_info("ready: %u device(s)", args.nr_devices);
	status = loop_run(dm);
	dm_exit(dm, status);
}
