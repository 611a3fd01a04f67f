/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the PC platform's guest-facing devices: fw_cfg
 * (ports and DMA), the i440FX, PIIX3 and PIIX4 PM PCI functions, the RTC,
 * the i8042 and the ACPI/SMBIOS tables behind fw_cfg, all on the fake
 * device model (tests/unit/fake-dm.c) with 2 MiB of guest RAM.  The input
 * is a program for a guest that does nothing but poke at these devices;
 * a run must not crash, hang, trip ASan/UBSan or leave a claim, timer or
 * watch behind.
 *
 * Build (from the top of the tree, after `make build/devmodel/blobs.o`):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
 *     -Iinclude -Idevmodel -Itests/unit tests/fuzz/fuzz-platform.c \
 *     devmodel/fw-cfg.c devmodel/i440fx.c devmodel/piix3.c \
 *     devmodel/piix4-pm.c devmodel/rtc.c devmodel/i8042.c \
 *     devmodel/acpi-*.c devmodel/smbios.c build/devmodel/blobs.o \
 *     tests/unit/fake-dm.c common/log.c common/util.c devmodel/opts.c \
 *     -o /tmp/fuzz-platform
 *   /tmp/fuzz-platform -max_total_time=60 tests/fuzz/corpus
 * Seeds: tests/fuzz/corpus/ (written by tests/fuzz/make-corpus.py).
 *
 * Input: a sequence of operations, each an opcode byte (low nibble: the
 * operation, bits 4-5: the access size 1/2/4/1) and its arguments; all
 * numbers little-endian.  The run stops where the input ends or after
 * MAX_OPS operations.
 *   0 port read    u8 port-choice [u16 port]
 *   1 port write   u8 port-choice [u16 port] u32 value
 *   2 PCI read     u8 function (0:00.0, 0:01.0, 0:01.3) u8 offset
 *   3 PCI write    u8 function u8 offset u32 value
 *   4 RAM write    u32 address u8 length, then that many bytes
 *   5 clock        u32 nanoseconds (below 1 s)
 *   6 fw_cfg DMA   u32 descriptor address, u32 control, u32 length,
 *                  u8 choice, then a u32 buffer address reduced into RAM
 *                  or (choice bit 0) a u64 one taken as it is; the
 *                  descriptor goes into RAM at its address reduced into
 *                  RAM, or (choice bit 1) at the address as it is, if
 *                  that is RAM; then its address goes to port 0x518
 *   7 fw_cfg read  u16 key, u8 count: select, then count data reads
 *   8 reset        (fw_cfg, RTC, i8042, PCI functions)
 *   9 keyboard     u8 length (up to 8), then the scancode bytes
 *  10 mouse        s8 dx, s8 dy, s8 dz, u8 buttons
 *  11 power button
 * Besides what the ACPI and SMBIOS code adds, fw_cfg holds a 64-byte
 * writable file, opt/fuzz/writable (the last file: key 0x25 today).
 * A port choice below the table size picks a platform port (fw_cfg,
 * i8042, RTC, port 0x92, APM, 0xCF9, GPE0, the PM block at its
 * programmed base or 0x600); other values read a u16 port number.
 *
 * Deterministic: the fake clock moves only by operation 5, and the RTC,
 * which starts from the host's time (CLOCK_REALTIME), is given a fixed one
 * while it is created: ten seconds before the end of 2023, so that clock
 * steps reach a year rollover.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "fake-dm.h"
#include "fuzz-ops.h"
#include "pc.h"

#define RAM_SIZE     (2u << 20)
#define NR_VCPUS     2
#define MAX_OPS      2000
#define MAX_CLOCK_NS 1000000000u
#define DEFAULT_PM_BASE 0x600
#define RTC_START_TIME 1704067190 /* 2023-12-31 23:59:50 UTC */

enum op {
	OP_PIO_READ,
	OP_PIO_WRITE,
	OP_PCI_READ,
	OP_PCI_WRITE,
	OP_RAM_WRITE,
	OP_CLOCK,
	OP_FW_CFG_DMA,
	OP_FW_CFG_READ,
	OP_RESET,
	OP_KBD,
	OP_MOUSE,
	OP_POWER_BUTTON,
	NR_OPS,
};

