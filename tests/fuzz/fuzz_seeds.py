# SPDX-License-Identifier: GPL-2.0-or-later
"""What the seed corpus writers (make-corpus.py, make-corpus-ide.py) share:
the opcode byte of the fuzz targets' input formats (the operation in the
low nibble, the access size in bits 4-5), the operations 0-4 that both
formats have (tests/fuzz/fuzz-ops.h), and writing the seeds out."""

import os
import struct
import sys

PIO_READ, PIO_WRITE, PCI_READ, PCI_WRITE, RAM_WRITE = range(5)
SIZE = {1: 0, 2: 1, 4: 2}


def op(code, size=1):
    return bytes([code | SIZE[size] << 4])


def ram(addr, data):
    return op(RAM_WRITE) + struct.pack('<IB', addr, len(data)) + data


def write_seeds(seeds, corpus):
    """Writes each seed into a file of its name: in the directory given
    as the first argument, else in corpus next to this file."""
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           corpus)
    if len(sys.argv) > 1:
        out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out_dir, name), 'wb') as f:
            f.write(data)
