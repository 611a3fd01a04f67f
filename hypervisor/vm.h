/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One guest: the KVM VM, its memory, in-kernel interrupt controllers and
 * PIT, the vCPUs, the I/O handler registries, and the stop/reset requests
 * that vCPU threads raise and the main thread carries out.
 */
#ifndef HVMKIT_VM_H
#define HVMKIT_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpuid.h"
#include "guest-memory.h"
#include "iobus.h"

#define VM_MAX_VCPUS 255 /* xAPIC IDs; 0xff is the broadcast ID */

enum triple_fault_policy {
	TRIPLE_FAULT_STOP,  /* stop the guest, exit status "crashed" */
	TRIPLE_FAULT_RESET, /* reset the machine, as a PC does */
};

struct vm_config {
	const char *firmware;
	uint64_t ram_size;
	unsigned int nr_vcpus;
	enum triple_fault_policy on_triple_fault;
	FILE *debugcon;       /* sink for the debug-console ports */
};

/* Why the VM stopped; also picks the hypervisor's exit status. */
enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_TEST_EXIT,    /* guest wrote the test-exit port */
	VM_STOP_CRASH,        /* triple fault (policy stop), emulation error */
	VM_STOP_SIGNAL,       /* SIGINT/SIGTERM/SIGHUP */
	VM_STOP_ERROR,        /* a host-side failure */
};

/* Exit statuses of hvmkit-hypervisor (documented in its man page). */
#define EXIT_HOST_ERROR  1
#define EXIT_USAGE       2
#define EXIT_GUEST_CRASH 3

struct vcpu;

struct vm {
	struct vm_config cfg;
	int kvm_fd;
	int vm_fd;
	int run_size;              /* mmap size of struct kvm_run */
	unsigned int max_vcpus;    /* what this host's KVM allows */
	struct guest_memory mem;
	struct cpuid_table supported_cpuid;
	struct iobus pio;
	struct iobus mmio;
	struct vcpu *vcpus;
	atomic_ullong *vcpu_exits; /* per vCPU, across resets */

	int event_fd;              /* wakes the main thread on a request */
	atomic_int stop_reason;    /* enum vm_stop_reason, first one wins */
	int exit_status;
	atomic_bool reset_pending;
	atomic_uint resets;        /* how many times the guest was reset */
	atomic_uchar post_code;    /* last value written to port 0x80 */
};

/* Prepares an empty VM for cfg; vm_destroy() is safe after it. */
void vm_init(struct vm *vm, const struct vm_config *cfg);

/* Opens /dev/kvm and checks the capabilities hvmkit needs; one error line
 * and -1 if this host cannot run it. */
int vm_open_kvm(struct vm *vm);

/* Builds the whole machine (memory, irqchip, PIT, vCPUs) from vm->cfg. */
int vm_create(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Starts the vCPU threads; runs until a stop request, carrying out resets
 * on the way, and returns the process exit status. */
int vm_run(struct vm *vm, int signal_fd);

/* Called from vCPU threads (and handlers on them). */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status);
void vm_request_reset(struct vm *vm);
bool vm_stopping(const struct vm *vm);

#endif
