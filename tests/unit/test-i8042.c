/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the 8042 keyboard controller with its PS/2 keyboard and
 * mouse (devmodel/i8042.c) on the fake device model (fake-dm.h): the
 * controller commands and status bits, the devices' commands and replies
 * as SeaBIOS and Linux use them, scancode translation, mouse packets,
 * interrupts and the CPU reset line.
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

#include "device.h"
#include "fake-dm.h"
#include "hvmkit/log.h"
#include "pc.h"

#define DATA 0x60
#define CMD 0x64
#define IRQ1 1
#define IRQ12 12

#define STS_OBF 0x01
#define STS_IBF 0x02
#define STS_SYS 0x04
#define STS_A2 0x08
#define STS_INH 0x10
#define STS_AUX 0x20

#define CCB_KBD_INT 0x01
#define CCB_AUX_INT 0x02
#define CCB_SYS 0x04
#define CCB_KBD_DIS 0x10
#define CCB_AUX_DIS 0x20
#define CCB_XLATE 0x40

#define ACK 0xfa

struct fx {
	struct dm *dm;
	struct i8042 *k;
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
	f->k = i8042_create(f->dm);
	if (!f->k)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	bool clean;

	i8042_destroy(f->k);
	clean = fake_dm_free(f->dm);
	fake_errors_release();
	free(f);
	return clean ? 0 : -1;
}

static uint8_t status(struct fx *f)
{
	return (uint8_t)fake_pio_read(f->dm, CMD, 1);
}

static void command(struct fx *f, uint8_t c)
{
	fake_pio_write(f->dm, CMD, c, 1);
}

static void data_out(struct fx *f, uint8_t b)
{
	fake_pio_write(f->dm, DATA, b, 1);
}

static uint8_t data_in(struct fx *f)
{
	return (uint8_t)fake_pio_read(f->dm, DATA, 1);
}

/* A controller command with one data byte. */
static void command_data(struct fx *f, uint8_t c, uint8_t b)
{
	command(f, c);
	data_out(f, b);
}

static void set_ccb(struct fx *f, uint8_t ccb)
{
	command_data(f, 0x60, ccb);
}

static void aux_out(struct fx *f, uint8_t b)
{
	command_data(f, 0xd4, b);
}

/* Reads the next byte, which must be there and come from the keyboard
 * side (aux false) or the mouse (aux true). */
static uint8_t next_byte(struct fx *f, bool aux)
{
	uint8_t s = status(f);

	assert_int_equal(s & STS_OBF, STS_OBF);
	assert_int_equal(!!(s & STS_AUX), aux);
	return data_in(f);
}

/* The output buffer holds exactly these bytes. */
static void expect(struct fx *f, bool aux, const uint8_t *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(next_byte(f, aux), bytes[i]);
	assert_int_equal(status(f) & STS_OBF, 0);
}

#define EXPECT(f, aux, ...)                                              \
	do {                                                             \
		static const uint8_t e_[] = { __VA_ARGS__ };             \
		expect(f, aux, e_, sizeof(e_));                          \
	} while (0)

static uint8_t read_ccb(struct fx *f)
{
	command(f, 0x20);
	return next_byte(f, false);
}

static void key(struct fx *f, const uint8_t *bytes, size_t n)
{
	i8042_kbd_put(f->k, bytes, n);
}

#define KEY(f, ...)                                                      \
	do {                                                             \
		static const uint8_t k_[] = { __VA_ARGS__ };             \
		key(f, k_, sizeof(k_));                                  \
	} while (0)

/* ---------------------------------------------------------- controller */

/* Ports 0x60 and 0x64, IRQ 1 and 12 edge, power-on status and command
 * byte. */
