/* The virtio-console driver (virtio_console.h; virtio spec 5.3). */
#include "virtio_console.h"
#include "virtio.h"
#include "thread.h"
#include "shim/sched.h"
#include "shim/errno.h"

#define F_MULTIPORT (1ull << 1)

/* Control messages (struct virtio_console_control: le32 id, le16 event,
 * le16 value; x86 is little endian, legacy transports too). */
enum { EV_DEVICE_READY = 0, EV_PORT_READY = 3, EV_PORT_OPEN = 6 };
struct ctl_msg {
    uint32_t id;
    uint16_t event, value;
};

/* Queue numbers with multiport: port 0 uses 0/1, the control queues are
 * 2 (device to driver) and 3, port n >= 1 uses 2n+2 (receive) and 2n+3. */
#define Q_CTL_IN  2
#define Q_CTL_OUT 3
#define Q_RX(port) (2 * (port) + 2)
#define Q_TX(port) (2 * (port) + 3)
#define NPORTS 3                    /* ids 0..2: max_nr_ports must reach 3 */

/* QEMU's chardevs hand over at most 4 KiB per read, and the device
 * interrupts once per such chunk: 4 KiB buffers, 32 of them in flight
 * (128 KiB the host may send ahead of the app) for stdin; the control port
 * carries a few bytes now and then. */
#define IO_RX_BUFS 32
#define RX_SIZE    4096
#define CTL_RX_BUFS 8
#define CTL_RX_SIZE 256
#define TX_BUFS    32
#define TX_SIZE    VCON_TX_MAX
#define CIN_BUFS   8
#define CIN_SIZE   256             /* a control message and a port name */

struct rxport {
    struct virtq *q;
    uint8_t *cur;                   /* the used buffer being read, or NULL */
    uint32_t len, off;
    uint32_t size;                  /* each buffer's */
};

static struct vcon {
    struct virtio_dev *dev;
    struct rxport rx[NPORTS];
    struct virtq *tx, *cin, *cout;
    uint8_t *txbuf;
    uint16_t tx_free[TX_BUFS];
    unsigned ntx_free, ntx;
    const void *irq_wake;
    bool active;
} vc;

/* The transmit waiters' channel. */
static const char tx_chan;

bool vcon_active(void) { return vc.active; }

/* Interrupt context: wake the console thread and the transmit waiters. */
static void vcon_irq(struct virtio_dev *d, void *arg)
{
    (void)d;
    (void)arg;
    sched_wake_chan(vc.irq_wake, ~0u, -1);
    sched_wake_chan(&tx_chan, ~0u, -1);
}

/* ---- receive ---- */

static void rx_post(struct rxport *p, uint8_t *buf)
{
    struct virtq_seg seg = { virtio_dma_phys(buf), p->size, true };
    virtq_add(p->q, &seg, 1, buf);  /* cannot fail: one descriptor per buffer, no more buffers than slots */
}

size_t vcon_peek(int port, const uint8_t **out)
{
    struct rxport *p = &vc.rx[port];
    if (!vc.active || !p->q)
        return 0;
    while (!p->cur || p->off == p->len) {
        if (p->cur) {
            rx_post(p, p->cur);
            virtq_kick(p->q);
            p->cur = NULL;
        }
        uint32_t len;
        uint8_t *b = virtq_used(p->q, &len);
        if (!b)
            return 0;
        p->cur = b;
        p->len = len <= p->size ? len : p->size;
        p->off = 0;
    }
    *out = p->cur + p->off;
    return p->len - p->off;
}

void vcon_consume(int port, size_t n)
{
    struct rxport *p = &vc.rx[port];
    if (p->cur)
        p->off += (uint32_t)n;
}

bool vcon_rx_empty(int port, bool arm)
{
    struct rxport *p = &vc.rx[port];
    if (!vc.active || !p->q)
        return true;
    if (p->cur && p->off < p->len)
        return false;
    if (arm)
        virtq_interrupts(p->q, true);
    return !virtq_has_used(p->q);
}

