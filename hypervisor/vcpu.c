/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU threads.  Each thread loops on KVM_RUN and dispatches the exits that
 * reach user space: port I/O and MMIO to the registries, MSR exits to the
 * MSR policy, shutdown (triple fault) to the reset policy.  HLT, the LAPIC,
 * PIC, IOAPIC and PIT are handled inside KVM, so an idle guest sleeps in
 * the kernel.  A kick (signal + immediate_exit) makes the thread return
 * from KVM_RUN to look at stop and reset requests.
 */
#define _GNU_SOURCE
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dm-link.h"
#include "hvmkit/log.h"
#include "msr.h"
#include "vm.h"

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id)
{
	struct cpuid_table *policy;
	int ret = -1;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->exits = &vm->vcpu_exits[id];
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		log_error("KVM_CREATE_VCPU %u: %s", id, strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		log_error("mmap of vCPU %u run area: %s", id, strerror(errno));
		goto out;
	}
	if (vm->coalesced_page &&
	    (vm->coalesced_page + 1) * 4096 <= (unsigned int)vm->run_size)
		v->coalesced_ring = (uint8_t *)v->run +
				    vm->coalesced_page * 4096;
	policy = malloc(sizeof(*policy));
	if (!policy) {
		log_error("out of memory for the CPUID policy");
		goto out;
	}
	memcpy(policy, &vm->supported_cpuid, sizeof(*policy));
	if (cpuid_apply_policy(policy, vm->cfg.nr_vcpus, id) < 0) {
		log_error("CPUID table of this host is too large for hvmkit");
	} else if (ioctl(v->fd, KVM_SET_CPUID2, policy) < 0) {
		log_error("KVM_SET_CPUID2 on vCPU %u: %s", id, strerror(errno));
	} else {
		ret = 0;
	}
	free(policy);
out:
	if (ret)
		vcpu_destroy(v);
	return ret;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

static void kick_handler(int sig)
{
	(void)sig; /* its only job is to interrupt KVM_RUN */
}

void vcpu_install_kick_handler(void)
{
	/* SA_RESTART keeps a kick from failing a blocking write (debugcon,
	 * log) of the vCPU thread; KVM_RUN is never restarted, so it still
	 * returns -EINTR. */
	struct sigaction sa = { .sa_handler = kick_handler,
				.sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

void vcpu_log_state(struct vcpu *v, enum log_level level, const char *what)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
		log_msg(level, "vCPU %u: %s (registers unavailable)", v->id,
			what);
		return;
	}
	log_msg(level, "vCPU %u: %s at CS:RIP %04x:%016llx (CR0 %#llx CR4 %#llx "
		  "EFER %#llx RSP %#llx)", v->id, what, sregs.cs.selector,
		  (unsigned long long)regs.rip, (unsigned long long)sregs.cr0,
		  (unsigned long long)sregs.cr4, (unsigned long long)sregs.efer,
		  (unsigned long long)regs.rsp);
}

static void vcpu_report_crash(struct vcpu *v, const char *what)
{
	vcpu_log_state(v, LOG_ERROR, what);
}

static void vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned int size = run->io.size;
	uint64_t bytes = (uint64_t)size * run->io.count;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	/* KVM fills these, but a bad offset would make us scribble past the
	 * run page: check once rather than trust. */
	if (run->io.data_offset >= (uint64_t)v->vm->run_size ||
	    bytes > (uint64_t)v->vm->run_size - run->io.data_offset ||
	    (size != 1 && size != 2 && size != 4)) {
		log_error("vCPU %u: malformed I/O exit from KVM", v->id);
		vm_request_stop(v->vm, VM_STOP_ERROR, EXIT_HOST_ERROR);
		return;
	}
	/* REP INS/OUTS: KVM hands over up to a page of items at once. */
	iobus_access_rep(&v->vm->pio, v->id, run->io.port, data, size,
			 run->io.count, run->io.direction == KVM_EXIT_IO_OUT);
}

