/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A byte sink for the firmware tables acpi-build.c and smbios.c build
 * (little-endian, as ACPI 6.x 5.2 and SMBIOS DSP0134 lay them out).  Each
 * table set is built twice by the same code: first with buf NULL, which
 * only counts the bytes, then into a buffer of exactly that size.  So no
 * write can fail or overrun, and offsets found while counting hold for
 * the real pass.
 */
#ifndef HVMKIT_ACPI_OUT_H
#define HVMKIT_ACPI_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct acpi_out {
	uint8_t *buf;   /* NULL while counting */
	size_t len;     /* bytes written (or counted) so far */
};

static inline void out_bytes(struct acpi_out *o, const void *p, size_t n)
{
	if (o->buf)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static inline void out_zero(struct acpi_out *o, size_t n)
{
	if (o->buf)
		memset(o->buf + o->len, 0, n);
	o->len += n;
}

/* The n (1-8) low bytes of v, little-endian. */
static inline void out_le(struct acpi_out *o, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (o->buf)
			o->buf[o->len] = (uint8_t)(v >> (8 * i));
		o->len++;
	}
}

/* A string of exactly n bytes: s, then NUL padding (s is cut at n). */
static inline void out_str_fixed(struct acpi_out *o, const char *s,
				 size_t n)
{
	size_t l = strnlen(s, n);

	out_bytes(o, s, l);
	out_zero(o, n - l);
}

/* Zero bytes up to the next multiple of align (a power of two). */
static inline void out_align(struct acpi_out *o, size_t align)
{
	out_zero(o, (align - (o->len & (align - 1))) & (align - 1));
}

/* Overwrites n bytes at off (already written) with v, little-endian. */
static inline void out_patch_le(struct acpi_out *o, size_t off, uint64_t v,
				unsigned int n)
{
	unsigned int i;

	if (!o->buf)
		return;
	for (i = 0; i < n; i++)
		o->buf[off + i] = (uint8_t)(v >> (8 * i));
}

/* The byte that makes the sum of p[0..n) zero. */
static inline uint8_t table_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return (uint8_t)-sum;
}

#endif
