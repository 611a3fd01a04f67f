/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vCPU threads: one per vCPU, looping on KVM_RUN and dispatching exits. */
#ifndef HVMKIT_VCPU_H
#define HVMKIT_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hvmkit/log.h"

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id;          /* also its APIC ID */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	atomic_ullong *exits;     /* in struct vm: survives resets */
	/* Control message a device-model answer depends on (0: none); the
	 * vCPU waits for it before re-entering the guest (ioreq.h). */
	uint32_t dm_ctl_seq;
	void *coalesced_ring;     /* KVM's coalesced MMIO ring, or NULL */
};

/* Creates vCPU id with the CPUID policy applied; the vCPU starts in the
 * architectural reset state, the BSP runnable and APs waiting for SIPI. */
int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id);
void vcpu_destroy(struct vcpu *v);

/* Signal used to kick vCPU threads out of KVM_RUN; must be handled (not
 * ignored) process-wide before vcpu_start(). */
#define VCPU_KICK_SIGNAL SIGUSR1
void vcpu_install_kick_handler(void);

int vcpu_start(struct vcpu *v);
/* Logs the vCPU's CS:RIP and control registers (thread must be stopped). */
void vcpu_log_state(struct vcpu *v, enum log_level level, const char *what);
/* Makes the thread leave KVM_RUN and notice a stop or reset request. */
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
/* One MMIO access of len (1-8) bytes from vCPU vcpu, split into bus-width
 * pieces when KVM hands over an odd-sized fragment. */
void vcpu_mmio_access(struct vm *vm, unsigned int vcpu, uint64_t addr,
		      uint8_t *data, unsigned int len, bool is_write);

#endif
