/* AF_INET and AF_INET6 sockets (TCP and UDP) on lwIP's raw API.
 *
 * lwIP calls back (received data, acked data, new connections, errors)
 * from inside whatever lwIP call is running: a syscall's output flush, the
 * driver's receive, the timer thread (stack.c). The callbacks only queue
 * and wake; the syscalls copy and block. An AF_INET6 socket is dual-stack
 * unless IPV6_V6ONLY: its pcb is IPADDR_TYPE_ANY and IPv4 peers appear as
 * ::ffff:a.b.c.d, as on Linux. */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "shim/kernel.h"
#include "net_impl.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"

/* One received datagram (UDP). */
struct dgram {
    struct dgram *next;
    struct pbuf *p;
    ip_addr_t from;
    uint16_t port;
};

struct inet {
    struct sock *s;
    struct tcp_pcb *tcp;         /* TCP: NULL once lwIP freed it */
    struct udp_pcb *udp;
    int v6only;
    /* TCP */
    int connecting;              /* connect started, not yet reported */
    int connected;               /* the connection was established */
    int rx_eof;                  /* FIN received */
    struct pbuf *rx;             /* received, not yet read */
    size_t rx_off;               /* bytes of rx already read */
    size_t rx_len;               /* unread bytes */
    struct inet *acceptq, **acceptq_tail;   /* listener: established, not accepted */
    struct inet *next;           /* on a listener's queue */
    struct inet *listener;       /* while on that queue */
    int nodelay;
    int keepidle, keepintvl, keepcnt;
    /* UDP */
    struct dgram *dq, **dq_tail;
    size_t dq_bytes;
    /* Address the socket was bound or connected with (name() answers with
     * the pcb's; these keep what the pcb forgets once lwIP frees it). */
    ip_addr_t local_ip, peer_ip;
    uint16_t local_port, peer_port;
    int tos, ttl;
};

static struct inet *in_of(struct sock *s) { return s->priv; }

/* ---- addresses ------------------------------------------------------------ */

static long from_user(struct inet *in, const void *addr, int len, ip_addr_t *ip, uint16_t *port)
{
    const struct k_sockaddr *sa = addr;
    if (len < 2)
        return -EINVAL;
    if (in->s->family == K_AF_INET) {
        const struct k_sockaddr_in *a = addr;
        if (len < (int)sizeof *a)
            return -EINVAL;
        if (sa->family != K_AF_INET)
            return -EAFNOSUPPORT;
        ip_addr_set_ip4_u32_val(*ip, a->addr);
        *port = lwip_ntohs(a->port);
        return 0;
    }
    const struct k_sockaddr_in6 *a = addr;
    if (sa->family != K_AF_INET6)
        return -EAFNOSUPPORT;
    if (len < 24)
        return -EINVAL;
    static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (!memcmp(a->addr, mapped, 12)) {
        if (in->v6only)
            return -ENETUNREACH;
        uint32_t v4;
        memcpy(&v4, a->addr + 12, 4);
        ip_addr_set_ip4_u32_val(*ip, v4);
    } else {
        IP_SET_TYPE_VAL(*ip, IPADDR_TYPE_V6);
        memcpy(ip_2_ip6(ip)->addr, a->addr, 16);
        ip6_addr_clear_zone(ip_2_ip6(ip));
    }
    *port = lwip_ntohs(a->port);
    return 0;
}

/* The address in the socket's family; returns its length. */
static long to_user(const struct inet *in, const ip_addr_t *ip, uint16_t port, void *addr)
{
    if (in->s->family == K_AF_INET) {
        struct k_sockaddr_in *a = addr;
        memset(a, 0, sizeof *a);
        a->family = K_AF_INET;
        a->port = lwip_htons(port);
        a->addr = IP_IS_V4(ip) ? ip4_addr_get_u32(ip_2_ip4(ip)) : 0;
        return sizeof *a;
    }
    struct k_sockaddr_in6 *a = addr;
    memset(a, 0, sizeof *a);
    a->family = K_AF_INET6;
    a->port = lwip_htons(port);
    if (IP_IS_V4(ip) && !ip_addr_isany(ip)) {
        uint32_t v4 = ip4_addr_get_u32(ip_2_ip4(ip));
        a->addr[10] = a->addr[11] = 0xff;
        memcpy(a->addr + 12, &v4, 4);
    } else if (IP_IS_V6(ip)) {
        memcpy(a->addr, ip_2_ip6(ip)->addr, 16);
    }
    return sizeof *a;
}

static long lwip_errno(err_t e)
{
    switch (e) {
    case ERR_OK: return 0;
    case ERR_MEM: return -ENOBUFS;
    case ERR_BUF: return -ENOBUFS;
    case ERR_TIMEOUT: return -ETIMEDOUT;
    case ERR_RTE: return -ENETUNREACH;
    case ERR_INPROGRESS: return -EINPROGRESS;
    case ERR_VAL: return -EINVAL;
    case ERR_WOULDBLOCK: return -EAGAIN;
    case ERR_USE: return -EADDRINUSE;
    case ERR_ALREADY: return -EALREADY;
    case ERR_ISCONN: return -EISCONN;
    case ERR_CONN: return -ENOTCONN;
    case ERR_IF: return -ENETDOWN;
    case ERR_ABRT: return -ECONNABORTED;
    case ERR_RST: return -ECONNRESET;
    case ERR_CLSD: return -ENOTCONN;
    case ERR_ARG: return -EINVAL;
    default: return -EIO;
    }
}

