/* The socket syscalls over struct sock (net_impl.h): file plumbing (a
 * socket is a vfs file: read, write, readv, writev, close, fcntl, FIONBIO,
 * sendfile and poll/select/epoll reach it through vnode_ops), argument
 * checks with Linux's errnos, and the SOL_SOCKET options every family
 * shares. The families do the rest: inet.c (lwIP), unix.c. */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "shim/kernel.h"
#include "shim/signal.h"
#include "shim/uaccess.h"
#include "net_impl.h"

/* ---- iov helpers ------------------------------------------------------------ */

size_t net_msg_len(const struct net_msg *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->iovlen; i++)
        n += m->iov[i].len;
    return n;
}

/* The iovecs are the app's (their ranges checked where the syscall took
 * them, or by the vfs for read/write): copied with fault handling, so a
 * buffer that is not mapped ends the copy short instead of faulting the
 * kernel. */
static size_t iov_copy(const struct net_msg *m, size_t off, void *buf, size_t n, int to_iov)
{
    size_t done = 0;
    for (size_t i = 0; i < m->iovlen && done < n; i++) {
        size_t l = m->iov[i].len;
        if (off >= l) {
            off -= l;
            continue;
        }
        size_t c = l - off < n - done ? l - off : n - done;
        char *p = (char *)m->iov[i].base + off;
        size_t left = to_iov ? copy_out_nocheck(p, (const char *)buf + done, c)
                             : copy_in_nocheck((char *)buf + done, p, c);
        done += c - left;
        if (left)
            break;
        off = 0;
    }
    return done;
}

size_t net_iov_from(const struct net_msg *m, size_t off, const void *src, size_t n)
{
    return iov_copy(m, off, (void *)src, n, 1);
}

size_t net_iov_to(const struct net_msg *m, size_t off, void *dst, size_t n)
{
    return iov_copy(m, off, dst, n, 0);
}

long sock_epipe(int flags)
{
#if SHIM_HAVE_signal
    if (!(flags & K_MSG_NOSIGNAL))
        shim_raise_sigpipe();
#else
    (void)flags;
#endif
    return -EPIPE;
}

/* ---- sockets as files ------------------------------------------------------- */

static struct sock *sock_of(struct file *f) { return f->vn->data; }

void sock_wake(struct sock *s)
{
    wake_all(&s->wq);
    wake_all(&shim_poll_wq);
}

static long sock_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    struct k_iovec iov = { buf, n };
    struct net_msg m = { .iov = &iov, .iovlen = 1 };
    struct sock *s = sock_of(f);
    return s->ops->recv(s, &m, 0, (f->flags & K_O_NONBLOCK) != 0);
}

static long sock_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
    (void)pos;
    struct k_iovec iov = { (void *)buf, n };
    struct net_msg m = { .iov = &iov, .iovlen = 1 };
    struct sock *s = sock_of(f);
    return s->ops->send(s, &m, 0, (f->flags & K_O_NONBLOCK) != 0);
}

/* wq.seq grows with every sock_wake: each event on the socket. */
static uint64_t sock_event_seq(struct file *f)
{
    return sock_of(f)->wq.seq;
}

static unsigned sock_poll(struct file *f)
{
    struct sock *s = sock_of(f);
    return s->ops->poll(s);
}

static long sock_ioctl(struct file *f, unsigned long cmd, long arg)
{
    struct sock *s = sock_of(f);
    if (cmd == 0x8912)                        /* SIOCGIFCONF */
        return net_ifconf((void *)arg);
    if (cmd >= 0x8910 && cmd <= 0x8940)       /* SIOCGIF* */
        return net_ifreq(cmd, (void *)arg);
    if (s->ops->ioctl)
        return s->ops->ioctl(s, cmd, arg);
    return -ENOTTY;
}

static void sock_release(struct file *f)
{
    struct sock *s = sock_of(f);
    if (s && s->ops->close) {
        s->ops->close(s);
        s->ops = NULL;
    }
}

static void sock_destroy(struct vnode *vn)
{
    shim_free(vn->data);
    vn->data = NULL;
}