static void test_create(void **state)
{
	struct fx *f = *state;
	const char *name;

	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, DATA, NULL, &name));
	assert_string_equal(name, "i8042-data");
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, CMD, NULL, &name));
	assert_string_equal(name, "i8042-cmd");
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0x61, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, 0x65, NULL, NULL));
	assert_int_equal(fake_irq_mode(f->dm, IRQ1), DM_IRQ_MODE_EDGE);
	assert_int_equal(fake_irq_mode(f->dm, IRQ12), DM_IRQ_MODE_EDGE);
	assert_int_equal(status(f), STS_INH | STS_A2);
	assert_int_equal(read_ccb(f), CCB_KBD_INT | CCB_AUX_INT);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	assert_int_equal(fake_nr_errors, 0);
}

/* Self test 0x55 (and the system flag), port tests 0x00, input port,
 * and status bit A2 following the last write. */
static void test_self_test(void **state)
{
	struct fx *f = *state;

	assert_int_equal(status(f) & STS_SYS, 0);
	command(f, 0xaa);
	assert_int_equal(status(f) & (STS_A2 | STS_IBF), STS_A2);
	EXPECT(f, false, 0x55);
	assert_int_equal(status(f) & STS_SYS, STS_SYS);
	assert_int_equal(read_ccb(f) & CCB_SYS, CCB_SYS);
	command(f, 0xab);
	EXPECT(f, false, 0x00);
	command(f, 0xa9);
	EXPECT(f, false, 0x00);
	command(f, 0xc0);
	EXPECT(f, false, 0x80);
	command(f, 0xe0);
	assert_int_equal(next_byte(f, false) & ~3, 0);
	/* A2: data write clears it. */
	set_ccb(f, 0x00);
	assert_int_equal(status(f) & STS_A2, 0);
	/* Clearing the system flag in the command byte clears it here. */
	assert_int_equal(status(f) & STS_SYS, 0);
}

/* Command byte and the other 31 RAM bytes; 0xA7/0xA8, 0xAD/0xAE set and
 * clear the disable bits (Linux checks them). */
static void test_command_byte(void **state)
{
	struct fx *f = *state;

	set_ccb(f, 0x47);
	assert_int_equal(read_ccb(f), 0x47);
	command_data(f, 0x65, 0x5a);
	command_data(f, 0x7f, 0xa5);
	command(f, 0x25);
	EXPECT(f, false, 0x5a);
	command(f, 0x3f);
	EXPECT(f, false, 0xa5);
	assert_int_equal(read_ccb(f), 0x47);
	command(f, 0xa7);
	assert_int_equal(read_ccb(f), 0x47 | CCB_AUX_DIS);
	command(f, 0xa8);
	assert_int_equal(read_ccb(f), 0x47);
	command(f, 0xad);
	assert_int_equal(read_ccb(f), 0x47 | CCB_KBD_DIS);
	command(f, 0xae);
	assert_int_equal(read_ccb(f), 0x47);
	/* A command aborts one that waits for data. */
	command(f, 0x60);
	command(f, 0x20);
	EXPECT(f, false, 0x47);
	/* Unknown commands change nothing. */
	command(f, 0xa1);
	assert_int_equal(status(f) & STS_OBF, 0);
	assert_int_equal(read_ccb(f), 0x47);
}

/* 0xFE, 0xF0 and 0xD1 with bit 0 clear pulse/drive the CPU reset line;
 * A20 is stored. */
static void test_reset_line(void **state)
{
	struct fx *f = *state;

	command(f, 0xd0);
	assert_int_equal(next_byte(f, false) & 0x03, 0x03);
	command(f, 0xff); /* pulses nothing */
	command(f, 0xfd);
	assert_int_equal(fake_reset_requests(f->dm), 0);
	command(f, 0xfe);
	assert_int_equal(fake_reset_requests(f->dm), 1);
	command(f, 0xf0);
	assert_int_equal(fake_reset_requests(f->dm), 2);

	command_data(f, 0xd1, 0xdd); /* A20 off, no reset */
	assert_int_equal(fake_reset_requests(f->dm), 2);
	command(f, 0xd0);
	assert_int_equal(next_byte(f, false) & 0x03, 0x01);
	command(f, 0xdf);
	command(f, 0xd0);
	assert_int_equal(next_byte(f, false) & 0x03, 0x03);
	command_data(f, 0xd1, 0xde);
	assert_int_equal(fake_reset_requests(f->dm), 3);
}

