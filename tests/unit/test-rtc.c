/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the MC146818A RTC and CMOS RAM (devmodel/rtc.c) on the
 * fake device model (fake-dm.h): one test per behaviour of the MC146818A
 * datasheet (sections cited in rtc.c), with the fake clock placing the
 * guest exactly around update cycles and periodic edges.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device.h"
#include "fake-dm.h"
#include "hvmkit/log.h"
#include "pc.h"

#define IDX 0x70
#define DATA 0x71
#define IRQ8 8

#define SECONDS 0x00
#define SECONDS_ALARM 0x01
#define MINUTES 0x02
#define MINUTES_ALARM 0x03
#define HOURS 0x04
#define HOURS_ALARM 0x05
#define WDAY 0x06
#define MDAY 0x07
#define MONTH 0x08
#define YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define CENTURY 0x32

#define A_UIP 0x80
#define A_RUN 0x20    /* DV = 010 */
#define A_RESET 0x60  /* DV = 110 */
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_SQWE 0x08
#define B_DM 0x04
#define B_24H 0x02
#define B_DSE 0x01
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10

#define MS 1000000ull
#define US 1000ull
#define SEC 1000000000ull

struct fx {
	struct dm *dm;
	struct rtc *rtc;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->dm = fake_dm_new(4096);
	if (!f->dm)
		return -1;
	fake_errors_capture();
	f->rtc = rtc_create(f->dm);
	if (!f->rtc)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	bool clean;

	rtc_destroy(f->rtc);
	clean = fake_dm_free(f->dm);
	fake_errors_release();
	free(f);
	return clean ? 0 : -1;
}

static uint8_t rd(struct fx *f, unsigned int index)
{
	fake_pio_write(f->dm, IDX, index, 1);
	return (uint8_t)fake_pio_read(f->dm, DATA, 1);
}

static void wr(struct fx *f, unsigned int index, uint8_t val)
{
	fake_pio_write(f->dm, IDX, index, 1);
	fake_pio_write(f->dm, DATA, val, 1);
}

static int irq(struct fx *f)
{
	return fake_irq_level(f->dm, IRQ8);
}

static unsigned int edges(struct fx *f)
{
	return fake_irq_edges(f->dm, IRQ8);
}

static void advance(struct fx *f, uint64_t ns)
{
	fake_clock_advance(f->dm, ns);
}

static unsigned int bcd(unsigned int v)
{
	return (v / 10) << 4 | v % 10;
}

static unsigned int from_bcd(unsigned int v)
{
	return (v >> 4) * 10 + (v & 15);
}

struct date {
	unsigned int year, month, mday, hour, min, sec, wday; /* wday 1-7 */
};

/* Sets the time in BCD, 24-hour mode the way Linux's mc146818_set_time()
 * does: SET, divider held in reset, registers, SET cleared, divider
 * released.  The first update then comes 500 ms from now. */
static void set_time(struct fx *f, const struct date *d)
{
	uint8_t b = rd(f, REG_B);

	wr(f, REG_B, b | B_SET);
	wr(f, REG_A, A_RESET | 0x06);
	wr(f, SECONDS, (uint8_t)bcd(d->sec));
	wr(f, MINUTES, (uint8_t)bcd(d->min));
	wr(f, HOURS, (uint8_t)bcd(d->hour));
	wr(f, WDAY, (uint8_t)bcd(d->wday));
	wr(f, MDAY, (uint8_t)bcd(d->mday));
	wr(f, MONTH, (uint8_t)bcd(d->month));
	wr(f, YEAR, (uint8_t)bcd(d->year % 100));
	wr(f, CENTURY, (uint8_t)bcd(d->year / 100));
	wr(f, REG_B, b & ~B_SET);
	wr(f, REG_A, A_RUN | 0x06);
}

