/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC platform (--machine pc): the i440FX/PIIX3/PIIX4 chipset, RTC,
 * i8042, fw_cfg, ACPI/SMBIOS tables and direct kernel boot, and what these
 * parts tell each other.  pc.c creates them in order and wires them; each
 * part uses only the device API (device.h) and this header, so unit tests
 * can link a part against tests/unit/fake-dm.c.  One section per file.
 */
#ifndef HVMKIT_PC_H
#define HVMKIT_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

/* ----------------------------------------------------------- blobs.S */

/* Built with the tree (see the Makefile): the compiled DSDT and the
 * direct kernel boot option ROM (before kernel-boot.c sets its size and
 * checksum bytes). */
extern const uint8_t dsdt_aml[], dsdt_aml_end[];
extern const uint8_t linuxboot_rom[], linuxboot_rom_end[];

/* ---------------------------------------------------------- fw-cfg.c */

/* QEMU's fw_cfg interface (QEMU docs/specs/fw_cfg.rst). */
#define FW_CFG_PORT_SEL        0x510 /* 16-bit selector */
#define FW_CFG_PORT_DATA       0x511 /* 8-bit data */
#define FW_CFG_PORT_DMA        0x514 /* 64-bit big-endian DMA address */

#define FW_CFG_SIGNATURE       0x00
#define FW_CFG_ID              0x01
#define FW_CFG_NOGRAPHIC       0x04
#define FW_CFG_NB_CPUS         0x05
#define FW_CFG_KERNEL_ADDR     0x07
#define FW_CFG_KERNEL_SIZE     0x08
#define FW_CFG_INITRD_ADDR     0x0a
#define FW_CFG_INITRD_SIZE     0x0b
#define FW_CFG_BOOT_DEVICE     0x0c
#define FW_CFG_NUMA            0x0d
#define FW_CFG_BOOT_MENU       0x0e
#define FW_CFG_MAX_CPUS        0x0f
#define FW_CFG_KERNEL_ENTRY    0x10
#define FW_CFG_KERNEL_DATA     0x11
#define FW_CFG_INITRD_DATA     0x12
#define FW_CFG_CMDLINE_ADDR    0x13
#define FW_CFG_CMDLINE_SIZE    0x14
#define FW_CFG_CMDLINE_DATA    0x15
#define FW_CFG_SETUP_ADDR      0x16
#define FW_CFG_SETUP_SIZE      0x17
#define FW_CFG_SETUP_DATA      0x18
#define FW_CFG_FILE_DIR        0x19
#define FW_CFG_FILE_FIRST      0x20
#define FW_CFG_FILE_MAX        0x100 /* files 0x20..0x11f */
#define FW_CFG_FILE_NAME_MAX   56    /* with the NUL */

struct fw_cfg;

/* Claims the ports and adds the signature, the ID (bit 0 traditional, bit
 * 1 DMA) and the file directory.  NULL after one error line. */
struct fw_cfg *fw_cfg_create(struct dm *dm);
/* Selector back to 0, read offsets and DMA address register cleared. */
void fw_cfg_reset(struct fw_cfg *c);
void fw_cfg_destroy(struct fw_cfg *c);

/* A numbered item (key < FW_CFG_FILE_FIRST, or an x86 key 0x8000+); the
 * data is copied; adding a key again replaces it.  0, or -1 and a log
 * line.  The _le helpers store little-endian integers. */
int fw_cfg_add_bytes(struct fw_cfg *c, uint16_t key, const void *data,
		     size_t len);
int fw_cfg_add_le16(struct fw_cfg *c, uint16_t key, uint16_t v);
int fw_cfg_add_le32(struct fw_cfg *c, uint16_t key, uint32_t v);
int fw_cfg_add_le64(struct fw_cfg *c, uint16_t key, uint64_t v);

/* Runs each time the guest selects the item, before it reads a byte (the
 * ACPI tables are built then, see acpi-build.c). */
typedef void fw_cfg_select_fn(void *opaque);

/* A named file in the directory (key FW_CFG_FILE_FIRST + n in the order
 * added).  The data is copied; the returned pointer is fw_cfg's copy,
 * which the owner may rewrite in place (same length) from on_select.  If
 * writable, guest DMA writes change the copy (WRITE_POINTER).  NULL and a
 * log line on error (duplicate name, too long, too many files).  Here and
 * in fw_cfg_add_bytes, data may be NULL: the item is len zero bytes. */