/* Fixed ports of the platform (the PM block comes after them). */
static const uint16_t fixed_ports[] = {
	0x510, 0x511, 0x512, 0x513, 0x514, 0x515, 0x516, 0x517,
	0x518, 0x519, 0x51a, 0x51b,
	0x60, 0x64, 0x70, 0x71, 0x92, APM_CNT_PORT, APM_STS_PORT,
	PIIX3_RCR_PORT,
	PIIX4_PM_GPE0_BASE, PIIX4_PM_GPE0_BASE + 1, PIIX4_PM_GPE0_BASE + 2,
	PIIX4_PM_GPE0_BASE + 3,
};
#define NR_FIXED_PORTS (sizeof(fixed_ports) / sizeof(fixed_ports[0]))

static const unsigned int pci_devfns[] = { 0x00, 0x08, 0x0b };

struct platform {
	struct dm *dm;
	struct pc_parts parts;
};

/* ---------------------------------------------------- the host's time */

/* Set while the platform is created: CLOCK_REALTIME is then fixed. */
static bool fixed_realtime;

/* Interposes libc's clock_gettime() for the whole program; libFuzzer's
 * own timing gets the real clock. */
int clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (fixed_realtime && clk == CLOCK_REALTIME) {
		ts->tv_sec = RTC_START_TIME;
		ts->tv_nsec = 0;
		return 0;
	}
	return (int)syscall(SYS_clock_gettime, clk, ts);
}

/* ----------------------------------------------------------- platform */

static void platform_destroy(struct platform *p)
{
	pc_parts_destroy(&p->parts);
	/* Every claim, timer and watch must have been given back. */
	if (!fake_dm_free(p->dm)) {
		fprintf(stderr, "fuzz-platform: resources left behind\n");
		abort();
	}
}

/* What pc.c builds (pc_parts_create), on the fake device model. */
static void platform_create(struct platform *p)
{
	struct acpi_config cfg = {
		.nr_vcpus = NR_VCPUS,
		.ram_below_4g = RAM_SIZE,
		.ram_above_4g = 0,
	};
	sigset_t alrm, old;
	int err;

	memset(p, 0, sizeof(*p));
	p->dm = fake_dm_new(RAM_SIZE);
	if (!p->dm)
		abort();
	fake_dm_set_machine(p->dm, NR_VCPUS, RAM_SIZE, 0);
	/* libFuzzer's -timeout watchdog is a SIGALRM handler that reads the
	 * clock: hold it off while the clock is fixed. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);
	fixed_realtime = true;
	err = pc_parts_create(p->dm, &p->parts, &cfg);
	fixed_realtime = false;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* A writable file, for the DMA write path (WRITE_POINTER targets
	 * such as QEMU's etc/vmgenid_addr are like it). */
	if (err < 0 ||
	    !fw_cfg_add_file(p->parts.fw_cfg, "opt/fuzz/writable", NULL, 64,
			     NULL, NULL, true)) {
		fprintf(stderr, "fuzz-platform: cannot build the platform\n");
		abort();
	}
	fake_dm_start(p->dm);
}

/* ---------------------------------------------------------- operations */

/* The fixed ports, then the PM block at its programmed base (or 0x600). */
static bool op_pio(struct platform *p, struct input *in, unsigned int size,
		   bool write)
{
	uint16_t port, pm_base = piix4_pm_io_base(p->parts.pm);

	if (!pm_base)
		pm_base = DEFAULT_PM_BASE;
	return fuzz_pick_port(in, fixed_ports, NR_FIXED_PORTS, pm_base,
			      PIIX4_PM_IO_LEN, &port) &&
	       fuzz_pio(p->dm, in, port, size, write);
}

static bool op_pci(struct platform *p, struct input *in, unsigned int size,
		   bool write)
{
	uint8_t fn, offset;

	if (!take_u8(in, &fn) || !take_u8(in, &offset))
		return false;
	fn %= sizeof(pci_devfns) / sizeof(pci_devfns[0]);
	return fuzz_pci(p->dm, in, pci_devfns[fn], offset, size, write);
}

static void put_be32(uint8_t *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (24 - 8 * i));
}