/* 0xD2/0xD3 put a byte in the output buffer as if from the keyboard or
 * the mouse (Linux's AUX loop test needs IRQ 12 and AUX_OBF). */
static void test_write_output_buffer(void **state)
{
	struct fx *f = *state;

	set_ccb(f, CCB_KBD_INT | CCB_AUX_INT | CCB_AUX_DIS);
	command_data(f, 0xd2, 0x5a);
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 1);
	assert_int_equal(fake_irq_level(f->dm, IRQ12), 0);
	EXPECT(f, false, 0x5a);
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 0);
	command_data(f, 0xd3, 0xa5);
	assert_int_equal(fake_irq_level(f->dm, IRQ12), 1);
	assert_int_equal(fake_irq_edges(f->dm, IRQ12), 1);
	EXPECT(f, true, 0xa5);
	assert_int_equal(fake_irq_level(f->dm, IRQ12), 0);
	/* The output port shows which buffer is full. */
	command_data(f, 0xd3, 0x11);
	command(f, 0xd0);
	assert_int_equal(next_byte(f, true), 0x11);
	assert_int_equal(next_byte(f, false) & 0x30, 0x20);
}

/* ------------------------------------------------------------ keyboard */

/* Keyboard commands as SeaBIOS and Linux send them (untranslated). */
static void test_keyboard_commands(void **state)
{
	struct fx *f = *state;

	data_out(f, 0xff);
	EXPECT(f, false, ACK, 0xaa);
	data_out(f, 0xf2);
	EXPECT(f, false, ACK, 0xab, 0x83);
	data_out(f, 0xee);
	EXPECT(f, false, 0xee);
	data_out(f, 0xed);
	EXPECT(f, false, ACK);
	data_out(f, 0x07);
	EXPECT(f, false, ACK);
	data_out(f, 0xf3);
	EXPECT(f, false, ACK);
	data_out(f, 0x20);
	EXPECT(f, false, ACK);
	/* Scancode sets: set 2 stays. */
	data_out(f, 0xf0);
	EXPECT(f, false, ACK);
	data_out(f, 0x00);
	EXPECT(f, false, ACK, 0x02);
	data_out(f, 0xf0);
	data_out(f, 0x03);
	EXPECT(f, false, ACK, ACK);
	data_out(f, 0xf0);
	data_out(f, 0x00);
	EXPECT(f, false, ACK, ACK, 0x02);
	data_out(f, 0xf0);
	data_out(f, 0x09);
	EXPECT(f, false, ACK, 0xfe);
	/* Unknown commands are refused; Resend repeats the last byte. */
	data_out(f, 0x88);
	EXPECT(f, false, 0xfe);
	data_out(f, 0xee);
	EXPECT(f, false, 0xee);
	data_out(f, 0xfe);
	EXPECT(f, false, 0xee);
	data_out(f, 0xf4);
	data_out(f, 0xf6);
	EXPECT(f, false, ACK, ACK);
	/* Disabled: no scanning, host keys dropped. */
	data_out(f, 0xf5);
	EXPECT(f, false, ACK);
	KEY(f, 0x1c);
	assert_int_equal(status(f) & STS_OBF, 0);
	data_out(f, 0xf4);
	EXPECT(f, false, ACK);
	KEY(f, 0x1c);
	EXPECT(f, false, 0x1c);
}

/* Command byte bit 6: set 2 to set 1, with the F0 prefix folded into
 * bit 7 of the next code; replies are translated too (ID AB 41). */
