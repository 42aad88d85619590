/* File syscalls on the fd table: open/close/read/write and friends, seek,
 * dup, fcntl, ioctl, stat family, getdents64, sendfile. */
#include "shim/shim.h"
#include "shim/uaccess.h"
#include "shim/alloc.h"
#include "shim/vfs.h"
#include "shim/wait.h"
#include "shim/kernel.h"
#include "vfs_impl.h"

static int can_read(const struct file *f)
{
    uint32_t acc = f->flags & K_O_ACCMODE;
    return !(f->flags & K_O_PATH) && (acc == K_O_RDONLY || acc == K_O_RDWR);
}

static int can_write(const struct file *f)
{
    uint32_t acc = f->flags & K_O_ACCMODE;
    return !(f->flags & K_O_PATH) && (acc == K_O_WRONLY || acc == K_O_RDWR);
}

/* ---- open ------------------------------------------------------------------ */

long vfs_open_vnode(struct vnode *vn, uint32_t flags)
{
    if (K_S_ISDIR(vn->mode) && (flags & K_O_ACCMODE) != K_O_RDONLY && !(flags & K_O_PATH))
        return -EISDIR;
    if ((flags & K_O_DIRECTORY) && !K_S_ISDIR(vn->mode))
        return -ENOTDIR;
    struct file *f = file_new(vn, flags & ~(uint32_t)(K_O_CREAT | K_O_EXCL | K_O_NOCTTY | K_O_TRUNC | K_O_CLOEXEC));
    if (!f)
        return -ENOMEM;
    if (!(flags & K_O_PATH)) {
        if ((flags & K_O_TRUNC) && K_S_ISREG(vn->mode) && (flags & K_O_ACCMODE) != K_O_RDONLY) {
            if (!vn->ops || !vn->ops->truncate) {
                file_put(f);
                return -EINVAL;
            }
            long r = vn->ops->truncate(vn, 0);
            if (r < 0) {
                file_put(f);
                return r;
            }
        }
        if (vn->ops && vn->ops->open) {
            long r = vn->ops->open(vn, f);
            if (r < 0) {
                /* Failed open: no release (the fs never saw it opened). */
                struct vnode *v = f->vn;
                shim_free(f);
                vnode_put(v);
                return r;
            }
        }
    }
    return fd_install(f, 0, (flags & K_O_CLOEXEC) != 0);
}

static long do_openat_depth(int dirfd, const char *path, uint32_t flags, uint32_t mode, int depth);

static long do_iov_k(struct file *f, const struct k_iovec *iov, long cnt, int wr, uint64_t *posp,
                     uint64_t want);
static long stat_at_k(int dirfd, const char *path, struct k_stat *st, long flags);

/* path: the app's. */
static long do_openat(int dirfd, const char *path, uint32_t flags, uint32_t mode)
{
    struct vfs_name n;
    long r = vfs_getname(&n, path);
    if (r < 0)
        return r;
    r = do_openat_depth(dirfd, n.s, flags, mode, 0);
    vfs_putname(&n);
    return r;
}

