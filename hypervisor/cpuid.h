/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPUID policy: what the guest sees, derived from what KVM supports on this
 * host, with a consistent topology (one package, N cores, one thread per
 * core, APIC ID = vCPU index) and nested virtualization hidden.
 */
#ifndef HVMKIT_CPUID_H
#define HVMKIT_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

#define CPUID_MAX_ENTRIES 256

/* Laid out as struct kvm_cpuid2 with a fixed-size entry array. */
struct cpuid_table {
	uint32_t nent;
	uint32_t padding;
	struct kvm_cpuid_entry2 entries[CPUID_MAX_ENTRIES];
};

/* KVM_GET_SUPPORTED_CPUID into t; logs and returns -1 on failure. */
int cpuid_get_supported(int kvm_fd, struct cpuid_table *t);

/* Bits needed to number n items: ceil(log2(n)). */
unsigned int cpuid_id_bits(unsigned int n);

/*
 * Rewrites t (a copy of the supported table) into the policy for the vCPU
 * with APIC ID apic_id out of nr_vcpus.  Returns 0, or -1 if the table has
 * no room for the topology leaves.
 */
int cpuid_apply_policy(struct cpuid_table *t, unsigned int nr_vcpus,
		       unsigned int apic_id);

enum cpu_vendor { CPU_VENDOR_OTHER, CPU_VENDOR_INTEL, CPU_VENDOR_AMD };

/* The vendor named by leaf 0; Hygon uses AMD's leaves and MSRs. */
enum cpu_vendor cpuid_vendor(struct cpuid_table *t);

/* The entry for (function, index), or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *t, uint32_t function,
				    uint32_t index);

#endif
