/*
 * The virtio transport (virtio.h): PCI modern and legacy, MMIO version 2
 * and version 1, split virtqueues. Register layouts are the virtio 1.2
 * spec's 4.1 (PCI; 4.1.4.8 for the legacy I/O BAR) and 4.2 (MMIO; 4.2.4
 * for the legacy version 1).
 */
#include "virtio.h"
#include "irq.h"
#include "pci.h"
#include "shim/errno.h"

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER      2
#define STATUS_DRIVER_OK   4
#define STATUS_FEATURES_OK 8
#define STATUS_FAILED      128

#define VIRTIO_MAX_DEVICES 16
#define VIRTQ_MAX_SIZE     1024

/* ---- split virtqueue layout (virtio spec 2.7) ---- */
struct vring_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
#define VRING_DESC_F_NEXT  1
#define VRING_DESC_F_WRITE 2
struct vring_avail { uint16_t flags, idx, ring[]; };
#define VRING_AVAIL_F_NO_INTERRUPT 1
struct vring_used_elem { uint32_t id, len; };
struct vring_used { uint16_t flags, idx; struct vring_used_elem ring[]; };
#define VRING_USED_F_NO_NOTIFY 1

struct virtq {
    struct virtio_dev *dev;
    unsigned index, size;
    struct vring_desc *desc;
    volatile struct vring_avail *avail;
    volatile struct vring_used *used;
    uint16_t free_head, nfree;
    uint16_t last_used;            /* the next used entry to take */
    uint16_t avail_shadow;         /* avail->idx as we last wrote it */
    uint16_t added;                /* chains added since the last kick */
    volatile uint16_t *notify_pci; /* modern PCI: where to write the queue index */
    void **tokens;                 /* per head descriptor */
};

struct virtio_dev {
    uint16_t type;
    enum virtio_transport transport;
    unsigned gsi;
    uint64_t offered, features;
    uint64_t irqs;
    /* PCI legacy: the I/O BAR; MMIO: the register window; PCI modern: the
     * common, ISR and device configuration structures and the notify base. */
    uint16_t io;
    volatile uint8_t *mmio;
    volatile uint8_t *common, *isr, *devcfg, *notify;
    uint32_t notify_mult;
    void (*irq_fn)(struct virtio_dev *, void *);
    void *irq_arg;
};

static struct virtio_dev devices[VIRTIO_MAX_DEVICES];
static int ndevices;
static bool discovered;

/* ---- register access ---- */

static inline uint8_t r8(volatile uint8_t *b, unsigned off) { return *(volatile uint8_t *)(b + off); }
static inline uint16_t r16(volatile uint8_t *b, unsigned off) { return *(volatile uint16_t *)(b + off); }
static inline uint32_t r32(volatile uint8_t *b, unsigned off) { return *(volatile uint32_t *)(b + off); }
static inline void w8(volatile uint8_t *b, unsigned off, uint8_t v) { *(volatile uint8_t *)(b + off) = v; }
static inline void w16(volatile uint8_t *b, unsigned off, uint16_t v) { *(volatile uint16_t *)(b + off) = v; }
static inline void w32(volatile uint8_t *b, unsigned off, uint32_t v) { *(volatile uint32_t *)(b + off) = v; }
static inline void w64(volatile uint8_t *b, unsigned off, uint64_t v)
{
    w32(b, off, (uint32_t)v);
    w32(b, off + 4, (uint32_t)(v >> 32));
}

/* Legacy PCI I/O BAR (virtio spec 4.1.4.8), MSI-X off. */
enum { LP_DEV_FEATURES = 0x00, LP_DRV_FEATURES = 0x04, LP_QUEUE_PFN = 0x08, LP_QUEUE_SIZE = 0x0c,
       LP_QUEUE_SEL = 0x0e, LP_QUEUE_NOTIFY = 0x10, LP_STATUS = 0x12, LP_ISR = 0x13, LP_CONFIG = 0x14 };
