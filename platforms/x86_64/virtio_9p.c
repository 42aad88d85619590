/* The virtio-9p driver (virtio_9p.h). */
#include "virtio_9p.h"
#include "virtio.h"
#include "thread.h"
#include "shim/errno.h"

#define VIRTIO_9P_MOUNT_TAG (1ull << 0)   /* config: u16 tag_len, tag bytes */

#define P9_MAX      8
/* Each way: what one message may take. 128 KiB of data per Tread/Twrite
 * (+ 24 bytes of header) keeps the round trips few for large files. */
#define P9_MSIZE    (128u * 1024 + 24)

struct v9p {
    struct p9_transport t;             /* first: the transport is the device */
    struct virtio_dev *dev;
    struct virtq *q;
    uint8_t *req, *rep;                /* direct map, P9_MSIZE each */
    char tag[64];
};

static struct v9p devs[P9_MAX];
static int ndevs = -1;

/* Interrupt context: only wake the caller waiting for its reply. */
static void v9p_irq(struct virtio_dev *d, void *arg)
{
    (void)d;
    sched_wake_chan(arg, ~0u, -1);
}

static long v9p_rpc(struct p9_transport *t, const void *tx, size_t txlen, void *rx, size_t rxmax)
{
    struct v9p *v = (struct v9p *)t;
    if (txlen > P9_MSIZE)
        return -EIO;
    if (rxmax > P9_MSIZE)
        rxmax = P9_MSIZE;
    memcpy(v->req, tx, txlen);
    struct virtq_seg segs[2] = {
        { virtio_dma_phys(v->req), (uint32_t)txlen, false },
        { virtio_dma_phys(v->rep), (uint32_t)rxmax, true },
    };
    if (virtq_add(v->q, segs, 2, v) < 0)
        return -EIO;
    /* Interrupts off from the kick to the sleep, so the reply's interrupt
     * cannot come in between and be missed. */
    uint64_t flags = irq_save();
    virtq_interrupts(v->q, true);
    virtq_kick(v->q);
    while (!virtq_has_used(v->q))
        sched_block(v, ~0u, 0);
    irq_restore(flags);
    uint32_t len = 0;
    if (virtq_used(v->q, &len) != v || len > rxmax)
        return -EIO;
    memcpy(rx, v->rep, len);
    return (long)len;
}

static bool start(struct v9p *v, struct virtio_dev *d)
{
    v->dev = d;
    if (virtio_negotiate(d, VIRTIO_9P_MOUNT_TAG) < 0 || !(virtio_features(d) & VIRTIO_9P_MOUNT_TAG))
        return false;
    unsigned len = virtio_config16(d, 0);
    if (len == 0 || len >= sizeof v->tag)
        return false;
    for (unsigned i = 0; i < len; i++)
        v->tag[i] = (char)virtio_config8(d, 2 + i);
    v->tag[len] = 0;
    v->q = virtio_queue(d, 0, 128);
    if (!v->q)
        return false;
    uint64_t phys;
    v->req = virtio_dma_alloc(P9_MSIZE, &phys);
    v->rep = virtio_dma_alloc(P9_MSIZE, &phys);
    if (!v->req || !v->rep)
        return false;
    if (virtio_set_interrupt(d, v9p_irq, v) < 0)
        return false;
    v->t.rpc = v9p_rpc;
    v->t.max_msize = P9_MSIZE;
    v->t.name = v->tag;
    virtio_driver_ok(d);
    return true;
}

int virtio_9p_init(const char *cmdline)
{
    if (ndevs >= 0)
        return ndevs;
    ndevs = 0;
    virtio_discover(cmdline);
    struct virtio_dev *d;
    for (int i = 0; ndevs < P9_MAX && (d = virtio_find(VIRTIO_ID_9P, i)); i++) {
        struct v9p *v = &devs[ndevs];
        memset(v, 0, sizeof *v);
        if (start(v, d))
            ndevs++;
        else
            kprintf("[kernel] virtio-9p: device %d (%s) did not start; left out\n", i,
                    virtio_transport_name(virtio_transport_of(d)));
    }
    return ndevs;
}

struct p9_transport *virtio_9p_find(const char *tag)
{
    for (int i = 0; i < (ndevs < 0 ? 0 : ndevs); i++)
        if (strcmp(devs[i].tag, tag) == 0)
            return &devs[i].t;
    return NULL;
}
