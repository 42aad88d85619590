/* AF_UNIX sockets, in the kernel: stream (and seqpacket treated as stream)
 * and datagram, named in the file system (a K_S_IFSOCK vnode linked at the
 * path, as Linux leaves a socket file behind), abstract (name[0] == 0),
 * and socketpair. A stream connection is a pair of socks, each with a
 * receive ring its peer writes into; a listener keeps the server ends
 * until accept. One process, one user: credentials are pid 1, uid 0. */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "net_impl.h"

#define UNIX_BUF (256u * 1024u)     /* stream receive ring */
#define UNIX_DGRAM_QLEN 512          /* net.unix.max_dgram_qlen */

struct umsg {
    struct umsg *next;
    size_t len;
    int fromlen;
    char from[sizeof(struct k_sockaddr_un)];
    char data[];
};

struct usock {
    struct sock *s;
    struct usock *peer;              /* connected to (stream: the other end) */
    int connected;
    int peer_gone;                   /* the other end closed or shut down writing */
    /* stream receive ring */
    char *buf;
    size_t head, count;
    /* listener */
    struct usock *acceptq, **acceptq_tail;
    int qlen, backlog;
    /* datagram queue */
    struct umsg *dq, **dq_tail;
    int dq_len;
    size_t dq_bytes;
    /* name: len bytes of sun_path (abstract: starting with 0) */
    int namelen;
    char name[108];
    struct vnode *file;              /* the socket file of a path name (referenced) */
    struct usock *next_bound;
};

static struct usock *bound;          /* every socket with a name */

static struct usock *us_of(struct sock *s) { return s->priv; }

static const struct sock_ops unix_stream_ops, unix_dgram_ops;

static long us_new(int type, int protocol, struct sock **out)
{
    struct sock *s = sock_alloc(K_AF_UNIX, type, protocol,
                                type == K_SOCK_DGRAM ? &unix_dgram_ops : &unix_stream_ops);
    struct usock *u = shim_alloc(sizeof *u);
    if (!s || !u) {
        if (s) {
            s->ops = NULL;
            sock_free_unopened(s);
        }
        shim_free(u);
        return -ENOMEM;
    }
    u->s = s;
    u->acceptq_tail = &u->acceptq;
    u->dq_tail = &u->dq;
    s->priv = u;
    *out = s;
    return 0;
}

long unix_create(int type, int protocol, struct sock **out)
{
    if (type != K_SOCK_STREAM && type != K_SOCK_DGRAM && type != K_SOCK_SEQPACKET)
        return -ESOCKTNOSUPPORT;
    if (protocol != 0 && protocol != K_AF_UNIX)
        return -EPROTONOSUPPORT;
    return us_new(type, 0, out);
}

static void link_pair(struct usock *a, struct usock *b)
{
    a->peer = b;
    b->peer = a;
    a->connected = b->connected = 1;
}

static long ensure_buf(struct usock *u)
{
    if (u->buf || u->s->type == K_SOCK_DGRAM)
        return 0;
    u->buf = shim_alloc(UNIX_BUF);
    return u->buf ? 0 : -ENOMEM;
}

long unix_pair(int type, int protocol, struct sock **a, struct sock **b)
{
    long r = unix_create(type, protocol, a);
    if (r < 0)
        return r;
    if ((r = unix_create(type, protocol, b)) < 0) {
        sock_free_unopened(*a);
        return r;
    }
    if (ensure_buf(us_of(*a)) < 0 || ensure_buf(us_of(*b)) < 0) {
        sock_free_unopened(*a);
        sock_free_unopened(*b);
        return -ENOMEM;
    }
    link_pair(us_of(*a), us_of(*b));
    return 0;
}

/* ---- names ------------------------------------------------------------------ */

/* The name in a sockaddr_un: abstract names are all len-2 bytes, path
 * names end at the first NUL. Returns its length or -errno. */