/* depth: dangling symlinks followed so far to create their target. */
static long do_openat_depth(int dirfd, const char *path, uint32_t flags, uint32_t mode, int depth)
{
    if (!path)
        return -EFAULT;
    if ((flags & K_O_TMPFILE) == K_O_TMPFILE)
        return -EOPNOTSUPP;
    struct vnode *vn;
    long r;
    if (flags & K_O_CREAT) {
        struct parent_ref pr;
        r = vfs_resolve_parent(dirfd, path, &pr);
        if (r < 0)
            return r;
        struct vnode *dir = pr.dir;
        if (pr.len == 0 || pr.trailing_slash) {
            vnode_put(dir);
            return -EISDIR;
        }
        r = vfs_lookup_one(dir, pr.name, pr.len, &vn);
        if (r == 0) {
            if (flags & K_O_EXCL) {
                vnode_put(vn);
                vnode_put(dir);
                return -EEXIST;
            }
            if (K_S_ISDIR(vn->mode)) {        /* O_CREAT never opens a directory */
                vnode_put(vn);
                vnode_put(dir);
                return -EISDIR;
            }
            if (K_S_ISLNK(vn->mode)) {
                if (flags & K_O_NOFOLLOW) {
                    vnode_put(vn);
                    vnode_put(dir);
                    return -ELOOP;
                }
                struct vnode *lnk = vn;
                /* Follow it; a dangling link creates its target, like Linux. */
                r = vfs_resolve(dirfd, path, 1, &vn);
                if (r == -ENOENT) {
                    /* Create the target: the link's text, relative to the
                     * directory the link was found in. */
                    char *full = depth < 40 ? shim_alloc(4096 + 512) : NULL;
                    long n = depth >= 40 ? -ELOOP : -ENOMEM;
                    if (full) {
                        size_t pl = vfs_path_of(dir, full, 512);
                        if (pl > 511)
                            pl = 511;
                        full[pl++] = '/';
                        n = vfs_readlink_vn(lnk, full + pl, 4095);
                        if (n > 0) {
                            full[pl + (size_t)n] = 0;
                            const char *next = full[pl] == '/' ? full + pl : full;
                            n = do_openat_depth(K_AT_FDCWD, next, flags & ~(uint32_t)K_O_EXCL, mode, depth + 1);
                        } else {
                            n = -ENOENT;
                        }
                        shim_free(full);
                    }
                    vnode_put(lnk);
                    vnode_put(dir);
                    return n;
                }
                vnode_put(lnk);
                vnode_put(dir);
                if (r < 0)
                    return r;
            } else {
                vnode_put(dir);
            }
        } else if (r == -ENOENT) {
            r = vfs_new_entry(dir, pr.name, pr.len, K_S_IFREG | (mode & 07777 & ~vfs_umask()), NULL, &vn);
            if (r < 0) {
                vnode_put(dir);
                return r;
            }
            vnode_get(vn);
            vnode_put(dir);
        } else {
            vnode_put(dir);
            return r;
        }
    } else {
        r = vfs_resolve(dirfd, path, !(flags & K_O_NOFOLLOW), &vn);
        if (r < 0)
            return r;
        if (K_S_ISLNK(vn->mode) && !(flags & K_O_PATH)) {
            vnode_put(vn);
            return -ELOOP;
        }
    }
    r = vfs_open_vnode(vn, flags);
    vnode_put(vn);
    return r;
}

SHIM_SYSCALL(openat) { return do_openat(dfd, filename, (uint32_t)flags, mode); }
SHIM_SYSCALL(open) { return do_openat(K_AT_FDCWD, filename, (uint32_t)flags, mode); }
SHIM_SYSCALL(creat)
{
    return do_openat(K_AT_FDCWD, pathname, K_O_CREAT | K_O_WRONLY | K_O_TRUNC, mode);
}

SHIM_SYSCALL(close) { return fd_close(fd); }

/* ---- read / write ------------------------------------------------------------ */

static long file_read(struct file *f, void *buf, size_t n, uint64_t *pos)
{
    if (!can_read(f))
        return -EBADF;
    if (K_S_ISDIR(f->vn->mode))
        return -EISDIR;
    if (!f->vn->ops || !f->vn->ops->read)
        return -EINVAL;
    if (n == 0)
        return 0;
    if (!buf)
        return -EFAULT;
    long r = f->vn->ops->read(f, buf, n, pos);
    if (r > 0)
        vfs_now(&f->vn->atime);
    return r;
}

static long file_write(struct file *f, const void *buf, size_t n, uint64_t *pos)
{
    if (!can_write(f))
        return -EBADF;
    if (!f->vn->ops || !f->vn->ops->write)
        return -EINVAL;
    if (n == 0)
        return 0;
    if (!buf)
        return -EFAULT;
    long r = f->vn->ops->write(f, buf, n, pos);
    if (r > 0 && K_S_ISREG(f->vn->mode)) {
        vfs_now(&f->vn->mtime);
        f->vn->ctime = f->vn->mtime;
    }
    return r;
}

/* read, write and their variants hand the app's buffer down to the file's
 * ops, which copy with copy_*_nocheck (shim/uaccess.h): the range is
 * checked here, once, after the checks Linux makes first. */
SHIM_SYSCALL(read)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (!access_ok(buf, count) && can_read(f))
        return -EFAULT;
    return file_read(f, buf, count, &f->pos);
}

SHIM_SYSCALL(write)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    /* An empty write moves nothing, even with O_APPEND (as Linux). */
    if (!access_ok(buf, count) && can_write(f))
        return -EFAULT;
    if ((f->flags & K_O_APPEND) && K_S_ISREG(f->vn->mode) && count > 0)
        f->pos = f->vn->size;
    return file_write(f, buf, count, &f->pos);
}

static int seekable(struct file *f)
{
    return !(f->vn->ops && f->vn->ops->noseek);
}

SHIM_SYSCALL(pread64)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (!seekable(f))
        return -ESPIPE;
    if (pos < 0)
        return -EINVAL;
    if (!access_ok(buf, count) && can_read(f))
        return -EFAULT;
    uint64_t off = (uint64_t)pos;
    return file_read(f, buf, count, &off);
}

