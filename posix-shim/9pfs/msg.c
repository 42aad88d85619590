/* 9P2000.L messages: encoding the T-messages the client sends, decoding
 * the R-messages, one round trip at a time over the mount's transport.
 * Layouts follow Linux's net/9p and QEMU's hw/9pfs (little endian; a
 * string is a 16-bit length and its bytes). */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/errno.h"
#include "shim/kabi.h"
#include "p9_impl.h"

enum {
    RLERROR = 7,
    TSTATFS = 8, TLOPEN = 12, TLCREATE = 14, TSYMLINK = 16, TREADLINK = 22, TGETATTR = 24,
    TSETATTR = 26, TREADDIR = 40, TFSYNC = 50, TLINK = 70, TMKDIR = 72, TRENAMEAT = 74, TUNLINKAT = 76,
    TVERSION = 100, TATTACH = 104, TWALK = 110, TREAD = 116, TWRITE = 118, TCLUNK = 120,
};

#define P9_GETATTR_BASIC 0x7ffull

/* ---- encoding ----------------------------------------------------------- */

struct enc {
    struct p9_mount *m;
    size_t n;
    int overflow;
};

static void put(struct enc *e, const void *p, size_t n)
{
    if (e->n + n > e->m->msize) {
        e->overflow = 1;
        return;
    }
    memcpy(e->m->tx + e->n, p, n);
    e->n += n;
}

/* x86_64 is little endian, as 9P: the bytes of the value are the wire's. */
static void put8(struct enc *e, uint8_t v) { put(e, &v, 1); }
static void put16(struct enc *e, uint16_t v) { put(e, &v, 2); }
static void put32(struct enc *e, uint32_t v) { put(e, &v, 4); }
static void put64(struct enc *e, uint64_t v) { put(e, &v, 8); }

static void putstr(struct enc *e, const char *s, size_t len)
{
    if (len > 0xffff) {
        e->overflow = 1;
        return;
    }
    put16(e, (uint16_t)len);
    put(e, s, len);
}

/* ---- decoding ----------------------------------------------------------- */

struct dec {
    const uint8_t *p;
    size_t n;
    int short_;
};

static void get(struct dec *d, void *out, size_t n)
{
    if (d->n < n) {
        d->short_ = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, d->p, n);
    d->p += n;
    d->n -= n;
}

static uint8_t get8(struct dec *d) { uint8_t v; get(d, &v, 1); return v; }
static uint16_t get16(struct dec *d) { uint16_t v; get(d, &v, 2); return v; }
static uint32_t get32(struct dec *d) { uint32_t v; get(d, &v, 4); return v; }
static uint64_t get64(struct dec *d) { uint64_t v; get(d, &v, 8); return v; }

static void getqid(struct dec *d, struct p9_qid *q)
{
    q->type = get8(d);
    q->version = get32(d);
    q->path = get64(d);
}

/* A string: points into the reply. */
static const char *getstr(struct dec *d, size_t *len)
{
    size_t l = get16(d);
    if (d->n < l) {
        d->short_ = 1;
        *len = 0;
        return "";
    }
    const char *s = (const char *)d->p;
    d->p += l;
    d->n -= l;
    *len = l;
    return s;
}

/* ---- one round trip ----------------------------------------------------- */

/* The mount's buffers belong to one request at a time: a caller that
 * finds it busy (another thread slept in the transport) waits. */
static void begin(struct p9_mount *m, struct enc *e, uint8_t type)
{
    wait_event(&m->idle, !m->busy);
    m->busy = 1;
    e->m = m;
    e->n = 0;
    e->overflow = 0;
    put32(e, 0);                 /* size, filled in by rpc */
    put8(e, type);
    put16(e, 0);                 /* tag: one request at a time */
}

static void end(struct p9_mount *m)
{
    m->busy = 0;
    wake_all(&m->idle);
}

/* Sends e's message; on success d holds the reply's body (after the
 * header) of type request + 1. The caller calls end() after decoding. */
