/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Number parsing and host queries shared by hvmkit programs. */
#define _GNU_SOURCE
#include "hvmkit/util.h"

#include <ctype.h>
#include <sched.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/sysinfo.h>

bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return false;
	errno = 0;
	/* Base 16 only with 0x: a leading zero is not octal here. */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		if (!isxdigit((unsigned char)*s))
			return false;
		v = strtoull(s, &end, 16);
	} else {
		v = strtoull(s, &end, 10);
	}
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_size(const char *s, bool bytes_default, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		shift = bytes_default ? 0 : 20;
		break;
	case 'B':
		shift = 0;
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	default:
		return false;
	}
	if (*end) {
		end++;
		if (shift && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
			end += strlen(end);
		if (*end)
			return false;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

const char *format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB",
					     "TiB" };
	unsigned int u = 0;
	uint64_t whole = bytes, rem = 0;

	while (whole >= 1024 && u < ARRAY_SIZE(units) - 1) {
		rem = whole % 1024;
		whole /= 1024;
		u++;
	}
	if (rem)
		snprintf(buf, len, "%llu.%llu %s", (unsigned long long)whole,
			 (unsigned long long)(rem * 10 / 1024), units[u]);
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)whole,
			 units[u]);
	return buf;
}

uint64_t host_ram_bytes(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

bool thread_may_spin(uint64_t now_ns)
{
	static __thread uint64_t checked_ns;
	static __thread bool checked, may_spin;
	cpu_set_t set;

	if (checked && now_ns - checked_ns < 1000000000ull)
		return may_spin;
	checked = true;
	checked_ns = now_ns;
	/* More CPUs than a cpu_set_t holds (EINVAL): certainly several. */
	may_spin = sched_getaffinity(0, sizeof(set), &set) < 0 ||
		   CPU_COUNT(&set) > 1;
	return may_spin;
}

bool boot_order_valid(const char *order)
{
	size_t n = strlen(order);

	if (!n || n > 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("acdn", order[i]) || strchr(order + i + 1, order[i]))
			return false;
	return true;
}
