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
