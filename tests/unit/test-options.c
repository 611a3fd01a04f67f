/* Unit tests for hv_options_parse() and hv_options_check_host(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hvmkit/util.h"
#include "options.h"

/* Parses a NULL-terminated argument list that follows the program name. */
#define PARSE(opts, ...)                                                  \
	parse_args((opts), (char *[]){ "hvmkit-hypervisor", __VA_ARGS__,  \
				       NULL })

static int parse_args(struct hv_options *opts, char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return hv_options_parse(argc, argv, opts);
}

static struct hv_options opts;

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw.bin"), 0);
	assert_string_equal(opts.vm.firmware, "fw.bin");
	assert_int_equal(opts.vm.ram_size, 128 * MiB);
	assert_int_equal(opts.vm.nr_vcpus, 1);
	assert_int_equal(opts.vm.on_poweroff, ACTION_DESTROY);
	assert_int_equal(opts.vm.on_reboot, ACTION_RESTART);
	assert_int_equal(opts.vm.on_crash, ACTION_DESTROY);
	assert_false(opts.vm.start_paused);
	assert_null(opts.dm.path);
	assert_null(opts.dm.serial);
	assert_int_equal(opts.dm.nr_args, 0);
	assert_int_equal(opts.dm.timeout_ms, 1000);
	assert_null(opts.domctl.name);
	assert_null(opts.domctl.socket_path);
	assert_int_equal(opts.domctl.ready_fd, -1);
	assert_null(opts.debugcon_path);
	assert_int_equal(opts.verbosity, 0);
	assert_false(opts.stats);
	assert_false(opts.help);
	assert_false(opts.version);
}

static void test_long_firmware_option(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "--firmware=bios.bin"), 0);
	assert_string_equal(opts.vm.firmware, "bios.bin");
	assert_int_equal(PARSE(&opts, "--firmware", "ovmf.fd"), 0);
	assert_string_equal(opts.vm.firmware, "ovmf.fd");
}

static void test_memory_bare_number_is_mib(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "512"), 0);
	assert_int_equal(opts.vm.ram_size, 512 * MiB);
}

static void test_memory_with_suffix(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "2G"), 0);
	assert_int_equal(opts.vm.ram_size, 2 * GiB);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--memory=1g"), 0);
	assert_int_equal(opts.vm.ram_size, 1 * GiB);
	assert_int_equal(PARSE(&opts, "--memory", "4096K", "-f", "fw"), 0);
	assert_int_equal(opts.vm.ram_size, 4 * MiB);
}

static void test_memory_limits_inclusive(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "2M"), 0);
	assert_int_equal(opts.vm.ram_size, 2 * MiB);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "1T"), 0);
	assert_int_equal(opts.vm.ram_size, 1024 * GiB);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "2101248B"), 0);
	assert_int_equal(opts.vm.ram_size, 2 * MiB + 4 * KiB);
}

static void test_vcpus(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-c", "4"), 0);
	assert_int_equal(opts.vm.nr_vcpus, 4);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--vcpus=255"), 0);
	assert_int_equal(opts.vm.nr_vcpus, 255);
}

static void test_on_triple_fault(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "--on-triple-fault=reset"),
			 0);
	assert_int_equal(opts.vm.on_crash, ACTION_RESTART);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--on-triple-fault", "stop"),
			 0);
	assert_int_equal(opts.vm.on_crash, ACTION_DESTROY);
}

static void test_lifecycle_actions(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "--on-poweroff=restart",
			       "--on-reboot=destroy", "--on-crash=preserve"),
			 0);
	assert_int_equal(opts.vm.on_poweroff, ACTION_RESTART);
	assert_int_equal(opts.vm.on_reboot, ACTION_DESTROY);
	assert_int_equal(opts.vm.on_crash, ACTION_PRESERVE);
	/* preserve only makes sense for a crash */
	assert_int_equal(PARSE(&opts, "-f", "fw", "--on-poweroff=preserve"),
			 -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--on-crash=coredump"), -1);
}

