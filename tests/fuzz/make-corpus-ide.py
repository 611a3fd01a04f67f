#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the seed corpus of tests/fuzz/fuzz-ide.c into
tests/fuzz/corpus-ide/: short programs in its input format (see the
comment at the top of fuzz-ide.c) that do what SeaBIOS and Linux's
ata_piix/ide-cd do with the controller: IDENTIFY, PIO reads and writes,
READ/WRITE MULTIPLE, DMA through PRD tables, ATAPI packets (PIO and DMA),
media changes, resets in flight, and the PRD mistakes the device must
survive (outside RAM, no EOT, zero lengths)."""

import struct
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from fuzz_seeds import (  # noqa: E402
    PIO_READ, PIO_WRITE, PCI_READ, PCI_WRITE, op, ram, write_seeds)

# The operations after the five both input formats have (fuzz_seeds.py).
PRD, POLL, RESET, MEDIA, BURST, ATA, PACKET, CLOCK, BM_CMD = range(5, 14)

# Port choices: fuzz-ide.c's fixed_ports[], then the bus-master block.
CMD = {0: 0, 1: 9}          # channel -> index of its command block
CTL = {0: 8, 1: 17}
BM = 18                      # + offset 0-15

CFG_SLAVE_CD, CFG_EMPTY_HDD, CFG_RO_DISK = 1, 2, 4


def inp(ch, reg, size=1):
    return op(PIO_READ, size) + bytes([CMD[ch] + reg])


def out(ch, reg, value, size=1):
    return op(PIO_WRITE, size) + bytes([CMD[ch] + reg]) + \
        struct.pack('<I', value)


def ctl(ch, value):
    return op(PIO_WRITE) + bytes([CTL[ch]]) + struct.pack('<I', value)


def bm_in(ch, reg, size=1):
    return op(PIO_READ, size) + bytes([BM + 8 * ch + reg])


def pci_wr(off, value, size=4):
    return op(PCI_WRITE, size) + bytes([off]) + struct.pack('<I', value)


def pci_rd(off, size=4):
    return op(PCI_READ, size) + bytes([off])


def prd(table, entries, ch=0):
    """entries: (addr, count, eot); addresses taken as they are."""
    b = op(PRD) + struct.pack('<IB', table, len(entries) | ch << 7)
    for addr, count, eot in entries:
        b += struct.pack('<IHB', addr, count, 1 if eot else 0)
    return b


def poll(wait=True, times=1):
    return (op(POLL) + bytes([1 if wait else 0])) * times


def reset(kind):
    return op(RESET) + bytes([kind])


def media(drive, action):
    """drive: 0 hdb, 1 hdc, 2 hdd; action: 0 eject, 1 CD 1, 2 CD 2."""
    return op(MEDIA) + bytes([drive | action << 2])


def burst(ch, words, write=False, size=2):
    return op(BURST, size) + bytes([ch | (2 if write else 0)]) + \
        struct.pack('<H', words)


def ata(ch, dev, cmd, feature=0, count=0, lba=0, lba48=False):
    c = ch | dev << 1 | (4 if lba48 else 0)
    return op(ATA) + bytes([c, cmd, feature, count]) + \
        struct.pack('<I', lba)


def packet(ch, dev, cdb, features=0, bcl=0xfffe):
    cdb = bytes(cdb) + bytes(12 - len(cdb))
    return op(PACKET) + bytes([ch | dev << 1, features]) + \
        struct.pack('<H', bcl) + cdb


def bm_cmd(ch, value):
    return op(BM_CMD) + bytes([ch, value])


def status(ch):
    return inp(ch, 7)


def sector_in(ch, n=1):
    return b''.join(poll() + status(ch) + burst(ch, 256) for _ in range(n))


def sector_out(ch, n=1):
    return b''.join(poll() + status(ch) + burst(ch, 256, True)
                    for _ in range(n)) + poll() + status(ch)


def pkt_in(ch, cdb, words=1024):
    """A PIO packet and its data, as ide-cd reads it."""
    return packet(ch, 0, cdb) + poll(times=2) + inp(ch, 2) + inp(ch, 4) + \
        inp(ch, 5) + status(ch) + burst(ch, words) + poll() + status(ch)


def be32(v):
    return list(struct.pack('>I', v))


READ10 = lambda lba, n: [0x28, 0] + be32(lba) + [0, n >> 8, n & 0xff]

SEEDS = {
    # SeaBIOS/Linux probing: SRST, signatures, IDENTIFY on every device.
    'identify': bytes([CFG_SLAVE_CD | CFG_EMPTY_HDD]) + ctl(0, 4) +
    ctl(0, 0) + inp(0, 2) + inp(0, 3) + inp(0, 4) + inp(0, 5) +
    ata(0, 0, 0xec) + sector_in(0) + ata(0, 1, 0xec) + poll() +
    status(0) + inp(0, 1) + inp(0, 4) + inp(0, 5) + ata(0, 1, 0xa1) +
    sector_in(0) + ata(1, 0, 0xa1) + sector_in(1) + ata(1, 1, 0xa1) +
    sector_in(1) + ata(0, 0, 0xef, 0x03, 0x42) + poll() + status(0) +
    ata(0, 0, 0x90) + poll() + inp(0, 1) + ata(0, 0, 0x91, 0, 32, 0x0f) +
    poll() + ata(0, 0, 0x40, 0, 8, 100) + poll() + status(0) +
    pci_rd(0x40, 2) + pci_wr(0x40, 0xa307a307) + pci_rd(0x44, 1),
    # PIO reads (LBA28, CHS, EXT) and writes, with 32-bit data accesses.
    'pio-rw': bytes([0]) + ata(0, 0, 0x20, 0, 2, 5) + sector_in(0, 2) +
    ata(0, 0, 0x24, 0, 1, 0x1234, True) + sector_in(0) +
    ata(0, 0, 0x30, 0, 2, 7) + sector_out(0, 2) +
    ata(0, 0, 0x20, 0, 1, 7) + poll() + status(0) + burst(0, 128, size=4) +
    ata(0, 0, 0xe7) + poll() + status(0) + ata(0, 0, 0xea) + poll() +
    status(0) + ata(0, 0, 0x20, 0, 1, 0x7fffff) + poll() + status(0) +
    inp(0, 1),
    # SET MULTIPLE MODE, READ/WRITE MULTIPLE, HOB reads, nIEN.
    'multiple': bytes([0]) + ata(0, 0, 0xc4, 0, 4, 0) + poll() + status(0) +
    ata(0, 0, 0xc6, 0, 4) + poll() + status(0) + ata(0, 0, 0xc4, 0, 6, 9) +
    poll() + status(0) + burst(0, 1024) + poll() + status(0) +
    burst(0, 512) + ctl(0, 0x02) + ata(0, 0, 0xc5, 0, 5, 20) + poll() +
    burst(0, 1024, True) + poll() + burst(0, 256, True) + poll() +
    ctl(0, 0x80) + inp(0, 2) + inp(0, 3) + ctl(0, 0) + status(0),
    # Linux ata_bmdma: PRD table, direction, command, start, status.
    'dma-read': bytes([0]) + pci_rd(0x20) + pci_wr(0x20, 0xc001) +
    prd(0x1000, [(0x10000, 2048, False), (0x20000, 0, True)]) +
    bm_cmd(0, 0x08) + ata(0, 0, 0xc8, 0, 132, 0) + bm_cmd(0, 0x09) +
    poll(times=4) + bm_in(0, 2) + status(0) + bm_cmd(0, 0x08) +
    op(PIO_WRITE) + bytes([BM + 2]) + struct.pack('<I', 0x06),
    'dma-write-ext': bytes([0]) + ram(0x10000, bytes(range(200))) +
    prd(0x1000, [(0x10000, 512, False), (0x10201, 512, True)]) +
    bm_cmd(0, 0x00) + ata(0, 0, 0x35, 0, 2, 0x100, True) +
    bm_cmd(0, 0x01) + poll(times=3) + bm_in(0, 2) + status(0) +
    bm_cmd(0, 0x00) + ata(0, 0, 0x25, 0, 2, 0x100, True) +
    prd(0x1000, [(0x30000, 1024, True)]) + bm_cmd(0, 0x09) +
    poll(times=3) + status(0) + bm_cmd(0, 0x08),
    # PRD tables the device must survive.
    'dma-bad-prd': bytes([0]) +
    prd(0x1000, [(0x10000000, 512, True)]) + bm_cmd(0, 0x08) +
    ata(0, 0, 0xc8, 0, 1, 0) + bm_cmd(0, 0x09) + poll(times=2) +
    bm_in(0, 2) + status(0) + bm_cmd(0, 0) +
    prd(0x1ffff8, [(0x1000, 2, False)]) + bm_cmd(0, 0x08) +
    ata(0, 0, 0xc8, 0, 0, 0) + bm_cmd(0, 0x09) + poll(times=2) +
    bm_cmd(0, 0) + prd(0x2000, [(0x2000, 0, False)] * 16) +
    bm_cmd(0, 0x08) + ata(0, 0, 0xc8, 0, 0, 0) + bm_cmd(0, 0x09) +
    poll(times=4) + bm_in(0, 2) + bm_cmd(0, 0) +
    prd(0x3000, [(0x1ffe00, 4096, True)]) + ata(0, 0, 0xca, 0, 8, 0) +
    bm_cmd(0, 0x01) + poll(times=2) + status(0),
    # A reset of each kind with DMA in flight.
    'reset-in-flight': bytes([CFG_SLAVE_CD]) +
    prd(0x1000, [(0x100000, 0, True)]) + bm_cmd(0, 0x08) +
    ata(0, 0, 0xc8, 0, 128, 0) + bm_cmd(0, 0x09) + reset(2) +
    poll(times=2) + ata(0, 0, 0xc8, 0, 128, 0) + bm_cmd(0, 0x09) +
    reset(0) + poll() + pci_wr(0x20, 0xc001) + pci_wr(0x04, 0x5, 2) +
    ata(0, 0, 0xc8, 0, 128, 0) + prd(0x1000, [(0x100000, 0, True)]) +
    bm_cmd(0, 0x09) + reset(1) + poll(times=2) + status(0),
    # ide-cd: TEST UNIT READY, REQUEST SENSE, READ CAPACITY, READ(10).
    'packet-read10': bytes([0]) + pkt_in(1, [0x00]) +
    pkt_in(1, [0x03, 0, 0, 0, 18]) + pkt_in(1, [0x00]) +
    pkt_in(1, [0x25]) + pkt_in(1, READ10(1, 1)) +
    packet(1, 0, READ10(3, 2), bcl=1000) + poll() + status(1) +
    burst(1, 500) + poll() + status(1) + burst(1, 500) + poll() +
    status(1) + burst(1, 100) + poll() + status(1),
    # The rest of what Linux and Windows ask a CD drive.
    'packet-misc': bytes([CFG_EMPTY_HDD]) +
    pkt_in(1, [0x12, 0, 0, 0, 96]) +
    pkt_in(1, [0x43, 0, 0, 0, 0, 0, 0, 0, 100]) +
    pkt_in(1, [0x43, 2, 1, 0, 0, 0, 0, 0, 100]) +
    pkt_in(1, [0x46, 0, 0, 0, 0, 0, 0, 2, 0]) +
    pkt_in(1, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8]) +
    pkt_in(1, [0x5a, 0, 0x2a, 0, 0, 0, 0, 1, 0]) +
    pkt_in(1, [0x51, 0, 0, 0, 0, 0, 0, 0, 32]) +
    pkt_in(1, [0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8]) +
    pkt_in(1, [0xad, 0, 0, 0, 0, 0, 0, 0, 8, 4]) +
    pkt_in(1, [0xbe, 0, 0, 0, 0, 1, 0, 0, 1, 0x10]) +
    pkt_in(1, [0x1e, 0, 0, 0, 1]) + pkt_in(1, [0x1b, 0, 0, 0, 2]) +
    media(1, 0) + pkt_in(1, [0x1e, 0, 0, 0, 0]) +
    pkt_in(1, [0x1b, 0, 0, 0, 2]) + media(1, 2) + pkt_in(1, [0x00]) +
    pkt_in(1, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8]) + media(2, 1) +
    pkt_in(1, [0x00]) + packet(1, 1, [0x00]) + poll() + status(1) +
    packet(1, 0, [0x55, 0x10, 0, 0, 0, 0, 0, 0, 16]) + poll() +
    inp(1, 2) + burst(1, 8, True) + poll() + status(1),
    # PACKET with DMA (Features bit 0), on the secondary bus master.
    'packet-dma': bytes([0]) + pkt_in(1, [0x00]) +
    prd(0x1000, [(0x40000, 2048, False), (0x50000, 2048, True)], ch=1) +
    bm_cmd(1, 0x08) + packet(1, 0, READ10(4, 2), features=1) +
    bm_cmd(1, 0x09) + poll(times=3) + bm_in(1, 2) + status(1) +
    bm_cmd(1, 0x08) + packet(1, 0, READ10(9999, 1), features=1) +
    bm_cmd(1, 0x09) + poll(times=2) + status(1) + pkt_in(1, [0x03, 0, 0, 0,
                                                              18]) +
    bm_cmd(1, 0x08) + packet(1, 0, [0x12, 0, 0, 0, 36], features=1) +
    bm_cmd(1, 0x09) + poll(times=2) + status(1) + bm_cmd(1, 0x08) +
    packet(1, 0, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 0x80], features=1) +
    bm_cmd(1, 0x09) + poll(times=2) + bm_in(1, 2) + status(1),
}


if __name__ == '__main__':
    write_seeds(SEEDS, 'corpus-ide')