static void test_translation(void **state)
{
	struct fx *f = *state;

	set_ccb(f, CCB_XLATE);
	KEY(f, 0x1c);                  /* A */
	EXPECT(f, false, 0x1e);
	KEY(f, 0xf0, 0x1c);
	EXPECT(f, false, 0x9e);
	KEY(f, 0xe0, 0x75);            /* cursor up */
	EXPECT(f, false, 0xe0, 0x48);
	KEY(f, 0xe0, 0xf0, 0x75);
	EXPECT(f, false, 0xe0, 0xc8);
	KEY(f, 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77); /* Pause */
	EXPECT(f, false, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
	KEY(f, 0x83, 0x76, 0x5a, 0x29); /* F7, Esc, Enter, Space */
	EXPECT(f, false, 0x41, 0x01, 0x1c, 0x39);
	KEY(f, 0x00);                  /* overrun */
	EXPECT(f, false, 0xff);
	data_out(f, 0xf2);
	EXPECT(f, false, ACK, 0xab, 0x41);
	data_out(f, 0xf0);
	data_out(f, 0x00);
	EXPECT(f, false, ACK, ACK, 0x41); /* set 2 reads as 0x41 */

	/* A break prefix waiting for its code when translation is turned
	 * off is forgotten. */
	command(f, 0xad);
	KEY(f, 0xf0);
	command(f, 0xae);
	assert_int_equal(status(f) & STS_OBF, 0);
	set_ccb(f, 0);
	KEY(f, 0x1c);
	EXPECT(f, false, 0x1c);
	KEY(f, 0xf0, 0x1c);
	EXPECT(f, false, 0xf0, 0x1c);
}

/* IRQ 1: one edge per byte, lowered by the read; none when disabled in
 * the command byte; keys wait while the interface is disabled. */
static void test_keyboard_irq(void **state)
{
	struct fx *f = *state;

	set_ccb(f, CCB_KBD_INT);
	KEY(f, 0x1c, 0x32, 0x21);
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 1);
	assert_int_equal(fake_irq_edges(f->dm, IRQ1), 1);
	assert_int_equal(data_in(f), 0x1c);
	assert_int_equal(fake_irq_edges(f->dm, IRQ1), 2);
	assert_int_equal(data_in(f), 0x32);
	assert_int_equal(data_in(f), 0x21);
	assert_int_equal(fake_irq_edges(f->dm, IRQ1), 3);
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 0);
	assert_int_equal(fake_irq_level(f->dm, IRQ12), 0);
	/* An empty buffer reads the last byte again. */
	assert_int_equal(data_in(f), 0x21);
	assert_int_equal(fake_irq_edges(f->dm, IRQ1), 3);

	set_ccb(f, 0);
	KEY(f, 0x1c);
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 0);
	assert_int_equal(status(f) & STS_OBF, STS_OBF);
	set_ccb(f, CCB_KBD_INT); /* enabling with a full buffer interrupts */
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 1);
	EXPECT(f, false, 0x1c);

	command(f, 0xad);
	KEY(f, 0x2b);
	assert_int_equal(status(f) & STS_OBF, 0);
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 0);
	command(f, 0xae);
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 1);
	EXPECT(f, false, 0x2b);
	/* Sending to the keyboard enables its interface (as QEMU). */
	command(f, 0xad);
	data_out(f, 0xee);
	EXPECT(f, false, 0xee);
	assert_int_equal(read_ccb(f) & CCB_KBD_DIS, 0);
}

/* --------------------------------------------------------------- mouse */