uint8_t *fw_cfg_add_file(struct fw_cfg *c, const char *name,
			 const void *data, size_t len,
			 fw_cfg_select_fn *on_select, void *opaque,
			 bool writable);

/* ---------------------------------------------------------- chipset.c */

/*
 * i440FX host bridge at 00:00.0, PIIX3 ISA bridge at 00:01.0 (PIRQ
 * routing, 0xCF9 reset control, port 0x92), PIIX4 power management at
 * 00:01.3 (PM timer, PM1, GPE0, SCI on IRQ 9, APM ports 0xB2/0xB3, power
 * button, S5/sleep).
 */
struct i440fx;
struct piix3;
struct piix4_pm;

struct i440fx *i440fx_create(struct dm *dm);
/* Registers 00:01.0 and becomes the INTx router (dm_pci_set_intx_router):
 * call before any other PCI function with an interrupt pin exists. */
struct piix3 *piix3_create(struct dm *dm);
struct piix4_pm *piix4_pm_create(struct dm *dm);
/* The PM I/O base the guest programmed (PMBA, with PMREGMISC bit 0 set),
 * or 0 while PM I/O is disabled.  The FADT is built from it. */
uint16_t piix4_pm_io_base(const struct piix4_pm *pm);
void i440fx_destroy(struct i440fx *h);
void piix3_destroy(struct piix3 *p);
void piix4_pm_destroy(struct piix4_pm *pm);

/* Fixed facts of the PM block the ACPI tables describe. */
#define PIIX4_PM_SCI_IRQ       9
#define PIIX4_PM_GPE0_BASE     0xafe0 /* 4 bytes: status, enable */
#define PIIX4_PM_GPE0_LEN      4
#define PIIX4_PM_IO_LEN        0x40
#define APM_CNT_PORT           0xb2
#define APM_STS_PORT           0xb3
#define PIIX3_RCR_PORT         0xcf9
/* The PM timer is 24 bits wide, as on the PIIX4: the FADT's TMR_VAL_EXT
 * flag (bit 8) must be clear. */
#define PIIX4_PM_TMR_VAL_EXT   0

/* Latches GPE0_STS bit gpe (0-15) and raises the SCI if GPE0_EN has it
 * (for event sources such as hotplug controllers). */
void piix4_pm_gpe_event(struct piix4_pm *pm, unsigned int gpe);

/* -------------------------------------------------------------- rtc.c */

/* MC146818 RTC and CMOS RAM at 0x70/0x71, IRQ 8. */
struct rtc;

/* Starts from the host's time (UTC).  NULL after one error line. */
struct rtc *rtc_create(struct dm *dm);
/* Sets a CMOS byte (index 0x0e-0x7f) firmware reads: memory sizes, CPU
 * count, boot order.  The values survive a reset. */
void rtc_cmos_set(struct rtc *r, unsigned int index, uint8_t value);
uint8_t rtc_cmos_get(const struct rtc *r, unsigned int index);
void rtc_reset(struct rtc *r);
void rtc_destroy(struct rtc *r);
/* The CMOS byte that holds the century (BCD or binary, as the RTC's data
 * mode); kept in step with the year.  The FADT's CENTURY field names it. */
#define RTC_CMOS_CENTURY       0x32

/* ------------------------------------------------------------ i8042.c */

/* 8042 keyboard controller at 0x60/0x64, PS/2 keyboard on IRQ 1 and
 * mouse on IRQ 12; command 0xFE pulses the CPU reset line. */
struct i8042;

struct i8042 *i8042_create(struct dm *dm);
/* Host input (for the display backends later): a scancode set 2 byte
 * sequence from the keyboard, or a relative mouse movement. */
void i8042_kbd_put(struct i8042 *k, const uint8_t *bytes, size_t len);
void i8042_mouse_move(struct i8042 *k, int dx, int dy, int dz,
		      unsigned int buttons);
/* i8042_mouse_move(): dx > 0 moves right, dy > 0 moves down (screen
 * coordinates), dz > 0 turns the wheel towards the user; buttons is the
 * mask of the buttons held down. */
#define I8042_BUTTON_LEFT      1u
#define I8042_BUTTON_RIGHT     2u
#define I8042_BUTTON_MIDDLE    4u
void i8042_reset(struct i8042 *k);
void i8042_destroy(struct i8042 *k);

