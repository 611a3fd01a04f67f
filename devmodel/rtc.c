/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MC146818A real-time clock and CMOS RAM: the PC's RTC at ports 0x70
 * (index) and 0x71 (data), interrupt on ISA IRQ 8 (edge).  Follows the
 * Motorola MC146818A datasheet (the Dallas DS12887 documents the same
 * registers); sections named below are that datasheet's: "Address Map"
 * and Table 3 (time, calendar and alarm data modes), "Register A" with
 * Table 4 (divider configurations), Table 5 (periodic interrupt rates)
 * and Table 6 (update cycle times), "Register B", "Register C",
 * "Register D", "Update Cycle", "Interrupts" and "RESET".
 *
 * Model of the clock:
 * - The time is calendar seconds plus the position of the divider chain
 *   within the second, anchored to the device-model clock: it starts
 *   from the host's UTC time (CLOCK_REALTIME) when the device is created
 *   and advances with dm_clock_ns().  Deviation: that clock stops while
 *   the guest is paused, so the guest's RTC falls behind the host's by
 *   the time spent paused (a battery-backed chip would keep counting).
 * - The time registers are derived from the time whenever they are read
 *   with SET = 0, so no work is done once a second.  SET = 1 freezes them
 *   for the guest to write; the divider keeps running meanwhile
 *   ("Register B": SET only inhibits updates), so clearing SET loads the
 *   registers and keeps the position within the second.  A time register
 *   written with SET = 0 sets the time at once, likewise.
 * - The update cycle is taken as instantaneous at the second boundary.
 *   UIP reads 1 during the 244 us (8 cycles of the 32.768 kHz time base,
 *   Table 6 tBUC) before it and 0 with SET = 1 ("Register A": writing SET
 *   clears UIP); the 1984 us update itself (tUC) is not modelled: the new
 *   time is readable as soon as UIP falls, which keeps the datasheet's
 *   promise that with UIP = 0 no update comes for at least 244 us.
 * - Divider (DV2-0, Table 4): 010 runs.  11x holds the chain in reset:
 *   time stands still, and once released the first update comes 500 ms
 *   later ("Register A").  Any other value stops the time too: the PC's
 *   crystal is 32.768 kHz, and the DS12887 keeps time only with 010.
 * - Periodic (RS3-0, Table 5 for the 32.768 kHz time base), alarm and
 *   update-ended events set PF, AF and UF whether or not they are enabled
 *   ("Register C").  The flags are worked out when register C is read (or
 *   the state they depend on changes), and a timer is armed only for an
 *   enabled interrupt while the IRQ line is low, so an RTC whose
 *   interrupts are off costs no wakeups.  IRQF = PF.PIE + AF.AIE + UF.UIE,
 *   and the IRQ line follows IRQF: an enable set while its flag is set
 *   interrupts at once ("Interrupts"); reading C clears the flags.
 * - Alarm: at each update the alarm bytes are compared with the time
 *   bytes as encoded at that moment; an alarm byte of 0xC0-0xFF matches
 *   anything ("Address Map", alarm "don't care" codes).
 * - Day of week is an independent counter on the chip (it is not checked
 *   against the date); it is kept as an offset from the date's weekday.
 * - Century: the byte at CMOS 0x32 (IBM AT layout; what SeaBIOS reads and
 *   what the FADT's CENTURY field names) follows the year, as QEMU keeps
 *   it; the guest may set it together with the time.
 *
 * Deviations and things not modelled: changing DM or 24/12 with SET = 0
 * shows the time in the new format at once (the chip would keep counting
 * the old bytes, "Register B" asks software to re-initialise; QEMU does
 * the same as here); out-of-range time values (Table 3) are clamped into
 * range when loaded; DSE is stored but the 1980s daylight-saving jumps are
 * not applied (QEMU neither); SQWE is stored (no SQW pin); bit 7 of port
 * 0x70 (NMI disable on PCs) is stored but not enforced: NMIs are KVM's.
 * Port 0x70 is write-only and reads as 0xff; accesses wider than a byte
 * are split into byte accesses at consecutive ports as on an ISA bus.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device.h"
#include "hvmkit/log.h"
#include "pc.h"

#define RTC_PORT_BASE   0x70
#define RTC_NR_PORTS    2
#define RTC_PORT_INDEX  0
#define RTC_PORT_DATA   1
#define RTC_IRQ         8
#define RTC_CMOS_SIZE   128
#define RTC_INDEX_MASK  0x7f
#define RTC_NMI_DISABLE 0x80

/* Address map: time, alarm and control registers. */
#define RTC_SECONDS       0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES       0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS         0x04
#define RTC_HOURS_ALARM   0x05
#define RTC_DAY_OF_WEEK   0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH         0x08
#define RTC_YEAR          0x09
#define RTC_REG_A         0x0a
#define RTC_REG_B         0x0b
#define RTC_REG_C         0x0c
#define RTC_REG_D         0x0d
#define RTC_FIRST_RAM     0x0e

#define REG_A_UIP     0x80
#define REG_A_DV      0x70
#define REG_A_DV_32K  0x20 /* 010: 32.768 kHz time base, running */
#define REG_A_DV_RST  0x60 /* 11x: divider chain held in reset */
#define REG_A_RS      0x0f

#define REG_B_SET  0x80
#define REG_B_PIE  0x40
#define REG_B_AIE  0x20
#define REG_B_UIE  0x10
#define REG_B_SQWE 0x08
#define REG_B_DM   0x04 /* 1: binary, 0: BCD */
#define REG_B_24H  0x02
#define REG_B_DSE  0x01

#define REG_C_IRQF 0x80
#define REG_C_PF   0x40 /* same bit as PIE */
#define REG_C_AF   0x20 /* same bit as AIE */
#define REG_C_UF   0x10 /* same bit as UIE */
#define REG_C_FLAGS (REG_C_PF | REG_C_AF | REG_C_UF)

#define REG_D_VRT  0x80

#define HOURS_PM   0x80 /* 12-hour mode */
#define ALARM_DONT_CARE 0xc0

#define NSEC_PER_SEC   1000000000ull
#define SEC_PER_DAY    86400
#define TIMEBASE_HZ    32768 /* the divider chain's input */
#define UIP_TICKS      8     /* tBUC = 244 us = 8 time-base cycles */
#define POWER_ON_REG_A (REG_A_DV_32K | 0x06) /* 1024 Hz, as firmware sets */
#define POWER_ON_REG_B REG_B_24H

struct rtc_time {
	int64_t sec;  /* calendar time: seconds since 1970-01-01 00:00:00 */
	uint32_t ns;  /* where the divider chain is within the second */
};

struct rtc {
	struct dm *dm;
	struct dm_range *range;
	struct dm_irq *irq;
	struct dm_timer *timer;

	uint8_t cmos[RTC_CMOS_SIZE];
	uint8_t index;
	bool nmi_disabled;        /* port 0x70 bit 7: stored, not enforced */

	struct rtc_time base;     /* the time at dm clock base_ns */
	uint64_t base_ns;
	bool ticking;             /* divider running (DV = 010) */
	unsigned int wday_offset; /* weekday counter minus the date's, 0-6 */

	uint8_t flags;            /* PF, AF, UF known up to flags_ns */
	uint64_t flags_ns;
	bool irq_level;
};

/* ------------------------------------------------------------ arithmetic */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static unsigned int clamp_uint(unsigned int v, unsigned int lo,
			       unsigned int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static int64_t days_from_civil(int64_t year, unsigned int month,
			       unsigned int day)
{
	int64_t y = month <= 2 ? year - 1 : year;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                     /* 0-399 */
	int64_t mp = month > 2 ? month - 3 : month + 9;  /* March = 0 */
	int64_t doy = (153 * mp + 2) / 5 + day - 1;      /* 0-365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t days, int64_t *year, unsigned int *month,
			    unsigned int *day)
{
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;                  /* 0-146096 */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*day = (unsigned int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (unsigned int)(mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2);
}

static unsigned int days_in_month(int64_t year, unsigned int month)
{
	static const uint8_t days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	bool leap = floor_mod(year, 4) == 0 &&
		    (floor_mod(year, 100) != 0 || floor_mod(year, 400) == 0);

	return days[month - 1] + (month == 2 && leap);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static unsigned int weekday(int64_t days)
{
	return (unsigned int)floor_mod(days + 4, 7);
}

/* Time-base cycles since the epoch: the divider chain's count. */
static int64_t rtc_ticks(const struct rtc_time *t)
{
	return t->sec * TIMEBASE_HZ +
	       (int64_t)((uint64_t)t->ns * TIMEBASE_HZ / NSEC_PER_SEC);
}

/* ------------------------------------------------------------- encoding */

static bool rtc_binary(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & REG_B_DM;
}

/* A value 0-99 as the registers hold it (Table 3). */
static uint8_t rtc_enc(const struct rtc *r, unsigned int v)
{
	v %= 100;
	return rtc_binary(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned int rtc_dec(const struct rtc *r, uint8_t v)
{
	return rtc_binary(r) ? v : (v >> 4) * 10u + (v & 0x0f);
}

/* Hours 0-23 as register 4 holds them: 1-12 with the PM bit in 12-hour
 * mode. */
static uint8_t rtc_enc_hour(const struct rtc *r, unsigned int hour)
{
	unsigned int h12 = hour % 12 ? hour % 12 : 12;

	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return rtc_enc(r, hour);
	return rtc_enc(r, h12) | (hour >= 12 ? HOURS_PM : 0);
}

static unsigned int rtc_dec_hour(const struct rtc *r, uint8_t v)
{
	unsigned int h = rtc_dec(r, v & ~HOURS_PM);

	if (r->cmos[RTC_REG_B] & REG_B_24H)
		return clamp_uint(h, 0, 23);
	return clamp_uint(h, 1, 12) % 12 + (v & HOURS_PM ? 12 : 0);
}

/* ---------------------------------------------------------------- time */

static struct rtc_time rtc_time_at(const struct rtc *r, uint64_t now)
{
	struct rtc_time t = r->base;
	uint64_t ns;

	if (!r->ticking || now <= r->base_ns)
		return t;
	ns = t.ns + (now - r->base_ns);
	t.sec += (int64_t)(ns / NSEC_PER_SEC);
	t.ns = (uint32_t)(ns % NSEC_PER_SEC);
	return t;
}

static void rtc_set_base(struct rtc *r, int64_t sec, uint32_t ns,
			 uint64_t now)
{
	r->base.sec = sec;
	r->base.ns = ns;
	r->base_ns = now;
}

/* The time and calendar registers (and the century byte) for time t. */
static void rtc_fill_regs(struct rtc *r, const struct rtc_time *t)
{
	int64_t days = floor_div(t->sec, SEC_PER_DAY);
	unsigned int sod = (unsigned int)(t->sec - days * SEC_PER_DAY);
	unsigned int month, mday;
	int64_t year;

	civil_from_days(days, &year, &month, &mday);
	r->cmos[RTC_SECONDS] = rtc_enc(r, sod % 60);
	r->cmos[RTC_MINUTES] = rtc_enc(r, sod / 60 % 60);
	r->cmos[RTC_HOURS] = rtc_enc_hour(r, sod / 3600);
	r->cmos[RTC_DAY_OF_WEEK] =
		rtc_enc(r, (weekday(days) + r->wday_offset) % 7 + 1);
	r->cmos[RTC_DAY_OF_MONTH] = rtc_enc(r, mday);
	r->cmos[RTC_MONTH] = rtc_enc(r, month);
	r->cmos[RTC_YEAR] = rtc_enc(r, (unsigned int)floor_mod(year, 100));
	r->cmos[RTC_CMOS_CENTURY] =
		rtc_enc(r, (unsigned int)floor_mod(floor_div(year, 100), 100));
}

/* The calendar seconds the registers say (values clamped into the ranges
 * of Table 3); also takes the weekday counter's offset from them. */
static int64_t rtc_regs_to_sec(struct rtc *r)
{
	unsigned int sec = clamp_uint(rtc_dec(r, r->cmos[RTC_SECONDS]), 0, 59);
	unsigned int min = clamp_uint(rtc_dec(r, r->cmos[RTC_MINUTES]), 0, 59);
	unsigned int hour = rtc_dec_hour(r, r->cmos[RTC_HOURS]);
	unsigned int month = clamp_uint(rtc_dec(r, r->cmos[RTC_MONTH]), 1, 12);
	unsigned int wday = rtc_dec(r, r->cmos[RTC_DAY_OF_WEEK]);
	int64_t year = clamp_uint(rtc_dec(r, r->cmos[RTC_CMOS_CENTURY]), 0, 99)
		       * 100 + clamp_uint(rtc_dec(r, r->cmos[RTC_YEAR]), 0, 99);
	unsigned int mday = clamp_uint(rtc_dec(r, r->cmos[RTC_DAY_OF_MONTH]),
				       1, days_in_month(year, month));
	int64_t days = days_from_civil(year, month, mday);

	r->wday_offset = (unsigned int)floor_mod((int64_t)wday - 1 -
						 weekday(days), 7);
	return days * SEC_PER_DAY + hour * 3600 + min * 60 + sec;
}

/* UIP: an update is due within 8 time-base cycles (Table 6). */
static bool rtc_uip(const struct rtc *r, uint64_t now)
{
	struct rtc_time t;

	if (!r->ticking || (r->cmos[RTC_REG_B] & REG_B_SET))
		return false;
	t = rtc_time_at(r, now);
	return floor_mod(rtc_ticks(&t), TIMEBASE_HZ) >=
	       TIMEBASE_HZ - UIP_TICKS;
}

/* -------------------------------------------------------------- events */

/* Periodic interrupt period in time-base cycles (Table 5, 32.768 kHz);
 * 0 when RS = 0. */
static int64_t rtc_period(const struct rtc *r)
{
	unsigned int rs = r->cmos[RTC_REG_A] & REG_A_RS;

	if (rs == 0)
		return 0;
	if (rs <= 2)
		return 64 << rs;   /* 3.90625 ms and 7.8125 ms */
	return 1 << (rs - 1);      /* 32768 >> (rs - 1) Hz */
}

/* Whether each alarm byte matches the value v (an encoded time byte). */
static bool alarm_match(uint8_t alarm, uint8_t v)
{
	return (alarm & ALARM_DONT_CARE) == ALARM_DONT_CARE || alarm == v;
}

/*
 * How many updates after the time `sec` the alarm next matches (1-86400),
 * or 0 if it cannot match in the current format.  Whole hours and minutes
 * that cannot match are skipped, so this takes a few hundred steps at
 * most.
 */
static int64_t rtc_alarm_wait(const struct rtc *r, int64_t sec)
{
	uint8_t as = r->cmos[RTC_SECONDS_ALARM];
	uint8_t am = r->cmos[RTC_MINUTES_ALARM];
	uint8_t ah = r->cmos[RTC_HOURS_ALARM];
	bool sm[60], mm[60], hm[24], any_s = false, any_m = false;
	bool any_h = false;
	int64_t tod = floor_mod(sec, SEC_PER_DAY);

	for (unsigned int i = 0; i < 60; i++) {
		sm[i] = alarm_match(as, rtc_enc(r, i));
		mm[i] = alarm_match(am, rtc_enc(r, i));
		any_s |= sm[i];
		any_m |= mm[i];
	}
	for (unsigned int i = 0; i < 24; i++) {
		hm[i] = alarm_match(ah, rtc_enc_hour(r, i));
		any_h |= hm[i];
	}
	if (!any_s || !any_m || !any_h)
		return 0;
	for (int64_t d = 1; d <= SEC_PER_DAY;) {
		int64_t t = (tod + d) % SEC_PER_DAY;

		if (!hm[t / 3600])
			d += 3600 - t % 3600;
		else if (!mm[t / 60 % 60])
			d += 60 - t % 60;
		else if (!sm[t % 60])
			d++;
		else
			return d;
	}
	return 0;
}

/*
 * Latches the flags of every event between flags_ns and now.  Called
 * before anything they depend on changes (time, divider, SET, rate, alarm
 * bytes, data mode), so the time is linear over the interval.
 */
static void rtc_sync(struct rtc *r, uint64_t now)
{
	struct rtc_time t0, t1;
	int64_t period = rtc_period(r);

	if (now <= r->flags_ns)
		return;
	if (r->ticking) {
		t0 = rtc_time_at(r, r->flags_ns);
		t1 = rtc_time_at(r, now);
		if (period && floor_div(rtc_ticks(&t1), period) !=
			      floor_div(rtc_ticks(&t0), period))
			r->flags |= REG_C_PF;
		/* Updates happen only with SET = 0 ("Register B"). */
		if (!(r->cmos[RTC_REG_B] & REG_B_SET) && t1.sec != t0.sec) {
			int64_t wait = rtc_alarm_wait(r, t0.sec);

			r->flags |= REG_C_UF;
			if (wait && wait <= t1.sec - t0.sec)
				r->flags |= REG_C_AF;
		}
	}
	r->flags_ns = now;
}

static void rtc_update_irq(struct rtc *r)
{
	/* PIE/AIE/UIE sit at the bit positions of PF/AF/UF. */
	bool level = r->flags & r->cmos[RTC_REG_B] & REG_C_FLAGS;

	if (level != r->irq_level) {
		r->irq_level = level;
		dm_irq_set(r->irq, level);
	}
}

/* Arms the timer for the first enabled event, if the line is low. */
static void rtc_arm(struct rtc *r)
{
	uint8_t b = r->cmos[RTC_REG_B];
	uint64_t now = dm_clock_ns(r->dm), next = UINT64_MAX;
	struct rtc_time t = rtc_time_at(r, now);
	int64_t period = rtc_period(r);

	dm_timer_del(r->timer);
	if (r->irq_level || !r->ticking)
		return;
	if ((b & REG_B_PIE) && period) {
		int64_t edge = (floor_div(rtc_ticks(&t), period) + 1) * period;
		int64_t sec = floor_div(edge, TIMEBASE_HZ);
		uint64_t cycles = (uint64_t)(edge - sec * TIMEBASE_HZ);
		/* The first ns at which the count has reached the edge. */
		int64_t ns = (int64_t)((cycles * NSEC_PER_SEC + TIMEBASE_HZ -
					1) / TIMEBASE_HZ);

		next = now + (uint64_t)((sec - t.sec) *
					(int64_t)NSEC_PER_SEC + ns - t.ns);
	}
	if (!(b & REG_B_SET)) {
		uint64_t update = now + NSEC_PER_SEC - t.ns;
		int64_t wait;

		if ((b & REG_B_UIE) && update < next)
			next = update;
		if ((b & REG_B_AIE) && (wait = rtc_alarm_wait(r, t.sec))) {
			update += (uint64_t)(wait - 1) * NSEC_PER_SEC;
			if (update < next)
				next = update;
		}
	}
	if (next != UINT64_MAX)
		dm_timer_mod(r->timer, next);
}

static void rtc_timer_fire(void *opaque)
{
	struct rtc *r = opaque;

	rtc_sync(r, dm_clock_ns(r->dm));
	rtc_update_irq(r);
	rtc_arm(r);
}

/* ------------------------------------------------------------ registers */

static bool rtc_is_time_reg(unsigned int index)
{
	switch (index) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CMOS_CENTURY:
		return true;
	}
	return false;
}

static void rtc_write_time_reg(struct rtc *r, unsigned int index,
			       uint8_t val)
{
	uint64_t now = dm_clock_ns(r->dm);
	struct rtc_time t;

	if (r->cmos[RTC_REG_B] & REG_B_SET) {
		r->cmos[index] = val;
		return;
	}
	/* Running: the byte sets the time at once, within the second. */
	rtc_sync(r, now);
	t = rtc_time_at(r, now);
	rtc_fill_regs(r, &t);
	r->cmos[index] = val;
	rtc_set_base(r, rtc_regs_to_sec(r), t.ns, now);
	rtc_arm(r);
}

static void rtc_write_reg_a(struct rtc *r, uint8_t val)
{
	uint64_t now = dm_clock_ns(r->dm);
	uint8_t dv = val & REG_A_DV;
	bool run = dv == REG_A_DV_32K;

	rtc_sync(r, now);
	if (dv != REG_A_DV_32K && (dv & REG_A_DV_RST) != REG_A_DV_RST)
		log_guest("rtc: divider setting %#x (Table 4) does not keep "
			  "time with the 32.768 kHz crystal; clock stopped",
			  dv >> 4);
	if (r->ticking && !run) {
		struct rtc_time t = rtc_time_at(r, now);

		rtc_set_base(r, t.sec, t.ns, now);
		r->ticking = false;
	}
	if ((dv & REG_A_DV_RST) == REG_A_DV_RST) {
		/* Chain in reset: the first update comes 500 ms after it is
		 * released ("Register A"). */
		r->base.ns = NSEC_PER_SEC / 2;
	}
	if (!r->ticking && run) {
		r->base_ns = now;
		r->ticking = true;
	}
	r->cmos[RTC_REG_A] = val & ~REG_A_UIP; /* UIP is read-only */
	rtc_update_irq(r);
	rtc_arm(r);
}

static void rtc_write_reg_b(struct rtc *r, uint8_t val)
{
	uint64_t now = dm_clock_ns(r->dm);
	uint8_t old = r->cmos[RTC_REG_B];
	struct rtc_time t;

	rtc_sync(r, now);
	t = rtc_time_at(r, now);
	if (val & REG_B_SET) {
		/* SET aborts and inhibits updates and clears UIE
		 * ("Register B"); the registers keep the time they had. */
		val &= ~REG_B_UIE;
		if (!(old & REG_B_SET))
			rtc_fill_regs(r, &t);
	}
	r->cmos[RTC_REG_B] = val;
	if ((old & REG_B_SET) && !(val & REG_B_SET))
		rtc_set_base(r, rtc_regs_to_sec(r), t.ns, now);
	rtc_update_irq(r);
	rtc_arm(r);
}

/* Reading C clears its flags and lowers IRQ ("Register C"). */
static uint8_t rtc_read_reg_c(struct rtc *r)
{
	uint8_t v;

	rtc_sync(r, dm_clock_ns(r->dm));
	v = r->flags;
	if (r->flags & r->cmos[RTC_REG_B] & REG_C_FLAGS)
		v |= REG_C_IRQF;
	r->flags = 0;
	rtc_update_irq(r);
	rtc_arm(r);
	return v;
}

static uint8_t rtc_read_reg(struct rtc *r, unsigned int index)
{
	uint64_t now = dm_clock_ns(r->dm);
	struct rtc_time t;

	if (rtc_is_time_reg(index)) {
		if (!(r->cmos[RTC_REG_B] & REG_B_SET)) {
			t = rtc_time_at(r, now);
			rtc_fill_regs(r, &t);
		}
		return r->cmos[index];
	}
	switch (index) {
	case RTC_REG_A:
		return (r->cmos[RTC_REG_A] & ~REG_A_UIP) |
		       (rtc_uip(r, now) ? REG_A_UIP : 0);
	case RTC_REG_C:
		return rtc_read_reg_c(r);
	case RTC_REG_D:
		return REG_D_VRT; /* the time and RAM are valid */
	}
	return r->cmos[index];
}

static void rtc_write_reg(struct rtc *r, unsigned int index, uint8_t val)
{
	if (rtc_is_time_reg(index)) {
		rtc_write_time_reg(r, index, val);
		return;
	}
	switch (index) {
	case RTC_SECONDS_ALARM:
	case RTC_MINUTES_ALARM:
	case RTC_HOURS_ALARM:
		rtc_sync(r, dm_clock_ns(r->dm));
		r->cmos[index] = val;
		rtc_arm(r);
		break;
	case RTC_REG_A:
		rtc_write_reg_a(r, val);
		break;
	case RTC_REG_B:
		rtc_write_reg_b(r, val);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		log_guest_at(LOG_DEBUG, "rtc: write %#x to read-only register "
			     "%c ignored", val, index == RTC_REG_C ? 'C' : 'D');
		break;
	default:
		r->cmos[index] = val;
		break;
	}
}

static uint64_t rtc_io_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct rtc *r = opaque;
	uint64_t val = 0;

	if (size != 1) {
		log_guest("rtc: %u-byte read at port %#llx; done bytewise",
			  size, (unsigned long long)(RTC_PORT_BASE + offset));
		if (size == 0 || size > 8)
			return ~0ull;
	}
	for (unsigned int i = 0; i < size; i++) {
		uint8_t b = 0xff; /* also the write-only index port */

		if (offset + i == RTC_PORT_DATA)
			b = rtc_read_reg(r, r->index);
		val |= (uint64_t)b << (8 * i);
	}
	return val;
}

static void rtc_io_write(void *opaque, uint64_t offset, uint64_t value,
			 unsigned int size)
{
	struct rtc *r = opaque;

	if (size != 1) {
		log_guest("rtc: %u-byte write at port %#llx; done bytewise",
			  size, (unsigned long long)(RTC_PORT_BASE + offset));
		if (size == 0 || size > 8)
			return;
	}
	for (unsigned int i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(value >> (8 * i));

		if (offset + i == RTC_PORT_INDEX) {
			r->index = b & RTC_INDEX_MASK;
			r->nmi_disabled = b & RTC_NMI_DISABLE;
		} else if (offset + i == RTC_PORT_DATA) {
			rtc_write_reg(r, r->index, b);
		}
	}
}

static const struct dm_io_ops rtc_io_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
};

/* ------------------------------------------------------------ platform */

void rtc_cmos_set(struct rtc *r, unsigned int index, uint8_t value)
{
	if (index < RTC_FIRST_RAM || index >= RTC_CMOS_SIZE) {
		log_warn("rtc: CMOS index %#x is not RAM; not set", index);
		return;
	}
	rtc_write_reg(r, index, value);
}

uint8_t rtc_cmos_get(const struct rtc *r, unsigned int index)
{
	struct rtc_time t;
	unsigned int month, mday;
	int64_t year;

	if (index < RTC_FIRST_RAM || index >= RTC_CMOS_SIZE) {
		log_warn("rtc: CMOS index %#x is not RAM", index);
		return 0xff;
	}
	if (index == RTC_CMOS_CENTURY &&
	    !(r->cmos[RTC_REG_B] & REG_B_SET)) {
		t = rtc_time_at(r, dm_clock_ns(r->dm));
		civil_from_days(floor_div(t.sec, SEC_PER_DAY), &year, &month,
				&mday);
		return rtc_enc(r, (unsigned int)floor_mod(floor_div(year, 100),
							  100));
	}
	return r->cmos[index];
}

/* The RESET pin ("RESET"): PIE, AIE, UIE, SQWE and the flags cleared, IRQ
 * released; time, divider, data mode and RAM are kept. */
void rtc_reset(struct rtc *r)
{
	rtc_sync(r, dm_clock_ns(r->dm));
	r->cmos[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE |
				REG_B_SQWE);
	r->flags = 0;
	rtc_update_irq(r);
	rtc_arm(r);
}

void rtc_destroy(struct rtc *r)
{
	if (!r)
		return;
	if (r->range)
		dm_release(r->dm, r->range);
	if (r->timer)
		dm_timer_free(r->timer);
	free(r);
}

struct rtc *rtc_create(struct dm *dm)
{
	struct timespec now;
	struct rtc *r;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
		log_error("rtc: cannot read the host's time");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		log_error("rtc: out of memory");
		return NULL;
	}
	r->dm = dm;
	r->irq = dm_irq_get(dm, RTC_IRQ, DM_IRQ_MODE_EDGE);
	r->timer = dm_timer_new(dm, rtc_timer_fire, r);
	if (!r->irq || !r->timer) {
		if (!r->timer)
			log_error("rtc: cannot create a timer");
		goto fail;
	}
	/* Register values firmware expects (QEMU's, and what SeaBIOS's
	 * rtc_setup() writes): 32.768 kHz divider running, 1024 Hz rate,
	 * 24-hour BCD; register D: valid RAM and time. */
	r->cmos[RTC_REG_A] = POWER_ON_REG_A;
	r->cmos[RTC_REG_B] = POWER_ON_REG_B;
	r->cmos[RTC_REG_D] = REG_D_VRT;
	r->ticking = true;
	rtc_set_base(r, (int64_t)now.tv_sec, (uint32_t)now.tv_nsec,
		     dm_clock_ns(dm));
	r->flags_ns = r->base_ns;
	rtc_fill_regs(r, &r->base);
	r->range = dm_claim(dm, DM_SPACE_PIO, RTC_PORT_BASE, RTC_NR_PORTS,
			    &rtc_io_ops, r, 0, "rtc");
	if (!r->range)
		goto fail;
	return r;
fail:
	rtc_destroy(r);
	return NULL;
}
