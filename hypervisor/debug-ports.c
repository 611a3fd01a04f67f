/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Debug console, POST code and test-exit ports (see debug-ports.h).  The
 * debug console follows the Bochs/QEMU "debugcon" convention that SeaBIOS
 * uses for its log (SeaBIOS src/hw/serialio.c: port 0x402, readback 0xe9).
 */
#include "debug-ports.h"

#include <string.h>

#include "hvmkit/log.h"
#include "vm.h"

static void debugcon_io(void *opaque, unsigned int vcpu, uint64_t addr,
			uint8_t *data, unsigned int len, bool is_write)
{
	struct vm *vm = opaque;

	(void)vcpu;
	(void)addr;
	if (!is_write) {
		memset(data, 0, len);
		data[0] = DEBUGCON_READBACK;
		return;
	}
	/* Only the low byte of a wider write is a character, as on Bochs. */
	if (vm->cfg.debugcon)
		fputc(data[0], vm->cfg.debugcon);
}

static void post_code_io(void *opaque, unsigned int vcpu, uint64_t addr,
			 uint8_t *data, unsigned int len, bool is_write)
{
	struct vm *vm = opaque;

	(void)addr;
	if (!is_write) {
		memset(data, 0, len);
		data[0] = vm->post_code;
		return;
	}
	vm->post_code = data[0];
	log_guest_at(LOG_DEBUG, "vCPU %u: POST code %#04x", vcpu, data[0]);
}

static void test_exit_io(void *opaque, unsigned int vcpu, uint64_t addr,
			 uint8_t *data, unsigned int len, bool is_write)
{
	struct vm *vm = opaque;

	if (!is_write || addr != TEST_EXIT_PORT) {
		/* 0xf5-0xf7 only exist so that a 32-bit OUT at 0xf4 lands
		 * here; alone they read as zero and ignore writes. */
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	log_guest_at(LOG_INFO, "vCPU %u: guest reported exit status %u",
		     vcpu, data[0]);
	if (vm->cfg.debugcon)
		fflush(vm->cfg.debugcon);
	vm_request_stop(vm, VM_STOP_TEST_EXIT, data[0]);
}

int debug_ports_register(struct vm *vm)
{
	if (iobus_register(&vm->pio, DEBUGCON_PORT, 1, debugcon_io, vm,
			   "debugcon") ||
	    iobus_register(&vm->pio, DEBUGCON_PORT_BOCHS, 1, debugcon_io, vm,
			   "debugcon-e9") ||
	    iobus_register(&vm->pio, POST_CODE_PORT, 1, post_code_io, vm,
			   "post-code") ||
	    iobus_register(&vm->pio, TEST_EXIT_PORT, 4, test_exit_io, vm,
			   "test-exit")) {
		log_error("cannot register the debug ports");
		return -1;
	}
	return 0;
}
