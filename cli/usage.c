/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Usage errors of hvmkit commands: one line, exit status 2. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

#include "hvmkit/log.h"

int usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cmd)
		log_error("%s: %s (see 'hvmkit %s --help')", cmd, msg, cmd);
	else
		log_error("%s (see 'hvmkit --help')", msg);
	return EXIT_USAGE;
}