/* Modern PCI common configuration (4.1.4.3). */
enum { MC_DFSELECT = 0x00, MC_DF = 0x04, MC_GFSELECT = 0x08, MC_GF = 0x0c, MC_NUM_QUEUES = 0x12,
       MC_STATUS = 0x14, MC_Q_SELECT = 0x16, MC_Q_SIZE = 0x18, MC_Q_MSIX = 0x1a, MC_Q_ENABLE = 0x1c,
       MC_Q_NOTIFY_OFF = 0x1e, MC_Q_DESC = 0x20, MC_Q_DRIVER = 0x28, MC_Q_DEVICE = 0x30 };
/* MMIO (4.2.2, 4.2.4). */
enum { MM_MAGIC = 0x000, MM_VERSION = 0x004, MM_DEVICE_ID = 0x008, MM_DEV_FEATURES = 0x010,
       MM_DEV_FEATURES_SEL = 0x014, MM_DRV_FEATURES = 0x020, MM_DRV_FEATURES_SEL = 0x024,
       MM_GUEST_PAGE_SIZE = 0x028, MM_QUEUE_SEL = 0x030, MM_QUEUE_NUM_MAX = 0x034, MM_QUEUE_NUM = 0x038,
       MM_QUEUE_ALIGN = 0x03c, MM_QUEUE_PFN = 0x040, MM_QUEUE_READY = 0x044, MM_QUEUE_NOTIFY = 0x050,
       MM_INT_STATUS = 0x060, MM_INT_ACK = 0x064, MM_STATUS = 0x070, MM_QUEUE_DESC = 0x080,
       MM_QUEUE_DRIVER = 0x090, MM_QUEUE_DEVICE = 0x0a0, MM_CONFIG = 0x100 };
#define MMIO_MAGIC 0x74726976u            /* "virt" */

static uint8_t get_status(struct virtio_dev *d)
{
    switch (d->transport) {
    case VIRTIO_PCI_MODERN: return r8(d->common, MC_STATUS);
    case VIRTIO_PCI_LEGACY: return inb((uint16_t)(d->io + LP_STATUS));
    default: return (uint8_t)r32(d->mmio, MM_STATUS);
    }
}

static void set_status(struct virtio_dev *d, uint8_t s)
{
    switch (d->transport) {
    case VIRTIO_PCI_MODERN: w8(d->common, MC_STATUS, s); break;
    case VIRTIO_PCI_LEGACY: outb((uint16_t)(d->io + LP_STATUS), s); break;
    default: w32(d->mmio, MM_STATUS, s); break;
    }
}

/* ---- discovery ---- */

static struct virtio_dev *new_device(void)
{
    if (ndevices == VIRTIO_MAX_DEVICES)
        return NULL;
    struct virtio_dev *d = &devices[ndevices++];
    memset(d, 0, sizeof *d);
    return d;
}

/* A modern device's structure of cfg_type in one of its BARs, mapped. */
static volatile uint8_t *pci_cap_map(struct pci_fn f, uint8_t cap)
{
    uint8_t bar = pci_read8(f, (uint8_t)(cap + 4));
    uint32_t off = pci_read32(f, (uint8_t)(cap + 8)), len = pci_read32(f, (uint8_t)(cap + 12));
    uint64_t base;
    bool io;
    if (!pci_bar(f, bar, &base, &io) || io)
        return NULL;
    return (volatile uint8_t *)mmio_map(base + off, len ? len : 1);
}

