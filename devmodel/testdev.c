/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * testdev: a device that exists only for hvmkit's tiny test guests
 * (tests/guests/dm-*.S), in the spirit of QEMU's pc-testdev and
 * isa-debug-exit (QEMU hw/misc/pc-testdev.c, hw/misc/debugexit.c).  It is
 * never part of a normal platform: the device model creates it only for
 * `--device testdev[,key=value...]`, and it must not be given to a guest
 * one does not trust, since its COMMAND register lets the guest kill or
 * hang the device model on purpose.  It uses the device API alone, so the
 * guests test the whole path guest -> KVM -> hypervisor -> ioreq
 * transport -> device model and back.
 *
 * Options: port=0x2100 (register block), scratch_port=0xe0,
 * mmio=0xff000000 (64 KiB scratch + 4 KiB log window above it), irq=10
 * (GSI of the level-triggered line, 0-23).
 *
 * Register map.  Registers are 32 bits wide; an access of 1 or 2 bytes at
 * a register's offset reads or writes its low bytes.  Any other offset
 * reads as all ones, ignores writes and counts an error.
 *
 *   scratch_port + 0..3  SCRATCH   R/W, sizes 1/2/4 at any lane: a 32-bit
 *                        scratch register with byte lanes (the same
 *                        semantics as pc-testdev's port 0xe0, so the
 *                        benchmark guest runs under QEMU too).
 *
 *   port + 0x00  ID          R   0x48564d54 ("HVMT")
 *   port + 0x04  FIFO        W   appends the access's bytes (little-endian)
 *                                to a 4 KiB FIFO; REP OUTSB/W/D appends
 *                                every item.  Bytes that do not fit are
 *                                dropped and counted as errors.
 *                            R   takes as many bytes off the FIFO; an
 *                                empty FIFO gives 0xff bytes (and errors).
 *   port + 0x08  FIFO_LEN    R   bytes in the FIFO
 *                            W   empties the FIFO and zeroes FIFO_SUM and
 *                                FIFO_WRITES
 *   port + 0x0c  FIFO_SUM    R   sum of all bytes appended (mod 2^32)
 *   port + 0x10  FIFO_WRITES R   number of write accesses (REP items) to
 *                                FIFO
 *   port + 0x14  LOG_COUNT   R   entries in the write log not yet read
 *                            W   empties the log
 *   port + 0x18  LOG_READ    R   takes the oldest log entry: low 32 bits of
 *                                the value written (all ones if empty)
 *   port + 0x1c  LOG_META    R   where the entry LOG_READ returned last
 *                                came from: bit 31 = MMIO (else PIO),
 *                                bits 27:24 = access size, bits 15:0 =
 *                                offset in its window
 *   port + 0x20  IRQ_LEVEL   R/W bit 0: level of the interrupt line
 *   port + 0x24  IRQ_ACK     W   counts one acknowledgment; if bit 0 is
 *                                set the line is also lowered
 *                            R   acknowledgments counted
 *   port + 0x28  DOORBELLS   R   doorbell writes the device model has seen
 *                                on its eventfd; W: zeroes the count
 *   port + 0x2c  ERRORS      R   guest mistakes counted; W: zeroes it
 *   port + 0x30  COMMAND     W   0x7e57nnnn: do command nnnn:
 *                                1 request guest power-off
 *                                2 request guest reset
 *                                3 call socket(2)  (forbidden by seccomp)
 *                                4 call execve(2)  (forbidden by seccomp)
 *                                5 hang this ioreq thread forever
 *   port + 0x34  POWER_BUTTON R  presses of the platform power button
 *                                (`hvmkit shutdown`) the device model
 *                                reported; W: zeroes it.  (The testdev
 *                                registers itself as the power button;
 *                                the last device registered wins.)
 *   port + 0x38  LOG_PIO_READS R reads of LOG_PIO the device model
 *                                answered; W: zeroes the count
 *   port + 0x40  LOG_PIO     W   (posted writes) appends the value to the
 *                                log; R: LOG_COUNT (its bytes at the
 *                                access's offset), from a read shadow
 *                                (DM_CLAIM_SHADOWED): the hypervisor
 *                                answers once every earlier write is
 *                                handled, and only the reads it could
 *                                not answer count in LOG_PIO_READS
 *   port + 0x44  DOORBELL    W   32-bit writes signal an ioeventfd: KVM
 *                                counts them without leaving the kernel;
 *                                the device model adds them up
 *                                asynchronously (read DOORBELLS, polling)
 *   port + 0x48  LATCH       bytes 0-1: R/W a value, its writes declared
 *                                latches (dm_shadow_latch); byte 2: MARK,
 *                                W sets it and zeroes the value (not a
 *                                latch); byte 3: R 0x5a, W ignored (a
 *                                latch).  Posted writes, read shadow; the
 *                                reads the device model answered count in
 *                                LATCH_READS
 *   port + 0x3c  LATCH_READS R   those reads; W: zeroes the count
 *
 *   mmio + 0x00000..0x0ffff  SCRATCH_MEM  R/W, sizes 1/2/4/8: 64 KiB of
 *                            memory (pc-testdev's iomem is at 0xff000000
 *                            too, so the MMIO benchmark guest runs there)
 *   mmio + 0x10000..0x10fff  LOG_MMIO     W (posted writes, coalesced
 *                            from 0x10080 on: dm_claim_zone): appends
 *                            the value to the log; R (synchronous):
 *                            LOG_COUNT
 *
 * The log holds 1024 entries; writes beyond that are dropped and counted
 * as errors.  Posted and coalesced writes reach the log in the order of
 * the vCPU's program, also when they are interleaved: that is what the
 * dm-posted guest checks.
 */
#include "device.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hvmkit/log.h"
#include "hvmkit/util.h"

#define TESTDEV_ID		0x48564d54u

#define REG_ID			0x00
#define REG_FIFO		0x04
#define REG_FIFO_LEN		0x08
#define REG_FIFO_SUM		0x0c
#define REG_FIFO_WRITES		0x10
#define REG_LOG_COUNT		0x14
#define REG_LOG_READ		0x18
#define REG_LOG_META		0x1c
#define REG_IRQ_LEVEL		0x20
#define REG_IRQ_ACK		0x24
#define REG_DOORBELLS		0x28
#define REG_ERRORS		0x2c
#define REG_COMMAND		0x30
#define REG_POWER_BUTTON	0x34
#define REG_LOG_PIO_READS	0x38
#define REG_LATCH_READS		0x3c
#define REGS_LEN		0x40
#define LOG_PIO_OFFSET		0x40
#define LOG_PIO_LEN		4
#define DOORBELL_OFFSET		0x44
#define DOORBELL_LEN		4
#define LATCH_OFFSET		0x48
#define LATCH_LEN		4
#define LATCH_CONSTANT		0x5a
#define PORT_SPAN		0x4c

#define SCRATCH_PORT_LEN	4
#define SCRATCH_MEM_LEN		0x10000
#define LOG_MMIO_OFFSET		0x10000
#define LOG_MMIO_LEN		0x1000
#define LOG_MMIO_ZONE_OFF	0x80
#define LOG_MMIO_ZONE_LEN	0xf80
#define MMIO_SPAN		(LOG_MMIO_OFFSET + LOG_MMIO_LEN)

#define COMMAND_MAGIC		0x7e57u
#define CMD_POWEROFF		1
#define CMD_RESET		2
#define CMD_SOCKET		3
#define CMD_EXECVE		4
#define CMD_HANG		5

#define FIFO_SIZE		4096
#define LOG_SIZE		1024
#define META_MMIO		(1u << 31)

#define DEFAULT_PORT		0x2100
#define DEFAULT_SCRATCH_PORT	0xe0
#define DEFAULT_MMIO		0xff000000ull
#define DEFAULT_IRQ		10
#define MAX_GSI			23

struct log_entry {
	uint32_t value;
	uint32_t meta;
};

struct testdev {
	struct dm *dm;
	struct dm_range *scratch_port_range;
	struct dm_range *regs_range;
	struct dm_range *log_pio_range;
	struct dm_range *scratch_mem_range;
	struct dm_range *log_mmio_range;
	struct dm_range *latch_range;
	struct dm_irq *irq;
	int doorbell_fd;

	uint32_t scratch_port;

	uint8_t fifo[FIFO_SIZE];
	unsigned int fifo_head;	/* oldest byte */
	unsigned int fifo_len;
	uint32_t fifo_sum;
	uint32_t fifo_writes;

	struct log_entry log[LOG_SIZE];
	unsigned int log_head;
	unsigned int log_len;
	uint32_t log_meta;
	uint32_t log_pio_reads;

	uint16_t latch_value;
	uint8_t latch_mark;
	uint32_t latch_reads;

	int irq_level;
	uint32_t irq_acks;
	uint32_t doorbells;
	uint32_t errors;
	uint32_t power_button;  /* presses seen */

	uint8_t scratch_mem[SCRATCH_MEM_LEN];
};

static uint64_t all_ones(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static void count_error(struct testdev *t)
{
	t->errors++;
}

/* ------------------------------------------------------------- scratch */

/* Byte lanes, as pc-testdev: an access at offset o of size s covers bytes
 * o .. o + s - 1 of the register; lanes past its end read as 0xff. */
static uint64_t scratch_port_read(void *opaque, uint64_t offset,
				  unsigned int size)
{
	struct testdev *t = opaque;
	uint64_t v = 0;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t lane = offset + i;
		uint64_t b = lane < SCRATCH_PORT_LEN ?
			(t->scratch_port >> (lane * 8)) & 0xff : 0xff;

		v |= b << (i * 8);
	}
	return v;
}

static void scratch_port_write(void *opaque, uint64_t offset, uint64_t value,
			       unsigned int size)
{
	struct testdev *t = opaque;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t lane = offset + i;

		if (lane >= SCRATCH_PORT_LEN)
			break;
		t->scratch_port &= ~(0xffu << (lane * 8));
		t->scratch_port |= (uint32_t)((value >> (i * 8)) & 0xff)
				   << (lane * 8);
	}
}

