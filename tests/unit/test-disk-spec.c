/*
 * Unit tests for common/disk-spec.c: the xl.cfg disk spec syntax of Xen's
 * xl-disk-configuration(5) (its examples are the first cases), hvmkit's
 * narrower rules and their one-line messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hvmkit/disk-spec.h"

struct want {
	const char *vdev;
	bool cdrom, read_only, writethrough;
	const char *target;
};

static void ok(const char *spec, struct want w)
{
	struct disk_spec d;
	char err[256] = "untouched";

	if (disk_spec_parse(spec, &d, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", spec, err);
	assert_string_equal(d.vdev, w.vdev);
	assert_int_equal(d.cdrom, w.cdrom);
	assert_int_equal(d.read_only, w.read_only);
	assert_int_equal(d.writethrough, w.writethrough);
	assert_non_null(d.target);
	assert_string_equal(d.target, w.target);
	disk_spec_free(&d);
	assert_null(d.target);
}

/* Must fail with a message containing want, on one line. */
static void bad(const char *spec, const char *want)
{
	struct disk_spec d;
	char err[256] = "";

	if (disk_spec_parse(spec, &d, err, sizeof(err)) == 0) {
		disk_spec_free(&d);
		fail_msg("'%s' accepted", spec);
	}
	if (!strstr(err, want))
		fail_msg("'%s': message '%s' lacks '%s'", spec, err, want);
	assert_null(strchr(err, '\n'));
	assert_null(d.target);
}

#define DISK(v, t) ((struct want){ .vdev = v, .target = t })
#define RO_DISK(v, t) ((struct want){ .vdev = v, .read_only = true, \
				      .target = t })
#define CD(v, t) ((struct want){ .vdev = v, .cdrom = true, \
				 .read_only = true, .target = t })

static void test_xl_examples_disk(void **state)
{
	(void)state;
	/* xl-disk-configuration(5): these are the same disk. */
	ok("/dev/vg/guest-volume,,hda", DISK("hda", "/dev/vg/guest-volume"));
	ok("/dev/vg/guest-volume,raw,hda,rw",
	   DISK("hda", "/dev/vg/guest-volume"));
	ok("format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume",
	   DISK("hda", "/dev/vg/guest-volume"));
	ok("raw:/dev/vg/guest-volume,hda,w",
	   DISK("hda", "/dev/vg/guest-volume"));
}

static void test_xl_examples_cdrom(void **state)
{
	(void)state;
	ok("/root/image.iso,,hdc,cdrom", CD("hdc", "/root/image.iso"));
	ok("/root/image.iso,,hdc,,cdrom", CD("hdc", "/root/image.iso"));
	ok("/root/image.iso,raw,hdc,devtype=cdrom",
	   CD("hdc", "/root/image.iso"));
	ok("format=raw, vdev=hdc, access=ro, devtype=cdrom, "
	   "target=/root/image.iso", CD("hdc", "/root/image.iso"));
	ok("raw:/root/image.iso,hdc:cdrom,ro", CD("hdc", "/root/image.iso"));
}

static void test_empty_cdrom(void **state)
{
	(void)state;
	ok(",hdc:cdrom,r", CD("hdc", ""));
	ok("vdev=hdc,devtype=cdrom", CD("hdc", ""));
	ok("vdev=hdc,cdrom,target=", CD("hdc", ""));
	ok(",,hdd,,cdrom", CD("hdd", ""));
	ok("vdev=hdc:cdrom", CD("hdc", ""));
}

static void test_access(void **state)
{
	(void)state;
	ok("/a.img,raw,hdb,r", RO_DISK("hdb", "/a.img"));
	ok("/a.img,raw,hdb,ro", RO_DISK("hdb", "/a.img"));
	ok("/a.img,raw,hdb,w", DISK("hdb", "/a.img"));
	ok("/a.img,raw,hdb,", DISK("hdb", "/a.img"));
	ok("vdev=hda,access=ro,target=/a.img", RO_DISK("hda", "/a.img"));
	ok("access=r,access=ro,vdev=hda,target=/a.img",
	   RO_DISK("hda", "/a.img"));
	/* A CD is read-only without saying so, and may say so. */
	ok("vdev=hdc,devtype=cdrom,access=r,target=/x.iso",
	   CD("hdc", "/x.iso"));
	bad("/a.img,raw,hda,rx", "access=rx: not an access mode");
	bad("vdev=hda,access=ro,access=rw,target=/a", "access given twice");
	bad("vdev=hdc,devtype=cdrom,access=rw,target=/x.iso",
	    "access=rw on a cdrom");
	bad("/x.iso,,hdc:cdrom,w", "access=rw on a cdrom");
}