/* Reads the BCD 24-hour time. */
static void get_time(struct fx *f, struct date *d)
{
	d->sec = from_bcd(rd(f, SECONDS));
	d->min = from_bcd(rd(f, MINUTES));
	d->hour = from_bcd(rd(f, HOURS));
	d->wday = from_bcd(rd(f, WDAY));
	d->mday = from_bcd(rd(f, MDAY));
	d->month = from_bcd(rd(f, MONTH));
	d->year = from_bcd(rd(f, CENTURY)) * 100 + from_bcd(rd(f, YEAR));
}

static void assert_date(const struct date *got, const struct date *want)
{
	assert_int_equal(got->year, want->year);
	assert_int_equal(got->month, want->month);
	assert_int_equal(got->mday, want->mday);
	assert_int_equal(got->hour, want->hour);
	assert_int_equal(got->min, want->min);
	assert_int_equal(got->sec, want->sec);
	assert_int_equal(got->wday, want->wday);
}

/*
 * Runs the clock ns forward as a guest interrupt handler would: after
 * every rising edge on IRQ 8 it reads register C (which lowers the line).
 * Returns the edges seen; *flags gets the OR of the C values read.
 */
static unsigned int run_reading_c(struct fx *f, uint64_t ns, uint8_t *flags)
{
	uint64_t end = dm_clock_ns(f->dm) + ns, next;
	unsigned int start = edges(f);

	if (flags)
		*flags = 0;
	while (fake_timer_next(f->dm, &next) && next <= end) {
		advance(f, next - dm_clock_ns(f->dm));
		if (irq(f) == 1) {
			uint8_t c = rd(f, REG_C);

			if (flags)
				*flags |= c;
			assert_int_equal(irq(f), 0);
		}
	}
	advance(f, end - dm_clock_ns(f->dm));
	return edges(f) - start;
}

/* ------------------------------------------------------------- tests */

/* Ports 0x70-0x71, IRQ 8 edge, the power-on registers firmware expects,
 * and no timer while no interrupt is enabled. */
static void test_create(void **state)
{
	struct fx *f = *state;
	const char *name;

	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, IDX, NULL, &name));
	assert_string_equal(name, "rtc");
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, DATA, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0x72, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0x6f, NULL, NULL));
	assert_int_equal(fake_irq_mode(f->dm, IRQ8), DM_IRQ_MODE_EDGE);
	assert_int_equal(irq(f), 0);
	assert_int_equal(rd(f, REG_A) & 0x7f, 0x26);
	assert_int_equal(rd(f, REG_B), B_24H);
	assert_int_equal(rd(f, REG_C), 0);
	assert_int_equal(rd(f, REG_D), 0x80);
	/* The index port is write-only. */
	assert_int_equal(fake_pio_read(f->dm, IDX, 1), 0xff);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	advance(f, 10 * SEC);
	assert_int_equal(edges(f), 0);
	assert_int_equal(fake_nr_errors, 0);
}

/* The clock starts at the host's UTC time, BCD 24-hour, with the weekday
 * and century. */
static void test_host_time(void **state)
{
	struct fx *f = *state;
	time_t before, after, t;
	struct date d;
	struct tm tm = { 0 };
	struct tm host;

	rtc_destroy(f->rtc);
	before = time(NULL);
	f->rtc = rtc_create(f->dm);
	after = time(NULL);
	assert_non_null(f->rtc);
	get_time(f, &d);
	tm.tm_year = (int)d.year - 1900;
	tm.tm_mon = (int)d.month - 1;
	tm.tm_mday = (int)d.mday;
	tm.tm_hour = (int)d.hour;
	tm.tm_min = (int)d.min;
	tm.tm_sec = (int)d.sec;
	t = timegm(&tm);
	/* Not a speed threshold: the host's clock was read between these
	 * two readings (time() may trail CLOCK_REALTIME by a tick). */
	assert_true(t >= before - 1);
	assert_true(t <= after + 1);
	gmtime_r(&t, &host);
	assert_int_equal(d.wday, (unsigned int)host.tm_wday + 1);
	assert_int_equal(rtc_cmos_get(f->rtc, CENTURY), bcd(d.year / 100));
}