/* ---- TCP callbacks ------------------------------------------------------- */

static err_t tcp_recv_cb(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)pcb;
    (void)err;
    struct inet *in = arg;
    if (!p) {
        in->rx_eof = 1;
    } else {
        in->rx_len += p->tot_len;
        if (in->rx)
            pbuf_cat(in->rx, p);
        else
            in->rx = p;
    }
    sock_wake(in->s);
    return ERR_OK;
}

static err_t tcp_sent_cb(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb;
    (void)len;
    sock_wake(((struct inet *)arg)->s);
    return ERR_OK;
}

static void tcp_err_cb(void *arg, err_t err)
{
    struct inet *in = arg;
    in->tcp = NULL;             /* lwIP has freed it */
    if (in->connecting && !in->connected)
        in->s->so_error = err == ERR_RST ? ECONNREFUSED : err == ERR_ABRT ? ETIMEDOUT : ECONNREFUSED;
    else if (err == ERR_RST)
        in->s->so_error = ECONNRESET;
    else if (err == ERR_ABRT)
        in->s->so_error = in->keepidle || in->s->keepalive ? ETIMEDOUT : ECONNABORTED;
    in->rx_eof = 1;
    sock_wake(in->s);
}

static void tcp_attach(struct inet *in, struct tcp_pcb *pcb)
{
    in->tcp = pcb;
    tcp_arg(pcb, in);
    tcp_recv(pcb, tcp_recv_cb);
    tcp_sent(pcb, tcp_sent_cb);
    tcp_err(pcb, tcp_err_cb);
}

static void tcp_detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    if (pcb->state == LISTEN) {      /* a listen pcb has only these */
        tcp_accept(pcb, NULL);
        return;
    }
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
}

static err_t tcp_connected_cb(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)pcb;
    (void)err;
    struct inet *in = arg;
    in->connected = 1;
    sock_wake(in->s);
    return ERR_OK;
}

static const struct sock_ops inet_stream_ops;

static void apply_tcp_opts(struct inet *in, struct tcp_pcb *pcb)
{
    if (in->nodelay)
        tcp_nagle_disable(pcb);
    if (in->s->keepalive)
        ip_set_option(pcb, SOF_KEEPALIVE);
    if (in->keepidle)
        pcb->keep_idle = (u32_t)in->keepidle * 1000;
    if (in->keepintvl)
        pcb->keep_intvl = (u32_t)in->keepintvl * 1000;
    if (in->keepcnt)
        pcb->keep_cnt = (u32_t)in->keepcnt;
}

static long inet_new(int family, int type, int protocol, const struct sock_ops *ops, struct sock **out);

static err_t tcp_accept_cb(void *arg, struct tcp_pcb *newpcb, err_t err)
{
    struct inet *l = arg;
    if (err != ERR_OK || !newpcb || !l)
        return ERR_VAL;
    struct sock *cs;
    if (inet_new(l->s->family, K_SOCK_STREAM, l->s->protocol, &inet_stream_ops, &cs) < 0)
        return ERR_MEM;       /* lwIP aborts the new connection */
    struct inet *c = in_of(cs);
    c->v6only = l->v6only;
    c->connected = 1;
    /* Options set on the listener carry over, as on Linux. */
    cs->keepalive = l->s->keepalive;
    cs->rcvbuf = l->s->rcvbuf;
    cs->sndbuf = l->s->sndbuf;
    c->nodelay = l->nodelay;
    c->keepidle = l->keepidle;
    c->keepintvl = l->keepintvl;
    c->keepcnt = l->keepcnt;
    tcp_attach(c, newpcb);
    apply_tcp_opts(c, newpcb);
    tcp_backlog_delayed(newpcb);   /* counts against the backlog until accept() */
    c->listener = l;
    *l->acceptq_tail = c;
    l->acceptq_tail = &c->next;
    sock_wake(l->s);
    return ERR_OK;
}

/* ---- common ----------------------------------------------------------------- */

static long inet_new(int family, int type, int protocol, const struct sock_ops *ops, struct sock **out)
{
    struct sock *s = sock_alloc(family, type, protocol, ops);
    struct inet *in = shim_alloc(sizeof *in);
    if (!s || !in) {
        if (s) {
            s->ops = NULL;
            sock_free_unopened(s);
        }
        shim_free(in);
        return -ENOMEM;
    }
    in->s = s;
    in->acceptq_tail = &in->acceptq;
    in->dq_tail = &in->dq;
    in->ttl = 64;
    s->priv = in;
    *out = s;
    return 0;
}

static u8_t ip_type_of(const struct inet *in)
{
    return in->s->family == K_AF_INET ? IPADDR_TYPE_V4 : in->v6only ? IPADDR_TYPE_V6 : IPADDR_TYPE_ANY;
}

/* The "any" address of a socket's family, bound when the app binds to
 * INADDR_ANY / in6addr_any. */
static void fix_any(const struct inet *in, ip_addr_t *ip)
{
    if (in->s->family == K_AF_INET6 && !in->v6only && ip_addr_isany(ip))
        *ip = *IP_ANY_TYPE;
}