/* Reset, ID, the IntelliMouse knock, status. */
static void test_mouse_commands(void **state)
{
	struct fx *f = *state;

	aux_out(f, 0xff);
	EXPECT(f, true, ACK, 0xaa, 0x00);
	aux_out(f, 0xf2);
	EXPECT(f, true, ACK, 0x00);
	/* Linux's Explorer knock is not recognised: still 0. */
	aux_out(f, 0xf3);
	aux_out(f, 200);
	aux_out(f, 0xf3);
	aux_out(f, 200);
	aux_out(f, 0xf3);
	aux_out(f, 80);
	aux_out(f, 0xf2);
	EXPECT(f, true, ACK, ACK, ACK, ACK, ACK, ACK, ACK, 0x00);
	aux_out(f, 0xf3);
	aux_out(f, 200);
	aux_out(f, 0xf3);
	aux_out(f, 100);
	aux_out(f, 0xf3);
	aux_out(f, 80);
	aux_out(f, 0xf2);
	EXPECT(f, true, ACK, ACK, ACK, ACK, ACK, ACK, ACK, 0x03);
	aux_out(f, 0xe8);
	aux_out(f, 0x03);
	aux_out(f, 0xe7);
	aux_out(f, 0xf4);
	EXPECT(f, true, ACK, ACK, ACK, ACK);
	i8042_mouse_move(f->k, 0, 0, 0, I8042_BUTTON_LEFT);
	assert_int_equal(status(f) & STS_OBF, STS_OBF);
	while (status(f) & STS_OBF)
		data_in(f);
	aux_out(f, 0xe9);
	EXPECT(f, true, ACK, 0x20 | 0x10 | 0x04, 0x03, 80);
	/* Defaults; reset forgets the wheel. */
	aux_out(f, 0xf6);
	aux_out(f, 0xe9);
	EXPECT(f, true, ACK, ACK, 0x04, 0x02, 100);
	aux_out(f, 0xf2);
	EXPECT(f, true, ACK, 0x03);
	aux_out(f, 0xff);
	aux_out(f, 0xf2);
	EXPECT(f, true, ACK, 0xaa, 0x00, ACK, 0x00);
	aux_out(f, 0x42);
	EXPECT(f, true, 0xfe);
	aux_out(f, 0xe6);
	aux_out(f, 0xea);
	EXPECT(f, true, ACK, ACK);
	aux_out(f, 0xfe);
	EXPECT(f, true, ACK);
}

/* Stream mode packets: 3 bytes, sign bits, y up, clamping; reporting
 * off sends nothing; IRQ 12 per byte. */
static void test_mouse_packets(void **state)
{
	struct fx *f = *state;

	set_ccb(f, CCB_KBD_INT | CCB_AUX_INT);
	i8042_mouse_move(f->k, 5, 3, 0, 0);
	assert_int_equal(status(f) & STS_OBF, 0); /* reporting off */
	aux_out(f, 0xf4);
	EXPECT(f, true, ACK);
	assert_int_equal(fake_irq_edges(f->dm, IRQ12), 1);
	assert_int_equal(fake_irq_edges(f->dm, IRQ1), 0);
	i8042_mouse_move(f->k, 5, 3, 0, I8042_BUTTON_LEFT);
	EXPECT(f, true, 0x08 | 0x20 | 0x01, 0x05, 0xfd);
	assert_int_equal(fake_irq_edges(f->dm, IRQ12), 4);
	assert_int_equal(fake_irq_level(f->dm, IRQ12), 0);
	i8042_mouse_move(f->k, -10, -2, 0,
			 I8042_BUTTON_RIGHT | I8042_BUTTON_MIDDLE);
	EXPECT(f, true, 0x08 | 0x10 | 0x06, 0xf6, 0x02);
	i8042_mouse_move(f->k, 1000, 1000, 0, 0);
	EXPECT(f, true, 0x08 | 0x20, 0xff, 0x01);
	i8042_mouse_move(f->k, -100000, -100000, 0, 0);
	EXPECT(f, true, 0x08 | 0x10, 0x01, 0xff);
	i8042_mouse_move(f->k, 0, 0, 3, 0); /* no wheel on a plain mouse */
	EXPECT(f, true, 0x08, 0x00, 0x00);

	/* IntelliMouse: a fourth byte, the wheel clamped to -8..7. */
	aux_out(f, 0xf3);
	aux_out(f, 200);
	aux_out(f, 0xf3);
	aux_out(f, 100);
	aux_out(f, 0xf3);
	aux_out(f, 80);
	EXPECT(f, true, ACK, ACK, ACK, ACK, ACK, ACK);
	i8042_mouse_move(f->k, 1, 0, 2, 0);
	EXPECT(f, true, 0x08, 0x01, 0x00, 0x02);
	i8042_mouse_move(f->k, 0, 0, -20, 0);
	EXPECT(f, true, 0x08, 0x00, 0x00, 0xf8);
	i8042_mouse_move(f->k, 0, 0, 20, 0);
	EXPECT(f, true, 0x08, 0x00, 0x00, 0x07);

	/* Mouse interface disabled: packets wait. */
	command(f, 0xa7);
	i8042_mouse_move(f->k, 1, 1, 0, 0);
	assert_int_equal(status(f) & STS_OBF, 0);
	command(f, 0xa8);
	EXPECT(f, true, 0x08 | 0x20, 0x01, 0xff, 0x00);
}

