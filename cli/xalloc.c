/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Allocation helpers of the hvmkit CLI (see xalloc.h). */
#define _GNU_SOURCE
#include "xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvmkit/log.h"

static void *check(void *p)
{
	if (!p) {
		log_error("out of memory");
		exit(1);
	}
	return p;
}

void *xzalloc(size_t size)
{
	return check(calloc(1, size ? size : 1));
}

void *xrealloc(void *old, size_t size)
{
	return check(realloc(old, size ? size : 1));
}

char *xstrdup(const char *s)
{
	return check(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return check(strndup(s, n));
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	return check(vasprintf(&s, fmt, ap) < 0 ? NULL : s);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}
