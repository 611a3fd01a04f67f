/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Direct kernel boot (kernel=, ramdisk=, extra= in the domain config) the
 * way QEMU's -kernel works with SeaBIOS: the device model loads nothing
 * into guest memory itself.  It reads the Linux bzImage, fills in the
 * setup header as a boot loader must, and hands the pieces to the firmware
 * as fw_cfg items, with the option ROM genroms/linuxboot.bin
 * (firmware/linuxboot/linuxboot.S) that SeaBIOS boots; the ROM DMAs each
 * piece to its address and jumps to the kernel's real-mode setup code.
 *
 * Boot protocol: Linux Documentation/arch/x86/boot.rst, sections "The
 * Real-Mode Kernel Header" (field offsets), "Details of Header Fields"
 * (what a loader writes: type_of_loader, loadflags CAN_USE_HEAP,
 * heap_end_ptr, cmd_line_ptr, ramdisk_image/size, vid_mode), "Memory
 * Layout" and "Memory Layout of The Real-Mode Code" (where the pieces
 * go), "Loading The Rest of The Kernel" (the protected-mode part starts at
 * (setup_sects + 1) * 512 in the file and is loaded at 1 MiB), "Special
 * Command Line Options" (vga=), "Running the Kernel" (done by the ROM).
 * Layout as QEMU's x86_load_linux (hw/i386/x86.c) for a modern kernel:
 * setup at 0x10000, the command line at 0x20000 (so the setup code gets a
 * whole 64 KiB segment for its stack and heap: heap_end_ptr = 0xfe00),
 * the protected-mode kernel at 0x100000, the initrd 4 KiB aligned at the
 * top of the window below min(RAM below 4 GiB - 0x28000, initrd_addr_max
 * + 1); 0x28000 is the room QEMU leaves for the firmware's ACPI data.
 *
 * fw_cfg items (QEMU docs/specs/fw_cfg.rst; keys in pc.h): SETUP_ADDR/
 * SIZE/DATA, KERNEL_ADDR/SIZE/DATA, CMDLINE_ADDR/SIZE/DATA (the size
 * counts the NUL), INITRD_ADDR/SIZE/DATA (address and size 0 without an
 * initrd, so the ROM always finds the keys), KERNEL_ENTRY, and the file
 * genroms/linuxboot.bin.  The ROM image is padded here to a multiple of
 * 512 bytes and gets its size byte, its PnP header checksum and its ROM
 * checksum (last byte: all bytes sum to 0, which SeaBIOS checks,
 * src/optionroms.c is_valid_rom) set here.
 *
 * Deliberate limits and deviations:
 * - Only bzImages of boot protocol 2.06 or later (Linux 2.6.22, 2007):
 *   they have cmdline_size, take their setup anywhere and their kernel at
 *   1 MiB.  zImages, older protocols, multiboot and PVH ELF kernels,
 *   which QEMU also loads, are refused with an error.
 * - QEMU adds FW_CFG_KERNEL_ENTRY only for multiboot and PVH kernels; it
 *   is added here too, as the bzImage's 32-bit entry (code32_start), so
 *   the key is never absent.  Nothing in SeaBIOS or the ROM reads it.
 * - The initrd is refused when it would overlap the protected-mode
 *   kernel as loaded, which QEMU does not check.  The space the kernel
 *   needs while it decompresses (init_size) is not checked, as in QEMU.
 * - The setup code is refused when larger than 32 KiB, the limit of
 *   boot.rst ("The real-mode code can total up to 32K") and of Linux's
 *   own setup.ld; QEMU only checks it against the file size.
 * - vid_mode is "normal" (0xFFFF) unless the command line has vga=, as
 *   GRUB's linux16 does; QEMU keeps the file's value without vga=, which
 *   a bzImage build sets to normal anyway.
 * - The ROM may place the initrd lower than the address given here when
 *   the firmware reports less RAM (INT 15h E801h), as QEMU's
 *   linuxboot_dma.c does; it then updates ramdisk_image itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "hvmkit/log.h"
#include "pc.h"

