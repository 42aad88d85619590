/* The virtio-net driver (virtio_net.h; virtio spec 5.1). */
#include "virtio_net.h"
#include "virtio.h"
#include "thread.h"
#include "shim/errno.h"

#define VIRTIO_NET_F_CSUM   (1ull << 0)
#define VIRTIO_NET_F_MAC    (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)

/* struct virtio_net_hdr: flags, gso_type, hdr_len, gso_size, csum_start,
 * csum_offset (u16 little endian), then num_buffers on a modern device
 * (12 bytes) even without VIRTIO_NET_F_MRG_RXBUF; 10 bytes on a legacy one. */
#define HDR_F_NEEDS_CSUM    1
#define HDR_CSUM_START      6
#define HDR_CSUM_OFFSET     8

#define NET_MAX     4
#define RX_BUFS     128
/* The whole of QEMU's 256-entry queue: with tens of connections sending at
 * once (wrk -c32 on a 1 MiB file) 64 buffers filled while QEMU's I/O thread
 * waited for the host's CPU, and a frame dropped after dev_output's 50 ms
 * wait cost its connection a retransmission timeout (docs/networking.md). */
#define TX_BUFS     256
/* One frame per buffer: header + 1514-byte frame (+ a VLAN tag) fit. */
#define BUF_SIZE    2048
#define ETH_HLEN    14

struct vnet {
    struct netdev nd;
    struct virtio_dev *dev;
    struct virtq *rx, *tx;
    uint8_t *rxbuf, *txbuf;        /* direct map, contiguous */
    unsigned nrx, ntx;
    size_t hdr_len;
    uint16_t tx_free[TX_BUFS];     /* indices of free transmit buffers */
    unsigned ntx_free;
    struct virtio_net_stats st;
};

static struct vnet nets[NET_MAX];
static int nnets = -1;

int platform_netdev_count(void)
{
    return nnets < 0 ? 0 : nnets;
}

struct netdev *platform_netdev(int index)
{
    return index >= 0 && index < platform_netdev_count() ? &nets[index].nd : NULL;
}

void virtio_net_stats(int index, struct virtio_net_stats *out)
{
    struct vnet *v = &nets[index];
    *out = v->st;
    out->irqs = virtio_irq_count(v->dev);
}

/* ---- transmit ---- */

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

/* VIRTIO_NET_F_CSUM: the device computes the TCP or UDP checksum from
 * csum_start to the end and adds it into the field at csum_offset, which
 * must hold the pseudo-header's sum (virtio spec 5.1.6.2). So whatever
 * the stack left in the field, the frame leaves with the right checksum.
 * IP fragments and IPv6 extension headers are left as they are. */
static void tx_csum(uint8_t *hdr, uint8_t *fr, size_t len)
{
    size_t l3 = ETH_HLEN, l4, l4len;
    unsigned type = (unsigned)fr[12] << 8 | fr[13], proto;
    uint32_t sum;
    if (type == 0x8100 && len >= 18) {           /* one VLAN tag */
        l3 = 18;
        type = (unsigned)fr[16] << 8 | fr[17];
    }
    const uint8_t *ip = fr + l3;
    if (type == 0x0800) {
        size_t ihl = (size_t)(ip[0] & 15) * 4, total;
        if (len < l3 + 20 || (ip[0] >> 4) != 4 || ihl < 20)
            return;
        if ((((unsigned)ip[6] << 8 | ip[7]) & 0x3fff) != 0)   /* MF or a fragment offset */
            return;
        total = (size_t)ip[2] << 8 | ip[3];
        if (total < ihl || l3 + total > len)
            return;
        proto = ip[9];
        l4 = l3 + ihl;
        l4len = total - ihl;
        sum = sum16(ip + 12, 8, 0);
    } else if (type == 0x86dd) {
        if (len < l3 + 40)
            return;
        proto = ip[6];
        l4 = l3 + 40;
        l4len = (size_t)ip[4] << 8 | ip[5];
        if (l4 + l4len > len)
            return;
        sum = sum16(ip + 8, 32, 0);
    } else {
        return;
    }
    size_t off = proto == 6 ? 16 : proto == 17 ? 6 : 0;
    if (!off || l4len < off + 2)
        return;
    sum += proto + (uint32_t)l4len;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    fr[l4 + off] = (uint8_t)(sum >> 8);
    fr[l4 + off + 1] = (uint8_t)sum;
    hdr[0] = HDR_F_NEEDS_CSUM;
    hdr[HDR_CSUM_START] = (uint8_t)l4;
    hdr[HDR_CSUM_START + 1] = (uint8_t)(l4 >> 8);
    hdr[HDR_CSUM_OFFSET] = (uint8_t)off;
    hdr[HDR_CSUM_OFFSET + 1] = 0;
}

