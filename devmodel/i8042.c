/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 8042 keyboard controller with a PS/2 keyboard and a PS/2 mouse: data
 * port 0x60, status/command port 0x64, keyboard on ISA IRQ 1 and mouse
 * (auxiliary device) on IRQ 12, both edge.  Follows the IBM PS/2
 * Hardware Interface Technical Reference, "Keyboard/Auxiliary Device
 * Controller" (status register, command byte, controller commands, output
 * port) and "Keyboard and Auxiliary Device" (device commands and replies),
 * cross-checked against Linux (drivers/input/serio/i8042.c,
 * keyboard/atkbd.c, mouse/psmouse-base.c) and SeaBIOS (src/hw/ps2port.c).
 * Where real controllers differ, QEMU's hw/input/pckbd.c and ps2.c choose.
 *
 * Model:
 * - The controller has one output buffer.  Bytes wait in the devices'
 *   queues (16 bytes in the keyboard, as a PS/2 keyboard has; 256 in the
 *   mouse) or, for the controller's own replies, in a one-byte slot; the
 *   controller moves one byte into the output buffer when it is empty:
 *   its own reply first, then the keyboard, then the mouse (QEMU's order),
 *   a device only while its interface is enabled in the command byte.
 *   Filling the buffer raises IRQ 1 (keyboard byte or controller reply) or
 *   IRQ 12 (mouse byte, 0xD3 reply) if enabled in the command byte;
 *   reading port 0x60 lowers it and loads the next byte, so every byte is
 *   a new edge.  Commands run at once: IBF and the timeout/parity bits
 *   always read 0.
 * - Translation (command byte bit 6) happens as keyboard bytes enter the
 *   output buffer, with the 8042's table from scancode set 2 to set 1: a
 *   0xF0 break prefix is swallowed and sets bit 7 of the next byte.  As on
 *   real hardware it applies to the keyboard's replies too (the ID AB 83
 *   reads AB 41).
 * - Keyboard: always scancode set 2.  0xF0 requests for sets 1 and 3 are
 *   acknowledged but change nothing, and 0xF0 0x00 reports set 2: drivers
 *   that ask (Linux atkbd) fall back to set 2; translation gives set 1.
 *   LEDs and typematic rate are stored; host input is dropped while
 *   scanning is off.  A reset (0xFF) empties a device's queue; other
 *   commands keep what it holds, so no reply to an earlier command is
 *   lost (IBM has 0xF4-0xF6 clear the keyboard's buffer too).
 * - Mouse: stream or remote mode, 3-byte packets, or 4 bytes (wheel)
 *   after the IntelliMouse sample-rate knock 200, 100, 80 (ID 3).
 *   Resolution, sample rate and 2:1 scaling are stored and reported but do
 *   not change the host's deltas, which are clamped to the 9-bit range
 *   (the wheel to -8..7) rather than split over several packets.
 * - Sending a byte to a device (0x60 without a pending command, or 0xD4)
 *   enables that interface in the command byte, as QEMU does: the
 *   controller has to release the device's clock line to send.
 * - Output port: bit 0 low (0xD1) or pulsed (0xF0-0xFE with bit 0 clear)
 *   resets the CPU: dm_request_guest_reset().  Bit 1 (A20, also 0xDD and
 *   0xDF) is stored but not enforced: KVM has no A20 gate, so memory
 *   always behaves as with A20 enabled, and the port says so at reset.
 *
 * Guest mistakes (unknown commands, wider accesses) are logged with
 * log_guest(); accesses wider than a byte touch the one port claimed and
 * read the rest as 0xff.
 */
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hvmkit/log.h"
#include "pc.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT  0x64
#define I8042_KBD_IRQ   1
#define I8042_AUX_IRQ   12

/* Status register. */
#define STS_OBF     0x01 /* output buffer full */
#define STS_IBF     0x02 /* input buffer full: never, commands are instant */
#define STS_SYS     0x04 /* system flag: command byte bit 2 */
#define STS_A2      0x08 /* last write was to the command port */
#define STS_INH     0x10 /* 1: keyboard not inhibited (keylock) */
#define STS_AUX_OBF 0x20 /* the byte is from the mouse */

/* Controller command byte (RAM byte 0). */
#define CCB_KBD_INT 0x01
#define CCB_AUX_INT 0x02
#define CCB_SYS     0x04
#define CCB_KBD_DIS 0x10
#define CCB_AUX_DIS 0x20
#define CCB_XLATE   0x40
#define CCB_POWER_ON (CCB_KBD_INT | CCB_AUX_INT) /* as QEMU */

/* Output port. */
#define OUT_RESET   0x01 /* 0: CPU reset */
#define OUT_A20     0x02
#define OUT_KBD_OBF 0x10 /* IRQ 1 */
#define OUT_AUX_OBF 0x20 /* IRQ 12 */
#define OUT_IDLE    0xcc /* clock and data lines of both ports high */
#define OUT_POWER_ON (OUT_IDLE | OUT_A20 | OUT_RESET)

#define INPUT_PORT  0x80 /* keyboard not inhibited */
#define TEST_INPUTS 0x03 /* keyboard clock and data lines idle (high) */
#define RAM_SIZE    32

/* Controller commands. */
#define CMD_READ_RAM    0x20 /* 0x20-0x3f */
#define CMD_WRITE_RAM   0x60 /* 0x60-0x7f */
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE  0xa8
#define CMD_AUX_TEST    0xa9
#define CMD_SELF_TEST   0xaa
#define CMD_KBD_TEST    0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE  0xae
#define CMD_READ_INPUT  0xc0
#define CMD_READ_OUTPUT 0xd0
#define CMD_WRITE_OUTPUT 0xd1
#define CMD_WRITE_KBD_OB 0xd2
#define CMD_WRITE_AUX_OB 0xd3
#define CMD_WRITE_AUX   0xd4
#define CMD_A20_OFF     0xdd
#define CMD_A20_ON      0xdf
#define CMD_READ_TEST   0xe0
#define CMD_PULSE       0xf0 /* 0xf0-0xff: pulse output bits 3:0 that are 0 */

#define SELF_TEST_OK    0x55
#define PORT_TEST_OK    0x00

/* Device replies and commands common to both devices. */
#define PS2_ACK         0xfa
#define PS2_RESEND      0xfe
#define PS2_BAT_OK      0xaa
#define PS2_BREAK       0xf0 /* set 2 break prefix */

#define KBD_SET_LEDS    0xed
#define KBD_ECHO        0xee
#define KBD_SCANCODE    0xf0
#define KBD_IDENTIFY    0xf2
#define KBD_TYPEMATIC   0xf3
#define KBD_ENABLE      0xf4
#define KBD_DISABLE     0xf5
#define KBD_DEFAULTS    0xf6
#define KBD_RESEND      0xfe
#define KBD_RESET       0xff
#define KBD_ID0         0xab /* MF2 keyboard */
#define KBD_ID1         0x83
#define KBD_TYPEMATIC_DEFAULT 0x2b /* 10.9 characters/s after 500 ms */

#define AUX_SCALE_11    0xe6
#define AUX_SCALE_21    0xe7
#define AUX_RESOLUTION  0xe8
#define AUX_STATUS      0xe9
#define AUX_STREAM      0xea
#define AUX_READ_DATA   0xeb
#define AUX_RESET_WRAP  0xec
#define AUX_WRAP        0xee
#define AUX_REMOTE      0xf0
#define AUX_GET_ID      0xf2
#define AUX_SAMPLE_RATE 0xf3
#define AUX_ENABLE      0xf4
#define AUX_DISABLE     0xf5
#define AUX_DEFAULTS    0xf6
#define AUX_RESEND      0xfe
#define AUX_RESET       0xff
#define AUX_ID_PS2      0
#define AUX_ID_IMPS2    3
#define AUX_RATE_DEFAULT 100
#define AUX_RES_DEFAULT 2 /* 4 counts/mm */

#define AUX_STS_REMOTE  0x40
#define AUX_STS_ENABLED 0x20
#define AUX_STS_SCALE21 0x10
#define AUX_STS_LEFT    0x04
#define AUX_STS_MIDDLE  0x02
#define AUX_STS_RIGHT   0x01

#define PKT_ALWAYS1     0x08
#define PKT_X_SIGN      0x10
#define PKT_Y_SIGN      0x20
#define PKT_DELTA_MAX   255 /* 9-bit two's complement; -256 reads as 0 */
#define PKT_WHEEL_MIN   (-8)
#define PKT_WHEEL_MAX   7
#define AUX_ACCUM_MAX   (1 << 16)

#define QUEUE_MAX       256
#define KBD_QUEUE_SIZE  16
#define AUX_QUEUE_SIZE  256
/* Room kept free of host input for the longest reply (FA AB 83; FA and a
 * 4-byte packet), so a device always answers a command. */
#define KBD_REPLY_ROOM  3
#define AUX_REPLY_ROOM  5

/*
 * The 8042's scancode translation, set 2 to set 1.  Codes 0x01-0x7f are
 * the inverse of Linux atkbd's atkbd_unxlate_table; 0x00 (set 2 overrun)
 * becomes 0xff (set 1 overrun); above 0x7f only 0x83 (F7) and 0x84
 * (Alt+SysRq) have set 1 codes, the rest pass unchanged.
 */
static const uint8_t xlate_table[256] = {
	0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58,
	0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
	0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a,
	0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
	0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c,
	0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
	0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e,
	0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
	0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60,
	0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
	0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e,
	0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
	0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b,
	0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
	0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45,
	0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
	0x80, 0x81, 0x82, 0x41, 0x54, 0x85, 0x86, 0x87,
	0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
	0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
	0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
	0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
	0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
	0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
	0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
	0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
	0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};

struct byte_queue {
	uint8_t buf[QUEUE_MAX];
	unsigned int head, len, size;
};

struct ps2_kbd {
	struct byte_queue q;
	uint8_t arg_cmd;          /* command waiting for its argument, or 0 */
	bool scanning;
	uint8_t leds, typematic;
	uint8_t last;             /* last byte sent, for Resend */
};

struct ps2_mouse {
	struct byte_queue q;
	uint8_t arg_cmd;
	bool reporting, remote, wrap, scale21;
	uint8_t resolution, rate, id;
	uint8_t rates[3];         /* the last sample rates set, oldest first */
	int dx, dy;               /* remote mode: movement not yet read */
	unsigned int buttons;     /* I8042_BUTTON_* */
	uint8_t last;
};

struct i8042 {
	struct dm *dm;
	struct dm_range *data_range, *cmd_range;
	struct dm_irq *kbd_irq, *aux_irq;

	uint8_t ram[RAM_SIZE];    /* ram[0] is the command byte */
	uint8_t outport;
	bool a2;                  /* last write was a command */
	uint8_t pending_cmd;      /* command waiting for a data byte, or 0 */

	uint8_t ob;               /* output buffer (the last byte if empty) */
	bool ob_full, ob_aux;
	bool reply_pending, reply_aux; /* the controller's reply slot */
	uint8_t reply;
	bool xlate_break;         /* translating: 0xF0 swallowed */
	bool kbd_level, aux_level;

	struct ps2_kbd kbd;
	struct ps2_mouse mouse;
};

/* ------------------------------------------------------------- queues */

static unsigned int q_room(const struct byte_queue *q)
{
	return q->size - q->len;
}

static void q_push(struct byte_queue *q, uint8_t b)
{
	if (q->len < q->size)
		q->buf[(q->head + q->len++) % QUEUE_MAX] = b;
}

static bool q_pop(struct byte_queue *q, uint8_t *b)
{
	if (!q->len)
		return false;
	*b = q->buf[q->head];
	q->head = (q->head + 1) % QUEUE_MAX;
	q->len--;
	return true;
}

static void q_clear(struct byte_queue *q, unsigned int size)
{
	q->head = 0;
	q->len = 0;
	q->size = size;
}

/* A device's reply: all of it if it fits, else dropped (the guest sent
 * commands without reading the replies). */
static void q_reply(struct byte_queue *q, const uint8_t *bytes,
		    unsigned int n, const char *dev)
{
	if (q_room(q) < n) {
		log_debug("i8042: %s queue full; %u-byte reply dropped", dev,
			  n);
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		q_push(q, bytes[i]);
}

/* ------------------------------------------------------- output buffer */

static uint8_t i8042_ccb(const struct i8042 *k)
{
	return k->ram[0];
}

static void i8042_update_irqs(struct i8042 *k)
{
	bool kbd = k->ob_full && !k->ob_aux && (i8042_ccb(k) & CCB_KBD_INT);
	bool aux = k->ob_full && k->ob_aux && (i8042_ccb(k) & CCB_AUX_INT);

	if (kbd != k->kbd_level) {
		k->kbd_level = kbd;
		dm_irq_set(k->kbd_irq, kbd);
	}
	if (aux != k->aux_level) {
		k->aux_level = aux;
		dm_irq_set(k->aux_irq, aux);
	}
}

/* The keyboard's next byte as it reaches the output buffer, translated
 * if the command byte says so; false if there is none (yet). */
static bool i8042_kbd_pull(struct i8042 *k, uint8_t *out)
{
	uint8_t b;

	while (q_pop(&k->kbd.q, &b)) {
		k->kbd.last = b;
		if (!(i8042_ccb(k) & CCB_XLATE)) {
			*out = b;
			return true;
		}
		if (b == PS2_BREAK) {
			k->xlate_break = true;
			continue;
		}
		*out = xlate_table[b] | (k->xlate_break ? 0x80 : 0);
		k->xlate_break = false;
		return true;
	}
	return false;
}

/* Moves the next byte into an empty output buffer: the controller's own
 * reply first, then the keyboard, then the mouse. */
static void i8042_refill(struct i8042 *k)
{
	uint8_t b;

	if (!k->ob_full) {
		if (k->reply_pending) {
			k->ob = k->reply;
			k->ob_aux = k->reply_aux;
			k->reply_pending = false;
			k->ob_full = true;
		} else if (!(i8042_ccb(k) & CCB_KBD_DIS) &&
			   i8042_kbd_pull(k, &b)) {
			k->ob = b;
			k->ob_aux = false;
			k->ob_full = true;
		} else if (!(i8042_ccb(k) & CCB_AUX_DIS) &&
			   q_pop(&k->mouse.q, &b)) {
			k->mouse.last = b;
			k->ob = b;
			k->ob_aux = true;
			k->ob_full = true;
		}
	}
	i8042_update_irqs(k);
}

/* A byte from the controller itself (command replies, 0xD2/0xD3). */
static void i8042_reply(struct i8042 *k, uint8_t b, bool aux)
{
	if (k->reply_pending)
		log_guest_at(LOG_DEBUG, "i8042: controller reply %#x "
			     "overwritten before it was read", k->reply);
	k->reply = b;
	k->reply_aux = aux;
	k->reply_pending = true;
}

/* ------------------------------------------------------------ keyboard */

static void kbd_defaults(struct ps2_kbd *kb)
{
	kb->leds = 0;
	kb->typematic = KBD_TYPEMATIC_DEFAULT;
	kb->arg_cmd = 0;
}

static void kbd_power_on(struct ps2_kbd *kb)
{
	q_clear(&kb->q, KBD_QUEUE_SIZE);
	kbd_defaults(kb);
	kb->scanning = true;
	kb->last = 0;
}

static void kbd_reply(struct ps2_kbd *kb, const uint8_t *bytes,
		      unsigned int n)
{
	q_reply(&kb->q, bytes, n, "keyboard");
}

static void kbd_ack(struct ps2_kbd *kb)
{
	static const uint8_t ack = PS2_ACK;

	kbd_reply(kb, &ack, 1);
}

static void kbd_argument(struct ps2_kbd *kb, uint8_t cmd, uint8_t arg)
{
	static const uint8_t set2[] = { PS2_ACK, 0x02 };
	static const uint8_t resend = PS2_RESEND;

	switch (cmd) {
	case KBD_SET_LEDS:
		kb->leds = arg & 0x07;
		kbd_ack(kb);
		break;
	case KBD_TYPEMATIC:
		kb->typematic = arg & 0x7f;
		kbd_ack(kb);
		break;
	case KBD_SCANCODE:
		if (arg == 0) {
			kbd_reply(kb, set2, sizeof(set2));
		} else if (arg <= 3) {
			if (arg != 2)
				log_guest_at(LOG_INFO, "i8042: scancode set %u "
					     "requested; the keyboard stays in "
					     "set 2", arg);
			kbd_ack(kb);
		} else {
			kbd_reply(kb, &resend, 1);
		}
		break;
	}
}

/* A byte the guest sends to the keyboard (IBM "Keyboard Commands"). */
static void kbd_write(struct ps2_kbd *kb, uint8_t b)
{
	static const uint8_t id[] = { PS2_ACK, KBD_ID0, KBD_ID1 };
	static const uint8_t bat[] = { PS2_ACK, PS2_BAT_OK };
	static const uint8_t echo = KBD_ECHO;
	static const uint8_t resend = PS2_RESEND;
	uint8_t cmd = kb->arg_cmd;

	if (cmd) {
		kb->arg_cmd = 0;
		kbd_argument(kb, cmd, b);
		return;
	}
	switch (b) {
	case KBD_SET_LEDS:
	case KBD_TYPEMATIC:
	case KBD_SCANCODE:
		kb->arg_cmd = b;
		kbd_ack(kb);
		break;
	case KBD_ECHO:
		kbd_reply(kb, &echo, 1);
		break;
	case KBD_IDENTIFY:
		kbd_reply(kb, id, sizeof(id));
		break;
	case KBD_ENABLE:
		kb->scanning = true;
		kbd_ack(kb);
		break;
	case KBD_DISABLE:
	case KBD_DEFAULTS:
		kbd_defaults(kb);
		kb->scanning = b == KBD_DEFAULTS;
		kbd_ack(kb);
		break;
	case KBD_RESEND:
		kbd_reply(kb, &kb->last, 1);
		break;
	case KBD_RESET:
		kbd_power_on(kb);
		kbd_reply(kb, bat, sizeof(bat));
		break;
	default:
		log_guest("i8042: unknown keyboard command %#x", b);
		kbd_reply(kb, &resend, 1);
		break;
	}
}

void i8042_kbd_put(struct i8042 *k, const uint8_t *bytes, size_t len)
{
	struct ps2_kbd *kb = &k->kbd;

	if (!kb->scanning) {
		log_debug("i8042: keyboard not scanning; %zu bytes dropped",
			  len);
		return;
	}
	if (q_room(&kb->q) < KBD_REPLY_ROOM ||
	    len > q_room(&kb->q) - KBD_REPLY_ROOM) {
		log_debug("i8042: keyboard buffer full; %zu bytes dropped",
			  len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		q_push(&kb->q, bytes[i]);
	i8042_refill(k);
}

/* --------------------------------------------------------------- mouse */

static void mouse_defaults(struct ps2_mouse *m)
{
	m->reporting = false;
	m->remote = false;
	m->scale21 = false;
	m->resolution = AUX_RES_DEFAULT;
	m->rate = AUX_RATE_DEFAULT;
	m->dx = m->dy = 0;
	m->arg_cmd = 0;
}

static void mouse_power_on(struct ps2_mouse *m)
{
	q_clear(&m->q, AUX_QUEUE_SIZE);
	mouse_defaults(m);
	m->wrap = false;
	m->id = AUX_ID_PS2;
	memset(m->rates, 0, sizeof(m->rates));
	m->buttons = 0;
	m->last = 0;
}

static int clamp_int(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* A movement packet (dy > 0 is up, as on the wire); n bytes to out. */
static unsigned int mouse_packet(const struct ps2_mouse *m, int dx, int dy,
				 int dz, uint8_t out[4])
{
	dx = clamp_int(dx, -PKT_DELTA_MAX, PKT_DELTA_MAX);
	dy = clamp_int(dy, -PKT_DELTA_MAX, PKT_DELTA_MAX);
	out[0] = PKT_ALWAYS1 | (m->buttons & 7) | (dx < 0 ? PKT_X_SIGN : 0) |
		 (dy < 0 ? PKT_Y_SIGN : 0);
	out[1] = (uint8_t)dx;
	out[2] = (uint8_t)dy;
	if (m->id != AUX_ID_IMPS2)
		return 3;
	out[3] = (uint8_t)clamp_int(dz, PKT_WHEEL_MIN, PKT_WHEEL_MAX);
	return 4;
}

static void mouse_reply(struct ps2_mouse *m, const uint8_t *bytes,
			unsigned int n)
{
	q_reply(&m->q, bytes, n, "mouse");
}

static void mouse_ack(struct ps2_mouse *m)
{
	static const uint8_t ack = PS2_ACK;

	mouse_reply(m, &ack, 1);
}

static void mouse_argument(struct ps2_mouse *m, uint8_t cmd, uint8_t arg)
{
	static const uint8_t knock[3] = { 200, 100, 80 };

	if (cmd == AUX_RESOLUTION) {
		m->resolution = arg & 0x03;
	} else {
		m->rate = arg;
		memmove(m->rates, m->rates + 1, 2);
		m->rates[2] = arg;
		if (!memcmp(m->rates, knock, sizeof(knock)))
			m->id = AUX_ID_IMPS2;
	}
	mouse_ack(m);
}

static uint8_t mouse_status(const struct ps2_mouse *m)
{
	uint8_t s = 0;

	if (m->remote)
		s |= AUX_STS_REMOTE;
	if (m->reporting)
		s |= AUX_STS_ENABLED;
	if (m->scale21)
		s |= AUX_STS_SCALE21;
	if (m->buttons & I8042_BUTTON_LEFT)
		s |= AUX_STS_LEFT;
	if (m->buttons & I8042_BUTTON_MIDDLE)
		s |= AUX_STS_MIDDLE;
	if (m->buttons & I8042_BUTTON_RIGHT)
		s |= AUX_STS_RIGHT;
	return s;
}

/* A byte the guest sends to the mouse (0xD4; IBM "Auxiliary Device
 * Commands"). */
static void mouse_write(struct ps2_mouse *m, uint8_t b)
{
	static const uint8_t bat[] = { PS2_ACK, PS2_BAT_OK, AUX_ID_PS2 };
	static const uint8_t resend = PS2_RESEND;
	uint8_t cmd = m->arg_cmd, reply[5];
	unsigned int n;

	if (cmd) {
		m->arg_cmd = 0;
		mouse_argument(m, cmd, b);
		return;
	}
	if (m->wrap && b != AUX_RESET_WRAP && b != AUX_RESET) {
		mouse_reply(m, &b, 1); /* wrap mode echoes */
		return;
	}
	switch (b) {
	case AUX_SCALE_11:
	case AUX_SCALE_21:
		m->scale21 = b == AUX_SCALE_21;
		mouse_ack(m);
		break;
	case AUX_RESOLUTION:
	case AUX_SAMPLE_RATE:
		m->arg_cmd = b;
		mouse_ack(m);
		break;
	case AUX_STATUS:
		reply[0] = PS2_ACK;
		reply[1] = mouse_status(m);
		reply[2] = m->resolution;
		reply[3] = m->rate;
		mouse_reply(m, reply, 4);
		break;
	case AUX_STREAM:
	case AUX_REMOTE:
		m->remote = b == AUX_REMOTE;
		m->dx = m->dy = 0;
		mouse_ack(m);
		break;
	case AUX_READ_DATA:
		reply[0] = PS2_ACK;
		n = mouse_packet(m, m->dx, m->dy, 0, reply + 1);
		m->dx = m->dy = 0;
		mouse_reply(m, reply, 1 + n);
		break;
	case AUX_RESET_WRAP:
	case AUX_WRAP:
		m->wrap = b == AUX_WRAP;
		mouse_ack(m);
		break;
	case AUX_GET_ID:
		reply[0] = PS2_ACK;
		reply[1] = m->id;
		mouse_reply(m, reply, 2);
		break;
	case AUX_ENABLE:
	case AUX_DISABLE:
		m->reporting = b == AUX_ENABLE;
		mouse_ack(m);
		break;
	case AUX_DEFAULTS:
		mouse_defaults(m);
		mouse_ack(m);
		break;
	case AUX_RESEND:
		mouse_reply(m, &m->last, 1);
		break;
	case AUX_RESET:
		mouse_power_on(m);
		mouse_reply(m, bat, sizeof(bat));
		break;
	default:
		log_guest("i8042: unknown mouse command %#x", b);
		mouse_reply(m, &resend, 1);
		break;
	}
}

void i8042_mouse_move(struct i8042 *k, int dx, int dy, int dz,
		      unsigned int buttons)
{
	struct ps2_mouse *m = &k->mouse;
	uint8_t pkt[4];
	unsigned int n;

	m->buttons = buttons & (I8042_BUTTON_LEFT | I8042_BUTTON_RIGHT |
				I8042_BUTTON_MIDDLE);
	/* Screen coordinates to the wire's (y up); clamped first so that
	 * nothing overflows. */
	dx = clamp_int(dx, -AUX_ACCUM_MAX, AUX_ACCUM_MAX);
	dy = -clamp_int(dy, -AUX_ACCUM_MAX, AUX_ACCUM_MAX);
	if (m->wrap)
		return;
	if (m->remote) {
		m->dx = clamp_int(m->dx + dx, -AUX_ACCUM_MAX, AUX_ACCUM_MAX);
		m->dy = clamp_int(m->dy + dy, -AUX_ACCUM_MAX, AUX_ACCUM_MAX);
		return;
	}
	if (!m->reporting)
		return;
	n = mouse_packet(m, dx, dy, dz, pkt);
	if (q_room(&m->q) < n + AUX_REPLY_ROOM) {
		log_debug("i8042: mouse buffer full; packet dropped");
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		q_push(&m->q, pkt[i]);
	i8042_refill(k);
}

/* ---------------------------------------------------------- controller */

static void i8042_write_ccb(struct i8042 *k, uint8_t val)
{
	if ((val ^ k->ram[0]) & CCB_XLATE)
		k->xlate_break = false;
	k->ram[0] = val;
}

static void i8042_write_outport(struct i8042 *k, uint8_t val)
{
	if ((val ^ k->outport) & OUT_A20)
		log_guest_at(LOG_DEBUG, "i8042: A20 %s (not enforced: A20 "
			     "stays enabled)", val & OUT_A20 ? "on" : "off");
	k->outport = val;
	if (!(val & OUT_RESET))
		dm_request_guest_reset(k->dm);
}

static uint8_t i8042_read_outport(const struct i8042 *k)
{
	uint8_t v = k->outport & ~(OUT_KBD_OBF | OUT_AUX_OBF);

	if (k->ob_full)
		v |= k->ob_aux ? OUT_AUX_OBF : OUT_KBD_OBF;
	return v;
}

static void i8042_command(struct i8042 *k, uint8_t cmd)
{
	k->a2 = true;
	k->pending_cmd = 0; /* a command aborts one waiting for data */
	if (cmd >= CMD_PULSE) {
		/* Bits 3:0 that are 0 are pulsed low; bit 0 is reset. */
		if (!(cmd & OUT_RESET))
			dm_request_guest_reset(k->dm);
		return;
	}
	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + RAM_SIZE) {
		i8042_reply(k, k->ram[cmd - CMD_READ_RAM], false);
	} else if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) {
		k->pending_cmd = cmd;
	} else {
		switch (cmd) {
		case CMD_AUX_DISABLE:
			k->ram[0] |= CCB_AUX_DIS;
			break;
		case CMD_AUX_ENABLE:
			k->ram[0] &= ~CCB_AUX_DIS;
			break;
		case CMD_AUX_TEST:
		case CMD_KBD_TEST:
			i8042_reply(k, PORT_TEST_OK, false);
			break;
		case CMD_SELF_TEST:
			k->ram[0] |= CCB_SYS;
			i8042_reply(k, SELF_TEST_OK, false);
			break;
		case CMD_KBD_DISABLE:
			k->ram[0] |= CCB_KBD_DIS;
			break;
		case CMD_KBD_ENABLE:
			k->ram[0] &= ~CCB_KBD_DIS;
			break;
		case CMD_READ_INPUT:
			i8042_reply(k, INPUT_PORT, false);
			break;
		case CMD_READ_OUTPUT:
			i8042_reply(k, i8042_read_outport(k), false);
			break;
		case CMD_WRITE_OUTPUT:
		case CMD_WRITE_KBD_OB:
		case CMD_WRITE_AUX_OB:
		case CMD_WRITE_AUX:
			k->pending_cmd = cmd;
			break;
		case CMD_A20_OFF:
			i8042_write_outport(k, k->outport & ~OUT_A20);
			break;
		case CMD_A20_ON:
			i8042_write_outport(k, k->outport | OUT_A20);
			break;
		case CMD_READ_TEST:
			i8042_reply(k, TEST_INPUTS, false);
			break;
		default:
			log_guest("i8042: unknown controller command %#x "
				  "ignored", cmd);
			break;
		}
	}
	i8042_refill(k);
}

static void i8042_write_data(struct i8042 *k, uint8_t b)
{
	uint8_t cmd = k->pending_cmd;

	k->a2 = false;
	k->pending_cmd = 0;
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + RAM_SIZE) {
		if (cmd == CMD_WRITE_RAM)
			i8042_write_ccb(k, b);
		else
			k->ram[cmd - CMD_WRITE_RAM] = b;
	} else {
		switch (cmd) {
		case 0:
			k->ram[0] &= ~CCB_KBD_DIS;
			kbd_write(&k->kbd, b);
			break;
		case CMD_WRITE_OUTPUT:
			i8042_write_outport(k, b);
			break;
		case CMD_WRITE_KBD_OB:
			i8042_reply(k, b, false);
			break;
		case CMD_WRITE_AUX_OB:
			i8042_reply(k, b, true);
			break;
		case CMD_WRITE_AUX:
			k->ram[0] &= ~CCB_AUX_DIS;
			mouse_write(&k->mouse, b);
			break;
		}
	}
	i8042_refill(k);
}

static uint8_t i8042_read_data(struct i8042 *k)
{
	uint8_t v = k->ob;

	if (k->ob_full) {
		k->ob_full = false;
		i8042_update_irqs(k); /* lowered: the next byte is an edge */
		i8042_refill(k);
	}
	return v;
}

static uint8_t i8042_read_status(const struct i8042 *k)
{
	uint8_t s = STS_INH | (i8042_ccb(k) & CCB_SYS ? STS_SYS : 0);

	if (k->ob_full)
		s |= STS_OBF | (k->ob_aux ? STS_AUX_OBF : 0);
	if (k->a2)
		s |= STS_A2;
	return s;
}

/* ----------------------------------------------------------- ports */

static bool i8042_check_size(unsigned int size, bool write, uint16_t port)
{
	if (size == 1)
		return true;
	log_guest("i8042: %u-byte %s at port %#x; only its first byte is "
		  "the controller's", size, write ? "write" : "read", port);
	return size != 0 && size <= 8;
}

/* Bytes past the one claimed port read as an open bus. */
static uint64_t i8042_widen(uint8_t b, unsigned int size)
{
	return size >= 8 ? (~0ull << 8) | b : ((1ull << (8 * size)) - 256) | b;
}

static uint64_t i8042_data_read(void *opaque, uint64_t offset,
				unsigned int size)
{
	(void)offset;
	if (!i8042_check_size(size, false, I8042_DATA_PORT))
		return ~0ull;
	return i8042_widen(i8042_read_data(opaque), size);
}

static void i8042_data_write(void *opaque, uint64_t offset, uint64_t value,
			     unsigned int size)
{
	(void)offset;
	if (i8042_check_size(size, true, I8042_DATA_PORT))
		i8042_write_data(opaque, (uint8_t)value);
}

static uint64_t i8042_cmd_read(void *opaque, uint64_t offset,
			       unsigned int size)
{
	(void)offset;
	if (!i8042_check_size(size, false, I8042_CMD_PORT))
		return ~0ull;
	return i8042_widen(i8042_read_status(opaque), size);
}

static void i8042_cmd_write(void *opaque, uint64_t offset, uint64_t value,
			    unsigned int size)
{
	(void)offset;
	if (i8042_check_size(size, true, I8042_CMD_PORT))
		i8042_command(opaque, (uint8_t)value);
}

static const struct dm_io_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct dm_io_ops i8042_cmd_ops = {
	.read = i8042_cmd_read,
	.write = i8042_cmd_write,
};

/* ------------------------------------------------------- lifecycle */

/* Power-on state (QEMU's, which SeaBIOS expects): command byte with both
 * interrupts enabled, system flag clear until the self test, output port
 * with reset inactive and A20 on, empty buffers, devices at power-on. */
void i8042_reset(struct i8042 *k)
{
	memset(k->ram, 0, sizeof(k->ram));
	k->ram[0] = CCB_POWER_ON;
	k->outport = OUT_POWER_ON;
	k->a2 = true;
	k->pending_cmd = 0;
	k->ob = 0;
	k->ob_full = false;
	k->ob_aux = false;
	k->reply_pending = false;
	k->xlate_break = false;
	kbd_power_on(&k->kbd);
	mouse_power_on(&k->mouse);
	i8042_update_irqs(k);
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	if (k->data_range)
		dm_release(k->dm, k->data_range);
	if (k->cmd_range)
		dm_release(k->dm, k->cmd_range);
	free(k);
}

struct i8042 *i8042_create(struct dm *dm)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k) {
		log_error("i8042: out of memory");
		return NULL;
	}
	k->dm = dm;
	k->kbd_irq = dm_irq_get(dm, I8042_KBD_IRQ, DM_IRQ_MODE_EDGE);
	k->aux_irq = dm_irq_get(dm, I8042_AUX_IRQ, DM_IRQ_MODE_EDGE);
	if (!k->kbd_irq || !k->aux_irq)
		goto fail;
	i8042_reset(k);
	k->data_range = dm_claim(dm, DM_SPACE_PIO, I8042_DATA_PORT, 1,
				 &i8042_data_ops, k, 0, "i8042-data");
	if (!k->data_range)
		goto fail;
	k->cmd_range = dm_claim(dm, DM_SPACE_PIO, I8042_CMD_PORT, 1,
				&i8042_cmd_ops, k, 0, "i8042-cmd");
	if (!k->cmd_range)
		goto fail;
	return k;
fail:
	i8042_destroy(k);
	return NULL;
}
