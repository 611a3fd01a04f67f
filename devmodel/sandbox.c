/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device model's sandbox, applied once setup is done (guest RAM and
 * the ioreq area mapped, devices created and their files open, ioreq
 * threads running): PR_SET_NO_NEW_PRIVS, then a seccomp allowlist built
 * with libseccomp whose default action kills the whole process
 * (SCMP_ACT_KILL_PROCESS), loaded with SCMP_FLTATR_CTL_TSYNC so that every
 * thread gets it at once.  The hypervisor sees the death by SIGSYS and
 * reports it.
 *
 * The list is what the device model and glibc do after setup; README.md
 * says why each call is there.  Notably absent: open/openat, socket,
 * connect, bind, clone/fork, execve, ptrace, kill, and every ioctl but the
 * terminal ones and two block-device size queries (there is no /dev/kvm
 * or any other device to talk to).
 *
 * Sanitizer builds (make SANITIZE=1) are test builds and need more:
 * LeakSanitizer stops the world at exit with a ptrace-ing helper task, and
 * error reports probe memory through a pipe and symbolize the stack.
 * Those calls are added only when a sanitizer is compiled in (a documented
 * test-build deviation), and the symbolizer is loaded before the filter,
 * so a normal exit of an ASan build passes and a report comes out whole,
 * while the calls the device model must never make (open, socket,
 * execve...) still kill it.
 */
#define _GNU_SOURCE
#include "dm.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <termios.h>

#include "block.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define DM_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || \
	__has_feature(undefined_behavior_sanitizer)
#define DM_SANITIZER 1
#endif
#endif

/* Allowed with any arguments. */
static const int allowed[] = {
	/* I/O on descriptors it already has: the control socket, eventfds,
	 * irqfds, timerfd, device backends (stdio, pty, files,
	 * a unix socket), log lines on stderr. */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(lseek),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(sendto), SCMP_SYS(accept4),
	SCMP_SYS(shutdown), SCMP_SYS(close), SCMP_SYS(fsync),
	SCMP_SYS(fdatasync), SCMP_SYS(fstat),
	/* The event loop and the ioreq threads. */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(futex),
	SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(sched_yield),
	/* Memory: malloc, thread stacks. */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(madvise),
	SCMP_SYS(mremap),
	/* Process and thread basics. */
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(restart_syscall),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid),
	SCMP_SYS(getrandom),
	/* The block backend (block.c): Linux AIO, and for a CD medium
	 * opened after setup (cd-insert) its context (io_setup: below)
	 * and eventfd. */
	SCMP_SYS(io_submit), SCMP_SYS(io_getevents),
	SCMP_SYS(io_destroy), SCMP_SYS(eventfd2),
};

/* Terminal control for the stdio and pty backends (raw mode, restoring
 * the terminal at exit, window size). */
static const unsigned long tty_ioctls[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONREAD,
};

/* Block devices given as images: size and logical block size. */
static const unsigned long blk_ioctls[] = {
	BLKGETSIZE64, BLKSSZGET,
};

/* fcntl commands: flags and non-blocking mode, and the block backend's
 * OFD image locks. */
static const int fcntl_cmds[] = {
	F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_OFD_SETLK, F_OFD_GETLK,
};

#ifdef DM_SANITIZER
#include <sanitizer/common_interface_defs.h>

/* Test builds only (see the top of this file).  LeakSanitizer at exit:
 * clone (its tracer), ptrace, wait4, prctl (PR_SET_PTRACER and the
 * like), sigaltstack and rt_sigaction (the tracer's signal handling),
 * open and getdents (listing /proc/self/task).  Reports: pipe2 (the
 * runtime probes whether memory is readable by writing it to a pipe) and
 * readlink of /proc/self/exe for module names. */
static const int sanitizer_allowed[] = {
	SCMP_SYS(open), SCMP_SYS(getdents), SCMP_SYS(clone),
	SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(prctl),
	SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction), SCMP_SYS(readlink),
	SCMP_SYS(pipe2),
};

/* Makes the runtime load its symbolizer (it opens and reads this binary)
 * now, so that a report after sandboxing needs no open(). */
static void warm_up_symbolizer(void)
{
	char buf[128];

	__sanitizer_symbolize_pc(__builtin_return_address(0), "%p %F %L",
				 buf, sizeof(buf));
}
#else
static void warm_up_symbolizer(void)
{
}
#endif

static int add_rule(scmp_filter_ctx ctx, int nr, unsigned int nargs,
		    const struct scmp_arg_cmp *args)
{
	int err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, nargs, args);

	if (err) {
		char *name = seccomp_syscall_resolve_num_arch(
			SCMP_ARCH_NATIVE, nr);

		log_error("seccomp: cannot allow %s: %s", name ? name : "?",
			  strerror(-err));
		free(name);
	}
	return err;
}

