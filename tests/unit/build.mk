# Link sets of the unit tests (see the Makefile): UNIT_SRCS_<test> lists the
# sources a test links besides its own object and common/; tests not listed
# link the hypervisor library.

# Device models run against the fake device API (fake-dm.c).
UNIT_SRCS_test-serial := devmodel/serial.c devmodel/chardev.c devmodel/opts.c \
	tests/unit/fake-dm.c

# Device-model core: PCI bus, option parsing, protocol checks.
UNIT_SRCS_test-dm-pci := $(DM_LIB_SRCS)
UNIT_LIBS_test-dm-pci := $(DM_LIBS)
UNIT_OBJS_test-dm-pci := $(DM_BLOB_OBJ)

# hvmkit CLI: the xl.cfg parser and the domain-config mapping.
UNIT_SRCS_test-xlcfg := $(CLI_LIB_SRCS)

# The PC platform's parts, each against the fake device API.
FAKE_DM := tests/unit/fake-dm.c devmodel/opts.c
UNIT_SRCS_test-fw-cfg := devmodel/fw-cfg.c $(FAKE_DM)
UNIT_SRCS_test-chipset := devmodel/i440fx.c devmodel/piix3.c \
	devmodel/piix4-pm.c $(FAKE_DM)
UNIT_SRCS_test-rtc := devmodel/rtc.c $(FAKE_DM)
UNIT_SRCS_test-i8042 := devmodel/i8042.c $(FAKE_DM)
UNIT_SRCS_test-acpi := $(wildcard devmodel/acpi-*.c) devmodel/smbios.c \
	devmodel/fw-cfg.c devmodel/i440fx.c devmodel/piix3.c \
	devmodel/piix4-pm.c $(FAKE_DM)
UNIT_OBJS_test-acpi := $(DM_BLOB_OBJ)
UNIT_SRCS_test-kernel-boot := devmodel/kernel-boot.c devmodel/fw-cfg.c \
	$(FAKE_DM)
UNIT_OBJS_test-kernel-boot := $(DM_BLOB_OBJ)

# The xl.cfg disk spec parser (common/ only).
UNIT_SRCS_test-disk-spec := common/disk-spec.c

# The block backend (libaio) against the fake device API, also under the
# device model's seccomp filter.
UNIT_SRCS_test-block := devmodel/block.c devmodel/sandbox.c $(FAKE_DM)
UNIT_LIBS_test-block := $(AIO_LIBS) $(SECCOMP_LIBS)

# The PIIX3 IDE (ATA disks, ATAPI CD) on the block backend, through the
# guest-side harness of tests/unit/ide-harness.c.
IDE_TEST_SRCS := $(wildcard hw/ide/*.c) devmodel/block.c \
	tests/unit/ide-harness.c $(FAKE_DM)
UNIT_SRCS_test-ide := $(IDE_TEST_SRCS)
UNIT_LIBS_test-ide := $(AIO_LIBS)
UNIT_SRCS_test-atapi := $(IDE_TEST_SRCS)
UNIT_LIBS_test-atapi := $(AIO_LIBS)

# The device model's drives (devmodel/drives.c) on the real block backend.
UNIT_SRCS_test-drives := $(DM_LIB_SRCS)
UNIT_LIBS_test-drives := $(DM_LIBS)
UNIT_OBJS_test-drives := $(DM_BLOB_OBJ)
