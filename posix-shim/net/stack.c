/* The lwIP port: the stack's start (net_init: lwIP, the loopback interface,
 * one interface per shim/netdev.h device with DHCP or portapp.ip's static
 * address), its clock and timer
 * thread, the glue lwIP calls (arch/cc.h), and SIOCGIFCONF/SIOCGIFADDR.
 *
 * Threads and locking: NO_SYS=1 (lwip-port/lwipopts.h says why). lwIP's
 * timers (TCP's 250 ms timer, DHCP, ARP, ND6, reassembly) run on a kernel
 * service thread (sched_spawn_service): it is never preempted and is not
 * one of the app's threads, so the app's last thread still ends the VM and
 * no signal is ever delivered to it. Looped-back packets are handed in by
 * net_flush right after the syscall that sent them, so loopback traffic
 * costs no thread switch; the timer thread flushes too, for packets a
 * timer sends (retransmissions, delayed ACKs). */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "shim/kernel.h"
#include "shim/sched.h"
#include "shim/random.h"
#include "shim/netdev.h"
#include "net_impl.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/dhcp.h"
#include "lwip/ip6_addr.h"
#include "netif/ethernet.h"
#include "lwip/priv/tcp_priv.h"     /* tcp_txnow */

/* ---- what lwIP calls (arch/cc.h, sys.h) ------------------------------------ */

u32_t sys_now(void)
{
    return (u32_t)(platform_monotonic_ns() / 1000000u);
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
    shim_printk("[kernel] lwIP assertion failed: %s (%s:%d)\n", msg, file, line);
    platform_abort(134);
}

