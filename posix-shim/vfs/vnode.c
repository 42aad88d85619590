/* vnodes, the directory tree and open files (the fd table is per process:
 * procstate.c). */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/ramfs.h"
#include "shim/wait.h"
#include "shim/kernel.h"
#include "shim/sysinfo.h"
#include "vfs_impl.h"

struct wait_queue shim_poll_wq;

static uint64_t next_ino = 2;     /* 1 is reserved, as on Linux's tmpfs root */
static struct vnode *root;

void vfs_now(struct k_timespec *ts)
{
    int64_t ns = (int64_t)platform_realtime_ns();
    ts->tv_sec = ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
}

/* ramfs supplies the operations of ordinary directories (without it, vfs
 * alone still links, with a read-only root). */
#if SHIM_HAVE_ramfs
#define ROOT_DIR_OPS (&ramfs_dir_ops)
#else
static const struct vnode_ops ro_dir_ops;
#define ROOT_DIR_OPS (&ro_dir_ops)
#endif

struct vnode *vnode_new(uint32_t mode, const struct vnode_ops *ops)
{
    struct vnode *vn = shim_alloc(sizeof *vn);
    if (!vn)
        return NULL;
    vn->mode = mode;
    vn->ino = next_ino++;
    vn->ops = ops;
#if SHIM_HAVE_sysinfo
    /* Owned by its creator's ids, as Linux: a server that dropped root
     * (postgres) checks that its data directory is its own. */
    sysinfo_fs_ids(&vn->uid, &vn->gid);
#endif
    vfs_now(&vn->mtime);
    vn->atime = vn->ctime = vn->mtime;
    return vn;
}

struct vnode *vfs_root(void)
{
    if (!root) {
        root = vnode_new(K_S_IFDIR | 0755, ROOT_DIR_OPS);
        if (!root)
            platform_out_of_memory("the root directory");
        root->nlink = 1;
        root->refs = 1;           /* never freed */
        root->parent = root;
    }
    return root;
}

void vnode_get(struct vnode *vn) { vn->refs++; }

void vnode_put(struct vnode *vn)
{
    if (!vn)
        return;
    if (vn->refs)
        vn->refs--;
    if (vn->refs == 0 && vn->nlink == 0 && vn != root) {
        if (vn->ops && vn->ops->destroy)
            vn->ops->destroy(vn);
        shim_free(vn);
    }
}

struct vnode *vfs_dir_find(struct vnode *dir, const char *name, size_t len)
{
    for (struct dentry *d = dir->children; d; d = d->next)
        if (d->len == len && memcmp(d->name, name, len) == 0)
            return d->vn;
    return NULL;
}

long vfs_link(struct vnode *dir, const char *name, size_t len, struct vnode *vn)
{
    if (len == 0 || len > 255)
        return len ? -ENAMETOOLONG : -ENOENT;
    struct dentry *d = shim_alloc(sizeof *d + len + 1);
    if (!d)
        return -ENOMEM;
    memcpy(d->name, name, len);
    d->len = len;
    d->vn = vn;
    /* Append: getdents then lists entries in creation order, like the archive. */
    struct dentry **pp = &dir->children;
    while (*pp)
        pp = &(*pp)->next;
    *pp = d;
    vn->nlink++;
    vn->parent = dir;          /* hard links: the newest name wins for paths */
    if (K_S_ISDIR(vn->mode))
        dir->nlink++;         /* its ".." */
    vfs_now(&dir->mtime);
    dir->ctime = dir->mtime;
    return 0;
}

long vfs_unlink_name(struct vnode *dir, const char *name, size_t len)
{
    for (struct dentry **pp = &dir->children; *pp; pp = &(*pp)->next) {
        struct dentry *d = *pp;
        if (d->len == len && memcmp(d->name, name, len) == 0) {
            struct vnode *vn = d->vn;
            *pp = d->next;
            shim_free(d);
            if (K_S_ISDIR(vn->mode))
                dir->nlink--;    /* its ".." */
            if (vn->nlink)
                vn->nlink--;
            vfs_now(&dir->mtime);
            dir->ctime = dir->mtime;
            vn->ctime = dir->mtime;
            vn->refs++;
            vnode_put(vn);       /* frees it if nothing else holds it */
            return 0;
        }
    }
    return -ENOENT;
}

