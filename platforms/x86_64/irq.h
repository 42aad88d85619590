/*
 * Device interrupts (ioapic.c): a line of the I/O APIC (a GSI: ISA IRQ
 * numbers 0-15 are GSIs 0-15 on QEMU pc and microvm, PCI INTx lines come
 * out on the GSI SeaBIOS wrote into the function's Interrupt Line) routed
 * to this CPU's LAPIC on a vector of its own, IRQ_VECTOR_BASE + gsi.
 *
 * Handlers run in interrupt context (IST stack, interrupts off, the
 * interrupted code may be anything): they acknowledge their device and
 * wake a thread (sched_wake_chan), nothing more. The dispatcher sends the
 * LAPIC EOI after them, which for a level-triggered line also re-arms it
 * (the I/O APIC's remote IRR), so a device still asserting its line
 * interrupts again instead of being lost.
 */
#ifndef X86_64_IRQ_H
#define X86_64_IRQ_H

#include "arch.h"

#define IRQ_VECTOR_BASE 0x50
#define IRQ_MAX_GSI     24          /* one I/O APIC, 24 pins (QEMU's) */
#define IRQ_MAX_HANDLERS 8          /* per line: PCI INTx lines are shared */

typedef void (*irq_handler_t)(void *arg);

/* Call handler(arg) on every interrupt of line gsi, and unmask the line
 * (level: level-triggered, active high, as QEMU's PCI INTx and virtio-mmio
 * lines are). Returns 0, or -1 for a bad line or a full handler table. */
int irq_attach(unsigned gsi, bool level, irq_handler_t handler, void *arg);

#endif
