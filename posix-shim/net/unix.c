/* AF_UNIX sockets, in the kernel: stream (and seqpacket treated as stream)
 * and datagram, named in the file system (a K_S_IFSOCK vnode linked at the
 * path, as Linux leaves a socket file behind), abstract (name[0] == 0),
 * and socketpair. A stream connection is a pair of socks, each with a
 * receive ring its peer writes into; a listener keeps the server ends
 * until accept. One user: credentials are uid 0.
 *
 * SCM_RIGHTS: the files of a sendmsg's control data are referenced in a
 * struct urights, which travels with a datagram or, on a stream, is queued
 * at the receiver with the stream position of the message's first chunk;
 * recvmsg installs them as new fds in the receiving process's table (fds
 * that do not fit the control buffer are closed, MSG_CTRUNC), as Linux. A
 * stream read takes the rights when it reaches that position and stops at
 * the end of the chunk, as Linux stops after the skb carrying them. */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "net_impl.h"

#define UNIX_BUF (256u * 1024u)     /* stream receive ring */
#define UNIX_DGRAM_QLEN 512          /* net.unix.max_dgram_qlen */

#define SCM_MAX_FD 253                  /* Linux's per-message limit */
#define K_SCM_CREDENTIALS 2

struct urights {
    struct urights *next;
    uint64_t pos, end;               /* stream: the data the files came with */
    int n;
    struct file *f[SCM_MAX_FD];
};

struct umsg {
    struct umsg *next;
    struct urights *rights;
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
    uint64_t wr_total, rd_total;     /* bytes ever queued / consumed */
    struct urights *rq, **rq_tail;   /* rights in the ring, oldest first */
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
    u->rq_tail = &u->rq;
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

/* ---- SCM_RIGHTS ------------------------------------------------------------- */

static void rights_free(struct urights *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++)
        file_put(r->f[i]);
    shim_free(r);
}

#define CMSG_ALIGN8(n) (((n) + 7) & ~(size_t)7)

/* The control data of a send (a kernel copy), as Linux's __scm_send:
 * SOL_SOCKET messages must be SCM_RIGHTS (fds referenced into *out, at
 * most 253 in all) or SCM_CREDENTIALS; other levels are ignored. */
static long rights_from_control(const struct net_msg *m, struct urights **out)
{
    *out = NULL;
    const char *ctl = m->control;
    size_t len = m->control ? m->controllen : 0, off = 0;
    struct urights *r = NULL;
    long err = 0;
    while (len - off >= sizeof(struct k_cmsghdr)) {
        struct k_cmsghdr c;
        memcpy(&c, ctl + off, sizeof c);
        if (c.len < sizeof c || c.len > len - off) {
            err = -EINVAL;
            break;
        }
        if (c.level == K_SOL_SOCKET) {
            if (c.type == K_SCM_RIGHTS) {
                int n = (int)((c.len - sizeof c) / sizeof(int));
                if (n <= 0 || (r ? r->n : 0) + n > SCM_MAX_FD) {
                    err = -EINVAL;
                    break;
                }
                if (!r && !(r = shim_alloc(sizeof *r))) {
                    err = -ENOMEM;
                    break;
                }
                for (int i = 0; i < n; i++) {
                    int fd;
                    memcpy(&fd, ctl + off + sizeof c + (size_t)i * sizeof fd, sizeof fd);
                    struct file *f = fd_file(fd);
                    if (!f) {
                        err = -EBADF;
                        break;
                    }
                    file_get(f);
                    r->f[r->n++] = f;
                }
                if (err)
                    break;
            } else if (c.type == K_SCM_CREDENTIALS) {
                if (c.len != sizeof c + 12) {
                    err = -EINVAL;
                    break;
                }
                /* Root may claim any credentials; nothing is delivered. */
            } else {
                err = -EINVAL;
                break;
            }
        }
        off += CMSG_ALIGN8(c.len);
        if (off > len)
            break;
    }
    if (err) {
        rights_free(r);
        return err;
    }
    *out = r;
    return 0;
}

/* Installs r's files as new fds into the receiver's control buffer, as
 * Linux's scm_detach_fds: as many as fit, MSG_CTRUNC when some do not (those
 * are closed). peek: r stays queued and the fds are duplicates. Consumes r
 * unless peek. */