long vfs_pread_fd(long fd, void *buf, size_t n, uint64_t off)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (!seekable(f))
        return -ESPIPE;
    return file_read(f, buf, n, &off);
}

SHIM_SYSCALL(pwrite64)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (!seekable(f))
        return -ESPIPE;
    if (pos < 0)
        return -EINVAL;
    /* Linux quirk kept on purpose: on an O_APPEND file pwrite appends,
     * whatever the offset (pwrite(2), BUGS). */
    if (!access_ok(buf, count) && can_write(f))
        return -EFAULT;
    uint64_t off = (f->flags & K_O_APPEND) && K_S_ISREG(f->vn->mode) && count > 0 ? f->vn->size : (uint64_t)pos;
    return file_write(f, buf, count, &off);
}

static long do_iov(long fd, const struct k_iovec *uiov, long cnt, int wr, uint64_t *posp)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (cnt < 0 || cnt > 1024)
        return -EINVAL;
    /* The vector in, on the heap past a few entries (the shim's stack is
     * small); every buffer checked before anything moves, as Linux's
     * import_iovec does. */
    struct k_iovec small[8];
    struct k_iovec *iov = cnt <= 8 ? small : shim_alloc((size_t)cnt * sizeof *iov);
    if (!iov)
        return -ENOMEM;
    long r = copy_iovecs_from_user(iov, uiov, cnt);
    uint64_t want = 0;
    for (long i = 0; r == 0 && i < cnt; i++) {
        if ((int64_t)iov[i].len < 0 || (int64_t)(want + iov[i].len) < 0)
            r = -EINVAL;
        else if (!access_ok(iov[i].base, iov[i].len))
            r = -EFAULT;
        want += iov[i].len;
    }
    if (r == 0)
        r = do_iov_k(f, iov, cnt, wr, posp, want);
    if (iov != small)
        shim_free(iov);
    return r;
}

static long do_iov_k(struct file *f, const struct k_iovec *iov, long cnt, int wr, uint64_t *posp,
                     uint64_t want)
{
    uint64_t *pos = posp ? posp : &f->pos;
    if (posp && !seekable(f))
        return -ESPIPE;
    if (wr && want && (f->flags & K_O_APPEND) && K_S_ISREG(f->vn->mode))
        *pos = f->vn->size;       /* pwritev too appends (as pwrite) */
    long total = 0;
    for (long i = 0; i < cnt; i++) {
        if (iov[i].len == 0)
            continue;
        long r = wr ? file_write(f, iov[i].base, iov[i].len, pos)
                    : file_read(f, iov[i].base, iov[i].len, pos);
        if (r < 0)
            return total ? total : r;
        total += r;
        if ((uint64_t)r < iov[i].len)
            break;
        /* Don't block for later buffers once something was transferred. */
        if (!wr && i + 1 < cnt && (vfs_poll_file(f) & K_POLLIN) == 0)
            break;
    }
    return total;
}

SHIM_SYSCALL(readv) { return do_iov(fd, (const struct k_iovec *)vec, vlen, 0, NULL); }
SHIM_SYSCALL(writev) { return do_iov(fd, (const struct k_iovec *)vec, vlen, 1, NULL); }
SHIM_SYSCALL(preadv)
{
    if ((long)pos_l < 0)
        return -EINVAL;
    uint64_t pos = pos_l;
    return do_iov(fd, (const struct k_iovec *)vec, vlen, 0, &pos);
}
SHIM_SYSCALL(pwritev)
{
    if ((long)pos_l < 0)
        return -EINVAL;
    uint64_t pos = pos_l;
    return do_iov(fd, (const struct k_iovec *)vec, vlen, 1, &pos);
}

SHIM_SYSCALL(lseek)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (!seekable(f))
        return -ESPIPE;
    int64_t base;
    switch (whence) {
    case K_SEEK_SET: base = 0; break;
    case K_SEEK_CUR: base = (int64_t)f->pos; break;
    case K_SEEK_END: base = (int64_t)f->vn->size; break;
    case 3: /* SEEK_DATA: no holes, data everywhere before the end */
        if ((uint64_t)offset >= f->vn->size || offset < 0)
            return -ENXIO;
        return f->pos = (uint64_t)offset, offset;
    case 4: /* SEEK_HOLE: the one hole is at the end */
        if ((uint64_t)offset > f->vn->size || offset < 0)
            return -ENXIO;
        return f->pos = f->vn->size, (long)f->vn->size;
    default: return -EINVAL;
    }
    int64_t np = base + offset;
    if (np < 0)
        return -EINVAL;
    f->pos = (uint64_t)np;
    return np;
}

