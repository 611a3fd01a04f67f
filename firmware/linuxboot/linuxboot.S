/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Direct kernel boot option ROM: the "genroms/linuxboot.bin" fw_cfg file
 * that devmodel/kernel-boot.c builds from this code.  SeaBIOS copies it
 * below 1 MiB, calls its init entry, finds the PnP expansion header and
 * lists its Bootstrap Entry Vector (BEV) as a boot device (SeaBIOS
 * src/optionroms.c: run_file_roms, optionrom_setup, boot_add_bev); when
 * the boot order picks it, SeaBIOS far-calls the BEV in real mode.
 *
 * The BEV loads the Linux setup code, the protected-mode kernel, the
 * command line and the initrd with the fw_cfg DMA interface (QEMU
 * docs/specs/fw_cfg.rst "Guest-side DMA Interface") to the addresses the
 * device model chose, and starts the kernel's real-mode setup code as
 * Documentation/arch/x86/boot.rst "Running the Kernel" says.  The same
 * job as QEMU's pc-bios/optionrom/linuxboot_dma.c, written in assembly.
 *
 * Layout (PCI Firmware Spec 3.0 section 5.1.1 / BIOS Boot Specification
 * 1.01 section 3): 0x55 0xAA, the size in 512-byte blocks, the init
 * entry at offset 3, the PCI data structure pointer at 0x18 (0: this is
 * not a PCI device's ROM, and SeaBIOS does not look for one in genroms),
 * the PnP expansion header pointer at 0x1A (Plug and Play BIOS Spec 1.0A
 * section 3.2; BBS Appendix C).  Three bytes are left at 0 here and set by
 * kernel-boot.c, which pads the image to a multiple of 512 bytes: the
 * size byte, the PnP header checksum and the ROM checksum (the image's
 * last byte), so that this file carries no arithmetic over its own bytes.
 *
 * Assembled with gcc -m32 (.code16) and linked flat at address 0, so a
 * label's value is its offset in the ROM, which is what the header's
 * 16-bit pointers and the near calls need; there is no data section and
 * nothing for a loader to relocate.
 *
 * Registers and memory: the code runs with DS = SS = 0 and its stack at
 * 0:7C00 (the boot sector's conventional stack, below the setup code at
 * 0x10000), so a stack address is also the physical address the DMA
 * descriptor needs.  Needs a 386 or later (32-bit registers, bswap is
 * 486+), as every CPU a KVM guest sees.
 */

/* fw_cfg ports and keys (QEMU docs/specs/fw_cfg.rst) */
#define FW_CFG_PORT_SEL       0x510
#define FW_CFG_PORT_DATA      0x511
#define FW_CFG_PORT_DMA_HIGH  0x514 /* big-endian 64-bit address register */
#define FW_CFG_PORT_DMA_LOW   0x518 /* writing this half starts the DMA */

#define FW_CFG_KERNEL_ADDR    0x07
#define FW_CFG_KERNEL_SIZE    0x08
#define FW_CFG_INITRD_ADDR    0x0a
#define FW_CFG_INITRD_SIZE    0x0b
#define FW_CFG_KERNEL_DATA    0x11
#define FW_CFG_INITRD_DATA    0x12
#define FW_CFG_CMDLINE_ADDR   0x13
#define FW_CFG_CMDLINE_SIZE   0x14
#define FW_CFG_CMDLINE_DATA   0x15
#define FW_CFG_SETUP_ADDR     0x16
#define FW_CFG_SETUP_SIZE     0x17
#define FW_CFG_SETUP_DATA     0x18

/* FWCfgDmaAccess control bits */
#define DMA_CTL_ERROR         0x01
#define DMA_CTL_READ          0x02
#define DMA_CTL_SELECT        0x08

/* Linux setup header fields (boot.rst "The Real-Mode Kernel Header") */
#define HDR_RAMDISK_IMAGE     0x218
#define HDR_HEAP_END_PTR      0x224

#define STACK_TOP             0x7c00
#define SETUP_ENTRY_SEG_OFF   0x20   /* entry at setup segment + 0x20 : 0 */
#define SETUP_SP_SLACK        0x10   /* SP this far below the heap end */

	.code16
	.text
	.globl _start
_start:
	.byte 0x55, 0xaa
	.byte 0                 /* size in 512-byte blocks: kernel-boot.c */

	/* Init entry (offset 3), far-called once by the BIOS: nothing to
	 * set up before boot, so return at once. */
	lret

	.org 0x18
	.word 0                 /* no PCI data structure */
	.word pnp_header

	/* PnP expansion header, 16-byte aligned, 0x20 bytes long. */
	.balign 16
pnp_header:
	.ascii "$PnP"
	.byte 0x01              /* structure revision */
	.byte (pnp_header_end - pnp_header) / 16 /* length, 16-byte units */
	.word 0                 /* next header: none */
	.byte 0                 /* reserved */
	.byte 0                 /* checksum over the header: kernel-boot.c */
	.long 0                 /* device identifier */
	.word manufacturer
	.word product_name      /* SeaBIOS shows this in its boot menu */
	.byte 0, 0, 0           /* device type code */
	.byte 0                 /* device indicators */
	.word 0                 /* boot connection vector: none */
	.word 0                 /* disconnect vector: none */
	.word bev               /* bootstrap entry vector */
	.word 0                 /* reserved */
	.word 0                 /* static resource information vector */
pnp_header_end:

manufacturer:
	.asciz "hvmkit"
product_name:
	.asciz "hvmkit Linux loader"

/*
 * Bootstrap entry vector: far-called by the BIOS to boot.  Never returns:
 * it either starts the kernel or stops the CPU on a fw_cfg error (there is
 * nothing sensible to return to once memory has been overwritten).
 */
bev:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $STACK_TOP, %sp

	/* Setup code (boot sector + real-mode setup with the header that
	 * kernel-boot.c filled in).  %bp keeps its segment from here on. */
	mov $FW_CFG_SETUP_ADDR, %ax
	call fw_cfg_read32
	mov %eax, %edi
	mov $FW_CFG_SETUP_SIZE, %ax
	call fw_cfg_read32
	mov %eax, %ecx
	mov $FW_CFG_SETUP_DATA, %bx
	call fw_cfg_dma_read
	shr $4, %edi
	mov %di, %bp

	/* Protected-mode kernel; %esi keeps its end. */
	mov $FW_CFG_KERNEL_ADDR, %ax
	call fw_cfg_read32
	mov %eax, %edi
	mov $FW_CFG_KERNEL_SIZE, %ax
	call fw_cfg_read32
	mov %eax, %ecx
	mov $FW_CFG_KERNEL_DATA, %bx
	call fw_cfg_dma_read
	lea (%edi,%ecx), %esi

	/* Command line. */
	mov $FW_CFG_CMDLINE_ADDR, %ax
	call fw_cfg_read32
	mov %eax, %edi
	mov $FW_CFG_CMDLINE_SIZE, %ax
	call fw_cfg_read32
	mov %eax, %ecx
	mov $FW_CFG_CMDLINE_DATA, %bx
	call fw_cfg_dma_read

	/* Initrd (size 0: none). */
	mov $FW_CFG_INITRD_ADDR, %ax
	call fw_cfg_read32
	mov %eax, %edi
	mov $FW_CFG_INITRD_SIZE, %ax
	call fw_cfg_read32
	mov %eax, %ecx
	test %ecx, %ecx
	jz start_kernel

	/*
	 * The device model put the initrd at the top of RAM below 4 GiB
	 * less the room QEMU leaves for the firmware's tables; SeaBIOS may
	 * have kept more than that at the top of RAM (its high zone: ACPI
	 * tables and more, src/malloc.c).  INT 15h AX=E801h reports where
	 * usable RAM ends now, so move the initrd below that if it reaches
	 * further, as QEMU's linuxboot_dma.c does, but never down onto the
	 * kernel, and tell the kernel the new address (ramdisk_image).
	 */
	call ram_end_e801
	sub %ecx, %eax
	jb load_initrd          /* unknown (0) or smaller than the initrd */
	and $~0xfff, %eax
	cmp %edi, %eax
	jae load_initrd         /* the device model's choice is below it */
	cmp %esi, %eax
	jb load_initrd          /* would overlap the kernel: keep it */
	mov %eax, %edi
	mov %bp, %es
	mov %edi, %es:HDR_RAMDISK_IMAGE
load_initrd:
	mov $FW_CFG_INITRD_DATA, %bx
	call fw_cfg_dma_read

	/*
	 * Enter the setup code as boot.rst "Running the Kernel" asks:
	 * interrupts off, DS = ES = FS = GS = SS = the setup segment, SP
	 * just below the end of the heap (heap_end_ptr + 0x200, which
	 * kernel-boot.c set to 64 KiB: SP = 0xfff0, as QEMU), and a far
	 * jump to the setup segment + 0x20, offset 0.
	 */
start_kernel:
	mov %bp, %ax
	mov %ax, %es
	mov %es:HDR_HEAP_END_PTR, %bx
	add $(0x200 - SETUP_SP_SLACK), %bx
	mov %ax, %ds
	mov %ax, %fs
	mov %ax, %gs
	mov %ax, %ss
	mov %bx, %sp
	add $SETUP_ENTRY_SEG_OFF, %ax
	push %ax
	push $0
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ecx, %ecx
	xor %edx, %edx
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	lret

/*
 * Reads a 32-bit little-endian item through the port interface.
 * In: %ax = key.  Out: %eax = value.  Preserves the other registers.
 */
fw_cfg_read32:
	push %cx
	push %dx
	mov $FW_CFG_PORT_SEL, %dx
	out %ax, %dx
	mov $FW_CFG_PORT_DATA, %dx
	mov $4, %cx
1:	in %dx, %al             /* least significant byte first */
	ror $8, %eax
	loop 1b
	pop %dx
	pop %cx
	ret

/*
 * DMA-reads a whole item into memory.  In: %bx = key, %edi = physical
 * address, %ecx = length (0: nothing to do).  Preserves all registers.
 * The FWCfgDmaAccess descriptor (big-endian control, length, 64-bit
 * address) is built on the stack; with SS = 0 its physical address is
 * SP.  Writing 0 to the high half of the address register and the
 * descriptor address to the low half starts the transfer; the device
 * clears the control word when done or leaves the error bit set.
 */
fw_cfg_dma_read:
	test %ecx, %ecx
	jz 2f
	pushal
	mov %edi, %eax
	bswap %eax
	pushl %eax              /* address, low 32 bits */
	pushl $0                /* address, high 32 bits */
	mov %ecx, %eax
	bswap %eax
	pushl %eax              /* length */
	movzwl %bx, %eax
	shl $16, %eax
	or $(DMA_CTL_SELECT | DMA_CTL_READ), %eax
	bswap %eax
	pushl %eax              /* control: select key, read */
	movzwl %sp, %esi
	xor %eax, %eax
	mov $FW_CFG_PORT_DMA_HIGH, %dx
	out %eax, %dx
	mov %esi, %eax
	bswap %eax
	mov $FW_CFG_PORT_DMA_LOW, %dx
	out %eax, %dx
1:	mov (%si), %eax         /* DS = SS = 0 */
	bswap %eax
	test $DMA_CTL_ERROR, %eax
	jnz fw_cfg_error
	test %eax, %eax
	jnz 1b                  /* still in progress */
	add $16, %sp
	popal
2:	ret

/* The data the kernel needs did not arrive: stop here. */
fw_cfg_error:
	cli
	hlt
	jmp fw_cfg_error

/*
 * End of usable RAM below 4 GiB from INT 15h AX=E801h (Ralf Brown's
 * Interrupt List; SeaBIOS src/system.c handle_15e801): CX (or AX) = KiB
 * from 1 MiB to 16 MiB, DX (or BX) = 64 KiB blocks above 16 MiB.
 * Out: %eax = end address, 0 if the BIOS does not answer.  Preserves the
 * other registers (the BIOS may not).
 */
ram_end_e801:
	pushal
	mov $0xe801, %ax
	xor %bx, %bx
	xor %cx, %cx
	xor %dx, %dx
	int $0x15
	jc 3f
	mov %cx, %si
	or %dx, %si
	jnz 1f
	mov %ax, %cx            /* CX = DX = 0: the answer is in AX/BX */
	mov %bx, %dx
1:	test %dx, %dx
	jz 2f
	movzwl %dx, %eax
	add $0x100, %eax        /* 16 MiB in 64 KiB units */
	shl $16, %eax
	jmp 4f
2:	movzwl %cx, %eax
	add $0x400, %eax        /* 1 MiB in KiB */
	shl $10, %eax
	jmp 4f
3:	xor %eax, %eax
4:	mov %sp, %bx
	mov %eax, 28(%bx)       /* the %eax slot that popal restores */
	popal
	ret
