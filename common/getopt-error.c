/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Error lines for rejected command-line options (see getopt-error.h). */
#include "hvmkit/getopt-error.h"

#include <string.h>

#include "hvmkit/log.h"

/* "--name=value" for a flag that takes no value, or an unknown name. */
static void report_bad_long_option(const char *arg,
				   const struct option *long_opts)
{
	size_t len = strcspn(arg + 2, "=");

	for (const struct option *o = long_opts; o->name; o++) {
		if (o->has_arg == no_argument && strlen(o->name) == len &&
		    !strncmp(o->name, arg + 2, len) && arg[2 + len] == '=') {
			log_error("option '--%s' takes no argument", o->name);
			return;
		}
	}
	log_error("unknown or ambiguous option '%.*s' (see --help)",
		  (int)len + 2, arg);
}

void getopt_report_error(int c, char **argv, const char *short_opts,
			 const struct option *long_opts)
{
	const char *arg = argv[optind - 1];

	if (c == ':') {
		if (!strncmp(arg, "--", 2))
			log_error("option '%s' needs an argument", arg);
		else
			log_error("option '-%c' needs an argument", optopt);
		return;
	}
	/* getopt sets optopt to the bad letter for a short option, and to 0
	 * or a long option's value for a long one (then argv[optind - 1] is
	 * that option). */
	if (optopt > 0 && optopt < 256 && !strchr(short_opts, optopt))
		log_error("unknown option '-%c' (see --help)", optopt);
	else
		report_bad_long_option(arg, long_opts);
}
