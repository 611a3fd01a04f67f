/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the fuzz targets share beyond their input reader (fuzz-input.h),
 * on the fake device model (tests/unit/fake-dm.c): the opcode byte's
 * access size, the operations their input formats have in common (port
 * accesses, PCI configuration accesses, guest RAM writes) and the log
 * setup.  Header-only: each target is one translation unit.
 */
#ifndef HVMKIT_FUZZ_OPS_H
#define HVMKIT_FUZZ_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fake-dm.h"
#include "fuzz-input.h"
#include "hvmkit/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An opcode byte's access size (bits 4-5: 1, 2, 4, 1 bytes); the low
 * nibble is the operation. */
static inline unsigned int fuzz_access_size(uint8_t opcode)
{
	static const unsigned int sizes[] = { 1, 2, 4, 1 };

	return sizes[(opcode >> 4) & 3];
}

/* A port from a u8 choice: below nr_fixed an entry of fixed[], below
 * nr_fixed + range_len range_base + (choice - nr_fixed), else the u16
 * that follows. */
static inline bool fuzz_pick_port(struct input *in, const uint16_t *fixed,
				  size_t nr_fixed, uint16_t range_base,
				  unsigned int range_len, uint16_t *port)
{
	uint64_t any;
	uint8_t c;

	if (!take_u8(in, &c))
		return false;
	if (c < nr_fixed) {
		*port = fixed[c];
	} else if (c < nr_fixed + range_len) {
		*port = (uint16_t)(range_base + (c - nr_fixed));
	} else {
		if (!take_le(in, &any, 2))
			return false;
		*port = (uint16_t)any;
	}
	return true;
}

/* A read of port, or a write of the u32 that follows. */
static inline bool fuzz_pio(struct dm *dm, struct input *in, uint16_t port,
			    unsigned int size, bool write)
{
	uint32_t v;

	if (!write) {
		fake_pio_read(dm, port, size);
		return true;
	}
	if (!take_u32(in, &v))
		return false;
	fake_pio_write(dm, port, v, size);
	return true;
}

/* A configuration read of devfn at offset, or a write of the u32 that
 * follows. */
static inline bool fuzz_pci(struct dm *dm, struct input *in,
			    unsigned int devfn, uint8_t offset,
			    unsigned int size, bool write)
{
	uint32_t v;

	if (!write) {
		fake_pci_config_read(dm, devfn, offset, size);
		return true;
	}
	if (!take_u32(in, &v))
		return false;
	fake_pci_config_write(dm, devfn, offset, size, v);
	return true;
}

/* u32 address (reduced into RAM), u8 length, then that many bytes into
 * guest RAM (fewer where RAM or the input ends). */
static inline bool fuzz_ram_write(struct dm *dm, struct input *in,
				  uint32_t ram_size)
{
	uint32_t addr;
	uint8_t len;
	size_t n;

	if (!take_u32(in, &addr) || !take_u8(in, &len))
		return false;
	addr %= ram_size;
	n = len;
	if (n > ram_size - addr)
		n = ram_size - addr;
	take_upto(in, fake_ram(dm) + addr, n);
	return true;
}

/* ---------------------------------------------------------------- log */

static const char *fuzz_verbose_env;

static inline bool fuzz_quiet_errors(const char *msg)
{
	static bool verbose, checked;

	if (!checked) {
		verbose = getenv(fuzz_verbose_env) != NULL;
		checked = true;
	}
	return !verbose && msg;
}

/* Guest-mistake warnings are the normal case in a fuzz run: errors only,
 * and those dropped unless the environment has verbose_env. */
static inline void fuzz_log_init(const char *prog, const char *verbose_env)
{
	fuzz_verbose_env = verbose_env;
	log_init(prog, LOG_ERROR);
	log_set_error_hook(fuzz_quiet_errors);
}

#endif