static long inet_name(struct sock *s, int peer, void *addr)
{
    struct inet *in = in_of(s);
    if (peer) {
        if (s->type == K_SOCK_STREAM) {
            if (!in->connected || (!in->tcp && !in->peer_port))
                return -ENOTCONN;
            if (in->tcp) {
                in->peer_ip = in->tcp->remote_ip;
                in->peer_port = in->tcp->remote_port;
            }
        } else if (!in->udp || !(udp_flags(in->udp) & UDP_FLAGS_CONNECTED)) {
            return -ENOTCONN;
        } else {
            in->peer_ip = in->udp->remote_ip;
            in->peer_port = in->udp->remote_port;
        }
        return to_user(in, &in->peer_ip, in->peer_port, addr);
    }
    if (in->tcp) {
        in->local_ip = in->tcp->local_ip;
        in->local_port = in->tcp->local_port;
    } else if (in->udp) {
        in->local_ip = in->udp->local_ip;
        in->local_port = in->udp->local_port;
    }
    return to_user(in, &in->local_ip, in->local_port, addr);
}

#define IPV6_V6ONLY 26
#define TCP_NODELAY 1
#define TCP_MAXSEG 2
#define TCP_CORK 3
#define TCP_KEEPIDLE 4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT 6
#define TCP_INFO 11
#define TCP_QUICKACK 12
#define TCP_CONGESTION 13

static int opt_int(const void *val, int len, int *v)
{
    if (!val || len < (int)sizeof(int))
        return 0;
    *v = *(const int *)val;     /* sock.c's kernel copy */
    return 1;
}

static long inet_setopt(struct sock *s, int level, int opt, const void *val, int len)
{
    struct inet *in = in_of(s);
    struct tcp_pcb *tp = in->tcp;
    int v = 0;
    if (level == K_SOL_SOCKET) {
        /* Already recorded by sock.c; lwIP's own flags. */
        void *pcb = tp ? (void *)tp : (void *)in->udp;
        if (!pcb)
            return 0;
        if (opt == 2 && s->reuseaddr)           /* SO_REUSEADDR */
            ip_set_option(tp ? (struct ip_pcb *)(void *)tp : (struct ip_pcb *)(void *)in->udp, SOF_REUSEADDR);
        else if (opt == 2)
            ip_reset_option(tp ? (struct ip_pcb *)(void *)tp : (struct ip_pcb *)(void *)in->udp, SOF_REUSEADDR);
        if (opt == 9 && tp) {                   /* SO_KEEPALIVE */
            if (s->keepalive)
                ip_set_option(tp, SOF_KEEPALIVE);
            else
                ip_reset_option(tp, SOF_KEEPALIVE);
        }
        if (opt == 6 && in->udp) {              /* SO_BROADCAST */
            if (s->broadcast)
                ip_set_option(in->udp, SOF_BROADCAST);
            else
                ip_reset_option(in->udp, SOF_BROADCAST);
        }
        return 0;
    }
    if (!opt_int(val, len, &v))
        return len < (int)sizeof(int) ? -EINVAL : -EFAULT;
    if (level == K_IPPROTO_TCP) {
        if (s->type != K_SOCK_STREAM)
            return -EOPNOTSUPP;
        switch (opt) {
        case TCP_NODELAY:
            in->nodelay = v != 0;
            if (tp && tp->state != LISTEN) {
                if (v)
                    tcp_nagle_disable(tp);
                else
                    tcp_nagle_enable(tp);
            }
            return 0;
        case TCP_KEEPIDLE:
        case TCP_KEEPINTVL:
            if (v < 1 || v > 32767)
                return -EINVAL;
            if (opt == TCP_KEEPIDLE)
                in->keepidle = v;
            else
                in->keepintvl = v;
            if (tp)
                apply_tcp_opts(in, tp);
            return 0;
        case TCP_KEEPCNT:
            if (v < 1 || v > 127)
                return -EINVAL;
            in->keepcnt = v;
            if (tp)
                apply_tcp_opts(in, tp);
            return 0;
        case TCP_CORK: case TCP_QUICKACK: case TCP_MAXSEG:
        case 9 /* TCP_DEFER_ACCEPT */: case 18 /* TCP_USER_TIMEOUT */:
        case 23 /* TCP_FASTOPEN */: case 25 /* TCP_NOTSENT_LOWAT */:
            return 0;    /* accepted; lwIP has no such knob */
        default:
            return -ENOPROTOOPT;
        }
    }
    if (level == K_IPPROTO_IPV6) {
        if (s->family != K_AF_INET6)
            return -ENOPROTOOPT;
        if (opt == IPV6_V6ONLY) {
            if ((tp && (tp->local_port || tp->state != CLOSED)) || (in->udp && in->udp->local_port))
                return -EINVAL;
            in->v6only = v != 0;
            if (tp)
                IP_SET_TYPE_VAL(tp->local_ip, ip_type_of(in));
            if (in->udp)
                IP_SET_TYPE_VAL(in->udp->local_ip, ip_type_of(in));
            return 0;
        }
        /* IPV6_RECVERR, IPV6_UNICAST_HOPS, IPV6_TCLASS, IPV6_RECVPKTINFO ... */
        return 0;
    }
    if (level == K_IPPROTO_IP) {
        switch (opt) {
        case 1: in->tos = v & 0xff; if (tp) tp->tos = (u8_t)in->tos; if (in->udp) in->udp->tos = (u8_t)in->tos; return 0;
        case 2:
            if (v == -1)
                v = 64;
            if (v < 1 || v > 255)
                return -EINVAL;
            in->ttl = v;
            if (tp) tp->ttl = (u8_t)v;
            if (in->udp) in->udp->ttl = (u8_t)v;
            return 0;
        default:
            return 0;   /* IP_RECVERR, IP_MTU_DISCOVER, IP_PKTINFO ...: accepted */
        }
    }
    return -ENOPROTOOPT;
}

