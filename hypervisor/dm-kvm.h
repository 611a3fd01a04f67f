/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the hypervisor does in KVM and in its I/O registries on the device
 * model's behalf: irqfds (with resample fds), ioeventfds, coalesced
 * MMIO/PIO zones, and claimed PIO/MMIO ranges forwarded as ioreqs.  The
 * KVM objects are recorded so that a reset, which rebuilds the KVM VM,
 * can register the same eventfds with the new one.
 */
#ifndef HVMKIT_DM_KVM_H
#define HVMKIT_DM_KVM_H

#include <stdint.h>

#include "hvmkit/dm-proto.h"

struct vm;

/* Each returns 0 or -errno; fds[] gets new eventfds owned by the caller
 * until sent (they stay registered with KVM). */
int dm_kvm_irq(struct vm *vm, const struct dm_msg_irq_req *m, int fds[2],
	       unsigned int *nr_fds);
int dm_kvm_ioeventfd(struct vm *vm, const struct dm_msg_ioeventfd_req *m,
		     int *fd);
int dm_kvm_claim(struct vm *vm, const struct dm_msg_range *m);
int dm_kvm_release(struct vm *vm, const struct dm_msg_range *m);
int dm_kvm_msi(struct vm *vm, const struct dm_msg_msi *m);
/* Pulses the GSIs in gsis (bit n: GSI n) as their edge irqfds would;
 * -EINVAL if one has no edge irqfd. */
int dm_kvm_raise_edges(struct vm *vm, uint32_t gsis);

/* Re-registers everything with the (new) vm->vm_fd. */
int dm_kvm_rebind(struct vm *vm);
/* Unregisters the claimed ranges and frees all records. */
void dm_kvm_destroy(struct vm *vm);

#endif
