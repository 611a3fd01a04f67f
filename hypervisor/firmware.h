/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading a PC firmware image (SeaBIOS, OVMF, or a test guest). */
#ifndef HVMKIT_FIRMWARE_H
#define HVMKIT_FIRMWARE_H

#include <stdint.h>

/*
 * Reads the image at path into a fresh read-only mapping.  A PC firmware
 * image is a whole number of 64 KiB blocks and at most 16 MiB (it is mapped
 * below 4 GiB, above the TSS/identity-map pages).  On error logs one line
 * naming the file and the problem and returns NULL.
 */
uint8_t *firmware_map(const char *path, uint64_t *size);

#endif
