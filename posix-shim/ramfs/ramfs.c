/* ramfs: the in-memory file system behind / . Regular files keep their bytes
 * in one heap block (grown by doubling); files from the initrd point into
 * the archive until their first write (copy on write), so the app binary
 * and its libraries are never copied. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/ramfs.h"
#include "shim/mm.h"

/* vn->priv of a regular file: its data are whole pages from
 * platform_alloc_pages (shared mappings map them), not a heap block. */
#define RAMFS_PAGES 1

static void *pages_alloc(uint64_t cap)
{
    return platform_alloc_pages((size_t)(cap / SHIM_PAGE));
}

extern const struct vnode_ops ramfs_file_ops;

/* Tells the mm module (when selected) that vn's pages move or shrink, before
 * they do: shared mappings of vn must drop them. */
static void pages_moving(struct vnode *vn)
{
#if SHIM_HAVE_mm
    mm_file_pages_moved(vn);
#else
    (void)vn;
#endif
}

/* Makes the file's data private and at least `need` bytes large. */
static long ensure_cap(struct vnode *vn, uint64_t need)
{
    if (vn->cap >= need && vn->cap != 0)
        return 0;
    /* Before doubling: past 2^63 the doubling wraps to 0 and never ends
     * (sysfuzz: fallocate(fd, 0, 0x7fffffff, 0x7fffffffffffffff)). */
    if (need > ((uint64_t)1 << 36))
        return -EFBIG;
    uint64_t ncap = vn->cap ? vn->cap : 64;
    while (ncap < need)
        ncap *= 2;
    if (ncap > ((uint64_t)1 << 36))
        return -EFBIG;
    void *nd;
    if (vn->priv == RAMFS_PAGES) {
        /* Mapped pages cannot move under the app: the mappings drop them
         * first and fault the new ones in. */
        ncap = SHIM_PAGE_UP(ncap);
        nd = pages_alloc(ncap);
        if (!nd)
            return -ENOSPC;
        memcpy(nd, vn->data, (size_t)vn->size);
        memset((char *)nd + vn->size, 0, (size_t)(ncap - vn->size));
        pages_moving(vn);
        platform_free_pages(vn->data, vn->cap / SHIM_PAGE);
    } else if (vn->cap == 0) {              /* borrowed from the archive, or empty */
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
    /* buf is the app's (checked by the syscall) or the kernel's: a fault
     * part way gives a short read, as Linux's page cache does. */
    c -= copy_out_nocheck(buf, (const char *)vn->data + *pos, c);
    if (c == 0)
        return -EFAULT;
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
    /* A fault part way writes what was copied (Linux: a short write). */
    n -= copy_in_nocheck((char *)vn->data + *pos, buf, n);
    if (n == 0)
        return -EFAULT;
    end = *pos + n;
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
    if (vn->priv == RAMFS_PAGES && size < vn->size) {
        /* The tail of the last page reads as zeroes in a mapping, and pages
         * past the new end must fault (SIGBUS) again. */
        memset((char *)vn->data + size, 0, (size_t)(vn->size - size));
        pages_moving(vn);
    }
    vn->size = size;
    if (size == 0 && vn->cap == 0)
        vn->data = NULL;
    return 0;
}

long ramfs_share_pages(struct vnode *vn, uint64_t len)
{
    extern const struct vnode_ops ramfs_file_ops;
    if (vn->ops != &ramfs_file_ops)
        return -ENODEV;
    if (vn->priv == RAMFS_PAGES && vn->cap >= len)
        return 0;
    uint64_t need = len > vn->size ? len : vn->size;
    uint64_t cap = SHIM_PAGE_UP(need ? need : 1);
    if (vn->priv == RAMFS_PAGES && vn->cap > cap)
        cap = vn->cap;
    void *nd = pages_alloc(cap);
    if (!nd)
        return -ENOMEM;
    if (vn->size)
        memcpy(nd, vn->data, (size_t)vn->size);
    memset((char *)nd + vn->size, 0, (size_t)(cap - vn->size));
    if (vn->priv == RAMFS_PAGES) {
        pages_moving(vn);
        platform_free_pages(vn->data, vn->cap / SHIM_PAGE);
    } else if (vn->cap) {
        shim_free(vn->data);
    }
    vn->data = nd;
    vn->cap = (size_t)cap;
    vn->priv = RAMFS_PAGES;
    return 0;
}

static void data_destroy(struct vnode *vn)
{
    if (vn->priv == RAMFS_PAGES && (vn->mode & K_S_IFMT) == K_S_IFREG)
        platform_free_pages(vn->data, vn->cap / SHIM_PAGE);
    else if (vn->cap)
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
