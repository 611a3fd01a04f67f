/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging for hvmkit processes: one line per message on stderr, prefixed
 * with the program name.  Guest-triggered messages go through the
 * rate-limited log_guest() so that a guest cannot flood the host log.
 */
#ifndef HVMKIT_LOG_H
#define HVMKIT_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

void log_init(const char *prog, enum log_level level);
void log_set_level(enum log_level level);
/* A hook that may take error messages instead of stderr (the device model
 * sends them to the hypervisor during setup); it returns true if it took
 * the message.  NULL restores stderr. */
typedef bool log_error_hook(const char *msg);
void log_set_error_hook(log_error_hook *hook);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * Token bucket per call site: at most RATELIMIT_BURST messages, refilled at
 * one per RATELIMIT_INTERVAL_MS; how many were dropped is reported with the
 * next message that passes.
 */
#define RATELIMIT_BURST       10
#define RATELIMIT_INTERVAL_MS 1000

struct ratelimit {
	uint64_t last_ns;
	unsigned int tokens;
	unsigned int suppressed;
	bool primed;
};

/* Returns true if a message may be logged; *suppressed gets the count of
 * messages dropped since the last one that passed. */
bool ratelimit_pass(struct ratelimit *rl, unsigned int *suppressed);

#define log_guest_at(level, ...)                                          \
	do {                                                              \
		static struct ratelimit rl_;                              \
		unsigned int dropped_;                                    \
		if (log_enabled(level) && ratelimit_pass(&rl_, &dropped_)) \
			log_guest_msg(level, dropped_, __VA_ARGS__);      \
	} while (0)
#define log_guest(...) log_guest_at(LOG_WARN, __VA_ARGS__)

void log_guest_msg(enum log_level level, unsigned int dropped,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
