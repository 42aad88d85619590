/* ramfs: the in-memory file system behind / . Regular files keep their bytes
 * in one heap block (grown by doubling); files from the initrd point into
 * the archive until their first write (copy on write), so the app binary
 * and its libraries are never copied. */
#include "shim/shim.h"
#include "shim/alloc.h"
#include "shim/vfs.h"

extern const struct vnode_ops ramfs_file_ops;
extern const struct vnode_ops ramfs_dir_ops;
extern const struct vnode_ops ramfs_link_ops;

/* Makes the file's data private and at least `need` bytes large. */
static long ensure_cap(struct vnode *vn, uint64_t need)
{
    if (vn->cap >= need && vn->cap != 0)
        return 0;
    uint64_t ncap = vn->cap ? vn->cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > ((uint64_t)1 << 36))
        return -EFBIG;
    void *nd;
    if (vn->cap == 0) {              /* borrowed from the archive, or empty */
        nd = shim_alloc((size_t)ncap);
        if (!nd)
            return -ENOSPC;
        if (vn->size)
            memcpy(nd, vn->data, (size_t)vn->size);
    } else {
        nd = shim_realloc(vn->data, (size_t)ncap);
        if (!nd)
            return -ENOSPC;
    }
    vn->data = nd;
    vn->cap = (size_t)ncap;
    return 0;
}

static long file_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    struct vnode *vn = f->vn;
    if (*pos >= vn->size)
        return 0;
    uint64_t avail = vn->size - *pos;
    size_t c = avail < n ? (size_t)avail : n;
    memcpy(buf, (const char *)vn->data + *pos, c);
    *pos += c;
    return (long)c;
}

static long file_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
    struct vnode *vn = f->vn;
    uint64_t end = *pos + n;
    long r = ensure_cap(vn, end);
    if (r < 0)
        return r;
    if (*pos > vn->size)             /* a hole reads as zeros */
        memset((char *)vn->data + vn->size, 0, (size_t)(*pos - vn->size));
    memcpy((char *)vn->data + *pos, buf, n);
    *pos = end;
    if (end > vn->size)
        vn->size = end;
    return (long)n;
}

static long file_truncate(struct vnode *vn, uint64_t size)
{
    if (size > vn->size) {
        long r = ensure_cap(vn, size);
        if (r < 0)
            return r;
        memset((char *)vn->data + vn->size, 0, (size_t)(size - vn->size));
    } else if (vn->cap == 0 && size < vn->size && size > 0) {
        long r = ensure_cap(vn, size);   /* stop borrowing before shrinking */
        if (r < 0)
            return r;
    }
    vn->size = size;
    if (size == 0 && vn->cap == 0)
        vn->data = NULL;
    return 0;
}

static void data_destroy(struct vnode *vn)
{
    if (vn->cap)
        shim_free(vn->data);
    vn->data = NULL;
    /* directory entries of a dead directory (only if rmdir raced an open) */
    for (struct dentry *d = vn->children, *n; d; d = n) {
        n = d->next;
        shim_free(d);
    }
    vn->children = NULL;
}

static long dir_mknode(struct vnode *dir, uint32_t mode, struct vnode **out)
{
    (void)dir;
    const struct vnode_ops *ops;
    switch (mode & K_S_IFMT) {
    case K_S_IFDIR: ops = &ramfs_dir_ops; break;
    case K_S_IFREG: ops = &ramfs_file_ops; break;
    case K_S_IFLNK: ops = &ramfs_link_ops; break;
    default: return -EPERM;
    }
    struct vnode *vn = vnode_new(mode, ops);
    if (!vn)
        return -ENOSPC;
    *out = vn;
    return 0;
}

const struct vnode_ops ramfs_file_ops = {
    .read = file_read,
    .write = file_write,
    .truncate = file_truncate,
    .destroy = data_destroy,
};

const struct vnode_ops ramfs_dir_ops = {
    .mknode = dir_mknode,
    .destroy = data_destroy,
};

const struct vnode_ops ramfs_link_ops = {
    .destroy = data_destroy,
};

/* Regular file whose contents borrow [data, data+size) (from the archive). */
struct vnode *ramfs_file_borrowing(uint32_t mode, const void *data, uint64_t size)
{
    struct vnode *vn = vnode_new(mode, &ramfs_file_ops);
    if (!vn)
        return NULL;
    vn->data = (void *)(uintptr_t)data;
    vn->cap = 0;
    vn->size = size;
    return vn;
}
