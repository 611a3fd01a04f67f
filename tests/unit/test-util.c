/* Unit tests for common/util.c: parse_size, parse_u64, format_size and
 * thread_may_spin. */
#define _GNU_SOURCE
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hvmkit/util.h"

#define UNTOUCHED 0x5a5a5a5a5a5a5a5aull

/* parse_size() that must succeed; returns the value. */
static uint64_t size_ok(const char *s, bool bytes_default)
{
	uint64_t v = UNTOUCHED;

	assert_true(parse_size(s, bytes_default, &v));
	return v;
}

/* parse_size() that must fail for either default and leave *out alone. */
static void size_bad(const char *s)
{
	uint64_t v = UNTOUCHED;

	assert_false(parse_size(s, true, &v));
	assert_false(parse_size(s, false, &v));
	assert_int_equal(v, UNTOUCHED);
}

static void test_parse_size_bare_number_bytes_default(void **state)
{
	(void)state;
	assert_int_equal(size_ok("0", true), 0);
	assert_int_equal(size_ok("1", true), 1);
	assert_int_equal(size_ok("4096", true), 4096);
	assert_int_equal(size_ok("18446744073709551615", true), UINT64_MAX);
}

static void test_parse_size_bare_number_mib_default(void **state)
{
	(void)state;
	assert_int_equal(size_ok("0", false), 0);
	assert_int_equal(size_ok("1", false), MiB);
	assert_int_equal(size_ok("512", false), 512 * MiB);
	/* The largest count of MiB that fits, and one more. */
	assert_int_equal(size_ok("17592186044415", false),
			 17592186044415ull << 20);
	assert_false(parse_size("17592186044416", false, &(uint64_t){ 0 }));
}

static void test_parse_size_suffixes(void **state)
{
	(void)state;
	for (int d = 0; d <= 1; d++) {
		assert_int_equal(size_ok("1K", d), KiB);
		assert_int_equal(size_ok("3M", d), 3 * MiB);
		assert_int_equal(size_ok("2G", d), 2 * GiB);
		assert_int_equal(size_ok("5T", d), 5 * 1024 * GiB);
		assert_int_equal(size_ok("0G", d), 0);
		/* B means bytes whatever the default. */
		assert_int_equal(size_ok("7B", d), 7);
		assert_int_equal(size_ok("3000001B", d), 3000001);
	}
}

static void test_parse_size_optional_b_and_ib(void **state)
{
	(void)state;
	assert_int_equal(size_ok("4KB", false), 4 * KiB);
	assert_int_equal(size_ok("4KiB", false), 4 * KiB);
	assert_int_equal(size_ok("64MB", true), 64 * MiB);
	assert_int_equal(size_ok("64MiB", true), 64 * MiB);
	assert_int_equal(size_ok("1GiB", true), GiB);
	assert_int_equal(size_ok("1TB", true), 1024 * GiB);
}

static void test_parse_size_case_insensitive(void **state)
{
	(void)state;
	assert_int_equal(size_ok("1k", true), KiB);
	assert_int_equal(size_ok("1m", true), MiB);
	assert_int_equal(size_ok("1g", true), GiB);
	assert_int_equal(size_ok("1t", true), 1024 * GiB);
	assert_int_equal(size_ok("9b", false), 9);
	assert_int_equal(size_ok("2kib", true), 2 * KiB);
	assert_int_equal(size_ok("2KIB", true), 2 * KiB);
	assert_int_equal(size_ok("2mb", true), 2 * MiB);
}

static void test_parse_size_overflow_fails(void **state)
{
	(void)state;
	size_bad("18446744073709551616");          /* 2^64 */
	size_bad("99999999999999999999999");
	size_bad("17179869184G");                  /* 2^34 GiB = 2^64 */
	size_bad("16777216T");                     /* 2^24 TiB = 2^64 */
	size_bad("18014398509481984K");            /* 2^54 KiB = 2^64 */
	/* Just below the limit. */
	assert_int_equal(size_ok("16777215T", true), 16777215ull << 40);
	assert_int_equal(size_ok("17179869183G", true), 17179869183ull << 30);
}

