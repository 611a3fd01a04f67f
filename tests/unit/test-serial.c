/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the 16550A UART (devmodel/serial.c) and its character
 * backends (devmodel/chardev.c) on the fake device model (fake-dm.h): one
 * test per behaviour of the PC16550D datasheet (sections cited), the
 * backends with real pipes, sockets and ptys, and flow control both ways.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "chardev.h"
#include "device.h"
#include "fake-dm.h"
#include "hvmkit/log.h"

extern const struct device_ops serial_device_ops;

/* Registers (PC16550D Table II) */
#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define IER_RDA  0x01
#define IER_THRE 0x02
#define IER_RLS  0x04
#define IER_MSI  0x08
#define IIR_NONE 0x01
#define IIR_RLS  0x06
#define IIR_RDA  0x04
#define IIR_CTI  0x0c
#define IIR_THRE 0x02
#define IIR_MSI  0x00
#define IIR_FIFO 0xc0
#define FCR_ON   0x01
#define FCR_RXR  0x02
#define FCR_TXR  0x04
#define LCR_8N1  0x03
#define LCR_DLAB 0x80
#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80

#define COM1 0x3f8
#define IRQ4 4
#define WAIT_MS 5000 /* an upper bound for real fds, never a threshold */

struct fx {
	struct dm *dm;
	void *uart;
	uint16_t base;
	unsigned int gsi;
	char dir[64];
	char path[128];
	int saved_fd[2];
};

/* --------------------------------------------------------- error lines */

/* ------------------------------------------------------------ fixtures */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->dm = fake_dm_new(4096);
	f->base = COM1;
	f->gsi = IRQ4;
	f->saved_fd[0] = f->saved_fd[1] = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/hvmkit-serial-XXXXXX");
	if (!f->dm || !mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/console", f->dir);
	fake_errors_capture();
	*state = f;
	return 0;
}

static void restore_stdio(struct fx *f)
{
	for (int i = 0; i < 2; i++) {
		if (f->saved_fd[i] >= 0) {
			dup2(f->saved_fd[i], i);
			close(f->saved_fd[i]);
			f->saved_fd[i] = -1;
		}
	}
}

static void uart_destroy(struct fx *f)
{
	if (f->uart)
		serial_device_ops.destroy(f->uart);
	f->uart = NULL;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];
	bool clean;

	uart_destroy(f);
	restore_stdio(f);
	clean = fake_dm_free(f->dm);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	fake_errors_release();
	free(f);
	/* Every timer, watch and claim was given back. */
	return clean ? 0 : -1;
}

static void *uart_try(struct fx *f, const char *text)
{
	struct dm_opts *opts = fake_opts_new(text);
	void *uart;

	assert_non_null(opts);
	uart = serial_device_ops.create(f->dm, opts);
	fake_opts_free(opts);
	return uart;
}

static void uart_new(struct fx *f, const char *text)
{
	f->uart = uart_try(f, text);
	assert_non_null(f->uart);
	assert_int_equal(fake_nr_errors, 0);
}

static uint8_t rd(struct fx *f, unsigned int reg)
{
	return (uint8_t)fake_pio_read(f->dm, f->base + reg, 1);
}

static void wr(struct fx *f, unsigned int reg, uint8_t val)
{
	fake_pio_write(f->dm, f->base + reg, val, 1);
}

static int irq(struct fx *f)
{
	return fake_irq_level(f->dm, f->gsi);
}

static unsigned int edges(struct fx *f)
{
	return fake_irq_edges(f->dm, f->gsi);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i ^ (i >> 8) ^ 0x5a);
}

/* ---------------------------------------------------------- real fds */

/* Up to len bytes within WAIT_MS (timeout_ms); 0 if none came. */
static size_t read_some(int fd, void *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	n = read(fd, buf, len);
	return n > 0 ? (size_t)n : 0;
}

static void read_exact(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		size_t n = read_some(fd, (char *)buf + got, len - got,
				     WAIT_MS);

		assert_true(n > 0);
		got += n;
	}
}

/* Nothing to read on fd now. */
static bool fd_empty(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

static void write_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* A UART on unix:PATH. */
static void uart_unix(struct fx *f)
{
	char opts[200];

	snprintf(opts, sizeof(opts), "backend=unix:%s", f->path);
	uart_new(f, opts);
}

/* A UART on unix:PATH with a client connected and accepted. */
static int uart_with_client(struct fx *f)
{
	int client;

	uart_unix(f);
	client = unix_connect(f->path);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0); /* accept */
	return client;
}

/* Reads exactly len bytes from a client of the UART's backend, running
 * the device model's loop while they are on their way. */
static void client_read(struct fx *f, int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		size_t n = read_some(fd, (char *)buf + got, len - got, 0);

		if (!n && !fake_fd_poll(f->dm, 0)) {
			n = read_some(fd, (char *)buf + got, len - got,
				      WAIT_MS);
			assert_true(n > 0);
		}
		got += n;
	}
}

/* The guest sends s as a polling driver does (waiting for THRE). */
static void guest_puts(struct fx *f, const char *s)
{
	for (; *s; s++) {
		assert_true(rd(f, LSR) & LSR_THRE);
		wr(f, THR, (uint8_t)*s);
	}
}

/* The guest reads n bytes, letting the backend deliver as needed. */
static void guest_read(struct fx *f, char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		while (!(rd(f, LSR) & LSR_DR))
			assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
		buf[i] = (char)rd(f, RBR);
	}
}

/* ------------------------------------------------------ the registers */

/* Table III: reset values; Table II: 8 ports; COM1 on IRQ 4 (edge). */
static void test_reset_values(void **state)
{
	struct fx *f = *state;
	unsigned int flags;
	const char *name;

	uart_new(f, "");
	assert_int_equal(rd(f, IER), 0x00);
	assert_int_equal(rd(f, IIR), IIR_NONE);
	assert_int_equal(rd(f, LCR), 0x00);
	assert_int_equal(rd(f, MCR), 0x00);
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	/* Bits 0-3 clear, 4-7 the inputs: a ready peer (CTS, DSR, DCD). */
	assert_int_equal(rd(f, MSR), MSR_CTS | MSR_DSR | MSR_DCD);
	assert_int_equal(rd(f, SCR), 0x00);
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, COM1, &flags, &name));
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, COM1 + 7, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, COM1 - 1, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, COM1 + 8, NULL, NULL));
	assert_int_equal(fake_claim_count(f->dm), 1);
	assert_int_equal(fake_irq_mode(f->dm, IRQ4), DM_IRQ_MODE_EDGE);
	assert_int_equal(irq(f), 0);
	assert_int_equal(edges(f), 0);
	/* The divisor latch powers up at 12 (9600 baud). */
	wr(f, LCR, LCR_DLAB);
	assert_int_equal(rd(f, DLL), 12);
	assert_int_equal(rd(f, DLM), 0);
}

