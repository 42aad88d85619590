/* Name-space syscalls: mkdir, rmdir, unlink, rename, link, symlink,
 * readlink, chdir, getcwd, access, truncate, chmod/chown, utimensat. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/pipe.h"
#include "shim/devfs.h"
#include "vfs_impl.h"

static int is_dot(const struct parent_ref *pr)
{
    return (pr->len == 1 && pr->name[0] == '.') ||
           (pr->len == 2 && pr->name[0] == '.' && pr->name[1] == '.');
}

/* Creates a new entry of the given mode (directory, symlink) at path (the
 * app's); a symlink's target is a kernel copy. */
static long make_node(int dirfd, const char *path, uint32_t mode, const char *target)
{
    struct parent_ref pr;
    long r = vfs_resolve_parent_user(dirfd, path, &pr);
    if (r < 0)
        return r;
    struct vnode *dir = pr.dir, *vn;
    if (pr.len == 0 || is_dot(&pr)) {
        r = -EEXIST;
    } else if (pr.trailing_slash && !K_S_ISDIR(mode)) {
        r = vfs_lookup_one(dir, pr.name, pr.len, &vn) == 0 ? (vnode_put(vn), -EEXIST) : -ENOENT;
    } else if (vfs_lookup_one(dir, pr.name, pr.len, &vn) == 0) {
        vnode_put(vn);
        r = -EEXIST;
    } else {
        r = vfs_new_entry(dir, pr.name, pr.len, mode, target, &vn);
    }
    vnode_put(dir);
    return r;
}

/* Pipes' FIFOs and devfs's devices come from those modules when they are
 * selected; without them mknod answers EPERM. */
SHIM_SYSCALL(mknodat)
{
    uint32_t type = mode & K_S_IFMT;
    uint32_t perm = mode & 07777 & ~vfs_umask();
    if (type == 0 || type == K_S_IFREG)
        return make_node(dfd, filename, K_S_IFREG | perm, NULL);
    struct vnode *vn = NULL;
    if (type == K_S_IFIFO) {
#if SHIM_HAVE_pipe
        long r = pipe_new_fifo(&vn);
        if (r < 0)
            return r;
        vn->mode = K_S_IFIFO | perm;
#else
        return -EPERM;
#endif
    } else if (type == K_S_IFCHR || type == K_S_IFBLK) {
        /* new_encode_dev: minor low 8 bits | major << 8 | minor high bits << 12 */
        uint32_t major = (dev >> 8) & 0xfff, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
#if SHIM_HAVE_devfs
        vn = type == K_S_IFCHR ? devfs_node_for(major, minor) : NULL;
#else
        (void)major;
        (void)minor;
#endif
        if (!vn)
            return -EPERM;       /* no such device in this kernel */
    } else if (type == K_S_IFSOCK) {
        return -EPERM;
    } else {
        return -EINVAL;
    }
    struct parent_ref pr;
    long r = vfs_resolve_parent_user(dfd, filename, &pr);
    if (r == 0) {
        struct vnode *old;
        if (pr.len == 0 || is_dot(&pr)) {
            r = -EEXIST;
        } else if (vfs_lookup_one(pr.dir, pr.name, pr.len, &old) == 0) {
            vnode_put(old);
            r = -EEXIST;
        } else if (pr.dir->fs) {
            r = -EPERM;           /* no device nodes or FIFOs on mounted stores */
        } else if (!pr.dir->ops || !pr.dir->ops->mknode) {
            r = -EACCES;
        } else {
            r = vfs_link(pr.dir, pr.name, pr.len, vn);
        }
        vnode_put(pr.dir);
    }
    if (r < 0 && type == K_S_IFIFO) {
        vn->refs++;
        vnode_put(vn);            /* frees the unused FIFO */
    }
    return r;
}
SHIM_SYSCALL(mknod) { return sys_mknodat(K_AT_FDCWD, (long)filename, mode, dev, 0, 0); }

SHIM_SYSCALL(mkdirat)
{
    return make_node(dfd, pathname, K_S_IFDIR | (mode & 07777 & ~vfs_umask()), NULL);
}
SHIM_SYSCALL(mkdir) { return sys_mkdirat(K_AT_FDCWD, (long)pathname, mode, 0, 0, 0); }