static const struct vnode_ops sock_vnode_ops = {
    .release = sock_release,
    .read = sock_read,
    .write = sock_write,
    .poll = sock_poll,
    .event_seq = sock_event_seq,
    .ioctl = sock_ioctl,
    .destroy = sock_destroy,
    .noseek = 1,
};

struct sock *sock_alloc(int family, int type, int protocol, const struct sock_ops *ops)
{
    struct sock *s = shim_alloc(sizeof *s);
    struct vnode *vn = vnode_new(K_S_IFSOCK | 0777, &sock_vnode_ops);
    if (!s || !vn) {
        shim_free(s);
        shim_free(vn);
        return NULL;
    }
    s->family = family;
    s->type = type;
    s->protocol = protocol;
    s->ops = ops;
    s->vn = vn;
    s->rcvbuf = 212992;           /* Linux's rmem_default/wmem_default */
    s->sndbuf = 212992;
    s->rcvlowat = 1;
    vn->data = s;
    return s;
}

long sock_install(struct sock *s, int nonblock, int cloexec)
{
    struct file *f = file_new(s->vn, K_O_RDWR | (nonblock ? K_O_NONBLOCK : 0));
    if (!f)
        return -ENOMEM;
    long fd = fd_install(f, 0, cloexec);
    if (fd < 0)
        file_put(f);          /* the release closes the socket */
    return fd;
}

void sock_free_unopened(struct sock *s)
{
    if (s->ops && s->ops->close)
        s->ops->close(s);
    s->ops = NULL;
    s->vn->refs++;
    vnode_put(s->vn);         /* refs 0, nlink 0: destroyed with s */
}

/* The socket behind fd: -EBADF / -ENOTSOCK as Linux. */
static long sock_fd(int fd, struct sock **out, struct file **fp)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (f->vn->ops != &sock_vnode_ops || !f->vn->data || !sock_of(f)->ops)
        return -ENOTSOCK;
    *out = sock_of(f);
    if (fp)
        *fp = f;
    return 0;
}

/* ---- socket, socketpair ----------------------------------------------------- */

SHIM_SYSCALL(socket)
{
    int kind = type & K_SOCK_TYPE_MASK;
    if (type & ~(K_SOCK_TYPE_MASK | K_SOCK_NONBLOCK | K_SOCK_CLOEXEC))
        return -EINVAL;
    struct sock *s = NULL;
    long r;
    switch (family) {
    case K_AF_INET:
    case K_AF_INET6:
        r = inet_create(family, kind, protocol, &s);
        break;
    case K_AF_UNIX:
        r = unix_create(kind, protocol, &s);
        break;
    default:
        /* AF_NETLINK (glibc's getaddrinfo asks it for the interfaces and
         * falls back without it), AF_PACKET ...: not in this kernel. */
        return -EAFNOSUPPORT;
    }
    if (r < 0)
        return r;
    r = sock_install(s, (type & K_SOCK_NONBLOCK) != 0, (type & K_SOCK_CLOEXEC) != 0);
    return r;
}

SHIM_SYSCALL(socketpair)
{
    int *sv = usockvec;
    int kind = type & K_SOCK_TYPE_MASK;
    if (type & ~(K_SOCK_TYPE_MASK | K_SOCK_NONBLOCK | K_SOCK_CLOEXEC))
        return -EINVAL;
    if (family == K_AF_INET || family == K_AF_INET6)
        return -EOPNOTSUPP;
    if (family != K_AF_UNIX)
        return -EAFNOSUPPORT;
    if (!sv)
        return -EFAULT;
    struct sock *a, *b;
    long r = unix_pair(kind, protocol, &a, &b);
    if (r < 0)
        return r;
    int nb = (type & K_SOCK_NONBLOCK) != 0, ce = (type & K_SOCK_CLOEXEC) != 0;
    long fa = sock_install(a, nb, ce);
    if (fa < 0) {
        sock_free_unopened(b);
        return fa;
    }
    long fb = sock_install(b, nb, ce);
    if (fb < 0) {
        fd_close(fa);
        return fb;
    }
    sv[0] = (int)fa;
    sv[1] = (int)fb;
    return 0;
}

/* ---- addresses -------------------------------------------------------------- */

