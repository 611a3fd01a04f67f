/* Unit tests for hypervisor/cpuid.c: the CPUID policy on synthetic tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpuid.h"

#define SIG_IDX KVM_CPUID_FLAG_SIGNIFCANT_INDEX

#define LEAF1_ECX_VMX        (1u << 5)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF1_EDX_HTT        (1u << 28)
#define EXT1_ECX_CMP_LEGACY  (1u << 1)
#define EXT1_ECX_SVM         (1u << 2)

/* Host bits that the policy must leave alone. */
#define LEAF1_EBX_LOW   0x00000800u /* CLFLUSH line size 8 * 8 */
#define LEAF1_ECX_OTHER 0x7ffafbdfu /* everything but VMX and hypervisor */
#define LEAF1_EDX_OTHER 0xefdbfbffu /* everything but HTT */

static void put(struct cpuid_table *t, uint32_t fn, uint32_t idx,
		uint32_t flags, uint32_t eax, uint32_t ebx, uint32_t ecx,
		uint32_t edx)
{
	assert_true(t->nent < CPUID_MAX_ENTRIES);
	t->entries[t->nent++] = (struct kvm_cpuid_entry2){
		.function = fn, .index = idx, .flags = flags,
		.eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx,
	};
}

/* Leaf 1 as a host reports it: stale APIC ID, count 16, HTT set. */
static void put_leaf1(struct cpuid_table *t, uint32_t ecx)
{
	put(t, 1, 0, 0, 0x000806ec, 0x05100000 | LEAF1_EBX_LOW, ecx,
	    LEAF1_EDX_OTHER | LEAF1_EDX_HTT);
}

/* An AMD EPYC-like host as KVM_GET_SUPPORTED_CPUID describes it. */
static void build_amd(struct cpuid_table *t, uint32_t max_basic)
{
	memset(t, 0, sizeof(*t));
	put(t, 0, 0, 0, max_basic, 0x68747541, 0x444d4163, 0x69746e65);
	put_leaf1(t, LEAF1_ECX_OTHER);
	put(t, 0xb, 0, SIG_IDX, 1, 2, 0x0100, 5);
	put(t, 0xb, 1, SIG_IDX, 7, 64, 0x0201, 5);
	put(t, 0x80000000, 0, 0, 0x80000021, 0x68747541, 0x444d4163,
	    0x69746e65);
	put(t, 0x80000001, 0, 0, 0x00a00f11, 0,
	    0x75c237ff | EXT1_ECX_SVM | EXT1_ECX_CMP_LEGACY, 0x2fd3fbff);
	/* PerfTscSize (17:16) set, ApicIdCoreIdSize 7, NC 0x3f. */
	put(t, 0x80000008, 0, 0, 0x00003030, 0x1001b20f, 0x0003703f, 0);
	put(t, 0x8000001e, 0, 0, 0x12, 0x0105, 0x0300, 0);
}

/* An Intel host with deterministic cache leaves and a 0x1F leaf. */
static void build_intel(struct cpuid_table *t, uint32_t max_basic)
{
	memset(t, 0, sizeof(*t));
	put(t, 0, 0, 0, max_basic, 0x756e6547, 0x6c65746e, 0x49656e69);
	put_leaf1(t, LEAF1_ECX_OTHER | LEAF1_ECX_VMX);
	/* Leaf 4: EAX[4:0] type, [7:5] level, [31:14] host topology. */
	put(t, 4, 0, SIG_IDX, 0xfc004121, 0x01c0003f, 0x3f, 0); /* L1d */
	put(t, 4, 1, SIG_IDX, 0xfc004122, 0x01c0003f, 0x3f, 0); /* L1i */
	put(t, 4, 2, SIG_IDX, 0xfc004143, 0x03c0003f, 0x3ff, 0); /* L2 */
	put(t, 4, 3, SIG_IDX, 0xfc3fc163, 0x03c0003f, 0xbfff, 6); /* L3 */
	put(t, 4, 4, SIG_IDX, 0, 0, 0, 0);                 /* no more */
	put(t, 0xb, 0, SIG_IDX, 1, 2, 0x0100, 9);
	put(t, 0xb, 1, SIG_IDX, 6, 32, 0x0201, 9);
	put(t, 0x1f, 0, SIG_IDX, 1, 2, 0x0100, 9);
	put(t, 0x1f, 1, SIG_IDX, 6, 32, 0x0201, 9);
	put(t, 0x1f, 2, SIG_IDX, 0, 0, 0x0002, 9);
	put(t, 0x80000000, 0, 0, 0x80000008, 0, 0, 0);
	put(t, 0x80000001, 0, 0, 0, 0, 0x00000121, 0x2c100800);
	put(t, 0x80000008, 0, 0, 0x00003027, 0, 0, 0);
}