static long put_opt(void *val, int *len, int v)
{
    if (!val || !len)
        return -EFAULT;
    int c = *len < (int)sizeof v ? *len : (int)sizeof v;
    if (c < 0)
        return -EINVAL;
    memcpy(val, &v, (size_t)c);
    *len = c;
    return 0;
}

static long inet_getopt(struct sock *s, int level, int opt, void *val, int *len)
{
    struct inet *in = in_of(s);
    if (level == K_IPPROTO_TCP) {
        if (s->type != K_SOCK_STREAM)
            return -EOPNOTSUPP;
        switch (opt) {
        case TCP_NODELAY: return put_opt(val, len, in->nodelay);
        case TCP_KEEPIDLE: return put_opt(val, len, in->keepidle ? in->keepidle : 7200);
        case TCP_KEEPINTVL: return put_opt(val, len, in->keepintvl ? in->keepintvl : 75);
        case TCP_KEEPCNT: return put_opt(val, len, in->keepcnt ? in->keepcnt : 9);
        case TCP_MAXSEG: return put_opt(val, len, in->tcp ? in->tcp->mss : TCP_MSS);
        case TCP_CORK: case TCP_QUICKACK: return put_opt(val, len, 0);
        default: return -ENOPROTOOPT;
        }
    }
    if (level == K_IPPROTO_IPV6 && s->family == K_AF_INET6) {
        if (opt == IPV6_V6ONLY)
            return put_opt(val, len, in->v6only);
        return -ENOPROTOOPT;
    }
    if (level == K_IPPROTO_IP) {
        if (opt == 1)
            return put_opt(val, len, in->tos);
        if (opt == 2)
            return put_opt(val, len, in->ttl);
        return -ENOPROTOOPT;
    }
    return -ENOPROTOOPT;
}

/* ---- TCP -------------------------------------------------------------------- */

static long tcp_bind_(struct sock *s, const void *addr, int len)
{
    struct inet *in = in_of(s);
    ip_addr_t ip;
    uint16_t port;
    long r = from_user(in, addr, len, &ip, &port);
    if (r < 0)
        return r;
    if (!in->tcp || in->tcp->local_port || in->tcp->state != CLOSED)
        return -EINVAL;
    fix_any(in, &ip);
    if (s->reuseaddr)
        ip_set_option(in->tcp, SOF_REUSEADDR);
    err_t e = tcp_bind(in->tcp, &ip, port);
    if (e == ERR_VAL)
        return -EADDRNOTAVAIL;
    return lwip_errno(e);
}

static long tcp_listen_(struct sock *s, int backlog)
{
    struct inet *in = in_of(s);
    if (s->listening)
        return 0;                 /* Linux only updates the backlog */
    if (!in->tcp || in->connected || in->connecting)
        return -EINVAL;
    if (!in->tcp->local_port) {
        ip_addr_t any = s->family == K_AF_INET ? *IP4_ADDR_ANY : in->v6only ? *IP6_ADDR_ANY : *IP_ANY_TYPE;
        err_t e = tcp_bind(in->tcp, &any, 0);
        if (e != ERR_OK)
            return lwip_errno(e);
    }
    err_t e = ERR_OK;
    tcp_arg(in->tcp, NULL);
    tcp_err(in->tcp, NULL);
    struct tcp_pcb *l = tcp_listen_with_backlog_and_err(in->tcp, (u8_t)(backlog < 1 ? 1 : backlog > 255 ? 255 : backlog), &e);
    if (!l) {
        tcp_attach(in, in->tcp);
        return e == ERR_USE ? -EADDRINUSE : -ENOBUFS;
    }
    in->tcp = l;
    tcp_arg(l, in);
    tcp_accept(l, tcp_accept_cb);
    s->listening = 1;
    return 0;
}

static long tcp_accept_(struct sock *s, struct sock **out, int nonblock)
{
    struct inet *in = in_of(s);
    if (!in->acceptq) {
        if (nonblock)
            return -EAGAIN;
        long r = SOCK_WAIT(s, in->acceptq || !in->tcp, s->rcvtimeo_ns);
        if (r < 0)
            return r;
        if (!in->acceptq)
            return -EINVAL;
    }
    struct inet *c = in->acceptq;
    in->acceptq = c->next;
    if (!in->acceptq)
        in->acceptq_tail = &in->acceptq;
    c->next = NULL;
    c->listener = NULL;
    if (c->tcp) {
        tcp_backlog_accepted(c->tcp);
        c->peer_ip = c->tcp->remote_ip;
        c->peer_port = c->tcp->remote_port;
        c->local_ip = c->tcp->local_ip;
        c->local_port = c->tcp->local_port;
    }
    *out = c->s;
    return 0;
}