/* ------------------------------------------------------- acpi-build.c */

/* What the ACPI and SMBIOS tables describe. */
struct acpi_config {
	unsigned int nr_vcpus;
	uint64_t ram_below_4g;   /* end of low RAM: the PCI hole starts here */
	uint64_t ram_above_4g;
	struct piix4_pm *pm;     /* its programmed base goes into the FADT */
	uint8_t uuid[16];        /* SMBIOS system UUID in RFC 4122 byte
				  * order (as printed); all zero: not set */
};

struct acpi_tables;

/* Adds etc/acpi/tables, etc/acpi/rsdp and etc/table-loader (RSDP, RSDT,
 * XSDT, FADT, FACS, DSDT, MADT, and an SSDT with one processor device
 * per vCPU: 1 to 255 vCPUs), built again each time the guest selects
 * one of them so that the FADT carries the PM base the firmware just
 * programmed.  NULL after one error line. */
struct acpi_tables *acpi_tables_create(struct dm *dm, struct fw_cfg *c,
				       const struct acpi_config *cfg);
/* fw_cfg keeps calling back into t when the files are selected: destroy
 * t after fw_cfg_destroy(), or when no guest access can come any more. */
void acpi_tables_destroy(struct acpi_tables *t);

/* ----------------------------------------------------------- smbios.c */

/* Adds etc/smbios/smbios-anchor and etc/smbios/smbios-tables (SMBIOS 2.8:
 * types 0, 1, 3, 4 per CPU, 16, 17, 19, 32, 127).  0, or -1. */
int smbios_tables_add(struct fw_cfg *c, const struct acpi_config *cfg);

/* ------------------------------------------------- hw/ide/piix-ide.c */

/* The PIIX3 IDE function 8086:7010 with ATA disks and ATAPI CD drives:
 * legacy channels at 1F0h/3F6h (IRQ 14) and 170h/376h (IRQ 15), bus
 * master DMA in BAR4.  It looks up and claims the drives hda, hdb
 * (primary master/slave), hdc, hdd (secondary) with dm_drive_find() and
 * takes media changes of its CD drives.  NULL after one error line. */
#define PIIX_IDE_DEVFN         0x09 /* 00:01.1 */
struct piix_ide;

struct piix_ide *piix_ide_create(struct dm *dm, unsigned int devfn);
/* Power-on state: channels, devices (settings, tray, lock), bus master
 * registers; a block request in flight is waited for and dropped. */
void piix_ide_reset(struct piix_ide *ide);
void piix_ide_destroy(struct piix_ide *ide);

/* -------------------------------------------------------------- pc.c */

/* The platform's parts, as pc.c creates them (the fuzz target too). */
struct pc_parts {
	struct i440fx *i440fx;
	struct piix3 *piix3;
	struct piix_ide *ide;
	struct piix4_pm *pm;
	struct rtc *rtc;
	struct i8042 *i8042;
	struct fw_cfg *fw_cfg;
	struct acpi_tables *acpi;
};

/* Creates every part in dependency order (the PIIX3 routes INTx before
 * anything with a pin exists) and adds the ACPI and SMBIOS tables for
 * cfg (cfg->pm is filled in).  0, or -1 after one error line, with what
 * was made destroyed. */
int pc_parts_create(struct dm *dm, struct pc_parts *p,
		    struct acpi_config *cfg);
void pc_parts_destroy(struct pc_parts *p);

/* ------------------------------------------------------ kernel-boot.c */

/* Direct kernel boot: reads a Linux bzImage (boot protocol 2.06 or
 * later), an optional initrd and a command line, fills in the setup
 * header, and adds the fw_cfg kernel/initrd/cmdline/setup items and the
 * option ROM genroms/linuxboot.bin that loads them when SeaBIOS boots it.
 * Files are read here, before the sandbox.  0, or -1 after one error line
 * naming the file and the problem. */
struct kernel_boot_config {
	const char *kernel;      /* path */
	const char *initrd;      /* path or NULL */
	const char *cmdline;     /* or NULL */
	uint64_t ram_below_4g;   /* the initrd goes below this */
};

int kernel_boot_setup(struct fw_cfg *c, const struct kernel_boot_config *k);
/* The bootorder line that selects the option ROM. */
#define KERNEL_BOOT_ORDER_ENTRY "/rom@genroms/linuxboot.bin"

#endif
