/*
 * The virtio transport (virtio.c): devices on virtio-pci (modern 1.0+ and
 * legacy 0.9.5, QEMU pc) and virtio-mmio (version 2 and legacy version 1,
 * QEMU microvm and Firecracker), split virtqueues, feature negotiation and
 * interrupts, behind one API so a driver (virtio_net.c, 9p ...) never asks
 * which transport it is on.
 *
 * Discovery (virtio_discover): PCI bus 0 (vendor 0x1af4; device 0x1000-0x103f
 * is a transitional or legacy device whose type is its subsystem ID,
 * 0x1040 + type a modern-only one; a device with the virtio vendor
 * capabilities is driven as modern, else as legacy through BAR0's ports),
 * then every `virtio_mmio.device=SIZE@BASE:IRQ` word of the kernel command
 * line. QEMU 7.2's microvm writes those words itself when it runs without
 * ACPI (`-M microvm,acpi=off`; e.g. "virtio_mmio.device=512@0xfeb00e00:12":
 * its slots are 512 bytes at 0xfeb00000 + 512*n on GSI 5+n, filled from
 * the last slot down), and Firecracker always does ("4K@0xd0000000:5").
 * With ACPI on, microvm moves the virtio lines to a second I/O APIC and
 * writes no words: port-app runs microvm with acpi=off.
 *
 * A driver's sequence, as the virtio spec's 3.1:
 *
 *   struct virtio_dev *d = virtio_find(VIRTIO_ID_NET, 0);
 *   if (virtio_negotiate(d, WANTED_FEATURES) < 0) ...  // reset, ACK, DRIVER, FEATURES_OK
 *   struct virtq *rx = virtio_queue(d, 0, 256);        // ring memory is the transport's
 *   virtio_set_interrupt(d, my_irq, arg);
 *   ... fill rx with virtq_add ...
 *   virtio_driver_ok(d);                                // DRIVER_OK: the device runs
 *   virtq_kick(rx);
 *
 * Buffers are physical addresses: memory from virtio_dma_alloc (the direct
 * map; virtio_dma_phys translates it), or anything the driver translates
 * with vm_query. Concurrency: none inside; the kernel is one CPU and shim
 * code is not preempted, so a driver needs to guard a queue only against
 * its own interrupt handler, which must not touch queues at all.
 */
#ifndef X86_64_VIRTIO_H
#define X86_64_VIRTIO_H

#include "arch.h"

/* Device types (virtio spec 5). */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_9P      9

/* Transport-level feature bits (virtio spec 6). */
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX     (1ull << 29)
#define VIRTIO_F_VERSION_1     (1ull << 32)

enum virtio_transport { VIRTIO_PCI_MODERN, VIRTIO_PCI_LEGACY, VIRTIO_MMIO_V2, VIRTIO_MMIO_V1 };

struct virtio_dev;
struct virtq;

/* Finds the devices, once (later calls return at once); returns how many.
 * cmdline: the kernel command line (virtio_mmio.device= words). */
int virtio_discover(const char *cmdline);
/* The nth (0, 1 ...) device of this type virtio_discover found, or NULL. */
struct virtio_dev *virtio_find(uint16_t type, int nth);

/* Facts about a device. */
uint16_t virtio_type(const struct virtio_dev *d);
enum virtio_transport virtio_transport_of(const struct virtio_dev *d);
const char *virtio_transport_name(enum virtio_transport t);
unsigned virtio_gsi(const struct virtio_dev *d);            /* its interrupt line */
/* Whether the device is driven as a virtio 1.0+ (non-legacy) device; then
 * VIRTIO_F_VERSION_1 is part of every negotiation and fields are little endian. */
bool virtio_modern(const struct virtio_dev *d);
/* What the device offered at the last virtio_negotiate, and what was accepted. */
uint64_t virtio_offered(const struct virtio_dev *d);
uint64_t virtio_features(const struct virtio_dev *d);

/* Resets the device, sets ACKNOWLEDGE and DRIVER, reads its features and
 * accepts `wanted & offered` (plus VERSION_1 on a modern transport, which
 * requires it; never on a legacy one); on a modern transport sets
 * FEATURES_OK and checks the device kept it. Returns 0, or -EIO (the device
 * is then marked FAILED). */
int virtio_negotiate(struct virtio_dev *d, uint64_t wanted);
/* Sets up queue `index` with the device's size capped at max_size (a
 * power of two; legacy PCI rings always have the device's size). After
 * virtio_negotiate, before virtio_driver_ok. NULL when the device has no
 * such queue or memory ran out. */
struct virtq *virtio_queue(struct virtio_dev *d, unsigned index, unsigned max_size);
/* fn(d, arg) runs in interrupt context (interrupts off, IST stack) when
 * the device raised its interrupt for a used buffer or a configuration
 * change; it must only wake a thread (sched_wake_chan). The transport has
 * acknowledged the device already. Call before virtio_driver_ok. 0 or -EIO. */
int virtio_set_interrupt(struct virtio_dev *d, void (*fn)(struct virtio_dev *d, void *arg), void *arg);
/* DRIVER_OK: the device starts using the queues. */
void virtio_driver_ok(struct virtio_dev *d);
/* The device-specific configuration space (virtio spec 5.x "Device
 * configuration layout"); off in bytes from its start. */
uint8_t virtio_config8(struct virtio_dev *d, unsigned off);
uint16_t virtio_config16(struct virtio_dev *d, unsigned off);
uint32_t virtio_config32(struct virtio_dev *d, unsigned off);
/* Interrupts raised so far (for tests and statistics). */
uint64_t virtio_irq_count(const struct virtio_dev *d);

/* ---- split virtqueues ---------------------------------------------------- */

/* One piece of a buffer chain: physical address, length, and whether the
 * device writes it (receive buffers) or reads it (what the driver sends). */
struct virtq_seg {
    uint64_t phys;
    uint32_t len;
    bool device_writes;
};

/* Entries in the ring (the number of segments it can hold at once). */
unsigned virtq_size(const struct virtq *q);
/* Descriptors free for virtq_add. */
unsigned virtq_free(const struct virtq *q);
/* Makes segs[0..n) one chain and puts it in the available ring; token
 * comes back from virtq_used when the device is done with it (NULL is not
 * a valid token). The device sees it after the next virtq_kick. Returns 0,
 * or -ENOSPC when fewer than n descriptors are free. */
int virtq_add(struct virtq *q, const struct virtq_seg *segs, unsigned n, void *token);
/* Notifies the device of new buffers, unless it said it does not need it. */
void virtq_kick(struct virtq *q);
/* Whether the device has returned a chain virtq_used has not taken yet. */
bool virtq_has_used(const struct virtq *q);
/* Takes the next chain the device returned: its token (the chain's
 * descriptors are free again) and in *len the bytes the device wrote.
 * NULL when there is none. */
void *virtq_used(struct virtq *q, uint32_t *len);
/* Whether the device should interrupt when it returns a chain to this
 * queue (a hint to the device: a driver that turns them back on must check
 * virtq_has_used once more before it sleeps). */
void virtq_interrupts(struct virtq *q, bool on);

/* ---- memory devices can reach ----------------------------------------------- */

/* bytes of zeroed, physically contiguous memory (whole pages), or NULL
 * when there is none; *phys gets its physical address. Never freed. */
void *virtio_dma_alloc(size_t bytes, uint64_t *phys);
/* The physical address of direct-map memory (virtio_dma_alloc's). */
static inline uint64_t virtio_dma_phys(const void *v) { return (uint64_t)v - DMAP_BASE; }

#endif
