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

/* struct ifreq and struct ifconf of SIOCGIF* (stack.c answers them on
 * kernel copies). */
#define K_IFREQ_SIZE 40
#define K_SIOCOUTQ 0x5411

static long sock_ifconf(long arg)
{
    struct { int len; int pad; void *req; } uc, kc;
    if (copy_from_user(&uc, (void *)arg, sizeof uc))
        return -EFAULT;
    /* One ifreq per interface with an address: a few at most. */
    char buf[8 * K_IFREQ_SIZE];
    kc = uc;
    if (uc.req) {
        kc.req = buf;
        if (kc.len > (int)sizeof buf)
            kc.len = sizeof buf;
    }
    long r = net_ifconf(&kc);
    if (r < 0)
        return r;
    if (uc.req && kc.len > 0 && copy_to_user(uc.req, buf, (size_t)kc.len))
        return -EFAULT;
    return put_user(kc.len, (int *)arg);
}

static long sock_ioctl(struct file *f, unsigned long cmd, long arg)
{
    struct sock *s = sock_of(f);
    if (cmd == 0x8912)                        /* SIOCGIFCONF */
        return sock_ifconf(arg);
    if (cmd >= 0x8910 && cmd <= 0x8940) {     /* SIOCGIF*: in, answer, out */
        char ifr[K_IFREQ_SIZE];
        if (copy_from_user(ifr, (void *)arg, sizeof ifr))
            return -EFAULT;
        long r = net_ifreq(cmd, ifr);
        if (r < 0)
            return r;
        return copy_to_user((void *)arg, ifr, sizeof ifr) ? -EFAULT : 0;
    }
    if (!s->ops->ioctl)
        return -ENOTTY;
    if (cmd == K_FIONREAD || cmd == K_SIOCOUTQ) {
        /* The family answers into a kernel int. */
        int v = 0;
        long r = s->ops->ioctl(s, cmd, (long)&v);
        if (r < 0)
            return r;
        return put_user(v, (int *)arg);
    }
    return s->ops->ioctl(s, cmd, arg);
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
    int kind = type & K_SOCK_TYPE_MASK;
    if (type & ~(K_SOCK_TYPE_MASK | K_SOCK_NONBLOCK | K_SOCK_CLOEXEC))
        return -EINVAL;
    if (family == K_AF_INET || family == K_AF_INET6)
        return -EOPNOTSUPP;
    if (family != K_AF_UNIX)
        return -EAFNOSUPPORT;
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
    /* Linux installs both fds only after writing them out: on a fault
     * the pair is closed again and the call fails. */
    int sv[2] = { (int)fa, (int)fb };
    if (copy_to_user(usockvec, sv, sizeof sv)) {
        fd_close(fa);
        fd_close(fb);
        return -EFAULT;
    }
    return 0;
}

/* ---- addresses -------------------------------------------------------------- */

/* The families only ever see kernel copies of addresses (sockaddr_from_user
 * here, sockaddr_to_user on the way out). */
SHIM_SYSCALL(bind)
{
    struct sock *s;
    long r = sock_fd(fd, &s, NULL);
    if (r < 0)
        return r;
    char addr[K_SOCKADDR_MAX];
    if ((r = sockaddr_from_user(addr, sizeof addr, umyaddr, addrlen)) < 0)
        return r;
    return s->ops->bind(s, addr, addrlen);
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
    struct sock *c;
    r = s->ops->accept(s, &c, (f->flags & K_O_NONBLOCK) != 0);
    if (r < 0)
        return r;
    if (uaddr) {
        /* As Linux: the address goes out before the fd exists; when that
         * faults, the connection is accepted and dropped (EFAULT). */
        char addr[K_SOCKADDR_MAX];
        long alen = c->ops->name(c, 1, addr);
        if (alen < 0)
            alen = 0;
        if ((r = sockaddr_to_user(addr, (uint32_t)alen, uaddr, (uint32_t *)ulen)) < 0) {
            sock_free_unopened(c);
            return r;
        }
    }
    return sock_install(c, (flags & K_SOCK_NONBLOCK) != 0, (flags & K_SOCK_CLOEXEC) != 0);
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
    char addr[K_SOCKADDR_MAX];
    if ((r = sockaddr_from_user(addr, sizeof addr, uservaddr, addrlen)) < 0)
        return r;
    return s->ops->connect(s, addr, addrlen, (f->flags & K_O_NONBLOCK) != 0);
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
    char addr[K_SOCKADDR_MAX];
    long alen = s->ops->name(s, peer, addr);
    if (alen < 0)
        return alen;
    return sockaddr_to_user(addr, (uint32_t)alen, uaddr, (uint32_t *)ulen);
}