SHIM_SYSCALL(sendfile)
{
    struct file *out = fd_file(out_fd), *in = fd_file(in_fd);
    if (!out || !in)
        return -EBADF;
    if (!can_read(in) || !can_write(out))
        return -EBADF;
    int64_t *offp = (int64_t *)offset, off = 0;
    if (offp && get_user(off, offp))
        return -EFAULT;
    uint64_t pos = offp ? (uint64_t)off : in->pos;
    char *buf = shim_alloc(16384);
    if (!buf)
        return -ENOMEM;
    long total = 0;
    while (count) {
        size_t chunk = count < 16384 ? count : 16384;
        long r = file_read(in, buf, chunk, &pos);
        if (r <= 0) {
            if (r < 0 && total == 0)
                total = r;
            break;
        }
        uint64_t *op = &out->pos;
        if ((out->flags & K_O_APPEND) && K_S_ISREG(out->vn->mode))
            out->pos = out->vn->size;
        long w = file_write(out, buf, (size_t)r, op);
        if (w < 0) {
            if (total == 0)
                total = w;
            pos -= (uint64_t)r;
            break;
        }
        total += w;
        count -= (size_t)w;
        if (w < r) {
            pos -= (uint64_t)(r - w);
            break;
        }
        if ((size_t)r < chunk)
            break;
    }
    shim_free(buf);
    if (offp) {
        if (put_user((int64_t)pos, offp))
            return -EFAULT;
    } else {
        in->pos = pos;
    }
    return total;
}

/* ---- dup / fcntl / ioctl ---------------------------------------------------- */

SHIM_SYSCALL(dup)
{
    struct file *f = fd_file(fildes);
    if (!f)
        return -EBADF;
    file_get(f);
    return fd_install(f, 0, 0);
}

static long do_dup3(long oldfd, long newfd, long flags)
{
    struct file *f = fd_file(oldfd);
    if (!f)
        return -EBADF;
    if (flags & ~(long)K_O_CLOEXEC)
        return -EINVAL;
    if (newfd < 0 || newfd >= VFS_MAX_FDS)
        return -EBADF;
    file_get(f);
    long r = fd_install_at((int)newfd, f, (flags & K_O_CLOEXEC) != 0);
    return r < 0 ? r : newfd;
}

SHIM_SYSCALL(dup2)
{
    if (oldfd == newfd)
        return fd_file(oldfd) ? (long)newfd : -EBADF;
    return do_dup3(oldfd, newfd, 0);
}

SHIM_SYSCALL(dup3)
{
    if (oldfd == newfd)
        return -EINVAL;
    return do_dup3(oldfd, newfd, flags);
}

SHIM_SYSCALL(fcntl)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    switch (cmd) {
    case K_F_DUPFD:
    case K_F_DUPFD_CLOEXEC:
        if (arg >= VFS_MAX_FDS)   /* a negative long is a huge unsigned one */
            return -EINVAL;
        file_get(f);
        return fd_install(f, (int)arg, cmd == K_F_DUPFD_CLOEXEC);
    case K_F_GETFD:
        return fd_get_cloexec(fd) ? K_FD_CLOEXEC : 0;
    case K_F_SETFD:
        fd_set_cloexec(fd, (arg & K_FD_CLOEXEC) != 0);
        return 0;
    case K_F_GETFL:
        return (long)(f->flags | K_O_LARGEFILE);
    case K_F_SETFL: {
        /* Only these status flags can change (as on Linux). O_ASYNC is
         * kept but no SIGIO is ever sent (nginx's master sets it on its
         * channels and never needs the signal: it polls them too). */
        uint32_t chg = K_O_APPEND | K_O_NONBLOCK | K_O_ASYNC;
        f->flags = (f->flags & ~chg) | ((uint32_t)arg & chg);
        return 0;
    }
    case K_F_GETLK: {
        /* One process: no lock can conflict with ours. */
        /* struct flock: l_type (s16), l_whence, l_start, l_len, l_pid. */
        unsigned char fl[32];
        if (copy_from_user(fl, (const void *)arg, sizeof fl))
            return -EFAULT;
        int16_t unlck = K_F_UNLCK;
        return copy_to_user((void *)arg, &unlck, sizeof unlck) ? -EFAULT : 0;
    }
    case K_F_SETLK:
    case K_F_SETLKW: {
        unsigned char fl[32];
        return copy_from_user(fl, (const void *)arg, sizeof fl) ? -EFAULT : 0;
    }
    case K_F_SETOWN:
        f->owner = (int)arg;
        return 0;
    case K_F_GETOWN:
        return f->owner;
    case 1033: /* F_GETPIPE_SZ */
    case 1031: /* F_SETPIPE_SZ */
        return K_S_ISREG(f->vn->mode) ? -EBADF : 65536;
    default:
        return -EINVAL;
    }
}

