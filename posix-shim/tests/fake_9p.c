/* A 9P2000.L server over a host directory, in process: the transport the
 * harness gives the 9pfs module (shim/p9.h). It answers the messages the
 * client sends the way QEMU's hw/9pfs "local" backend does with
 * security_model=none: fids are paths relative to the export, renames
 * move the paths of every fid below them, errors are the host's errno in
 * Rlerror. Host libc code: only the harness links it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <unistd.h>
#include "fake_9p.h"

#define MAXFID 4096

struct sfid {
    uint32_t num;        /* the client's fid number (any 32-bit value) */
    char *path;          /* relative to the export; "" is its root; NULL: free slot */
    int fd;              /* opened (lopen/lcreate), or -1 */
    DIR *dir;
};

/* One server per mount; rpc points S at the one called. */
struct fake9p {
    struct p9_transport t;          /* first: the transport is the server */
    int export_fd;
    struct sfid fids[MAXFID];
};
static struct fake9p *S;
#define fids (S->fids)
#define export_fd (S->export_fd)
static unsigned long msgs;
static unsigned long fsyncs;

unsigned long fake9p_messages(void) { return msgs; }
unsigned long fake9p_fsyncs(void) { return fsyncs; }

int fake9p_open_fids(struct p9_transport *t)
{
    S = (struct fake9p *)t;
    int n = 0;
    for (int i = 0; i < MAXFID; i++)
        n += fids[i].path != NULL;
    return n;
}

/* ---- wire helpers ----------------------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t n, cap;
    int bad;
};

static void w(struct buf *b, const void *v, size_t n)
{
    if (b->n + n > b->cap) {
        b->bad = 1;
        return;
    }
    memcpy(b->p + b->n, v, n);
    b->n += n;
}
static void w8(struct buf *b, uint8_t v) { w(b, &v, 1); }
static void w16(struct buf *b, uint16_t v) { w(b, &v, 2); }
static void w32(struct buf *b, uint32_t v) { w(b, &v, 4); }
static void w64(struct buf *b, uint64_t v) { w(b, &v, 8); }
static void wstr(struct buf *b, const char *s, size_t l) { w16(b, (uint16_t)l); w(b, s, l); }

static void r(struct buf *b, void *v, size_t n)
{
    if (b->n + n > b->cap) {
        b->bad = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, b->p + b->n, n);
    b->n += n;
}
static uint8_t r8(struct buf *b) { uint8_t v; r(b, &v, 1); return v; }
static uint16_t r16(struct buf *b) { uint16_t v; r(b, &v, 2); return v; }
static uint32_t r32(struct buf *b) { uint32_t v; r(b, &v, 4); return v; }
static uint64_t r64(struct buf *b) { uint64_t v; r(b, &v, 8); return v; }

/* A string as a malloc'ed C string (NULL if malformed or holding '/'). */
static char *rname(struct buf *b)
{
    size_t l = r16(b);
    if (b->n + l > b->cap) {
        b->bad = 1;
        return NULL;
    }
    char *s = strndup((const char *)b->p + b->n, l);
    b->n += l;
    return s;
}

static void wqid(struct buf *b, const struct stat *st)
{
    w8(b, S_ISDIR(st->st_mode) ? 0x80 : S_ISLNK(st->st_mode) ? 0x02 : 0);
    w32(b, 0);
    w64(b, st->st_ino);
}

static const char *rel(const char *p) { return *p ? p : "."; }

static char *join(const char *dir, const char *name)
{
    char *s;
    if (asprintf(&s, "%s%s%s", dir, *dir ? "/" : "", name) < 0)
        abort();
    return s;
}

/* Fid numbers are the client's to choose, as QEMU allows: a table of
 * MAXFID slots searched for the number (a test server: simple beats fast). */
static struct sfid *fid_of(uint32_t f)
{
    for (int i = 0; i < MAXFID; i++)
        if (fids[i].path && fids[i].num == f)
            return &fids[i];
    return NULL;
}