static void pci_visit(struct pci_fn f, uint16_t vendor, uint16_t device, void *arg)
{
    (void)arg;
    if (vendor != 0x1af4 || device < 0x1000 || device > 0x107f)
        return;
    uint16_t type = device >= 0x1040 ? (uint16_t)(device - 0x1040) : pci_read16(f, PCI_SUBSYS_ID);
    uint8_t line = pci_read8(f, PCI_INTERRUPT_LINE), pin = pci_read8(f, PCI_INTERRUPT_PIN);
    if (!pin || line == 0 || line >= IRQ_MAX_GSI)
        return;                   /* no INTx line we can route (MSI-X only is not supported) */
    /* Modern when the vendor capabilities are there (common, notify, ISR, device). */
    volatile uint8_t *common = NULL, *isr = NULL, *devcfg = NULL, *notify = NULL;
    uint32_t mult = 0;
    for (uint8_t c = pci_find_cap(f, PCI_CAP_VENDOR, 0); c; c = pci_find_cap(f, PCI_CAP_VENDOR, c)) {
        switch (pci_read8(f, (uint8_t)(c + 3))) {
        case 1: if (!common) common = pci_cap_map(f, c); break;
        case 2:
            if (!notify) {
                notify = pci_cap_map(f, c);
                mult = pci_read32(f, (uint8_t)(c + 16));
            }
            break;
        case 3: if (!isr) isr = pci_cap_map(f, c); break;
        case 4: if (!devcfg) devcfg = pci_cap_map(f, c); break;
        }
    }
    struct virtio_dev *d;
    uint64_t bar0;
    bool io;
    if (common && notify && isr) {
        if (!(d = new_device()))
            return;
        d->transport = VIRTIO_PCI_MODERN;
        d->common = common;
        d->isr = isr;
        d->devcfg = devcfg;
        d->notify = notify;
        d->notify_mult = mult;
    } else if (device < 0x1040 && pci_bar(f, 0, &bar0, &io) && io) {
        if (!(d = new_device()))
            return;
        d->transport = VIRTIO_PCI_LEGACY;
        d->io = (uint16_t)bar0;
    } else {
        return;
    }
    d->type = type;
    d->gsi = line;
    uint16_t cmd = pci_read16(f, PCI_COMMAND);
    cmd |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    cmd &= (uint16_t)~PCI_COMMAND_INTX_DISABLE;
    pci_write16(f, PCI_COMMAND, cmd);
}

/* A number as Linux's memparse reads it: 0x hex or decimal, then K, M or G. */
static const char *parse_num(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *start = s;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        start = s;
        for (;; s++) {
            unsigned c = (unsigned char)*s, dgt;
            if (c >= '0' && c <= '9') dgt = c - '0';
            else if (c >= 'a' && c <= 'f') dgt = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') dgt = c - 'A' + 10;
            else break;
            v = v * 16 + dgt;
        }
    } else {
        for (; *s >= '0' && *s <= '9'; s++)
            v = v * 10 + (uint64_t)(*s - '0');
    }
    if (s == start)
        return NULL;
    if (*s == 'K' || *s == 'k') { v <<= 10; s++; }
    else if (*s == 'M' || *s == 'm') { v <<= 20; s++; }
    else if (*s == 'G' || *s == 'g') { v <<= 30; s++; }
    *out = v;
    return s;
}

/* One virtio_mmio.device=SIZE@BASE:IRQ[:ID] word (Linux's syntax). */
static void mmio_word(const char *w)
{
    uint64_t size, base, irq;
    if (!(w = parse_num(w, &size)) || *w++ != '@' || !(w = parse_num(w, &base)) || *w++ != ':' ||
        !(w = parse_num(w, &irq)) || size < 0x100 || irq >= IRQ_MAX_GSI) {
        kprintf("[kernel] virtio: ignoring a malformed virtio_mmio.device= word\n");
        return;
    }
    volatile uint8_t *regs = mmio_map(base, size);
    uint32_t version = r32(regs, MM_VERSION), id = r32(regs, MM_DEVICE_ID);
    if (r32(regs, MM_MAGIC) != MMIO_MAGIC || (version != 1 && version != 2) || id == 0)
        return;                   /* an empty slot (device ID 0) or not virtio */
    struct virtio_dev *d = new_device();
    if (!d)
        return;
    d->transport = version == 2 ? VIRTIO_MMIO_V2 : VIRTIO_MMIO_V1;
    d->mmio = regs;
    d->type = (uint16_t)id;
    d->gsi = (unsigned)irq;
}