SHIM_SYSCALL(symlinkat)
{
    struct vfs_name target;
    long r = vfs_getname(&target, oldname);
    if (r < 0)
        return r;
    r = *target.s ? make_node(newdfd, newname, K_S_IFLNK | 0777, target.s) : -ENOENT;
    vfs_putname(&target);
    return r;
}
SHIM_SYSCALL(symlink) { return sys_symlinkat((long)old, K_AT_FDCWD, (long)new, 0, 0, 0); }

static long remove_at(int dirfd, const char *path, int dir_wanted)
{
    struct parent_ref pr;
    long r = vfs_resolve_parent_user(dirfd, path, &pr);
    if (r < 0)
        return r;
    struct vnode *dir = pr.dir, *vn;
    if (pr.len == 0) {
        r = -EBUSY;
    } else if (is_dot(&pr)) {
        r = dir_wanted ? (pr.len == 1 ? -EINVAL : -ENOTEMPTY) : -EISDIR;
    } else if ((r = vfs_lookup_one(dir, pr.name, pr.len, &vn)) == 0) {
        if (!vfs_dir_find(dir, pr.name, pr.len))
            r = -EACCES;                    /* computed entries (procfs) */
        else if (dir_wanted && !K_S_ISDIR(vn->mode))
            r = -ENOTDIR;
        else if (!dir_wanted && K_S_ISDIR(vn->mode))
            r = -EISDIR;
        else if (!dir_wanted && pr.trailing_slash)
            r = -ENOTDIR;
        else if (vn->fs && vn->fs != dir->fs)
            r = -EBUSY;                     /* a mount point */
        else if (dir_wanted && vn->children)
            r = -ENOTEMPTY;
        else if (dir_wanted && vn == vfs_root())
            r = -EBUSY;
        else if (dir->fs)
            r = dir->ops->remove ? dir->ops->remove(dir, pr.name, pr.len, dir_wanted) : -EPERM;
        else if (!dir->ops || !dir->ops->mknode)
            r = -EACCES;                    /* read-only directory */
        if (r == 0 && dir->fs && K_S_ISDIR(vn->mode))
            vfs_drop_cache(vn);
        vnode_put(vn);
        if (r == 0)
            r = vfs_unlink_name(dir, pr.name, pr.len);
    }
    vnode_put(dir);
    return r;
}

SHIM_SYSCALL(unlinkat)
{
    if (flag & ~(long)K_AT_REMOVEDIR)
        return -EINVAL;
    return remove_at(dfd, pathname, (flag & K_AT_REMOVEDIR) != 0);
}
SHIM_SYSCALL(unlink) { return remove_at(K_AT_FDCWD, pathname, 0); }
SHIM_SYSCALL(rmdir) { return remove_at(K_AT_FDCWD, pathname, 1); }

static int is_ancestor(struct vnode *a, struct vnode *d)
{
    /* Is a equal to d or one of its ancestors? */
    for (struct vnode *p = d;; p = p->parent) {
        if (p == a)
            return 1;
        if (!p->parent || p->parent == p)
            return 0;
    }
}