/* Remote mode: movement accumulates until Read Data. */
static void test_mouse_remote(void **state)
{
	struct fx *f = *state;

	aux_out(f, 0xf0);
	EXPECT(f, true, ACK);
	i8042_mouse_move(f->k, 3, -4, 0, 0);
	i8042_mouse_move(f->k, 4, -4, 0, I8042_BUTTON_LEFT);
	assert_int_equal(status(f) & STS_OBF, 0);
	aux_out(f, 0xeb);
	EXPECT(f, true, ACK, 0x09, 0x07, 0x08);
	aux_out(f, 0xeb);
	EXPECT(f, true, ACK, 0x09, 0x00, 0x00);
	aux_out(f, 0xe9);
	EXPECT(f, true, ACK, 0x40 | 0x04, 0x02, 100);
}

/* Wrap mode echoes everything but EC and FF. */
static void test_mouse_wrap(void **state)
{
	struct fx *f = *state;

	aux_out(f, 0xee);
	aux_out(f, 0x12);
	aux_out(f, 0xf4);
	aux_out(f, 0xec);
	aux_out(f, 0xf2);
	EXPECT(f, true, ACK, 0x12, 0xf4, ACK, ACK, 0x00);
	aux_out(f, 0xee);
	aux_out(f, 0xff);
	EXPECT(f, true, ACK, ACK, 0xaa, 0x00);
	aux_out(f, 0x12);
	EXPECT(f, true, 0xfe);
}

/* The output buffer takes the controller's reply first, then the
 * keyboard, then the mouse. */
static void test_priority(void **state)
{
	struct fx *f = *state;

	aux_out(f, 0xf4);
	EXPECT(f, true, ACK);
	set_ccb(f, CCB_KBD_DIS | CCB_AUX_DIS);
	KEY(f, 0x1c);
	i8042_mouse_move(f->k, 1, 0, 0, 0);
	assert_int_equal(status(f) & STS_OBF, 0);
	command(f, 0x20);
	set_ccb(f, 0); /* aborts nothing: 0x20 already replied */
	assert_int_equal(next_byte(f, false), CCB_KBD_DIS | CCB_AUX_DIS);
	assert_int_equal(next_byte(f, false), 0x1c);
	EXPECT(f, true, 0x08, 0x01, 0x00);
}

/* Bounded queues: floods are cut, nothing crashes, and a command still
 * gets its reply. */
static void test_overflow(void **state)
{
	struct fx *f = *state;
	unsigned int n = 0;

	for (int i = 0; i < 1000; i++)
		KEY(f, 0x1c);
	for (int i = 0; i < 1000; i++)
		KEY(f, 0xe0, 0xf0, 0x75);
	data_out(f, 0xee);
	while (status(f) & STS_OBF) {
		uint8_t b = data_in(f);

		n++;
		if (!(status(f) & STS_OBF))
			assert_int_equal(b, 0xee);
	}
	assert_true(n >= 2 && n <= 16);

	aux_out(f, 0xf4);
	EXPECT(f, true, ACK);
	for (int i = 0; i < 10000; i++)
		i8042_mouse_move(f->k, i, -i, 0, 0);
	aux_out(f, 0xf2);
	n = 0;
	while (status(f) & STS_OBF) {
		uint8_t b = data_in(f);

		if (n % 3 == 0 && n < 249)
			assert_int_equal(b & 0x08, 0x08);
		n++;
	}
	assert_int_equal(n % 3, 2); /* whole packets, then FA 00 */
	assert_true(n <= 256);
	/* Commands sent without reading the replies: the extra replies are
	 * dropped, never mixed. */
	for (int i = 0; i < 100; i++)
		data_out(f, 0xf2);
	n = 0;
	while (status(f) & STS_OBF) {
		data_in(f);
		n++;
	}
	assert_int_equal(n % 3, 0);
	assert_true(n <= 16);
}

