/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DSDT of hvmkit's PC platform (--machine pc): an i440FX host bridge at
 * 00:00.0, a PIIX3 ISA bridge at 00:01.0 and PIIX4 power management at
 * 00:01.3, as devmodel/pc.h describes them.  Sections cited are ACPI 6.x:
 * 6.1 device identification (_HID or _ADR), 6.2.13 _PRT, 6.4 resource
 * descriptors, 7.4.2 \_Sx packages; the PCI Firmware Specification 3.0
 * for the host bridge's _CRS.  The processor objects (8.4: a Device with
 * _HID ACPI0007 per vCPU) are in the SSDT built at run time by
 * devmodel/acpi-tables.c.
 *
 * iasl compiles this at build time; devmodel/acpi-*.c copy the AML into
 * etc/acpi/tables and patch one value in it: the DWORD constant of
 * \_SB.PCI0.PMIN (found by its AML bytes 08 'P' 'M' 'I' 'N' 0C), the end
 * of low RAM, where the 32-bit PCI window starts.  PMIN must stay a Name
 * with a DWORD constant (a value above 0xFFFF) that appears exactly once.
 *
 * Deliberately absent: \_S1-\_S4 (only soft-off: the device model powers
 * the guest off on SLP_TYP 0), CPU and PCI hotplug, a 64-bit PCI window
 * (SeaBIOS 1.16 maps BARs above 4 GiB only when the 32-bit window is
 * full), HPET, floppy, LPT and COM2 (not emulated).  The SCI (IRQ 9) is
 * fixed: the FADT and the MADT's level/active-high override describe it,
 * and 00:01.3 has no interrupt pin, so there is no LNKS as in QEMU.
 */