static void test_parse_size_syntax_errors_fail(void **state)
{
	(void)state;
	size_bad("");
	size_bad("12X");
	size_bad("-1");
	size_bad("+1");
	size_bad(" 5");
	size_bad("5 ");
	size_bad("5 M");
	size_bad("K");
	size_bad("1.5G");
	size_bad("0x10");
	size_bad("1KK");
	size_bad("1KiBB");
	size_bad("1Ki");
	size_bad("1iB");   /* iB needs a multiplier */
	size_bad("1BB");
	size_bad("1BiB");
	assert_false(parse_size(NULL, true, &(uint64_t){ 0 }));
}

static uint64_t u64_ok(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v = UNTOUCHED;

	assert_true(parse_u64(s, min, max, &v));
	return v;
}

static void u64_bad(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v = UNTOUCHED;

	assert_false(parse_u64(s, min, max, &v));
	assert_int_equal(v, UNTOUCHED);
}

static void test_parse_u64_decimal(void **state)
{
	(void)state;
	assert_int_equal(u64_ok("0", 0, 10), 0);
	assert_int_equal(u64_ok("42", 0, 100), 42);
	assert_int_equal(u64_ok("18446744073709551615", 0, UINT64_MAX),
			 UINT64_MAX);
}

static void test_parse_u64_range_is_inclusive(void **state)
{
	(void)state;
	assert_int_equal(u64_ok("1", 1, 255), 1);
	assert_int_equal(u64_ok("255", 1, 255), 255);
	u64_bad("0", 1, 255);
	u64_bad("256", 1, 255);
	u64_bad("7", 8, 8);
	assert_int_equal(u64_ok("8", 8, 8), 8);
}

static void test_parse_u64_hex(void **state)
{
	(void)state;
	assert_int_equal(u64_ok("0x10", 0, 100), 16);
	assert_int_equal(u64_ok("0X1f", 0, 100), 31);
	assert_int_equal(u64_ok("0xffffffffffffffff", 0, UINT64_MAX),
			 UINT64_MAX);
	u64_bad("0x65", 0, 100);       /* 101: above max */
	u64_bad("0x", 0, 100);
	u64_bad("0xg", 0, 100);
	u64_bad("0x10000000000000000", 0, UINT64_MAX);
}

/*
 * Regression: parse_u64 once used base 0, so a leading zero meant octal
 * ("-c 010" gave 8 vCPUs, "09" was rejected), against util.h's promise of
 * decimal or 0x-prefixed hex.
 */
/* A bare or signed "0x" prefix is not a number. */
static void test_parse_u64_empty_or_signed_hex(void **state)
{
	(void)state;
	u64_bad("0x", 0, 100);
	u64_bad("0X", 0, 100);
	u64_bad("0x-5", 0, 100);
	u64_bad("0x+5", 0, 100);
	u64_bad("0x 5", 0, 100);
	assert_int_equal(u64_ok("0x1F", 0, 100), 31);
}

static void test_parse_u64_leading_zero_is_decimal(void **state)
{
	(void)state;
	assert_int_equal(u64_ok("010", 0, 100), 10);
	assert_int_equal(u64_ok("09", 0, 100), 9);
	assert_int_equal(u64_ok("00", 0, 100), 0);
}

static void test_parse_u64_trailing_junk_fails(void **state)
{
	(void)state;
	u64_bad("12a", 0, 100);
	u64_bad("12 ", 0, 100);
	u64_bad("1.0", 0, 100);
	u64_bad("4K", 0, 10000);
	u64_bad("12\n", 0, 100);
}

