/*
 * Echo over the device model's 16550A UART at COM1 (0x3f8), polled: wait
 * for LSR.DR (data ready), read RBR, upper-case a-z (so a test can tell
 * the guest's echo from a terminal's own echo), wait for LSR.THRE and
 * write THR.  A '.' ends the run: it is echoed too, the guest reports the
 * number of bytes it received on the debug console and exits 0.
 *
 * Bytes that arrive before the guest has set the UART up are lost (FCR
 * clears the FIFOs), and a console backend may drop output while nobody
 * is connected, so until the first byte arrives the guest sends
 * "echo ready" over the UART every BANNER_POLLS polls: a test connects,
 * waits for that, then types.
 * (Registers: PC16550D datasheet, "Register Description".)
 *
 * Run with: hvmkit-hypervisor -f dm-uart-echo.bin --serial pty (or
 * unix:PATH, stdio)
 */
#include "guest.h"

#define COM1       0x3f8
#define UART_RBR   (COM1 + 0)	/* DLAB = 0, read */
#define UART_THR   (COM1 + 0)	/* DLAB = 0, write */
#define UART_DLL   (COM1 + 0)	/* DLAB = 1 */
#define UART_IER   (COM1 + 1)
#define UART_DLM   (COM1 + 1)	/* DLAB = 1 */
#define UART_FCR   (COM1 + 2)
#define UART_LCR   (COM1 + 3)
#define UART_MCR   (COM1 + 4)
#define UART_LSR   (COM1 + 5)
#define LSR_DR     0x01
#define LSR_THRE   0x20
#define LCR_DLAB   0x80
#define LCR_8N1    0x03
#define TERMINATOR 0x2e		/* '.' */
#define BANNER_POLLS 5000

#define OUTB_UART(reg, val) movw $(reg), %dx; movb $(val), %al; outb %al, %dx

	.text
	.code16
	.globl test_main16
test_main16:
	OUTB_UART(UART_IER, 0)
	OUTB_UART(UART_LCR, LCR_DLAB)
	OUTB_UART(UART_DLL, 1)		/* 115200 baud */
	OUTB_UART(UART_DLM, 0)
	OUTB_UART(UART_LCR, LCR_8N1)
	OUTB_UART(UART_FCR, 0x07)	/* FIFOs on and cleared */
	OUTB_UART(UART_MCR, 0x03)	/* DTR, RTS */
	/* With DLAB clear again, LCR must read back 8N1. */
	movw $UART_LCR, %dx
	inb %dx, %al
	cmpb $LCR_8N1, %al
	je 1f
	FAIL16(msg_no_uart, 0x31)
1:	PUTS16(msg_ready)
	xorl %ebx, %ebx			/* bytes received */
	xorl %edi, %edi			/* polls until the next banner */

next:	movw $UART_LSR, %dx
1:	inb %dx, %al
	testb $LSR_DR, %al
	jnz 4f
	testl %ebx, %ebx
	jnz 1b
	decl %edi
	jg 1b
	movw $RM(uart_banner), %si
	call uart_puts
	movl $BANNER_POLLS, %edi
	jmp next
4:	movw $UART_RBR, %dx
	inb %dx, %al
	incl %ebx
	cmpb $0x61, %al			/* 'a' */
	jb 2f
	cmpb $0x7a, %al			/* 'z' */
	ja 2f
	subb $0x20, %al
2:	movb %al, %cl
	call uart_putc
	cmpb $TERMINATOR, %cl
	jne next

	PUTS16(msg_done)
	movl %ebx, %eax
	call puthex16
	PUTS16(msg_nl)
	EXIT16(0)

/* uart_putc: send CL once THR is empty (LSR.THRE). */
uart_putc:
	pushw %ax
	pushw %dx
	movw $UART_LSR, %dx
1:	inb %dx, %al
	testb $LSR_THRE, %al
	jz 1b
	movw $UART_THR, %dx
	movb %cl, %al
	outb %al, %dx
	popw %dx
	popw %ax
	ret

/* uart_puts: send the string at CS:SI. */
uart_puts:
	movb %cs:(%si), %cl
	testb %cl, %cl
	jz 1f
	call uart_putc
	incw %si
	jmp uart_puts
1:	ret

	DEFINE_FAIL_GOT16

	.section .rodata
uart_banner:	.asciz "echo ready\r\n"
msg_ready:	.asciz "uart echo: ready\n"
msg_done:	.asciz "uart echo: done, bytes received: 0x"
msg_nl:		.asciz "\n"
msg_no_uart:	.asciz "FAIL: no 16550 at 0x3f8 (LCR does not read back)\n"
