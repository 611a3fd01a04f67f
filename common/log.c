/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging and rate limiting shared by all hvmkit programs. */
#include "hvmkit/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *log_prog = "hvmkit";
static enum log_level log_level = LOG_WARN;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static log_error_hook *error_hook;

static const char *const level_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warning",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void log_init(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_level = level;
}

void log_set_error_hook(log_error_hook *hook)
{
	error_hook = hook;
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= log_level;
}

static void log_vmsg(enum log_level level, unsigned int dropped,
		     const char *fmt, va_list ap)
{
	/* One fprintf per line keeps lines from different threads whole. */
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (level == LOG_ERROR && error_hook && error_hook(buf))
		return;
	pthread_mutex_lock(&log_lock);
	if (dropped)
		fprintf(stderr, "%s: %s: %s (%u similar messages suppressed)\n",
			log_prog, level_names[level], buf, dropped);
	else
		fprintf(stderr, "%s: %s: %s\n", log_prog, level_names[level],
			buf);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, 0, fmt, ap);
	va_end(ap);
}

void log_guest_msg(enum log_level level, unsigned int dropped,
		   const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, dropped, fmt, ap);
	va_end(ap);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool ratelimit_pass(struct ratelimit *rl, unsigned int *suppressed)
{
	static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
	const uint64_t interval = RATELIMIT_INTERVAL_MS * 1000000ull;
	uint64_t now = monotonic_ns();
	bool pass;

	pthread_mutex_lock(&rl_lock);
	if (!rl->primed) {
		rl->primed = true;
		rl->tokens = RATELIMIT_BURST;
		rl->last_ns = now;
	}
	if (now - rl->last_ns >= interval) {
		uint64_t refill = (now - rl->last_ns) / interval;

		rl->tokens = refill >= RATELIMIT_BURST ?
			RATELIMIT_BURST : rl->tokens + (unsigned int)refill;
		if (rl->tokens > RATELIMIT_BURST)
			rl->tokens = RATELIMIT_BURST;
		rl->last_ns += refill * interval;
	}
	pass = rl->tokens > 0;
	if (pass) {
		rl->tokens--;
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
	}
	pthread_mutex_unlock(&rl_lock);
	return pass;
}
