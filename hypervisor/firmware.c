/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loads the firmware image that the guest's reset vector runs from. */
#include "firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvmkit/log.h"
#include "hvmkit/util.h"
#include "memory-layout.h"

uint8_t *firmware_map(const char *path, uint64_t *size)
{
	struct stat st;
	uint8_t *img = NULL;
	uint64_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("firmware %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		log_error("firmware %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("firmware %s: not a regular file", path);
		goto fail;
	}
	if (st.st_size == 0 || (uint64_t)st.st_size % FIRMWARE_SIZE_ALIGN ||
	    (uint64_t)st.st_size > FIRMWARE_SIZE_MAX) {
		log_error("firmware %s: size %lld bytes is not a PC firmware "
			  "size (a multiple of 64 KiB, at most 16 MiB)",
			  path, (long long)st.st_size);
		goto fail;
	}
	*size = (uint64_t)st.st_size;
	img = mmap(NULL, *size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (img == MAP_FAILED) {
		img = NULL;
		log_error("firmware %s: cannot allocate: %s", path,
			  strerror(errno));
		goto fail;
	}
	while (done < *size) {
		ssize_t n = read(fd, img + done, *size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("firmware %s: %s", path,
				  n < 0 ? strerror(errno) :
				  "file shrank while being read");
			goto fail;
		}
		done += (uint64_t)n;
	}
	mprotect(img, *size, PROT_READ);
	close(fd);
	return img;
fail:
	if (img)
		munmap(img, *size);
	close(fd);
	return NULL;
}
