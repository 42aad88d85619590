/* The vnodes of a 9P mount (shim/vfs.h, struct vfs_fs): every vnode holds
 * a fid walked to its file (never opened: it names the file for walk,
 * getattr, setattr, create, unlink and rename); every open file of a
 * regular file has a fid of its own, opened with the file's access mode,
 * for read, write and fsync. Directories read their entries through a
 * third fid opened on first getdents.
 *
 * Data is never cached: each read and write is a round trip (at most
 * msize - 24 bytes each), so what the app writes is in the host file when
 * the call returns, and fsync asks the host to flush it (Tfsync). */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "shim/errno.h"
#include "shim/kabi.h"
#include "p9_impl.h"

#define AT_REMOVEDIR 0x200

struct p9_node {
    struct p9_mount *m;
    uint32_t fid;
    /* getdents: an opened fid, the entries of the last Treaddir, and
     * where the next entry index idx is in them (the vfs asks by index). */
    uint32_t dfid;
    uint8_t *dbuf;
    size_t dlen, dpos;
    uint64_t doff;                   /* server offset after dbuf's entries */
    long didx;
    int dend;
};

#define DBUF_SIZE 8192

static const struct vnode_ops p9_ops;

/* An open regular file's f->priv_len holds its opened fid (+1, so 0 means none). */
static uint32_t open_fid(const struct file *f) { return (uint32_t)(f->priv_len - 1); }

static struct p9_node *node_of(const struct vnode *vn) { return vn->data; }
static struct p9_mount *mount_of(const struct vnode *vn) { return node_of(vn)->m; }

static uint32_t new_fid(struct p9_mount *m)
{
    uint32_t fid = m->next_fid++;
    if (m->next_fid == P9_NOFID)
        m->next_fid = 1;
    return fid;
}

static void set_attrs(struct vnode *vn, const struct p9_attr *a)
{
    vn->mode = a->mode;
    vn->uid = a->uid;
    vn->gid = a->gid;
    vn->ino = a->qid.path;
    vn->size = a->size;
    vn->rdev = a->rdev;
    vn->atime.tv_sec = a->atime_sec;
    vn->atime.tv_nsec = a->atime_nsec;
    vn->mtime.tv_sec = a->mtime_sec;
    vn->mtime.tv_nsec = a->mtime_nsec;
    vn->ctime.tv_sec = a->ctime_sec;
    vn->ctime.tv_nsec = a->ctime_nsec;
}

/* A vnode for the file fid names (the vnode takes over the fid). */
static long make_vnode(struct p9_mount *m, uint32_t fid, struct vnode **out)
{
    struct p9_attr a;
    long r = p9_getattr(m, fid, &a);
    struct p9_node *n = r == 0 ? shim_alloc(sizeof *n) : NULL;
    struct vnode *vn = n ? vnode_new(a.mode, &p9_ops) : NULL;
    if (!vn) {
        shim_free(n);
        p9_clunk(m, fid);
        return r < 0 ? r : -ENOMEM;
    }
    n->m = m;
    n->fid = fid;
    n->dfid = P9_NOFID;
    vn->data = n;
    vn->fs = &m->fs;
    set_attrs(vn, &a);
    vn->refs = 1;
    *out = vn;
    return 0;
}

/* The vnode of name in dir, through a new fid. */
static long walk_to(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    struct p9_mount *m = mount_of(dir);
    uint32_t fid = new_fid(m);
    const char *names[1] = { name };
    long r = p9_walk(m, node_of(dir)->fid, fid, 1, names, &len);
    if (r < 0)
        return r;
    return make_vnode(m, fid, out);
}

static long p9_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    return walk_to(dir, name, len, out);
}

static long p9_create(struct vnode *dir, const char *name, size_t len, uint32_t mode, const char *target,
                      struct vnode **out)
{
    struct p9_mount *m = mount_of(dir);
    uint32_t dfid = node_of(dir)->fid;
    if (m->fs.readonly)
        return -EROFS;
    long r;
    switch (mode & K_S_IFMT) {
    case K_S_IFDIR:
        r = p9_mkdir(m, dfid, name, len, mode & 07777);
        break;
    case K_S_IFLNK:
        r = p9_symlink(m, dfid, name, len, target);
        break;
    case K_S_IFREG: {
        /* Tlcreate turns the fid it is given into the new file, opened:
         * give it a clone of the directory's and let it go after. */
        uint32_t fid = new_fid(m);
        r = p9_walk(m, dfid, fid, 0, NULL, NULL);
        if (r < 0)
            return r;
        r = p9_lcreate(m, fid, name, len, K_O_WRONLY | K_O_CREAT | K_O_EXCL, mode & 07777);
        p9_clunk(m, fid);
        break;
    }
    default:
        return -EPERM;
    }
    if (r < 0)
        return r;
    r = walk_to(dir, name, len, out);
    if (r == 0)
        (*out)->refs = 0;        /* unlinked and unreferenced: vfs links it */
    return r;
}