void lwip_port_diag(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = shim_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        platform_write_err(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

uint32_t lwip_port_rand(void)
{
    uint32_t r;
    random_fill(&r, sizeof r);
    return r;
}

void *lwip_port_calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    return shim_alloc(n * size);     /* zeroed */
}

/* ---- the loop ------------------------------------------------------------ */

void net_flush(void)
{
    /* Handing a packet in may queue replies (an ACK, a SYN-ACK): loop until
     * the loopback queues are empty. */
    for (int round = 0; round < 64; round++) {
        int queued = 0;
        struct netif *n;
        NETIF_FOREACH(n)
            if (n->loop_first)
                queued = 1;
        if (!queued)
            return;
        netif_poll_all();
    }
}

static struct wait_queue timer_wq;

/* A frame dev_output could not hand to a full transmit ring. lwIP keeps a
 * TCP segment whose output failed at the head of its pcb's unsent queue and
 * flags the pcb (TF_NAGLEMEMERR); tcp_txnow() sends those again. Without
 * that, a pcb with nothing else in flight would wait for its retransmission
 * timeout (a second or more). */
static int tx_blocked;

static void tx_retry(void)
{
    if (!tx_blocked)
        return;
    tx_blocked = 0;
    tcp_txnow();
}

static void timer_thread(void *arg)
{
    (void)arg;
    for (;;) {
        sys_check_timeouts();
        tx_retry();
        net_flush();
        /* TCP's timer is always due within 250 ms under NO_SYS. */
        u32_t ms = sys_timeouts_sleeptime();
        if (ms > 250)
            ms = 250;
        uint64_t irq = platform_irq_save();
        sched_block(&timer_wq, ~0u, platform_monotonic_ns() + (uint64_t)(ms ? ms : 1) * 1000000u);
        platform_irq_restore(irq);
    }
}

/* ---- devices (shim/netdev.h) ------------------------------------------------ */

static err_t dev_output(struct netif *nif, struct pbuf *p)
{
    struct netdev *dev = nif->state;
    static uint8_t frame[65536];    /* tot_len is 16 bits */
    const void *data = p->payload;
    if (p->next) {
        pbuf_copy_partial(p, frame, p->tot_len, 0);
        data = frame;
    }
    int r = dev->transmit(dev, data, p->tot_len);
    /* A full ring: the device (QEMU's I/O thread) drains it concurrently,
     * so wait for it briefly rather than drop the frame, which would cost
     * TCP a retransmission timeout. This runs inside lwIP, so it must not
     * block (another thread could enter lwIP): it spins, for at most 50 ms. */
    if (r == -ENOBUFS) {
        uint64_t until = platform_monotonic_ns() + 50000000u;
        while (r == -ENOBUFS && platform_monotonic_ns() < until) {
            __asm__ volatile("pause");
            r = dev->transmit(dev, data, p->tot_len);
        }
    }
    static uint64_t dropped;
    if (r == -ENOBUFS)
        tx_blocked = 1;                 /* TCP's segments go again from tx_retry */
    if (r != 0 && dropped++ % 1000 == 0)   /* say so, rarely */
        shim_printk("[kernel] net: %s: %lu frame(s) not sent\n", r == -ENOBUFS ? "transmit ring full" : "transmit failed",
                    (unsigned long)dropped);
    return r == 0 ? ERR_OK : r == -ENOBUFS ? ERR_MEM : ERR_IF;
}

static void dev_receive(struct netdev *dev, const void *frame, size_t len)
{
    struct netif *nif = dev->stack;
    if (!nif || len > 0xffff)
        return;
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (!p)
        return;
    pbuf_take(p, frame, (u16_t)len);
    if (nif->input(p, nif) != ERR_OK)
        pbuf_free(p);
    tx_retry();                         /* the device is moving again */
    net_flush();
}

static err_t dev_netif_init(struct netif *nif)
{
    struct netdev *dev = nif->state;
    nif->name[0] = 'e';
    nif->name[1] = 'n';
    nif->mtu = dev->mtu ? dev->mtu : 1500;
    nif->mtu6 = nif->mtu;
    nif->hwaddr_len = 6;
    memcpy(nif->hwaddr, dev->mac, 6);
    nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_MLD6 | NETIF_FLAG_LINK_UP;
    nif->output = etharp_output;
    nif->output_ip6 = ethip6_output;
    nif->linkoutput = dev_output;
    return ERR_OK;
}

/* portapp.ip=ADDR/PREFIX[,GATEWAY] (platform_net_static_ip): 0, or -1
 * when it is not that. */
static int parse_static_ip(const char *v, ip4_addr_t *ip, ip4_addr_t *mask, ip4_addr_t *gw)
{
    char buf[64];
    if (strlen(v) >= sizeof buf)
        return -1;
    shim_strlcpy(buf, v, sizeof buf);
    char *slash = strchr(buf, '/');
    if (!slash)
        return -1;
    *slash = 0;
    char *comma = strchr(slash + 1, ',');
    if (comma)
        *comma = 0;
    if (!ip4addr_aton(buf, ip))
        return -1;
    const char *p = slash + 1;
    int prefix = 0, digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 3) {
        prefix = prefix * 10 + (*p++ - '0');
        digits++;
    }
    if (!digits || *p || prefix > 32)
        return -1;
    ip4_addr_set_u32(mask, prefix ? lwip_htonl(0xffffffffu << (32 - prefix)) : 0);
    ip4_addr_set_zero(gw);
    if (comma && !ip4addr_aton(comma + 1, gw))
        return -1;
    return 0;
}

static void attach_devices(void)
{
    int n = platform_netdev_count();
    /* The first device takes portapp.ip's static address instead of DHCP
     * (Firecracker's tap has no DHCP server; port-app run --ip). */
    ip4_addr_t sip, smask, sgw;
    const char *want = platform_net_static_ip();
    int fixed = want && parse_static_ip(want, &sip, &smask, &sgw) == 0;
    if (want && !fixed)
        shim_printk("[kernel] net: portapp.ip=%s is not ADDR/PREFIX[,GATEWAY]: using DHCP\n", want);
    for (int i = 0; i < n; i++) {
        struct netdev *dev = platform_netdev(i);
        struct netif *nif = shim_alloc(sizeof *nif);
        if (!dev || !nif)
            continue;
        int st = fixed && i == 0;
        if (!netif_add(nif, st ? &sip : NULL, st ? &smask : NULL, st ? &sgw : NULL, dev, dev_netif_init,
                       ethernet_input)) {
            shim_free(nif);
            continue;
        }
        dev->stack = nif;
        dev->receive = dev_receive;
        if (i == 0)
            netif_set_default(nif);
        netif_set_up(nif);
        netif_create_ip6_linklocal_address(nif, 1);
        nif->ip6_autoconfig_enabled = 1;
        if (!st)
            dhcp_start(nif);
    }
}

void net_init(void);
void net_init(void)
{
    lwip_init();
    attach_devices();
    if (!sched_spawn_service(timer_thread, NULL))
        shim_printk("[kernel] net: no memory for the timer thread\n");
}