static long tcp_connect_(struct sock *s, const void *addr, int len, int nonblock)
{
    struct inet *in = in_of(s);
    if (s->listening)
        return -EINVAL;
    if (in->connecting) {
        if (in->connected || s->so_error || !in->tcp) {
            /* The asynchronous connect finished: report it once. */
            in->connecting = 0;
            int e = s->so_error;
            s->so_error = 0;
            return e ? -e : 0;
        }
        return -EALREADY;
    }
    if (in->connected)
        return -EISCONN;
    const struct k_sockaddr *sa = addr;
    if (len >= 2 && sa->family == K_AF_UNSPEC)
        return -EINVAL;   /* disconnecting a TCP socket is not supported */
    ip_addr_t ip;
    uint16_t port;
    long r = from_user(in, addr, len, &ip, &port);
    if (r < 0)
        return r;
    if (!in->tcp)
        return -EINVAL;
    if (in->s->family == K_AF_INET6 && ip_addr_isany(&ip))
        ip_addr_set_loopback(IP_IS_V6(&ip), &ip);   /* Linux: :: and 0.0.0.0 mean this host */
    else if (ip_addr_isany(&ip))
        ip_addr_set_loopback(0, &ip);
    apply_tcp_opts(in, in->tcp);
    in->connecting = 1;
    s->so_error = 0;
    err_t e = tcp_connect(in->tcp, &ip, port, tcp_connected_cb);
    if (e != ERR_OK) {
        in->connecting = 0;
        return lwip_errno(e);
    }
    in->peer_ip = ip;
    in->peer_port = port;
    net_flush();
    if (nonblock)
        return -EINPROGRESS;
    r = SOCK_WAIT(s, in->connected || s->so_error || !in->tcp, s->sndtimeo_ns);
    if (r < 0)
        return r == -EAGAIN ? -EINPROGRESS : r;
    in->connecting = 0;
    if (!in->connected || s->so_error) {
        int err = s->so_error ? s->so_error : ECONNREFUSED;
        s->so_error = 0;
        return -err;
    }
    return 0;
}

static long tcp_shutdown_(struct sock *s, int how)
{
    struct inet *in = in_of(s);
    if (s->listening) {
        return -ENOTCONN;
    }
    if (!in->connected)
        return -ENOTCONN;
    if (how == K_SHUT_RD || how == K_SHUT_RDWR)
        s->shut_rd = 1;
    if ((how == K_SHUT_WR || how == K_SHUT_RDWR) && !s->shut_wr) {
        s->shut_wr = 1;
        if (in->tcp) {
            tcp_shutdown(in->tcp, 0, 1);
            net_flush();
        }
    }
    sock_wake(s);
    return 0;
}

static long tcp_send_(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    struct inet *in = in_of(s);
    size_t total = net_msg_len(m), done = 0;
    if (!in->connected) {
        if (s->so_error) {
            int e = s->so_error;
            s->so_error = 0;
            return -e;
        }
        if (in->connecting && nonblock)
            return -EAGAIN;
        if (in->connecting) {
            long r = SOCK_WAIT(s, in->connected || s->so_error || !in->tcp, s->sndtimeo_ns);
            if (r < 0)
                return r;
            if (!in->connected)
                return s->so_error ? -s->so_error : sock_epipe(flags);
        } else {
            return sock_epipe(flags);    /* Linux: EPIPE (and SIGPIPE) */
        }
    }
    /* Copy through a bounce buffer so each tcp_write gets contiguous bytes. */
    char chunk[4096];
    while (done < total || total == 0) {
        if (s->so_error) {
            int e = s->so_error;
            s->so_error = 0;
            if (done)
                break;
            return e == ECONNRESET || e == EPIPE ? (e == EPIPE ? sock_epipe(flags) : -e) : -e;
        }
        if (s->shut_wr || !in->tcp) {
            if (done)
                break;
            return sock_epipe(flags);
        }
        if (total == 0)
            return 0;
        size_t room = tcp_sndbuf(in->tcp);
        if (room == 0 || tcp_sndqueuelen(in->tcp) >= TCP_SND_QUEUELEN - 2) {
            tcp_output(in->tcp);
            net_flush();
            if (!in->tcp)
                continue;
            if (tcp_sndbuf(in->tcp) > 0 && tcp_sndqueuelen(in->tcp) < TCP_SND_QUEUELEN - 2)
                continue;
            if (nonblock) {
                if (done)
                    break;
                return -EAGAIN;
            }
            long r = SOCK_WAIT(s, !in->tcp || s->so_error ||
                               (tcp_sndbuf(in->tcp) > 0 && tcp_sndqueuelen(in->tcp) < TCP_SND_QUEUELEN - 2),
                               s->sndtimeo_ns);
            if (r < 0) {
                if (done)
                    break;
                return r;
            }
            continue;
        }
        size_t n = total - done;
        if (n > room)
            n = room;
        if (n > sizeof chunk)
            n = sizeof chunk;
        if (net_iov_to(m, done, chunk, n) < n) {
            /* A fault in the app's buffer: as Linux, the chunk being copied
             * is dropped, the ones before are sent (EFAULT when none). */
            if (!done) {
                net_flush();
                return -EFAULT;
            }
            break;
        }
        u8_t wf = TCP_WRITE_FLAG_COPY;
        if (done + n < total || (flags & K_MSG_MORE))
            wf |= TCP_WRITE_FLAG_MORE;
        err_t e = tcp_write(in->tcp, chunk, (u16_t)n, wf);
        if (e == ERR_MEM) {
            /* Queue full: push what is queued, then wait as above. */
            tcp_output(in->tcp);
            net_flush();
            if (nonblock) {
                if (done)
                    break;
                return -EAGAIN;
            }
            long r = SOCK_WAIT(s, !in->tcp || s->so_error || tcp_sndbuf(in->tcp) >= n, s->sndtimeo_ns);
            if (r < 0) {
                if (done)
                    break;
                return r;
            }
            continue;
        }
        if (e != ERR_OK) {
            if (done)
                break;
            return lwip_errno(e);
        }
        done += n;
    }
    if (in->tcp && !(flags & K_MSG_MORE))
        tcp_output(in->tcp);
    net_flush();
    return (long)done;
}

