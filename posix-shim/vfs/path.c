/* Path resolution: absolute and dirfd-relative paths, ".", "..", symlinks
 * (at most 40 per lookup, like Linux), trailing slashes. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "vfs_impl.h"

#define MAX_SYMLINKS 40

static long start_dir(int dirfd, const char *path, struct vnode **out)
{
    struct vnode *dir;
    if (path[0] == '/') {
        dir = vfs_root();
    } else if (dirfd == K_AT_FDCWD) {
        dir = vfs_cwd();
    } else {
        struct file *f = fd_file(dirfd);
        if (!f)
            return -EBADF;
        if (!K_S_ISDIR(f->vn->mode))
            return -ENOTDIR;
        dir = f->vn;
    }
    vnode_get(dir);
    *out = dir;
    return 0;
}

long vfs_lookup_one(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    if (!K_S_ISDIR(dir->mode))
        return -ENOTDIR;
    struct vnode *vn;
    if (len == 1 && name[0] == '.') {
        vn = dir;
    } else if (len == 2 && name[0] == '.' && name[1] == '.') {
        vn = dir->parent ? dir->parent : dir;
    } else {
        if (len > 255)
            return -ENAMETOOLONG;
        vn = vfs_dir_find(dir, name, len);
        if (!vn && dir->fs) {
            /* A mounted fs: ask the store, and cache what it has. */
            long r = dir->ops->lookup ? dir->ops->lookup(dir, name, len, &vn) : -ENOENT;
            if (r < 0)
                return r;
            /* The store's round trip sleeps: another thread may have
             * cached the name meanwhile. Keep one entry per name. */
            struct vnode *raced = vfs_dir_find(dir, name, len);
            if (raced) {
                vnode_put(vn);
                vnode_get(raced);
                *out = raced;
                return 0;
            }
            r = vfs_link(dir, name, len, vn);
            if (r < 0) {
                vnode_put(vn);
                return r;
            }
            *out = vn;            /* lookup's reference */
            return 0;
        }
        if (!vn) {
            if (dir->ops && dir->ops->lookup)
                return dir->ops->lookup(dir, name, len, out);
            return -ENOENT;
        }
    }
    vnode_get(vn);
    *out = vn;
    return 0;
}

long vfs_readlink_vn(struct vnode *vn, char *buf, size_t size)
{
    if (!K_S_ISLNK(vn->mode))
        return -EINVAL;
    if (vn->ops && vn->ops->readlink)
        return vn->ops->readlink(vn, buf, size);
    size_t n = vn->size < size ? vn->size : size;
    memcpy(buf, vn->data, n);
    return (long)n;
}

/* Walks path from cur (a reference the walk consumes). */
static long walk(struct vnode *cur, const char *path, int follow_last, int *depth, struct vnode **out)
{
    const char *p = path;
    size_t plen = strlen(path);
    int trailing = plen > 0 && path[plen - 1] == '/';
    if (*p == '/') {
        vnode_put(cur);
        cur = vfs_root();
        vnode_get(cur);
    }
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        const char *rest = e;
        while (*rest == '/')
            rest++;
        int last = *rest == 0;
        struct vnode *next;
        long r = vfs_lookup_one(cur, p, (size_t)(e - p), &next);
        if (r < 0) {
            vnode_put(cur);
            return r;
        }
        if (K_S_ISLNK(next->mode) && (!last || follow_last || trailing)) {
            if (++*depth > MAX_SYMLINKS) {
                vnode_put(next);
                vnode_put(cur);
                return -ELOOP;
            }
            if (next->ops && next->ops->follow) {
                struct vnode *to;
                r = next->ops->follow(next, &to);
                vnode_put(next);
                vnode_put(cur);
                if (r < 0)
                    return r;
                cur = to;
                p = e;
                continue;
            }
            char *target = shim_alloc(4096);
            if (!target) {
                vnode_put(next);
                vnode_put(cur);
                return -ENOMEM;
            }
            r = vfs_readlink_vn(next, target, 4095);
            vnode_put(next);
            if (r < 0) {
                shim_free(target);
                vnode_put(cur);
                return r;
            }
            target[r] = 0;
            if (r == 0) {
                shim_free(target);
                vnode_put(cur);
                return -ENOENT;
            }
            r = walk(cur, target, 1, depth, &next);
            shim_free(target);
            if (r < 0)
                return r;
            cur = next;
        } else {
            vnode_put(cur);
            cur = next;
        }
        p = e;
    }
    if (trailing && !K_S_ISDIR(cur->mode)) {
        vnode_put(cur);
        return -ENOTDIR;
    }
    *out = cur;
    return 0;
}

