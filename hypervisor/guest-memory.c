/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Guest RAM in a memfd, the firmware ROM, and their KVM memory slots. */
#define _GNU_SOURCE
#include "guest-memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvmkit/log.h"
#include "hvmkit/util.h"

/* Whether shared memory may get transparent huge pages on request: the
 * selected word of shmem_enabled ("always within_size advise [never] deny
 * force") is not "never" or "deny". */
static bool shmem_huge_pages_allowed(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled",
			"re");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, "[always]") || strstr(buf, "[within_size]") ||
	       strstr(buf, "[advise]") || strstr(buf, "[force]");
}

int guest_memory_create(struct guest_memory *m, uint64_t ram_size,
			uint8_t *firmware, uint64_t firmware_size)
{
	char sz[32];

	memset(m, 0, sizeof(*m));
	m->ram_fd = -1;
	memory_layout_compute(&m->layout, ram_size, firmware_size);

	m->ram_fd = memfd_create("hvmkit-guest-ram",
				 MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m->ram_fd < 0) {
		log_error("cannot create guest RAM memfd: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(m->ram_fd, (off_t)ram_size) < 0) {
		log_error("cannot size guest RAM to %s: %s",
			  format_size(ram_size, sz, sizeof(sz)),
			  strerror(errno));
		goto fail;
	}
	/* The device model maps this file too: it must never shrink under
	 * us (a shrunk memfd would SIGBUS the hypervisor) nor grow. */
	if (fcntl(m->ram_fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		log_error("cannot seal guest RAM memfd: %s", strerror(errno));
		goto fail;
	}
	m->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_NORESERVE, m->ram_fd, 0);
	if (m->ram == MAP_FAILED) {
		m->ram = NULL;
		log_error("cannot map %s of guest RAM: %s",
			  format_size(ram_size, sz, sizeof(sz)),
			  strerror(errno));
		goto fail;
	}
	/* Guest RAM has no place in a core dump of the hypervisor. */
	madvise(m->ram, ram_size, MADV_DONTDUMP);
	/* Transparent huge pages for guest RAM where the host allows them
	 * for shared memory (shmem_enabled advise, always or within_size;
	 * Linux's default is never): KVM then maps the guest with 2 MiB
	 * nested page table entries, as QEMU's anonymous RAM gets under
	 * the default "enabled" setting.  Failure changes nothing. */
	if (madvise(m->ram, ram_size, MADV_HUGEPAGE) == 0 &&
	    !shmem_huge_pages_allowed())
		log_info("guest RAM stays in 4 KiB pages: the host's "
			 "transparent_hugepage/shmem_enabled is 'never' "
			 "(see HOST SETUP in hvmkit-hypervisor(1))");
	m->firmware = firmware;
	return 0;
fail:
	close(m->ram_fd);
	m->ram_fd = -1;
	return -1;
}

void guest_memory_destroy(struct guest_memory *m)
{
	if (m->ram)
		munmap(m->ram, m->layout.ram_size);
	if (m->firmware)
		munmap(m->firmware, m->layout.firmware_size);
	if (m->ram_fd >= 0)
		close(m->ram_fd);
	m->ram = m->firmware = NULL;
	m->ram_fd = -1;
}

int guest_memory_map_into(const struct guest_memory *m, int vm_fd)
{
	const struct memory_layout *l = &m->layout;

	for (unsigned int i = 0; i < l->nr_blocks; i++) {
		const struct mem_block *b = &l->blocks[i];

		/* Power-on contents of the BIOS shadow (memory-layout.h). */
		if (b->is_shadow)
			memcpy(m->ram + b->offset, m->firmware + b->shadow_src,
			       b->len);
		uint8_t *base = b->is_firmware ? m->firmware : m->ram;
		struct kvm_userspace_memory_region region = {
			.slot = i,
			.flags = b->is_firmware ? KVM_MEM_READONLY : 0,
			.guest_phys_addr = b->gpa,
			.memory_size = b->len,
			.userspace_addr = (uintptr_t)(base + b->offset),
		};

		if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
			log_error("KVM_SET_USER_MEMORY_REGION %#llx+%#llx: %s",
				  (unsigned long long)b->gpa,
				  (unsigned long long)b->len, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void *guest_memory_ptr(const struct guest_memory *m, uint64_t gpa,
		       uint64_t len)
{
	const struct memory_layout *l = &m->layout;

	if (gpa + len < gpa)
		return NULL;
	for (unsigned int i = 0; i < l->nr_blocks; i++) {
		const struct mem_block *b = &l->blocks[i];

		if (b->is_firmware || gpa < b->gpa)
			continue;
		if (gpa - b->gpa >= b->len || len > b->len - (gpa - b->gpa))
			continue;
		return m->ram + b->offset + (gpa - b->gpa);
	}
	return NULL;
}