static long rpc(struct enc *e, struct dec *d)
{
    struct p9_mount *m = e->m;
    if (e->overflow)
        return -ENAMETOOLONG;    /* only names or link targets can overflow */
    uint32_t size = (uint32_t)e->n;
    memcpy(m->tx, &size, 4);
    long r = m->t->rpc(m->t, m->tx, e->n, m->rx, m->msize);
    if (r < 0)
        return r;
    if (r < 7)
        return -EIO;
    uint32_t rsize;
    memcpy(&rsize, m->rx, 4);
    uint8_t type = m->rx[4];
    if (rsize > (uint64_t)r || rsize < 7)
        return -EIO;
    d->p = m->rx + 7;
    d->n = rsize - 7;
    d->short_ = 0;
    if (type == RLERROR) {
        uint32_t ecode = get32(d);
        return d->short_ || ecode == 0 || ecode > 4095 ? -EIO : -(long)ecode;
    }
    if (type != m->tx[4] + 1)
        return -EIO;
    return 0;
}

/* A call whose reply carries nothing the caller needs. */
static long finish(struct enc *e)
{
    struct dec d;
    long r = rpc(e, &d);
    end(e->m);
    return r;
}

/* ---- the calls ------------------------------------------------------------ */

long p9_version(struct p9_mount *m, uint32_t msize)
{
    struct enc e;
    struct dec d;
    m->msize = 4096 < msize ? 4096 : msize;     /* until negotiated */
    begin(m, &e, TVERSION);
    e.m->tx[5] = e.m->tx[6] = 0xff;             /* NOTAG */
    put32(&e, msize);
    putstr(&e, "9P2000.L", 8);
    long r = rpc(&e, &d);
    if (r == 0) {
        uint32_t got = get32(&d);
        size_t vl;
        const char *v = getstr(&d, &vl);
        if (d.short_ || vl != 8 || memcmp(v, "9P2000.L", 8) != 0 || got < 4096)
            r = -EIO;
        else
            m->msize = got < msize ? got : msize;
    }
    end(m);
    return r;
}

long p9_attach(struct p9_mount *m, uint32_t fid)
{
    struct enc e;
    begin(m, &e, TATTACH);
    put32(&e, fid);
    put32(&e, P9_NOFID);         /* no authentication */
    putstr(&e, "root", 4);
    putstr(&e, "", 0);           /* the export's root */
    put32(&e, 0);                /* n_uname: uid 0 */
    return finish(&e);
}

long p9_walk(struct p9_mount *m, uint32_t fid, uint32_t newfid, int nnames, const char *const *names,
             const size_t *lens)
{
    struct enc e;
    struct dec d;
    begin(m, &e, TWALK);
    put32(&e, fid);
    put32(&e, newfid);
    put16(&e, (uint16_t)nnames);
    for (int i = 0; i < nnames; i++)
        putstr(&e, names[i], lens[i]);
    long r = rpc(&e, &d);
    /* A partial walk succeeds with fewer qids and does not make newfid. */
    if (r == 0 && get16(&d) != nnames)
        r = -ENOENT;
    end(m);
    return r;
}

long p9_clunk(struct p9_mount *m, uint32_t fid)
{
    struct enc e;
    begin(m, &e, TCLUNK);
    put32(&e, fid);
    return finish(&e);
}

long p9_lopen(struct p9_mount *m, uint32_t fid, uint32_t flags)
{
    struct enc e;
    begin(m, &e, TLOPEN);
    put32(&e, fid);
    put32(&e, flags);
    return finish(&e);
}

long p9_lcreate(struct p9_mount *m, uint32_t fid, const char *name, size_t len, uint32_t flags, uint32_t mode)
{
    struct enc e;
    begin(m, &e, TLCREATE);
    put32(&e, fid);
    putstr(&e, name, len);
    put32(&e, flags);
    put32(&e, mode);
    put32(&e, 0);                /* gid */
    return finish(&e);
}