long vfs_resolve(int dirfd, const char *path, int follow, struct vnode **out)
{
    if (!path)
        return -EFAULT;
    if (!*path)
        return -ENOENT;
    if (strnlen(path, 4096) >= 4096)
        return -ENAMETOOLONG;
    struct vnode *start;
    long r = start_dir(dirfd, path, &start);
    if (r < 0)
        return r;
    int depth = 0;
    return walk(start, path, follow, &depth, out);
}

long vfs_getname(struct vfs_name *n, const char *upath)
{
    n->s = n->small;
    long r = strncpy_from_user(n->small, upath, sizeof n->small);
    if (r != -ENAMETOOLONG)
        return r < 0 ? r : 0;
    n->s = shim_alloc(4096);
    if (!n->s)
        return -ENOMEM;
    r = strncpy_from_user(n->s, upath, 4096);
    if (r < 0) {
        shim_free(n->s);
        return r;
    }
    return 0;
}

void vfs_putname(struct vfs_name *n)
{
    if (n->s != n->small)
        shim_free(n->s);
}

long vfs_resolve_user(int dirfd, const char *upath, int follow, struct vnode **out)
{
    struct vfs_name n;
    long r = vfs_getname(&n, upath);
    if (r < 0)
        return r;
    r = vfs_resolve(dirfd, n.s, follow, out);
    vfs_putname(&n);
    return r;
}

long vfs_resolve_parent_user(int dirfd, const char *upath, struct parent_ref *pr)
{
    struct vfs_name n;
    long r = vfs_getname(&n, upath);
    if (r < 0)
        return r;
    r = vfs_resolve_parent(dirfd, n.s, pr);   /* pr keeps its own copy of the name */
    vfs_putname(&n);
    return r;
}

long vfs_resolve_parent(int dirfd, const char *path, struct parent_ref *pr)
{
    if (!path)
        return -EFAULT;
    size_t len = strnlen(path, 4096);
    if (len == 0)
        return -ENOENT;
    if (len >= 4096)
        return -ENAMETOOLONG;
    /* Strip trailing slashes (but keep "/" itself). */
    size_t end = len;
    while (end > 1 && path[end - 1] == '/')
        end--;
    pr->trailing_slash = end != len;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t nlen = end - start;
    if (nlen > 255)
        return -ENAMETOOLONG;
    memcpy(pr->name, path + start, nlen);
    pr->name[nlen] = 0;
    pr->len = nlen;
    if (nlen == 0 || (nlen == 1 && pr->name[0] == '/')) {
        /* the path is "/" (or only slashes) */
        pr->len = 0;
        pr->name[0] = 0;
    }
    char *prefix = shim_alloc(start + 2);
    if (!prefix)
        return -ENOMEM;
    memcpy(prefix, path, start);
    prefix[start] = 0;
    struct vnode *dir;
    long r = start_dir(dirfd, path, &dir);
    if (r == 0 && start > 0) {
        int depth = 0;
        r = walk(dir, prefix, 1, &depth, &dir);
    }
    shim_free(prefix);
    if (r < 0)
        return r;
    if (!K_S_ISDIR(dir->mode)) {
        vnode_put(dir);
        return -ENOTDIR;
    }
    pr->dir = dir;
    return 0;
}