SHIM_SYSCALL(ioctl)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    switch (cmd) {
    case K_FIOCLEX:
        fd_set_cloexec(fd, 1);
        return 0;
    case K_FIONCLEX:
        fd_set_cloexec(fd, 0);
        return 0;
    case K_FIONBIO:
    case K_FIOASYNC: {   /* every file, as Linux's do_vfs_ioctl (no SIGIO is sent) */
        int on;
        if (get_user(on, (const int *)arg))
            return -EFAULT;
        uint32_t bit = cmd == K_FIONBIO ? K_O_NONBLOCK : K_O_ASYNC;
        if (on)
            f->flags |= bit;
        else
            f->flags &= ~bit;
        return 0;
    }
    default:
        break;
    }
    if (f->vn->ops && f->vn->ops->ioctl)
        return f->vn->ops->ioctl(f, cmd, arg);
    if (cmd == K_FIONREAD && K_S_ISREG(f->vn->mode)) {
        int n = f->pos < f->vn->size ? (int)(f->vn->size - f->pos) : 0;
        return put_user(n, (int *)arg);
    }
    return -ENOTTY;
}

/* The tree lives in RAM: only a mounted store has anything to flush. */
static long do_fsync(long fd, int datasync)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (f->vn->ops && f->vn->ops->fsync)
        return f->vn->ops->fsync(f, datasync);
    return 0;
}

SHIM_SYSCALL(flock) { return fd_file(fd) ? 0 : -EBADF; }
SHIM_SYSCALL(fsync) { return do_fsync(fd, 0); }
SHIM_SYSCALL(fdatasync) { return do_fsync(fd, 1); }
SHIM_SYSCALL(syncfs) { return fd_file(fd) ? 0 : -EBADF; }
SHIM_SYSCALL(sync) { return 0; }
SHIM_SYSCALL(fadvise64) { return fd_file(fd) ? 0 : -EBADF; }

/* ---- stat family ------------------------------------------------------------ */

static uint32_t nlink_of(const struct vnode *vn)
{
    /* A directory's own "." counts too; computed entries (procfs: magic
     * links, /proc/PID and what is in it) have no name in the tree but one
     * in their directory's listing. */
    const struct vnode *dir = vn->parent;
    if (vn->nlink == 0 && ((vn->ops && vn->ops->follow) || (dir && !dir->fs && dir->ops && dir->ops->lookup)))
        return K_S_ISDIR(vn->mode) ? 2 : 1;
    return K_S_ISDIR(vn->mode) ? vn->nlink + 1 : vn->nlink;
}

void vfs_fill_stat(const struct vnode *vn, struct k_stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_dev = vn->fs ? vn->fs->dev : 0x10;
    st->st_ino = vn->ino;
    st->st_nlink = nlink_of(vn);
    st->st_mode = vn->mode;
    st->st_uid = vn->uid;
    st->st_gid = vn->gid;
    st->st_rdev = vn->rdev;
    st->st_size = (int64_t)vn->size;
    st->st_blksize = 4096;
    /* Whole 4 KiB blocks, as ext4 and tmpfs count them; a directory is one
     * block of 4096 bytes, as on ext4 (ls -l then reads as on the host). */
    if ((vn->mode & K_S_IFMT) == K_S_IFDIR && vn->size == 0)
        st->st_size = 4096;
    st->st_blocks = (int64_t)((st->st_size + 4095) / 4096 * 8);
    st->st_atim = vn->atime;
    st->st_mtim = vn->mtime;
    st->st_ctim = vn->ctime;
}

long vfs_stat_vn(struct vnode *vn, struct file *f, struct k_stat *st)
{
    if (vn->fs && vn->ops->getattr)
        return vn->ops->getattr(vn, f, st);
    vfs_fill_stat(vn, st);
    return 0;
}

