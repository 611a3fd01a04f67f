/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parser for xl.cfg-style domain configuration files (Xen's xl.cfg(5)
 * "SYNTAX" section, following the grammar of libxlu's libxlu_cfg_l.l and
 * libxlu_cfg_y.y): KEY = VALUE and KEY += VALUE statements separated by
 * newlines or ';', '#' comments, "double" or 'single' quoted strings with
 * C escapes, numbers, and [ lists ] that may span lines and nest.
 * docs/man/hvmkit.cfg.5 is the user's description; cli/README.md lists
 * where hvmkit deliberately differs from libxlu.
 */
#ifndef HVMKIT_CLI_XLCFG_H
#define HVMKIT_CLI_XLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* What command-line overrides are called in messages. */
#define XLCFG_COMMAND_LINE "<command line>"

enum xlcfg_kind {
	XLCFG_STRING,
	XLCFG_NUMBER,
	XLCFG_LIST,
};

struct xlcfg_value {
	enum xlcfg_kind kind;
	int line;                    /* where the value starts */
	char *text;                  /* STRING: decoded; NUMBER: as written */
	uint64_t number;             /* NUMBER */
	struct xlcfg_value **items;  /* LIST */
	size_t n_items;
};

struct xlcfg_setting {
	char *key;
	char *source;                /* file name or XLCFG_COMMAND_LINE */
	int line;                    /* line of the key */
	bool added;                  /* last set with += */
	struct xlcfg_value *value;
};

struct xlcfg {
	char *source;                /* the first source parsed (the file) */
	struct xlcfg_setting *settings;  /* first-seen order of the keys */
	size_t n_settings;
	size_t cap_settings;
};

void xlcfg_init(struct xlcfg *cfg);
void xlcfg_free(struct xlcfg *cfg);

/*
 * Parses len bytes of text named source, counting lines from first_line,
 * into cfg.  A key set again replaces the earlier value (the last one
 * wins, as in libxlu); "+=" appends to an earlier string or list.
 * Returns 0, or -1 with the first error in d as
 * "SOURCE:LINE: KEY: what is wrong" (without KEY when none is known).
 */
int xlcfg_parse(struct xlcfg *cfg, const char *source, int first_line,
		const char *text, size_t len, struct diag *d);

/* Reads and parses a whole file; errors as xlcfg_parse(). */
int xlcfg_parse_file(struct xlcfg *cfg, const char *path, struct diag *d);

/*
 * Parses the index-th (from 1) command-line override "KEY=VALUE" in the
 * same syntax, applied after the file; messages name
 * "<command line>:INDEX".
 */
int xlcfg_parse_override(struct xlcfg *cfg, const char *arg,
			 unsigned int index, struct diag *d);

/* Result of xlcfg_parse_number(). */
enum {
	XLCFG_NUM_OK,
	XLCFG_NUM_BAD,     /* not a decimal or 0x hex integer */
	XLCFG_NUM_OCTAL,   /* leading 0: octal in xl, refused here */
	XLCFG_NUM_RANGE,   /* above UINT64_MAX */
};

/* Parses a whole decimal or 0x hex number, the value syntax for numbers
 * (also used for numbers given as strings, which xl accepts). */
int xlcfg_parse_number(const char *s, uint64_t *out);
/* Why xlcfg_parse_number() failed, for messages. */
const char *xlcfg_number_error(int rc);

/* The setting of key, or NULL. */
const struct xlcfg_setting *xlcfg_find(const struct xlcfg *cfg,
				       const char *key);

#endif
