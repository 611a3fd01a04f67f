/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for the hvmkit CLI's xl.cfg parser (cli/xlcfg.c) and the
 * domain-config mapping (cli/domain-config.c): the grammar, command-line
 * overrides, the exact error line for each kind of malformed file, and
 * every key's defaults, accepted and refused values.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "domain-config.h"
#include "xlcfg.h"

#define SRC "guest.cfg"

/* A firmware image, and stand-ins for the SeaBIOS and OVMF packages. */
static char fw_path[64], seabios_path[64], ovmf_path[64];
static char warnings[2048];
static struct xlcfg cfg;
static struct diag d;
static struct domain_config dc;

static void collect_warning(void *opaque, const char *msg)
{
	(void)opaque;
	strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

static int make_file(char *path, size_t len, const char *tag)
{
	int fd;

	snprintf(path, len, "/tmp/hvmkit-test-%s.XXXXXX", tag);
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, "x", 1) != 1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (make_file(fw_path, sizeof(fw_path), "fw") < 0 ||
	    make_file(seabios_path, sizeof(seabios_path), "seabios") < 0 ||
	    make_file(ovmf_path, sizeof(ovmf_path), "ovmf") < 0)
		return -1;
	domain_seabios_path = seabios_path;
	domain_ovmf_path = ovmf_path;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(fw_path);
	unlink(seabios_path);
	unlink(ovmf_path);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	xlcfg_init(&cfg);
	memset(&d, 0, sizeof(d));
	d.warn = collect_warning;
	warnings[0] = '\0';
	memset(&dc, 0, sizeof(dc));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	xlcfg_free(&cfg);
	domain_config_free(&dc);
	return 0;
}

static int parse(const char *text)
{
	return xlcfg_parse(&cfg, SRC, 1, text, strlen(text), &d);
}

/* Parses text, expecting exactly the error line want. */
static void expect_parse_error(const char *text, const char *want)
{
	assert_int_equal(parse(text), -1);
	assert_string_equal(d.error, want);
}

static const struct xlcfg_value *value_of(const char *key)
{
	const struct xlcfg_setting *s = xlcfg_find(&cfg, key);

	assert_non_null(s);
	return s->value;
}

static void assert_string_value(const char *key, const char *want)
{
	const struct xlcfg_value *v = value_of(key);

	assert_int_equal(v->kind, XLCFG_STRING);
	assert_string_equal(v->text, want);
}

static void assert_number_value(const char *key, uint64_t want)
{
	const struct xlcfg_value *v = value_of(key);

	assert_int_equal(v->kind, XLCFG_NUMBER);
	assert_int_equal(v->number, want);
}

/* A minimal valid configuration plus extra lines. */
static int load(const char *extra)
{
	char text[1024];

	snprintf(text, sizeof(text), "name = \"g\"\nfirmware = \"%s\"\n%s",
		 fw_path, extra);
	if (parse(text) < 0)
		return -1;
	return domain_config_load(&dc, &cfg, &d);
}

/* Loads extra after the minimal lines (which are lines 1 and 2),
 * expecting exactly the error line want. */
static void expect_load_error(const char *extra, const char *want)
{
	assert_int_equal(load(extra), -1);
	assert_string_equal(d.error, want);
}

/* ------------------------------------------------------------ grammar */

static void test_double_quoted_escapes(void **state)
{
	(void)state;
	assert_int_equal(parse("a = \"q\\\"b\\\\s\\tt\\nn\\rr\\aa\\bb\\ff"
			       "\\vv\\'\\?\"\n"), 0);
	assert_string_value("a", "q\"b\\s\tt\nn\rr\aa\bb\ff\vv'?");
}

static void test_numeric_escapes(void **state)
{
	(void)state;
	assert_int_equal(parse("a = \"\\x41\\x4a\\x7z\\101\\7\\1234\"\n"), 0);
	assert_string_value("a", "AJ\x07zA\x07S4");
}

static void test_single_quoted_string(void **state)
{
	(void)state;
	assert_int_equal(parse("a = 'say \"hi\"'\nb = 'it\\'s'\nc = \"\"\n"),
			 0);
	assert_string_value("a", "say \"hi\"");
	assert_string_value("b", "it's");
	assert_string_value("c", "");
}

static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(parse("a = 0\nb = 512\nc = 0x1F\nd = 0XfF\n"
			       "e = 18446744073709551615\n"), 0);
	assert_number_value("a", 0);
	assert_number_value("b", 512);
	assert_number_value("c", 31);
	assert_number_value("d", 255);
	assert_number_value("e", UINT64_MAX);
	assert_string_equal(value_of("c")->text, "0x1F");
}

static void test_list_over_lines(void **state)
{
	const struct xlcfg_value *v;

	(void)state;
	assert_int_equal(parse("disk = [\n"
			       "  'a',   # first\n"
			       "\n"
			       "  \"b\"\n"
			       "  , 3,\n"
			       "]\n"
			       "after = 1\n"), 0);
	v = value_of("disk");
	assert_int_equal(v->kind, XLCFG_LIST);
	assert_int_equal(v->line, 1);
	assert_int_equal(v->n_items, 3);
	assert_string_equal(v->items[0]->text, "a");
	assert_int_equal(v->items[0]->line, 2);
	assert_string_equal(v->items[1]->text, "b");
	assert_int_equal(v->items[1]->line, 4);
	assert_int_equal(v->items[2]->kind, XLCFG_NUMBER);
	assert_int_equal(v->items[2]->number, 3);
	assert_int_equal(xlcfg_find(&cfg, "after")->line, 7);
}

