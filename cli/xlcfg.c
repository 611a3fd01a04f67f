/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xl.cfg-style configuration parser: a hand-written lexer and recursive-
 * descent parser for the grammar of Xen's libxlu (tools/libs/util/
 * libxlu_cfg_l.l and libxlu_cfg_y.y):
 *
 *   file  := { stmt }
 *   stmt  := NEWLINE | ';' | KEY ('=' | '+=') value (NEWLINE | ';' | EOF)
 *   value := STRING | NUMBER | '[' nl* [ value nl* { ',' nl* value nl* }
 *            [ ',' nl* ] ] ']'
 *
 * KEY is [a-z][a-z0-9._]* as libxlu's IDENT; NEWLINE includes a '#'
 * comment running to the end of the line.  Deliberate differences from
 * libxlu are listed in cli/README.md: the first error stops parsing (one
 * error line), numbers are checked here (decimal or 0x hex; a leading 0 is
 * refused because xl would read it as octal), "\xHH" and octal escapes
 * work as in C (libxlu's are broken), a carriage return before a newline
 * and a comment without a final newline are accepted.
 */
#define _GNU_SOURCE
#include "xlcfg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define MAX_FILE_SIZE  (1024 * 1024)
#define MAX_LIST_DEPTH 16
#define MAX_BAD_CHARS  40

enum tok_kind {
	T_EOF,
	T_NEWLINE,
	T_SEMI,
	T_KEY,
	T_NUMBER,
	T_STRING,
	T_LBRACKET,
	T_RBRACKET,
	T_COMMA,
	T_ASSIGN,
	T_ADD,
	T_WORD,    /* a word that is neither a key nor a number */
	T_BAD,     /* garbage, or a lexical error with why[] set */
};

struct token {
	enum tok_kind kind;
	int line;
	char *text;          /* KEY, NUMBER, STRING (decoded), WORD, BAD */
	char why[160];       /* BAD: a complete message, or empty */
};

struct parser {
	const char *p, *end;
	int line;
	const char *source;
	const char *key;     /* key of the statement being parsed */
	struct diag *d;
	struct token tok;
	struct xlcfg *cfg;
};

/* ------------------------------------------------------------ values */

static void value_free(struct xlcfg_value *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_items; i++)
		value_free(v->items[i]);
	free(v->items);
	free(v->text);
	free(v);
}

static void list_append(struct xlcfg_value *list, struct xlcfg_value *item)
{
	list->items = xrealloc(list->items,
			       (list->n_items + 1) * sizeof(*list->items));
	list->items[list->n_items++] = item;
}

int xlcfg_parse_number(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	unsigned int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1] >= '0' && s[1] <= '9') {
		return XLCFG_NUM_OCTAL;
	}
	if (!*s)
		return XLCFG_NUM_BAD;
	for (; *s; s++) {
		unsigned int digit;

		if (*s >= '0' && *s <= '9')
			digit = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			digit = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			digit = (unsigned int)(*s - 'A' + 10);
		else
			return XLCFG_NUM_BAD;
		if (v > (UINT64_MAX - digit) / base)
			return XLCFG_NUM_RANGE;
		v = v * base + digit;
	}
	*out = v;
	return XLCFG_NUM_OK;
}

const char *xlcfg_number_error(int rc)
{
	switch (rc) {
	case XLCFG_NUM_OCTAL:
		return "a leading 0 means octal in xl; write the number in "
		       "decimal or 0x hex";
	case XLCFG_NUM_RANGE:
		return "number too large";
	default:
		return "not a number (decimal or 0x hex integers only)";
	}
}

/* ------------------------------------------------------------- lexer */

