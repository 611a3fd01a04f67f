/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM: KVM VM creation with the PC's in-kernel interrupt controllers
 * (8259 pair, IOAPIC, LAPICs) and 8254 PIT, guest memory, vCPUs, and the
 * main thread's loop that carries out stop and reset requests.
 *
 * A reset rebuilds the KVM VM and its vCPUs from scratch while keeping the
 * RAM memfd: every register, interrupt controller and timer then starts in
 * its architectural reset state, with no per-register reset code to get
 * wrong, and RAM keeps its contents as it does across a PC reset.
 */
#define _GNU_SOURCE
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "dm-link.h"
#include "domctl.h"
#include "firmware.h"
#include "hvmkit/dm-proto.h"
#include "hvmkit/log.h"
#include "hvmkit/util.h"
#include "msr.h"
#include "vcpu.h"

struct kvm_cap_need {
	int cap;
	const char *what;
};

static const struct kvm_cap_need required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "user memory slots" },
	{ KVM_CAP_READONLY_MEM, "read-only memory slots (firmware ROM)" },
	{ KVM_CAP_IRQCHIP, "in-kernel interrupt controllers" },
	{ KVM_CAP_IRQ_ROUTING, "GSI routing" },
	{ KVM_CAP_PIT2, "in-kernel PIT" },
	{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "identity-map address" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
	{ KVM_CAP_EXT_CPUID, "CPUID policy" },
	{ KVM_CAP_X86_USER_SPACE_MSR, "user-space MSR exits" },
	{ KVM_CAP_X86_MSR_FILTER, "MSR filtering" },
	{ KVM_CAP_MP_STATE, "multiprocessor state" },
};

void vm_init(struct vm *vm, const struct vm_config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->kvm_fd = vm->vm_fd = vm->event_fd = vm->mem.ram_fd = -1;
	iobus_init(&vm->pio, "pio");
	iobus_init(&vm->mmio, "mmio");
	pthread_mutex_init(&vm->pause_lock, NULL);
	pthread_cond_init(&vm->pause_cond, NULL);
}

