/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the hypervisor's read shadows, latches and doorbells
 * (hypervisor/ioreq-shadow.c, include/hvmkit/ioreq.h) on a real ioreq
 * area: the test plays the device model, writing shadow entries as
 * devmodel/ranges.c does and moving the posted rings' tails.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dm-link.h"
#include "ioreq-client.h"
#include "vm.h"

#define RANGE   3u      /* the claim's range id */
#define BASE    0x1f0u  /* and its base */

struct fx {
	struct vm vm;
	struct dm_link link;
};

static int setup_vcpus(void **state, unsigned int nr)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || ioreq_client_create(&f->link.ioreq, nr) < 0)
		return -1;
	f->vm.dm = &f->link;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_vcpus(state, 1);
}

static int setup_two(void **state)
{
	return setup_vcpus(state, 2);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ioreq_client_destroy(&f->link.ioreq);
	free(f);
	return 0;
}

static struct ioreq_shadow *entry(struct fx *f, uint32_t id)
{
	struct ioreq_area_header *h =
		(struct ioreq_area_header *)f->link.ioreq.area;

	return &h->shadows[id - 1];
}

/* What the device model publishes: bytes 0-7 valid, 1-6 latches, kick
 * bit 0x10 on byte 6. */
static void publish(struct fx *f, const uint8_t bytes[8])
{
	struct ioreq_shadow *e = entry(f, RANGE);

	e->seq += 1;
	memcpy(e->bytes, bytes, 8);
	e->valid = 0xff;
	e->latch = 0x7e;
	e->kick[6] = 0x10;
	e->base = BASE;
	e->seq += 1;
}

static const uint8_t regs[8] = { 0, 1, 2, 3, 4, 5, 0xe0, 0x50 };

/* A write the way dm_range_io sends it: classified, then posted. */
static enum ioreq_write_kind post(struct fx *f, unsigned int vcpu,
				  unsigned int off, uint8_t v)
{
	enum ioreq_write_kind k = ioreq_classify_write(&f->vm, RANGE, BASE,
						       off, 1, &v);
	struct ioreq req = { .addr = BASE + off, .data = v, .size = 1,
			     .count = 1, .type = IOREQ_TYPE_PIO,
			     .dir = IOREQ_WRITE, .range_id = RANGE };

	if (k != IOREQ_WRITE_SYNC)
		assert_true(ioreq_send_posted(&f->vm, vcpu, &req,
					      k == IOREQ_WRITE_LATCH ?
					      IOREQ_POSTED_LATCH : 0));
	return k;
}

/* The device model handled everything posted so far. */
static void handle_all(struct fx *f)
{
	for (unsigned int i = 0; i < f->link.ioreq.nr_vcpus; i++) {
		struct ioreq_vcpu *s = ioreq_client_slot(&f->link.ioreq, i);

		s->posted_tail = s->posted_head;
	}
}

static bool read_ok(struct fx *f, unsigned int off, unsigned int len,
		    uint64_t *v)
{
	uint8_t data[8] = { 0 };
	uint32_t seq;
	bool ok = ioreq_shadow_read(&f->vm, RANGE, BASE, off, len, data,
				    &seq);

	*v = 0;
	memcpy(v, data, len);
	return ok;
}

/* Stable, valid, this claim's: answered; otherwise not. */
static void test_shadow_read_conditions(void **state)
{
	struct fx *f = *state;
	struct ioreq_shadow *e = entry(f, RANGE);
	uint64_t v;

	assert_false(read_ok(f, 7, 1, &v)); /* nothing published */
	publish(f, regs);
	assert_true(read_ok(f, 6, 2, &v));
	assert_int_equal(v, 0x50e0);
	e->seq++;                           /* being written */
	assert_false(read_ok(f, 7, 1, &v));
	e->seq++;
	e->valid = 0x7f;                    /* Status withdrawn */
	assert_false(read_ok(f, 6, 2, &v));
	assert_true(read_ok(f, 6, 1, &v));
	e->base = 0x170;                    /* another claim's entry */
	assert_false(read_ok(f, 6, 1, &v));
	assert_false(ioreq_shadow_read(&f->vm, IOREQ_SHADOWS + 1, BASE, 0, 1,
				       (uint8_t[1]){ 0 }, (uint32_t[1]){ 0 }));
	atomic_store(&f->link.dead, true);
	e->base = BASE;
	assert_false(read_ok(f, 6, 1, &v));
}

/* A pending latch holds back reads of its own bytes only; anything else
 * pending holds back every read, until the device model handled it. */
