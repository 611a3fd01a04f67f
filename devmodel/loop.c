/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device model's event loop on the main thread: one epoll instance for
 * the control socket, device file descriptors (dm_fd_watch), level-IRQ
 * resample fds and one timerfd that carries every device timer (a list
 * sorted by expiry; there are few timers).  The loop drops the device-model
 * lock only while it waits in epoll_wait().
 *
 * Device-model time (dm_clock_ns) is CLOCK_MONOTONIC minus the time spent
 * paused: it stands still between PAUSE and RESUME, and no timer fires
 * then.
 *
 * Watches removed while an epoll batch is being handled (by a callback on
 * this thread, or by an ioreq thread between epoll_wait() returning and
 * this thread taking the lock) are only marked dead and freed after the
 * batch, so a stale event never reaches freed memory.
 */
#define _GNU_SOURCE
#include "dm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "hvmkit/log.h"

/* Timers run per wakeup at most, so that a timer that keeps re-arming
 * itself in the past cannot starve the file descriptors. */
#define TIMER_BATCH 256

struct dm_watch {
	int fd;
	unsigned int events;      /* DM_FD_READ | DM_FD_WRITE */
	bool in_epoll;
	bool dead;
	dm_fd_fn *fn;
	void *opaque;
	struct dm_watch *next;
};

struct dm_timer {
	struct dm *dm;
	dm_timer_fn *fn;
	void *opaque;
	uint64_t expire;          /* device-model clock */
	bool armed;
	struct dm_timer *next;
};

uint64_t host_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t dm_clock_ns(struct dm *dm)
{
	struct dm_loop *l = &dm->loop;

	return (l->paused ? l->paused_at : host_clock_ns()) - l->paused_total;
}

/* ------------------------------------------------------------- timers */

