/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One clear error line for what getopt_long() rejected. */
#ifndef HVMKIT_GETOPT_ERROR_H
#define HVMKIT_GETOPT_ERROR_H

#include <getopt.h>

/*
 * Call when getopt_long() returned ':' (missing argument) or '?' (any
 * other rejection), with the same short and long option tables; it logs
 * "option '--x' needs an argument", "option '--x' takes no argument",
 * "unknown option '-x'" or "unknown or ambiguous option '--x'".  The short
 * option string must start with ':'.
 */
void getopt_report_error(int c, char **argv, const char *short_opts,
			 const struct option *long_opts);

#endif
