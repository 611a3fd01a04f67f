/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hvmkit: the command-line toolstack.  Creates domains from xl.cfg-style
 * files and manages them through each hypervisor's control socket, in the
 * manner of Xen's xl.  This file dispatches commands and prints help; see
 * cli/README.md for the pieces.
 */
#define _GNU_SOURCE
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hvmkit/log.h"
#include "hvmkit/util.h"

#ifndef HVMKIT_VERSION
#define HVMKIT_VERSION "unknown"
#endif

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;
	const char *summary;
	const char *details;
};

static const struct command commands[] = {
	{ "create", cmd_create, "[-c] [-p] [-n] FILE [KEY=VALUE]...",
	  "create a domain from an xl.cfg-style configuration file",
	  "  -c, --console   attach to the console once the domain runs\n"
	  "  -p, --paused    create it with its vCPUs paused\n"
	  "  -n, --dry-run   check the configuration and print the\n"
	  "                  hypervisor command line instead of running it\n"
	  "KEY=VALUE arguments are configuration lines in the file's syntax\n"
	  "(strings quoted: 'name=\"web\"'), applied after the file.\n" },
	{ "list", cmd_list, "[-l]",
	  "list the running domains",
	  "  -l, --long      also show each domain's console\n" },
	{ "console", cmd_console, "DOM",
	  "attach the terminal to a domain's serial console",
	  "Ctrl-] detaches.\n" },
	{ "pause", cmd_pause, "DOM", "pause a domain's vCPUs", NULL },
	{ "unpause", cmd_unpause, "DOM", "resume a paused domain", NULL },
	{ "shutdown", cmd_shutdown, "[-w] DOM",
	  "ask a domain to power off (ACPI power button)",
	  "  -w              wait until the domain is gone\n" },
	{ "reboot", cmd_reboot, "[-F] DOM",
	  "ask a domain to reboot",
	  "  -F              hard reset now instead of asking the guest\n" },
	{ "destroy", cmd_destroy, "DOM",
	  "stop a domain immediately",
	  "Waits until its processes are gone (killing them after 10 s).\n" },
	{ "cd-insert", cmd_cd_insert, "DOM [VDEV] FILE",
	  "put an image into a domain's CD drive",
	  "VDEV is the drive's name in the configuration (e.g. hdc); FILE\n"
	  "is a raw (ISO) image, opened read-only.  The guest sees a media\n"
	  "change; if it has locked the tray, the command fails.\n" },
	{ "cd-eject", cmd_cd_eject, "DOM [VDEV]",
	  "take the medium out of a domain's CD drive",
	  "Fails if the guest has locked the tray.\n" },
};

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: hvmkit COMMAND [ARGS]...\n"
		"Create and manage hvmkit domains (HVM guests on Linux KVM).\n"
		"\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out,
		"  help      show this help, or a command's: hvmkit help "
		"COMMAND\n"
		"\nOptions: -h, --help (this help), -V, --version.\n"
		"\nEnvironment: HVMKIT_RUNDIR (runtime directory, default "
		"/run/hvmkit for root,\n"
		"$XDG_RUNTIME_DIR/hvmkit otherwise), HVMKIT_HYPERVISOR "
		"(hypervisor program).\n"
		"Exit status: 0 success, 1 error, 2 usage error.  See "
		"hvmkit(1), hvmkit.cfg(5).\n");
}

static void print_command_help(const struct command *c)
{
	printf("Usage: hvmkit %s %s\n%c%s.\n", c->name, c->synopsis,
	       c->summary[0] - 'a' + 'A', c->summary + 1);
	if (c->details)
		printf("\n%s", c->details);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* True if a command's arguments ask for its help (before any "--"). */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	const struct command *c;

	log_init("hvmkit", LOG_WARN);
	/* A closed stdout or console must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("hvmkit %s\n", HVMKIT_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "help")) {
		if (argc == 2) {
			print_usage(stdout);
			return EXIT_OK;
		}
		c = find_command(argv[2]);
		if (!c)
			return usage_error(NULL, "unknown command '%s'",
					   argv[2]);
		print_command_help(c);
		return EXIT_OK;
	}
	if (argv[1][0] == '-')
		return usage_error(NULL, "unknown option '%s'", argv[1]);
	c = find_command(argv[1]);
	if (!c)
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	if (wants_help(argc - 1, argv + 1)) {
		print_command_help(c);
		return EXIT_OK;
	}
	return c->run(argc - 1, argv + 1);
}