static void test_empty_and_nested_lists(void **state)
{
	const struct xlcfg_value *v;

	(void)state;
	assert_int_equal(parse("a = []\nb = [ [1, 2], [], 'x' ]\n"), 0);
	assert_int_equal(value_of("a")->kind, XLCFG_LIST);
	assert_int_equal(value_of("a")->n_items, 0);
	v = value_of("b");
	assert_int_equal(v->n_items, 3);
	assert_int_equal(v->items[0]->kind, XLCFG_LIST);
	assert_int_equal(v->items[0]->n_items, 2);
	assert_int_equal(v->items[1]->n_items, 0);
	assert_string_equal(v->items[2]->text, "x");
}

static void test_comments_semicolons_blank_lines(void **state)
{
	(void)state;
	assert_int_equal(parse("# a comment\n"
			       "\n"
			       "a = 1; b = 'two' ;; c=3# trailing\n"
			       "   ;\n"
			       "d = '#not a comment'\n"
			       "e = 5 # no newline at the end"), 0);
	assert_number_value("a", 1);
	assert_string_value("b", "two");
	assert_number_value("c", 3);
	assert_string_value("d", "#not a comment");
	assert_number_value("e", 5);
	assert_int_equal(xlcfg_find(&cfg, "c")->line, 3);
	assert_int_equal(cfg.n_settings, 5);
}

static void test_last_statement_needs_no_newline(void **state)
{
	(void)state;
	assert_int_equal(parse("name = 'x'"), 0);
	assert_string_value("name", "x");
}

static void test_crlf_line_ends(void **state)
{
	(void)state;
	assert_int_equal(parse("a = 1\r\nb = 'x'\r\n"), 0);
	assert_number_value("a", 1);
	assert_string_value("b", "x");
	assert_int_equal(xlcfg_find(&cfg, "b")->line, 2);
}

static void test_key_characters(void **state)
{
	(void)state;
	assert_int_equal(parse("on_poweroff = 'destroy'\nx.y_z9 = 1\n"), 0);
	assert_string_value("on_poweroff", "destroy");
	assert_number_value("x.y_z9", 1);
}

static void test_duplicate_key_last_wins(void **state)
{
	const struct xlcfg_setting *s;

	(void)state;
	assert_int_equal(parse("memory = 256\nname = 'a'\nmemory = 512\n"), 0);
	assert_int_equal(cfg.n_settings, 2);
	s = xlcfg_find(&cfg, "memory");
	assert_int_equal(s->value->number, 512);
	assert_int_equal(s->line, 3);
}

static void test_plus_equals(void **state)
{
	(void)state;
	assert_int_equal(parse("extra = 'a'\nextra += 'b'\n"
			       "disk = ['x']\ndisk += ['y', 'z']\n"
			       "fresh += 'only'\n"), 0);
	assert_string_value("extra", "ab");
	assert_int_equal(value_of("disk")->n_items, 3);
	assert_string_equal(value_of("disk")->items[2]->text, "z");
	assert_string_value("fresh", "only");
	assert_true(xlcfg_find(&cfg, "fresh")->added);
}

static void test_plus_equals_errors(void **state)
{
	(void)state;
	expect_parse_error("a = 'x'\na += ['y']\n",
			   SRC ":2: a: '+=' cannot add a list to a string");
}

static void test_plus_equals_number(void **state)
{
	(void)state;
	expect_parse_error("memory += 5\n",
			   SRC ":1: memory: '+=' does not work with numbers");
}

static void test_overrides_after_file(void **state)
{
	(void)state;
	assert_int_equal(parse("name = 'a'\nmemory = 256\n"), 0);
	assert_int_equal(xlcfg_parse_override(&cfg, "memory=512", 1, &d), 0);
	assert_int_equal(xlcfg_parse_override(&cfg, "name = \"b\"", 2, &d),
			 0);
	assert_int_equal(xlcfg_parse_override(&cfg, "serial=['pty']", 3, &d),
			 0);
	assert_number_value("memory", 512);
	assert_string_value("name", "b");
	assert_string_equal(xlcfg_find(&cfg, "memory")->source,
			    XLCFG_COMMAND_LINE);
	assert_string_equal(cfg.source, SRC);
}

static void test_override_error_names_command_line(void **state)
{
	(void)state;
	assert_int_equal(parse("name = 'a'\n"), 0);
	assert_int_equal(xlcfg_parse_override(&cfg, "vcpus=2", 1, &d), 0);
	assert_int_equal(xlcfg_parse_override(&cfg, "name=web", 2, &d), -1);
	assert_string_equal(d.error, "<command line>:2: name: expected a "
			    "value (a quoted string, a number or a [list]), "
			    "got 'web' (strings need quotes)");
}

/* ------------------------------------------------------ malformed files */

