/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Building and sending control-channel messages (include/hvmkit/dm-proto.h),
 * shared by the hypervisor, the device model and the tests' fake
 * hypervisor.
 */
#include "hvmkit/dm-proto.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

/* Every message fits one packet of DM_MSG_MAX bytes (the receivers'
 * buffers), and the header's len field. */
_Static_assert(sizeof(struct dm_msg_setup) <= DM_MSG_MAX, "SETUP too big");
_Static_assert(sizeof(struct dm_msg_text) <= DM_MSG_MAX, "text too big");
_Static_assert(sizeof(struct dm_msg_media) <= DM_MSG_MAX, "MEDIA too big");
_Static_assert(sizeof(struct dm_msg_media_ack) <= DM_MSG_MAX,
	       "MEDIA_ACK too big");

void dm_msg_init(void *msg, size_t len, unsigned int type, uint32_t seq)
{
	struct dm_msg_hdr *h = msg;

	h->magic = DM_PROTO_MAGIC;
	h->version = DM_PROTO_VERSION;
	h->type = (uint16_t)type;
	h->len = (uint16_t)len;
	h->seq = seq;
	h->pad = 0;
}

ssize_t dm_msg_send(int sock, const void *msg, size_t len, const int *fds,
		    unsigned int nr_fds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * DM_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nr_fds > DM_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nr_fds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nr_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nr_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nr_fds);
	}
	return sendmsg(sock, &mh, flags);
}

static bool printable(char c)
{
	return (unsigned char)c >= 0x20 && c != 0x7f;
}

bool dm_msg_text_ok(const char *text, size_t size)
{
	size_t n = strnlen(text, size);

	if (n == size)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!printable(text[i]))
			return false;
	return true;
}

void dm_msg_text_printable(char *text, char repl)
{
	for (char *c = text; *c; c++)
		if (!printable(*c))
			*c = repl;
}