/* The device's reset op returns everything to Table III, lowers the IRQ
 * and stops the timeout timer. */
static void test_reset_op(void **state)
{
	struct fx *f = *state;

	uart_new(f, "");
	wr(f, FCR, FCR_ON | 0x80);
	wr(f, MCR, MCR_LOOP | MCR_DTR);
	wr(f, THR, 'x');
	wr(f, MCR, MCR_OUT2 | MCR_RTS);
	wr(f, IER, 0x0f);
	wr(f, LCR, LCR_DLAB | LCR_8N1);
	wr(f, DLL, 1);
	wr(f, SCR, 0x42);
	assert_int_equal(irq(f), 1);
	assert_int_equal(fake_timers_armed(f->dm), 1);

	serial_device_ops.reset(f->uart);
	assert_int_equal(irq(f), 0);
	assert_int_equal(fake_timers_armed(f->dm), 0);
	assert_int_equal(rd(f, IER), 0);
	assert_int_equal(rd(f, IIR), IIR_NONE);
	assert_int_equal(rd(f, LCR), 0);
	assert_int_equal(rd(f, MCR), 0);
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(f, MSR), MSR_CTS | MSR_DSR | MSR_DCD);
	assert_int_equal(rd(f, SCR), 0);
	wr(f, LCR, LCR_DLAB);
	assert_int_equal(rd(f, DLL), 12);
}

static void test_options(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"port=0xfff9", "port=wide", "irq=16", "irq=-1",
		"backend=serial0",
	};
	void *second;

	f->base = 0x2f8;
	f->gsi = 3;
	uart_new(f, "port=0x2f8,irq=3,backend=none");
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, 0x2f8, NULL, NULL));
	assert_false(fake_claimed(f->dm, DM_SPACE_PIO, COM1, NULL, NULL));
	assert_int_equal(fake_irq_mode(f->dm, 3), DM_IRQ_MODE_EDGE);
	assert_int_equal(fake_irq_level(f->dm, IRQ4), -1);
	/* The last port that fits. */
	second = uart_try(f, "port=0xfff8,irq=5");
	assert_non_null(second);
	assert_true(fake_claimed(f->dm, DM_SPACE_PIO, 0xffff, NULL, NULL));
	serial_device_ops.destroy(second);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake_nr_errors = 0;
		assert_null(uart_try(f, bad[i]));
		assert_int_equal(fake_nr_errors, 1);
	}
	/* A second UART on the same ports is refused by the claim. */
	fake_nr_errors = 0;
	assert_null(uart_try(f, "port=0x2f8,irq=3"));
	assert_int_equal(fake_nr_errors, 1);
}

/* 8.1 / 8.3: DLAB switches ports 0 and 1 to the divisor latch. */
static void test_dlab_divisor(void **state)
{
	struct fx *f = *state;

	uart_new(f, "");
	wr(f, IER, IER_RDA | IER_MSI);
	wr(f, LCR, LCR_DLAB | LCR_8N1);
	assert_int_equal(rd(f, LCR), LCR_DLAB | LCR_8N1);
	wr(f, DLL, 0x01);
	wr(f, DLM, 0x80);
	assert_int_equal(rd(f, DLL), 0x01);
	assert_int_equal(rd(f, DLM), 0x80);
	/* Neither went to THR or IER. */
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	wr(f, LCR, LCR_8N1);
	assert_int_equal(rd(f, IER), IER_RDA | IER_MSI);
	wr(f, IER, 0xff); /* bits 4-7 are always 0 (8.7) */
	assert_int_equal(rd(f, IER), 0x0f);
	wr(f, LCR, LCR_DLAB);
	assert_int_equal(rd(f, DLL), 0x01);
	assert_int_equal(rd(f, DLM), 0x80);

	/* With DLAB set, a byte waiting in RBR stays there. */
	wr(f, LCR, 0);
	wr(f, MCR, MCR_LOOP);
	wr(f, THR, 'k');
	wr(f, LCR, LCR_DLAB);
	assert_int_equal(rd(f, RBR), 0x01);
	wr(f, LCR, 0);
	assert_true(rd(f, LSR) & LSR_DR);
	assert_int_equal(rd(f, RBR), 'k');
}

/* 8.10: the scratch register holds any byte. */
static void test_scratch(void **state)
{
	struct fx *f = *state;
	static const uint8_t v[] = { 0x00, 0x5a, 0xa5, 0xff, 0x01 };

	uart_new(f, "");
	for (size_t i = 0; i < sizeof(v); i++) {
		wr(f, SCR, v[i]);
		assert_int_equal(rd(f, SCR), v[i]);
	}
	/* DLAB does not change port 7. */
	wr(f, LCR, LCR_DLAB);
	assert_int_equal(rd(f, SCR), 0x01);
}

/* 8.6 Table IV: receiver line status > received data > THR empty >
 * modem status; each cleared by its own action. */
static void test_iir_priorities(void **state)
{
	struct fx *f = *state;

	uart_new(f, "");
	/* Loopback (8.8): the modem inputs follow MCR (all 0 now), so CTS,
	 * DSR and DCD drop: three delta bits. */
	wr(f, MCR, MCR_LOOP);
	wr(f, THR, 'A');
	wr(f, THR, 'B');  /* 16450 mode: RBR was full, an overrun */
	wr(f, IER, IER_RDA | IER_THRE | IER_RLS | IER_MSI);

	assert_int_equal(rd(f, IIR), IIR_RLS);
	assert_int_equal(rd(f, IIR), IIR_RLS); /* IIR reads do not clear it */
	assert_int_equal(rd(f, LSR), LSR_DR | LSR_OE | LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(f, IIR), IIR_RDA);
	assert_int_equal(rd(f, RBR), 'B'); /* the overrun overwrote RBR */
	assert_int_equal(rd(f, IIR), IIR_THRE);
	assert_int_equal(rd(f, IIR), IIR_MSI); /* the read cleared THRE */
	assert_int_equal(rd(f, MSR), MSR_DCTS | MSR_DDSR | MSR_DDCD);
	assert_int_equal(rd(f, IIR), IIR_NONE);
	assert_int_equal(rd(f, MSR), 0);

	/* Masked sources do not show. */
	wr(f, THR, 'C');
	wr(f, IER, IER_THRE);
	assert_int_equal(rd(f, IIR), IIR_THRE);
	assert_int_equal(rd(f, IIR), IIR_NONE);
	assert_true(rd(f, LSR) & LSR_DR);
}