static int vnet_transmit(struct netdev *nd, const void *frame, size_t len)
{
    struct vnet *v = nd->driver;
    if (len < ETH_HLEN || len > v->hdr_len + ETH_HLEN + 4 + nd->mtu || v->hdr_len + len > BUF_SIZE)
        return -EMSGSIZE;
    /* Shim code is not preempted and the interrupt handler never touches
     * the queues: nothing else runs here meanwhile. */
    void *tok;
    while ((tok = virtq_used(v->tx, NULL)))
        v->tx_free[v->ntx_free++] = (uint16_t)((uintptr_t)tok - 1);
    if (!v->ntx_free)
        return -ENOBUFS;
    unsigned i = v->tx_free[--v->ntx_free];
    uint8_t *b = v->txbuf + (size_t)i * BUF_SIZE;
    memset(b, 0, v->hdr_len);
    memcpy(b + v->hdr_len, frame, len);
    if (virtio_features(v->dev) & VIRTIO_NET_F_CSUM)
        tx_csum(b, b + v->hdr_len, len);
    struct virtq_seg seg = { virtio_dma_phys(b), (uint32_t)(v->hdr_len + len), false };
    if (virtq_add(v->tx, &seg, 1, (void *)(uintptr_t)(i + 1)) < 0) {
        v->tx_free[v->ntx_free++] = (uint16_t)i;
        return -ENOBUFS;
    }
    virtq_kick(v->tx);
    v->st.tx_frames++;
    return 0;
}

/* ---- receive ---- */

static void rx_post(struct vnet *v, uint8_t *buf)
{
    struct virtq_seg seg = { virtio_dma_phys(buf), BUF_SIZE, true };
    virtq_add(v->rx, &seg, 1, buf);   /* cannot fail: one descriptor per buffer */
}

/* Interrupt context: only wake the driver thread. */
static void vnet_irq(struct virtio_dev *d, void *arg)
{
    (void)d;
    sched_wake_chan(arg, ~0u, -1);
}

static void rx_thread(void *arg)
{
    struct vnet *v = arg;
    for (;;) {
        /* Interrupts off between the last look at the ring and the sleep,
         * so the device's interrupt cannot fall in between and be missed. */
        uint64_t flags = irq_save();
        virtq_interrupts(v->rx, true);
        bool slept = false;
        while (!virtq_has_used(v->rx)) {
            sched_block(v, ~0u, 0);
            slept = true;
        }
        virtq_interrupts(v->rx, false);     /* no interrupts while we drain */
        irq_restore(flags);
        if (slept)
            v->st.wakeups++;
        uint32_t len;
        uint8_t *buf;
        while ((buf = virtq_used(v->rx, &len))) {
            if (len > v->hdr_len && len <= BUF_SIZE && v->nd.receive) {
                v->nd.receive(&v->nd, buf + v->hdr_len, len - v->hdr_len);
                v->st.rx_frames++;
            } else {
                v->st.rx_dropped++;
            }
            rx_post(v, buf);
        }
        virtq_kick(v->rx);
    }
}

/* ---- set-up ---- */

static bool start(struct vnet *v, struct virtio_dev *d, int index)
{
    v->dev = d;
    if (virtio_negotiate(d, VIRTIO_NET_F_MAC | VIRTIO_NET_F_CSUM) < 0)
        return false;
    v->hdr_len = virtio_modern(d) ? 12 : 10;
    v->rx = virtio_queue(d, 0, 256);
    v->tx = virtio_queue(d, 1, 256);
    if (!v->rx || !v->tx)
        return false;
    v->nrx = virtq_size(v->rx) < RX_BUFS ? virtq_size(v->rx) : RX_BUFS;
    v->ntx = virtq_size(v->tx) < TX_BUFS ? virtq_size(v->tx) : TX_BUFS;
    uint64_t phys;
    v->rxbuf = virtio_dma_alloc((size_t)v->nrx * BUF_SIZE, &phys);
    v->txbuf = virtio_dma_alloc((size_t)v->ntx * BUF_SIZE, &phys);
    if (!v->rxbuf || !v->txbuf)
        return false;
    for (unsigned i = 0; i < v->ntx; i++)
        v->tx_free[v->ntx_free++] = (uint16_t)i;
    for (unsigned i = 0; i < v->nrx; i++)
        rx_post(v, v->rxbuf + (size_t)i * BUF_SIZE);
    virtq_interrupts(v->tx, false);          /* transmit buffers are reclaimed lazily */
    if (virtio_features(d) & VIRTIO_NET_F_MAC) {
        for (int i = 0; i < 6; i++)
            v->nd.mac[i] = virtio_config8(d, (unsigned)i);
    } else {                                 /* locally administered, QEMU's prefix */
        const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + index) };
        memcpy(v->nd.mac, mac, 6);
    }
    v->nd.mtu = 1500;
    v->nd.transmit = vnet_transmit;
    v->nd.driver = v;
    if (virtio_features(d) & VIRTIO_NET_F_CSUM)
        v->nd.offloads |= NETDEV_OFFLOAD_TX_CSUM;
    v->st.features = virtio_features(d);
    v->st.transport = virtio_transport_name(virtio_transport_of(d));
    if (virtio_set_interrupt(d, vnet_irq, v) < 0)
        return false;
    v->st.thread = sched_spawn_service(rx_thread, v);
    if (!v->st.thread)
        return false;
    virtio_driver_ok(d);
    virtq_kick(v->rx);
    return true;
}

int virtio_net_init(const char *cmdline)
{
    if (nnets >= 0)
        return nnets;
    nnets = 0;
    virtio_discover(cmdline);
    struct virtio_dev *d;
    for (int i = 0; nnets < NET_MAX && (d = virtio_find(VIRTIO_ID_NET, i)); i++) {
        struct vnet *v = &nets[nnets];
        memset(v, 0, sizeof *v);
        if (start(v, d, nnets))
            nnets++;
        else
            kprintf("[kernel] virtio-net: device %d (%s) did not start; left out\n", i,
                    virtio_transport_name(virtio_transport_of(d)));
    }
    return nnets;
}