static unsigned int count_function(const struct cpuid_table *t, uint32_t fn)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < t->nent; i++)
		n += t->entries[i].function == fn;
	return n;
}

static struct kvm_cpuid_entry2 *find(struct cpuid_table *t, uint32_t fn,
				     uint32_t idx)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(t, fn, idx);

	assert_non_null(e);
	return e;
}

typedef void build_fn(struct cpuid_table *t, uint32_t max_basic);

static build_fn *const vendors[] = { build_amd, build_intel };
#define NR_VENDORS (sizeof(vendors) / sizeof(vendors[0]))

/* One table per test is plenty; keep the 10 KiB off the stack. */
static struct cpuid_table table;

static void test_id_bits(void **state)
{
	(void)state;
	assert_int_equal(cpuid_id_bits(1), 0);
	assert_int_equal(cpuid_id_bits(2), 1);
	assert_int_equal(cpuid_id_bits(3), 2);
	assert_int_equal(cpuid_id_bits(4), 2);
	assert_int_equal(cpuid_id_bits(5), 3);
	assert_int_equal(cpuid_id_bits(8), 3);
	assert_int_equal(cpuid_id_bits(9), 4);
	assert_int_equal(cpuid_id_bits(128), 7);
	assert_int_equal(cpuid_id_bits(129), 8);
	assert_int_equal(cpuid_id_bits(255), 8);
	assert_int_equal(cpuid_id_bits(256), 8);
}

static void test_leaf1_ebx_apic_id_and_logical_count(void **state)
{
	(void)state;
	for (size_t v = 0; v < NR_VENDORS; v++) {
		for (unsigned int n = 1; n <= 4; n++) {
			for (unsigned int id = 0; id < n; id++) {
				struct kvm_cpuid_entry2 *e;
				unsigned int count = n > 1 ?
					1u << cpuid_id_bits(n) : 0;

				vendors[v](&table, 0x10);
				assert_int_equal(cpuid_apply_policy(&table, n,
								    id), 0);
				e = find(&table, 1, 0);
				assert_int_equal(e->ebx >> 24, id);
				/* Only valid with HTT: 0 for one vCPU. */
				assert_int_equal((e->ebx >> 16) & 0xff, count);
				assert_int_equal(e->ebx & 0xffff,
						 LEAF1_EBX_LOW);
			}
		}
	}
}

static void test_leaf1_logical_count_is_power_of_two(void **state)
{
	static const unsigned int want[] = { 0, 0, 2, 4, 4, 8, 8, 8, 8 };

	(void)state;
	for (unsigned int n = 2; n <= 8; n++) {
		build_intel(&table, 0x1b);
		assert_int_equal(cpuid_apply_policy(&table, n, 0), 0);
		assert_int_equal((find(&table, 1, 0)->ebx >> 16) & 0xff,
				 want[n]);
	}
}

/*
 * Regression: for 129..255 vCPUs (core_bits = 8) leaf 1 EBX[23:16] once
 * came out as (256 & 0xff) = 0 while HTT said it was valid; it must
 * saturate at 0xff.
 */
static void test_leaf1_logical_count_above_128_vcpus(void **state)
{
	static const unsigned int ns[] = { 128, 129, 200, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct kvm_cpuid_entry2 *e;
		unsigned int count;

		build_intel(&table, 0x1b);
		assert_int_equal(cpuid_apply_policy(&table, ns[i], 0), 0);
		e = find(&table, 1, 0);
		count = (e->ebx >> 16) & 0xff;
		assert_true(e->edx & LEAF1_EDX_HTT);
		assert_in_range(count, ns[i], 0xff);
	}
}

static void test_leaf1_htt_only_for_multiple_vcpus(void **state)
{
	(void)state;
	for (size_t v = 0; v < NR_VENDORS; v++) {
		for (unsigned int n = 1; n <= 4; n++) {
			struct kvm_cpuid_entry2 *e;

			vendors[v](&table, 0x10);
			assert_int_equal(cpuid_apply_policy(&table, n, 0), 0);
			e = find(&table, 1, 0);
			assert_int_equal(!!(e->edx & LEAF1_EDX_HTT), n > 1);
			assert_int_equal(e->edx & ~LEAF1_EDX_HTT,
					 LEAF1_EDX_OTHER);
		}
	}
}