/* Table IV and 8.11: THRE interrupt set when THR empties, cleared by
 * writing THR or by reading IIR when it is the reported source; enabling
 * ETBEI with THR empty raises it. */
static void test_thre_interrupt(void **state)
{
	struct fx *f = *state;

	uart_new(f, "");
	wr(f, MCR, MCR_OUT2);
	assert_int_equal(irq(f), 0);
	wr(f, IER, IER_THRE);
	assert_int_equal(irq(f), 1);
	assert_int_equal(edges(f), 1);
	assert_int_equal(rd(f, IIR), IIR_THRE);
	assert_int_equal(irq(f), 0);
	assert_int_equal(rd(f, IIR), IIR_NONE);

	/* Re-writing IER with the bit already set raises nothing. */
	wr(f, IER, IER_THRE);
	assert_int_equal(irq(f), 0);
	/* Toggling it does. */
	wr(f, IER, 0);
	wr(f, IER, IER_THRE);
	assert_int_equal(irq(f), 1);
	assert_int_equal(edges(f), 2);

	/* Writing THR clears it; the byte leaves at once, THR is empty
	 * again and the interrupt comes back: a new rising edge even though
	 * the line was high before the write. */
	wr(f, THR, 'x');
	assert_int_equal(irq(f), 1);
	assert_int_equal(edges(f), 3);
	assert_int_equal(rd(f, IIR), IIR_THRE);
	wr(f, THR, 'y');
	assert_int_equal(edges(f), 4);

	/* A higher-priority source reported by IIR leaves THRE pending. */
	wr(f, IER, IER_THRE | IER_RDA);
	wr(f, MCR, MCR_OUT2 | MCR_LOOP);
	wr(f, THR, 'z'); /* comes back as received data */
	assert_int_equal(rd(f, IIR), IIR_RDA);
	assert_int_equal(rd(f, RBR), 'z');
	assert_int_equal(rd(f, IIR), IIR_THRE);
	assert_int_equal(rd(f, IIR), IIR_NONE);

	/* 8.11: the first THRE interrupt after changing FCR0 is
	 * immediate. */
	wr(f, MCR, MCR_OUT2);
	wr(f, FCR, FCR_ON);
	assert_int_equal(rd(f, IIR), IIR_THRE | IIR_FIFO);
}

/* 8.11 / 8.6: in FIFO mode received data interrupts at the trigger level
 * (FCR bits 6-7: 1, 4, 8, 14) and clears below it; DR follows the FIFO. */
static void test_rx_trigger_levels(void **state)
{
	struct fx *f = *state;
	static const struct { uint8_t fcr; unsigned int level; } t[] = {
		{ 0x00, 1 }, { 0x40, 4 }, { 0x80, 8 }, { 0xc0, 14 },
	};

	uart_new(f, "");
	wr(f, MCR, MCR_LOOP);
	wr(f, IER, IER_RDA);
	for (size_t i = 0; i < 4; i++) {
		wr(f, FCR, FCR_ON | FCR_RXR | FCR_TXR | t[i].fcr);
		assert_int_equal(rd(f, LSR) & LSR_DR, 0);
		for (unsigned int n = 0; n + 1 < t[i].level; n++)
			wr(f, THR, (uint8_t)n);
		if (t[i].level > 1) {
			assert_true(rd(f, LSR) & LSR_DR);
			assert_int_equal(rd(f, IIR), IIR_NONE | IIR_FIFO);
		}
		wr(f, THR, 0xee);
		assert_int_equal(rd(f, IIR), IIR_RDA | IIR_FIFO);
		/* One read takes it below the trigger again. */
		assert_int_equal(rd(f, RBR), t[i].level > 1 ? 0 : 0xee);
		assert_int_equal(rd(f, IIR), IIR_NONE | IIR_FIFO);
		assert_int_equal((rd(f, LSR) & LSR_DR) != 0, t[i].level > 1);
	}
	/* FCR0 = 0: the trigger bits are not programmed (8.5). */
	wr(f, FCR, 0);
	wr(f, FCR, 0xc0);
	assert_int_equal(rd(f, IIR), IIR_NONE);
}

/* 8.11 A-D: character timeout after 4 character times without FIFO
 * activity; the character time follows the divisor and LCR. */
static void test_char_timeout(void **state)
{
	struct fx *f = *state;

	uart_new(f, "");
	wr(f, LCR, LCR_DLAB | LCR_8N1);
	wr(f, DLL, 1);                  /* 115200 baud */
	wr(f, DLM, 0);
	wr(f, LCR, LCR_8N1);            /* 10 bits: 4 chars = 347.2 us */
	wr(f, FCR, FCR_ON | 0x80);      /* trigger level 8 */
	wr(f, MCR, MCR_LOOP);
	for (int i = 0; i < 3; i++)
		wr(f, THR, (uint8_t)('a' + i));
	wr(f, MCR, MCR_OUT2);           /* the IRQ reaches the PIC now */
	wr(f, IER, IER_RDA);
	assert_int_equal(irq(f), 0);

	fake_clock_advance(f->dm, 347000);
	assert_int_equal(rd(f, IIR), IIR_NONE | IIR_FIFO);
	fake_clock_advance(f->dm, 1000);
	assert_int_equal(rd(f, IIR), IIR_CTI | IIR_FIFO);
	assert_int_equal(irq(f), 1);

	/* C: reading a character clears it and restarts the timer. */
	assert_int_equal(rd(f, RBR), 'a');
	assert_int_equal(irq(f), 0);
	assert_int_equal(rd(f, IIR), IIR_NONE | IIR_FIFO);
	fake_clock_advance(f->dm, 347000);
	assert_int_equal(irq(f), 0);
	fake_clock_advance(f->dm, 1000);
	assert_int_equal(irq(f), 1);

	/* 7 data bits, parity, 2 stop bits: 11 bits, 4 chars = 381.9 us. */
	assert_int_equal(rd(f, RBR), 'b');
	wr(f, LCR, 0x0e);
	fake_clock_advance(f->dm, 381000);
	assert_int_equal(irq(f), 0);
	fake_clock_advance(f->dm, 1000);
	assert_int_equal(irq(f), 1);

	/* 9600 baud, 8N1: 4 chars = 4.1667 ms. */
	assert_int_equal(rd(f, RBR), 'c');
	assert_int_equal(rd(f, LSR) & LSR_DR, 0);
	wr(f, LCR, LCR_DLAB | LCR_8N1);
	wr(f, DLL, 12);
	wr(f, LCR, LCR_8N1);
	wr(f, MCR, MCR_LOOP);
	wr(f, THR, 'd');
	wr(f, MCR, MCR_OUT2);
	fake_clock_advance(f->dm, 4166000);
	assert_int_equal(irq(f), 0);
	/* D: a new character restarts the timer. */
	wr(f, MCR, MCR_LOOP);
	wr(f, THR, 'e');
	wr(f, MCR, MCR_OUT2);
	fake_clock_advance(f->dm, 4166000);
	assert_int_equal(irq(f), 0);
	fake_clock_advance(f->dm, 2000);
	assert_int_equal(irq(f), 1);
	assert_int_equal(rd(f, IIR), IIR_CTI | IIR_FIFO);

	/* No timeout without FIFOs, nor with an empty FIFO. */
	wr(f, FCR, 0);
	assert_int_equal(rd(f, IIR), IIR_NONE);
	assert_int_equal(fake_timers_armed(f->dm), 0);
}