/* path: the app's; st: a kernel buffer. */
static long stat_at(int dirfd, const char *upath, struct k_stat *st, long flags)
{
    struct vfs_name n = { .s = NULL };
    /* AT_EMPTY_PATH with a NULL path is fstat too (Linux 6.11). */
    if (!(upath == NULL && (flags & K_AT_EMPTY_PATH))) {
        long r = vfs_getname(&n, upath);
        if (r < 0)
            return r;
    }
    long r = stat_at_k(dirfd, n.s, st, flags);
    if (n.s)
        vfs_putname(&n);
    return r;
}

static long stat_at_k(int dirfd, const char *path, struct k_stat *st, long flags)
{
    if (flags & ~(long)(K_AT_SYMLINK_NOFOLLOW | K_AT_EMPTY_PATH | K_AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct vnode *vn;
    if ((flags & K_AT_EMPTY_PATH) && (!path || !*path)) {
        struct file *f = NULL;
        if (dirfd == K_AT_FDCWD) {
            vn = vfs_cwd();
        } else {
            f = fd_file(dirfd);
            if (!f)
                return -EBADF;
            vn = f->vn;
        }
        return vfs_stat_vn(vn, f, st);
    }
    long r = vfs_resolve(dirfd, path, !(flags & K_AT_SYMLINK_NOFOLLOW), &vn);
    if (r < 0)
        return r;
    r = vfs_stat_vn(vn, NULL, st);
    vnode_put(vn);
    return r;
}

/* The stat family: into a kernel struct, then out to the app's. */
static long stat_out(long r, const struct k_stat *st, void *ubuf)
{
    if (r == 0 && copy_to_user(ubuf, st, sizeof *st))
        return -EFAULT;
    return r;
}

SHIM_SYSCALL(stat)
{
    struct k_stat st;
    return stat_out(stat_at(K_AT_FDCWD, filename, &st, 0), &st, statbuf);
}
SHIM_SYSCALL(lstat)
{
    struct k_stat st;
    return stat_out(stat_at(K_AT_FDCWD, filename, &st, K_AT_SYMLINK_NOFOLLOW), &st, statbuf);
}
SHIM_SYSCALL(newfstatat)
{
    struct k_stat st;
    return stat_out(stat_at(dfd, filename, &st, flag), &st, statbuf);
}

long vfs_fstat_fd(long fd, struct k_stat *st)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    return vfs_stat_vn(f->vn, f, st);
}

SHIM_SYSCALL(fstat)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    struct k_stat st;
    return stat_out(vfs_stat_vn(f->vn, f, &st), &st, statbuf);
}

SHIM_SYSCALL(statx)
{
    struct k_statx sxk, *sx = &sxk;
    /* statx accepts sync flags (0x6000) on top of newfstatat's. */
    struct k_stat st;
    long r = stat_at(dfd, path, &st, flags & ~0x6000u);
    if (r < 0)
        return r;
    memset(sx, 0, sizeof *sx);
    sx->stx_mask = K_STATX_BASIC_STATS;
    sx->stx_blksize = (uint32_t)st.st_blksize;
    sx->stx_nlink = (uint32_t)st.st_nlink;
    sx->stx_uid = st.st_uid;
    sx->stx_gid = st.st_gid;
    sx->stx_mode = (uint16_t)st.st_mode;
    sx->stx_ino = st.st_ino;
    sx->stx_size = (uint64_t)st.st_size;
    sx->stx_blocks = (uint64_t)st.st_blocks;
    sx->stx_atime.tv_sec = st.st_atim.tv_sec;
    sx->stx_atime.tv_nsec = (uint32_t)st.st_atim.tv_nsec;
    sx->stx_mtime.tv_sec = st.st_mtim.tv_sec;
    sx->stx_mtime.tv_nsec = (uint32_t)st.st_mtim.tv_nsec;
    sx->stx_ctime.tv_sec = st.st_ctim.tv_sec;
    sx->stx_ctime.tv_nsec = (uint32_t)st.st_ctim.tv_nsec;
    sx->stx_rdev_major = (uint32_t)(st.st_rdev >> 8) & 0xfff;
    sx->stx_rdev_minor = (uint32_t)(st.st_rdev & 0xff);
    sx->stx_dev_major = (uint32_t)(st.st_dev >> 8) & 0xfff;
    sx->stx_dev_minor = (uint32_t)(st.st_dev & 0xff);
    return copy_to_user(buffer, sx, sizeof *sx) ? -EFAULT : 0;
}

/* The tree lives in RAM: its size and free space are the machine's. */
static void fill_statfs(struct k_statfs *sf)
{
    uint64_t total = 0, avail = 0;
    platform_memory_info(&total, &avail);
    memset(sf, 0, sizeof *sf);
    sf->f_type = K_TMPFS_MAGIC;
    sf->f_bsize = 4096;
    sf->f_frsize = 4096;
    sf->f_blocks = total / 4096;
    sf->f_bfree = avail / 4096;
    sf->f_bavail = avail / 4096;
    sf->f_files = total / 4096;
    sf->f_ffree = avail / 4096;
    sf->f_namelen = 255;
}