static long do_rename(int odfd, const char *opath, int ndfd, const char *npath, long flags)
{
    if (flags & ~(long)(K_RENAME_NOREPLACE | K_RENAME_EXCHANGE))
        return -EINVAL;
    if ((flags & K_RENAME_NOREPLACE) && (flags & K_RENAME_EXCHANGE))
        return -EINVAL;
    struct parent_ref op, np;
    long r = vfs_resolve_parent_user(odfd, opath, &op);
    if (r < 0)
        return r;
    r = vfs_resolve_parent_user(ndfd, npath, &np);
    if (r < 0) {
        vnode_put(op.dir);
        return r;
    }
    /* The checks in the order of Linux's do_renameat2, so that the first
     * failing one gives the same errno. */
    struct vnode *src = NULL, *dst = NULL;
    int exchange = (flags & K_RENAME_EXCHANGE) != 0;
    if (op.len == 0 || is_dot(&op)) {
        r = -EBUSY;
        goto out;
    }
    if (np.len == 0 || is_dot(&np)) {
        r = (flags & K_RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
        goto out;
    }
    if (op.dir->fs != np.dir->fs) {
        r = -EXDEV;               /* across a mount point */
        goto out;
    }
    /* Below a mount the tree caches names: have both looked up first. */
    if (op.dir->fs) {
        struct vnode *tmp;
        if (vfs_lookup_one(op.dir, op.name, op.len, &tmp) == 0)
            vnode_put(tmp);
        if (vfs_lookup_one(np.dir, np.name, np.len, &tmp) == 0)
            vnode_put(tmp);
    }
    src = vfs_dir_find(op.dir, op.name, op.len);
    if (!src) {
        r = -ENOENT;
        goto out;
    }
    dst = vfs_dir_find(np.dir, np.name, np.len);
    if ((flags & K_RENAME_NOREPLACE) && dst) {
        r = -EEXIST;
        goto out;
    }
    if (exchange) {
        if (!dst) {
            r = -ENOENT;
            goto out;
        }
        if (!K_S_ISDIR(dst->mode) && np.trailing_slash) {
            r = -ENOTDIR;
            goto out;
        }
    }
    if (!K_S_ISDIR(src->mode) && (op.trailing_slash || (!exchange && np.trailing_slash))) {
        r = -ENOTDIR;
        goto out;
    }
    if (K_S_ISDIR(src->mode) && src != dst && is_ancestor(src, np.dir)) {
        r = -EINVAL;              /* a directory into itself */
        goto out;
    }
    if (dst && K_S_ISDIR(dst->mode) && src != dst && is_ancestor(dst, op.dir)) {
        r = exchange ? -EINVAL : -ENOTEMPTY;   /* over a directory holding the source */
        goto out;
    }
    if ((src->fs && src->fs != op.dir->fs) || (dst && dst->fs && dst->fs != np.dir->fs)) {
        r = -EBUSY;               /* a mount point */
        goto out;
    }
    if (!op.dir->fs && (!op.dir->ops || !op.dir->ops->mknode || !np.dir->ops || !np.dir->ops->mknode)) {
        r = -EACCES;
        goto out;
    }
    if (dst == src) {
        r = 0;
        goto out;
    }
    if (op.dir->fs) {
        if (exchange || !op.dir->ops->rename) {
            r = -EINVAL;          /* 9P has no exchange */
            goto out;
        }
        if (dst && K_S_ISDIR(src->mode) != K_S_ISDIR(dst->mode)) {
            r = K_S_ISDIR(src->mode) ? -ENOTDIR : -EISDIR;
            goto out;
        }
        r = op.dir->ops->rename(op.dir, op.name, op.len, np.dir, np.name, np.len);
        if (r < 0)
            goto out;
        if (dst && K_S_ISDIR(dst->mode))
            vfs_drop_cache(dst);
    }
    if (flags & K_RENAME_EXCHANGE) {
        if (!dst) {
            r = -ENOENT;
            goto out;
        }
        /* Swap the two dentries' targets; fix parents and dir link counts. */
        for (struct dentry *d = op.dir->children; d; d = d->next)
            if (d->vn == src && d->len == op.len && memcmp(d->name, op.name, op.len) == 0)
                d->vn = dst;
        for (struct dentry *d = np.dir->children; d; d = d->next)
            if (d->vn == dst && d->len == np.len && memcmp(d->name, np.name, np.len) == 0)
                d->vn = src;
        if (K_S_ISDIR(src->mode)) { op.dir->nlink--; np.dir->nlink++; }
        if (K_S_ISDIR(dst->mode)) { np.dir->nlink--; op.dir->nlink++; }
        src->parent = np.dir;
        dst->parent = op.dir;
        r = 0;
        goto out;
    }
    if (dst) {
        if (K_S_ISDIR(src->mode) && !K_S_ISDIR(dst->mode)) {
            r = -ENOTDIR;
            goto out;
        }
        if (!K_S_ISDIR(src->mode) && K_S_ISDIR(dst->mode)) {
            r = -EISDIR;
            goto out;
        }
        if (K_S_ISDIR(dst->mode) && dst->children) {
            r = -ENOTEMPTY;
            goto out;
        }
        vfs_unlink_name(np.dir, np.name, np.len);
    }
    /* Hold src across the unlink of its old name so it is not freed. */
    vnode_get(src);
    r = vfs_link(np.dir, np.name, np.len, src);
    if (r == 0)
        vfs_unlink_name(op.dir, op.name, op.len);
    src->parent = np.dir;
    vnode_put(src);
out:
    vnode_put(op.dir);
    vnode_put(np.dir);
    return r;
}

SHIM_SYSCALL(rename) { return do_rename(K_AT_FDCWD, oldname, K_AT_FDCWD, newname, 0); }
SHIM_SYSCALL(renameat) { return do_rename(olddfd, oldname, newdfd, newname, 0); }
SHIM_SYSCALL(renameat2) { return do_rename(olddfd, oldname, newdfd, newname, flags); }

SHIM_SYSCALL(linkat)
{
    if (flags & ~(long)(K_AT_SYMLINK_FOLLOW | K_AT_EMPTY_PATH))
        return -EINVAL;
    struct vnode *vn;
    long r = vfs_resolve_user(olddfd, oldname, (flags & K_AT_SYMLINK_FOLLOW) != 0, &vn);
    if (r < 0)
        return r;
    struct parent_ref pr;
    r = vfs_resolve_parent_user(newdfd, newname, &pr);
    if (r < 0) {
        vnode_put(vn);
        return r;
    }
    struct vnode *old;
    /* Linux's order: the new name first, then what may be linked. */
    if (pr.len == 0 || is_dot(&pr))
        r = -EEXIST;
    else if (vfs_lookup_one(pr.dir, pr.name, pr.len, &old) == 0)
        r = (vnode_put(old), -EEXIST);
    else if (pr.trailing_slash)
        r = -ENOENT;
    else if (pr.dir->fs != vn->fs)
        r = -EXDEV;
    else if (pr.dir->fs && (K_S_ISDIR(vn->mode) || !pr.dir->ops->link))
        r = -EPERM;
    else if (pr.dir->fs)
        /* Not cached: a mounted fs's vnode stands for one name (9P fids
         * are paths), so the new name gets its own vnode at its lookup. */
        r = pr.dir->ops->link(pr.dir, pr.name, pr.len, vn);
    else if (!pr.dir->ops || !pr.dir->ops->mknode)
        r = -EACCES;
    else if (K_S_ISDIR(vn->mode))
        r = -EPERM;
    else {
        struct vnode *keep_parent = vn->parent;
        r = vfs_link(pr.dir, pr.name, pr.len, vn);
        vn->parent = keep_parent;   /* paths keep naming the first link */
    }
    vnode_put(pr.dir);
    vnode_put(vn);
    return r;
}
SHIM_SYSCALL(link) { return sys_linkat(K_AT_FDCWD, (long)oldname, K_AT_FDCWD, (long)newname, 0, 0); }

SHIM_SYSCALL(readlinkat)
{
    if (bufsiz <= 0)
        return -EINVAL;
    struct vnode *vn;
    struct vfs_name n;
    long r = vfs_getname(&n, path);
    if (r < 0)
        return r;
    if (!*n.s) {
        struct file *f = fd_file(dfd);
        r = f ? 0 : -EBADF;
        if (f) {
            vn = f->vn;
            vnode_get(vn);
        }
    } else {
        r = vfs_resolve(dfd, n.s, 0, &vn);
    }
    vfs_putname(&n);
    if (r < 0)
        return r;
    /* Into a kernel buffer (the ops write there), then out to the app. */
    size_t size = bufsiz < 4096 ? (size_t)bufsiz : 4096;
    char *kbuf = shim_alloc(size);
    r = kbuf ? vfs_readlink_vn(vn, kbuf, size) : -ENOMEM;
    vnode_put(vn);
    if (r > 0 && copy_to_user(buf, kbuf, (size_t)r))
        r = -EFAULT;
    shim_free(kbuf);
    return r;
}
SHIM_SYSCALL(readlink) { return sys_readlinkat(K_AT_FDCWD, (long)path, (long)buf, bufsiz, 0, 0); }

SHIM_SYSCALL(chdir)
{
    struct vfs_name n;
    long r = vfs_getname(&n, filename);
    if (r < 0)
        return r;
    r = vfs_chdir(n.s);
    vfs_putname(&n);
    return r;
}

long vfs_chdir(const char *path)
{
    struct vnode *vn;
    long r = vfs_resolve(K_AT_FDCWD, path, 1, &vn);
    if (r < 0)
        return r;
    if (!K_S_ISDIR(vn->mode))
        r = -ENOTDIR;
    else
        vfs_set_cwd(vn);
    vnode_put(vn);
    return r;
}

SHIM_SYSCALL(fchdir)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (!K_S_ISDIR(f->vn->mode))
        return -ENOTDIR;
    vfs_set_cwd(f->vn);
    return 0;
}