static long parse_name(const void *addr, int len, char *name)
{
    const struct k_sockaddr_un *a = addr;
    if (len < 2 || len > (int)sizeof *a)
        return -EINVAL;
    if (a->family != K_AF_UNIX)
        return -EINVAL;
    int n = len - 2;
    if (n == 0)
        return 0;
    if (a->path[0] == 0) {
        memcpy(name, a->path, (size_t)n);
        return n;
    }
    int k = 0;
    while (k < n && a->path[k])
        k++;
    if (k >= (int)sizeof a->path)
        return -EINVAL;
    memcpy(name, a->path, (size_t)k);
    name[k] = 0;
    return k;
}

static long put_name(const struct usock *u, void *addr)
{
    struct k_sockaddr_un *a = addr;
    memset(a, 0, sizeof *a);
    a->family = K_AF_UNIX;
    if (!u || !u->namelen)
        return 2;
    memcpy(a->path, u->name, (size_t)u->namelen);
    return 2 + u->namelen + (u->name[0] ? 1 : 0);
}

static long sockfile_open(struct vnode *vn, struct file *f)
{
    (void)vn;
    (void)f;
    return -ENXIO;        /* open(2) of a socket file, as Linux */
}

static const struct vnode_ops sockfile_ops = { .open = sockfile_open };

/* Resolves a path name to its vnode (referenced). */
static long path_vnode(const char *name, struct vnode **out)
{
    return vfs_resolve(K_AT_FDCWD, name, 1, out);
}

/* Makes the socket file for a path name: EADDRINUSE if the name exists. */
static long make_sockfile(const char *name, struct vnode **out)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    size_t blen = strlen(base);
    if (blen == 0)
        return -EINVAL;
    char dirpath[108];
    if (!slash) {
        dirpath[0] = '.';
        dirpath[1] = 0;
    } else if (slash == name) {
        dirpath[0] = '/';
        dirpath[1] = 0;
    } else {
        memcpy(dirpath, name, (size_t)(slash - name));
        dirpath[slash - name] = 0;
    }
    struct vnode *dir;
    long r = vfs_resolve(K_AT_FDCWD, dirpath, 1, &dir);
    if (r < 0)
        return r;
    if (!K_S_ISDIR(dir->mode)) {
        vnode_put(dir);
        return -ENOTDIR;
    }
    struct vnode *old = vfs_dir_find(dir, base, blen);
    if (old) {
        vnode_put(dir);
        return -EADDRINUSE;
    }
    struct vnode *vn = vnode_new(K_S_IFSOCK | 0755, &sockfile_ops);
    if (!vn) {
        vnode_put(dir);
        return -ENOMEM;
    }
    r = vfs_link(dir, base, blen, vn);
    vnode_put(dir);
    if (r < 0) {
        vn->refs++;
        vnode_put(vn);
        return r;
    }
    vnode_get(vn);
    *out = vn;
    return 0;
}

static struct usock *lookup(const char *name, int len, long *err)
{
    *err = -ECONNREFUSED;
    if (len > 0 && name[0] == 0) {
        for (struct usock *u = bound; u; u = u->next_bound)
            if (u->namelen == len && !u->file && !memcmp(u->name, name, (size_t)len))
                return u;
        return NULL;
    }
    struct vnode *vn;
    long r = path_vnode(name, &vn);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    struct usock *found = NULL;
    for (struct usock *u = bound; u; u = u->next_bound)
        if (u->file == vn)
            found = u;
    vnode_put(vn);
    return found;
}

static long unix_bind(struct sock *s, const void *addr, int len)
{
    struct usock *u = us_of(s);
    char name[108];
    long n = parse_name(addr, len, name);
    if (n < 0)
        return n;
    if (u->namelen)
        return -EINVAL;
    if (n == 0)
        return -EINVAL;         /* autobind is not supported */
    if (name[0] == 0) {
        long err;
        if (lookup(name, (int)n, &err))
            return -EADDRINUSE;
    } else {
        long r = make_sockfile(name, &u->file);
        if (r < 0)
            return r;
    }
    memcpy(u->name, name, (size_t)n);
    u->namelen = (int)n;
    u->next_bound = bound;
    bound = u;
    return 0;
}

