/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hypervisor's end of the ioreq transport (include/hvmkit/ioreq.h):
 * the shared area, and sending one access from a vCPU thread to the device
 * model, synchronously or as a posted write.
 */
#ifndef HVMKIT_IOREQ_CLIENT_H
#define HVMKIT_IOREQ_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvmkit/ioreq.h"

struct vm;

struct ioreq_client {
	int fd;                /* memfd of the area, handed to the DM */
	uint8_t *area;
	size_t size;
	unsigned int nr_vcpus;
};

int ioreq_client_create(struct ioreq_client *c, unsigned int nr_vcpus);
void ioreq_client_destroy(struct ioreq_client *c);
struct ioreq_vcpu *ioreq_client_slot(const struct ioreq_client *c,
				     unsigned int vcpu);
/* Wakes every vCPU sleeping on a slot (device model died, VM stopping). */
void ioreq_client_wake_all(const struct ioreq_client *c);

/*
 * Sends req from vCPU vcpu and waits for the answer.  For reads, data gets
 * size * count bytes.  Returns 0, or -1 if the device model failed or the
 * VM is stopping (data then reads as all ones); *ctl_seq gets the
 * response's ctl_seq.
 */
int ioreq_send_sync(struct vm *vm, unsigned int vcpu, const struct ioreq *req,
		    uint8_t *data, uint32_t *ctl_seq);
/*
 * Answers a read of len bytes at offset off of the claim (range_id, base)
 * from its read shadow (ioreq.h), if that is allowed now: true and data
 * and *ctl_seq filled, or false (send the read synchronously).
 */
bool ioreq_shadow_read(struct vm *vm, uint32_t range_id, uint64_t base,
		       unsigned int off, unsigned int len, uint8_t *data,
		       uint32_t *ctl_seq);

/* CLOCK_MONOTONIC in nanoseconds (for thread_may_spin). */
uint64_t ioreq_clock_ns(void);

enum ioreq_write_kind {
	IOREQ_WRITE_POSTED,   /* an ordinary posted write */
	IOREQ_WRITE_LATCH,    /* posted, flagged IOREQ_POSTED_LATCH */
	IOREQ_WRITE_SYNC,     /* rings a doorbell: send it synchronously */
};
/* How to send a write of len bytes (data) at offset off of the posted,
 * shadowed claim (range_id, base) (ioreq.h, "Latches" and "Doorbells"). */
enum ioreq_write_kind ioreq_classify_write(struct vm *vm, uint32_t range_id,
					   uint64_t base, unsigned int off,
					   unsigned int len,
					   const uint8_t *data);
/* Queues a write that needs no answer, with IOREQ_POSTED_* flags; false
 * if the ring is full (send it synchronously then, which keeps the
 * order). */
bool ioreq_send_posted(struct vm *vm, unsigned int vcpu,
		       const struct ioreq *req, uint32_t flags);

#endif