/* Table 3: binary data mode shows the same time in binary. */
static void test_binary_mode(void **state)
{
	struct fx *f = *state;
	static const struct date when = { 2031, 12, 25, 21, 47, 9, 5 };

	set_time(f, &when);
	wr(f, REG_B, B_24H | B_DM);
	assert_int_equal(rd(f, SECONDS), 9);
	assert_int_equal(rd(f, MINUTES), 47);
	assert_int_equal(rd(f, HOURS), 21);
	assert_int_equal(rd(f, WDAY), 5);
	assert_int_equal(rd(f, MDAY), 25);
	assert_int_equal(rd(f, MONTH), 12);
	assert_int_equal(rd(f, YEAR), 31);
	assert_int_equal(rd(f, CENTURY), 20);

	/* Setting the time in binary. */
	wr(f, REG_B, B_24H | B_DM | B_SET);
	wr(f, HOURS, 23);
	wr(f, MINUTES, 59);
	wr(f, SECONDS, 59);
	wr(f, REG_B, B_24H | B_DM);
	advance(f, SEC);
	assert_int_equal(rd(f, HOURS), 0);
	assert_int_equal(rd(f, MINUTES), 0);
	assert_int_equal(rd(f, MDAY), 26);
	assert_int_equal(rd(f, WDAY), 6);
	/* And back to BCD. */
	wr(f, REG_B, B_24H);
	assert_int_equal(rd(f, MDAY), 0x26);
	assert_int_equal(rd(f, YEAR), 0x31);
}

/* "Register B" 24/12: 12-hour mode gives 1-12 with PM in bit 7. */
static void test_12_hour_mode(void **state)
{
	struct fx *f = *state;
	static const struct date noonish = { 2024, 6, 1, 12, 30, 0, 7 };
	static const struct date night = { 2024, 6, 1, 0, 5, 0, 7 };
	static const struct date pm = { 2024, 6, 1, 13, 5, 0, 7 };

	set_time(f, &noonish);
	wr(f, REG_B, 0);
	assert_int_equal(rd(f, HOURS), 0x92);     /* 12 PM */
	wr(f, REG_B, B_24H);
	set_time(f, &night);
	wr(f, REG_B, 0);
	assert_int_equal(rd(f, HOURS), 0x12);     /* 12 AM */
	wr(f, REG_B, B_24H);
	set_time(f, &pm);
	wr(f, REG_B, 0);
	assert_int_equal(rd(f, HOURS), 0x81);     /* 1 PM */
	wr(f, REG_B, B_DM);
	assert_int_equal(rd(f, HOURS), 0x81);     /* binary 1 | PM */

	/* Set 11:59:59 PM in 12-hour BCD; a second later it is 12 AM. */
	wr(f, REG_B, B_SET);
	wr(f, HOURS, 0x91);
	wr(f, MINUTES, 0x59);
	wr(f, SECONDS, 0x59);
	wr(f, REG_B, 0);
	wr(f, REG_B, B_24H);
	assert_int_equal(rd(f, HOURS), 0x23);
	wr(f, REG_B, 0);
	advance(f, SEC);
	assert_int_equal(rd(f, HOURS), 0x12);
	assert_int_equal(rd(f, SECONDS), 0x00);
	wr(f, REG_B, B_24H);
	assert_int_equal(rd(f, HOURS), 0x00);
}

/* Setting the time with SET: registers hold still while SET = 1, the new
 * time runs once it is cleared, with leap days, month, year and century
 * carries. */