static void rights_to_control(struct net_msg *m, size_t cap, struct urights *r, int flags, int peek)
{
    m->controllen = 0;
    int fit = cap > sizeof(struct k_cmsghdr) ? (int)((cap - sizeof(struct k_cmsghdr)) / sizeof(int)) : 0;
    int want = r->n < fit ? r->n : fit, i;
    char *ctl = m->control;
    for (i = 0; i < want; i++) {
        file_get(r->f[i]);
        long fd = fd_install(r->f[i], 0, (flags & K_MSG_CMSG_CLOEXEC) != 0);
        if (fd < 0)
            break;
        int v = (int)fd;
        memcpy(ctl + sizeof(struct k_cmsghdr) + (size_t)i * sizeof v, &v, sizeof v);
    }
    if (i > 0) {
        struct k_cmsghdr c = { sizeof c + (size_t)i * sizeof(int), K_SOL_SOCKET, K_SCM_RIGHTS };
        memcpy(ctl, &c, sizeof c);
        size_t used = CMSG_ALIGN8(c.len);
        m->controllen = used < cap ? used : cap;
    }
    if (i < r->n)
        m->flags_out |= K_MSG_CTRUNC;
    if (!peek)
        rights_free(r);
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

/* Copies n bytes between the message's iov (from offset moff) and a
 * stream ring (from pos, wrapping): into the ring (send) or out of it.
 * Returns n, or 0 when the app's buffer faulted part way: the chunk then
 * counts as not copied at all. */
static size_t ring_xfer(const struct net_msg *m, size_t moff, char *ring, size_t pos, size_t n, int into_ring)
{
    for (size_t k = 0; k < n;) {
        size_t run = UNIX_BUF - pos;
        if (run > n - k)
            run = n - k;
        size_t got = into_ring ? net_iov_to(m, moff + k, ring + pos, run)
                               : net_iov_from(m, moff + k, ring + pos, run);
        if (got < run)
            return 0;
        pos = (pos + run) % UNIX_BUF;
        k += run;
    }
    return n;
}

static long unix_send_stream_data(struct sock *s, struct usock *u, struct net_msg *m, int flags,
                                  int nonblock, size_t total, struct urights **rights);

static long unix_send_stream(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    struct usock *u = us_of(s);
    size_t total = net_msg_len(m);
    struct urights *rights;
    long r0 = rights_from_control(m, &rights);
    if (r0 < 0)
        return r0;
    if (!u->connected) {
        rights_free(rights);
        return -ENOTCONN;
    }
    long ret = unix_send_stream_data(s, u, m, flags, nonblock, total, &rights);
    rights_free(rights);     /* not sent (no data went): dropped, as Linux */
    return ret;
}

/* The data of a stream send; *rights go with the first chunk (and are
 * then NULL). */
static long unix_send_stream_data(struct sock *s, struct usock *u, struct net_msg *m, int flags,
                                  int nonblock, size_t total, struct urights **rights)
{
    size_t done = 0;
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
        /* Linux copies a send into one skb (up to half the send buffer)
         * and drops the skb whole on a fault: so is this chunk; earlier
         * ones stay sent. */
        size_t k = ring_xfer(m, done, p->buf, (p->head + p->count) % UNIX_BUF, c, 1);
        int fault = k < c;
        if (k && *rights) {
            (*rights)->pos = p->wr_total;
            (*rights)->end = p->wr_total + k;
            *p->rq_tail = *rights;
            p->rq_tail = &(*rights)->next;
            *rights = NULL;
        }
        p->count += k;
        p->wr_total += k;
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
    size_t ctlcap = m->control ? m->controllen : 0;
    m->namelen = 0;
    m->controllen = 0;
    if (!u->connected)
        return -EINVAL;
    for (;;) {
        if (u->count) {
            size_t c = want - done < u->count ? want - done : u->count;
            /* Rights in this range: the read ends with their chunk. */
            struct urights *r = u->rq;
            int take = r && c && r->pos < u->rd_total + c;
            if (take && r->end - u->rd_total < c)
                c = (size_t)(r->end - u->rd_total);
            /* Linux's read actor fails for the whole chunk, which stays
             * queued (as does everything here). */
            size_t k = ring_xfer(m, done, u->buf, u->head, c, 0);
            int fault = k < c;
            size_t h = (u->head + k) % UNIX_BUF;
            c = k;
            if (take && c && r->pos < u->rd_total + c) {
                if (!(flags & K_MSG_PEEK)) {
                    u->rq = r->next;
                    if (!u->rq)
                        u->rq_tail = &u->rq;
                }
                rights_to_control(m, ctlcap, r, flags, (flags & K_MSG_PEEK) != 0);
            } else {
                take = 0;
            }
            if (!(flags & K_MSG_PEEK) && c) {
                u->rd_total += c;
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
            if (take)
                return (long)done;   /* Linux: a read ends with the chunk that carried files */
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

static long unix_send_dgram_to(struct sock *s, struct net_msg *m, int flags, int nonblock,
                               struct urights **rights);

static long unix_send_dgram(struct sock *s, struct net_msg *m, int flags, int nonblock)
{
    struct urights *rights;
    long r = rights_from_control(m, &rights);
    if (r < 0)
        return r;
    r = unix_send_dgram_to(s, m, flags, nonblock, &rights);
    rights_free(rights);      /* NULL once queued with the datagram */
    return r;
}

static long unix_send_dgram_to(struct sock *s, struct net_msg *m, int flags, int nonblock,
                               struct urights **rights)
{
    struct usock *u = us_of(s);
    struct usock *t;
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
    msg->rights = *rights;
    *rights = NULL;
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
    size_t ctlcap = m->control ? m->controllen : 0;
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
    if (msg->rights && !fault) {
        rights_to_control(m, ctlcap, msg->rights, flags, (flags & K_MSG_PEEK) != 0);
        if (!(flags & K_MSG_PEEK))
            msg->rights = NULL;
    }
    if (!(flags & K_MSG_PEEK)) {
        u->dq = msg->next;
        if (!u->dq)
            u->dq_tail = &u->dq;
        u->dq_len--;
        u->dq_bytes -= len;
        rights_free(msg->rights);
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
        rights_free(m->rights);
        shim_free(m);
    }
    while (u->rq) {
        struct urights *r = u->rq;
        u->rq = r->next;
        rights_free(r);
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
