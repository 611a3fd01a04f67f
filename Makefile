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
	  -DHVMKIT_VERSION='"$(VERSION)"' -Iinclude -pthread -MMD -MP \
	  $(SAN_FLAGS) $(EXTRA_CFLAGS)
LDFLAGS := -pthread $(SAN_FLAGS) $(EXTRA_LDFLAGS)

# ---------------------------------------------------------------- programs
COMMON_SRCS := common/log.c common/util.c
HV_LIB_SRCS := hypervisor/iobus.c hypervisor/memory-layout.c \
	       hypervisor/guest-memory.c hypervisor/firmware.c \
	       hypervisor/cpuid.c hypervisor/msr.c hypervisor/vcpu.c \
	       hypervisor/vm.c hypervisor/debug-ports.c hypervisor/options.c
HV_SRCS := $(HV_LIB_SRCS) hypervisor/main.c

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
PROGRAMS := $(HYPERVISOR)

all: $(PROGRAMS) guests unit-tests

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(HYPERVISOR): $(call obj,$(HV_SRCS) $(COMMON_SRCS))
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

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

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o \
		$(call obj,$(HV_LIB_SRCS) $(COMMON_SRCS))
	$(call quiet,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(CMOCKA_LIBS) -o $@

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(CMOCKA_CFLAGS) -Ihypervisor -c $< -o $@

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

# ----------------------------------------------------------------- install
install: $(PROGRAMS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(DOCDIR)
	install -m 755 $(HYPERVISOR) $(DESTDIR)$(BINDIR)/
	install -m 644 docs/man/hvmkit-hypervisor.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 README.md docs/architecture.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hvmkit-hypervisor \
	      $(DESTDIR)$(MANDIR)/man1/hvmkit-hypervisor.1
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-san

distclean: clean
	rm -f config.mk config.log

.PHONY: all guests unit-tests check bench install uninstall clean distclean
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