bool vcon_service(void)
{
    bool any = false;
    uint8_t *b;
    while ((b = virtq_used(vc.cin, NULL))) {
        struct virtq_seg seg = { virtio_dma_phys(b), CIN_SIZE, true };
        virtq_add(vc.cin, &seg, 1, b);
        any = true;
    }
    if (any)
        virtq_kick(vc.cin);
    while (virtq_used(vc.cout, NULL))
        ;
    return any;
}

/* ---- transmit ---- */

static void tx_reclaim(void)
{
    void *tok;
    while ((tok = virtq_used(vc.tx, NULL)))
        vc.tx_free[vc.ntx_free++] = (uint16_t)((uintptr_t)tok - 1);
}

/* The open transmit buffer (not yet the device's): its index and fill. */
static uint8_t *open_buf;
static unsigned open_idx;
static size_t open_len;

void vcon_tx_flush(void)
{
    if (!open_buf)
        return;
    struct virtq_seg seg = { virtio_dma_phys(open_buf), (uint32_t)open_len, false };
    virtq_add(vc.tx, &seg, 1, (void *)(uintptr_t)(open_idx + 1));   /* a free buffer has a free slot */
    virtq_kick(vc.tx);
    open_buf = NULL;
}

bool vcon_tx_ready(size_t n)
{
    if (open_buf && open_len + n <= TX_SIZE)
        return true;
    tx_reclaim();
    return vc.ntx_free > 0;
}

void vcon_tx_wait(void)
{
    vcon_tx_flush();
    /* Every buffer is in flight: the host is not reading. Sleep until the
     * device returns one (its interrupt wakes tx_chan). */
    virtq_interrupts(vc.tx, true);
    if (!virtq_has_used(vc.tx))
        sched_block(&tx_chan, ~0u, 0);
    virtq_interrupts(vc.tx, false);
}

void vcon_append(const void *buf, size_t n)
{
    if (!vc.active || !vcon_tx_ready(n))
        return;
    if (open_buf && open_len + n > TX_SIZE)
        vcon_tx_flush();
    if (!open_buf) {
        open_idx = vc.tx_free[--vc.ntx_free];
        open_buf = vc.txbuf + (size_t)open_idx * TX_SIZE;
        open_len = 0;
    }
    memcpy(open_buf + open_len, buf, n);
    open_len += n;
    if (open_len > TX_SIZE - 512)       /* no room for another of devfs's chunks */
        vcon_tx_flush();
    else
        sched_wake_chan(vc.irq_wake, ~0u, -1);   /* the console thread sends it later */
}

void vcon_flush(uint64_t ns)
{
    if (!vc.active)
        return;
    /* Polled, interrupts as they are: power_off may run in a fault
     * handler. QEMU's main loop hands what it holds to the host as the host
     * reads, and returns the buffers meanwhile. */
    uint64_t flags = irq_save();
    vcon_tx_flush();
    uint64_t start = nanotime();
    for (;;) {
        tx_reclaim();
        if (vc.ntx_free == vc.ntx || nanotime() - start >= ns)
            break;
        cpu_relax();
    }
    irq_restore(flags);
}

/* ---- set-up ---- */

static bool send_ctl(struct ctl_msg *m, uint32_t id, uint16_t event, uint16_t value)
{
    m->id = id;
    m->event = event;
    m->value = value;
    struct virtq_seg seg = { virtio_dma_phys(m), sizeof *m, false };
    return virtq_add(vc.cout, &seg, 1, m) == 0;
}

static bool rx_setup(struct rxport *p, unsigned qindex, unsigned nbufs, uint32_t size)
{
    p->q = virtio_queue(vc.dev, qindex, 64);
    if (!p->q)
        return false;
    unsigned n = virtq_size(p->q) < nbufs ? virtq_size(p->q) : nbufs;
    uint64_t phys;
    uint8_t *bufs = virtio_dma_alloc((size_t)n * size, &phys);
    if (!bufs)
        return false;
    p->size = size;
    for (unsigned i = 0; i < n; i++)
        rx_post(p, bufs + (size_t)i * size);
    return true;
}