static void test_unterminated_string(void **state)
{
	(void)state;
	expect_parse_error("memory = 5\nname = \"abc\nvcpus = 1\n",
			   SRC ":2: name: unterminated string (missing "
			   "closing \")");
}

static void test_unterminated_string_at_eof(void **state)
{
	(void)state;
	expect_parse_error("name = 'abc\\'",
			   SRC ":1: name: unterminated string (missing "
			   "closing ')");
}

static void test_missing_equals(void **state)
{
	(void)state;
	expect_parse_error("# comment\nmemory 512\n",
			   SRC ":2: memory: expected '=' after the key, got "
			   "'512'");
}

static void test_missing_value(void **state)
{
	(void)state;
	expect_parse_error("name =\n",
			   SRC ":1: name: expected a value after '=', got end "
			   "of line");
}

static void test_bad_number(void **state)
{
	(void)state;
	expect_parse_error("memory = 12G\n",
			   SRC ":1: memory: '12G': not a number (decimal or "
			   "0x hex integers only)");
}

static void test_fraction_is_bad_number(void **state)
{
	(void)state;
	expect_parse_error("a = 1\n\nmemory = 1.5\n",
			   SRC ":3: memory: '1.5': not a number (decimal or "
			   "0x hex integers only)");
}

static void test_octal_number_refused(void **state)
{
	(void)state;
	expect_parse_error("vcpus = 010\n",
			   SRC ":1: vcpus: '010': a leading 0 means octal in "
			   "xl; write the number in decimal or 0x hex");
}

static void test_number_too_large(void **state)
{
	(void)state;
	expect_parse_error("memory = 18446744073709551616\n",
			   SRC ":1: memory: '18446744073709551616': number "
			   "too large");
}

static void test_empty_hex_number(void **state)
{
	(void)state;
	expect_parse_error("memory = 0x\n",
			   SRC ":1: memory: '0x': not a number (decimal or 0x "
			   "hex integers only)");
}

static void test_unterminated_list(void **state)
{
	(void)state;
	expect_parse_error("name = 'a'\nserial = [ 'pty',\n  'x'\n",
			   SRC ":2: serial: unterminated list (the '[' has no "
			   "']')");
}

static void test_list_missing_comma(void **state)
{
	(void)state;
	expect_parse_error("disk = [ 'a'\n 'b' ]\n",
			   SRC ":2: disk: expected ',' or ']' in the list, got "
			   "\"b\"");
}

static void test_list_leading_comma(void **state)
{
	(void)state;
	expect_parse_error("disk = [ , 'a' ]\n",
			   SRC ":1: disk: expected a value (a quoted string, "
			   "a number or a [list]), got ','");
}

static void test_list_nested_too_deep(void **state)
{
	(void)state;
	expect_parse_error("a = [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]\n",
			   SRC ":1: a: lists nested more than 16 deep");
}

static void test_garbage(void **state)
{
	(void)state;
	expect_parse_error("name = 'a'\n%%% junk\n",
			   SRC ":2: expected a setting (KEY = VALUE), got "
			   "'%%%'");
}

static void test_python_expression(void **state)
{
	(void)state;
	expect_parse_error("memory = 512 * 2\n",
			   SRC ":1: memory: expected a new line or ';' after "
			   "the value, got '*'");
}

static void test_uppercase_key(void **state)
{
	(void)state;
	expect_parse_error("Memory = 512\n",
			   SRC ":1: 'Memory' is not a valid key (keys are "
			   "lowercase letters, digits, '_' and '.', starting "
			   "with a letter)");
}

static void test_two_statements_on_a_line(void **state)
{
	(void)state;
	expect_parse_error("a = 1 b = 2\n",
			   SRC ":1: a: expected a new line or ';' after the "
			   "value, got 'b'");
}

static void test_bare_word_value(void **state)
{
	(void)state;
	expect_parse_error("builder = hvm\n",
			   SRC ":1: builder: expected a value (a quoted "
			   "string, a number or a [list]), got 'hvm' (strings "
			   "need quotes)");
}

static void test_unknown_escape(void **state)
{
	(void)state;
	expect_parse_error("name = \"a\\qb\"\n",
			   SRC ":1: name: unknown escape '\\q' in a string");
}

static void test_nul_escape(void **state)
{
	(void)state;
	expect_parse_error("name = 'a\\0'\n",
			   SRC ":1: name: a string cannot contain a NUL "
			   "character");
}

static void test_hex_escape_without_digits(void **state)
{
	(void)state;
	expect_parse_error("name = 'a\\xg'\n",
			   SRC ":1: name: '\\x' in a string needs one or two "
			   "hex digits");
}

static void test_nul_byte_in_file(void **state)
{
	(void)state;
	assert_int_equal(xlcfg_parse(&cfg, SRC, 1, "a = 1\n\0", 7, &d), -1);
	assert_string_equal(d.error, SRC ":2: expected a setting (KEY = "
			    "VALUE), got '\\\\0'");
}

static void test_empty_file(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(cfg.n_settings, 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), -1);
	assert_string_equal(d.error, SRC ": the configuration is empty (name "
			    "= \"...\" and firmware = \"...\" or bios = "
			    "\"...\" are needed)");
}

