/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ioreq transport between hvmkit-hypervisor and hvmkit-devmodel: the
 * layout of the shared "ioreq area" (a memfd the hypervisor creates and
 * hands over on the control channel).  It follows Xen's ioreq server
 * (xen/include/public/hvm/ioreq.h): one synchronous request slot per vCPU
 * plus a ring of posted ("buffered") writes, with state words that both
 * sides spin on briefly and sleep on with futex(2) otherwise.
 *
 * Area layout: struct ioreq_area_header at offset 0, then nr_vcpus blocks
 * of struct ioreq_vcpu at IOREQ_VCPU_OFFSET(i).
 *
 * Protocol for one synchronous request (slot of vCPU i):
 *   hypervisor: fills req, state = READY (release), bumps doorbell;
 *               FUTEX_WAKE(doorbell) if dm_sleeping;
 *               waits for state == DONE (spin, then FUTEX_WAIT on state
 *               with hv_sleeping set); copies the response once;
 *               state = IDLE.
 *   devmodel:   drains the posted ring first (program order of the vCPU),
 *               copies req once, handles it, writes data/ctl_seq,
 *               state = DONE (release); FUTEX_WAKE(state) if hv_sleeping.
 * Posted writes (ranges claimed with DM_RANGE_POSTED_WRITES, and KVM's
 * coalesced MMIO/PIO ring): the hypervisor appends at head (release) and
 * bumps the doorbell; the device model consumes at tail.  If the ring is
 * full the write is sent as a synchronous request instead, which keeps
 * order because the device model drains the ring before every request.
 *
 * Read shadows (claims with DM_RANGE_SHADOWED, at most IOREQ_SHADOW_BYTES
 * long, range_id 1 .. IOREQ_SHADOWS): the device model keeps, in
 * shadows[range_id - 1] of the area header, the bytes a read of the claim
 * would return wherever that read has no side effect (valid bits), and
 * updates them under its lock whenever they change.  The hypervisor
 * answers a read from them without a request when every valid bit it needs
 * is set, the entry is for this claim (base) and stable (seq even and
 * unchanged around the copy, a seqlock), and no vCPU has posted writes
 * pending other than latches of other bytes (below): the device model
 * advances posted_tail only after the write was
 * handled (and its shadows updated), so the value already reflects every
 * earlier write of the guest.  A read that cannot be answered so is an
 * ordinary synchronous request.  posted_ctl_seq is the number of control
 * messages the device model had sent when it finished its last posted
 * write: a shadow read waits for those as a synchronous one would.
 *
 * Neither side trusts the other's fields: the device model checks size,
 * count and type of every request; the hypervisor reads only data, ctl_seq
 * and edge_gsis of a response and bounds the wait by its device-model
 * timeout.
 *
 * Latches: a shadow's latch bit i says that a write to byte i changes
 * nothing but what reads of the bytes it writes return (no interrupt, no
 * other register, no latch or kick bit), unless it changes kick bits
 * (below).  In a one-vCPU domain the hypervisor marks such a posted write
 * IOREQ_POSTED_LATCH when no other unfinished posted write is pending (so
 * the bits it went by are current), and a pending latch then holds back
 * only shadow reads of the bytes it writes: the guest's status poll after
 * writing a task file or a PRD address is answered at once.  The device
 * model changes latch bits only while it handles a guest access (or while
 * the vCPUs are stopped).
 * Doorbells: a shadow's kick bits mark the bits of a register whose change
 * by a write does more than a latch; for a bus master's start bit that is
 * work ending in an interrupt.  A vCPU thread that shares its CPU with the
 * device model (it cannot spin, see ioreq-client.c) sends a write changing
 * them synchronously: posted, it would wait until the vCPU blocks,
 * typically in HLT waiting for the very interrupt.
 * Edges: the edge-triggered GSIs the device model raised while it handled
 * a synchronous request come back in the answer (edge_gsis; two edges of
 * one GSI in one request are one pulse, as close edges on an ISA line
 * are), and the hypervisor raises them (KVM_IRQ_LINE) before the vCPU
 * resumes, instead of the device model writing their irqfds, which KVM
 * injects from a kernel worker (IOAPIC routes cannot be injected from the
 * writer's context).  The hypervisor accepts only GSIs it gave the device
 * model an edge irqfd for.
 */
#ifndef HVMKIT_IOREQ_H
#define HVMKIT_IOREQ_H

#include <stdint.h>

#define IOREQ_MAGIC   0x71657268u /* "hreq" */
#define IOREQ_VERSION 3 /* 2: read shadows; 3: latches, doorbells, edges */

/* REP INS/OUTS: KVM hands over at most one page of items per exit. */
#define IOREQ_BUF_SIZE 4096
#define IOREQ_POSTED_SLOTS 128 /* power of two */

enum ioreq_type {
	IOREQ_TYPE_PIO = 0,
	IOREQ_TYPE_MMIO = 1,
	/* addr = IOREQ_PCI_ADDR(devfn, reg): the hypervisor decodes the
	 * 0xCF8 latch (as Xen does) and forwards 0xCFC-0xCFF accesses of
	 * the functions the device model claimed. */
	IOREQ_TYPE_PCI_CONFIG = 2,
};
#define IOREQ_PCI_ADDR(devfn, reg) (((uint64_t)(devfn) << 8) | (reg))

enum ioreq_dir {
	IOREQ_READ = 0,
	IOREQ_WRITE = 1,
};

enum ioreq_state {
	IOREQ_STATE_IDLE = 0,  /* slot owned by the hypervisor */
	IOREQ_STATE_READY = 1, /* request published, device model owns it */
	IOREQ_STATE_DONE = 2,  /* response published, hypervisor owns it */
};

/* One access.  For count > 1 (PIO REP only) the items are in buf. */
struct ioreq {
	uint64_t addr;     /* port, guest-physical address or PCI address */
	uint64_t data;     /* count == 1: the value, little-endian */
	uint32_t size;     /* 1, 2, 4 or 8 (8: MMIO only) */
	uint32_t count;    /* 1 .. IOREQ_BUF_SIZE / size */
	uint32_t type;     /* enum ioreq_type */
	uint32_t dir;      /* enum ioreq_dir */
	uint32_t range_id; /* id the device model gave the claimed range */
	/* Response: number of control messages the device model had sent
	 * when it completed this request.  The vCPU resumes only after the
	 * hypervisor has processed that many, so a BAR move made by a
	 * config write is in effect before the guest's next access. */
	uint32_t ctl_seq;
	/* Response: bit n set: the device model raised GSI n (an edge line
	 * of its) while handling this request; see "Edges" above. */
	uint32_t edge_gsis;
};

struct ioreq_posted {
	uint64_t addr;
	uint64_t data;
	uint32_t size;
	uint32_t type;     /* IOREQ_TYPE_PIO or IOREQ_TYPE_MMIO */
	uint32_t range_id;
	uint32_t flags;    /* IOREQ_POSTED_*, the hypervisor's own notes */
};
#define IOREQ_POSTED_LATCH 1u /* see "Latches" above */

#define IOREQ_CACHELINE 64

struct ioreq_vcpu {
	/* Written by the hypervisor, read by the device model. */
	uint32_t state;        /* enum ioreq_state, futex word for hv */
	uint32_t doorbell;     /* bumped on new work, futex word for dm */
	uint32_t hv_sleeping;  /* hypervisor is (about to be) in FUTEX_WAIT */
	uint32_t dm_sleeping;  /* device model is (about to be) in FUTEX_WAIT */
	uint8_t pad0[IOREQ_CACHELINE - 16];
	struct ioreq req;
	uint8_t pad1[IOREQ_CACHELINE - sizeof(struct ioreq)];
	uint32_t posted_head;  /* next slot the hypervisor fills */
	uint8_t pad2[IOREQ_CACHELINE - 4];
	uint32_t posted_tail;  /* next slot the device model takes */
	uint8_t pad3[IOREQ_CACHELINE - 4];
	struct ioreq_posted posted[IOREQ_POSTED_SLOTS];
	uint8_t buf[IOREQ_BUF_SIZE];
};

#define IOREQ_SHADOWS 64
#define IOREQ_SHADOW_BYTES 16

struct ioreq_shadow {
	uint32_t seq;      /* seqlock: odd while the device model writes */
	uint16_t valid;    /* bit i: bytes[i] is what a read returns */
	uint16_t latch;    /* bit i: a write to byte i is a latch */
	uint64_t base;     /* the claim's base: a moved BAR's old entry is
			    * never taken for the new one */
	uint8_t bytes[IOREQ_SHADOW_BYTES]; /* the claim's first bytes */
	/* Kick bits (see "Doorbells" above), written under the seqlock. */
	uint8_t kick[IOREQ_SHADOW_BYTES];
};

struct ioreq_area_header {
	uint32_t magic;
	uint32_t version;
	uint32_t nr_vcpus;
	uint32_t vcpu_stride;  /* bytes between struct ioreq_vcpu blocks */
	uint32_t posted_ctl_seq; /* written by the device model */
	uint8_t pad[IOREQ_CACHELINE - 20];
	struct ioreq_shadow shadows[IOREQ_SHADOWS]; /* [range_id - 1] */
};

#define IOREQ_VCPU_STRIDE \
	((sizeof(struct ioreq_vcpu) + 4095) & ~(size_t)4095)
#define IOREQ_VCPU_OFFSET(i) (4096 + (size_t)(i) * IOREQ_VCPU_STRIDE)
#define IOREQ_AREA_SIZE(nr_vcpus) IOREQ_VCPU_OFFSET(nr_vcpus)

_Static_assert(sizeof(struct ioreq) <= IOREQ_CACHELINE, "ioreq too big");
_Static_assert(sizeof(struct ioreq_area_header) <= 4096,
	       "the area header must fit its page");
_Static_assert(IOREQ_SHADOW_BYTES <= 16, "valid has 16 bits");

/* The valid/latch bits of len bytes at offset off of a shadow (off + len
 * at most IOREQ_SHADOW_BYTES). */
static inline uint16_t ioreq_shadow_mask(unsigned int off, unsigned int len)
{
	return (uint16_t)(((1u << len) - 1) << off);
}
_Static_assert((IOREQ_POSTED_SLOTS & (IOREQ_POSTED_SLOTS - 1)) == 0,
	       "posted ring size must be a power of two");

#endif