static void rx_consume(struct inet *in, size_t n)
{
    in->rx_off += n;
    in->rx_len -= n;
    while (in->rx && in->rx_off >= in->rx->len) {
        struct pbuf *p = in->rx;
        in->rx_off -= p->len;
        in->rx = p->next;
        if (in->rx)
            pbuf_ref(in->rx);
        pbuf_free(p);        /* frees p only: the rest of the chain is ours */
    }
    if (in->tcp) {
        /* tcp_recved takes at most 64 KiB at a time. */
        while (n) {
            u16_t c = n > 0xffff ? 0xffff : (u16_t)n;
            tcp_recved(in->tcp, c);
            n -= c;
        }
    }
}

static size_t rx_copy(struct inet *in, const struct net_msg *m, size_t moff, size_t n)
{
    size_t done = 0, off = in->rx_off;
    for (struct pbuf *p = in->rx; p && done < n; p = p->next) {
        if (off >= p->len) {
            off -= p->len;
            continue;
        }
        size_t c = p->len - off < n - done ? p->len - off : n - done;
        if (net_iov_from(m, moff + done, (const char *)p->payload + off, c) < c)
            break;           /* a fault: as Linux, a segment is copied whole or not counted */
        done += c;
        off = 0;
    }
    return done;
}

static long tcp_recv_(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    struct inet *in = in_of(s);
    size_t want = net_msg_len(m), done = 0;
    m->namelen = 0;
    m->controllen = 0;
    if (s->listening || (!in->connected && !in->connecting))
        return -ENOTCONN;
    for (;;) {
        if (in->rx_len) {
            size_t n = want - done < in->rx_len ? want - done : in->rx_len;
            size_t got = rx_copy(in, m, done, n);
            if (!(flags & K_MSG_PEEK) && got)
                rx_consume(in, got);
            done += got;
            if (!(flags & K_MSG_PEEK))
                net_flush();
            if (got < n)     /* a fault: as Linux, the rest stays queued */
                return done ? (long)done : -EFAULT;
            if (done == want || !(flags & K_MSG_WAITALL) || (flags & K_MSG_PEEK))
                return (long)done;
            continue;
        }
        if (want == 0)
            return 0;
        if (s->so_error && !done) {
            int e = s->so_error;
            s->so_error = 0;
            return -e;
        }
        if (in->rx_eof || s->shut_rd || done)
            return (long)done;
        if (!in->tcp)
            return (long)done;
        if (nonblock)
            return -EAGAIN;
        long r = SOCK_WAIT(s, in->rx_len || in->rx_eof || s->so_error || s->shut_rd || !in->tcp,
                           s->rcvtimeo_ns);
        if (r < 0)
            return done ? (long)done : r;
    }
}

static unsigned tcp_poll_(struct sock *s)
{
    struct inet *in = in_of(s);
    unsigned m = 0;
    if (s->listening)
        return in->acceptq ? K_POLLIN | K_POLLRDNORM : 0;
    if (in->rx_len || in->rx_eof || s->shut_rd)
        m |= K_POLLIN | K_POLLRDNORM;
    if (in->rx_eof || s->shut_rd)
        m |= K_POLLRDHUP;
    if (s->so_error)
        m |= K_POLLERR;
    if (in->connected && in->tcp && !s->shut_wr && tcp_sndbuf(in->tcp) > 0 &&
        tcp_sndqueuelen(in->tcp) < TCP_SND_QUEUELEN - 2)
        m |= K_POLLOUT | K_POLLWRNORM;
    if ((in->rx_eof && s->shut_wr) || (!in->tcp && (in->connected || s->so_error))) {
        m |= K_POLLHUP;
        if (!s->shut_wr || !in->tcp)
            m |= K_POLLOUT | K_POLLWRNORM;   /* a write fails at once: EPIPE */
    }
    if (!in->connected && !in->connecting && in->tcp)
        m |= K_POLLOUT | K_POLLHUP;     /* a fresh socket, as Linux */
    return m;
}

