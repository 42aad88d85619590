/*
 * The I/O APIC (irq.h). Both QEMU machines have one at 0xfec00000 with 24
 * pins; time.c leaves every pin masked (the reset state) and the 8259s
 * masked, so a line interrupts only once a driver attaches to it.
 *
 * Redirection entry of pin n: registers 0x10 + 2n (low: vector, delivery
 * mode fixed, physical destination, polarity bit 13, trigger bit 15, mask
 * bit 16) and 0x11 + 2n (high: destination APIC ID in bits 56-63).
 */
#include "irq.h"

#define IOAPIC_PHYS     0xfec00000ull
#define IOREGSEL        0x00
#define IOWIN           0x10
#define IOAPIC_VER      0x01
#define RTE_LEVEL       (1u << 15)
#define RTE_MASKED      (1u << 16)

static volatile uint32_t *ioapic;
static unsigned npins;

struct line {
    unsigned n;
    struct { irq_handler_t fn; void *arg; } h[IRQ_MAX_HANDLERS];
};
static struct line lines[IRQ_MAX_GSI];

static uint32_t ioapic_read(uint32_t reg)
{
    ioapic[IOREGSEL / 4] = reg;
    return ioapic[IOWIN / 4];
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
    ioapic[IOREGSEL / 4] = reg;
    ioapic[IOWIN / 4] = v;
}

static bool line_irq(struct trap_frame *f)
{
    unsigned gsi = (unsigned)f->vector - IRQ_VECTOR_BASE;
    struct line *l = &lines[gsi];
    for (unsigned i = 0; i < l->n; i++)
        l->h[i].fn(l->h[i].arg);
    lapic_eoi();
    return true;
}

int irq_attach(unsigned gsi, bool level, irq_handler_t handler, void *arg)
{
    uint64_t flags = irq_save();
    if (!ioapic) {
        ioapic = mmio_map(IOAPIC_PHYS, PAGE_SIZE);
        npins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
    }
    int r = -1;
    if (gsi < npins && gsi < IRQ_MAX_GSI && lines[gsi].n < IRQ_MAX_HANDLERS) {
        struct line *l = &lines[gsi];
        l->h[l->n].fn = handler;
        l->h[l->n].arg = arg;
        if (l->n++ == 0) {
            trap_set_handler(IRQ_VECTOR_BASE + gsi, line_irq);
            /* Destination: the boot CPU, LAPIC ID 0 (the only one). */
            ioapic_write(0x11 + 2 * gsi, 0);
            ioapic_write(0x10 + 2 * gsi, (IRQ_VECTOR_BASE + gsi) | (level ? RTE_LEVEL : 0));
        }
        r = 0;
    }
    irq_restore(flags);
    return r;
}