static bool start(struct virtio_dev *d)
{
    vc.dev = d;
    if (virtio_negotiate(d, F_MULTIPORT) < 0 || !(virtio_features(d) & F_MULTIPORT))
        return false;
    if (virtio_config32(d, 4) < NPORTS)     /* max_nr_ports */
        return false;
    uint64_t phys;
    vc.cin = virtio_queue(d, Q_CTL_IN, 16);
    vc.cout = virtio_queue(d, Q_CTL_OUT, 16);
    vc.tx = virtio_queue(d, Q_TX(VCON_IO), 64);
    if (!vc.cin || !vc.cout || !vc.tx)
        return false;
    if (!rx_setup(&vc.rx[VCON_IO], Q_RX(VCON_IO), IO_RX_BUFS, RX_SIZE) ||
        !rx_setup(&vc.rx[VCON_CTL], Q_RX(VCON_CTL), CTL_RX_BUFS, CTL_RX_SIZE))
        return false;
    vc.ntx = virtq_size(vc.tx) < TX_BUFS ? virtq_size(vc.tx) : TX_BUFS;
    vc.txbuf = virtio_dma_alloc((size_t)vc.ntx * TX_SIZE, &phys);
    uint8_t *cin = virtio_dma_alloc(CIN_BUFS * CIN_SIZE + 8 * sizeof(struct ctl_msg), &phys);
    if (!vc.txbuf || !cin)
        return false;
    for (unsigned i = 0; i < vc.ntx; i++)
        vc.tx_free[vc.ntx_free++] = (uint16_t)i;
    for (unsigned i = 0; i < CIN_BUFS && i < virtq_size(vc.cin); i++) {
        struct virtq_seg seg = { virtio_dma_phys(cin + i * CIN_SIZE), CIN_SIZE, true };
        virtq_add(vc.cin, &seg, 1, cin + i * CIN_SIZE);
    }
    virtq_interrupts(vc.tx, false);         /* transmit buffers are reclaimed when needed */
    virtq_interrupts(vc.cout, false);
    if (virtio_set_interrupt(d, vcon_irq, NULL) < 0)
        return false;
    virtio_driver_ok(d);
    /* The device adds its ports when the driver is ready; a port takes
     * input once the driver has said it is ready and open (QEMU holds the
     * host's bytes until then). The ids are fixed (port-app's nr=1, nr=2),
     * so all of it goes in one batch. */
    struct ctl_msg *m = (struct ctl_msg *)(cin + CIN_BUFS * CIN_SIZE);
    bool ok = send_ctl(&m[0], 0, EV_DEVICE_READY, 1) &&
              send_ctl(&m[1], VCON_IO, EV_PORT_READY, 1) && send_ctl(&m[2], VCON_IO, EV_PORT_OPEN, 1) &&
              send_ctl(&m[3], VCON_CTL, EV_PORT_READY, 1) && send_ctl(&m[4], VCON_CTL, EV_PORT_OPEN, 1);
    if (!ok)
        return false;
    virtq_kick(vc.cin);
    virtq_kick(vc.rx[VCON_IO].q);
    virtq_kick(vc.rx[VCON_CTL].q);
    virtq_kick(vc.cout);
    return true;
}

bool vcon_init(const char *cmdline, const void *irq_wake)
{
    static bool tried;
    if (tried)
        return vc.active;
    tried = true;
    virtio_discover(cmdline);
    struct virtio_dev *d = virtio_find(VIRTIO_ID_CONSOLE, 0);
    if (!d)
        return false;
    vc.irq_wake = irq_wake;
    uint64_t flags = irq_save();
    vc.active = start(d);
    irq_restore(flags);
    if (!vc.active)
        kprintf("[kernel] virtio-console (%s) did not start: the console stays on the serial line\n",
                virtio_transport_name(virtio_transport_of(d)));
    return vc.active;
}