/* Points the timerfd at the first armed timer (or disarms it). */
static void timers_rearm(struct dm *dm)
{
	struct dm_loop *l = &dm->loop;
	struct itimerspec its;
	uint64_t at = 0;

	if (!l->paused && l->timers) {
		at = l->timers->expire + l->paused_total;
		if (at < l->timers->expire || !at)
			at = UINT64_MAX - 1; /* never, in practice */
	}
	if (at == l->armed_at || l->timerfd < 0)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(at / 1000000000ull);
	its.it_value.tv_nsec = (long)(at % 1000000000ull);
	if (timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warn("timerfd_settime: %s", strerror(errno));
	else
		l->armed_at = at;
}

static void timer_unlink(struct dm_timer *t)
{
	struct dm_timer **pp = &t->dm->loop.timers;

	if (!t->armed)
		return;
	while (*pp != t)
		pp = &(*pp)->next;
	*pp = t->next;
	t->next = NULL;
	t->armed = false;
}

struct dm_timer *dm_timer_new(struct dm *dm, dm_timer_fn *fn, void *opaque)
{
	struct dm_timer *t = calloc(1, sizeof(*t));

	if (!t) {
		log_error("out of memory");
		return NULL;
	}
	t->dm = dm;
	t->fn = fn;
	t->opaque = opaque;
	return t;
}

void dm_timer_mod(struct dm_timer *t, uint64_t expire_ns)
{
	struct dm_timer **pp = &t->dm->loop.timers;

	timer_unlink(t);
	while (*pp && (*pp)->expire <= expire_ns)
		pp = &(*pp)->next;
	t->expire = expire_ns;
	t->next = *pp;
	*pp = t;
	t->armed = true;
	timers_rearm(t->dm);
}

void dm_timer_del(struct dm_timer *t)
{
	if (!t || !t->armed)
		return;
	timer_unlink(t);
	timers_rearm(t->dm);
}

void dm_timer_free(struct dm_timer *t)
{
	dm_timer_del(t);
	free(t);
}

void loop_run_timers(struct dm *dm)
{
	struct dm_loop *l = &dm->loop;

	for (unsigned int i = 0; i < TIMER_BATCH && !l->paused; i++) {
		struct dm_timer *t = l->timers;

		if (!t || t->expire > dm_clock_ns(dm))
			break;
		timer_unlink(t);
		t->fn(t->opaque); /* may re-arm or free t */
	}
	l->armed_at = 0; /* the timerfd fired: arm it again */
	timers_rearm(dm);
}

static void timerfd_ready(void *opaque, int fd, unsigned int events)
{
	uint64_t ticks;

	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("timerfd: %s", strerror(errno));
	loop_run_timers(opaque);
}

void loop_pause(struct dm *dm)
{
	struct dm_loop *l = &dm->loop;

	if (l->paused)
		return;
	l->paused_at = host_clock_ns();
	l->paused = true;
	timers_rearm(dm);
}

void loop_resume(struct dm *dm)
{
	struct dm_loop *l = &dm->loop;

	if (!l->paused)
		return;
	l->paused_total += host_clock_ns() - l->paused_at;
	l->paused = false;
	timers_rearm(dm);
}

/* -------------------------------------------------------------- fds */

static struct dm_watch *watch_find(struct dm *dm, int fd)
{
	for (struct dm_watch *w = dm->loop.watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

/* Brings epoll in line with w->events.  A watch for no events is taken
 * out of epoll altogether, so that a hung-up fd nobody reads cannot make
 * the loop spin on EPOLLHUP. */
static int watch_apply(struct dm *dm, struct dm_watch *w)
{
	struct epoll_event ev = { .data.ptr = w };
	int op;

	if (!w->events) {
		if (w->in_epoll &&
		    epoll_ctl(dm->loop.epfd, EPOLL_CTL_DEL, w->fd, NULL) < 0)
			return -1;
		w->in_epoll = false;
		return 0;
	}
	if (w->events & DM_FD_READ)
		ev.events |= EPOLLIN;
	if (w->events & DM_FD_WRITE)
		ev.events |= EPOLLOUT;
	op = w->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(dm->loop.epfd, op, w->fd, &ev) < 0)
		return -1;
	w->in_epoll = true;
	return 0;
}

int dm_fd_watch(struct dm *dm, int fd, unsigned int events, dm_fd_fn *fn,
		void *opaque)
{
	struct dm_watch *w;
	bool fresh = false;

	if (fd < 0 || !fn || events & ~(DM_FD_READ | DM_FD_WRITE)) {
		log_error("internal error: dm_fd_watch(%d, %#x)", fd, events);
		return -1;
	}
	w = watch_find(dm, fd);
	if (!w) {
		w = calloc(1, sizeof(*w));
		if (!w) {
			log_error("out of memory");
			return -1;
		}
		w->fd = fd;
		fresh = true;
	}
	w->events = events;
	w->fn = fn;
	w->opaque = opaque;
	if (watch_apply(dm, w) < 0) {
		log_error("cannot watch fd %d: %s", fd, strerror(errno));
		if (fresh)
			free(w);
		return -1;
	}
	if (fresh) {
		w->next = dm->loop.watches;
		dm->loop.watches = w;
	}
	return 0;
}

void dm_fd_unwatch(struct dm *dm, int fd)
{
	struct dm_watch **pp = &dm->loop.watches, *w;

	while (*pp && (*pp)->fd != fd)
		pp = &(*pp)->next;
	w = *pp;
	if (!w)
		return;
	*pp = w->next;
	if (w->in_epoll)
		epoll_ctl(dm->loop.epfd, EPOLL_CTL_DEL, fd, NULL);
	w->dead = true;
	w->next = dm->loop.dead;
	dm->loop.dead = w;
}

static void watches_reap(struct dm *dm)
{
	while (dm->loop.dead) {
		struct dm_watch *w = dm->loop.dead;

		dm->loop.dead = w->next;
		free(w);
	}
}

/* ------------------------------------------------------------- loop */

static void wake_ready(void *opaque, int fd, unsigned int events)
{
	uint64_t v;

	(void)opaque;
	(void)events;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("eventfd: %s", strerror(errno));
}

int loop_init(struct dm *dm)
{
	struct dm_loop *l = &dm->loop;

	memset(l, 0, sizeof(*l));
	l->timerfd = l->wake_fd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		log_error("epoll_create1: %s", strerror(errno));
		return -1;
	}
	l->timerfd = timerfd_create(CLOCK_MONOTONIC,
				    TFD_NONBLOCK | TFD_CLOEXEC);
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->timerfd < 0 || l->wake_fd < 0) {
		log_error("cannot create the event loop's fds: %s",
			  strerror(errno));
		return -1;
	}
	if (dm_fd_watch(dm, l->timerfd, DM_FD_READ, timerfd_ready, dm) < 0 ||
	    dm_fd_watch(dm, l->wake_fd, DM_FD_READ, wake_ready, dm) < 0)
		return -1;
	return 0;
}

void loop_exit(struct dm *dm, int status)
{
	struct dm_loop *l = &dm->loop;
	uint64_t one = 1;
	bool expected = false;

	if (__atomic_compare_exchange_n(&l->exiting, &expected, true, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		__atomic_store_n(&l->exit_status, status, __ATOMIC_SEQ_CST);
	if (write(l->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("eventfd: %s", strerror(errno));
}

static unsigned int epoll_to_dm(uint32_t ev)
{
	unsigned int e = 0;

	if (ev & (EPOLLIN | EPOLLPRI))
		e |= DM_FD_READ;
	if (ev & EPOLLOUT)
		e |= DM_FD_WRITE;
	if (ev & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		e |= DM_FD_HUP;
	return e;
}

int loop_run(struct dm *dm)
{
	struct dm_loop *l = &dm->loop;
	struct epoll_event evs[16];

	while (!__atomic_load_n(&l->exiting, __ATOMIC_SEQ_CST)) {
		int n;

		dm_unlock(dm);
		n = epoll_wait(l->epfd, evs, (int)(sizeof(evs) /
						   sizeof(evs[0])), -1);
		dm_lock(dm);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			dm_fatal(dm, "epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			struct dm_watch *w = evs[i].data.ptr;
			unsigned int e;

			if (w->dead)
				continue;
			e = epoll_to_dm(evs[i].events) &
			    (w->events | DM_FD_HUP);
			if (e)
				w->fn(w->opaque, w->fd, e);
		}
		watches_reap(dm);
	}
	return __atomic_load_n(&l->exit_status, __ATOMIC_SEQ_CST);
}