static void fid_free(struct sfid *s)
{
    if (s->dir)
        closedir(s->dir);
    else if (s->fd >= 0)
        close(s->fd);
    free(s->path);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

static void fid_clunk(uint32_t f)
{
    fid_free(fid_of(f));
}

static int fid_new(uint32_t f, char *path)
{
    if (fid_of(f)) {
        free(path);
        return -EBADF;            /* in use */
    }
    for (int i = 0; i < MAXFID; i++) {
        if (!fids[i].path) {
            fids[i].num = f;
            fids[i].path = path;
            fids[i].fd = -1;
            fids[i].dir = NULL;
            return 0;
        }
    }
    free(path);
    return -ENFILE;               /* the client holds MAXFID fids: a leak */
}

/* ---- one message ------------------------------------------------------------------ */

static long handle(struct buf *in, struct buf *out, uint8_t type)
{
    switch (type) {
    case 100: {                                    /* Tversion */
        uint32_t msize = r32(in);
        w32(out, msize);
        wstr(out, "9P2000.L", 8);
        return 0;
    }
    case 104: {                                    /* Tattach */
        uint32_t f = r32(in);
        r32(in);
        free(rname(in));
        free(rname(in));
        r32(in);
        struct stat st;
        if (fstatat(export_fd, ".", &st, 0) < 0)
            return -errno;
        long e = fid_new(f, strdup(""));
        if (e)
            return e;
        wqid(out, &st);
        return 0;
    }
    case 110: {                                    /* Twalk */
        uint32_t f = r32(in), nf = r32(in);
        uint16_t n = r16(in);
        struct sfid *s = fid_of(f);
        if (!s)
            return -EBADF;
        char *path = strdup(s->path);
        size_t qpos = out->n;
        w16(out, 0);
        int done = 0;
        for (int i = 0; i < n; i++) {
            char *name = rname(in);
            char *np;
            if (!strcmp(name, "..")) {
                char *slash = strrchr(path, '/');
                np = slash ? strndup(path, (size_t)(slash - path)) : strdup("");
            } else {
                np = join(path, name);
            }
            free(name);
            struct stat st;
            if (fstatat(export_fd, rel(np), &st, AT_SYMLINK_NOFOLLOW) < 0) {
                int e = errno;
                free(np);
                if (i == 0) {
                    free(path);
                    return -e;
                }
                break;
            }
            free(path);
            path = np;
            wqid(out, &st);
            done++;
        }
        memcpy(out->p + qpos, &(uint16_t){ (uint16_t)done }, 2);
        if (done == n) {
            if (nf == f) {
                free(s->path);
                s->path = path;
                return 0;
            }
            return fid_new(nf, path);
        }
        free(path);
        return 0;
    }
    case 120: {                                    /* Tclunk */
        uint32_t f = r32(in);
        if (!fid_of(f))
            return -EBADF;
        fid_clunk(f);
        return 0;
    }
    case 12: {                                     /* Tlopen */
        uint32_t f = r32(in), flags = r32(in);
        struct sfid *s = fid_of(f);
        if (!s)
            return -EBADF;
        struct stat st;
        if (fstatat(export_fd, rel(s->path), &st, 0) < 0)
            return -errno;
        if (S_ISDIR(st.st_mode)) {
            int fd = openat(export_fd, rel(s->path), O_RDONLY | O_DIRECTORY);
            if (fd < 0 || !(s->dir = fdopendir(fd)))
                return -errno;
        } else if ((s->fd = openat(export_fd, rel(s->path), (int)(flags & 3))) < 0) {
            return -errno;
        }
        wqid(out, &st);
        w32(out, 0);
        return 0;
    }
    case 14: {                                     /* Tlcreate */
        uint32_t f = r32(in);
        char *name = rname(in);
        uint32_t flags = r32(in), mode = r32(in);
        r32(in);
        struct sfid *s = fid_of(f);
        if (!s) {
            free(name);
            return -EBADF;
        }
        char *np = join(s->path, name);
        free(name);
        int fd = openat(export_fd, np, (int)(flags & (O_ACCMODE | O_EXCL)) | O_CREAT, mode);
        if (fd < 0) {
            free(np);
            return -errno;
        }
        struct stat st;
        fstat(fd, &st);
        free(s->path);
        s->path = np;
        s->fd = fd;
        wqid(out, &st);
        w32(out, 0);
        return 0;
    }
    case 72:                                       /* Tmkdir */
    case 16: {                                     /* Tsymlink */
        uint32_t f = r32(in);
        char *name = rname(in);
        char *target = type == 16 ? rname(in) : NULL;
        uint32_t mode = type == 72 ? r32(in) : 0;
        r32(in);
        struct sfid *s = fid_of(f);
        long e = 0;
        char *np = s ? join(s->path, name) : NULL;
        if (!s)
            e = -EBADF;
        else if ((type == 72 ? mkdirat(export_fd, np, mode) : symlinkat(target, export_fd, np)) < 0)
            e = -errno;
        struct stat st;
        if (!e && fstatat(export_fd, np, &st, AT_SYMLINK_NOFOLLOW) == 0)
            wqid(out, &st);
        free(name);
        free(target);
        free(np);
        return e;
    }
    case 22: {                                     /* Treadlink */
        struct sfid *s = fid_of(r32(in));
        if (!s)
            return -EBADF;
        char t[4096];
        ssize_t n = readlinkat(export_fd, rel(s->path), t, sizeof t);
        if (n < 0)
            return -errno;
        wstr(out, t, (size_t)n);
        return 0;
    }
    case 24: {                                     /* Tgetattr */
        struct sfid *s = fid_of(r32(in));
        r64(in);
        if (!s)
            return -EBADF;
        struct stat st;
        if ((s->fd >= 0 ? fstat(s->fd, &st) : fstatat(export_fd, rel(s->path), &st, AT_SYMLINK_NOFOLLOW)) < 0)
            return -errno;
        w64(out, 0x7ff);
        wqid(out, &st);
        w32(out, st.st_mode);
        w32(out, st.st_uid);
        w32(out, st.st_gid);
        w64(out, st.st_nlink);
        w64(out, st.st_rdev);
        w64(out, (uint64_t)st.st_size);
        w64(out, (uint64_t)st.st_blksize);
        w64(out, (uint64_t)st.st_blocks);
        w64(out, (uint64_t)st.st_atim.tv_sec);
        w64(out, (uint64_t)st.st_atim.tv_nsec);
        w64(out, (uint64_t)st.st_mtim.tv_sec);
        w64(out, (uint64_t)st.st_mtim.tv_nsec);
        w64(out, (uint64_t)st.st_ctim.tv_sec);
        w64(out, (uint64_t)st.st_ctim.tv_nsec);
        for (int i = 0; i < 4; i++)
            w64(out, 0);                            /* btime, gen, data_version */
        return 0;
    }
    case 26: {                                     /* Tsetattr */
        struct sfid *s = fid_of(r32(in));
        uint32_t valid = r32(in), mode = r32(in), uid = r32(in), gid = r32(in);
        uint64_t size = r64(in);
        struct timespec ts[2];
        ts[0].tv_sec = (time_t)r64(in);
        ts[0].tv_nsec = (long)r64(in);
        ts[1].tv_sec = (time_t)r64(in);
        ts[1].tv_nsec = (long)r64(in);
        if (!s)
            return -EBADF;
        const char *p = rel(s->path);
        if ((valid & 1) && fchmodat(export_fd, p, mode, 0) < 0)
            return -errno;
        if ((valid & 6) && fchownat(export_fd, p, valid & 2 ? uid : (uid_t)-1, valid & 4 ? gid : (gid_t)-1,
                                    AT_SYMLINK_NOFOLLOW) < 0)
            return -errno;
        if (valid & 8) {
            int fd = openat(export_fd, p, O_WRONLY);
            if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
                int e = errno;
                if (fd >= 0)
                    close(fd);
                return -e;
            }
            close(fd);
        }
        if (valid & 0x30) {
            if (!(valid & 0x10))
                ts[0].tv_nsec = UTIME_OMIT;
            else if (!(valid & 0x80))
                ts[0].tv_nsec = UTIME_NOW;
            if (!(valid & 0x20))
                ts[1].tv_nsec = UTIME_OMIT;
            else if (!(valid & 0x100))
                ts[1].tv_nsec = UTIME_NOW;
            if (utimensat(export_fd, p, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        }
        return 0;
    }
    case 116:                                      /* Tread */
    case 118: {                                    /* Twrite */
        struct sfid *s = fid_of(r32(in));
        uint64_t off = r64(in);
        uint32_t count = r32(in);
        if (!s || s->fd < 0)
            return -EBADF;
        if (type == 118) {
            if (in->n + count > in->cap)
                return -EINVAL;
            ssize_t n = pwrite(s->fd, in->p + in->n, count, (off_t)off);
            if (n < 0)
                return -errno;
            w32(out, (uint32_t)n);
            return 0;
        }
        if (out->n + 4 + count > out->cap)
            count = (uint32_t)(out->cap - out->n - 4);
        ssize_t n = pread(s->fd, out->p + out->n + 4, count, (off_t)off);
        if (n < 0)
            return -errno;
        w32(out, (uint32_t)n);
        out->n += (size_t)n;
        return 0;
    }
    case 40: {                                     /* Treaddir: offsets are entry counts */
        struct sfid *s = fid_of(r32(in));
        uint64_t off = r64(in);
        uint32_t count = r32(in);
        if (!s || !s->dir)
            return -EBADF;
        rewinddir(s->dir);
        struct dirent *e;
        uint64_t i = 0;
        size_t cpos = out->n;
        w32(out, 0);
        size_t start = out->n;
        while ((e = readdir(s->dir))) {
            if (i++ < off)
                continue;
            size_t l = strlen(e->d_name);
            if (out->n - start + 24 + l > count)
                break;
            struct stat st = { .st_ino = e->d_ino, .st_mode = e->d_type == DT_DIR ? S_IFDIR : 0 };
            wqid(out, &st);
            w64(out, i);
            w8(out, e->d_type);
            wstr(out, e->d_name, l);
        }
        uint32_t got = (uint32_t)(out->n - start);
        memcpy(out->p + cpos, &got, 4);
        return 0;
    }
    case 50: {                                     /* Tfsync */
        struct sfid *s = fid_of(r32(in));
        uint32_t datasync = r32(in);
        if (!s || s->fd < 0)
            return -EBADF;
        fsyncs++;
        return (datasync ? fdatasync(s->fd) : fsync(s->fd)) < 0 ? -errno : 0;
    }
    case 76: {                                     /* Tunlinkat */
        struct sfid *s = fid_of(r32(in));
        char *name = rname(in);
        uint32_t flags = r32(in);
        long e = 0;
        if (!s) {
            e = -EBADF;
        } else {
            char *np = join(s->path, name);
            if (unlinkat(export_fd, np, flags & 0x200 ? AT_REMOVEDIR : 0) < 0)
                e = -errno;
            free(np);
        }
        free(name);
        return e;
    }
    case 74: {                                     /* Trenameat */
        struct sfid *os = fid_of(r32(in));
        char *on = rname(in);
        struct sfid *ns = fid_of(r32(in));
        char *nn = rname(in);
        long e = 0;
        if (!os || !ns) {
            e = -EBADF;
        } else {
            char *op = join(os->path, on), *np = join(ns->path, nn);
            if (renameat(export_fd, op, export_fd, np) < 0) {
                e = -errno;
            } else {
                /* fids keep naming what they named (QEMU: v9fs_fix_fid_paths) */
                size_t ol = strlen(op);
                for (int i = 0; i < MAXFID; i++) {
                    char *p = fids[i].path;
                    if (p && !strncmp(p, op, ol) && (p[ol] == 0 || p[ol] == '/')) {
                        char *q;
                        if (asprintf(&q, "%s%s", np, p + ol) < 0)
                            abort();
                        free(p);
                        fids[i].path = q;
                    }
                }
            }
            free(op);
            free(np);
        }
        free(on);
        free(nn);
        return e;
    }
    case 70: {                                     /* Tlink */
        struct sfid *d = fid_of(r32(in)), *s = fid_of(r32(in));
        char *name = rname(in);
        long e = 0;
        if (!d || !s) {
            e = -EBADF;
        } else {
            char *np = join(d->path, name);
            if (linkat(export_fd, rel(s->path), export_fd, np, 0) < 0)
                e = -errno;
            free(np);
        }
        free(name);
        return e;
    }
    case 8: {                                      /* Tstatfs */
        struct sfid *s = fid_of(r32(in));
        struct statfs sf;
        if (!s)
            return -EBADF;
        if (fstatfs(export_fd, &sf) < 0)
            return -errno;
        w32(out, (uint32_t)sf.f_type);
        w32(out, (uint32_t)sf.f_bsize);
        w64(out, sf.f_blocks);
        w64(out, sf.f_bfree);
        w64(out, sf.f_bavail);
        w64(out, sf.f_files);
        w64(out, sf.f_ffree);
        w64(out, 0);
        w32(out, (uint32_t)sf.f_namelen);
        return 0;
    }
    default:
        return -EOPNOTSUPP;
    }
}

static long rpc(struct p9_transport *t, const void *tx, size_t txlen, void *rx, size_t rxmax)
{
    S = (struct fake9p *)t;
    msgs++;
    struct buf in = { (uint8_t *)tx, 0, txlen, 0 }, out = { rx, 7, rxmax, 0 };
    uint32_t size = r32(&in);
    uint8_t type = r8(&in);
    uint16_t tag = r16(&in);
    if (size != txlen)
        return -5;
    long e = handle(&in, &out, type);
    if (in.bad)
        e = -EINVAL;
    if (e < 0 || out.bad) {
        out.n = 7;
        w32(&out, (uint32_t)(e < 0 ? -e : EIO));
        type = 6;                                   /* Rlerror - 1 */
    }
    uint32_t rsize = (uint32_t)out.n;
    memcpy(out.p, &rsize, 4);
    out.p[4] = (uint8_t)(type + 1);
    memcpy(out.p + 5, &tag, 2);
    return (long)out.n;
}

struct p9_transport *fake9p_serve(const char *dir, uint32_t msize)
{
    S = calloc(1, sizeof *S);
    export_fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (export_fd < 0)
        return NULL;
    for (int i = 0; i < MAXFID; i++)
        fids[i].fd = -1;
    S->t.rpc = rpc;
    S->t.max_msize = msize;
    S->t.name = "fake9p";
    return &S->t;
}