DefinitionBlock ("dsdt.aml", "DSDT", 2, "HVMKIT", "HVMKITPC", 1)
{
	/* Soft-off (7.4.2): SLP_TYP 0 for PM1a_CNT and PM1b_CNT. */
	Name (\_S5, Package (0x04) { Zero, Zero, Zero, Zero })

	/* The PCI root bridge: no _ADR next to _HID (6.1). */
	Device (\_SB.PCI0)
	{
		Name (_HID, EisaId ("PNP0A03"))
		Name (_UID, Zero)
		Name (_BBN, Zero)

		/* End of low RAM: patched at run time by acpi-build.c. */
		Name (PMIN, 0x80000000)

		Name (CRES, ResourceTemplate ()
		{
			WordBusNumber (ResourceProducer, MinFixed, MaxFixed,
				PosDecode,
				0x0000, 0x0000, 0x00FF, 0x0000, 0x0100)
			/* The configuration ports 0xCF8-0xCFF. */
			IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
			WordIO (ResourceProducer, MinFixed, MaxFixed,
				PosDecode, EntireRange,
				0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8)
			WordIO (ResourceProducer, MinFixed, MaxFixed,
				PosDecode, EntireRange,
				0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300)
			/* Legacy VGA memory. */
			DWordMemory (ResourceProducer, PosDecode, MinFixed,
				MaxFixed, Cacheable, ReadWrite,
				0x00000000, 0x000A0000, 0x000BFFFF,
				0x00000000, 0x00020000)
			/* 32-bit PCI window [PMIN, 0xFEBFFFFF]; _CRS sets
			 * _MIN and _LEN from PMIN. */
			DWordMemory (ResourceProducer, PosDecode, MinFixed,
				MaxFixed, NonCacheable, ReadWrite,
				0x00000000, 0x80000000, 0xFEBFFFFF,
				0x00000000, 0x7EC00000, , , PW32)
		})

		Method (_CRS, 0, Serialized)
		{
			CreateDWordField (CRES, \_SB.PCI0.PW32._MIN, PS32)
			CreateDWordField (CRES, \_SB.PCI0.PW32._LEN, PL32)
			PS32 = PMIN
			PL32 = 0xFEC00000 - PMIN
			Return (CRES)
		}
	}

	/*
	 * INTx routing (6.2.13): slot s, pin p (0 = INTA#) goes to PIRQ
	 * (s - 1 + p) & 3 of the PIIX3, that is LNKA-LNKD: the swizzle of
	 * the device model's INTx router and of SeaBIOS's
	 * piix_pci_slot_get_irq.  Slot 0, the host bridge, has no pin.
	 */
	Scope (\_SB.PCI0)
	{
		Name (_PRT, Package ()
		{
			Package () { 0x0001FFFF, 0, LNKA, 0 },  /* slot 1 */
			Package () { 0x0001FFFF, 1, LNKB, 0 },
			Package () { 0x0001FFFF, 2, LNKC, 0 },
			Package () { 0x0001FFFF, 3, LNKD, 0 },
			Package () { 0x0002FFFF, 0, LNKB, 0 },  /* slot 2 */
			Package () { 0x0002FFFF, 1, LNKC, 0 },
			Package () { 0x0002FFFF, 2, LNKD, 0 },
			Package () { 0x0002FFFF, 3, LNKA, 0 },
			Package () { 0x0003FFFF, 0, LNKC, 0 },  /* slot 3 */
			Package () { 0x0003FFFF, 1, LNKD, 0 },
			Package () { 0x0003FFFF, 2, LNKA, 0 },
			Package () { 0x0003FFFF, 3, LNKB, 0 },
			Package () { 0x0004FFFF, 0, LNKD, 0 },  /* slot 4 */
			Package () { 0x0004FFFF, 1, LNKA, 0 },
			Package () { 0x0004FFFF, 2, LNKB, 0 },
			Package () { 0x0004FFFF, 3, LNKC, 0 },
			Package () { 0x0005FFFF, 0, LNKA, 0 },  /* slot 5 */
			Package () { 0x0005FFFF, 1, LNKB, 0 },
			Package () { 0x0005FFFF, 2, LNKC, 0 },
			Package () { 0x0005FFFF, 3, LNKD, 0 },
			Package () { 0x0006FFFF, 0, LNKB, 0 },  /* slot 6 */
			Package () { 0x0006FFFF, 1, LNKC, 0 },
			Package () { 0x0006FFFF, 2, LNKD, 0 },
			Package () { 0x0006FFFF, 3, LNKA, 0 },
			Package () { 0x0007FFFF, 0, LNKC, 0 },  /* slot 7 */
			Package () { 0x0007FFFF, 1, LNKD, 0 },
			Package () { 0x0007FFFF, 2, LNKA, 0 },
			Package () { 0x0007FFFF, 3, LNKB, 0 },
			Package () { 0x0008FFFF, 0, LNKD, 0 },  /* slot 8 */
			Package () { 0x0008FFFF, 1, LNKA, 0 },
			Package () { 0x0008FFFF, 2, LNKB, 0 },
			Package () { 0x0008FFFF, 3, LNKC, 0 },
			Package () { 0x0009FFFF, 0, LNKA, 0 },  /* slot 9 */
			Package () { 0x0009FFFF, 1, LNKB, 0 },
			Package () { 0x0009FFFF, 2, LNKC, 0 },
			Package () { 0x0009FFFF, 3, LNKD, 0 },
			Package () { 0x000AFFFF, 0, LNKB, 0 },  /* slot 10 */
			Package () { 0x000AFFFF, 1, LNKC, 0 },
			Package () { 0x000AFFFF, 2, LNKD, 0 },
			Package () { 0x000AFFFF, 3, LNKA, 0 },
			Package () { 0x000BFFFF, 0, LNKC, 0 },  /* slot 11 */
			Package () { 0x000BFFFF, 1, LNKD, 0 },
			Package () { 0x000BFFFF, 2, LNKA, 0 },
			Package () { 0x000BFFFF, 3, LNKB, 0 },
			Package () { 0x000CFFFF, 0, LNKD, 0 },  /* slot 12 */
			Package () { 0x000CFFFF, 1, LNKA, 0 },
			Package () { 0x000CFFFF, 2, LNKB, 0 },
			Package () { 0x000CFFFF, 3, LNKC, 0 },
			Package () { 0x000DFFFF, 0, LNKA, 0 },  /* slot 13 */
			Package () { 0x000DFFFF, 1, LNKB, 0 },
			Package () { 0x000DFFFF, 2, LNKC, 0 },
			Package () { 0x000DFFFF, 3, LNKD, 0 },
			Package () { 0x000EFFFF, 0, LNKB, 0 },  /* slot 14 */
			Package () { 0x000EFFFF, 1, LNKC, 0 },
			Package () { 0x000EFFFF, 2, LNKD, 0 },
			Package () { 0x000EFFFF, 3, LNKA, 0 },
			Package () { 0x000FFFFF, 0, LNKC, 0 },  /* slot 15 */
			Package () { 0x000FFFFF, 1, LNKD, 0 },
			Package () { 0x000FFFFF, 2, LNKA, 0 },
			Package () { 0x000FFFFF, 3, LNKB, 0 },
			Package () { 0x0010FFFF, 0, LNKD, 0 },  /* slot 16 */
			Package () { 0x0010FFFF, 1, LNKA, 0 },
			Package () { 0x0010FFFF, 2, LNKB, 0 },
			Package () { 0x0010FFFF, 3, LNKC, 0 },
			Package () { 0x0011FFFF, 0, LNKA, 0 },  /* slot 17 */
			Package () { 0x0011FFFF, 1, LNKB, 0 },
			Package () { 0x0011FFFF, 2, LNKC, 0 },
			Package () { 0x0011FFFF, 3, LNKD, 0 },
			Package () { 0x0012FFFF, 0, LNKB, 0 },  /* slot 18 */
			Package () { 0x0012FFFF, 1, LNKC, 0 },
			Package () { 0x0012FFFF, 2, LNKD, 0 },
			Package () { 0x0012FFFF, 3, LNKA, 0 },
			Package () { 0x0013FFFF, 0, LNKC, 0 },  /* slot 19 */
			Package () { 0x0013FFFF, 1, LNKD, 0 },
			Package () { 0x0013FFFF, 2, LNKA, 0 },
			Package () { 0x0013FFFF, 3, LNKB, 0 },
			Package () { 0x0014FFFF, 0, LNKD, 0 },  /* slot 20 */
			Package () { 0x0014FFFF, 1, LNKA, 0 },
			Package () { 0x0014FFFF, 2, LNKB, 0 },
			Package () { 0x0014FFFF, 3, LNKC, 0 },
			Package () { 0x0015FFFF, 0, LNKA, 0 },  /* slot 21 */
			Package () { 0x0015FFFF, 1, LNKB, 0 },
			Package () { 0x0015FFFF, 2, LNKC, 0 },
			Package () { 0x0015FFFF, 3, LNKD, 0 },
			Package () { 0x0016FFFF, 0, LNKB, 0 },  /* slot 22 */
			Package () { 0x0016FFFF, 1, LNKC, 0 },
			Package () { 0x0016FFFF, 2, LNKD, 0 },
			Package () { 0x0016FFFF, 3, LNKA, 0 },
			Package () { 0x0017FFFF, 0, LNKC, 0 },  /* slot 23 */
			Package () { 0x0017FFFF, 1, LNKD, 0 },
			Package () { 0x0017FFFF, 2, LNKA, 0 },
			Package () { 0x0017FFFF, 3, LNKB, 0 },
			Package () { 0x0018FFFF, 0, LNKD, 0 },  /* slot 24 */
			Package () { 0x0018FFFF, 1, LNKA, 0 },
			Package () { 0x0018FFFF, 2, LNKB, 0 },
			Package () { 0x0018FFFF, 3, LNKC, 0 },
			Package () { 0x0019FFFF, 0, LNKA, 0 },  /* slot 25 */
			Package () { 0x0019FFFF, 1, LNKB, 0 },
			Package () { 0x0019FFFF, 2, LNKC, 0 },
			Package () { 0x0019FFFF, 3, LNKD, 0 },
			Package () { 0x001AFFFF, 0, LNKB, 0 },  /* slot 26 */
			Package () { 0x001AFFFF, 1, LNKC, 0 },
			Package () { 0x001AFFFF, 2, LNKD, 0 },
			Package () { 0x001AFFFF, 3, LNKA, 0 },
			Package () { 0x001BFFFF, 0, LNKC, 0 },  /* slot 27 */
			Package () { 0x001BFFFF, 1, LNKD, 0 },
			Package () { 0x001BFFFF, 2, LNKA, 0 },
			Package () { 0x001BFFFF, 3, LNKB, 0 },
			Package () { 0x001CFFFF, 0, LNKD, 0 },  /* slot 28 */
			Package () { 0x001CFFFF, 1, LNKA, 0 },
			Package () { 0x001CFFFF, 2, LNKB, 0 },
			Package () { 0x001CFFFF, 3, LNKC, 0 },
			Package () { 0x001DFFFF, 0, LNKA, 0 },  /* slot 29 */
			Package () { 0x001DFFFF, 1, LNKB, 0 },
			Package () { 0x001DFFFF, 2, LNKC, 0 },
			Package () { 0x001DFFFF, 3, LNKD, 0 },
			Package () { 0x001EFFFF, 0, LNKB, 0 },  /* slot 30 */
			Package () { 0x001EFFFF, 1, LNKC, 0 },
			Package () { 0x001EFFFF, 2, LNKD, 0 },
			Package () { 0x001EFFFF, 3, LNKA, 0 },
			Package () { 0x001FFFFF, 0, LNKC, 0 },  /* slot 31 */
			Package () { 0x001FFFFF, 1, LNKD, 0 },
			Package () { 0x001FFFFF, 2, LNKA, 0 },
			Package () { 0x001FFFFF, 3, LNKB, 0 }
		})
	}

	/* The PIIX3 PCI-to-ISA bridge, function 0 of slot 1. */
	Device (\_SB.PCI0.ISA)
	{
		Name (_ADR, 0x00010000)

		/* PIRQRC[A:D] (PIIX3 datasheet, config 60h-63h): bit 7
		 * disables the routing, bits 3:0 are the IRQ. */
		OperationRegion (P40C, PCI_Config, 0x60, 0x04)
		Field (P40C, ByteAcc, NoLock, Preserve)
		{
			PRQ0, 8,
			PRQ1, 8,
			PRQ2, 8,
			PRQ3, 8
		}
	}

	/* The ISA devices behind it, all fixed. */
	Scope (\_SB.PCI0.ISA)
	{
		Device (PIC)
		{
			Name (_HID, EisaId ("PNP0000"))
			Name (_CRS, ResourceTemplate ()
			{
				IO (Decode16, 0x0020, 0x0020, 0x01, 0x02)
				IO (Decode16, 0x00A0, 0x00A0, 0x01, 0x02)
				IRQNoFlags () { 2 }
			})
		}

		Device (DMA)
		{
			Name (_HID, EisaId ("PNP0200"))
			Name (_CRS, ResourceTemplate ()
			{
				DMA (Compatibility, NotBusMaster, Transfer8_16)
					{ 4 }
				IO (Decode16, 0x0000, 0x0000, 0x01, 0x10)
				IO (Decode16, 0x0081, 0x0081, 0x01, 0x03)
				IO (Decode16, 0x0087, 0x0087, 0x01, 0x01)
				IO (Decode16, 0x0089, 0x0089, 0x01, 0x03)
				IO (Decode16, 0x008F, 0x008F, 0x01, 0x01)
				IO (Decode16, 0x00C0, 0x00C0, 0x01, 0x20)
			})
		}

		Device (TMR)
		{
			Name (_HID, EisaId ("PNP0100"))
			Name (_CRS, ResourceTemplate ()
			{
				IO (Decode16, 0x0040, 0x0040, 0x01, 0x04)
				IRQNoFlags () { 0 }
			})
		}

		Device (RTC)
		{
			Name (_HID, EisaId ("PNP0B00"))
			Name (_CRS, ResourceTemplate ()
			{
				IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
				IRQNoFlags () { 8 }
			})
		}

		Device (KBD)
		{
			Name (_HID, EisaId ("PNP0303"))
			Name (_CRS, ResourceTemplate ()
			{
				IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
				IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
				IRQNoFlags () { 1 }
			})
		}

		Device (MOU)
		{
			Name (_HID, EisaId ("PNP0F13"))
			Name (_CRS, ResourceTemplate ()
			{
				IRQNoFlags () { 12 }
			})
		}

		Device (COM1)
		{
			Name (_HID, EisaId ("PNP0501"))
			Name (_UID, One)
			Name (_CRS, ResourceTemplate ()
			{
				IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
				IRQNoFlags () { 4 }
			})
		}

		/* QEMU's fw_cfg interface (selector, data, DMA address), the
		 * id Linux's qemu_fw_cfg driver binds to; present, not shown
		 * in UI, as QEMU has it. */
		Device (FWCF)
		{
			Name (_HID, "QEMU0002")
			Name (_STA, 0x0B)
			Name (_CRS, ResourceTemplate ()
			{
				IO (Decode16, 0x0510, 0x0510, 0x01, 0x0C)
			})
		}
	}

	/*
	 * PCI interrupt links (PNP0C0F) over the PIIX3's PIRQA-D.  The IRQs
	 * offered are those the device model drives as level lines (pc.h:
	 * 5, 10, 11; 9 is the SCI).  An Interrupt descriptor (6.4.3.6) holds
	 * its first IRQ as a DWORD at offset 5; the IRQs here fit its low
	 * byte.
	 */
	Scope (\_SB)
	{
		/* _STA from a PIRQ register. */
		Method (IQST, 1, NotSerialized)
		{
			If (Arg0 & 0x80)
			{
				Return (0x09)   /* present, disabled */
			}
			Return (0x0B)           /* present, enabled */
		}

		/* _CRS from a PIRQ register: the IRQ, or 0 if disabled. */
		Method (IQCR, 1, NotSerialized)
		{
			Local0 = ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh,
					Shared, , , ) { 0 }
			}
			If (!(Arg0 & 0x80))
			{
				Local0 [0x05] = Arg0 & 0x0F
			}
			Return (Local0)
		}

		/* The PIRQ register value for an _SRS buffer (bit 7 clear). */
		Method (IQSR, 1, NotSerialized)
		{
			Return (DerefOf (Arg0 [0x05]) & 0x0F)
		}

		Device (LNKA)
		{
			Name (_HID, EisaId ("PNP0C0F"))
			Name (_UID, 1)
			Name (_PRS, ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh,
					Shared, , , ) { 5, 10, 11 }
			})
			Method (_STA, 0, NotSerialized)
			{
				Return (IQST (\_SB.PCI0.ISA.PRQ0))
			}
			Method (_CRS, 0, NotSerialized)
			{
				Return (IQCR (\_SB.PCI0.ISA.PRQ0))
			}
			Method (_SRS, 1, NotSerialized)
			{
				\_SB.PCI0.ISA.PRQ0 = IQSR (Arg0)
			}
			Method (_DIS, 0, NotSerialized)
			{
				\_SB.PCI0.ISA.PRQ0 = 0x80
			}
		}

		Device (LNKB)
		{
			Name (_HID, EisaId ("PNP0C0F"))
			Name (_UID, 2)
			Name (_PRS, ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh,
					Shared, , , ) { 5, 10, 11 }
			})
			Method (_STA, 0, NotSerialized)
			{
				Return (IQST (\_SB.PCI0.ISA.PRQ1))
			}
			Method (_CRS, 0, NotSerialized)
			{
				Return (IQCR (\_SB.PCI0.ISA.PRQ1))
			}
			Method (_SRS, 1, NotSerialized)
			{
				\_SB.PCI0.ISA.PRQ1 = IQSR (Arg0)
			}
			Method (_DIS, 0, NotSerialized)
			{
				\_SB.PCI0.ISA.PRQ1 = 0x80
			}
		}

		Device (LNKC)
		{
			Name (_HID, EisaId ("PNP0C0F"))
			Name (_UID, 3)
			Name (_PRS, ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh,
					Shared, , , ) { 5, 10, 11 }
			})
			Method (_STA, 0, NotSerialized)
			{
				Return (IQST (\_SB.PCI0.ISA.PRQ2))
			}
			Method (_CRS, 0, NotSerialized)
			{
				Return (IQCR (\_SB.PCI0.ISA.PRQ2))
			}
			Method (_SRS, 1, NotSerialized)
			{
				\_SB.PCI0.ISA.PRQ2 = IQSR (Arg0)
			}
			Method (_DIS, 0, NotSerialized)
			{
				\_SB.PCI0.ISA.PRQ2 = 0x80
			}
		}

		Device (LNKD)
		{
			Name (_HID, EisaId ("PNP0C0F"))
			Name (_UID, 4)
			Name (_PRS, ResourceTemplate ()
			{
				Interrupt (ResourceConsumer, Level, ActiveHigh,
					Shared, , , ) { 5, 10, 11 }
			})
			Method (_STA, 0, NotSerialized)
			{
				Return (IQST (\_SB.PCI0.ISA.PRQ3))
			}
			Method (_CRS, 0, NotSerialized)
			{
				Return (IQCR (\_SB.PCI0.ISA.PRQ3))
			}
			Method (_SRS, 1, NotSerialized)
			{
				\_SB.PCI0.ISA.PRQ3 = IQSR (Arg0)
			}
			Method (_DIS, 0, NotSerialized)
			{
				\_SB.PCI0.ISA.PRQ3 = 0x80
			}
		}
	}
}