static const struct dm_io_ops scratch_port_ops = {
	.read = scratch_port_read,
	.write = scratch_port_write,
};

static uint64_t scratch_mem_read(void *opaque, uint64_t offset,
				 unsigned int size)
{
	struct testdev *t = opaque;
	uint64_t v = 0;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		uint64_t b = offset + i < SCRATCH_MEM_LEN ?
			t->scratch_mem[offset + i] : 0xff;

		v |= b << (i * 8);
	}
	return v;
}

static void scratch_mem_write(void *opaque, uint64_t offset, uint64_t value,
			      unsigned int size)
{
	struct testdev *t = opaque;

	for (unsigned int i = 0; i < size && i < 8; i++) {
		if (offset + i >= SCRATCH_MEM_LEN)
			break;
		t->scratch_mem[offset + i] = (uint8_t)(value >> (i * 8));
	}
}

static const struct dm_io_ops scratch_mem_ops = {
	.read = scratch_mem_read,
	.write = scratch_mem_write,
};

/* ---------------------------------------------------------------- FIFO */

static void fifo_clear(struct testdev *t)
{
	t->fifo_head = 0;
	t->fifo_len = 0;
	t->fifo_sum = 0;
	t->fifo_writes = 0;
}

static void fifo_write(struct testdev *t, uint64_t value, unsigned int size)
{
	t->fifo_writes++;
	for (unsigned int i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(value >> (i * 8));

		if (t->fifo_len == FIFO_SIZE) {
			log_guest("testdev: FIFO full, %u byte(s) dropped",
				  size - i);
			t->errors += size - i;
			return;
		}
		t->fifo[(t->fifo_head + t->fifo_len) % FIFO_SIZE] = b;
		t->fifo_len++;
		t->fifo_sum += b;
	}
}