static long inet_ioctl(struct sock *s, unsigned long cmd, long arg)
{
    struct inet *in = in_of(s);
    int *v = (int *)arg;
    if (cmd == K_FIONREAD) {
        if (!v)
            return -EFAULT;
        if (s->type == K_SOCK_STREAM) {
            if (s->listening)
                return -EINVAL;
            *v = (int)in->rx_len;
        } else {
            *v = in->dq ? in->dq->p->tot_len : 0;
        }
        return 0;
    }
    if (cmd == 0x5411) {        /* SIOCOUTQ */
        if (!v)
            return -EFAULT;
        *v = in->tcp ? (int)(TCP_SND_BUF - in->tcp->snd_buf) : 0;
        return 0;
    }
    return -ENOTTY;
}

static void tcp_close_(struct sock *s)
{
    struct inet *in = in_of(s);
    if (!in)
        return;
    /* Connections that were never accepted are reset, as on Linux. */
    while (in->acceptq) {
        struct inet *c = in->acceptq;
        in->acceptq = c->next;
        if (c->tcp) {
            tcp_detach(c->tcp);
            tcp_abort(c->tcp);
            c->tcp = NULL;
        }
        sock_free_unopened(c->s);
    }
    if (in->tcp) {
        struct tcp_pcb *pcb = in->tcp;
        in->tcp = NULL;
        tcp_detach(pcb);
        if (pcb->state == LISTEN) {
            tcp_close(pcb);
        } else if (in->rx_len || (s->linger_on && s->linger_secs == 0)) {
            tcp_abort(pcb);          /* unread data (or linger 0): RST */
        } else if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
        }
        net_flush();
    }
    if (in->rx)
        pbuf_free(in->rx);
    in->rx = NULL;
    shim_free(in);
    s->priv = NULL;
}

static const struct sock_ops inet_stream_ops = {
    .bind = tcp_bind_,
    .listen = tcp_listen_,
    .accept = tcp_accept_,
    .connect = tcp_connect_,
    .shutdown = tcp_shutdown_,
    .send = tcp_send_,
    .recv = tcp_recv_,
    .name = inet_name,
    .setopt = inet_setopt,
    .getopt = inet_getopt,
    .poll = tcp_poll_,
    .ioctl = inet_ioctl,
    .close = tcp_close_,
};

/* ---- UDP -------------------------------------------------------------------- */

#define UDP_RCVBUF_MAX (4u << 20)

static void udp_recv_cb(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    (void)pcb;
    struct inet *in = arg;
    struct dgram *d = NULL;
    if (in->dq_bytes + p->tot_len > (size_t)in->s->rcvbuf + 65536 || !(d = shim_alloc(sizeof *d))) {
        pbuf_free(p);            /* the receive buffer is full: dropped, as on Linux */
        return;
    }
    d->p = p;
    d->from = *addr;
    d->port = port;
    in->dq_bytes += p->tot_len;
    *in->dq_tail = d;
    in->dq_tail = &d->next;
    sock_wake(in->s);
}

static long udp_bind_(struct sock *s, const void *addr, int len)
{
    struct inet *in = in_of(s);
    ip_addr_t ip;
    uint16_t port;
    long r = from_user(in, addr, len, &ip, &port);
    if (r < 0)
        return r;
    if (in->udp->local_port)
        return -EINVAL;
    fix_any(in, &ip);
    if (s->reuseaddr)
        ip_set_option(in->udp, SOF_REUSEADDR);
    err_t e = udp_bind(in->udp, &ip, port);
    return e == ERR_VAL ? -EADDRNOTAVAIL : lwip_errno(e);
}

static long udp_connect_(struct sock *s, const void *addr, int len, int nonblock)
{
    (void)nonblock;
    struct inet *in = in_of(s);
    const struct k_sockaddr *sa = addr;
    if (len >= 2 && sa->family == K_AF_UNSPEC) {
        udp_disconnect(in->udp);
        return 0;
    }
    ip_addr_t ip;
    uint16_t port;
    long r = from_user(in, addr, len, &ip, &port);
    if (r < 0)
        return r;
    if (ip_addr_isany(&ip))
        ip_addr_set_loopback(IP_IS_V6(&ip), &ip);
    if (!in->udp->local_port) {
        ip_addr_t any = s->family == K_AF_INET ? *IP4_ADDR_ANY : in->v6only ? *IP6_ADDR_ANY : *IP_ANY_TYPE;
        err_t e = udp_bind(in->udp, &any, 0);
        if (e != ERR_OK)
            return lwip_errno(e);
    }
    /* Linux fails at connect when there is no route. */
    if (!ip_route(&in->udp->local_ip, &ip))
        return -ENETUNREACH;
    return lwip_errno(udp_connect(in->udp, &ip, port));
}