static void test_set_time(void **state)
{
	struct fx *f = *state;
	static const struct date leap = { 2024, 2, 29, 23, 59, 58, 5 };
	static const struct date march = { 2024, 3, 1, 0, 0, 0, 6 };
	static const struct date eoc = { 2099, 12, 31, 23, 59, 59, 5 };
	static const struct date c22 = { 2100, 1, 1, 0, 0, 0, 6 };
	static const struct date feb28 = { 2100, 2, 28, 23, 59, 59, 1 };
	static const struct date mar1 = { 2100, 3, 1, 0, 0, 0, 2 };
	struct date d;

	set_time(f, &leap);
	get_time(f, &d);
	assert_date(&d, &leap);
	advance(f, 500 * MS + SEC);
	get_time(f, &d);
	assert_date(&d, &march);

	set_time(f, &eoc);
	advance(f, 500 * MS);
	get_time(f, &d);
	assert_date(&d, &c22);
	assert_int_equal(rtc_cmos_get(f->rtc, CENTURY), 0x21);

	set_time(f, &feb28); /* 2100 is not a leap year */
	advance(f, 500 * MS);
	get_time(f, &d);
	assert_date(&d, &mar1);

	/* With SET = 1 nothing advances and UIP stays 0. */
	wr(f, REG_B, B_24H | B_SET);
	wr(f, SECONDS, 0x10);
	for (int i = 0; i < 40; i++) {
		advance(f, 50 * MS);
		assert_int_equal(rd(f, REG_A) & A_UIP, 0);
	}
	assert_int_equal(rd(f, SECONDS), 0x10);
	assert_int_equal(rd(f, MINUTES), 0x00);
	wr(f, REG_B, B_24H);
	assert_int_equal(rd(f, SECONDS), 0x10);
	/* The divider kept running through the 2 s of SET: the next update
	 * keeps the old phase, a whole second after the last one. */
	advance(f, 999 * MS);
	assert_int_equal(rd(f, SECONDS), 0x10);
	advance(f, 1 * MS);
	assert_int_equal(rd(f, SECONDS), 0x11);

	/* A byte written while running sets the time at once. */
	wr(f, MINUTES, 0x42);
	assert_int_equal(rd(f, MINUTES), 0x42);
	assert_int_equal(rd(f, SECONDS), 0x11);
	advance(f, SEC);
	assert_int_equal(rd(f, MINUTES), 0x42);
	assert_int_equal(rd(f, SECONDS), 0x12);
}

/* Table 6: UIP is 1 exactly in the 244 us before each update, 0 at the
 * update and after it. */
static void test_uip_window(void **state)
{
	struct fx *f = *state;
	static const struct date when = { 2025, 1, 1, 8, 0, 0, 4 };

	set_time(f, &when); /* the update comes at +500 ms */
	assert_int_equal(rd(f, REG_A) & A_UIP, 0);
	advance(f, 500 * MS - 245 * US);
	assert_int_equal(rd(f, REG_A) & A_UIP, 0);
	assert_int_equal(rd(f, SECONDS), 0x00);
	advance(f, 1 * US);
	assert_int_equal(rd(f, REG_A) & A_UIP, A_UIP);
	assert_int_equal(rd(f, REG_A) & 0x7f, 0x26);
	advance(f, 244 * US - 1);
	assert_int_equal(rd(f, REG_A) & A_UIP, A_UIP);
	assert_int_equal(rd(f, SECONDS), 0x00);
	advance(f, 1);
	assert_int_equal(rd(f, REG_A) & A_UIP, 0);
	assert_int_equal(rd(f, SECONDS), 0x01);
	/* Every second alike. */
	advance(f, SEC - 244 * US);
	assert_int_equal(rd(f, REG_A) & A_UIP, A_UIP);
	/* SET clears it ("Register A"). */
	wr(f, REG_B, B_24H | B_SET);
	assert_int_equal(rd(f, REG_A) & A_UIP, 0);
	wr(f, REG_B, B_24H);
	assert_int_equal(rd(f, REG_A) & A_UIP, A_UIP);
	/* UIP is read-only. */
	wr(f, REG_A, 0x26 | A_UIP);
	advance(f, 244 * US);
	assert_int_equal(rd(f, REG_A), 0x26);
}