int virtio_discover(const char *cmdline)
{
    if (discovered)
        return ndevices;
    discovered = true;
    pci_scan(pci_visit, NULL);
    static const char key[] = "virtio_mmio.device=";
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, sizeof key - 1) == 0)
            mmio_word(p + sizeof key - 1);
        while (*p && *p != ' ')
            p++;
    }
    return ndevices;
}

struct virtio_dev *virtio_find(uint16_t type, int nth)
{
    for (int i = 0; i < ndevices; i++)
        if (devices[i].type == type && nth-- == 0)
            return &devices[i];
    return NULL;
}

uint16_t virtio_type(const struct virtio_dev *d) { return d->type; }
enum virtio_transport virtio_transport_of(const struct virtio_dev *d) { return d->transport; }
unsigned virtio_gsi(const struct virtio_dev *d) { return d->gsi; }
uint64_t virtio_offered(const struct virtio_dev *d) { return d->offered; }
uint64_t virtio_features(const struct virtio_dev *d) { return d->features; }
uint64_t virtio_irq_count(const struct virtio_dev *d) { return d->irqs; }

bool virtio_modern(const struct virtio_dev *d)
{
    return d->transport == VIRTIO_PCI_MODERN || d->transport == VIRTIO_MMIO_V2;
}

const char *virtio_transport_name(enum virtio_transport t)
{
    static const char *const names[] = { "virtio-pci modern", "virtio-pci legacy", "virtio-mmio v2",
                                         "virtio-mmio v1" };
    return names[t];
}

/* ---- initialisation ---- */

static void reset(struct virtio_dev *d)
{
    set_status(d, 0);
    /* A modern device finishes its reset when status reads 0 (4.1.4.3.2). */
    for (int i = 0; i < 1000000 && get_status(d) != 0; i++)
        cpu_relax();
}

static uint64_t read_features(struct virtio_dev *d)
{
    switch (d->transport) {
    case VIRTIO_PCI_LEGACY:
        return inl((uint16_t)(d->io + LP_DEV_FEATURES));
    case VIRTIO_PCI_MODERN: {
        w32(d->common, MC_DFSELECT, 0);
        uint64_t lo = r32(d->common, MC_DF);
        w32(d->common, MC_DFSELECT, 1);
        return lo | (uint64_t)r32(d->common, MC_DF) << 32;
    }
    default: {
        w32(d->mmio, MM_DEV_FEATURES_SEL, 0);
        uint64_t lo = r32(d->mmio, MM_DEV_FEATURES);
        if (d->transport == VIRTIO_MMIO_V1)
            return lo;              /* a legacy device has 32 feature bits */
        w32(d->mmio, MM_DEV_FEATURES_SEL, 1);
        return lo | (uint64_t)r32(d->mmio, MM_DEV_FEATURES) << 32;
    }
    }
}

static void write_features(struct virtio_dev *d, uint64_t f)
{
    switch (d->transport) {
    case VIRTIO_PCI_LEGACY:
        outl((uint16_t)(d->io + LP_DRV_FEATURES), (uint32_t)f);
        break;
    case VIRTIO_PCI_MODERN:
        w32(d->common, MC_GFSELECT, 0);
        w32(d->common, MC_GF, (uint32_t)f);
        w32(d->common, MC_GFSELECT, 1);
        w32(d->common, MC_GF, (uint32_t)(f >> 32));
        break;
    default:
        w32(d->mmio, MM_DRV_FEATURES_SEL, 0);
        w32(d->mmio, MM_DRV_FEATURES, (uint32_t)f);
        w32(d->mmio, MM_DRV_FEATURES_SEL, 1);
        w32(d->mmio, MM_DRV_FEATURES, (uint32_t)(f >> 32));
        break;
    }
}

