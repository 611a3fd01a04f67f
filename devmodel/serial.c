/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 16550A UART (PC COM port), after the National Semiconductor / TI PC16550D
 * datasheet (SNLS378, June 1995); section numbers below are that
 * datasheet's: 8.1 LCR, 8.3 baud generator, 8.4 LSR, 8.5 FCR, 8.6 IIR
 * (Table IV: interrupt priorities), 8.7 IER, 8.8 MCR (loopback), 8.9 MSR,
 * 8.10 SCR, 8.11 FIFO interrupt mode, Table II (register map), Table III
 * (reset values).
 *
 * Options: port=0x3f8 (base of the 8 ports), irq=4 (ISA IRQ), backend=SPEC
 * (chardev.h; default none).
 *
 * Model of the line:
 * - A character is sent the moment the backend takes it: THRE/TEMT are set
 *   again at once and no transmit time passes.  When the backend would
 *   block, the bytes stay in the transmitter (shift register + THR or the
 *   16-byte FIFO), THRE/TEMT stay clear, and the rest goes out when the
 *   backend's fd is writable: the peer's flow control reaches the guest as
 *   a slow line, and nothing is lost.
 * - Input is taken from the backend only while the receiver has room (1
 *   byte in 16450 mode, 16 with FIFOs), so it never overruns; an overrun
 *   can only come from loopback.  Bytes taken together arrive together.
 * - Time matters only for the character timeout (8.11), which uses the
 *   device-model clock, the divisor and the LCR frame format.
 *
 * Deliberately not modelled (no physical line): parity, framing and break
 * errors (LSR bits 2-4 and 7 stay 0; LCR parity/stop/break bits are
 * stored and only shape the character time), transmitting a break, the
 * delayed THRE of 8.11 B, the RXRDY/TXRDY DMA pins (FCR bit 3 is stored).
 * Outside loopback the modem inputs read as a ready peer: CTS, DSR and DCD
 * asserted, RI not (as QEMU does); DTR/RTS/OUT1 go nowhere.  In loopback
 * the receiver is disconnected from the line (8.8), so backend input waits
 * in the host instead of being lost.  A divisor of 0 (outside the 1 to
 * 2^16-1 of 8.3) counts as 1; the divisor latch's power-on value is not
 * defined (Table III lists no reset for it), so it starts at 12 (9600
 * baud, 1.8432 MHz clock) as on PCs whose BIOS set up COM1.
 *
 * PC wiring: INTR reaches the interrupt controller through a buffer enabled
 * by the OUT2 output, so the IRQ line is INTR && MCR OUT2; in loopback
 * OUT2 is forced inactive (8.8), which hides the interrupt from the PIC
 * while IIR still shows it (FreeBSD's sio probe relies on this).  The line
 * is an ISA edge-triggered one.
 *
 * Accesses wider than a byte are split into byte accesses at consecutive
 * ports, as an ISA bus does for an 8-bit device (low byte first); bytes
 * beyond the 8 ports read as 0xff and are not written.  They are logged as
 * guest mistakes.
 */
#include <stdlib.h>
#include <string.h>

#include "chardev.h"
#include "device.h"
#include "devices.h"
#include "hvmkit/log.h"

/* Registers (Table II): offset from the base port. */
#define UART_RBR 0 /* read, DLAB = 0 */
#define UART_THR 0 /* write, DLAB = 0 */
#define UART_DLL 0 /* DLAB = 1 */
#define UART_IER 1 /* DLAB = 0 */
#define UART_DLM 1 /* DLAB = 1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define UART_NR_PORTS 8

#define IER_ERBFI 0x01 /* received data available (and timeout) */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK  0x0f /* bits 4-7 are always 0 (8.7) */

#define IIR_NO_INT 0x01
#define IIR_RLS    0x06
#define IIR_RDA    0x04
#define IIR_CTI    0x0c
#define IIR_THRE   0x02
#define IIR_MSI    0x00
#define IIR_FIFOS  0xc0 /* bits 6-7 set when FCR0 = 1 (8.6) */

#define FCR_ENABLE   0x01
#define FCR_RX_RESET 0x02
#define FCR_TX_RESET 0x04
#define FCR_DMA_MODE 0x08
#define FCR_TRIGGER  0xc0

#define LCR_WLS  0x03 /* word length - 5 */
#define LCR_STB  0x04 /* 2 stop bits (1.5 with 5-bit words) */
#define LCR_PEN  0x08
#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f /* bits 5-7 are always 0 (8.8) */

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80

#define UART_FIFO_SIZE 16
#define UART_CLOCK_HZ  1843200ull /* PC UART crystal */
#define UART_POWER_ON_DIVISOR 12
#define UART_TIMEOUT_CHARS 4       /* 8.11 A */

struct serial {
	struct dm *dm;
	struct dm_range *range;
	struct dm_irq *irq;
	struct dm_timer *timeout_timer;
	struct chardev *chr;

	uint8_t ier, lcr, mcr, msr, scr;
	uint8_t fcr;              /* FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER */
	uint16_t divisor;         /* DLM:DLL */
	bool overrun;             /* LSR OE, until LSR is read */
	uint8_t rbr;              /* last byte read: what an empty RBR gives */

	uint8_t rx[UART_FIFO_SIZE]; /* rx[0] is next; 1 deep in 16450 mode */
	unsigned int rx_len;
	/* tx[0] is in the transmitter shift register, the rest in THR or
	 * the FIFO. */
	uint8_t tx[1 + UART_FIFO_SIZE];
	unsigned int tx_len;

	bool thr_ipending;        /* THRE interrupt latched (8.6 Table IV) */
	bool timeout_ipending;    /* character timeout occurred (8.11) */
	uint64_t rx_activity_ns;  /* last byte received or RBR read */
	bool irq_level;           /* what the PIC sees */
};

static bool serial_fifo_on(const struct serial *s)
{
	return s->fcr & FCR_ENABLE;
}

static unsigned int serial_rx_cap(const struct serial *s)
{
	return serial_fifo_on(s) ? UART_FIFO_SIZE : 1;
}

/* Shift register plus THR or FIFO. */
static unsigned int serial_tx_cap(const struct serial *s)
{
	return 1 + serial_rx_cap(s);
}

static unsigned int serial_rx_trigger(const struct serial *s)
{
	static const unsigned int levels[4] = { 1, 4, 8, 14 };

	return levels[s->fcr >> 6];
}

/* THR (or the TX FIFO) is empty; the shift register may still hold one
 * byte the backend has not taken. */
static bool serial_thre(const struct serial *s)
{
	return s->tx_len <= 1;
}

static uint8_t serial_lsr(const struct serial *s)
{
	uint8_t lsr = 0;

	if (s->rx_len)
		lsr |= LSR_DR;
	if (s->overrun)
		lsr |= LSR_OE;
	if (serial_thre(s))
		lsr |= LSR_THRE;
	if (!s->tx_len)
		lsr |= LSR_TEMT;
	return lsr;
}

/* ------------------------------------------------------- interrupts */

/* The highest-priority enabled pending interrupt (8.6, Table IV). */
static uint8_t serial_iir_id(const struct serial *s)
{
	if ((s->ier & IER_ELSI) && s->overrun)
		return IIR_RLS;
	if (s->ier & IER_ERBFI) {
		if (s->rx_len && (!serial_fifo_on(s) ||
				  s->rx_len >= serial_rx_trigger(s)))
			return IIR_RDA;
		if (s->timeout_ipending)
			return IIR_CTI;
	}
	if ((s->ier & IER_ETBEI) && s->thr_ipending)
		return IIR_THRE;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void serial_update_irq(struct serial *s)
{
	bool intr = serial_iir_id(s) != IIR_NO_INT;
	bool level = intr && (s->mcr & MCR_OUT2) && !(s->mcr & MCR_LOOP);

	if (level != s->irq_level) {
		s->irq_level = level;
		dm_irq_set(s->irq, level);
	}
}

/* ------------------------------------------------------------ modem */

/* MSR bits 4-7 as the pins give them (8.9); in loopback the outputs are
 * wired to the inputs: DTR-DSR, RTS-CTS, OUT1-RI, OUT2-DCD (8.8). */
static uint8_t serial_modem_inputs(const struct serial *s)
{
	uint8_t in = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	if (s->mcr & MCR_DTR)
		in |= MSR_DSR;
	if (s->mcr & MCR_RTS)
		in |= MSR_CTS;
	if (s->mcr & MCR_OUT1)
		in |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		in |= MSR_DCD;
	return in;
}

/* Samples the inputs and latches the delta bits (8.9): DCTS, DDSR, DDCD
 * on any change, TERI when RI goes from on to off. */
static void serial_sample_modem(struct serial *s)
{
	uint8_t now = serial_modem_inputs(s);
	uint8_t old = s->msr & ~MSR_DELTAS;
	uint8_t delta = s->msr & MSR_DELTAS;

	if ((now ^ old) & MSR_CTS)
		delta |= MSR_DCTS;
	if ((now ^ old) & MSR_DSR)
		delta |= MSR_DDSR;
	if ((now ^ old) & MSR_DCD)
		delta |= MSR_DDCD;
	if ((old & MSR_RI) && !(now & MSR_RI))
		delta |= MSR_TERI;
	s->msr = now | delta;
}

/* ---------------------------------------------------- receive side */

/* One character time in ns: start bit, 5-8 data bits, parity, 1, 1.5 or
 * 2 stop bits (8.1), each bit 16 clocks of the divided baud clock (8.3). */
static uint64_t serial_char_ns(const struct serial *s)
{
	uint64_t half_bits = 2 * (1 + 5 + (s->lcr & LCR_WLS));
	uint64_t divisor = s->divisor ? s->divisor : 1;

	if (s->lcr & LCR_PEN)
		half_bits += 2;
	if (!(s->lcr & LCR_STB))
		half_bits += 2;
	else
		half_bits += (s->lcr & LCR_WLS) ? 4 : 3;
	return half_bits * 8 * divisor * 1000000000ull / UART_CLOCK_HZ;
}

/* Arms the character-timeout timer (8.11 A): with FIFOs on and data in
 * the RX FIFO, 4 character times after the last byte in or out. */
static void serial_timeout_arm(struct serial *s)
{
	if (!serial_fifo_on(s) || !s->rx_len) {
		dm_timer_del(s->timeout_timer);
		return;
	}
	dm_timer_mod(s->timeout_timer, s->rx_activity_ns +
		     UART_TIMEOUT_CHARS * serial_char_ns(s));
}

static void serial_timeout_fire(void *opaque)
{
	struct serial *s = opaque;

	if (!serial_fifo_on(s) || !s->rx_len)
		return;
	if (dm_clock_ns(s->dm) < s->rx_activity_ns +
	    UART_TIMEOUT_CHARS * serial_char_ns(s)) {
		serial_timeout_arm(s); /* the frame got longer meanwhile */
		return;
	}
	s->timeout_ipending = true;
	serial_update_irq(s);
}

/* A character arrives at the receiver.  With the receiver full it is an
 * overrun (8.4 bit 1): in FIFO mode the new character is lost, in 16450
 * mode it overwrites RBR. */
static void serial_rx_push(struct serial *s, uint8_t byte)
{
	if (s->rx_len == serial_rx_cap(s)) {
		s->overrun = true;
		if (!serial_fifo_on(s))
			s->rx[0] = byte;
	} else {
		s->rx[s->rx_len++] = byte;
	}
	s->rx_activity_ns = dm_clock_ns(s->dm);
	serial_timeout_arm(s);
}

static uint8_t serial_read_rbr(struct serial *s)
{
	if (s->rx_len) {
		s->rbr = s->rx[0];
		s->rx_len--;
		memmove(s->rx, s->rx + 1, s->rx_len);
	}
	/* 8.11 C/D: a read clears the timeout and restarts the timer. */
	s->timeout_ipending = false;
	s->rx_activity_ns = dm_clock_ns(s->dm);
	serial_timeout_arm(s);
	serial_update_irq(s);
	chardev_input_ready(s->chr);
	return s->rbr;
}

static void serial_rx_clear(struct serial *s)
{
	s->rx_len = 0;
	s->timeout_ipending = false;
	s->rx_activity_ns = dm_clock_ns(s->dm);
	serial_timeout_arm(s);
}

static size_t serial_can_receive(void *opaque)
{
	struct serial *s = opaque;

	if (s->mcr & MCR_LOOP)
		return 0; /* receiver disconnected from the line (8.8) */
	return serial_rx_cap(s) - s->rx_len;
}

static void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
	struct serial *s = opaque;

	for (size_t i = 0; i < len; i++)
		serial_rx_push(s, buf[i]);
	serial_update_irq(s);
}

/* --------------------------------------------------- transmit side */

/* Sends what the transmitter holds: to the backend, or in loopback to
 * our own receiver (8.8).  was_thre: THRE before the change that led
 * here; THR becoming empty latches the THRE interrupt (Table IV). */
static void serial_tx_run(struct serial *s, bool was_thre)
{
	size_t n = 0;

	if (s->tx_len && (s->mcr & MCR_LOOP)) {
		for (n = 0; n < s->tx_len; n++)
			serial_rx_push(s, s->tx[n]);
	} else if (s->tx_len) {
		n = chardev_write(s->chr, s->tx, s->tx_len);
		if (n > s->tx_len)
			n = s->tx_len;
	}
	s->tx_len -= (unsigned int)n;
	memmove(s->tx, s->tx + n, s->tx_len);
	if (!was_thre && serial_thre(s))
		s->thr_ipending = true;
	serial_update_irq(s);
}

static void serial_write_thr(struct serial *s, uint8_t byte)
{
	/* Writing THR clears the THRE interrupt (Table IV); when the byte
	 * moves on at once, THR is empty again and it is latched anew: the
	 * guest sees a fresh edge, as with a real UART. */
	s->thr_ipending = false;
	serial_update_irq(s);
	if (s->tx_len == serial_tx_cap(s)) {
		log_guest("serial: THR written while full (LSR THRE clear); "
			  "%s", serial_fifo_on(s) ? "byte lost" :
			  "previous byte overwritten");
		if (!serial_fifo_on(s))
			s->tx[s->tx_len - 1] = byte;
	} else {
		s->tx[s->tx_len++] = byte;
	}
	serial_tx_run(s, false);
}

static void serial_write_ready(void *opaque)
{
	struct serial *s = opaque;

	serial_tx_run(s, serial_thre(s));
}

/* THR / TX FIFO cleared; the shift register keeps its byte (8.5). */
static void serial_tx_clear(struct serial *s)
{
	bool was_thre = serial_thre(s);

	if (s->tx_len > 1)
		s->tx_len = 1;
	if (!was_thre)
		s->thr_ipending = true;
}

/* ------------------------------------------------------- registers */

static void serial_write_fcr(struct serial *s, uint8_t val)
{
	if ((val ^ s->fcr) & FCR_ENABLE) {
		/* Switching between 16450 and FIFO mode clears both FIFOs
		 * (8.5 bit 0); the first THRE interrupt after changing FCR0
		 * is immediate (8.11). */
		serial_rx_clear(s);
		serial_tx_clear(s);
		s->thr_ipending = true;
	}
	if (!(val & FCR_ENABLE)) {
		/* The other bits are programmed only with FCR0 set (8.5). */
		s->fcr = 0;
	} else {
		if (val & FCR_RX_RESET)
			serial_rx_clear(s);
		if (val & FCR_TX_RESET)
			serial_tx_clear(s);
		s->fcr = val & (FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER);
	}
	serial_timeout_arm(s);
	serial_update_irq(s);
	chardev_input_ready(s->chr);
}

static void serial_write_mcr(struct serial *s, uint8_t val)
{
	uint8_t old = s->mcr;

	s->mcr = val & MCR_MASK;
	serial_sample_modem(s);
	if ((old ^ s->mcr) & MCR_LOOP) {
		/* The line changes: held bytes go where it now leads, and
		 * the receiver takes (or stops taking) backend input. */
		serial_tx_run(s, serial_thre(s));
		chardev_input_ready(s->chr);
	}
	serial_update_irq(s);
}

static void serial_write_ier(struct serial *s, uint8_t val)
{
	uint8_t old = s->ier;

	s->ier = val & IER_MASK;
	/* Enabling the THRE interrupt while THR is empty raises it at once,
	 * even if an IIR read had cleared it (16550A behaviour that Windows
	 * and the BSDs rely on; re-writing the bit set does nothing). */
	if ((s->ier & ~old & IER_ETBEI) && serial_thre(s))
		s->thr_ipending = true;
	serial_update_irq(s);
}

static uint8_t serial_read_reg(struct serial *s, unsigned int reg)
{
	uint8_t v, id;

	switch (reg) {
	case UART_RBR:
		if (s->lcr & LCR_DLAB)
			return s->divisor & 0xff;
		return serial_read_rbr(s);
	case UART_IER:
		if (s->lcr & LCR_DLAB)
			return s->divisor >> 8;
		return s->ier;
	case UART_IIR:
		id = serial_iir_id(s);
		/* Reading IIR clears a THRE interrupt it reports (Table IV). */
		if (id == IIR_THRE) {
			s->thr_ipending = false;
			serial_update_irq(s);
		}
		return id | (serial_fifo_on(s) ? IIR_FIFOS : 0);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		v = serial_lsr(s);
		if (s->overrun) {
			/* OE is cleared by reading LSR (8.4). */
			s->overrun = false;
			serial_update_irq(s);
		}
		return v;
	case UART_MSR:
		v = s->msr;
		if (v & MSR_DELTAS) {
			/* Deltas are cleared by reading MSR (8.9). */
			s->msr &= ~MSR_DELTAS;
			serial_update_irq(s);
		}
		return v;
	case UART_SCR:
		return s->scr;
	}
	return 0xff;
}

static void serial_write_reg(struct serial *s, unsigned int reg, uint8_t val)
{
	switch (reg) {
	case UART_THR:
		if (s->lcr & LCR_DLAB) {
			s->divisor = (s->divisor & 0xff00) | val;
			serial_timeout_arm(s);
		} else {
			serial_write_thr(s, val);
		}
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->divisor = (uint16_t)((s->divisor & 0xff) | val << 8);
			serial_timeout_arm(s);
		} else {
			serial_write_ier(s, val);
		}
		break;
	case UART_FCR:
		serial_write_fcr(s, val);
		break;
	case UART_LCR:
		s->lcr = val;
		serial_timeout_arm(s);
		break;
	case UART_MCR:
		serial_write_mcr(s, val);
		break;
	case UART_LSR:
	case UART_MSR:
		/* Read-only here; LSR writes are a factory test (8.4). */
		log_guest("serial: write %#x to read-only %s ignored", val,
			  reg == UART_LSR ? "LSR" : "MSR");
		break;
	case UART_SCR:
		s->scr = val;
		break;
	}
}