/* 8.4 bit 1: overrun.  FIFO mode: the character arriving at a full FIFO
 * is lost, the FIFO kept; OE raises the line status interrupt and is
 * cleared by reading LSR. */
static void test_overrun(void **state)
{
	struct fx *f = *state;

	uart_new(f, "");
	wr(f, FCR, FCR_ON | 0xc0);
	wr(f, MCR, MCR_LOOP);
	wr(f, IER, IER_RLS | IER_RDA);
	for (int i = 0; i < 16; i++)
		wr(f, THR, (uint8_t)i);
	assert_int_equal(rd(f, IIR), IIR_RDA | IIR_FIFO);
	wr(f, THR, 0xff);
	assert_int_equal(rd(f, IIR), IIR_RLS | IIR_FIFO);
	assert_int_equal(rd(f, LSR), LSR_DR | LSR_OE | LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(f, LSR), LSR_DR | LSR_THRE | LSR_TEMT);
	assert_int_equal(rd(f, IIR), IIR_RDA | IIR_FIFO);
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd(f, RBR), i);
	assert_int_equal(rd(f, LSR) & LSR_DR, 0);
}

/* 8.8: loopback: TX goes to RX and not to the line; DTR, RTS, OUT1, OUT2
 * drive DSR, CTS, RI, DCD; 8.9: delta bits, TERI on RI's trailing edge. */
static void test_loopback(void **state)
{
	struct fx *f = *state;
	char opts[200], buf[8];
	struct stat st;
	int fd;

	snprintf(opts, sizeof(opts), "backend=file:%s", f->path);
	uart_new(f, opts);
	wr(f, MCR, MCR_LOOP);
	assert_int_equal(rd(f, MSR), MSR_DCTS | MSR_DDSR | MSR_DDCD);
	wr(f, MCR, MCR_LOOP | MCR_DTR);
	assert_int_equal(rd(f, MSR), MSR_DSR | MSR_DDSR);
	wr(f, MCR, MCR_LOOP | MCR_RTS);
	assert_int_equal(rd(f, MSR), MSR_CTS | MSR_DCTS | MSR_DDSR);
	wr(f, MCR, MCR_LOOP | MCR_RTS | MCR_OUT1);
	assert_int_equal(rd(f, MSR), MSR_CTS | MSR_RI); /* no delta for RI on */
	wr(f, MCR, MCR_LOOP | MCR_RTS | MCR_OUT2);
	assert_int_equal(rd(f, MSR), MSR_CTS | MSR_DCD | MSR_TERI | MSR_DDCD);
	assert_int_equal(rd(f, MCR), MCR_LOOP | MCR_RTS | MCR_OUT2);
	wr(f, MCR, 0xff); /* bits 5-7 always 0 */
	assert_int_equal(rd(f, MCR), 0x1f);
	assert_int_equal(rd(f, MSR) & 0xf0, MSR_CTS | MSR_DSR | MSR_RI |
			 MSR_DCD);

	/* Data loops back and nothing reaches the backend. */
	wr(f, FCR, FCR_ON);
	guest_puts(f, "lo");
	assert_int_equal(rd(f, RBR), 'l');
	assert_int_equal(rd(f, RBR), 'o');
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 0);

	/* Out of loopback: the line again, and the ready-peer inputs. */
	wr(f, MCR, 0);
	assert_int_equal(rd(f, MSR) & 0xf0, MSR_CTS | MSR_DSR | MSR_DCD);
	guest_puts(f, "out");
	assert_int_equal(rd(f, LSR) & LSR_DR, 0);
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "out", 3);
	close(fd);
}

/* PC wiring: INTR reaches the PIC only with MCR OUT2 set, and not in
 * loopback (OUT2 forced inactive, 8.8), while IIR still reports it. */
static void test_out2_gating(void **state)
{
	struct fx *f = *state;

	uart_new(f, "");
	wr(f, IER, IER_THRE);
	assert_int_equal(irq(f), 0);
	wr(f, MCR, MCR_OUT2);
	assert_int_equal(irq(f), 1);
	wr(f, MCR, MCR_OUT2 | MCR_LOOP);
	assert_int_equal(irq(f), 0);
	wr(f, MCR, MCR_OUT2);
	assert_int_equal(irq(f), 1);
	assert_int_equal(edges(f), 2);
	wr(f, MCR, MCR_OUT1 | MCR_DTR | MCR_RTS);
	assert_int_equal(irq(f), 0);
	assert_int_equal(rd(f, IIR), IIR_THRE);
	assert_int_equal(edges(f), 2);
}

/* The guest writes, one byte at a time as a driver polling THRE does,
 * until the backend holds back: then the shift register holds byte k-2
 * and THR/FIFO byte k-1, where k is the count returned. */
static size_t fill_until_blocked(struct fx *f)
{
	size_t k = 0;

	while (rd(f, LSR) & LSR_THRE) {
		assert_true(k < (64u << 20));
		wr(f, THR, pattern(k++));
	}
	assert_int_equal(rd(f, LSR) & (LSR_THRE | LSR_TEMT), 0);
	return k;
}

/* Reads want bytes from the client, letting the UART send more as the
 * socket drains; checks them against expect(). */