static long statfs_vn(struct vnode *vn, struct k_statfs *sf)
{
    if (!sf)
        return -EFAULT;
    if (!(vn->fs && vn->ops->statfs)) {
        fill_statfs(sf);
        return 0;
    }
    long r = vn->ops->statfs(vn, sf);
    if (r == 0 && vn->fs->readonly)
        sf->f_flags |= 1;          /* ST_RDONLY */
    return r;
}

SHIM_SYSCALL(statfs)
{
    struct vnode *vn;
    long r = vfs_resolve_user(K_AT_FDCWD, path, 1, &vn);
    if (r < 0)
        return r;
    struct k_statfs sf;
    r = statfs_vn(vn, &sf);
    vnode_put(vn);
    if (r == 0 && copy_to_user(buf, &sf, sizeof sf))
        return -EFAULT;
    return r;
}

SHIM_SYSCALL(fstatfs)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    struct k_statfs sf;
    long r = statfs_vn(f->vn, &sf);
    if (r == 0 && copy_to_user(buf, &sf, sizeof sf))
        return -EFAULT;
    return r;
}

/* ---- directories ------------------------------------------------------------ */

static uint8_t dtype_of(uint32_t mode)
{
    switch (mode & K_S_IFMT) {
    case K_S_IFDIR: return K_DT_DIR;
    case K_S_IFREG: return K_DT_REG;
    case K_S_IFLNK: return K_DT_LNK;
    case K_S_IFCHR: return K_DT_CHR;
    case K_S_IFBLK: return K_DT_BLK;
    case K_S_IFIFO: return K_DT_FIFO;
    case K_S_IFSOCK: return K_DT_SOCK;
    default: return K_DT_UNKNOWN;
    }
}

/* Entry idx of a directory: 0 ".", 1 "..", then the static children, then
 * the computed ones. Returns 0 past the end. */
static int dir_entry(struct vnode *dir, long idx, struct vfs_dirent *de)
{
    if (idx == 0 || idx == 1) {
        struct vnode *vn = idx == 0 ? dir : (dir->parent ? dir->parent : dir);
        de->ino = vn->ino;
        de->type = K_DT_DIR;
        de->name[0] = '.';
        de->name[1] = idx == 1 ? '.' : 0;
        de->name[2] = 0;
        return 1;
    }
    long i = idx - 2;
    /* A mounted directory lists its store; its children are only a cache. */
    for (struct dentry *d = dir->fs ? NULL : dir->children; d; d = d->next, i--) {
        if (i == 0) {
            de->ino = d->vn->ino;
            de->type = dtype_of(d->vn->mode);
            memcpy(de->name, d->name, d->len);
            de->name[d->len] = 0;
            return 1;
        }
    }
    if (dir->ops && dir->ops->readdir)
        return dir->ops->readdir(dir, i, de) > 0;
    return 0;
}

SHIM_SYSCALL(getdents64)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (!K_S_ISDIR(f->vn->mode))
        return -ENOTDIR;
    char *buf = (char *)dirent;
    size_t used = 0;
    struct vfs_dirent de;
    while (dir_entry(f->vn, (long)f->pos, &de)) {
        size_t nl = strlen(de.name);
        size_t reclen = (sizeof(struct k_dirent64) + nl + 1 + 7) & ~(size_t)7;
        if (used + reclen > count) {
            if (used == 0)
                return -EINVAL;
            break;
        }
        /* Built in a kernel buffer, then copied out whole; a fault ends the
         * listing as Linux's filldir does (-EFAULT when nothing was given). */
        union {
            struct k_dirent64 d;
            char b[sizeof(struct k_dirent64) + sizeof de.name + 8];
        } rec;
        struct k_dirent64 *d = &rec.d;
        d->d_ino = de.ino;
        d->d_off = (int64_t)f->pos + 1;
        d->d_reclen = (uint16_t)reclen;
        d->d_type = de.type;
        memcpy(d->d_name, de.name, nl + 1);
        memset(d->d_name + nl + 1, 0, reclen - sizeof *d - nl - 1);
        if (copy_to_user(buf + used, d, reclen))
            return used ? (long)used : -EFAULT;
        used += reclen;
        f->pos++;
    }
    return (long)used;
}