static void test_device_model_options(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "--serial", "pty",
			       "--dm-arg=--device=testdev", "--dm-arg", "-v",
			       "--dm-timeout=250", "--device-model=none",
			       "--paused"), 0);
	assert_string_equal(opts.dm.serial, "pty");
	assert_int_equal(opts.dm.nr_args, 2);
	assert_string_equal(opts.dm.args[0], "--device=testdev");
	assert_string_equal(opts.dm.args[1], "-v");
	assert_int_equal(opts.dm.timeout_ms, 250);
	assert_string_equal(opts.dm.path, "none");
	assert_true(opts.vm.start_paused);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--serial=none"), 0);
	assert_null(opts.dm.serial);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--serial=file:"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--serial=tcp:1"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--dm-timeout=5"), -1);
}

/* --disk: checked with the disk spec parser, passed on as --drive. */
static void test_disk_options(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "--disk",
			       "vdev=hda,target=/a.img", "--disk=/b.iso,,hdc,"
			       "cdrom"), 0);
	assert_int_equal(opts.dm.nr_drives, 2);
	assert_string_equal(opts.dm.drives[0], "vdev=hda,target=/a.img");
	assert_string_equal(opts.dm.drives[1], "/b.iso,,hdc,cdrom");
	assert_int_equal(PARSE(&opts, "-f", "fw"), 0);
	assert_int_equal(opts.dm.nr_drives, 0);
	/* Bad specs, twice the same vdev, no IDE or no device model. */
	assert_int_equal(PARSE(&opts, "-f", "fw", "--disk",
			       "vdev=hda,format=qcow2,target=/a"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--disk", "/a,,xvda"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--disk", "/a,,hda",
			       "--disk", "vdev=hda,target=/b"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--machine", "none",
			       "--disk", "/a,,hda"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--device-model", "none",
			       "--disk", "/a,,hda"), -1);
}

static void test_management_options(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "--name", "web-1.test",
			       "--control-socket=/run/x.sock",
			       "--ready-fd=5"), 0);
	assert_string_equal(opts.domctl.name, "web-1.test");
	assert_string_equal(opts.domctl.socket_path, "/run/x.sock");
	assert_int_equal(opts.domctl.ready_fd, 5);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--name=a/b"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--name=.hidden"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--name="), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--ready-fd=1"), -1);
}

static void test_other_flags(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-d", "out.txt", "--stats",
			       "-v", "-v"), 0);
	assert_string_equal(opts.debugcon_path, "out.txt");
	assert_true(opts.stats);
	assert_int_equal(opts.verbosity, 2);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-q"), 0);
	assert_int_equal(opts.verbosity, -1);
}

static void test_missing_firmware_fails(void **state)
{
	(void)state;
	assert_int_equal(parse_args(&opts, (char *[]){ "hvmkit", NULL }), -1);
	assert_int_equal(PARSE(&opts, "-m", "256M"), -1);
}

static void test_memory_below_2m_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "1M"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "2044K"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "0"), -1);
}

static void test_memory_not_a_size_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "abc"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "1.5G"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "-512"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", ""), -1);
}

static void test_memory_above_1t_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "2T"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "1048577M"), -1);
}

static void test_memory_not_4k_multiple_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "3000001B"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "4097K"), -1);
}

static void test_vcpus_out_of_range_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-c", "0"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-c", "256"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-c", "x"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-c", "2x"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-c", "-1"), -1);
}

static void test_bad_triple_fault_action_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "--on-triple-fault=bogus"),
			 -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--on-triple-fault="), -1);
}

static void test_unknown_option_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "--bogus"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-z"), -1);
	/* --stats takes no argument. */
	assert_int_equal(PARSE(&opts, "-f", "fw", "--stats=1"), -1);
}

static void test_stray_argument_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "extra"), -1);
	/* GNU getopt permutes: a leading operand is still caught. */
	assert_int_equal(PARSE(&opts, "extra", "-f", "fw"), -1);
}

static void test_option_missing_argument_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--vcpus"), -1);
	assert_int_equal(PARSE(&opts, "-f", "fw", "--on-triple-fault"), -1);
}

static void test_help_sets_flag(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "--help"), 0);
	assert_true(opts.help);
	assert_false(opts.version);
	assert_int_equal(PARSE(&opts, "-h"), 0);
	assert_true(opts.help);
}

