/*
 * Shared definitions for the tiny test guests (GNU as, via cpp).
 *
 * Execution starts at the reset vector in real mode; lib.S jumps to
 * test_main16 with DS = ES = SS = 0 and SP = 0x7000.  A test either stays
 * in real mode or calls ENTER_PM32(label) to continue in flat 32-bit
 * protected mode at label (interrupts off, ESP = 0x80000, an IDT at
 * IDT_BASE whose gates all point to an "unexpected interrupt" handler).
 */
#ifndef GUEST_H
#define GUEST_H

#define ROM_BASE     0xffff0000
#define RM(sym)      ((sym) - ROM_BASE)  /* offset in real-mode segment F000 */

#define DEBUGCON     0x402
#define TEST_EXIT    0xf4
#define POST_PORT    0x80

#define SEL_CODE32   0x08
#define SEL_DATA32   0x10
#define SEL_CODE64   0x18

/* RAM used by the guests */
#define IDT_BASE     0x1000   /* 256 gates * 8 bytes (32-bit) */
#define SCRATCH      0x3000   /* per-test variables */
#define AP_TRAMPOLINE 0x8000  /* SIPI vector 0x08 */
#define PAGE_TABLES  0x10000  /* long-mode paging structures */
#define STACK32_TOP  0x80000
#define AP_STACKS_RM 0x6000   /* real-mode AP stacks: 256 bytes each, down */

#define LAPIC_BASE   0xfee00000
#define IOAPIC_BASE  0xfec00000

/* Real-mode: print the NUL-terminated string at RM offset str (CS-relative). */
#define PUTS16(str)  movw $RM(str), %si; call puts16
/* Real-mode: report status (immediate) on the test-exit port; never returns. */
#define EXIT16(st)   movb $(st), %al; jmp exit16

/* Switch to protected mode and continue at 32-bit label. */
#define ENTER_PM32(label) movl $(label), %ebx; xorl %ecx, %ecx; jmp enter_pm32

#define PUTS32(str)  movl $(str), %esi; call puts32
#define EXIT32(st)   movb $(st), %al; jmp exit32

/* 32-bit: check a condition, else print msg and exit with status st */
#define FAIL32(msg, st) movl $(msg), %esi; movb $(st), %al; jmp fail32

#endif