/* "Register A": DV = 11x holds the divider in reset: time stands still,
 * no interrupts; the first update comes 500 ms after release. */
static void test_divider_reset(void **state)
{
	struct fx *f = *state;
	static const struct date when = { 2025, 7, 4, 12, 0, 30, 6 };
	uint8_t c;

	set_time(f, &when);
	wr(f, REG_B, B_24H | B_UIE | B_PIE);
	wr(f, REG_A, A_RESET | 0x06);
	rd(f, REG_C);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	advance(f, 10 * SEC);
	assert_int_equal(rd(f, SECONDS), 0x30);
	assert_int_equal(rd(f, REG_A) & A_UIP, 0);
	assert_int_equal(rd(f, REG_C), 0);
	assert_int_equal(edges(f), 0);

	wr(f, REG_A, A_RUN | 0x0f); /* released, 2 Hz periodic */
	assert_int_equal(run_reading_c(f, 500 * MS - 1, &c), 0);
	assert_int_equal(rd(f, SECONDS), 0x30);
	assert_int_equal(run_reading_c(f, 1, &c), 1);
	assert_int_equal(c, C_IRQF | C_UF | C_PF);
	assert_int_equal(rd(f, SECONDS), 0x31);

	/* A divider setting that does not keep time stops the clock. */
	wr(f, REG_A, 0x06); /* DV = 000 */
	advance(f, 5 * SEC);
	assert_int_equal(rd(f, SECONDS), 0x31);
	wr(f, REG_A, A_RUN | 0x06);
	advance(f, SEC);
	assert_int_equal(rd(f, SECONDS), 0x32);
}

/* Table 5: periodic interrupt rates, counted over a second of the fake
 * clock with the guest reading C after every interrupt. */
static void test_periodic_rate(void **state)
{
	struct fx *f = *state;
	static const struct {
		uint8_t rs;
		unsigned int hz;
	} rates[] = {
		{ 6, 1024 }, { 1, 256 }, { 2, 128 }, { 3, 8192 }, { 7, 512 },
		{ 15, 2 }, { 0, 0 },
	};
	uint8_t c;

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		/* Restart the divider for a known phase. */
		wr(f, REG_A, A_RESET | rates[i].rs);
		wr(f, REG_B, B_24H | B_PIE);
		rd(f, REG_C);
		wr(f, REG_A, A_RUN | rates[i].rs);
		assert_int_equal(run_reading_c(f, SEC, &c), rates[i].hz);
		if (rates[i].hz)
			assert_int_equal(c & (C_IRQF | C_PF), C_IRQF | C_PF);
		wr(f, REG_B, B_24H);
	}
	/* RS = 6 over 3 s, with the second boundaries in between. */
	wr(f, REG_B, B_24H | B_PIE);
	wr(f, REG_A, 0x26);
	rd(f, REG_C);
	assert_int_equal(run_reading_c(f, 3 * SEC, NULL), 3072);
}

/* Without reading C the line stays high: one edge and no timer. */
static void test_periodic_unacknowledged(void **state)
{
	struct fx *f = *state;

	wr(f, REG_B, B_24H | B_PIE);
	assert_int_equal(fake_timers_armed(f->dm), 1);
	advance(f, SEC);
	assert_int_equal(edges(f), 1);
	assert_int_equal(irq(f), 1);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	assert_int_equal(rd(f, REG_C), C_IRQF | C_PF | C_UF);
	assert_int_equal(irq(f), 0);
	assert_int_equal(fake_timers_armed(f->dm), 1);
}

/* "Register C": PF is set even with PIE = 0, without interrupts or
 * timers; enabling PIE with PF set interrupts at once ("Interrupts"). */