static void drain_client(struct fx *f, int client, size_t want,
			 uint8_t (*expect)(size_t i, const void *ctx),
			 const void *ctx)
{
	uint8_t buf[4096];
	size_t got = 0;

	while (got < want) {
		size_t room = want - got < sizeof(buf) ? want - got :
			      sizeof(buf);
		size_t n = read_some(client, buf, room, 0);

		if (!n) {
			assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			assert_int_equal(buf[i], expect(got + i, ctx));
		got += n;
	}
}

static uint8_t expect_pattern(size_t i, const void *ctx)
{
	(void)ctx;
	return pattern(i);
}

/* Bytes 0 .. k-2, then 0xaa (see test_fifo_reset_bits). */
static uint8_t expect_after_reset(size_t i, const void *ctx)
{
	size_t k = *(const size_t *)ctx;

	return i < k - 1 ? pattern(i) : 0xaa;
}

/* 8.5: FCR bits 1 and 2 clear the RX and TX FIFOs (not the shift
 * register); changing FCR0 clears both; IIR bits 6-7 show FCR0. */
static void test_fifo_reset_bits(void **state)
{
	struct fx *f = *state;
	int client = uart_with_client(f);
	size_t k;

	wr(f, FCR, FCR_ON);
	assert_int_equal(rd(f, IIR) & IIR_FIFO, IIR_FIFO);
	wr(f, MCR, MCR_LOOP);
	guest_puts(f, "12345");
	wr(f, FCR, FCR_ON | FCR_RXR);
	assert_int_equal(rd(f, LSR) & LSR_DR, 0);
	guest_puts(f, "67");
	wr(f, FCR, 0); /* leaving FIFO mode clears them too */
	assert_int_equal(rd(f, LSR) & LSR_DR, 0);
	assert_int_equal(rd(f, IIR) & IIR_FIFO, 0);
	wr(f, MCR, 0);

	/* TX: hold bytes back by not reading on the client side. */
	wr(f, FCR, FCR_ON);
	k = fill_until_blocked(f);
	for (int i = 0; i < 10; i++)
		wr(f, THR, 0xee);
	wr(f, IER, IER_THRE);
	assert_int_equal(rd(f, IIR), IIR_NONE | IIR_FIFO);
	wr(f, FCR, FCR_ON | FCR_TXR);
	/* THR empty now, the shift register still busy. */
	assert_int_equal(rd(f, LSR), LSR_THRE);
	assert_int_equal(rd(f, IIR), IIR_THRE | IIR_FIFO);
	wr(f, THR, 0xaa);
	/* The client gets bytes 0 .. k-2 (the shift register's last), then
	 * 0xaa: the FIFO's bytes were dropped. */
	drain_client(f, client, k, expect_after_reset, &k);
	assert_true(fd_empty(client));
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	close(client);
}

/* Backpressure: what the backend does not take stays in the FIFO and is
 * sent when the socket becomes writable; nothing is lost and nothing
 * spins while waiting. */
static void test_tx_backpressure(void **state)
{
	struct fx *f = *state;
	int client = uart_with_client(f);
	unsigned int before;
	size_t k;

	wr(f, FCR, FCR_ON);
	wr(f, MCR, MCR_OUT2);
	k = fill_until_blocked(f);
	/* Fill the FIFO up: shift register + 16. */
	for (int i = 0; i < 15; i++)
		wr(f, THR, pattern(k++));
	/* One more is a guest mistake: lost, as on a real UART. */
	wr(f, THR, 0x00);
	assert_int_equal(rd(f, LSR) & (LSR_THRE | LSR_TEMT), 0);

	/* Waiting: only the socket's writability is watched, and it does
	 * not fire while the client reads nothing. */
	assert_int_equal(fake_fd_watch_count(f->dm), 1);
	assert_int_equal(fake_fd_poll(f->dm, 0), 0);

	wr(f, IER, IER_THRE);
	assert_int_equal(irq(f), 0);
	before = edges(f);
	drain_client(f, client, k, expect_pattern, NULL);
	assert_true(fd_empty(client)); /* the extra byte was lost */
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	/* The FIFO emptied: THRE interrupt. */
	assert_int_equal(edges(f), before + 1);
	assert_int_equal(rd(f, IIR), IIR_THRE | IIR_FIFO);
	/* All out: writability is no longer watched. */
	assert_int_equal(fake_fd_poll(f->dm, 0), 0);
	close(client);
}

/* Input is read only while the receiver has room; the rest waits in the
 * socket and is never lost (no overrun). */
static void test_rx_flow_control(void **state)
{
	struct fx *f = *state;
	int client = uart_with_client(f);
	uint8_t out[40];
	char in[40];

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = pattern(i);

	/* FIFO mode: 16 at a time. */
	wr(f, FCR, FCR_ON);
	write_all(client, out, sizeof(out));
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	assert_int_equal(fake_fd_watch_count(f->dm), 0); /* full: not read */
	assert_int_equal(fake_fd_poll(f->dm, 0), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(rd(f, RBR), pattern(i));
	assert_int_equal(rd(f, LSR) & LSR_DR, 0);
	guest_read(f, in, 24);
	assert_memory_equal(in, out + 16, 24);
	assert_int_equal(rd(f, LSR) & LSR_OE, 0);

	/* 16450 mode: one byte at a time. */
	wr(f, FCR, 0);
	write_all(client, out, 3);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	assert_int_equal(fake_fd_poll(f->dm, 0), 0);
	assert_int_equal(rd(f, LSR) & (LSR_DR | LSR_OE), LSR_DR);
	guest_read(f, in, 3);
	assert_memory_equal(in, out, 3);

	/* Loopback disconnects the receiver: input waits in the socket. */
	wr(f, MCR, MCR_LOOP);
	write_all(client, "w", 1);
	assert_int_equal(fake_fd_poll(f->dm, 0), 0);
	assert_int_equal(rd(f, LSR) & LSR_DR, 0);
	wr(f, MCR, 0);
	guest_read(f, in, 1);
	assert_int_equal(in[0], 'w');
	assert_int_equal(rd(f, LSR) & LSR_OE, 0);
	close(client);
}

/* Checks a byte stream as it comes: filler bytes (any if filler is 0),
 * then tail, then nothing. */
struct stream_check {
	const char *tail;
	char filler;
	char last[16];
	size_t got;
	bool done;
};

static void stream_feed(struct stream_check *sc, const char *buf, size_t n)
{
	size_t len = strlen(sc->tail);

	assert_true(len > 0 && len < sizeof(sc->last));
	for (size_t i = 0; i < n; i++) {
		assert_false(sc->done);
		if (sc->got >= len && sc->filler)
			assert_int_equal(sc->last[0], sc->filler);
		memmove(sc->last, sc->last + 1, len - 1);
		sc->last[len - 1] = buf[i];
		if (++sc->got >= len && !memcmp(sc->last, sc->tail, len))
			sc->done = true;
	}
}

/* Reads fd until the stream check sees its tail; returns how many bytes
 * came before the tail. */
static size_t stream_read(int fd, struct stream_check *sc)
{
	char buf[4096];

	while (!sc->done) {
		size_t n = read_some(fd, buf, sizeof(buf), WAIT_MS);

		assert_true(n > 0);
		stream_feed(sc, buf, n);
	}
	return sc->got - strlen(sc->tail);
}

/* The guest sends s, waiting for THRE, while the other end reads fd into
 * sc: a slow line whose reader keeps up eventually. */
static void guest_puts_read(struct fx *f, const char *s, int fd,
			    struct stream_check *sc)
{
	char buf[4096];

	for (; *s; s++) {
		while (!(rd(f, LSR) & LSR_THRE)) {
			size_t n = read_some(fd, buf, sizeof(buf), 0);

			if (!n && !fake_fd_poll(f->dm, 0))
				n = read_some(fd, buf, sizeof(buf), WAIT_MS);
			stream_feed(sc, buf, n);
		}
		wr(f, THR, (uint8_t)*s);
	}
}

/* A peer that leaves while output is held back releases it: the guest is
 * not stalled; the held bytes (at most the shift register and FIFO) go to
 * the unix backlog for the next client, or are dropped by a full pty. */
static void test_peer_leaves_while_held(void **state)
{
	struct fx *f = *state;
	struct stream_check sc = { .tail = "new" };
	int client = uart_with_client(f);
	int slave;

	wr(f, FCR, FCR_ON);
	fill_until_blocked(f);
	close(client);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	client = unix_connect(f->path);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	guest_puts_read(f, "new", client, &sc);
	assert_in_range(stream_read(client, &sc), 1, 17);
	assert_true(fd_empty(client));
	close(client);
	uart_destroy(f);

	/* The same with a pty whose reader detaches. */
	uart_new(f, "backend=pty");
	slave = open(fake_console(f->dm) + 4, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	wr(f, FCR, FCR_ON);
	fill_until_blocked(f);
	close(slave);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
}

/* ----------------------------------------------------------- backends */

static void test_pty_backend(void **state)
{
	struct fx *f = *state;
	const char *where;
	struct stream_check sc = { .tail = "ok\n", .filler = 'z' };
	struct termios t;
	char buf[16];
	size_t zs;
	int slave;

	uart_new(f, "backend=pty");
	where = fake_console(f->dm);
	assert_non_null(where);
	assert_int_equal(strncmp(where, "pty /dev/pts/", 13), 0);
	assert_int_equal(fake_console_reports(f->dm), 1);

	/* Nobody attached: output goes to the pty's buffer for the first
	 * reader; past what the pty holds it is discarded, never held
	 * back. */
	guest_puts(f, "early");
	for (int i = 0; i < 200000; i++) {
		assert_true(rd(f, LSR) & LSR_THRE);
		wr(f, THR, 'z');
	}
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);

	slave = open(where + 4, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	/* Raw mode: no echo, no line editing, no output processing. */
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_int_equal(t.c_lflag & (ECHO | ICANON), 0);
	assert_int_equal(t.c_oflag & OPOST, 0);

	read_exact(slave, buf, 5);
	assert_memory_equal(buf, "early", 5);
	/* Attached: a full pty now holds output back until it is read. */
	guest_puts_read(f, "ok\n", slave, &sc);
	zs = stream_read(slave, &sc);
	assert_true(zs > 0 && zs < 200000);
	assert_true(fd_empty(slave));

	write_all(slave, "hi\r", 3);
	guest_read(f, buf, 3);
	assert_memory_equal(buf, "hi\r", 3);

	/* Detached and attached again: what came meanwhile is there. */
	close(slave);
	guest_puts(f, "gone");
	slave = open(where + 4, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	guest_puts(f, "back");
	read_exact(slave, buf, 8);
	assert_memory_equal(buf, "goneback", 8);
	close(slave);
}

static void test_unix_backend(void **state)
{
	struct fx *f = *state;
	struct stream_check sc = { .tail = "again", .filler = '-' };
	char where[200], buf[16];
	struct stat st;
	int c1, c2;

	c1 = uart_with_client(f);
	snprintf(where, sizeof(where), "socket %s", f->path);
	assert_string_equal(fake_console(f->dm), where);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* Echo both ways. */
	write_all(c1, "ping", 4);
	guest_read(f, buf, 4);
	assert_memory_equal(buf, "ping", 4);
	guest_puts(f, "pong");
	read_exact(c1, buf, 4);
	assert_memory_equal(buf, "pong", 4);

	/* One client at a time: the second waits until the first leaves. */
	c2 = unix_connect(f->path);
	assert_int_equal(fake_fd_poll(f->dm, 0), 0);
	guest_puts(f, "1");
	read_exact(c1, buf, 1);
	assert_true(fd_empty(c2));
	close(c1);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0); /* EOF: dropped */
	guest_puts(f, "2");
	read_exact(c2, buf, 1);
	assert_int_equal(buf[0], '2');
	write_all(c2, "x", 1);
	guest_read(f, buf, 1);
	assert_int_equal(buf[0], 'x');

	/* Without a client, output never holds the guest back: the first
	 * 64 KiB are kept for the next client, the rest is discarded. */
	close(c2);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	guest_puts(f, "kept");
	for (int i = 0; i < 100000; i++)
		guest_puts(f, "-");
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);

	/* Reconnect. */
	c1 = unix_connect(f->path);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	client_read(f, c1, buf, 4);
	assert_memory_equal(buf, "kept", 4);
	guest_puts_read(f, "again", c1, &sc);
	assert_int_equal(stream_read(c1, &sc), 65536 - 4);
	assert_true(fd_empty(c1));
	close(c1);

	/* The socket goes away with the device. */
	uart_destroy(f);
	assert_int_equal(stat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_file_backend(void **state)
{
	struct fx *f = *state;
	char opts[200], buf[32];
	struct stat st;
	mode_t old = umask(022);
	int fd;

	snprintf(opts, sizeof(opts), "backend=file:%s", f->path);
	uart_new(f, opts);
	umask(old);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	guest_puts(f, "hello\r\n");
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	uart_destroy(f);

	/* An existing file is truncated; no input is ever read. */
	uart_new(f, opts);
	assert_int_equal(fake_fd_watch_count(f->dm), 0);
	guest_puts(f, "hi");
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "hi", 2);
	close(fd);
}

static void test_stdio_backend(void **state)
{
	struct fx *f = *state;
	int in[2], out[2];
	char buf[8];

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	fflush(stdout);
	f->saved_fd[0] = dup(0);
	f->saved_fd[1] = dup(1);
	assert_true(f->saved_fd[0] >= 0 && f->saved_fd[1] >= 0);
	assert_int_equal(dup2(in[0], 0), 0);
	assert_int_equal(dup2(out[1], 1), 1);
	close(in[0]);
	close(out[1]);

	uart_new(f, "backend=stdio");
	/* A second stdio backend would fight over the fds. */
	assert_null(chardev_open(f->dm, "stdio", "test"));
	assert_int_equal(fake_nr_errors, 1);
	assert_non_null(strstr(fake_last_error, "\"stdio\""));

	write_all(in[1], "abc", 3);
	guest_read(f, buf, 3);
	assert_memory_equal(buf, "abc", 3);
	guest_puts(f, "xyz");
	read_exact(out[0], buf, 3);
	assert_memory_equal(buf, "xyz", 3);

	/* End of input: stop watching stdin (no spinning on EOF). */
	close(in[1]);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	assert_int_equal(fake_fd_watch_count(f->dm), 0);
	/* The reader of stdout leaving is no crash (no SIGPIPE death). */
	close(out[0]);
	guest_puts(f, "lost");
	assert_int_equal(rd(f, LSR), LSR_THRE | LSR_TEMT);
	uart_destroy(f);
	restore_stdio(f);
}

/* A terminal on stdin is put in raw mode (keeping ISIG and OPOST) and
 * restored on close. */
static void test_stdio_raw_terminal(void **state)
{
	struct fx *f = *state;
	struct termios t;
	struct chardev *c;
	int master, slave;
	char name[64];

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	assert_int_equal(ptsname_r(master, name, sizeof(name)), 0);
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	f->saved_fd[0] = dup(0);
	assert_int_equal(dup2(slave, 0), 0);

	c = chardev_open(f->dm, "stdio", "test");
	assert_non_null(c);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_int_equal(t.c_lflag & (ECHO | ICANON), 0);
	assert_true(t.c_lflag & ISIG);
	assert_true(t.c_oflag & OPOST);
	chardev_close(c);
	assert_int_equal(tcgetattr(slave, &t), 0);
	assert_true(t.c_lflag & ECHO);
	assert_true(t.c_lflag & ICANON);
	restore_stdio(f);
	close(slave);
	close(master);
}

/* A frontend for chardev-level tests: counts write_ready calls. */
struct probe {
	unsigned int write_ready;
	size_t room;
};

static size_t probe_can_receive(void *opaque)
{
	return ((struct probe *)opaque)->room;
}

static void probe_receive(void *opaque, const uint8_t *buf, size_t len)
{
	(void)opaque;
	(void)buf;
	(void)len;
}

static void probe_write_ready(void *opaque)
{
	((struct probe *)opaque)->write_ready++;
}

static const struct chardev_frontend probe_fe = {
	.can_receive = probe_can_receive,
	.receive = probe_receive,
	.write_ready = probe_write_ready,
};

/* chardev_write() takes part of a big write when the socket fills, and
 * calls write_ready() once the peer has read. */
static void test_chardev_partial_write(void **state)
{
	struct fx *f = *state;
	static uint8_t big[65536];
	struct probe p = { 0 };
	struct chardev *c;
	char spec[200];
	size_t total = 0, n, got = 0;
	bool partial = false;
	int client;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = pattern(i);
	snprintf(spec, sizeof(spec), "unix:%s", f->path);
	c = chardev_open(f->dm, spec, "test");
	assert_non_null(c);
	chardev_set_frontend(c, &probe_fe, &p);
	assert_false(chardev_connected(c));
	assert_int_equal(chardev_write(c, big, 10), 10); /* kept */
	total = 10;
	client = unix_connect(f->path);
	assert_true(chardev_connected(c)); /* accepted on demand */
	/* What was kept goes out first, from the loop. */
	assert_int_equal(chardev_write(c, big, 1), 0);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	assert_int_equal(p.write_ready, 1);

	do {
		n = chardev_write(c, big + total % 256, 4096);
		partial |= n > 0 && n < 4096;
		total += n;
		assert_true(total < (256u << 20));
	} while (n == 4096);
	assert_int_equal(chardev_write(c, big, 1), 0); /* still held */
	assert_int_equal(p.write_ready, 1);
	assert_int_equal(fake_fd_poll(f->dm, 0), 0);
	(void)partial; /* a socket may refuse a whole chunk at the edge */

	while (got < total) {
		uint8_t buf[8192];
		size_t r = read_some(client, buf, sizeof(buf), WAIT_MS);

		assert_true(r > 0);
		got += r;
	}
	assert_int_equal(got, total);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	assert_int_equal(p.write_ready, 2);
	assert_int_equal(chardev_write(c, big, 5), 5);
	close(client);
	chardev_close(c);
}

/* unix: output kept while no client is connected reaches the next client
 * before anything newer, even when the socket takes it only in parts, and
 * without waiting for new output to push it. */
static void test_unix_backlog_order(void **state)
{
	struct fx *f = *state;
	struct stream_check sc = { .tail = "NEW", .filler = '-' };
	struct stream_check end = { .tail = "END", .filler = '-' };
	int server_fd, small = 4096, client;
	char buf[4096];

	uart_unix(f);
	for (int i = 0; i < 65536; i++)
		guest_puts(f, "-");
	client = unix_connect(f->path);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	/* Accepted; the backlog waits for the socket to be writable.  A
	 * small socket buffer makes it go out in parts. */
	assert_int_equal(fake_fd_list(f->dm, &server_fd, 1), 1);
	assert_int_equal(fake_fd_events(f->dm, server_fd),
			 DM_FD_READ | DM_FD_WRITE);
	assert_int_equal(setsockopt(server_fd, SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)), 0);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	assert_false(fd_empty(client));
	assert_int_equal(fake_fd_events(f->dm, server_fd),
			 DM_FD_READ | DM_FD_WRITE); /* not all of it fit */
	/* New output waits behind it. */
	guest_puts_read(f, "NEW", client, &sc);
	assert_int_equal(stream_read(client, &sc), 65536);
	assert_true(fd_empty(client));

	/* Kept output drains on its own, with no new output to push it. */
	close(client);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	for (int i = 0; i < 65533; i++)
		guest_puts(f, "-");
	guest_puts(f, "END");
	client = unix_connect(f->path);
	assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
	while (!end.done) {
		size_t n = read_some(client, buf, sizeof(buf), 0);

		if (!n)
			assert_true(fake_fd_poll(f->dm, WAIT_MS) > 0);
		stream_feed(&end, buf, n);
	}
	assert_int_equal(end.got, 65536);
	close(client);
}

/* chardev_connected(): a pty is connected while someone has it open. */
static void test_chardev_pty_peers(void **state)
{
	struct fx *f = *state;
	struct chardev *c = chardev_open(f->dm, "pty", "test");
	int slave, other;

	assert_non_null(c);
	assert_false(chardev_connected(c));
	slave = open(fake_console(f->dm) + 4, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	assert_true(chardev_connected(c));
	other = open(fake_console(f->dm) + 4, O_RDONLY | O_NOCTTY |
		     O_CLOEXEC);
	assert_true(other >= 0);
	close(slave);
	assert_true(chardev_connected(c));
	close(other);
	assert_false(chardev_connected(c));
	chardev_close(c);
}

/* Bad specs: NULL and exactly one error line naming the spec. */
static void test_bad_specs(void **state)
{
	struct fx *f = *state;
	char spec[400], stale[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char file[200];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	static const char *const plain[] = {
		"", "bogus", "file:", "unix:", "pty:x", "stdio:1", "none,",
		"FILE:/tmp/x", "file:/nonexistent-hvmkit-dir/log",
	};
	struct chardev *c;
	int fd, live;

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		fake_nr_errors = 0;
		assert_null(chardev_open(f->dm, plain[i], "serial"));
		assert_int_equal(fake_nr_errors, 1);
		snprintf(spec, sizeof(spec), "\"%s\"", plain[i]);
		assert_non_null(strstr(fake_last_error, spec));
	}

	/* A socket path longer than sun_path. */
	snprintf(spec, sizeof(spec), "unix:%s/%0150d", f->dir, 0);
	fake_nr_errors = 0;
	assert_null(chardev_open(f->dm, spec, "serial"));
	assert_int_equal(fake_nr_errors, 1);
	assert_non_null(strstr(fake_last_error, "longer"));

	/* Something that is not a socket is left alone. */
	snprintf(file, sizeof(file), "%s/plain", f->dir);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(spec, sizeof(spec), "unix:%s", file);
	fake_nr_errors = 0;
	assert_null(chardev_open(f->dm, spec, "serial"));
	assert_int_equal(fake_nr_errors, 1);
	assert_non_null(strstr(fake_last_error, "not a socket"));
	assert_int_equal(access(file, F_OK), 0);

	/* A live socket belongs to someone else. */
	live = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/live", f->dir);
	assert_int_equal(bind(live, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(live, 1), 0);
	snprintf(spec, sizeof(spec), "unix:%s", a.sun_path);
	fake_nr_errors = 0;
	assert_null(chardev_open(f->dm, spec, "serial"));
	assert_int_equal(fake_nr_errors, 1);
	assert_non_null(strstr(fake_last_error, "in use"));
	close(live);

	/* A stale one (its owner died without removing it) is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/stale", f->dir);
	memcpy(stale, a.sun_path, sizeof(a.sun_path));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	snprintf(spec, sizeof(spec), "unix:%s", stale);
	fake_nr_errors = 0;
	c = chardev_open(f->dm, spec, "serial");
	assert_non_null(c);
	assert_int_equal(fake_nr_errors, 0);
	fd = unix_connect(stale);
	close(fd);
	chardev_close(c);

	/* Through the device: the same one line, no device. */
	fake_nr_errors = 0;
	assert_null(uart_try(f, "backend=tcp:1234"));
	assert_int_equal(fake_nr_errors, 1);
	assert_non_null(strstr(fake_last_error, "\"tcp:1234\""));
	assert_int_equal(fake_claim_count(f->dm), 0);
}

/* Guest mistakes: accesses wider than a byte are split into byte
 * accesses at consecutive ports; bytes past the 8 ports read as 0xff. */
static void test_access_sizes(void **state)
{
	struct fx *f = *state;

	uart_new(f, "");
	/* LCR (port 3) low byte, MCR (port 4) high byte. */
	fake_pio_write(f->dm, COM1 + LCR, MCR_LOOP << 8 | LCR_8N1, 2);
	assert_int_equal(rd(f, LCR), LCR_8N1);
	assert_int_equal(rd(f, MCR), MCR_LOOP);
	wr(f, SCR, 0x77);
	assert_int_equal(fake_pio_read(f->dm, COM1 + MSR, 2) >> 8, 0x77);
	assert_int_equal(fake_pio_read(f->dm, COM1 + SCR, 4), 0xffffff77);
	fake_pio_write(f->dm, COM1 + SCR, 0x11223344, 4);
	assert_int_equal(rd(f, SCR), 0x44);
	/* A dword write at 0 is THR, IER, FCR, LCR. */
	wr(f, FCR, FCR_ON);
	fake_pio_write(f->dm, COM1, 0x03c10241, 4);
	assert_int_equal(rd(f, LCR), 0x03);
	assert_int_equal(rd(f, IER), IER_THRE);
	assert_int_equal(rd(f, IIR) & IIR_FIFO, IIR_FIFO);
	assert_int_equal(rd(f, RBR), 0x41);
	/* Nonsense sizes change nothing. */
	fake_pio_write(f->dm, COM1 + SCR, 0, 0);
	assert_int_equal(rd(f, SCR), 0x44);
	assert_int_equal(fake_pio_read(f->dm, COM1, 0), 0);
}

/* Whatever the guest does, the model stays consistent: the IRQ line is
 * INTR gated by OUT2 and loopback, LSR bits agree, no crash (ASan). */
static void test_random_accesses(void **state)
{
	struct fx *f = *state;
	uint32_t seed = 12345;

	uart_new(f, "");
	for (int i = 0; i < 200000; i++) {
		unsigned int port, size;
		uint8_t mcr, iir, lsr;

		seed = seed * 1103515245u + 12345u;
		port = (seed >> 16) & 7;
		size = 1u << ((seed >> 20) & 3);
		if (size == 8)
			size = 1;
		if (seed & 0x80000000u)
			fake_pio_write(f->dm, COM1 + port, seed >> 3, size);
		else
			fake_pio_read(f->dm, COM1 + port, size);
		if ((seed & 0xff) == 0)
			fake_clock_advance(f->dm, (seed >> 8) & 0xfffff);

		mcr = rd(f, MCR);
		if ((seed & 0x30) == 0) {
			int level = irq(f);

			iir = rd(f, IIR);
			assert_int_equal(level, !(iir & 1) &&
					 (mcr & (MCR_OUT2 | MCR_LOOP)) ==
					 MCR_OUT2);
		}
		lsr = rd(f, LSR);
		assert_false((lsr & LSR_TEMT) && !(lsr & LSR_THRE));
		assert_int_equal(lsr & 0x9c, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_reset_values),
		T(test_reset_op),
		T(test_options),
		T(test_dlab_divisor),
		T(test_scratch),
		T(test_iir_priorities),
		T(test_thre_interrupt),
		T(test_rx_trigger_levels),
		T(test_char_timeout),
		T(test_overrun),
		T(test_loopback),
		T(test_out2_gating),
		T(test_fifo_reset_bits),
		T(test_tx_backpressure),
		T(test_rx_flow_control),
		T(test_peer_leaves_while_held),
		T(test_pty_backend),
		T(test_unix_backend),
		T(test_file_backend),
		T(test_stdio_backend),
		T(test_stdio_raw_terminal),
		T(test_chardev_partial_write),
		T(test_unix_backlog_order),
		T(test_chardev_pty_peers),
		T(test_bad_specs),
		T(test_access_sizes),
		T(test_random_accesses),
#undef T
	};

	/* Guest-mistake warnings are expected here; errors are captured. */
	log_init("test-serial", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