static void test_latch_holds_back_its_bytes(void **state)
{
	struct fx *f = *state;
	uint64_t v;

	publish(f, regs);
	assert_int_equal(post(f, 0, 2, 0x80), IOREQ_WRITE_LATCH);
	assert_int_equal(post(f, 0, 6, 0xe0), IOREQ_WRITE_LATCH); /* DEV
								     * kept */
	assert_true(read_ok(f, 7, 1, &v));
	assert_int_equal(v, 0x50);
	assert_true(read_ok(f, 3, 3, &v));
	assert_false(read_ok(f, 2, 1, &v));
	assert_false(read_ok(f, 5, 2, &v));
	/* Not a latch: the command register, or DEV changing. */
	assert_int_equal(post(f, 0, 7, 0x25), IOREQ_WRITE_POSTED);
	assert_false(read_ok(f, 3, 1, &v));
	/* Behind a pending write that is not a latch, none is one. */
	assert_int_equal(post(f, 0, 3, 0x11), IOREQ_WRITE_POSTED);
	handle_all(f);
	assert_true(read_ok(f, 3, 1, &v));
	assert_int_equal(post(f, 0, 3, 0x11), IOREQ_WRITE_LATCH);
	/* Only the latch bits say what is a latch. */
	entry(f, RANGE)->latch = 0;
	assert_int_equal(post(f, 0, 3, 0x11), IOREQ_WRITE_POSTED);
}

/* With two vCPUs another vCPU could change the latch bits between a
 * write's classification and its handling: no latches. */
static void test_no_latches_with_two_vcpus(void **state)
{
	struct fx *f = *state;
	uint64_t v;

	publish(f, regs);
	assert_int_equal(post(f, 0, 2, 0x80), IOREQ_WRITE_POSTED);
	assert_false(read_ok(f, 7, 1, &v));
	handle_all(f);
	assert_true(read_ok(f, 7, 1, &v));
	/* A pending write on the other vCPU holds reads back too. */
	assert_int_equal(post(f, 1, 3, 0x80), IOREQ_WRITE_POSTED);
	assert_false(read_ok(f, 7, 1, &v));
}

struct kick_result {
	struct fx *f;
	enum ioreq_write_kind change, same, unknown;
};

static void *kick_thread(void *arg)
{
	struct kick_result *r = arg;
	struct ioreq_shadow *e = entry(r->f, RANGE);

	r->change = post(r->f, 0, 6, 0xf0);  /* DEV 0 -> 1 */
	handle_all(r->f);
	r->same = post(r->f, 0, 6, 0xe0);
	handle_all(r->f);
	e->valid &= (uint16_t)~(1u << 6);
	r->unknown = post(r->f, 0, 6, 0xe0);
	e->valid |= 1u << 6;
	handle_all(r->f);
	return NULL;
}

/* Runs kick_thread on cpus (a fresh thread: thread_may_spin caches its
 * answer per thread). */
static void run_kick_thread(struct kick_result *r, const cpu_set_t *cpus)
{
	pthread_attr_t attr;
	pthread_t t;

	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setaffinity_np(&attr, sizeof(*cpus),
						     cpus), 0);
	assert_int_equal(pthread_create(&t, &attr, kick_thread, r), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
}

/* A write changing kick bits (or one whose byte is not known) is never a
 * latch, and goes synchronously from a thread that cannot spin. */
static void test_kick_bits(void **state)
{
	struct kick_result r = { .f = *state };
	cpu_set_t all, one;
	int first = -1;

	publish(r.f, regs);
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
		if (CPU_ISSET(c, &all))
			first = c;
	CPU_ZERO(&one);
	CPU_SET(first, &one);
	run_kick_thread(&r, &one);
	assert_int_equal(r.change, IOREQ_WRITE_SYNC);
	assert_int_equal(r.same, IOREQ_WRITE_LATCH);
	assert_int_equal(r.unknown, IOREQ_WRITE_SYNC);
	if (CPU_COUNT(&all) < 2) {
		print_message("skipped the spinning half: this process may "
			      "run on one CPU only\n");
		return;
	}
	run_kick_thread(&r, &all);
	assert_int_equal(r.change, IOREQ_WRITE_POSTED);
	assert_int_equal(r.same, IOREQ_WRITE_LATCH);
	assert_int_equal(r.unknown, IOREQ_WRITE_POSTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shadow_read_conditions,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_latch_holds_back_its_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_no_latches_with_two_vcpus, setup_two, teardown),
		cmocka_unit_test_setup_teardown(test_kick_bits, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