static void test_parse_u64_sign_and_space_fail(void **state)
{
	(void)state;
	u64_bad("-1", 0, UINT64_MAX);
	u64_bad("+1", 0, 100);
	u64_bad(" 1", 0, 100);
	u64_bad("\t1", 0, 100);
	u64_bad("-0", 0, 100);
}

static void test_parse_u64_empty_and_overflow_fail(void **state)
{
	(void)state;
	u64_bad("", 0, 100);
	u64_bad("18446744073709551616", 0, UINT64_MAX);
	assert_false(parse_u64(NULL, 0, 100, &(uint64_t){ 0 }));
}

static void assert_size_text(uint64_t bytes, const char *want)
{
	char buf[32];

	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(format_size(bytes, buf, sizeof(buf)), buf);
	assert_string_equal(buf, want);
}

static void test_format_size_whole_units(void **state)
{
	(void)state;
	assert_size_text(512 * MiB, "512 MiB");
	assert_size_text(KiB, "1 KiB");
	assert_size_text(128 * MiB, "128 MiB");
	assert_size_text(4 * GiB, "4 GiB");
	assert_size_text(1024 * GiB, "1 TiB");
	/* TiB is the largest unit. */
	assert_size_text(2048 * 1024 * GiB, "2048 TiB");
}

static void test_format_size_fractions(void **state)
{
	(void)state;
	assert_size_text(GiB + 512 * MiB, "1.5 GiB");
	assert_size_text(1536, "1.5 KiB");
	assert_size_text(3 * MiB + 768 * KiB, "3.7 MiB"); /* 3.75, truncated */
}

static void test_format_size_bytes(void **state)
{
	(void)state;
	assert_size_text(0, "0 bytes");
	assert_size_text(1023, "1023 bytes");
}

/* Spinning only pays off on more than one CPU; the answer is cached for
 * a second, then follows the thread's affinity. */
static void test_thread_may_spin_follows_affinity(void **state)
{
	const uint64_t t0 = 1000000000000ull, second = 1000000000ull;
	cpu_set_t all, one;
	int first = -1;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	for (int i = 0; i < CPU_SETSIZE && first < 0; i++)
		if (CPU_ISSET(i, &all))
			first = i;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_false(thread_may_spin(t0));
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_false(thread_may_spin(t0 + second / 2)); /* cached */
	assert_int_equal(thread_may_spin(t0 + 2 * second),
			 CPU_COUNT(&all) > 1);
}

static void test_format_size_truncates_to_buffer(void **state)
{
	char buf[4];

	(void)state;
	assert_ptr_equal(format_size(512 * MiB, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "512");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thread_may_spin_follows_affinity),
		cmocka_unit_test(test_parse_size_bare_number_bytes_default),
		cmocka_unit_test(test_parse_size_bare_number_mib_default),
		cmocka_unit_test(test_parse_size_suffixes),
		cmocka_unit_test(test_parse_size_optional_b_and_ib),
		cmocka_unit_test(test_parse_size_case_insensitive),
		cmocka_unit_test(test_parse_size_overflow_fails),
		cmocka_unit_test(test_parse_size_syntax_errors_fail),
		cmocka_unit_test(test_parse_u64_decimal),
		cmocka_unit_test(test_parse_u64_range_is_inclusive),
		cmocka_unit_test(test_parse_u64_hex),
		cmocka_unit_test(test_parse_u64_leading_zero_is_decimal),
		cmocka_unit_test(test_parse_u64_empty_or_signed_hex),
		cmocka_unit_test(test_parse_u64_trailing_junk_fails),
		cmocka_unit_test(test_parse_u64_sign_and_space_fail),
		cmocka_unit_test(test_parse_u64_empty_and_overflow_fail),
		cmocka_unit_test(test_format_size_whole_units),
		cmocka_unit_test(test_format_size_fractions),
		cmocka_unit_test(test_format_size_bytes),
		cmocka_unit_test(test_format_size_truncates_to_buffer),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