static void unbind(struct usock *u)
{
    for (struct usock **pp = &bound; *pp; pp = &(*pp)->next_bound)
        if (*pp == u) {
            *pp = u->next_bound;
            break;
        }
    if (u->file)
        vnode_put(u->file);
    u->file = NULL;
}

static long unix_name(struct sock *s, int peer, void *addr)
{
    struct usock *u = us_of(s);
    if (peer) {
        if (!u->connected || !u->peer)
            return u->connected && s->type != K_SOCK_DGRAM ? put_name(NULL, addr) : -ENOTCONN;
        return put_name(u->peer, addr);
    }
    return put_name(u, addr);
}

/* ---- stream ----------------------------------------------------------------- */

static long unix_listen(struct sock *s, int backlog)
{
    struct usock *u = us_of(s);
    if (s->type == K_SOCK_DGRAM)
        return -EOPNOTSUPP;
    if (!u->namelen || u->connected)
        return -EINVAL;
    u->backlog = backlog < 1 ? 1 : backlog;
    s->listening = 1;
    sock_wake(s);
    return 0;
}

static long unix_connect_stream(struct sock *s, const void *addr, int len, int nonblock)
{
    struct usock *u = us_of(s);
    char name[108];
    long n = parse_name(addr, len, name);
    if (n < 0)
        return n;
    if (n == 0)
        return -EINVAL;
    if (u->connected)
        return -EISCONN;
    if (s->listening)
        return -EINVAL;
    long err;
    struct usock *l = lookup(name, (int)n, &err);
    if (!l)
        return err;
    if (l->s->type != s->type)
        return -EPROTOTYPE;
    if (!l->s->listening)
        return -ECONNREFUSED;
    while (l->qlen > l->backlog) {
        if (nonblock)
            return -EAGAIN;
        long r = SOCK_WAIT(l->s, !l->s->listening || l->qlen <= l->backlog, s->sndtimeo_ns);
        if (r < 0)
            return r;
        if (!l->s->listening)
            return -ECONNREFUSED;
    }
    struct sock *srv;
    long r = us_new(s->type, 0, &srv);
    if (r < 0)
        return r;
    struct usock *sv = us_of(srv);
    if (ensure_buf(u) < 0 || ensure_buf(sv) < 0) {
        sock_free_unopened(srv);
        return -ENOMEM;
    }
    memcpy(sv->name, l->name, (size_t)l->namelen);
    sv->namelen = l->namelen;
    link_pair(u, sv);
    *l->acceptq_tail = sv;
    l->acceptq_tail = &sv->next_bound;   /* the queue's link: server ends are never bound */
    l->qlen++;
    sock_wake(l->s);
    sock_wake(s);
    return 0;
}

static long unix_accept(struct sock *s, struct sock **out, int nonblock)
{
    struct usock *u = us_of(s);
    if (s->type == K_SOCK_DGRAM)
        return -EOPNOTSUPP;
    if (!u->acceptq) {
        if (nonblock)
            return -EAGAIN;
        long r = SOCK_WAIT(s, u->acceptq != NULL, s->rcvtimeo_ns);
        if (r < 0)
            return r;
    }
    struct usock *c = u->acceptq;
    u->acceptq = c->next_bound;
    if (!u->acceptq)
        u->acceptq_tail = &u->acceptq;
    c->next_bound = NULL;
    u->qlen--;
    sock_wake(s);            /* a connecter may wait for room in the queue */
    *out = c->s;
    return 0;
}

static size_t ring_space(const struct usock *u) { return UNIX_BUF - u->count; }