static int build_filter(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC,
					      0);
	/* newfstatat(fd, "", buf, AT_EMPTY_PATH) is glibc's fstat(). */
	struct scmp_arg_cmp empty_path = SCMP_A3(SCMP_CMP_MASKED_EQ,
						 AT_EMPTY_PATH,
						 AT_EMPTY_PATH);
	struct scmp_arg_cmp statx_empty_path = SCMP_A2(SCMP_CMP_MASKED_EQ,
						       AT_EMPTY_PATH,
						       AT_EMPTY_PATH);
	/* io_setup(nr_events, ...): a CD's AIO context, never bigger than
	 * the backend's (each event pins kernel memory, and fs.aio-max-nr
	 * is shared by the whole host). */
	struct scmp_arg_cmp aio_events = SCMP_A0(SCMP_CMP_LE,
						 BLK_QUEUE_DEPTH);
	struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, 0);
	static const int policies[] = { SCHED_OTHER, SCHED_BATCH };
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(allowed) && !err; i++)
		err = add_rule(ctx, allowed[i], 0, NULL);
	if (!err)
		err = add_rule(ctx, SCMP_SYS(io_setup), 1, &aio_events);
	/* sched_getaffinity(0, ...): an ioreq thread's own CPUs, whether
	 * spinning can pay off (thread_may_spin); no other task's. */
	if (!err)
		err = add_rule(ctx, SCMP_SYS(sched_getaffinity), 1, &self);
	/* sched_setscheduler(0, SCHED_OTHER or SCHED_BATCH, ...): an ioreq
	 * thread's own policy (ioreq-server.c); nothing real-time. */
	for (size_t i = 0; i < ARRAY_SIZE(policies) && !err; i++) {
		struct scmp_arg_cmp a[2] = {
			self, SCMP_A1(SCMP_CMP_EQ, (unsigned int)policies[i])
		};

		err = add_rule(ctx, SCMP_SYS(sched_setscheduler), 2, a);
	}
	/* Memory never becomes executable: no mmap/mprotect with
	 * PROT_EXEC. */
	if (!err)
		err = add_rule(ctx, SCMP_SYS(mmap), 1, &no_exec);
	if (!err)
		err = add_rule(ctx, SCMP_SYS(mprotect), 1, &no_exec);
	for (size_t i = 0; i < ARRAY_SIZE(tty_ioctls) && !err; i++) {
		struct scmp_arg_cmp a = SCMP_A1(SCMP_CMP_EQ, tty_ioctls[i]);

		err = add_rule(ctx, SCMP_SYS(ioctl), 1, &a);
	}
	for (size_t i = 0; i < ARRAY_SIZE(blk_ioctls) && !err; i++) {
		struct scmp_arg_cmp a = SCMP_A1(SCMP_CMP_EQ, blk_ioctls[i]);

		err = add_rule(ctx, SCMP_SYS(ioctl), 1, &a);
	}
	for (size_t i = 0; i < ARRAY_SIZE(fcntl_cmds) && !err; i++) {
		struct scmp_arg_cmp a = SCMP_A1(SCMP_CMP_EQ,
						(unsigned int)fcntl_cmds[i]);

		err = add_rule(ctx, SCMP_SYS(fcntl), 1, &a);
	}
	if (!err)
		err = add_rule(ctx, SCMP_SYS(newfstatat), 1, &empty_path);
	/* statx(fd, "", AT_EMPTY_PATH, ...): the block backend's O_DIRECT
	 * alignment (STATX_DIOALIGN). */
	if (!err)
		err = add_rule(ctx, SCMP_SYS(statx), 1, &statx_empty_path);
	/* The unix-socket console backend removes its socket at exit.  A
	 * sandboxed process must not delete files, but dying there would
	 * skip the destroy hooks after it (terminal restoration), so this
	 * one call fails with EPERM instead: the stale socket is reclaimed
	 * by the next bind to the path. */
	if (!err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				       SCMP_SYS(unlink), 0);
	if (!err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				       SCMP_SYS(unlinkat), 0);
#ifdef DM_SANITIZER
	for (size_t i = 0; i < ARRAY_SIZE(sanitizer_allowed) && !err; i++)
		err = add_rule(ctx, sanitizer_allowed[i], 0, NULL);
#endif
	return err;
}

int sandbox_apply(void)
{
	scmp_filter_ctx ctx;
	int err;

	warm_up_symbolizer();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_error("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return -1;
	}
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		log_error("seccomp_init failed");
		return -1;
	}
	err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!err)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				       SCMP_ACT_KILL_PROCESS);
	if (!err)
		err = build_filter(ctx);
	if (!err) {
		err = seccomp_load(ctx);
		if (err)
			log_error("cannot load the seccomp filter: %s",
				  strerror(-err));
	} else {
		/* After add_rule()'s line this one is not shown (only the
		 * first error of the setup reaches the hypervisor). */
		log_error("cannot set up the seccomp filter: %s",
			  strerror(-err));
	}
	seccomp_release(ctx);
	return err ? -1 : 0;
}