SHIM_SYSCALL(getcwd)
{
    char path[512];
    size_t len = vfs_path_of(vfs_cwd(), path, sizeof path);
    if (len >= sizeof path)
        return -ENAMETOOLONG;
    if (memcmp(path + (len >= 10 ? len - 10 : 0), " (deleted)", len >= 10 ? 10 : 0) == 0 && len >= 10)
        return -ENOENT;                      /* cwd was removed */
    if (size < len + 1)
        return -ERANGE;
    if (copy_to_user(buf, path, len + 1))
        return -EFAULT;
    return (long)(len + 1);
}

static long access_at(int dirfd, const char *path, long mode, long flags)
{
    if (mode & ~7L)
        return -EINVAL;
    if (flags & ~(long)(K_AT_EACCESS | K_AT_SYMLINK_NOFOLLOW | K_AT_EMPTY_PATH))
        return -EINVAL;
    struct vnode *vn;
    long r = vfs_resolve_user(dirfd, path, !(flags & K_AT_SYMLINK_NOFOLLOW), &vn);
    if (r < 0)
        return r;
    /* The app runs as root: only execute needs a mode bit (like Linux). */
    if ((mode & K_X_OK) && !K_S_ISDIR(vn->mode) && !(vn->mode & 0111))
        r = -EACCES;
    else if ((mode & K_W_OK) && vn->fs && vn->fs->readonly)
        r = -EROFS;
    else if ((mode & K_W_OK) && vn->parent && vn->parent->ops && !vn->parent->ops->mknode &&
             !(vn->ops && vn->ops->write))
        r = -EROFS;
    vnode_put(vn);
    return r;
}