static void test_comments_only_file(void **state)
{
	(void)state;
	assert_int_equal(parse("# nothing\n\n;\n"), 0);
	assert_int_equal(cfg.n_settings, 0);
}

static void test_missing_file(void **state)
{
	(void)state;
	assert_int_equal(xlcfg_parse_file(&cfg, "/nonexistent/guest.cfg", &d),
			 -1);
	assert_string_equal(d.error, "/nonexistent/guest.cfg: No such file "
			    "or directory");
}

static void test_directory_as_file(void **state)
{
	(void)state;
	assert_int_equal(xlcfg_parse_file(&cfg, "/", &d), -1);
	assert_string_equal(d.error, "/: is a directory, not a configuration "
			    "file");
}

static void test_parse_file(void **state)
{
	char path[] = "/tmp/hvmkit-test-cfg.XXXXXX";
	const char text[] = "name = 'f'\n\nmemory = oops\n";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(xlcfg_parse_file(&cfg, path, &d), -1);
	unlink(path);
	assert_non_null(strstr(d.error, ":3: memory: expected a value"));
	assert_int_equal(strncmp(d.error, path, strlen(path)), 0);
}

/* ----------------------------------------------------- domain mapping */

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(load(""), 0);
	assert_string_equal(dc.name, "g");
	assert_int_equal(dc.memory_mib, 128);
	assert_int_equal(dc.vcpus, 1);
	assert_string_equal(dc.serial, "pty");
	assert_string_equal(dc.on_poweroff, "destroy");
	assert_string_equal(dc.on_reboot, "restart");
	assert_string_equal(dc.on_crash, "destroy");
	assert_string_equal(dc.firmware, fw_path);
	assert_string_equal(warnings, "");
}

static void test_memory_and_vcpus(void **state)
{
	(void)state;
	assert_int_equal(load("memory = 0x200\nmaxmem = 512\nvcpus = 4\n"
			      "maxvcpus = 4\n"), 0);
	assert_int_equal(dc.memory_mib, 512);
	assert_int_equal(dc.vcpus, 4);
}

static void test_number_given_as_string(void **state)
{
	(void)state;
	assert_int_equal(load("memory = \"256\"\n"), 0);
	assert_int_equal(dc.memory_mib, 256);
}

static void test_memory_not_a_number(void **state)
{
	(void)state;
	expect_load_error("memory = \"lots\"\n",
			  SRC ":3: memory: expected a number, got \"lots\"");
}

static void test_memory_list(void **state)
{
	(void)state;
	expect_load_error("memory = [512]\n",
			  SRC ":3: memory: expected a number, got a list");
}

static void test_memory_range(void **state)
{
	(void)state;
	expect_load_error("memory = 1\n",
			  SRC ":3: memory: 1 is out of range (2 to 1048576 "
			  "MiB)");
}

static void test_maxmem_must_equal_memory(void **state)
{
	(void)state;
	expect_load_error("memory = 256\nmaxmem = 512\n",
			  SRC ":4: maxmem: must equal memory (256): "
			  "ballooning is not supported yet");
}

static void test_vcpus_range(void **state)
{
	(void)state;
	expect_load_error("vcpus = 256\n",
			  SRC ":3: vcpus: 256 is out of range (1 to 255)");
}

static void test_vcpus_zero(void **state)
{
	(void)state;
	expect_load_error("vcpus = 0\n",
			  SRC ":3: vcpus: 0 is out of range (1 to 255)");
}

static void test_maxvcpus_must_equal_vcpus(void **state)
{
	(void)state;
	expect_load_error("vcpus = 2\nmaxvcpus = 4\n",
			  SRC ":4: maxvcpus: must equal vcpus (2): vCPU "
			  "hot-plug is not supported yet");
}

static void test_plus_equals_on_number_key(void **state)
{
	(void)state;
	expect_load_error("memory += '256'\n",
			  SRC ":3: memory: '+=' does not work with numbers");
}

static void test_name_missing(void **state)
{
	char text[256];

	(void)state;
	snprintf(text, sizeof(text), "firmware = '%s'\n", fw_path);
	assert_int_equal(parse(text), 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), -1);
	assert_string_equal(d.error, SRC ": name: not set (every domain needs "
			    "name = \"...\")");
}

static void test_name_invalid(void **state)
{
	(void)state;
	expect_load_error("name = 'my vm'\n",
			  SRC ":3: name: \"my vm\" is not a valid domain name "
			  "(letters, digits, '.', '_', '-', at most 64, not "
			  "starting with '.' or '-')");
}

static void test_name_rules(void **state)
{
	char long_name[66];

	(void)state;
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	assert_true(domain_name_valid("web-1.example_2"));
	assert_false(domain_name_valid(long_name));
	long_name[64] = '\0';
	assert_true(domain_name_valid(long_name));
	assert_false(domain_name_valid(""));
	assert_false(domain_name_valid("-x"));
	assert_false(domain_name_valid(".x"));
	assert_false(domain_name_valid("a/b"));
	assert_false(domain_name_valid("a b"));
}

static void test_builder_and_type(void **state)
{
	(void)state;
	assert_int_equal(load("builder = 'hvm'\ntype = \"hvm\"\n"), 0);
}

