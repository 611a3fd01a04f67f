# hvmkit top-level Makefile.  Run ./configure first (it writes config.mk).
#
#   make                 build everything
#   make check           build and run the whole test suite
#   make check SANITIZE=1  the same with ASan+UBSan (separate build tree)
#   make install [PREFIX=... DESTDIR=...]
#   make bench           run the benchmarks against QEMU
#   make WERROR=0        do not turn warnings into errors

ifeq ($(wildcard config.mk),)
$(error config.mk is missing: run ./configure first (see README.md))
endif
include config.mk

# "make install PREFIX=/usr" overrides the directories configure chose.
ifeq ($(origin PREFIX),command line)
BINDIR := $(PREFIX)/bin
LIBEXECDIR := $(PREFIX)/libexec
MANDIR := $(PREFIX)/share/man
DOCDIR := $(PREFIX)/share/doc/hvmkit
endif

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	     -fno-omit-frame-pointer
OPT := -O1
else
BUILD ?= build
SAN_FLAGS :=
OPT := -O2
endif

WERROR ?= 1
WARN := -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Wformat=2 \
	-Wundef -Wvla -Wshadow
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS := -std=gnu11 $(OPT) -g $(WARN) -D_FILE_OFFSET_BITS=64 \
	  -DHVMKIT_VERSION='"$(VERSION)"' \
	  -DHVMKIT_LIBEXECDIR='"$(LIBEXECDIR)"' -Iinclude -pthread -MMD -MP \
	  $(SAN_FLAGS) $(EXTRA_CFLAGS)
LDFLAGS := -pthread $(SAN_FLAGS) $(EXTRA_LDFLAGS)

# ---------------------------------------------------------------- programs
COMMON_SRCS := common/log.c common/util.c common/getopt-error.c \
	       common/dm-msg.c common/disk-spec.c
HV_LIB_SRCS := hypervisor/iobus.c hypervisor/memory-layout.c \
	       hypervisor/guest-memory.c hypervisor/firmware.c \
	       hypervisor/cpuid.c hypervisor/msr.c hypervisor/vcpu.c \
	       hypervisor/vm.c hypervisor/debug-ports.c hypervisor/options.c \
	       hypervisor/dm-link.c hypervisor/dm-spawn.c hypervisor/dm-kvm.c \
	       hypervisor/ioreq-client.c hypervisor/ioreq-shadow.c \
	       hypervisor/pci-cf8.c hypervisor/domctl.c
HV_SRCS := $(HV_LIB_SRCS) hypervisor/main.c