static void test_version_sets_flag(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "--version"), 0);
	assert_true(opts.version);
	assert_false(opts.help);
	assert_int_equal(PARSE(&opts, "-V"), 0);
	assert_true(opts.version);
}

static void test_parse_twice_starts_fresh(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "a", "-m", "1G", "-c", "2",
			       "--stats"), 0);
	assert_int_equal(PARSE(&opts, "-f", "b"), 0);
	assert_string_equal(opts.vm.firmware, "b");
	assert_int_equal(opts.vm.ram_size, 128 * MiB);
	assert_int_equal(opts.vm.nr_vcpus, 1);
	assert_false(opts.stats);
}

/*
 * Regression: resetting getopt with "optind = 1" does not reset glibc's
 * position inside a group of short options, so after a parse that returned
 * in the middle of "-hv" the next parse of {"-f", "fw"} consumed the stale
 * 'v' and skipped "-f".  The parser now resets with "optind = 0".
 */
static void test_parse_after_early_return_in_option_group(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-hv"), 0);
	assert_true(opts.help);
	assert_int_equal(PARSE(&opts, "-f", "fw"), 0);
	assert_string_equal(opts.vm.firmware, "fw");
	assert_int_equal(opts.verbosity, 0);
}

static void test_check_host_vcpus_above_max_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-c", "8"), 0);
	assert_int_equal(hv_options_check_host(&opts, 8, 16 * GiB), 0);
	assert_int_equal(hv_options_check_host(&opts, 7, 16 * GiB), -1);
}

static void test_check_host_memory_above_host_ram_fails(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "4G"), 0);
	assert_int_equal(hv_options_check_host(&opts, 255, 4 * GiB), 0);
	assert_int_equal(hv_options_check_host(&opts, 255, 4 * GiB - 1), -1);
	assert_int_equal(hv_options_check_host(&opts, 255, 2 * GiB), -1);
}

static void test_check_host_unknown_ram_skips_memory_check(void **state)
{
	(void)state;
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "1T"), 0);
	assert_int_equal(hv_options_check_host(&opts, 255, 0), 0);
	/* The vCPU check still applies. */
	assert_int_equal(PARSE(&opts, "-f", "fw", "-m", "1T", "-c", "4"), 0);
	assert_int_equal(hv_options_check_host(&opts, 2, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_long_firmware_option),
		cmocka_unit_test(test_memory_bare_number_is_mib),
		cmocka_unit_test(test_memory_with_suffix),
		cmocka_unit_test(test_memory_limits_inclusive),
		cmocka_unit_test(test_vcpus),
		cmocka_unit_test(test_on_triple_fault),
		cmocka_unit_test(test_lifecycle_actions),
		cmocka_unit_test(test_device_model_options),
		cmocka_unit_test(test_disk_options),
		cmocka_unit_test(test_management_options),
		cmocka_unit_test(test_other_flags),
		cmocka_unit_test(test_missing_firmware_fails),
		cmocka_unit_test(test_memory_below_2m_fails),
		cmocka_unit_test(test_memory_not_a_size_fails),
		cmocka_unit_test(test_memory_above_1t_fails),
		cmocka_unit_test(test_memory_not_4k_multiple_fails),
		cmocka_unit_test(test_vcpus_out_of_range_fails),
		cmocka_unit_test(test_bad_triple_fault_action_fails),
		cmocka_unit_test(test_unknown_option_fails),
		cmocka_unit_test(test_stray_argument_fails),
		cmocka_unit_test(test_option_missing_argument_fails),
		cmocka_unit_test(test_help_sets_flag),
		cmocka_unit_test(test_version_sets_flag),
		cmocka_unit_test(test_parse_twice_starts_fresh),
		cmocka_unit_test(test_parse_after_early_return_in_option_group),
		cmocka_unit_test(test_check_host_vcpus_above_max_fails),
		cmocka_unit_test(test_check_host_memory_above_host_ram_fails),
		cmocka_unit_test(test_check_host_unknown_ram_skips_memory_check),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