static void test_builder_not_hvm(void **state)
{
	(void)state;
	expect_load_error("builder = 'generic'\n",
			  SRC ":3: builder: \"generic\" is not supported (only "
			  "\"hvm\")");
}

static void test_type_pv(void **state)
{
	(void)state;
	expect_load_error("type = 'pv'\n",
			  SRC ":3: type: \"pv\" is not supported (only "
			  "\"hvm\")");
}

static void test_firmware_missing_file(void **state)
{
	(void)state;
	expect_load_error("firmware = '/nonexistent/bios.bin'\n",
			  SRC ":3: firmware: /nonexistent/bios.bin: No such "
			  "file or directory");
}

static void test_firmware_path_stays_one_line(void **state)
{
	(void)state;
	expect_load_error("firmware = 'no\\nsuch'\n",
			  SRC ":3: firmware: \"no\\nsuch\": No such file or "
			  "directory");
}

static void test_firmware_directory(void **state)
{
	(void)state;
	expect_load_error("firmware = '/tmp'\n",
			  SRC ":3: firmware: /tmp: not a regular file");
}

static void test_firmware_not_set(void **state)
{
	(void)state;
	assert_int_equal(parse("name = 'g'\n"), 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), -1);
	assert_string_equal(d.error, SRC ": firmware: not set (give firmware "
			    "= \"PATH\", or bios = \"seabios\" or \"ovmf\")");
}

static void test_bios_seabios_and_ovmf(void **state)
{
	(void)state;
	assert_int_equal(parse("name = 'g'\nbios = 'seabios'\n"), 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), 0);
	assert_string_equal(dc.firmware, seabios_path);
	domain_config_free(&dc);
	assert_int_equal(xlcfg_parse_override(&cfg, "bios='ovmf'", 1, &d), 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), 0);
	assert_string_equal(dc.firmware, ovmf_path);
}

static void test_firmware_xl_names(void **state)
{
	(void)state;
	assert_int_equal(parse("name = 'g'\nfirmware = 'uefi'\n"), 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), 0);
	assert_string_equal(dc.firmware, ovmf_path);
}

static void test_firmware_takes_precedence(void **state)
{
	(void)state;
	assert_int_equal(load("bios = 'ovmf'\n"), 0);
	assert_string_equal(dc.firmware, fw_path);
}

static void test_bios_unknown(void **state)
{
	(void)state;
	expect_load_error("bios = 'award'\n",
			  SRC ":3: bios: \"award\" is not a BIOS hvmkit knows "
			  "(seabios or ovmf; firmware = \"PATH\" takes an "
			  "image)");
}

static void test_bios_rombios(void **state)
{
	(void)state;
	expect_load_error("bios = 'rombios'\n",
			  SRC ":3: bios: \"rombios\" is not supported yet "
			  "(seabios or ovmf)");
}

static void test_bios_package_missing(void **state)
{
	(void)state;
	domain_ovmf_path = "/nonexistent/OVMF.fd";
	assert_int_equal(parse("name = 'g'\nbios = 'ovmf'\n"), 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), -1);
	domain_ovmf_path = ovmf_path;
	assert_string_equal(d.error, SRC ":2: bios: \"ovmf\" needs "
			    "/nonexistent/OVMF.fd: No such file or directory "
			    "(is the ovmf package installed?)");
}

static void test_serial_forms(void **state)
{
	(void)state;
	assert_int_equal(load("serial = 'none'\n"), 0);
	assert_string_equal(dc.serial, "none");
	domain_config_free(&dc);
	assert_int_equal(xlcfg_parse_override(&cfg, "serial=['stdio']", 1,
					      &d), 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), 0);
	assert_string_equal(dc.serial, "stdio");
	domain_config_free(&dc);
	assert_int_equal(xlcfg_parse_override(&cfg, "serial=[]", 2, &d), 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), 0);
	assert_string_equal(dc.serial, "none");
	domain_config_free(&dc);
	assert_int_equal(xlcfg_parse_override(&cfg, "serial='unix:/run/s'",
					      3, &d), 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), 0);
	assert_string_equal(dc.serial, "unix:/run/s");
}

static void test_serial_relative_path(void **state)
{
	char *cwd = getcwd(NULL, 0), want[4200];

	(void)state;
	assert_non_null(cwd);
	snprintf(want, sizeof(want), "file:%s/out.txt", cwd);
	free(cwd);
	assert_int_equal(load("serial = 'file:out.txt'\n"), 0);
	assert_string_equal(dc.serial, want);
}

static void test_serial_two_ports(void **state)
{
	(void)state;
	expect_load_error("serial = [ 'pty', 'file:/tmp/x' ]\n",
			  SRC ":3: serial: only one serial port supported");
}

static void test_serial_unsupported_backend(void **state)
{
	(void)state;
	expect_load_error("serial = 'tcp:localhost:4555'\n",
			  SRC ":3: serial: \"tcp:localhost:4555\" is not "
			  "supported (none, stdio, pty, file:PATH or "
			  "unix:PATH)");
}

static void test_serial_empty_path(void **state)
{
	(void)state;
	expect_load_error("serial = 'file:'\n",
			  SRC ":3: serial: \"file:\" needs a path after ':'");
}