SHIM_SYSCALL(access) { return access_at(K_AT_FDCWD, filename, mode, 0); }
SHIM_SYSCALL(faccessat) { return access_at(dfd, filename, mode, 0); }
SHIM_SYSCALL(faccessat2) { return access_at(dfd, filename, mode, flags); }

static long truncate_vn(struct vnode *vn, long len)
{
    if (len < 0)
        return -EINVAL;
    if (K_S_ISDIR(vn->mode))
        return -EISDIR;
    if (!K_S_ISREG(vn->mode) || !vn->ops || !vn->ops->truncate)
        return -EINVAL;
    long r = vn->ops->truncate(vn, (uint64_t)len);
    if (r == 0) {
        vfs_now(&vn->mtime);
        vn->ctime = vn->mtime;
    }
    return r;
}

SHIM_SYSCALL(truncate)
{
    struct vnode *vn;
    long r = vfs_resolve_user(K_AT_FDCWD, path, 1, &vn);
    if (r < 0)
        return r;
    r = truncate_vn(vn, length);
    vnode_put(vn);
    return r;
}

SHIM_SYSCALL(ftruncate)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    uint32_t acc = f->flags & K_O_ACCMODE;
    if (acc == K_O_RDONLY)
        return K_S_ISREG(f->vn->mode) ? -EINVAL : -EINVAL;
    return truncate_vn(f->vn, length);
}

/* Resolves (dirfd, path, flags) or an fd for the attribute calls. */
static long attr_target(int dirfd, const char *upath, long flags, struct vnode **out)
{
    struct vfs_name n;
    long r = vfs_getname(&n, upath);
    if (r < 0)
        return r;
    if ((flags & K_AT_EMPTY_PATH) && !*n.s) {
        struct file *f = dirfd == K_AT_FDCWD ? NULL : fd_file(dirfd);
        if (dirfd != K_AT_FDCWD && !f) {
            r = -EBADF;
        } else {
            *out = f ? f->vn : vfs_cwd();
            vnode_get(*out);
        }
    } else {
        r = vfs_resolve(dirfd, n.s, !(flags & K_AT_SYMLINK_NOFOLLOW), out);
    }
    vfs_putname(&n);
    return r;
}

