/*
 * PCI configuration space through the legacy ports 0xcf8/0xcfc (mechanism
 * #1, on QEMU pc; microvm has no PCI bus unless asked for). SeaBIOS runs
 * before the PVH entry on pc and has already assigned the BARs, enabled
 * decoding and written each function's Interrupt Line (the GSI its INTx
 * pin reaches), so a driver only reads them.
 */
#ifndef X86_64_PCI_H
#define X86_64_PCI_H

#include "arch.h"

struct pci_fn { uint8_t bus, dev, fn; };

uint32_t pci_read32(struct pci_fn f, uint8_t off);
uint16_t pci_read16(struct pci_fn f, uint8_t off);
uint8_t pci_read8(struct pci_fn f, uint8_t off);
void pci_write16(struct pci_fn f, uint8_t off, uint16_t v);

/* Calls visit(f, vendor, device, arg) for every function on bus 0 (QEMU
 * puts every device there unless the command line adds bridges). */
void pci_scan(void (*visit)(struct pci_fn f, uint16_t vendor, uint16_t device, void *arg), void *arg);

/* BAR n: its address (memory or I/O port) and whether it is I/O; false
 * when it is not implemented or not assigned. Handles 64-bit BARs. */
bool pci_bar(struct pci_fn f, unsigned n, uint64_t *addr, bool *io);

/* Offset of the first capability of this ID at or after `from` (0 = from
 * the start of the list), 0 when there is none. */
uint8_t pci_find_cap(struct pci_fn f, uint8_t id, uint8_t from);

#define PCI_COMMAND        0x04
#define PCI_COMMAND_IO     0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d
#define PCI_SUBSYS_ID      0x2e
#define PCI_CAP_VENDOR     0x09

#endif