/* Guest accesses: one byte register per port; wider accesses are split as
 * an ISA bus does (see the top of the file). */
static uint64_t serial_io_read(void *opaque, uint64_t offset,
			       unsigned int size)
{
	struct serial *s = opaque;
	uint64_t val = 0;

	if (size != 1) {
		log_guest("serial: %u-byte read at port offset %#llx; done "
			  "bytewise", size, (unsigned long long)offset);
		if (size == 0 || size > 8)
			return ~0ull;
	}
	for (unsigned int i = 0; i < size; i++) {
		uint8_t b = 0xff;

		if (offset < UART_NR_PORTS && i < UART_NR_PORTS - offset)
			b = serial_read_reg(s, (unsigned int)offset + i);
		val |= (uint64_t)b << (8 * i);
	}
	return val;
}

static void serial_io_write(void *opaque, uint64_t offset, uint64_t value,
			    unsigned int size)
{
	struct serial *s = opaque;

	if (size != 1) {
		log_guest("serial: %u-byte write at port offset %#llx; done "
			  "bytewise", size, (unsigned long long)offset);
		if (size == 0 || size > 8)
			return;
	}
	for (unsigned int i = 0; i < size; i++)
		if (offset < UART_NR_PORTS && i < UART_NR_PORTS - offset)
			serial_write_reg(s, (unsigned int)offset + i,
					 (uint8_t)(value >> (8 * i)));
}

