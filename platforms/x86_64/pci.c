/* PCI configuration access and bus-0 scan (pci.h). */
#include "pci.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA    0xcfc

static void select(struct pci_fn f, uint8_t off)
{
    outl(CONFIG_ADDRESS, 0x80000000u | (uint32_t)f.bus << 16 | (uint32_t)f.dev << 11 |
                         (uint32_t)f.fn << 8 | (off & 0xfc));
}

uint32_t pci_read32(struct pci_fn f, uint8_t off)
{
    select(f, off);
    return inl(CONFIG_DATA);
}

uint16_t pci_read16(struct pci_fn f, uint8_t off)
{
    return (uint16_t)(pci_read32(f, off) >> ((off & 2) * 8));
}

uint8_t pci_read8(struct pci_fn f, uint8_t off)
{
    return (uint8_t)(pci_read32(f, off) >> ((off & 3) * 8));
}

void pci_write16(struct pci_fn f, uint8_t off, uint16_t v)
{
    select(f, off);
    outw((uint16_t)(CONFIG_DATA + (off & 2)), v);
}

void pci_scan(void (*visit)(struct pci_fn f, uint16_t vendor, uint16_t device, void *arg), void *arg)
{
    for (uint8_t dev = 0; dev < 32; dev++) {
        struct pci_fn f = { 0, dev, 0 };
        uint32_t id = pci_read32(f, 0);
        if ((id & 0xffff) == 0xffff)
            continue;
        /* Header type bit 7: a multi-function device; else only function 0. */
        uint8_t nfn = (pci_read8(f, 0x0e) & 0x80) ? 8 : 1;
        for (uint8_t fn = 0; fn < nfn; fn++) {
            f.fn = fn;
            id = pci_read32(f, 0);
            if ((id & 0xffff) != 0xffff)
                visit(f, (uint16_t)id, (uint16_t)(id >> 16), arg);
        }
    }
}

bool pci_bar(struct pci_fn f, unsigned n, uint64_t *addr, bool *io)
{
    if (n > 5)
        return false;
    uint8_t off = (uint8_t)(0x10 + 4 * n);
    uint32_t lo = pci_read32(f, off);
    if (lo & 1) {
        *io = true;
        *addr = lo & ~3u;
    } else {
        *io = false;
        *addr = lo & ~0xfu;
        if (((lo >> 1) & 3) == 2 && n < 5)     /* 64-bit: the next BAR holds the top half */
            *addr |= (uint64_t)pci_read32(f, (uint8_t)(off + 4)) << 32;
    }
    return *addr != 0;
}

uint8_t pci_find_cap(struct pci_fn f, uint8_t id, uint8_t from)
{
    if (!(pci_read16(f, 0x06) & 0x10))          /* status: no capability list */
        return 0;
    uint8_t at = from ? pci_read8(f, (uint8_t)(from + 1)) : pci_read8(f, 0x34);
    for (int guard = 0; at && guard < 48; guard++) {
        at &= 0xfc;
        if (pci_read8(f, at) == id)
            return at;
        at = pci_read8(f, (uint8_t)(at + 1));
    }
    return 0;
}