static uint64_t fifo_read(struct testdev *t, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++) {
		uint64_t b = 0xff;

		if (t->fifo_len) {
			b = t->fifo[t->fifo_head];
			t->fifo_head = (t->fifo_head + 1) % FIFO_SIZE;
			t->fifo_len--;
		} else {
			log_guest("testdev: read from an empty FIFO");
			count_error(t);
		}
		v |= b << (i * 8);
	}
	return v;
}

/* ----------------------------------------------------------------- log */

/* LOG_PIO reads LOG_COUNT: its read shadow follows every change. */
static void log_publish(struct testdev *t)
{
	dm_shadow_set(t->log_pio_range, 0, LOG_PIO_LEN, t->log_len);
}

static void log_clear(struct testdev *t)
{
	t->log_head = 0;
	t->log_len = 0;
	t->log_meta = 0;
	log_publish(t);
}

static void log_append(struct testdev *t, uint64_t value, uint32_t meta)
{
	if (t->log_len == LOG_SIZE) {
		log_guest("testdev: write log full, entry dropped");
		count_error(t);
		return;
	}
	t->log[(t->log_head + t->log_len) % LOG_SIZE] = (struct log_entry){
		.value = (uint32_t)value,
		.meta = meta,
	};
	t->log_len++;
	log_publish(t);
}