SHIM_SYSCALL(bind)
{
    struct sock *s;
    long r = sock_fd(fd, &s, NULL);
    if (r < 0)
        return r;
    if (addrlen < 0 || addrlen > K_SOCKADDR_MAX)
        return -EINVAL;
    if (!umyaddr)
        return -EFAULT;
    return s->ops->bind(s, umyaddr, addrlen);
}

SHIM_SYSCALL(listen)
{
    struct sock *s;
    long r = sock_fd(fd, &s, NULL);
    if (r < 0)
        return r;
    if (!s->ops->listen)
        return -EOPNOTSUPP;
    if (backlog < 0 || backlog > 4096)
        backlog = 4096;          /* somaxconn */
    return s->ops->listen(s, backlog);
}

/* Copies an address out as accept/getsockname/recvfrom do: truncated to
 * the caller's length, which then says the real one. */
static long put_addr(const void *addr, long alen, void *uaddr, int *ulen)
{
    if (!uaddr || !ulen)
        return 0;
    int cap = *ulen;
    if (cap < 0)
        return -EINVAL;
    memcpy(uaddr, addr, (size_t)(alen < cap ? alen : cap));
    *ulen = (int)alen;
    return 0;
}

static long do_accept(int fd, void *uaddr, int *ulen, int flags)
{
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    if (r < 0)
        return r;
    if (flags & ~(K_SOCK_NONBLOCK | K_SOCK_CLOEXEC))
        return -EINVAL;
    if (!s->ops->accept)
        return -EOPNOTSUPP;
    if (!s->listening)
        return -EINVAL;
    if (uaddr && ulen && *ulen < 0)
        return -EINVAL;
    struct sock *c;
    r = s->ops->accept(s, &c, (f->flags & K_O_NONBLOCK) != 0);
    if (r < 0)
        return r;
    char addr[K_SOCKADDR_MAX];
    long alen = c->ops->name(c, 1, addr);
    if (alen < 0)
        alen = 0;
    long nfd = sock_install(c, (flags & K_SOCK_NONBLOCK) != 0, (flags & K_SOCK_CLOEXEC) != 0);
    if (nfd < 0)
        return nfd;
    put_addr(addr, alen, uaddr, ulen);
    return nfd;
}

SHIM_SYSCALL(accept) { return do_accept(fd, upeer_sockaddr, upeer_addrlen, 0); }
SHIM_SYSCALL(accept4) { return do_accept(fd, upeer_sockaddr, upeer_addrlen, flags); }

SHIM_SYSCALL(connect)
{
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    if (r < 0)
        return r;
    if (addrlen < 0 || addrlen > K_SOCKADDR_MAX)
        return -EINVAL;
    if (!uservaddr)
        return -EFAULT;
    return s->ops->connect(s, uservaddr, addrlen, (f->flags & K_O_NONBLOCK) != 0);
}

SHIM_SYSCALL(shutdown)
{
    struct sock *s;
    long r = sock_fd(fd, &s, NULL);
    if (r < 0)
        return r;
    if (how < K_SHUT_RD || how > K_SHUT_RDWR)
        return -EINVAL;
    return s->ops->shutdown(s, how);
}

static long get_name(int fd, void *uaddr, int *ulen, int peer)
{
    struct sock *s;
    long r = sock_fd(fd, &s, NULL);
    if (r < 0)
        return r;
    if (!uaddr || !ulen)
        return -EFAULT;
    if (*ulen < 0)
        return -EINVAL;
    char addr[K_SOCKADDR_MAX];
    long alen = s->ops->name(s, peer, addr);
    if (alen < 0)
        return alen;
    return put_addr(addr, alen, uaddr, ulen);
}

SHIM_SYSCALL(getsockname) { return get_name(fd, usockaddr, usockaddr_len, 0); }
SHIM_SYSCALL(getpeername) { return get_name(fd, usockaddr, usockaddr_len, 1); }

/* ---- data ------------------------------------------------------------------- */

static long do_send(int fd, struct net_msg *m, unsigned flags)
{
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    if (r < 0)
        return r;
    for (size_t i = 0; i < m->iovlen; i++)
        if ((int64_t)m->iov[i].len < 0)
            return -EINVAL;
    int nonblock = (f->flags & K_O_NONBLOCK) || (flags & K_MSG_DONTWAIT);
    return s->ops->send(s, m, (int)flags, nonblock);
}

