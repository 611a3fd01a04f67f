/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the real hvmkit-devmodel binary against a fake hypervisor in
 * this process: a SOCK_SEQPACKET socketpair, a guest-RAM memfd and an
 * ioreq-area memfd, the control protocol of include/hvmkit/dm-proto.h and
 * the ioreq protocol of include/hvmkit/ioreq.h driven by hand.
 *
 * The binary is the one next to this test's build tree
 * (BUILD/tests/unit/test-dm-ioreq -> BUILD/hvmkit-devmodel), so the
 * sanitizer tree tests its own device model; HVMKIT_DEVMODEL overrides.
 * Waits are bounded (HANG_MS) only so that a broken device model fails a
 * test instead of hanging the suite; no test depends on how fast anything
 * is.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hvmkit/dm-proto.h"
#include "hvmkit/ioreq.h"

#define HANG_MS   10000
#define RAM_SIZE  (2u << 20)
#define NR_VCPUS  2

struct fake_hv {
	pid_t pid;
	int sock;
	int err_fd;               /* the device model's stderr */
	int ram_fd, ioreq_fd;
	uint8_t *area;
	uint32_t tx_seq, rx_seq;
	int status;               /* wait status once reaped */
	bool reaped;
	uint32_t serial_range;    /* range_id of the UART, if any */
	int irqfd[DM_MAX_GSI];    /* what the device model got, ours too */
	int resample_fd[DM_MAX_GSI];
};

static char devmodel_path[PATH_MAX];

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct ioreq_vcpu *slot(struct fake_hv *hv, unsigned int vcpu)
{
	return (struct ioreq_vcpu *)(hv->area + IOREQ_VCPU_OFFSET(vcpu));
}

/* ------------------------------------------------------ process */

