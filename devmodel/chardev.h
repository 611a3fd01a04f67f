/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Character backends: where a console-like device (the 16550 UART, later
 * other consoles) sends the guest's bytes and gets the user's.  A backend
 * is opened from a SPEC string:
 *
 *   none        output discarded, no input
 *   stdio       the device model's fds 0 and 1 (a terminal on fd 0 is put
 *               in raw mode, except ISIG, and restored on close and exit)
 *   pty         a new pseudo-terminal; its /dev/pts path is reported with
 *               dm_report_console() ("pty /dev/pts/N")
 *   file:PATH   output only; PATH created or truncated, mode 0644
 *   unix:PATH   a listening stream socket (mode 0600), one client at a time
 *               ("socket PATH"); a stale socket at PATH is replaced
 *
 * Everything is opened in chardev_open(), before the device model is
 * sandboxed; afterwards only read/write-type calls are made, plus accept4
 * for unix:, and (in chardev_close) tcsetattr on fd 0 for stdio and
 * unlink of the socket path for unix: (refused with EPERM once sandboxed;
 * the hypervisor removes the socket then).
 *
 * Flow control both ways, as a cable with RTS/CTS would do it:
 * - Output: chardev_write() never blocks; it returns how many bytes it
 *   took.  If fewer than asked, the rest must wait: the backend watches its
 *   fd and calls the frontend's write_ready() when it can take more.  With
 *   no peer, output is taken and never holds the guest back: a pty nobody
 *   has open keeps it in its kernel buffer (about 64 KiB) and unix: keeps
 *   up to 64 KiB, for whoever attaches first; beyond that, and when
 *   stdout is gone, it is discarded as with an unplugged cable.
 * - Input: the backend reads only while the frontend's can_receive() says
 *   there is room, and never more than that; the frontend calls
 *   chardev_input_ready() when room appears again.  Input waits in the
 *   host (socket, pty, pipe) meanwhile and is never dropped.
 *
 * All functions and callbacks run with the device-model lock held (device
 * callbacks and the event loop's fd callbacks).
 */
#ifndef HVMKIT_CHARDEV_H
#define HVMKIT_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dm;
struct chardev;

struct chardev_frontend {
	/* Bytes the frontend can take now; 0 stops reading the host side. */
	size_t (*can_receive)(void *opaque);
	/* Input; len is at most what can_receive() last returned. */
	void (*receive)(void *opaque, const uint8_t *buf, size_t len);
	/* A chardev_write() took less than asked and the backend can take
	 * more now (or the peer left and output is discarded again). */
	void (*write_ready)(void *opaque);
};

/* Opens the backend spec for the device named owner (used in messages).
 * NULL after one error line naming the spec and the reason. */
struct chardev *chardev_open(struct dm *dm, const char *spec,
			     const char *owner);
/* Connects the device; input is read only after this. */
void chardev_set_frontend(struct chardev *c,
			  const struct chardev_frontend *fe, void *opaque);
/* Sends up to len bytes; returns how many were taken (sent or discarded).
 * Fewer than len: the backend would block; write_ready() follows. */
size_t chardev_write(struct chardev *c, const uint8_t *buf, size_t len);
/* The frontend has room for input again (can_receive() > 0). */
void chardev_input_ready(struct chardev *c);
/* Whether a peer is there: a socket client, a reader of the pty. */
bool chardev_connected(struct chardev *c);
/* Closes fds, restores the terminal, removes the socket path.  NULL is
 * fine. */
void chardev_close(struct chardev *c);

#endif