SHIM_SYSCALL(umask)
{
    uint32_t old = vfs_umask();
    vfs_set_umask((uint32_t)mask);
    return old;
}

/* ---- less common file calls ---------------------------------------------- */

SHIM_SYSCALL(copy_file_range)
{
    struct file *in = fd_file(fd_in), *out = fd_file(fd_out);
    if (!in || !out)
        return -EBADF;
    if (flags)
        return -EINVAL;
    if (!can_read(in) || !can_write(out) || (out->flags & K_O_APPEND))
        return -EBADF;
    if (!K_S_ISREG(in->vn->mode) || !K_S_ISREG(out->vn->mode))
        return K_S_ISDIR(in->vn->mode) || K_S_ISDIR(out->vn->mode) ? -EISDIR : -EINVAL;
    int64_t *offin = (int64_t *)off_in, *offout = (int64_t *)off_out, oi = 0, oo = 0;
    if ((offin && get_user(oi, offin)) || (offout && get_user(oo, offout)))
        return -EFAULT;
    uint64_t pin = offin ? (uint64_t)oi : in->pos;
    uint64_t pout = offout ? (uint64_t)oo : out->pos;
    size_t count = len;
    char *buf = shim_alloc(16384);
    if (!buf)
        return -ENOMEM;
    long total = 0;
    while (count) {
        size_t chunk = count < 16384 ? count : 16384;
        long r = file_read(in, buf, chunk, &pin);
        if (r <= 0) {
            if (r < 0 && total == 0)
                total = r;
            break;
        }
        long w = file_write(out, buf, (size_t)r, &pout);
        if (w < 0) {
            if (total == 0)
                total = w;
            pin -= (uint64_t)r;
            break;
        }
        total += w;
        count -= (size_t)w;
    }
    shim_free(buf);
    if (total > 0) {
        if (offin ? put_user((int64_t)pin, offin) : (in->pos = pin, 0))
            return -EFAULT;
        if (offout ? put_user((int64_t)pout, offout) : (out->pos = pout, 0))
            return -EFAULT;
    }
    return total;
}

SHIM_SYSCALL(fallocate)
{
    struct file *f = fd_file(fd);
    if (!f)
        return -EBADF;
    if (offset < 0 || len <= 0)
        return -EINVAL;
    if (!can_write(f))
        return -EBADF;
    if (!K_S_ISREG(f->vn->mode))
        return K_S_ISDIR(f->vn->mode) ? -EISDIR : -ENODEV;
    if (mode == 1)                 /* FALLOC_FL_KEEP_SIZE: memory is never reserved ahead */
        return 0;
    if (mode != 0)
        return -EOPNOTSUPP;
    uint64_t end = (uint64_t)offset + (uint64_t)len;
    if (end <= f->vn->size)
        return 0;
    return f->vn->ops->truncate(f->vn, end);
}

SHIM_SYSCALL(close_range)
{
    unsigned long first = fd, last = max_fd;
    if (flags & ~(long)(2 | 4) || first > last)
        return -EINVAL;
    if (flags & 2) {               /* CLOSE_RANGE_UNSHARE: a table of our own first */
        long r = vfs_unshare_files();
        if (r < 0)
            return r;
    }
    if (last >= VFS_MAX_FDS)
        last = VFS_MAX_FDS - 1;
    for (unsigned long i = first; i <= last && first < VFS_MAX_FDS; i++) {
        if (!fd_file((long)i))
            continue;
        if (flags & 4)              /* CLOSE_RANGE_CLOEXEC */
            fd_set_cloexec((long)i, 1);
        else
            fd_close((long)i);
    }
    return 0;
}

SHIM_SYSCALL(memfd_create)
{
    char name[250];
    long nl = strncpy_from_user(name, uname_ptr, sizeof name);
    if (nl < 0)
        return nl == -ENAMETOOLONG ? -EINVAL : nl;
    /* MFD_CLOEXEC 1, MFD_ALLOW_SEALING 2 (seals are never enforced),
     * MFD_HUGETLB 4 is not supported. */
    if (flags & ~3L)
        return -EINVAL;
    struct vnode *root = vfs_root(), *vn;
    if (!root->ops || !root->ops->mknode)
        return -ENOSYS;
    long r = root->ops->mknode(root, K_S_IFREG | 0777, &vn);
    if (r < 0)
        return r;
    vnode_get(vn);                /* an unlinked file: lives while open */
    r = vfs_open_vnode(vn, K_O_RDWR | ((flags & 1) ? K_O_CLOEXEC : 0));
    vnode_put(vn);
    return r;
}