/* Where the pieces go (QEMU x86_load_linux, "High and recent kernel"). */
#define KB_SETUP_ADDR        0x10000u
#define KB_CMDLINE_ADDR      0x20000u
#define KB_KERNEL_ADDR       0x100000u
#define KB_LOW_MEM_END       0x9f000u  /* below the EBDA: cmdline limit */
#define KB_ACPI_DATA_ROOM    0x28000u  /* QEMU's acpi_data_size */
#define KB_INITRD_ALIGN      0x1000u

/* Setup header fields: offsets in the kernel file (boot.rst). */
#define HDR_SETUP_SECTS      0x1f1
#define HDR_VID_MODE         0x1fa
#define HDR_HEADER           0x202
#define HDR_VERSION          0x206
#define HDR_TYPE_OF_LOADER   0x210
#define HDR_LOADFLAGS        0x211
#define HDR_CODE32_START     0x214
#define HDR_RAMDISK_IMAGE    0x218
#define HDR_RAMDISK_SIZE     0x21c
#define HDR_HEAP_END_PTR     0x224
#define HDR_CMD_LINE_PTR     0x228
#define HDR_INITRD_ADDR_MAX  0x22c
#define HDR_CMDLINE_SIZE     0x238
#define HDR_END              0x23c     /* the fields read or written here */

#define HDR_MAGIC            0x53726448 /* "HdrS" */
#define HDR_MIN_VERSION      0x0206
#define LOADFLAGS_LOADED_HIGH 0x01
#define LOADFLAGS_CAN_USE_HEAP 0x80
#define LOADER_TYPE_QEMU     0xb0       /* T = 0xB (QEMU), V = 0 */
#define VID_MODE_NORMAL      0xffff
#define VID_MODE_EXT         0xfffe
#define VID_MODE_ASK         0xfffd

#define SECTOR_SIZE          512
#define SETUP_SECTS_DEFAULT  4          /* when setup_sects is 0 */
#define SETUP_MAX            0x8000     /* boot sector + setup: 32 KiB */
#define FILE_MAX             0xffffffffull /* fw_cfg sizes are 32-bit */

/* Option ROM layout (linuxboot.S; PnP BIOS Spec 1.0A section 3.2). */
#define ROM_FILE_NAME        "genroms/linuxboot.bin"
#define ROM_BLOCK            512
#define ROM_MAX_BLOCKS       255
#define ROM_SIZE_BYTE        2
#define ROM_PNP_PTR          0x1a
#define PNP_SIGNATURE        "$PnP"
#define PNP_LENGTH           5          /* in 16-byte units */
#define PNP_CHECKSUM         9
#define PNP_MIN_LEN          0x20

struct kb_file {
	uint8_t *data;
	size_t len;
};

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The byte that makes the len bytes at p sum to 0 (mod 256) when it
 * replaces a 0 byte among them. */
