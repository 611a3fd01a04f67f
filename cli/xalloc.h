/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Allocation for the hvmkit CLI: out of memory ends the program with one
 * error line, as there is nothing useful a short-lived tool can do. */
#ifndef HVMKIT_CLI_XALLOC_H
#define HVMKIT_CLI_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xzalloc(size_t size);
void *xrealloc(void *old, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

#endif