long p9_mkdir(struct p9_mount *m, uint32_t dfid, const char *name, size_t len, uint32_t mode)
{
    struct enc e;
    begin(m, &e, TMKDIR);
    put32(&e, dfid);
    putstr(&e, name, len);
    put32(&e, mode);
    put32(&e, 0);
    return finish(&e);
}

long p9_symlink(struct p9_mount *m, uint32_t dfid, const char *name, size_t len, const char *target)
{
    struct enc e;
    begin(m, &e, TSYMLINK);
    put32(&e, dfid);
    putstr(&e, name, len);
    putstr(&e, target, strlen(target));
    put32(&e, 0);
    return finish(&e);
}

long p9_readlink(struct p9_mount *m, uint32_t fid, char *buf, size_t size)
{
    struct enc e;
    struct dec d;
    begin(m, &e, TREADLINK);
    put32(&e, fid);
    long r = rpc(&e, &d);
    if (r == 0) {
        size_t len;
        const char *s = getstr(&d, &len);
        if (d.short_) {
            r = -EIO;
        } else {
            r = (long)(len < size ? len : size);    /* readlink truncates silently */
            memcpy(buf, s, (size_t)r);
        }
    }
    end(m);
    return r;
}

long p9_getattr(struct p9_mount *m, uint32_t fid, struct p9_attr *a)
{
    struct enc e;
    struct dec d;
    begin(m, &e, TGETATTR);
    put32(&e, fid);
    put64(&e, P9_GETATTR_BASIC);
    long r = rpc(&e, &d);
    if (r == 0) {
        (void)get64(&d);         /* valid */
        getqid(&d, &a->qid);
        a->mode = get32(&d);
        a->uid = get32(&d);
        a->gid = get32(&d);
        a->nlink = get64(&d);
        a->rdev = get64(&d);
        a->size = get64(&d);
        a->blksize = get64(&d);
        a->blocks = get64(&d);
        a->atime_sec = (int64_t)get64(&d);
        a->atime_nsec = (int64_t)get64(&d);
        a->mtime_sec = (int64_t)get64(&d);
        a->mtime_nsec = (int64_t)get64(&d);
        a->ctime_sec = (int64_t)get64(&d);
        a->ctime_nsec = (int64_t)get64(&d);
        if (d.short_)
            r = -EIO;         /* btime, gen, data_version: not needed */
    }
    end(m);
    return r;
}

long p9_setattr(struct p9_mount *m, uint32_t fid, uint32_t valid, const struct p9_attr *a)
{
    struct enc e;
    begin(m, &e, TSETATTR);
    put32(&e, fid);
    put32(&e, valid);
    put32(&e, a->mode);
    put32(&e, a->uid);
    put32(&e, a->gid);
    put64(&e, a->size);
    put64(&e, (uint64_t)a->atime_sec);
    put64(&e, (uint64_t)a->atime_nsec);
    put64(&e, (uint64_t)a->mtime_sec);
    put64(&e, (uint64_t)a->mtime_nsec);
    return finish(&e);
}

/* Tread and Treaddir: fid, offset, count; the reply is count[4] and that
 * many bytes, copied to buf. */
static long read_data(struct p9_mount *m, uint8_t type, uint32_t fid, uint64_t off, void *buf, size_t n)
{
    struct enc e;
    struct dec d;
    size_t max = p9_iounit(m);
    begin(m, &e, type);
    put32(&e, fid);
    put64(&e, off);
    put32(&e, (uint32_t)(n < max ? n : max));
    long r = rpc(&e, &d);
    if (r == 0) {
        uint32_t got = get32(&d);
        if (d.short_ || got > d.n || got > n) {
            r = -EIO;
        } else {
            /* buf may be the app's (read): a bad page ends the copy, and the
             * bytes before it count, as for a short read on Linux. */
            size_t left = copy_out_nocheck(buf, d.p, got);
            r = left == got && got ? -EFAULT : (long)(got - left);
        }
    }
    end(m);
    return r;
}

