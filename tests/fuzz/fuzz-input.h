/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fuzz targets' input reader: a fuzz input is consumed front to back
 * as little-endian integers and byte runs; a read past its end fails and
 * ends the operation sequence.  Header-only: each target is one
 * translation unit.
 */
#ifndef HVMKIT_FUZZ_INPUT_H
#define HVMKIT_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct input {
	const uint8_t *p;
	size_t left;
};

static inline bool take(struct input *in, void *buf, size_t len)
{
	if (in->left < len)
		return false;
	memcpy(buf, in->p, len);
	in->p += len;
	in->left -= len;
	return true;
}

/* Takes up to len bytes (fewer where the input ends first); returns how
 * many it took. */
static inline size_t take_upto(struct input *in, void *buf, size_t len)
{
	if (len > in->left)
		len = in->left;
	memcpy(buf, in->p, len);
	in->p += len;
	in->left -= len;
	return len;
}

static inline bool take_u8(struct input *in, uint8_t *v)
{
	return take(in, v, 1);
}

static inline bool take_le(struct input *in, uint64_t *v, size_t len)
{
	uint8_t b[8];

	if (len > sizeof(b) || !take(in, b, len))
		return false;
	*v = 0;
	for (size_t i = 0; i < len; i++)
		*v |= (uint64_t)b[i] << (8 * i);
	return true;
}

static inline bool take_u32(struct input *in, uint32_t *v)
{
	uint64_t x;

	if (!take_le(in, &x, 4))
		return false;
	*v = (uint32_t)x;
	return true;
}

#endif
