/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error and warning collection for the hvmkit CLI (see diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hvmkit/log.h"

/* Longest piece of a user's value quoted in a message. */
#define QUOTE_MAX_CHARS 60

void diag_error(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (d->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(d->error, sizeof(d->error), fmt, ap);
	va_end(ap);
}

void diag_warn(struct diag *d, const char *fmt, ...)
{
	char msg[DIAG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->warn)
		d->warn(d->opaque, msg);
	else
		log_warn("%s", msg);
}

bool diag_failed(const struct diag *d)
{
	return d->error[0] != '\0';
}

const char *diag_quote(const char *s, char *buf, size_t len)
{
	size_t n = 0, chars = 0;

	/* Room for the worst escape (\xHH), "...", the quote and NUL. */
	if (len < 12) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	buf[n++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (chars == QUOTE_MAX_CHARS || n + 4 + 3 + 2 > len) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else if (c == '\t') {
			buf[n++] = '\\';
			buf[n++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		} else {
			buf[n++] = (char)c;
		}
		chars++;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

const char *diag_plain(const char *s, char *buf, size_t len)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return diag_quote(s, buf, len);
	return s;
}