static void test_serial_options(void **state)
{
	(void)state;
	expect_load_error("serial = 'unix:/tmp/s,server,nowait'\n",
			  SRC ":3: serial: \"unix:/tmp/s,server,nowait\": "
			  "options after ',' are not supported");
}

static void test_actions(void **state)
{
	(void)state;
	assert_int_equal(load("on_poweroff = 'restart'\n"
			      "on_reboot = 'destroy'\n"
			      "on_crash = 'preserve'\n"), 0);
	assert_string_equal(dc.on_poweroff, "restart");
	assert_string_equal(dc.on_reboot, "destroy");
	assert_string_equal(dc.on_crash, "preserve");
}

static void test_action_xl_only(void **state)
{
	(void)state;
	expect_load_error("on_crash = 'coredump-restart'\n",
			  SRC ":3: on_crash: \"coredump-restart\" is not "
			  "supported yet (use destroy or restart or "
			  "preserve)");
}

static void test_action_preserve_on_poweroff(void **state)
{
	(void)state;
	expect_load_error("on_poweroff = 'preserve'\n",
			  SRC ":3: on_poweroff: \"preserve\" is not supported "
			  "yet (use destroy or restart)");
}

static void test_action_unknown(void **state)
{
	(void)state;
	expect_load_error("on_reboot = 'explode'\n",
			  SRC ":3: on_reboot: \"explode\" is not an action "
			  "(destroy or restart)");
}

static void test_unsupported_key(void **state)
{
	(void)state;
	expect_load_error("vif = [ 'bridge=xenbr0' ]\n",
			  SRC ":3: vif: not supported yet");
}

static void test_unsupported_key_turned_on(void **state)
{
	(void)state;
	expect_load_error("vnc = 1\n", SRC ":3: vnc: not supported yet");
}

static void test_unsupported_keys_off(void **state)
{
	(void)state;
	assert_int_equal(load("vnc = 0\nsdl = '0'\nvif = []\nkernel = ''\n"
			      "vga = 'none'\nusb = 0\n"), 0);
	assert_string_equal(warnings, "");
}

static void test_always_on_features(void **state)
{
	(void)state;
	assert_int_equal(load("pae = 1\napic = 1\nnx = 1\n"), 0);
}

static void test_always_on_feature_off(void **state)
{
	(void)state;
	expect_load_error("pae = 0\n",
			  SRC ":3: pae: turning it off is not supported yet");
}

static void test_unknown_key_warning(void **state)
{
	(void)state;
	assert_int_equal(load("frobnicate = 1\nmemroy = 64\n"), 0);
	assert_string_equal(warnings,
			    SRC ":3: frobnicate: unknown key, ignored\n"
			    SRC ":4: memroy: unknown key, ignored (did you "
			    "mean 'memory'?)\n");
	assert_int_equal(dc.memory_mib, 128);
}

static void test_string_where_list_or_string(void **state)
{
	(void)state;
	expect_load_error("name = ['a']\n",
			  SRC ":3: name: expected a string, got a list");
}

static void test_number_as_name(void **state)
{
	(void)state;
	assert_int_equal(load("name = 42\n"), 0);
	assert_string_equal(dc.name, "42");
}

static void test_override_error_in_mapping(void **state)
{
	(void)state;
	assert_int_equal(load(""), 0);
	domain_config_free(&dc);
	assert_int_equal(xlcfg_parse_override(&cfg, "vcpus=1", 1, &d), 0);
	assert_int_equal(xlcfg_parse_override(&cfg, "memory='lots'", 2, &d),
			 0);
	assert_int_equal(domain_config_load(&dc, &cfg, &d), -1);
	assert_string_equal(d.error, "<command line>:2: memory: expected a "
			    "number, got \"lots\"");
}

/* ------------------------------------------------------------- disks */

/* The --disk arguments of argv joined with '|'. */
static void disk_args(char *got, size_t len)
{
	struct launch_params lp = {
		.hypervisor = "/bin/hv", .control_socket = "/s", .ready_fd = -1,
	};
	char **argv = domain_config_argv(&dc, &lp);

	assert_non_null(argv);
	got[0] = '\0';
	for (char **a = argv; *a; a++) {
		if (strcmp(*a, "--disk"))
			continue;
		assert_non_null(a[1]);
		strncat(got, a[1], len - strlen(got) - 2);
		strcat(got, "|");
	}
	argv_free(argv);
}

static void test_disk_forms(void **state)
{
	char text[600], want[700], got[1000];

	(void)state;
	snprintf(text, sizeof(text),
		 "disk = [ '%s,raw,hda,rw',\n"
		 "         'format=raw, vdev=hdb, access=ro, target=%s',\n"
		 "         ',hdc:cdrom,r',\n"
		 "         'vdev=hdd,cache=writethrough,target=%s' ]\n",
		 fw_path, fw_path, fw_path);
	assert_int_equal(load(text), 0);
	assert_int_equal(dc.nr_disks, 4);
	disk_args(got, sizeof(got));
	snprintf(want, sizeof(want),
		 "vdev=hda,access=rw,target=%s|"
		 "vdev=hdb,access=ro,target=%s|"
		 "vdev=hdc,access=ro,devtype=cdrom,target=|"
		 "vdev=hdd,access=rw,cache=writethrough,target=%s|",
		 fw_path, fw_path, fw_path);
	assert_string_equal(got, want);
}