static uint32_t log_pop(struct testdev *t)
{
	struct log_entry e;

	if (!t->log_len) {
		log_guest("testdev: read from an empty write log");
		count_error(t);
		t->log_meta = 0;
		return ~0u;
	}
	e = t->log[t->log_head];
	t->log_head = (t->log_head + 1) % LOG_SIZE;
	t->log_len--;
	log_publish(t);
	t->log_meta = e.meta;
	return e.value;
}

static uint32_t log_meta(bool mmio, unsigned int size, uint64_t offset)
{
	return (mmio ? META_MMIO : 0) | (size & 0xf) << 24 |
	       (uint32_t)(offset & 0xffff);
}

static uint64_t log_pio_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct testdev *t = opaque;

	/* LOG_COUNT's bytes at the offset, as in the read shadow (the
	 * claim keeps offset + size within 4). */
	t->log_pio_reads++;
	return (t->log_len >> (8 * offset)) & all_ones(size);
}

static uint64_t log_mmio_read(void *opaque, uint64_t offset,
			      unsigned int size)
{
	struct testdev *t = opaque;

	(void)offset;
	return t->log_len & all_ones(size);
}

static void log_pio_write(void *opaque, uint64_t offset, uint64_t value,
			  unsigned int size)
{
	log_append(opaque, value, log_meta(false, size, offset));
}

static const struct dm_io_ops log_pio_ops = {
	.read = log_pio_read,
	.write = log_pio_write,
};

static void log_mmio_write(void *opaque, uint64_t offset, uint64_t value,
			   unsigned int size)
{
	log_append(opaque, value, log_meta(true, size, offset));
}

/* ------------------------------------------------------------- latch */

static uint32_t latch_bytes(const struct testdev *t)
{
	return t->latch_value | (uint32_t)t->latch_mark << 16 |
	       (uint32_t)LATCH_CONSTANT << 24;
}

static void latch_publish(struct testdev *t)
{
	dm_shadow_set(t->latch_range, 0, LATCH_LEN, latch_bytes(t));
	dm_shadow_latch(t->latch_range, 0, 2, true);
	dm_shadow_latch(t->latch_range, 3, 1, true);
}

static uint64_t latch_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct testdev *t = opaque;

	t->latch_reads++;
	return (latch_bytes(t) >> (8 * offset)) & all_ones(size);
}

static void latch_write(void *opaque, uint64_t offset, uint64_t value,
			unsigned int size)
{
	struct testdev *t = opaque;

	for (unsigned int i = 0; i < size && offset + i < LATCH_LEN; i++) {
		uint8_t b = (uint8_t)(value >> (8 * i));

		switch (offset + i) {
		case 0:
			t->latch_value = (uint16_t)((t->latch_value & 0xff00) |
						    b);
			break;
		case 1:
			t->latch_value = (uint16_t)((t->latch_value & 0x00ff) |
						    b << 8);
			break;
		case 2:
			t->latch_mark = b;
			t->latch_value = 0;
			break;
		}
	}
	latch_publish(t);
}

static const struct dm_io_ops latch_ops = {
	.read = latch_read,
	.write = latch_write,
};

static const struct dm_io_ops log_mmio_ops = {
	.read = log_mmio_read,
	.write = log_mmio_write,
};

/* ------------------------------------------------------------ commands */

/*
 * Never returns; for the hypervisor's "device model stopped answering"
 * path.  The device-model lock stays held, so the whole device model stops
 * serving I/O, as a deadlocked device would make it.  It sleeps in
 * FUTEX_WAIT_PRIVATE, the call a blocked pthread mutex makes, so the
 * sandbox allows it (nanosleep might not be).
 */