static void test_leaf1_hypervisor_set_vmx_cleared(void **state)
{
	(void)state;
	for (size_t v = 0; v < NR_VENDORS; v++) {
		for (unsigned int n = 1; n <= 4; n++) {
			struct kvm_cpuid_entry2 *e;

			vendors[v](&table, 0x10);
			assert_int_equal(cpuid_apply_policy(&table, n, n - 1),
					 0);
			e = find(&table, 1, 0);
			assert_true(e->ecx & LEAF1_ECX_HYPERVISOR);
			assert_false(e->ecx & LEAF1_ECX_VMX);
			assert_int_equal(e->ecx & ~LEAF1_ECX_HYPERVISOR,
					 LEAF1_ECX_OTHER);
		}
	}
}

static void test_leaf_b_describes_smt_and_core_levels(void **state)
{
	(void)state;
	for (size_t v = 0; v < NR_VENDORS; v++) {
		for (unsigned int n = 1; n <= 4; n++) {
			for (unsigned int id = 0; id < n; id++) {
				struct kvm_cpuid_entry2 *e;

				vendors[v](&table, 0x10);
				assert_int_equal(cpuid_apply_policy(&table, n,
								    id), 0);
				assert_int_equal(count_function(&table, 0xb),
						 3);

				e = find(&table, 0xb, 0);   /* SMT */
				assert_int_equal(e->index, 0);
				assert_true(e->flags & SIG_IDX);
				assert_int_equal(e->eax, 0);
				assert_int_equal(e->ebx, 1);
				assert_int_equal(e->ecx, (1 << 8) | 0);
				assert_int_equal(e->edx, id);

				e = find(&table, 0xb, 1);   /* core */
				assert_int_equal(e->index, 1);
				assert_true(e->flags & SIG_IDX);
				assert_int_equal(e->eax, cpuid_id_bits(n));
				assert_int_equal(e->ebx, n);
				assert_int_equal(e->ecx, (2 << 8) | 1);
				assert_int_equal(e->edx, id);

				e = find(&table, 0xb, 2);   /* invalid */
				assert_int_equal(e->index, 2);
				assert_true(e->flags & SIG_IDX);
				assert_int_equal(e->eax, 0);
				assert_int_equal(e->ebx, 0);
				assert_int_equal(e->ecx, (0 << 8) | 2);
				assert_int_equal(e->edx, id);
			}
		}
	}
}

static void test_leaf_b_added_when_host_has_none(void **state)
{
	uint32_t out = 0;

	(void)state;
	build_amd(&table, 0x10);
	for (uint32_t i = 0; i < table.nent; i++)
		if (table.entries[i].function != 0xb)
			table.entries[out++] = table.entries[i];
	table.nent = out;
	assert_int_equal(cpuid_apply_policy(&table, 2, 1), 0);
	assert_int_equal(count_function(&table, 0xb), 3);
	assert_int_equal(find(&table, 0xb, 1)->ebx, 2);
	assert_int_equal(find(&table, 0xb, 1)->edx, 1);
}

static void test_leaf0_raised_to_0xb_when_lower(void **state)
{
	(void)state;
	for (size_t v = 0; v < NR_VENDORS; v++) {
		static const uint32_t lows[] = { 1, 7, 0xa };

		for (size_t i = 0; i < sizeof(lows) / sizeof(lows[0]); i++) {
			vendors[v](&table, lows[i]);
			assert_int_equal(cpuid_apply_policy(&table, 2, 0), 0);
			assert_int_equal(find(&table, 0, 0)->eax, 0xb);
		}
	}
}

static void test_leaf0_not_lowered_when_higher(void **state)
{
	(void)state;
	for (size_t v = 0; v < NR_VENDORS; v++) {
		static const uint32_t highs[] = { 0xb, 0xd, 0x1b, 0x20 };

		for (size_t i = 0; i < sizeof(highs) / sizeof(highs[0]); i++) {
			vendors[v](&table, highs[i]);
			assert_int_equal(cpuid_apply_policy(&table, 2, 0), 0);
			assert_int_equal(find(&table, 0, 0)->eax, highs[i]);
		}
	}
}

