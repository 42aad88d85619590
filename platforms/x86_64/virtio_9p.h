/*
 * The virtio-9p driver (virtio_9p.c; virtio spec 5.15 is silent on 9P,
 * QEMU's hw/9pfs/virtio-9p-device.c is the reference): each device is a
 * 9P transport (posix-shim/include/shim/p9.h) named by its mount tag.
 *
 * One request at a time per device (the 9pfs client serializes its
 * callers): the T-message is copied into the driver's buffer, a chain of
 * two descriptors (request, read by the device; reply, written by it) is
 * queued, and the caller sleeps (sched_block) until the device's
 * interrupt says the reply is there. Nothing polls.
 */
#ifndef X86_64_VIRTIO_9P_H
#define X86_64_VIRTIO_9P_H

#include "arch.h"
#include "shim/p9.h"

/* Finds (virtio_discover) and starts every virtio-9p device; returns how
 * many. Once: later calls return the same count. */
int virtio_9p_init(const char *cmdline);
/* The transport of the device whose mount tag is tag, or NULL. */
struct p9_transport *virtio_9p_find(const char *tag);

#endif