static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static bool is_key(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.'))
			return false;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Sets the current token to a lexical error with a complete message. */
static void lex_error(struct parser *P, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void lex_error(struct parser *P, const char *fmt, ...)
{
	va_list ap;

	P->tok.kind = T_BAD;
	va_start(ap, fmt);
	vsnprintf(P->tok.why, sizeof(P->tok.why), fmt, ap);
	va_end(ap);
}

/* Pairs of escape letter and the character it stands for. */
static const char simple_escapes[] = "\"\"''\\\\??a\ab\bf\fn\nr\rt\tv\v";

/* Stores a numeric escape's value; false after a lexical error. */
static bool put_escaped(struct parser *P, char *out, size_t *n, int v)
{
	if (v > 0xff) {
		lex_error(P, "%s", "octal escape above \\377 in a string");
		return false;
	}
	if (!v) {
		lex_error(P, "%s", "a string cannot contain a NUL character");
		return false;
	}
	out[(*n)++] = (char)v;
	return true;
}

/* A quoted string starting at P->p; C escapes as listed in hvmkit.cfg(5). */
static void lex_string(struct parser *P)
{
	const char *e;
	char quote = *P->p++;
	char *out = xzalloc((size_t)(P->end - P->p) + 1);
	size_t n = 0;

	P->tok.text = out;
	for (;;) {
		char c;

		if (P->p == P->end || *P->p == '\n') {
			lex_error(P, "unterminated string (missing closing %s)",
				  quote == '"' ? "\"" : "'");
			return;
		}
		c = *P->p++;
		if (c == quote)
			break;
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		if (P->p == P->end || *P->p == '\n') {
			lex_error(P, "unterminated string (missing closing %s)",
				  quote == '"' ? "\"" : "'");
			return;
		}
		c = *P->p++;
		if (c && (e = strchr(simple_escapes, c)) &&
		    (e - simple_escapes) % 2 == 0) {
			out[n++] = e[1];
		} else if (c == 'x') {
			int v = 0, digits = 0, h;

			while (digits < 2 && P->p < P->end &&
			       (h = hex_digit(*P->p)) >= 0) {
				v = v * 16 + h;
				P->p++;
				digits++;
			}
			if (!digits) {
				lex_error(P, "%s", "'\\x' in a string needs "
					  "one or two hex digits");
				return;
			}
			if (!put_escaped(P, out, &n, v))
				return;
		} else if (c >= '0' && c <= '7') {
			int v = c - '0', digits = 1;

			while (digits < 3 && P->p < P->end &&
			       *P->p >= '0' && *P->p <= '7') {
				v = v * 8 + (*P->p++ - '0');
				digits++;
			}
			if (!put_escaped(P, out, &n, v))
				return;
		} else {
			char esc[8];

			if ((unsigned char)c > 0x20 && (unsigned char)c < 0x7f)
				snprintf(esc, sizeof(esc), "\\%c", c);
			else
				snprintf(esc, sizeof(esc), "\\x%02x",
					 (unsigned char)c);
			lex_error(P, "unknown escape '%s' in a string", esc);
			return;
		}
	}
	out[n] = '\0';
	P->tok.kind = T_STRING;
}

/* Reads the next token into P->tok (freeing the previous one's text). */
static void next(struct parser *P)
{
	struct token *t = &P->tok;
	const char *start;

	free(t->text);
	memset(t, 0, sizeof(*t));
	while (P->p < P->end &&
	       (*P->p == ' ' || *P->p == '\t' || *P->p == '\r'))
		P->p++;
	t->line = P->line;
	if (P->p == P->end) {
		t->kind = T_EOF;
		return;
	}
	if (*P->p == '#') {
		while (P->p < P->end && *P->p != '\n')
			P->p++;
		if (P->p == P->end) {
			t->kind = T_NEWLINE;
			return;
		}
	}
	start = P->p;
	switch (*P->p) {
	case '\n':
		P->p++;
		P->line++;
		t->kind = T_NEWLINE;
		return;
	case ';':
		P->p++;
		t->kind = T_SEMI;
		return;
	case '[':
		P->p++;
		t->kind = T_LBRACKET;
		return;
	case ']':
		P->p++;
		t->kind = T_RBRACKET;
		return;
	case ',':
		P->p++;
		t->kind = T_COMMA;
		return;
	case '=':
		P->p++;
		t->kind = T_ASSIGN;
		return;
	case '+':
		if (P->p + 1 < P->end && P->p[1] == '=') {
			P->p += 2;
			t->kind = T_ADD;
			return;
		}
		break;
	case '"':
	case '\'':
		lex_string(P);
		return;
	}
	if (is_word_char(*P->p) && *P->p != '.' && *P->p != '-') {
		while (P->p < P->end && is_word_char(*P->p))
			P->p++;
		t->text = xstrndup(start, (size_t)(P->p - start));
		if (is_key(t->text))
			t->kind = T_KEY;
		else if (*start >= '0' && *start <= '9')
			t->kind = T_NUMBER;
		else
			t->kind = T_WORD;
		return;
	}
	/* Garbage: like libxlu's lexer, show up to the next blank. */
	while (P->p < P->end && *P->p != ' ' && *P->p != '\t' &&
	       *P->p != '\n' && *P->p != '\r' && P->p - start < MAX_BAD_CHARS)
		P->p++;
	t->text = xstrndup(start, (size_t)(P->p - start));
	/* strndup stops at a NUL byte: show it rather than nothing. */
	if (!t->text[0]) {
		free(t->text);
		t->text = xstrndup("\\0", 2);
	}
	t->kind = T_BAD;
}

/* ------------------------------------------------------------ parser */

/* Describes the current token for "expected ..., got X" messages. */
static const char *describe(const struct token *t, char *buf, size_t len)
{
	switch (t->kind) {
	case T_EOF:
		return "end of file";
	case T_NEWLINE:
		return "end of line";
	case T_SEMI:
		return "';'";
	case T_LBRACKET:
		return "'['";
	case T_RBRACKET:
		return "']'";
	case T_COMMA:
		return "','";
	case T_ASSIGN:
		return "'='";
	case T_ADD:
		return "'+='";
	case T_STRING:
		return diag_quote(t->text, buf, len);
	default:
		/* Raw text in single quotes: 'lots', '%%%'. */
		diag_quote(t->text, buf, len);
		buf[0] = '\'';
		buf[strlen(buf) - 1] = '\'';
		return buf;
	}
}

static void perr(struct parser *P, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parser *P, int line, const char *fmt, ...)
{
	char msg[DIAG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (P->key)
		diag_error(P->d, "%s:%d: %s: %s", P->source, line, P->key,
			   msg);
	else
		diag_error(P->d, "%s:%d: %s", P->source, line, msg);
}

/* "expected WHAT, got X", or the lexer's own message. */
static void unexpected(struct parser *P, const char *what)
{
	char buf[96];

	if (P->tok.kind == T_BAD && P->tok.why[0])
		perr(P, P->tok.line, "%s", P->tok.why);
	else
		perr(P, P->tok.line, "expected %s, got %s", what,
		     describe(&P->tok, buf, sizeof(buf)));
}

static void skip_newlines(struct parser *P)
{
	while (P->tok.kind == T_NEWLINE)
		next(P);
}

static struct xlcfg_value *parse_value(struct parser *P, int depth);

static struct xlcfg_value *parse_list(struct parser *P, int depth)
{
	struct xlcfg_value *list = xzalloc(sizeof(*list));
	int open_line = P->tok.line;

	list->kind = XLCFG_LIST;
	list->line = open_line;
	if (depth >= MAX_LIST_DEPTH) {
		perr(P, open_line, "lists nested more than %d deep",
		     MAX_LIST_DEPTH);
		goto fail;
	}
	next(P);
	skip_newlines(P);
	while (P->tok.kind != T_RBRACKET) {
		struct xlcfg_value *item;

		if (P->tok.kind == T_EOF) {
			perr(P, open_line, "unterminated list (the '[' has "
			     "no ']')");
			goto fail;
		}
		item = parse_value(P, depth + 1);
		if (!item)
			goto fail;
		list_append(list, item);
		skip_newlines(P);
		if (P->tok.kind == T_COMMA) {
			next(P);
			skip_newlines(P);
		} else if (P->tok.kind == T_EOF) {
			perr(P, open_line, "unterminated list (the '[' has "
			     "no ']')");
			goto fail;
		} else if (P->tok.kind != T_RBRACKET) {
			unexpected(P, "',' or ']' in the list");
			goto fail;
		}
	}
	next(P);
	return list;
fail:
	value_free(list);
	return NULL;
}

static struct xlcfg_value *parse_value(struct parser *P, int depth)
{
	struct xlcfg_value *v;
	int rc;

	switch (P->tok.kind) {
	case T_LBRACKET:
		return parse_list(P, depth);
	case T_STRING:
	case T_NUMBER:
		v = xzalloc(sizeof(*v));
		v->line = P->tok.line;
		v->text = xstrdup(P->tok.text);
		if (P->tok.kind == T_STRING) {
			v->kind = XLCFG_STRING;
		} else {
			v->kind = XLCFG_NUMBER;
			rc = xlcfg_parse_number(v->text, &v->number);
			if (rc != XLCFG_NUM_OK) {
				char buf[96];

				perr(P, v->line, "%s: %s",
				     describe(&P->tok, buf, sizeof(buf)),
				     xlcfg_number_error(rc));
				value_free(v);
				return NULL;
			}
		}
		next(P);
		return v;
	case T_NEWLINE:
	case T_SEMI:
	case T_EOF:
		unexpected(P, "a value after '='");
		return NULL;
	case T_KEY:
	case T_WORD: {
		char buf[96];

		perr(P, P->tok.line, "expected a value (a quoted string, a "
		     "number or a [list]), got %s (strings need quotes)",
		     describe(&P->tok, buf, sizeof(buf)));
		return NULL;
	}
	default:
		unexpected(P, "a value (a quoted string, a number or a "
			   "[list])");
		return NULL;
	}
}

static struct xlcfg_setting *find_setting(struct xlcfg *cfg, const char *key)
{
	for (size_t i = 0; i < cfg->n_settings; i++)
		if (!strcmp(cfg->settings[i].key, key))
			return &cfg->settings[i];
	return NULL;
}

/* Joins v onto an earlier value for "+=", as libxlu's concat_vals. */
static int add_to(struct parser *P, struct xlcfg_setting *s,
		  struct xlcfg_value *v, int line)
{
	struct xlcfg_value *old = s->value;

	if (old->kind == XLCFG_NUMBER || v->kind == XLCFG_NUMBER) {
		perr(P, line, "'+=' does not work with numbers");
		return -1;
	}
	if (old->kind != v->kind) {
		perr(P, line, "'+=' cannot add a %s to a %s",
		     v->kind == XLCFG_LIST ? "list" : "string",
		     old->kind == XLCFG_LIST ? "list" : "string");
		return -1;
	}
	if (v->kind == XLCFG_LIST) {
		for (size_t i = 0; i < v->n_items; i++)
			list_append(old, v->items[i]);
		v->n_items = 0;
	} else {
		size_t a = strlen(old->text), b = strlen(v->text);

		old->text = xrealloc(old->text, a + b + 1);
		memcpy(old->text + a, v->text, b + 1);
	}
	value_free(v);
	return 0;
}

static int store(struct parser *P, const char *key, bool add,
		 struct xlcfg_value *v, int line)
{
	struct xlcfg *cfg = P->cfg;
	struct xlcfg_setting *s = find_setting(cfg, key);

	if (s && add) {
		if (add_to(P, s, v, line) < 0)
			return -1;
	} else if (s) {
		/* The last one wins, as libxlu's find() sees the newest. */
		value_free(s->value);
		s->value = v;
	} else {
		if (add && v->kind == XLCFG_NUMBER) {
			perr(P, line, "'+=' does not work with numbers");
			return -1;
		}
		if (cfg->n_settings == cfg->cap_settings) {
			cfg->cap_settings = cfg->cap_settings ?
				cfg->cap_settings * 2 : 16;
			cfg->settings = xrealloc(cfg->settings,
				cfg->cap_settings * sizeof(*cfg->settings));
		}
		s = &cfg->settings[cfg->n_settings++];
		memset(s, 0, sizeof(*s));
		s->key = xstrdup(key);
		s->value = v;
	}
	free(s->source);
	s->source = xstrdup(P->source);
	s->line = line;
	s->added = add;
	return 0;
}

/* One statement; returns 1 at the end of the text, 0, or -1 on error. */
static int parse_statement(struct parser *P)
{
	struct xlcfg_value *v;
	char *key;
	bool add;
	int line, rc;

	P->key = NULL;
	switch (P->tok.kind) {
	case T_EOF:
		return 1;
	case T_NEWLINE:
	case T_SEMI:
		next(P);
		return 0;
	case T_KEY:
		break;
	case T_WORD:
	case T_NUMBER: {
		char buf[96];

		perr(P, P->tok.line, "%s is not a valid key (keys are "
		     "lowercase letters, digits, '_' and '.', starting with "
		     "a letter)", describe(&P->tok, buf, sizeof(buf)));
		return -1;
	}
	default:
		unexpected(P, "a setting (KEY = VALUE)");
		return -1;
	}
	key = P->tok.text;
	P->tok.text = NULL;
	line = P->tok.line;
	P->key = key;
	next(P);
	if (P->tok.kind != T_ASSIGN && P->tok.kind != T_ADD) {
		unexpected(P, "'=' after the key");
		free(key);
		return -1;
	}
	add = P->tok.kind == T_ADD;
	next(P);
	v = parse_value(P, 0);
	if (!v) {
		free(key);
		return -1;
	}
	if (P->tok.kind != T_NEWLINE && P->tok.kind != T_SEMI &&
	    P->tok.kind != T_EOF) {
		unexpected(P, "a new line or ';' after the value");
		value_free(v);
		free(key);
		return -1;
	}
	rc = store(P, key, add, v, line);
	if (rc < 0)
		value_free(v);
	free(key);
	return rc;
}

void xlcfg_init(struct xlcfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

void xlcfg_free(struct xlcfg *cfg)
{
	for (size_t i = 0; i < cfg->n_settings; i++) {
		free(cfg->settings[i].key);
		free(cfg->settings[i].source);
		value_free(cfg->settings[i].value);
	}
	free(cfg->settings);
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}

int xlcfg_parse(struct xlcfg *cfg, const char *source, int first_line,
		const char *text, size_t len, struct diag *d)
{
	struct parser P = {
		.p = text,
		.end = text + len,
		.line = first_line,
		.source = source,
		.d = d,
		.cfg = cfg,
	};
	int rc;

	if (!cfg->source)
		cfg->source = xstrdup(source);
	next(&P);
	while ((rc = parse_statement(&P)) == 0)
		;
	free(P.tok.text);
	return rc < 0 ? -1 : 0;
}

int xlcfg_parse_file(struct xlcfg *cfg, const char *path, struct diag *d)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		diag_error(d, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		diag_error(d, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		diag_error(d, "%s: is a directory, not a configuration file",
			   path);
		close(fd);
		return -1;
	}
	buf = xzalloc(MAX_FILE_SIZE + 1);
	/* Read up to one byte past the limit to tell "too large". */
	while (got <= MAX_FILE_SIZE &&
	       (n = read(fd, buf + got, MAX_FILE_SIZE + 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			diag_error(d, "%s: %s", path, strerror(errno));
			close(fd);
			free(buf);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	if (got > MAX_FILE_SIZE) {
		diag_error(d, "%s: too large for a configuration file (more "
			   "than %d bytes)", path, MAX_FILE_SIZE);
		free(buf);
		return -1;
	}
	rc = xlcfg_parse(cfg, path, 1, buf, got, d);
	free(buf);
	return rc;
}

int xlcfg_parse_override(struct xlcfg *cfg, const char *arg,
			 unsigned int index, struct diag *d)
{
	return xlcfg_parse(cfg, XLCFG_COMMAND_LINE, (int)index, arg,
			   strlen(arg), d);
}

const struct xlcfg_setting *xlcfg_find(const struct xlcfg *cfg,
				       const char *key)
{
	return find_setting((struct xlcfg *)cfg, key);
}