int vm_open_kvm(struct vm *vm)
{
	int api, max;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int err = errno;

		if (err == ENOENT)
			log_error("/dev/kvm does not exist: this host has no "
				  "KVM (load kvm_intel or kvm_amd, and enable "
				  "virtualization in the firmware)");
		else if (err == EACCES || err == EPERM)
			log_error("/dev/kvm: permission denied (run as root "
				  "or join the 'kvm' group)");
		else
			log_error("/dev/kvm: %s", strerror(err));
		return -1;
	}
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		log_error("/dev/kvm: unsupported KVM API version %d "
			  "(need %d): is it a KVM device?", api,
			  KVM_API_VERSION);
		goto fail;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
			  required_caps[i].cap) <= 0) {
			log_error("/dev/kvm lacks %s (KVM capability %d); "
				  "this host kernel is too old for hvmkit",
				  required_caps[i].what, required_caps[i].cap);
			goto fail;
		}
	}
	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max <= 0)
		max = 4; /* KVM's documented minimum when the cap is absent */
	vm->max_vcpus = (unsigned int)max < VM_MAX_VCPUS ?
		(unsigned int)max : VM_MAX_VCPUS;
	/* The answer is the coalesced ring's page offset in the run area. */
	max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	vm->coalesced_page = max > 0 ? (unsigned int)max : 0;
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size < (int)sizeof(struct kvm_run)) {
		log_error("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	close(vm->kvm_fd);
	vm->kvm_fd = -1;
	return -1;
}

/*
 * GSI routing of a PC: ISA IRQs 0-15 reach the 8259 pair and the IOAPIC
 * pin of the same number, except that IRQ0 (the PIT) is wired to IOAPIC
 * pin 2 (the MADT's interrupt source override, ACPI 6.5 5.2.12.5) and IRQ2
 * is the 8259 cascade; GSIs 16-23 are IOAPIC-only (PCI).
 */
static int vm_setup_gsi_routing(struct vm *vm)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[40];
	} rt;
	unsigned int n = 0;

	memset(&rt, 0, sizeof(rt));
	for (unsigned int irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		rt.e[n++] = (struct kvm_irq_routing_entry){
			.gsi = irq, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = irq < 8 ?
				       KVM_IRQCHIP_PIC_MASTER :
				       KVM_IRQCHIP_PIC_SLAVE,
				       .pin = irq % 8 },
		};
	}
	for (unsigned int gsi = 0; gsi < 24; gsi++) {
		if (gsi == 2)
			continue;
		rt.e[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC,
				       .pin = gsi == 0 ? 2 : gsi },
		};
	}
	rt.hdr.nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &rt) < 0) {
		log_error("KVM_SET_GSI_ROUTING: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything that lives in the KVM VM fd: built at start and on reset. */
static int vm_build_machine(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t idmap = LAYOUT_IDENTITY_MAP_ADDR;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		log_error("KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, LAYOUT_TSS_ADDR) < 0) {
		log_error("KVM TSS/identity-map setup: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_error("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	if (vm_setup_gsi_routing(vm) < 0)
		return -1;
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		log_error("KVM_CREATE_PIT2: %s", strerror(errno));
		return -1;
	}
	if (guest_memory_map_into(&vm->mem, vm->vm_fd) < 0)
		return -1;
	if (msr_policy_install(vm) < 0)
		return -1;
	for (unsigned int i = 0; i < vm->cfg.nr_vcpus; i++) {
		if (vcpu_create(vm, &vm->vcpus[i], i) < 0)
			return -1;
	}
	return 0;
}

static void vm_teardown_machine(struct vm *vm)
{
	for (unsigned int i = 0; vm->vcpus && i < vm->cfg.nr_vcpus; i++)
		if (vm->vcpus[i].vm)
			vcpu_destroy(&vm->vcpus[i]);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	vm->vm_fd = -1;
}

int vm_create(struct vm *vm)
{
	uint64_t fw_size;
	uint8_t *fw;

	if (cpuid_get_supported(vm->kvm_fd, &vm->supported_cpuid) < 0)
		return -1;
	vm->vcpus = calloc(vm->cfg.nr_vcpus, sizeof(*vm->vcpus));
	vm->vcpu_exits = calloc(vm->cfg.nr_vcpus, sizeof(*vm->vcpu_exits));
	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!vm->vcpus || !vm->vcpu_exits || vm->event_fd < 0) {
		log_error("cannot allocate VM state: %s", strerror(errno));
		return -1;
	}
	fw = firmware_map(vm->cfg.firmware, &fw_size);
	if (!fw)
		return -1;
	if (guest_memory_create(&vm->mem, vm->cfg.ram_size, fw, fw_size) < 0) {
		munmap(fw, fw_size);
		return -1;
	}
	return vm_build_machine(vm);
}

void vm_destroy(struct vm *vm)
{
	domctl_close(vm);
	dm_link_stop(vm);
	vm_teardown_machine(vm);
	guest_memory_destroy(&vm->mem);
	free(vm->vcpus);
	free(vm->vcpu_exits);
	vm->vcpus = NULL;
	vm->vcpu_exits = NULL;
	if (vm->event_fd >= 0)
		close(vm->event_fd);
	vm->event_fd = -1;
	iobus_destroy(&vm->pio);
	iobus_destroy(&vm->mmio);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->kvm_fd = -1;
	pthread_mutex_destroy(&vm->pause_lock);
	pthread_cond_destroy(&vm->pause_cond);
}

static void vm_wake_main(struct vm *vm)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: a wake is pending. */
	if (write(vm->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("cannot wake the main thread: %s", strerror(errno));
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status)
{
	int running = VM_RUNNING;

	if (atomic_compare_exchange_strong(&vm->stop_reason, &running,
					   (int)reason)) {
		vm->exit_status = status;
		vm_wake_main(vm);
		vm_wake_vcpus(vm);
	}
}

void vm_request_reset(struct vm *vm)
{
	atomic_store(&vm->reset_pending, true);
	vm_wake_main(vm);
	vm_wake_vcpus(vm);
}

bool vm_stopping(const struct vm *vm)
{
	return atomic_load(&vm->stop_reason) != VM_RUNNING;
}

void vm_guest_poweroff(struct vm *vm)
{
	if (vm->cfg.on_poweroff == ACTION_RESTART) {
		log_info("guest powered off; restarting it (on_poweroff)");
		vm_request_reset(vm);
	} else {
		log_info("guest powered off");
		vm_request_stop(vm, VM_STOP_POWEROFF, 0);
	}
}

void vm_guest_reboot(struct vm *vm)
{
	if (vm->cfg.on_reboot == ACTION_DESTROY) {
		log_info("guest rebooted; ending the domain (on_reboot)");
		vm_request_stop(vm, VM_STOP_POWEROFF, 0);
	} else {
		vm_request_reset(vm);
	}
}

void vm_guest_crash(struct vm *vm)
{
	switch (vm->cfg.on_crash) {
	case ACTION_RESTART:
		vm_request_reset(vm);
		break;
	case ACTION_PRESERVE:
		/* This vCPU parks at once; the main thread pauses the rest
		 * of the machine, the device model included. */
		if (!atomic_exchange(&vm->crashed, true))
			log_error("guest crashed; kept paused for inspection "
				  "(on_crash=preserve)");
		atomic_store(&vm->paused, true);
		vm_wake_main(vm);
		break;
	case ACTION_DESTROY:
		vm_request_stop(vm, VM_STOP_CRASH, EXIT_GUEST_CRASH);
		break;
	}
}

void vm_wake_vcpus(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
	if (vm->dm) {
		ioreq_client_wake_all(&vm->dm->ioreq);
		pthread_mutex_lock(&vm->dm->ctl_lock);
		pthread_cond_broadcast(&vm->dm->ctl_cond);
		pthread_mutex_unlock(&vm->dm->ctl_lock);
	}
}

void vm_set_paused(struct vm *vm, bool paused)
{
	atomic_store(&vm->paused, paused);
	if (paused) {
		for (unsigned int i = 0; i < vm->cfg.nr_vcpus; i++)
			vcpu_kick(&vm->vcpus[i]);
	} else {
		vm_wake_vcpus(vm);
	}
}

void vm_park_vcpu(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	while (atomic_load(&vm->paused) && !vm_stopping(vm) &&
	       !atomic_load(&vm->reset_pending))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	pthread_mutex_unlock(&vm->pause_lock);
}

static int vm_start_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->cfg.nr_vcpus; i++) {
		if (vcpu_start(&vm->vcpus[i]) < 0) {
			vm_request_stop(vm, VM_STOP_ERROR, EXIT_HOST_ERROR);
			return -1;
		}
	}
	return 0;
}

static void vm_stop_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->cfg.nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	vm_wake_vcpus(vm);
	for (unsigned int i = 0; i < vm->cfg.nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
}

/*
 * Waits for a request and serves the device model's control channel and
 * the domain control socket meanwhile; a termination signal becomes a
 * stop request.
 */
static void vm_wait_request(struct vm *vm, int signal_fd)
{
	struct pollfd pfd[4 + DOMCTL_MAX_POLLFDS] = {
		{ .fd = vm->event_fd, .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	unsigned int n;
	uint64_t count;

	for (unsigned int i = 2; i < 4; i++)
		pfd[i] = (struct pollfd){ .fd = -1 };
	dm_link_pollfds(vm, &pfd[2]);
	n = 4 + domctl_pollfds(vm, &pfd[4]);
	while (poll(pfd, n, -1) < 0) {
		if (errno == EINTR)
			continue;
		log_error("poll: %s", strerror(errno));
		vm_request_stop(vm, VM_STOP_ERROR, EXIT_HOST_ERROR);
		return;
	}
	dm_link_handle(vm, &pfd[2]);
	domctl_handle(vm, &pfd[4]);
	if (pfd[1].revents & POLLIN &&
	    read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("received signal %u, stopping the guest", si.ssi_signo);
		vm_request_stop(vm, VM_STOP_SIGNAL, 128 + (int)si.ssi_signo);
	}
	if (read(vm->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_error("eventfd read: %s", strerror(errno));
}

/* Rebuilds the machine after the vCPUs stopped; false if that failed. */
static bool vm_reset(struct vm *vm)
{
	int err;

	vm_teardown_machine(vm);
	atomic_store(&vm->reset_pending, false);
	atomic_fetch_add(&vm->resets, 1);
	vm->pci_cf8 = 0;
	/* A reset (hvmkit reboot -F) brings a preserved crash back to life. */
	if (atomic_exchange(&vm->crashed, false)) {
		vm->crash_paused = false;
		atomic_store(&vm->paused, false);
		if (dm_link_call(vm, DM_MSG_RESUME) != 0)
			return false;
	}
	if (vm_build_machine(vm) < 0 || dm_link_rebind(vm) < 0) {
		vm_request_stop(vm, VM_STOP_ERROR, EXIT_HOST_ERROR);
		return false;
	}
	/* The device model resets its devices before any vCPU runs. */
	err = dm_link_call(vm, DM_MSG_RESET);
	if (err && !vm_stopping(vm))
		dm_link_fail(vm, "device model could not reset its devices: "
			     "%s", strerror(-err));
	return !vm_stopping(vm);
}

int vm_run(struct vm *vm, int signal_fd)
{
	if (vm->cfg.start_paused) {
		atomic_store(&vm->paused, true);
		dm_link_call(vm, DM_MSG_PAUSE);
	}
	vm_start_vcpus(vm);
	domctl_ready(vm);
	while (!vm_stopping(vm)) {
		vm_wait_request(vm, signal_fd);
		if (atomic_load(&vm->crashed) && !vm->crash_paused &&
		    !vm_stopping(vm)) {
			vm->crash_paused = true;
			vm_set_paused(vm, true);
			dm_link_call(vm, DM_MSG_PAUSE);
		}
		if (vm_stopping(vm) || !atomic_load(&vm->reset_pending))
			continue;
		vm_stop_vcpus(vm);
		if (vm_stopping(vm) || !vm_reset(vm))
			break;
		vm_start_vcpus(vm);
	}
	vm_stop_vcpus(vm);
	if (atomic_load(&vm->stop_reason) == VM_STOP_SIGNAL)
		for (unsigned int i = 0; i < vm->cfg.nr_vcpus; i++)
			vcpu_log_state(&vm->vcpus[i], LOG_INFO, "stopped");
	return vm->exit_status;
}