static void spawn(struct fake_hv *hv, const char *const *extra)
{
	int sv[2], errp[2];
	const char *argv[16] = { devmodel_path, "--control-fd", "3" };
	unsigned int n = 3;

	if (access(devmodel_path, X_OK) != 0)
		fail_msg("%s: %s (make build/hvmkit-devmodel)", devmodel_path,
			 strerror(errno));
	for (; extra && *extra; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(pipe2(errp, O_CLOEXEC), 0);
	hv->pid = fork();
	assert_true(hv->pid >= 0);
	if (hv->pid == 0) {
		dup2(sv[1], 3);
		dup2(errp[1], 2);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(sv[1]);
	close(errp[1]);
	hv->sock = sv[0];
	hv->err_fd = errp[0];
	hv->reaped = false;
}

/* Waits for the device model to exit; returns its wait status. */
static int reap(struct fake_hv *hv)
{
	uint64_t end = now_ms() + HANG_MS;

	while (!hv->reaped) {
		pid_t p = waitpid(hv->pid, &hv->status, WNOHANG);

		if (p == hv->pid) {
			hv->reaped = true;
			break;
		}
		if (now_ms() > end) {
			kill(hv->pid, SIGKILL);
			waitpid(hv->pid, &hv->status, 0);
			hv->reaped = true;
			fail_msg("the device model did not exit");
		}
		usleep(1000);
	}
	return hv->status;
}

/* Everything the device model wrote on stderr (after it exited). */
static char *stderr_text(struct fake_hv *hv)
{
	static char buf[8192];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 &&
	       (n = read(hv->err_fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

static void finish(struct fake_hv *hv)
{
	if (hv->pid > 0 && !hv->reaped) {
		kill(hv->pid, SIGKILL);
		waitpid(hv->pid, NULL, 0);
	}
	if (hv->area)
		munmap(hv->area, IOREQ_AREA_SIZE(NR_VCPUS));
	close(hv->sock);
	close(hv->err_fd);
	if (hv->ram_fd > 0)
		close(hv->ram_fd);
	if (hv->ioreq_fd > 0)
		close(hv->ioreq_fd);
	for (unsigned int i = 0; i < DM_MAX_GSI; i++) {
		if (hv->irqfd[i] > 0)
			close(hv->irqfd[i]);
		if (hv->resample_fd[i] > 0)
			close(hv->resample_fd[i]);
	}
	memset(hv, 0, sizeof(*hv));
}

/* ------------------------------------------------------ messages */

static void send_msg(struct fake_hv *hv, uint16_t type, void *msg,
		     size_t len, const int *fds, unsigned int nr_fds)
{
	dm_msg_init(msg, len, type, ++hv->tx_seq);
	assert_int_equal(dm_msg_send(hv->sock, msg, len, fds, nr_fds,
				     MSG_NOSIGNAL), (ssize_t)len);
}

static uint32_t send_simple(struct fake_hv *hv, uint16_t type)
{
	struct dm_msg_hdr h;

	memset(&h, 0, sizeof(h));
	send_msg(hv, type, &h, sizeof(h), NULL, 0);
	return h.seq;
}

/* Receives one message (checked like the hypervisor would); 0 on EOF. */
static ssize_t recv_msg(struct fake_hv *hv, void *buf)
{
	struct pollfd pfd = { .fd = hv->sock, .events = POLLIN };
	const struct dm_msg_hdr *h = buf;
	ssize_t n;

	assert_int_equal(poll(&pfd, 1, HANG_MS), 1);
	n = recv(hv->sock, buf, DM_MSG_MAX, 0);
	assert_true(n >= 0);
	if (n == 0)
		return 0;
	assert_true((size_t)n >= sizeof(*h));
	assert_int_equal(h->magic, DM_PROTO_MAGIC);
	assert_int_equal(h->version, DM_PROTO_VERSION);
	assert_int_equal(h->len, n);
	assert_int_equal(h->seq, ++hv->rx_seq);
	return n;
}

static void expect_type(struct fake_hv *hv, uint16_t type, void *buf)
{
	struct dm_msg_hdr *h = buf;

	assert_true(recv_msg(hv, buf) > 0);
	assert_int_equal(h->type, type);
}

/* An ACK for request seq with the given status. */
static void expect_ack(struct fake_hv *hv, uint32_t seq, int status)
{
	union {
		struct dm_msg_status st;
		uint8_t raw[DM_MSG_MAX];
	} m;

	expect_type(hv, DM_MSG_ACK, &m);
	assert_int_equal(m.st.req_seq, seq);
	assert_int_equal(m.st.status, status);
}

/* The device model's ERROR line, then its exit with status 1. */
static void expect_error_exit(struct fake_hv *hv, const char *needle)
{
	union {
		struct dm_msg_text t;
		uint8_t raw[DM_MSG_MAX];
	} m;
	int st;

	for (;;) {
		assert_true(recv_msg(hv, &m) > 0);
		if (m.t.hdr.type == DM_MSG_ERROR)
			break;
	}
	assert_non_null(memchr(m.t.text, '\0', sizeof(m.t.text)));
	if (!strstr(m.t.text, needle))
		fail_msg("ERROR '%s' does not mention '%s'", m.t.text, needle);
	st = reap(hv);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	/* The hypervisor prints the error; the device model does not. */
	assert_string_equal(stderr_text(hv), "");
}

/* ------------------------------------------------------ setup */

static void make_memfds(struct fake_hv *hv)
{
	struct ioreq_area_header *h;
	size_t size = IOREQ_AREA_SIZE(NR_VCPUS);

	hv->ram_fd = memfd_create("test-ram", MFD_CLOEXEC);
	hv->ioreq_fd = memfd_create("test-ioreq", MFD_CLOEXEC);
	assert_true(hv->ram_fd > 0 && hv->ioreq_fd > 0);
	assert_int_equal(ftruncate(hv->ram_fd, RAM_SIZE), 0);
	assert_int_equal(ftruncate(hv->ioreq_fd, (off_t)size), 0);
	hv->area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			hv->ioreq_fd, 0);
	assert_true(hv->area != MAP_FAILED);
	h = (struct ioreq_area_header *)hv->area;
	h->magic = IOREQ_MAGIC;
	h->version = IOREQ_VERSION;
	h->nr_vcpus = NR_VCPUS;
	h->vcpu_stride = (uint32_t)IOREQ_VCPU_STRIDE;
}

static void send_setup(struct fake_hv *hv, uint64_t ioreq_size)
{
	struct dm_msg_setup s;
	int fds[2] = { hv->ram_fd, hv->ioreq_fd };

	memset(&s, 0, sizeof(s));
	s.nr_vcpus = NR_VCPUS;
	s.nr_ram_blocks = 1;
	s.ram_fd_size = RAM_SIZE;
	s.ioreq_size = ioreq_size;
	s.ram[0].gpa = 0;
	s.ram[0].size = RAM_SIZE;
	s.ram[0].offset = 0;
	send_msg(hv, DM_MSG_SETUP, &s, sizeof(s), fds, 2);
}

/* Answers the device model's setup requests until READY. */
static void run_until_ready(struct fake_hv *hv)
{
	union {
		struct dm_msg_hdr h;
		struct dm_msg_irq_req irq;
		struct dm_msg_range range;
		uint8_t raw[DM_MSG_MAX];
	} m;

	for (;;) {
		assert_true(recv_msg(hv, &m) > 0);
		if (m.h.type == DM_MSG_READY)
			return;
		if (m.h.type == DM_MSG_ERROR)
			fail_msg("device model setup failed: %s",
				 (char *)m.raw + sizeof(m.h));
		if (m.h.type == DM_MSG_IRQ_REQ) {
			struct dm_msg_fds f;
			int fds[2];
			unsigned int nr = m.irq.trigger == DM_IRQ_LEVEL ? 2 :
									 1;

			assert_true(m.irq.gsi < DM_MAX_GSI);
			assert_int_equal(hv->irqfd[m.irq.gsi], 0);
			for (unsigned int i = 0; i < nr; i++)
				fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			memset(&f, 0, sizeof(f));
			f.req_seq = m.h.seq;
			f.nr_fds = nr;
			send_msg(hv, DM_MSG_FDS, &f, sizeof(f), fds, nr);
			hv->irqfd[m.irq.gsi] = fds[0];
			if (nr == 2)
				hv->resample_fd[m.irq.gsi] = fds[1];
		} else if (m.h.type == DM_MSG_IOEVENTFD_REQ) {
			struct dm_msg_fds f = { .req_seq = m.h.seq,
						.nr_fds = 1 };
			int fd = eventfd(0, EFD_CLOEXEC);

			send_msg(hv, DM_MSG_FDS, &f, sizeof(f), &fd, 1);
			close(fd);
		} else if (m.h.type == DM_MSG_CLAIM_RANGE &&
			   m.range.space == IOREQ_TYPE_PIO &&
			   m.range.base == 0x3f8) {
			hv->serial_range = m.range.range_id;
		}
	}
}

static void start(struct fake_hv *hv, const char *const *extra)
{
	memset(hv, 0, sizeof(*hv));
	make_memfds(hv);
	spawn(hv, extra);
	send_setup(hv, IOREQ_AREA_SIZE(NR_VCPUS));
	run_until_ready(hv);
}

/* ------------------------------------------------------ ioreqs */

static void ring_doorbell(struct ioreq_vcpu *s)
{
	__atomic_fetch_add(&s->doorbell, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&s->dm_sleeping, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &s->doorbell, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* One synchronous request on vCPU v's slot; returns the response. */
static struct ioreq sync_req(struct fake_hv *hv, unsigned int v,
			     struct ioreq req)
{
	struct ioreq_vcpu *s = slot(hv, v);
	uint64_t end = now_ms() + HANG_MS;
	struct ioreq resp;

	assert_int_equal(__atomic_load_n(&s->state, __ATOMIC_ACQUIRE),
			 IOREQ_STATE_IDLE);
	s->req = req;
	__atomic_store_n(&s->state, IOREQ_STATE_READY, __ATOMIC_SEQ_CST);
	ring_doorbell(s);
	__atomic_store_n(&s->hv_sleeping, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&s->state, __ATOMIC_SEQ_CST) !=
	       IOREQ_STATE_DONE) {
		struct timespec ts = { .tv_nsec = 10000000 };

		if (now_ms() > end)
			fail_msg("no answer to an ioreq");
		syscall(SYS_futex, &s->state, FUTEX_WAIT, IOREQ_STATE_READY,
			&ts, NULL, 0);
	}
	__atomic_store_n(&s->hv_sleeping, 0, __ATOMIC_RELAXED);
	resp = s->req;
	__atomic_store_n(&s->state, IOREQ_STATE_IDLE, __ATOMIC_RELEASE);
	return resp;
}

static uint64_t io_read(struct fake_hv *hv, uint32_t type, uint64_t addr,
			uint32_t size, uint32_t range_id)
{
	struct ioreq r = { .addr = addr, .size = size, .count = 1,
			   .type = type, .dir = IOREQ_READ,
			   .range_id = range_id };

	return sync_req(hv, 0, r).data;
}

/* Queues a posted write without ringing the doorbell. */
static void post_quietly(struct fake_hv *hv, unsigned int v, uint64_t addr,
			 uint64_t data, uint32_t size, uint32_t range_id)
{
	struct ioreq_vcpu *s = slot(hv, v);
	uint32_t head = s->posted_head;
	struct ioreq_posted *p = &s->posted[head % IOREQ_POSTED_SLOTS];

	assert_true(head - __atomic_load_n(&s->posted_tail,
					   __ATOMIC_ACQUIRE) <
		    IOREQ_POSTED_SLOTS);
	p->addr = addr;
	p->data = data;
	p->size = size;
	p->type = IOREQ_TYPE_PIO;
	p->range_id = range_id;
	__atomic_store_n(&s->posted_head, head + 1, __ATOMIC_RELEASE);
}

/* -------------------------------------------------------------- tests */

static void test_bad_argument_is_one_line_and_status_2(void **state)
{
	static const char *const args[] = { "--device", "nosuch", NULL };
	struct fake_hv hv;
	const char *text, *nl;
	int st;

	(void)state;
	memset(&hv, 0, sizeof(hv));
	spawn(&hv, args);
	st = reap(&hv);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	text = stderr_text(&hv);
	assert_non_null(strstr(text, "nosuch"));
	nl = strchr(text, '\n');
	assert_non_null(nl);
	assert_string_equal(nl + 1, "");
	finish(&hv);
}

static bool status_has(pid_t pid, const char *line)
{
	char path[64], buf[4096];
	FILE *f;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, line, strlen(line)))
			found = true;
	fclose(f);
	return found;
}

static void test_ready_sandboxed_and_quit_exits_0(void **state)
{
	struct fake_hv hv;
	int st;

	(void)state;
	start(&hv, NULL);
	/* After READY every thread runs under the seccomp filter. */
	assert_true(status_has(hv.pid, "NoNewPrivs:\t1"));
	assert_true(status_has(hv.pid, "Seccomp:\t2"));
	send_simple(&hv, DM_MSG_QUIT);
	st = reap(&hv);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(stderr_text(&hv), "");
	finish(&hv);
}

static void test_eof_exits_0(void **state)
{
	struct fake_hv hv;
	int st;

	(void)state;
	start(&hv, NULL);
	shutdown(hv.sock, SHUT_RDWR);
	st = reap(&hv);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	finish(&hv);
}

static void test_unclaimed_accesses_read_all_ones(void **state)
{
	struct fake_hv hv;
	struct ioreq r;

	(void)state;
	start(&hv, NULL);
	/* PCI 3.0 6.1: a function that is not there reads all ones. */
	r = sync_req(&hv, 0, (struct ioreq){
		.addr = IOREQ_PCI_ADDR(0x18, 0), .size = 4, .count = 1,
		.type = IOREQ_TYPE_PCI_CONFIG, .dir = IOREQ_READ });
	assert_int_equal(r.data, 0xffffffffu);
	/* Only READY was sent so far. */
	assert_int_equal(r.ctl_seq, 1);
	assert_int_equal(io_read(&hv, IOREQ_TYPE_PIO, 0x510, 2, 0), 0xffff);
	assert_int_equal(io_read(&hv, IOREQ_TYPE_PIO, 0x511, 1, 77), 0xff);
	assert_true(io_read(&hv, IOREQ_TYPE_MMIO, 0xfebf0000, 8, 0) ==
		    ~0ull);
	/* Writes are dropped, and answered. */
	sync_req(&hv, 1, (struct ioreq){ .addr = 0x510, .data = 5,
		.size = 1, .count = 1, .type = IOREQ_TYPE_PIO,
		.dir = IOREQ_WRITE });
	/* REP INSW of 16 items: every item all ones. */
	memset(slot(&hv, 1)->buf, 0, 64);
	sync_req(&hv, 1, (struct ioreq){ .addr = 0x510, .size = 2,
		.count = 16, .type = IOREQ_TYPE_PIO, .dir = IOREQ_READ });
	for (unsigned int i = 0; i < 32; i++)
		assert_int_equal(slot(&hv, 1)->buf[i], 0xff);
	assert_int_equal(slot(&hv, 1)->buf[32], 0);
	send_simple(&hv, DM_MSG_QUIT);
	assert_int_equal(reap(&hv), 0);
	finish(&hv);
}

static void test_posted_writes_drained_before_a_request(void **state)
{
	struct fake_hv hv;
	struct ioreq_vcpu *s;

	(void)state;
	start(&hv, NULL);
	s = slot(&hv, 0);
	for (unsigned int i = 0; i < 5; i++)
		post_quietly(&hv, 0, 0x600 + i, i, 1, 0);
	io_read(&hv, IOREQ_TYPE_PIO, 0x600, 1, 0);
	assert_int_equal(__atomic_load_n(&s->posted_tail, __ATOMIC_ACQUIRE),
			 s->posted_head);
	send_simple(&hv, DM_MSG_QUIT);
	assert_int_equal(reap(&hv), 0);
	finish(&hv);
}

static void test_lifecycle_requests_are_acked(void **state)
{
	struct fake_hv hv;
	uint32_t seq;

	(void)state;
	start(&hv, NULL);
	seq = send_simple(&hv, DM_MSG_PAUSE);
	expect_ack(&hv, seq, 0);
	seq = send_simple(&hv, DM_MSG_RESUME);
	expect_ack(&hv, seq, 0);
	/* No device registered a power button. */
	seq = send_simple(&hv, DM_MSG_POWER_BUTTON);
	expect_ack(&hv, seq, -ENOTSUP);
	post_quietly(&hv, 1, 0x600, 1, 1, 0);
	seq = send_simple(&hv, DM_MSG_RESET);
	expect_ack(&hv, seq, 0);
	/* RESET delivered the posted write first. */
	assert_int_equal(slot(&hv, 1)->posted_tail, slot(&hv, 1)->posted_head);
	send_simple(&hv, DM_MSG_QUIT);
	assert_int_equal(reap(&hv), 0);
	finish(&hv);
}

/* With the UART (COM1): claims, an IRQ line, and posted writes that land
 * before a later read (the scratch register, 16550 offset 7). */
static void test_serial_posted_write_ordering(void **state)
{
	static const char *const args[] = { "--serial", "none", NULL };
	struct fake_hv hv;

	(void)state;
	start(&hv, args);
	assert_int_not_equal(hv.serial_range, 0);
	post_quietly(&hv, 0, 0x3ff, 0xa5, 1, hv.serial_range);
	assert_int_equal(io_read(&hv, IOREQ_TYPE_PIO, 0x3ff, 1,
				 hv.serial_range), 0xa5);
	for (unsigned int i = 1; i <= 3; i++)
		post_quietly(&hv, 0, 0x3ff, i, 1, hv.serial_range);
	/* A stale range id is only a hint: found by address. */
	assert_int_equal(io_read(&hv, IOREQ_TYPE_PIO, 0x3ff, 1, 999), 3);
	send_simple(&hv, DM_MSG_QUIT);
	assert_int_equal(reap(&hv), 0);
	finish(&hv);
}

/* The console backends' exit paths (a unix socket is removed, a terminal
 * restored) run under the sandbox: QUIT still ends in exit status 0, not
 * in a seccomp kill. */
static void test_quit_with_a_unix_console_exits_0(void **state)
{
	char spec[64];
	const char *args[] = { "--serial", spec, NULL };
	struct fake_hv hv;
	int st;

	(void)state;
	snprintf(spec, sizeof(spec), "unix:/tmp/test-dm-ioreq.%d.sock",
		 (int)getpid());
	start(&hv, args);
	send_simple(&hv, DM_MSG_QUIT);
	st = reap(&hv);
	unlink(spec + 5);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	finish(&hv);
}

static void io_write(struct fake_hv *hv, uint64_t port, uint64_t v)
{
	sync_req(hv, 0, (struct ioreq){ .addr = port, .data = v, .size = 4,
		.count = 1, .type = IOREQ_TYPE_PIO, .dir = IOREQ_WRITE });
}

/* How often the irqfd was written since the last look; waits (bounded)
 * for at least want writes. */
static uint64_t irqfd_writes(int fd, uint64_t want)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t v = 0;

	if (want)
		assert_int_equal(poll(&pfd, 1, HANG_MS), 1);
	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* A level line (the test device's, GSI 10): asserted once when raised,
 * asserted again at each resample (the guest's EOI) while still high,
 * and left alone at a resample once lowered. */
static void test_level_irq_resample(void **state)
{
	static const char *const args[] = { "--device", "testdev", NULL };
	const uint64_t irq_level = 0x2120, scratch = 0xe0;
	struct fake_hv hv;
	uint64_t one = 1;
	int irqfd, resample;

	(void)state;
	start(&hv, args);
	irqfd = hv.irqfd[10];
	resample = hv.resample_fd[10];
	assert_true(irqfd > 0 && resample > 0);
	assert_int_equal(irqfd_writes(irqfd, 0), 0);
	io_write(&hv, irq_level, 1);
	assert_int_equal(irqfd_writes(irqfd, 1), 1);
	io_write(&hv, irq_level, 1); /* no edge: no write */
	assert_int_equal(write(resample, &one, sizeof(one)), sizeof(one));
	assert_int_equal(irqfd_writes(irqfd, 1), 1);
	io_write(&hv, irq_level, 0);
	assert_int_equal(write(resample, &one, sizeof(one)), sizeof(one));
	/* The resample is handled on the device model's main thread; a
	 * PAUSE answered after it is handled orders the check after it. */
	expect_ack(&hv, send_simple(&hv, DM_MSG_PAUSE), 0);
	io_read(&hv, IOREQ_TYPE_PIO, scratch, 1, 0);
	assert_int_equal(irqfd_writes(irqfd, 0), 0);
	send_simple(&hv, DM_MSG_QUIT);
	assert_int_equal(reap(&hv), 0);
	finish(&hv);
}

/* A one-byte write to the UART: synchronous (the answer returned), or
 * posted with the doorbell rung. */
static struct ioreq uart_write(struct fake_hv *hv, uint64_t port,
			       uint8_t v)
{
	return sync_req(hv, 0, (struct ioreq){ .addr = port, .data = v,
		.size = 1, .count = 1, .type = IOREQ_TYPE_PIO,
		.dir = IOREQ_WRITE, .range_id = hv->serial_range });
}

/* An edge line (the UART's, GSI 4) raised while the device model handles
 * a synchronous request comes back in the answer, for the hypervisor to
 * raise before the vCPU goes on, and its irqfd stays quiet; raised by a
 * posted write, which has no answer, it goes through the irqfd. */
static void test_edge_irq_in_the_answer(void **state)
{
	static const char *const args[] = { "--serial", "none", NULL };
	const uint64_t ier = 0x3f9, iir = 0x3fa, mcr = 0x3fc;
	struct fake_hv hv;
	int irqfd;

	(void)state;
	start(&hv, args);
	irqfd = hv.irqfd[4];
	assert_true(irqfd > 0);
	assert_int_equal(uart_write(&hv, mcr, 0x08).edge_gsis, 0); /* OUT2 */
	/* THR empty interrupt enabled: the line rises in this request. */
	assert_int_equal(uart_write(&hv, ier, 0x02).edge_gsis, 1u << 4);
	assert_int_equal(irqfd_writes(irqfd, 0), 0);
	/* Reading IIR acknowledges THRE; an answer without edges. */
	assert_int_equal(io_read(&hv, IOREQ_TYPE_PIO, iir, 1,
				 hv.serial_range) & 0x0f, 0x02);
	assert_int_equal(uart_write(&hv, ier, 0x00).edge_gsis, 0);
	/* Posted: the rising edge reaches the irqfd. */
	post_quietly(&hv, 0, ier, 0x02, 1, hv.serial_range);
	ring_doorbell(slot(&hv, 0));
	assert_int_equal(irqfd_writes(irqfd, 1), 1);
	assert_int_equal(io_read(&hv, IOREQ_TYPE_PIO, ier, 1,
				 hv.serial_range), 0x02);
	send_simple(&hv, DM_MSG_QUIT);
	assert_int_equal(reap(&hv), 0);
	finish(&hv);
}

static void test_bad_control_message_is_fatal(void **state)
{
	struct fake_hv hv;
	struct dm_msg_hdr h;

	(void)state;
	start(&hv, NULL);
	memset(&h, 0, sizeof(h));
	send_msg(&hv, DM_MSG_PAUSE, &h, sizeof(h), NULL, 0);
	expect_ack(&hv, h.seq, 0);
	/* Right header, wrong length for its type. */
	{
		uint8_t big[sizeof(h) + 8];

		memset(big, 0, sizeof(big));
		send_msg(&hv, DM_MSG_RESUME, big, sizeof(big), NULL, 0);
	}
	expect_error_exit(&hv, "protocol error");
	finish(&hv);
}

static void test_oversized_message_is_fatal(void **state)
{
	struct fake_hv hv;
	uint8_t big[DM_MSG_MAX + 64];

	(void)state;
	start(&hv, NULL);
	memset(big, 0, sizeof(big));
	/* The header's 16-bit len wraps; the packet is what counts. */
	send_msg(&hv, DM_MSG_PAUSE, big, sizeof(big), NULL, 0);
	expect_error_exit(&hv, "longer than");
	finish(&hv);
}

static void test_unexpected_fd_is_fatal(void **state)
{
	struct fake_hv hv;
	struct dm_msg_hdr h;
	int fd = eventfd(0, EFD_CLOEXEC);

	(void)state;
	start(&hv, NULL);
	memset(&h, 0, sizeof(h));
	send_msg(&hv, DM_MSG_RESUME, &h, sizeof(h), &fd, 1);
	close(fd);
	expect_error_exit(&hv, "descriptors");
	finish(&hv);
}

static void test_bad_ioreq_is_fatal(void **state)
{
	struct fake_hv hv;
	struct ioreq_vcpu *s;

	(void)state;
	start(&hv, NULL);
	s = slot(&hv, 1);
	s->req = (struct ioreq){ .addr = 0x510, .size = 3, .count = 1,
				 .type = IOREQ_TYPE_PIO, .dir = IOREQ_READ };
	__atomic_store_n(&s->state, IOREQ_STATE_READY, __ATOMIC_SEQ_CST);
	ring_doorbell(s);
	expect_error_exit(&hv, "bad access size");
	assert_int_equal(s->state, IOREQ_STATE_READY); /* never answered */
	finish(&hv);
}

static void test_bad_setup_is_reported_not_printed(void **state)
{
	struct fake_hv hv;

	(void)state;
	memset(&hv, 0, sizeof(hv));
	make_memfds(&hv);
	spawn(&hv, NULL);
	send_setup(&hv, IOREQ_AREA_SIZE(NR_VCPUS) + 4096);
	expect_error_exit(&hv, "ioreq area");
	finish(&hv);
}

static void test_device_error_is_reported_not_printed(void **state)
{
	static const char *const args[] = {
		"--device", "serial,backend=none,bogus=1", NULL };
	struct fake_hv hv;

	(void)state;
	memset(&hv, 0, sizeof(hv));
	make_memfds(&hv);
	spawn(&hv, args);
	send_setup(&hv, IOREQ_AREA_SIZE(NR_VCPUS));
	/* Setup requests are answered until the error comes. */
	for (;;) {
		union {
			struct dm_msg_hdr h;
			struct dm_msg_irq_req irq;
			char text[DM_MSG_MAX];
		} m;

		assert_true(recv_msg(&hv, &m) > 0);
		if (m.h.type == DM_MSG_ERROR) {
			assert_non_null(strstr(m.text + sizeof(m.h),
					       "bogus"));
			break;
		}
		if (m.h.type == DM_MSG_IRQ_REQ) {
			struct dm_msg_fds f = { .req_seq = m.h.seq,
						.nr_fds = 1 };
			int fd = eventfd(0, EFD_CLOEXEC);

			if (m.irq.trigger == DM_IRQ_LEVEL)
				fail_msg("the UART's line is edge-triggered");
			send_msg(&hv, DM_MSG_FDS, &f, sizeof(f), &fd, 1);
			close(fd);
		}
		assert_int_not_equal(m.h.type, DM_MSG_READY);
	}
	assert_int_equal(WEXITSTATUS(reap(&hv)), 1);
	assert_string_equal(stderr_text(&hv), "");
	finish(&hv);
}

/* ------------------------------------------------------ drives */

static void test_drive_errors_are_reported(void **state)
{
	char spec[96];
	const char *const missing[] = {
		"--drive", "vdev=hda,target=/nonexistent/a.img", NULL };
	const char *const unclaimed[] = { "--drive", spec, NULL };
	struct fake_hv hv;
	int fd;

	(void)state;
	memset(&hv, 0, sizeof(hv));
	make_memfds(&hv);
	spawn(&hv, missing);
	send_setup(&hv, IOREQ_AREA_SIZE(NR_VCPUS));
	expect_error_exit(&hv, "disk hda: /nonexistent/a.img: No such file");
	finish(&hv);

	/* Without --machine pc no device serves hda. */
	snprintf(spec, sizeof(spec), "vdev=hda,target=/tmp/hvmkit-test-"
		 "drive.XXXXXX");
	fd = mkstemp(spec + strlen("vdev=hda,target="));
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	memset(&hv, 0, sizeof(hv));
	make_memfds(&hv);
	spawn(&hv, unclaimed);
	send_setup(&hv, IOREQ_AREA_SIZE(NR_VCPUS));
	expect_error_exit(&hv, "disk hda: no controller for this vdev");
	finish(&hv);
	unlink(spec + strlen("vdev=hda,target="));
}

/* MEDIA after READY (sandboxed): refused with a reason for a drive that
 * is not there, the descriptor it brought closed, the device model
 * running on. */
static void test_media_change_is_answered(void **state)
{
	struct fake_hv hv;
	struct dm_msg_media m;
	union {
		struct dm_msg_media_ack a;
		uint8_t raw[DM_MSG_MAX];
	} r;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	start(&hv, NULL);
	memset(&m, 0, sizeof(m));
	strcpy(m.vdev, "hdc");
	m.insert = 1;
	strcpy(m.path, "/isos/x.iso");
	send_msg(&hv, DM_MSG_MEDIA, &m, sizeof(m), &fd, 1);
	expect_type(&hv, DM_MSG_MEDIA_ACK, &r);
	assert_int_equal(r.a.req_seq, m.hdr.seq);
	assert_int_equal(r.a.status, -ENODEV);
	assert_string_equal(r.a.text, "no drive hdc");
	m.insert = 0;
	m.path[0] = '\0';
	send_msg(&hv, DM_MSG_MEDIA, &m, sizeof(m), NULL, 0);
	expect_type(&hv, DM_MSG_MEDIA_ACK, &r);
	assert_int_equal(r.a.status, -ENODEV);
	/* Still serving. */
	expect_ack(&hv, send_simple(&hv, DM_MSG_PAUSE), 0);
	/* An insert without its descriptor is a protocol error. */
	m.insert = 1;
	send_msg(&hv, DM_MSG_MEDIA, &m, sizeof(m), NULL, 0);
	expect_error_exit(&hv, "MEDIA came with 0 descriptors");
	finish(&hv);
	close(fd);
}

static void find_devmodel(void)
{
	const char *env = getenv("HVMKIT_DEVMODEL");
	char self[PATH_MAX - 32];
	ssize_t n;
	char *slash;

	if (env) {
		snprintf(devmodel_path, sizeof(devmodel_path), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	/* BUILD/tests/unit -> BUILD */
	snprintf(devmodel_path, sizeof(devmodel_path),
		 "%s/../../hvmkit-devmodel", self);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_argument_is_one_line_and_status_2),
		cmocka_unit_test(test_ready_sandboxed_and_quit_exits_0),
		cmocka_unit_test(test_eof_exits_0),
		cmocka_unit_test(test_unclaimed_accesses_read_all_ones),
		cmocka_unit_test(test_posted_writes_drained_before_a_request),
		cmocka_unit_test(test_lifecycle_requests_are_acked),
		cmocka_unit_test(test_serial_posted_write_ordering),
		cmocka_unit_test(test_quit_with_a_unix_console_exits_0),
		cmocka_unit_test(test_level_irq_resample),
		cmocka_unit_test(test_edge_irq_in_the_answer),
		cmocka_unit_test(test_bad_control_message_is_fatal),
		cmocka_unit_test(test_oversized_message_is_fatal),
		cmocka_unit_test(test_unexpected_fd_is_fatal),
		cmocka_unit_test(test_bad_ioreq_is_fatal),
		cmocka_unit_test(test_bad_setup_is_reported_not_printed),
		cmocka_unit_test(test_device_error_is_reported_not_printed),
		cmocka_unit_test(test_drive_errors_are_reported),
		cmocka_unit_test(test_media_change_is_answered),
	};

	signal(SIGPIPE, SIG_IGN);
	if (getenv("TEST_FILTER")) /* e.g. TEST_FILTER='*serial*' */
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	find_devmodel();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