static void test_target_takes_the_rest(void **state)
{
	(void)state;
	ok("vdev=hda,target=/a,b,c.img", DISK("hda", "/a,b,c.img"));
	/* One trailing comma is dropped; "=" and ":" are fine in it. */
	ok("vdev=hda,target=/x=y:z.img,", DISK("hda", "/x=y:z.img"));
	/* An empty positional target may be given again with target=. */
	ok(",,hda,,target=/a.img", DISK("hda", "/a.img"));
	bad("/a.img,,hda,target=/b.img", "target given twice");
	/* Trailing blanks belong to the target (xl consumes them). */
	ok("vdev=hda,target=/a.img ", DISK("hda", "/a.img "));
}

static void test_whitespace(void **state)
{
	(void)state;
	ok("  /a.img , raw ,  hda ,rw  ", DISK("hda", "/a.img"));
	ok("\tvdev=hda,\n target=/a.img", DISK("hda", "/a.img"));
	ok("/a.img,raw,hda,", DISK("hda", "/a.img"));
	bad("", "empty disk spec");
	bad("   ", "empty disk spec");
}

static void test_legacy_prefixes(void **state)
{
	(void)state;
	ok("file:/a.img,hda,w", DISK("hda", "/a.img"));
	ok("phy:/dev/sdb,hdb,r", RO_DISK("hdb", "/dev/sdb"));
	ok("aio:/a.img,hda,w", DISK("hda", "/a.img"));
	ok("tap:aio:/a.img,hda,w", DISK("hda", "/a.img"));
	ok("tap2:raw:/a.img,hda", DISK("hda", "/a.img"));
	ok("file:relative.img,hda", DISK("hda", "relative.img"));
	/* After a prefix the vdev may carry its type. */
	ok("phy:/dev/sr0,hdc:cdrom,ro", CD("hdc", "/dev/sr0"));
	ok("file:/x.iso,hdd:cdrom", CD("hdd", "/x.iso"));
	bad("qcow2:/a.img,hda,w", "format=qcow2: only raw images");
	bad("nbd:host:1234,hda", "nbd: block scripts are not supported");
	bad("http://x/a.img,hda", "http: unknown prefix");
}

static void test_formats(void **state)
{
	(void)state;
	ok("format=raw,vdev=hda,target=/a.img", DISK("hda", "/a.img"));
	ok("format=,vdev=hda,target=/a.img", DISK("hda", "/a.img"));
	bad("format=qcow2,vdev=hda,target=/a.img",
	    "format=qcow2: only raw images are supported");
	bad("/a.qcow2,qcow2,hda", "format=qcow2: only raw images are "
	    "supported");
	bad("/a.vhd,vhd,hda", "format=vhd: only raw images");
	bad("format=iso,vdev=hdc,target=/a.iso", "format=iso: not an image "
	    "format");
	/* The classic slip: the vdev where the format goes. */
	bad("/a.img,hda,rw", "format=hda: not an image format (the fields "
	    "without a key are target,format,vdev,access");
}

static void test_vdev(void **state)
{
	(void)state;
	ok("/a,,hda", DISK("hda", "/a"));
	ok("/a,,hdb", DISK("hdb", "/a"));
	ok("/a,,hdd", DISK("hdd", "/a"));
	bad("/a,,xvda", "vdev xvda: only IDE disks hda-hdd are supported "
	    "yet");
	bad("/a,,sda", "vdev sda: only IDE disks hda-hdd are supported yet");
	bad("/a,,hde", "vdev hde: only IDE disks hda-hdd");
	bad("/a,,d0p1", "vdev d0p1: only IDE disks hda-hdd");
	bad("/a,,floppy", "vdev floppy: not a disk name");
	bad("vdev=hdaa,target=/a", "vdev hdaa: only IDE disks hda-hdd");
	bad("vdev=a-very-long-vdev-name,target=/a", "vdev a-very-long-vdev-"
	    "name: not a disk name");
	bad("target=/a", "no vdev given");
	bad("/a", "no vdev given");
	bad("vdev=hda,vdev=hdb,target=/a", "vdev given twice ('hda' and "
	    "'hdb')");
	bad("vdev=hda:floppy,target=/a", "unknown device type 'floppy'");
}