SHIM_SYSCALL(getsockname) { return get_name(fd, usockaddr, usockaddr_len, 0); }
SHIM_SYSCALL(getpeername) { return get_name(fd, usockaddr, usockaddr_len, 1); }

/* ---- data ------------------------------------------------------------------- */

/* A message of the app in kernel memory (Linux's copy_msghdr_from_user):
 * the header, the iovecs (each buffer range-checked, the data itself stays
 * the app's and is copied by the families with fault handling), the name
 * and the control data. */
#define MSG_FAST_IOV 8
#define MSG_CTL_MAX 20480          /* net.core.optmem_max's default */
struct kmsg {
    struct k_msghdr h;
    struct net_msg m;
    struct k_iovec fast[MSG_FAST_IOV];
    struct k_iovec *iov;
    char name[K_SOCKADDR_MAX];
    char ctl_fast[64];
    void *ctl;
};

static void kmsg_free(struct kmsg *k)
{
    if (k->iov != k->fast)
        shim_free(k->iov);
    if (k->ctl != k->ctl_fast)
        shim_free(k->ctl);
}

/* iovecs of the app into k (EMSGSIZE past 1024, EFAULT, EINVAL for a
 * negative length), as Linux's import_iovec. */
static long kmsg_iov(struct kmsg *k, const struct k_iovec *uvec, uint64_t cnt)
{
    k->iov = k->fast;
    if (cnt > 1024)
        return -EMSGSIZE;
    if (cnt > MSG_FAST_IOV && !(k->iov = shim_alloc(cnt * sizeof *k->iov))) {
        k->iov = k->fast;
        return -ENOMEM;
    }
    long r = copy_iovecs_from_user(k->iov, uvec, (long)cnt);
    if (r < 0)
        return r;
    for (uint64_t i = 0; i < cnt; i++) {
        if ((int64_t)k->iov[i].len < 0)
            return -EINVAL;
        if (!access_ok(k->iov[i].base, k->iov[i].len))
            return -EFAULT;
    }
    k->m.iov = k->iov;
    k->m.iovlen = cnt;
    return 0;
}

/* Copies the app's msghdr at u in: send (names and control data in) or
 * receive (a name buffer; a kernel control buffer the family fills). */
static long kmsg_in(struct kmsg *k, const struct k_msghdr *u, int send)
{
    k->iov = k->fast;
    k->ctl = k->ctl_fast;
    k->m = (struct net_msg){ 0 };
    if (copy_from_user(&k->h, u, sizeof k->h))
        return -EFAULT;
    if (k->h.namelen < 0)
        return -EINVAL;
    if (k->h.namelen > K_SOCKADDR_MAX)
        k->h.namelen = K_SOCKADDR_MAX;
    if (k->h.iovlen > 1024)
        return -EMSGSIZE;
    long r;
    if (send && k->h.name && k->h.namelen) {
        if ((r = sockaddr_from_user(k->name, sizeof k->name, k->h.name, k->h.namelen)) < 0)
            return r;
        k->m.name = k->name;
        k->m.namelen = k->h.namelen;
    } else if (!send) {
        k->m.name = k->name;
        k->m.namelen = sizeof k->name;
    }
    if ((r = kmsg_iov(k, k->h.iov, k->h.iovlen)) < 0)
        return r;
    /* Send: Linux copies msg_controllen bytes whatever the pointer (NULL
     * with a length is EFAULT). Receive: no buffer, no room. */
    size_t cl = send || k->h.control ? k->h.controllen : 0;
    if (send) {
        if (cl > MSG_CTL_MAX)
            return -ENOBUFS;
    } else if (cl > 4096) {
        cl = 4096;            /* SCM_RIGHTS of 253 fds need 1032 bytes */
    }
    if (cl > sizeof k->ctl_fast && !(k->ctl = shim_alloc(cl))) {
        k->ctl = k->ctl_fast;
        return -ENOMEM;
    }
    if (send && cl && copy_from_user(k->ctl, k->h.control, cl))
        return -EFAULT;
    k->m.control = cl ? k->ctl : NULL;
    k->m.controllen = cl;
    return 0;
}