static long p9_remove(struct vnode *dir, const char *name, size_t len, int is_dir)
{
    struct p9_mount *m = mount_of(dir);
    if (m->fs.readonly)
        return -EROFS;
    return p9_unlinkat(m, node_of(dir)->fid, name, len, is_dir ? AT_REMOVEDIR : 0);
}

static long p9_rename(struct vnode *odir, const char *oname, size_t olen, struct vnode *ndir, const char *nname,
                      size_t nlen)
{
    struct p9_mount *m = mount_of(odir);
    if (m->fs.readonly)
        return -EROFS;
    return p9_renameat(m, node_of(odir)->fid, oname, olen, node_of(ndir)->fid, nname, nlen);
}

static long p9_link_op(struct vnode *dir, const char *name, size_t len, struct vnode *vn)
{
    struct p9_mount *m = mount_of(dir);
    if (m->fs.readonly)
        return -EROFS;
    return p9_link(m, node_of(dir)->fid, node_of(vn)->fid, name, len);
}

/* f's open fid is asked when there is one: it still names the file after
 * an unlink or a rename over it (QEMU fstat()s its host fd), the vnode's
 * walked fid does not. */
static long p9_getattr_op(struct vnode *vn, struct file *f, struct k_stat *st)
{
    struct p9_attr a;
    uint32_t fid = f && f->priv_len ? open_fid(f) : node_of(vn)->fid;
    long r = p9_getattr(mount_of(vn), fid, &a);
    if (r < 0)
        return r;
    set_attrs(vn, &a);
    memset(st, 0, sizeof *st);
    st->st_dev = vn->fs->dev;
    st->st_ino = a.qid.path;
    st->st_nlink = a.nlink;
    st->st_mode = a.mode;
    st->st_uid = a.uid;
    st->st_gid = a.gid;
    st->st_rdev = a.rdev;
    st->st_size = (int64_t)a.size;
    st->st_blksize = (int64_t)a.blksize;
    st->st_blocks = (int64_t)a.blocks;
    st->st_atim = vn->atime;
    st->st_mtim = vn->mtime;
    st->st_ctim = vn->ctime;
    return 0;
}

static long p9_setattr_op(struct vnode *vn, unsigned what)
{
    struct p9_mount *m = mount_of(vn);
    if (m->fs.readonly)
        return -EROFS;
    struct p9_attr a = { .mode = vn->mode & 07777, .uid = vn->uid, .gid = vn->gid,
                         .atime_sec = vn->atime.tv_sec, .atime_nsec = vn->atime.tv_nsec,
                         .mtime_sec = vn->mtime.tv_sec, .mtime_nsec = vn->mtime.tv_nsec };
    uint32_t valid = 0;
    if (what & VFS_SET_MODE)
        valid |= P9_SETATTR_MODE;
    if (what & VFS_SET_UID)
        valid |= P9_SETATTR_UID;
    if (what & VFS_SET_GID)
        valid |= P9_SETATTR_GID;
    if (what & VFS_SET_ATIME)
        valid |= P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET;
    if (what & VFS_SET_MTIME)
        valid |= P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET;
    return p9_setattr(m, node_of(vn)->fid, valid, &a);
}

static long p9_truncate(struct vnode *vn, uint64_t size)
{
    struct p9_mount *m = mount_of(vn);
    if (m->fs.readonly)
        return -EROFS;
    struct p9_attr a = { .size = size };
    long r = p9_setattr(m, node_of(vn)->fid, P9_SETATTR_SIZE, &a);
    if (r == 0)
        vn->size = size;
    return r;
}

static long p9_statfs_op(struct vnode *vn, struct k_statfs *sf)
{
    return p9_statfs(mount_of(vn), node_of(vn)->fid, sf);
}

static long p9_readlink_op(struct vnode *vn, char *buf, size_t size)
{
    return p9_readlink(mount_of(vn), node_of(vn)->fid, buf, size);
}

/* ---- open files ------------------------------------------------------------ */

static long p9_open(struct vnode *vn, struct file *f)
{
    struct p9_mount *m = mount_of(vn);
    uint32_t acc = f->flags & K_O_ACCMODE;
    if (acc != K_O_RDONLY && m->fs.readonly)
        return -EROFS;
    if (!K_S_ISREG(vn->mode))
        return 0;                /* directories read through the node's dfid */
    uint32_t fid = new_fid(m);
    long r = p9_walk(m, node_of(vn)->fid, fid, 0, NULL, NULL);
    if (r < 0)
        return r;
    r = p9_lopen(m, fid, acc);
    if (r < 0) {
        p9_clunk(m, fid);
        return r;
    }
    f->priv_len = (size_t)fid + 1;
    return 0;
}

static void p9_release(struct file *f)
{
    if (f->priv_len)
        p9_clunk(mount_of(f->vn), open_fid(f));
    f->priv_len = 0;
}

static long p9_read_op(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    if (!f->priv_len)
        return -EINVAL;
    struct p9_mount *m = mount_of(f->vn);
    size_t done = 0;
    while (done < n) {
        long r = p9_read(m, open_fid(f), *pos, (char *)buf + done, n - done);
        if (r < 0)
            return done ? (long)done : r;
        done += (size_t)r;
        *pos += (uint64_t)r;
        if ((size_t)r < p9_iounit(m))
            break;               /* a short read: the end of the file */
    }
    return (long)done;
}