static long do_recv(int fd, struct net_msg *m, unsigned flags)
{
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    if (r < 0)
        return r;
    if (flags & K_MSG_OOB)
        return -EINVAL;          /* no urgent data is ever queued */
    int nonblock = (f->flags & K_O_NONBLOCK) || (flags & K_MSG_DONTWAIT);
    return s->ops->recv(s, m, (int)flags, nonblock);
}

SHIM_SYSCALL(sendto)
{
    if (len && (!buff || !access_ok(buff, len)))
        return -EFAULT;
    struct k_iovec iov = { buff, len };
    struct net_msg m = { .iov = &iov, .iovlen = 1, .name = addr, .namelen = addr ? addr_len : 0 };
    if (addr && (addr_len < 0 || addr_len > K_SOCKADDR_MAX))
        return -EINVAL;
    return do_send(fd, &m, flags);
}

SHIM_SYSCALL(recvfrom)
{
    if (size && (!ubuf || !access_ok(ubuf, size)))
        return -EFAULT;
    struct k_iovec iov = { ubuf, size };
    char name[K_SOCKADDR_MAX];
    struct net_msg m = { .iov = &iov, .iovlen = 1, .name = name, .namelen = sizeof name };
    if (addr && addr_len && *addr_len < 0)
        return -EINVAL;
    long r = do_recv(fd, &m, flags);
    if (r >= 0 && addr && addr_len) {
        if (m.namelen > 0)
            put_addr(name, m.namelen, addr, addr_len);
        else
            *addr_len = 0;
    }
    return r;
}

static long msg_send(int fd, struct k_msghdr *h, unsigned flags)
{
    if (!h)
        return -EFAULT;
    if (h->iovlen > 1024)
        return -EMSGSIZE;
    struct net_msg m = { .iov = h->iov, .iovlen = h->iovlen, .name = h->name,
                         .namelen = h->name ? h->namelen : 0,
                         .control = h->control, .controllen = h->control ? h->controllen : 0 };
    if (h->iovlen && !h->iov)
        return -EFAULT;
    if (h->name && (h->namelen < 0 || h->namelen > K_SOCKADDR_MAX))
        return -EINVAL;
    return do_send(fd, &m, flags);
}

static long msg_recv(int fd, struct k_msghdr *h, unsigned flags)
{
    if (!h)
        return -EFAULT;
    if (h->iovlen > 1024)
        return -EMSGSIZE;
    if (h->iovlen && !h->iov)
        return -EFAULT;
    char name[K_SOCKADDR_MAX];
    struct net_msg m = { .iov = h->iov, .iovlen = h->iovlen, .name = name, .namelen = sizeof name,
                         .control = h->control, .controllen = h->control ? h->controllen : 0 };
    long r = do_recv(fd, &m, flags);
    if (r < 0)
        return r;
    if (h->name) {
        int cap = h->namelen;
        if (m.namelen > 0 && cap > 0)
            memcpy(h->name, name, (size_t)(m.namelen < cap ? m.namelen : cap));
        h->namelen = m.namelen > 0 ? m.namelen : 0;
    }
    h->controllen = m.control ? m.controllen : 0;
    h->flags = m.flags_out;
    return r;
}

SHIM_SYSCALL(sendmsg) { return msg_send(fd, (struct k_msghdr *)msg, flags); }
SHIM_SYSCALL(recvmsg) { return msg_recv(fd, (struct k_msghdr *)msg, flags); }

SHIM_SYSCALL(sendmmsg)
{
    struct k_mmsghdr *v = (struct k_mmsghdr *)msg;
    if (vlen > 1024)
        vlen = 1024;         /* UIO_MAXIOV, as Linux */
    if (vlen && !v)
        return -EFAULT;
    unsigned i;
    for (i = 0; i < vlen; i++) {
        long r = msg_send(fd, &v[i].hdr, flags);
        if (r < 0)
            return i ? (long)i : r;
        v[i].len = (unsigned)r;
    }
    return i;
}