static long unix_send_stream(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    struct usock *u = us_of(s);
    size_t total = net_msg_len(m), done = 0;
    if (!u->connected)
        return -ENOTCONN;
    m->controllen = 0;
    while (done < total || total == 0) {
        struct usock *p = u->peer;
        if (s->shut_wr || !p || p->s->shut_rd)
            return done ? (long)done : sock_epipe(flags);
        if (total == 0)
            return 0;
        size_t space = ring_space(p);
        if (space == 0) {
            if (nonblock)
                return done ? (long)done : -EAGAIN;
            long r = SOCK_WAIT(s, !u->peer || s->shut_wr || ring_space(u->peer) > 0, s->sndtimeo_ns);
            if (r < 0)
                return done ? (long)done : r;
            continue;
        }
        size_t c = total - done < space ? total - done : space;
        size_t tail = (p->head + p->count) % UNIX_BUF, k = 0;
        int fault = 0;
        while (k < c) {
            size_t run = UNIX_BUF - tail;
            if (run > c - k)
                run = c - k;
            size_t got = net_iov_to(m, done + k, p->buf + tail, run);
            tail = (tail + got) % UNIX_BUF;
            k += got;
            if (got < run) {
                fault = 1;   /* the app's buffer ends here: as Linux, what came before is sent */
                break;
            }
        }
        p->count += k;
        done += k;
        if (k)
            sock_wake(p->s);
        if (fault)
            return done ? (long)done : -EFAULT;
    }
    return (long)done;
}

static long unix_recv_stream(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    struct usock *u = us_of(s);
    size_t want = net_msg_len(m), done = 0;
    m->namelen = 0;
    m->controllen = 0;
    if (!u->connected)
        return -EINVAL;
    for (;;) {
        if (u->count) {
            size_t c = want - done < u->count ? want - done : u->count;
            size_t h = u->head, k = 0;
            int fault = 0;
            while (k < c) {
                size_t run = UNIX_BUF - h;
                if (run > c - k)
                    run = c - k;
                size_t got = net_iov_from(m, done + k, u->buf + h, run);
                h = (h + got) % UNIX_BUF;
                k += got;
                if (got < run) {
                    fault = 1;   /* as Linux: the rest stays queued */
                    break;
                }
            }
            c = k;
            if (!(flags & K_MSG_PEEK)) {
                u->head = h;
                u->count -= c;
                if (!u->count)
                    u->head = 0;
                if (u->peer)
                    sock_wake(u->peer->s);
                sock_wake(s);
            }
            done += c;
            if (fault)
                return done ? (long)done : -EFAULT;
            if (done == want || !(flags & K_MSG_WAITALL) || (flags & K_MSG_PEEK))
                return (long)done;
            continue;
        }
        if (want == 0 || u->peer_gone || s->shut_rd || done)
            return (long)done;
        if (nonblock)
            return -EAGAIN;
        long r = SOCK_WAIT(s, u->count || u->peer_gone || s->shut_rd, s->rcvtimeo_ns);
        if (r < 0)
            return done ? (long)done : r;
    }
}

static long unix_shutdown(struct sock *s, int how)
{
    struct usock *u = us_of(s);
    if (!u->connected)
        return -ENOTCONN;
    if (how != K_SHUT_WR)
        s->shut_rd = 1;
    if (how != K_SHUT_RD) {
        s->shut_wr = 1;
        if (u->peer) {
            u->peer->peer_gone = 1;
            sock_wake(u->peer->s);
        }
    }
    /* Linux mirrors a shutdown on the peer of a connected pair. */
    if (u->peer && how != K_SHUT_WR)
        u->peer->s->shut_wr = 1;
    sock_wake(s);
    return 0;
}

static unsigned unix_poll_stream(struct sock *s)
{
    struct usock *u = us_of(s);
    if (s->listening)
        return u->acceptq ? K_POLLIN | K_POLLRDNORM : 0;
    unsigned m = 0;
    if (u->count || u->peer_gone || s->shut_rd)
        m |= K_POLLIN | K_POLLRDNORM;
    if (u->peer_gone || s->shut_rd)
        m |= K_POLLRDHUP;
    if (!u->connected)
        return K_POLLOUT | K_POLLWRNORM | K_POLLHUP;
    if ((u->peer_gone && s->shut_wr) || (!u->peer && u->peer_gone))
        m |= K_POLLHUP;
    if (u->peer && !s->shut_wr && ring_space(u->peer) > 0)
        m |= K_POLLOUT | K_POLLWRNORM;
    else if (!u->peer || s->shut_wr)
        m |= K_POLLOUT | K_POLLWRNORM;     /* writing fails at once (EPIPE) */
    return m;
}

