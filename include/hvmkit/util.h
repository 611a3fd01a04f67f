/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers shared by hvmkit programs: number parsing and sizes. */
#ifndef HVMKIT_UTIL_H
#define HVMKIT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KiB (1024ull)
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

/*
 * Parses a byte size: a decimal number with an optional suffix K, M, G or T
 * (binary multiples, case-insensitive, optional trailing "B" or "iB").
 * A bare number means bytes when bytes_default, otherwise MiB (as xl.cfg's
 * "memory" key).  Returns false on syntax errors and overflow.
 */
bool parse_size(const char *s, bool bytes_default, uint64_t *out);

/* Parses a whole decimal (or 0x-prefixed hex) number within [min, max]. */
bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Formats a byte count for messages: "512 MiB", "1.5 GiB". */
const char *format_size(uint64_t bytes, char *buf, size_t len);

/* A PC boot order (xl.cfg's boot=, --boot): one to three of a (floppy),
 * c (disk), d (CD), n (network), each at most once. */
bool boot_order_valid(const char *order);

/* Total RAM of the host in bytes, or 0 if unknown. */
uint64_t host_ram_bytes(void);

/*
 * True if the calling thread may run on more than one CPU, the condition
 * for spinning while it waits for another thread: on a single CPU the
 * thread it waits for cannot run while it spins (a domain pinned with
 * taskset, say).  now_ns is CLOCK_MONOTONIC; the answer is cached per
 * thread for a second, so re-pinning a running domain's threads counts.
 */
bool thread_may_spin(uint64_t now_ns);

#endif