struct vnode *vfs_mkdir_p(const char *path)
{
    struct vnode *dir = vfs_root();
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - p);
        struct vnode *next = vfs_dir_find(dir, p, len);
        if (!next) {
            if (!dir->ops || !dir->ops->mknode || dir->ops->mknode(dir, K_S_IFDIR | 0755, &next) < 0)
                return NULL;
            if (vfs_link(dir, p, len, next) < 0)
                return NULL;
        }
        if (K_S_ISLNK(next->mode)) {
            /* A symlinked directory on the way (Debian's /lib -> usr/lib):
             * follow it, as a path walk would. */
            char prefix[512];
            size_t plen = (size_t)(e - path);
            if (plen >= sizeof prefix)
                return NULL;
            memcpy(prefix, path, plen);
            prefix[plen] = 0;
            struct vnode *to;
            if (vfs_resolve(K_AT_FDCWD, prefix, 1, &to) < 0)
                return NULL;
            next = to;
            vnode_put(to);        /* still linked in the tree */
        }
        if (!K_S_ISDIR(next->mode))
            return NULL;
        dir = next;
        p = e;
    }
    return dir;
}

/* The directory that will hold the last component of an absolute path
 * (created like mkdir -p), and that component in *name. */
static long parent_dir(const char *path, struct vnode **dir, const char **name)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return -EINVAL;
    char parent[256];
    size_t plen = (size_t)(slash - path);
    if (plen >= sizeof parent)
        return -ENAMETOOLONG;
    memcpy(parent, path, plen);
    parent[plen] = 0;
    *dir = vfs_mkdir_p(parent);
    *name = slash + 1;
    return *dir ? 0 : -ENOENT;
}

long vfs_install(const char *path, struct vnode *vn)
{
    struct vnode *dir;
    const char *name;
    long r = parent_dir(path, &dir, &name);
    if (r < 0)
        return r;
    size_t len = strlen(name);
    struct vnode *old = vfs_dir_find(dir, name, len);
    if (old) {
        if (K_S_ISDIR(old->mode))
            return -EISDIR;
        vfs_unlink_name(dir, name, len);
    }
    return vfs_link(dir, name, len, vn);
}

static struct {
    char path[256];
    const struct vfs_fs *fs;
} mounts[VFS_MAX_MOUNTS];
static int nmounts;

int vfs_mount_nth(int i, const char **path, const struct vfs_fs **fs)
{
    if (i < 0 || i >= nmounts)
        return 0;
    *path = mounts[i].path;
    *fs = mounts[i].fs;
    return 1;
}

long vfs_mount(const char *path, struct vnode *mroot)
{
    static uint64_t next_dev = 0x11;      /* the tree itself is 0x10 */
    if (path[0] != '/' || !mroot->fs || !K_S_ISDIR(mroot->mode))
        return -EINVAL;
    if (nmounts == VFS_MAX_MOUNTS || strlen(path) >= sizeof mounts[0].path)
        return -ENOMEM;
    struct vnode *dir;
    const char *name;
    size_t len = strlen(strrchr(path, '/') + 1);
    if (len == 0)
        return -EBUSY;                    /* "/" stays the initrd's */
    long r = parent_dir(path, &dir, &name);
    if (r < 0)
        return r;
    if (dir->fs)
        return -EINVAL;                   /* no mounts inside mounts */
    struct vnode *old = vfs_dir_find(dir, name, len);
    if (old)
        vfs_unlink_name(dir, name, len);  /* hidden, as under a Linux mount */
    mroot->fs->dev = next_dev++;
    r = vfs_link(dir, name, len, mroot);
    if (r == 0) {
        shim_strlcpy(mounts[nmounts].path, path, sizeof mounts[0].path);
        mounts[nmounts++].fs = mroot->fs;
    }
    return r;
}