static void __attribute__((noreturn)) hang_forever(void)
{
	static uint32_t never;

	log_warn("testdev: hanging this ioreq thread on the guest's request");
	for (;;)
		syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, NULL, NULL,
			0);
}

static void forbidden_socket(void)
{
	int fd;

	log_warn("testdev: calling socket(2) on the guest's request");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	/* Only reached if the sandbox let the call through. */
	log_error("testdev: socket(2) was allowed (returned %d): the "
		  "seccomp sandbox is not in force", fd);
	if (fd >= 0)
		close(fd);
}

static void forbidden_execve(void)
{
	char *const argv[] = { (char *)"/nonexistent/hvmkit-testdev", NULL };
	char *const envp[] = { NULL };
	int r;

	log_warn("testdev: calling execve(2) on the guest's request");
	/* A path that does not exist: if the sandbox were missing the call
	 * fails with ENOENT rather than replacing the device model. */
	r = execve(argv[0], argv, envp);
	log_error("testdev: execve(2) was allowed (returned %d, %s): the "
		  "seccomp sandbox is not in force", r, strerror(errno));
}

static void run_command(struct testdev *t, uint32_t value)
{
	if (value >> 16 != COMMAND_MAGIC) {
		log_guest("testdev: COMMAND %#x without the 0x7e57 magic",
			  value);
		count_error(t);
		return;
	}
	switch (value & 0xffff) {
	case CMD_POWEROFF:
		log_info("testdev: guest requests power-off");
		dm_request_guest_poweroff(t->dm);
		break;
	case CMD_RESET:
		log_info("testdev: guest requests reset");
		dm_request_guest_reset(t->dm);
		break;
	case CMD_SOCKET:
		forbidden_socket();
		break;
	case CMD_EXECVE:
		forbidden_execve();
		break;
	case CMD_HANG:
		hang_forever();
	default:
		log_guest("testdev: unknown COMMAND %#x", value);
		count_error(t);
		break;
	}
}

/* ------------------------------------------------------------ registers */

static void irq_set_level(struct testdev *t, int level)
{
	t->irq_level = level;
	dm_irq_set(t->irq, level);
}

/* `hvmkit shutdown`: counted for the guest to poll, as an ACPI power
 * button sets PM1 PWRBTN_STS for the guest's SCI handler. */
static void testdev_power_button(void *opaque)
{
	struct testdev *t = opaque;

	t->power_button++;
}

static uint64_t regs_read(void *opaque, uint64_t offset, unsigned int size)
{
	struct testdev *t = opaque;
	uint32_t v;

	if (offset == REG_FIFO)
		return fifo_read(t, size);
	switch (offset) {
	case REG_ID:
		v = TESTDEV_ID;
		break;
	case REG_FIFO_LEN:
		v = t->fifo_len;
		break;
	case REG_FIFO_SUM:
		v = t->fifo_sum;
		break;
	case REG_FIFO_WRITES:
		v = t->fifo_writes;
		break;
	case REG_LOG_COUNT:
		v = t->log_len;
		break;
	case REG_LOG_READ:
		v = log_pop(t);
		break;
	case REG_LOG_META:
		v = t->log_meta;
		break;
	case REG_IRQ_LEVEL:
		v = (uint32_t)t->irq_level;
		break;
	case REG_IRQ_ACK:
		v = t->irq_acks;
		break;
	case REG_DOORBELLS:
		v = t->doorbells;
		break;
	case REG_ERRORS:
		v = t->errors;
		break;
	case REG_POWER_BUTTON:
		v = t->power_button;
		break;
	case REG_LOG_PIO_READS:
		v = t->log_pio_reads;
		break;
	case REG_LATCH_READS:
		v = t->latch_reads;
		break;
	default:
		log_guest("testdev: read of %u byte(s) at register offset "
			  "%#llx", size, (unsigned long long)offset);
		count_error(t);
		return all_ones(size);
	}
	return v & all_ones(size);
}

