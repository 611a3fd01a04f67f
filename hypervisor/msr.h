/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MSR policy.  KVM handles the MSRs it knows; the ones listed in msr.c are
 * filtered so that their accesses exit to the hypervisor, and accesses to
 * MSRs that KVM does not know exit too and raise #GP (as on hardware)
 * instead of being silently ignored.
 */
#ifndef HVMKIT_MSR_H
#define HVMKIT_MSR_H

struct vm;
struct vcpu;

/* Turns on user-space MSR exits and installs the filter on vm->vm_fd. */
int msr_policy_install(struct vm *vm);

/* Completes a KVM_EXIT_X86_RDMSR or KVM_EXIT_X86_WRMSR exit. */
void msr_handle_exit(struct vcpu *v);

#endif