void vcpu_mmio_access(struct vm *vm, unsigned int vcpu, uint64_t addr,
		      uint8_t *data, unsigned int len, bool is_write)
{
	/* KVM splits an access that crosses a page into fragments of 1 to
	 * 7 bytes; handlers only know bus widths, so odd fragments become
	 * the largest 1/2/4-byte pieces, in address order. */
	for (unsigned int off = 0; off < len;) {
		unsigned int n = len - off == 8 && !off ? 8 : 4;

		while (n > len - off)
			n >>= 1;
		iobus_access(&vm->mmio, vcpu, addr + off, data + off, n,
			     is_write);
		off += n;
	}
}

static void vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm *vm = v->vm;

	/* Writes KVM batched go to the device model before anything this
	 * exit does, so that they stay in the guest's program order. */
	if (v->coalesced_ring && vm->dm)
		dm_link_drain_coalesced(vm, v->id, v->coalesced_ring);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(v);
		break;
	case KVM_EXIT_MMIO:
		if (run->mmio.len == 0 || run->mmio.len > 8) {
			log_error("vCPU %u: malformed MMIO exit", v->id);
			vm_request_stop(vm, VM_STOP_ERROR, EXIT_HOST_ERROR);
			break;
		}
		vcpu_mmio_access(vm, v->id, run->mmio.phys_addr,
				 run->mmio.data, run->mmio.len,
				 run->mmio.is_write);
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		msr_handle_exit(v);
		break;
	case KVM_EXIT_SHUTDOWN:
		if (vm->cfg.on_crash == ACTION_RESTART) {
			log_guest("vCPU %u: triple fault, resetting", v->id);
		} else {
			vcpu_report_crash(v, "triple fault");
		}
		vm_guest_crash(vm);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
			vm_guest_reboot(vm);
		} else if (run->system_event.type ==
			   KVM_SYSTEM_EVENT_SHUTDOWN) {
			vm_guest_poweroff(vm);
		} else {
			vcpu_report_crash(v, "system event");
			vm_guest_crash(vm);
		}
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_report_crash(v, run->internal.suberror ==
				  KVM_INTERNAL_ERROR_EMULATION ?
				  "KVM could not emulate an instruction" :
				  "KVM internal error");
		vm_guest_crash(vm);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_report_crash(v, "VM entry failed");
		vm_guest_crash(vm);
		break;
	default:
		log_error("vCPU %u: unexpected KVM exit reason %u", v->id,
			  run->exit_reason);
		vm_request_stop(vm, VM_STOP_ERROR, EXIT_HOST_ERROR);
		break;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	char name[16];
	sigset_t set;

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!vm_stopping(vm) && !atomic_load(&vm->reset_pending)) {
		if (atomic_load(&vm->paused)) {
			vm_park_vcpu(vm);
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&v->run->immediate_exit, 0,
						 __ATOMIC_RELAXED);
				continue;
			}
			log_error("vCPU %u: KVM_RUN: %s", v->id, strerror(errno));
			vm_request_stop(vm, VM_STOP_ERROR, EXIT_HOST_ERROR);
			break;
		}
		atomic_fetch_add_explicit(v->exits, 1, memory_order_relaxed);
		vcpu_handle_exit(v);
		if (v->dm_ctl_seq) {
			dm_link_ctl_barrier(vm, v->dm_ctl_seq);
			v->dm_ctl_seq = 0;
		}
		if (atomic_load(&vm->paused))
			vm_park_vcpu(vm);
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int err = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (err) {
		log_error("cannot start vCPU %u thread: %s", v->id,
			  strerror(err));
		return -1;
	}
	v->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started)
		return;
	/* immediate_exit covers a kick that lands just before KVM_RUN. */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (!v->started)
		return;
	pthread_join(v->thread, NULL);
	v->started = false;
}