static void test_flags_without_enable(void **state)
{
	struct fx *f = *state;

	rd(f, REG_C);
	advance(f, 10 * MS);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	assert_int_equal(edges(f), 0);
	assert_int_equal(rd(f, REG_C) & C_PF, C_PF);
	assert_int_equal(rd(f, REG_C), 0);
	advance(f, 10 * MS);
	assert_int_equal(irq(f), 0);
	wr(f, REG_B, B_24H | B_PIE);
	assert_int_equal(irq(f), 1);
	assert_int_equal(edges(f), 1);
	/* Clearing the enable drops IRQF and the line (IRQF = PF.PIE). */
	wr(f, REG_B, B_24H);
	assert_int_equal(irq(f), 0);
	assert_int_equal(rd(f, REG_C) & (C_IRQF | C_PF), C_PF);
}

/* The alarm fires at the programmed second, with "don't care" values. */
static void test_alarm(void **state)
{
	struct fx *f = *state;
	static const struct date when = { 2025, 3, 9, 10, 0, 0, 1 };
	uint8_t c;

	set_time(f, &when);
	wr(f, HOURS_ALARM, 0x10);
	wr(f, MINUTES_ALARM, 0x00);
	wr(f, SECONDS_ALARM, 0x05);
	wr(f, REG_B, B_24H | B_AIE);
	rd(f, REG_C);
	/* Updates to :01 ... :04 pass without an interrupt. */
	assert_int_equal(run_reading_c(f, 500 * MS + 4 * SEC - 1, &c), 0);
	assert_int_equal(rd(f, SECONDS), 0x04);
	assert_int_equal(run_reading_c(f, 1, &c), 1);
	/* PF is set too (RS = 6) though PIE is off ("Register C"). */
	assert_int_equal(c, C_IRQF | C_PF | C_AF | C_UF);
	assert_int_equal(rd(f, SECONDS), 0x05);
	/* Next match: a day later; nothing for the next minutes. */
	assert_int_equal(run_reading_c(f, 300 * SEC, &c), 0);
	assert_int_equal(c, 0);

	/* Don't care hours and minutes: every minute at :30. */
	wr(f, HOURS_ALARM, 0xc0);
	wr(f, MINUTES_ALARM, 0xff);
	wr(f, SECONDS_ALARM, 0x30);
	rd(f, REG_C);
	assert_int_equal(run_reading_c(f, 180 * SEC, &c), 3);
	assert_int_equal(c & C_AF, C_AF);

	/* All don't care: every second. */
	wr(f, SECONDS_ALARM, 0xc0);
	assert_int_equal(run_reading_c(f, 5 * SEC, NULL), 5);

	/* An alarm that can never match arms nothing. */
	wr(f, SECONDS_ALARM, 0x61);
	rd(f, REG_C);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	advance(f, 100 * SEC);
	assert_int_equal(rd(f, REG_C) & C_AF, 0);

	/* 12-hour mode compares the encoded bytes: 10 AM. */
	wr(f, REG_B, B_AIE);
	wr(f, HOURS_ALARM, 0x10);
	wr(f, MINUTES_ALARM, 0xc0);
	wr(f, SECONDS_ALARM, 0xc0);
	rd(f, REG_C);
	assert_int_equal(run_reading_c(f, SEC, &c), 1);
	assert_int_equal(c & C_AF, C_AF);
	wr(f, HOURS_ALARM, 0x90); /* 10 PM: not now */
	rd(f, REG_C);
	assert_int_equal(run_reading_c(f, 60 * SEC, NULL), 0);
}

/* An alarm that matched while the guest was not looking (AIE off) is
 * latched in AF. */
