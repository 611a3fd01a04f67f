/*
 * 8259A initialization used by the interrupt tests (8259A datasheet,
 * "Initialization Command Words"): edge-triggered, cascaded, ICW4 needed;
 * master vectors at 0x20, slave at 0x28, slave on IR2; 8086 mode.
 * MASTER_MASK is written as OCW1 afterwards; the slave stays masked.
 */
#define PIC_INIT(MASTER_MASK)		\
	movb $0x11, %al;		\
	outb %al, $0x20;		\
	outb %al, $0xa0;		\
	movb $0x20, %al;		\
	outb %al, $0x21;		\
	movb $0x28, %al;		\
	outb %al, $0xa1;		\
	movb $0x04, %al;		\
	outb %al, $0x21;		\
	movb $0x02, %al;		\
	outb %al, $0xa1;		\
	movb $0x01, %al;		\
	outb %al, $0x21;		\
	outb %al, $0xa1;		\
	movb $(MASTER_MASK), %al;	\
	outb %al, $0x21;		\
	movb $0xff, %al;		\
	outb %al, $0xa1

/* 8254 channel 0, mode 2 (rate generator), binary, LSB then MSB; a divisor
 * of 1193 gives ~1 kHz from the 1.193182 MHz input clock. */
#define PIT_START_1KHZ			\
	movb $0x34, %al;		\
	outb %al, $0x43;		\
	movw $1193, %ax;		\
	outb %al, $0x40;		\
	movb %ah, %al;			\
	outb %al, $0x40

#define TICKS_WANTED 20