static long udp_send_(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    (void)nonblock;
    (void)flags;
    struct inet *in = in_of(s);
    size_t n = net_msg_len(m);
    if (s->shut_wr)
        return sock_epipe(flags);
    if (n > 65507)
        return -EMSGSIZE;
    ip_addr_t ip;
    uint16_t port;
    int to = m->name && m->namelen > 0;
    if (to) {
        long r = from_user(in, m->name, m->namelen, &ip, &port);
        if (r < 0)
            return r;
        if (ip_addr_isany(&ip))
            ip_addr_set_loopback(IP_IS_V6(&ip), &ip);
    } else if (!(udp_flags(in->udp) & UDP_FLAGS_CONNECTED)) {
        return -EDESTADDRREQ;
    }
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM);
    if (!p)
        return -ENOBUFS;
    if (net_iov_to(m, 0, p->payload, n) < n) {
        pbuf_free(p);
        return -EFAULT;      /* a datagram goes whole or not at all */
    }
    err_t e = to ? udp_sendto(in->udp, p, &ip, port) : udp_send(in->udp, p);
    pbuf_free(p);
    net_flush();
    if (e != ERR_OK)
        return e == ERR_RTE ? -ENETUNREACH : lwip_errno(e);
    return (long)n;
}

static long udp_recv_(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    struct inet *in = in_of(s);
    m->controllen = 0;
    if (!in->dq) {
        if (s->so_error) {
            int e = s->so_error;
            s->so_error = 0;
            return -e;
        }
        if (nonblock)
            return -EAGAIN;
        long r = SOCK_WAIT(s, in->dq || s->so_error || s->shut_rd, s->rcvtimeo_ns);
        if (r < 0)
            return r;
        if (!in->dq)
            return s->so_error ? -s->so_error : 0;
    }
    struct dgram *d = in->dq;
    size_t want = net_msg_len(m), len = d->p->tot_len;
    size_t c = want < len ? want : len;
    size_t done = 0;
    int fault = 0;
    for (struct pbuf *p = d->p; p && done < c; p = p->next) {
        size_t k = p->len < c - done ? p->len : c - done;
        if (net_iov_from(m, done, p->payload, k) < k) {
            fault = 1;       /* Linux drops the datagram (unless peeking) and fails */
            break;
        }
        done += k;
    }
    m->flags_out = c < len ? K_MSG_TRUNC : 0;
    if (m->name)
        m->namelen = (int)to_user(in, &d->from, d->port, m->name);
    if (!(flags & K_MSG_PEEK)) {
        in->dq = d->next;
        if (!in->dq)
            in->dq_tail = &in->dq;
        in->dq_bytes -= len;
        pbuf_free(d->p);
        shim_free(d);
    }
    if (fault)
        return -EFAULT;
    return (long)((flags & K_MSG_TRUNC) ? len : c);
}

static long udp_shutdown_(struct sock *s, int how)
{
    struct inet *in = in_of(s);
    if (!(udp_flags(in->udp) & UDP_FLAGS_CONNECTED))
        return -ENOTCONN;
    if (how != K_SHUT_WR)
        s->shut_rd = 1;
    if (how != K_SHUT_RD)
        s->shut_wr = 1;
    sock_wake(s);
    return 0;
}

static unsigned udp_poll_(struct sock *s)
{
    struct inet *in = in_of(s);
    unsigned m = K_POLLOUT | K_POLLWRNORM;
    if (in->dq || s->shut_rd)
        m |= K_POLLIN | K_POLLRDNORM;
    if (s->so_error)
        m |= K_POLLERR;
    return m;
}

static void udp_close_(struct sock *s)
{
    struct inet *in = in_of(s);
    if (!in)
        return;
    if (in->udp)
        udp_remove(in->udp);
    while (in->dq) {
        struct dgram *d = in->dq;
        in->dq = d->next;
        pbuf_free(d->p);
        shim_free(d);
    }
    shim_free(in);
    s->priv = NULL;
}

static const struct sock_ops inet_dgram_ops = {
    .bind = udp_bind_,
    .connect = udp_connect_,
    .shutdown = udp_shutdown_,
    .send = udp_send_,
    .recv = udp_recv_,
    .name = inet_name,
    .setopt = inet_setopt,
    .getopt = inet_getopt,
    .poll = udp_poll_,
    .ioctl = inet_ioctl,
    .close = udp_close_,
};

long inet_create(int family, int type, int protocol, struct sock **out)
{
    const struct sock_ops *ops;
    if (type == K_SOCK_STREAM) {
        if (protocol && protocol != K_IPPROTO_TCP)
            return -EPROTONOSUPPORT;
        protocol = K_IPPROTO_TCP;
        ops = &inet_stream_ops;
    } else if (type == K_SOCK_DGRAM) {
        if (protocol && protocol != K_IPPROTO_UDP)
            return -EPROTONOSUPPORT;
        protocol = K_IPPROTO_UDP;
        ops = &inet_dgram_ops;
    } else if (type == 3) {          /* SOCK_RAW (ping): needs CAP_NET_RAW-like support */
        return -EPROTONOSUPPORT;
    } else {
        return -ESOCKTNOSUPPORT;
    }
    struct sock *s;
    long r = inet_new(family, type, protocol, ops, &s);
    if (r < 0)
        return r;
    struct inet *in = in_of(s);
    if (type == K_SOCK_STREAM) {
        struct tcp_pcb *pcb = tcp_new_ip_type(ip_type_of(in));
        if (!pcb) {
            sock_free_unopened(s);
            return -ENOBUFS;
        }
        tcp_attach(in, pcb);
    } else {
        in->udp = udp_new_ip_type(ip_type_of(in));
        if (!in->udp) {
            sock_free_unopened(s);
            return -ENOBUFS;
        }
        udp_recv(in->udp, udp_recv_cb, in);
    }
    *out = s;
    return 0;
}