static uint8_t checksum_fix(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/* Reads a whole regular file; what names it in the error line. */
static int kb_read_file(const char *what, const char *path,
			struct kb_file *f)
{
	struct stat st;
	size_t done = 0;
	int fd;

	f->data = NULL;
	f->len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("%s '%s': cannot open: %s", what, path,
			  strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_error("%s '%s': cannot read: %s", what, path,
			  strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("%s '%s': not a regular file", what, path);
		goto fail;
	}
	if ((unsigned long long)st.st_size > FILE_MAX) {
		log_error("%s '%s': too large (%lld bytes; at most 4 GiB - 1)",
			  what, path, (long long)st.st_size);
		goto fail;
	}
	f->len = (size_t)st.st_size;
	f->data = malloc(f->len ? f->len : 1);
	if (!f->data) {
		log_error("%s '%s': out of memory for %zu bytes", what, path,
			  f->len);
		goto fail;
	}
	while (done < f->len) {
		ssize_t n = read(fd, f->data + done, f->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("%s '%s': cannot read: %s", what, path,
				  n < 0 ? strerror(errno) :
				  "file shrank while being read");
			goto fail;
		}
		done += (size_t)n;
	}
	close(fd);
	return 0;

fail:
	free(f->data);
	f->data = NULL;
	f->len = 0;
	close(fd);
	return -1;
}

/*
 * vga=MODE on the command line goes into vid_mode (boot.rst "Special
 * Command Line Options"): "normal", "ext", "ask" or a number.  Without
 * it, vid_mode is "normal".  -1 after an error line.
 */
static int kb_vid_mode(const char *cmdline, uint16_t *mode)
{
	const char *p = cmdline;

	*mode = VID_MODE_NORMAL;
	for (;;) {
		const char *v = strstr(p, "vga=");
		char *end;
		unsigned long n;

		if (!v)
			return 0;
		p = v + 4;
		if (v != cmdline && v[-1] != ' ')
			continue;       /* part of another option */
		if (!strncmp(p, "normal", 6) && (!p[6] || p[6] == ' ')) {
			*mode = VID_MODE_NORMAL;
			continue;
		}
		if (!strncmp(p, "ext", 3) && (!p[3] || p[3] == ' ')) {
			*mode = VID_MODE_EXT;
			continue;
		}
		if (!strncmp(p, "ask", 3) && (!p[3] || p[3] == ' ')) {
			*mode = VID_MODE_ASK;
			continue;
		}
		errno = 0;
		n = strtoul(p, &end, 0);
		if (*p < '0' || *p > '9' || (*end && *end != ' ') || errno ||
		    n > 0xffff) {
			log_error("kernel command line: invalid vga= value "
				  "(normal, ext, ask or a number up to "
				  "0xffff)");
			return -1;
		}
		*mode = (uint16_t)n;    /* the last vga= wins, as in Linux */
	}
}

/* Checks the kernel file; *setup_len gets the real-mode part's length. */
static int kb_check_kernel(const char *path, const struct kb_file *k,
			   size_t *setup_len)
{
	const uint8_t *h = k->data;
	unsigned int sects;
	uint16_t version;

	if (k->len < HDR_END) {
		log_error("kernel '%s': too small for a Linux kernel "
			  "(%zu bytes, no room for the setup header)",
			  path, k->len);
		return -1;
	}
	if (get_le32(h + HDR_HEADER) != HDR_MAGIC) {
		log_error("kernel '%s': no \"HdrS\" signature at 0x202: not "
			  "a Linux bzImage", path);
		return -1;
	}
	version = get_le16(h + HDR_VERSION);
	if (version < HDR_MIN_VERSION) {
		log_error("kernel '%s': boot protocol %u.%02u is older than "
			  "the 2.06 this loader needs", path, version >> 8,
			  version & 0xff);
		return -1;
	}
	if (!(h[HDR_LOADFLAGS] & LOADFLAGS_LOADED_HIGH)) {
		log_error("kernel '%s': not a bzImage (loadflags LOADED_HIGH "
			  "clear: a zImage loaded low)", path);
		return -1;
	}
	sects = h[HDR_SETUP_SECTS] ? h[HDR_SETUP_SECTS] : SETUP_SECTS_DEFAULT;
	*setup_len = (sects + 1) * SECTOR_SIZE;
	if (*setup_len > SETUP_MAX) {
		log_error("kernel '%s': real-mode setup of %zu bytes is larger "
			  "than the 32 KiB the boot protocol allows", path,
			  *setup_len);
		return -1;
	}
	if (k->len <= *setup_len) {
		log_error("kernel '%s': too small (%zu bytes): no "
			  "protected-mode kernel after the %zu-byte setup",
			  path, k->len, *setup_len);
		return -1;
	}
	return 0;
}

/* The initrd's address: the top of the window, 4 KiB aligned, above the
 * kernel.  0, or -1 after an error line. */
static int kb_place_initrd(const struct kernel_boot_config *cfg,
			   const uint8_t *hdr, size_t initrd_len,
			   uint64_t kernel_end, uint32_t *addr)
{
	uint64_t top = (uint64_t)get_le32(hdr + HDR_INITRD_ADDR_MAX) + 1;
	uint64_t ram_top = cfg->ram_below_4g > KB_ACPI_DATA_ROOM ?
			   cfg->ram_below_4g - KB_ACPI_DATA_ROOM : 0;
	uint64_t a;

	if (ram_top < top)
		top = ram_top;
	if (initrd_len > top)
		goto no_room;
	a = (top - initrd_len) & ~(uint64_t)(KB_INITRD_ALIGN - 1);
	if (a < kernel_end)
		goto no_room;
	*addr = (uint32_t)a;
	return 0;

no_room:
	log_error("initrd '%s': %zu bytes do not fit between the kernel's end "
		  "(%#llx) and %#llx (RAM below 4 GiB less %#x for ACPI "
		  "data, or the kernel's initrd_addr_max + 1)", cfg->initrd,
		  initrd_len, (unsigned long long)kernel_end,
		  (unsigned long long)top, KB_ACPI_DATA_ROOM);
	return -1;
}

/*
 * Adds genroms/linuxboot.bin: the embedded ROM padded to 512-byte blocks
 * (at least one spare byte for the checksum), with its size byte, PnP
 * header checksum and ROM checksum set.
 */
static int kb_add_option_rom(struct fw_cfg *c)
{
	size_t raw = (size_t)(linuxboot_rom_end - linuxboot_rom);
	size_t len = (raw + 1 + ROM_BLOCK - 1) / ROM_BLOCK * ROM_BLOCK;
	size_t pnp, pnp_len;
	uint8_t *rom;
	int ret = -1;

	if (raw < ROM_PNP_PTR + 2 || len > ROM_MAX_BLOCKS * ROM_BLOCK)
		goto malformed;
	pnp = get_le16(linuxboot_rom + ROM_PNP_PTR);
	if (pnp + PNP_MIN_LEN > raw ||
	    memcmp(linuxboot_rom + pnp, PNP_SIGNATURE, 4))
		goto malformed;
	pnp_len = (size_t)linuxboot_rom[pnp + PNP_LENGTH] * 16;
	if (pnp_len < PNP_MIN_LEN || pnp + pnp_len > raw)
		goto malformed;

	rom = calloc(1, len);
	if (!rom) {
		log_error("kernel boot: out of memory for the option ROM");
		return -1;
	}
	memcpy(rom, linuxboot_rom, raw);
	rom[ROM_SIZE_BYTE] = (uint8_t)(len / ROM_BLOCK);
	rom[pnp + PNP_CHECKSUM] = 0;
	rom[pnp + PNP_CHECKSUM] = checksum_fix(rom + pnp, pnp_len);
	rom[len - 1] = checksum_fix(rom, len);
	if (fw_cfg_add_file(c, ROM_FILE_NAME, rom, len, NULL, NULL, false))
		ret = 0;
	free(rom);
	return ret;

malformed:
	log_error("kernel boot: internal error: the built-in option ROM "
		  "(%zu bytes) has no valid header", raw);
	return -1;
}

static int kb_add_items(struct fw_cfg *c, const uint8_t *setup,
			size_t setup_len, const struct kb_file *k,
			const struct kb_file *initrd, uint32_t initrd_addr,
			const char *cmdline)
{
	const uint8_t *kernel = k->data + setup_len;
	size_t kernel_len = k->len - setup_len;
	size_t cmdline_len = strlen(cmdline) + 1;

	if (fw_cfg_add_le32(c, FW_CFG_SETUP_ADDR, KB_SETUP_ADDR) ||
	    fw_cfg_add_le32(c, FW_CFG_SETUP_SIZE, (uint32_t)setup_len) ||
	    fw_cfg_add_bytes(c, FW_CFG_SETUP_DATA, setup, setup_len) ||
	    fw_cfg_add_le32(c, FW_CFG_KERNEL_ADDR, KB_KERNEL_ADDR) ||
	    fw_cfg_add_le32(c, FW_CFG_KERNEL_SIZE, (uint32_t)kernel_len) ||
	    fw_cfg_add_bytes(c, FW_CFG_KERNEL_DATA, kernel, kernel_len) ||
	    fw_cfg_add_le32(c, FW_CFG_KERNEL_ENTRY,
			    get_le32(setup + HDR_CODE32_START)) ||
	    fw_cfg_add_le32(c, FW_CFG_CMDLINE_ADDR, KB_CMDLINE_ADDR) ||
	    fw_cfg_add_le32(c, FW_CFG_CMDLINE_SIZE, (uint32_t)cmdline_len) ||
	    fw_cfg_add_bytes(c, FW_CFG_CMDLINE_DATA, cmdline, cmdline_len) ||
	    fw_cfg_add_le32(c, FW_CFG_INITRD_ADDR, initrd_addr) ||
	    fw_cfg_add_le32(c, FW_CFG_INITRD_SIZE, (uint32_t)initrd->len))
		return -1;
	if (initrd->len &&
	    fw_cfg_add_bytes(c, FW_CFG_INITRD_DATA, initrd->data, initrd->len))
		return -1;
	return kb_add_option_rom(c);
}

int kernel_boot_setup(struct fw_cfg *c, const struct kernel_boot_config *cfg)
{
	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	struct kb_file kernel, initrd = { NULL, 0 };
	uint64_t kernel_end, ram_top;
	uint32_t initrd_addr = 0, cmdline_max;
	size_t setup_len, cmdline_len;
	uint8_t *setup = NULL;
	uint16_t vid_mode;
	int ret = -1;

	if (kb_read_file("kernel", cfg->kernel, &kernel))
		return -1;
	if (kb_check_kernel(cfg->kernel, &kernel, &setup_len))
		goto out;

	/* The protected-mode kernel must be in RAM, below the room left
	 * for the firmware's data. */
	kernel_end = KB_KERNEL_ADDR + (uint64_t)(kernel.len - setup_len);
	ram_top = cfg->ram_below_4g > KB_ACPI_DATA_ROOM ?
		  cfg->ram_below_4g - KB_ACPI_DATA_ROOM : 0;
	if (kernel_end > ram_top) {
		log_error("kernel '%s': the %zu-byte protected-mode kernel at "
			  "1 MiB does not fit in RAM (below %#llx)",
			  cfg->kernel, kernel.len - setup_len,
			  (unsigned long long)ram_top);
		goto out;
	}

	/* cmdline_size is the longest command line without its NUL; the
	 * line must also end below the EBDA. */
	cmdline_len = strlen(cmdline);
	cmdline_max = get_le32(kernel.data + HDR_CMDLINE_SIZE);
	if (cmdline_max > KB_LOW_MEM_END - KB_CMDLINE_ADDR - 1)
		cmdline_max = KB_LOW_MEM_END - KB_CMDLINE_ADDR - 1;
	if (cmdline_len > cmdline_max) {
		log_error("kernel command line: %zu characters, longer than "
			  "the %u kernel '%s' accepts (cmdline_size)",
			  cmdline_len, cmdline_max, cfg->kernel);
		goto out;
	}
	if (kb_vid_mode(cmdline, &vid_mode))
		goto out;

	if (cfg->initrd) {
		if (kb_read_file("initrd", cfg->initrd, &initrd))
			goto out;
		if (!initrd.len) {
			log_error("initrd '%s': empty file", cfg->initrd);
			goto out;
		}
		if (kb_place_initrd(cfg, kernel.data, initrd.len, kernel_end,
				    &initrd_addr))
			goto out;
	}

	/* The setup code with its header filled in ("Details of Header
	 * Fields": the obligatory fields a loader writes). */
	setup = malloc(setup_len);
	if (!setup) {
		log_error("kernel '%s': out of memory", cfg->kernel);
		goto out;
	}
	memcpy(setup, kernel.data, setup_len);
	put_le16(setup + HDR_VID_MODE, vid_mode);
	setup[HDR_TYPE_OF_LOADER] = LOADER_TYPE_QEMU;
	setup[HDR_LOADFLAGS] |= LOADFLAGS_CAN_USE_HEAP;
	put_le16(setup + HDR_HEAP_END_PTR,
		 KB_CMDLINE_ADDR - KB_SETUP_ADDR - 0x200);
	put_le32(setup + HDR_CMD_LINE_PTR, KB_CMDLINE_ADDR);
	put_le32(setup + HDR_RAMDISK_IMAGE, initrd_addr);
	put_le32(setup + HDR_RAMDISK_SIZE, (uint32_t)initrd.len);

	ret = kb_add_items(c, setup, setup_len, &kernel, &initrd,
			   initrd_addr, cmdline);
	if (!ret)
		log_info("kernel boot: %s (%zu bytes)%s%s, command line "
			 "\"%s\"", cfg->kernel, kernel.len,
			 cfg->initrd ? ", initrd " : "",
			 cfg->initrd ? cfg->initrd : "", cmdline);
out:
	free(setup);
	free(initrd.data);
	free(kernel.data);
	return ret;
}
