/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MSR policy.  Nested virtualization is not offered, so the MSRs through
 * which firmware enables it read "locked, disabled":
 *   IA32_FEATURE_CONTROL (0x3a): SDM vol. 3C 24.7, bit 0 lock, bits 1-2
 *     VMXON enables; a write while locked raises #GP.
 *   VM_CR (0xc0010114): APM vol. 2 15.30.1, bit 3 LOCK, bit 4 SVMDIS; with
 *     LOCK set the SVMDIS bit cannot change.
 * Each applies on its own vendor only; on the other vendor the MSR does not
 * exist and #GPs as it would on that hardware.
 */
#include "msr.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvmkit/log.h"
#include "hvmkit/util.h"
#include "vcpu.h"
#include "vm.h"

#define MSR_IA32_FEATURE_CONTROL 0x0000003a
#define FEATURE_CONTROL_LOCKED   (1ull << 0)
#define MSR_VM_CR                0xc0010114
#define VM_CR_LOCK               (1ull << 3)
#define VM_CR_SVMDIS             (1ull << 4)

struct owned_msr {
	uint32_t index;
	const char *name;
	enum cpu_vendor vendor;
	uint64_t value;        /* what reads return */
	bool writable_same;    /* a write of the current value is accepted */
};

static const struct owned_msr owned_msrs[] = {
	{ MSR_IA32_FEATURE_CONTROL, "IA32_FEATURE_CONTROL",
	  CPU_VENDOR_INTEL, FEATURE_CONTROL_LOCKED, false },
	{ MSR_VM_CR, "VM_CR", CPU_VENDOR_AMD, VM_CR_LOCK | VM_CR_SVMDIS, true },
};

int msr_policy_install(struct vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args[0] = KVM_MSR_EXIT_REASON_INVAL |
			   KVM_MSR_EXIT_REASON_UNKNOWN |
			   KVM_MSR_EXIT_REASON_FILTER,
	};
	/* One MSR per range, bitmap bit clear = denied = exits to us. */
	static uint64_t deny_bitmap; /* KVM reads whole longs */
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
	};

	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		log_error("KVM_CAP_X86_USER_SPACE_MSR: %s", strerror(errno));
		return -1;
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(owned_msrs); i++) {
		filter.ranges[i] = (struct kvm_msr_filter_range){
			.flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
			.nmsrs = 1,
			.base = owned_msrs[i].index,
			.bitmap = (uint8_t *)&deny_bitmap,
		};
	}
	if (ioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0) {
		log_error("KVM_X86_SET_MSR_FILTER: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static const struct owned_msr *owned_msr_find(struct vm *vm, uint32_t index)
{
	enum cpu_vendor vendor = cpuid_vendor(&vm->supported_cpuid);

	for (unsigned int i = 0; i < ARRAY_SIZE(owned_msrs); i++)
		if (owned_msrs[i].index == index &&
		    owned_msrs[i].vendor == vendor)
			return &owned_msrs[i];
	return NULL;
}

void msr_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	bool is_write = run->exit_reason == KVM_EXIT_X86_WRMSR;
	const struct owned_msr *m = owned_msr_find(v->vm, run->msr.index);

	run->msr.error = 1;
	if (m && !is_write) {
		run->msr.data = m->value;
		run->msr.error = 0;
	} else if (m && m->writable_same && run->msr.data == m->value) {
		run->msr.error = 0;
	} else if (m) {
		log_guest("vCPU %u: wrmsr %s (%#x) = %#llx refused: locked",
			  v->id, m->name, m->index,
			  (unsigned long long)run->msr.data);
	} else if (is_write) {
		log_guest("vCPU %u: wrmsr %#x = %#llx (%s): #GP", v->id,
			  run->msr.index, (unsigned long long)run->msr.data,
			  run->msr.reason == KVM_MSR_EXIT_REASON_INVAL ?
			  "invalid value" : "unknown MSR");
	} else {
		log_guest("vCPU %u: rdmsr %#x (%s): #GP", v->id,
			  run->msr.index,
			  run->msr.reason == KVM_MSR_EXIT_REASON_INVAL ?
			  "refused by KVM" : "unknown MSR");
	}
}
