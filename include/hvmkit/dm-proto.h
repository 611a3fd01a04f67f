/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control channel between hvmkit-hypervisor (HV) and hvmkit-devmodel
 * (DM): one SOCK_SEQPACKET socketpair, one message per packet, file
 * descriptors passed with SCM_RIGHTS.  Every message starts with struct
 * dm_msg_hdr; the receiver checks magic, version, that len equals the
 * packet length and the size its type requires, every field's range, and
 * the number of fds that came with it.  Anything else is a protocol error
 * that ends the peer.
 *
 * Session:
 *   HV -> DM  SETUP   (fds: guest RAM memfd, ioreq area memfd)
 *   DM -> HV  IRQ_REQ / IOEVENTFD_REQ ...      (only before READY; each
 *   HV -> DM  FDS     answered in order)
 *   DM -> HV  CLAIM_* / CONSOLE ...            (any time, no reply unless
 *                                               it fails: NACK)
 *   DM -> HV  READY                            (devices up, sandboxed)
 *   ... guest runs; ioreqs flow through the ioreq area ...
 *   HV -> DM  RESET / PAUSE / RESUME / POWER_BUTTON   DM -> HV  ACK
 *   HV -> DM  MEDIA (fd: the new medium, or none)     DM -> HV  MEDIA_ACK
 *   DM -> HV  MSI, GUEST_POWEROFF, GUEST_RESET, GUEST_SLEEP, ERROR
 *   HV -> DM  QUIT (or the socket closes: the DM exits)
 *
 * Every DM -> HV message counts towards ioreq.ctl_seq (see ioreq.h).
 */
#ifndef HVMKIT_DM_PROTO_H
#define HVMKIT_DM_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DM_PROTO_MAGIC   0x4d44u /* "DM" */
#define DM_PROTO_VERSION 5     /* 5: read shadows; 4: range zones */
#define DM_MSG_MAX       512     /* no message is larger */
#define DM_MAX_FDS       4
#define DM_MAX_RAM_BLOCKS 4
#define DM_MAX_GSI       24      /* IOAPIC pins 0-23 */
_Static_assert(DM_MAX_GSI <= 32, "ioreq.edge_gsis has a bit per GSI");

enum dm_msg_type {
	/* HV -> DM */
	DM_MSG_SETUP = 1,
	DM_MSG_FDS,          /* answer to IRQ_REQ / IOEVENTFD_REQ */
	DM_MSG_NACK,         /* a DM request failed */
	DM_MSG_RESET,        /* platform reset: reset every device, ACK */
	DM_MSG_PAUSE,        /* guest paused: stop device timers, ACK */
	DM_MSG_RESUME,       /* ACK */
	DM_MSG_POWER_BUTTON, /* press the power button; ACK, status
			      * -ENOTSUP if the platform has none */
	DM_MSG_QUIT,         /* orderly exit, no reply */
	DM_MSG_MEDIA,        /* change a CD drive's medium; MEDIA_ACK */

	/* DM -> HV */
	DM_MSG_IRQ_REQ = 64, /* fds for one GSI */
	DM_MSG_IOEVENTFD_REQ,
	DM_MSG_CLAIM_RANGE,
	DM_MSG_RELEASE_RANGE,
	DM_MSG_CLAIM_PCI,
	DM_MSG_RELEASE_PCI,
	DM_MSG_MSI,
	DM_MSG_CONSOLE,      /* where the guest's console is */
	DM_MSG_READY,
	DM_MSG_ACK,          /* answer to RESET/PAUSE/RESUME/POWER_BUTTON */
	DM_MSG_GUEST_POWEROFF,
	DM_MSG_GUEST_RESET,
	DM_MSG_ERROR,        /* fatal device-model error, text; DM exits */
	DM_MSG_GUEST_SLEEP,  /* the guest asked for an ACPI sleep state */
	DM_MSG_MEDIA_ACK,    /* answer to MEDIA, with a reason if refused */
};

struct dm_msg_hdr {
	uint16_t magic;
	uint16_t version;
	uint16_t type;       /* enum dm_msg_type */
	uint16_t len;        /* whole message, header included */
	uint32_t seq;        /* sender's message counter, from 1 */
	uint32_t pad;
};

struct dm_ram_block {
	uint64_t gpa;
	uint64_t size;
	uint64_t offset;     /* in the RAM memfd */
};

struct dm_msg_setup {
	struct dm_msg_hdr hdr;
	uint32_t nr_vcpus;
	uint32_t nr_ram_blocks;
	uint64_t ram_fd_size;
	uint64_t ioreq_size; /* IOREQ_AREA_SIZE(nr_vcpus) */
	struct dm_ram_block ram[DM_MAX_RAM_BLOCKS];
};                       /* fds: [0] RAM memfd, [1] ioreq area memfd */

enum dm_irq_trigger {
	DM_IRQ_EDGE = 0,     /* one irqfd; a rising edge injects */
	DM_IRQ_LEVEL = 1,    /* irqfd + resample fd (KVM_IRQFD_FLAG_RESAMPLE) */
};

