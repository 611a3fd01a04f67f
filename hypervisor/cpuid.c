/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * CPUID policy.  Leaf and bit positions follow the Intel SDM vol. 2A
 * (CPUID instruction, tables 3-8/3-17) and AMD's APM vol. 3 appendix E
 * (E.3.1 leaf 1, E.4.7 leaf 0x80000008, E.4.15 leaf 0x8000001E).
 */
#include "cpuid.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hvmkit/log.h"

#define CPUID1_ECX_VMX        (1u << 5)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_EDX_HTT        (1u << 28)
#define CPUID_EXT1_ECX_CMP_LEGACY (1u << 1)
#define CPUID_EXT1_ECX_SVM    (1u << 2)

/* Leaf 0xB level types (SDM table 3-8, leaf 0BH). */
#define TOPO_LEVEL_INVALID 0
#define TOPO_LEVEL_SMT     1
#define TOPO_LEVEL_CORE    2

_Static_assert(offsetof(struct cpuid_table, entries) ==
	       offsetof(struct kvm_cpuid2, entries),
	       "cpuid_table must be laid out as struct kvm_cpuid2");

int cpuid_get_supported(int kvm_fd, struct cpuid_table *t)
{
	memset(t, 0, sizeof(*t));
	t->nent = CPUID_MAX_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, t) < 0) {
		log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		return -1;
	}
	return 0;
}

unsigned int cpuid_id_bits(unsigned int n)
{
	unsigned int bits = 0;

	while ((1u << bits) < n)
		bits++;
	return bits;
}

struct kvm_cpuid_entry2 *cpuid_find(struct cpuid_table *t, uint32_t function,
				    uint32_t index)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		struct kvm_cpuid_entry2 *e = &t->entries[i];

		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		    e->index == index)
			return e;
	}
	return NULL;
}

static void cpuid_remove(struct cpuid_table *t, uint32_t function)
{
	uint32_t out = 0;

	for (uint32_t i = 0; i < t->nent; i++)
		if (t->entries[i].function != function)
			t->entries[out++] = t->entries[i];
	t->nent = out;
}

static int cpuid_put(struct cpuid_table *t, uint32_t function,
		     uint32_t index, uint32_t eax, uint32_t ebx, uint32_t ecx,
		     uint32_t edx)
{
	if (t->nent == CPUID_MAX_ENTRIES)
		return -1;
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){
		.function = function, .index = index,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		.eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx,
	};
	return 0;
}

enum cpu_vendor cpuid_vendor(struct cpuid_table *t)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(t, 0, 0);

	if (!e)
		return CPU_VENDOR_OTHER;
	if (e->ebx == 0x756e6547) /* "Genu"ineIntel */
		return CPU_VENDOR_INTEL;
	if (e->ebx == 0x68747541 || e->ebx == 0x6f677948) /* "Auth", "Hygo" */
		return CPU_VENDOR_AMD;
	return CPU_VENDOR_OTHER;
}

/*
 * Leaf 0xB: x2APIC topology.  Level 0 is SMT (one thread per core, so a
 * shift of 0), level 1 is the core level covering the package.
 */
static int cpuid_put_topology_leaf(struct cpuid_table *t, uint32_t function,
				   unsigned int nr_vcpus, unsigned int apic_id)
{
	unsigned int core_bits = cpuid_id_bits(nr_vcpus);

	cpuid_remove(t, function);
	if (cpuid_put(t, function, 0, 0, 1, (TOPO_LEVEL_SMT << 8) | 0,
		      apic_id) ||
	    cpuid_put(t, function, 1, core_bits, nr_vcpus,
		      (TOPO_LEVEL_CORE << 8) | 1, apic_id) ||
	    cpuid_put(t, function, 2, 0, 0, (TOPO_LEVEL_INVALID << 8) | 2,
		      apic_id))
		return -1;
	return 0;
}

int cpuid_apply_policy(struct cpuid_table *t, unsigned int nr_vcpus,
		       unsigned int apic_id)
{
	unsigned int core_bits = cpuid_id_bits(nr_vcpus);
	struct kvm_cpuid_entry2 *e;
	int amd = cpuid_vendor(t) == CPU_VENDOR_AMD;

	/* Basic leaves must reach 0xB for the topology leaf to be seen. */
	e = cpuid_find(t, 0, 0);
	if (e && e->eax < 0xb)
		e->eax = 0xb;

	e = cpuid_find(t, 1, 0);
	if (e) {
		e->ebx &= 0x0000ffff;
		e->ebx |= (apic_id & 0xff) << 24;
		e->edx &= ~CPUID1_EDX_HTT;
		if (nr_vcpus > 1) {
			/* Max addressable logical processor IDs (SDM: leaf 1
			 * EBX[23:16], valid when HTT is set); the 8-bit field
			 * saturates for more than 128 vCPUs. */
			unsigned int ids = 1u << core_bits;

			e->ebx |= (ids > 0xff ? 0xff : ids) << 16;
			e->edx |= CPUID1_EDX_HTT;
		}
		e->ecx &= ~CPUID1_ECX_VMX;
		e->ecx |= CPUID1_ECX_HYPERVISOR;
	}

	/* Leaf 4 (Intel deterministic cache parameters): cores per package
	 * in EAX[31:26]; every cache is per core except the last level. */
	for (uint32_t i = 0; i < t->nent && !amd; i++) {
		e = &t->entries[i];
		if (e->function != 4 || !(e->eax & 0x1f))
			continue;
		e->eax &= 0x00003fff;
		e->eax |= (((1u << core_bits) - 1) & 0x3f) << 26;
		if (((e->eax >> 5) & 7) >= 3)
			e->eax |= (((1u << core_bits) - 1) & 0xfff) << 14;
	}

	if (cpuid_put_topology_leaf(t, 0xb, nr_vcpus, apic_id))
		return -1;
	/* A 0x1F leaf would take precedence over 0xB; drop it rather than
	 * keep two descriptions that could disagree. */
	cpuid_remove(t, 0x1f);

	e = cpuid_find(t, 0x80000001, 0);
	if (e) {
		e->ecx &= ~CPUID_EXT1_ECX_SVM;
		if (amd) {
			e->ecx &= ~CPUID_EXT1_ECX_CMP_LEGACY;
			if (nr_vcpus > 1)
				e->ecx |= CPUID_EXT1_ECX_CMP_LEGACY;
		}
	}
	e = cpuid_find(t, 0x80000008, 0);
	if (e && amd) {
		/* ECX[15:12] ApicIdCoreIdSize, ECX[7:0] NC = cores - 1. */
		e->ecx &= ~0xf0ffu;
		e->ecx |= (core_bits << 12) | ((nr_vcpus - 1) & 0xff);
	}
	e = cpuid_find(t, 0x8000001e, 0);
	if (e && amd) {
		e->eax = apic_id;                 /* extended APIC ID */
		e->ebx = apic_id & 0xff;          /* core id, 1 thread/core */
		e->ecx = 0;                       /* node 0, 1 node/package */
	}
	return 0;
}