static long do_send(struct sock *s, struct file *f, struct net_msg *m, unsigned flags)
{
    int nonblock = (f->flags & K_O_NONBLOCK) || (flags & K_MSG_DONTWAIT);
    return s->ops->send(s, m, (int)flags, nonblock);
}

static long do_recv(struct sock *s, struct file *f, struct net_msg *m, unsigned flags)
{
    if (flags & K_MSG_OOB)
        return -EINVAL;          /* no urgent data is ever queued */
    int nonblock = (f->flags & K_O_NONBLOCK) || (flags & K_MSG_DONTWAIT);
    return s->ops->recv(s, m, (int)flags, nonblock);
}

SHIM_SYSCALL(sendto)
{
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    if (r < 0)
        return r;
    if (!access_ok(buff, len))
        return -EFAULT;
    struct k_iovec iov = { buff, len };
    char name[K_SOCKADDR_MAX];
    struct net_msg m = { .iov = &iov, .iovlen = 1 };
    if (addr) {
        if ((r = sockaddr_from_user(name, sizeof name, addr, addr_len)) < 0)
            return r;
        m.name = name;
        m.namelen = addr_len;
    }
    return do_send(s, f, &m, flags);
}

SHIM_SYSCALL(recvfrom)
{
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    if (r < 0)
        return r;
    if (!access_ok(ubuf, size))
        return -EFAULT;
    struct k_iovec iov = { ubuf, size };
    char name[K_SOCKADDR_MAX];
    struct net_msg m = { .iov = &iov, .iovlen = 1, .name = name, .namelen = sizeof name };
    r = do_recv(s, f, &m, flags);
    if (r >= 0 && addr) {
        long e = sockaddr_to_user(name, m.namelen > 0 ? (uint32_t)m.namelen : 0, addr, (uint32_t *)addr_len);
        if (e < 0)
            return e;
    }
    return r;
}

static long msg_send(struct sock *s, struct file *f, const struct k_msghdr *u, unsigned flags)
{
    struct kmsg k;
    long r = kmsg_in(&k, u, 1);
    if (r >= 0)
        r = do_send(s, f, &k.m, flags);
    kmsg_free(&k);
    return r;
}

static long msg_recv(struct sock *s, struct file *f, struct k_msghdr *u, unsigned flags)
{
    struct kmsg k;
    long r = kmsg_in(&k, u, 0);
    if (r >= 0)
        r = do_recv(s, f, &k.m, flags);
    if (r >= 0) {
        /* Linux writes the name, then the flags, then the control length. */
        long e = 0;
        size_t cl = k.m.control ? k.m.controllen : 0;
        if (k.h.name)
            e = sockaddr_to_user(k.name, k.m.namelen > 0 ? (uint32_t)k.m.namelen : 0,
                                 k.h.name, (uint32_t *)&u->namelen);
        if (!e && cl && copy_to_user(k.h.control, k.ctl, cl))
            e = -EFAULT;
        if (!e)
            e = put_user(k.m.flags_out, &u->flags);
        if (!e)
            e = put_user((uint64_t)cl, &u->controllen);
        if (e < 0)
            r = e;
    }
    kmsg_free(&k);
    return r;
}

SHIM_SYSCALL(sendmsg)
{
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    return r < 0 ? r : msg_send(s, f, (const struct k_msghdr *)msg, flags);
}

SHIM_SYSCALL(recvmsg)
{
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    return r < 0 ? r : msg_recv(s, f, (struct k_msghdr *)msg, flags);
}

SHIM_SYSCALL(sendmmsg)
{
    struct k_mmsghdr *v = (struct k_mmsghdr *)msg;
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    if (r < 0)
        return r;
    if (vlen > 1024)
        vlen = 1024;         /* UIO_MAXIOV, as Linux */
    unsigned i;
    for (i = 0; i < vlen; i++) {
        r = msg_send(s, f, &v[i].hdr, flags);
        if (r >= 0 && put_user((unsigned)r, &v[i].len))
            r = -EFAULT;
        if (r < 0)
            return i ? (long)i : r;
    }
    return i;
}

