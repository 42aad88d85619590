/* lwIP's configuration for port-app's net module: a server's stack.
 *
 * NO_SYS=1: lwIP's raw (callback) API only, no sequential API, no
 * sys_arch semaphores or mboxes. The unikernel's shim code is never
 * preempted (shim/sched.h: app code is preempted, shim code runs until it
 * blocks), so every lwIP call made from a syscall, from the driver's
 * receive thread or from the net module's timer thread is already
 * atomic against the others: the shim's own non-preemption is lwIP's
 * "core lock", no lwIP locking is needed, and the socket layer in
 * posix-shim/net is written directly on the callbacks (as Nanos does).
 * Memory comes from the shim's heap (no static pools to size), so the
 * number of PCBs is bounded by RAM, not by MEMP_NUM_*. */
#ifndef PORTAPP_LWIPOPTS_H
#define PORTAPP_LWIPOPTS_H

#define NO_SYS                      1
#define SYS_LIGHTWEIGHT_PROT        0
#define LWIP_NETCONN                0
#define LWIP_SOCKET                 0
#define LWIP_RAW                    0
#define LWIP_STATS                  0
#define LWIP_DNS                    0      /* the app's resolver does DNS over UDP */

/* Memory: the shim's heap (lwip-port/arch/cc.h maps mem_clib_*). */
#define MEM_LIBC_MALLOC             1
#define MEMP_MEM_MALLOC             1
#define MEM_ALIGNMENT               16
#define MEMP_NUM_TCP_PCB            65535  /* not a limit with MEMP_MEM_MALLOC */
#define MEMP_NUM_TCP_PCB_LISTEN     4096
#define MEMP_NUM_UDP_PCB            4096
#define MEMP_NUM_TCP_SEG            65535
#define MEMP_NUM_SYS_TIMEOUT        64
#define PBUF_POOL_SIZE              1024
#define PBUF_POOL_BUFSIZE           1536

/* Protocols */
#define LWIP_IPV4                   1
#define LWIP_IPV6                   1
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 0    /* an address is usable at once */
#define LWIP_IPV6_AUTOCONFIG        1
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define LWIP_ICMP                   1
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_DHCP                   1
#define DHCP_DOES_ARP_CHECK         0      /* QEMU's slirp owns the subnet */
#define LWIP_IGMP                   0
#define IP_REASSEMBLY               1
#define IP_FRAG                     1
#define LWIP_IPV6_FRAG              1
#define LWIP_IPV6_REASS             1
#define IPV6_FRAG_COPYHEADER        1      /* 64-bit pointers do not fit the header */

/* Loopback inside the guest: 127.0.0.1 and ::1 on the loop interface, and
 * traffic to the guest's own addresses looped back too. Looped packets are
 * queued by lwIP and handed in by netif_poll (posix-shim/net/stack.c). */
#define LWIP_HAVE_LOOPIF            1
#define LWIP_NETIF_LOOPBACK         1
#define LWIP_LOOPBACK_MAX_PBUFS     0
#define LWIP_NETIF_LOOPBACK_MULTITHREADING 0
#define LWIP_NETIF_STATUS_CALLBACK  1
#define LWIP_NETIF_LINK_CALLBACK    1
#define LWIP_SINGLE_NETIF           0

/* TCP for servers: big windows with window scaling, large send buffers,
 * SO_REUSEADDR, keepalive, a listen backlog, out-of-order queueing. */
#define TCP_MSS                     1460
#define LWIP_WND_SCALE              1
#define TCP_RCV_SCALE               4
#define TCP_WND                     (256 * 1024)
#define TCP_SND_BUF                 (256 * 1024)
#define TCP_SND_QUEUELEN            (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT                (32 * 1024)  /* tcp_sndbuf() is 16 bits: below 0xffff - 4 MSS */
#define TCP_SNDQUEUELOWAT           (TCP_SND_QUEUELEN / 2)
#define TCP_QUEUE_OOSEQ             1
#define TCP_OVERSIZE                TCP_MSS
#define LWIP_TCP_SACK_OUT           0
#define LWIP_TCP_TIMESTAMPS         0
#define TCP_LISTEN_BACKLOG          1
#define TCP_DEFAULT_LISTEN_BACKLOG  0xff
#define LWIP_TCP_KEEPALIVE          1
#define SO_REUSE                    1
#define SO_REUSE_RXTOALL            0
#define LWIP_CALLBACK_API           1
#define LWIP_EVENT_API              0
#define TCP_MSL                     2000UL  /* TIME_WAIT 4 s (Linux: 60 s): servers churn connections */
#define LWIP_TCP_PCB_NUM_EXT_ARGS   0

#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_NETIF_HOSTNAME         0
#define LWIP_NETIF_API              0

#endif