/* ---- datagram --------------------------------------------------------------- */

static long unix_connect_dgram(struct sock *s, const void *addr, int len, int nonblock)
{
    (void)nonblock;
    struct usock *u = us_of(s);
    const struct k_sockaddr *sa = addr;
    if (len >= 2 && sa->family == K_AF_UNSPEC) {
        u->peer = NULL;
        u->connected = 0;
        return 0;
    }
    char name[108];
    long n = parse_name(addr, len, name);
    if (n < 0)
        return n;
    if (n == 0)
        return -EINVAL;
    long err;
    struct usock *t = lookup(name, (int)n, &err);
    if (!t)
        return err;
    if (t->s->type != K_SOCK_DGRAM)
        return -EPROTOTYPE;
    u->peer = t;
    u->connected = 1;
    return 0;
}

static long unix_send_dgram(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    struct usock *u = us_of(s);
    struct usock *t;
    m->controllen = 0;
    if (m->name && m->namelen > 0) {
        char name[108];
        long n = parse_name(m->name, m->namelen, name);
        if (n < 0)
            return n;
        long err;
        if (!(t = lookup(name, (int)n, &err)))
            return err;
        if (t->s->type != K_SOCK_DGRAM)
            return -EPROTOTYPE;
    } else if (u->connected) {
        t = u->peer;
        if (!t)
            return -ECONNREFUSED;
    } else {
        return -ENOTCONN;
    }
    if (s->shut_wr)
        return sock_epipe(flags);
    size_t len = net_msg_len(m);
    if (len > (size_t)s->sndbuf)
        return -EMSGSIZE;
    while (t->dq_len >= UNIX_DGRAM_QLEN || t->dq_bytes + len > (size_t)t->s->rcvbuf) {
        if (nonblock)
            return -EAGAIN;
        struct usock *target = t;
        long r = SOCK_WAIT(s, target->dq_len < UNIX_DGRAM_QLEN &&
                           target->dq_bytes + len <= (size_t)target->s->rcvbuf, s->sndtimeo_ns);
        if (r < 0)
            return r;
    }
    struct umsg *msg = shim_alloc(sizeof *msg + len);
    if (!msg)
        return -ENOBUFS;
    msg->len = len;
    if (net_iov_to(m, 0, msg->data, len) < len) {
        shim_free(msg);
        return -EFAULT;      /* a datagram goes whole or not at all */
    }
    msg->fromlen = u->namelen ? (int)put_name(u, msg->from) : 0;
    *t->dq_tail = msg;
    t->dq_tail = &msg->next;
    t->dq_len++;
    t->dq_bytes += len;
    sock_wake(t->s);
    return (long)len;
}

static long unix_recv_dgram(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    struct usock *u = us_of(s);
    m->controllen = 0;
    if (!u->dq) {
        if (s->shut_rd)
            return 0;
        if (nonblock)
            return -EAGAIN;
        long r = SOCK_WAIT(s, u->dq || s->shut_rd, s->rcvtimeo_ns);
        if (r < 0)
            return r;
        if (!u->dq)
            return 0;
    }
    struct umsg *msg = u->dq;
    size_t want = net_msg_len(m);
    size_t c = want < msg->len ? want : msg->len;
    /* A fault drops the datagram (unless peeking) and fails, as Linux. */
    int fault = net_iov_from(m, 0, msg->data, c) < c;
    m->flags_out = c < msg->len ? K_MSG_TRUNC : 0;
    if (m->name) {
        m->namelen = msg->fromlen;
        memcpy(m->name, msg->from, (size_t)msg->fromlen);
    }
    size_t len = msg->len;
    if (!(flags & K_MSG_PEEK)) {
        u->dq = msg->next;
        if (!u->dq)
            u->dq_tail = &u->dq;
        u->dq_len--;
        u->dq_bytes -= len;
        shim_free(msg);
        wake_all(&shim_poll_wq);
        /* Senders blocked on our full queue sleep on their own queues:
         * wake every socket connected to us (few) through poll's queue and
         * their own. */
        for (struct usock *b = bound; b; b = b->next_bound)
            if (b->peer == u)
                sock_wake(b->s);
    }
    if (fault)
        return -EFAULT;
    return (long)((flags & K_MSG_TRUNC) ? len : c);
}