static void test_alarm_latched(void **state)
{
	struct fx *f = *state;
	static const struct date when = { 2025, 3, 9, 23, 59, 50, 1 };

	set_time(f, &when);
	wr(f, HOURS_ALARM, 0x00);
	wr(f, MINUTES_ALARM, 0x00);
	wr(f, SECONDS_ALARM, 0x02);
	rd(f, REG_C);
	advance(f, 11 * SEC);
	assert_int_equal(rd(f, REG_C) & C_AF, 0);
	advance(f, SEC);
	assert_int_equal(rd(f, REG_C) & C_AF, C_AF);
	/* Days later, still latched once. */
	advance(f, 3 * 86400 * SEC);
	assert_int_equal(rd(f, REG_C) & (C_AF | C_UF), C_AF | C_UF);
	assert_int_equal(edges(f), 0);
}

/* Update-ended interrupt once per second; reading C clears and lowers. */
static void test_update_ended(void **state)
{
	struct fx *f = *state;
	static const struct date when = { 2025, 5, 5, 5, 5, 5, 2 };
	uint8_t c;

	set_time(f, &when);
	wr(f, REG_B, B_24H | B_UIE);
	rd(f, REG_C);
	assert_int_equal(run_reading_c(f, 500 * MS - 1, &c), 0);
	assert_int_equal(run_reading_c(f, 1, &c), 1);
	assert_int_equal(c, C_IRQF | C_PF | C_UF);
	assert_int_equal(run_reading_c(f, 10 * SEC, &c), 10);
	assert_int_equal(rd(f, SECONDS), 0x16);

	/* Reading C clears the flags and lowers the line. */
	advance(f, SEC);
	assert_int_equal(irq(f), 1);
	assert_int_equal(rd(f, REG_C), C_IRQF | C_PF | C_UF);
	assert_int_equal(irq(f), 0);
	assert_int_equal(rd(f, REG_C), 0);

	/* SET clears UIE ("Register B"). */
	wr(f, REG_B, B_24H | B_UIE | B_SET);
	assert_int_equal(rd(f, REG_B), B_24H | B_SET);
	wr(f, REG_B, B_24H);
	assert_int_equal(fake_timers_armed(f->dm), 0);
}

/* CMOS bytes 0x0e-0x7f are plain storage, shared by the platform and the
 * guest; the index keeps 7 bits (bit 7 is the NMI mask). */
static void test_cmos_storage(void **state)
{
	struct fx *f = *state;

	for (unsigned int i = 0x0e; i < 0x80; i++)
		if (i != CENTURY)
			rtc_cmos_set(f->rtc, i, (uint8_t)(i ^ 0xa5));
	for (unsigned int i = 0x0e; i < 0x80; i++)
		if (i != CENTURY)
			assert_int_equal(rd(f, i), i ^ 0xa5);
	wr(f, 0x5f, 3);
	assert_int_equal(rtc_cmos_get(f->rtc, 0x5f), 3);
	fake_pio_write(f->dm, IDX, 0x80 | 0x38, 1); /* NMI masked */
	fake_pio_write(f->dm, DATA, 0x42, 1);
	assert_int_equal(rtc_cmos_get(f->rtc, 0x38), 0x42);
	assert_int_equal(fake_pio_read(f->dm, DATA, 1), 0x42);
	/* The platform cannot touch the clock registers. */
	rtc_cmos_set(f->rtc, REG_B, 0xff);
	assert_int_equal(rd(f, REG_B), B_24H);
	assert_int_equal(rtc_cmos_get(f->rtc, SECONDS), 0xff);
	/* The century byte is the clock's. */
	assert_int_equal(rtc_cmos_get(f->rtc, CENTURY), rd(f, CENTURY));
}

/* "RESET": PIE, AIE, UIE, SQWE and the flags cleared, the IRQ released;
 * time, divider, data mode and RAM kept. */