static long p9_write_op(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
    if (!f->priv_len)
        return -EINVAL;
    struct p9_mount *m = mount_of(f->vn);
    size_t done = 0;
    while (done < n) {
        long r = p9_write(m, open_fid(f), *pos, (const char *)buf + done, n - done);
        if (r < 0)
            return done ? (long)done : r;
        if (r == 0)
            break;
        done += (size_t)r;
        *pos += (uint64_t)r;
        if (*pos > f->vn->size)
            f->vn->size = *pos;
    }
    return (long)done;
}

static long p9_fsync_op(struct file *f, int datasync)
{
    if (!f->priv_len)
        return 0;                /* a directory: nothing of ours to flush */
    return p9_fsync(mount_of(f->vn), open_fid(f), datasync);
}

/* ---- directories ------------------------------------------------------------ */

/* Entry idx (0-based, "." and ".." left out: vfs adds its own). Reading
 * goes forward from the last entry given; a smaller idx (rewinddir)
 * starts over from the store, so new entries show. */
static long p9_readdir_op(struct vnode *dir, long idx, struct vfs_dirent *out)
{
    struct p9_node *n = node_of(dir);
    struct p9_mount *m = n->m;
    long r;
    if (n->dfid == P9_NOFID) {
        uint32_t fid = new_fid(m);
        if ((r = p9_walk(m, n->fid, fid, 0, NULL, NULL)) < 0)
            return r;
        if ((r = p9_lopen(m, fid, K_O_RDONLY)) < 0) {
            p9_clunk(m, fid);
            return r;
        }
        n->dfid = fid;
    }
    if (!n->dbuf && !(n->dbuf = shim_alloc(DBUF_SIZE)))
        return -ENOMEM;
    if (idx < n->didx || idx == 0) {
        n->didx = 0;
        n->doff = 0;
        n->dlen = n->dpos = 0;
        n->dend = 0;
    }
    for (;;) {
        if (n->dpos >= n->dlen) {
            if (n->dend)
                return 0;
            r = p9_readdir(m, n->dfid, n->doff, n->dbuf, DBUF_SIZE);
            if (r < 0)
                return r;
            if (r == 0) {
                n->dend = 1;
                return 0;
            }
            n->dlen = (size_t)r;
            n->dpos = 0;
        }
        struct p9_dirent de;
        int got = p9_dirent_next(n->dbuf, n->dlen, &n->dpos, &de);
        if (got < 0)
            return got;
        if (got == 0) {
            n->dlen = 0;
            continue;
        }
        n->doff = de.offset;
        if ((de.len == 1 && de.name[0] == '.') || (de.len == 2 && de.name[0] == '.' && de.name[1] == '.'))
            continue;
        if (de.len > 255)
            continue;
        if (n->didx++ != idx)
            continue;
        out->ino = de.qid.path;
        out->type = de.type;
        memcpy(out->name, de.name, de.len);
        out->name[de.len] = 0;
        return 1;
    }
}

static void p9_destroy(struct vnode *vn)
{
    struct p9_node *n = node_of(vn);
    if (!n)
        return;
    p9_clunk(n->m, n->fid);
    if (n->dfid != P9_NOFID)
        p9_clunk(n->m, n->dfid);
    shim_free(n->dbuf);
    shim_free(n);
    vn->data = NULL;
}

static const struct vnode_ops p9_ops = {
    .open = p9_open,
    .release = p9_release,
    .read = p9_read_op,
    .write = p9_write_op,
    .truncate = p9_truncate,
    .readlink = p9_readlink_op,
    .lookup = p9_lookup,
    .readdir = p9_readdir_op,
    .destroy = p9_destroy,
    .create = p9_create,
    .remove = p9_remove,
    .rename = p9_rename,
    .link = p9_link_op,
    .getattr = p9_getattr_op,
    .setattr = p9_setattr_op,
    .fsync = p9_fsync_op,
    .statfs = p9_statfs_op,
};

/* ---- mounting ------------------------------------------------------------------ */

long p9fs_mount(struct p9_transport *t, const char *path, int readonly)
{
    struct p9_mount *m = shim_alloc(sizeof *m);
    if (!m)
        return -ENOMEM;
    uint32_t msize = t->max_msize;
    m->t = t;
    m->next_fid = 1;
    m->fs.readonly = readonly;
    m->fs.type = "9p";
    m->fs.source = t->name;
    m->tx = shim_alloc(msize);
    m->rx = shim_alloc(msize);
    long r = m->tx && m->rx ? p9_version(m, msize) : -ENOMEM;
    uint32_t root_fid = 0;
    if (r == 0)
        r = p9_attach(m, root_fid);
    struct vnode *root = NULL;
    if (r == 0)
        r = make_vnode(m, root_fid, &root);
    if (r == 0) {
        r = vfs_mount(path, root);
        vnode_put(root);         /* the tree holds it now, or it is gone (clunked) */
    }
    if (r < 0) {
        shim_free(m->tx);
        shim_free(m->rx);
        shim_free(m);
    }
    return r;
}