/* ---- SIOCGIFCONF, SIOCGIF* -------------------------------------------------- */

struct k_ifreq {
    char name[16];
    union {
        struct k_sockaddr_in addr;
        short flags;
        int ivalue;
        struct { uint16_t family; uint8_t data[14]; } hw;
        char pad[24];
    } u;
};
struct k_ifconf { int len; int pad; struct k_ifreq *req; };

static int netif_is_loopback_like(const struct netif *n);

/* Linux's names: lo, then eth0, eth1 ... */
static void if_name(const struct netif *n, char *out)
{
    if (netif_is_loopback_like(n))
        shim_strlcpy(out, "lo", 16);
    else
        shim_snprintf(out, 16, "eth%d", (int)n->num - 1);
}

static int netif_is_loopback_like(const struct netif *n)
{
    return n->name[0] == 'l' && n->name[1] == 'o';
}

long net_ifconf(void *arg)
{
    struct k_ifconf *ifc = arg;
    if (!ifc)
        return -EFAULT;
    int cap = ifc->req ? ifc->len / (int)sizeof(struct k_ifreq) : 0, used = 0;
    struct netif *n;
    NETIF_FOREACH(n) {
        if (!netif_is_up(n) || ip4_addr_isany_val(*netif_ip4_addr(n)))
            continue;
        if (ifc->req) {
            if (used >= cap)
                break;
            struct k_ifreq *r = &ifc->req[used];
            memset(r, 0, sizeof *r);
            if_name(n, r->name);
            r->u.addr.family = K_AF_INET;
            r->u.addr.addr = ip4_addr_get_u32(netif_ip4_addr(n));
        }
        used++;
    }
    ifc->len = used * (int)sizeof(struct k_ifreq);
    return 0;
}

static struct netif *find_if(const char *name)
{
    struct netif *n;
    NETIF_FOREACH(n) {
        char nm[16];
        if_name(n, nm);
        if (!strncmp(nm, name, 16))
            return n;
    }
    return NULL;
}

long net_ifreq(unsigned long cmd, void *arg)
{
    struct k_ifreq *r = arg;
    if (!r)
        return -EFAULT;
    struct netif *n;
    if (cmd == 0x8910) {                    /* SIOCGIFNAME: by index */
        NETIF_FOREACH(n)
            if ((int)n->num + 1 == r->u.ivalue) {
                if_name(n, r->name);
                return 0;
            }
        return -ENODEV;
    }
    char name[16];
    memcpy(name, r->name, 16);
    name[15] = 0;
    n = find_if(name);
    if (!n)
        return -ENODEV;
    switch (cmd) {
    case 0x8915:                            /* SIOCGIFADDR */
    case 0x891b: {                          /* SIOCGIFNETMASK */
        const ip4_addr_t *a = cmd == 0x8915 ? netif_ip4_addr(n) : netif_ip4_netmask(n);
        if (cmd == 0x8915 && ip4_addr_isany(a))
            return -EADDRNOTAVAIL;
        memset(&r->u, 0, sizeof r->u);
        r->u.addr.family = K_AF_INET;
        r->u.addr.addr = ip4_addr_get_u32(a);
        return 0;
    }
    case 0x8913: {                          /* SIOCGIFFLAGS */
        short f = 0;
        if (netif_is_up(n))
            f |= 0x1 | 0x40;                /* IFF_UP | IFF_RUNNING */
        if (netif_is_loopback_like(n))
            f |= 0x8;                       /* IFF_LOOPBACK */
        else
            f |= 0x2 | 0x1000;              /* IFF_BROADCAST | IFF_MULTICAST */
        r->u.flags = f;
        return 0;
    }
    case 0x8921:                            /* SIOCGIFMTU */
        r->u.ivalue = netif_is_loopback_like(n) ? 65536 : n->mtu;
        return 0;
    case 0x8933:                            /* SIOCGIFINDEX */
        r->u.ivalue = n->num + 1;
        return 0;
    case 0x8927:                            /* SIOCGIFHWADDR */
        memset(&r->u, 0, sizeof r->u);
        r->u.hw.family = netif_is_loopback_like(n) ? 772 : 1;   /* ARPHRD_LOOPBACK / ETHER */
        memcpy(r->u.hw.data, n->hwaddr, n->hwaddr_len);
        return 0;
    default:
        return -EINVAL;
    }
}