static void test_leaf_1f_removed(void **state)
{
	(void)state;
	build_intel(&table, 0x1f);
	assert_int_equal(count_function(&table, 0x1f), 3);
	assert_int_equal(cpuid_apply_policy(&table, 4, 3), 0);
	assert_int_equal(count_function(&table, 0x1f), 0);
	assert_null(cpuid_find(&table, 0x1f, 0));
	/* Nothing else went with it. */
	assert_int_equal(count_function(&table, 4), 5);
	assert_non_null(cpuid_find(&table, 0x80000008, 0));
}

static void test_svm_cleared(void **state)
{
	(void)state;
	for (size_t v = 0; v < NR_VENDORS; v++) {
		for (unsigned int n = 1; n <= 4; n++) {
			struct kvm_cpuid_entry2 *e;

			vendors[v](&table, 0x10);
			find(&table, 0x80000001, 0)->ecx |= EXT1_ECX_SVM;
			assert_int_equal(cpuid_apply_policy(&table, n, 0), 0);
			e = find(&table, 0x80000001, 0);
			assert_false(e->ecx & EXT1_ECX_SVM);
		}
	}
}

static void test_amd_80000008_nc_and_core_id_size(void **state)
{
	(void)state;
	for (unsigned int n = 1; n <= 4; n++) {
		struct kvm_cpuid_entry2 *e;

		build_amd(&table, 0x10);
		assert_int_equal(cpuid_apply_policy(&table, n, 0), 0);
		e = find(&table, 0x80000008, 0);
		assert_int_equal(e->ecx & 0xff, n - 1);
		assert_int_equal((e->ecx >> 12) & 0xf, cpuid_id_bits(n));
		/* PerfTscSize and the rest of the host's bits stay. */
		assert_int_equal(e->ecx & ~0xf0ffu, 0x00030000);
		assert_int_equal(e->eax, 0x00003030);
	}
}

static void test_amd_cmp_legacy_only_for_multiple_vcpus(void **state)
{
	(void)state;
	for (unsigned int n = 1; n <= 4; n++) {
		struct kvm_cpuid_entry2 *e;

		build_amd(&table, 0x10);
		assert_int_equal(cpuid_apply_policy(&table, n, 0), 0);
		e = find(&table, 0x80000001, 0);
		assert_int_equal(!!(e->ecx & EXT1_ECX_CMP_LEGACY), n > 1);
		assert_int_equal(e->ecx & ~(EXT1_ECX_CMP_LEGACY |
					   EXT1_ECX_SVM), 0x75c237f9);
	}
}

static void test_amd_8000001e_ids(void **state)
{
	(void)state;
	for (unsigned int n = 1; n <= 4; n++) {
		for (unsigned int id = 0; id < n; id++) {
			struct kvm_cpuid_entry2 *e;

			build_amd(&table, 0x10);
			assert_int_equal(cpuid_apply_policy(&table, n, id), 0);
			e = find(&table, 0x8000001e, 0);
			assert_int_equal(e->eax, id);
			assert_int_equal(e->ebx, id); /* 1 thread per core */
			assert_int_equal(e->ecx, 0);
		}
	}
}

static void test_intel_leaf4_cores_per_package(void **state)
{
	(void)state;
	for (unsigned int n = 1; n <= 4; n++) {
		uint32_t cores_m1 = (1u << cpuid_id_bits(n)) - 1;

		build_intel(&table, 0x1b);
		assert_int_equal(cpuid_apply_policy(&table, n, 0), 0);
		for (uint32_t sub = 0; sub < 4; sub++) {
			struct kvm_cpuid_entry2 *e = find(&table, 4, sub);
			unsigned int level = (e->eax >> 5) & 7;
			uint32_t sharing = level >= 3 ? cores_m1 : 0;

			assert_int_equal(e->index, sub);
			assert_int_equal(e->eax >> 26, cores_m1);
			assert_int_equal((e->eax >> 14) & 0xfff, sharing);
			/* Type, level and the other low bits are the host's. */
			assert_int_equal(e->eax & 0x3fff,
					 sub == 3 ? 0x0163 :
					 sub == 2 ? 0x0143 :
					 sub == 1 ? 0x0122 : 0x0121);
		}
		/* The terminating null entry stays all zero. */
		assert_int_equal(find(&table, 4, 4)->eax, 0);
	}
}