/* The reset op: power-on controller and devices, lines low. */
static void test_reset_op(void **state)
{
	struct fx *f = *state;

	set_ccb(f, 0x47);
	command(f, 0xaa);
	KEY(f, 0x1c, 0x1c);
	aux_out(f, 0xf3);
	aux_out(f, 200);
	aux_out(f, 0xf3);
	aux_out(f, 100);
	aux_out(f, 0xf3);
	aux_out(f, 80);
	data_out(f, 0xf5);
	command(f, 0x60);
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 1);

	i8042_reset(f->k);
	assert_int_equal(fake_irq_level(f->dm, IRQ1), 0);
	assert_int_equal(fake_irq_level(f->dm, IRQ12), 0);
	assert_int_equal(status(f), STS_INH | STS_A2);
	data_out(f, 0xee); /* no command waits for data */
	EXPECT(f, false, 0xee);
	assert_int_equal(read_ccb(f), CCB_KBD_INT | CCB_AUX_INT);
	KEY(f, 0x1c); /* scanning again */
	EXPECT(f, false, 0x1c);
	aux_out(f, 0xf2);
	EXPECT(f, true, ACK, 0x00);
	assert_int_equal(fake_reset_requests(f->dm), 0);
}

/* Wider accesses: the first byte is the port's, the rest reads 0xff. */
static void test_access_sizes(void **state)
{
	struct fx *f = *state;

	assert_int_equal(fake_pio_read(f->dm, CMD, 2), 0xff00 | STS_INH |
			 STS_A2);
	fake_pio_write(f->dm, CMD, 0x12aa, 2);
	assert_int_equal(fake_pio_read(f->dm, DATA, 4), 0xffffff55);
	fake_pio_write(f->dm, CMD, 0xfe, 0);
	assert_int_equal(fake_reset_requests(f->dm), 0);
}

/* Whatever the guest and host do: no crash (ASan), and a raised line
 * always has its byte in the output buffer. */
static void test_random(void **state)
{
	struct fx *f = *state;
	uint32_t seed = 99;

	for (int i = 0; i < 200000; i++) {
		uint8_t b;

		seed = seed * 1103515245u + 12345u;
		b = (uint8_t)(seed >> 8);
		switch ((seed >> 24) & 7) {
		case 0:
			if (b != 0xfe && b != 0xf0 && (b & 0xf1) != 0xf0 &&
			    b != 0xd1)
				command(f, b);
			break;
		case 1:
		case 2:
			data_out(f, b);
			break;
		case 3:
		case 4:
			data_in(f);
			break;
		case 5:
			key(f, &b, 1);
			break;
		case 6:
			i8042_mouse_move(f->k, (int8_t)b, (int8_t)(seed >> 16),
					 (int8_t)seed, seed & 7);
			break;
		default: {
			uint8_t s = status(f);

			if (fake_irq_level(f->dm, IRQ1) == 1)
				assert_int_equal(s & (STS_OBF | STS_AUX),
						 STS_OBF);
			if (fake_irq_level(f->dm, IRQ12) == 1)
				assert_int_equal(s & (STS_OBF | STS_AUX),
						 STS_OBF | STS_AUX);
			break;
		}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_create),
		T(test_self_test),
		T(test_command_byte),
		T(test_reset_line),
		T(test_write_output_buffer),
		T(test_keyboard_commands),
		T(test_translation),
		T(test_keyboard_irq),
		T(test_mouse_commands),
		T(test_mouse_packets),
		T(test_mouse_remote),
		T(test_mouse_wrap),
		T(test_priority),
		T(test_overflow),
		T(test_reset_op),
		T(test_access_sizes),
		T(test_random),
#undef T
	};

	/* Guest-mistake warnings are expected here; errors are captured. */
	log_init("test-i8042", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
