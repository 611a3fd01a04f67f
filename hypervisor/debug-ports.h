/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Ports the hypervisor itself handles for debugging and testing:
 *   0x402, 0xe9  debug console: bytes written go to the debugcon sink;
 *                reads return 0xe9 (how SeaBIOS and Bochs-style guests
 *                detect that the port is present)
 *   0x80         POST code: the last value is kept and logged at debug level
 *   0xf4         test exit: a write of value v stops the VM and makes v the
 *                process exit status (0 = the guest's tests passed)
 */
#ifndef HVMKIT_DEBUG_PORTS_H
#define HVMKIT_DEBUG_PORTS_H

#define DEBUGCON_PORT       0x402
#define DEBUGCON_PORT_BOCHS 0xe9
#define DEBUGCON_READBACK   0xe9
#define POST_CODE_PORT      0x80
#define TEST_EXIT_PORT      0xf4

struct vm;

int debug_ports_register(struct vm *vm);

#endif
