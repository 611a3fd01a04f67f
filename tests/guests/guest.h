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

/* From 32-bit protected mode: identity-mapped long mode, continue at the
 * 64-bit label. */
#define ENTER_LM64(label) movl $(label), %ebx; jmp enter_lm64
#define MSR_EFER     0xc0000080
#define EFER_LME     (1 << 8)
#define EFER_LMA     (1 << 10)

#define PUTS32(str)  movl $(str), %esi; call puts32
#define EXIT32(st)   movb $(st), %al; jmp exit32

/* 32-bit: check a condition, else print msg and exit with status st */
#define FAIL32(msg, st) movl $(msg), %esi; movb $(st), %al; jmp fail32

#endif

/*
 * The device model's test device (devmodel/testdev.c has the register
 * map), at its default addresses: hvmkit-hypervisor ...
 * --dm-arg=--device=testdev.
 */
#define TD_SCRATCH_PORT  0xe0
#define TD_PORT          0x2100
#define TD_ID            (TD_PORT + 0x00)
#define TD_FIFO          (TD_PORT + 0x04)
#define TD_FIFO_LEN      (TD_PORT + 0x08)
#define TD_FIFO_SUM      (TD_PORT + 0x0c)
#define TD_FIFO_WRITES   (TD_PORT + 0x10)
#define TD_LOG_COUNT     (TD_PORT + 0x14)
#define TD_LOG_READ      (TD_PORT + 0x18)
#define TD_LOG_META      (TD_PORT + 0x1c)
#define TD_IRQ_LEVEL     (TD_PORT + 0x20)
#define TD_IRQ_ACK       (TD_PORT + 0x24)
#define TD_DOORBELLS     (TD_PORT + 0x28)
#define TD_ERRORS        (TD_PORT + 0x2c)
#define TD_COMMAND       (TD_PORT + 0x30)
#define TD_POWER_BUTTON  (TD_PORT + 0x34)
#define TD_LOG_PIO_READS (TD_PORT + 0x38)
#define TD_LATCH_READS   (TD_PORT + 0x3c)
#define TD_LOG_PIO       (TD_PORT + 0x40)
#define TD_DOORBELL      (TD_PORT + 0x44)
#define TD_LATCH         (TD_PORT + 0x48)
#define TD_MMIO          0xff000000
#define TD_LOG_MMIO      (TD_MMIO + 0x10000)
#define TD_GSI           10
#define TD_ID_VALUE      0x48564d54
#define TD_META_MMIO     0x80000000
#define TD_CMD(n)        (0x7e570000 | (n))
#define TD_CMD_POWEROFF  TD_CMD(1)
#define TD_CMD_RESET     TD_CMD(2)
#define TD_CMD_SOCKET    TD_CMD(3)
#define TD_CMD_EXECVE    TD_CMD(4)
#define TD_CMD_HANG      TD_CMD(5)

/* Real mode: EAX = in/out of 32 bits at a 16-bit port number. */
#define TD_INL(port)     movw $(port), %dx; inl %dx, %eax
#define TD_OUTL(port, v) movw $(port), %dx; movl $(v), %eax; outl %eax, %dx

/* Real mode: print msg and exit with status st (never returns). */
#define FAIL16(msg, st)  PUTS16(msg); EXIT16(st)

/* Real mode: unless EAX == val, print msg, " got 0x" EAX, and exit with
 * status st.  Needs DEFINE_FAIL_GOT16 once in the guest. */
#define CHECK_EAX16(val, msg, st)		\
	cmpl $(val), %eax;			\
	je 9f;					\
	movw $RM(msg), %si;			\
	movb $(st), %bl;			\
	jmp fail_got16;				\
9:

/* Real-mode helpers for the checks above, defined by DEFINE_FAIL_GOT16:
 *   puthex16: print EAX as 8 hex digits on the debug console;
 *   fail_got16: SI = message, BL = status, EAX = value seen: print
 *     "message got 0x<EAX>" and exit with the status;
 *   fail_want16: the same plus " want 0x<ECX>". */
#define DEFINE_FAIL_GOT16			\
puthex16:					\
	pushl %eax;				\
	pushl %ecx;				\
	pushw %dx;				\
	pushw %di;				\
	movl %eax, %ecx;			\
	movw $DEBUGCON, %dx;			\
	movw $8, %di;				\
8:	roll $4, %ecx;				\
	movb %cl, %al;				\
	andb $0xf, %al;				\
	addb $0x30, %al;			\
	cmpb $0x3a, %al;			\
	jb 7f;					\
	addb $0x27, %al;			\
7:	outb %al, %dx;				\
	decw %di;				\
	jnz 8b;					\
	popw %di;				\
	popw %dx;				\
	popl %ecx;				\
	popl %eax;				\
	ret;					\
fail_want16:					\
	call puts16;				\
	movw $RM(td_msg_got), %si;		\
	call puts16;				\
	call puthex16;				\
	movw $RM(td_msg_want), %si;		\
	call puts16;				\
	movl %ecx, %eax;			\
	call puthex16;				\
	jmp 6f;					\
fail_got16:					\
	call puts16;				\
	movw $RM(td_msg_got), %si;		\
	call puts16;				\
	call puthex16;				\
6:	movb $0x0a, %al;			\
	movw $DEBUGCON, %dx;			\
	outb %al, %dx;				\
	movb %bl, %al;				\
	jmp exit16;				\
td_msg_got:					\
	.asciz " got 0x";			\
td_msg_want:					\
	.asciz " want 0x"
