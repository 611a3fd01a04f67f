/* Unit tests for firmware_map(): size rules, contents, read-only mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "firmware.h"
#include "hvmkit/util.h"

/* A byte pattern that differs between neighbouring bytes and 64 KiB
 * blocks, so misplaced or missing chunks show. */
static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 16) * 7 + 1);
}

/* Creates a temporary file of size bytes filled with pattern(). */
static char *make_image(uint64_t size)
{
	char *path = strdup("/tmp/hvmkit-test-fw-XXXXXX");
	uint8_t buf[4096];
	uint64_t done = 0;
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	while (done < size) {
		size_t n = size - done < sizeof(buf) ?
			(size_t)(size - done) : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(done + i);
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		done += n;
	}
	close(fd);
	return path;
}

static void remove_image(char *path)
{
	unlink(path);
	free(path);
}

/* True if the mapping that holds p has no write permission. */
static bool mapping_is_read_only(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false, ro = false;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3)
			continue;
		if ((uintptr_t)p >= start && (uintptr_t)p < end) {
			found = true;
			ro = perms[0] == 'r' && perms[1] == '-';
			break;
		}
	}
	fclose(f);
	assert_true(found);
	return ro;
}

/* Maps an image of size bytes, which must succeed, and checks it. */
static void assert_maps(uint64_t size)
{
	char *path = make_image(size);
	uint64_t got = 0;
	uint8_t *img = firmware_map(path, &got);

	assert_non_null(img);
	assert_int_equal(got, size);
	for (uint64_t i = 0; i < size; i++)
		if (img[i] != pattern(i))
			fail_msg("byte %#llx is %#x, want %#x",
				 (unsigned long long)i, img[i], pattern(i));
	assert_true(mapping_is_read_only(img));
	assert_true(mapping_is_read_only(img + size - 1));
	assert_int_equal(munmap(img, size), 0);
	remove_image(path);
}

/* Maps an image of size bytes, which must be rejected. */
static void assert_rejected(uint64_t size)
{
	char *path = make_image(size);
	uint64_t got = 0;

	assert_null(firmware_map(path, &got));
	remove_image(path);
}

static void test_64k_image_maps(void **state)
{
	(void)state;
	assert_maps(64 * KiB);
}

static void test_192k_image_maps(void **state)
{
	(void)state;
	assert_maps(3 * 64 * KiB);
}

static void test_16m_image_maps(void **state)
{
	(void)state;
	assert_maps(16 * MiB);
}

static void test_empty_image_rejected(void **state)
{
	(void)state;
	assert_rejected(0);
}

static void test_image_not_64k_multiple_rejected(void **state)
{
	(void)state;
	assert_rejected(1000);
	assert_rejected(64 * KiB - 1);
	assert_rejected(64 * KiB + 1);
	assert_rejected(64 * KiB + 4096);
}

static void test_image_above_16m_rejected(void **state)
{
	(void)state;
	assert_rejected(16 * MiB + 64 * KiB);
	assert_rejected(32 * MiB);
}

static void test_directory_rejected(void **state)
{
	char dir[] = "/tmp/hvmkit-test-fwdir-XXXXXX";
	uint64_t got = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_null(firmware_map(dir, &got));
	rmdir(dir);
}

static void test_device_rejected(void **state)
{
	uint64_t got = 0;

	(void)state;
	assert_null(firmware_map("/dev/null", &got));
}

static void test_missing_path_rejected(void **state)
{
	uint64_t got = 0;

	(void)state;
	assert_null(firmware_map("/tmp/hvmkit-test-no-such-dir/fw.bin", &got));
	assert_null(firmware_map("", &got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_64k_image_maps),
		cmocka_unit_test(test_192k_image_maps),
		cmocka_unit_test(test_16m_image_maps),
		cmocka_unit_test(test_empty_image_rejected),
		cmocka_unit_test(test_image_not_64k_multiple_rejected),
		cmocka_unit_test(test_image_above_16m_rejected),
		cmocka_unit_test(test_directory_rejected),
		cmocka_unit_test(test_device_rejected),
		cmocka_unit_test(test_missing_path_rejected),
	};

	return cmocka_run_group_tests_name("firmware", tests, NULL, NULL);
}