static const struct dm_io_ops serial_io_ops = {
	.read = serial_io_read,
	.write = serial_io_write,
};

static const struct chardev_frontend serial_frontend = {
	.can_receive = serial_can_receive,
	.receive = serial_receive,
	.write_ready = serial_write_ready,
};

/* ------------------------------------------------------- lifecycle */

/* Power-on / master reset state (Table III). */
static void serial_reset(void *opaque)
{
	struct serial *s = opaque;

	s->ier = 0;
	s->lcr = 0;
	s->mcr = 0;
	s->fcr = 0;
	s->overrun = false;
	s->msr = serial_modem_inputs(s); /* bits 0-3 low, 4-7 the inputs */
	s->divisor = UART_POWER_ON_DIVISOR;
	s->scr = 0;
	s->rbr = 0;
	s->tx_len = 0;
	s->thr_ipending = false;
	serial_rx_clear(s);
	serial_update_irq(s);
	chardev_input_ready(s->chr);
}

static void serial_destroy(void *opaque)
{
	struct serial *s = opaque;

	if (!s)
		return;
	if (s->range)
		dm_release(s->dm, s->range);
	chardev_close(s->chr);
	if (s->timeout_timer)
		dm_timer_free(s->timeout_timer);
	free(s);
}

static void *serial_create(struct dm *dm, const struct dm_opts *opts)
{
	const char *backend = dm_opt_get(opts, "backend");
	uint64_t port, irq;
	struct serial *s;

	if (dm_opt_u64(opts, "port", 0x3f8, &port) < 0 ||
	    dm_opt_u64(opts, "irq", 4, &irq) < 0)
		return NULL;
	if (port > 0x10000 - UART_NR_PORTS) {
		log_error("serial: port=%#llx is out of range (0-0xfff8)",
			  (unsigned long long)port);
		return NULL;
	}
	if (irq > 15) {
		log_error("serial: irq=%llu is out of range (ISA IRQs 0-15)",
			  (unsigned long long)irq);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		log_error("serial: out of memory");
		return NULL;
	}
	s->dm = dm;
	s->irq = dm_irq_get(dm, (unsigned int)irq, DM_IRQ_MODE_EDGE);
	s->timeout_timer = dm_timer_new(dm, serial_timeout_fire, s);
	if (!s->irq || !s->timeout_timer) {
		if (!s->timeout_timer)
			log_error("serial: cannot create a timer");
		goto fail;
	}
	s->chr = chardev_open(dm, backend ? backend : "none", "serial");
	if (!s->chr)
		goto fail;
	serial_reset(s);
	chardev_set_frontend(s->chr, &serial_frontend, s);
	s->range = dm_claim(dm, DM_SPACE_PIO, port, UART_NR_PORTS,
			    &serial_io_ops, s, 0, "serial");
	if (!s->range)
		goto fail;
	return s;
fail:
	serial_destroy(s);
	return NULL;
}

const struct device_ops serial_device_ops = {
	.name = "serial",
	.help = "port=0x3f8,irq=4,backend=none|stdio|pty|file:PATH|"
		"unix:PATH (16550A UART)",
	.create = serial_create,
	.reset = serial_reset,
	.destroy = serial_destroy,
};