static void test_intel_amd_only_leaves_untouched(void **state)
{
	(void)state;
	for (unsigned int n = 1; n <= 4; n++) {
		build_intel(&table, 0x1b);
		assert_int_equal(cpuid_apply_policy(&table, n, 0), 0);
		assert_int_equal(find(&table, 0x80000008, 0)->ecx, 0);
		assert_int_equal(find(&table, 0x80000001, 0)->ecx, 0x00000121);
	}
}

/* The table with room to spare after it, to catch writes past the end. */
static struct {
	struct cpuid_table t;
	uint8_t canary[4 * sizeof(struct kvm_cpuid_entry2)];
} guarded;

static void fill_amd_to(uint32_t nent)
{
	memset(&guarded, 0xa5, sizeof(guarded));
	build_amd(&guarded.t, 0x10);
	/* No 0xb entries: all of the topology has to be added. */
	guarded.t.entries[2].function = 0xd;
	guarded.t.entries[3].function = 0xd;
	guarded.t.entries[3].index = 1;
	while (guarded.t.nent < nent)
		put(&guarded.t, 0x40000100 + guarded.t.nent, 0, 0, 1, 2, 3, 4);
	assert_int_equal(count_function(&guarded.t, 0xb), 0);
}

static void assert_canary_intact(void)
{
	for (size_t i = 0; i < sizeof(guarded.canary); i++)
		assert_int_equal(guarded.canary[i], 0xa5);
}

static void test_full_table_returns_error_without_overflow(void **state)
{
	(void)state;
	fill_amd_to(CPUID_MAX_ENTRIES);
	assert_int_equal(cpuid_apply_policy(&guarded.t, 4, 0), -1);
	assert_true(guarded.t.nent <= CPUID_MAX_ENTRIES);
	assert_canary_intact();
}

static void test_table_with_room_for_part_of_leaf_b_fails(void **state)
{
	(void)state;
	for (uint32_t room = 1; room <= 2; room++) {
		fill_amd_to(CPUID_MAX_ENTRIES - room);
		assert_int_equal(cpuid_apply_policy(&guarded.t, 4, 0), -1);
		assert_true(guarded.t.nent <= CPUID_MAX_ENTRIES);
		assert_canary_intact();
	}
}

static void test_table_with_exact_room_for_leaf_b_succeeds(void **state)
{
	(void)state;
	fill_amd_to(CPUID_MAX_ENTRIES - 3);
	assert_int_equal(cpuid_apply_policy(&guarded.t, 4, 2), 0);
	assert_int_equal(guarded.t.nent, CPUID_MAX_ENTRIES);
	assert_int_equal(count_function(&guarded.t, 0xb), 3);
	assert_int_equal(find(&guarded.t, 0xb, 2)->edx, 2);
	assert_canary_intact();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_bits),
		cmocka_unit_test(test_leaf1_ebx_apic_id_and_logical_count),
		cmocka_unit_test(test_leaf1_logical_count_is_power_of_two),
		cmocka_unit_test(test_leaf1_logical_count_above_128_vcpus),
		cmocka_unit_test(test_leaf1_htt_only_for_multiple_vcpus),
		cmocka_unit_test(test_leaf1_hypervisor_set_vmx_cleared),
		cmocka_unit_test(test_leaf_b_describes_smt_and_core_levels),
		cmocka_unit_test(test_leaf_b_added_when_host_has_none),
		cmocka_unit_test(test_leaf0_raised_to_0xb_when_lower),
		cmocka_unit_test(test_leaf0_not_lowered_when_higher),
		cmocka_unit_test(test_leaf_1f_removed),
		cmocka_unit_test(test_svm_cleared),
		cmocka_unit_test(test_amd_80000008_nc_and_core_id_size),
		cmocka_unit_test(test_amd_cmp_legacy_only_for_multiple_vcpus),
		cmocka_unit_test(test_amd_8000001e_ids),
		cmocka_unit_test(test_intel_leaf4_cores_per_package),
		cmocka_unit_test(test_intel_amd_only_leaves_untouched),
		cmocka_unit_test(test_full_table_returns_error_without_overflow),
		cmocka_unit_test(test_table_with_room_for_part_of_leaf_b_fails),
		cmocka_unit_test(test_table_with_exact_room_for_leaf_b_succeeds),
	};

	return cmocka_run_group_tests_name("cpuid", tests, NULL, NULL);
}