static void test_disk_single_string_and_empty_list(void **state)
{
	char text[300], got[600];

	(void)state;
	snprintf(text, sizeof(text), "disk = '%s,,hda'\n", fw_path);
	assert_int_equal(load(text), 0);
	assert_int_equal(dc.nr_disks, 1);
	domain_config_free(&dc);
	xlcfg_free(&cfg);
	xlcfg_init(&cfg);
	assert_int_equal(load("disk = []\n"), 0);
	assert_int_equal(dc.nr_disks, 0);
	disk_args(got, sizeof(got));
	assert_string_equal(got, "");
}

/* A relative target is made absolute against the current directory. */
static void test_disk_relative_target(void **state)
{
	char text[300], want[700], got[1000], *cwd;
	const char *base = strrchr(fw_path, '/') + 1;

	(void)state;
	cwd = getcwd(NULL, 0);
	assert_non_null(cwd);
	assert_int_equal(chdir("/tmp"), 0);
	snprintf(text, sizeof(text), "disk = [ 'file:%s,hda,w' ]\n", base);
	assert_int_equal(load(text), 0);
	disk_args(got, sizeof(got));
	snprintf(want, sizeof(want), "vdev=hda,access=rw,target=/tmp/%s|",
		 base);
	assert_string_equal(got, want);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
}

static void test_disk_errors(void **state)
{
	char text[300], want[600];

	(void)state;
	/* The spec's own error, at the line of the item. */
	snprintf(text, sizeof(text), "disk = [ '%s,,hda',\n"
		 "  'vdev=hdb,format=qcow2,target=%s' ]\n", fw_path, fw_path);
	snprintf(want, sizeof(want), SRC ":4: disk: \"vdev=hdb,format=qcow2,"
		 "target=%s\": format=qcow2: only raw images are supported",
		 fw_path);
	expect_load_error(text, want);
}

static void test_disk_unknown_vdev(void **state)
{
	(void)state;
	expect_load_error("disk = [ 'file:/img,xvda,w' ]\n",
			  SRC ":3: disk: \"file:/img,xvda,w\": vdev xvda: only "
			  "IDE disks hda-hdd are supported yet");
}

static void test_disk_twice(void **state)
{
	char text[300], want[600];

	(void)state;
	snprintf(text, sizeof(text), "disk = [ '%s,,hda', '%s,,hda' ]\n",
		 fw_path, fw_path);
	snprintf(want, sizeof(want), SRC ":3: disk: \"%s,,hda\": hda is "
		 "attached twice", fw_path);
	expect_load_error(text, want);
}

static void test_disk_missing_image(void **state)
{
	(void)state;
	expect_load_error("disk = [ '/nonexistent/a.img,,hda' ]\n",
			  SRC ":3: disk: /nonexistent/a.img: No such file or "
			  "directory");
}

static void test_disk_nested_list(void **state)
{
	(void)state;
	expect_load_error("disk = [ [ 'x' ] ]\n",
			  SRC ":3: disk: expected a string, got a list");
}

static void test_argv(void **state)
{
	struct launch_params lp = {
		.hypervisor = "/bin/hv",
		.control_socket = "/run/hvmkit/g.sock",
		.ready_fd = 3,
		.paused = true,
	};
	char **argv;
	char want[512];

	(void)state;
	assert_int_equal(load("memory = 256\nvcpus = 2\nserial = 'none'\n"
			      "on_crash = 'preserve'\n"), 0);
	argv = domain_config_argv(&dc, &lp);
	assert_non_null(argv);
	snprintf(want, sizeof(want), "/bin/hv --name g --control-socket "
		 "/run/hvmkit/g.sock --ready-fd 3 --firmware %s --memory "
		 "256M --vcpus 2 --serial none --on-poweroff destroy "
		 "--on-reboot restart --on-crash preserve --paused ", fw_path);
	{
		char got[512] = "";

		for (char **a = argv; *a; a++) {
			strcat(got, *a);
			strcat(got, " ");
		}
		assert_string_equal(got, want);
	}
	argv_free(argv);
}

/* Direct kernel boot: xl's kernel/ramdisk/root/extra/cmdline, and boot. */
static void test_argv_direct_kernel_boot(void **state)
{
	struct launch_params lp = {
		.hypervisor = "/bin/hv", .control_socket = "/s", .ready_fd = -1,
	};
	char text[600], want[1400], got[1400] = "";
	char **argv;

	(void)state;
	snprintf(text, sizeof(text), "kernel = '%s'\nramdisk = '%s'\n"
		 "root = '/dev/xvda1'\nextra = 'console=ttyS0 quiet'\n"
		 "boot = 'dc'\n", fw_path, fw_path);
	assert_int_equal(load(text), 0);
	argv = domain_config_argv(&dc, &lp);
	assert_non_null(argv);
	for (char **a = argv; *a; a++) {
		strcat(got, *a);
		strcat(got, "|");
	}
	snprintf(want, sizeof(want), "--kernel|%s|--initrd|%s|--append|"
		 "root=/dev/xvda1 console=ttyS0 quiet|--boot|dc|", fw_path,
		 fw_path);
	assert_non_null(strstr(got, want));
	argv_free(argv);
}

