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
#include "pci-cf8.h"

#define VM_MAX_VCPUS 255 /* xAPIC IDs; 0xff is the broadcast ID */

/* What happens when the guest powers off, reboots or crashes (xl.cfg's
 * on_poweroff / on_reboot / on_crash). */
enum vm_action {
	ACTION_DESTROY,  /* end the domain */
	ACTION_RESTART,  /* reset the machine and boot again */
	ACTION_PRESERVE, /* keep it, paused, for inspection (crash only) */
};

struct vm_config {
	const char *firmware;
	uint64_t ram_size;
	unsigned int nr_vcpus;
	enum vm_action on_poweroff, on_reboot, on_crash;
	bool start_paused;
	FILE *debugcon;       /* sink for the debug-console ports */
};

/* Why the VM stopped; also picks the hypervisor's exit status. */
enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_TEST_EXIT,    /* guest wrote the test-exit port */
	VM_STOP_CRASH,        /* triple fault (policy stop), emulation error */
	VM_STOP_SIGNAL,       /* SIGINT/SIGTERM/SIGHUP */
	VM_STOP_ERROR,        /* a host-side failure */
	VM_STOP_DM_FAILURE,   /* the device model died or stopped answering */
	VM_STOP_POWEROFF,     /* guest power-off / reboot with action destroy */
	VM_STOP_DESTROY,      /* hvmkit destroy */
};

/* Exit statuses of hvmkit-hypervisor (documented in its man page). */
#define EXIT_HOST_ERROR  1
#define EXIT_USAGE       2
#define EXIT_GUEST_CRASH 3
#define EXIT_DM_FAILURE  4

struct vcpu;
struct dm_link;
struct domctl;

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

	/* Pause: vCPU threads park on pause_cond while paused is set. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;
	atomic_bool paused;
	atomic_bool crashed;       /* preserved after a crash (on_crash) */
	bool crash_paused;         /* main thread paused the whole machine */

	struct dm_link *dm;        /* NULL with --device-model=none */
	struct domctl *domctl;     /* control socket for the CLI */
	unsigned int coalesced_page; /* KVM_CAP_COALESCED_MMIO page, or 0 */
	uint32_t pci_cf8;          /* the 0xCF8 configuration-address latch */
	struct pci_cf8_side cf8_side; /* the device model's 0xCF9 */
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
/* Guest-initiated events, carried out per the on_* actions. */
void vm_guest_poweroff(struct vm *vm);
void vm_guest_reboot(struct vm *vm);
void vm_guest_crash(struct vm *vm);

/* Main thread only: pause or resume the vCPUs (they park outside
 * KVM_RUN); pausing returns at once, the threads park shortly after. */
void vm_set_paused(struct vm *vm, bool paused);
/* vCPU threads: parks while the VM is paused; returns when resumed,
 * stopping or resetting. */
void vm_park_vcpu(struct vm *vm);
/* Wakes everything a vCPU thread may sleep on (parking, ioreq waits). */
void vm_wake_vcpus(struct vm *vm);

#endif