SHIM_SYSCALL(recvmmsg)
{
    struct k_mmsghdr *v = (struct k_mmsghdr *)msg;
    struct sock *s;
    struct file *f;
    long r = sock_fd(fd, &s, &f);
    if (r < 0)
        return r;
    struct k_timespec ts;
    if (timeout) {
        if (copy_from_user(&ts, timeout, sizeof ts))
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
            return -EINVAL;
    }
    if (vlen > 1024)
        vlen = 1024;
    uint64_t deadline = timeout ? platform_monotonic_ns() + (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec : 0;
    unsigned i;
    for (i = 0; i < vlen; i++) {
        r = msg_recv(s, f, &v[i].hdr, flags);
        if (r >= 0 && put_user((unsigned)r, &v[i].len))
            r = -EFAULT;
        if (r < 0) {
            if (i && (r == -EAGAIN || r == -EINTR))
                break;
            return i ? (long)i : r;
        }
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

/* Linux's defaults: net.core.rmem_max and wmem_max (212992), and the
 * minimum buffers of a socket (SOCK_MIN_RCVBUF = 2048 + the truesize of a
 * small skb; SOCK_MIN_SNDBUF twice that). */
#define NET_MEM_MAX 212992u
#define NET_MIN_RCVBUF 2304
#define NET_MIN_SNDBUF 4608

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
    case SO_RCVBUF:
    case SO_RCVBUFFORCE: {
        /* Linux: the value (as unsigned, so a negative one is huge) capped
         * at net.core.[rw]mem_max unless FORCE (the app is root), then
         * doubled for bookkeeping overhead, at least SOCK_MIN_[RCV|SND]BUF. */
        int force = opt == SO_SNDBUFFORCE || opt == SO_RCVBUFFORCE;
        int snd = opt == SO_SNDBUF || opt == SO_SNDBUFFORCE;
        uint32_t u = (uint32_t)v;
        if (!force && u > NET_MEM_MAX)
            u = NET_MEM_MAX;
        if (force && v < 0)
            u = 0;
        int64_t d = (int64_t)u * 2;
        if (d > INT32_MAX)
            d = INT32_MAX;
        int min = snd ? NET_MIN_SNDBUF : NET_MIN_RCVBUF;
        if (d < min)
            d = min;
        if (snd)
            s->sndbuf = (int)d;
        else
            s->rcvbuf = (int)d;
        break;
    }
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

/* Option values are copied in and out here: the families and
 * sol_socket_* see kernel buffers only. A value the app passed that cannot
 * be read whole reaches them as NULL (EFAULT where they need it, after
 * their length checks, as Linux). */
#define OPT_MAX 64

SHIM_SYSCALL(setsockopt)
{
    struct sock *s;
    long r = sock_fd(fd, &s, NULL);
    if (r < 0)
        return r;
    if (optlen < 0)
        return -EINVAL;
    char kval[OPT_MAX];
    size_t n = (size_t)optlen < sizeof kval ? (size_t)optlen : sizeof kval;
    const void *val = kval;
    if (!optval || copy_from_user(kval, optval, n))
        val = NULL;
    if (level == K_SOL_SOCKET) {
        r = sol_socket_set(s, optname, val, optlen);
        if (r < 0)
            return r;
        /* The family applies what it has a use for (lwIP's SOF_*). */
        if (s->ops->setopt)
            s->ops->setopt(s, level, optname, val, optlen);
        return 0;
    }
    return s->ops->setopt ? s->ops->setopt(s, level, optname, val, optlen) : -ENOPROTOOPT;
}

SHIM_SYSCALL(getsockopt)
{
    struct sock *s;
    long r = sock_fd(fd, &s, NULL);
    if (r < 0)
        return r;
    int len;
    if (get_user(len, optlen))
        return -EFAULT;
    if (len < 0)
        return -EINVAL;
    char kval[OPT_MAX];
    int klen = len < (int)sizeof kval ? len : (int)sizeof kval;
    if (level == K_SOL_SOCKET)
        r = sol_socket_get(s, optname, kval, &klen);
    else
        r = s->ops->getopt ? s->ops->getopt(s, level, optname, kval, &klen) : -ENOPROTOOPT;
    if (r < 0)
        return r;
    if (klen > 0 && copy_to_user(optval, kval, (size_t)klen))
        return -EFAULT;
    return put_user(klen, optlen);
}
