/*
 * COM1 16550 UART at I/O port 0x3f8: present on -M pc, and on -M microvm as
 * its ISA serial (isa-serial=on is the default); with -nodefaults it exists
 * only when a backend is given, e.g. -serial stdio.  Polled, no interrupts:
 * the kernel log must work from any context, including the fault handler.
 */
#include "arch.h"

#define COM1 0x3f8

void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* no interrupts */
    outb(COM1 + 3, 0x80);   /* DLAB */
    outb(COM1 + 0, 0x01);   /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    /* FIFOs stay off: QEMU clears them when FCR.FE changes, which would drop
     * input that arrived before this point, and with the holding register
     * alone QEMU holds further input back until we read (no loss). */
    outb(COM1 + 2, 0x00);
    outb(COM1 + 4, 0x03);   /* DTR | RTS */
}

void serial_putc(char c)
{
    /* Bounded wait: with no UART the line status reads 0xff (THR empty). */
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        cpu_relax();
    outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
}

int serial_getc_nonblock(void)
{
    uint8_t lsr = inb(COM1 + 5);
    if (lsr == 0xff || !(lsr & 0x01))
        return -1;
    return inb(COM1);
}