static void test_targets_and_cdroms(void **state)
{
	(void)state;
	bad("vdev=hda", "no target given");
	bad("vdev=hda,target=", "empty target: only a CD drive");
	bad(",,hda", "empty target: only a CD drive");
	ok("vdev=hdc,devtype=disk,cdrom,target=/x.iso", CD("hdc", "/x.iso"));
	ok("vdev=hdc,cdrom,devtype=disk,target=/x.img", DISK("hdc", "/x.img"));
	bad("vdev=hdc,devtype=floppy,target=/x", "devtype=floppy: not a "
	    "device type");
}

static void test_cache(void **state)
{
	(void)state;
	ok("vdev=hda,cache=writethrough,target=/a.img",
	   ((struct want){ .vdev = "hda", .writethrough = true,
			   .target = "/a.img" }));
	ok("vdev=hda,cache=writeback,target=/a.img", DISK("hda", "/a.img"));
	bad("vdev=hda,cache=none,target=/a.img",
	    "cache=none: must be writeback or writethrough");
}

static void test_other_xl_parameters(void **state)
{
	(void)state;
	/* Accepted: nothing to do differently here. */
	ok("/a,,hda,w,direct-io-safe,discard,no-discard,trusted,untrusted",
	   DISK("hda", "/a"));
	ok("backendtype=phy,vdev=hda,target=/a", DISK("hda", "/a"));
	ok("backendtype=qdisk,specification=xen,vdev=hda,target=/a",
	   DISK("hda", "/a"));
	ok("backend=0,grant_usage=1,no-colo,vdev=hda,target=/a",
	   DISK("hda", "/a"));
	/* Refused, each saying why. */
	bad("backend=dd1,vdev=hda,target=/a", "backend=dd1: driver domains "
	    "are not supported");
	bad("backendtype=ceph,vdev=hda,target=/a", "backendtype=ceph: not a "
	    "backend type");
	bad("script=block-iscsi,vdev=hda,target=/a", "script=block-iscsi: "
	    "block scripts are not supported");
	bad("specification=virtio,vdev=hda,target=/a", "specification="
	    "virtio: only emulated IDE disks");
	bad("colo,vdev=hda,target=/a", "colo: COLO disk replication is not "
	    "supported");
	bad("colo-port=9000,vdev=hda,target=/a", "colo-port: COLO");
	bad("grant_usage=2,vdev=hda,target=/a", "grant_usage=2: must be 0 "
	    "or 1");
	bad("frob=1,vdev=hda,target=/a", "unknown parameter 'frob=1'");
	bad("/a,raw,hda,rw,extra", "'extra': too many fields without a key");
}

static void test_error_does_not_include_spec(void **state)
{
	struct disk_spec d;
	char err[256];

	(void)state;
	/* The caller says where the spec came from; the message names only
	 * the part that is wrong. */
	assert_int_equal(disk_spec_parse("vdev=hda,format=qcow2,target=/a",
					 &d, err, sizeof(err)), -1);
	assert_string_equal(err, "format=qcow2: only raw images are "
			    "supported");
	/* A short buffer truncates, still terminated. */
	assert_int_equal(disk_spec_parse("vdev=xvda,target=/a", &d, err, 8),
			 -1);
	assert_string_equal(err, "vdev xv");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xl_examples_disk),
		cmocka_unit_test(test_xl_examples_cdrom),
		cmocka_unit_test(test_empty_cdrom),
		cmocka_unit_test(test_access),
		cmocka_unit_test(test_target_takes_the_rest),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_legacy_prefixes),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_vdev),
		cmocka_unit_test(test_targets_and_cdroms),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_other_xl_parameters),
		cmocka_unit_test(test_error_does_not_include_spec),
	};

	return cmocka_run_group_tests_name("disk-spec", tests, NULL, NULL);
}