long p9_read(struct p9_mount *m, uint32_t fid, uint64_t off, void *buf, size_t n)
{
    return read_data(m, TREAD, fid, off, buf, n);
}

long p9_write(struct p9_mount *m, uint32_t fid, uint64_t off, const void *buf, size_t n)
{
    struct enc e;
    struct dec d;
    size_t max = p9_iounit(m);
    if (n > max)
        n = max;
    begin(m, &e, TWRITE);
    put32(&e, fid);
    put64(&e, off);
    put32(&e, (uint32_t)n);
    /* buf is the app's: copied in with fault handling, not put()'s memcpy. */
    if (e.n + n > m->msize || copy_in_nocheck(m->tx + e.n, buf, n)) {
        end(m);
        return e.n + n > m->msize ? -EIO : -EFAULT;
    }
    e.n += n;
    long r = rpc(&e, &d);
    if (r == 0) {
        uint32_t got = get32(&d);
        r = d.short_ || got > n ? -EIO : (long)got;
    }
    end(m);
    return r;
}

long p9_unlinkat(struct p9_mount *m, uint32_t dfid, const char *name, size_t len, uint32_t flags)
{
    struct enc e;
    begin(m, &e, TUNLINKAT);
    put32(&e, dfid);
    putstr(&e, name, len);
    put32(&e, flags);
    return finish(&e);
}

long p9_renameat(struct p9_mount *m, uint32_t odfid, const char *oname, size_t olen, uint32_t ndfid,
                 const char *nname, size_t nlen)
{
    struct enc e;
    begin(m, &e, TRENAMEAT);
    put32(&e, odfid);
    putstr(&e, oname, olen);
    put32(&e, ndfid);
    putstr(&e, nname, nlen);
    return finish(&e);
}

long p9_link(struct p9_mount *m, uint32_t dfid, uint32_t fid, const char *name, size_t len)
{
    struct enc e;
    begin(m, &e, TLINK);
    put32(&e, dfid);
    put32(&e, fid);
    putstr(&e, name, len);
    return finish(&e);
}

long p9_fsync(struct p9_mount *m, uint32_t fid, int datasync)
{
    struct enc e;
    begin(m, &e, TFSYNC);
    put32(&e, fid);
    put32(&e, datasync ? 1 : 0);
    return finish(&e);
}

long p9_statfs(struct p9_mount *m, uint32_t fid, struct k_statfs *sf)
{
    struct enc e;
    struct dec d;
    begin(m, &e, TSTATFS);
    put32(&e, fid);
    long r = rpc(&e, &d);
    if (r == 0) {
        memset(sf, 0, sizeof *sf);
        sf->f_type = get32(&d);
        sf->f_bsize = get32(&d);
        sf->f_frsize = sf->f_bsize;
        sf->f_blocks = get64(&d);
        sf->f_bfree = get64(&d);
        sf->f_bavail = get64(&d);
        sf->f_files = get64(&d);
        sf->f_ffree = get64(&d);
        uint64_t fsid = get64(&d);
        sf->f_fsid[0] = (int32_t)fsid;
        sf->f_fsid[1] = (int32_t)(fsid >> 32);
        sf->f_namelen = get32(&d);
        if (d.short_)
            r = -EIO;
    }
    end(m);
    return r;
}

long p9_readdir(struct p9_mount *m, uint32_t fid, uint64_t offset, void *buf, size_t size)
{
    return read_data(m, TREADDIR, fid, offset, buf, size);
}

int p9_dirent_next(const uint8_t *buf, size_t len, size_t *pos, struct p9_dirent *de)
{
    if (*pos >= len)
        return 0;
    struct dec d = { buf + *pos, len - *pos, 0 };
    getqid(&d, &de->qid);
    de->offset = get64(&d);
    de->type = get8(&d);
    de->name = getstr(&d, &de->len);
    if (d.short_)
        return -EIO;
    *pos = len - d.n;
    return 1;
}