SHIM_SYSCALL(recvmmsg)
{
    struct k_mmsghdr *v = (struct k_mmsghdr *)msg;
    struct k_timespec *ts = (struct k_timespec *)timeout;
    if (vlen > 1024)
        vlen = 1024;
    if (vlen && !v)
        return -EFAULT;
    if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000))
        return -EINVAL;
    uint64_t deadline = ts ? platform_monotonic_ns() + (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec : 0;
    unsigned i;
    for (i = 0; i < vlen; i++) {
        long r = msg_recv(fd, &v[i].hdr, flags);
        if (r < 0) {
            if (i && (r == -EAGAIN || r == -EINTR))
                break;
            return i ? (long)i : r;
        }
        v[i].len = (unsigned)r;
        if (flags & K_MSG_WAITFORONE)
            flags |= K_MSG_DONTWAIT;
        if (deadline && platform_monotonic_ns() >= deadline) {
            i++;
            break;
        }
    }
    return i;
}

/* ---- options ---------------------------------------------------------------- */

#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_NO_CHECK 11
#define SO_PRIORITY 12
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_TIMESTAMP 29
#define SO_ACCEPTCONN 30
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_MARK 36
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define SO_BUSY_POLL 46
#define SO_INCOMING_CPU 49
#define SO_ZEROCOPY 60

struct k_linger { int onoff, linger; };

static long get_int(const void *val, int len, int *out)
{
    if (len < (int)sizeof(int))
        return -EINVAL;
    if (!val)
        return -EFAULT;
    *out = *(const int *)val;
    return 0;
}

static long put_bytes(void *val, int *len, const void *src, int n)
{
    if (!val || !len)
        return -EFAULT;
    if (*len < 0)
        return -EINVAL;
    int c = *len < n ? *len : n;
    memcpy(val, src, (size_t)c);
    *len = c;
    return 0;
}

static long put_int(void *val, int *len, int v) { return put_bytes(val, len, &v, sizeof v); }