static void test_reset(void **state)
{
	struct fx *f = *state;
	static const struct date when = { 2026, 8, 8, 8, 8, 8, 7 };
	uint8_t b = B_24H | B_DM | B_DSE | B_SQWE | B_PIE | B_AIE | B_UIE;

	set_time(f, &when);
	rtc_cmos_set(f->rtc, 0x40, 0x99);
	wr(f, REG_A, 0x2f);
	wr(f, SECONDS_ALARM, 0xc0);
	wr(f, REG_B, b);
	advance(f, SEC);
	assert_int_equal(irq(f), 1);

	rtc_reset(f->rtc);
	assert_int_equal(irq(f), 0);
	assert_int_equal(rd(f, REG_B), B_24H | B_DM | B_DSE);
	assert_int_equal(rd(f, REG_C), 0);
	assert_int_equal(rd(f, REG_A) & 0x7f, 0x2f);
	assert_int_equal(rtc_cmos_get(f->rtc, 0x40), 0x99);
	assert_int_equal(rd(f, SECONDS), 9);  /* binary now */
	assert_int_equal(rd(f, YEAR), 26);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	advance(f, 5 * SEC);
	assert_int_equal(edges(f), 1);
	assert_int_equal(rd(f, SECONDS), 14); /* still ticking */
}

/* Registers C and D are read-only; D reads VRT. */
static void test_read_only(void **state)
{
	struct fx *f = *state;

	wr(f, REG_D, 0x00);
	assert_int_equal(rd(f, REG_D), 0x80);
	wr(f, REG_C, 0xf0);
	assert_int_equal(rd(f, REG_C) & 0x0f, 0);
	assert_int_equal(irq(f), 0);
}

/* Wider accesses go bytewise: index, then data. */
static void test_access_sizes(void **state)
{
	struct fx *f = *state;

	fake_pio_write(f->dm, IDX, 0x7755, 2); /* index 0x55, data 0x77 */
	assert_int_equal(rtc_cmos_get(f->rtc, 0x55), 0x77);
	assert_int_equal(fake_pio_read(f->dm, IDX, 2), 0x77ff);
	assert_int_equal(fake_pio_read(f->dm, DATA, 1), 0x77);
	fake_pio_write(f->dm, IDX, 0, 0);
	assert_int_equal(fake_pio_read(f->dm, DATA, 1), 0x77);
}

/* Whatever the guest does, no crash (ASan) and the line is high exactly
 * when an enabled flag is set. */
static void test_random_accesses(void **state)
{
	struct fx *f = *state;
	uint32_t seed = 4242;

	for (int i = 0; i < 100000; i++) {
		seed = seed * 1103515245u + 12345u;
		if (seed & 0x80000000u)
			fake_pio_write(f->dm, IDX + ((seed >> 20) & 1),
				       seed >> 3, 1);
		else
			fake_pio_read(f->dm, IDX + ((seed >> 20) & 1), 1);
		if ((seed & 0x3f) == 0)
			advance(f, (seed >> 6) & 0x3ffffff);
		if ((seed & 0x3ff) == 1) {
			uint8_t b = rd(f, REG_B);
			int level = irq(f);
			uint8_t c = rd(f, REG_C);

			assert_int_equal(level, !!(c & C_IRQF));
			assert_int_equal(!!(c & C_IRQF),
					 !!(c & b & 0x70));
			assert_int_equal(irq(f), 0);
		}
	}
	advance(f, 400 * 86400 * SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_create),
		T(test_host_time),
		T(test_binary_mode),
		T(test_12_hour_mode),
		T(test_set_time),
		T(test_uip_window),
		T(test_divider_reset),
		T(test_periodic_rate),
		T(test_periodic_unacknowledged),
		T(test_flags_without_enable),
		T(test_alarm),
		T(test_alarm_latched),
		T(test_update_ended),
		T(test_cmos_storage),
		T(test_reset),
		T(test_read_only),
		T(test_access_sizes),
		T(test_random_accesses),
#undef T
	};

	/* Guest-mistake warnings are expected here; errors are captured. */
	log_init("test-rtc", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