/* Writes a DMA descriptor into RAM and starts it, as SeaBIOS does. */
static bool op_fw_cfg_dma(struct platform *p, struct input *in)
{
	uint32_t desc, control, len, lo;
	uint64_t buf;
	uint8_t choice, d[16];

	if (!take_u32(in, &desc) || !take_u32(in, &control) ||
	    !take_u32(in, &len) || !take_u8(in, &choice))
		return false;
	if (choice & 1) {
		if (!take_le(in, &buf, 8))
			return false;
	} else {
		if (!take_u32(in, &lo))
			return false;
		buf = lo % RAM_SIZE;
	}
	/* Mostly in RAM; with choice bit 1 wherever the input says. */
	if (!(choice & 2))
		desc %= RAM_SIZE - sizeof(d);
	put_be32(d, control);
	put_be32(d + 4, len);
	put_be32(d + 8, (uint32_t)(buf >> 32));
	put_be32(d + 12, (uint32_t)buf);
	if (desc <= RAM_SIZE - sizeof(d))
		memcpy(fake_ram(p->dm) + desc, d, sizeof(d));
	fake_pio_write(p->dm, FW_CFG_PORT_DMA, 0, 4);
	fake_pio_write(p->dm, FW_CFG_PORT_DMA + 4,
		       __builtin_bswap32(desc), 4);
	return true;
}

static bool op_fw_cfg_read(struct platform *p, struct input *in)
{
	uint64_t key;
	uint8_t count;

	if (!take_le(in, &key, 2) || !take_u8(in, &count))
		return false;
	fake_pio_write(p->dm, FW_CFG_PORT_SEL, key, 2);
	for (unsigned int i = 0; i < count; i++)
		fake_pio_read(p->dm, FW_CFG_PORT_DATA, 1);
	return true;
}

static bool op_kbd(struct platform *p, struct input *in)
{
	uint8_t len, bytes[8];

	if (!take_u8(in, &len))
		return false;
	len %= sizeof(bytes) + 1;
	if (!take(in, bytes, len))
		return false;
	i8042_kbd_put(p->parts.i8042, bytes, len);
	return true;
}

static bool op_mouse(struct platform *p, struct input *in)
{
	uint8_t m[4];

	if (!take(in, m, sizeof(m)))
		return false;
	i8042_mouse_move(p->parts.i8042, (int8_t)m[0], (int8_t)m[1], (int8_t)m[2],
			 m[3]);
	return true;
}

static bool run_op(struct platform *p, struct input *in)
{
	unsigned int size;
	uint32_t ns;
	uint8_t opcode;

	if (!take_u8(in, &opcode))
		return false;
	size = fuzz_access_size(opcode);
	switch ((opcode & 0x0f) % NR_OPS) {
	case OP_PIO_READ:
		return op_pio(p, in, size, false);
	case OP_PIO_WRITE:
		return op_pio(p, in, size, true);
	case OP_PCI_READ:
		return op_pci(p, in, size, false);
	case OP_PCI_WRITE:
		return op_pci(p, in, size, true);
	case OP_RAM_WRITE:
		return fuzz_ram_write(p->dm, in, RAM_SIZE);
	case OP_CLOCK:
		if (!take_u32(in, &ns))
			return false;
		fake_clock_advance(p->dm, ns % MAX_CLOCK_NS);
		return true;
	case OP_FW_CFG_DMA:
		return op_fw_cfg_dma(p, in);
	case OP_FW_CFG_READ:
		return op_fw_cfg_read(p, in);
	case OP_RESET:
		fw_cfg_reset(p->parts.fw_cfg);
		rtc_reset(p->parts.rtc);
		i8042_reset(p->parts.i8042);
		fake_pci_reset(p->dm);
		return true;
	case OP_KBD:
		return op_kbd(p, in);
	case OP_MOUSE:
		return op_mouse(p, in);
	case OP_POWER_BUTTON:
		fake_power_button(p->dm);
		return true;
	}
	return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init("fuzz-platform", "FUZZ_PLATFORM_VERBOSE");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { .p = data, .left = size };
	struct platform p;

	platform_create(&p);
	for (unsigned int i = 0; i < MAX_OPS && run_op(&p, &in); i++)
		;
	platform_destroy(&p);
	return 0;
}