int virtio_negotiate(struct virtio_dev *d, uint64_t wanted)
{
    reset(d);
    set_status(d, STATUS_ACKNOWLEDGE);
    set_status(d, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    d->offered = read_features(d);
    uint64_t accept = d->offered & wanted & ~VIRTIO_F_VERSION_1;
    if (virtio_modern(d)) {
        if (!(d->offered & VIRTIO_F_VERSION_1)) {
            set_status(d, STATUS_FAILED);
            return -EIO;
        }
        accept |= VIRTIO_F_VERSION_1;
    }
    accept &= virtio_modern(d) ? ~0ull : 0xffffffffull;
    write_features(d, accept);
    d->features = accept;
    if (d->transport == VIRTIO_MMIO_V1)
        w32(d->mmio, MM_GUEST_PAGE_SIZE, PAGE_SIZE);   /* before any QueuePFN */
    if (virtio_modern(d)) {
        set_status(d, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
        if (!(get_status(d) & STATUS_FEATURES_OK)) {
            set_status(d, STATUS_FAILED);
            return -EIO;
        }
    }
    return 0;
}

void virtio_driver_ok(struct virtio_dev *d)
{
    set_status(d, (uint8_t)(get_status(d) | STATUS_DRIVER_OK));
}

uint8_t virtio_config8(struct virtio_dev *d, unsigned off)
{
    switch (d->transport) {
    case VIRTIO_PCI_LEGACY: return inb((uint16_t)(d->io + LP_CONFIG + off));
    case VIRTIO_PCI_MODERN: return d->devcfg ? r8(d->devcfg, off) : 0;
    default: return r8(d->mmio, MM_CONFIG + off);
    }
}

uint16_t virtio_config16(struct virtio_dev *d, unsigned off)
{
    switch (d->transport) {
    case VIRTIO_PCI_LEGACY: return inw((uint16_t)(d->io + LP_CONFIG + off));
    case VIRTIO_PCI_MODERN: return d->devcfg ? r16(d->devcfg, off) : 0;
    default: return r16(d->mmio, MM_CONFIG + off);
    }
}

uint32_t virtio_config32(struct virtio_dev *d, unsigned off)
{
    switch (d->transport) {
    case VIRTIO_PCI_LEGACY: return inl((uint16_t)(d->io + LP_CONFIG + off));
    case VIRTIO_PCI_MODERN: return d->devcfg ? r32(d->devcfg, off) : 0;
    default: return r32(d->mmio, MM_CONFIG + off);
    }
}

/* ---- interrupts ---- */

static void device_irq(void *arg)
{
    struct virtio_dev *d = arg;
    uint32_t isr;
    switch (d->transport) {
    case VIRTIO_PCI_LEGACY: isr = inb((uint16_t)(d->io + LP_ISR)); break;   /* reading acknowledges */
    case VIRTIO_PCI_MODERN: isr = r8(d->isr, 0); break;
    default:
        isr = r32(d->mmio, MM_INT_STATUS);
        if (isr)
            w32(d->mmio, MM_INT_ACK, isr);
        break;
    }
    if (!isr)
        return;                   /* a shared line: another device's */
    d->irqs++;
    if (d->irq_fn)
        d->irq_fn(d, d->irq_arg);
}

int virtio_set_interrupt(struct virtio_dev *d, void (*fn)(struct virtio_dev *, void *), void *arg)
{
    d->irq_fn = fn;
    d->irq_arg = arg;
    return irq_attach(d->gsi, true, device_irq, d) == 0 ? 0 : -EIO;
}

/* ---- memory ---- */

void *virtio_dma_alloc(size_t bytes, uint64_t *phys)
{
    uint64_t p = frames_alloc_contig((bytes + PAGE_SIZE - 1) / PAGE_SIZE);
    if (!p)
        return NULL;
    *phys = p;
    return phys_to_virt(p);
}

/* ---- virtqueues ---- */

static size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

/* The legacy layout (2.7.2): descriptors, the available ring, then the
 * used ring on the next page. Modern transports take any layout; using
 * this one everywhere keeps one code path. */
static size_t ring_bytes(unsigned n, size_t *used_off)
{
    *used_off = align_up(16 * n + 6 + 2 * n, PAGE_SIZE);
    return *used_off + align_up(6 + 8 * n, PAGE_SIZE);
}

/* The device's queue size: 0 when the queue does not exist. */
static unsigned queue_max(struct virtio_dev *d, unsigned index)
{
    switch (d->transport) {
    case VIRTIO_PCI_LEGACY:
        outw((uint16_t)(d->io + LP_QUEUE_SEL), (uint16_t)index);
        return inw((uint16_t)(d->io + LP_QUEUE_SIZE));
    case VIRTIO_PCI_MODERN:
        if (index >= r16(d->common, MC_NUM_QUEUES))
            return 0;
        w16(d->common, MC_Q_SELECT, (uint16_t)index);
        return r16(d->common, MC_Q_SIZE);
    default:
        w32(d->mmio, MM_QUEUE_SEL, index);
        return r32(d->mmio, MM_QUEUE_NUM_MAX);
    }
}

struct virtq *virtio_queue(struct virtio_dev *d, unsigned index, unsigned max_size)
{
    unsigned n = queue_max(d, index);
    if (n == 0 || n > 32768)
        return NULL;
    if (d->transport != VIRTIO_PCI_LEGACY) {
        unsigned cap = max_size < VIRTQ_MAX_SIZE ? max_size : VIRTQ_MAX_SIZE;
        while (n > cap && n > 1)
            n /= 2;
    }
    size_t used_off, bytes = ring_bytes(n, &used_off);
    uint64_t phys, tphys;
    uint8_t *ring = virtio_dma_alloc(bytes, &phys);
    size_t qbytes = align_up(sizeof(struct virtq) + n * sizeof(void *), PAGE_SIZE);
    struct virtq *q = ring ? virtio_dma_alloc(qbytes, &tphys) : NULL;
    if (!q)
        return NULL;              /* (the ring's frames stay taken: boot-time, rare) */
    q->dev = d;
    q->index = index;
    q->size = n;
    q->desc = (struct vring_desc *)ring;
    q->avail = (volatile struct vring_avail *)(ring + 16 * n);
    q->used = (volatile struct vring_used *)(ring + used_off);
    q->tokens = (void **)(q + 1);
    for (unsigned i = 0; i < n; i++)
        q->desc[i].next = (uint16_t)(i + 1);
    q->free_head = 0;
    q->nfree = (uint16_t)n;
    uint64_t desc = phys, drv = phys + 16 * n, dev = phys + used_off;
    switch (d->transport) {
    case VIRTIO_PCI_LEGACY:
        outl((uint16_t)(d->io + LP_QUEUE_PFN), (uint32_t)(phys >> 12));
        break;
    case VIRTIO_PCI_MODERN:
        w16(d->common, MC_Q_SIZE, (uint16_t)n);
        w16(d->common, MC_Q_MSIX, 0xffff);          /* no MSI-X vector: INTx and ISR */
        w64(d->common, MC_Q_DESC, desc);
        w64(d->common, MC_Q_DRIVER, drv);
        w64(d->common, MC_Q_DEVICE, dev);
        q->notify_pci = (volatile uint16_t *)(d->notify + r16(d->common, MC_Q_NOTIFY_OFF) * d->notify_mult);
        w16(d->common, MC_Q_ENABLE, 1);
        break;
    case VIRTIO_MMIO_V1:
        w32(d->mmio, MM_QUEUE_NUM, n);
        w32(d->mmio, MM_QUEUE_ALIGN, PAGE_SIZE);
        w32(d->mmio, MM_QUEUE_PFN, (uint32_t)(phys >> 12));
        break;
    case VIRTIO_MMIO_V2:
        w32(d->mmio, MM_QUEUE_NUM, n);
        w64(d->mmio, MM_QUEUE_DESC, desc);
        w64(d->mmio, MM_QUEUE_DRIVER, drv);
        w64(d->mmio, MM_QUEUE_DEVICE, dev);
        w32(d->mmio, MM_QUEUE_READY, 1);
        break;
    }
    return q;
}

unsigned virtq_size(const struct virtq *q) { return q->size; }
unsigned virtq_free(const struct virtq *q) { return q->nfree; }

int virtq_add(struct virtq *q, const struct virtq_seg *segs, unsigned n, void *token)
{
    if (n == 0 || n > q->nfree)
        return -ENOSPC;
    uint16_t head = q->free_head, i = head, last = head;
    for (unsigned k = 0; k < n; k++) {
        struct vring_desc *dsc = &q->desc[i];
        dsc->addr = segs[k].phys;
        dsc->len = segs[k].len;
        dsc->flags = (uint16_t)((segs[k].device_writes ? VRING_DESC_F_WRITE : 0) |
                                (k + 1 < n ? VRING_DESC_F_NEXT : 0));
        last = i;
        i = dsc->next;
    }
    q->free_head = q->desc[last].next;
    q->nfree = (uint16_t)(q->nfree - n);
    q->tokens[head] = token;
    q->avail->ring[q->avail_shadow % q->size] = head;
    /* The device must see the entry before the index that publishes it
     * (x86 keeps stores in order; the compiler must too). */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    q->avail->idx = ++q->avail_shadow;
    q->added++;
    return 0;
}

void virtq_kick(struct virtq *q)
{
    if (!q->added)
        return;
    q->added = 0;
    /* Our avail->idx store must be visible before we read the device's
     * flags (a store-load order x86 keeps only with a full fence). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (q->used->flags & VRING_USED_F_NO_NOTIFY)
        return;
    struct virtio_dev *d = q->dev;
    switch (d->transport) {
    case VIRTIO_PCI_LEGACY: outw((uint16_t)(d->io + LP_QUEUE_NOTIFY), (uint16_t)q->index); break;
    case VIRTIO_PCI_MODERN: *q->notify_pci = (uint16_t)q->index; break;
    default: w32(d->mmio, MM_QUEUE_NOTIFY, q->index); break;
    }
}

bool virtq_has_used(const struct virtq *q)
{
    return q->used->idx != q->last_used;
}

void *virtq_used(struct virtq *q, uint32_t *len)
{
    if (!virtq_has_used(q))
        return NULL;
    /* Read the entry only after the index that published it. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    volatile struct vring_used_elem *e = &q->used->ring[q->last_used % q->size];
    uint16_t head = (uint16_t)e->id;
    if (head >= q->size)
        panic("virtio: the device returned descriptor %u of a %u-entry queue", head, q->size);
    if (len)
        *len = e->len;
    q->last_used++;
    void *token = q->tokens[head];
    q->tokens[head] = NULL;
    uint16_t i = head, n = 1;
    while (q->desc[i].flags & VRING_DESC_F_NEXT) {
        i = q->desc[i].next;
        n++;
    }
    q->desc[i].next = q->free_head;
    q->free_head = head;
    q->nfree = (uint16_t)(q->nfree + n);
    return token;
}

void virtq_interrupts(struct virtq *q, bool on)
{
    if (on)
        q->avail->flags = (uint16_t)(q->avail->flags & ~VRING_AVAIL_F_NO_INTERRUPT);
    else
        q->avail->flags = (uint16_t)(q->avail->flags | VRING_AVAIL_F_NO_INTERRUPT);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}