long vfs_new_entry(struct vnode *dir, const char *name, size_t len, uint32_t mode, const char *target,
                   struct vnode **out)
{
    struct vnode *vn;
    long r;
    if (dir->fs) {
        if (!dir->ops->create)
            return -EPERM;
        r = dir->ops->create(dir, name, len, mode, target, &vn);
        if (r < 0)
            return r;
    } else {
        if (!dir->ops || !dir->ops->mknode)
            return -EACCES;
        r = dir->ops->mknode(dir, mode, &vn);
        if (r < 0)
            return r;
        if (target) {
            size_t tl = strlen(target);
            vn->data = shim_strndup(target, tl);
            if (!vn->data) {
                vn->refs++;
                vnode_put(vn);
                return -ENOMEM;
            }
            vn->cap = tl + 1;
            vn->size = tl;
        }
    }
    r = vfs_link(dir, name, len, vn);
    if (r < 0) {
        vn->refs++;
        vnode_put(vn);
        return r;
    }
    *out = vn;
    return 0;
}

void vfs_drop_cache(struct vnode *dir)
{
    while (dir->children) {
        struct dentry *d = dir->children;
        if (K_S_ISDIR(d->vn->mode))
            vfs_drop_cache(d->vn);
        vfs_unlink_name(dir, d->name, d->len);
    }
}

/* Name of vn inside dir, or NULL. */
static const struct dentry *name_in(struct vnode *dir, struct vnode *vn)
{
    for (struct dentry *d = dir->children; d; d = d->next)
        if (d->vn == vn)
            return d;
    return NULL;
}

/* Name of a computed entry (procfs: /proc/PID, /proc/PID/fd/N) in dir: the
 * listing's entry with its inode number (procfs numbers them so). */
static int computed_name(struct vnode *dir, struct vnode *vn, struct vfs_dirent *de)
{
    if (dir->fs || !dir->ops || !dir->ops->readdir)
        return 0;
    for (long i = 0; i < 4096 && dir->ops->readdir(dir, i, de) > 0; i++)
        if (de->ino == vn->ino)
            return 1;
    return 0;
}

size_t vfs_path_of(struct vnode *vn, char *buf, size_t size)
{
    /* Built leaf-first, from the end of tmp. */
    char tmp[512];
    size_t at = sizeof tmp;
    struct vnode *cur = vn;
    int deleted = 0, too_long = 0;
    for (int depth = 0; cur != vfs_root(); depth++) {
        struct vnode *dir = cur->parent;
        const struct dentry *d = dir ? name_in(dir, cur) : NULL;
        struct vfs_dirent de;
        const char *name = d ? d->name : NULL;
        size_t len = d ? d->len : 0;
        if (!d && dir && computed_name(dir, cur, &de)) {
            name = de.name;
            len = strlen(de.name);
        }
        if (!name) {
            deleted = 1;
            break;
        }
        if (len + 1 > at - 11 || depth == 64) {   /* room left for " (deleted)" */
            too_long = 1;
            break;
        }
        at -= len;
        memcpy(tmp + at, name, len);
        tmp[--at] = '/';
        cur = dir;
    }
    if (at == sizeof tmp)
        tmp[--at] = '/';
    size_t len = sizeof tmp - at;
    memmove(tmp, tmp + at, len);
    if (deleted) {
        memcpy(tmp + len, " (deleted)", 10);
        len += 10;
    }
    if (size) {
        size_t c = len < size - 1 ? len : size - 1;
        memcpy(buf, tmp, c);
        buf[c] = 0;
    }
    /* Too long for this buffer: a length callers see as not fitting. */
    return too_long ? sizeof tmp : len;
}

/* ---- open files ---------------------------------------------------------- */

struct file *file_new(struct vnode *vn, uint32_t flags)
{
    struct file *f = shim_alloc(sizeof *f);
    if (!f)
        return NULL;
    static uint64_t next_id = 1;
    f->refs = 1;
    f->id = next_id++;
    f->flags = flags;
    f->vn = vn;
    vnode_get(vn);
    return f;
}

void file_get(struct file *f) { f->refs++; }

void file_put(struct file *f)
{
    if (!f || --f->refs)
        return;
    if (f->vn->ops && f->vn->ops->release)
        f->vn->ops->release(f);
    vnode_put(f->vn);
    shim_free(f);
}

unsigned vfs_poll_file(struct file *f)
{
    if (f->vn->ops && f->vn->ops->poll)
        return f->vn->ops->poll(f);
    return K_POLLIN | K_POLLOUT | K_POLLRDNORM | K_POLLWRNORM;
}

uint64_t vfs_event_seq(struct file *f)
{
    return f->vn->ops && f->vn->ops->event_seq ? f->vn->ops->event_seq(f) : 0;
}