struct dm_msg_irq_req {
	struct dm_msg_hdr hdr;
	uint32_t gsi;        /* < DM_MAX_GSI */
	uint32_t trigger;    /* enum dm_irq_trigger */
};                       /* answer: FDS, [0] irqfd, [1] resample (level) */

#define DM_IOEVENTFD_DATAMATCH 1u

struct dm_msg_ioeventfd_req {
	struct dm_msg_hdr hdr;
	uint32_t space;      /* IOREQ_TYPE_PIO or IOREQ_TYPE_MMIO */
	uint32_t flags;      /* DM_IOEVENTFD_* */
	uint64_t addr;
	uint32_t len;        /* 1, 2, 4 or 8 */
	uint32_t pad;
	uint64_t datamatch;
};                       /* answer: FDS, [0] eventfd */

struct dm_msg_fds {
	struct dm_msg_hdr hdr;
	uint32_t req_seq;    /* seq of the request this answers */
	uint32_t nr_fds;
};

struct dm_msg_status {   /* NACK and ACK */
	struct dm_msg_hdr hdr;
	uint32_t req_seq;
	int32_t status;      /* 0 or -errno */
};

#define DM_RANGE_POSTED_WRITES 1u /* writes need no reply */
#define DM_RANGE_COALESCED     2u /* and may be batched by KVM */
#define DM_RANGE_SHADOWED      4u /* reads may be answered from the
				   * range's read shadow (ioreq.h) */
#define DM_RANGE_FLAGS         (DM_RANGE_POSTED_WRITES | DM_RANGE_COALESCED | \
				DM_RANGE_SHADOWED)

struct dm_msg_range {    /* CLAIM_RANGE and RELEASE_RANGE */
	struct dm_msg_hdr hdr;
	uint32_t space;      /* IOREQ_TYPE_PIO or IOREQ_TYPE_MMIO */
	uint32_t flags;      /* DM_RANGE_*, CLAIM only */
	uint64_t base;
	uint64_t len;        /* CLAIM only */
	uint32_t range_id;   /* echoed in every ioreq for this range */
	/* With DM_RANGE_COALESCED: KVM batches the writes to [base + zone_off,
	 * base + zone_off + zone_len) only, the rest of the range is posted;
	 * zone_len 0 means the whole range.  Zero otherwise. */
	uint16_t zone_off;
	uint16_t zone_len;
};

struct dm_msg_pci {      /* CLAIM_PCI and RELEASE_PCI: bus 0 only */
	struct dm_msg_hdr hdr;
	uint32_t devfn;      /* slot << 3 | function, < 256 */
	uint32_t pad;
};

struct dm_msg_msi {
	struct dm_msg_hdr hdr;
	uint64_t addr;
	uint32_t data;
	uint32_t pad;
};

struct dm_msg_sleep {
	struct dm_msg_hdr hdr;
	uint32_t slp_typ;    /* PM1_CNT.SLP_TYP the guest wrote, 0-7 */
	uint32_t pad;
};

#define DM_TEXT_MAX 256

struct dm_msg_text {     /* CONSOLE ("pty /dev/pts/3") and ERROR */
	struct dm_msg_hdr hdr;
	char text[DM_TEXT_MAX]; /* NUL-terminated within the array */
};

#define DM_VDEV_MAX 16

struct dm_msg_media {    /* hvmkit cd-insert / cd-eject */
	struct dm_msg_hdr hdr;
	char vdev[DM_VDEV_MAX];  /* "hdc", NUL-terminated within the array */
	uint32_t insert;     /* 1: fd [0] is the new medium (opened
			      * read-only by the HV); 0: eject, no fd */
	uint32_t pad;
	char path[DM_TEXT_MAX];  /* the medium's path, for messages ("" for
				  * an eject), NUL-terminated */
};

struct dm_msg_media_ack {
	struct dm_msg_hdr hdr;
	uint32_t req_seq;    /* seq of the MEDIA this answers */
	int32_t status;      /* 0 or -errno */
	char text[DM_TEXT_MAX];  /* why not (status < 0): one printable
				  * line, NUL-terminated; "" for 0 */
};

/* Fills the header of a len-byte message (common/dm-msg.c). */
void dm_msg_init(void *msg, size_t len, unsigned int type, uint32_t seq);
/* Sends one packet with up to DM_MAX_FDS descriptors (SCM_RIGHTS); the
 * result of sendmsg(2) with flags. */
ssize_t dm_msg_send(int sock, const void *msg, size_t len, const int *fds,
		    unsigned int nr_fds, int flags);
/* The rule for every text field of a message: NUL-terminated within its
 * size bytes and printable (no byte below 0x20, no 0x7f). */
bool dm_msg_text_ok(const char *text, size_t size);
/* Makes a NUL-terminated text meet that rule: each unprintable byte
 * becomes repl. */
void dm_msg_text_printable(char *text, char repl);

#endif
