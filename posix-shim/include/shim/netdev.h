/* A network interface the platform found (virtio-net today): raw Ethernet
 * frames in and out. The platform owns the device; the net module owns
 * the protocol stack and attaches to the device at its init. */
#ifndef SHIM_NETDEV_H
#define SHIM_NETDEV_H
#include <stddef.h>
#include <stdint.h>
#pragma GCC visibility push(hidden)
struct netdev {
    uint8_t mac[6];
    uint16_t mtu;                 /* payload bytes, 1500 unless negotiated */
    /* Sends one Ethernet frame (no virtio header). Thread context, may be
     * called from any thread; returns 0 or -errno (-ENOBUFS when the ring
     * is full). The frame may be reused by the caller on return. */
    int (*transmit)(struct netdev *, const void *frame, size_t len);
    /* Set by the stack when it attaches: the driver calls it once per
     * received frame, from a thread (never from the interrupt handler);
     * the frame is valid only during the call. NULL: frames are dropped. */
    void (*receive)(struct netdev *, const void *frame, size_t len);
    void *stack;                  /* the stack's private per-device state */
    void *driver;                 /* the driver's */
    /* What the device does for the stack (NETDEV_OFFLOAD_*), set by the
     * driver before platform_netdev hands the device out. */
    uint32_t offloads;
};
/* transmit completes the TCP and UDP checksums of IPv4 and IPv6 frames
 * (not of IP fragments, not behind IPv6 extension headers): the stack may
 * leave them to it (lwIP: netif_set_checksum_ctrl without
 * NETIF_CHECKSUM_GEN_TCP/UDP). */
#define NETDEV_OFFLOAD_TX_CSUM 1u
/* The kernel command line's portapp.ip=ADDR/PREFIX[,GATEWAY] (a static
 * IPv4 address for the first device instead of DHCP), or NULL. */
const char *platform_net_static_ip(void);
/* The devices the platform found at boot (before shim module init). */
int platform_netdev_count(void);
struct netdev *platform_netdev(int index);
#pragma GCC visibility pop
#endif