static long sol_socket_set(struct sock *s, int opt, const void *val, int len)
{
    int v = 0;
    long r;
    switch (opt) {
    case SO_RCVTIMEO:
    case SO_SNDTIMEO: {
        if (len < (int)sizeof(struct k_timeval))
            return -EINVAL;
        if (!val)
            return -EFAULT;
        const struct k_timeval *tv = val;
        if (tv->tv_usec < 0 || tv->tv_usec >= 1000000)
            return -EDOM;
        uint64_t ns = tv->tv_sec < 0 ? 0 : (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u;
        if (opt == SO_RCVTIMEO)
            s->rcvtimeo_ns = ns;
        else
            s->sndtimeo_ns = ns;
        return 0;
    }
    case SO_LINGER: {
        if (len < (int)sizeof(struct k_linger))
            return -EINVAL;
        if (!val)
            return -EFAULT;
        const struct k_linger *l = val;
        s->linger_on = l->onoff != 0;
        s->linger_secs = l->linger;
        return 0;
    }
    default:
        break;
    }
    if ((r = get_int(val, len, &v)) < 0)
        return r;
    switch (opt) {
    case SO_REUSEADDR: s->reuseaddr = v != 0; break;
    case SO_REUSEPORT: s->reuseport = v != 0; break;
    case SO_KEEPALIVE: s->keepalive = v != 0; break;
    case SO_BROADCAST: s->broadcast = v != 0; break;
    case SO_PASSCRED: s->passcred = v != 0; break;
    case SO_OOBINLINE: s->oobinline = v != 0; break;
    case SO_SNDBUF:
    case SO_SNDBUFFORCE:
        s->sndbuf = v < 2304 ? 4608 : v > 106496 * 2 * 16 ? 106496 * 2 * 16 : v * 2;  /* Linux doubles it */
        break;
    case SO_RCVBUF:
    case SO_RCVBUFFORCE:
        s->rcvbuf = v < 1152 ? 2304 : v > 106496 * 2 * 16 ? 106496 * 2 * 16 : v * 2;
        break;
    case SO_RCVLOWAT: s->rcvlowat = v < 1 ? 1 : v; break;
    case SO_DONTROUTE: case SO_PRIORITY: case SO_TIMESTAMP: case SO_MARK:
    case SO_NO_CHECK: case SO_BUSY_POLL: case SO_INCOMING_CPU: case SO_ZEROCOPY:
        break;       /* accepted, no effect here (one host, one CPU) */
    case SO_SNDLOWAT:
        return -ENOPROTOOPT;
    case SO_TYPE: case SO_ERROR: case SO_PROTOCOL: case SO_DOMAIN: case SO_ACCEPTCONN:
    case SO_PEERCRED:
        return -ENOPROTOOPT;
    default:
        return -ENOPROTOOPT;
    }
    return 0;
}

static long sol_socket_get(struct sock *s, int opt, void *val, int *len)
{
    switch (opt) {
    case SO_TYPE: return put_int(val, len, s->type);
    case SO_DOMAIN: return put_int(val, len, s->family);
    case SO_PROTOCOL: return put_int(val, len, s->protocol);
    case SO_ERROR: {
        int e = s->so_error;
        s->so_error = 0;
        return put_int(val, len, e);
    }
    case SO_REUSEADDR: return put_int(val, len, s->reuseaddr);
    case SO_REUSEPORT: return put_int(val, len, s->reuseport);
    case SO_KEEPALIVE: return put_int(val, len, s->keepalive);
    case SO_BROADCAST: return put_int(val, len, s->broadcast);
    case SO_PASSCRED: return put_int(val, len, s->passcred);
    case SO_OOBINLINE: return put_int(val, len, s->oobinline);
    case SO_SNDBUF: return put_int(val, len, s->sndbuf);
    case SO_RCVBUF: return put_int(val, len, s->rcvbuf);
    case SO_RCVLOWAT: return put_int(val, len, s->rcvlowat);
    case SO_SNDLOWAT: return put_int(val, len, 1);
    case SO_ACCEPTCONN: return put_int(val, len, s->listening);
    case SO_PRIORITY: case SO_DONTROUTE: case SO_TIMESTAMP: case SO_MARK: case SO_NO_CHECK:
    case SO_BUSY_POLL: case SO_ZEROCOPY:
        return put_int(val, len, 0);
    case SO_INCOMING_CPU: return put_int(val, len, 0);
    case SO_LINGER: {
        struct k_linger l = { s->linger_on, s->linger_secs };
        return put_bytes(val, len, &l, sizeof l);
    }
    case SO_RCVTIMEO:
    case SO_SNDTIMEO: {
        uint64_t ns = opt == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns;
        struct k_timeval tv = { (int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u / 1000u) };
        return put_bytes(val, len, &tv, sizeof tv);
    }
    case SO_PEERCRED: {
        if (s->family != K_AF_UNIX)
            break;
        /* One process, root: the peer is always pid 1, uid 0, gid 0
         * (unless it is not connected, then Linux says pid 0, uid -1). */
        int cred[3] = { 1, 0, 0 };
        return put_bytes(val, len, cred, sizeof cred);
    }
    default:
        break;
    }
    return -ENOPROTOOPT;
}

SHIM_SYSCALL(setsockopt)
{
    struct sock *s;
    long r = sock_fd(fd, &s, NULL);
    if (r < 0)
        return r;
    if (optlen < 0)
        return -EINVAL;
    if (level == K_SOL_SOCKET) {
        r = sol_socket_set(s, optname, optval, optlen);
        if (r < 0)
            return r;
        /* The family applies what it has a use for (lwIP's SOF_*). */
        if (s->ops->setopt)
            s->ops->setopt(s, level, optname, optval, optlen);
        return 0;
    }
    return s->ops->setopt ? s->ops->setopt(s, level, optname, optval, optlen) : -ENOPROTOOPT;
}

SHIM_SYSCALL(getsockopt)
{
    struct sock *s;
    long r = sock_fd(fd, &s, NULL);
    if (r < 0)
        return r;
    if (!optlen)
        return -EFAULT;
    if (*optlen < 0)
        return -EINVAL;
    if (level == K_SOL_SOCKET)
        return sol_socket_get(s, optname, optval, optlen);
    return s->ops->getopt ? s->ops->getopt(s, level, optname, optval, optlen) : -ENOPROTOOPT;
}