static void regs_write(void *opaque, uint64_t offset, uint64_t value,
		       unsigned int size)
{
	struct testdev *t = opaque;

	switch (offset) {
	case REG_FIFO:
		fifo_write(t, value, size);
		break;
	case REG_FIFO_LEN:
		fifo_clear(t);
		break;
	case REG_LOG_COUNT:
		log_clear(t);
		break;
	case REG_IRQ_LEVEL:
		irq_set_level(t, value & 1);
		break;
	case REG_IRQ_ACK:
		t->irq_acks++;
		if (value & 1)
			irq_set_level(t, 0);
		break;
	case REG_DOORBELLS:
		t->doorbells = 0;
		break;
	case REG_ERRORS:
		t->errors = 0;
		break;
	case REG_POWER_BUTTON:
		t->power_button = 0;
		break;
	case REG_LOG_PIO_READS:
		t->log_pio_reads = 0;
		break;
	case REG_LATCH_READS:
		t->latch_reads = 0;
		break;
	case REG_COMMAND:
		if (size != 4) {
			log_guest("testdev: %u-byte write to COMMAND", size);
			count_error(t);
			break;
		}
		run_command(t, (uint32_t)value);
		break;
	default:
		log_guest("testdev: write of %u byte(s) at register offset "
			  "%#llx", size, (unsigned long long)offset);
		count_error(t);
		break;
	}
}

static const struct dm_io_ops regs_ops = {
	.read = regs_read,
	.write = regs_write,
};

/* ------------------------------------------------------------- doorbell */

static void doorbell_ready(void *opaque, int fd, unsigned int events)
{
	struct testdev *t = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) == sizeof(n))
		t->doorbells += (uint32_t)n;
	else if (errno != EAGAIN && errno != EINTR)
		events |= DM_FD_HUP;
	if (events & DM_FD_HUP) {
		log_warn("testdev: doorbell eventfd failed; no longer counted");
		dm_fd_unwatch(t->dm, fd);
	}
}

/* ------------------------------------------------------------ lifecycle */

static void testdev_reset(void *opaque)
{
	struct testdev *t = opaque;

	t->scratch_port = 0;
	fifo_clear(t);
	log_clear(t);
	irq_set_level(t, 0);
	t->irq_acks = 0;
	t->doorbells = 0;
	t->errors = 0;
	t->log_pio_reads = 0;
	t->latch_value = 0;
	t->latch_mark = 0;
	t->latch_reads = 0;
	latch_publish(t);
	memset(t->scratch_mem, 0, sizeof(t->scratch_mem));
}

