/*
 * The virtio-net driver (virtio_net.c): every virtio-net device the
 * transport found becomes a struct netdev (posix-shim/include/shim/netdev.h)
 * that the net module's stack attaches to.
 *
 * Receive is interrupt driven: the device's interrupt only wakes the
 * device's driver thread (a kernel service thread, sched_spawn_service), which hands
 * each frame to netdev->receive, gives the buffer back to the device, and
 * sleeps again with the queue's interrupts on. Nothing polls while the
 * app is idle. Transmit copies the frame into one of the driver's buffers
 * (so the caller may reuse it at once); used transmit buffers are reclaimed
 * on the next transmit, without interrupts.
 */
#ifndef X86_64_VIRTIO_NET_H
#define X86_64_VIRTIO_NET_H

#include "arch.h"
#include "shim/netdev.h"

/* Finds (virtio_discover) and starts every virtio-net device; returns how
 * many there are. Once: later calls return the same count. Needs the
 * scheduler (sched_init) for the driver threads. */
int virtio_net_init(const char *cmdline);

struct virtio_net_stats {
    uint64_t irqs;          /* interrupts the device raised */
    uint64_t wakeups;       /* times the driver thread woke from sleep */
    uint64_t rx_frames, rx_dropped, tx_frames;
    uint64_t features;      /* negotiated */
    const char *transport;
    struct thread *thread;  /* the driver thread */
};
void virtio_net_stats(int index, struct virtio_net_stats *out);

#endif
