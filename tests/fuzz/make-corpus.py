#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the seed corpus of tests/fuzz/fuzz-platform.c into
tests/fuzz/corpus/: short programs in its input format (see the comment at
the top of fuzz-platform.c) that do what SeaBIOS and Linux do with the
platform: detect fw_cfg, walk its directory, fetch files by DMA, enable the
PM block, program the RTC, talk to the i8042, route PIRQs, reset."""

import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from fuzz_seeds import (  # noqa: E402
    PIO_READ, PIO_WRITE, PCI_READ, PCI_WRITE, op, ram, write_seeds)

# The operations after the five both input formats have (fuzz_seeds.py).
CLOCK, FW_CFG_DMA, FW_CFG_READ, RESET, KBD, MOUSE, POWER_BUTTON = \
    range(5, 12)

# Port choices: indexes into fuzz-platform.c's fixed_ports[], then the PM
# block (24 + offset), then 0xff followed by any u16 port.
PORT = {0x510: 0, 0x511: 1, 0x514: 4, 0x518: 8, 0x60: 12, 0x64: 13,
        0x70: 14, 0x71: 15, 0x92: 16, 0xb2: 17, 0xb3: 18, 0xcf9: 19,
        0xafe0: 20, 0xafe2: 22}
PM = 24
DEV_I440FX, DEV_PIIX3, DEV_PM = 0, 1, 2

SELECT, READ, SKIP, WRITE = 0x08, 0x02, 0x04, 0x10
# fw_cfg files as fuzz-platform.c adds them: ACPI (tables, rsdp, loader),
# SMBIOS (tables, anchor), then its 64-byte writable file.
WRITABLE = 0x25


def port(p):
    if isinstance(p, tuple):  # ("pm", offset)
        return bytes([PM + p[1]])
    if p in PORT:
        return bytes([PORT[p]])
    return b'\xff' + struct.pack('<H', p)


def inp(p, size=1):
    return op(PIO_READ, size) + port(p)


def out(p, value, size=1):
    return op(PIO_WRITE, size) + port(p) + struct.pack('<I', value)


def pci_rd(fn, off, size=4):
    return op(PCI_READ, size) + bytes([fn, off])


def pci_wr(fn, off, value, size=4):
    return op(PCI_WRITE, size) + bytes([fn, off]) + struct.pack('<I', value)


def clock(ns):
    return op(CLOCK) + struct.pack('<I', ns)


def dma(desc, control, length, buf):
    return op(FW_CFG_DMA) + struct.pack('<IIIBI', desc, control, length, 0,
                                        buf)


def cfg_read(key, count):
    return op(FW_CFG_READ) + struct.pack('<HB', key, count)


def select_read(key, length, buf=0x2000):
    return dma(0x1000, key << 16 | SELECT | READ, length, buf)


SEEDS = {
    # SeaBIOS qemu_cfg_detect, then the numbered keys it reads.
    'fw-cfg-detect': cfg_read(0, 4) + cfg_read(1, 4) + inp(0x514, 4) +
    inp(0x518, 4) + cfg_read(5, 2) + cfg_read(0x0e, 2) + cfg_read(0x8003, 8),
    # The directory through ports, then every file by DMA.
    'fw-cfg-files': cfg_read(0x19, 255) + select_read(0x19, 0x1000) +
    b''.join(select_read(k, 0x10000) for k in range(0x20, 0x28)),
    # Select, skip, read; a WRITE_POINTER-style write; a bad descriptor.
    'fw-cfg-dma-misc': dma(0x1000, 0x20 << 16 | SELECT | SKIP, 36, 0) +
    dma(0x1000, READ, 8, 0x3000) +
    ram(0x3000, b'\x00\x10\x00\x00\x00\x00\x00\x00') +
    dma(0x1000, 0x21 << 16 | SELECT | WRITE, 8, 0x3000) +
    dma(0x1000, WRITABLE << 16 | SELECT | SKIP, 8, 0) +
    dma(0x1000, WRITE, 8, 0x3000) + dma(0x1000, WRITE, 64, 0x3000) +
    cfg_read(WRITABLE, 20) +
    op(FW_CFG_DMA) + struct.pack('<IIIBI', 0x1ffff8, READ, 0xffffffff, 2,
                                 0x1000) +
    out(0x510, 0x19, 2) + out(0x511, 0x55) + op(RESET) + inp(0x511),
    # SeaBIOS piix4_pm_setup: PMBA 0x600, PMREGMISC, then ACPI tables
    # built with that base; PM timer, PM1 and GPE0 accesses; S5.
    'pm-enable': pci_rd(DEV_PM, 0, 4) + pci_wr(DEV_PM, 0x40, 0x601) +
    pci_wr(DEV_PM, 0x80, 1, 1) + pci_wr(DEV_PM, 0x5b, 0x02, 1) +
    select_read(0x20, 0x10000) + select_read(0x22, 0x1000) +
    inp(('pm', 8), 4) + clock(5000000) + inp(('pm', 8), 4) +
    out(('pm', 2), 0x0100, 2) + out(('pm', 0), 0xffff, 2) +
    inp(('pm', 4), 2) + out(0xafe2, 0x0f) + inp(0xafe0) +
    out(0xb2, 0xf1) + inp(0xb3) + op(POWER_BUTTON) + inp(('pm', 0), 2) +
    out(('pm', 4), 0x2001, 2) + out(('pm', 4), 0x3c01, 2),
    # PIIX3 PIRQ routing, the i440FX PAM/SMRAM, reset control.
    'chipset': pci_rd(DEV_I440FX, 0, 4) + pci_rd(DEV_PIIX3, 0x0e, 1) +
    pci_wr(DEV_I440FX, 0x59, 0x30, 1) + pci_wr(DEV_I440FX, 0x72, 0x02, 1) +
    pci_wr(DEV_PIIX3, 0x60, 0x0b0a0b0a) + pci_rd(DEV_PIIX3, 0x60, 2) +
    pci_wr(DEV_PIIX3, 0x60, 0x80, 1) + out(0xcf9, 0x02) +
    out(0xcf9, 0x06) + inp(0x92) + out(0x92, 0x03) + pci_wr(DEV_PM, 0xff, 0,
                                                            2),
    # RTC: time registers, a periodic interrupt, the alarm, CMOS RAM.
    'rtc': out(0x70, 0x00) + inp(0x71) + out(0x70, 0x0a) + inp(0x71) +
    out(0x70, 0x0a) + out(0x71, 0x26) + out(0x70, 0x0b) + out(0x71, 0x72) +
    clock(100000000) + out(0x70, 0x0c) + inp(0x71) + out(0x70, 0x8f) +
    out(0x71, 0x00) + out(0x70, 0x5f) + inp(0x71) + out(0x70, 0x0b) +
    out(0x71, 0x86) + out(0x70, 0x00) + out(0x71, 0x59) + clock(999999999) +
    op(RESET),
    # i8042: self-test, command byte, keyboard and mouse, CPU reset.
    'i8042': out(0x64, 0xaa) + inp(0x64) + inp(0x60) + out(0x64, 0x20) +
    inp(0x60) + out(0x64, 0x60) + out(0x60, 0x47) + out(0x60, 0xff) +
    clock(1000000) + inp(0x60) + inp(0x60) + out(0x64, 0xa8) +
    out(0x64, 0xd4) + out(0x60, 0xf4) + inp(0x60) +
    op(KBD) + b'\x03\xe0\x1c\x1c' + op(MOUSE) + b'\x05\xfb\x00\x01' +
    inp(0x64) + inp(0x60) + inp(0x60) + out(0x64, 0xfe),
    # Ports nobody claims, wide accesses to byte ports.
    'odd-ports': inp(0x80) + out(0x1234, 0xdeadbeef, 4) + inp(0x510, 4) +
    inp(0x511, 2) + out(0x514, 0x12345678, 2) + inp(0x71, 4) +
    out(0x60, 0xffffffff, 4),
}


if __name__ == '__main__':
    write_seeds(SEEDS, 'corpus')