static void testdev_destroy(void *opaque)
{
	struct testdev *t = opaque;
	struct dm_range *ranges[] = {
		t->scratch_port_range, t->regs_range, t->log_pio_range,
		t->scratch_mem_range, t->log_mmio_range,
	};

	if (t->doorbell_fd >= 0) {
		dm_fd_unwatch(t->dm, t->doorbell_fd);
		close(t->doorbell_fd);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		if (ranges[i])
			dm_release(t->dm, ranges[i]);
	free(t);
}

/* Reads option key into *value, which must be within [min, max]. */
static int get_opt(const struct dm_opts *opts, const char *key, uint64_t def,
		   uint64_t min, uint64_t max, uint64_t *value)
{
	if (dm_opt_u64(opts, key, def, value) < 0)
		return -1;
	if (*value < min || *value > max) {
		log_error("testdev: %s=%s is out of range (%#llx-%#llx)", key,
			  dm_opt_get(opts, key), (unsigned long long)min,
			  (unsigned long long)max);
		return -1;
	}
	return 0;
}

static int testdev_claim(struct testdev *t, uint64_t port,
			 uint64_t scratch_port, uint64_t mmio)
{
	struct dm *dm = t->dm;

	t->scratch_port_range = dm_claim(dm, DM_SPACE_PIO, scratch_port,
					 SCRATCH_PORT_LEN, &scratch_port_ops,
					 t, 0, "testdev-scratch");
	t->regs_range = dm_claim(dm, DM_SPACE_PIO, port, REGS_LEN, &regs_ops,
				 t, 0, "testdev-regs");
	t->log_pio_range = dm_claim(dm, DM_SPACE_PIO, port + LOG_PIO_OFFSET,
				    LOG_PIO_LEN, &log_pio_ops, t,
				    DM_CLAIM_POSTED_WRITES | DM_CLAIM_SHADOWED,
				    "testdev-log-pio");
	t->scratch_mem_range = dm_claim(dm, DM_SPACE_MMIO, mmio,
					SCRATCH_MEM_LEN, &scratch_mem_ops, t,
					0, "testdev-scratch-mem");
	t->log_mmio_range = dm_claim_zone(dm, DM_SPACE_MMIO,
					  mmio + LOG_MMIO_OFFSET, LOG_MMIO_LEN,
					  LOG_MMIO_ZONE_OFF, LOG_MMIO_ZONE_LEN,
					  &log_mmio_ops, t, 0,
					  "testdev-log-mmio");
	t->latch_range = dm_claim(dm, DM_SPACE_PIO, port + LATCH_OFFSET,
				  LATCH_LEN, &latch_ops, t,
				  DM_CLAIM_POSTED_WRITES | DM_CLAIM_SHADOWED,
				  "testdev-latch");
	if (!t->scratch_port_range || !t->regs_range || !t->log_pio_range ||
	    !t->scratch_mem_range || !t->log_mmio_range || !t->latch_range) {
		log_error("testdev: cannot claim its ports and MMIO windows");
		return -1;
	}
	return 0;
}

static void *testdev_create(struct dm *dm, const struct dm_opts *opts)
{
	uint64_t port, scratch_port, mmio, gsi;
	struct testdev *t;

	if (get_opt(opts, "port", DEFAULT_PORT, 0, 0x10000 - PORT_SPAN,
		    &port) < 0 ||
	    get_opt(opts, "scratch_port", DEFAULT_SCRATCH_PORT, 0,
		    0x10000 - SCRATCH_PORT_LEN, &scratch_port) < 0 ||
	    get_opt(opts, "mmio", DEFAULT_MMIO, 0x100000,
		    0x100000000ull - MMIO_SPAN, &mmio) < 0 ||
	    dm_opt_u64(opts, "irq", DEFAULT_IRQ, &gsi) < 0)
		return NULL;
	if (gsi > MAX_GSI) {
		log_error("testdev: irq=%s is not a GSI (0-%d)",
			  dm_opt_get(opts, "irq"), MAX_GSI);
		return NULL;
	}
	if (mmio & 0xfff) {
		log_error("testdev: mmio=%#llx is not 4 KiB aligned",
			  (unsigned long long)mmio);
		return NULL;
	}

	t = calloc(1, sizeof(*t));
	if (!t) {
		log_error("testdev: out of memory");
		return NULL;
	}
	t->dm = dm;
	t->doorbell_fd = -1;

	if (testdev_claim(t, port, scratch_port, mmio) < 0)
		goto fail;
	t->irq = dm_irq_get(dm, (unsigned int)gsi, DM_IRQ_MODE_LEVEL);
	if (!t->irq) {
		log_error("testdev: cannot get level-triggered GSI %llu",
			  (unsigned long long)gsi);
		goto fail;
	}
	t->doorbell_fd = dm_ioeventfd(dm, DM_SPACE_PIO, port + DOORBELL_OFFSET,
				      DOORBELL_LEN, false, 0);
	if (t->doorbell_fd < 0) {
		log_error("testdev: cannot get an ioeventfd for port %#llx",
			  (unsigned long long)(port + DOORBELL_OFFSET));
		goto fail;
	}
	if (dm_fd_watch(dm, t->doorbell_fd, DM_FD_READ, doorbell_ready,
			t) < 0) {
		log_error("testdev: cannot watch the doorbell eventfd");
		goto fail;
	}
	dm_set_power_button(dm, testdev_power_button, t);
	log_info("testdev: registers at port %#llx, scratch port %#llx, "
		 "MMIO at %#llx, level IRQ on GSI %llu",
		 (unsigned long long)port, (unsigned long long)scratch_port,
		 (unsigned long long)mmio, (unsigned long long)gsi);
	return t;

fail:
	testdev_destroy(t);
	return NULL;
}

const struct device_ops testdev_device_ops = {
	.name = "testdev",
	.help = "port=0x2100,scratch_port=0xe0,mmio=0xff000000,irq=10 "
		"(test device for the tiny guests)",
	.create = testdev_create,
	.reset = testdev_reset,
	.destroy = testdev_destroy,
};