static long unix_shutdown_dgram(struct sock *s, int how)
{
    struct usock *u = us_of(s);
    if (!u->connected)
        return -ENOTCONN;
    if (how != K_SHUT_WR)
        s->shut_rd = 1;
    if (how != K_SHUT_RD)
        s->shut_wr = 1;
    sock_wake(s);
    return 0;
}

static unsigned unix_poll_dgram(struct sock *s)
{
    struct usock *u = us_of(s);
    unsigned m = 0;
    if (u->dq || s->shut_rd)
        m |= K_POLLIN | K_POLLRDNORM;
    if (!u->connected || !u->peer ||
        (u->peer->dq_len < UNIX_DGRAM_QLEN && u->peer->dq_bytes < (size_t)u->peer->s->rcvbuf))
        m |= K_POLLOUT | K_POLLWRNORM;
    return m;
}

static long unix_ioctl(struct sock *s, unsigned long cmd, long arg)
{
    struct usock *u = us_of(s);
    int *v = (int *)arg;
    if (cmd == K_FIONREAD || cmd == 0x5411 /* SIOCOUTQ */) {
        if (!v)
            return -EFAULT;
        if (cmd == 0x5411)
            *v = 0;
        else if (s->type == K_SOCK_DGRAM)
            *v = u->dq ? (int)u->dq->len : 0;
        else
            *v = (int)u->count;
        return 0;
    }
    return -ENOTTY;
}

static void unix_close(struct sock *s)
{
    struct usock *u = us_of(s);
    if (!u)
        return;
    /* Pending connections never accepted: their clients see EOF. */
    while (u->acceptq) {
        struct usock *c = u->acceptq;
        u->acceptq = c->next_bound;
        c->next_bound = NULL;
        sock_free_unopened(c->s);
    }
    s->listening = 0;
    if (s->type != K_SOCK_DGRAM && u->peer) {
        u->peer->peer = NULL;
        u->peer->peer_gone = 1;
        sock_wake(u->peer->s);
    }
    /* Datagram sockets connected to this one now get ECONNREFUSED. */
    for (struct usock *b = bound; b; b = b->next_bound)
        if (b->peer == u)
            b->peer = NULL;
    if (s->type == K_SOCK_DGRAM && u->peer && u->peer->peer == u)
        u->peer->peer = NULL;
    unbind(u);
    while (u->dq) {
        struct umsg *m = u->dq;
        u->dq = m->next;
        shim_free(m);
    }
    shim_free(u->buf);
    shim_free(u);
    s->priv = NULL;
    wake_all(&shim_poll_wq);
}

static const struct sock_ops unix_stream_ops = {
    .bind = unix_bind,
    .listen = unix_listen,
    .accept = unix_accept,
    .connect = unix_connect_stream,
    .shutdown = unix_shutdown,
    .send = unix_send_stream,
    .recv = unix_recv_stream,
    .name = unix_name,
    .poll = unix_poll_stream,
    .ioctl = unix_ioctl,
    .close = unix_close,
};

static const struct sock_ops unix_dgram_ops = {
    .bind = unix_bind,
    .connect = unix_connect_dgram,
    .shutdown = unix_shutdown_dgram,
    .send = unix_send_dgram,
    .recv = unix_recv_dgram,
    .name = unix_name,
    .poll = unix_poll_dgram,
    .ioctl = unix_ioctl,
    .close = unix_close,
};
