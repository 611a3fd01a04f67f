/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Diagnostics of the hvmkit CLI's configuration code: the first error as
 * one line of text (the caller prints it) and warnings through a callback,
 * so that unit tests can assert the exact wording.
 */
#ifndef HVMKIT_CLI_DIAG_H
#define HVMKIT_CLI_DIAG_H

#include <stdbool.h>
#include <stddef.h>

#define DIAG_MAX 512

struct diag {
	char error[DIAG_MAX];   /* first error; empty if none */
	/* Called once per warning; NULL prints it with log_warn(). */
	void (*warn)(void *opaque, const char *msg);
	void *opaque;
};

/* Records an error unless one is already recorded (the first one wins). */
void diag_error(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void diag_warn(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool diag_failed(const struct diag *d);

/*
 * Formats s for a message: in double quotes, C escapes for quotes,
 * backslashes and control characters, cut with "..." after max_chars.
 */
const char *diag_quote(const char *s, char *buf, size_t len);

/* s itself if it has no control characters (a path, a name), else as
 * diag_quote(): messages stay one line. */
const char *diag_plain(const char *s, char *buf, size_t len);

#endif