/* A mounted fs's store takes the attributes vfs has just set in vn; if
 * it refuses, vn gets its old ones back. */
static long push_attrs(struct vnode *vn, const struct vnode *old, unsigned what)
{
    if (!vn->fs)
        return 0;
    long r = vn->ops->setattr ? vn->ops->setattr(vn, what) : -EPERM;
    if (r < 0) {
        vn->mode = old->mode;
        vn->uid = old->uid;
        vn->gid = old->gid;
        vn->atime = old->atime;
        vn->mtime = old->mtime;
        vn->ctime = old->ctime;
    }
    return r;
}

static long set_mode(struct vnode *vn, long mode)
{
    struct vnode old = *vn;
    vn->mode = (vn->mode & K_S_IFMT) | ((uint32_t)mode & 07777);
    vfs_now(&vn->ctime);
    return push_attrs(vn, &old, VFS_SET_MODE);
}

SHIM_SYSCALL(fchmodat)
{
    struct vnode *vn;
    long r = attr_target(dfd, filename, 0, &vn);
    if (r < 0)
        return r;
    r = set_mode(vn, mode);
    vnode_put(vn);
    return r;
}
SHIM_SYSCALL(chmod) { return sys_fchmodat(K_AT_FDCWD, (long)filename, mode, 0, 0, 0); }
SHIM_SYSCALL(fchmod)
{
    struct file *f = fd_file(fd);
    return f ? set_mode(f->vn, mode) : -EBADF;
}

static long set_owner(struct vnode *vn, long uid, long gid)
{
    struct vnode old = *vn;
    unsigned what = 0;
    if ((int)uid != -1) {
        vn->uid = (uint32_t)uid;
        what |= VFS_SET_UID;
    }
    if ((int)gid != -1) {
        vn->gid = (uint32_t)gid;
        what |= VFS_SET_GID;
    }
    vfs_now(&vn->ctime);
    return what ? push_attrs(vn, &old, what) : 0;
}

SHIM_SYSCALL(fchownat)
{
    struct vnode *vn;
    long r = attr_target(dfd, filename, flag, &vn);
    if (r < 0)
        return r;
    r = set_owner(vn, user, group);
    vnode_put(vn);
    return r;
}
SHIM_SYSCALL(chown) { return sys_fchownat(K_AT_FDCWD, (long)filename, user, group, 0, 0); }
SHIM_SYSCALL(lchown) { return sys_fchownat(K_AT_FDCWD, (long)filename, user, group, K_AT_SYMLINK_NOFOLLOW, 0); }
SHIM_SYSCALL(fchown)
{
    struct file *f = fd_file(fd);
    return f ? set_owner(f->vn, user, group) : -EBADF;
}

#define UTIME_NOW  ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)

SHIM_SYSCALL(utimensat)
{
    struct vnode *vn;
    long r;
    /* The times first, as Linux reads them before the path. */
    struct k_timespec ts[2];
    if (utimes && copy_from_user(ts, utimes, sizeof ts))
        return -EFAULT;
    if (!filename && dfd != K_AT_FDCWD) {
        /* utimensat(fd, NULL, ...) is futimens (with AT_FDCWD, NULL is a
         * bad path: EFAULT, as Linux's do_utimes) */
        struct file *f = fd_file(dfd);
        if (!f)
            return -EBADF;
        vn = f->vn;
        vnode_get(vn);
    } else if ((r = attr_target(dfd, filename, flags, &vn)) < 0) {
        return r;
    }
    struct k_timespec now;
    vfs_now(&now);
    struct k_timespec *dst[2] = { &vn->atime, &vn->mtime };
    struct vnode old = *vn;
    unsigned what = 0;
    for (int i = 0; i < 2; i++) {
        if (!utimes || ts[i].tv_nsec == UTIME_NOW)
            *dst[i] = now;
        else if (ts[i].tv_nsec != UTIME_OMIT)
            *dst[i] = ts[i];
        else
            continue;
        what |= i ? VFS_SET_MTIME : VFS_SET_ATIME;
    }
    vn->ctime = now;
    r = what ? push_attrs(vn, &old, what) : 0;
    vnode_put(vn);
    return r;
}
