# Link sets of the unit tests (see the Makefile): UNIT_SRCS_<test> lists the
# sources a test links besides its own object and common/; tests not listed
# link the hypervisor library.

# Device models run against the fake device API (fake-dm.c).
UNIT_SRCS_test-serial := devmodel/serial.c devmodel/chardev.c devmodel/opts.c \
	tests/unit/fake-dm.c

# Device-model core: PCI bus, option parsing, protocol checks.
UNIT_SRCS_test-dm-pci := $(DM_LIB_SRCS)
UNIT_LIBS_test-dm-pci := $(DM_LIBS)

# hvmkit CLI: the xl.cfg parser and the domain-config mapping.
UNIT_SRCS_test-xlcfg := $(CLI_LIB_SRCS)
