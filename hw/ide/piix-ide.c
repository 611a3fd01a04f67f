/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 82371SB PIIX3 IDE interface, function 1 (00:01.1), after the
 * 82371FB/82371SB datasheet (Intel 290550): the PCI configuration
 * registers of the IDE function (IDETIM 40h-43h, SIDETIM 44h) and the
 * bus master IDE I/O registers in BAR4 (bmdma.c), with the two legacy
 * ATA channels of the PC (ATA/ATAPI-6 section 7, ata.c):
 *
 *   primary:   command block 1F0h-1F7h, control block 3F6h, IRQ 14
 *   secondary: command block 170h-177h, control block 376h,  IRQ 15
 *
 * The PCI core keeps the header: 8086:7010, class 010180h (IDE, both
 * channels in legacy ("compatibility") mode, bus master capable: what
 * SeaBIOS, OVMF, Linux ata_piix and Windows' pciide expect), header type
 * 0, subsystem 1af4:1100 (as QEMU), no interrupt pin (the channels use
 * the ISA IRQs 14 and 15, edge-triggered), and BAR4, a 16-byte I/O BAR.
 * The legacy ports are claimed whatever the command register and IDETIM
 * say (QEMU does the same; the chip decodes them when IDETIM bit 15 is
 * set, which is its reset value here).  0x3F7 belongs to the floppy
 * controller and is not claimed.
 *
 * Drives: hda/hdb are the primary master/slave, hdc/hdd the secondary's
 * (xl.cfg vdev names); each present one is claimed from the device
 * model's drive list.  A disk needs an image; a CD drive may be empty
 * and takes media changes (atapi.c).
 *
 * Every register write is posted (DM_CLAIM_POSTED_WRITES): the vCPU
 * does not wait for the device model, which sees the writes in order
 * before the same vCPU's next read.  A command takes about sixteen
 * register writes from Linux (task file, PRD address, bus master start
 * and stop) against a handful of reads, so this halves the synchronous
 * round trips per command.  Nothing a write does is visible to the
 * guest before its next read of a register or its interrupt.  In a
 * one-vCPU domain the task file registers Features to LBA High (1h-5h)
 * go further: KVM batches their writes in its coalesced ring without
 * leaving the guest (dm_claim_zone), and they reach the device model at
 * the vCPU's next exit, at the latest with the Command register write
 * that uses them.  Such a write only latches a value (ata.c), so when it
 * arrives is not visible to the guest; that saves ten exits per LBA48
 * command.  Not batched:
 * - the Device register (6h): selecting a device moves INTRQ to it, which
 *   the guest may wait for without another exit;
 * - anything with more than one vCPU: KVM's ring is per VM and whichever
 *   vCPU exits first moves its entries to its own posted ring, so another
 *   vCPU's Command write could overtake them in the device model.
 *
 * Read shadows (DM_CLAIM_SHADOWED): the registers whose reads have no
 * side effect (task file 1h-6h, Status while no interrupt is pending,
 * Alternate Status, all bus master registers) are published to the
 * hypervisor after everything that may change them (ide_publish), and it
 * answers the guest's reads of them once the writes before have been
 * handled, without waking the device model.  Linux reads Alternate Status,
 * the bus master command and status registers some ten times per DMA
 * command; each read the device model does not have to answer saves a
 * round trip (two context switches when the domain shares one CPU).  The
 * Status register is not published while its read would acknowledge an
 * interrupt, nor is the data port.  Writes that only latch a value are
 * declared so (dm_shadow_latch): the task file and Device registers while
 * HOB is clear and the Device register keeps its DEV bit, the PRD
 * address, the bus master status and a bus master command that does not
 * start or stop the transfer; Status stays answerable while they are on
 * their way, which saves the round trips of Linux's status polls after
 * writing a task file, a PRD address or the bus master status (four of a
 * DMA command's eight).  The bus master command register's START bit is
 * a doorbell (dm_shadow_kick): on a CPU shared with the device model, the
 * guest's start then runs the transfer, from the page cache in the same
 * call, and delivers its interrupt before the guest's next instruction,
 * instead of after the guest has gone idle waiting.
 *
 * Deliberate deviations:
 * - The timing registers (IDETIM, SIDETIM) and the rest of the
 *   configuration space are plain storage: timings mean nothing here.
 *   IDETIM resets to 8000h (decode enabled), the datasheet's 0000h would
 *   disable the legacy ports, which firmware that does not program the
 *   chip (OVMF, SeaBIOS) relies on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvmkit/log.h"
#include "ide.h"
#include "pc.h"

#define PIIX_IDE_VENDOR      0x8086
#define PIIX_IDE_DEVICE      0x7010
#define PIIX_IDE_CLASS       0x010180
#define SUBSYS_VENDOR_QEMU   0x1af4
#define SUBSYS_QEMU          0x1100

#define CFG_DEV_START        0x40
#define CFG_SIZE             256
#define CFG_IDETIM_PRI       0x40
#define CFG_IDETIM_SEC       0x42
#define  IDETIM_IDE_DECODE   0x8000

/* Features/Error (1h) to LBA High (5h): the ports KVM may batch. */
#define TASK_FILE_FIRST      1
#define TASK_FILE_LEN        5

#define BM_BAR               4
#define BM_BAR_SIZE          16

static const struct {
	uint16_t cmd, ctl;
	unsigned int irq;
} legacy[2] = {
	{ 0x1f0, 0x3f6, 14 },
	{ 0x170, 0x376, 15 },
};

static const char *const vdevs[2][2] = {
	{ "hda", "hdb" },
	{ "hdc", "hdd" },
};

/* ----------------------------------------------------------- ports */

/* In one batch: a guest polling Alternate Status must not see the
 * command's end before the bus master status that goes with it.  Only
 * this channel: nothing one channel does changes the other's registers. */
void ide_publish(struct ide_channel *ch)
{
	struct piix_ide *ide = ch->ide;
	struct dm_range *bm = pci_bar_range(ide->fn, BM_BAR);
	uint64_t bm_regs = 0;

	dm_shadow_batch_begin(ide->dm);
	for (unsigned int reg = 1; reg < 7; reg++)
		dm_shadow_set(ch->cmd_range, reg, 1, ide_cmd_peek(ch, reg));
	if (ide_status_read_acks(ch))
		dm_shadow_clear(ch->cmd_range, 7, 1);
	else
		dm_shadow_set(ch->cmd_range, 7, 1, ide_cmd_peek(ch, 7));
	dm_shadow_set(ch->ctl_range, 0, 1, ide_alt_status(ch));
	for (unsigned int i = 0; i < 8; i++)
		bm_regs |= (uint64_t)bm_readb(ch, i) << (8 * i);
	dm_shadow_set(bm, ch->index * 8, 8, bm_regs);
	dm_shadow_batch_end(ide->dm);
	/* Latches: the task file and Device register while HOB is clear (a
	 * write clears HOB, which would change the other registers' reads)
	 * unless the write selects the other device (channel_init). */
	dm_shadow_latch(ch->cmd_range, 1, 6, !(ch->ctl & CTL_HOB));
}

/* After a bus master register access: both channels, so that a BAR the
 * guest has just (re)mapped gets all of its bytes published at once.
 * Latches: every bus master register unless the write starts or stops the
 * transfer, the doorbell; declared here only, by a bus master access, as
 * a latch write (a task file's) must not change latch bits. */
static void bm_publish(struct piix_ide *ide)
{
	struct dm_range *bm = pci_bar_range(ide->fn, BM_BAR);

	for (unsigned int i = 0; i < 2; i++) {
		ide_publish(&ide->ch[i]);
		dm_shadow_latch(bm, i * 8, 8, true);
		dm_shadow_kick(bm, i * 8, BM_CMD_START);
	}
}

static uint64_t cmd_port_read(void *opaque, uint64_t off, unsigned int size)
{
	struct ide_channel *ch = opaque;
	bool ended;
	uint64_t v = 0;

	/* Within a DRQ block a data cycle changes no published register:
	 * no publishing for each of a REP INSW's 256 items. */
	if (off == 0) {
		v = ide_data_read(ch, size, &ended);
		if (ended)
			ide_publish(ch);
		return v;
	}
	for (unsigned int i = 0; i < size; i++) {
		uint64_t b = off + i < 8 ?
			     ide_cmd_read(ch, (unsigned int)(off + i)) : 0xff;

		v |= b << (8 * i);
	}
	ide_publish(ch);
	return v;
}

static void cmd_port_write(void *opaque, uint64_t off, uint64_t value,
			   unsigned int size)
{
	struct ide_channel *ch = opaque;

	if (off == 0) {
		if (ide_data_write(ch, (uint32_t)value, size))
			ide_publish(ch);
		return;
	}
	for (unsigned int i = 0; i < size && off + i < 8; i++)
		ide_cmd_write(ch, (unsigned int)(off + i),
			      (uint8_t)(value >> (8 * i)));
	ide_publish(ch);
}

static const struct dm_io_ops cmd_port_ops = {
	.read = cmd_port_read,
	.write = cmd_port_write,
};

static uint64_t ctl_port_read(void *opaque, uint64_t off, unsigned int size)
{
	(void)off;
	(void)size;
	return ide_alt_status(opaque) | ~0xffull;
}

static void ctl_port_write(void *opaque, uint64_t off, uint64_t value,
			   unsigned int size)
{
	struct ide_channel *ch = opaque;

	(void)off;
	(void)size;
	ide_ctl_write(ch, (uint8_t)value);
	ide_publish(ch);
}

static const struct dm_io_ops ctl_port_ops = {
	.read = ctl_port_read,
	.write = ctl_port_write,
};

/* --------------------------------------------------- PCI function */

static void piix_ide_config_write(void *opaque, unsigned int offset,
				  unsigned int size, uint32_t value)
{
	struct piix_ide *ide = opaque;

	if (size > 4 || offset + size > CFG_SIZE)
		return;
	for (unsigned int i = 0; i < size; i++)
		if (offset + i >= CFG_DEV_START)
			ide->cfg[offset + i] = (uint8_t)(value >> (8 * i));
}

static uint64_t piix_ide_bar_read(void *opaque, unsigned int bar,
				  uint64_t offset, unsigned int size)
{
	struct piix_ide *ide = opaque;
	uint64_t v = 0;

	if (bar != BM_BAR)
		return ~0ull;
	for (unsigned int i = 0; i < size; i++) {
		uint64_t o = offset + i;
		uint64_t b = o < BM_BAR_SIZE ?
			     bm_readb(&ide->ch[o >> 3], (unsigned int)(o & 7)) :
			     0xff;

		v |= b << (8 * i);
	}
	bm_publish(ide);
	return v;
}

static void piix_ide_bar_write(void *opaque, unsigned int bar,
			       uint64_t offset, uint64_t value,
			       unsigned int size)
{
	struct piix_ide *ide = opaque;
	int cmd_byte = -1;

	if (bar != BM_BAR)
		return;
	/* The command byte last: a write that also clears status bits
	 * must not clear what starting the transfer sets. */
	for (unsigned int i = 0; i < size; i++) {
		uint64_t o = offset + i;

		if (o >= BM_BAR_SIZE)
			break;
		if ((o & 7) == 0)
			cmd_byte = (int)i;
		else
			bm_writeb(&ide->ch[o >> 3], (unsigned int)(o & 7),
				  (uint8_t)(value >> (8 * i)));
	}
	if (cmd_byte >= 0) {
		uint64_t o = offset + (unsigned int)cmd_byte;

		bm_writeb(&ide->ch[o >> 3], 0,
			  (uint8_t)(value >> (8 * cmd_byte)));
	}
	bm_publish(ide);
}

static void piix_ide_config_reset(struct piix_ide *ide)
{
	memset(ide->cfg + CFG_DEV_START, 0, CFG_SIZE - CFG_DEV_START);
	ide->cfg[CFG_IDETIM_PRI + 1] = IDETIM_IDE_DECODE >> 8;
	ide->cfg[CFG_IDETIM_SEC + 1] = IDETIM_IDE_DECODE >> 8;
}

/* The PCI core's reset (after pc.c's piix_ide_reset()). */
static void piix_ide_pci_reset(void *opaque)
{
	piix_ide_config_reset(opaque);
}

static const struct pci_ops piix_ide_pci_ops = {
	.name = "piix3-ide",
	.reset = piix_ide_pci_reset,
	.config_write = piix_ide_config_write,
	.bar_read = piix_ide_bar_read,
	.bar_write = piix_ide_bar_write,
};

/* ---------------------------------------------------------- drives */

static int attach_drive(struct piix_ide *ide, struct ide_dev *d,
			const char *vdev)
{
	struct dm_drive *drive = dm_drive_find(ide->dm, vdev);

	snprintf(d->vdev, sizeof(d->vdev), "%s", vdev);
	if (!drive)
		return 0;
	if (drive->claimed) {
		log_error("ide: drive %s is already claimed by another "
			  "controller", vdev);
		return -1;
	}
	if (!drive->cdrom && !drive->blk) {
		log_error("ide: disk %s has no image", vdev);
		return -1;
	}
	if (posix_memalign((void **)&d->buf, 4096, IDE_BUF_SIZE)) {
		d->buf = NULL;
		log_error("ide: out of memory");
		return -1;
	}
	memset(d->buf, 0, IDE_BUF_SIZE);
	drive->claimed = true;
	d->present = true;
	d->atapi = drive->cdrom;
	d->drive = drive;
	d->blk = drive->blk;
	if (d->atapi) {
		drive->change_media = atapi_change_media;
		drive->change_opaque = d;
		if (d->blk && blk_size(d->blk) % CD_SECTOR)
			log_warn("%s: %s is not a whole number of 2048-byte "
				 "CD sectors; the last %llu bytes cannot be "
				 "read", vdev, blk_path(d->blk),
				 (unsigned long long)(blk_size(d->blk) %
						      CD_SECTOR));
	} else {
		d->sectors = blk_size(d->blk) / IDE_SECTOR;
		d->wcache_default = blk_write_cache(d->blk);
	}
	return 0;
}

static int channel_init(struct piix_ide *ide, unsigned int i)
{
	struct ide_channel *ch = &ide->ch[i];
	struct dm_machine m;
	char name[16];

	ch->ide = ide;
	ch->index = i;
	ch->bm.cache = calloc(BM_PRD_MAX, sizeof(*ch->bm.cache));
	if (!ch->bm.cache) {
		log_error("ide: out of memory");
		return -1;
	}
	for (unsigned int u = 0; u < 2; u++) {
		ch->dev[u].ch = ch;
		ch->dev[u].unit = u;
		if (attach_drive(ide, &ch->dev[u], vdevs[i][u]) < 0)
			return -1;
	}
	ch->irq = dm_irq_get(ide->dm, legacy[i].irq, DM_IRQ_MODE_EDGE);
	if (!ch->irq) {
		log_error("ide: cannot get IRQ %u", legacy[i].irq);
		return -1;
	}
	snprintf(name, sizeof(name), "ide%u", i);
	dm_machine_get(ide->dm, &m);
	if (m.nr_vcpus == 1)
		ch->cmd_range = dm_claim_zone(ide->dm, DM_SPACE_PIO,
					      legacy[i].cmd, 8,
					      TASK_FILE_FIRST, TASK_FILE_LEN,
					      &cmd_port_ops, ch,
					      DM_CLAIM_SHADOWED, name);
	else
		ch->cmd_range = dm_claim(ide->dm, DM_SPACE_PIO, legacy[i].cmd,
					 8, &cmd_port_ops, ch,
					 DM_CLAIM_POSTED_WRITES |
					 DM_CLAIM_SHADOWED, name);
	snprintf(name, sizeof(name), "ide%u-ctl", i);
	ch->ctl_range = dm_claim(ide->dm, DM_SPACE_PIO, legacy[i].ctl, 1,
				 &ctl_port_ops, ch, DM_CLAIM_POSTED_WRITES |
				 DM_CLAIM_SHADOWED, name);
	if (!ch->cmd_range || !ch->ctl_range) {
		log_error("ide: cannot claim ports %#x-%#x and %#x",
			  legacy[i].cmd, legacy[i].cmd + 7, legacy[i].ctl);
		return -1;
	}
	/* Selecting the other device is no latch (ide_publish). */
	dm_shadow_kick(ch->cmd_range, 6, DEV_DEV);
	return 0;
}

/* ------------------------------------------------------- lifecycle */

void piix_ide_reset(struct piix_ide *ide)
{
	if (!ide)
		return;
	if (ide->cfg)
		piix_ide_config_reset(ide);
	for (unsigned int i = 0; i < 2; i++) {
		ide_channel_reset(&ide->ch[i]);
		if (ide->fn)
			ide_publish(&ide->ch[i]);
	}
}

struct piix_ide *piix_ide_create(struct dm *dm, unsigned int devfn)
{
	static const struct pci_ids ids = {
		.vendor = PIIX_IDE_VENDOR,
		.device = PIIX_IDE_DEVICE,
		.subsystem_vendor = SUBSYS_VENDOR_QEMU,
		.subsystem = SUBSYS_QEMU,
		.revision = 0x00,
		.class_code = PIIX_IDE_CLASS,
		.header_type = 0x00,
		.interrupt_pin = 0,
	};
	struct pci_bar_desc bars[6] = { { 0 } };
	struct piix_ide *ide = calloc(1, sizeof(*ide));

	if (!ide) {
		log_error("ide: out of memory");
		return NULL;
	}
	ide->dm = dm;
	for (unsigned int i = 0; i < 2; i++)
		if (channel_init(ide, i) < 0)
			goto fail;
	bars[BM_BAR] = (struct pci_bar_desc){
		.size = BM_BAR_SIZE, .space = DM_SPACE_PIO,
		.flags = DM_CLAIM_POSTED_WRITES | DM_CLAIM_SHADOWED,
	};
	ide->fn = dm_pci_register(dm, devfn, &ids, bars, &piix_ide_pci_ops,
				  ide);
	if (!ide->fn) {
		log_error("ide: cannot register PCI function 00:%02x.%x",
			  devfn >> 3, devfn & 7);
		goto fail;
	}
	ide->cfg = pci_config_bytes(ide->fn);
	piix_ide_reset(ide);
	return ide;

fail:
	piix_ide_destroy(ide);
	return NULL;
}

/* At device-model teardown: the PCI function stays registered with the
 * core (there is no way to take it back), so nothing may touch 00:01.1
 * afterwards.  Requests in flight are waited for; the media belong to
 * the drive list, which closes them. */
void piix_ide_destroy(struct piix_ide *ide)
{
	if (!ide)
		return;
	for (unsigned int i = 0; i < 2; i++) {
		struct ide_channel *ch = &ide->ch[i];

		for (unsigned int u = 0; u < 2; u++) {
			struct ide_dev *d = &ch->dev[u];

			if (!d->present)
				continue;
			ide_cancel(d);
			if (d->drive->change_opaque == d) {
				d->drive->change_media = NULL;
				d->drive->change_opaque = NULL;
			}
			d->drive->claimed = false;
			free(d->buf);
		}
		if (ch->cmd_range)
			dm_release(ide->dm, ch->cmd_range);
		if (ch->ctl_range)
			dm_release(ide->dm, ch->ctl_range);
		free(ch->bm.cache);
	}
	free(ide);
}
