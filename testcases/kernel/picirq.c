// The two cascaded 8259A interrupt controllers, by port I/O only.
// IRQs 0-15 are remapped to vectors T_IRQ0..T_IRQ0+15 (the power-on
// mapping overlaps the CPU exceptions); all but the timer stay masked.

#include "types.h"
#include "defs.h"
#include "mmu.h"
#include "x86.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI   0x20
#define OCW3_ISR  0x0b           // next read of the command port returns ISR

void pic_init(void)
{
	outb(PIC1_DATA, 0xff);                 // mask everything while programming
	outb(PIC2_DATA, 0xff);
	outb(PIC1_CMD, 0x11);                  // ICW1: edge, cascade, ICW4 follows
	outb(PIC1_DATA, T_IRQ0);               // ICW2: vector base
	outb(PIC1_DATA, 1 << IRQ_SLAVE);       // ICW3: slave on IRQ2
	outb(PIC1_DATA, 0x01);                 // ICW4: 8086 mode, normal EOI
	outb(PIC2_CMD, 0x11);
	outb(PIC2_DATA, T_IRQ0 + 8);
	outb(PIC2_DATA, IRQ_SLAVE);            // slave identity
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, (u8)~((1 << IRQ_TIMER) | (1 << IRQ_SLAVE)));
	outb(PIC2_DATA, 0xff);
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

// IRQ 7 or 15 without its in-service bit set is spurious and must not be
// acknowledged (a spurious IRQ 15 still needs the master's EOI).
void pic_spurious(int irq)
{
	u16 cmd = irq >= 8 ? PIC2_CMD : PIC1_CMD;
	outb(cmd, OCW3_ISR);
	if (inb(cmd) & (1 << (irq & 7))) {
		pic_eoi(irq);
		return;
	}
	if (irq >= 8)
		outb(PIC1_CMD, PIC_EOI);
}