# The device model: its core (devmodel/*.c) and the device models (hw/*/).
DM_LIB_SRCS := $(filter-out devmodel/main.c,$(wildcard devmodel/*.c)) \
	       $(wildcard hw/*/*.c)
DM_SRCS := $(DM_LIB_SRCS) devmodel/main.c
DM_CFLAGS := -Idevmodel $(SECCOMP_CFLAGS)
DM_LIBS := $(SECCOMP_LIBS) $(AIO_LIBS)
# Firmware pieces built with the tree and embedded in the device model
# (devmodel/blobs.S): the DSDT, compiled from ASL by iasl, and the
# direct-kernel-boot option ROM, flat 16-bit code.
DM_BLOBS := $(BUILD)/gen/dsdt.aml $(BUILD)/gen/linuxboot.bin
DM_BLOB_OBJ := $(BUILD)/devmodel/blobs.o

# The hvmkit command-line tool.
CLI_LIB_SRCS := $(filter-out cli/main.c,$(wildcard cli/*.c))
CLI_SRCS := $(CLI_LIB_SRCS) cli/main.c

# Quiet build lines ("CC file") unless make V=1.
ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-6s %s\n' $(1) $(2)
endif

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

HYPERVISOR := $(BUILD)/hvmkit-hypervisor
DEVMODEL := $(BUILD)/hvmkit-devmodel
CLI := $(BUILD)/hvmkit
PROGRAMS := $(HYPERVISOR) $(DEVMODEL) $(CLI)

ifneq ($(CONFIG_SECCOMP),y)
$(error libseccomp is required for the device-model sandbox: apt-get install libseccomp-dev, then rerun ./configure)
endif
ifneq ($(CONFIG_AIO),y)
$(error libaio is required for the device model's block backend: apt-get install libaio-dev, then rerun ./configure)
endif

all: $(PROGRAMS) guests unit-tests $(if $(filter 1,$(SANITIZE)),,fuzz)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(EXTRA_OBJ_CFLAGS) -c $< -o $@

$(HYPERVISOR): $(call obj,$(HV_SRCS) $(COMMON_SRCS))
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

$(DEVMODEL): $(call obj,$(DM_SRCS) $(COMMON_SRCS)) $(DM_BLOB_OBJ)
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(DM_LIBS) -o $@

$(BUILD)/gen/dsdt.aml: firmware/acpi/dsdt.asl
	@mkdir -p $(dir $@)
	$(call quiet,IASL,$@)
	$(Q)$(IASL) -p $(basename $@) $< >$@.log 2>&1 || \
		{ cat $@.log >&2; rm -f $@; exit 1; }

$(BUILD)/gen/linuxboot.bin: firmware/linuxboot/linuxboot.S
	@mkdir -p $(dir $@)
	$(call quiet,ROM,$@)
	$(Q)$(CC) -m32 -nostdinc -c $< -o $(basename $@).o
	$(Q)ld -m elf_i386 -Ttext=0 --oformat=binary -o $@ $(basename $@).o

$(DM_BLOB_OBJ): devmodel/blobs.S $(DM_BLOBS)
	@mkdir -p $(dir $@)
	$(call quiet,AS,$@)
	$(Q)$(CC) -c -Wa,-I$(BUILD)/gen $< -o $@

$(CLI): $(call obj,$(CLI_SRCS) $(COMMON_SRCS))
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

# Device-model and device sources see the device API (devmodel/device.h).
$(call obj,$(DM_SRCS)): EXTRA_OBJ_CFLAGS := $(DM_CFLAGS)

# ------------------------------------------------------------- tiny guests
# Flat 64 KiB firmware images: tests/guests/*.S linked at 4 GiB - 64 KiB.
GUEST_NAMES := $(basename $(notdir $(filter-out tests/guests/lib.S,\
		$(wildcard tests/guests/*.S))))
GUEST_BINS := $(patsubst %,$(BUILD)/tests/guests/%.bin,$(GUEST_NAMES))
BENCH_PIO_EXITS ?= 100000
GUEST_ASFLAGS := -m64 -nostdinc -Itests/guests -DPIO_EXITS=$(BENCH_PIO_EXITS)

guests: $(GUEST_BINS)

$(BUILD)/tests/guests/%.o: tests/guests/%.S tests/guests/guest.h
	@mkdir -p $(dir $@)
	$(call quiet,AS,$@)
	$(Q)$(CC) $(GUEST_ASFLAGS) -c $< -o $@

$(BUILD)/tests/guests/%.bin: $(BUILD)/tests/guests/%.o \
		$(BUILD)/tests/guests/lib.o tests/guests/guest.ld
	$(call quiet,LD,$@)
	$(Q)ld -m elf_x86_64 -T tests/guests/guest.ld -o $@ \
		$(BUILD)/tests/guests/lib.o $<

# -------------------------------------------------------------- unit tests
UNIT_NAMES := $(basename $(notdir $(wildcard tests/unit/test-*.c)))
UNIT_BINS := $(patsubst %,$(BUILD)/tests/unit/%,$(UNIT_NAMES))

ifeq ($(CONFIG_CMOCKA),y)
unit-tests: $(UNIT_BINS)
else
unit-tests:
	@echo "cmocka not configured: unit tests are not built"
endif

# What each unit test links besides its own object and common/: the
# hypervisor library unless tests/unit/build.mk says otherwise with
# UNIT_SRCS_<test> (and UNIT_LIBS_<test>).
include tests/unit/build.mk
unit_srcs = $(if $(UNIT_SRCS_$(1)),$(UNIT_SRCS_$(1)),$(HV_LIB_SRCS))

.SECONDEXPANSION:
$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o \
		$$(call obj,$$(call unit_srcs,%) $(COMMON_SRCS)) \
		$$(UNIT_OBJS_$$*)
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(UNIT_LIBS_$*) $(CMOCKA_LIBS) -o $@

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(CMOCKA_CFLAGS) -Ihypervisor -Idevmodel -Icli \
		-c $< -o $@

# ------------------------------------------------------------------- fuzz
# libFuzzer targets for fw_cfg and the platform's I/O ports and for the
# IDE controller, built with clang (configure's FUZZ_CC) with ASan and
# UBSan, against the fake device API.  make check runs them for a bounded
# time (tests/run-all.sh).
FUZZ_SRCS := tests/fuzz/fuzz-platform.c devmodel/pc.c devmodel/kernel-boot.c \
	     devmodel/fw-cfg.c \
	     devmodel/i440fx.c devmodel/piix3.c devmodel/piix4-pm.c \
	     devmodel/rtc.c devmodel/i8042.c $(wildcard devmodel/acpi-*.c) \
	     devmodel/smbios.c devmodel/opts.c tests/unit/fake-dm.c \
	     $(wildcard hw/ide/*.c) devmodel/block.c \
	     common/log.c common/util.c
FUZZ_BIN := $(BUILD)/fuzz/fuzz-platform
# The PIIX3 IDE (ATA, ATAPI, bus-master DMA) on the real block backend.
FUZZ_IDE_SRCS := tests/fuzz/fuzz-ide.c $(wildcard hw/ide/*.c) \
		 devmodel/block.c devmodel/opts.c tests/unit/fake-dm.c \
		 common/log.c common/util.c
FUZZ_IDE_BIN := $(BUILD)/fuzz/fuzz-ide
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=undefined -D_FILE_OFFSET_BITS=64 \
	       -Iinclude -Idevmodel -Itests/unit

ifeq ($(CONFIG_FUZZER),y)
fuzz: $(FUZZ_BIN) $(FUZZ_IDE_BIN)
$(FUZZ_IDE_BIN): $(FUZZ_IDE_SRCS) \
		$(wildcard devmodel/*.h hw/ide/*.h tests/unit/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -pthread $(FUZZ_IDE_SRCS) $(AIO_LIBS) \
		-o $@
$(FUZZ_BIN): $(FUZZ_SRCS) $(DM_BLOB_OBJ) \
		$(wildcard devmodel/*.h hw/ide/*.h tests/unit/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(call quiet,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -pthread $(FUZZ_SRCS) $(DM_BLOB_OBJ) \
		$(AIO_LIBS) -o $@
else
fuzz:
	@echo "libFuzzer (clang) not configured: the fuzz target is not built"
endif

# ------------------------------------------------------------------ checks
# make check also builds an ASan+UBSan tree and runs the unit, bad-input
# and local tiny-guest suites against it (prefixed "asan/").
ifeq ($(SANITIZE),1)
check: all
	BUILD=$(BUILD) tests/run-all.sh
else
check: all
	$(MAKE) --no-print-directory SANITIZE=1 all
	BUILD=$(BUILD) SAN_BUILD=build-san tests/run-all.sh
endif

bench: all
	BUILD=$(BUILD) bench/pio-exit.sh
	BUILD=$(BUILD) LINUX_KERNEL=$$(tests/rig/rig-run --print-kernel) \
		bench/boot-time.py
	BUILD=$(BUILD) bench/ide.py

# ----------------------------------------------------------------- install
MAN1 := $(wildcard docs/man/*.1)
MAN5 := $(wildcard docs/man/*.5)

install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/hvmkit \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DOCDIR)
	install -m 755 $(HYPERVISOR) $(CLI) $(DESTDIR)$(BINDIR)/
	install -m 755 $(DEVMODEL) $(DESTDIR)$(LIBEXECDIR)/hvmkit/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/)
	install -m 644 README.md docs/architecture.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hvmkit-hypervisor $(DESTDIR)$(BINDIR)/hvmkit \
	      $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	      $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -rf $(DESTDIR)$(LIBEXECDIR)/hvmkit $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-san

distclean: clean
	rm -f config.mk config.log

.PHONY: all guests unit-tests fuzz check bench install uninstall clean distclean
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
