/*
 * COM1 16550 UART at I/O port 0x3f8: present on -M pc, and on -M microvm as
 * its ISA serial (isa-serial=on is the default); with -nodefaults it exists
 * only when a backend is given, e.g. -serial stdio.  Polled, no interrupts:
 * the kernel log must work from any context, including the fault handler.
 *
 * One line carries three streams (microvm has only one ISA serial port, so
 * COM2/COM3 are no option there): the app's stdout, the app's stderr and the
 * kernel log.  Output is multiplexed with an escape byte (README.md):
 *   0xff 0x01 / 0x02 / 0x03   what follows belongs to stdout / stderr / log
 *   0xff 0xff                 a literal 0xff byte in the current stream
 * The line starts in the kernel-log stream, so a kernel that never runs an
 * app prints plain text.  Input (host to guest) uses the same escape:
 *   0xff 0xff a literal 0xff, 0xff 0x04 end of input (the host's stdin closed),
 *   0xff X    for any other X: a control code for the platform's terminal
 *             (console_getc_nonblock returns CONSOLE_CONTROL | X; the codes
 *             and their payload bytes are platforms/qemu/tty.c's).
 * console_set_plain turns all of this off: the three streams go out as plain
 * text, interleaved, and input is taken as it comes (for a person at the
 * console, e.g. the launch scripts of port-app build).
 */
#include "arch.h"

#define COM1 0x3f8
#define ESC 0xff

static int cur_chan = CONSOLE_LOG;
static bool plain;
static bool input_esc;

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

static void uart_putc(uint8_t c)
{
    /* Bounded wait: with no UART the line status reads 0xff (THR empty). */
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
        cpu_relax();
    outb(COM1, c);
}

void console_write(int chan, const void *buf, size_t n)
{
    const uint8_t *s = buf;
    /* Interrupts off while a write is in flight: a report from an interrupt
     * handler must not split an escape pair or switch streams mid-write. */
    uint64_t flags = irq_save();
    if (plain) {
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '\n' && chan == CONSOLE_LOG)
                uart_putc('\r');
            uart_putc(s[i]);
        }
        irq_restore(flags);
        return;
    }
    if (n && chan != cur_chan) {
        uart_putc(ESC);
        uart_putc((uint8_t)chan);
        cur_chan = chan;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ESC)
            uart_putc(ESC);
        else if (s[i] == '\n' && chan == CONSOLE_LOG)
            uart_putc('\r');
        uart_putc(s[i]);
    }
    irq_restore(flags);
}

void serial_putc(char c)
{
    console_write(CONSOLE_LOG, &c, 1);
}

void serial_write(const char *s, size_t n)
{
    console_write(CONSOLE_LOG, s, n);
}

void console_set_plain(bool on)
{
    plain = on;
}

static int uart_getc(void)
{
    uint8_t lsr = inb(COM1 + 5);
    if (lsr == 0xff || !(lsr & 0x01))
        return -1;
    return inb(COM1);
}

int console_getc_nonblock(void)
{
    for (;;) {
        int c = uart_getc();
        if (c < 0)
            return -1;
        if (plain)
            return c;
        if (input_esc) {
            input_esc = false;
            if (c == 0x04)
                return CONSOLE_EOF;     /* once; control codes may follow */
            return c == ESC ? c : CONSOLE_CONTROL | c;
        }
        if (c == ESC) {
            input_esc = true;
            continue;
        }
        return c;
    }
}

int serial_getc_nonblock(void)
{
    int c;
    do
        c = console_getc_nonblock();
    while (c >= CONSOLE_CONTROL);
    return c == CONSOLE_EOF ? -1 : c;
}