static void test_cmdline_wins_over_root_extra(void **state)
{
	char text[600];

	(void)state;
	snprintf(text, sizeof(text), "kernel = '%s'\ncmdline = 'a=b'\n"
		 "extra = 'ignored'\n", fw_path);
	assert_int_equal(load(text), 0);
	assert_string_equal(dc.cmdline, "a=b");
	assert_null(dc.ramdisk);
	assert_null(dc.boot);
}

static void test_ramdisk_needs_kernel(void **state)
{
	(void)state;
	expect_load_error("ramdisk = '/x'\n",
			  SRC ":3: ramdisk: needs kernel = \"PATH\"");
}

static void test_kernel_missing_file(void **state)
{
	(void)state;
	expect_load_error("kernel = '/nonexistent/vmlinuz'\n",
			  SRC ":3: kernel: /nonexistent/vmlinuz: No such file "
			  "or directory");
}

static void test_bad_boot_order(void **state)
{
	(void)state;
	expect_load_error("boot = 'cc'\n",
			  SRC ":3: boot: \"cc\" is not a boot order (up to "
			  "three of a, c, d, n, each once, e.g. \"cd\")");
}

static void test_bad_boot_letter(void **state)
{
	(void)state;
	expect_load_error("boot = 'x'\n",
			  SRC ":3: boot: \"x\" is not a boot order (up to "
			  "three of a, c, d, n, each once, e.g. \"cd\")");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_double_quoted_escapes),
		T(test_numeric_escapes),
		T(test_single_quoted_string),
		T(test_numbers),
		T(test_list_over_lines),
		T(test_empty_and_nested_lists),
		T(test_comments_semicolons_blank_lines),
		T(test_last_statement_needs_no_newline),
		T(test_crlf_line_ends),
		T(test_key_characters),
		T(test_duplicate_key_last_wins),
		T(test_plus_equals),
		T(test_plus_equals_errors),
		T(test_plus_equals_number),
		T(test_overrides_after_file),
		T(test_override_error_names_command_line),
		T(test_unterminated_string),
		T(test_unterminated_string_at_eof),
		T(test_missing_equals),
		T(test_missing_value),
		T(test_bad_number),
		T(test_fraction_is_bad_number),
		T(test_octal_number_refused),
		T(test_number_too_large),
		T(test_empty_hex_number),
		T(test_unterminated_list),
		T(test_list_missing_comma),
		T(test_list_leading_comma),
		T(test_list_nested_too_deep),
		T(test_garbage),
		T(test_python_expression),
		T(test_uppercase_key),
		T(test_two_statements_on_a_line),
		T(test_bare_word_value),
		T(test_unknown_escape),
		T(test_nul_escape),
		T(test_hex_escape_without_digits),
		T(test_nul_byte_in_file),
		T(test_empty_file),
		T(test_comments_only_file),
		T(test_missing_file),
		T(test_directory_as_file),
		T(test_parse_file),
		T(test_defaults),
		T(test_memory_and_vcpus),
		T(test_number_given_as_string),
		T(test_memory_not_a_number),
		T(test_memory_list),
		T(test_memory_range),
		T(test_maxmem_must_equal_memory),
		T(test_vcpus_range),
		T(test_vcpus_zero),
		T(test_maxvcpus_must_equal_vcpus),
		T(test_plus_equals_on_number_key),
		T(test_name_missing),
		T(test_name_invalid),
		T(test_name_rules),
		T(test_builder_and_type),
		T(test_builder_not_hvm),
		T(test_type_pv),
		T(test_firmware_missing_file),
		T(test_firmware_path_stays_one_line),
		T(test_firmware_directory),
		T(test_firmware_not_set),
		T(test_bios_seabios_and_ovmf),
		T(test_firmware_xl_names),
		T(test_firmware_takes_precedence),
		T(test_bios_unknown),
		T(test_bios_rombios),
		T(test_bios_package_missing),
		T(test_serial_forms),
		T(test_serial_relative_path),
		T(test_serial_two_ports),
		T(test_serial_unsupported_backend),
		T(test_serial_empty_path),
		T(test_serial_options),
		T(test_actions),
		T(test_action_xl_only),
		T(test_action_preserve_on_poweroff),
		T(test_action_unknown),
		T(test_unsupported_key),
		T(test_unsupported_key_turned_on),
		T(test_unsupported_keys_off),
		T(test_argv_direct_kernel_boot),
		T(test_cmdline_wins_over_root_extra),
		T(test_ramdisk_needs_kernel),
		T(test_kernel_missing_file),
		T(test_bad_boot_order),
		T(test_bad_boot_letter),
		T(test_always_on_features),
		T(test_always_on_feature_off),
		T(test_unknown_key_warning),
		T(test_string_where_list_or_string),
		T(test_number_as_name),
		T(test_override_error_in_mapping),
		T(test_argv),
		T(test_disk_forms),
		T(test_disk_single_string_and_empty_list),
		T(test_disk_relative_target),
		T(test_disk_errors),
		T(test_disk_unknown_vdev),
		T(test_disk_twice),
		T(test_disk_missing_image),
		T(test_disk_nested_list),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
